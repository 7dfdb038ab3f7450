"""The command line: exit codes, output lines, and no traceback on any bad input."""

from __future__ import annotations

import json
import os
import subprocess  # noqa: S404 - the CLI contract is tested as a real process
import sys
from pathlib import Path
from typing import Any

import pytest

from lottery.keys import public_key_b64
from tests.lottery.lottery_helpers import LOTTERY, make_platform, vectors


def run(*args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(  # noqa: S603 - fixed interpreter and our own arguments
        [sys.executable, "-m", "lottery", *args], capture_output=True, text=True,
        encoding="utf-8", timeout=120, check=False,
    )  # fmt: skip
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    return proc


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    d = tmp_path_factory.mktemp("cli")
    p = make_platform()
    bundle = p.bundle(LOTTERY)
    (d / "bundle.json").write_text(json.dumps(bundle, ensure_ascii=False), "utf-8")
    (d / "log.jsonl").write_bytes(p.export_jsonl())
    (d / "old.txt").write_text(p.checkpoint(9), "utf-8")
    return {"dir": d, "bundle": bundle, "pub": public_key_b64(p.key), "size": p.log.size}


def test_verify_ok(files: dict[str, Any]) -> None:
    proc = run("verify", str(files["dir"] / "bundle.json"), "--pubkey", files["pub"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(f"OK {LOTTERY} winners=[\"") and lines[0].endswith("declines=1")
    assert lines[1] == ("external 福彩双色球 2026138期 public_at=2026-12-02T07:00:00Z"
                        " value=3 7 12 19 25 31 + 9")  # fmt: skip
    verbose = run("verify", str(files["dir"] / "bundle.json"), "--verbose").stdout.splitlines()
    assert verbose[-10:] == [f"passed {c}" for c in (
        "format", "announcement", "commitment", "pool", "sources", "derivation", "signature",
        "checkpoint", "inclusion", "sequence")]  # fmt: skip


def test_verify_fail_line(files: dict[str, Any], tmp_path: Path) -> None:
    bad = dict(files["bundle"], signature="A" * 86 + "==")
    (tmp_path / "b.json").write_text(json.dumps(bad), "utf-8")
    proc = run("verify", str(tmp_path / "b.json"))
    assert proc.returncode == 1
    assert proc.stdout.startswith("FAIL signature: ")
    proc = run("verify", str(files["dir"] / "bundle.json"), "--pubkey", "A" * 43 + "=")
    assert proc.returncode == 1 and proc.stdout.startswith("FAIL signature: ")


@pytest.mark.parametrize(
    ("content", "code", "first"),
    [
        (b"{", 2, None),
        (b'{"v": 1, "v": 2}', 2, None),
        (b"\xff\xfe", 2, None),
        (b"NaN", 2, None),
        (b"[" * 100_000 + b"]" * 100_000, 2, None),
        (b"[]", 1, "FAIL format"),
        (b'{"v": "agency-lottery/v1"}', 1, "FAIL format"),
        (b'{"v": 1.5, "announcement": {}, "record": {}, "signature": "", "public_key": "",'
         b' "log": {}}', 1, "FAIL format"),
        (b"9" * 5000, 1, "FAIL format"),
    ],
)
def test_verify_bad_input(tmp_path: Path, content: bytes, code: int, first: str | None) -> None:
    (tmp_path / "b.json").write_bytes(content)
    proc = run("verify", str(tmp_path / "b.json"))
    assert proc.returncode == code, (proc.stdout, proc.stderr)
    if first:
        assert proc.stdout.startswith(first + ": ")
    else:
        assert proc.stdout == "" and proc.stderr.startswith("error ")


def test_verify_wrong_types_everywhere(files: dict[str, Any], tmp_path: Path) -> None:
    b = files["bundle"]
    for path in (("record", "k"), ("record", "tickets"), ("log", "entries"), ("public_key",),
                 ("record", "secret"), ("announcement", "entropy_plan")):  # fmt: skip
        for value in (None, "zz", 1, [], {}, "ABCD"):
            bad = json.loads(json.dumps(b))
            target = bad
            for p in path[:-1]:
                target = target[p]
            target[path[-1]] = value
            (tmp_path / "b.json").write_text(json.dumps(bad), "utf-8")
    # One subprocess per value would be slow: check the same through the library call path.
    from lottery.errors import CheckFailed
    from lottery.verify import verify_bundle

    for path in (("record", "k"), ("record", "tickets"), ("log", "entries"), ("public_key",),
                 ("record", "secret"), ("announcement", "entropy_plan"), ("log", "checkpoint"),
                 ("record", "sources")):  # fmt: skip
        for value in (None, "zz", 1, [], {}, "ABCD", [1], [{}]):
            bad = json.loads(json.dumps(b))
            target = bad
            for p in path[:-1]:
                target = target[p]
            target[path[-1]] = value
            with pytest.raises(CheckFailed):
                verify_bundle(bad)


def test_verify_missing_file_and_bad_pubkey(files: dict[str, Any]) -> None:
    assert run("verify", "/nonexistent/b.json").returncode == 2
    assert run("verify", str(files["dir"] / "bundle.json"), "--pubkey", "!!").returncode == 2
    assert run("verify").returncode == 2
    assert run("frobnicate").returncode == 2


def test_verify_10mb_bundle(files: dict[str, Any], tmp_path: Path) -> None:
    big = dict(files["bundle"])
    big["announcement"] = dict(big["announcement"], padding="x" * 10_000_000)
    (tmp_path / "big.json").write_text(json.dumps(big), "utf-8")
    proc = run("verify", str(tmp_path / "big.json"))
    assert proc.returncode == 1 and proc.stdout.startswith("FAIL announcement: ")


def test_rank_vectors_and_errors(tmp_path: Path) -> None:
    case = vectors("lottery-v1.json")["cases"][0]
    f = tmp_path / "in.json"
    f.write_text(json.dumps(case["input"], ensure_ascii=False), "utf-8")
    proc = run("rank", str(f))
    assert proc.returncode == 0 and json.loads(proc.stdout) == case["expected"]
    good = case["input"]
    bad_inputs = {
        "input": [b"{", b"[]", {**good, "k": "1"}, {**good, "k": 1.0}, {**good, "k": True}, {**good, "pool": [1]},
                  {**good, "sources": ["x"]}, {k: v for k, v in good.items() if k != "secret"}],
        "hex": [{**good, "secret": good["secret"].upper()}, {**good, "announcement_hash": "00"}],
        "secret": [{**good, "secret": "00" * 31}],
        "source": [{**good, "sources": []},
                   {**good, "sources": [{**good["sources"][0], "value": "12"}]},
                   {**good, "sources": [{**good["sources"][1], "value": "9 2 14 20 27 33 + 5"}]}],
        "identifier": [{**good, "pool": ["AG 1"]}, {**good, "lottery_id": "-x"}],
        "duplicate-id": [{**good, "pool": ["AG-1", "AG-1"]}],
        "k-range": [{**good, "k": 0}, {**good, "k": 6}, {**good, "k": 10**40}],
    }  # fmt: skip
    for rule, inputs in bad_inputs.items():
        for item in inputs:
            f.write_bytes(item if isinstance(item, bytes) else json.dumps(item).encode())
            proc = run("rank", str(f))
            assert proc.returncode == 2 and proc.stdout == "", (rule, item)
            assert proc.stderr.startswith(f"error {rule}: "), (rule, proc.stderr)


def test_rank_100k_pool(tmp_path: Path) -> None:
    case = vectors("lottery-v1.json")["cases"][0]["input"]
    f = tmp_path / "in.json"
    f.write_text(json.dumps({**case, "pool": [f"AG-{i:06d}" for i in range(100_000)]}), "utf-8")
    proc = run("rank", str(f))
    assert proc.returncode == 0
    assert len(json.loads(proc.stdout)["ranking"]) == 100_000


def test_audit_log(files: dict[str, Any], tmp_path: Path) -> None:
    log, pub = str(files["dir"] / "log.jsonl"), files["pub"]
    proc = run("audit-log", log, "--pubkey", pub, "--checkpoint", str(files["dir"] / "old.txt"))
    assert proc.returncode == 0 and proc.stdout.startswith(f"OK {files['size']} ")
    assert run("audit-log", log).returncode == 2  # --pubkey is required
    assert run("audit-log", log, "--pubkey", "x").returncode == 2
    (tmp_path / "bad.jsonl").write_bytes(b'{"seq":0}\n')
    proc = run("audit-log", str(tmp_path / "bad.jsonl"), "--pubkey", pub)
    assert proc.returncode == 1 and proc.stdout.startswith("FAIL format: ")
    (tmp_path / "cp.txt").write_bytes(b"\xff")
    assert run("audit-log", log, "--pubkey", pub, "--checkpoint",
               str(tmp_path / "cp.txt")).returncode == 2  # fmt: skip


def _run_to(stdout: Any, *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(  # noqa: S603 - fixed interpreter and our own arguments
        [sys.executable, "-m", "lottery", *args], stdout=stdout, stderr=subprocess.PIPE,
        text=True, encoding="utf-8", timeout=120, check=False,
    )  # fmt: skip
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr
    return proc


def _closed_pipe() -> int:
    """The write end of a pipe whose reader has gone (``verify … | head -1`` after the line)."""
    read, write = os.pipe()
    os.close(read)
    return write


def _commands(files: dict[str, Any], tmp_path: Path) -> list[tuple[list[str], int]]:
    bad = dict(files["bundle"], signature="A" * 86 + "==")
    (tmp_path / "bad.json").write_text(json.dumps(bad), "utf-8")
    (tmp_path / "in.json").write_text(
        json.dumps(vectors("lottery-v1.json")["cases"][0]["input"], ensure_ascii=False), "utf-8")
    bundle, log = str(files["dir"] / "bundle.json"), str(files["dir"] / "log.jsonl")
    return [(["verify", bundle], 0), (["verify", bundle, "--verbose"], 0),
            (["verify", str(tmp_path / "bad.json")], 1), (["rank", str(tmp_path / "in.json")], 0),
            (["audit-log", log, "--pubkey", files["pub"]], 0)]


def test_a_reader_that_went_away_leaves_the_verdict_as_the_exit_code(
        files: dict[str, Any], tmp_path: Path) -> None:
    """Nobody reads the lines any more (the pipe's reader closed): the exit code is still the
    verdict, and nothing is said about an ``internal`` error."""
    for args, code in _commands(files, tmp_path):
        write = _closed_pipe()
        try:
            proc = _run_to(write, *args)
        finally:
            os.close(write)
        assert (proc.returncode, proc.stderr) == (code, ""), args


def test_a_closed_stdout_leaves_the_verdict_as_the_exit_code(
        files: dict[str, Any], tmp_path: Path) -> None:
    for args, code in _commands(files, tmp_path):
        proc = subprocess.run(  # noqa: S603 - fixed interpreter and our own arguments
            [sys.executable, "-m", "lottery", *args], stdin=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True, timeout=120, check=False,
            preexec_fn=lambda: os.close(1),  # noqa: PLW1509 - only closes a descriptor
        )  # fmt: skip
        assert (proc.returncode, proc.stderr) == (code, ""), args


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_stdout_that_refuses_the_lines_is_an_output_error(
        files: dict[str, Any], tmp_path: Path) -> None:
    """A full disk: the lines were wanted and could not be written — exit 2 with one
    ``error output`` line, never ``internal``."""
    for args, _code in _commands(files, tmp_path):
        with open("/dev/full", "w") as full:  # noqa: PTH123
            proc = _run_to(full, *args)
        assert proc.returncode == 2, args
        assert proc.stderr.startswith("error output: ") and proc.stderr.count("\n") == 1, args

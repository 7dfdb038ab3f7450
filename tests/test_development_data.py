"""Development data (devdata/: the demo city, synthetic agencies, load) stays out of the product:
nothing in market/, billing/ or lottery/ imports it or the tests, and a production app has
none of its commands and never loads its code."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from market.accounts import operations as ops
from market.accounts.models import Organisation, OrgKind
from market.db import db
from tests.support import demo_data
from tests.support.production import PRODUCTION

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("market", "billing", "lottery")
OUTSIDE = ("devdata", "tests")  # what the product must never import


def _imports(path: Path) -> list[str]:
    """Every module ``path`` imports, and every string that names one of OUTSIDE's modules
    (as ``importlib.import_module`` would take it)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                node.value.split(".")[0].split(":")[0] in OUTSIDE:
            names.append(node.value)
    return names


def _product_files() -> list[Path]:
    return sorted(p for top in PRODUCT for p in (ROOT / top).rglob("*.py"))


def test_the_product_never_imports_development_data_or_the_tests() -> None:
    files = _product_files()
    assert len(files) > 100
    bad = [f"{path.relative_to(ROOT)}: {name}" for path in files for name in _imports(path)
           if name.split(".")[0].split(":")[0] in OUTSIDE]
    assert bad == []


def test_the_import_check_sees_an_import_of_devdata(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("import devdata.demo\nfrom devdata.loadgen import agencies\n"
                     "def f():\n    from tests.support import fault_points\n"
                     "NAME = 'devdata.demo:demo_cli'\n", encoding="utf-8")
    assert _imports(probe) == ["devdata.demo", "devdata.loadgen", "tests.support",
                               "devdata.demo:demo_cli"]


# One fresh process does what the product's `flask` executable does (flask.cli.main, argv as
# typed) for each run in turn, production first, after it has created a production app and
# noted which modules came in: starting the app costs seconds, and these checks need no more
# than one clean process.  A development run after the production ones cannot make a
# production check pass (they are answered before it starts).
_SCRIPT = """
import contextlib, io, json, os, sys
runs = json.loads(sys.argv[1])
os.environ.update(runs[0]["environ"])
from market import create_app
app = create_app()
commands = sorted(app.cli.list_commands(None))
loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('devdata', 'tests'))
from flask.cli import main
results = []
for run in runs[1:]:
    os.environ.update(run["environ"])
    sys.argv = ["flask", *run["args"]]
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main()
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else 1
    results.append({"args": run["args"], "returncode": code, "stdout": out.getvalue(),
                    "stderr": err.getvalue()})
print(json.dumps({"commands": commands, "loaded": loaded, "runs": results}))
"""


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class Runs:
    commands: list[str]  # the production app's, as create_app() built it
    loaded: list[str]  # the modules of OUTSIDE it had loaded by then
    flask: dict[tuple[str, ...], Run]  # (env, *argv) -> the `flask` command's run


def _environ(tmp_path: Path, env: str) -> dict[str, str]:
    return {**PRODUCTION, "MARKET_ENV": env, "FLASK_APP": "market",
            "MARKET_INSTANCE_PATH": str(tmp_path / env / "instance"),
            "MARKET_DATABASE_URL": f"sqlite:///{tmp_path / env / 'db.sqlite'}"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    tmp_path = tmp_path_factory.mktemp("cli")
    asked = [("production", "--help"), ("production", "demo", "load"),
             ("development", "--help")]
    plan = [{"environ": _environ(tmp_path / "app", "production"), "args": []}] + [
        {"environ": _environ(tmp_path, env), "args": list(args)} for env, *args in asked]
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("MARKET_", "FLASK_"))}
    done = subprocess.run([sys.executable, "-c", _SCRIPT, json.dumps(plan)], cwd=ROOT,
                          env=environ, text=True, capture_output=True, timeout=240, check=False)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.splitlines()[-1])
    return Runs(found["commands"], found["loaded"], {
        key: Run(r["returncode"], r["stdout"], r["stderr"])
        for key, r in zip(asked, found["runs"], strict=True)})


@pytest.mark.parametrize("env", ["production", "development"])
def test_development_commands_exist_only_outside_production(runs: Runs, env: str) -> None:
    listing = runs.flask[env, "--help"]
    assert listing.returncode == 0, listing.stderr
    commands = {line.split()[0] for line in listing.stdout.split("Commands:")[1].splitlines()
                if line.strip()}
    assert {"backup", "transparency", "uploads"} <= commands  # the product's own
    if env == "production":
        assert commands.isdisjoint({"demo", "agencies"}), commands
        refused = runs.flask[env, "demo", "load"]
        assert refused.returncode == 2 and "No such command 'demo'" in refused.stderr
    else:
        assert {"demo", "agencies"} <= commands


def test_a_production_app_never_loads_development_code(runs: Runs) -> None:
    """In a fresh process: create the production app, list its commands, and look at which
    modules came in."""
    assert "uploads" in runs.commands and "demo" not in runs.commands
    assert "agencies" not in runs.commands
    assert runs.loaded == []


def test_demo_load_on_a_loaded_database_still_prints_the_logins(tmp_path: Path) -> None:
    """``make run`` runs ``flask demo load`` every time: the second run loads nothing and
    still shows a newcomer how to log in.  (The first run, on an empty database, is the one
    that loaded the session's demo city; its output and a copy of what it loaded are here.)"""
    first = demo_data.load_output()
    assert "Demo data loaded" in first
    app = demo_data.demo_app(tmp_path)
    with app.app_context():
        organisations = db.session.scalar(sa.select(sa.func.count(Organisation.id)))
    again = app.test_cli_runner().invoke(args=["demo", "load"])
    assert again.exit_code == 0, again.output
    assert "already loaded" in again.output
    for email in ("operator@yunchuan.demo", "owner1@yunchuan.demo", "agency1@yunchuan.demo",
                  "regulator1@yunchuan.demo", "owner5@yunchuan.demo"):
        assert email in again.output
    assert again.output.count("@yunchuan.demo") == first.count("@yunchuan.demo")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Organisation.id))) == organisations
        db.engine.dispose()


def test_demo_load_leaves_someone_elses_data_alone(app: Flask) -> None:
    with app.app_context():
        ops.create_organisation(OrgKind.OPERATOR, "另一个平台的运营方")
        db.session.commit()
    done = app.test_cli_runner().invoke(args=["demo", "load"])
    assert done.exit_code == 0, done.output
    assert "not the demo's" in done.output and "@yunchuan.demo" not in done.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Organisation.id))) == 1

"""Faults: ``kill -9`` of a gunicorn worker in the middle of a draw, an upload, a ledger
operation and a log append (repeated); PostgreSQL restarted under load; a full disk for
uploads.  After each, the database is consistent and the app carries on by itself.

The kill lands mid-transaction at a pause point that :mod:`tests.support.fault_points` installs
in the test instance's workers (through tests/support/gunicorn_faults.py, never in the product):
the worker announces its pid at the pause and is killed there.
Select with ``pytest -m faults``; docs/reliability.md "Scale-out and faults" reports it.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import sqlalchemy as sa
from flask import Flask

from billing import ledger
from billing.integration import backend
from billing.interface import EngagementRef
from billing.models import LedgerTransaction, Payment
from market import storage
from market.db import db
from market.engagements.models import Engagement
from market.selection.models import Lottery, SignUp
from market.timeutil import today_local
from market.transparency import log
from market.transparency.audit import run_audit
from market.transparency.models import LogLeaf
from tests.conftest import PASSWORD, make_app
from tests.engagements.conftest import PDF, engagement_id_of, make_award, post
from tests.proof.preparation import EXTERNAL_VALUE, prepare, recent_start
from tests.proof.report import record
from tests.selection.conftest import City, build_city, city_in
from tests.support import fault_points
from tests.support import instances as inst
from tests.support.postgres import restart

pytestmark = pytest.mark.faults

REPEATS = 3  # kills per kind of operation
BILLING_ENGAGEMENT = 7001
KILL = "faults.kill"  # the sections of docs/reliability.md these tests report to
RESTART = "faults.pg_restart"
DISK = "faults.full_disk"


# --- the invariants ---------------------------------------------------------------------------


def _stored_files(upload_dir: Path) -> tuple[set[str], list[str]]:
    """(sha256 of every stored file, names of temporary files)."""
    if not upload_dir.exists():
        return set(), []
    stored = {p.name for p in upload_dir.glob("??/*") if p.is_file()}
    temps = [p.name for p in upload_dir.iterdir() if p.name.startswith(storage.TEMP_PREFIX)]
    return stored, temps


CHECKS: Counter[str] = Counter()  # consistency checks passed, per test


def assert_consistent(app: Flask, upload_dir: Path, section: str | None = None) -> None:
    """The log replays, no half draw, every stored file has its row and every row its file, no
    temporary file, the ledger sums to zero with every transaction balanced."""
    with app.app_context():
        report = run_audit()
        assert report.ok, report.problem
        seqs = db.session.scalars(sa.select(LogLeaf.seq).order_by(LogLeaf.seq)).all()
        assert seqs == list(range(log.size()))
        for lottery in db.session.scalars(sa.select(Lottery)):
            draws = sum(1 for e in log.events_of(lottery.lottery_id) if e["type"] == "draw")
            assert draws == (1 if lottery.state == "drawn" else 0), lottery.lottery_id
            assert (lottery.record is not None) == (lottery.state == "drawn")
        rows = set(db.session.scalars(sa.select(storage.Upload.sha256)))
        stored, temps = _stored_files(upload_dir)
        assert stored == rows and temps == [], (stored ^ rows, temps)
        assert ledger.total(db.session) == 0
        assert ledger.unbalanced_transactions(db.session) == []
        db.session.remove()
    if section is not None:
        CHECKS[section] += 1
        record(section, "full consistency checks passed (log audit, draws, files = rows, "
               "ledger balanced)", CHECKS[section])


# --- killing a worker mid-transaction ---------------------------------------------------------


@pytest.fixture
def site(pg_url: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    uploads = tmp_path / "uploads"
    pause = tmp_path / "pause"
    pause.mkdir()
    app = make_app(tmp_path / "prep", pg_url, UPLOAD_DIR=str(uploads), **inst.app_config())
    city = build_city(app, agencies=4 + REPEATS)
    prepared = prepare(city, to_draw=REPEATS + 1, open_now=1, start=recent_start())
    award = make_award(app, city, 0)
    eid = engagement_id_of(app, award)
    with app.app_context():
        backend().open_engagement(EngagementRef(BILLING_ENGAGEMENT, city.owner.org_id,
                                                city.agencies[0].org_id, 1_000_000_00))
        db.session.commit()
    env = inst.environment(pg_url, uploads, tmp_path / "instance",
                           **{fault_points.ENV_NAME: str(pause)})
    server = inst.Instance("faults", env, tmp_path / "gunicorn.log",
                           config=inst.ROOT / "tests" / "support" / "gunicorn_faults.py").start()
    try:
        yield {"app": app, "city": city, "prepared": prepared, "engagement": eid,
               "server": server, "pause": pause, "uploads": uploads, "env": env}
    finally:
        server.stop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


KILLS: Counter[str] = Counter()  # workers killed, per pause point
ENDINGS: Counter[str] = Counter()  # how the killed request ended, for the client


def _kill_mid(site: dict[str, Any], point: str, action: Callable[[], Any]) -> None:
    """Arm ``point``, run ``action`` (an HTTP request) in a thread, ``kill -9`` the worker that
    reaches the pause, disarm; the request fails, gunicorn starts a new worker."""
    pause: Path = site["pause"]
    server: inst.Instance = site["server"]
    (pause / point).touch()
    outcome: list[Any] = []
    thread = threading.Thread(target=lambda: outcome.append(_attempt(action)), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not (marks := list(pause.glob(f"{point}.*"))):
            assert time.monotonic() < deadline, f"no worker reached the pause {point}"
            assert thread.is_alive() or not outcome, f"{point}: the request ended: {outcome}"
            time.sleep(0.02)
        # The pid is in the mark's name, which exists whole the moment the file does (its
        # content may not be written yet).
        pid = int(marks[0].name.rsplit(".", 1)[1])
        assert pid in server.workers()
        os.kill(pid, signal.SIGKILL)
        KILLS[point] += 1
        record(KILL, "kill -9 in total", sum(KILLS.values()))
        record(KILL, "kill -9 per pause point", dict(KILLS))
    finally:
        (pause / point).unlink()
        for mark in pause.glob(f"{point}.*"):
            mark.unlink()
    thread.join(timeout=60)
    ENDINGS[type(outcome[0]).__name__ if outcome and isinstance(outcome[0], Exception)
            else f"HTTP {outcome[0].status_code}" if outcome else "no answer"] += 1
    record(KILL, "the killed request, as the client saw it", dict(ENDINGS))
    assert outcome and (isinstance(outcome[0], Exception) or outcome[0].status_code >= 500), outcome
    began = time.monotonic()
    deadline = began + 30
    while len(server.workers()) < 2:  # the master replaces the killed worker
        assert time.monotonic() < deadline
        time.sleep(0.1)
    server.wait_ready()
    REPLACED.append(time.monotonic() - began)
    record(KILL, "seconds until gunicorn had replaced the worker (max)", round(max(REPLACED), 2))


REPLACED: list[float] = []


def _attempt(action: Callable[[], Any]) -> Any:
    try:
        return action()
    except requests.RequestException as error:
        return error


SWEPT: Counter[str] = Counter()


def _sweep(site: dict[str, Any], *, command: bool = False) -> str:
    """``flask uploads sweep --older-than 0`` on the instance's database and upload folder: the
    command itself in the instance's environment when ``command``, else the same click command
    in-process through the test app (same settings but the process, and no 3 s interpreter and
    app start per sweep)."""
    if command:
        out = inst.run_flask(site["env"], "uploads", "sweep", "--older-than", "0")
    else:
        result = site["app"].test_cli_runner().invoke(
            args=["uploads", "sweep", "--older-than", "0"])
        assert result.exit_code == 0, result.output
        out = result.output
    found = re.search(r"removed (\d+) temporary file\(s\), (\d+) orphan", out)
    if found:
        SWEPT["temporary files"] += int(found[1])
        SWEPT["orphan files (no row)"] += int(found[2])
        record(KILL, "files removed by `flask uploads sweep` after the upload kills", dict(SWEPT))
    return out


@pytest.mark.postgres
def test_kill_a_worker_mid_transaction(site: dict[str, Any]) -> None:
    app, city, server = site["app"], site["city"], site["server"]
    base, uploads = server.url, site["uploads"]
    city: City
    agency = inst.login(base, city.agencies[0].email, PASSWORD)
    owner = inst.login(base, city.owner.email, PASSWORD)
    eng = site["engagement"]
    counts: dict[str, int] = {}

    regulator = inst.login(base, city.regulator.email, PASSWORD)

    def external(lottery_id: str) -> Callable[[], requests.Response]:  # the second entry: logged, then drawn
        url = f"{base}/lotteries/{lottery_id}"
        return lambda: regulator.post(url + "/external", allow_redirects=False, timeout=60, data={
            "value": EXTERNAL_VALUE, "official_date": site["prepared"].official[lottery_id],
            "csrf_token": inst.token(regulator, url)})

    def upload(n: int) -> Callable[[], requests.Response]:
        body = PDF + f"% contract version {n}\n".encode()
        return lambda: agency.post(
            f"{base}/engagements/{eng}/contract", allow_redirects=False, timeout=60,
            data={"csrf_token": inst.token(agency, f"{base}/engagements/{eng}")},
            files={"file": (f"c{n}.pdf", body, "application/pdf")})

    def payment(n: int) -> Callable[[], requests.Response]:
        url = f"{base}/billing/engagements/{BILLING_ENGAGEMENT}"
        return lambda: owner.post(url + "/payments", allow_redirects=False, timeout=60, data={
            "reference": f"TX-{n}", "paid_on": today_local().isoformat(), "amount": "100",
            "csrf_token": inst.token(owner, url)})

    def sign_up(who: requests.Session, public_id: str) -> Callable[[], requests.Response]:
        return lambda: who.post(f"{base}/agency/requests/{public_id}/signup",
                                allow_redirects=False, timeout=60,
                                data={"csrf_token": inst.token(who, f"{base}/agency/requests")})

    open_request = site["prepared"].open_now[0]
    retried: Counter[str] = Counter()
    left: Counter[str] = Counter()

    def again(what: str, response: requests.Response, done: str) -> None:
        """The same operation after the kill succeeded: its redirect to the page that follows
        success (``done``, a pattern of its path), not any 302 (the login or second-factor step)."""
        assert response.status_code == 302, (what, response.status_code)
        assert re.fullmatch(done, urlsplit(response.headers["Location"]).path), (
            what, response.headers["Location"])
        retried[what] += 1
        record(KILL, "the same operation afterwards succeeded", dict(retried))

    for n in range(REPEATS):
        # (a) a draw: the external value and the draw roll back together; entered again, it draws.
        lottery_id = site["prepared"].to_draw[n]
        _kill_mid(site, "draw", external(lottery_id))
        with app.app_context():
            assert db.session.scalar(sa.select(Lottery.state).where(
                Lottery.lottery_id == lottery_id)) == "frozen"
        assert_consistent(app, uploads, KILL)
        again("draw", external(lottery_id)(), re.escape(f"/lotteries/{lottery_id}"))
        assert_consistent(app, uploads, KILL)

        # (b) an upload, killed after its file is stored and its row written (not committed),
        # and killed while its bytes are still in the temporary file: the sweep removes both.
        for point in ("upload", "upload-temp"):
            _kill_mid(site, point, upload(n * 2 + (point == "upload-temp")))
            stored, temps = _stored_files(uploads)
            with app.app_context():
                rows = set(db.session.scalars(sa.select(storage.Upload.sha256)))
            assert (stored - rows) if point == "upload" else temps, (point, stored, temps)
            if point == "upload":
                left["file without its row"] += len(stored - rows)
            else:
                left["temporary file"] += len(temps)
            record(KILL, "left behind by the upload kills (before the sweep)", dict(left))
            assert "removed" in _sweep(site)
            assert_consistent(app, uploads, KILL)
        again("upload", upload(100 + n)(), re.escape(f"/engagements/{eng}"))
        assert _sweep(site, command=n == REPEATS - 1).startswith(
            "removed 0 temporary file(s), 0 orphan")

        # (c) a ledger operation: the payment and its ledger transaction roll back together.
        with app.app_context():
            before = (db.session.query(LedgerTransaction).count(), db.session.query(Payment).count())
        _kill_mid(site, "ledger", payment(n))
        with app.app_context():
            assert (db.session.query(LedgerTransaction).count(),
                    db.session.query(Payment).count()) == before
        assert_consistent(app, uploads, KILL)
        again("ledger", payment(n)(), r"/billing/payments/\d+/receipt")

        # (d) a log append (a sign-up's register event): no leaf, no sign-up; it can sign up.
        who = inst.login(base, city.agencies[4 + n].email, PASSWORD)
        with app.app_context():
            size = log.size()
        _kill_mid(site, "log", sign_up(who, open_request))
        with app.app_context():
            assert log.size() == size
            assert db.session.query(SignUp).filter_by(
                agency_org_id=city.agencies[4 + n].org_id).count() == 0
        assert_consistent(app, uploads, KILL)
        again("log", sign_up(who, open_request)(), re.escape("/agency/signups"))
        counts["rounds"] = n + 1
        record(KILL, "rounds completed", counts["rounds"])
    # After the last kill, a full restart of the instance finds the same consistent state.
    server.stop()
    server.start()
    assert_consistent(app, uploads, KILL)
    record(KILL, "consistent after a full restart of the instance", True)
    assert counts["rounds"] == REPEATS
    with app.app_context():
        assert db.session.query(Engagement).count() == 1


# --- PostgreSQL restarted under load ----------------------------------------------------------


@pytest.mark.postgres
def test_postgres_restart_under_load(site: dict[str, Any], pg_base_url: str) -> None:
    """Readers hit pages that query the database while the server restarts: some requests fail
    for that moment, then every request succeeds again — same gunicorn, no restart."""
    base = site["server"].url
    master = site["server"].process.pid
    workers = site["server"].workers()
    lottery_id = site["prepared"].to_draw[0]
    paths = ["/transparency/checkpoint", f"/lotteries/{lottery_id}", "/notices"]
    results: list[tuple[float, int]] = []
    stop = threading.Event()

    def reader(k: int) -> None:
        s = inst.session()
        for n in range(2000):
            if stop.is_set():
                return
            try:
                status = s.get(base + paths[(n + k) % len(paths)], timeout=30).status_code
            except requests.RequestException:
                status = 0
            results.append((time.monotonic(), status))
            time.sleep(0.01)

    def until(enough: Callable[[], bool]) -> None:  # polled: the readers' pace, no fixed wait
        deadline = time.monotonic() + 60
        while not enough():
            assert time.monotonic() < deadline, f"{len(results)} requests: too few in 60 s"
            assert any(t.is_alive() for t in threads), "the readers stopped"
            time.sleep(0.05)

    threads = [threading.Thread(target=reader, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    until(lambda: len(results) >= 30)  # the pages answer before the restart
    began = time.monotonic()
    restart(pg_base_url)
    ended = time.monotonic()
    until(lambda: sum(1 for t, _s in list(results) if t > ended + 1.0) >= 30)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    before = [s for t, s in results if t < began]
    after = [s for t, s in results if t > ended + 1.0]
    failed_at = [t for t, s in results if s != 200]
    span = (results[-1][0] - results[0][0]) if results else 0.0
    record(RESTART, "readers (threads)", len(threads))
    record(RESTART, "requests in total", len(results))
    record(RESTART, "requests per second", round(len(results) / span, 1) if span else 0)
    record(RESTART, "pg_ctl restart -m fast took (s)", round(ended - began, 2))
    record(RESTART, "requests before the restart / not 200",
           f"{len(before)} / {sum(1 for s in before if s != 200)}")
    record(RESTART, "requests during the restart and the second after it / not 200",
           f"{len(results) - len(before) - len(after)} / "
           f"{sum(1 for t, s in results if began <= t <= ended + 1.0 and s != 200)}")
    record(RESTART, "requests from 1 s after the restart / not 200",
           f"{len(after)} / {sum(1 for s in after if s != 200)}")
    record(RESTART, "failed requests by status (0 = no answer)",
           dict(sorted(Counter(s for _, s in results if s != 200).items())))
    record(RESTART, "5xx answers", sum(1 for _, s in results if s >= 500))
    record(RESTART, "recovery: last failed request, seconds after the restart began",
           round(max(failed_at) - began, 2) if failed_at else "none failed")
    server: inst.Instance = site["server"]
    record(RESTART, "same gunicorn master and workers before and after",
           server.process is not None and server.process.pid == master
           and server.workers() == workers)
    assert before and all(s == 200 for s in before), before
    assert len(after) >= 20 and all(s == 200 for s in after), after
    failed = [s for _, s in results if s != 200]
    print(f"pg restart took {ended - began:.1f}s; {len(results)} requests, "
          f"{len(failed)} failed during it ({sorted(set(failed))})")
    assert_consistent(site["app"], site["uploads"], RESTART)


# --- a full disk for uploads ------------------------------------------------------------------


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    target = tmp_path / "tiny"
    target.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("full-disk test skipped: no mount command")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(target)],
                          capture_output=True, text=True, timeout=30, check=False)
    if done.returncode != 0:
        pytest.skip(f"full-disk test skipped: cannot mount a tmpfs ({done.stderr.strip()})")
    try:
        yield target
    finally:
        subprocess.run(["umount", str(target)], capture_output=True, timeout=30, check=False)


def test_full_upload_disk(tmp_path: Path, tiny_disk: Path) -> None:
    app = make_app(tmp_path, UPLOAD_DIR=str(tiny_disk))
    city = city_in(app)
    eid = engagement_id_of(app, make_award(app, city, 0))
    agency = city.client(city.agencies[0])
    # Over the disk, under werkzeug's 500 KB spooling threshold (its test client leaves spooled
    # request bodies unclosed, which the suite's warnings filter would fail on).
    big = PDF + os.urandom(400 * 1024)
    free = shutil.disk_usage(tiny_disk)
    record(DISK, "upload folder (tmpfs) size / free, kB", f"{free.total // 1024} / {free.free // 1024}")
    record(DISK, "upload size, kB", len(big) // 1024)
    r = post(agency, f"/engagements/{eid}/contract", file=(big, "big.pdf"))
    record(DISK, "answer to the upload", r.status_code)
    shown = re.search(r"存储空间不足[^<]*", r.get_data(as_text=True))
    record(DISK, "message shown", shown[0].strip() if shown else "(no storage message)")
    assert r.status_code == 400
    assert "存储空间不足，文件未保存" in r.get_data(as_text=True)
    left_files = [p for p in tiny_disk.rglob("*") if p.is_file()]
    with app.app_context():
        rows = db.session.query(storage.Upload).count()
        contract = db.session.scalar(sa.select(Engagement.contract_upload_id))
    record(DISK, "upload rows / files (incl. temporary) left after the refusal",
           f"{rows} / {len(left_files)}")
    record(DISK, "contract changed", contract is not None)
    assert rows == 0 and contract is None
    assert left_files == []
    # Space is back as soon as the refused file is gone: a normal upload works.
    small = post(agency, f"/engagements/{eid}/contract", file=(PDF, "c.pdf")).status_code
    record(DISK, "a small upload right after", small)
    assert small == 302
    assert_consistent(app, tiny_disk, DISK)
    with app.app_context():
        db.engine.dispose()

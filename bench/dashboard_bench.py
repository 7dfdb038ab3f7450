"""The logged-in dashboards (``GET /dashboard``) on the load data, per role, through the test
client: wall-clock and CPU p50/p95 of rounds of views, SQL statements per view, and optionally
a cProfile breakdown.

    .venv/bin/python bench/dashboard_bench.py --db /tmp/load.db            # this tree
    .venv/bin/python bench/dashboard_bench.py --db /tmp/load.db --tree /tmp/main --tree .
    .venv/bin/python bench/dashboard_bench.py --db /tmp/load.db --profile regulator
    .venv/bin/python bench/dashboard_bench.py --db /tmp/load.db --page /engagements/

``--page`` measures another logged-in page the same way (default ``/dashboard``).

``--db`` is a SQLite file filled by ``flask demo generate-load`` (or ``--generate`` makes one in
a temporary folder).  Each tree is measured on its own copy of that file, upgraded by its own
migrations, in its own process (so two trees — main through ``git archive`` and this branch —
run back to back, their rounds alternating).  The accounts are those of the generated data: the
owner and the agency in the middle of their lists, the regulator (a witness of many open
lotteries), the operator, and a department's staff member (added to the copy when the data has
none).  One view per role before the rounds warms the process and does what a first view does
(lazy closes and engagements); the app runs with ``MARKET_ENV=production``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv/bin/python")
FLASK = str(ROOT / ".venv/bin/flask")
ROLES = ("owner", "agency", "regulator", "operator", "department")


def _env(work: Path, db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARKET_")}
    return {**env, "FLASK_APP": "market", "MARKET_ENV": "production",
            "MARKET_SECRET_KEY": secrets.token_hex(32), "MARKET_DATABASE_URL": f"sqlite:///{db}",
            "MARKET_SIGNING_KEY_FILE": str(work / "signing_key.pem"),
            "MARKET_DATA_KEY": secrets.token_hex(32), "MARKET_INSTANCE_PATH": str(work / "inst"),
            "MARKET_UPLOAD_DIR": str(work / "uploads"), "MARKET_LOGIN_LIMIT": "1000 per minute",
            # the regulator's, operator's and department's dashboards are measured, not their
            # second login step (动态口令), which the generated accounts have not set up
            "MARKET_SECOND_FACTOR_ROLES": "none",
            "MARKET_LOGIN_IP_LIMIT": "1000 per minute",
            "MARKET_LOG_ORIGIN": "bench.market.example/draws",
            "MARKET_SITE_NAME": "基准测试中介服务超市", "MARKET_SITE_URL": "http://127.0.0.1",
            "MARKET_OCDS_OCID_PREFIX": "ocds-bench1"}


# --- inside one tree's process ----------------------------------------------------------------

def _accounts(app: Any) -> dict[str, str]:
    """The e-mail of each role's account (a department's staff member is added if none)."""
    import sqlalchemy as sa

    from market import timeutil
    from market.accounts.models import Membership, Organisation, User
    from market.accounts.passwords import hash_password
    from market.accounts.tenants import home_tenant
    from market.db import db

    with app.app_context():
        def first(sql: str, **params: Any) -> str:
            found = db.session.execute(sa.text(sql), params).scalars().all()
            return str(found[len(found) // 2]) if found else ""

        base = ("SELECT u.email FROM user_account u JOIN membership m ON m.user_id = u.id "
                "WHERE m.role = :role AND u.email LIKE '%@generated.yunchuan.demo' "
                "ORDER BY u.id")
        found = {"owner": first(base, role="owner_admin"),
                 "agency": first(base, role="agency_admin"),
                 "regulator": first(base + " LIMIT 1", role="regulator"),
                 "operator": first(base + " LIMIT 1", role="operator")}
        staff = db.session.scalar(sa.select(User.email).join(
            Membership, Membership.user_id == User.id).where(
            Membership.role == "department_staff").order_by(User.id).limit(1))
        if staff is None:
            now = timeutil.now()
            org = Organisation(kind="department", name="云川市生态环境局（基准测试）",
                               status="active", public_id="DP-BENCH1", created_at=now,
                               tenant_id=home_tenant().id)
            user = User(email="department-bench@generated.yunchuan.demo", name="部门工作人员",
                        password_hash=hash_password(_password()), account_id="U-BENCH1",
                        created_at=now, password_changed_at=now)
            db.session.add_all([org, user])
            db.session.flush()
            db.session.add(Membership(user_id=user.id, organisation_id=org.id,
                                      role="department_staff", created_at=now))
            db.session.commit()
            staff = user.email
        found["department"] = staff
    return found


def _password() -> str:
    from devdata.loadgen.agencies import GENERATED_PASSWORD

    return GENERATED_PASSWORD


def _login(client: Any, email: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token is not None, "no CSRF token on /login"
    answer = client.post("/login", data={"csrf_token": token.group(1), "email": email,
                                         "password": _password()})
    assert answer.status_code == 302, f"login of {email} answered {answer.status_code}"


def worker(roles: list[str], views: int, rounds: int, profile: str | None,
           out: Path, page: str = "/dashboard") -> None:
    """Measure in this process (the tree is the current directory)."""
    sys.path.insert(0, os.getcwd())
    import sqlalchemy as sa

    import market
    from market import create_app
    from market.db import db

    assert Path(market.__file__).resolve().parent == Path.cwd() / "market", market.__file__
    app = create_app()
    accounts = _accounts(app)
    statements = [0]
    show_sql = [False]  # set while one view per role prints its statements (--sql)

    with app.app_context():
        @sa.event.listens_for(db.engine, "before_cursor_execute")
        def count(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
            statements[0] += 1
            if show_sql[0]:
                print("   SQL", " ".join(sql.split())[:300])

    result: dict[str, Any] = {"accounts": accounts, "roles": {}}
    clients = {}
    for role in roles:
        client = app.test_client()
        _login(client, accounts[role])
        t = time.perf_counter()
        first = client.get(page)
        assert first.status_code == 200, (role, first.status_code)
        clients[role] = client
        result["roles"][role] = {"first_ms": 1000 * (time.perf_counter() - t),
                                 "bytes": len(first.data), "wall": [], "cpu": [],
                                 "statements": 0}
    if os.environ.get("DASHBOARD_BENCH_SQL"):
        for role in roles:
            print(f"== {role}: the statements of one view")
            show_sql[0] = True
            clients[role].get(page)
            show_sql[0] = False
        return
    if profile is not None:
        import cProfile
        import pstats

        client = clients[profile]
        prof = cProfile.Profile(time.process_time)  # CPU: the machine is shared
        prof.enable()
        for _ in range(views):
            client.get(page)
        prof.disable()
        prof.dump_stats(str(out) + ".prof")
        stats = pstats.Stats(prof)
        if os.environ.get("DASHBOARD_BENCH_CALLEES"):
            stats.sort_stats("cumulative").print_callees(os.environ["DASHBOARD_BENCH_CALLEES"])
        if os.environ.get("DASHBOARD_BENCH_STATS"):
            stats.sort_stats("cumulative").print_stats(int(os.environ["DASHBOARD_BENCH_STATS"]))
        print(breakdown(stats, views))
        return
    for _ in range(rounds):
        for role in roles:
            client, row = clients[role], result["roles"][role]
            before = statements[0]
            for _ in range(views):
                t, c = time.perf_counter(), time.process_time()
                answer = client.get(page)
                row["wall"].append(1000 * (time.perf_counter() - t))
                row["cpu"].append(1000 * (time.process_time() - c))
                assert answer.status_code == 200, (role, answer.status_code)
            row["statements"] = (statements[0] - before) / views
    out.write_text(json.dumps(result), encoding="utf-8")


# Where a dashboard's time goes: (label, file path ending, function name), cumulative.
PARTS = (
    ("whole request (test client)", "flask/app.py", "wsgi_app"),
    ("session and user (sessions.resume)", "accounts/sessions.py", "resume"),
    ("the view (everything below but the session)", "accounts/views.py", "_dashboard"),
    ("  open invitations", "accounts/invitations.py", "pending_for_user"),
    ("render_template (base.html, dashboard and what they call)", "flask/templating.py",
     "render_template"),
    ("  clock board", "engagements/views.py", "_clock_board"),
    ("    engagements.sync_from_awards", "engagements/operations.py", "sync_from_awards"),
    ("    clocks.refresh_stale_open", "clocks/store.py", "refresh_stale_open"),
    ("    board.open_clocks (owner, agency)", "clocks/board.py", "open_clocks"),
    ("    board.urgent (regulator)", "clocks/board.py", "urgent"),
    ("  draw tasks (tasks.my_tasks)", "selection/tasks.py", "my_tasks"),
    ("  dashboard.tasks (this module's lists)", "accounts/dashboard.py", "for_dashboard"),
    ("  gettext in templates", "jinja2/ext.py", "_gettext_alias"),
    ("  url_for", "flask/app.py", "url_for"),
    ("  CSRF tokens (action_form)", "flask_wtf/csrf.py", "generate_csrf"),
    ("lazy relationship loads", "orm/strategies.py", "_load_for_state"),
    ("SQL: cursor.execute", "~", "<method 'execute' of 'sqlite3.Cursor' objects>"),
    ("commit", "orm/session.py", "commit"),
)


def breakdown(stats: Any, views: int) -> str:
    """Cumulative time of each part of ``PARTS``, per view and as a share of the request."""
    found: dict[str, tuple[float, int]] = {}
    for (path, _line, func), (_cc, calls, _tt, cum, _callers) in stats.stats.items():
        for label, ending, name in PARTS:
            if func == name and (path == ending or path.endswith(ending)):
                was = found.get(label, (0.0, 0))
                found[label] = (was[0] + cum, was[1] + calls)
    whole = found.get(PARTS[0][0], (1.0, 1))[0]
    lines = ["| part | ms per view | share | calls per view |", "|---|---:|---:|---:|"]
    for label, _ending, _name in PARTS:
        if label in found:
            cum, calls = found[label]
            lines.append(f"| {label} | {1000 * cum / views:.1f} | {100 * cum / whole:.0f}% "
                         f"| {calls / views:g} |")
    return "\n".join(lines)


# --- the driver -------------------------------------------------------------------------------

def _prepare(tree: Path, source: Path, work: Path) -> dict[str, str]:
    """A copy of the data for ``tree``, upgraded by the tree's own migrations."""
    work.mkdir(parents=True, exist_ok=True)
    db = work / "load.db"
    shutil.copyfile(source, db)
    env = _env(work, db)
    subprocess.run([FLASK, "transparency", "keygen", str(work / "signing_key.pem")], cwd=tree,
                   env={**env, "MARKET_ENV": "development"}, check=True, capture_output=True)
    subprocess.run([FLASK, "db", "upgrade"], cwd=tree, env=env, check=True,
                   capture_output=True)
    return env


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(q) - 1]


def _generate(work: Path) -> Path:
    db = work / "generated.db"
    env = {**_env(work, db), "MARKET_ENV": "development"}
    subprocess.run([FLASK, "transparency", "keygen", str(work / "signing_key.pem")], cwd=ROOT,
                   env=env, check=True, capture_output=True)
    subprocess.run([FLASK, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([FLASK, "demo", "generate-load", "--leaves", "100000"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    return db


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="a SQLite file from flask demo generate-load")
    parser.add_argument("--generate", action="store_true", help="make the data first")
    parser.add_argument("--tree", action="append", type=Path,
                        help="a source tree to measure (repeatable; default: this one)")
    parser.add_argument("--roles", default=",".join(ROLES))
    parser.add_argument("--views", type=int, default=20, help="views per role per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", choices=ROLES, help="cProfile this role's views instead")
    parser.add_argument("--page", default="/dashboard", help="the page to view")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help="write the markdown table here")
    args = parser.parse_args()
    roles = args.roles.split(",")
    if args.worker is not None:
        worker(roles, args.views, args.rounds, args.profile, args.worker, args.page)
        return 0
    trees = [t.resolve() for t in (args.tree or [ROOT])]
    work = Path(tempfile.mkdtemp(prefix="dashboard-bench-"))
    try:
        source = _generate(work) if args.generate else args.db
        if source is None:
            parser.error("--db or --generate")
        envs = {t: _prepare(t, source, work / f"tree{i}") for i, t in enumerate(trees)}
        load = [os.getloadavg()[0]]
        runs: dict[Path, list[dict[str, Any]]] = {t: [] for t in trees}
        rounds = 1 if args.profile else args.rounds
        for r in range(rounds):
            for t in trees:
                out = work / f"r{r}-{trees.index(t)}.json"
                cmd = [PYTHON, str(ROOT / "bench/dashboard_bench.py"), "--worker", str(out),
                       "--roles", ",".join(roles), "--views", str(args.views), "--rounds", "1",
                       "--page", args.page]
                if args.profile:
                    cmd += ["--profile", args.profile]
                subprocess.run(cmd, cwd=t, env=envs[t], check=True, timeout=1800)
                if not args.profile:
                    runs[t].append(json.loads(out.read_text(encoding="utf-8")))
            load.append(os.getloadavg()[0])
        if args.profile:
            return 0
        lines = [f"Load average (1 min) at the start of each round and at the end: "
                 f"{' → '.join(f'{x:.1f}' for x in load)}", "",
                 "| tree | role (account) | first view | p50 | p95 | CPU p50 | CPU p95 "
                 "| statements | page size |", "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
        for t in trees:
            for role in roles:
                rows = [run["roles"][role] for run in runs[t]]
                wall = [x for row in rows for x in row["wall"]]
                cpu = [x for row in rows for x in row["cpu"]]
                who = runs[t][0]["accounts"][role].split("@")[0]
                lines.append(
                    f"| {t.name} | {role} ({who}) | {statistics.median(r['first_ms'] for r in rows):.0f} ms "
                    f"| {statistics.median(wall):.1f} ms | {_pct(wall, 95):.1f} ms "
                    f"| {statistics.median(cpu):.1f} ms | {_pct(cpu, 95):.1f} ms "
                    f"| {rows[-1]['statements']:.0f} "
                    f"| {rows[-1]['bytes'] // 1024} KiB |")
        text = "\n".join(lines)
        print(text)
        if args.out:
            args.out.write_text(text + "\n", encoding="utf-8")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

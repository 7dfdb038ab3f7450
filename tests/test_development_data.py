"""Development data (devdata/: the demo city, synthetic agencies, load) stays out of the product:
nothing in market/, billing/ or lottery/ imports it or the tests, and a production app has
none of its commands and never loads its code."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from market.accounts import operations as ops
from market.accounts.models import Organisation, OrgKind
from market.db import db
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


def _flask(tmp_path: Path, env: str, *args: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("MARKET_", "FLASK_"))}
    environ.update({**PRODUCTION, "MARKET_ENV": env, "FLASK_APP": "market",
                    "MARKET_INSTANCE_PATH": str(tmp_path / env / "instance"),
                    "MARKET_DATABASE_URL": f"sqlite:///{tmp_path / env / 'db.sqlite'}"})
    return subprocess.run([str(Path(sys.executable).parent / "flask"), *args], cwd=ROOT,
                          env=environ, text=True, capture_output=True, timeout=120, check=False)


@pytest.mark.parametrize("env", ["production", "development"])
def test_development_commands_exist_only_outside_production(tmp_path: Path, env: str) -> None:
    listing = _flask(tmp_path, env, "--help")
    assert listing.returncode == 0, listing.stderr
    commands = {line.split()[0] for line in listing.stdout.split("Commands:")[1].splitlines()
                if line.strip()}
    assert {"backup", "transparency", "uploads"} <= commands  # the product's own
    if env == "production":
        assert commands.isdisjoint({"demo", "agencies"}), commands
        refused = _flask(tmp_path, env, "demo", "load")
        assert refused.returncode == 2 and "No such command 'demo'" in refused.stderr
    else:
        assert {"demo", "agencies"} <= commands


def test_a_production_app_never_loads_development_code(tmp_path: Path) -> None:
    """In a fresh process: create the production app, list its commands, and look at which
    modules came in."""
    script = ("import sys\nfrom market import create_app\napp = create_app()\n"
              "print(sorted(app.cli.list_commands(None)))\n"
              "print(sorted(m for m in sys.modules if m.split('.')[0] in ('devdata', 'tests')))\n")
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("MARKET_", "FLASK_"))}
    environ.update({**PRODUCTION, "MARKET_INSTANCE_PATH": str(tmp_path / "instance"),
                    "MARKET_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"})
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=environ, text=True,
                          capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    commands, loaded = done.stdout.splitlines()
    assert "'uploads'" in commands and "'demo'" not in commands and "'agencies'" not in commands
    assert loaded == "[]"


def test_demo_load_on_a_loaded_database_still_prints_the_logins(app: Flask) -> None:
    """``make run`` runs ``flask demo load`` every time: the second run loads nothing and
    still shows a newcomer how to log in."""
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "Demo data loaded" in first.output
    with app.app_context():
        organisations = db.session.scalar(sa.select(sa.func.count(Organisation.id)))
    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 0, again.output
    assert "already loaded" in again.output
    for email in ("operator@yunchuan.demo", "owner1@yunchuan.demo", "agency1@yunchuan.demo",
                  "regulator1@yunchuan.demo", "owner5@yunchuan.demo"):
        assert email in again.output
    assert again.output.count("@yunchuan.demo") == first.output.count("@yunchuan.demo")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Organisation.id))) == organisations


def test_demo_load_leaves_someone_elses_data_alone(app: Flask) -> None:
    with app.app_context():
        ops.create_organisation(OrgKind.OPERATOR, "另一个平台的运营方")
        db.session.commit()
    done = app.test_cli_runner().invoke(args=["demo", "load"])
    assert done.exit_code == 0, done.output
    assert "not the demo's" in done.output and "@yunchuan.demo" not in done.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Organisation.id))) == 1

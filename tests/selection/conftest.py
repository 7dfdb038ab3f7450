"""A small city for selection tests: one service type, an owner with a delegate, a regulator,
an operator, and admitted agencies that list the service."""

from __future__ import annotations

import atexit
import copy
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from market import timeutil
from market.accounts.models import Organisation
from market.agencies.models import Listing
from market.catalogue.models import ServiceType
from market.db import db
from tests.conftest import Person, create_person, login
from tests.support import schema
from tests.support.live import serve

# A Monday morning in Beijing (01:00 UTC); nothing in the test depends on the real clock.
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@dataclass
class City:
    app: Flask
    owner: Person
    delegate: Person
    regulator: Person
    operator: Person
    agencies: list[Person] = field(default_factory=list)
    clients: dict[str, FlaskClient] = field(default_factory=dict)
    # the regulator's opening key file (registered when the city is built): sealed bids can be
    # published, and opened by presenting it (tests.support.opening)
    regulator_key: dict[str, Any] = field(default_factory=dict)
    # the provincial operator, made when a test first needs it (provincial_operator)
    keeper: Person | None = None

    def client(self, who: Person) -> FlaskClient:
        if who.email not in self.clients:
            c = self.app.test_client()
            assert login(c, who.email).status_code == 302
            self.clients[who.email] = c
        return self.clients[who.email]

    def agency_id(self, who: Person) -> str:
        with self.app.app_context():
            return db.session.get(Organisation, who.org_id).public_id


def provincial_operator(city: City) -> Person:
    """A person of the provincial operator (省级运营方), the one that keeps the shared catalogue
    and the draw schedule; ``city.operator`` is the city's and only reads them."""
    if city.keeper is None:
        city.keeper = create_person(city.app, "operator", provincial=True)
    return city.keeper


def add_listing(app: Flask, org_id: int, code: str = "EIA") -> None:
    with app.app_context():
        st = db.session.query(ServiceType).filter_by(code=code).one()
        db.session.add(Listing(organisation_id=org_id, service_type_id=st.id, version=1,
                               fee_low_fen=30_000_00, fee_kind="fixed", amount_fen=30_000_00,
                               committed_days=20, effective_from=START))
        db.session.commit()


def confirm_draw_years(app: Flask, years: tuple[int, ...] = (), no_draw: str = "") -> None:
    """Confirm test draw schedules: 2026-2027 and the years around today (the proof tests run
    on the real clock). The 2026 Spring Festival pause is a test's guess; no test depends on
    the real one."""
    today = datetime.now(UTC).year
    years = years or tuple(sorted({2026, 2027, today - 1, today, today + 1}))
    from market.selection.external import save_draw_year

    with app.app_context():
        for year in years:
            pause = no_draw or (f"{year}-02-16..{year}-02-22" if year == 2026 else "")
            save_draw_year(year, ssq_text=pause, fc3d_text=pause, source="test", confirmed=True,
                           user_id=None)
        db.session.commit()


def build_city(app: Flask, agencies: int = 5) -> City:
    """Service type EIA, an owner with a delegate, a regulator, an operator, and ``agencies``
    admitted agencies that list EIA."""
    with timeutil.frozen(START):
        with app.app_context():
            db.session.add(ServiceType(code="EIA", name="环境影响评价", name_en="EIA",
                                       qualification_types=[], practitioner_types=[]))
            db.session.commit()
        owner = create_person(app, "owner_admin")
        delegate = create_person(app, "owner_delegate", org_id=owner.org_id)
        c = City(app, owner, delegate, create_person(app, "regulator"),
                 create_person(app, "operator"))
        for _ in range(agencies):
            agency = create_person(app, "agency_admin")
            add_listing(app, agency.org_id)
            c.agencies.append(agency)
        confirm_draw_years(app)
        c.regulator_key = register_key(app, c.regulator)
    return c


def register_key(app: Flask, who: Person) -> dict[str, Any]:
    """Register an opening key for a regulator (the operation; the route is tested apart)."""
    from market.accounts.models import User
    from market.selection import opening
    from tests.support.opening import new_key_file

    key_file = new_key_file()
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == who.email))
        opening.register_key(user, key_file["public_key"])
        db.session.commit()
    return key_file


@pytest.fixture
def city(app: Flask) -> City:
    """:func:`build_city` in the test's fresh database, copied from the one the session built
    first when the database is a new SQLite file (the same rows, written the same way)."""
    return city_in(app)


@pytest.fixture
def site(city: City) -> Iterator[str]:
    """The city served on loopback, for the browser tests."""
    with serve(city.app) as url:
        yield url


# the database file build_city() made once per session, and the city it holds
_CITY_SNAPSHOT: tuple[Path, City] | None = None


def city_in(app: Flask) -> City:
    """The default city (five agencies) in ``app``'s database: restored from the session's
    snapshot when ``app`` is an untouched SQLite database, else built."""
    global _CITY_SNAPSHOT
    path = schema.sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"])
    if path is None or not _is_empty(app):
        return build_city(app)
    if _CITY_SNAPSHOT is None:
        folder = Path(tempfile.mkdtemp(prefix="market-city-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        from tests.conftest import make_app

        # make_app points MARKET_INSTANCE_PATH at its folder: give the test its own back
        instance = os.environ.get("MARKET_INSTANCE_PATH")
        builder = make_app(folder)
        built = build_city(builder)
        with builder.app_context():
            db.session.remove()
            db.engine.dispose()
        if instance is not None:
            os.environ["MARKET_INSTANCE_PATH"] = instance
        _CITY_SNAPSHOT = (folder / "test.db", built)
    snapshot, built = _CITY_SNAPSHOT
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    schema.copy_private(snapshot, path)
    return City(app, built.owner, built.delegate, built.regulator, built.operator,
                list(built.agencies), {}, copy.deepcopy(built.regulator_key))


def _is_empty(app: Flask) -> bool:
    """No table of ``app``'s database holds a row."""
    with app.app_context():
        names = sa.inspect(db.engine).get_table_names()
        query = " UNION ALL ".join(f'SELECT 1 FROM "{n}"' for n in names)  # noqa: S608
        found = db.session.execute(sa.text(f"SELECT EXISTS ({query})")).scalar() if names else 0
        db.session.remove()
    return not found


def enter_external(city: City, lottery_id: str, external_at: datetime,
                   value: str = "3 7 12 19 25 31 + 9", people: tuple[Person, ...] = ()) -> None:
    """Type a welfare-lottery result twice through the page: the operator, then the regulator
    (the two entries an external value needs before it is logged)."""
    from tests.conftest import csrf_token

    official = external_at.astimezone(timeutil.SHANGHAI).date().isoformat()
    for who in people or (city.operator, city.regulator):
        c = city.client(who)
        r = c.post(f"/lotteries/{lottery_id}/external", data={
            "value": value, "official_date": official,
            "csrf_token": csrf_token(c, f"/lotteries/{lottery_id}")})
        assert r.status_code == 302, r.get_data(as_text=True)[-2000:]

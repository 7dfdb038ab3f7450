"""Synthetic admitted agencies in bulk (``flask agencies generate``), for benchmarks and load
tests: organisations, profiles, one qualification each, listings with their first version and,
optionally, one administrator account per agency.

Rows go in in bulk (:func:`insert_rows`, also used by the rest of :mod:`devdata.loadgen`; no ORM, no audit
trail: nobody did these things), so this module writes what the ORM events and operations
would have kept in step: each listing's copy of its organisation's directory state
(``listing.admitted`` / ``region`` / ``tenant_id``, see
:func:`market.agencies.models.directory_state`),
the profile's lowest fee and fastest days
(:func:`market.agencies.operations.refresh_profile_figures`), and the directory's cached pages
marked stale (:func:`market.pagecache.invalidate`).  Works on an empty migrated database or on
top of existing data (ids continue after the largest ones; credit codes use their own
organisation-code range ``GN…``).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from market import timeutil
from market.accounts.models import OrgKind, OrgStatus, Role
from market.accounts.passwords import hash_password
from market.accounts.tenants import home_tenant
from market.agencies.models import directory_state
from market.catalogue.seed import BY_CODE, SERVICE_TYPES
from market.config import refuse_published_passwords_in_production
from market.db import db
from market.domain.codes import make_credit_code
from market.pagecache import invalidate

if TYPE_CHECKING:
    from devdata.loadgen.province import Tenant

agencies_cli = AppGroup("agencies", help="Agencies: synthetic data for benchmarks.")

CODES = ("EIA", "FSR", "DES", "DRR", "COST", "SURV", "SAFE", "SWC")
REGIONS = ("云川市东城区", "云川市西岭区", "云川市南湖区", "云川市北江区", "云川市青石县")
LEVELS = ("甲级", "乙级", "丙级")
# The published password of every generated agency account (fictional city, synthetic data).
GENERATED_PASSWORD = "yunchuan-generated-2026"  # noqa: S105
BATCH = 5000

Progress = Callable[[str], None]


@dataclass(frozen=True)
class GeneratedAgencies:
    """Ids of what was made: organisations ``first_id..last_id``; users, if any, follow."""

    first_id: int
    last_id: int
    listings: int
    first_user_id: int | None


def next_id(table: str, column: str = "id") -> int:
    """The first free id of ``table`` (ids are assigned here, not by the database)."""
    t = db.metadata.tables[table]
    return int(db.session.scalar(sa.select(sa.func.max(t.c[column]))) or 0) + 1


def home_tenant_id() -> int:
    """The tenant generated organisations and requests belong to: the first one (the one-city
    platform the load matrix measures; agencies are on the province's one register anyway)."""
    return home_tenant().id


def insert_rows(table: str, rows: Iterable[dict[str, Any]], batch: int = BATCH) -> int:
    """Insert plain rows in batches, in the current transaction; returns how many.

    Faster than Core's ``executemany`` for millions of rows: the columns' own bind processors
    convert the values, then the driver takes them directly (``executemany`` on SQLite,
    ``COPY`` on PostgreSQL).  A column some rows of a batch leave out is NULL in them; one
    that all leave out gets its default."""
    t = db.metadata.tables[table]
    count = 0
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= batch:
            _insert_chunk(t, chunk)
            count += len(chunk)
            chunk = []
    if chunk:
        _insert_chunk(t, chunk)
        count += len(chunk)
    return count


def _insert_chunk(t: sa.Table, chunk: list[dict[str, Any]]) -> None:
    conn = db.session.connection()
    dialect = conn.dialect
    given = {k for row in chunk for k in row}
    defaults = {c.name: (c.default.arg(None) if c.default.is_callable else c.default.arg)
                for c in t.columns if c.name not in given
                and isinstance(c.default, sa.ColumnDefault) and not c.default.is_clause_element}
    names = [c.name for c in t.columns if c.name in given or c.name in defaults]
    procs = [t.c[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names]
    values = [tuple(p(v) if p is not None else v for p, v in zip(
        procs, (row.get(n, defaults.get(n)) for n in names), strict=True)) for row in chunk]
    quoted = ", ".join(dialect.identifier_preparer.quote(n) for n in names)
    raw: Any = conn.connection.driver_connection
    if dialect.name == "postgresql":
        with raw.cursor() as cur, cur.copy(f"COPY {t.name} ({quoted}) FROM STDIN") as copy:
            for v in values:
                copy.write_row(v)
    else:
        raw.cursor().executemany(f"INSERT INTO {t.name} ({quoted}) "  # noqa: S608  # our names
                                 f"VALUES ({', '.join('?' * len(names))})", values)


def fix_sequences(tables: Iterable[str]) -> None:
    """PostgreSQL: move each serial ``id`` sequence past the ids inserted explicitly."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        db.session.execute(sa.text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608  # our names
            f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"))


def analyze() -> None:
    """Fresh planner statistics after a bulk load (both databases plan from them)."""
    db.session.commit()
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
    else:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(sa.text("VACUUM ANALYZE"))


def service_type_ids() -> dict[str, int]:
    """The catalogue's service types by code, adding the demo's eight if they are missing."""
    st = db.metadata.tables["service_type"]
    have = dict(db.session.execute(sa.select(st.c.code, st.c.id)).all())
    missing = [seed for seed in SERVICE_TYPES if seed.code not in have]
    if missing:
        first = next_id("service_type")
        insert_rows("service_type", ({
            "id": first + i, "code": seed.code, "name": seed.name, "name_en": seed.name_en,
            "qualification_types": [], "practitioner_types": [],
            "deliverables": seed.deliverables, "contract_template": ""}
            for i, seed in enumerate(missing)))
        fix_sequences(["service_type"])
        have = dict(db.session.execute(sa.select(st.c.code, st.c.id)).all())
    return {code: have[code] for code in CODES if code in have}


def generate_agencies(agencies: int, listings: int, *, seed: int = 4, users: bool = True,
                      password_hash: str | None = None, progress: Progress | None = None,
                      spread: Sequence[Tenant] = (),
                      ) -> GeneratedAgencies:
    """Add ``agencies`` admitted agencies with ``listings`` listings between them (spread
    evenly, at most one per service type each), in the current transaction; the caller
    commits.  ``users``: one agency administrator per agency, password
    :data:`GENERATED_PASSWORD` unless ``password_hash`` is given.  ``spread``: the tenants
    where they applied, in turn (the region is the tenant's name); by default the first
    tenant, in the five districts of :data:`REGIONS`."""
    types = service_type_ids()
    codes = list(types)
    if agencies < 0 or listings < 0 or listings > agencies * len(codes):
        raise click.UsageError(f"listings must be between 0 and {len(codes)} per agency")
    say = progress or (lambda _msg: None)
    rng = random.Random(seed)  # noqa: S311  # synthetic data
    now = timeutil.now().replace(microsecond=0)
    today = timeutil.today_local()
    first = next_id("organisation")
    home = home_tenant_id()
    first_user = next_id("user_account") if users else None
    first_listing = next_id("listing")
    first_version = next_id("listing_version")
    first_qual = next_id("qualification")
    first_member = next_id("membership")
    pw = password_hash or (hash_password(GENERATED_PASSWORD) if users else "")
    per, extra = divmod(listings, agencies) if agencies else (0, 0)
    made = 0
    started = time.perf_counter()
    for start in range(0, agencies, BATCH):
        ids = range(first + start, first + min(start + BATCH, agencies))
        offers = {i: rng.sample(codes, per + (1 if i - first < extra else 0)) for i in ids}
        orgs, profiles, quals, rows, versions, people, members = [], [], [], [], [], [], []
        for i in ids:
            if spread:
                where = spread[i % len(spread)]
                region, tenant, town = where.name, where.id, where.name[:2]
            else:
                region, tenant, town = REGIONS[i % len(REGIONS)], home, "云川"
            admitted, copy, copied_tenant = directory_state(
                OrgKind.AGENCY.value, OrgStatus.ADMITTED.value, region, tenant)
            orgs.append({"id": i, "public_id": f"AG-{i:06d}", "kind": OrgKind.AGENCY.value,
                         "name": f"{town}第{i}号工程咨询有限公司", "region": region,
                         "credit_code": make_credit_code(f"91539900GN{i:07d}"),
                         "status": OrgStatus.ADMITTED.value, "created_at": now,
                         "tenant_id": tenant})
            fees = []
            for code in offers[i]:
                fee = rng.randrange(5_000, 300_000) * 100
                days = rng.randint(5, 60)
                fees.append((fee, days))
                values = {"fee_kind": "fixed", "amount_fen": fee, "committed_days": days,
                          "effective_from": now}
                lid = first_listing + made
                rows.append({"id": lid, "organisation_id": i, "service_type_id": types[code],
                             "version": 1, "fee_low_fen": fee, "admitted": admitted,
                             "region": copy, "tenant_id": copied_tenant, **values})
                versions.append({"id": first_version + made, "listing_id": lid, "version": 1,
                                 **values})
                made += 1
            profiles.append({
                "organisation_id": i, "legal_representative": f"法定代表人{i}号",
                "authorised_representative": f"业务授权人{i}号", "contact_phone": "",
                "contact_email": "", "orders": 0, "admitted_at": now,
                "rating_centi": rng.choice((None, rng.randint(100, 500))),
                "min_fee_fen": min((f for f, _ in fees), default=None),
                "min_days": min((d for _, d in fees), default=None)})
            qual_type = BY_CODE[offers[i][0]].qualification_type if offers[i] else "工程咨询单位资信"
            quals.append({
                "id": first_qual + i - first, "organisation_id": i,
                "qualification_type": qual_type, "level": rng.choice(LEVELS),
                "number": f"Q{i}", "issuer": "云川市主管部门", "valid_from": date(2020, 1, 1),
                "valid_until": today + timedelta(days=365 * 3), "status": "approved",
                "submitted_at": now, "reviewed_at": now})
            if first_user is not None:
                uid = first_user + i - first
                people.append({"id": uid, "account_id": f"U-{uid:06d}",
                               "email": f"agency-{i}@generated.yunchuan.demo",
                               "name": f"业务授权人 {i}号", "password_hash": pw, "active": True,
                               "created_at": now, "password_changed_at": now})
                members.append({"id": first_member + i - first, "user_id": uid,
                                "organisation_id": i, "role": Role.AGENCY_ADMIN.value,
                                "created_at": now})
        for table, batch in (("organisation", orgs), ("agency_profile", profiles),
                             ("qualification", quals), ("listing", rows),
                             ("listing_version", versions), ("user_account", people),
                             ("membership", members)):
            insert_rows(table, batch)
        say(f"  agencies {start + len(ids):,}/{agencies:,}, listings {made:,} "
            f"({time.perf_counter() - started:.0f} s)")
    fix_sequences(["organisation", "qualification", "listing", "listing_version",
                   "user_account", "membership"])
    invalidate()  # Core inserts skip the ORM events that mark cached directory pages stale
    return GeneratedAgencies(first, first + agencies - 1, made, first_user)


@agencies_cli.command("generate")
@click.option("--agencies", default=10_000, show_default=True, help="admitted agencies to add")
@click.option("--listings", default=40_000, show_default=True,
              help="listings between them (at most 8 per agency)")
@click.option("--users/--no-users", default=True, show_default=True,
              help=f"one administrator account per agency (password {GENERATED_PASSWORD})")
@click.option("--seed", default=4, show_default=True)
def generate_command(agencies: int, listings: int, users: bool, seed: int) -> None:
    """Add synthetic admitted agencies with listings (benchmarks and load tests)."""
    refuse_published_passwords_in_production()
    t = time.perf_counter()
    made = generate_agencies(agencies, listings, seed=seed, users=users, progress=click.echo)
    analyze()
    click.echo(f"Added {agencies:,} agencies (AG-{made.first_id:06d} … AG-{made.last_id:06d}) "
               f"with {made.listings:,} listings in {time.perf_counter() - t:.1f} s.")


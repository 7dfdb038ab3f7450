"""Clock lists for the dashboards (时限看板): every open clock an organisation can see, with
its state and due date, computed from the stored tallies in one query.

The regulator's views cover every open clock of the city, so they do not compute a view per
clock: SQL classifies and sorts the rows by the stored ``due_date`` (see
:mod:`market.clocks.store`) and only the rows shown get a full
:func:`~market.domain.clock.finish`.  For a running clock whose last event is not after ``now``
(``today`` its local date, ``warn = add_working_days(today, warning_days)``):

* overdue  ⇔ ``due_date < today``            (late: today > due)
* warning  ⇔ ``today <= due_date <= warn``   (remaining = working days in (today, due] <= w)
* normal   ⇔ ``due_date > warn``

``w`` is the clock's tenant's warning lead time (``Clock.tenant_id``; the province's where
the tenant has none of its own), so ``warn`` is one date per distinct lead time, read once per
request (:func:`market.clocks.store.warning_overrides`).  The dashboard order of running
clocks is the state, then the earliest due date (an overdue clock: overdue the longest, by the
date, the same measure for every tenant whatever its local days): while every tenant has the
same lead time that is ``ORDER BY due_date``; otherwise ``ORDER BY`` the state, then
``due_date``.  A
paused clock is "paused" whatever its dates; paused clocks sort after running ones, by how far
they are past their limit and then by the due date they would have if resumed today (computed
in Python from two light columns, and only when fewer running clocks than the page shows).
The rare clock whose last event lies after ``now`` (a second ahead, see ``clocks._at``) is
finished in Python like before.  The tests compare all of this with :func:`open_clocks`.

A clock belongs to an engagement (signing, service, review) or to an approval case; the board
shows their public ids, parties and subjects.  Those areas sit above this one, so each tells
the board how to join its rows (:class:`Holder`, connected by ``create_app`` through
:func:`connect`) instead of the board importing them.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from market import timeutil
from market.accounts.models import Organisation
from market.accounts.scope import ListScope, Reach
from market.catalogue.regulators import regulates
from market.clocks import store as clocks
from market.clocks.models import Clock, Holder
from market.db import db
from market.domain.calendar import WorkingCalendar, local_date
from market.domain.clock import ClockView, finish

URGENCY = {"overdue": 0, "warning": 1, "normal": 2, "paused": 3, "not_started": 4, "stopped": 5}


@dataclass(frozen=True)
class ClockRow:
    clock_id: int
    kind: str
    engagement_id: str | None  # public ids, for links
    case_id: str | None
    subject: str  # service type or approval matter
    view: ClockView
    subject_en: str = ""  # the service type's English name, when the catalogue has one

    def subject_for(self, locale: str) -> str:
        return self.subject_en if self.subject_en and locale.startswith("en") else self.subject


_holders: dict[str, Holder] = {}


def connect(*, engagement: Holder, case: Holder) -> None:
    """Tell the board how to join a clock's engagement and approval case (``create_app``)."""
    _holders.update(engagement=engagement, case=case)
    for built in (_query, _where, _few, _counts, _ahead, _running, _paused, _by_ids):
        built.cache_clear()


def _holder(name: str) -> Holder:
    try:
        return _holders[name]
    except KeyError:
        raise RuntimeError("the clock board's holders are not connected (create_app)") from None


def _joined(q: sa.Select[Any]) -> sa.Select[Any]:
    for name in ("engagement", "case"):
        h = _holder(name)
        q = q.outerjoin(h.entity, h.entity.id == h.key)
    return q


def _scope(q: sa.Select[Any], org_id: int | None, side: str | None,
           joined: bool = False, within: ListScope | None = None,
           reach: Reach | None = None) -> sa.Select[Any]:
    """Open clocks only, of one side of the market if ``side`` is given, in a regulator's
    lists (``within``, market.accounts.scope) if given, of the projects an owner's person
    reaches (``reach``: a delegate's assigned projects) if given."""
    join, conditions = _where(org_id, side, joined, within, reach)
    return (_joined(q) if join else q).where(*conditions)


@functools.lru_cache(maxsize=1024)
def _where(org_id: int | None, side: str | None, joined: bool, within: ListScope | None,
           reach: Reach | None) -> tuple[bool, tuple[Any, ...]]:
    """What :func:`_scope` adds: whether the holders must be joined, and the conditions
    (built once per key and process: a regulator's tenant test, through an aliased
    organisation, cost more to build than to run)."""
    conditions: list[Any] = [Clock.phase.in_(clocks.OPEN)]
    join = (side is not None or within is not None) and not joined
    eng, case = _holder("engagement"), _holder("case")
    if within is not None and within.tenant_id is not None:
        # the tenant a clock's engagement or case arose in: its owner's, looked up per open
        # clock by key (an IN list of the tenant's organisations was built on every query:
        # every agency of the province's register for the home tenant)
        owner = sa.orm.aliased(Organisation)
        tenant_id = within.tenant_id
        conditions.append(sa.or_(*(sa.exists().where(owner.id == side_owner,
                                                     owner.tenant_id == tenant_id)
                                   .correlate_except(owner)
                                   for side_owner in (eng.owner, case.owner))))
    if within is not None and within.regulator_id is not None:
        # an industry regulator: engagements of its service types (no approval case)
        # (the tenant filter above keeps the rows to the regulator's tenant, the one whose
        # mapping is read)
        service, on_service, _name, _en = eng.subject
        conditions.append(sa.exists().where(on_service, regulates(
            within.regulator_id, within.tenant_id, service.id)).correlate_except(service))
    if side == "owner":
        conditions.append(sa.or_(eng.owner == org_id, case.owner == org_id))
    if reach is not None:
        if not joined and side is None and within is None:
            join = True
        conditions.append(sa.or_(reach.where(eng.owner, eng.project),
                                 reach.where(case.owner, case.project)))
    elif side == "agency":
        conditions.append(eng.agency == org_id)
    return join, tuple(conditions)


@functools.lru_cache(maxsize=1024)
def _query(org_id: int | None, side: str | None,
           within: ListScope | None = None, reach: Reach | None = None) -> sa.Select[Any]:
    """The open clocks of one side (or all) with what the board shows of their holders; built
    once per organisation and process (a statement is immutable; building one of this size
    cost more than running it)."""
    return _build_query(org_id, side, within, reach)


def _build_query(org_id: int | None, side: str | None,
                 within: ListScope | None = None, reach: Reach | None = None) -> sa.Select[Any]:
    eng, case = _holder("engagement"), _holder("case")
    service, on_service, service_name, service_en = eng.subject
    matter, on_matter, matter_name, _matter_en = case.subject
    q: sa.Select[Any] = (sa.select(  # type: ignore[assignment]
        Clock.id, Clock.kind, Clock.limit_days, Clock.phase, Clock.last_at,
                   Clock.start_date, Clock.since, Clock.pause_reason, Clock.used,
                   Clock.paused_by_reason, Clock.extensions, Clock.stop_date, Clock.due_date,
                   Clock.tenant_id,
                   eng.public_id.label("eng"), service_name.label("service"),
                   service_en.label("service_en"),
                   case.public_id.label("case"), matter_name.label("matter"))
         .outerjoin(eng.entity, eng.entity.id == eng.key)
         .outerjoin(service, on_service)
         .outerjoin(case.entity, case.entity.id == case.key)
         .outerjoin(matter, on_matter))
    return _scope(q, org_id, side, joined=True, within=within, reach=reach)


def _sort_key(row: ClockRow, today: date) -> tuple[int, int, date, int]:
    # A running clock sorts by its due date: for an overdue one, the longest overdue first.
    # Not by working days overdue: a tenant with local days counts those in a calendar of its
    # own, so a clock due earlier can be fewer working days overdue than one due later, and
    # SQL, which orders by the stored date, would then show another first page.
    paused_over = row.view.overdue_by if row.view.paused else 0
    return (URGENCY[row.view.state], -paused_over, row.view.due_date or today, row.clock_id)


@dataclass(frozen=True)
class Warnings:
    """The warning lead time in force: the province's (``base``) and the tenants' that
    differ (``own``)."""

    base: int
    own: dict[int, int]

    @classmethod
    def at(cls, now: datetime) -> Warnings:
        base, own = clocks.warning_overrides(now)
        return cls(base, own)

    def of(self, tenant: int | None) -> int:
        return self.own.get(tenant, self.base) if tenant is not None else self.base


class Calendars:
    """The national calendar and those of the tenants with local days (地方性节假日): each
    clock counts in its tenant's."""

    def __init__(self, national: WorkingCalendar,
                 local: dict[int, WorkingCalendar] | None = None) -> None:
        self.national = national
        self.local = clocks.local_calendars() if local is None else local

    @classmethod
    def refreshed(cls) -> Calendars:
        """After refolding the stale open clocks (:func:`clocks.refresh_stale_open`)."""
        _revision, national, local = clocks.refresh_stale_open_local()
        return cls(national, local)

    def of(self, tenant: int | None) -> WorkingCalendar:
        return self.local.get(tenant, self.national) if tenant is not None else self.national


def _finished(rows: Iterable[Any], now: datetime, cals: Calendars,
              wd: Warnings) -> list[ClockRow]:
    out = []
    for r in rows:
        view = finish(clocks.tally_from_row(r), r.limit_days, cals.of(r.tenant_id),
                      max(now, r.last_at) if r.last_at else now, wd.of(r.tenant_id))
        out.append(ClockRow(r.id, r.kind, r.eng, r.case, r.service or r.matter or "", view,
                            r.service_en or ""))
    return out


def open_clocks(org_id: int | None, side: str | None,
                now: datetime | None = None) -> list[ClockRow]:
    """Open clocks of one side of the market (``side`` owner/agency), or all (regulator),
    most urgent first."""
    now = now or timeutil.now()
    # refold the stale clocks before reading them: an UPDATE while the cursor is still being
    # read made SQLite return a refolded row twice
    cals = Calendars.refreshed()
    rows = _finished(db.session.execute(_query(org_id, side)), now, cals, Warnings.at(now))
    today = local_date(now)
    rows.sort(key=lambda row: _sort_key(row, today))
    return rows


def state_counts(rows: list[ClockRow]) -> Counter[str]:
    return Counter(r.view.state for r in rows)


@dataclass(frozen=True)
class Board:
    """The most urgent ``rows`` of ``total`` open clocks, and how many are in each state."""

    rows: list[ClockRow]
    total: int
    counts: Counter[str]


class Warn:
    """The last due date that is in warning today, per tenant: the province's lead time
    ``base`` days after today, or a tenant's own, counted in the tenant's calendar."""

    def __init__(self, today: date, cals: Calendars, wd: Warnings) -> None:
        self.base = cals.national.add_working_days(today, wd.base)
        own = {t: cals.of(t).add_working_days(today, w) for t, w in wd.own.items()}
        for t, cal in cals.local.items():
            own.setdefault(t, cal.add_working_days(today, wd.base))
        self.own = {t: d for t, d in own.items() if d != self.base}

    def of(self, tenant: int | None) -> date:
        return self.own.get(tenant, self.base) if tenant is not None else self.base

    def expr(self) -> Any:
        """The same in SQL, for ``Clock.tenant_id``."""
        if not self.own:
            return self.base
        return sa.case(self.own, value=Clock.tenant_id, else_=self.base)

    def tenants(self) -> tuple[int, ...]:
        """The tenants of their own date: the shape of :func:`_bound_last`."""
        return tuple(sorted(self.own))

    def params(self) -> dict[str, date]:
        """The values of :func:`_bound_last`'s parameters."""
        return {"warn": self.base, **{f"warn_{t}": d for t, d in self.own.items()}}


# The board's statements are built once per process and shape (organisation, scope, the
# tenants with a warning date of their own), their dates and times bound at each view:
# building them, and the cache key of a new statement, cost more than running them.
TODAY = sa.bindparam("today", type_=sa.Date)
NOW = sa.bindparam("now", type_=Clock.last_at.type)
WARN = sa.bindparam("warn", type_=sa.Date)


def _bound_last(tenants: tuple[int, ...]) -> Any:
    """:meth:`Warn.expr` with the dates as parameters (:meth:`Warn.params`)."""
    if not tenants:
        return WARN
    return sa.case({t: sa.bindparam(f"warn_{t}", type_=sa.Date) for t in tenants},
                   value=Clock.tenant_id, else_=WARN)


def _classes(today: Any, last: Any) -> dict[str, Any]:
    """What SQL decides for a settled running clock, state by state (module docstring), for
    ``today`` and the last date in warning (``last``: values, or parameters)."""
    return {"overdue": Clock.due_date < today,
            "warning": sa.and_(Clock.due_date >= today, Clock.due_date <= last),
            "normal": Clock.due_date > last}


def _state_case(classes: dict[str, Any]) -> Any:
    return sa.case((Clock.phase == "paused", "paused"),
                   *((cond, name) for name, cond in classes.items()), else_="normal")


def state_expr(today: date, warn: Warn) -> Any:
    """The state SQL gives an open clock (right unless its last event is after now)."""
    return _state_case(_classes(today, warn.expr()))


def _sql_state(phase: str, due: date | None, today: date, warn: date) -> str:
    """The same classification in Python, for the rows SQL counts but Python finishes
    (``warn``: the row's tenant's)."""
    if phase == "paused":
        return "paused"
    if due is not None and due < today:
        return "overdue"
    return "warning" if due is not None and due <= warn else "normal"


Key = tuple[int | None, str | None, ListScope | None, Reach | None]


@functools.lru_cache(maxsize=1024)
def _few(key: Key, limit: int) -> sa.Select[Any]:
    return _query(*key).limit(limit + 1)


@functools.lru_cache(maxsize=1024)
def _counts(key: Key, tenants: tuple[int, ...]) -> sa.Select[Any]:
    """Open clocks per state SQL gives them, and of those with an event after ``now``."""
    expr = _state_case(_classes(TODAY, _bound_last(tenants)))
    org_id, side, within, reach = key
    return _scope(sa.select(expr, sa.func.count(), sa.func.count().filter(Clock.last_at > NOW)),
                  org_id, side, within=within, reach=reach).group_by(expr)


@functools.lru_cache(maxsize=1024)
def _ahead(key: Key) -> sa.Select[Any]:
    return _query(*key).where(Clock.last_at > NOW)


@functools.lru_cache(maxsize=1024)
def _running(key: Key, tenants: tuple[int, ...], state: str | None, n: int) -> sa.Select[Any]:
    """The first ``n`` running clocks (in ``state`` if given) in the board's order."""
    classes = _classes(TODAY, _bound_last(tenants))
    running = _query(*key).where(Clock.phase == "running")
    if state is not None:
        running = running.where(classes[state])
    # one lead time: the classes follow the due date; several: a tenant's normal clock
    # may fall due before another's in warning, so the state orders first
    order = ((Clock.due_date, Clock.id) if not tenants else
             (sa.case((classes["overdue"], 0), (classes["warning"], 1), else_=2),
              Clock.due_date, Clock.id))
    return running.order_by(*order).limit(n)


@functools.lru_cache(maxsize=1024)
def _paused(key: Key) -> sa.Select[Any]:
    """What orders the paused clocks with no event after ``now`` (:func:`_most_urgent_paused`)."""
    light: sa.Select[Any] = sa.select(  # type: ignore[assignment]
        Clock.id, Clock.used, Clock.limit_days, Clock.extensions, Clock.due_date, Clock.since,
        Clock.tenant_id)
    org_id, side, within, reach = key
    return _scope(light.where(Clock.phase == "paused", Clock.last_at <= NOW), org_id, side,
                  within=within, reach=reach)


@functools.lru_cache(maxsize=1024)
def _by_ids(key: Key) -> sa.Select[Any]:
    return _query(*key).where(Clock.id.in_(sa.bindparam("ids", expanding=True)))


def urgent(org_id: int | None = None, side: str | None = None, *, limit: int = 50,
           state: str | None = None, now: datetime | None = None,
           within: ListScope | None = None, reach: Reach | None = None) -> Board:
    """The ``limit`` most urgent open clocks (only those in ``state`` if given, in a
    regulator's lists if ``within`` is given), in the order of :func:`open_clocks`, with the
    counts per state; see the module docstring.  Costs a few
    indexed queries and ``limit`` views, whatever the number of clocks."""
    now = now or timeutil.now()
    cals = Calendars.refreshed()
    wd = Warnings.at(now)
    today = local_date(now)
    key: Key = (org_id, side, within, reach)
    if state is None:
        # An owner or an agency usually has fewer open clocks than the page shows: then one
        # query reads them all (at most ``limit``), finished and sorted as open_clocks does.
        few = list(db.session.execute(_few(key, limit)))
        if len(few) <= limit:
            rows = sorted(_finished(few, now, cals, wd), key=lambda row: _sort_key(row, today))
            return Board(rows, len(rows), +state_counts(rows))
    warn = Warn(today, cals, wd)
    tenants = warn.tenants()
    params = {"today": today, "now": now, **warn.params()}
    # counts: SQL over every open clock (the (phase, due_date) index covers it) ...
    counts: Counter[str] = Counter()
    n_ahead = 0  # rows with an event after now (a clock entered ahead): usually none
    for name, n, later in db.session.execute(_counts(key, tenants), params):
        counts[name] += n
        n_ahead += later
    sql_paused = counts["paused"]
    # ... corrected for the rows with an event after now, finished in Python as before
    ahead_rows = list(db.session.execute(_ahead(key), params)) if n_ahead else []
    ahead = _finished(ahead_rows, now, cals, wd)
    for r, row in zip(ahead_rows, ahead, strict=True):
        counts[_sql_state(r.phase, r.due_date, today, warn.of(r.tenant_id))] -= 1
        counts[row.view.state] += 1
    counts = +counts  # drop zeros
    rows = [r for r in ahead if state is None or r.view.state == state]
    n_running = 0
    if state is None or state in ("overdue", "warning", "normal"):
        # the first rows of the (phase, due_date) index, skipping those finished above
        skip = {r.clock_id for r in ahead}
        found = _finished((r for r in db.session.execute(
            _running(key, tenants, state, limit + len(skip)), params)
            if r.id not in skip), now, cals, wd)[:limit]
        n_running = len(found)
        rows += found
    # paused clocks with no event after now, if SQL counted any
    if state in (None, "paused") and n_running < limit and sql_paused > sum(
            1 for r in ahead_rows if r.phase == "paused"):
        ids = _most_urgent_paused(key, limit, now, cals)
        rows += _finished(db.session.execute(_by_ids(key), {"ids": ids}), now, cals, wd)
    rows.sort(key=lambda row: _sort_key(row, today))
    return Board(rows[:limit], sum(counts.values()) if state is None else counts[state],
                 counts)


def _most_urgent_paused(key: Key, limit: int, now: datetime, cals: Calendars) -> list[int]:
    """Ids of the ``limit`` paused clocks that sort first: most past their limit, then the
    earliest due date if resumed today (the stored one plus the working days paused since)."""
    today = local_date(now)
    keyed = []
    for r in db.session.execute(_paused(key), {"now": now}):
        cal = cals.of(r.tenant_id)
        due = cal.add_working_days(r.due_date, cal.working_days_between(r.since, today))
        keyed.append((-max(0, r.used - r.limit_days - r.extensions), due, r.id))
    keyed.sort()
    return [k[2] for k in keyed[:limit]]

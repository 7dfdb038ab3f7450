"""Reading the operator's settings: the config's value until a stored change takes effect.

Every rule that reads one of :data:`EDITABLE` goes through :func:`effective`, passing the
moment whose numbers apply: now for something decided now, the request's publication for the
windows of a request already published (a change never reaches back into a published
request), the filing time for a filed objection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app, g, has_app_context

from market import timeutil
from market.db import db
from market.i18n import N_
from market.settings.models import SettingChange


@dataclass(frozen=True)
class Setting:
    """One editable number: its label, its unit (``days``: working days, ``count``, ``yuan``:
    stored in fen, shown and entered in yuan) and the range an operator may set."""

    key: str
    label: str
    unit: str
    low: int
    high: int
    hint: str = ""


# Bounds: wide enough for any city's rules, narrow enough that a slip of the keyboard (an
# extra zero) is refused rather than published.
EDITABLE: tuple[Setting, ...] = (
    Setting("SIGNUP_MIN_WORKING_DAYS", N_("报名期最短时长"), "days", 1, 30,
            N_("发布选取公告至报名截止的最少工作日数。")),
    Setting("MIN_ELIGIBLE_REGISTRANTS", N_("最少有效报名数"), "count", 1, 50,
            N_("报名截止时符合条件的中介机构少于此数，随机抽取和信用择优即告流标。")),
    Setting("PUBLICITY_WORKING_DAYS", N_("中选结果公示期"), "days", 1, 30),
    Setting("CONFIRM_WORKING_DAYS", N_("中选确认期限"), "days", 1, 30,
            N_("中选机构确认中选的工作日数，逾期视为放弃。")),
    Setting("DIRECT_SELECTION_THRESHOLD_FEN", N_("直接选取金额上限"), "yuan", 0,
            100_000_000_00, N_("服务费低于此金额（或社会资金项目）方可直接选取。")),
    Setting("OBJECTION_WORKING_DAYS", N_("异议答复期限"), "days", 1, 30),
    Setting("COMPLAINT_WORKING_DAYS", N_("投诉处理期限"), "days", 1, 60),
    Setting("CORRECTION_WORKING_DAYS", N_("差评整改期限"), "days", 1, 60),
    Setting("ADMISSION_REVIEW_DAYS", N_("入驻审核期限"), "days", 1, 30),
    Setting("ACCEPTANCE_WORKING_DAYS", N_("成果验收期限"), "days", 1, 60),
    Setting("CLOCK_WARNING_DAYS", N_("时限预警提前量"), "days", 1, 30,
            N_("距时限还剩此数个工作日时提醒。")),
)
BY_KEY = {s.key: s for s in EDITABLE}


def default(key: str) -> int:
    """The value from the config (``DEFAULT_SETTINGS``, then ``MARKET_*``): what applies
    before the first stored change."""
    return int(current_app.config[key])


def effective(key: str, at: datetime | None = None, tenant: int | None = None) -> int:
    """The value of ``key`` in force at ``at`` (now when None) for ``tenant`` (a division id;
    None: the province): the tenant's latest stored change in force by then, else the
    province's, else the config's (see ``SettingChange.effective_at``)."""
    if key not in BY_KEY:
        raise KeyError(key)
    moment = at if at is not None else timeutil.now()
    # Lists read the same setting once per row (a clock's warning, an award's windows): one
    # query per key per request is enough.  operations.change empties it.
    cache: dict[str, list[tuple[int | None, datetime, int]]] = (
        g.setdefault("settings_cache", {}) if has_app_context() else {})
    if key not in cache:
        cache[key] = [(row.tenant_id, row.effective_at, int(row.value))
                      for row in db.session.execute(_CHANGES, {"key": key})]
    own: int | None = None
    province: int | None = None
    for owner, since, value in cache[key]:
        if since > moment:
            break
        if owner is None:
            province = value
        elif owner == tenant:
            own = value
    if own is not None:
        return own
    return province if province is not None else default(key)


# built once: the dashboards read it on every view, and building it cost more than running it
_CHANGES = sa.select(SettingChange.tenant_id, SettingChange.effective_at, SettingChange.value).where(
    SettingChange.key == sa.bindparam("key", type_=SettingChange.key.type)).order_by(
    SettingChange.effective_at)


def tenants_with_own(key: str) -> set[int]:
    """The tenants that have stored a value of ``key`` of their own (in force or scheduled),
    from the rows :func:`effective` reads once per request."""
    effective(key)
    cache = g.get("settings_cache", {}) if has_app_context() else {}
    if key not in cache:  # outside a request: read the rows directly
        return set(db.session.scalars(sa.select(SettingChange.tenant_id).where(
            SettingChange.key == key, SettingChange.tenant_id.is_not(None)).distinct()))
    return {owner for owner, _since, _value in cache[key] if owner is not None}


def forget() -> None:
    """Drop this request's remembered values (after a change)."""
    if has_app_context():
        g.pop("settings_cache", None)


def _of(tenant: int | None) -> sa.ColumnElement[bool]:
    return (SettingChange.tenant_id.is_(None) if tenant is None
            else SettingChange.tenant_id == tenant)


def scheduled(key: str, today: date, tenant: int | None = None) -> SettingChange | None:
    """The next change of ``key`` for ``tenant`` (None: the province's own) not yet in force
    (after ``today``), if any."""
    return db.session.scalars(
        sa.select(SettingChange)
        .where(SettingChange.key == key, SettingChange.effective_from > today, _of(tenant))
        .order_by(SettingChange.effective_from).limit(1)).first()


def history(limit: int = 200, tenant: int | None = None) -> list[SettingChange]:
    """Every stored change of ``tenant`` (None: the province's), the latest date first."""
    return list(db.session.scalars(
        sa.select(SettingChange).where(_of(tenant))
        .order_by(SettingChange.effective_from.desc(), SettingChange.id.desc()).limit(limit)))

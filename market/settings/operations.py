"""Operators change a setting from a date on (设置变更)."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from market import timeutil
from market.accounts import audit
from market.accounts.models import User
from market.db import db
from market.domain.calendar import local_day_start
from market.domain.fees import format_yuan
from market.i18n import N_
from market.refusal import Refused
from market.settings.models import SettingChange
from market.settings.service import BY_KEY, effective, forget


class SettingError(Refused):
    def __init__(self, field: str, message: str, **params: object) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.params = params


def change(key: str, value: int, effective_from: date, reason: str, user: User,
           tenant: int | None = None) -> SettingChange:
    """Operators only: from ``effective_from`` (today or later, Beijing date) on, ``key``
    reads ``value`` in ``tenant`` (a division id; None: the province's own value, which
    tenants without their own inherit; the caller checks the operator may set it there).  A change already in force is never edited; a change scheduled for a
    later day may be replaced by another for the same day (the audit trail keeps both).
    Refuses (nothing stored) an unknown key, a value out of range, a past date, an empty
    reason, and a value equal to what would apply that day anyway."""
    setting = BY_KEY.get(key)
    if setting is None:
        raise SettingError("key", N_("没有这项设置。"))
    if not setting.low <= value <= setting.high:
        if setting.unit == "yuan":
            raise SettingError("value", N_("请填写 %(low)s 至 %(high)s 元之间的金额。"),
                               low=format_yuan(setting.low), high=format_yuan(setting.high))
        raise SettingError("value", N_("请填写 %(low)s 至 %(high)s 之间的整数。"),
                           low=setting.low, high=setting.high)
    today = timeutil.today_local()
    if effective_from < today:
        raise SettingError("effective_from", N_("生效日期不得早于今天（%(today)s）：设置不溯及既往。"),
                           today=today.isoformat())
    if not reason.strip():
        raise SettingError("reason", N_("请说明变更的理由或依据。"))
    existing = db.session.scalars(sa.select(SettingChange).where(
        SettingChange.key == key, SettingChange.effective_from == effective_from,
        SettingChange.tenant_id.is_(None) if tenant is None
        else SettingChange.tenant_id == tenant)).first()
    if existing is not None and effective_from == today:
        # Today's value may already have been read (a request published this morning).
        raise SettingError("effective_from", N_("该设置今天已有一项生效的变更，请选择以后的日期。"))
    # What that day would read without this change: the latest one before it.
    before = effective(key, local_day_start(effective_from) - timedelta(microseconds=1),
                       tenant)
    if existing is None and before == value:
        raise SettingError("value", N_("该日期起的数值已经是 %(value)s，无需变更。"),
                           value=format_yuan(value) if setting.unit == "yuan" else value)
    if existing is None:
        existing = SettingChange(key=key, effective_from=effective_from, tenant_id=tenant)
        db.session.add(existing)
    previous = None if existing.id is None else existing.value
    existing.value = value
    existing.effective_at = max(local_day_start(effective_from), timeutil.now())
    existing.reason = reason.strip()[:500]
    existing.created_at = timeutil.now()
    existing.created_by_id = user.id
    db.session.flush()
    forget()
    audit.record("operator:setting:change", key, {
        "value": value, "effective_from": effective_from.isoformat(), "before": before,
        "tenant": tenant,
        "replaces": previous, "reason": existing.reason})
    return existing

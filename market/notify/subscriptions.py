"""Agencies hear about work (公告订阅): an agency subscribes to new notices by service type and
region; a published notice it can take part in reaches it at once, or in one daily digest
(每日汇总), in the app, by e-mail and (with a gateway) by SMS.

The region of a notice is its owner's region (the unit's registered 所属地区); a subscription
with no region hears of every region.  A direct selection (直接选取) has no window to take part
in, so it reaches no subscriber.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from market import events, timeutil
from market.accounts import audit
from market.accounts.models import Organisation, OrgKind, User
from market.catalogue.models import ServiceType
from market.db import db
from market.domain import methods
from market.i18n import N_
from market.notify.models import Notification, Subscription
from market.notify.sms import MOBILE
from market.refusal import Refused
from market.selection.models import RequestState, SelectionRequest


class SubscriptionError(Refused):
    """The subscription was refused; ``field`` names the form field (an ``N_()`` message)."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def regions() -> list[str]:
    """The regions notices come from: those of the owners' units, in order."""
    return list(db.session.scalars(sa.select(Organisation.region).where(
        Organisation.kind == OrgKind.OWNER.value, Organisation.region.is_not(None),
        Organisation.region != "").distinct().order_by(Organisation.region)))


def of(org: Organisation) -> Subscription | None:
    return db.session.scalar(sa.select(Subscription).where(
        Subscription.organisation_id == org.id))


def save(org: Organisation, user: User, service_codes: Sequence[str], chosen: Sequence[str],
         daily: bool, sms_phone: str, sms_on: bool) -> Subscription:
    """An agency's member saves its subscription (one per agency; a save replaces it).
    ``sms_phone`` may be empty; it is refused when SMS is off (``sms_on`` False)."""
    known = set(db.session.scalars(sa.select(ServiceType.code)))
    codes = sorted(set(service_codes))
    if not codes:
        raise SubscriptionError("service_codes", N_("请至少选择一个中介服务事项。"))
    if not set(codes) <= known:
        raise SubscriptionError("service_codes", N_("所选中介服务事项不存在。"))
    places = sorted(set(chosen))
    if not set(places) <= set(regions()):
        raise SubscriptionError("regions", N_("所选地区不存在。"))
    phone = sms_phone.strip()
    if phone and not sms_on:
        raise SubscriptionError("sms_phone", N_("平台未开通短信通知。"))
    if phone and not MOBILE.fullmatch(phone):
        raise SubscriptionError("sms_phone", N_("请输入 11 位手机号码。"))
    now = timeutil.now()
    row = of(org)
    if row is None:
        row = Subscription(organisation_id=org.id, updated_at=now)
        db.session.add(row)
    row.service_codes, row.regions, row.daily = codes, places, daily
    row.sms_phone = phone or None
    row.updated_at = now
    db.session.flush()
    audit.record("agency:subscription:save", org.public_id, {
        "services": codes, "regions": places, "daily": daily, "sms": bool(phone)},
        user_id=user.id, organisation_id=org.id)
    return row


def cancel(org: Organisation, user: User) -> None:
    """An agency's member ends its subscription (取消订阅)."""
    row = of(org)
    if row is None:
        raise SubscriptionError(None, N_("本单位没有订阅。"))
    db.session.delete(row)
    audit.record("agency:subscription:cancel", org.public_id, {},
                 user_id=user.id, organisation_id=org.id)


def _beijing(at: datetime) -> datetime:
    return at.astimezone(timeutil.SHANGHAI)


def _matches(sub: Subscription, request: SelectionRequest) -> bool:
    region = request.owner.region if request.owner else None
    return request.service_type.code in (sub.service_codes or []) and (
        not sub.regions or region in sub.regions)


def _open_to_agencies(request: SelectionRequest) -> bool:
    rule = methods.rules(request.method)
    return rule is not None and rule.window


def request_published(event: events.RequestPublished) -> None:
    """Subscribers that want to hear at once are told of a notice they can take part in."""
    request = db.session.get(SelectionRequest, event.request_id)
    if request is None:
        raise LookupError(f"request {event.request_id} of {event.name} not found")
    if not _open_to_agencies(request):
        return
    closes = request.signup_closes_at
    deadline = _beijing(closes).strftime("%Y-%m-%d %H:%M") if closes else "-"
    subject = f"【新公告】{request.title}"
    body = (f"{request.service_type.name}：{request.title}（{request.public_id}），"
            f"报名截止 {deadline}（北京时间）。")
    for sub in db.session.scalars(sa.select(Subscription).where(
            Subscription.daily.is_(False)).order_by(Subscription.id)):
        if _matches(sub, request):
            db.session.add(Notification(
                key=f"notice:{request.id}:{sub.organisation_id}", state="published",
                organisation_id=sub.organisation_id, subject=subject[:200], body=body,
                link=f"/notices/{request.public_id}", sms_phone=sub.sms_phone,
                created_at=event.at))


def digest_cutoff(now: datetime) -> datetime:
    """The end of the period the latest daily digest covers: today's ``DIGEST_HOUR`` in
    Beijing once it has passed, else yesterday's."""
    hour = int(current_app.config.get("DIGEST_HOUR", 8))
    local = _beijing(now)
    day = local.date() if local.hour >= hour else local.date() - timedelta(days=1)
    return datetime.combine(day, time(hour), tzinfo=timeutil.SHANGHAI).astimezone(UTC)


def send_digests(now: datetime) -> int:
    """Write each daily subscriber's digest of the notices published since its last one and
    still open, once per subscriber and day on any number of instances (the notification's key
    is unique); commits as it goes.  Returns how many digests were written."""
    cutoff = digest_cutoff(now)
    written = 0
    subs = db.session.scalars(sa.select(Subscription).where(
        Subscription.daily.is_(True), Subscription.updated_at < cutoff).order_by(
        Subscription.id)).all()
    for sub in subs:
        since = sub.updated_at
        if sub.digest_until is not None and sub.digest_until > since:
            since = sub.digest_until
        if since >= cutoff:
            continue
        found = [r for r in db.session.scalars(sa.select(SelectionRequest).where(
            SelectionRequest.state == RequestState.OPEN.value,
            SelectionRequest.published_at > since, SelectionRequest.published_at <= cutoff
        ).order_by(SelectionRequest.published_at)) if _open_to_agencies(r) and _matches(sub, r)]
        day = _beijing(cutoff).date().isoformat()
        if found:
            lines = [f"- {r.title}（{r.public_id}），报名截止 "
                     f"{_beijing(r.signup_closes_at).strftime('%Y-%m-%d %H:%M')}"
                     if r.signup_closes_at else f"- {r.title}（{r.public_id}）" for r in found]
            try:
                with db.session.begin_nested():
                    db.session.add(Notification(
                        key=f"digest:{day}:{sub.organisation_id}", state="digest",
                        organisation_id=sub.organisation_id,
                        subject=f"【每日汇总】{day} 新公告 {len(found)} 条",
                        body="\n".join(lines), link="/notices", sms_phone=sub.sms_phone,
                        created_at=now))
                written += 1
            except IntegrityError:
                pass  # another instance wrote this day's digest first
        sub.digest_until = cutoff
        db.session.commit()
    return written

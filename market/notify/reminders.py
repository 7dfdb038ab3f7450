"""Reminders (提醒): in-app notifications and e-mail when a clock enters warning or overdue.

``flask clocks tick`` (cron, every few minutes) calls :func:`tick`.  It is idempotent and safe on
several machines at once: each notification has a unique key per (clock, state, due date), so
the second tick's insert fails and is skipped; the e-mail of a notification is claimed with one
conditional UPDATE before it is sent, so it goes out once even when two ticks race.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from billing.integration import release_paid
from market import events, timeutil
from market.approvals.models import ApprovalCase
from market.clocks.board import open_clocks
from market.db import db
from market.engagements import operations as engagements
from market.engagements.models import Engagement
from market.notify.mail import send_emails
from market.notify.models import Notification
from market.notify.sms import send_sms
from market.notify.subscriptions import send_digests
from market.supervision.operations import escalate

ALERT_STATES = ("warning", "overdue")
KIND_WORDS = {"signing": "签约时限", "service": "服务时限", "review": "验收时限", "case": "审批时限"}
STATE_WORDS = {"warning": "即将到期", "overdue": "已逾期"}


@dataclass
class TickResult:
    engagements_created: int = 0
    unsigned: int = 0
    notified: int = 0
    emailed: int = 0
    released: int = 0
    escalated: int = 0
    digests: int = 0
    texted: int = 0


def _recipients_for(kind: str, owner_id: int | None, agency_id: int | None) -> list[int]:
    """Who must act on a clock: the agency for its signing and service clocks (and the owner
    for signing), the owner for its review clock and its cases."""
    if kind == "service":
        return [i for i in (agency_id, owner_id) if i]
    if kind == "signing":
        return [i for i in (owner_id, agency_id) if i]
    return [owner_id] if owner_id else []


def _announce(kind: str, state: str, row: Any, now: datetime) -> None:
    """The domain event of a clock entering warning or overdue (the webhooks hear it):
    a service clock overdue, a case clock in warning or overdue."""
    if kind == "service" and state == "overdue":
        events.send(events.EngagementOverdue(at=now, engagement_id=row.id,
                                             engagement_public_id=row.public_id,
                                             project_code=row.project.code))
    elif kind == "case":
        event = events.CaseClockOverdue if state == "overdue" else events.CaseClockWarning
        events.send(event(at=now, case_id=row.id, case_public_id=row.public_id,
                          project_code=row.project.code))


def _notify_clocks(now: datetime) -> int:
    created = 0
    for row in open_clocks(None, None, now):
        if row.view.state not in ALERT_STATES:
            continue
        if row.engagement_id:
            eng = db.session.scalar(sa.select(Engagement).where(
                Engagement.public_id == row.engagement_id))
            if eng is None:
                continue
            owner_id, agency_id = eng.owner_org_id, eng.agency_org_id
            project_id = eng.project_id
            link = f"/engagements/{row.engagement_id}"
            target = row.engagement_id
        else:
            case = db.session.scalar(sa.select(ApprovalCase).where(
                ApprovalCase.public_id == row.case_id))
            if case is None:
                continue
            owner_id, agency_id = case.owner_org_id, None
            project_id = case.project_id
            link = f"/approvals/{row.case_id}"
            target = row.case_id or ""
        due = row.view.due_date.isoformat() if row.view.due_date else "-"
        subject = f"【{STATE_WORDS[row.view.state]}】{target} {KIND_WORDS[row.kind]}"
        body = (f"{target}（{row.subject}）的{KIND_WORDS[row.kind]}{STATE_WORDS[row.view.state]}："
                f"到期日 {due}，已用 {row.view.used} 个工作日，"
                + (f"逾期 {row.view.overdue_by} 个工作日。" if row.view.state == "overdue"
                   else f"剩余 {row.view.remaining} 个工作日。"))
        recipients = _recipients_for(row.kind, owner_id, agency_id)
        for org_id in recipients:
            key = f"clock:{row.clock_id}:{row.view.state}:{due}:org:{org_id}"
            try:
                with db.session.begin_nested():
                    db.session.add(Notification(
                        key=key, organisation_id=org_id, clock_id=row.clock_id,
                        project_id=project_id, state=row.view.state, subject=subject, body=body, link=link,
                        created_at=now))
                    if org_id == recipients[0]:  # once per clock, state and due date
                        db.session.flush()
                        _announce(row.kind, row.view.state, eng if row.engagement_id
                                  else case, now)
                created += 1
            except IntegrityError:
                continue  # already sent by an earlier (or a concurrent) tick
    return created


def tick() -> TickResult:
    """One reminder run (see the module docstring); commits as it goes."""
    now = timeutil.now()
    result = TickResult()
    result.engagements_created = engagements.sync_from_awards()
    db.session.commit()
    # contracts not signed by their limit: the award passes on (commits per engagement)
    result.unsigned = engagements.lapse_unsigned(now)
    result.notified = _notify_clocks(now)
    db.session.commit()
    result.escalated = escalate(now)
    result.released = release_paid()
    db.session.commit()
    result.digests = send_digests(now)
    result.emailed = send_emails(now)
    result.texted = send_sms(now)
    return result

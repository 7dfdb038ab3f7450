"""Reminders written when something happens elsewhere (receivers of domain events, connected by
``create_app``)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from market import events, timeutil
from market.accounts.models import Membership, Organisation, OrgKind, User
from market.db import db
from market.notify.models import Notification
from market.selection.models import Award, SelectionRequest
from market.selection.requests import registrants
from market.supervision.models import EscalationStep


def award_passed(event: events.AwardPassed) -> None:
    """The owner, the agency that let the award go and the alternate it passed to (if any) are
    told, each once per award and state."""
    award = db.session.get(Award, event.award_id)
    if award is None:
        raise LookupError(f"award {event.award_id} of {event.name} not found")
    request = award.request
    involved = [request.owner_org_id, award.agency_org_id]
    new = db.session.get(Award, award.replaced_by_id) if award.replaced_by_id else None
    if new is None:
        subject = f"{request.title}：中选机构放弃，没有候补"
        body = f"{event.agency_public_id} {award.decline_reason}；本次选取失败，业主可以重新发布采购公告。"
    else:
        involved.append(new.agency_org_id)
        replacement = new.agency.public_id
        subject = f"{request.title}：中选资格递补给 {replacement}"
        body = (f"{event.agency_public_id} {award.decline_reason}；按公布的排名递补 {replacement}，"
                "请在确认期限内确认。")
    for org_id in set(involved):
        db.session.add(Notification(
            key=f"award:{award.id}:{award.state}:{org_id}"[:120], organisation_id=org_id,
            state=award.state, subject=subject[:200], body=body,
            link=f"/notices/{event.request_public_id}", created_at=timeutil.now()))


def _owner(event: events.OrganisationEvent) -> Organisation:
    org = db.session.get(Organisation, event.organisation_id)
    if org is None:
        raise LookupError(f"organisation {event.organisation_id} of {event.name} not found")
    return org


def _tell_owner(org: Organisation, subject: str, body: str) -> None:
    """A reminder to the applicant's organisation (in the app; e-mailed by the clocks tick)."""
    db.session.add(Notification(
        key=f"owner-activation:{org.id}:{uuid.uuid4().hex[:16]}", organisation_id=org.id,
        state=org.status, subject=subject[:200], body=body, link="/dashboard",
        created_at=timeutil.now()))


def owner_activated(event: events.OwnerActivated) -> None:
    org = _owner(event)
    _tell_owner(org, f"【已通过核验】{org.name}",
                f"{org.name}（{org.public_id}）已通过平台运营方核验，可以发布采购公告。")


def owner_refused(event: events.OwnerRefused) -> None:
    org = _owner(event)
    _tell_owner(org, f"【未通过核验】{org.name}",
                f"{org.name}（{org.public_id}）未通过平台运营方核验。理由：{event.reason}"
                "\n可在工作台核对单位信息后重新提交。")


def request_withdrawn(event: events.RequestWithdrawn) -> None:
    """Each agency taking part is told (e-mailed by the next ``flask clocks tick``)."""
    request = db.session.get(SelectionRequest, event.request_id)
    if request is None:
        raise LookupError(f"request {event.request_id} of {event.name} not found")
    subject = f"{request.title}：采购公告已撤销"
    body = f"项目业主撤销了采购公告 {request.public_id}。理由：{event.reason}"
    for org_id in sorted(registrants(request)):
        db.session.add(Notification(
            key=f"request:{request.public_id}:{request.state}:{org_id}"[:120],
            organisation_id=org_id, state=request.state, subject=subject[:200], body=body,
            link=f"/notices/{request.public_id}", created_at=timeutil.now()))


def lottery_witnessed(event: events.LotteryWitnessed) -> None:
    """Every regulator is asked to save the transparency log's signed checkpoint before the
    external value is public (lottery-v1.md §5 note)."""
    deadline = event.external_at.astimezone(timeutil.SHANGHAI).strftime("%Y-%m-%d %H:%M")
    regulators = db.session.scalars(sa.select(Organisation.id).where(
        Organisation.kind == OrgKind.REGULATOR.value))
    for org_id in regulators:
        db.session.add(Notification(
            key=f"checkpoint:{event.lottery_id}:{org_id}"[:120], organisation_id=org_id,
            state="checkpoint", created_at=timeutil.now(), link="/transparency",
            subject=f"请在 {deadline} 前保存透明日志检查点（{event.lottery_id}）"[:200],
            body=(f"摇号 {event.lottery_id} 的见证随机数已全部录入，外部随机数将于 {deadline}（北京时间）"
                  "公开。请现在到「透明日志」页面下载并保存签名检查点，日后可用它核对日志没有被改写"
                  "（核对的命令见该页）。")))


ESCALATION_WORDS = {"warning": "预警提醒", "yellow": "黄牌督办", "red": "红牌"}


def escalation_raised(event: events.EscalationRaised) -> None:
    """Each organisation a supervision step tells gets it in the app; its people get it by
    e-mail (one notification per person, so that regulators, whom an organisation's reminders
    do not e-mail, receive their yellow and red cards too)."""
    step = db.session.get(EscalationStep, event.step_id)
    if step is None:
        raise LookupError(f"escalation step {event.step_id} of {event.name} not found")
    word = ESCALATION_WORDS[step.step]
    subject = f"【{word}】{step.subject_id} {step.subject_title}"[:200]
    body = (f"{step.subject_title}（{step.subject_id}）已超过期限 {step.due_date.isoformat()}"
            f" {step.late_days} 个工作日，按公布的电子监察规则发出{word}。")
    if step.order is not None:
        body += (f"\n督办编号 {step.order.public_id}：请监管部门在 "
                 f"{step.order.answer_due.isoformat()} 前书面答复办理情况。")
    for org_id in event.told_org_ids:
        org = db.session.get(Organisation, org_id)
        link = (f"/regulator/supervision/orders/{step.order.public_id}"
                if step.order is not None and org is not None
                and org.kind == OrgKind.REGULATOR.value else step.subject_link)
        people = db.session.scalars(sa.select(User.id).join(
            Membership, Membership.user_id == User.id).where(
            Membership.organisation_id == org_id, User.active.is_(True)).order_by(User.id))
        for user_id in people:
            db.session.add(Notification(
                key=f"escalation:{step.id}:{org_id}:{user_id}"[:120], organisation_id=org_id,
                user_id=user_id, state=step.step, subject=subject, body=body, link=link,
                created_at=timeutil.now()))


def correction_opened(event: events.CorrectionOpened) -> None:
    """The rated agency is told of the correction a poor rating opened, and its deadline."""
    db.session.add(Notification(
        key=f"correction:{event.correction_public_id}:open"[:120],
        organisation_id=event.agency_org_id, state="correction", created_at=timeutil.now(),
        link=f"/agency/corrections/{event.correction_public_id}",
        subject=f"【差评整改】{event.engagement_public_id}：请在 {event.due_on.isoformat()} 前答复",
        body=(f"业主对委托 {event.engagement_public_id} 的服务给出了差评。请在 "
              f"{event.due_on.isoformat()} 前整改并书面答复整改情况（整改编号 "
              f"{event.correction_public_id}）；逾期未答复的按电子监察规则升级。")))

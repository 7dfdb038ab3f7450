"""Reminders written when something happens elsewhere (receivers of domain events, connected by
``create_app``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from market import events, timeutil
from market.accounts.models import Membership, Organisation, OrgKind, User
from market.accounts.scope import reaching
from market.approvals.models import ApprovalCase
from market.db import db
from market.engagements.models import Engagement
from market.notify.models import Notification
from market.selection.models import Award, Lottery, SelectionRequest
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
        lost = "中选结果作废" if award.state == "voided" else "中选机构放弃"
        subject = f"{request.title}：{lost}，没有候补"
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
            project_id=request.project_id, state=award.state, subject=subject[:200], body=body,
            link=f"/notices/{event.request_public_id}", created_at=timeutil.now()))


def award_voided(event: events.AwardVoided) -> None:
    """An upheld objection voided the award: the owner and the agency are told, once each, and
    what happens next (a new selection, or the request failed)."""
    request = db.session.get(SelectionRequest, event.request_id)
    if request is None:
        raise LookupError(f"request {event.request_id} of {event.name} not found")
    subject = f"{request.title}：异议成立，{event.agency_public_id} 的中选结果作废"
    body = event.reason + ("；本次选取按公告重新组织。" if event.rerun
                           else "；本次选取失败，业主可以重新发布采购公告。")
    for org_id in dict.fromkeys((request.owner_org_id, event.agency_org_id)):
        db.session.add(Notification(
            key=f"award:{event.award_id}:voided:{org_id}"[:120], organisation_id=org_id,
            project_id=request.project_id, state="voided", subject=subject[:200], body=body,
            link=f"/notices/{event.request_public_id}", created_at=timeutil.now()))


def objection_due(event: events.ObjectionDue) -> int:
    """Every regulator is reminded, once, that an objection must be decided by ``due_on``;
    answers how many reminders were new."""
    rid = event.request_public_id
    made = 0
    for user_id, org_id in db.session.execute(sa.select(Membership.user_id,
                                                        Membership.organisation_id).join(
            Organisation, Organisation.id == Membership.organisation_id).where(
            Organisation.kind == OrgKind.REGULATOR.value)
            .order_by(Membership.user_id)).all():
        made += _remind(f"objection:{event.objection_id}:due:u{user_id}", org_id, user_id,
                        "warning", f"【异议待处理】{rid} 请在 {event.due_on.isoformat()} 前作出处理决定",
                        f"对 {rid} 中选公示的异议尚未处理，处理期限为 {event.due_on.isoformat()}；"
                        "逾期未处理的，电子监察将预警并按规则升级。在此之前中选机构不签订合同。",
                        "/regulator/objections", event.at)
    return made


def _owner(event: events.OrganisationEvent) -> Organisation:
    org = db.session.get(Organisation, event.organisation_id)
    if org is None:
        raise LookupError(f"organisation {event.organisation_id} of {event.name} not found")
    return org


def _tell_owner(org: Organisation, subject: str, body: str) -> None:
    """A reminder to the applicant's organisation (in the app; e-mailed by the clocks tick).
    It is about the organisation itself, no project: every member sees it, a delegate too."""
    db.session.add(Notification(
        key=f"owner-activation:{org.id}:{uuid.uuid4().hex[:16]}", organisation_id=org.id,
        project_id=None, state=org.status, subject=subject[:200], body=body, link="/dashboard",
        created_at=timeutil.now()))


def owner_activated(event: events.OwnerActivated) -> None:
    org = _owner(event)
    _tell_owner(org, f"【已通过核验】{org.name}",
                f"{org.name}（{org.public_id}）已通过平台运营方核验，可以发布采购公告。")


def owner_refused(event: events.OwnerRefused) -> None:
    org = _owner(event)
    _tell_owner(org, f"【未通过核验】{org.name}",
                f"{org.name}（{org.public_id}）未通过平台运营方核验。理由：{event.reason}"
                + ("\n可在工作台核对姓名和居民身份证号码后重新提交。" if org.person
                   else "\n可在工作台核对单位信息后重新提交。"))


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
            organisation_id=org_id, project_id=request.project_id, state=request.state,
            subject=subject[:200], body=body,
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


# The pages a matter's link may open, and the rows they show (each hangs from a project).
_LINKED: tuple[tuple[str, Any], ...] = (
    ("/engagements/", Engagement), ("/approvals/", ApprovalCase),
    ("/notices/", SelectionRequest), ("/owner/requests/", SelectionRequest))


def project_of_link(link: str) -> int | None:
    """The project a matter's page hangs from, read from its link (an engagement's, an
    approval case's or a request's); None for any other page."""
    for prefix, model in _LINKED:
        public_id = link.removeprefix(prefix)
        if public_id != link and public_id and "/" not in public_id:
            found: int | None = db.session.scalar(sa.select(model.project_id).where(
                model.public_id == public_id))
            return found
    return None


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
    project_id = project_of_link(step.subject_link)
    for org_id in event.told_org_ids:
        org = db.session.get(Organisation, org_id)
        link = (f"/regulator/supervision/orders/{step.order.public_id}"
                if step.order is not None and org is not None
                and org.kind == OrgKind.REGULATOR.value else step.subject_link)
        # an owner's delegate is told of its assigned projects' matters only
        people = db.session.scalars(sa.select(User.id).join(
            Membership, Membership.user_id == User.id).where(
            Membership.organisation_id == org_id, User.active.is_(True),
            reaching(project_id)).order_by(User.id))
        for user_id in people:
            db.session.add(Notification(
                key=f"escalation:{step.id}:{org_id}:{user_id}"[:120], organisation_id=org_id,
                user_id=user_id, project_id=project_id, state=step.step, subject=subject, body=body, link=link,
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


# --- what the selection area says is due -------------------------------------------------------

def _bj(at: datetime) -> str:
    return at.astimezone(timeutil.SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _remind(key: str, organisation_id: int, user_id: int, state: str, subject: str, body: str,
            link: str, at: datetime) -> int:
    """Write one reminder to one person, once: its key is unique, so an earlier (or a
    concurrent) tick's row wins and this answers 0."""
    try:
        with db.session.begin_nested():
            db.session.add(Notification(key=key[:120], organisation_id=organisation_id,
                                        user_id=user_id, state=state, subject=subject[:200],
                                        body=body, link=link, created_at=at))
    except IntegrityError:
        return 0
    return 1


def _first_org(user_id: int) -> int | None:
    return db.session.scalar(sa.select(Membership.organisation_id).where(
        Membership.user_id == user_id).order_by(Membership.id).limit(1))


def _lottery(lottery_id: str) -> Lottery:
    lottery: Lottery | None = db.session.scalar(
        sa.select(Lottery).where(Lottery.lottery_id == lottery_id))
    if lottery is None:
        raise LookupError(f"lottery {lottery_id} not found")
    return lottery


def witness_due(event: events.WitnessDue) -> int:
    """The witness is asked to type their digits (and again when the deadline is near)."""
    org = _first_org(event.user_id)
    if org is None:
        return 0
    lottery = _lottery(event.lottery_id)
    request = lottery.request
    witness = next(w for w in request.witnesses if w.position == event.position)
    deadline, lid = _bj(event.deadline), event.lottery_id
    link = f"/lotteries/{lid}"
    if event.soon:
        return _remind(f"witness:{lid}:{event.position}:soon", org, event.user_id, "draw",
                       f"【即将截止】{deadline} 前录入见证随机数（{lid}）",
                       f"距离见证随机数录入截止已不足 2 小时（{deadline}，北京时间）。", link, event.at)
    return _remind(f"witness:{lid}:{event.position}:due", org, event.user_id, "draw",
                   f"请在 {deadline} 前录入见证随机数（{lid}）",
                   f"您是摇号 {lid}（{request.title}）的{witness.label}。报名已截止、"
                   f"名单已冻结，请在 {deadline}（北京时间）前登录并录入 6–32 位数字；"
                   "见证人按顺序录入，逾期未录入本次摇号将作废并重新组织。", link, event.at)


def external_value_due(event: events.ExternalValueDue) -> int:
    """Someone who may type the public external value is asked to (or to confirm it)."""
    org = _first_org(event.user_id)
    if org is None:
        return 0
    lid, label = event.lottery_id, event.label
    link = f"/lotteries/{lid}"
    if event.proposal_id is None:
        title = _lottery(lid).request.title
        return _remind(f"external:{lid}:{event.user_id}", org, event.user_id, "draw",
                       f"请录入外部随机数 {label}（{lid}）",
                       f"摇号 {lid}（{title}）的外部随机数 {label} 已公开。"
                       "请按官方公告录入；另一位有权限的人员（其中须有监管人员）独立再录入一次后，"
                       "系统写入日志并完成抽取。", link, event.at)
    return _remind(f"confirm:{lid}:{event.proposal_id}:{event.user_id}", org, event.user_id,
                   "draw", f"请复核外部随机数 {label}（{lid}）",
                   f"摇号 {lid} 的外部随机数已由一人录入，等待独立复核："
                   "请按官方公告再录入一次（不显示第一次录入的值）。", link, event.at)


def opening_key_due(event: events.OpeningKeyDue) -> int:
    """A key holder is asked, once a day, to present their opening key."""
    request = db.session.get(SelectionRequest, event.request_id)
    if request is None:
        raise LookupError(f"request {event.request_id} of {event.name} not found")
    rid = event.request_public_id
    return _remind(
        f"opening:{rid}:{event.bid_round}:{event.day.isoformat()}:u{event.holder_id}",
        event.holder_org_id, event.holder_id, "warning", f"【待开标】{rid} 请出示开标密钥",
        f"{request.title}（{rid}）已到开标时间，报价加密到您的开标密钥 {event.key_id}。"
        f"请在 {_bj(event.deadline)} 前登录平台，在开标页面选择您的密钥文件开标；"
        "逾期未开标，本次密封报价失败，报价不再开启。", f"/regulator/openings/{rid}", event.at)


def opening_lapsed(event: events.OpeningLapsed) -> None:
    """The owner is told its sealed bid failed unopened, and why."""
    rid = event.request_public_id
    request = db.session.get(SelectionRequest, event.request_id)
    if request is None:
        raise LookupError(f"request {event.request_id} of {event.name} not found")
    db.session.add(Notification(
        key=f"opening-lapsed:{rid}:{event.bid_round}", organisation_id=event.owner_org_id,
        project_id=request.project_id, state="overdue", subject=f"【密封报价失败】{rid} 未在开标期限内开标", body=event.reason,
        link=f"/owner/requests/{rid}", created_at=event.at))


def avoid_review_submitted(event: events.AvoidReviewSubmitted) -> None:
    """Every regulator is asked to review a long avoid list."""
    request = db.session.get(SelectionRequest, event.request_id)
    if request is None:
        raise LookupError(f"request {event.request_id} of {event.name} not found")
    for org_id in db.session.scalars(sa.select(Organisation.id).where(
            Organisation.kind == OrgKind.REGULATOR.value)):
        db.session.add(Notification(
            key=f"avoid-review:{event.review_id}:{org_id}", organisation_id=org_id,
            state="avoid-review", subject=f"【回避名单审核】{request.title}"[:200],
            body=f"{request.owner.name} 的采购公告草稿 {request.public_id} 回避 {event.count} "
                 "家中介机构，超过平台规定的家数，请审核。",
            link="/regulator/avoid-reviews", created_at=event.at))


def avoid_review_decided(event: events.AvoidReviewDecided) -> None:
    """The owner hears the regulator's decision on its avoid list."""
    request = db.session.get(SelectionRequest, event.request_id)
    if request is None:
        raise LookupError(f"request {event.request_id} of {event.name} not found")
    outcome = "同意" if event.approved else "不同意"
    db.session.add(Notification(
        key=f"avoid-review:{event.review_id}:decided", organisation_id=request.owner_org_id,
        project_id=request.project_id, state="avoid-review", subject=f"【回避名单审核：{outcome}】{request.title}"[:200],
        body=f"监管部门{outcome}采购公告草稿 {request.public_id} 的回避名单。"
             + (f"理由：{event.note}" if event.note else ""),
        link=f"/owner/requests/{request.public_id}", created_at=event.at))

"""Public notices, draw pages with "verify it yourself", bundles, witness and result entry."""

from __future__ import annotations

import functools
import json
from typing import Any

import segno
import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from lottery.errors import CheckFailed
from lottery.sources import public_time
from lottery.verify import verify_bundle
from market import pagecache, timeutil
from market.accounts import tenants
from market.accounts.auth import ANYONE, USER, access
from market.accounts.models import Division, Organisation
from market.db import db
from market.domain import quotes as quote_rules
from market.downloads import json_download
from market.forms import show_error
from market.selection import award as award_ops
from market.selection import draw, opening, procedures, tasks
from market.selection import external as external_ops
from market.selection.award import LIVE
from market.selection.errors import SelectionError
from market.selection.forms import ExternalForm, WitnessForm
from market.selection.models import (
    SUMMARY_ROWS,
    Award,
    Bid,
    Lottery,
    Objection,
    RequestState,
    SelectionRequest,
    SignUp,
    summarise_pool,
    summarise_record,
)
from market.selection.requests import successor
from market.selection.schemas import BUNDLE, LotteryOut
from market.selection.scope import division_ids, newest_published, published
from market.transparency.keys import platform_key
from market.web.openapi import MAX_PAGE, Page, PageQuery, PathParam, endpoint, error_response

bp = Blueprint("lotteries", __name__)

PER_PAGE = 20
# How many pages of notices the list reaches, newest first (采购公告列表可翻页数): the pager
# counts matching notices only this far (and says "1,000+" beyond); older notices are found by
# narrowing the list (state, division, words), exact totals are in /api/requests and the
# monthly statistics.
NOTICE_PAGES = 50
NOTICE_ROWS = NOTICE_PAGES * PER_PAGE
PAGE_ROWS = SUMMARY_ROWS  # rows of rankings and sign-ups shown before "show all" (the bundle
# has all)


@bp.app_context_processor
def draw_task_words() -> dict[str, Any]:
    def draw_tasks() -> tasks.TaskList:
        """The dashboard's first draw to-dos and how many there are (none for a visitor)."""
        return (tasks.my_tasks(current_user) if current_user.is_authenticated
                else tasks.TaskList([], 0))

    return {"draw_tasks": draw_tasks, "role_words": tasks.ROLE_WORDS}


@bp.route("/draw-tasks")
@access(USER)
def draw_tasks() -> str:
    """Every draw to-do of the person logged in (摇号待办), most urgent first, a page at a
    time: the dashboard shows the first few and links here."""
    page = min(max(1, request.args.get("page", 1, type=int) or 1), MAX_PAGE)
    found = tasks.my_tasks(current_user, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    return render_template("selection/draw_tasks.html", tasks=found, page=page,
                           pages=max(1, -(-found.total // PER_PAGE)))


def _lottery(lottery_id: str) -> Lottery:
    lottery: Lottery | None = db.session.scalar(
        sa.select(Lottery).where(Lottery.lottery_id == lottery_id))
    if lottery is None:
        abort(404)
    return lottery


@bp.route("/notices")
@access(ANYONE)
def notices() -> ResponseReturnValue:
    """Published selection requests (采购公告), newest first, filterable by state, by words
    of the title or the notice's number (``q``) and by division (``division``, a GB/T 2260
    code: that city's or county's requests, a city's with its counties')."""
    # not cut to six characters: a longer code is no division (400), not another one
    return _notices(request.args.get("division", "").strip()[:32], None)


@bp.route("/d/<code>/notices")
@access(ANYONE)
def place_notices(code: str) -> ResponseReturnValue:
    """A city's or county's notices (``/d/<code>/notices``): the list of :func:`notices`
    with the division the address names."""
    return _notices(code, tenants.page_place(code))


def _notices(division: str, place: Division | None) -> ResponseReturnValue:
    state = request.args.get("state", "")
    q = " ".join(request.args.get("q", "").split())[:100]
    page = min(max(1, request.args.get("page", 1, type=int) or 1), MAX_PAGE)
    query = sa.select(SelectionRequest).where(published())
    if state in {s.value for s in RequestState} - {"draft"}:
        query = query.where(SelectionRequest.state == state)
    tenant_ids = division_ids(division) if division else []
    if division and not tenant_ids:
        # a code that is no division of the platform (a typo in a link): said, as the
        # directory and the API say it, rather than an empty list that looks like no notices
        return render_template("selection/notices.html", rows=[], state=state, q=q, page=1,
                               pages=1, total=0, more=False, division=division,
                               divisions=_divisions(), pager=("lotteries.notices", {}),
                               error=_("未知的行政区划代码：%(value)s。", value=division)), 400
    if division:
        query = query.where(SelectionRequest.tenant_id.in_(tenant_ids))
    for word in q.split(" ") if q else []:
        like = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(sa.or_(SelectionRequest.title.ilike(like, escape="\\"),
                                   SelectionRequest.public_id.ilike(like, escape="\\")))
    # Counted only as far as the pager reaches (see NOTICE_PAGES): the exact count grows with
    # the province's notices, on every view, and no visitor pages through them all.
    found = db.session.scalar(sa.select(sa.func.count()).select_from(
        query.with_only_columns(SelectionRequest.id).limit(NOTICE_ROWS + 1).subquery())) or 0
    total, more = min(found, NOTICE_ROWS), found > NOTICE_ROWS
    pages = max(1, -(-total // PER_PAGE))
    page = min(page, pages)  # a page past the reachable ones shows the last of them
    listed = (newest_published(query, tenant_ids, PER_PAGE, (page - 1) * PER_PAGE)
              if division else
              query.order_by(SelectionRequest.published_at.desc(), SelectionRequest.id.desc())
              .limit(PER_PAGE).offset((page - 1) * PER_PAGE))
    rows = db.session.scalars(listed.options(selectinload(SelectionRequest.owner),
                                             selectinload(SelectionRequest.service_type))).all()
    return render_template("selection/notices.html", rows=rows, state=state, q=q, page=page,
                           pages=pages, total=total, more=more,
                           division=division, divisions=_divisions(),
                           pager=(("lotteries.place_notices", {"code": place.code})
                                  if place is not None else
                                  ("lotteries.notices", {"division": division or None})))


def _divisions() -> list[Division]:
    """The division filter's choices: only once the platform serves several."""
    served = tenants.tenants()
    return served if len(served) > 1 else []


@bp.route("/notices/<public_id>")
@access(ANYONE)
@pagecache.cached(pagecache.DIRECTORY, pagecache.SELECTION)  # names of agencies and owners too
def notice(public_id: str) -> str:
    req = db.session.scalar(sa.select(SelectionRequest).where(
        SelectionRequest.public_id == public_id, SelectionRequest.state != RequestState.DRAFT.value))
    if req is None:
        abort(404)
    procedures.advance(req)
    pagecache.fresh_until(procedures.settled_until(req))
    lotteries = db.session.scalars(sa.select(Lottery).where(Lottery.request_id == req.id)
                                   .order_by(Lottery.id)).all()
    registrants = db.session.scalar(sa.select(sa.func.count(SignUp.id)).where(
        SignUp.request_id == req.id, SignUp.withdrawn_at.is_(None))) or 0

    shown = procedures.of(req).notice_view(req)
    if shown.registrants is not None:
        registrants = shown.registrants
    awards = award_ops.awards_of(req)
    return render_template(
        "selection/notice.html", req=req, lotteries=lotteries, registrants=registrants,
        sealing=opening.status(req),
        bids=shown.bids, pv=shown.proposals, awards=awards, award=award_ops.current_award(req),
        changes=award_ops.changes(req, awards), successor=successor(req, published=True),
        award_ops=award_ops, now=timeutil.now(), shortlist=shown.shortlist,
        rate_of=lambda b: _rate_text(req, b),
        objections=db.session.scalars(sa.select(Objection).where(
            Objection.request_id == req.id).order_by(Objection.id)).all())


def _rate_text(req: SelectionRequest, bid: Bid) -> str:
    """An opened rate quote's discount rate (下浮率), named by its fee (unique, see
    :func:`market.domain.quotes.rate_of_fee`)."""
    if bid.amount_fen is None or req.cap_fen is None:
        return "—"
    bp = quote_rules.rate_of_fee(req.cap_fen, bid.amount_fen)
    return "—" if bp is None else quote_rules.format_rate(bp)


def _names(result: dict[str, Any] | None, frozen: dict[str, Any] | None) -> dict[str, str]:
    """Agency id → name for the agencies shown (ids are always shown with their names)."""
    wanted = sorted({*(a for a, _ticket in (result or {}).get("ranking", [])),
                     *(frozen or {}).get("head", [])})
    names: dict[str, str] = {}
    for chunk in (wanted[i:i + 900] for i in range(0, len(wanted), 900)):
        names.update(db.session.execute(sa.select(Organisation.public_id, Organisation.name)
                                        .where(Organisation.public_id.in_(chunk))).all())
    return names


@functools.lru_cache(maxsize=2048)
def _qr_svg(url: str, scalable: bool = False) -> str:
    # A pure function of the page's address, and a quarter of the draw page's time to encode
    # (mask selection): kept per process.  ``scalable``: no fixed size, a viewBox instead, so
    # that the stylesheet sizes it (the hall's screen).
    return segno.make(url, error="m").svg_inline(scale=3, dark="#1f2328", light="#ffffff",
                                                 omitsize=scalable)


@bp.route("/lotteries/<lottery_id>")
@access(ANYONE)
# Names of agencies and of the witnesses' organisations (directory) beside the draw's own data
# (selection: the lottery, its request, sign-ups, witnesses and their memberships, entropy
# entries, external proposals, awards and objections).  People's names are written once, when
# the account is made.
@pagecache.cached(pagecache.DIRECTORY, pagecache.SELECTION)
def lottery_page(lottery_id: str) -> str:
    lottery = _lottery(lottery_id)
    procedures.advance(lottery.request)
    pagecache.fresh_until(procedures.settled_until(lottery.request))
    if request.args.get("all") == "1":
        # "show all": every ranking row and sign-up, megabytes with 10^4 of them and rarely
        # asked for; not worth a place in every process's cache
        pagecache.fresh_until(None)
    return _render_lottery(_lottery(lottery_id))


def _render_lottery(lottery: Lottery, witness_form: WitnessForm | None = None,
                    external_form: ExternalForm | None = None) -> str:
    """The draw page; the entry forms carry what was typed and their errors after a refusal."""
    lottery_id = lottery.lottery_id
    show_all = request.args.get("all") == "1"
    plan = lottery.announcement.get("entropy_plan", [])
    entries = {e.position: e for e in lottery.entries}
    me = current_user if current_user.is_authenticated else None
    external = plan[-1] if plan else None
    page_url = url_for("lotteries.lottery_page", lottery_id=lottery_id, _external=True)
    # The stored summaries hold the first PAGE_ROWS rows; only "show all" reads the whole
    # record and pool (several MB with 10^4 sign-ups).
    if show_all:
        result, frozen = summarise_record(lottery.record, None), summarise_pool(lottery.pool, None)
    else:
        result, frozen = lottery.record_summary, lottery.pool_summary
    awards = award_ops.awards_of(lottery.request)  # read once for the award and its changes

    return render_template(
        "selection/lottery.html", lottery=lottery, req=lottery.request, plan=plan,
        entries=entries, external=external, witnesses=tasks.witness_rows(lottery),
        my_witness=tasks.witness_status(lottery, me) if me else None,
        my_external=tasks.external_status(lottery, me) if me else None,
        proposal=external_ops.pending(lottery),
        award=award_ops.current_of(awards), changes=award_ops.changes(lottery.request, awards),
        external_public_at=public_time(external) if external else None,
        witness_form=witness_form or WitnessForm(),
        external_form=external_form or ExternalForm(), qr=_qr_svg(page_url),
        now=timeutil.now(), page_url=page_url, names=_names(result, frozen),
        public_key=platform_key().public_b64, result=result, frozen=frozen,
        show_all=show_all, limit=None if show_all else PAGE_ROWS,
        signup_count=db.session.scalar(sa.select(sa.func.count(SignUp.id)).where(
            SignUp.lottery_id == lottery_id)),
        signups=db.session.scalars(
            sa.select(SignUp).options(joinedload(SignUp.agency))
            .where(SignUp.lottery_id == lottery_id).order_by(SignUp.at, SignUp.id)
            .limit(None if show_all else PAGE_ROWS)).all())


@bp.route("/lotteries/<lottery_id>/bundle.json")
@access(ANYONE)
@endpoint(response=BUNDLE, tag="lotteries", errors=(404,), ignore_unknown=True,
          path={"lottery_id": PathParam("the lottery id (LT-000123)", r"^LT-[0-9]+$")})
def bundle(lottery_id: str) -> ResponseReturnValue:
    """The verification bundle of a drawn lottery (lottery-v1 §8).

    Check it offline with `python -m lottery verify`. 404 until the lottery is drawn."""
    lottery = _lottery(lottery_id)
    if lottery.record is None:  # drawn (a drawn lottery voided later still verifies)
        return error_response(404, "not_drawn", _("该摇号尚未抽取。"))
    body = json.dumps(draw.bundle(lottery), ensure_ascii=False, separators=(",", ":"))
    return json_download(body, f"{lottery.lottery_id}.bundle.json", inline=True)


@bp.route("/lotteries/<lottery_id>/verify")
@access(ANYONE)
def verify(lottery_id: str) -> str:
    """The server runs the same offline verifier on the bundle and shows each check."""
    lottery = _lottery(lottery_id)
    if lottery.record is None:  # drawn (a drawn lottery voided later still verifies)
        abort(404)
    try:
        result = verify_bundle(draw.bundle(lottery))
        lines, failure = result.lines(), None
        passed = list(result.passed)
    except CheckFailed as exc:
        lines, failure, passed = [], f"FAIL {exc.check}: {exc.reason}", []
    return render_template("selection/verify.html", lottery=lottery, lines=lines,
                           failure=failure, passed=passed)


@bp.route("/lotteries/<lottery_id>/witness", methods=["POST"])
@access(USER)
def witness(lottery_id: str) -> ResponseReturnValue:
    """A witness types their digits; a refusal shows next to the field (400), input kept."""
    lottery = _lottery(lottery_id)
    form = WitnessForm()
    if form.validate_on_submit():
        try:
            draw.enter_witness(lottery, current_user, form.value.data or "")
        except SelectionError as error:
            show_error(form, error)
        else:
            flash(_("见证随机数已录入并写入日志。"), "success")
            return redirect(url_for("lotteries.lottery_page", lottery_id=lottery_id))
    return _render_lottery(_lottery(lottery_id), witness_form=form), 400


@bp.route("/lotteries/<lottery_id>/external", methods=["POST"])
@access(USER)
def external(lottery_id: str) -> ResponseReturnValue:
    """The external value, typed by one account and again by a second (see
    :mod:`market.selection.external` for who may do which)."""
    lottery = _lottery(lottery_id)
    if not external_ops.may_enter(lottery, current_user):
        abort(403)
    form = ExternalForm()
    if form.validate_on_submit():
        try:
            outcome = procedures.submit_external(
                lottery, current_user, form.value.data or "", form.signature.data or "",
                form.official_date.data)
        except SelectionError as error:
            show_error(form, error)
        else:
            flash(_("外部随机数已复核并写入日志，摇号已完成。") if outcome == "drawn" else
                  _("已录入，等待另一位有权限的人员独立复核后写入日志。"), "success")
            return redirect(url_for("lotteries.lottery_page", lottery_id=lottery_id))
    return _render_lottery(_lottery(lottery_id), external_form=form), 400


@bp.route("/api/lotteries")
@access(ANYONE)
@endpoint(query=PageQuery, response=LotteryOut, paged=True, tag="lotteries")
def api_lotteries(query: PageQuery) -> Page[LotteryOut]:
    """Lotteries (摇号), newest first.

    Each with its request id, state, winners and the URL of its verification bundle (null
    until drawn)."""
    total = db.session.scalar(sa.select(sa.func.count(Lottery.id))) or 0
    rows = db.session.execute(sa.select(Lottery, SelectionRequest.public_id)
                              .join(SelectionRequest, SelectionRequest.id == Lottery.request_id)
                              .order_by(Lottery.id.desc()).limit(query.per_page)
                              .offset((query.page - 1) * query.per_page)).all()

    live: dict[str, list[str]] = {}
    for lottery_id, agency_id in db.session.execute(
            sa.select(Award.lottery_id, Organisation.public_id)
            .join(Organisation, Organisation.id == Award.agency_org_id)
            .where(Award.lottery_id.in_([lot.lottery_id for lot, _rid in rows]),
                   Award.state.in_(LIVE)).order_by(Award.rank)):
        live.setdefault(str(lottery_id), []).append(agency_id)
    items = [LotteryOut(
        id=lot.lottery_id, request_id=rid, state=lot.state,
        winners=list((lot.record_summary or {}).get("winners", [])),
        awarded=live.get(lot.lottery_id, []) if lot.state == "drawn" else [],
        bundle_url=url_for("lotteries.bundle", lottery_id=lot.lottery_id, _external=True)
        if lot.record_summary is not None else None,
    ) for lot, rid in rows]
    return Page(items=items, total=total, query=query)


# --- the draw in the service hall (大厅大屏) ------------------------------------------------------
# The hall shows a draw on a big screen (实体进驻): the page is built once and its state part is
# fetched again every few seconds by site.js (no inline script: the CSP allows only our own
# files); without script the page reloads itself by a <meta> refresh inside <noscript>.

HALL_POLL_SECONDS = 5


def _hall_state(lottery: Lottery) -> dict[str, Any]:
    result, frozen = lottery.record_summary, lottery.pool_summary
    plan = lottery.announcement.get("entropy_plan", [])
    page_url = url_for("lotteries.lottery_page", lottery_id=lottery.lottery_id, _external=True)
    entries = {e.position: e for e in lottery.entries}
    return dict(
        lottery=lottery, req=lottery.request, result=result, frozen=frozen,
        names=_names(result, frozen), witnesses=tasks.witness_rows(lottery),
        external=plan[-1] if plan else None,
        external_entry=entries.get(len(plan) - 1) if plan else None,
        award=award_ops.current_award(lottery.request), qr=_qr_svg(page_url, scalable=True),
        page_url=page_url, now=timeutil.now(),
        signup_count=db.session.scalar(sa.select(sa.func.count(SignUp.id)).where(
            SignUp.lottery_id == lottery.lottery_id, SignUp.withdrawn_at.is_(None))))


@bp.route("/lotteries/<lottery_id>/hall")
@access(ANYONE)
def hall(lottery_id: str) -> str:
    """The draw on the hall's big screen: readable across a room, updating itself."""
    lottery = _lottery(lottery_id)
    procedures.advance(lottery.request)
    return render_template("selection/hall.html", poll_seconds=HALL_POLL_SECONDS,
                           **_hall_state(_lottery(lottery_id)))


@bp.route("/lotteries/<lottery_id>/hall/state")
@access(ANYONE)
def hall_state(lottery_id: str) -> ResponseReturnValue:
    """The part of the hall page that changes, for its next refresh (never cached)."""
    lottery = _lottery(lottery_id)
    procedures.advance(lottery.request)
    body = render_template("selection/_hall_state.html", **_hall_state(_lottery(lottery_id)))
    return body, 200, {"Cache-Control": "no-store"}

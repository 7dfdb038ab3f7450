"""The published rule of electronic supervision (public) and the regulator's console of the
ladder and its supervision orders (督办)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from market.accounts.auth import ANYONE, access, require_org
from market.accounts.models import OrgKind, RegulatorKind
from market.forms import show_error
from market.i18n import N_
from market.supervision import operations
from market.supervision.forms import AnswerForm
from market.timeutil import today_local
from market.web.openapi import MAX_PAGE

bp = Blueprint("supervision", __name__)

STEP_LABELS = {"warning": N_("预警提醒"), "yellow": N_("黄牌"), "red": N_("红牌")}
SUBJECT_LABELS = {"service": N_("中介服务超期"), "signing": N_("合同签订超期"),
                  "review": N_("业主验收超期"), "case": N_("审批超期"),
                  "tolerated": N_("容缺受理材料逾期未补"), "objection": N_("异议逾期未处理"),
                  "complaint": N_("投诉逾期未处理"), "correction": N_("差评整改逾期未答复")}
PARTY_LABELS = {"agency": N_("中介机构"), "owner": N_("项目业主"), "department": N_("审批部门"),
                "regulator": N_("监管部门")}
ROLE_LABELS = {"party": N_("责任方"), "regulator": N_("监管部门"), "managing": N_("主管部门")}
CHANNEL_LABELS = {"notice": N_("站内通知"), "email": N_("电子邮件")}


def _labels() -> dict[str, object]:
    return {"steps": STEP_LABELS, "subjects": SUBJECT_LABELS, "parties": PARTY_LABELS,
            "roles": ROLE_LABELS, "channels": CHANNEL_LABELS}


@bp.route("/supervision")
@access(ANYONE)
def rule() -> ResponseReturnValue:
    """The published ladder: its thresholds as configured, in plain words."""
    return render_template("supervision/rule.html", ladder=operations.ladder(), **_labels())


PARTIES_PER_PAGE = 10  # parties on a page of the console
MATTERS_EACH = 5  # each party's oldest matters shown there; the rest on the party's own view
MATTERS_PER_PAGE = 20  # a party's own view
ORDERS_PER_PAGE = 20


def _page(name: str) -> int:
    return min(max(1, request.args.get(name, 1, type=int) or 1), MAX_PAGE)


def _pages(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


@bp.route("/regulator/supervision")
@access(OrgKind.REGULATOR)
def console() -> ResponseReturnValue:
    """The ladder per responsible party, the party with the oldest late matter first (its
    oldest matters first), a page at a time; ``?party=<key>``: one party's matters, paged; and
    the 督办 waiting for an answer, paged too."""
    orders_page = _page("orders")
    org = require_org()
    orders, orders_total = operations.open_orders(org, orders_page, ORDERS_PER_PAGE)
    common = {"orders": orders, "orders_page": orders_page,
              "orders_pages": _pages(orders_total, ORDERS_PER_PAGE),
              "orders_total": orders_total, "today": today_local(), **_labels()}
    page = _page("page")
    key = request.args.get("party")
    if key is not None:
        found = operations.party_ladder(org, key[:300], page, MATTERS_PER_PAGE)
        if found is None:
            abort(404)
        party, matters = found
        return render_template("supervision/console.html", party=party, matters=matters,
                               page=page, pages=_pages(party.matters, MATTERS_PER_PAGE),
                               **common)
    by_party, total = operations.ladder_by_party(org, page, PARTIES_PER_PAGE, MATTERS_EACH)
    return render_template("supervision/console.html", party=None, by_party=by_party,
                           page=page, pages=_pages(total, PARTIES_PER_PAGE), total=total,
                           **common)


@bp.route("/regulator/supervision/orders/<public_id>", methods=["GET", "POST"])
@access(OrgKind.REGULATOR)
def order(public_id: str) -> ResponseReturnValue:
    row = operations.by_public_id(public_id)
    org = require_org()
    if row is None or not operations.in_scope(org, row):
        abort(404)  # another tenant's or another industry's matter is not for this regulator
    # the province reads every 督办 and issues them; the regulator of the matter answers
    may_answer = org.regulator_kind != RegulatorKind.PROVINCE.value
    form = AnswerForm()
    failed = False
    if form.is_submitted() and not may_answer:
        abort(403)
    if not row.answered and form.validate_on_submit():
        try:
            operations.answer(row, current_user, form.answer.data or "")
        except operations.SupervisionError as error:
            failed = True
            show_error(form, error)
        else:
            flash(_("督办答复已保存。"), "success")
            return redirect(url_for("supervision.order", public_id=row.public_id))
    elif row.answered and form.is_submitted():
        failed = True
        flash(_("该督办已答复，不能再次答复。"), "error")
    return render_template("supervision/order.html", row=row, step=row.step_row, form=form,
                           today=today_local(), may_answer=may_answer, **_labels()), \
        400 if form.errors or failed else 200

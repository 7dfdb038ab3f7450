"""Long avoid lists (回避名单审核): the owner submits its draft's list, a regulator decides."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from market.accounts import scope
from market.accounts.auth import access, current_org, require_org, within_reach
from market.accounts.models import OrgKind
from market.db import db
from market.forms import ActionForm, show_error
from market.selection import avoid_review
from market.selection.errors import SelectionError
from market.selection.forms import AvoidDecisionForm
from market.selection.models import AvoidReview, SelectionRequest
from market.selection.scope import request_subject, within

bp = Blueprint("avoid_reviews", __name__)


@bp.route("/owner/requests/<public_id>/avoid-review", methods=["POST"])
@access("owner")
def submit(public_id: str) -> ResponseReturnValue:
    """The owner submits its draft's long avoid list to the regulators."""
    req = db.session.scalar(sa.select(SelectionRequest).where(
        SelectionRequest.public_id == public_id))
    if req is None or not within_reach(req.owner_org_id, req.project_id):
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        avoid_review.submit(require_org(), req, current_user)
    except SelectionError as error:
        flash(_(error.message, **(error.params or {})), "error")
    else:
        flash(_("回避名单已提交监管部门审核，同意后即可发布。"), "success")
    return redirect(url_for("owner.request_detail", public_id=public_id))


def _page(form: AvoidDecisionForm | None = None, failed: int | None = None,
          status: int = 200) -> ResponseReturnValue:
    mine = within(sa.select(AvoidReview).join(
        SelectionRequest, SelectionRequest.id == AvoidReview.request_id), current_org())
    pending = db.session.scalars(mine.where(
        AvoidReview.state == "pending").order_by(AvoidReview.submitted_at)).all()
    decided = db.session.scalars(mine.where(
        AvoidReview.state != "pending").order_by(AvoidReview.decided_at.desc()).limit(50)).all()
    forms = {r.id: _own_ids(form if (form is not None and r.id == failed)
                            else AvoidDecisionForm(formdata=None), r.id) for r in pending}
    return render_template("selection/avoid_reviews.html", pending=pending, decided=decided,
                           forms=forms), status


def _own_ids(form: AvoidDecisionForm, review_id: int) -> AvoidDecisionForm:
    """The page holds one form per pending review: each field's id (and its label's, its
    message's) names the review, so that no two are the same and each label points to its
    own input.  The names stay those a decision posts."""
    for f in form:
        f.id = f"review-{review_id}-{f.name}"
        f.label.field_id = f.id
    return form


@bp.route("/regulator/avoid-reviews")
@access(OrgKind.REGULATOR)
def reviews() -> ResponseReturnValue:
    """The avoid lists waiting for a regulator, oldest first, and the last decided."""
    return _page()


@bp.route("/regulator/avoid-reviews/<int:review_id>", methods=["POST"])
@access(OrgKind.REGULATOR)
def decide(review_id: int) -> ResponseReturnValue:
    """A regulator approves or refuses a long avoid list (a refusal with its reason)."""
    review = db.session.get(AvoidReview, review_id)
    if review is None:
        abort(404)
    scope.require(current_org(), request_subject(review.request), scope.Act.DECIDE)
    form = AvoidDecisionForm()
    if form.validate_on_submit():
        try:
            avoid_review.decide(review, current_user, form.decision.data == "approve",
                                form.note.data or "")
        except SelectionError as error:
            show_error(form, error)
        else:
            flash(_("审核意见已送达业主。"), "success")
            return redirect(url_for("avoid_reviews.reviews"))
    return _page(form, review_id, 400)

"""Members of an organisation and invitations (本单位成员、成员邀请), on the accounts blueprint."""

from __future__ import annotations

from flask import abort, after_this_request, flash, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from market.accounts import invitations
from market.accounts import operations as ops
from market.accounts.auth import ANYONE, USER, access, require_org
from market.accounts.forms import InvitationAccountForm, InvitationForm
from market.accounts.models import ROLES_BY_KIND, Invitation, Membership, OrgKind, Role
from market.accounts.views import ROLE_NAMES, bp, log_in
from market.db import db
from market.forms import ActionForm, show_error


def invitation_link(invitation: Invitation) -> str:
    return url_for("accounts.invitation", token=invitations.token_for(invitation),
                   _external=True)


def mail_after_commit(invitation: Invitation) -> None:
    """E-mail the link once the request has committed (never for a rolled-back one)."""
    invitation_id, link = invitation.id, invitation_link(invitation)

    @after_this_request
    def send(response: Response) -> Response:
        if response.status_code < 400:
            invitations.send_invitation_email(invitation_id, link)
        return response


@bp.route("/org/members", methods=["GET", "POST"])
@access(Role.OWNER_ADMIN, Role.AGENCY_ADMIN)
def members() -> ResponseReturnValue:
    org = require_org()
    form = InvitationForm()
    # The colleague's role first, so that the choice made by default is not the admin's.
    roles = sorted(ROLES_BY_KIND[OrgKind(org.kind)], key=lambda r: r in invitations.ADMIN_ROLES)
    form.role.choices = [SelectChoice(r.value, ROLE_NAMES[r]) for r in roles]
    if form.validate_on_submit():
        try:
            invitation = invitations.invite(org, email=form.email.data or "",
                                            role=Role(form.role.data), inviter=current_user)
        except ops.AccountError as error:
            show_error(form, error)
        else:
            mail_after_commit(invitation)
            # The same words whether or not the address has an account.
            flash(_("已向 %(email)s 发出邀请。对方接受后才会加入本单位。",
                    email=invitation.email), "success")
            return redirect(url_for("accounts.members"))
    pending = [(i, invitation_link(i), invitations.is_open(i))
               for i in invitations.pending_for_organisation(org)]
    return render_template(
        "accounts/members.html", form=form, org=org,
        members=sorted(org.memberships, key=lambda m: m.id), pending=pending,
        role_names=ROLE_NAMES), 400 if form.errors else 200


@bp.route("/org/members/<int:membership_id>/remove", methods=["POST"])
@access(Role.OWNER_ADMIN, Role.AGENCY_ADMIN)
def remove_member(membership_id: int) -> Response:
    org = require_org()
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.organisation_id != org.id:
        abort(404)
    if ActionForm().validate_on_submit():
        try:
            invitations.remove_member(org, membership, by=current_user)
        except ops.AccountError as error:
            flash(_(error.message), "error")
        else:
            flash(_("已将其移出本单位。"), "success")
    return redirect(url_for("accounts.members"))


@bp.route("/org/invitations/<int:invitation_id>/revoke", methods=["POST"])
@access(Role.OWNER_ADMIN, Role.AGENCY_ADMIN)
def revoke_invitation(invitation_id: int) -> Response:
    org = require_org()
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.organisation_id != org.id:
        abort(404)
    if ActionForm().validate_on_submit():
        try:
            invitations.revoke(invitation)
        except ops.AccountError as error:
            flash(_(error.message), "error")
        else:
            flash(_("邀请已撤回，链接不再有效。"), "success")
    return redirect(url_for("accounts.members"))


def _invitation_or_404(token: str) -> Invitation:
    invitation = invitations.from_token(token)
    if invitation is None:
        abort(404)
    return invitation


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@access(ANYONE)
def invitation(token: str) -> ResponseReturnValue:
    """The invitation's link: accept or decline when logged in with its address; otherwise
    log in, or create the account for that address."""
    invitation = _invitation_or_404(token)
    form = InvitationAccountForm()
    if not current_user.is_authenticated and form.validate_on_submit():
        try:
            user = invitations.create_account_and_accept(
                invitation, name=form.name.data or "", password=form.password.data or "",
                phone=form.phone.data)
        except ops.AccountError as error:
            show_error(form, error)
        else:
            response = log_in(user, url_for("accounts.dashboard"))  # a fresh session: flash after
            flash(_("账户已创建，您已加入%(org)s。", org=invitation.organisation.name),
                  "success")
            return response
    return render_template(
        "accounts/invitation.html", invitation=invitation, token=token, form=form,
        open=invitations.is_open(invitation), role_names=ROLE_NAMES,
        addressed_to_me=current_user.is_authenticated
        and current_user.email == invitation.email), 400 if form.errors else 200


def _answer(token: str, accept: bool) -> Response:
    invitation = _invitation_or_404(token)
    if current_user.email != invitation.email:
        abort(404)  # not this account's invitation: as if there were none
    if ActionForm().validate_on_submit():
        try:
            if accept:
                invitations.accept(invitation, current_user)
            else:
                invitations.decline(invitation, current_user)
        except ops.AccountError as error:
            flash(_(error.message), "error")
            return redirect(url_for("accounts.invitation", token=token))
        if accept:
            session["org_id"] = invitation.organisation_id
            flash(_("您已加入%(org)s。", org=invitation.organisation.name), "success")
        else:
            flash(_("已谢绝邀请。"), "success")
    return redirect(url_for("accounts.dashboard"))


@bp.route("/invitations/<token>/accept", methods=["POST"])
@access(USER)
def accept_invitation(token: str) -> Response:
    return _answer(token, accept=True)


@bp.route("/invitations/<token>/decline", methods=["POST"])
@access(USER)
def decline_invitation(token: str) -> Response:
    return _answer(token, accept=False)

"""Login, logout, registration, password change, dashboard, owner re-application."""

from __future__ import annotations

import math
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from market import timeutil
from market.accounts import (
    activation,
    invitations,
    oidc,
    persons,
    second_factor,
    sessions,
    tenants,
    throttle,
)
from market.accounts import operations as ops
from market.accounts.auth import ANYONE, USER, access, current_membership, current_org
from market.accounts.forms import (
    LoginForm,
    PasswordChangeForm,
    PersonReapplyForm,
    PersonRegisterForm,
    ReapplyForm,
    RegisterForm,
)
from market.accounts.models import OrgKind, OrgStatus, Role, User
from market.extensions import limiter
from market.forms import ActionForm, show_error

bp = Blueprint("accounts", __name__)

ROLE_NAMES = {
    Role.OWNER_ADMIN: _l("采购管理人"),
    Role.OWNER_DELEGATE: _l("采购受托人"),
    Role.AGENCY_ADMIN: _l("业务授权人"),
    Role.AGENCY_STAFF: _l("经办人"),
    Role.REGULATOR: _l("监管人员"),
    Role.OPERATOR: _l("运营人员"),
    Role.DEPARTMENT_STAFF: _l("部门工作人员"),
}


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so the login page cannot be used as an open redirect."""
    if not target:
        return url_for("accounts.dashboard")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("accounts.dashboard")
    return target


# The cookie session's note of a login waiting for its second step: the user's id, where to
# go after, and until when (epoch seconds).
PENDING_LOGIN = "second_factor_login"
PENDING_SECONDS = 300
# How the browser's session was opened: "password" or "oidc" (the provider authenticated the
# person, so the second-factor rules of market.accounts.second_factor do not apply).
LOGIN_METHOD = "login_method"


def log_in(user: User, target: str, method: str = "password") -> Response:
    """Start a server-side session for ``user`` in a fresh cookie session (nothing from before
    the login survives it) and trust this browser for the account from now on."""
    session.clear()
    sessions.start(user)
    login_user(user)
    session[LOGIN_METHOD] = method
    response = redirect(target)
    throttle.remember_device(response, user.email)
    return response


def too_many_attempts(seconds: int) -> str:
    return str(_("尝试次数过多，请 %(minutes)s 分钟后再试。曾在本浏览器成功登录过的账户不受此限制。",
             minutes=max(1, math.ceil(seconds / 60))))


@bp.route("/login", methods=["GET", "POST"])
@access(ANYONE)
def login() -> ResponseReturnValue:
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        email = ops.normalise_email(form.email.data or "")
        wait = throttle.login_attempt(email)
        if wait is not None:
            form.password.errors = [too_many_attempts(wait)]
            status = 429
        else:
            user = ops.authenticate(email, form.password.data or "")
            if user is not None and second_factor.has_factor(user):
                # The password was right; the session logs in only when the code is too.
                session.clear()
                session[PENDING_LOGIN] = {
                    "user": user.id, "next": _safe_next(request.args.get("next")),
                    "until": int(timeutil.now().timestamp()) + PENDING_SECONDS}
                return redirect(url_for("accounts.login_code"))
            if user is not None:
                return log_in(user, _safe_next(request.args.get("next")))
            throttle.login_failed(email)
            # One message for an unknown account and a wrong password.
            form.password.errors = [_("邮箱或密码不正确。")]
    if form.errors and status == 200:
        status = 400
    return render_template("accounts/login.html", form=form, oidc=oidc.enabled(),
                           next=_safe_next(request.args.get("next"))), status


@bp.route("/logout", methods=["POST"])
@access(USER)
def logout() -> Response:
    if ActionForm().validate_on_submit():
        sessions.end_current()
        logout_user()
        session.clear()
    return redirect(url_for("public.home"))


@bp.route("/register", methods=["GET", "POST"])
@access(ANYONE)
@limiter.limit("20 per hour", methods=["POST"])
def register() -> ResponseReturnValue:
    form = RegisterForm(kind=request.args.get("kind", "owner"))
    served = tenants.tenants()
    form.division.choices = [(d.code, d.name) for d in served]
    if not form.is_submitted() and len(served) > 1:
        form.division.data = tenants.home_tenant().code  # the first city's, preselected
    if form.validate_on_submit():
        try:
            user = ops.register(
                kind=OrgKind(form.kind.data),
                org_name=form.org_name.data or "",
                credit_code=form.credit_code.data or "",
                region=form.region.data or "",
                name=form.name.data or "",
                email=form.email.data or "",
                password=form.password.data or "",
                phone=form.phone.data,
                division=form.division.data or None,
            )
        except ops.AccountError as error:
            show_error(form, error)
        else:
            response = log_in(user, url_for("accounts.dashboard"))  # a fresh session: flash after
            flash(_("注册成功。平台运营方核验单位信息后即可发布采购公告。")
                  if form.kind.data == OrgKind.OWNER.value else _("注册成功。"), "success")
            return response
    return render_template("accounts/register.html", form=form,
                           many_tenants=len(served) > 1), 400 if form.errors else 200


@bp.route("/register/person", methods=["GET", "POST"])
@access(ANYONE)
@limiter.limit("20 per hour", methods=["POST"])
def register_person() -> ResponseReturnValue:
    """A natural person registers as an owner (自然人业主)."""
    form = PersonRegisterForm()
    served = tenants.tenants()
    form.division.choices = [(d.code, d.name) for d in served]
    if not form.is_submitted() and len(served) > 1:
        form.division.data = tenants.home_tenant().code
    if form.validate_on_submit():
        try:
            user = persons.register_person(
                name=form.name.data or "", id_number=form.id_number.data or "",
                region=form.region.data or "", email=form.email.data or "",
                password=form.password.data or "", phone=form.phone.data,
                division=form.division.data or None)
        except ops.AccountError as error:
            show_error(form, error)
        else:
            response = log_in(user, url_for("accounts.dashboard"))
            flash(_("注册成功。平台运营方核验身份信息后即可发布采购公告。"), "success")
            return response
    return render_template("accounts/register_person.html", form=form,
                           many_tenants=len(served) > 1), 400 if form.errors else 200


def _dashboard(reapply_form: ReapplyForm | PersonReapplyForm | None = None) -> str:
    membership = current_membership()
    org = membership.organisation if membership is not None else None
    if reapply_form is None and org is not None and org.status == OrgStatus.REJECTED.value \
            and org.kind == OrgKind.OWNER.value:
        # the refusal erased a person's number: they type it again
        reapply_form = (PersonReapplyForm(name=org.person_name, region=org.region) if org.person
                        else ReapplyForm(org_name=org.name, region=org.region))
    open_invitations = [(i, invitations.token_for(i))
                        for i in invitations.pending_for_user(current_user)]
    pending_owners = (len(activation.pending_owners(membership.organisation.tenant_id))
                      if membership is not None and membership.role == Role.OPERATOR else 0)
    return render_template(
        "accounts/dashboard.html", membership=membership, role_names=ROLE_NAMES,
        reapply_form=reapply_form, invitations=open_invitations,
        pending_owners=pending_owners,
        id_number=persons.id_number_shown(org) if org is not None else None)


@bp.route("/dashboard")
@access(USER)
def dashboard() -> str:
    return _dashboard()


@bp.route("/org/reapply", methods=["POST"])
@access(Role.OWNER_ADMIN)
def reapply() -> ResponseReturnValue:
    """A refused owner's administrator corrects the details and asks to be checked again (a
    natural person, from the same account: their name and identity number)."""
    org = current_org()
    if org is None or org.status != OrgStatus.REJECTED.value:
        abort(404)
    form: ReapplyForm | PersonReapplyForm = PersonReapplyForm() if org.person else ReapplyForm()
    if form.validate_on_submit():
        try:
            if isinstance(form, PersonReapplyForm):
                persons.reapply_person(org, name=form.name.data or "",
                                       id_number=form.id_number.data or "",
                                       region=form.region.data or "")
            else:
                activation.reapply(org, name=form.org_name.data or "",
                                   credit_code=form.credit_code.data or "",
                                   region=form.region.data or "")
        except ops.AccountError as error:
            show_error(form, error)
        else:
            flash(_("已重新提交，请等待平台运营方核验。"), "success")
            return redirect(url_for("accounts.dashboard"))
    return _dashboard(form), 400


@bp.route("/account/password", methods=["GET", "POST"])
@access(USER)
def password() -> ResponseReturnValue:
    form = PasswordChangeForm()
    status = 200
    if form.validate_on_submit():
        wait = throttle.password_change_attempt(current_user.id)
        if wait is not None:
            form.current.errors = [too_many_attempts(wait)]
            status = 429
        else:
            try:
                ops.change_password(current_user, form.current.data or "",
                                    form.password.data or "")
            except ops.AccountError as error:
                show_error(form, error)
            else:
                # Every session ended with the change; this browser gets a new one.
                sessions.start(current_user)
                login_user(current_user)
                flash(_("密码已修改，其他设备上的登录已退出。"), "success")
                return redirect(url_for("accounts.dashboard"))
    if form.errors and status == 200:
        status = 400
    return render_template("accounts/password.html", form=form), status


@bp.route("/account/organisation", methods=["POST"])
@access(USER)
def switch_org() -> Response:
    """Choose which of one's organisations to act for."""
    form = ActionForm()
    wanted = request.form.get("org_id", type=int)
    if form.validate_on_submit() and any(
        m.organisation_id == wanted for m in current_user.memberships
    ):
        session["org_id"] = wanted
    return redirect(url_for("accounts.dashboard"))


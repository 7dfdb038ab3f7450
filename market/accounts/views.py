"""Login, logout, registration, password change, members, dashboard."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from market.accounts import operations as ops
from market.accounts.forms import LoginForm, MemberForm, PasswordChangeForm, RegisterForm
from market.accounts.models import ROLES_BY_KIND, OrgKind, Role
from market.auth import ANYONE, USER, access, current_membership, current_org
from market.extensions import limiter, login_account_key
from market.forms import ActionForm, show_error

bp = Blueprint("accounts", __name__)

ROLE_NAMES = {
    Role.OWNER_ADMIN: _l("采购管理人"),
    Role.OWNER_DELEGATE: _l("采购受托人"),
    Role.AGENCY_ADMIN: _l("业务授权人"),
    Role.AGENCY_STAFF: _l("经办人"),
    Role.REGULATOR: _l("监管人员"),
    Role.OPERATOR: _l("运营人员"),
}


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so the login page cannot be used as an open redirect."""
    if not target:
        return url_for("accounts.dashboard")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("accounts.dashboard")
    return target


def _login_limit() -> str:
    return str(current_app.config["LOGIN_LIMIT"])


@bp.route("/login", methods=["GET", "POST"])
@access(ANYONE)
@limiter.limit(_login_limit, methods=["POST"])  # per IP
@limiter.limit(_login_limit, methods=["POST"], key_func=login_account_key)  # per account
def login() -> str | Response:
    form = LoginForm()
    if form.validate_on_submit():
        user = ops.authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            session.clear()
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        # One message for an unknown account and a wrong password.
        form.password.errors = [_("邮箱或密码不正确。")]
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@access(USER)
def logout() -> Response:
    if ActionForm().validate_on_submit():
        logout_user()
        session.pop("org_id", None)
    return redirect(url_for("public.home"))


@bp.route("/register", methods=["GET", "POST"])
@access(ANYONE)
@limiter.limit("20 per hour", methods=["POST"])
def register() -> str | Response:
    form = RegisterForm(kind=request.args.get("kind", "owner"))
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
            )
        except ops.AccountError as error:
            show_error(form, error)
        else:
            login_user(user)
            flash(_("注册成功。"), "success")
            return redirect(url_for("accounts.dashboard"))
    return render_template("accounts/register.html", form=form)


@bp.route("/dashboard")
@access(USER)
def dashboard() -> str:
    return render_template(
        "accounts/dashboard.html", membership=current_membership(), role_names=ROLE_NAMES
    )


@bp.route("/account/password", methods=["GET", "POST"])
@access(USER)
def password() -> str | Response:
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            ops.change_password(current_user, form.current.data or "", form.password.data or "")
        except ops.AccountError as error:
            show_error(form, error)
        else:
            login_user(current_user)  # the session id includes the password change time
            flash(_("密码已修改。"), "success")
            return redirect(url_for("accounts.dashboard"))
    return render_template("accounts/password.html", form=form)


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


@bp.route("/org/members", methods=["GET", "POST"])
@access(Role.OWNER_ADMIN, Role.AGENCY_ADMIN)
def members() -> str | Response:
    org = current_org()
    if org is None:  # the access rule guarantees a membership; be explicit anyway
        abort(403)
    assignable = [r for r in ROLES_BY_KIND[OrgKind(org.kind)]]
    form = MemberForm()
    form.role.choices = [SelectChoice(r.value, ROLE_NAMES[r]) for r in assignable]
    if form.validate_on_submit():
        try:
            ops.add_member(
                org,
                name=form.name.data or "",
                email=form.email.data or "",
                role=Role(form.role.data),
                password=form.password.data or "",
            )
        except ops.AccountError as error:
            show_error(form, error)
        else:
            flash(_("已添加成员。"), "success")
            return redirect(url_for("accounts.members"))
    return render_template(
        "accounts/members.html",
        form=form,
        members=sorted(org.memberships, key=lambda m: m.id),
        role_names=ROLE_NAMES,
    )

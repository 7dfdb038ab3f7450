"""The second factor's pages (动态口令): the login's second step, the account page that turns
it on, and the gate that keeps a person who must have one on that page until they do."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import segno
from flask import (
    after_this_request,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from market import timeutil
from market.accounts import operations as ops
from market.accounts import second_factor, throttle
from market.accounts.auth import ANYONE, USER, access
from market.accounts.forms import SecondFactorCodeForm, SecondFactorEnrolForm
from market.accounts.models import User
from market.accounts.views import (
    LOGIN_METHOD,
    PENDING_LOGIN,
    bp,
    log_in,
    too_many_attempts,
)
from market.db import db
from market.domain import totp
from market.forms import show_error

_ENROLMENT = "second_factor_enrolment"  # the offered secret, sealed, until a code confirms it

# What a person who must enrol may still reach: the enrolment page, logging out, the files.
_OPEN_WHILE_ENROLLING = frozenset({"accounts.second_factor", "accounts.logout", "static"})


@bp.before_app_request
def enrolment_gate() -> ResponseReturnValue | None:
    """A person holding a role that must have a second factor (``SECOND_FACTOR_ROLES``) and
    without one, logged in with a password, reaches nothing but the enrolment page."""
    if request.endpoint in _OPEN_WHILE_ENROLLING or request.endpoint is None:
        return None
    if not second_factor.required_roles() or not current_user.is_authenticated:
        return None
    if session.get(LOGIN_METHOD) == "oidc":
        return None
    if not second_factor.must_enrol(current_user):
        return None
    if request.path.startswith("/api/"):
        return {"error": {"code": "second_factor_required",
                          "message": _("请先启用动态口令。")}}, 403
    return redirect(url_for("accounts.second_factor"))


def _pending() -> tuple[User, str] | None:
    """The user whose password was right and who is asked for the code, with where to go."""
    note: Any = session.get(PENDING_LOGIN)
    if not isinstance(note, dict) or not isinstance(note.get("user"), int) \
            or not isinstance(note.get("until"), int) or not isinstance(note.get("next"), str):
        return None
    if note["until"] < timeutil.now().timestamp():
        return None
    user = db.session.get(User, note["user"])
    if user is None or not user.active:
        return None
    return user, note["next"]


def _audit_failure(user: User, reason: str) -> None:
    """Record a refused code although the request rolls back (it answers 400 or 429)."""
    user_id = user.id

    @after_this_request
    def record(response: Response) -> Response:
        again = db.session.get(User, user_id)
        if again is not None:
            second_factor.record_failure(again, reason)
            db.session.commit()
        return response


@bp.route("/login/code", methods=["GET", "POST"])
@access(ANYONE)
def login_code() -> ResponseReturnValue:
    """The login's second step: the code from the authenticator app, or a recovery code."""
    pending = _pending()
    if pending is None:
        session.pop(PENDING_LOGIN, None)
        flash(_("登录已超时，请重新输入邮箱和密码。"), "error")
        return redirect(url_for("accounts.login"))
    user, target = pending
    form = SecondFactorCodeForm()
    status = 200
    if form.validate_on_submit():
        wait = throttle.second_factor_attempt(user.id)
        if wait is not None:
            form.code.errors = [too_many_attempts(wait)]
            _audit_failure(user, "throttled")
            status = 429
        else:
            used = second_factor.check_code(user, form.code.data or "")
            if used is not None:
                response = log_in(user, target)
                if used == "recovery":
                    flash(_("已用一个恢复码登录，还剩 %(n)s 个。恢复码用完前，请找回手机或请运营方"
                            "重置动态口令。", n=second_factor.remaining_recovery_codes(user)),
                          "warning")
                return response
            form.code.errors = [_("动态口令或恢复码不正确，或已使用过。")]
            _audit_failure(user, "wrong")
    if form.errors and status == 200:
        status = 400
    return render_template("accounts/login_code.html", form=form), status


def _qr(uri: str) -> str:
    return segno.make(uri, error="m").svg_inline(scale=4, dark="#1f2328", light="#ffffff")


def _offered_secret(user: User) -> str:
    """The secret offered on the enrolment page: the same one until a code confirms it, so
    reloading the page does not invalidate what the app has just scanned."""
    raw = session.get(_ENROLMENT)
    if isinstance(raw, str):
        try:
            secret = second_factor.unseal_pending(user, base64.b64decode(raw))
        except (ValueError, binascii.Error):
            secret = None
        if secret is not None:
            return secret
    secret = totp.new_secret()
    session[_ENROLMENT] = base64.b64encode(second_factor.seal_pending(user, secret)).decode()
    return secret


def _enrol_page(form: SecondFactorEnrolForm, status: int = 200) -> ResponseReturnValue:
    user: User = current_user
    secret = _offered_secret(user)
    uri = totp.provisioning_uri(secret, user.email, str(current_app.config["SITE_NAME"]))
    return render_template("accounts/second_factor.html", form=form, qr=_qr(uri),
                           secret=totp.grouped(secret), required=second_factor.required_for(user),
                           factor=None), status


@bp.route("/account/second-factor", methods=["GET", "POST"], endpoint="second_factor")
@access(USER)
def second_factor_page() -> ResponseReturnValue:
    """The account's second factor (动态口令): its state, or the enrolment."""
    user: User = current_user
    factor = second_factor.factor_of(user)
    if factor is not None:
        return render_template("accounts/second_factor.html", factor=factor,
                               left=second_factor.remaining_recovery_codes(user),
                               required=second_factor.required_for(user))
    form = SecondFactorEnrolForm()
    if not form.validate_on_submit():
        return _enrol_page(form, 400 if form.is_submitted() else 200)
    try:
        codes = second_factor.enrol(user, _offered_secret(user), form.code.data or "")
    except ops.AccountError as error:
        show_error(form, error)
        return _enrol_page(form, 400)
    session.pop(_ENROLMENT, None)
    response = current_app.make_response(
        render_template("accounts/recovery_codes.html", codes=codes))
    response.headers["Cache-Control"] = "no-store"  # shown once: not kept by the browser
    return response

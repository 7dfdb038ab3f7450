"""The OpenID Connect login's two routes (统一身份认证): to the provider, and back."""

from __future__ import annotations

import logging

import requests
from authlib.integrations.base_client.errors import OAuthError
from flask import abort, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from market.accounts import oidc
from market.accounts.auth import ANYONE, access
from market.accounts.views import _safe_next, bp, log_in
from market.extensions import limiter

log = logging.getLogger(__name__)


def _refused(message: str, status: int) -> ResponseReturnValue:
    return render_template("accounts/oidc_refused.html", message=message), status


@bp.route("/login/oidc")
@access(ANYONE)
@limiter.limit("30 per minute")
def oidc_login() -> ResponseReturnValue:
    if not oidc.enabled():
        abort(404)
    session["oidc_next"] = _safe_next(request.args.get("next"))
    try:
        response: Response = oidc.client().authorize_redirect(
            url_for("accounts.oidc_callback", _external=True))
    except requests.RequestException:
        log.warning("OpenID Connect provider unreachable (discovery)", exc_info=True)
        return _refused(_("统一身份认证暂时无法访问，请稍后再试或用密码登录。"), 502)
    return response


@bp.route("/login/oidc/callback")
@access(ANYONE)
@limiter.limit("30 per minute")
def oidc_callback() -> ResponseReturnValue:
    if not oidc.enabled():
        abort(404)
    provider = oidc.client()
    try:
        token = provider.authorize_access_token()
        userinfo = provider.userinfo(token=token)
    except OAuthError as error:
        log.info("OpenID Connect login not completed: %s", error.error)
        return _refused(_("统一身份认证未完成（%(reason)s），请重新登录。",
                          reason=error.error or "error"), 400)
    except requests.RequestException:
        log.warning("OpenID Connect provider unreachable (token)", exc_info=True)
        return _refused(_("统一身份认证暂时无法访问，请稍后再试或用密码登录。"), 502)
    try:
        user = oidc.user_for(oidc.claims_of(dict(token.get("userinfo") or {}), dict(userinfo)))
    except oidc.OidcRefused as refusal:
        return _refused(_(refusal.message, **refusal.params), 403)
    return log_in(user, _safe_next(session.get("oidc_next")), method="oidc")

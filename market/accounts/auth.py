"""Authorization and the request transaction, in one place.

Every view is wrapped by :func:`access`, which names who may call it.  The wrapper checks the
role and the organisation the user acts for, then runs the view inside one transaction: commit
when it answers below 400 and no operation refused, roll back otherwise (views show a refusal
as a redirect or the form again, so the status alone cannot tell: see :mod:`market.refusal`);
on an exception, roll back what the request wrote (:func:`market.db.discard_failed_work`: a
transaction that only read is left to the end of the request).  ``create_app`` refuses to
start when a view has no rule, and ``tests/test_route_matrix.py`` walks every route with every
role.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import abort, current_app, g, jsonify, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from market import refusal
from market.accounts.models import Membership, Organisation, OrgKind, Role
from market.accounts.scope import Reach, reach
from market.db import db, discard_failed_work

F = TypeVar("F", bound=Callable[..., Any])

ANYONE = "anyone"  # public pages, no login
USER = "user"  # any logged-in person, whatever organisation

# Shorthands: an organisation kind stands for every role of that kind.
_KIND_ROLES: dict[str, frozenset[str]] = {
    OrgKind.OWNER: frozenset({Role.OWNER_ADMIN, Role.OWNER_DELEGATE}),
    OrgKind.AGENCY: frozenset({Role.AGENCY_ADMIN, Role.AGENCY_STAFF}),
    OrgKind.REGULATOR: frozenset({Role.REGULATOR}),
    OrgKind.OPERATOR: frozenset({Role.OPERATOR}),
    OrgKind.DEPARTMENT: frozenset({Role.DEPARTMENT_STAFF}),
}


def _expand(allowed: Iterable[str]) -> frozenset[str]:
    roles: set[str] = set()
    for name in allowed:
        if name in (ANYONE, USER):
            roles.add(name)
        elif name in _KIND_ROLES:
            roles |= _KIND_ROLES[name]
        elif name in {r.value for r in Role}:
            roles.add(name)
        else:
            raise ValueError(f"unknown role in access rule: {name!r}")
    return frozenset(roles)


def current_membership() -> Membership | None:
    """The membership the logged-in user acts through (chosen with the organisation switcher)."""
    if not current_user.is_authenticated:
        return None
    if "membership" in g:
        return g.membership  # type: ignore[no-any-return]
    memberships = sorted(current_user.memberships, key=lambda m: m.id)
    chosen = None
    wanted = session.get("org_id")
    for m in memberships:
        if m.organisation_id == wanted:
            chosen = m
    if chosen is None and memberships:
        chosen = memberships[0]
    g.membership = chosen
    return chosen


def current_org() -> Organisation | None:
    m = current_membership()
    return m.organisation if m is not None else None


def require_org() -> Organisation:
    """The organisation the user acts for; views guarded by an organisation role have one."""
    org = current_org()
    if org is None:
        abort(403)
    return org


def current_reach() -> Reach | None:
    """The projects the person reaches as an owner's administrator or delegate
    (:class:`market.accounts.scope.Reach`); None when they act for another kind of
    organisation."""
    return reach(current_membership())


def require_reach() -> Reach:
    """:func:`current_reach` for views guarded by an owner role."""
    found = current_reach()
    if found is None:
        abort(403)
    return found


def within_reach(owner_org_id: int | None, project_id: int | None) -> bool:
    """Whether the person, as an owner's administrator or delegate, reaches a row of that
    owner organisation and project (False for anyone who does not act for an owner)."""
    found = current_reach()
    return found is not None and found.sees(owner_org_id, project_id)


def current_role() -> str | None:
    m = current_membership()
    return m.role if m is not None else None


def allowed_for(rule: frozenset[str], role: str | None, authenticated: bool) -> bool:
    """Whether a person with ``role`` may use a view guarded by ``rule``."""
    if ANYONE in rule:
        return True
    if not authenticated:
        return False
    if USER in rule:
        return True
    return role is not None and role in rule


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def access(*allowed: str) -> Callable[[F], F]:
    """Guard a view: ``@access(ANYONE)``, ``@access(USER)``, ``@access("owner", "regulator")``,
    ``@access(Role.OWNER_ADMIN)``.  The view runs in one transaction."""
    rule = _expand(allowed)

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            authenticated = bool(current_user.is_authenticated)
            if not allowed_for(rule, current_role(), authenticated):
                if not authenticated:
                    if _wants_json():
                        return _json_error(401, "login_required", _("请先登录。")), 401
                    return redirect(url_for("accounts.login", next=request.full_path))
                abort(403)
            refusal.reset()
            try:
                response = current_app.make_response(view(*args, **kwargs))
            except BaseException:
                discard_failed_work()  # a 403 or 404 that wrote nothing keeps what it loaded
                raise
            if response.status_code < 400 and not refusal.happened():
                db.session.commit()
            else:
                db.session.rollback()
            return response

        wrapper._access = rule  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def _json_error(status: int, code: str, message: str) -> WerkzeugResponse:
    return jsonify({"error": {"code": code, "message": message}})


def check_every_view_has_a_rule(app: Any) -> None:
    """Start-up guard: a route added without an access rule stops the app."""
    missing = [
        name
        for name, view in app.view_functions.items()
        if name != "static" and not hasattr(view, "_access")
    ]
    if missing:
        raise RuntimeError(f"views without an access rule: {', '.join(sorted(missing))}")

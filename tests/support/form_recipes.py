"""The recipes of tests/proof/test_every_form.py: for each form route, how a person holding a
role the route matrix allows fills it in with valid data, on a real object of the demo city in
the state the form needs (built first through the app's own forms where the demo has none), and
what must then be in the database.  tests/proof/test_authorization.py runs some of them to make
the objects its cases ask for.  A new form route needs a recipe here.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage

from devdata import demo
from market import timeutil
from market.db import db
from market.supervision.operations import escalate
from tests.conftest import csrf_token
from tests.engagements.conftest import PDF
from tests.integration.helpers import make_client
from tests.proof.forms import HtmlForm, forms_of
from tests.proof.fuzz_support import DEMO_LOGIN, DemoCity
from tests.test_route_matrix import MATRIX

Recipe = Callable[["Ctx"], None]
RECIPES: dict[str, Recipe] = {}


def recipe(endpoint: str) -> Callable[[Recipe], Recipe]:
    def add(fn: Recipe) -> Recipe:
        assert endpoint not in RECIPES, endpoint
        RECIPES[endpoint] = fn
        return fn
    return add


class Ctx:
    """One route's run: logged-in clients, form filling, the submission under test, SQL."""

    def __init__(self, city: DemoCity, endpoint: str) -> None:
        self.city, self.app, self.endpoint = city, city.app, endpoint
        self._clients: dict[str, FlaskClient] = {}
        self.submitted: int | None = None

    # --- people ---------------------------------------------------------------------------

    def client(self, role: str, email: str | None = None) -> FlaskClient:
        """A client logged in as ``email`` (default: the demo person of ``role``), who must
        hold ``role``; ``anonymous`` is a visitor."""
        if role == "anonymous":
            if role not in self._clients:
                self._clients[role] = self.app.test_client()
            return self._clients[role]
        email = email or (self.city.staff_email if role == "agency_staff" else DEMO_LOGIN[role])
        if email not in self._clients:
            held = self.scalar("SELECT m.role FROM membership m JOIN user_account u "
                               "ON u.id = m.user_id WHERE u.email = :e", e=email)
            assert held == role, (email, held, role)
            password = (self.city.staff_password if email == self.city.staff_email
                        else demo.DEMO_PASSWORD)
            c = self.app.test_client()
            r = c.post("/login", data={"email": email, "password": password,
                                       "csrf_token": csrf_token(c)})
            assert r.status_code == 302, (email, r.status_code)
            self._clients[email] = c
        return self._clients[email]

    def email_of(self, role: str, org_public_id: str) -> str:
        """The first person holding ``role`` in the organisation."""
        email = self.scalar("SELECT u.email FROM user_account u JOIN membership m ON "
                            "m.user_id = u.id JOIN organisation o ON o.id = m.organisation_id "
                            "WHERE o.public_id = :o AND m.role = :r ORDER BY u.id",
                            o=org_public_id, r=role)
        assert email, (role, org_public_id)
        return str(email)

    # --- forms ------------------------------------------------------------------------------

    def form(self, c: FlaskClient, page: str, action: str | None = None) -> HtmlForm:
        """The POST form of ``page`` whose action is ``action`` (default: the page itself)."""
        r = c.get(page)
        assert r.status_code == 200, (page, r.status_code)
        target = (action or page).split("?")[0]
        for f in forms_of(r.get_data(as_text=True)):
            if f.method == "post" and (f.action.split("?")[0] or page.split("?")[0]) == target:
                return f
        raise AssertionError(f"no form posting to {target} on {page}")

    def post(self, c: FlaskClient, path: str, data: dict[str, Any] | None = None, *,
             page: str | None = None, files: dict[str, tuple[bytes, str]] | None = None,
             button: str | None = None) -> Any:
        """Submit the form posting to ``path`` as found on ``page`` (default ``path``), its
        fields as the page fills them, then ``data`` over them (a list value repeats the
        name); ``button`` presses the submit button of that name (its value from the page,
        or ``name=value``).  Any answer of 500 or more fails here."""
        form = self.form(c, page or path, path)
        values: dict[str, Any] = {}
        for name, value in form.fields:
            if name in values:
                values[name] = [*values[name], value] if isinstance(values[name], list) \
                    else [values[name], value]
            else:
                values[name] = value
        for name, value in (data or {}).items():
            if value is None:
                values.pop(name, None)
            else:
                values[name] = value
        if button:
            name, _, value = button.partition("=")
            if not value:
                value = next(v for n, v in form.buttons if n == name)
            values[name] = value
        body: dict[str, Any] = dict(values)
        for name, (content, filename) in (files or {}).items():
            body[name] = FileStorage(io.BytesIO(content), filename=filename, name=name)
        r = c.post(path, data=body, content_type="multipart/form-data" if files else None)
        assert r.status_code < 500, (path, r.status_code, r.get_data(as_text=True)[-2000:])
        return r

    def submit(self, role: str, path: str, data: dict[str, Any] | None = None, *,
               email: str | None = None, expect: int = 302, **kw: Any) -> Any:
        """The submission under test: the route must be this recipe's, the role one the
        matrix lets use it, and the answer ``expect``."""
        endpoint = self.app.url_map.bind("localhost").match(path.split("?")[0], "POST")[0]
        assert endpoint == self.endpoint, (path, endpoint, self.endpoint)
        assert role in MATRIX[endpoint][2], (endpoint, role)
        r = self.post(self.client(role, email), path, data, **kw)
        self.submitted = r.status_code
        assert r.status_code == expect, (path, r.status_code, _errors(r))
        return r

    # --- the database -----------------------------------------------------------------------

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.app.app_context():
            value = db.session.execute(sa.text(sql), params).scalar()
            db.session.remove()
        return value

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with self.app.app_context():
            rows = list(db.session.execute(sa.text(sql), params).all())
            db.session.remove()
        return rows

    def audits(self, tag: str) -> int:
        return int(self.scalar("SELECT count(*) FROM audit_event WHERE tag = :t", t=tag))


def _errors(r: Any) -> list[str]:
    """The messages a refused form shows (for the assertion's text)."""
    html = r.get_data(as_text=True)
    return re.findall(r'class="error"[^>]*>([^<]+)<', html) + re.findall(
        r'class="flash[^"]*"[^>]*>([^<]+)<', html)


# === recipes ===============================================================================
# --- accounts, public pages, operator ----------------------------------------------------------

@recipe("accounts.login")
def _login(ctx: Ctx) -> None:
    c = ctx.client("anonymous")
    assert c.get("/dashboard").status_code == 302
    ctx.submit("anonymous", "/login", {"email": DEMO_LOGIN["owner_admin"],
                                       "password": demo.DEMO_PASSWORD})
    assert c.get("/dashboard").status_code == 200


@recipe("accounts.logout")
def _logout(ctx: Ctx) -> None:
    c = ctx.client("owner_admin")
    assert c.get("/dashboard").status_code == 200
    ctx.submit("owner_admin", "/logout", page="/dashboard")
    assert c.get("/dashboard").status_code == 302


@recipe("accounts.register")
def _register(ctx: Ctx) -> None:
    from market.domain.codes import make_credit_code

    code = make_credit_code("91539900MA6T0QW1X")
    ctx.submit("anonymous", "/register", {
        "kind": "agency", "org_name": "云川测绘新星有限公司", "credit_code": code,
        "region": "云川市东城区", "name": "韩梅", "email": "hanmei@newstar.example.cn",
        "phone": "13800000000", "password": "newstar-2026-pass",
        "confirm": "newstar-2026-pass"})
    assert ctx.scalar("SELECT kind FROM organisation WHERE credit_code = :c", c=code) == "agency"


@recipe("accounts.register_person")
def _register_person(ctx: Ctx) -> None:
    from market.domain.identity import resident_id_check_char

    body = "53990119880515062"
    ctx.submit("anonymous", "/register/person", {
        "name": "韩小梅", "id_number": body + resident_id_check_char(body),
        "region": "云川市东城区", "email": "hanxiaomei@person.example.cn", "phone": "",
        "password": "person-2026-pass", "confirm": "person-2026-pass", "consent": "y"})
    assert ctx.scalar("SELECT name FROM organisation WHERE person_name = '韩小梅'") == "韩**"


@recipe("accounts.password")
def _password(ctx: Ctx) -> None:
    ctx.submit("owner_delegate", "/account/password", {
        "current": demo.DEMO_PASSWORD, "password": "a-new-password-42",
        "confirm": "a-new-password-42"})
    c = ctx.app.test_client()
    assert c.post("/login", data={"email": DEMO_LOGIN["owner_delegate"],
                                  "password": "a-new-password-42",
                                  "csrf_token": csrf_token(c)}).status_code == 302


_SECRET_RE = re.compile(r'data-test="enrol-secret">([A-Z2-7 ]+)<')


def _enrol(ctx: Ctx, role: str) -> str:
    """``role``'s demo person turns the second factor on (the page's own form); the secret."""
    import pyotp

    c = ctx.client(role)
    found = _SECRET_RE.search(c.get("/account/second-factor").get_data(as_text=True))
    assert found, role
    secret = found.group(1).replace(" ", "")
    r = ctx.post(c, "/account/second-factor",
                 {"code": pyotp.TOTP(secret).at(timeutil.now())})
    assert r.status_code == 200, _errors(r)
    return secret


@recipe("accounts.second_factor")
def _second_factor(ctx: Ctx) -> None:
    import pyotp

    c = ctx.client("owner_delegate")
    found = _SECRET_RE.search(c.get("/account/second-factor").get_data(as_text=True))
    assert found
    code = pyotp.TOTP(found.group(1).replace(" ", "")).at(timeutil.now())
    r = ctx.submit("owner_delegate", "/account/second-factor", {"code": code}, expect=200)
    assert r.get_data(as_text=True).count('data-test="recovery-code"') == 10
    user = ctx.scalar("SELECT id FROM user_account WHERE email = :e",
                      e=DEMO_LOGIN["owner_delegate"])
    assert ctx.scalar("SELECT count(*) FROM second_factor WHERE user_id = :u", u=user) == 1
    assert ctx.scalar("SELECT count(*) FROM recovery_code WHERE user_id = :u", u=user) == 10


@recipe("accounts.login_code")
def _login_code(ctx: Ctx) -> None:
    import pyotp

    secret = _enrol(ctx, "owner_admin")
    c = ctx.client("anonymous")
    r = c.post("/login", data={"email": DEMO_LOGIN["owner_admin"],
                               "password": demo.DEMO_PASSWORD, "csrf_token": csrf_token(c)})
    assert r.status_code == 302 and r.headers["Location"].endswith("/login/code")
    assert c.get("/dashboard").status_code == 302
    # the next step's code: the enrolment used this one
    ctx.submit("anonymous", "/login/code",
               {"code": pyotp.TOTP(secret).at(timeutil.now() + timedelta(seconds=30))})
    assert c.get("/dashboard").status_code == 200


@recipe("operator.reset_second_factor")
def _reset_second_factor(ctx: Ctx) -> None:
    _enrol(ctx, "regulator")
    user = ctx.scalar("SELECT id FROM user_account WHERE email = :e", e=DEMO_LOGIN["regulator"])
    ctx.submit("operator", f"/operator/accounts/{user}/second-factor",
               {"reason": "本人来电：手机丢失，已核实身份"})
    assert ctx.scalar("SELECT count(*) FROM second_factor WHERE user_id = :u", u=user) == 0
    assert ctx.scalar("SELECT count(*) FROM recovery_code WHERE user_id = :u", u=user) == 0
    assert ctx.audits("operator:second-factor:reset") == 1


def _invitation_path(ctx: Ctx, c: FlaskClient, page: str, email: str) -> str:
    """The invitation link shown on ``page`` for ``email`` (the path the inviter copies)."""
    html = c.get(page).get_data(as_text=True)
    row = html[html.index(f'data-test="invitation-{email}"'):]
    match = re.search(r'value="([^"]+)"[^>]*data-test="invitation-link"', row)
    assert match, (page, email)
    return "/" + match.group(1).split("/", 3)[3]


def _invite(ctx: Ctx, email: str) -> str:
    """agency1's administrator invites ``email`` to be its staff; the invitation link's path."""
    c = ctx.client("agency_admin")
    r = ctx.post(c, "/org/members", {"email": email, "role": "agency_staff"})
    assert r.status_code == 302, _errors(r)
    return _invitation_path(ctx, c, "/org/members", email)


def _invitation_state(ctx: Ctx, email: str) -> str:
    return str(ctx.scalar("SELECT state FROM invitation WHERE email = :e ORDER BY id DESC",
                          e=email))


def _member_role(ctx: Ctx, email: str, org: str) -> str | None:
    return ctx.scalar("SELECT m.role FROM membership m JOIN user_account u ON u.id = m.user_id "
                      "JOIN organisation o ON o.id = m.organisation_id WHERE u.email = :e "
                      "AND o.public_id = :o", e=email, o=org)


@recipe("accounts.members")
def _members(ctx: Ctx) -> None:
    ctx.submit("agency_admin", "/org/members", {"email": "lilei@qinghe.example.cn",
                                                "role": "agency_staff"})
    assert ctx.rows("SELECT i.role, i.state, o.public_id FROM invitation i JOIN organisation o "
                    "ON o.id = i.organisation_id WHERE i.email = 'lilei@qinghe.example.cn'") \
        == [("agency_staff", "pending", AGENCY1)]
    assert _member_role(ctx, "lilei@qinghe.example.cn", AGENCY1) is None  # not before accepting


@recipe("accounts.invitation")
def _invitation(ctx: Ctx) -> None:
    """Whoever holds the link creates the invited address's account and joins."""
    path = _invite(ctx, "lilei@qinghe.example.cn")
    ctx.submit("anonymous", path, {"name": "李雷", "phone": "13800000001",
                                   "password": "qinghe-staff-2026",
                                   "confirm": "qinghe-staff-2026"})
    assert _member_role(ctx, "lilei@qinghe.example.cn", AGENCY1) == "agency_staff"
    assert _invitation_state(ctx, "lilei@qinghe.example.cn") == "accepted"


def _invited_colleague(ctx: Ctx) -> tuple[str, str]:
    """Another agency's administrator, invited to agency1: (e-mail, the invitation's path),
    the path as found on their dashboard."""
    other = ctx.scalar("SELECT o.public_id FROM organisation o WHERE o.kind = 'agency' "
                       "AND o.status = 'admitted' AND o.public_id != :o ORDER BY o.id", o=AGENCY1)
    email = ctx.email_of("agency_admin", other)
    _invite(ctx, email)
    dashboard = ctx.client("agency_admin", email).get("/dashboard").get_data(as_text=True)
    section = dashboard[dashboard.index('data-test="my-invitations"'):]
    match = re.search(r'href="(/invitations/[^"]+)"', section)
    assert match, "the invitation is not on the invitee's dashboard"
    return email, match.group(1)


@recipe("accounts.accept_invitation")
def _accept_invitation(ctx: Ctx) -> None:
    email, path = _invited_colleague(ctx)
    ctx.submit("agency_admin", f"{path}/accept", email=email, page=path)
    assert _member_role(ctx, email, AGENCY1) == "agency_staff"
    assert _invitation_state(ctx, email) == "accepted"


@recipe("accounts.decline_invitation")
def _decline_invitation(ctx: Ctx) -> None:
    email, path = _invited_colleague(ctx)
    ctx.submit("agency_admin", f"{path}/decline", email=email, page=path)
    assert _member_role(ctx, email, AGENCY1) is None
    assert _invitation_state(ctx, email) == "declined"


@recipe("accounts.revoke_invitation")
def _revoke_invitation(ctx: Ctx) -> None:
    _invite(ctx, "lilei@qinghe.example.cn")
    invitation = ctx.scalar("SELECT id FROM invitation WHERE email = 'lilei@qinghe.example.cn'")
    ctx.submit("agency_admin", f"/org/invitations/{invitation}/revoke", page="/org/members")
    assert _invitation_state(ctx, "lilei@qinghe.example.cn") == "revoked"


@recipe("accounts.remove_member")
def _remove_member(ctx: Ctx) -> None:
    membership = ctx.scalar("SELECT m.id FROM membership m JOIN user_account u ON "
                            "u.id = m.user_id WHERE u.email = :e", e=ctx.city.staff_email)
    ctx.submit("agency_admin", f"/org/members/{membership}/remove", page="/org/members")
    assert _member_role(ctx, ctx.city.staff_email, AGENCY1) is None
    assert ctx.scalar("SELECT count(*) FROM user_account WHERE email = :e",
                      e=ctx.city.staff_email) == 1  # the person keeps the account


@recipe("accounts.switch_org")
def _switch_org(ctx: Ctx) -> None:
    # the owner's administrator also administers a second owner
    other = ctx.scalar("SELECT id FROM organisation WHERE public_id = 'OW-000011'")
    user = ctx.scalar("SELECT id FROM user_account WHERE email = :e", e=DEMO_LOGIN["owner_admin"])
    with ctx.app.app_context():
        db.session.execute(sa.text(
            "INSERT INTO membership (user_id, organisation_id, role, created_at) "
            "VALUES (:u, :o, 'owner_admin', :at)").bindparams(
                sa.bindparam("at", type_=db.DateTime())), {"u": user, "o": other,
                                                           "at": datetime.now(UTC)})
        db.session.commit()
    c = ctx.client("owner_admin")
    ctx.submit("owner_admin", "/account/organisation", {"org_id": str(other)},
               page="/dashboard")
    assert "云川市交通建设投资集团有限公司" in c.get("/dashboard").get_data(as_text=True)
    theirs = ctx.scalar("SELECT public_id FROM selection_request WHERE owner_org_id = :o "
                        "ORDER BY id DESC", o=other)
    assert c.get("/owner/requests").get_data(as_text=True).count(theirs) >= 1


@recipe("public.language")
def _language(ctx: Ctx) -> None:
    c = ctx.client("anonymous")
    ctx.submit("anonymous", "/language", {"lang": "en"}, page="/")
    assert 'lang="en"' in c.get("/").get_data(as_text=True)


@recipe("public.care_mode")
def _care_mode(ctx: Ctx) -> None:
    c = ctx.client("anonymous")
    ctx.submit("anonymous", "/care-mode", page="/")
    assert re.search(r'<html[^>]*class="[^"]*care', c.get("/").get_data(as_text=True))


@recipe("operator.regulators")
def _regulators(ctx: Ctx) -> None:
    ctx.submit("operator", "/operator/regulators", {
        "org_name": "云川市交通运输局", "email": "zhaomin@jt.yunchuan.example.cn"})
    assert ctx.rows("SELECT i.role, i.state, o.kind FROM invitation i JOIN organisation o "
                    "ON o.id = i.organisation_id WHERE o.name = '云川市交通运输局'") \
        == [("regulator", "pending", "regulator")]


PROVINCIAL_OPERATOR = "province-operator@yunchuan.demo"


@recipe("operator.divisions")
def _divisions(ctx: Ctx) -> None:
    ctx.submit("operator", "/operator/divisions", {"code": "539823", "name": "石门县",
                                                   "tenant": "y"}, email=PROVINCIAL_OPERATOR)
    assert ctx.rows("SELECT level, tenant FROM division WHERE code = '539823'") == [
        ("county", 1)]


@recipe("operator.set_tenant")
def _set_tenant(ctx: Ctx) -> None:
    division = ctx.scalar("SELECT id FROM division WHERE code = '539822'")
    ctx.submit("operator", f"/operator/divisions/{division}/tenant", {"tenant": "1"},
               email=PROVINCIAL_OPERATOR, page="/operator/divisions")
    assert ctx.rows("SELECT tenant FROM division WHERE code = '539822'") == [(1,)]


@recipe("operator.department_staff")
def _department_staff(ctx: Ctx) -> None:
    dept = ctx.scalar("SELECT id FROM department WHERE name = '云川市自然资源和规划局'")
    ctx.submit("operator", "/operator/department-staff", {
        "department_id": str(dept), "email": "chenjing@zr.yunchuan.example.cn"})
    assert ctx.rows("SELECT i.role, i.state, o.kind FROM invitation i JOIN organisation o "
                    "ON o.id = i.organisation_id WHERE i.email = "
                    "'chenjing@zr.yunchuan.example.cn'") \
        == [("department_staff", "pending", "department")]


@recipe("operator.revoke_invitation")
def _operator_revoke_invitation(ctx: Ctx) -> None:
    email = "zhaomin@jt.yunchuan.example.cn"
    r = ctx.post(ctx.client("operator"), "/operator/regulators",
                 {"org_name": "云川市交通运输局", "email": email})
    assert r.status_code == 302, _errors(r)
    invitation = ctx.scalar("SELECT id FROM invitation WHERE email = :e", e=email)
    ctx.submit("operator", f"/operator/invitations/{invitation}/revoke",
               page="/operator/regulators")
    assert _invitation_state(ctx, email) == "revoked"


@recipe("settings.index")
def _settings(ctx: Ctx) -> None:
    day = (timeutil.today_local() + timedelta(days=3)).isoformat()
    ctx.submit("operator", "/operator/settings", {
        "key": "DIRECT_SELECTION_THRESHOLD_FEN", "value": "80,000.50", "effective_from": day,
        "reason": "市政务服务管理局通知"})
    assert [(k, v, str(d)) for k, v, d in ctx.rows(
        "SELECT key, value, effective_from FROM setting_change")] == [
        ("DIRECT_SELECTION_THRESHOLD_FEN", 8_000_050, day)]
    assert ctx.audits("operator:setting:change") == 1


@recipe("operator.accounts")
def _operator_accounts(ctx: Ctx) -> None:
    agency = ctx.scalar("SELECT public_id FROM organisation WHERE kind = 'agency' ORDER BY id")
    ctx.submit("operator", "/operator/accounts", {
        "organisation": agency, "email": "sunli@agency.yunchuan.example.cn",
        "role": "agency_staff"})
    assert ctx.rows("SELECT o.public_id, i.role, i.state FROM invitation i JOIN organisation o "
                    "ON o.id = i.organisation_id WHERE i.email = "
                    "'sunli@agency.yunchuan.example.cn'") == [(agency, "agency_staff", "pending")]


@recipe("operator.set_account_active")
def _set_account_active(ctx: Ctx) -> None:
    user = ctx.scalar("SELECT id FROM user_account WHERE email = 'owner2@yunchuan.demo'")
    ctx.submit("operator", f"/operator/accounts/{user}/active?q=owner2@yunchuan.demo",
               {"active": "0"}, page="/operator/accounts?q=owner2@yunchuan.demo")
    assert ctx.rows("SELECT active FROM user_account WHERE id = :u", u=user) == [(False,)]
    assert ctx.scalar("SELECT count(*) FROM user_session WHERE user_id = :u", u=user) == 0


def _pending_owner(ctx: Ctx) -> tuple[str, int]:
    """The demo owner waiting for the operator's check: public id and id."""
    public_id, org_id = ctx.rows("SELECT public_id, id FROM organisation WHERE kind = 'owner' "
                                 "AND status = 'pending' ORDER BY id")[0]
    return str(public_id), int(org_id)


@recipe("operator.activate_owner")
def _activate_owner(ctx: Ctx) -> None:
    owner, _id = _pending_owner(ctx)
    ctx.submit("operator", f"/operator/owners/{owner}/activate", page="/operator/owners")
    assert ctx.scalar("SELECT status FROM organisation WHERE public_id = :o", o=owner) \
        == "active"


REFUSAL = "统一社会信用代码与营业执照不一致，请核对后重新提交。"


@recipe("operator.refuse_owner")
def _refuse_owner(ctx: Ctx) -> None:
    owner, org_id = _pending_owner(ctx)
    ctx.submit("operator", f"/operator/owners/{owner}/refuse", {f"o{org_id}-reason": REFUSAL},
               page="/operator/owners")
    assert ctx.rows("SELECT status, status_reason FROM organisation WHERE public_id = :o",
                    o=owner) == [("rejected", REFUSAL)]


@recipe("accounts.reapply")
def _reapply(ctx: Ctx) -> None:
    from market.domain.codes import make_credit_code

    owner, org_id = _pending_owner(ctx)
    r = ctx.post(ctx.client("operator"), f"/operator/owners/{owner}/refuse",
                 {f"o{org_id}-reason": REFUSAL}, page="/operator/owners")
    assert r.status_code == 302, _errors(r)
    code = make_credit_code("11539902MB0000054")
    ctx.submit("owner_admin", "/org/reapply", {"credit_code": code},
               email=ctx.email_of("owner_admin", owner), page="/dashboard")
    assert ctx.rows("SELECT status, status_reason, credit_code FROM organisation "
                    "WHERE public_id = :o", o=owner) == [("pending", None, code)]


# --- agencies: admission, qualifications, practitioners, listings; review --------------------

AGENCY1 = "AG-000014"  # agency1@yunchuan.demo's


def _years_from_today(years: int) -> str:
    today = timeutil.today_local()
    return today.replace(year=today.year + years).isoformat()


@recipe("agencies.application")
def _application(ctx: Ctx) -> None:
    org = ctx.scalar("SELECT public_id FROM organisation WHERE kind = 'agency' "
                     "AND status = 'rejected' ORDER BY id")
    email = ctx.email_of("agency_admin", org)
    before = ctx.scalar("SELECT count(*) FROM admission_application")
    ctx.submit("agency_admin", "/agency/application", {
        "legal_representative": "王建国", "authorised_representative": "陈晓",
        "contact_phone": "0871-65550123", "contact_email": "apply@agency.example.cn"},
        email=email, files={"licence": (PDF + b"licence", "营业执照.pdf")})
    assert ctx.scalar("SELECT count(*) FROM admission_application") == before + 1
    assert ctx.scalar("SELECT status FROM organisation WHERE public_id = :o", o=org) \
        == "pending"


@recipe("agencies.qualifications")
def _qualifications(ctx: Ctx) -> None:
    before = ctx.scalar("SELECT count(*) FROM qualification WHERE status = 'pending'")
    ctx.submit("agency_admin", "/agency/qualifications", {
        "number": "环评甲字第2026001号", "issuer": "云川市生态环境局",
        "valid_from": "2025-01-01", "valid_until": _years_from_today(3)},
        files={"scan": (PDF + b"certificate", "资质证书.pdf")})
    assert ctx.scalar("SELECT count(*) FROM qualification WHERE status = 'pending'") \
        == before + 1


@recipe("agencies.change_qualification")
def _change_qualification(ctx: Ctx) -> None:
    row = ctx.scalar("SELECT q.id FROM qualification q JOIN organisation o "
                     "ON o.id = q.organisation_id WHERE o.public_id = :o "
                     "AND q.status = 'approved' ORDER BY q.id", o=AGENCY1)
    ctx.submit("agency_admin", f"/agency/qualifications/{row}", {
        "valid_until": _years_from_today(5), "issuer": "云川市生态环境局（换证）"})
    assert ctx.scalar("SELECT count(*) FROM qualification WHERE replaces_id = :r "
                      "AND status = 'pending'", r=row) == 1


@recipe("agencies.practitioners")
def _practitioners(ctx: Ctx) -> None:
    before = ctx.scalar("SELECT count(*) FROM practitioner")
    ctx.submit("agency_staff", "/agency/practitioners", {
        "name": "周芳", "certificate_number": "HP-2026-0815",
        "valid_until": _years_from_today(4)})
    assert ctx.scalar("SELECT count(*) FROM practitioner") == before + 1


@recipe("agencies.change_practitioner")
def _change_practitioner(ctx: Ctx) -> None:
    row = ctx.scalar("SELECT p.id FROM practitioner p JOIN organisation o "
                     "ON o.id = p.organisation_id WHERE o.public_id = :o "
                     "AND p.status = 'approved' ORDER BY p.id", o=AGENCY1)
    ctx.submit("agency_admin", f"/agency/practitioners/{row}",
               {"valid_until": _years_from_today(5)})
    assert ctx.scalar("SELECT count(*) FROM practitioner WHERE replaces_id = :r", r=row) == 1


@recipe("agencies.edit_listing")
def _edit_listing(ctx: Ctx) -> None:
    version = ctx.scalar("SELECT max(l.version) FROM listing l JOIN service_type st ON "
                         "st.id = l.service_type_id JOIN organisation o ON "
                         "o.id = l.organisation_id WHERE st.code = 'EIA' AND o.public_id = :o",
                         o=AGENCY1)
    ctx.submit("agency_admin", "/agency/listings/EIA", {
        "fee_kind": "fixed", "amount": "68000", "rate": "", "minimum": "", "maximum": "",
        "committed_days": "18"})
    assert ctx.scalar("SELECT max(l.version) FROM listing l JOIN service_type st ON "
                      "st.id = l.service_type_id JOIN organisation o ON "
                      "o.id = l.organisation_id WHERE st.code = 'EIA' AND o.public_id = :o",
                      o=AGENCY1) == version + 1


@recipe("review.application")
def _review_application(ctx: Ctx) -> None:
    row, org = ctx.rows("SELECT a.id, a.organisation_id FROM admission_application a "
                        "JOIN organisation o ON o.id = a.organisation_id "
                        "WHERE a.decided_by_id IS NULL AND o.status = 'pending' "
                        "ORDER BY a.id")[0]
    ctx.submit("regulator", f"/review/admissions/{row}", {"reasons": "材料齐全，准予入驻。"},
               button="decision=admit")
    assert ctx.scalar("SELECT status FROM organisation WHERE id = :o", o=org) == "admitted"


@recipe("review.change")
def _review_change(ctx: Ctx) -> None:
    old = ctx.scalar("SELECT q.id FROM qualification q JOIN organisation o "
                     "ON o.id = q.organisation_id WHERE o.public_id = :o "
                     "AND q.status = 'approved' ORDER BY q.id", o=AGENCY1)
    agency = ctx.client("agency_admin")
    ctx.post(agency, f"/agency/qualifications/{old}", {"valid_until": _years_from_today(5)})
    row = ctx.scalar("SELECT id FROM qualification WHERE replaces_id = :r", r=old)
    ctx.submit("operator", f"/review/changes/qualification/{row}", {"reason": "换证信息核实无误。"},
               button="decision=approve")
    assert ctx.scalar("SELECT status FROM qualification WHERE id = :r", r=row) == "approved"


# --- the operator's catalogue and calendar ------------------------------------------------------

@recipe("catalogue.service_types")
def _service_types(ctx: Ctx) -> None:
    ctx.submit("operator", "/operator/service-types", {
        "code": "GEO", "name": "地质灾害危险性评估", "name_en": "Geological hazard assessment",
        "qualification_types": "地质灾害评估资质", "practitioner_types": "注册岩土工程师"},
        email=PROVINCIAL_OPERATOR)
    assert ctx.scalar("SELECT name FROM service_type WHERE code = 'GEO'") == "地质灾害危险性评估"


@recipe("catalogue.edit_service_type")
def _edit_service_type(ctx: Ctx) -> None:
    ctx.submit("operator", "/operator/service-types/SURV", {"name": "测绘（含不动产测绘）"},
               email=PROVINCIAL_OPERATOR)
    assert ctx.scalar("SELECT name FROM service_type WHERE code = 'SURV'") == "测绘（含不动产测绘）"


@recipe("catalogue.approval_matters")
def _approval_matters(ctx: Ctx) -> None:
    surv = ctx.scalar("SELECT id FROM service_type WHERE code = 'SURV'")
    department = ctx.scalar("SELECT id FROM department WHERE name = '云川市自然资源和规划局'")
    ctx.submit("operator", "/operator/approval-matters", {
        "code": "PA-SURV", "name": "建设工程规划核实", "department_id": str(department),
        "statutory_days": "20", "committed_days": "10", "service_type_ids": [str(surv)]},
        email=PROVINCIAL_OPERATOR)
    assert ctx.scalar("SELECT committed_days FROM approval_matter WHERE code = 'PA-SURV'") == 10
    assert ctx.scalar("SELECT department_id FROM approval_matter WHERE code = 'PA-SURV'") \
        == department


@recipe("catalogue.departments")
def _departments(ctx: Ctx) -> None:
    before = ctx.audits("operator:department:create")
    ctx.submit("operator", "/operator/departments", {"code": "YC-YJJ", "name": "云川市应急管理局"},
               email=PROVINCIAL_OPERATOR)
    assert ctx.scalar("SELECT name FROM department WHERE code = 'YC-YJJ'") == "云川市应急管理局"
    assert ctx.audits("operator:department:create") == before + 1


@recipe("catalogue.edit_department")
def _edit_department(ctx: Ctx) -> None:
    ctx.submit("operator", "/operator/departments/YC-SWJ", {"name": "云川市水务局（河长制办公室）"},
               email=PROVINCIAL_OPERATOR)
    assert ctx.scalar("SELECT name FROM department WHERE code = 'YC-SWJ'") \
        == "云川市水务局（河长制办公室）"


@recipe("catalogue.catalogue_choices")
def _catalogue_choices(ctx: Ctx) -> None:
    """The demo city's operator switches 测绘 and 建筑工程施工许可 off for its own owners; the
    page had every item of the shared catalogue ticked."""
    tenant = ctx.scalar("SELECT o.tenant_id FROM organisation o JOIN membership m ON "
                        "m.organisation_id = o.id JOIN user_account u ON u.id = m.user_id "
                        "WHERE u.email = :e", e=DEMO_LOGIN["operator"])
    types = [str(i) for i, in ctx.rows("SELECT id FROM service_type WHERE code != 'SURV'")]
    matters = [str(i) for i, in ctx.rows("SELECT id FROM approval_matter WHERE code != 'PA-BLD'")]
    ctx.submit("operator", "/operator/catalogue-choices",
               {"service_type_ids": types, "matter_ids": matters})
    assert ctx.rows("SELECT s.code FROM unused_service_type u JOIN service_type s "
                    "ON s.id = u.service_type_id WHERE u.tenant_id = :t", t=tenant) == [("SURV",)]
    assert ctx.rows("SELECT a.code FROM unused_approval_matter u JOIN approval_matter a "
                    "ON a.id = u.approval_matter_id WHERE u.tenant_id = :t", t=tenant) \
        == [("PA-BLD",)]
    assert ctx.audits("operator:catalogue:choose") == 1


# --- machine clients and webhooks (the operator's side) ----------------------------------------

@recipe("integration.clients")
def _clients(ctx: Ctx) -> None:
    r = ctx.submit("operator", "/operator/clients", {
        "name": "云川市工程建设项目审批管理系统", "department": "YC-ZJJ",
        "scopes": ["cases:write", "projects:read"]}, expect=200)
    assert "client_secret" in r.get_data(as_text=True)  # shown once, on this answer
    row = ctx.rows("SELECT c.scopes, d.code FROM api_client c JOIN department d "
                   "ON d.id = c.department_id WHERE c.name = '云川市工程建设项目审批管理系统'")
    assert len(row) == 1 and row[0][1] == "YC-ZJJ" and "cases:write" in str(row[0][0])


def _machine_client(ctx: Ctx) -> str:
    """A platform client made as ``flask clients create`` makes one; its client_id."""
    return make_client(ctx.app, "projects:read webhooks:manage", name="云川市政务服务平台").client_id


@recipe("integration.revoke")
def _revoke_client(ctx: Ctx) -> None:
    client_id = _machine_client(ctx)
    ctx.submit("operator", f"/operator/clients/{client_id}/revoke", page="/operator/clients")
    assert ctx.scalar("SELECT revoked_at FROM api_client WHERE client_id = :c",
                      c=client_id) is not None


@recipe("integration.replay")
def _replay(ctx: Ctx) -> None:
    """A delivery queued by a real engagement's event to a registered endpoint; the operator asks
    for one more attempt from the delivery's page."""
    from market import events
    from market.engagements.models import Engagement
    from market.integration import outbox, webhooks
    from market.integration.models import ApiClient, WebhookDelivery

    client_id = _machine_client(ctx)
    with ctx.app.app_context():
        client = db.session.scalar(sa.select(ApiClient).where(ApiClient.client_id == client_id))
        ctx.app.config["WEBHOOK_ALLOW_PRIVATE"] = True  # the receiver would be on loopback
        try:
            webhooks.register(client, "http://127.0.0.1:9/hooks", ["engagement.started"])
        finally:
            ctx.app.config["WEBHOOK_ALLOW_PRIVATE"] = False
        eng = db.session.scalars(sa.select(Engagement).order_by(Engagement.id)).first()
        outbox.on_event(events.EngagementStarted(
            at=timeutil.now(), engagement_id=eng.id, engagement_public_id=eng.public_id,
            project_code=eng.project.code))
        db.session.commit()
        delivery = db.session.scalars(sa.select(WebhookDelivery.id)
                                      .order_by(WebhookDelivery.id.desc())).first()
        db.session.remove()
    page = f"/operator/webhooks/deliveries/{delivery}"
    ctx.submit("operator", f"{page}/replay", page=page)
    assert ctx.audits("operator:webhook-delivery:replay") == 1


@recipe("catalogue.edit_approval_matter")
def _edit_approval_matter(ctx: Ctx) -> None:
    ctx.submit("operator", "/operator/approval-matters/PA-EIA", {"committed_days": "12"},
               email=PROVINCIAL_OPERATOR)
    assert ctx.scalar("SELECT committed_days FROM approval_matter WHERE code = 'PA-EIA'") == 12


@recipe("calendar.edit_year")
def _edit_year(ctx: Ctx) -> None:
    year = timeutil.today_local().year + 1
    ctx.submit("operator", f"/operator/calendar/{year}", {
        "days_off": f"{year}-01-01\n{year}-10-01..{year}-10-07",
        "days_on": "", "source": f"国办发明电〔{year - 1}〕7号", "confirmed": "y"})
    assert ctx.scalar("SELECT confirmed FROM calendar_year WHERE year = :y", y=year) in (1, True)


@recipe("draw_schedule.edit_year")
def _edit_draw_year(ctx: Ctx) -> None:
    year = timeutil.today_local().year + 2
    ctx.submit("operator", f"/operator/draw-schedule/{year}", {
        "ssq_no_draw": f"{year}-02-10..{year}-02-16", "fc3d_no_draw": f"{year}-02-10..{year}-02-16",
        "source": f"中国福利彩票发行管理中心 {year} 年春节休市公告", "confirmed": "y"},
        email=PROVINCIAL_OPERATOR)
    row = ctx.rows("SELECT confirmed, source, ssq_no_draw FROM draw_schedule_year "
                   "WHERE year = :y", y=year)[0]
    assert row[0] in (1, True) and row[1].endswith("春节休市公告")
    assert f"{year}-02-13" in str(row[2])


# --- the regulator, complaints, ratings --------------------------------------------------------

@recipe("regulator.new_sanction")
def _new_sanction(ctx: Ctx) -> None:
    today = timeutil.today_local()
    values = {"agency": AGENCY1, "kind": "warning", "reason": "未按合同约定时间提交成果",
              "legal_basis": "《云川市中介服务管理办法》第十八条",
              "starts_on": today.isoformat(), "ends_on": (today + timedelta(days=90)).isoformat()}
    regulator = ctx.client("regulator")
    before = ctx.audits("regulator:sanction:issue")
    shown = ctx.post(regulator, "/regulator/sanctions/new", values,
                     page=f"/regulator/sanctions/new?agency={AGENCY1}", button="action=preview")
    assert shown.status_code == 200 and 'data-test="sanction-effect"' in shown.get_data(True)
    ctx.submit("regulator", "/regulator/sanctions/new", values,
               page=f"/regulator/sanctions/new?agency={AGENCY1}", button="action=confirm")
    assert ctx.audits("regulator:sanction:issue") == before + 1


@recipe("regulator.complaint")
def _complaint(ctx: Ctx) -> None:
    row = ctx.scalar("SELECT public_id FROM complaint WHERE state = 'under_review' ORDER BY id")
    ctx.submit("regulator", f"/regulator/complaints/{row}", {"outcome": "经查属实，责令整改。"},
               button="action=uphold")
    assert ctx.scalar("SELECT state FROM complaint WHERE public_id = :p", p=row) == "upheld"


@recipe("supervision.order")
def _supervision_order(ctx: Ctx) -> None:
    # no form raises a 督办: the periodic run does, on the demo city's late matters
    with ctx.app.app_context():
        escalate()
        db.session.remove()
    order = ctx.scalar("SELECT public_id FROM supervision_order WHERE answered_at IS NULL "
                       "ORDER BY id")
    assert order, "the demo city has no matter late enough for a yellow card"
    text = "已约谈责任单位，责令三个工作日内办结，并将跟踪结果。"
    ctx.submit("regulator", f"/regulator/supervision/orders/{order}", {"answer": text})
    assert ctx.scalar("SELECT answer FROM supervision_order WHERE public_id = :p",
                      p=order) == text
    assert ctx.audits("regulator:supervision:answer") == 1


@recipe("regulator.draw_audit")
def _draw_audit(ctx: Ctx) -> None:
    # the checkpoint a regulator saved earlier: the log's first signed one
    note = ctx.scalar("SELECT note FROM log_checkpoint ORDER BY size LIMIT 1")
    r = ctx.submit("regulator", "/regulator/draws", {"note": note}, expect=200)
    assert 'data-test="consistency-ok"' in r.get_data(as_text=True)


def _demo_key_file(ctx: Ctx, email: str) -> dict[str, Any]:
    """The demo regulator's opening key file, as the demo loader saved it for them."""
    from devdata.demo.award import DEMO_KEY_DIR

    path = Path(ctx.app.instance_path) / DEMO_KEY_DIR / f"{email.split('@')[0]}.json"
    return dict(json.loads(path.read_text(encoding="utf-8")))


def _key_of(ctx: Ctx, email: str) -> str:
    return str(ctx.scalar("SELECT k.key_id FROM opening_key k JOIN user_account u ON "
                          "u.id = k.holder_id WHERE u.email = :e AND k.retired_at IS NULL",
                          e=email))


@recipe("openings.keys")
def _register_opening_key(ctx: Ctx) -> None:
    """The browser generates the key and fills in its public half; only that is posted."""
    from tests.support.opening import new_key_file

    old = _key_of(ctx, DEMO_LOGIN["regulator"])
    key_file = new_key_file(holder=str(ctx.scalar(
        "SELECT account_id FROM user_account WHERE email = :e", e=DEMO_LOGIN["regulator"])))
    ctx.submit("regulator", "/regulator/keys", {"public_key": key_file["public_key"]})
    assert _key_of(ctx, DEMO_LOGIN["regulator"]) == key_file["key_id"]
    assert ctx.scalar("SELECT retired_at FROM opening_key WHERE key_id = :k", k=old) is not None


@recipe("openings.retire")
def _retire_opening_key(ctx: Ctx) -> None:
    key = _key_of(ctx, DEMO_LOGIN["regulator"])
    ctx.submit("regulator", f"/regulator/keys/{key}/retire", {"reason": "密钥文件所在的电脑已报废"},
               page="/regulator/keys")
    assert ctx.rows("SELECT retired_at IS NOT NULL, retire_reason FROM opening_key "
                    "WHERE key_id = :k", k=key) == [(1, "密钥文件所在的电脑已报废")]


@recipe("openings.opening_page")
def _present_opening_key(ctx: Ctx) -> None:
    """At the opening time the regulator presents its key as the browser does: it fetches its
    sealed shares, opens them with its key file locally and posts only the opened shares."""
    from tests.support.opening import shares_for

    public_id, closes = ctx.rows("SELECT public_id, signup_closes_at FROM selection_request "
                                 "WHERE method = 'sealed_bid' AND state = 'open' ORDER BY id")[0]
    closes = datetime.fromisoformat(str(closes))
    key_file = _demo_key_file(ctx, DEMO_LOGIN["regulator"])
    page = f"/regulator/openings/{public_id}"
    with timeutil.frozen((closes if closes.tzinfo else closes.replace(tzinfo=UTC))
                         + timedelta(minutes=1)):
        shares = shares_for(ctx.client("regulator"), public_id, key_file)
        ctx.submit("regulator", page, {"shares": shares})
    assert ctx.scalar("SELECT opened_at FROM selection_request WHERE public_id = :p",
                      p=public_id) is not None
    assert ctx.scalar("SELECT count(*) FROM bid b JOIN selection_request r ON "
                      "r.id = b.request_id WHERE r.public_id = :p AND b.amount_fen IS NULL",
                      p=public_id) == 0  # every quote opened


@recipe("credit.new_complaint")
def _new_complaint(ctx: Ctx) -> None:
    eng = ctx.scalar("SELECT e.public_id FROM engagement e JOIN organisation o ON "
                     "o.id = e.owner_org_id WHERE o.public_id = 'OW-000010' ORDER BY e.id")
    before = ctx.scalar("SELECT count(*) FROM complaint")
    ctx.submit("owner_admin", "/my/complaints/new", {
        "subject_kind": "engagement", "subject_id": eng,
        "text": "中介机构未按合同约定时间提交成果，也未说明理由。"},
        files={"files": (PDF + b"evidence", "逾期证明.pdf")})
    assert ctx.scalar("SELECT count(*) FROM complaint") == before + 1


@recipe("evaluation.reply")
def _reply(ctx: Ctx) -> None:
    rating = ctx.scalar("SELECT r.id FROM rating r JOIN organisation o ON o.id = r.agency_org_id "
                        "WHERE o.public_id = :o AND r.reply IS NULL", o=AGENCY1)
    ctx.submit("agency_admin", f"/agency/ratings/{rating}/reply",
               {"reply": "感谢评价，我们会继续提高时效。"}, page="/agency/ratings")
    assert ctx.scalar("SELECT reply FROM rating WHERE id = :r", r=rating) \
        == "感谢评价，我们会继续提高时效。"


# --- owners' projects and requests ---------------------------------------------------------------

OWNER1 = "OW-000010"  # owner1@ / delegate1@yunchuan.demo's


def _request_values(ctx: Ctx, project: int, **over: str) -> dict[str, Any]:
    closes = (timeutil.now() + timedelta(days=10)).astimezone(timeutil.SHANGHAI)
    delegate = ctx.scalar("SELECT id FROM user_account WHERE email = :e",
                          e=DEMO_LOGIN["owner_delegate"])
    regulator = ctx.scalar("SELECT id FROM user_account WHERE email = :e",
                           e=DEMO_LOGIN["regulator"])
    return {"project_id": str(project), "service_code": "EIA", "title": "东城区第九小学环评",
            "scope": "编制环境影响报告表并通过技术评估", "qualification_type": "",
            "qualification_level": "", "price_kind": "fixed",
            # a requirement row from the service's catalogue (the issue is computed, not typed)
            "practitioners-0-kind": "环境影响评价工程师", "practitioners-0-count": "1",
            "price": "32000", "cap": "", "floor": "", "service_days": "20",
            "signing_days": "5", "method": "lottery",
            "signup_closes_at": closes.strftime("%Y-%m-%dT%H:%M"), "external_kind": "ssq",
            # the witness slots in order, one of them a regulator (independent of the owner)
            "avoid": "", "witnesses": [str(delegate), str(regulator)], **over}


def _draft(ctx: Ctx) -> str:
    """A draft request of owner1's, made with the wizard; its public id."""
    project = ctx.scalar("SELECT p.id FROM project p JOIN organisation o ON "
                         "o.id = p.owner_org_id WHERE o.public_id = :o ORDER BY p.id", o=OWNER1)
    r = ctx.post(ctx.client("owner_admin"), "/owner/requests/new", _request_values(ctx, project))
    assert r.status_code == 302, _errors(r)
    return str(r.headers["Location"].rsplit("/", 1)[1])


@recipe("owner.projects")
def _projects(ctx: Ctx) -> None:
    ctx.submit("owner_delegate", "/owner/projects", {
        "name": "东城区第九小学改扩建工程", "code": "2026-539901-47-01-009009",
        "fund_source": "fiscal", "investment": "12800", "location": "云川市东城区"})
    assert ctx.scalar("SELECT count(*) FROM project WHERE code = '2026-539901-47-01-009009'") == 1


@recipe("owner.project_delegates")
def _project_delegates(ctx: Ctx) -> None:
    delegate = ctx.scalar("SELECT m.id FROM membership m JOIN user_account u ON u.id = m.user_id "
                          "WHERE u.email = :e", e=DEMO_LOGIN["owner_delegate"])
    project = ctx.scalar("SELECT p.public_id FROM project p JOIN organisation o ON "
                         "o.id = p.owner_org_id WHERE o.public_id = :o AND p.id NOT IN (SELECT "
                         "project_id FROM project_assignment WHERE membership_id = :m) "
                         "ORDER BY p.id", o=OWNER1, m=delegate)
    ctx.submit("owner_admin", f"/owner/projects/{project}/delegates",
               {"delegates": [str(delegate)]}, page=f"/owner/projects/{project}")
    assert ctx.scalar("SELECT count(*) FROM project_assignment a JOIN project p ON "
                      "p.id = a.project_id WHERE p.public_id = :p AND a.membership_id = :m",
                      p=project, m=delegate) == 1


@recipe("owner.new_request")
def _new_request(ctx: Ctx) -> None:
    project = ctx.scalar("SELECT p.id FROM project p JOIN organisation o ON "
                         "o.id = p.owner_org_id WHERE o.public_id = :o ORDER BY p.id", o=OWNER1)
    before = ctx.scalar("SELECT count(*) FROM selection_request WHERE state = 'draft'")
    r = ctx.submit("owner_admin", "/owner/requests/new", _request_values(ctx, project))
    assert ctx.scalar("SELECT count(*) FROM selection_request WHERE state = 'draft'") \
        == before + 1
    public_id = r.headers["Location"].rsplit("/", 1)[1]
    assert json.loads(ctx.scalar("SELECT practitioners FROM selection_request "
                                 "WHERE public_id = :p", p=public_id)) == {"环境影响评价工程师": 1}
    assert [role for (role,) in ctx.rows(
        "SELECT m.role FROM witness w JOIN selection_request r ON r.id = w.request_id "
        "JOIN membership m ON m.user_id = w.user_id WHERE r.public_id = :p ORDER BY w.position",
        p=public_id)] == ["owner_delegate", "regulator"]


@recipe("owner.edit_request")
def _edit_request(ctx: Ctx) -> None:
    public_id = _draft(ctx)
    ctx.submit("owner_admin", f"/owner/requests/{public_id}/edit",
               {"title": "东城区第九小学改扩建环评（修改）"})
    assert ctx.scalar("SELECT title FROM selection_request WHERE public_id = :p", p=public_id) \
        == "东城区第九小学改扩建环评（修改）"


@recipe("owner.publish")
def _publish(ctx: Ctx) -> None:
    public_id = _draft(ctx)
    ctx.submit("owner_delegate", f"/owner/requests/{public_id}/publish",
               page=f"/owner/requests/{public_id}")
    assert ctx.scalar("SELECT state FROM selection_request WHERE public_id = :p",
                      p=public_id) == "open"


@recipe("owner.amend")
def _amend(ctx: Ctx) -> None:
    public_id, owner = ctx.rows("SELECT r.public_id, o.public_id FROM selection_request r "
                                "JOIN organisation o ON o.id = r.owner_org_id "
                                "WHERE r.state = 'open' AND r.method = 'lottery'")[0]
    ctx.submit("owner_admin", f"/owner/requests/{public_id}/amend",
               {"scope": "编制可行性研究报告，并补充节能评价章节",
                "reason": "补充节能评价的要求"},
               email=ctx.email_of("owner_admin", owner))
    assert ctx.scalar("SELECT count(*) FROM amendment a JOIN selection_request r ON "
                      "r.id = a.request_id WHERE r.public_id = :p", p=public_id) >= 1


def _failed_request(ctx: Ctx) -> tuple[str, int, str]:
    """A failed request (流标): public id, id, and its owner administrator's e-mail."""
    public_id, rid, owner = ctx.rows(
        "SELECT r.public_id, r.id, o.public_id FROM selection_request r JOIN organisation o "
        "ON o.id = r.owner_org_id WHERE r.state = 'failed' ORDER BY r.id")[0]
    return str(public_id), int(rid), ctx.email_of("owner_admin", owner)


@recipe("owner.reannounce")
def _reannounce(ctx: Ctx) -> None:
    """The guided form comes filled with the failed request's terms; saved as they stand, they
    become the re-announcement's draft."""
    public_id, rid, email = _failed_request(ctx)
    r = ctx.submit("owner_admin", f"/owner/requests/{public_id}/reannounce", email=email)
    draft = r.headers["Location"].rsplit("/", 1)[1]
    assert ctx.rows("SELECT state, reannounces_id FROM selection_request WHERE public_id = :p",
                    p=draft) == [("draft", rid)]


@recipe("owner.choose")
def _choose(ctx: Ctx) -> None:
    """The demo's credit merit whose short list is drawn: the owner chooses one of it with a
    reason, which the notice publishes with the award."""
    public_id, owner = ctx.rows(
        "SELECT r.public_id, o.public_id FROM selection_request r JOIN organisation o ON "
        "o.id = r.owner_org_id WHERE r.method = 'credit_merit' AND r.state = 'closed' "
        "ORDER BY r.id")[0]
    email = ctx.email_of("owner_admin", owner)
    page = f"/owner/requests/{public_id}"
    html = ctx.client("owner_admin", email).get(page).get_data(as_text=True)
    choices = [re.search(r'value="([^"]+)"', tag).group(1)  # type: ignore[union-attr]
               for tag in re.findall(r'<input[^>]*name="agency"[^>]*>', html)]
    assert len(choices) >= 2, choices
    reason = "项目负责人有同类管网普查经验，承诺时限最短。"
    ctx.submit("owner_admin", f"{page}/choose", {"agency": choices[-1], "reason": reason},
               email=email, page=page)
    assert ctx.rows("SELECT o.public_id, a.choice_reason, a.state FROM award a JOIN "
                    "selection_request r ON r.id = a.request_id JOIN organisation o ON "
                    "o.id = a.agency_org_id WHERE r.public_id = :p", p=public_id) == [
        (choices[-1], reason, "offered")]
    assert ctx.scalar("SELECT state FROM selection_request WHERE public_id = :p",
                      p=public_id) == "selected"
    assert reason in ctx.client("anonymous").get(f"/notices/{public_id}").get_data(as_text=True)


@recipe("owner.withdraw")
def _withdraw_request(ctx: Ctx) -> None:
    public_id, _rid, email = _failed_request(ctx)
    reason = "项目建设方案调整，本次不再选取中介机构。"
    ctx.submit("owner_admin", f"/owner/requests/{public_id}/withdraw", {"reason": reason},
               email=email, page=f"/owner/requests/{public_id}")
    assert ctx.rows("SELECT cancel_reason, cancelled_at IS NOT NULL FROM selection_request "
                    "WHERE public_id = :p", p=public_id) == [(reason, 1)]


# --- agencies taking part: sign-up, withdrawal, bids, awards, objections ----------------------

def _eligible_agency(ctx: Ctx, public_id: str, button: str = "signup") -> str:
    """The e-mail of an agency administrator offered ``button`` for the request on the open
    requests page (so: eligible, and not yet in)."""
    for (org,) in ctx.rows(
            "SELECT DISTINCT o.public_id FROM organisation o JOIN listing l ON "
            "l.organisation_id = o.id JOIN selection_request r ON "
            "r.service_type_id = l.service_type_id WHERE r.public_id = :p "
            "AND o.status = 'admitted' ORDER BY o.public_id", p=public_id):
        email = ctx.email_of("agency_admin", org)
        page = ctx.client("agency_admin", email).get("/agency/requests").get_data(as_text=True)
        if f'data-test="{button}-{public_id}"' in page:
            return email
    raise AssertionError(f"no agency may {button} for {public_id}")


def _open_request(ctx: Ctx, method: str) -> str:
    return str(ctx.scalar("SELECT public_id FROM selection_request WHERE state = 'open' "
                          "AND method = :m ORDER BY id", m=method))


@recipe("agency_selection.sign_up")
def _sign_up(ctx: Ctx) -> None:
    public_id = _open_request(ctx, "lottery")
    email = _eligible_agency(ctx, public_id)
    before = ctx.scalar("SELECT count(*) FROM signup")
    ctx.submit("agency_admin", f"/agency/requests/{public_id}/signup", email=email,
               page="/agency/requests")
    assert ctx.scalar("SELECT count(*) FROM signup") == before + 1


@recipe("agency_selection.withdraw")
def _withdraw(ctx: Ctx) -> None:
    public_id = _open_request(ctx, "lottery")
    email = _eligible_agency(ctx, public_id)
    agency = ctx.client("agency_admin", email)
    ctx.post(agency, f"/agency/requests/{public_id}/signup", page="/agency/requests")
    ctx.submit("agency_admin", f"/agency/requests/{public_id}/withdraw",
               {"reason": "人员安排冲突，无法按期完成"}, email=email, page="/agency/signups")
    assert ctx.scalar("SELECT count(*) FROM signup WHERE withdrawn_at IS NOT NULL") == 1


@recipe("awards.bid")
def _bid(ctx: Ctx) -> None:
    public_id = _open_request(ctx, "sealed_bid")
    email = _eligible_agency(ctx, public_id, "bid")
    floor, cap = ctx.rows("SELECT floor_fen, cap_fen FROM selection_request "
                          "WHERE public_id = :p", p=public_id)[0]
    amount = ((floor or 0) + cap) // 2 // 100
    before = ctx.scalar("SELECT count(*) FROM bid")
    ctx.submit("agency_admin", f"/agency/requests/{public_id}/bid", {"amount": str(amount)},
               email=email, page="/agency/requests")
    assert ctx.scalar("SELECT count(*) FROM bid") == before + 1


@recipe("proposals.submit")
def _proposal(ctx: Ctx) -> None:
    public_id = _open_request(ctx, "proposals")
    email = _eligible_agency(ctx, public_id, "proposal")
    floor, cap = ctx.rows("SELECT floor_fen, cap_fen FROM selection_request "
                          "WHERE public_id = :p", p=public_id)[0]
    before = ctx.scalar("SELECT count(*) FROM proposal")
    ctx.submit("agency_admin", f"/agency/requests/{public_id}/proposal",
               {"amount": str(((floor or 0) + cap) // 2 // 100)}, email=email,
               files={"file": (PDF, "比选方案.pdf")})
    assert ctx.scalar("SELECT count(*) FROM proposal") == before + 1


def _being_scored(ctx: Ctx) -> tuple[str, str, str]:
    """A proposal selection opened and not yet scored: its id, its owner administrator's
    e-mail and its scores page."""
    public_id, org = ctx.rows(
        "SELECT r.public_id, o.public_id FROM selection_request r JOIN organisation o ON "
        "o.id = r.owner_org_id WHERE r.method = 'proposals' AND r.state = 'closed' "
        "ORDER BY r.id")[0]
    return public_id, ctx.email_of("owner_admin", org), f"/owner/requests/{public_id}/scores"


def _scorer(ctx: Ctx, name: str) -> dict[str, str]:
    """One scorer's form: the name and five points in every box of the page."""
    public_id, email, page = _being_scored(ctx)
    form = ctx.form(ctx.client("owner_admin", email), page)
    return {"name": name, **{n: "5" for n, _v in form.fields if n.startswith("p-")}}


@recipe("proposals.scores")
def _score(ctx: Ctx) -> None:
    public_id, email, page = _being_scored(ctx)
    ctx.submit("owner_admin", page, _scorer(ctx, "孙评委"), email=email)
    assert ctx.scalar("SELECT count(*) FROM proposal_scorer WHERE name = '孙评委'") == 1
    assert ctx.scalar("SELECT count(*) FROM proposal_score") >= 3


@recipe("proposals.remove_scorer")
def _remove_scorer(ctx: Ctx) -> None:
    public_id, email, page = _being_scored(ctx)
    ctx.post(ctx.client("owner_admin", email), page, _scorer(ctx, "录错评委"))
    sid = ctx.scalar("SELECT id FROM proposal_scorer WHERE name = '录错评委'")
    ctx.submit("owner_admin", f"{page}/{sid}/remove", email=email, page=page)
    assert ctx.scalar("SELECT count(*) FROM proposal_scorer WHERE name = '录错评委'") == 0


@recipe("proposals.publish")
def _publish_scores(ctx: Ctx) -> None:
    public_id, email, page = _being_scored(ctx)
    before = ctx.audits("owner:proposal:publish-scores")  # the demo's scored request
    for name in ("孙评委", "吴评委", "郑评委"):
        ctx.post(ctx.client("owner_admin", email), page, _scorer(ctx, name))
    ctx.submit("owner_admin", f"{page}/publish", email=email, page=page)
    assert ctx.scalar("SELECT state FROM selection_request WHERE public_id = :p",
                      p=public_id) in ("selected", "closed")
    assert ctx.audits("owner:proposal:publish-scores") == before + 1


def _offered(ctx: Ctx) -> tuple[int, str, str, datetime]:
    """An award waiting for its agency: id, request, the agency administrator's e-mail, and
    a moment inside its result notice (when it may be confirmed, declined or objected to).
    Not one on an abnormally low quote: that one is explained first (awards.explain)."""
    award, request, org = ctx.rows(
        "SELECT a.id, r.public_id, o.public_id FROM award a JOIN selection_request r "
        "ON r.id = a.request_id JOIN organisation o ON o.id = a.agency_org_id "
        "WHERE a.state = 'offered' AND NOT EXISTS (SELECT 1 FROM bid b WHERE b.request_id = "
        "r.id AND b.agency_org_id = a.agency_org_id AND b.abnormally_low) ORDER BY a.id")[0]
    with ctx.app.app_context():
        from market.selection.models import Award

        offered_at = db.session.get(Award, award).offered_at
        db.session.remove()
    return award, request, ctx.email_of("agency_admin", org), offered_at + timedelta(hours=1)


@recipe("awards.confirm")
def _confirm(ctx: Ctx) -> None:
    award, _request, email, during = _offered(ctx)
    with timeutil.frozen(during):
        ctx.submit("agency_admin", f"/agency/awards/{award}/confirm", email=email,
                   page="/agency/awards")
    assert ctx.scalar("SELECT state FROM award WHERE id = :a", a=award) == "confirmed"


@recipe("awards.decline")
def _decline(ctx: Ctx) -> None:
    award, _request, email, during = _offered(ctx)
    with timeutil.frozen(during):
        ctx.submit("agency_admin", f"/agency/awards/{award}/decline",
                   {"reason": "项目负责人调离，无法承接"}, email=email, page="/agency/awards")
    assert ctx.scalar("SELECT state FROM award WHERE id = :a", a=award) == "declined"


@recipe("awards.explain")
def _explain(ctx: Ctx) -> None:
    """The demo's discount-rate sealed bid whose lowest quote is abnormally low: its agency
    explains in writing (public), then may confirm."""
    award, org = ctx.rows(
        "SELECT a.id, o.public_id FROM award a JOIN selection_request r ON r.id = a.request_id "
        "JOIN organisation o ON o.id = a.agency_org_id JOIN bid b ON b.request_id = r.id AND "
        "b.agency_org_id = a.agency_org_id AND b.replaced_at IS NULL WHERE a.state = 'offered' "
        "AND r.low_action = 'explain' AND b.abnormally_low AND a.low_explanation IS NULL "
        "ORDER BY a.id")[0]
    email = ctx.email_of("agency_admin", org)
    text = "本机构在该片区承接过同类环评，现场资料齐备，人员就近调配，报价可覆盖全部成本。"
    before = ctx.audits("agency:award:explain-low")
    ctx.submit("agency_admin", f"/agency/awards/{award}/explain", {"text": text}, email=email,
               page="/agency/awards")
    assert ctx.scalar("SELECT low_explanation FROM award WHERE id = :a", a=award) == text
    assert ctx.audits("agency:award:explain-low") == before + 1
    ctx.post(ctx.client("agency_admin", email), f"/agency/awards/{award}/confirm",
             page="/agency/awards")
    assert ctx.scalar("SELECT state FROM award WHERE id = :a", a=award) == "confirmed"


def _objector(ctx: Ctx, request: str, winner_email: str) -> str:
    for (org,) in ctx.rows("SELECT o.public_id FROM signup s JOIN selection_request r ON "
                           "r.id = s.request_id JOIN organisation o ON o.id = s.agency_org_id "
                           "WHERE r.public_id = :p ORDER BY s.id", p=request):
        email = ctx.email_of("agency_admin", org)
        if email != winner_email:
            return email
    raise AssertionError(f"nobody else took part in {request}")


@recipe("awards.objection")
def _objection(ctx: Ctx) -> None:
    _award, request, winner, during = _offered(ctx)
    email = _objector(ctx, request, winner)
    with timeutil.frozen(during):
        ctx.submit("agency_admin", f"/notices/{request}/objection",
                   {"text": "中选机构的资质证书在报名截止前已过期，请核查。"}, email=email,
                   files={"attachment": (PDF + b"objection", "证书查询截图.pdf")})
    assert ctx.scalar("SELECT count(*) FROM objection WHERE state = 'pending'") == 1


@recipe("awards.decide")
def _decide_objection(ctx: Ctx) -> None:
    _award, request, winner, during = _offered(ctx)
    email = _objector(ctx, request, winner)
    with timeutil.frozen(during):
        ctx.post(ctx.client("agency_admin", email), f"/notices/{request}/objection",
                 {"text": "中选机构的资质证书在报名截止前已过期，请核查。"})
        objection = ctx.scalar("SELECT id FROM objection WHERE state = 'pending'")
        ctx.submit("regulator", f"/regulator/objections/{objection}",
                   {"decision": "reject", "reason": "经核查，证书在有效期内，异议不成立。"},
                   page="/regulator/objections")
    assert ctx.scalar("SELECT state FROM objection WHERE id = :o", o=objection) == "rejected"


# --- the draw: witnesses, then the external value ------------------------------------------------

def _lottery_after_close(ctx: Ctx) -> tuple[str, list[tuple[str, str]], datetime, datetime]:
    """The open lottery with enough eligible sign-ups, past its close: its id, its witnesses
    (role, e-mail) in order, a moment when they may enter, and one after the external value."""
    public_id = _open_request(ctx, "lottery")
    minimum = int(ctx.app.config["MIN_ELIGIBLE_REGISTRANTS"])
    while ctx.scalar("SELECT count(*) FROM signup s JOIN selection_request r ON "
                     "r.id = s.request_id WHERE r.public_id = :p", p=public_id) < minimum + 1:
        email = _eligible_agency(ctx, public_id)
        ctx.post(ctx.client("agency_admin", email), f"/agency/requests/{public_id}/signup",
                 page="/agency/requests")
    lottery, closes, external_at = ctx.rows(
        "SELECT l.lottery_id, r.signup_closes_at, l.external_at FROM lottery l "
        "JOIN selection_request r ON r.id = l.request_id WHERE r.public_id = :p "
        "AND l.state = 'open'", p=public_id)[0]
    witnesses = [(str(role), str(email)) for email, role in ctx.rows(
        "SELECT u.email, m.role FROM witness w JOIN selection_request r ON r.id = w.request_id "
        "JOIN user_account u ON u.id = w.user_id JOIN membership m ON m.user_id = u.id "
        "WHERE r.public_id = :p ORDER BY w.position", p=public_id)]

    def aware(value: Any) -> datetime:
        value = datetime.fromisoformat(str(value))
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    return lottery, witnesses, aware(closes) + timedelta(minutes=5), \
        aware(external_at) + timedelta(minutes=30)


@recipe("lotteries.witness")
def _witness(ctx: Ctx) -> None:
    lottery, witnesses, after_close, _after_t = _lottery_after_close(ctx)
    role, email = witnesses[0]
    with timeutil.frozen(after_close):
        assert ctx.client(role, email).get(f"/lotteries/{lottery}").status_code == 200
        ctx.submit(role, f"/lotteries/{lottery}/witness", {"value": "20261208"}, email=email,
                   page=f"/lotteries/{lottery}")
    assert ctx.scalar("SELECT count(*) FROM entropy_entry e JOIN lottery l ON "
                      "l.id = e.lottery_pk WHERE l.lottery_id = :l", l=lottery) == 1


@recipe("lotteries.external")
def _external(ctx: Ctx) -> None:
    """Two entries: the operator types the result with its official date, a regulator types
    it again on its own; only then is it logged and the draw run."""
    lottery, witnesses, after_close, after_t = _lottery_after_close(ctx)
    with timeutil.frozen(after_close):
        for n, (role, email) in enumerate(witnesses):
            c = ctx.client(role, email)
            assert c.get(f"/lotteries/{lottery}").status_code == 200
            assert ctx.post(c, f"/lotteries/{lottery}/witness", {"value": f"8811223{n}"},
                            page=f"/lotteries/{lottery}").status_code == 302
    with ctx.app.app_context():
        from market.selection.models import Lottery

        row = db.session.scalar(sa.select(Lottery).where(Lottery.lottery_id == lottery))
        available_at = row.announcement["entropy_plan"][-1]["available_at"]
        db.session.remove()
    drawn_on = datetime.strptime(available_at, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=UTC).astimezone(timeutil.SHANGHAI).date().isoformat()
    typed = {"value": "3 7 12 19 25 31 + 9", "official_date": drawn_on}
    with timeutil.frozen(after_t):
        first = ctx.post(ctx.client("operator"), f"/lotteries/{lottery}/external", typed,
                         page=f"/lotteries/{lottery}")
        assert first.status_code == 302, _errors(first)
        assert ctx.scalar("SELECT state FROM lottery WHERE lottery_id = :l", l=lottery) \
            == "frozen"  # one entry is not enough
        ctx.submit("regulator", f"/lotteries/{lottery}/external", typed,
                   page=f"/lotteries/{lottery}")
    assert ctx.scalar("SELECT state FROM lottery WHERE lottery_id = :l", l=lottery) == "drawn"


# --- engagements, money, ratings -------------------------------------------------------------

def _engagement(ctx: Ctx, state: str, *, open_materials: bool | None = None
                ) -> tuple[str, int, str, str]:
    """An engagement in ``state``: public id, id, and the e-mails of its owner's and its
    agency's administrators."""
    public_id, eid, owner, agency = ctx.rows(
        "SELECT e.public_id, e.id, ow.public_id, ag.public_id FROM engagement e "
        "JOIN organisation ow ON ow.id = e.owner_org_id "
        "JOIN organisation ag ON ag.id = e.agency_org_id WHERE e.state = :s "
        "AND (:m IS NULL OR :m = CASE WHEN EXISTS (SELECT 1 FROM materials_request r "
        "WHERE r.engagement_id = e.id AND r.answered_at IS NULL) THEN 1 ELSE 0 END) "
        "ORDER BY e.id", s=state, m=None if open_materials is None else int(open_materials))[0]
    return (str(public_id), int(eid), ctx.email_of("owner_admin", owner),
            ctx.email_of("agency_admin", agency))


def _state(ctx: Ctx, public_id: str) -> str:
    return str(ctx.scalar("SELECT state FROM engagement WHERE public_id = :p", p=public_id))


@recipe("engagements.upload_contract")
def _upload_contract(ctx: Ctx) -> None:
    eng, _eid, _owner, agency = _engagement(ctx, "signing")
    ctx.submit("agency_admin", f"/engagements/{eng}/contract", email=agency,
               page=f"/engagements/{eng}", files={"file": (PDF + b"contract", "委托合同.pdf")})
    assert ctx.scalar("SELECT contract_upload_id FROM engagement WHERE public_id = :p",
                      p=eng) is not None


@recipe("engagements.confirm_contract")
def _confirm_contract(ctx: Ctx) -> None:
    eng, _eid, owner, agency = _engagement(ctx, "signing")
    ctx.post(ctx.client("agency_admin", agency), f"/engagements/{eng}/contract",
             page=f"/engagements/{eng}", files={"file": (PDF + b"contract", "委托合同.pdf")})
    ctx.submit("owner_admin", f"/engagements/{eng}/contract/confirm", email=owner,
               page=f"/engagements/{eng}")
    assert _state(ctx, eng) == "in_service"


@recipe("engagements.ask_materials")
def _ask_materials(ctx: Ctx) -> None:
    eng, _eid, _owner, agency = _engagement(ctx, "in_service", open_materials=False)
    ctx.submit("agency_admin", f"/engagements/{eng}/materials",
               {"what": "请提供项目选址意见书和总平面图。"}, email=agency, page=f"/engagements/{eng}")
    assert ctx.scalar("SELECT count(*) FROM materials_request m JOIN engagement e ON "
                      "e.id = m.engagement_id WHERE e.public_id = :p AND m.answered_at IS NULL",
                      p=eng) == 1


@recipe("engagements.answer_materials")
def _answer_materials(ctx: Ctx) -> None:
    eng, _eid, owner, _agency = _engagement(ctx, "in_service", open_materials=True)
    ctx.submit("owner_admin", f"/engagements/{eng}/materials/answer",
               {"answer": "已上传选址意见书和总平面图。"}, email=owner, page=f"/engagements/{eng}",
               files={"file": (PDF + b"site plan", "总平面图.pdf")})
    assert ctx.scalar("SELECT count(*) FROM materials_request m JOIN engagement e ON "
                      "e.id = m.engagement_id WHERE e.public_id = :p AND m.answered_at IS NULL",
                      p=eng) == 0


@recipe("engagements.extension")
def _extension(ctx: Ctx) -> None:
    eng, _eid, owner, _agency = _engagement(ctx, "in_service")
    ctx.submit("owner_admin", f"/engagements/{eng}/extension",
               {"days": "5", "reason": "业主补充资料延误"}, email=owner, page=f"/engagements/{eng}")
    assert ctx.scalar("SELECT c.extensions FROM clock c JOIN engagement e ON "
                      "c.engagement_id = e.id WHERE e.public_id = :p AND c.kind = 'service'",
                      p=eng) == 5


@recipe("engagements.submit_deliverable")
def _submit_deliverable(ctx: Ctx) -> None:
    eng, _eid, _owner, agency = _engagement(ctx, "in_service", open_materials=False)
    ctx.submit("agency_admin", f"/engagements/{eng}/deliverables", {"note": "第一版报告"},
               email=agency, page=f"/engagements/{eng}",
               files={"file": (PDF + b"report", "环境影响报告表.pdf")})
    assert _state(ctx, eng) == "in_review"


@recipe("engagements.return_deliverable")
def _return_deliverable(ctx: Ctx) -> None:
    eng, _eid, owner, _agency = _engagement(ctx, "in_review")
    ctx.submit("owner_admin", f"/engagements/{eng}/return", {"reason": "缺少声环境影响预测章节。"},
               email=owner, page=f"/engagements/{eng}")
    assert _state(ctx, eng) == "in_service"


@recipe("engagements.accept")
def _accept(ctx: Ctx) -> None:
    eng, _eid, owner, _agency = _engagement(ctx, "in_review")
    ctx.submit("owner_admin", f"/engagements/{eng}/accept", email=owner,
               page=f"/engagements/{eng}")
    assert _state(ctx, eng) == "accepted"


@recipe("engagements.cancel")
def _cancel(ctx: Ctx) -> None:
    eng, _eid, owner, _agency = _engagement(ctx, "in_service")
    ctx.submit("owner_admin", f"/engagements/{eng}/cancel", {"reason": "项目调整，取消委托。"},
               email=owner, page=f"/engagements/{eng}")
    assert _state(ctx, eng) == "cancelled"


def _pay_in_full(ctx: Ctx, eid: int, owner: str) -> None:
    outstanding = ctx.scalar("SELECT fee_fen FROM billing_engagement WHERE id = :e", e=eid) - (
        ctx.scalar("SELECT coalesce(sum(amount_fen), 0) FROM billing_payment "
                   "WHERE engagement_id = :e", e=eid))
    r = ctx.post(ctx.client("owner_admin", owner), f"/billing/engagements/{eid}/payments", {
        "reference": f"GK{eid:06d}0001", "paid_on": timeutil.today_local().isoformat(),
        "amount": f"{outstanding / 100:.2f}"}, page=f"/billing/engagements/{eid}")
    assert r.status_code == 302, _errors(r)


def _accepted_unpaid(ctx: Ctx) -> tuple[str, int, str, str]:
    public_id, eid, owner, agency = ctx.rows(
        "SELECT e.public_id, e.id, ow.public_id, ag.public_id FROM engagement e "
        "JOIN billing_engagement b ON b.id = e.id JOIN organisation ow ON "
        "ow.id = e.owner_org_id JOIN organisation ag ON ag.id = e.agency_org_id "
        "WHERE e.state = 'accepted' AND b.released_at IS NULL ORDER BY e.id")[0]
    return (str(public_id), int(eid), ctx.email_of("owner_admin", owner),
            ctx.email_of("agency_admin", agency))


@recipe("billing.record_payment")
def _record_payment(ctx: Ctx) -> None:
    _eng, eid, owner, _agency = _engagement(ctx, "in_service")
    before = ctx.scalar("SELECT count(*) FROM billing_payment WHERE engagement_id = :e", e=eid)
    ctx.submit("owner_admin", f"/billing/engagements/{eid}/payments", {
        "reference": "GK2026120800017", "paid_on": timeutil.today_local().isoformat(),
        "amount": "1000"}, email=owner, page=f"/billing/engagements/{eid}")
    assert ctx.scalar("SELECT count(*) FROM billing_payment WHERE engagement_id = :e",
                      e=eid) == before + 1


@recipe("engagements.release")
def _release(ctx: Ctx) -> None:
    eng, eid, owner, _agency = _accepted_unpaid(ctx)
    _pay_in_full(ctx, eid, owner)
    ctx.submit("owner_admin", f"/engagements/{eng}/release", email=owner,
               page=f"/engagements/{eng}")
    assert ctx.scalar("SELECT released_at FROM billing_engagement WHERE id = :e",
                      e=eid) is not None


@recipe("billing.confirm_payout")
def _confirm_payout(ctx: Ctx) -> None:
    eng, eid, owner, agency = _accepted_unpaid(ctx)
    _pay_in_full(ctx, eid, owner)
    assert ctx.post(ctx.client("owner_admin", owner), f"/engagements/{eng}/release",
                    page=f"/engagements/{eng}").status_code == 302
    ctx.submit("agency_admin", f"/billing/engagements/{eid}/payout", email=agency,
               page=f"/billing/engagements/{eid}")
    assert ctx.scalar("SELECT paid_out_at FROM billing_engagement WHERE id = :e",
                      e=eid) is not None


@recipe("billing.stripe_webhook")
def _stripe_webhook(ctx: Ctx) -> None:
    """Not a person's form: Stripe's signed event.  The demo city runs the offline backend,
    where the route does not exist for anyone (404); tests/billing/test_conformance.py posts
    real signed events to it with the Stripe backend."""
    ctx.submitted = ctx.app.test_client().post(
        "/billing/stripe/webhook", data=b"{}", content_type="application/json").status_code
    assert ctx.submitted == 404


@recipe("evaluation.rate")
def _rate(ctx: Ctx) -> None:
    eng, _eid, owner, _agency = _engagement(ctx, "in_review")
    ctx.post(ctx.client("owner_admin", owner), f"/engagements/{eng}/accept",
             page=f"/engagements/{eng}")
    ctx.submit("owner_admin", f"/owner/engagements/{eng}/rating", {
        "quality": "4", "timeliness": "5", "attitude": "4", "fees": "3", "integrity": "5",
        "level": "satisfied", "comment": "报告质量较好，按时提交。"}, email=owner)
    assert ctx.scalar("SELECT count(*) FROM rating r JOIN engagement e ON "
                      "e.id = r.engagement_id WHERE e.public_id = :p", p=eng) == 1


def _poor_rating(ctx: Ctx) -> tuple[str, str]:
    """A 差评 of an engagement accepted through the forms: its correction's public id and the
    agency administrator's e-mail."""
    eng, _eid, owner, agency = _engagement(ctx, "in_review")
    ctx.post(ctx.client("owner_admin", owner), f"/engagements/{eng}/accept",
             page=f"/engagements/{eng}")
    r = ctx.post(ctx.client("owner_admin", owner), f"/owner/engagements/{eng}/rating", {
        "quality": "2", "timeliness": "1", "attitude": "3", "fees": "3", "integrity": "3",
        "level": "dissatisfied", "comment": "成果多次返工。"})
    assert r.status_code == 302, _errors(r)
    correction = ctx.scalar("SELECT c.public_id FROM rating_correction c JOIN rating r ON "
                            "r.id = c.rating_id JOIN engagement e ON e.id = r.engagement_id "
                            "WHERE e.public_id = :p", p=eng)
    assert correction
    return str(correction), agency


@recipe("evaluation.rate_return")
def _rate_return(ctx: Ctx) -> None:
    eng, eid, owner, _agency = _engagement(ctx, "in_review")
    r = ctx.post(ctx.client("owner_admin", owner), f"/engagements/{eng}/return",
                 {"reason": "缺少噪声预测章节"}, page=f"/engagements/{eng}")
    assert r.status_code == 302, _errors(r)
    version = ctx.scalar("SELECT max(version) FROM deliverable WHERE engagement_id = :e "
                         "AND decision = 'returned'", e=eid)
    ctx.submit("owner_admin", f"/owner/engagements/{eng}/returns/{version}/rating", {
        "quality": "3", "timeliness": "4", "attitude": "4", "fees": "4", "integrity": "4",
        "level": "basically_satisfied", "comment": "初稿缺章节，沟通及时。"}, email=owner)
    assert ctx.scalar("SELECT count(*) FROM rating WHERE engagement_id = :e AND "
                      "deliverable_version = :v", e=eid, v=version) == 1


@recipe("evaluation.hide")
def _hide(ctx: Ctx) -> None:
    rating = ctx.scalar("SELECT id FROM rating WHERE hidden_at IS NULL ORDER BY id")
    ctx.submit("operator", f"/operator/ratings/{rating}/hide",
               {"reason": "评价中含有他人的手机号码，属于个人信息。"})
    assert ctx.scalar("SELECT hidden_reason FROM rating WHERE id = :r", r=rating) \
        == "评价中含有他人的手机号码，属于个人信息。"
    assert ctx.audits("operator:rating:hide") >= 1


_CORRECTED = "已重新核算工程量并修改报告第三章，指定专人对接业主。"


@recipe("evaluation.answer_correction")
def _answer_correction(ctx: Ctx) -> None:
    correction, agency = _poor_rating(ctx)
    ctx.submit("agency_admin", f"/agency/corrections/{correction}", {"answer": _CORRECTED},
               email=agency)
    assert ctx.scalar("SELECT answer FROM rating_correction WHERE public_id = :p",
                      p=correction) == _CORRECTED


@recipe("evaluation.follow_up")
def _follow_up(ctx: Ctx) -> None:
    correction, agency = _poor_rating(ctx)
    ctx.post(ctx.client("agency_admin", agency), f"/agency/corrections/{correction}",
             {"answer": _CORRECTED})
    ctx.submit("operator", f"/operator/corrections/{correction}",
               {"result": "satisfied", "note": "电话回访业主，业主确认问题已解决。"})
    assert ctx.scalar("SELECT follow_up_result FROM rating_correction WHERE public_id = :p",
                      p=correction) == "satisfied"


# --- approval cases ------------------------------------------------------------------------------

def _case_state(ctx: Ctx, case: str) -> str:
    return str(ctx.scalar("SELECT state FROM approval_case WHERE public_id = :p", p=case))


# 南湖湿地公园提升工程 (owner3) has no feasibility-study case: dept2 (发展和改革委员会) receives one.
_P3 = "2026-539903-46-01-000903"


def _received(ctx: Ctx, submit: bool = False) -> str:
    """A feasibility-study application of owner3's received by dept2; its public id."""
    matter = ctx.scalar("SELECT id FROM approval_matter WHERE code = 'PA-FSR'")
    data = {"project_code": _P3, "matter_id": str(matter), "case_no": "FGW-2026-0901"}
    if submit:
        r = ctx.submit("department_staff", "/approvals/receive", data)
    else:
        r = ctx.post(ctx.client("department_staff"), "/approvals/receive", data)
        assert r.status_code == 302, _errors(r)
    return str(r.headers["Location"].rsplit("/", 1)[1])


@recipe("approvals.new")
def _approval_new(ctx: Ctx) -> None:
    before = ctx.scalar("SELECT count(*) FROM approval_case")
    ctx.submit("owner_delegate", "/approvals/new")
    assert ctx.scalar("SELECT count(*) FROM approval_case") == before + 1


@recipe("approvals.receive")
def _approval_receive(ctx: Ctx) -> None:
    before = ctx.audits("staff:case:applied")
    case = _received(ctx, submit=True)
    assert ctx.rows("SELECT state, case_no FROM approval_case WHERE public_id = :p",
                    p=case) == [("preparing", "FGW-2026-0901")]
    assert ctx.audits("staff:case:applied") == before + 1


@recipe("approvals.record_event")
def _approval_record_event(ctx: Ctx) -> None:
    """Every staff form: 补正, 受理, a special procedure and the withdrawal on a received case;
    the end of the special procedure, an extension and the decision on owner1's
    feasibility-study case (suspended in the demo for the cost appraisal, 鉴定)."""
    case = _received(ctx)
    page = f"/approvals/{case}"
    for kind, data, state in (
            ("return", None, "preparing"), ("resubmit", None, "preparing"),
            ("accept", {"accept-mode": "pledge_acceptance"}, "accepted"),
            ("special", {"special-reason": "expert_review", "special-expected_days": "5"},
             "suspended"),
            ("withdraw", None, "withdrawn")):
        ctx.submit("department_staff", f"{page}/events/{kind}", data, page=page)
        assert _case_state(ctx, case) == state
    owner1 = ctx.scalar("SELECT c.public_id FROM approval_case c JOIN approval_matter m ON "
                        "m.id = c.matter_id JOIN organisation o ON o.id = c.owner_org_id WHERE "
                        "m.code = 'PA-FSR' AND o.public_id = (SELECT o2.public_id FROM "
                        "organisation o2 JOIN membership mm ON mm.organisation_id = o2.id JOIN "
                        "user_account u ON u.id = mm.user_id WHERE u.email = "
                        "'owner1@yunchuan.demo') AND c.state = 'suspended'")
    assert owner1, "owner1's feasibility-study case is suspended in the demo"
    page = f"/approvals/{owner1}"
    for kind, data, state in (
            ("resume", None, "running"),
            ("extend", {"extend-days": "10", "extend-approved_by": "发改委主任 王明",
                        "extend-extension_reason": "需补充专家论证意见"}, "running"),
            ("decide", {"outcome-outcome": "approved"}, "decided")):
        ctx.submit("department_staff", f"{page}/events/{kind}", data, page=page)
        assert _case_state(ctx, owner1) == state
    assert ctx.rows("SELECT type FROM case_event e JOIN approval_case c ON c.id = e.case_id "
                    "WHERE c.public_id = :p AND e.type = 'extended'", p=owner1) == [("extended",)]


# --- credit repair and owners' breaches ----------------------------------------------------------

@recipe("regulator.repair_sanction")
def _repair_sanction(ctx: Ctx) -> None:
    """The demo's sanction that may be repaired today (still published, its shortest
    publication period run: market.domain.credit_repair), repaired from today; it is then no
    longer published."""
    from market.credit.models import Sanction

    today = timeutil.today_local()
    with ctx.app.app_context():
        repairable = [s.id for s in db.session.scalars(sa.select(Sanction).order_by(Sanction.id))
                      if not s.repaired and s.published_on(today)
                      and s.publication.earliest_repair <= today]
        db.session.remove()
    assert repairable, "the demo has no sanction a regulator may repair today"
    sanction = repairable[0]
    ctx.submit("regulator", f"/regulator/sanctions/{sanction}/repair", {
        "repaired_on": today.isoformat(), "decision": "云川信修〔2026〕1号",
        "reason": "已按要求公示收费标准并作出信用承诺。"})
    assert [(d, str(on)) for d, on in ctx.rows(
        "SELECT repair_decision, repaired_on FROM sanction WHERE id = :s", s=sanction)] \
        == [("云川信修〔2026〕1号", today.isoformat())]
    with ctx.app.app_context():
        assert not db.session.get(Sanction, sanction).published_on(today)
        db.session.remove()
    assert ctx.audits("regulator:sanction:repair") == 1


@recipe("regulator.new_breach")
def _new_breach(ctx: Ctx) -> None:
    before = ctx.scalar("SELECT count(*) FROM owner_breach")
    ctx.submit("regulator", "/regulator/breaches/new", {
        "owner": OWNER1, "kind": "other", "engagement": "",
        "occurred_on": (timeutil.today_local() - timedelta(days=10)).isoformat(),
        "facts": "业主拒不配合提供合同约定的基础资料，致使服务中止。",
        "evidence": "情况说明（云川监〔2026〕7号）"},
        files={"evidence_file": (PDF + b"breach", "情况说明.pdf")})
    assert ctx.scalar("SELECT count(*) FROM owner_breach") == before + 1


# --- subscriptions, relations, avoid-list reviews ------------------------------------------------


@recipe("notify.subscription")
def _subscription(ctx: Ctx) -> None:
    code = ctx.scalar("SELECT code FROM service_type ORDER BY code")
    ctx.submit("agency_admin", "/agency/subscriptions", {
        "service_codes": [code], "frequency": "daily", "sms_phone": ""})
    assert ctx.rows("SELECT daily FROM subscription s JOIN organisation o "
                    "ON o.id = s.organisation_id WHERE o.public_id = :o", o=AGENCY1) == [(True,)]


@recipe("notify.cancel_subscription")
def _cancel_subscription(ctx: Ctx) -> None:
    code = ctx.scalar("SELECT code FROM service_type ORDER BY code")
    ctx.post(ctx.client("agency_admin"), "/agency/subscriptions", {
        "service_codes": [code], "frequency": "now", "sms_phone": ""})
    assert ctx.scalar("SELECT count(*) FROM subscription") == 1
    ctx.submit("agency_admin", "/agency/subscriptions/cancel", page="/agency/subscriptions")
    assert ctx.scalar("SELECT count(*) FROM subscription") == 0


def _other_agency_code(ctx: Ctx) -> str:
    return str(ctx.scalar("SELECT credit_code FROM organisation WHERE kind = 'agency' "
                          "AND public_id != :o AND credit_code IS NOT NULL ORDER BY id",
                          o=AGENCY1))


@recipe("agencies.my_relations")
def _my_relations(ctx: Ctx) -> None:
    ctx.submit("agency_admin", "/agency/relations", {
        "other_credit_code": _other_agency_code(ctx), "other_name": "", "kind": "controlling"})
    assert ctx.rows("SELECT source, kind FROM agency_relation") == [("declared", "controlling")]


@recipe("agencies.operator_relations")
def _operator_relations(ctx: Ctx) -> None:
    ctx.submit("operator", "/operator/relations", {
        "agency": AGENCY1, "other_credit_code": _other_agency_code(ctx), "other_name": "",
        "kind": "shared_contact", "note": "两家机构登记的办公地址相同"})
    assert ctx.rows("SELECT source, kind FROM agency_relation") == [("operator", "shared_contact")]


@recipe("agencies.regulator_relations")
def _regulator_relations(ctx: Ctx) -> None:
    ctx.submit("regulator", "/regulator/relations", {
        "agency": AGENCY1, "other_credit_code": _other_agency_code(ctx), "other_name": "",
        "kind": "legal_representative", "note": "工商登记显示法定代表人为同一人"})
    assert ctx.rows("SELECT source FROM agency_relation") == [("regulator",)]


def _avoid_review(ctx: Ctx) -> str:
    """owner1's draft submitted for an avoid-list review (the limit set below its list)."""
    rid = _draft(ctx)
    ctx.app.config["AVOID_LIST_MAX"] = -1
    return rid


@recipe("avoid_reviews.submit")
def _avoid_submit(ctx: Ctx) -> None:
    try:
        rid = _avoid_review(ctx)
        ctx.submit("owner_admin", f"/owner/requests/{rid}/avoid-review",
                   page=f"/owner/requests/{rid}")
        assert ctx.rows("SELECT state FROM avoid_review") == [("pending",)]
    finally:
        ctx.app.config["AVOID_LIST_MAX"] = 3


@recipe("avoid_reviews.decide")
def _avoid_decide(ctx: Ctx) -> None:
    try:
        rid = _avoid_review(ctx)
        ctx.post(ctx.client("owner_admin"), f"/owner/requests/{rid}/avoid-review",
                 page=f"/owner/requests/{rid}")
        review = ctx.scalar("SELECT id FROM avoid_review")
        ctx.submit("regulator", f"/regulator/avoid-reviews/{review}",
                   {"decision": "refuse", "note": "回避理由不成立，请核实后重新提交"},
                   page="/regulator/avoid-reviews")
        assert ctx.rows("SELECT state FROM avoid_review") == [("refused",)]
    finally:
        ctx.app.config["AVOID_LIST_MAX"] = 3

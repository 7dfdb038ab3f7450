# ruff: noqa: S608  # fixed SQL of this file (demo e-mails, table names), no outside input
"""Authorization beyond the route × role matrix (bad input).

* IDOR: every route with an object id in its URL that belongs to one organisation, asked for by
  the same role from another organisation of the demo city, answers 404 (or 403), shows none of
  the object and, for a POST, stores nothing.  The object's own organisation gets it (so the
  refusal is about the organisation, not a missing object).
* CSRF: a POST without a token, or with a wrong one, is refused with a 400 on every POST route.
* Session fixation: nothing of the session before login survives it.
* Login brute force meets the rate limit: ``tests/test_accounts.py::
  test_login_is_rate_limited_per_account`` (not repeated here).
"""

from __future__ import annotations

import dataclasses
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from market.db import db
from market.supervision.operations import escalate
from tests.conftest import PASSWORD, create_person, csrf_token, login, make_app
from tests.proof.fuzz_support import (
    AGENCY1,
    OWNER1,
    DemoCity,
    city_fingerprint,
    concrete_path,
    demo_city,
    login_as,
    post_routes,
    role_for,
)
from tests.proof.report import record
from tests.support import form_recipes

OWNER2 = "owner2@yunchuan.demo"
AGENCY2 = "agency2@yunchuan.demo"

# endpoint -> (method, URL template, SQL for the template's fields: an object of owner1's
# organisation or of agency1's), asked for by owner2 / agency2 in the same role.
_EG_OWNER1 = f"SELECT public_id FROM engagement WHERE owner_org_id = {OWNER1} ORDER BY id"
_BJ_OWNER1 = f"SELECT public_id FROM approval_case WHERE owner_org_id = {OWNER1} ORDER BY id"
_RQ_OWNER1 = f"SELECT public_id FROM selection_request WHERE owner_org_id = {OWNER1} ORDER BY id"
OWNER_OBJECTS: dict[str, tuple[str, str, str]] = {
    "engagements.detail": ("GET", "/engagements/{public_id}", _EG_OWNER1),
    "engagements.file": ("GET", "/engagements/{public_id}/files/{upload_id}",
                         "SELECT e.public_id, d.upload_id FROM deliverable d JOIN engagement e "
                         f"ON e.id = d.engagement_id WHERE e.owner_org_id = {OWNER1}"),
    "evaluation.rate": ("GET", "/owner/engagements/{public_id}/rating", _EG_OWNER1),
    # whichever owner returned the setup's deliverable: ``org`` names it
    "evaluation.rate_return": ("GET", "/owner/engagements/{public_id}/returns/{version}/rating",
                               "SELECT e.public_id, d.version, e.owner_org_id AS org "
                               "FROM deliverable d JOIN engagement e ON e.id = d.engagement_id "
                               "WHERE d.decision = 'returned' ORDER BY d.id"),
    "owner.request_detail": ("GET", "/owner/requests/{public_id}", _RQ_OWNER1),
    "owner.edit_request": ("GET", "/owner/requests/{public_id}/edit",
                           _RQ_OWNER1.replace("ORDER BY", "AND state = 'draft' ORDER BY")),
    "owner.amend": ("GET", "/owner/requests/{public_id}/amend",
                    _RQ_OWNER1.replace("ORDER BY", "AND state = 'open' ORDER BY")),
    "owner.publish": ("POST", "/owner/requests/{public_id}/publish", _RQ_OWNER1),
    "owner.withdraw": ("POST", "/owner/requests/{public_id}/withdraw", _RQ_OWNER1),
    "owner.choose": ("POST", "/owner/requests/{public_id}/choose", _RQ_OWNER1),
    # POST: owner1 has no failed request in the demo city to GET the form of
    "owner.reannounce": ("POST", "/owner/requests/{public_id}/reannounce", _RQ_OWNER1),
    "avoid_reviews.submit": ("POST", "/owner/requests/{public_id}/avoid-review", _RQ_OWNER1),
    "approvals.detail": ("GET", "/approvals/{public_id}", _BJ_OWNER1),
    "approvals.notice": ("GET", "/approvals/suspensions/{id}/notice",
                         "SELECT s.id FROM suspension s JOIN approval_case c ON c.id = s.case_id "
                         f"WHERE c.owner_org_id = {OWNER1}"),
    "approvals.timeline_page": ("GET", "/projects/{public_id}/timeline",
                                f"SELECT public_id FROM project WHERE owner_org_id = {OWNER1}"),
    "billing.engagement": ("GET", "/billing/engagements/{id}",
                           f"SELECT id FROM billing_engagement WHERE owner_org_id = {OWNER1}"),
    "billing.record_payment": ("POST", "/billing/engagements/{id}/payments",
                               f"SELECT id FROM billing_engagement WHERE owner_org_id = {OWNER1}"),
    # whichever owner's payment the setup recorded: ``org`` names the organisation holding it
    "billing.receipt": ("GET", "/billing/payments/{id}/receipt",
                        "SELECT p.id, e.owner_org_id AS org FROM billing_payment p JOIN "
                        "billing_engagement e ON e.id = p.engagement_id ORDER BY p.id"),
    "credit.my_complaints": ("GET", "/my/complaints", "SELECT 1 AS x"),  # list, see below
    "accounts.remove_member": ("POST", "/org/members/{id}/remove",
                               f"SELECT id FROM membership WHERE organisation_id = {OWNER1} "
                               "AND role = 'owner_delegate' ORDER BY id"),
    "accounts.revoke_invitation": ("POST", "/org/invitations/{id}/revoke",
                                   f"SELECT id FROM invitation WHERE organisation_id = {OWNER1}"
                                   " AND state = 'pending' ORDER BY id"),
}
for _name in ("accept", "cancel", "upload_contract", "confirm_contract", "extension",
              "answer_materials", "release", "return_deliverable"):
    _path = {"upload_contract": "contract", "confirm_contract": "contract/confirm",
             "answer_materials": "materials/answer", "return_deliverable": "return"}.get(
        _name, _name)
    OWNER_OBJECTS[f"engagements.{_name}"] = ("POST", "/engagements/{public_id}/" + _path,
                                             _EG_OWNER1)
del OWNER_OBJECTS["credit.my_complaints"]
# proposal selection: whichever owner's demo request it is (``org`` names it)
_PROPOSALS = ("SELECT public_id, owner_org_id AS org FROM selection_request "
              "WHERE method = 'proposals' ORDER BY id")
OWNER_OBJECTS.update({
    "proposals.scores": ("GET", "/owner/requests/{public_id}/scores", _PROPOSALS),
    "proposals.publish": ("POST", "/owner/requests/{public_id}/scores/publish", _PROPOSALS),
    "proposals.remove_scorer": ("POST", "/owner/requests/{public_id}/scores/{id}/remove",
                                "SELECT r.public_id, s.id, r.owner_org_id AS org FROM "
                                "proposal_scorer s JOIN selection_request r ON r.id = s.request_id "
                                "ORDER BY s.id"),
    "proposals.file": ("GET", "/proposals/{id}/file",
                       "SELECT p.id, r.owner_org_id AS org FROM proposal p JOIN selection_request"
                       " r ON r.id = p.request_id WHERE p.opened_upload_id IS NOT NULL ORDER BY p.id"),
})

_EG_AGENCY1 = f"SELECT public_id FROM engagement WHERE agency_org_id = {AGENCY1} ORDER BY id"
AGENCY_OBJECTS: dict[str, tuple[str, str, str]] = {
    "engagements.detail": ("GET", "/engagements/{public_id}", _EG_AGENCY1),
    "engagements.ask_materials": ("POST", "/engagements/{public_id}/materials", _EG_AGENCY1),
    "engagements.submit_deliverable": ("POST", "/engagements/{public_id}/deliverables",
                                       _EG_AGENCY1),
    "agencies.change_qualification": ("GET", "/agency/qualifications/{id}",
                                      f"SELECT id FROM qualification WHERE organisation_id = {AGENCY1}"),
    "agencies.change_practitioner": ("GET", "/agency/practitioners/{id}",
                                     f"SELECT id FROM practitioner WHERE organisation_id = {AGENCY1}"),
    "agencies.upload": ("GET", "/uploads/{id}",
                        f"SELECT id FROM upload WHERE organisation_id = {AGENCY1}"),
    "agency_selection.receipt": ("GET", "/agency/signups/{id}/receipt.json",
                                 f"SELECT id FROM signup WHERE agency_org_id = {AGENCY1}"),
    "awards.bid_receipt": ("GET", "/agency/bids/{id}/receipt.json",
                           f"SELECT id FROM bid WHERE agency_org_id = {AGENCY1}"),
    "proposals.file": ("GET", "/proposals/{id}/file",
                       "SELECT p.id, b.agency_org_id AS org FROM proposal p JOIN bid b ON "
                       "b.id = p.bid_id WHERE p.opened_upload_id IS NOT NULL ORDER BY p.id"),
    "awards.confirm": ("POST", "/agency/awards/{id}/confirm",
                       f"SELECT id FROM award WHERE agency_org_id = {AGENCY1}"),
    "awards.decline": ("POST", "/agency/awards/{id}/decline",
                       f"SELECT id FROM award WHERE agency_org_id = {AGENCY1}"),
    "awards.explain": ("POST", "/agency/awards/{id}/explain",
                       f"SELECT id FROM award WHERE agency_org_id = {AGENCY1}"),
    "awards.objection_attachment": ("GET", "/objections/{id}/attachment",
                                    "SELECT id, agency_org_id AS org FROM objection "
                                    "WHERE upload_id IS NOT NULL ORDER BY id"),
    "evaluation.reply": ("POST", "/agency/ratings/{id}/reply",
                         f"SELECT id FROM rating WHERE agency_org_id = {AGENCY1}"),
    # whichever agency the setup's poor rating is of: ``org`` names it
    "evaluation.answer_correction": ("GET", "/agency/corrections/{public_id}",
                                     "SELECT public_id, agency_org_id AS org "
                                     "FROM rating_correction ORDER BY id"),
    "billing.engagement": ("GET", "/billing/engagements/{id}",
                           f"SELECT id FROM billing_engagement WHERE agency_org_id = {AGENCY1}"),
    "billing.confirm_payout": ("POST", "/billing/engagements/{id}/payout",
                               f"SELECT id FROM billing_engagement WHERE agency_org_id = {AGENCY1}"),
}

# A delegate (采购受托人) of owner1's organisation asks for what hangs from a project of its own
# organisation that is not assigned to it (the demo keeps one project of each owner with its
# administrator): 404 and nothing stored, while the administrator is served.  ``{unassigned}``
# is that condition on a ``project_id`` column.
DELEGATE = "delegate1@yunchuan.demo"
_UNASSIGNED = (f"project_id IN (SELECT id FROM project WHERE owner_org_id = {OWNER1}) AND "
               "project_id NOT IN (SELECT a.project_id FROM project_assignment a JOIN membership "
               "m ON m.id = a.membership_id JOIN user_account u ON u.id = m.user_id "
               f"WHERE u.email = '{DELEGATE}')")
_PJ_UNASSIGNED = ("SELECT public_id FROM project WHERE " + _UNASSIGNED.replace(
    "project_id IN", "id IN").replace("project_id NOT IN", "id NOT IN") + " ORDER BY id")
_EG_UNASSIGNED = f"SELECT public_id FROM engagement WHERE {_UNASSIGNED} ORDER BY id"
_RQ_UNASSIGNED = f"SELECT public_id FROM selection_request WHERE {_UNASSIGNED} ORDER BY id"
DELEGATE_OBJECTS: dict[str, tuple[str, str, str]] = {
    "owner.project": ("GET", "/owner/projects/{public_id}", _PJ_UNASSIGNED),
    "owner.request_detail": ("GET", "/owner/requests/{public_id}", _RQ_UNASSIGNED),
    "owner.publish": ("POST", "/owner/requests/{public_id}/publish", _RQ_UNASSIGNED),
    "owner.withdraw": ("POST", "/owner/requests/{public_id}/withdraw", _RQ_UNASSIGNED),
    "owner.choose": ("POST", "/owner/requests/{public_id}/choose", _RQ_UNASSIGNED),
    "owner.reannounce": ("POST", "/owner/requests/{public_id}/reannounce", _RQ_UNASSIGNED),
    "avoid_reviews.submit": ("POST", "/owner/requests/{public_id}/avoid-review",
                             _RQ_UNASSIGNED),
    "engagements.detail": ("GET", "/engagements/{public_id}", _EG_UNASSIGNED),
    "engagements.file": ("GET", "/engagements/{public_id}/files/{upload_id}",
                         "SELECT e.public_id, d.upload_id FROM deliverable d JOIN engagement e "
                         "ON e.id = d.engagement_id WHERE e." + _UNASSIGNED.replace(
                             "project_id NOT", "e.project_id NOT")),
    "evaluation.rate": ("GET", "/owner/engagements/{public_id}/rating", _EG_UNASSIGNED),
    "approvals.detail": ("GET", "/approvals/{public_id}",
                         f"SELECT public_id FROM approval_case WHERE {_UNASSIGNED} ORDER BY id"),
    "approvals.timeline_page": ("GET", "/projects/{public_id}/timeline", _PJ_UNASSIGNED),
    "billing.engagement": ("GET", "/billing/engagements/{id}",
                           "SELECT b.id FROM billing_engagement b JOIN engagement e ON "
                           "e.id = b.id WHERE e." + _UNASSIGNED.replace(
                               "project_id NOT", "e.project_id NOT") + " ORDER BY b.id"),
}
DELEGATE_OBJECTS["billing.record_payment"] = (
    "POST", "/billing/engagements/{id}/payments", DELEGATE_OBJECTS["billing.engagement"][2])
for _name in ("accept", "cancel", "upload_contract", "confirm_contract", "extension",
              "answer_materials", "return_deliverable"):
    _path = {"upload_contract": "contract", "confirm_contract": "contract/confirm",
             "answer_materials": "materials/answer", "return_deliverable": "return"}.get(
        _name, _name)
    DELEGATE_OBJECTS[f"engagements.{_name}"] = ("POST", "/engagements/{public_id}/" + _path,
                                                _EG_UNASSIGNED)

# A department's staff (dept2, 发展和改革委员会) and another department's (dept1, 生态环境局).
DEPT_OWN, DEPT_OTHER = "dept2@yunchuan.demo", "dept1@yunchuan.demo"
_BJ_DEPT = ("SELECT c.public_id FROM approval_case c JOIN approval_matter m ON m.id = c.matter_id "
            "WHERE m.code = 'PA-FSR' ORDER BY c.id")
DEPARTMENT_OBJECTS: dict[str, tuple[str, str, str]] = {
    "approvals.detail": ("GET", "/approvals/{public_id}", _BJ_DEPT),
    "approvals.notice": ("GET", "/approvals/suspensions/{id}/notice",
                         "SELECT s.id FROM suspension s JOIN approval_case c ON c.id = s.case_id "
                         "JOIN approval_matter m ON m.id = c.matter_id WHERE m.code = 'PA-FSR'"),
}
for _kind in ("return", "resubmit", "accept", "special", "resume", "extend", "decide",
              "withdraw"):
    DEPARTMENT_OBJECTS[f"approvals.record_event:{_kind}"] = (
        "POST", "/approvals/{public_id}/events/" + _kind, _BJ_DEPT)

# An operator's local days (地方性节假日): 云岭市's (operator2's, in the demo), deleted by
# 云川市's operator.
OPERATOR_OWN, OPERATOR_OTHER = "operator2@yunchuan.demo", "operator@yunchuan.demo"
OPERATOR_OBJECTS: dict[str, tuple[str, str, str]] = {
    "calendar.delete_local_day": ("POST", "/operator/calendar/local/{id}/delete",
                                  "SELECT d.id FROM calendar_local_day d JOIN division v ON "
                                  "v.id = d.division_id WHERE v.code = '539800' ORDER BY d.id"),
}

# The demo city has none of these objects: a recipe of tests/support/form_recipes.py makes
# one through the forms first (a draft of owner1's; owner1's draft published; a payment with
# its receipt; an objection with an attachment).
SETUP: dict[tuple[str, str], str] = {
    ("owner", "owner.edit_request"): "owner.new_request",
    ("owner", "owner.amend"): "owner.publish",
    ("owner", "billing.receipt"): "billing.record_payment",
    ("agency", "awards.objection_attachment"): "awards.objection",
    # the demo's cases have no special procedure: a staff member opens one on owner1's case
    ("owner", "approvals.notice"): "approvals.record_event",
    ("department", "approvals.notice"): "approvals.record_event",
    ("agency", "evaluation.answer_correction"): "evaluation.answer_correction",
    ("owner", "evaluation.rate_return"): "evaluation.rate_return",
}

CASES = ([("owner", e, *v) for e, v in OWNER_OBJECTS.items()]
         + [("delegate", e, *v) for e, v in DELEGATE_OBJECTS.items()]
         + [("agency", e, *v) for e, v in AGENCY_OBJECTS.items()]
         + [("department", e, *v) for e, v in DEPARTMENT_OBJECTS.items()]
         + [("operator", e, *v) for e, v in OPERATOR_OBJECTS.items()])

IDOR, CSRF, FIXATION = "authorization.idor", "authorization.csrf", "authorization.session"
TALLY: Counter[str] = Counter()


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoCity]:
    yield demo_city(Path(tmp_path_factory.mktemp("authz")))


@pytest.fixture(scope="module")
def counts(city: DemoCity) -> Callable[[], dict[str, str]]:
    """The fingerprint of every table of the city's database, read again after a commit or a
    reset (:func:`city_fingerprint`).  Its tables and keys are read from the schema once:
    every reset puts back the same schema, and no test adds a table."""
    return city_fingerprint(city)


def test_the_fingerprint_is_read_again_after_a_commit_or_a_reset(
    city: DemoCity, counts: Callable[[], dict[str, str]]
) -> None:
    """What lets a refused request's check reuse the content read before it: unchanged
    without a commit, read again after one (and found changed), and after a reset."""
    city.reset()
    first = counts()
    assert counts() is first
    _client(city, "owner1@yunchuan.demo")  # a login commits its session
    second = counts()
    assert second is not first and second["user_session"] != first["user_session"]
    city.reset()
    third = counts()
    assert third is not second and third == first


def _client(city: DemoCity, email: str):  # type: ignore[no-untyped-def]
    from devdata import demo

    client = city.app.test_client()
    assert login(client, email, demo.DEMO_PASSWORD).status_code == 302, email
    return client


def _admins(side: str, org_id: int) -> tuple[str, str]:
    """The demo administrator of organisation ``org_id`` and of another organisation of the
    same kind (inside an app context)."""
    role = "owner_admin" if side == "owner" else "agency_admin"
    rows = db.session.execute(sa.text(
        "SELECT m.organisation_id, u.email FROM membership m JOIN user_account u ON "
        "u.id = m.user_id WHERE m.role = :r AND u.email LIKE '%@yunchuan.demo' ORDER BY u.id"),
        {"r": role}).all()
    own = next(e for o, e in rows if o == org_id)
    other = next(e for o, e in rows if o != org_id)
    return str(own), str(other)


@pytest.mark.parametrize(("side", "endpoint", "method", "template", "sql"), CASES,
                         ids=[f"{s}:{e}" for s, e, *_ in CASES])
def test_another_organisations_object_is_not_found(
    city: DemoCity, counts: Callable[[], dict[str, str]], side: str, endpoint: str, method: str,
    template: str, sql: str
) -> None:
    city.reset()
    if (side, endpoint) in SETUP:
        made = SETUP[side, endpoint]
        form_recipes.RECIPES[made](form_recipes.Ctx(city, made))
    endpoint = endpoint.split(":")[0]
    with city.app.app_context():
        found = db.session.execute(sa.text(sql + " LIMIT 1")).mappings().first()
        row = None if found is None else {k: v for k, v in found.items() if k != "org"}
        own_email, other_email = {"owner": ("owner1@yunchuan.demo", OWNER2),
                                   # the administrator reaches the project, its delegate not
                                   "delegate": ("owner1@yunchuan.demo", DELEGATE),
                                   "agency": ("agency1@yunchuan.demo", AGENCY2),
                                   "department": (DEPT_OWN, DEPT_OTHER),
                                   "operator": (OPERATOR_OWN, OPERATOR_OTHER)}[side]
        if found is not None and "org" in found:
            own_email, other_email = _admins(side, found["org"])
        db.session.remove()
    record(IDOR, "cases (route × side with an object id in the URL)", len(CASES))
    record(IDOR, "distinct routes", len({e for _, e, *_ in CASES}))
    if row is None:
        TALLY["idor no object"] += 1
        record(IDOR, "cases skipped: no such object in the demo city", TALLY["idor no object"])
        pytest.fail(f"the demo city has no such object for {endpoint}: add a SETUP recipe")
    path = template.format(**row)
    own, other = _client(city, own_email), _client(city, other_email)
    if method == "GET":
        mine = own.get(path)
        mine.close()  # a file download streams from disk
        assert mine.status_code in (200, 302), (endpoint, path, mine.status_code)
    before = counts()
    if method == "GET":
        response = other.get(path)
        response.close()
    else:
        response = other.post(path, data={"csrf_token": csrf_token(other)})
    TALLY[f"status {method} {response.status_code}"] += 1
    record(IDOR, "answers to the other organisation, by method and status",
           {k.removeprefix("status "): v for k, v in sorted(TALLY.items())
            if k.startswith("status ")})
    assert response.status_code in (403, 404), (endpoint, path, response.status_code)
    body = response.get_data(as_text=True).replace(path, "")  # the language form's "next"
    leaked = [v for v in row.values() if isinstance(v, str) and v in body]
    TALLY["idor leaked"] += bool(leaked)
    record(IDOR, "answers showing the object's id", TALLY["idor leaked"])
    assert not leaked, (endpoint, leaked)
    stored = counts() != before
    TALLY["idor stored"] += stored
    record(IDOR, "requests that changed a table", TALLY["idor stored"])
    assert not stored, endpoint
    TALLY["idor held"] += 1
    record(IDOR, "cases held (own organisation served, other refused, nothing shown or stored)",
           TALLY["idor held"])


def test_every_object_route_was_checked(city: DemoCity) -> None:
    """The IDOR cases above find their object in the demo city, or make it first (SETUP)."""
    city.reset()
    missing = []
    for side, endpoint, _m, _t, sql in CASES:
        if (side, endpoint) in SETUP:
            continue
        with city.app.app_context():
            if db.session.execute(sa.text(sql + " LIMIT 1")).first() is None:
                missing.append(endpoint)
            db.session.remove()
    record(IDOR, "routes the demo city has no object for", ", ".join(missing) or "none")
    assert missing == []


def test_a_contract_notice_is_public_only_once_confirmed(city: DemoCity) -> None:
    """The contract notice (合同公告) takes an engagement id: a confirmed contract's is public
    to anyone; an engagement whose contract is not confirmed has none, for anyone — its own
    parties, another organisation, or nobody logged in — and the answer shows nothing of it."""
    city.reset()
    with city.app.app_context():
        confirmed = db.session.execute(sa.text(
            "SELECT public_id FROM engagement WHERE contract_confirmed_at IS NOT NULL "
            "ORDER BY id LIMIT 1")).scalar()
        waiting = db.session.execute(sa.text(
            "SELECT e.public_id, a.name, e.owner_org_id FROM engagement e JOIN organisation a "
            "ON a.id = e.agency_org_id WHERE e.contract_confirmed_at IS NULL ORDER BY e.id "
            "LIMIT 1")).first()
        assert waiting is not None
        own, other = _admins("owner", waiting[2])
        db.session.remove()
    assert confirmed is not None
    anonymous = city.app.test_client()
    assert anonymous.get(f"/contracts/{confirmed}").status_code == 200
    for client in (anonymous, _client(city, own), _client(city, other), _client(city, AGENCY2)):
        response = client.get(f"/contracts/{waiting[0]}")
        assert response.status_code == 404, waiting[0]
        assert waiting[1] not in response.get_data(as_text=True)
    record(IDOR, "contract notices of unconfirmed contracts, asked by four clients", "404")


POSTS = [(e, r) for e, r in post_routes(make_app.__globals__["create_app"](
    {"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"}))
    # CSRF-exempt: Stripe signs its webhook (tests/billing).  Machine clients' routes, which
    # take a bearer token no browser adds by itself, are not form routes (post_routes).
    if e != "billing.stripe_webhook"]


@pytest.mark.parametrize(("endpoint", "rule"), POSTS, ids=[e for e, _ in POSTS])
def test_post_without_or_with_a_wrong_csrf_token_is_refused(
    city: DemoCity, counts: Callable[[], dict[str, str]], endpoint: str, rule: str
) -> None:
    role = role_for(endpoint)
    client = login_as(city, role)
    path = concrete_path(city.app, endpoint, rule)
    before = counts()
    other_session_token = csrf_token(city.app.test_client(), "/login")
    record(CSRF, "POST routes (the signed Stripe webhook excepted)", len(POSTS))
    kinds = {None: "missing", "": "empty", "not-a-token": "invalid",
             other_session_token: "another session's"}
    for token in (None, "", "not-a-token", other_session_token):
        data = {} if token is None else {"csrf_token": token}
        response = client.post(path, data=data)
        TALLY[f"csrf {kinds[token]} {response.status_code}"] += 1
        record(CSRF, "posts by token and answer",
               {k.removeprefix("csrf "): v for k, v in sorted(TALLY.items())
                if k.startswith("csrf ")})
        assert response.status_code == 400, (endpoint, token, response.status_code)
    stored = counts() != before
    TALLY["routes stored"] += stored
    record(CSRF, "routes where a refused post changed a table", TALLY["routes stored"])
    assert not stored, endpoint
    TALLY["routes refused"] += 1
    record(CSRF, "routes refusing all four tokens with a 400, storing nothing",
           TALLY["routes refused"])


def test_login_does_not_keep_the_session_from_before(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    person = create_person(app, "owner_admin")
    client = app.test_client()
    token_before = csrf_token(client)
    with client.session_transaction() as session:
        session["planted"] = "by-the-attacker"
        session["_user_id"] = "999:0"  # a forged user id: ignored, and gone after login
    cookie_before = client.get_cookie("session").value
    response = client.post("/login", data={"email": person.email, "password": PASSWORD,
                                           "csrf_token": token_before})
    assert response.status_code == 302
    cookie_after = client.get_cookie("session").value
    record(FIXATION, "session cookie new after login", cookie_after != cookie_before)
    assert cookie_after != cookie_before
    with client.session_transaction() as session:
        record(FIXATION, "planted value gone after login", "planted" not in session)
        session_token = session["_user_id"]
        record(FIXATION, "CSRF secret new after login", "csrf_token" not in session)
        assert "planted" not in session
    # The cookie names a new server-side session of this person, not a user id.
    with app.app_context():
        from market.accounts.models import UserSession
        from market.accounts.sessions import token_digest

        owner = db.session.scalar(sa.select(UserSession.user_id).where(
            UserSession.token_hash == token_digest(session_token)))
    record(FIXATION, "forged user id replaced by a new server-side session of the person",
           owner == person.user_id)
    assert owner == person.user_id and session_token != str(person.user_id)
    with client.session_transaction() as session:
        assert "csrf_token" not in session  # the CSRF secret is new after login
    # The token from before login is no longer accepted.
    old_token = client.post("/care-mode", data={"csrf_token": token_before}).status_code
    record(FIXATION, "pre-login CSRF token after login: answer", old_token)
    assert old_token == 400
    # Replaying the pre-login cookie gives an anonymous session, not the login.
    replay = app.test_client()
    replay.set_cookie("session", cookie_before)
    replayed = replay.get("/dashboard")
    record(FIXATION, "pre-login cookie replayed on /dashboard: answer",
           f"{replayed.status_code} to {replayed.headers.get('Location', '')}")
    assert replayed.status_code == 302


# Machine clients' routes with an object id (shared/spec/integration.md): a client of another
# department asks for the first client's project, engagement deliverables and webhook endpoint.
# (Deliverables with bytes: tests/integration/test_pull.py, where an engagement has delivered.)
CLIENT_OBJECTS = {
    "integration_api.project": ("GET", "/api/v1/projects/{project}"),
    "integration_api.deliverables": ("GET", "/api/v1/engagements/{engagement}/deliverables"),
    "integration_api.deliverable_file": ("GET",
                                         "/api/v1/engagements/{engagement}/deliverables/1"),
    "integration_api.delete_webhook": ("DELETE", "/api/v1/webhooks/{webhook}"),
}


def test_another_departments_client_does_not_reach_a_clients_objects(tmp_path: Path) -> None:
    from tests.integration.helpers import (
        bearer,
        counts,
        department,
        make_client,
        matter,
        owner_org,
        project,
        token,
    )

    app = make_app(tmp_path)
    department(app)
    department(app, "云川市水务局", "YC-SWJ")
    matter(app, department(app), "EIA-APPROVAL")
    code = "2026-530100-48-01-000009"
    project(app, owner_org(app), code)
    scopes = "cases:write projects:read deliverables:read webhooks:manage"
    mine, theirs = (make_client(app, scopes, department_code=d) for d in ("YC-STHJJ", "YC-SWJ"))
    http = app.test_client()
    t_mine, t_theirs = token(http, mine), token(http, theirs)
    r = http.post("/api/v1/case-events", headers=bearer(t_mine), json={
        "event_id": "e1", "case_no": "C-1", "project_code": code,
        "matter_code": "EIA-APPROVAL", "type": "applied", "at": "2026-01-05T09:00:00+08:00"})
    assert r.status_code == 201, r.get_data(as_text=True)
    hook = http.post("/api/v1/webhooks", headers=bearer(t_mine), json={
        "url": "http://127.0.0.1:9/hook", "events": ["engagement.started"]}).get_json()["id"]
    ids = {"project": code, "engagement": "EG-000001", "webhook": hook}
    assert http.get(f"/api/v1/projects/{code}", headers=bearer(t_mine)).status_code == 200
    for endpoint, (method, template) in CLIENT_OBJECTS.items():
        path = template.format(**ids)
        before = counts(app)
        response = http.open(path, method=method, headers=bearer(t_theirs))
        response.close()
        assert response.status_code == 404, (endpoint, response.status_code)
        body = response.get_data(as_text=True)
        for asked in (v for v in ids.values() if v in path):  # an echo of the URL is no leak
            body = body.replace(asked, "")
        assert code not in body and hook not in body and "测试项目" not in body, endpoint
        assert counts(app) == before, endpoint


# Operator routes with an object id act on any organisation's object (one platform, one
# operator organisation); the refusal to prove is every other role's.  With tenants this
# becomes "another tenant's operator" (a case like those above).
OPERATOR_OBJECTS = {
    "operator.set_account_active": ("/operator/accounts/{id}/active",
                                    "SELECT id FROM user_account WHERE email = "
                                    "'owner1@yunchuan.demo'"),
    "operator.reset_second_factor": ("/operator/accounts/{id}/second-factor",
                                     "SELECT id FROM user_account WHERE email = "
                                     "'owner1@yunchuan.demo'"),
}


@pytest.mark.parametrize("endpoint", sorted(OPERATOR_OBJECTS))
def test_only_the_operator_acts_on_an_account(city: DemoCity, counts: Callable[[], dict[str, str]],
                                              endpoint: str) -> None:
    from tests.proof.fuzz_support import DEMO_LOGIN

    city.reset()
    template, sql = OPERATOR_OBJECTS[endpoint]
    with city.app.app_context():
        row = dict(db.session.execute(sa.text(sql)).mappings().one())
        db.session.remove()
    path = template.format(**row)
    others = {role: _client(city, email) for role, email in DEMO_LOGIN.items()
              if role != "operator"}
    before = counts()
    for role, other in others.items():
        response = other.post(path, data={"active": "0", "csrf_token": csrf_token(other)})
        assert response.status_code == 403, (role, response.status_code)
    assert counts() == before
    with city.app.app_context():
        assert db.session.execute(sa.text(
            "SELECT active FROM user_account WHERE id = :id"), row).scalar() in (True, 1)
        db.session.remove()
    record(IDOR, "operator routes refused to every other role", len(OPERATOR_OBJECTS))


# --- scopes (监管范围, market.accounts.scope) -------------------------------------------------
# Every regulator and operator write route with an object of the demo city (its first tenant),
# asked for by a regulator or operator whose scope does not cover it: another tenant's (a
# second city), another industry's (an industry regulator of the demo city to which the
# catalogue maps no service type) and the province's.  404 for what they may not even see;
# 403 where the province reads but the act is the city's; ``ok`` where the rules let them
# (a sanction is the register's: any tenant's regulator, and the province, may issue one).
# Nothing is stored on a refusal.
_PENDING_CHANGE = "SELECT id FROM qualification WHERE status = 'pending' ORDER BY id"
SCOPED: dict[str, tuple[str, str, str, dict[str, int | str]]] = {
    "review.application": ("POST", "/review/admissions/{id}",
                           "SELECT id FROM admission_application WHERE status = 'pending'",
                           {"tenant": 404, "industry": 404, "province": 403}),
    "review.change": ("POST", "/review/changes/qualification/{id}", _PENDING_CHANGE,
                      {"tenant": 404, "industry": 404, "province": 403}),
    "regulator.complaint": ("POST", "/regulator/complaints/{public_id}",
                            "SELECT public_id FROM complaint WHERE state = 'received'",
                            {"tenant": 404, "industry": 404, "province": 403}),
    "awards.decide": ("POST", "/regulator/objections/{id}", "SELECT id FROM objection",
                      {"tenant": 404, "industry": 404, "province": 403}),
    "avoid_reviews.decide": ("POST", "/regulator/avoid-reviews/{id}",
                             "SELECT id FROM avoid_review WHERE state = 'pending'",
                             {"tenant": 404, "industry": 404, "province": 403}),
    "regulator.repair_sanction": ("POST", "/regulator/sanctions/{id}/repair",
                                  "SELECT id FROM sanction ORDER BY id",
                                  {"tenant": 404, "industry": 404, "province": "ok"}),
    "regulator.new_sanction": ("GET", "/regulator/sanctions/new?agency={public_id}",
                               "SELECT public_id FROM organisation WHERE kind = 'agency' AND "
                               "status = 'admitted' ORDER BY id",
                               {"tenant": "ok", "industry": 404, "province": "ok"}),
    "operator.activate_owner": ("POST", "/operator/owners/{public_id}/activate",
                                "SELECT public_id FROM organisation WHERE kind = 'owner' AND "
                                "status = 'pending'", {"operator": 404}),
    "operator.refuse_owner": ("POST", "/operator/owners/{public_id}/refuse",
                              "SELECT public_id FROM organisation WHERE kind = 'owner' AND "
                              "status = 'pending'", {"operator": 404}),
    "operator.set_account_active": ("POST", "/operator/accounts/{id}/active",
                                    "SELECT id FROM user_account WHERE email = "
                                    "'owner1@yunchuan.demo'", {"operator": 404}),
    # owner1 has a second factor (SCOPE_SETUP): another tenant's operator cannot reset it
    "operator.reset_second_factor": ("POST", "/operator/accounts/{id}/second-factor",
                                     "SELECT user_id AS id FROM second_factor",
                                     {"operator": 404}),
    "operator.revoke_invitation": ("POST", "/operator/invitations/{id}/revoke",
                                   "SELECT i.id FROM invitation i JOIN organisation o ON "
                                   "o.id = i.organisation_id WHERE i.state = 'pending' AND "
                                   "o.kind IN ('regulator', 'department')", {"operator": 404}),
    "evaluation.hide": ("POST", "/operator/ratings/{id}/hide",
                        "SELECT id FROM rating WHERE hidden_at IS NULL ORDER BY id",
                        {"operator": 404}),
    "selection.external": ("POST", "/lotteries/{lottery_id}/external",
                           "SELECT lottery_id FROM lottery ORDER BY id",
                           {"tenant": 403, "industry": 403, "province": 403, "operator": 403}),
    "approvals.detail": ("GET", "/approvals/{public_id}", "SELECT public_id FROM approval_case",
                         {"tenant": 404, "industry": 404, "province": "ok"}),
    "approvals.timeline_page": ("GET", "/projects/{public_id}/timeline",
                                "SELECT p.public_id FROM project p JOIN approval_case c ON "
                                "c.project_id = p.id",
                                {"tenant": 404, "industry": 404, "province": "ok"}),
    # pages a regulator reads: only within its scope (the province reads everywhere)
    "engagements.detail": ("GET", "/engagements/{public_id}", "SELECT public_id FROM engagement",
                           {"tenant": 404, "industry": 404, "province": "ok"}),
    "engagements.file": ("GET", "/engagements/{public_id}/files/{upload_id}",
                         "SELECT e.public_id, d.upload_id FROM deliverable d JOIN engagement e "
                         "ON e.id = d.engagement_id ORDER BY d.id",
                         {"tenant": 404, "industry": 404, "province": "ok"}),
    "proposals.file": ("GET", "/proposals/{id}/file",
                       "SELECT id FROM proposal WHERE opened_upload_id IS NOT NULL ORDER BY id",
                       {"tenant": 404, "industry": 404, "province": "ok"}),
    # an owner's file is its tenant's; an agency's is on the province's register
    "agencies.upload": ("GET", "/uploads/{id}",
                        "SELECT u.id FROM upload u JOIN organisation o ON o.id = u.organisation_id"
                        " WHERE o.kind = 'owner' ORDER BY u.id",
                        {"tenant": 404, "industry": 404, "province": "ok", "operator": 404}),
    "agencies.upload:agency": ("GET", "/uploads/{id}",
                               "SELECT u.id FROM upload u JOIN organisation o ON "
                               "o.id = u.organisation_id WHERE o.kind = 'agency' ORDER BY u.id",
                               {"tenant": "ok", "industry": 404, "province": "ok",
                                "operator": "ok"}),
    "supervision.order": ("POST", "/regulator/supervision/orders/{public_id}",
                          "SELECT public_id FROM supervision_order WHERE answered_at IS NULL "
                          "ORDER BY id", {"tenant": 404, "industry": 404, "province": 403}),
    # the shared catalogue and draw schedule are the province's: another city's operator reads
    # them (the object exists for it) and may not change them
    "catalogue.edit_service_type": ("POST", "/operator/service-types/{code}",
                                    "SELECT code FROM service_type ORDER BY id",
                                    {"operator": 403}),
    "catalogue.edit_approval_matter": ("POST", "/operator/approval-matters/{code}",
                                       "SELECT code FROM approval_matter ORDER BY id",
                                       {"operator": 403}),
    "catalogue.edit_department": ("POST", "/operator/departments/{code}",
                                  "SELECT code FROM department ORDER BY id", {"operator": 403}),
    "draw_schedule.edit_year": ("POST", "/operator/draw-schedule/{year}",
                                "SELECT year FROM draw_schedule_year ORDER BY year",
                                {"operator": 403}),
}


def _escalate(city: DemoCity) -> None:
    # no form raises a 督办: the periodic run does, on the demo city's late matters
    with city.app.app_context():
        escalate()
        db.session.remove()


def _owner_upload(city: DemoCity) -> None:
    # the demo's owners upload nothing yet: one owner's file (a complaint's attachment, say)
    import io

    from market import storage

    with city.app.app_context():
        owner = db.session.execute(sa.text(f"SELECT {OWNER1}")).scalar()
        storage.store(io.BytesIO(b"%PDF-1.4\n% owner's evidence\n%%EOF\n"), "evidence.pdf",
                      organisation_id=owner)
        db.session.commit()
        db.session.remove()


def _owner1_second_factor(city: DemoCity) -> None:
    from market import crypto, timeutil
    from market.accounts.models import SecondFactor, User
    from market.domain import totp

    with city.app.app_context():
        user = db.session.scalars(sa.select(User).where(
            User.email == "owner1@yunchuan.demo")).one()
        db.session.add(SecondFactor(
            user_id=user.id, last_step=0, enrolled_at=timeutil.now(),
            secret_sealed=crypto.seal("second-factor-secret", user.account_id,
                                      totp.new_secret().encode())))
        db.session.commit()
        db.session.remove()


SCOPE_SETUP: dict[str, str | Callable[[DemoCity], None]] = {
    "agencies.upload": _owner_upload,
    "operator.reset_second_factor": _owner1_second_factor,
    "avoid_reviews.decide": "avoid_reviews.submit",
    "operator.revoke_invitation": "operator.regulators", "supervision.order": _escalate}
SCOPE_CASES = [(e, who) for e, (*_x, expected) in SCOPED.items() for who in expected]


def _outsiders(city: DemoCity) -> dict[str, str]:
    """Another city with its centre's regulator and its operator, an industry regulator of
    the demo city regulating nothing in the catalogue, and the province's regulator; their
    e-mail addresses."""
    from market.accounts import operations as ops
    from market.accounts import tenants
    from market.accounts.models import OrgKind, RegulatorKind, Role

    with city.app.app_context():
        other = tenants.add("539700", "云峰市", tenant=True)
        root = tenants.province()
        assert root is not None
        made = {
            "tenant": (OrgKind.REGULATOR, "云峰市政务服务管理办公室", other.id,
                       RegulatorKind.CENTRE, Role.REGULATOR),
            "industry": (OrgKind.REGULATOR, "云川市气象局", tenants.home_tenant().id,
                         RegulatorKind.INDUSTRY, Role.REGULATOR),
            "province": (OrgKind.REGULATOR, "省级监管测试单位", root.id,
                         RegulatorKind.PROVINCE, Role.REGULATOR),
            "operator": (OrgKind.OPERATOR, "云峰市政务服务中心", other.id, None, Role.OPERATOR),
        }
        emails = {}
        for who, (kind, name, tenant, rk, role) in made.items():
            org = ops.create_organisation(kind, name, tenant_id=tenant, regulator_kind=rk)
            emails[who] = f"{who}@scope.example.cn"
            ops.add_member(org, name=f"{who}人员", email=emails[who], role=role,
                           password=PASSWORD)
        db.session.commit()
        db.session.remove()
    return emails


@dataclasses.dataclass
class ScopedCity:
    """The demo city with the outsiders of :func:`_outsiders` added, kept as a snapshot of
    its own: a test that needs nothing else resets to it instead of adding them again."""

    city: DemoCity
    emails: dict[str, str]

    def reset(self) -> dict[str, str]:
        self.city.reset()
        return self.emails


@pytest.fixture(scope="module")
def scoped_city(city: DemoCity) -> ScopedCity:
    city.reset()
    emails = _outsiders(city)
    with city.app.app_context():
        db.session.remove()
        db.engine.dispose()
    snapshot = city.snapshot.with_name("scope-snapshot.db")
    shutil.copyfile(city.db_path, snapshot)
    return ScopedCity(dataclasses.replace(city, snapshot=snapshot), emails)


@pytest.mark.parametrize(("endpoint", "who"), SCOPE_CASES, ids=[f"{e}:{w}" for e, w in SCOPE_CASES])
def test_a_write_outside_the_scope_is_refused(
    city: DemoCity, scoped_city: ScopedCity, counts: Callable[[], dict[str, str]],
    endpoint: str, who: str
) -> None:
    # What a setup makes is made before the outsiders exist (an escalation's recipients are
    # the regulators there are when it runs); without one, the outsiders' snapshot serves.
    emails = None if endpoint in SCOPE_SETUP else scoped_city.reset()
    if endpoint in SCOPE_SETUP:
        city.reset()
        made = SCOPE_SETUP[endpoint]
        if callable(made):
            made(city)
        else:
            form_recipes.RECIPES[made](form_recipes.Ctx(city, made))
    method, template, sql, expected = SCOPED[endpoint]
    with city.app.app_context():
        found = db.session.execute(sa.text(sql + " LIMIT 1")).mappings().first()
        db.session.remove()
    assert found is not None, f"the demo city has no object for {endpoint}"
    emails = emails or _outsiders(city)
    client = city.app.test_client()
    assert login(client, emails[who]).status_code == 302
    path = template.format(**found)
    before = counts()
    response = (client.get(path) if method == "GET"
                else client.post(path, data={"csrf_token": csrf_token(client)}))
    response.close()  # a file answer holds its file open until closed
    want = expected[who]
    if want == "ok":
        assert response.status_code not in (403, 404), (endpoint, who, response.status_code)
    else:
        assert response.status_code == want, (endpoint, who, response.status_code)
        assert counts() == before, (endpoint, who)
    record(IDOR, "scope cases (route × regulator or operator outside the scope)",
           len(SCOPE_CASES))


def test_the_supervision_console_shows_only_the_scope(city: DemoCity) -> None:
    """The ladder and the 督办 waiting for an answer: another tenant's regulator and an
    industry regulator regulating nothing see none of the demo city's; the province and the
    demo city's own supervisor see them."""
    city.reset()
    _escalate(city)
    emails = _outsiders(city)
    with city.app.app_context():
        order = db.session.execute(sa.text(
            "SELECT public_id FROM supervision_order WHERE answered_at IS NULL "
            "ORDER BY answer_due, id")).scalar()
        subject = db.session.execute(sa.text(
            "SELECT subject_id FROM escalation_step ORDER BY raised_at, id")).scalar()
        db.session.remove()
    assert order and subject, "the demo city has no matter late enough for a yellow card"
    for who, email in [*emails.items(), ("centre", "")]:
        if who == "operator":
            continue
        client = (login_as(city, "regulator") if who == "centre" else city.app.test_client())
        if who != "centre":
            login(client, email)
        text = client.get("/regulator/supervision").get_data(as_text=True)
        shown = who in ("province", "centre")
        assert (order in text) == shown, (who, "order")
        assert (subject in text) == shown, (who, "ladder")
        page = client.get(f"/regulator/supervision/orders/{order}")
        assert page.status_code == (200 if shown else 404), who
        if who == "province":
            assert 'data-test="answer-form"' not in page.get_data(as_text=True)


def test_the_clock_lists_show_only_the_scope(city: DemoCity, scoped_city: ScopedCity) -> None:
    """The regulator's clock list (时限, and the dashboard's first rows): another tenant's
    regulator and an industry regulator regulating nothing see none of the demo city's open
    clocks; the province and the demo city's supervisor see them."""
    emails = scoped_city.reset()
    with city.app.app_context():
        engagement = db.session.execute(sa.text(
            "SELECT e.public_id FROM clock c JOIN engagement e ON e.id = c.engagement_id "
            "WHERE c.phase IN ('running', 'paused') ORDER BY c.due_date")).scalar()
        db.session.remove()
    assert engagement, "the demo city has no open engagement clock"
    for who in ("tenant", "industry", "province", "centre"):
        if who == "centre":
            client = login_as(city, "regulator")
        else:
            client = city.app.test_client()
            login(client, emails[who])
        text = client.get("/engagements/clocks?page=1").get_data(as_text=True)
        assert (engagement in text) == (who in ("province", "centre")), who
    # the industry regulator the catalogue maps the engagement's service type to sees it
    with city.app.app_context():
        db.session.execute(sa.text(
            "UPDATE service_type SET regulator_id = (SELECT m.organisation_id FROM membership m "
            "JOIN user_account u ON u.id = m.user_id WHERE u.email = :e) WHERE id = "
            "(SELECT service_type_id FROM engagement WHERE public_id = :p)"),
            {"e": emails["industry"], "p": engagement})
        db.session.commit()
        db.session.remove()
    client = city.app.test_client()
    login(client, emails["industry"])
    assert engagement in client.get("/engagements/clocks").get_data(as_text=True)


def test_the_lists_show_only_the_scope(city: DemoCity, scoped_city: ScopedCity) -> None:
    """The complaint, objection and admission lists of another tenant's regulator and of an
    industry regulator regulating nothing show none of the demo city's; the province's show
    them all."""
    emails = scoped_city.reset()
    with city.app.app_context():
        complaint = db.session.execute(sa.text("SELECT public_id FROM complaint")).scalar()
        agency = db.session.execute(sa.text(
            "SELECT o.name FROM admission_application a JOIN organisation o ON "
            "o.id = a.organisation_id WHERE a.status = 'pending'")).scalar()
        owner = db.session.execute(sa.text(
            "SELECT name FROM organisation WHERE kind = 'owner' AND status = 'pending'")).scalar()
        db.session.remove()
    with city.app.app_context():
        case = db.session.execute(sa.text(
            "SELECT public_id FROM approval_case ORDER BY id DESC")).scalar()
        db.session.remove()
    pages = {"/regulator/complaints": complaint, "/review/admissions": agency,
             "/approvals/": case}
    for who in ("tenant", "industry", "province"):
        client = city.app.test_client()
        login(client, emails[who])
        for page, shown in pages.items():
            text = client.get(page).get_data(as_text=True)
            assert (shown in text) == (who == "province"), (who, page)
    client = city.app.test_client()
    login(client, emails["operator"])
    assert owner not in client.get("/operator/owners").get_data(as_text=True)
    assert "owner1@yunchuan.demo" not in client.get(
        "/operator/accounts?q=owner1").get_data(as_text=True)


def test_a_complaints_text_is_for_the_filer_and_the_regulators_of_its_scope(
    city: DemoCity, scoped_city: ScopedCity
) -> None:
    """The public complaint page shows everyone its state; the text and attachments only to
    the filer and the regulators whose scope covers it (the province reads everywhere), not to
    another tenant's regulator or an industry regulator regulating nothing."""
    emails = scoped_city.reset()
    with city.app.app_context():
        complaint = db.session.execute(sa.text(
            "SELECT public_id FROM complaint ORDER BY id")).scalar()
        db.session.remove()
    assert complaint, "the demo city has no complaint"
    for who, email in [*emails.items(), ("centre", ""), ("anyone", "")]:
        if who == "operator":
            continue
        client = login_as(city, "regulator") if who == "centre" else city.app.test_client()
        if email:
            login(client, email)
        page = client.get(f"/complaints/{complaint}")
        assert page.status_code == 200, who
        shown = 'data-test="complaint-text"' in page.get_data(as_text=True)
        assert shown == (who in ("province", "centre")), who

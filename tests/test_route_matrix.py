"""Every route, every role: the expected answer of each.

A route added without a line here fails ``test_every_route_is_in_the_matrix``; a route added
without an access rule stops the app from starting (``market.accounts.auth``).
"""

from __future__ import annotations

from collections.abc import Iterator
from weakref import WeakKeyDictionary

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from market.accounts.models import Role
from market.db import db
from tests.conftest import create_person, csrf_token, logged_in_clients, login, make_app

ROLES = ["anonymous", "owner_admin", "owner_delegate", "agency_admin", "agency_staff",
         "regulator", "operator", "department_staff"]
LOGGED_IN = ROLES[1:]
OWNER = {"owner_admin", "owner_delegate"}
AGENCY_ROLES = {"agency_admin", "agency_staff"}
AGENCY = {"agency_admin", "agency_staff"}
REVIEWERS = {"regulator", "operator"}
BILLING_READERS = {"owner_admin", "owner_delegate", "agency_admin", "agency_staff", "regulator"}

# endpoint -> (method, path, roles that may use it, what an allowed role gets)
MATRIX: dict[str, tuple[str, str, set[str], int]] = {
    # billing: no engagement 999 exists, so the allowed roles get 404; the webhook is 404
    # while the offline backend is configured (tests/billing covers it with Stripe).
    "billing.index": ("GET", "/billing/", BILLING_READERS, 200),
    "billing.engagement": ("GET", "/billing/engagements/999", BILLING_READERS, 404),
    "billing.record_payment": ("POST", "/billing/engagements/999/payments",
                               {"owner_admin", "owner_delegate"}, 404),
    "billing.confirm_payout": ("POST", "/billing/engagements/999/payout", {"agency_admin"}, 404),
    "billing.receipt": ("GET", "/billing/payments/999/receipt", BILLING_READERS, 404),
    "billing.statement": ("GET", "/billing/statement", BILLING_READERS, 200),
    "billing.stripe_webhook": ("POST", "/billing/stripe/webhook", set(ROLES), 404),
    "public.home": ("GET", "/", set(ROLES), 200),
    # a city's pages: the first tenant (the demo city's code) of the matrix's data
    "public.place_home": ("GET", "/d/539900/", set(ROLES), 200),
    "public.healthz": ("GET", "/healthz", set(ROLES), 200),
    "public.language": ("POST", "/language", set(ROLES), 302),
    "public.care_mode": ("POST", "/care-mode", set(ROLES), 302),
    "accounts.login": ("GET", "/login", set(ROLES), 200),
    "accounts.register": ("GET", "/register", set(ROLES), 200),
    "accounts.register_person": ("GET", "/register/person", set(ROLES), 200),
    # OpenID Connect login: off unless configured (tests/accounts/test_oidc_login.py runs it)
    "accounts.oidc_login": ("GET", "/login/oidc", set(ROLES), 404),
    "accounts.oidc_callback": ("GET", "/login/oidc/callback", set(ROLES), 404),
    "accounts.logout": ("POST", "/logout", set(LOGGED_IN), 302),
    "accounts.dashboard": ("GET", "/dashboard", set(LOGGED_IN), 200),
    "accounts.password": ("GET", "/account/password", set(LOGGED_IN), 200),
    # the login's second step: with no password step pending, back to the login page
    "accounts.login_code": ("GET", "/login/code", set(ROLES), 302),
    "accounts.second_factor": ("GET", "/account/second-factor", set(LOGGED_IN), 200),
    "accounts.switch_org": ("POST", "/account/organisation", set(LOGGED_IN), 302),
    "accounts.members": ("GET", "/org/members", {"owner_admin", "agency_admin"}, 200),
    "accounts.remove_member": ("POST", "/org/members/999999/remove",
                               {"owner_admin", "agency_admin"}, 404),
    "accounts.revoke_invitation": ("POST", "/org/invitations/999999/revoke",
                                   {"owner_admin", "agency_admin"}, 404),
    # An invitation link is a signed token: a made-up one is not found, for anyone.
    "accounts.invitation": ("GET", "/invitations/NOPE", set(ROLES), 404),
    "accounts.accept_invitation": ("POST", "/invitations/NOPE/accept", set(LOGGED_IN), 404),
    "accounts.decline_invitation": ("POST", "/invitations/NOPE/decline", set(LOGGED_IN), 404),
    # Only a refused owner re-applies; the matrix's owner is active.
    "accounts.reapply": ("POST", "/org/reapply", {"owner_admin"}, 404),
    "operator.regulators": ("GET", "/operator/regulators", {"operator"}, 200),
    "operator.revoke_invitation": ("POST", "/operator/invitations/999999/revoke", {"operator"},
                                   404),
    "operator.owners": ("GET", "/operator/owners", {"operator"}, 200),
    "operator.accounts": ("GET", "/operator/accounts", {"operator"}, 200),
    "operator.reset_second_factor": ("GET", "/operator/accounts/999999/second-factor",
                                     {"operator"}, 404),
    "operator.set_account_active": ("POST", "/operator/accounts/999999/active", {"operator"},
                                    404),
    "settings.index": ("GET", "/operator/settings", {"operator"}, 200),
    "operator.divisions": ("GET", "/operator/divisions", {"operator"}, 200),
    "operator.set_tenant": ("POST", "/operator/divisions/999999/tenant", {"operator"}, 404),
    "operator.department_staff": ("GET", "/operator/department-staff", {"operator"}, 200),
    "operator.activate_owner": ("POST", "/operator/owners/OW-999999/activate", {"operator"},
                                404),
    "operator.refuse_owner": ("POST", "/operator/owners/OW-999999/refuse", {"operator"}, 404),
    # Agencies, catalogue, directory and API.  "404" rows: the access rule lets the
    # role through and the object does not exist in the empty test database.
    "catalogue.service_types": ("GET", "/operator/service-types", {"operator"}, 200),
    "catalogue.edit_service_type": ("GET", "/operator/service-types/NOPE", {"operator"}, 404),
    "catalogue.catalogue_choices": ("GET", "/operator/catalogue-choices", {"operator"}, 200),
    "catalogue.approval_matters": ("GET", "/operator/approval-matters", {"operator"}, 200),
    "catalogue.edit_approval_matter": ("GET", "/operator/approval-matters/NOPE", {"operator"},
                                       404),
    "agencies.application": ("GET", "/agency/application", {"agency_admin"}, 200),
    "agencies.qualifications": ("GET", "/agency/qualifications", AGENCY, 200),
    "agencies.change_qualification": ("GET", "/agency/qualifications/999999", AGENCY, 404),
    "agencies.practitioners": ("GET", "/agency/practitioners", AGENCY, 200),
    "agencies.change_practitioner": ("GET", "/agency/practitioners/999999", AGENCY, 404),
    "agencies.listings": ("GET", "/agency/listings", AGENCY, 200),
    "agencies.my_relations": ("GET", "/agency/relations", {"agency_admin"}, 200),
    "avoid_reviews.submit": ("POST", "/owner/requests/RQ-999999/avoid-review", OWNER, 404),
    "avoid_reviews.reviews": ("GET", "/regulator/avoid-reviews", {"regulator"}, 200),
    "avoid_reviews.decide": ("POST", "/regulator/avoid-reviews/999999", {"regulator"}, 404),
    "agencies.operator_relations": ("GET", "/operator/relations", {"operator"}, 200),
    "agencies.regulator_relations": ("GET", "/regulator/relations", {"regulator"}, 200),
    "agencies.edit_listing": ("GET", "/agency/listings/NOPE", AGENCY, 404),
    "agencies.upload": ("GET", "/uploads/999999", set(LOGGED_IN), 404),
    "review.queue": ("GET", "/review/admissions", REVIEWERS, 200),
    "review.application": ("GET", "/review/admissions/999999", REVIEWERS, 404),
    "review.change": ("GET", "/review/changes/qualification/999999", REVIEWERS, 404),
    "directory.index": ("GET", "/agencies?sort=fee", set(ROLES), 200),
    "directory.place_index": ("GET", "/d/539900/agencies?sort=fee", set(ROLES), 200),
    "directory.profile": ("GET", "/agencies/AG-999999", set(ROLES), 404),
    "directory.services": ("GET", "/services", set(ROLES), 200),
    "directory.service": ("GET", "/services/NOPE", set(ROLES), 404),
    "api.openapi": ("GET", "/api/openapi.json", set(ROLES), 200),
    "api.service_types": ("GET", "/api/service-types", set(ROLES), 200),
    "api.agencies": ("GET", "/api/agencies?per_page=5", set(ROLES), 200),
    "api.agency": ("GET", "/api/agencies/AG-999999", set(ROLES), 404),
    "transparency.index": ("GET", "/transparency", set(ROLES), 200),
    "transparency.key": ("GET", "/transparency/key", set(ROLES), 200),
    "transparency.checkpoint": ("GET", "/transparency/checkpoint", set(ROLES), 404),
    "transparency.leaves": ("GET", "/transparency/log", set(ROLES), 200),
    "transparency.consistency": ("GET", "/transparency/consistency?from=0", set(ROLES), 200),
    # selection: R/L ids that do not exist → 404 for the roles let through.
    "owner.projects": ("GET", "/owner/projects", OWNER, 200),
    # a project's page (its facts, requests and delegates); only the administrator assigns
    "owner.project": ("GET", "/owner/projects/PJ-999999", OWNER, 404),
    "owner.project_delegates": ("POST", "/owner/projects/PJ-999999/delegates",
                                {"owner_admin"}, 404),
    "owner.requests": ("GET", "/owner/requests", OWNER, 200),
    "owner.new_request": ("GET", "/owner/requests/new", OWNER, 302),  # no project yet
    "owner.edit_request": ("GET", "/owner/requests/RQ-999999/edit", OWNER, 404),
    "owner.request_detail": ("GET", "/owner/requests/RQ-999999", OWNER, 404),
    "owner.publish": ("POST", "/owner/requests/RQ-999999/publish", OWNER, 404),
    "owner.amend": ("GET", "/owner/requests/RQ-999999/amend", OWNER, 404),
    "owner.withdraw": ("POST", "/owner/requests/RQ-999999/withdraw", OWNER, 404),
    "owner.choose": ("POST", "/owner/requests/RQ-999999/choose", OWNER, 404),
    "owner.reannounce": ("GET", "/owner/requests/RQ-999999/reannounce", OWNER, 404),
    "agency_selection.open_requests": ("GET", "/agency/requests", AGENCY_ROLES, 200),
    "agency_selection.sign_up": ("POST", "/agency/requests/RQ-999999/signup", AGENCY_ROLES, 404),
    "agency_selection.withdraw": ("POST", "/agency/requests/RQ-999999/withdraw", AGENCY_ROLES,
                                  404),
    "agency_selection.signups": ("GET", "/agency/signups", AGENCY_ROLES, 200),
    "agency_selection.receipt": ("GET", "/agency/signups/999999/receipt.json", AGENCY_ROLES, 404),
    "lotteries.notices": ("GET", "/notices", set(ROLES), 200),
    "lotteries.place_notices": ("GET", "/d/539900/notices", set(ROLES), 200),
    "lotteries.notice": ("GET", "/notices/RQ-999999", set(ROLES), 404),
    "lotteries.lottery_page": ("GET", "/lotteries/LT-999999", set(ROLES), 404),
    # one's own draw to-dos, paged (the dashboard shows the first few)
    "lotteries.draw_tasks": ("GET", "/draw-tasks", set(LOGGED_IN), 200),
    "lotteries.hall": ("GET", "/lotteries/LT-999999/hall", set(ROLES), 404),
    "lotteries.hall_state": ("GET", "/lotteries/LT-999999/hall/state", set(ROLES), 404),
    "lotteries.bundle": ("GET", "/lotteries/LT-999999/bundle.json", set(ROLES), 404),
    "lotteries.verify": ("GET", "/lotteries/LT-999999/verify", set(ROLES), 404),
    "lotteries.witness": ("POST", "/lotteries/LT-999999/witness", set(LOGGED_IN), 404),
    "lotteries.external": ("POST", "/lotteries/LT-999999/external", set(LOGGED_IN), 404),
    "lotteries.api_lotteries": ("GET", "/api/lotteries", set(ROLES), 200),
    # sealed bids, awards, objections, request API
    "awards.bid": ("POST", "/agency/requests/RQ-999999/bid", AGENCY_ROLES, 404),
    # proposal selection: agencies' proposals, the owner's panel scores, the opened files
    "proposals.submit": ("GET", "/agency/requests/RQ-999999/proposal", AGENCY_ROLES, 404),
    "proposals.scores": ("GET", "/owner/requests/RQ-999999/scores", OWNER, 404),
    "proposals.remove_scorer": ("POST", "/owner/requests/RQ-999999/scores/999999/remove",
                                OWNER, 404),
    "proposals.publish": ("POST", "/owner/requests/RQ-999999/scores/publish", OWNER, 404),
    "proposals.file": ("GET", "/proposals/999999/file", OWNER | AGENCY_ROLES | {"regulator"},
                       404),
    "awards.my_bids": ("GET", "/agency/bids", AGENCY_ROLES, 200),
    "awards.bid_receipt": ("GET", "/agency/bids/999999/receipt.json", AGENCY_ROLES, 404),
    "awards.my_awards": ("GET", "/agency/awards", AGENCY_ROLES, 200),
    "awards.confirm": ("POST", "/agency/awards/999999/confirm", {"agency_admin"}, 404),
    "awards.decline": ("POST", "/agency/awards/999999/decline", {"agency_admin"}, 404),
    "awards.explain": ("POST", "/agency/awards/999999/explain", {"agency_admin"}, 404),
    "awards.objection": ("GET", "/notices/RQ-999999/objection", AGENCY_ROLES, 404),
    "awards.objection_attachment": ("GET", "/objections/999999/attachment", set(LOGGED_IN),
                                    404),
    "awards.objections": ("GET", "/regulator/objections", {"regulator"}, 200),
    "awards.decide": ("POST", "/regulator/objections/999999", {"regulator"}, 404),
    "awards.bids_checkpoint": ("GET", "/transparency/bids/checkpoint", set(ROLES), 404),
    "awards.bids_log": ("GET", "/transparency/bids/log", set(ROLES), 200),
    "awards.api_requests": ("GET", "/api/requests?per_page=5", set(ROLES), 200),
    "awards.api_request": ("GET", "/api/requests/RQ-999999", set(ROLES), 404),
    # sealed-bid openings by the regulators' opening keys
    "openings.index": ("GET", "/regulator/openings", {"regulator"}, 200),
    "openings.opening_page": ("GET", "/regulator/openings/RQ-999999", {"regulator"}, 404),
    "openings.wrapped_shares": ("GET", "/regulator/openings/RQ-999999/shares.json",
                                {"regulator"}, 404),
    "openings.keys": ("GET", "/regulator/keys", {"regulator"}, 200),
    "openings.retire": ("POST", "/regulator/keys/OK-0000000000000000/retire", {"regulator"},
                        404),
    # Regulator's console, credit, complaints, ratings.
    "regulator.index": ("GET", "/regulator", {"regulator"}, 200),
    "regulator.sanction_list": ("GET", "/regulator/sanctions", {"regulator"}, 200),
    "regulator.new_sanction": ("GET", "/regulator/sanctions/new", {"regulator"}, 200),
    "regulator.repair_sanction": ("GET", "/regulator/sanctions/999999/repair", {"regulator"},
                                  404),
    "regulator.breach_list": ("GET", "/regulator/breaches", {"regulator"}, 200),
    "regulator.new_breach": ("GET", "/regulator/breaches/new", {"regulator"}, 200),
    "regulator.complaint_list": ("GET", "/regulator/complaints", {"regulator"}, 200),
    "regulator.complaint": ("GET", "/regulator/complaints/TS-999999", {"regulator"}, 404),
    "regulator.draw_audit": ("GET", "/regulator/draws", {"regulator"}, 200),
    "regulator.fairness": ("GET", "/regulator/fairness", {"regulator"}, 200),
    # the monthly report: any ended month is computed live; its PDF exists only once written
    "reports.archive_list": ("GET", "/regulator/reports", {"regulator"}, 200),
    "reports.month_page": ("GET", "/regulator/reports/2025-12", {"regulator"}, 200),
    "reports.month_csv": ("GET", "/regulator/reports/2025-12/figures.csv", {"regulator"}, 200),
    "reports.month_pdf": ("GET", "/regulator/reports/2025-12/report.pdf", {"regulator"}, 404),
    "reports.statistics": ("GET", "/statistics", set(ROLES), 200),
    "regulator.clocks": ("GET", "/regulator/clocks", {"regulator"}, 302),  # → /regulator/overdue
    # Electronic supervision: the published rule, the console, a 督办 (none with this id).
    "supervision.rule": ("GET", "/supervision", set(ROLES), 200),
    "supervision.console": ("GET", "/regulator/supervision", {"regulator"}, 200),
    "supervision.order": ("GET", "/regulator/supervision/orders/DB-999999", {"regulator"}, 404),
    "credit.formula_page": ("GET", "/credit", set(ROLES), 200),
    "credit.my_credit": ("GET", "/agency/credit", AGENCY, 200),
    "credit.lists": ("GET", "/credit/lists", set(ROLES), 200),
    "credit.owner_record": ("GET", "/owners/OW-999999", set(ROLES), 404),
    "credit.outcomes": ("GET", "/complaints", set(ROLES), 200),
    "credit.public_complaint": ("GET", "/complaints/TS-999999", set(ROLES), 404),
    "credit.my_complaints": ("GET", "/my/complaints", OWNER | AGENCY, 200),
    "credit.new_complaint": ("GET", "/my/complaints/new", OWNER | AGENCY, 200),
    "evaluation.owner_ratings": ("GET", "/owner/ratings", OWNER, 200),
    "evaluation.rate": ("GET", "/owner/engagements/EG-999999/rating", OWNER, 404),
    "evaluation.rate_return": ("GET", "/owner/engagements/EG-999999/returns/1/rating", OWNER,
                               404),
    "evaluation.operator_ratings": ("GET", "/operator/ratings", {"operator"}, 200),
    "evaluation.hide": ("GET", "/operator/ratings/999999/hide", {"operator"}, 404),
    "evaluation.agency_ratings": ("GET", "/agency/ratings", AGENCY, 200),
    "evaluation.reply": ("POST", "/agency/ratings/999999/reply", AGENCY, 404),
    # Corrections of poor ratings (差评整改): the agency answers, the operator follows up.
    "evaluation.agency_corrections": ("GET", "/agency/corrections", AGENCY, 200),
    "evaluation.answer_correction": ("GET", "/agency/corrections/ZG-999999", AGENCY, 404),
    "evaluation.operator_corrections": ("GET", "/operator/corrections", {"operator"}, 200),
    "evaluation.follow_up": ("GET", "/operator/corrections/ZG-999999", {"operator"}, 404),
    # Engagements, approval cases, timelines, reminders.  EG/BJ/PJ ids that do not
    # exist → 404 for the roles let through.
    "engagements.index": ("GET", "/engagements/", OWNER | AGENCY | {"regulator"}, 200),
    # every open clock the organisation sees, paged (the dashboard shows the first few)
    "engagements.clocks_page": ("GET", "/engagements/clocks", OWNER | AGENCY | {"regulator"},
                                200),
    # contract notices (合同公告) are public; no engagement EG-999999 exists
    "contracts.index": ("GET", "/contracts", set(ROLES), 200),
    "contracts.place_index": ("GET", "/d/539900/contracts", set(ROLES), 200),
    "contracts.notice": ("GET", "/contracts/EG-999999", set(ROLES), 404),
    "engagements.detail": ("GET", "/engagements/EG-999999", OWNER | AGENCY | {"regulator"}, 404),
    "engagements.upload_contract": ("POST", "/engagements/EG-999999/contract", OWNER | AGENCY,
                                    404),
    "engagements.confirm_contract": ("POST", "/engagements/EG-999999/contract/confirm",
                                     OWNER | AGENCY, 404),
    "engagements.ask_materials": ("POST", "/engagements/EG-999999/materials", AGENCY, 404),
    "engagements.answer_materials": ("POST", "/engagements/EG-999999/materials/answer", OWNER,
                                     404),
    "engagements.extension": ("POST", "/engagements/EG-999999/extension", OWNER, 404),
    "engagements.submit_deliverable": ("POST", "/engagements/EG-999999/deliverables", AGENCY,
                                       404),
    "engagements.return_deliverable": ("POST", "/engagements/EG-999999/return", OWNER, 404),
    "engagements.accept": ("POST", "/engagements/EG-999999/accept", OWNER, 404),
    "engagements.release": ("POST", "/engagements/EG-999999/release", OWNER, 404),
    "engagements.cancel": ("POST", "/engagements/EG-999999/cancel", OWNER, 404),
    "engagements.file": ("GET", "/engagements/EG-999999/files/1", OWNER | AGENCY | {"regulator"},
                         404),
    "approvals.index": ("GET", "/approvals/", OWNER | {"regulator", "department_staff"}, 200),
    "approvals.new": ("GET", "/approvals/new", OWNER, 200),
    "approvals.detail": ("GET", "/approvals/BJ-999999",
                         OWNER | {"regulator", "department_staff"}, 404),
    # A department's staff record the case events; owners record none.
    "approvals.receive": ("GET", "/approvals/receive", {"department_staff"}, 200),
    "approvals.record_event": ("POST", "/approvals/BJ-999999/events/accept",
                               {"department_staff"}, 404),
    "approvals.notice": ("GET", "/approvals/suspensions/999999/notice",
                         OWNER | {"regulator", "department_staff"}, 404),
    "approvals.timeline_page": ("GET", "/projects/PJ-999999/timeline", OWNER | {"regulator"},
                                404),
    "approvals.regulator": ("GET", "/regulator/overdue", {"regulator"}, 200),
    "notify.index": ("GET", "/notifications", set(LOGGED_IN), 200),
    "notify.subscription": ("GET", "/agency/subscriptions", AGENCY, 200),
    # the matrix's agency has no subscription: the refusal is flashed on the page it returns to
    "notify.cancel_subscription": ("POST", "/agency/subscriptions/cancel", AGENCY, 302),
    "ocds.request_package": ("GET", "/api/ocds/RQ-999999.json", set(ROLES), 404),
    # the matrix's city has published nothing: a release package needs a release, so 404
    "ocds.bulk": ("GET", "/api/ocds/releases.json", set(ROLES), 404),
    "calendar.year_page": ("GET", "/calendar?year=2026", set(ROLES), 200),
    # the matrix's operator is the province's, who alone edits the national calendar (a
    # city's operator gets 403 there: test_a_city_operator_cannot_edit_the_national_calendar)
    "calendar.edit_year": ("GET", "/operator/calendar/2026", {"operator"}, 200),
    "calendar.local_days_page": ("GET", "/operator/calendar/local", {"operator"}, 200),
    "calendar.delete_local_day": ("POST", "/operator/calendar/local/999999/delete",
                                  {"operator"}, 404),
    "draw_schedule.year_page": ("GET", "/draw-schedule?year=2026", set(ROLES), 200),
    "draw_schedule.edit_year": ("GET", "/operator/draw-schedule/2026", {"operator"}, 200),
    # Departments, machine clients and webhooks (shared/spec/integration.md §2, §5).  The
    # bearer-token API answers 401 to every browser role: a session cookie is no token.
    "catalogue.departments": ("GET", "/operator/departments", {"operator"}, 200),
    "catalogue.edit_department": ("GET", "/operator/departments/NOPE", {"operator"}, 404),
    "api.approval_matters": ("GET", "/api/approval-matters", set(ROLES), 200),
    "integration.clients": ("GET", "/operator/clients", {"operator"}, 200),
    "integration.revoke": ("POST", "/operator/clients/mc_nope/revoke", {"operator"}, 404),
    "integration.webhooks": ("GET", "/operator/webhooks", {"operator"}, 200),
    "integration.delivery": ("GET", "/operator/webhooks/deliveries/999999", {"operator"}, 404),
    "integration.replay": ("POST", "/operator/webhooks/deliveries/999999/replay", {"operator"},
                           404),
    # no grant_type: RFC 6749 §5.2 unsupported_grant_type (400) before any client check
    "integration_api.token": ("POST", "/oauth/token", set(ROLES), 400),
    "integration_api.list_webhooks": ("GET", "/api/v1/webhooks", set(ROLES), 401),
    "integration_api.create_webhook": ("POST", "/api/v1/webhooks", set(ROLES), 401),
    "integration_api.case_event": ("POST", "/api/v1/case-events", set(ROLES), 401),
    "integration_api.project": ("GET", "/api/v1/projects/2026-530100-48-01-000001", set(ROLES),
                                401),
    "integration_api.deliverables": ("GET", "/api/v1/engagements/EG-000001/deliverables",
                                     set(ROLES), 401),
    "integration_api.deliverable_file": ("GET", "/api/v1/engagements/EG-000001/deliverables/1",
                                         set(ROLES), 401),
    "integration_api.delete_webhook": ("DELETE", "/api/v1/webhooks/WH-0000000000000000",
                                       set(ROLES), 401),
    "calendar.api_add": ("GET", "/api/calendar/add?start=2026-09-30&days=3", set(ROLES), 200),
    "calendar.api_count": ("GET", "/api/calendar/count?from=2026-09-30&to=2026-10-09",
                           set(ROLES), 200),
}


@pytest.fixture(scope="module")
def matrix_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One app for the module: the matrix only reads (see ``role_clients``)."""
    application = make_app(tmp_path_factory.mktemp("matrix"))
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def matrix_clients(matrix_app: Flask) -> dict[str, FlaskClient]:
    return logged_in_clients(matrix_app, provincial_operator=True)


def _may_change_state(endpoint: str) -> bool:
    """A POST or DELETE some role may make (logout, language, care mode, switching the
    organisation…) can change its client's session or the database."""
    method, _path, allowed, ok_status = MATRIX[endpoint]
    return method != "GET" and bool(allowed) and ok_status < 400


@pytest.fixture
def role_clients(request: pytest.FixtureRequest, matrix_app: Flask,
                 matrix_clients: dict[str, FlaskClient]) -> dict[str, FlaskClient]:
    """The module's logged-in clients, shared by the tests that only read and by the requests
    refused before they change anything; a test whose request may change something gets new
    people with new clients, so no later test sees what it did to its session."""
    endpoint = getattr(request.node, "callspec", None) and request.node.callspec.params.get(
        "endpoint")
    if endpoint and _may_change_state(endpoint):
        return logged_in_clients(matrix_app, provincial_operator=True)
    return matrix_clients


def test_every_route_is_in_the_matrix(matrix_app: Flask) -> None:
    app = matrix_app
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    assert endpoints - set(MATRIX) == set(), "add the new routes to MATRIX"
    assert set(MATRIX) - endpoints == set(), "MATRIX names routes that no longer exist"


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_route_answers_each_role_as_expected(
    role_clients: dict[str, FlaskClient], endpoint: str
) -> None:
    method, path, allowed, ok_status = MATRIX[endpoint]
    for role in ROLES:
        client = role_clients[role]
        if method == "GET":
            response = client.get(path)
        elif method == "DELETE":
            response = client.delete(path)
        else:
            response = client.post(path, data={"csrf_token": _token(client)})
        if role in allowed:
            expected = ok_status
        elif role == "anonymous":
            expected = 302  # to the login page
        else:
            expected = 403
        assert response.status_code == expected, (endpoint, role, response.status_code)
        if expected == 302 and role not in allowed:
            assert "/login" in response.headers["Location"]


# client -> its session's CSRF token: no time limit (WTF_CSRF_TIME_LIMIT) and a session keeps its
# secret until a login, so one page read per client serves all its posts; a test whose request
# may change the session gets new clients (``role_clients``)
TOKENS: WeakKeyDictionary[FlaskClient, str] = WeakKeyDictionary()


def _token(client: FlaskClient) -> str:
    if client not in TOKENS:
        # the login page, which every role is shown: a logged-in role's home page lists its
        # work and costs twice as much to render
        TOKENS[client] = csrf_token(client)
    return TOKENS[client]


def test_post_without_csrf_token_is_refused(role_clients: dict[str, FlaskClient]) -> None:
    for role in ROLES:
        assert role_clients[role].post("/care-mode").status_code == 400


def test_unknown_route_gets_a_styled_404(role_clients: dict[str, FlaskClient]) -> None:
    response = role_clients["anonymous"].get("/no/such/page")
    assert response.status_code == 404
    assert "您要找的页面不存在" in response.get_data(as_text=True)


# What the whole province shares (the catalogue, the draw schedule): every operator reads it,
# only the provincial operator changes it; a tenant's catalogue choices are the other way round
# (the province has none to make).  endpoint -> (method, path, city operator's answer,
# provincial operator's answer); an empty form is refused, so nothing changes.
SHARED: dict[str, tuple[str, str, int, int]] = {
    "catalogue.service_types": ("POST", "/operator/service-types", 403, 400),
    "catalogue.edit_service_type": ("POST", "/operator/service-types/NOPE", 404, 404),
    "catalogue.approval_matters": ("POST", "/operator/approval-matters", 403, 400),
    "catalogue.edit_approval_matter": ("POST", "/operator/approval-matters/NOPE", 404, 404),
    "catalogue.departments": ("POST", "/operator/departments", 403, 400),
    "catalogue.edit_department": ("POST", "/operator/departments/NOPE", 404, 404),
    "draw_schedule.edit_year": ("POST", "/operator/draw-schedule/2026", 403, 400),
    "catalogue.catalogue_choices": ("POST", "/operator/catalogue-choices", 302, 403),
}
SHARED_PAGES = ["/operator/service-types", "/operator/approval-matters", "/operator/departments",
                "/operator/draw-schedule/2026", "/operator/catalogue-choices"]


@pytest.fixture(scope="module")
def operators(matrix_app: Flask) -> dict[str, FlaskClient]:
    """A city's operator (the matrix's) and the provincial operator, each logged in."""
    clients = {}
    for who, provincial in (("city", False), ("province", True)):
        c = matrix_app.test_client()
        assert login(c, create_person(matrix_app, Role.OPERATOR,
                                      provincial=provincial).email).status_code == 302
        clients[who] = c
    return clients


@pytest.mark.parametrize("endpoint", sorted(SHARED))
def test_the_province_keeps_what_it_shares(operators: dict[str, FlaskClient],
                                           endpoint: str) -> None:
    method, path, city_status, province_status = SHARED[endpoint]
    assert MATRIX[endpoint][2] == {"operator"}
    for who, expected in (("city", city_status), ("province", province_status)):
        c = operators[who]
        response = c.post(path, data={"csrf_token": csrf_token(c, "/")})
        assert response.status_code == expected, (endpoint, who, response.status_code)


def test_both_operators_read_what_the_province_shares(operators: dict[str, FlaskClient]) -> None:
    for path in SHARED_PAGES:
        for who in ("city", "province"):
            assert operators[who].get(path).status_code == 200, (path, who)


def test_a_city_operator_cannot_edit_the_national_calendar(matrix_app: Flask) -> None:
    """The national calendar counts in every tenant: a city's operator (the home tenant's)
    gets 403 on its year pages, GET and POST, and is shown the way to its local days."""
    city = logged_in_clients(matrix_app)["operator"]
    page = city.get("/operator/calendar/2026")
    assert page.status_code == 403
    assert "/operator/calendar/local" in page.text
    answer = city.post("/operator/calendar/2026", data={
        "csrf_token": csrf_token(city, "/operator/calendar/local"), "days_off": "2026-03-09",
        "days_on": "", "source": "x", "confirmed": "y"})
    assert answer.status_code == 403
    with matrix_app.app_context():
        assert db.session.scalar(sa.text("SELECT count(*) FROM calendar_year")) == 0

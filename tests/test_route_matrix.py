"""Every route, every role: the expected answer of each.

A route added without a line here fails ``test_every_route_is_in_the_matrix``; a route added
without an access rule stops the app from starting (``market.auth``).
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import csrf_token

ROLES = ["anonymous", "owner_admin", "owner_delegate", "agency_admin", "agency_staff",
         "regulator", "operator"]
LOGGED_IN = ROLES[1:]
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
    "public.healthz": ("GET", "/healthz", set(ROLES), 200),
    "public.language": ("POST", "/language", set(ROLES), 302),
    "public.care_mode": ("POST", "/care-mode", set(ROLES), 302),
    "accounts.login": ("GET", "/login", set(ROLES), 200),
    "accounts.register": ("GET", "/register", set(ROLES), 200),
    "accounts.logout": ("POST", "/logout", set(LOGGED_IN), 302),
    "accounts.dashboard": ("GET", "/dashboard", set(LOGGED_IN), 200),
    "accounts.password": ("GET", "/account/password", set(LOGGED_IN), 200),
    "accounts.switch_org": ("POST", "/account/organisation", set(LOGGED_IN), 302),
    "accounts.members": ("GET", "/org/members", {"owner_admin", "agency_admin"}, 200),
    "operator.regulators": ("GET", "/operator/regulators", {"operator"}, 200),
    # Agencies, catalogue, directory and API (issue 4).  "404" rows: the access rule lets the
    # role through and the object does not exist in the empty test database.
    "catalogue.service_types": ("GET", "/operator/service-types", {"operator"}, 200),
    "catalogue.edit_service_type": ("GET", "/operator/service-types/NOPE", {"operator"}, 404),
    "catalogue.approval_matters": ("GET", "/operator/approval-matters", {"operator"}, 200),
    "catalogue.edit_approval_matter": ("GET", "/operator/approval-matters/NOPE", {"operator"},
                                       404),
    "agencies.application": ("GET", "/agency/application", {"agency_admin"}, 200),
    "agencies.qualifications": ("GET", "/agency/qualifications", AGENCY, 200),
    "agencies.change_qualification": ("GET", "/agency/qualifications/999999", AGENCY, 404),
    "agencies.practitioners": ("GET", "/agency/practitioners", AGENCY, 200),
    "agencies.change_practitioner": ("GET", "/agency/practitioners/999999", AGENCY, 404),
    "agencies.listings": ("GET", "/agency/listings", AGENCY, 200),
    "agencies.edit_listing": ("GET", "/agency/listings/NOPE", AGENCY, 404),
    "agencies.upload": ("GET", "/uploads/999999", set(LOGGED_IN), 404),
    "review.queue": ("GET", "/review/admissions", REVIEWERS, 200),
    "review.application": ("GET", "/review/admissions/999999", REVIEWERS, 404),
    "review.change": ("GET", "/review/changes/qualification/999999", REVIEWERS, 404),
    "directory.index": ("GET", "/agencies?sort=fee", set(ROLES), 200),
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
    "calendar.year_page": ("GET", "/calendar?year=2026", set(ROLES), 200),
    "calendar.edit_year": ("GET", "/operator/calendar/2026", {"operator"}, 200),
    "calendar.api_add": ("GET", "/api/calendar/add?start=2026-09-30&days=3", set(ROLES), 200),
    "calendar.api_count": ("GET", "/api/calendar/count?from=2026-09-30&to=2026-10-09",
                           set(ROLES), 200),
}


def test_every_route_is_in_the_matrix(app: Flask) -> None:
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
        else:
            response = client.post(path, data={"csrf_token": csrf_token(client, "/")})
        if role in allowed:
            expected = ok_status
        elif role == "anonymous":
            expected = 302  # to the login page
        else:
            expected = 403
        assert response.status_code == expected, (endpoint, role, response.status_code)
        if expected == 302 and role not in allowed:
            assert "/login" in response.headers["Location"]


def test_post_without_csrf_token_is_refused(role_clients: dict[str, FlaskClient]) -> None:
    for role in ROLES:
        assert role_clients[role].post("/care-mode").status_code == 400


def test_unknown_route_gets_a_styled_404(role_clients: dict[str, FlaskClient]) -> None:
    response = role_clients["anonymous"].get("/no/such/page")
    assert response.status_code == 404
    assert "您要找的页面不存在" in response.get_data(as_text=True)

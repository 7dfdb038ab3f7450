"""Billing pages, offline backend: the owner records a transfer, the agency confirms receipt;
receipts and statements come from the ledger; each organisation sees only its own."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from billing.integration import backend
from billing.interface import EngagementRef
from market import timeutil
from market.accounts.models import Role
from market.db import db
from tests.billing.conftest import assert_ledger_balanced, with_backend
from tests.conftest import create_person, csrf_token, login

_next_id = iter(range(5000, 6000))
# 10:00 in Beijing on 2 March 2026: the payments below are dated that day (a payment date is
# neither in the future nor before the engagement's contract).
DAY = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _on_the_day() -> Iterator[None]:
    with timeutil.frozen(DAY):
        yield


def _client(app: Flask, role: Role, org_id: int | None = None) -> tuple[FlaskClient, int]:
    person = create_person(app, role, org_id=org_id)
    client = app.test_client()
    assert login(client, person.email).status_code == 302
    return client, person.org_id


def _engagement(app: Flask, owner: int, agency: int, fee: int = 12_345_67) -> int:
    eid = next(_next_id)
    with app.app_context():
        backend().open_engagement(EngagementRef(eid, owner, agency, fee))
        db.session.commit()
    return eid


def test_owner_pays_offline_and_agency_confirms(app: Flask) -> None:
    # the administrator: a delegate sees the payments of its projects' engagements only, and
    # this billing engagement stands alone (tests/selection/test_project_assignment.py)
    owner, owner_org = _client(app, Role.OWNER_ADMIN)
    agency, agency_org = _client(app, Role.AGENCY_ADMIN)
    eid = _engagement(app, owner_org, agency_org)
    page = owner.get(f"/billing/engagements/{eid}")
    assert page.status_code == 200 and "登记线下付款" in page.get_data(as_text=True)

    token = csrf_token(owner, f"/billing/engagements/{eid}")
    refused = owner.post(f"/billing/engagements/{eid}/payments", data={
        "csrf_token": token, "reference": "GK-1", "paid_on": "2026-03-02", "amount": "99999"})
    assert refused.status_code == 400
    assert "超过尚未支付的 12,345.67 元" in refused.get_data(as_text=True)

    response = owner.post(f"/billing/engagements/{eid}/payments", data={
        "csrf_token": token, "reference": "GK-2026-0302-001", "paid_on": "2026-03-02",
        "amount": "12,345.67"})
    assert response.status_code == 302
    receipt = owner.get(response.headers["Location"]).get_data(as_text=True)
    assert "GK-2026-0302-001" in receipt and "12,345.67" in receipt

    with_backend(app, lambda b: b.mark_accepted(eid))
    with_backend(app, lambda b: b.release(eid))
    token = csrf_token(agency, f"/billing/engagements/{eid}")
    assert agency.post(f"/billing/engagements/{eid}/payout",
                       data={"csrf_token": token}).status_code == 302
    page = agency.get(f"/billing/engagements/{eid}").get_data(as_text=True)
    assert "已结清" in page
    statement = agency.get("/billing/statement").get_data(as_text=True)
    assert "中介机构收款" in statement
    assert_ledger_balanced(app)


def test_each_organisation_sees_only_its_own(app: Flask) -> None:
    owner, owner_org = _client(app, Role.OWNER_ADMIN)
    agency, agency_org = _client(app, Role.AGENCY_STAFF)
    stranger, _ = _client(app, Role.OWNER_ADMIN)
    other_agency, _ = _client(app, Role.AGENCY_ADMIN)
    regulator, _ = _client(app, Role.REGULATOR)
    operator, _ = _client(app, Role.OPERATOR)
    eid = _engagement(app, owner_org, agency_org)
    payment_id = with_backend(app, lambda b: b.record_offline_payment(
        eid, reference="BANK-7", paid_on=__import__("datetime").date(2026, 3, 2),
        amount_fen=100_00))
    for client in (owner, agency, regulator):
        assert client.get(f"/billing/engagements/{eid}").status_code == 200
        assert client.get(f"/billing/payments/{payment_id}/receipt").status_code == 200
    for client in (stranger, other_agency):
        assert client.get(f"/billing/engagements/{eid}").status_code == 404
        assert client.get(f"/billing/payments/{payment_id}/receipt").status_code == 404
        assert f">{eid}<" not in client.get("/billing/").get_data(as_text=True)
    assert operator.get(f"/billing/engagements/{eid}").status_code == 403
    # Agency staff may read but not confirm; a stranger cannot record a payment.
    token = csrf_token(agency, f"/billing/engagements/{eid}")
    assert agency.post(f"/billing/engagements/{eid}/payout",
                       data={"csrf_token": token}).status_code == 403
    token = csrf_token(stranger, "/billing/")
    assert stranger.post(f"/billing/engagements/{eid}/payments", data={
        "csrf_token": token, "reference": "X", "paid_on": "2026-03-02",
        "amount": "1"}).status_code == 404
    assert f">{eid}<" in regulator.get("/billing/").get_data(as_text=True)
    ledger_page = regulator.get("/billing/statement").get_data(as_text=True)
    assert re.search(r'data-test="ledger-total">0\.00<', ledger_page)
    owner_statement = regulator.get(f"/billing/statement?org={owner_org}")
    assert owner_statement.status_code == 200
    assert "-12,245.67" in owner_statement.get_data(as_text=True)


def test_the_webhook_is_not_there_without_stripe(app: Flask) -> None:
    assert app.test_client().post("/billing/stripe/webhook", data=b"{}").status_code == 404


def test_the_list_reads_the_ledger_once_for_all_its_rows(app: Flask) -> None:
    """The regulator's 结算 list shows every engagement's figures; the ledger is read in the
    same two statements for three engagements as for one."""
    from tests.support.page_cache import statements

    regulator, _ = _client(app, Role.REGULATOR)
    owner_org, agency_org = (_client(app, role)[1] for role in (Role.OWNER_ADMIN,
                                                                 Role.AGENCY_ADMIN))
    ledger_reads = []
    for n in (1, 3):
        while len(with_backend(app, lambda b: b.engagements_of(None))) < n:
            eid = _engagement(app, owner_org, agency_org)
            with_backend(app, lambda b, eid=eid: b.record_offline_payment(
                eid, reference=f"BANK-{eid}", paid_on=DAY.date(), amount_fen=100_00))
        with statements(app) as seen:
            page = regulator.get("/billing/").get_data(as_text=True)
        assert page.count(">12,245.67<") == n  # each row's outstanding fee
        ledger_reads.append([s for s in seen if "billing_entry" in s
                             or "FROM billing_transaction" in s])
    assert len(ledger_reads[0]) == len(ledger_reads[1]) == 2

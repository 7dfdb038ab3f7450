"""A payment's date (付款日期) is the day the money left: never after today, never before the
engagement's contract was confirmed (the day its fee fell due); both days in Beijing."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import Flask

from billing.integration import backend
from billing.interface import EngagementRef
from billing.models import LedgerTransaction, Payment
from market import timeutil
from market.accounts.models import Role
from market.db import db
from tests.conftest import create_person, csrf_token, login

# 17:00 UTC on 1 March is 01:00 on 2 March in Beijing: the contract's day is 2 March.
CONFIRMED = datetime(2026, 3, 1, 17, 0, tzinfo=UTC)
# 17:30 UTC on 5 March is 01:30 on 6 March in Beijing: "today" is 6 March.
NOW = datetime(2026, 3, 5, 17, 30, tzinfo=UTC)


@pytest.fixture
def engagement(app: Flask) -> tuple[Flask, int]:
    owner = create_person(app, Role.OWNER_ADMIN)
    agency = create_person(app, Role.AGENCY_ADMIN)
    with timeutil.frozen(CONFIRMED), app.app_context():
        backend().open_engagement(EngagementRef(4242, owner.org_id, agency.org_id, 50_000_00))
        db.session.commit()
    client = app.test_client()
    assert login(client, owner.email).status_code == 302
    app.config["_owner_client"] = client
    return app, 4242


def _pay(app: Flask, eid: int, paid_on: str, reference: str = "GK-1"):
    client = app.config["_owner_client"]
    with timeutil.frozen(NOW):
        token = csrf_token(client, f"/billing/engagements/{eid}")
        return client.post(f"/billing/engagements/{eid}/payments", data={
            "csrf_token": token, "reference": reference, "paid_on": paid_on,
            "amount": "100"})


def _stored(app: Flask) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(sa.select(sa.func.count(Payment.id))) or 0,
                db.session.scalar(sa.select(sa.func.count(LedgerTransaction.id))) or 0)


@pytest.mark.parametrize(("paid_on", "message"), [
    ("2026-03-07", "付款日期 2026-03-07 晚于今天（2026-03-06），请填写实际付款的日期。"),
    ("2099-01-01", "付款日期 2099-01-01 晚于今天（2026-03-06）"),
    ("2026-03-01", "付款日期 2026-03-01 早于合同确认日期（2026-03-02）"),
    ("2020-01-01", "早于合同确认日期（2026-03-02）"),
])
def test_a_payment_dated_outside_the_contract_and_today_is_refused(
        engagement: tuple[Flask, int], paid_on: str, message: str) -> None:
    app, eid = engagement
    before = _stored(app)
    response = _pay(app, eid, paid_on)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    # next to the date, with what was typed kept
    assert re.search(r'<p class="error" id="paid_on-msg">[^<]*' + re.escape(message), page)
    assert f'value="{paid_on}"' in page and 'value="GK-1"' in page
    assert _stored(app) == before


@pytest.mark.parametrize("paid_on", ["2026-03-02", "2026-03-04", "2026-03-06"])
def test_a_payment_from_the_contract_day_to_today_is_recorded(
        engagement: tuple[Flask, int], paid_on: str) -> None:
    """Both ends count, and they are Beijing days (in UTC the contract was on 1 March and
    today is still 5 March)."""
    app, eid = engagement
    assert _pay(app, eid, paid_on).status_code == 302
    with app.app_context():
        assert db.session.scalars(sa.select(Payment.paid_on)).one().isoformat() == paid_on


def test_a_reused_reference_is_refused_next_to_the_reference(
        engagement: tuple[Flask, int]) -> None:
    app, eid = engagement
    assert _pay(app, eid, "2026-03-03").status_code == 302
    again = _pay(app, eid, "2026-03-04")
    assert again.status_code == 400
    assert re.search(r'<p class="error" id="reference-msg">付款凭证号 GK-1 已登记过',
                     again.get_data(as_text=True))

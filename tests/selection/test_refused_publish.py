"""A refused publish leaves every table as it was, the draw log included, however the view
answers (it redirects with a message, so the status code alone cannot tell)."""

from __future__ import annotations

import sqlalchemy as sa

from market import timeutil
from market.db import db
from market.selection.models import SelectionRequest
from market.transparency.audit import run_audit
from tests.conftest import csrf_token
from tests.proof.fuzz_support import changed_tables, table_fingerprint
from tests.selection.conftest import START, City
from tests.selection.test_lottery_flow import _project, _request_form


def test_a_label_the_log_refuses_stores_nothing_and_the_log_still_audits(city: City) -> None:
    with timeutil.frozen(START):
        c = city.client(city.owner)
        fingerprint = table_fingerprint(city.app)
        data = _request_form(city, _project(city), external_issue="2026025期")
        data["csrf_token"] = csrf_token(c, "/owner/requests/new")
        before = fingerprint()
        # Saving the draft already refuses it, next to the field.
        r = c.post("/owner/requests/new", data={**data, "external_issue": "2026025\u200b期"})
        assert r.status_code in (200, 400)
        assert "控制字符或格式字符" in r.get_data(as_text=True)
        assert changed_tables(before, fingerprint()) == []
        r = c.post("/owner/requests/new", data=data)
        assert r.status_code == 302, r.get_data(as_text=True)[-2000:]
        public_id = r.headers["Location"].rsplit("/", 1)[1]
        # A draft saved before that check (or written around it) is refused at publish.
        with city.app.app_context():
            req = db.session.scalar(sa.select(SelectionRequest).where(
                SelectionRequest.public_id == public_id))
            req.external_label = "双色球 2026025\u200b期"
            db.session.commit()
        before = fingerprint()
        r = c.post(f"/owner/requests/{public_id}/publish",
                   data={"csrf_token": csrf_token(c, f"/owner/requests/{public_id}")})
        assert r.status_code < 500
        assert changed_tables(before, fingerprint()) == []
        with city.app.app_context():
            req = db.session.scalar(sa.select(SelectionRequest).where(
                SelectionRequest.public_id == public_id))
            assert req.state == "draft"
            assert run_audit().ok
        # The refusal is shown to the owner on the next page.
        page = c.get(f"/owner/requests/{public_id}").get_data(as_text=True)
        assert "控制字符或格式字符" in page

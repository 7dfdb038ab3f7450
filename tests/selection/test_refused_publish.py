"""A refused publish leaves every table as it was, the draw log included, however the view
answers (it redirects with a message, so the status code alone cannot tell)."""

from __future__ import annotations

import sqlalchemy as sa

from market import timeutil
from market.db import db
from market.selection.models import SelectionRequest, Witness
from market.transparency.audit import run_audit
from tests.conftest import csrf_token
from tests.proof.fuzz_support import changed_tables, table_fingerprint
from tests.selection.conftest import START, City
from tests.support.selection_flow import project as _project
from tests.support.selection_flow import request_form as _request_form


def _draft(city: City) -> str:
    c = city.client(city.owner)
    data = _request_form(city, _project(city))
    data["csrf_token"] = csrf_token(c, "/owner/requests/new")
    r = c.post("/owner/requests/new", data=data)
    assert r.status_code == 302, r.get_data(as_text=True)[-2000:]
    return r.headers["Location"].rsplit("/", 1)[1]


def _publish_is_refused(city: City, public_id: str) -> str:
    """Publish; assert nothing changed anywhere and the log still audits; the owner's page."""
    c = city.client(city.owner)
    fingerprint = table_fingerprint(city.app)
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
    return c.get(f"/owner/requests/{public_id}").get_data(as_text=True)


def test_an_unplannable_source_stores_nothing_and_the_log_still_audits(city: City) -> None:
    """The draft was saved while 2026's draw schedule was confirmed; an operator withdrew the
    confirmation before the owner published, so no issue number can be planned."""
    with timeutil.frozen(START):
        public_id = _draft(city)
        with city.app.app_context():
            from market.selection.external import save_draw_year

            save_draw_year(2026, ssq_text="", fc3d_text="", source="待核对", confirmed=False,
                           user_id=None)
            db.session.commit()
        # The refusal is shown to the owner on the next page, and the draft says why.
        assert "运营方尚未确认 2026 年福彩开奖安排" in _publish_is_refused(city, public_id)


def test_a_label_the_log_refuses_stores_nothing_and_the_log_still_audits(city: City) -> None:
    """A witness label holding a zero-width space (written around the form's checks) is
    refused by lottery's own text rule before the first row, and said so."""
    with timeutil.frozen(START):
        public_id = _draft(city)
        with city.app.app_context():
            req = db.session.scalar(sa.select(SelectionRequest).where(
                SelectionRequest.public_id == public_id))
            witness = db.session.scalar(sa.select(Witness).where(
                Witness.request_id == req.id, Witness.position == 0))
            witness.label = "见证人1：张\u200b三"
            db.session.commit()
        assert "控制字符或格式字符" in _publish_is_refused(city, public_id)

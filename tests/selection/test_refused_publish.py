"""A refused publish leaves every table as it was, the draw log included, however the view
answers (it redirects with a message, so the status code alone cannot tell)."""

from __future__ import annotations

import sqlalchemy as sa

from market import timeutil
from market.audit import AuditEvent
from market.db import db
from market.selection.models import Lottery, SelectionRequest
from market.transparency import log
from market.transparency.audit import run_audit
from tests.conftest import csrf_token
from tests.selection.conftest import START, City
from tests.selection.test_lottery_flow import _project, _request_form


def _counts(city: City) -> tuple[int, int, int]:
    with city.app.app_context():
        return (db.session.scalar(sa.select(sa.func.count()).select_from(Lottery)),
                log.size(),
                db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)))


def test_an_unplannable_source_stores_nothing_and_the_log_still_audits(city: City) -> None:
    """The draft was saved while 2026's draw schedule was confirmed; an operator withdrew the
    confirmation before the owner published, so no issue number can be planned."""
    with timeutil.frozen(START):
        c = city.client(city.owner)
        data = _request_form(city, _project(city))
        data["csrf_token"] = csrf_token(c, "/owner/requests/new")
        r = c.post("/owner/requests/new", data=data)
        assert r.status_code == 302, r.get_data(as_text=True)[-2000:]
        public_id = r.headers["Location"].rsplit("/", 1)[1]
        with city.app.app_context():
            from market.selection.external import save_draw_year

            save_draw_year(2026, ssq_text="", fc3d_text="", source="待核对", confirmed=False,
                           user_id=None)
            db.session.commit()
        before = _counts(city)
        r = c.post(f"/owner/requests/{public_id}/publish",
                   data={"csrf_token": csrf_token(c, f"/owner/requests/{public_id}")})
        assert r.status_code < 500
        assert _counts(city) == before
        with city.app.app_context():
            req = db.session.scalar(sa.select(SelectionRequest).where(
                SelectionRequest.public_id == public_id))
            assert req.state == "draft"
            assert run_audit().ok
        # The refusal is shown to the owner on the next page, and the draft says why.
        page = c.get(f"/owner/requests/{public_id}").get_data(as_text=True)
        assert "运营方尚未确认 2026 年福彩开奖安排" in page

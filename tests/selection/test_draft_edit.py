"""Editing a draft request that already has its witnesses (found by tests/proof/
test_every_form.py: the witnesses were re-inserted before the old rows went, and the unique
(request, position) made it a 500)."""

from __future__ import annotations

import sqlalchemy as sa

from market import timeutil
from market.db import db
from market.selection.models import SelectionRequest, Witness
from tests.conftest import csrf_token
from tests.selection.conftest import START, City
from tests.support.selection_flow import project as _project
from tests.support.selection_flow import request_form as _request_form


def test_a_draft_is_edited_with_its_witnesses_kept_or_reordered(city: City) -> None:
    c = city.client(city.owner)
    with timeutil.frozen(START):
        data = _request_form(city, _project(city))
        r = c.post("/owner/requests/new",
                   data={**data, "csrf_token": csrf_token(c, "/owner/requests/new")})
        assert r.status_code == 302
        public_id = r.headers["Location"].rsplit("/", 1)[1]
        edit = f"/owner/requests/{public_id}/edit"
        for witnesses, title in ((data["witnesses"], "第三小学改扩建环评（二）"),
                                 (data["witnesses"][::-1], "第三小学改扩建环评（三）")):
            r = c.post(edit, data={**data, "title": title, "witnesses": witnesses,
                                   "csrf_token": csrf_token(c, edit)})
            assert r.status_code == 302, r.status_code
            with city.app.app_context():
                req = db.session.scalar(sa.select(SelectionRequest).where(
                    SelectionRequest.public_id == public_id))
                assert req.title == title
                assert [str(w.user_id) for w in req.witnesses] == witnesses
                assert db.session.scalar(sa.select(sa.func.count(Witness.id))) == 2

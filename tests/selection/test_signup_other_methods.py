"""Signing up for (or withdrawing from) a sealed bid, which takes quotes and has no lottery to
register in, is refused with a message, not a 500, and changes nothing."""

from __future__ import annotations

from market import timeutil
from tests.conftest import csrf_token
from tests.proof.fuzz_support import changed_tables, table_fingerprint
from tests.selection.conftest import START, City
from tests.support.selection_flow import SEALED
from tests.support.selection_flow import publish as _publish


def test_sign_up_and_withdraw_on_a_sealed_bid_are_refused(city: City) -> None:
    with timeutil.frozen(START):
        req = _publish(city, **SEALED)
        c = city.client(city.agencies[0])
        fingerprint = table_fingerprint(city.app)
        before = fingerprint()
        token = csrf_token(c, "/agency/requests")
        r = c.post(f"/agency/requests/{req.public_id}/signup", data={"csrf_token": token})
        assert r.status_code == 302
        assert "该公告不在报名期" in c.get(r.headers["Location"]).get_data(as_text=True)
        r = c.post(f"/agency/requests/{req.public_id}/withdraw",
                   data={"csrf_token": token, "reason": "不再参加"})
        assert r.status_code == 400
        assert "没有有效的报名" in r.get_data(as_text=True)
        assert changed_tables(before, fingerprint()) == []

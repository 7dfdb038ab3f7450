"""A refused reason on a list's inline form — withdrawing a sign-up (退出报名), declining an
award (放弃中选), retiring an opening key (停用开标密钥) — comes back on the same page: 400, the
problem next to that row's reason box, what was typed kept, nothing changed.  A row that no
longer shows its form (it moved on since the page was loaded) says why on top of the page."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from market import timeutil
from market.db import db
from market.selection.models import Award, Lottery, OpeningKey
from tests.conftest import csrf_token
from tests.proof.fuzz_support import changed_tables, table_fingerprint
from tests.selection.conftest import START, City
from tests.support.selection_flow import lottery_to_draw, person, publish, sign_up

BLANK = "   "  # gets past the browser's `required`; the server refuses it


def _next_to(page: str, kind: str, row: str | int, message: str) -> None:
    """``message`` is in the error element of ``kind``'s row ``row``, tied to its box."""
    assert re.search(rf'aria-invalid="true" aria-describedby="{kind}-{row}-msg"', page), page
    assert re.search(rf'<p class="error" id="{kind}-{row}-msg"[^>]*>[^<]*{re.escape(message)}',
                     page), page


def test_a_blank_withdrawal_reason_stays_next_to_its_box(city: City) -> None:
    agency = city.agencies[0]
    fingerprint = table_fingerprint(city.app)
    with timeutil.frozen(START):
        req = publish(city)
        sign_up(city, agency, req.public_id)
        c = city.client(agency)
        token = csrf_token(c, "/agency/signups")  # the session's sign of life, before
        before = fingerprint()
        r = c.post(f"/agency/requests/{req.public_id}/withdraw",
                   data={"reason": BLANK, "csrf_token": token})
        assert r.status_code == 400
        page = r.get_data(as_text=True)
        _next_to(page, "withdraw", req.id, "请填写此项。")
        assert f'value="{BLANK}"' in page
        assert changed_tables(before, fingerprint()) == []
        # withdrawn, the row has no form: a second try says why on top of the page
        r = c.post(f"/agency/requests/{req.public_id}/withdraw",
                   data={"reason": "人员安排冲突", "csrf_token": csrf_token(c, "/agency/signups")})
        assert r.status_code == 302
        r = c.post(f"/agency/requests/{req.public_id}/withdraw",
                   data={"reason": BLANK, "csrf_token": csrf_token(c, "/agency/signups")})
        assert r.status_code == 400
        page = r.get_data(as_text=True)
        assert re.search(r'class="flash flash-error"[^>]*>[^<]*请填写此项', page), page
        assert "withdraw-error-" not in page


def test_a_blank_decline_reason_stays_next_to_its_box(city: City, tmp_path: Path) -> None:
    app = city.app
    rid, _lottery_id = lottery_to_draw(city, tmp_path)
    with app.app_context():
        lottery = db.session.scalar(sa.select(Lottery))
        winner, drawn_at = person(city, lottery.record["ranking"][0]), lottery.drawn_at
        award_id = db.session.scalar(sa.select(Award.id))
    fingerprint = table_fingerprint(app)
    with timeutil.frozen(drawn_at + timedelta(hours=1)):
        c = city.client(winner)
        token = csrf_token(c, "/agency/awards")  # the session's sign of life, before
        before = fingerprint()
        r = c.post(f"/agency/awards/{award_id}/decline",
                   data={"reason": BLANK, "csrf_token": token})
        assert r.status_code == 400
        page = r.get_data(as_text=True)
        _next_to(page, "decline", award_id, "请填写此项。")
        assert f'value="{BLANK}"' in page and f'data-test="decline-error-{rid}"' in page
        assert changed_tables(before, fingerprint()) == []
        with app.app_context():
            assert db.session.get(Award, award_id).state == "offered"


def test_a_blank_retirement_reason_stays_next_to_its_box(city: City) -> None:
    app = city.app
    regulator = city.client(city.regulator)
    with app.app_context():
        kid = db.session.scalar(sa.select(OpeningKey.key_id))
    fingerprint = table_fingerprint(app)
    with timeutil.frozen(START):
        token = csrf_token(regulator, "/regulator/keys")  # the session's sign of life, before
        before = fingerprint()
        r = regulator.post(f"/regulator/keys/{kid}/retire", data={
            "reason": BLANK, "csrf_token": token})
        assert r.status_code == 400
        page = r.get_data(as_text=True)
        _next_to(page, "retire", kid, "请填写此项。")
        assert f'value="{BLANK}"' in page
        assert changed_tables(before, fingerprint()) == []
        r = regulator.post(f"/regulator/keys/{kid}/retire", data={
            "reason": "密钥文件所在的 U 盘丢失", "csrf_token": csrf_token(regulator, "/regulator/keys")})
        assert r.status_code == 302
        with app.app_context():
            assert db.session.scalar(sa.select(OpeningKey.retire_reason).where(
                OpeningKey.key_id == kid)) == "密钥文件所在的 U 盘丢失"

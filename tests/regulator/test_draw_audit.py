"""The draw audit: every drawn lottery verified, a tampered bundle or log caught, a pasted
checkpoint checked for consistency with today's log."""

from __future__ import annotations

import sqlalchemy as sa

from lottery.note import sign_checkpoint
from market import timeutil
from market.db import db
from market.regulator import draws
from market.selection.draw import bundle
from market.selection.models import Lottery
from market.transparency import log
from market.transparency.keys import platform_key
from market.transparency.models import LogLeaf
from tests.regulator.conftest import drawn_lottery, post
from tests.selection.conftest import START, City


def test_every_drawn_lottery_verifies_and_a_tampered_bundle_fails(city: City) -> None:
    lottery_id = drawn_lottery(city)
    page = city.client(city.regulator).get("/regulator/draws").get_data(as_text=True)
    assert lottery_id in page and 'data-test="verified"' in page
    with city.app.app_context():
        b = bundle(db.session.scalar(sa.select(Lottery)))
        assert draws.verify(b)[0]
        losers = [a for a in b["record"]["pool"] if a not in b["record"]["winners"]]
        b["record"]["winners"] = losers[:len(b["record"]["winners"])]
        ok, check, _reason = draws.verify(b)
        assert not ok and check


def test_a_tampered_log_is_caught(city: City) -> None:
    lottery_id = drawn_lottery(city)
    with city.app.app_context():
        leaf = db.session.scalar(sa.select(LogLeaf).where(LogLeaf.type == "register"))
        leaf.data = bytes(leaf.data).replace(b'"by":"', b'"by":"X')
        db.session.commit()
        status = next(s for s in draws.statuses() if s.lottery_id == lottery_id)
        assert status.ok is False
    page = city.client(city.regulator).get("/regulator/draws?replay=1").get_data(as_text=True)
    assert 'data-test="verify-failed"' in page and "日志重放失败" in page


def test_a_pasted_checkpoint_is_checked_for_consistency(city: City) -> None:
    with timeutil.frozen(START):
        from tests.support.selection_flow import publish as _publish

        _publish(city)
        with city.app.app_context():
            saved = log.latest_checkpoint().note
    lottery_id = drawn_lottery(city)
    assert lottery_id
    r = post(city, city.regulator, "/regulator/draws", {"note": saved})
    html = r.get_data(as_text=True)
    assert 'data-test="consistency-ok"' in html and 'data-test="proof"' in html
    with city.app.app_context():
        key = platform_key()
        size = log.latest_checkpoint().size
        forged = sign_checkpoint(key.private, key.name, key.name, 2, b"\x01" * 32)
        assert size > 2
    r = post(city, city.regulator, "/regulator/draws", {"note": forged})
    assert 'data-test="consistency-fail"' in r.get_data(as_text=True)
    # text that is no checkpoint is a refused form, not a verdict: the reason under the
    # field, in the reader's language (not the offline verifier's English), the text kept
    r = post(city, city.regulator, "/regulator/draws", {"note": "not a checkpoint"})
    assert r.status_code == 400
    _refused_under_the_field(r.get_data(as_text=True), "not a checkpoint")
    unsigned = saved.replace(saved.split("\n\n", 1)[1], "— x AAAA\n")
    r = post(city, city.regulator, "/regulator/draws", {"note": unsigned})
    assert r.status_code == 400
    _refused_under_the_field(r.get_data(as_text=True), unsigned.split("\n")[0])
    tampered = saved.replace(saved.split("\n")[1], str(int(saved.split("\n")[1]) + 1), 1)
    r = post(city, city.regulator, "/regulator/draws", {"note": tampered})
    html = r.get_data(as_text=True)
    assert "检查点的签名无效" in html and "does not verify" not in html


def _refused_under_the_field(html: str, kept: str) -> None:
    assert "consistency-fail" not in html and "consistency-ok" not in html
    assert "a note needs" not in html
    field = html.split('<div class="field has-error">', 1)[1].split("</div>", 1)[0]
    assert 'aria-invalid="true"' in field and 'aria-describedby="note-msg"' in field
    assert '<p class="error" id="note-msg">这不是一份签名检查点' in field
    assert kept in field


def test_fairness_page_on_real_draws(city: City) -> None:
    drawn_lottery(city)
    page = city.client(city.regulator).get("/regulator/fairness").get_data(as_text=True)
    assert "<svg" in page and 'data-test="not-flagged"' in page
    csv = city.client(city.regulator).get("/regulator/fairness?format=csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"

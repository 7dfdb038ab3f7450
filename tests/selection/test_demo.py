"""The demo city's selections: finished lotteries whose bundles verify, a failed request, one
open for sign-up; sealed bids (one sealed, one opened with a tie drawn by lottery),
credit merit, a direct selection, a decline passed to the alternate, an objection upheld and
one rejected; the whole log audits."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from devdata import demo
from lottery.verify import verify_bundle
from market import timeutil
from market.db import db
from market.domain import sealed_bid as sb
from market.selection.award import confirm_by, explanation_due
from market.selection.draw import bundle
from market.selection.models import Award, EntropyEntry, Lottery, Objection, SelectionRequest
from market.selection.procedures.lottery import shortlist_of
from market.transparency.audit import run_audit
from market.transparency.keys import platform_key
from market.transparency.models import LogLeaf


def test_demo_draws_verify(demo_city_app: Flask, tmp_path: Path) -> None:
    app = demo_city_app
    with app.app_context():
        drawn = db.session.scalars(sa.select(Lottery).where(Lottery.record.is_not(None))).all()
        assert len(drawn) >= 7
        key = platform_key().public_raw
        for lottery in drawn:
            result = verify_bundle(bundle(lottery), key)
            assert result.winners == lottery.record["winners"]
        states = set(db.session.scalars(sa.select(SelectionRequest.state)))
        assert {"selected", "failed", "open"} <= states
        methods = set(db.session.scalars(sa.select(SelectionRequest.method)))
        assert methods == {"lottery", "sealed_bid", "credit_merit", "direct", "proposals"}
        # the proposal selection was opened, scored by its panel and confirmed
        chosen = db.session.scalar(sa.select(SelectionRequest).where(
            SelectionRequest.method == "proposals"))
        assert chosen.opened_at is not None and chosen.state == "selected"
        assert db.session.scalar(sa.select(Award.state).where(
            Award.request_id == chosen.id)) == "confirmed"
        assert {o.state for o in db.session.scalars(sa.select(Objection))} == {"upheld", "rejected"}
        declined = db.session.scalar(sa.select(Award).where(Award.state == "declined"))
        decline_lottery = declined.lottery_id
        assert db.session.scalar(sa.select(sa.func.count(Award.id)).where(
            Award.lottery_id == decline_lottery, Award.state == "confirmed")) == 1
        replaced = db.session.scalar(sa.select(Lottery).where(Lottery.replaces.is_not(None)))
        assert replaced.state == "drawn"
        sealed = db.session.scalars(sa.select(SelectionRequest).where(
            SelectionRequest.method == "sealed_bid").order_by(SelectionRequest.id)).all()
        # opened with a tie; in discount rates, opened, its abnormally low winner to explain;
        # still sealed
        assert [r.opened_at is not None for r in sealed] == [True, True, False]
        assert [r.quote_kind for r in sealed] == ["amount", "rate", "amount"]
        rated = db.session.scalar(sa.select(Award).where(Award.request_id == sealed[1].id))
        assert rated.state == "offered" and explanation_due(rated)
        pub_key = platform_key().public_b64
        assert run_audit().ok
    client = app.test_client()
    for lottery_id in (lt.lottery_id for lt in drawn):
        assert client.get(f"/lotteries/{lottery_id}/bundle.json").status_code == 200
    # The opened demo quotes recompute to their commitments; the sealed one shows none.
    opened = client.get(f"/api/requests/{sealed[0].public_id}").get_json()
    assert len(opened["bids"]) == 4 and opened["winner"]
    for b in opened["bids"]:
        assert sb.opens(b["commitment"], opened["id"], b["agency_id"], b["amount_fen"], b["nonce"])
    amounts = sorted(b["amount_fen"] for b in opened["bids"])
    assert amounts[0] == amounts[1]  # the tie, drawn by lottery
    assert client.get(f"/api/requests/{sealed[2].public_id}").get_json()["bids"] is None
    # The demo lottery with a decline verifies with the command-line verifier.
    path = tmp_path / "decline.json"
    path.write_bytes(client.get(f"/lotteries/{decline_lottery}/bundle.json").get_data())
    out = subprocess.run([sys.executable, "-m", "lottery", "verify", str(path),
                          "--pubkey", pub_key], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "declines=1" in out.stdout.splitlines()[0]


@pytest.mark.parametrize("loaded", [
    datetime(2026, 12, 7, 1, 30, tzinfo=UTC),   # a Monday morning in 云川市
    datetime(2027, 3, 13, 15, 0, tzinfo=UTC),  # a Saturday night
])
def test_the_demo_is_alive_on_the_day_it_is_loaded(app: Flask, loaded: datetime) -> None:
    """Generated from the day it is loaded: nothing is overdue the moment a newcomer looks
    (a tick then changes no award), the last draw happened within the past day and its winner
    may still confirm, one lottery waits for its witnesses, one request is open for sign-up."""
    with app.app_context(), timeutil.frozen(loaded):
        demo.load()
        db.session.commit()
        out = app.test_cli_runner().invoke(args=["selection", "tick"])
        assert out.exit_code == 0, out.output
        db.session.expire_all()
        assert db.session.scalar(sa.select(sa.func.count(Award.id)).where(
            Award.state == "timed_out")) == 0
        offered = db.session.scalars(sa.select(Award).where(Award.state == "offered")).all()
        assert offered and all(confirm_by(a) > loaded for a in offered)
        last = max(lt.drawn_at for lt in db.session.scalars(
            sa.select(Lottery).where(Lottery.state == "drawn")))
        assert loaded - timedelta(days=1, hours=2) < last < loaded
        waiting = db.session.scalars(sa.select(Lottery).where(Lottery.state == "frozen")).all()
        assert len(waiting) == 1 and waiting[0].external_at > loaded
        assert not db.session.scalar(sa.select(sa.func.count(EntropyEntry.id)).where(
            EntropyEntry.lottery_pk == waiting[0].id))
        assert db.session.scalar(sa.select(sa.func.count(SelectionRequest.id)).where(
            SelectionRequest.state == "open", SelectionRequest.method == "lottery",
            SelectionRequest.signup_closes_at > loaded)) >= 1
        # The engagements the demo's awards opened are not left past their signing limit.
        from market.engagements.models import Engagement
        from market.engagements.operations import sync_from_awards

        sync_from_awards()  # what the first page view or clocks tick would make
        today = loaded.astimezone(timeutil.SHANGHAI).date()
        assert not db.session.scalars(sa.select(Engagement.public_id).where(
            Engagement.state == "signing", Engagement.signing_due < today)).all()
        # Every draw log entry carries the time its step happened, in order, none after now.
        times = list(db.session.scalars(sa.select(LogLeaf.at).order_by(LogLeaf.seq)))
        assert times == sorted(times) and times[-1] <= loaded
        assert run_audit().ok


def _notice_links(client: object) -> list[str]:
    """Every notice a visitor reaches from the notices list, page after page."""
    found: list[str] = []
    page = 1
    while True:
        html = client.get(f"/notices?page={page}").get_data(as_text=True)  # type: ignore[attr-defined]
        links = re.findall(r'href="/notices/(RQ-\d+)"', html)
        found += [x for x in links if x not in found]
        if f'page={page + 1}' not in html:
            return found
        page += 1


def test_a_visitor_opens_a_request_of_each_method_past_its_opening(demo_city_app: Flask) -> None:
    """From the notices list a visitor opens, for every method, a request already drawn,
    opened or selected, and sees what that method publishes: the draw; the credit merit's long
    list, drawn short list and the owner still to choose; the discount rates with the
    abnormally low one marked; the panel's scores; the directly named agency."""
    app = demo_city_app
    with app.app_context():
        rows = db.session.scalars(sa.select(SelectionRequest).where(
            SelectionRequest.state != "draft")).all()
        by_method = {m: [r.public_id for r in rows if r.method == m and (
            r.opened_at is not None or r.state in ("selected", "closed"))]
            for m in ("lottery", "credit_merit", "sealed_bid", "proposals", "direct")}
        waiting = [r for r in rows if r.method == "credit_merit" and r.state == "closed"]
        assert len(waiting) == 1
        shortlist = shortlist_of(waiting[0])
        assert shortlist is not None and len(shortlist.shortlist) == 3
        assert shortlist.choices == shortlist.shortlist and shortlist.long_count >= 3
        rated = db.session.scalar(sa.select(SelectionRequest).where(
            SelectionRequest.quote_kind == "rate"))
        waiting_id, rated_id = waiting[0].public_id, rated.public_id
    assert all(by_method.values()), by_method
    client = app.test_client()
    reachable = _notice_links(client)
    for method, ids in by_method.items():
        assert set(ids) & set(reachable), (method, ids)
    pages = {public_id: client.get(f"/notices/{public_id}").get_data(as_text=True)
             for ids in by_method.values() for public_id in ids}
    for method, ids in by_method.items():  # a result on the notice: the award, or the short list
        assert any('data-test="awarded"' in pages[i] or 'data-test="shortlist-drawn"' in pages[i]
                   for i in ids if i in reachable), method
    html = pages[waiting_id]
    assert 'data-test="long-list"' in html and 'data-test="shortlist-drawn"' in html
    assert 'data-test="awaiting-choice"' in html and 'data-test="awarded"' not in html
    assert "报名截止，待摇号或业主选定" in html
    html = pages[rated_id]
    assert html.count('data-test="bid-rate"') == 4 and "35.00%" in html
    assert html.count('data-test="bid-low"') == 1
    assert any('data-test="score-results"' in pages[i] for i in by_method["proposals"])


def test_the_owner_of_a_sealed_round_sees_how_many_quotes_not_an_empty_sign_up_list(
        demo_city_app: Flask) -> None:
    """Agencies do not sign up for 密封报价 or 方案择优, they submit a sealed quote or proposal:
    the owner's page counts those (as the notice does) instead of saying nobody signed up."""
    from market.accounts.models import Membership, Role, User
    from market.selection.models import Bid
    from tests.conftest import login

    app = demo_city_app
    with app.app_context():
        rows = [(r.public_id, r.method, db.session.scalar(sa.select(sa.func.count(Bid.id)).where(
                    Bid.request_id == r.id, Bid.round == r.bid_round,
                    Bid.replaced_at.is_(None))),
                 db.session.scalars(sa.select(User.email).join(Membership).where(
                     Membership.organisation_id == r.owner_org_id,
                     Membership.role == Role.OWNER_ADMIN.value)).one())
                for r in db.session.scalars(sa.select(SelectionRequest).where(
                    SelectionRequest.method.in_(("sealed_bid", "proposals")),
                    SelectionRequest.state != "draft"))]
    assert {m for _p, m, n, _e in rows if n} == {"sealed_bid", "proposals"}
    for public_id, method, count, email in rows:
        client = app.test_client()
        assert login(client, email, demo.DEMO_PASSWORD).status_code == 302
        html = client.get(f"/owner/requests/{public_id}").get_data(as_text=True)
        assert "暂无报名" not in html, public_id
        shown = re.search(r'data-test="sealed-count">(\d+)', html)
        assert shown is not None and int(shown.group(1)) == count, (public_id, method)


CARD = re.compile(r'data-test="request-(RQ-[\w-]+)">(.*?)</article>', re.S)


def test_the_open_requests_page_shows_each_agencys_standing_read_at_once(
        demo_city_app: Flask) -> None:
    """可报名的采购公告, for agencies with and without sign-ups and quotes: each card shows
    the reasons, sign-up and sealed quote that the one-request functions give; the agency's
    sign-ups and quotes are read in one statement each, its facts once per tenant."""
    from market.accounts.models import Membership, User
    from market.selection.eligibility import REASON_TEXT, reasons
    from market.selection.models import SignUp
    from market.selection.quotes import my_bid
    from tests.conftest import login
    from tests.support.page_cache import statements

    app = demo_city_app
    seen_signed = seen_quoted = False
    for n in (1, 2, 3, 5, 8):
        email = f"agency{n}@yunchuan.demo"
        client = app.test_client()
        assert login(client, email, demo.DEMO_PASSWORD).status_code == 302
        client.get("/agency/requests")  # time's transitions done by a first view
        with statements(app) as sql:
            page = client.get("/agency/requests").get_data(as_text=True)
        cards = CARD.findall(page)
        assert cards, email
        with app.app_context():
            org = db.session.scalar(sa.select(Membership).join(User).where(
                User.email == email)).organisation
            tenants = set()
            for public_id, card in cards:
                req = db.session.scalar(sa.select(SelectionRequest).where(
                    SelectionRequest.public_id == public_id))
                tenants.add(req.tenant_id)
                assert re.findall(r"<li>(.*?)</li>", card) == [
                    REASON_TEXT[r] for r in reasons(org, req, timeutil.today_local())], public_id
                bid = my_bid(req, org)
                assert (bid is not None) == ("承诺值" in card), public_id
                assert bid is None or bid.commitment[:16] in card
                signup = db.session.scalar(sa.select(SignUp).where(
                    SignUp.request_id == req.id, SignUp.agency_org_id == org.id)
                    .order_by(SignUp.id.desc()))
                if req.method == "lottery":
                    assert (signup is not None and signup.active) == ("已报名" in card), public_id
                seen_signed |= signup is not None
                seen_quoted |= bid is not None
        mine = [s for s in sql if re.search(r"(signup|bid)\.agency_org_id = ", s)]
        assert len(mine) == 2, (email, mine)
        assert sum("FROM qualification" in s for s in sql) == len(tenants), email
    assert seen_signed and seen_quoted


def test_participants_read_at_once_are_those_read_one_by_one(demo_city_app: Flask) -> None:
    """Over every request of the demo (sign-ups, withdrawals and quotes of every method)."""
    from market.selection.eligibility import participants, participants_many

    with demo_city_app.app_context():
        requests = list(db.session.scalars(sa.select(SelectionRequest)))
        at_once = participants_many(requests)
        assert at_once == {r.id: participants(r) for r in requests}
        assert sum(1 for p in at_once.values() if p) >= 10


def _selection_state(app: Flask) -> dict[str, object]:
    with app.app_context():
        return {
            "requests": db.session.execute(sa.select(
                SelectionRequest.public_id, SelectionRequest.state).order_by(
                SelectionRequest.id)).all(),
            "lotteries": db.session.execute(sa.select(
                Lottery.request_id, Lottery.state).order_by(Lottery.id)).all(),
            "awards": db.session.execute(sa.select(
                Award.request_id, Award.agency_org_id, Award.state).order_by(Award.id)).all(),
            "log": db.session.scalar(sa.select(sa.func.count(LogLeaf.seq))),
        }


@pytest.mark.parametrize("hours", [26, 240])
def test_a_list_advanced_at_once_ends_as_each_advanced(tmp_path: Path, hours: int) -> None:
    """Two copies of the demo city, a day and ten days on (draws whose witnesses were late,
    closes, confirmation timeouts): ``advance_many`` over every request leaves the same
    requests, lotteries, awards and log as ``advance`` of each."""
    from market.selection.procedures import advance, advance_many
    from tests.support import demo_data

    one, many = demo_data.demo_app(tmp_path / "one"), demo_data.demo_app(tmp_path / "many")
    before = _selection_state(one)
    with timeutil.frozen(timeutil.now() + timedelta(hours=hours)):
        for app, step in ((one, "each"), (many, "list")):
            with app.test_request_context():
                requests = list(db.session.scalars(sa.select(SelectionRequest).order_by(
                    SelectionRequest.id)))
                if step == "each":
                    for request in requests:
                        advance(request)
                else:
                    advance_many(requests)
                db.session.commit()
    after = _selection_state(one)
    assert after != before
    assert _selection_state(many) == after

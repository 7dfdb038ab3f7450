"""A long avoid list goes to a regulator first (回避名单审核): a draft avoiding more agencies than
the setting is refused at publication and stays a draft; the owner submits the list (once); the
regulators are told; a refusal needs its reason, next to the field, and reaches the owner; an
approved list publishes; a list changed after approval needs a new review; another owner's
draft cannot be submitted."""

from __future__ import annotations

import sqlalchemy as sa

from market import timeutil
from market.accounts.audit import AuditEvent
from market.accounts.models import Role
from market.db import db
from market.notify.models import Notification
from market.selection.models import AvoidReview, SelectionRequest
from tests.conftest import create_person, csrf_token, login
from tests.selection.conftest import START, City
from tests.support.selection_flow import project, request_form

REVIEWS = "/regulator/avoid-reviews"


def _avoid(city: City, *who: int) -> str:
    return "\n".join(f"{city.agency_id(city.agencies[i])} 与设计单位同一集团" for i in who)


def _draft(city: City, avoid: str) -> str:
    c = city.client(city.owner)
    data = request_form(city, project(city), avoid=avoid)
    data["csrf_token"] = csrf_token(c, "/owner/requests/new")
    r = c.post("/owner/requests/new", data=data)
    assert r.status_code == 302, r.get_data(as_text=True)[-2000:]
    return r.headers["Location"].rsplit("/", 1)[1]


def _publish(city: City, rid: str) -> str:
    c = city.client(city.owner)
    r = c.post(f"/owner/requests/{rid}/publish",
               data={"csrf_token": csrf_token(c, f"/owner/requests/{rid}")}, follow_redirects=True)
    return r.get_data(as_text=True)


def _state(city: City, rid: str) -> str:
    with city.app.app_context():
        return str(db.session.scalar(sa.select(SelectionRequest.state).where(
            SelectionRequest.public_id == rid)))


def _submit(city: City, rid: str) -> str:
    c = city.client(city.owner)
    return c.post(f"/owner/requests/{rid}/avoid-review",
                  data={"csrf_token": csrf_token(c, f"/owner/requests/{rid}")},
                  follow_redirects=True).get_data(as_text=True)


def _decide(city: City, decision: str, note: str = "") -> object:
    with city.app.app_context():
        review_id = db.session.scalar(sa.select(AvoidReview.id).where(
            AvoidReview.state == "pending"))
    c = city.client(city.regulator)
    return c.post(f"{REVIEWS}/{review_id}", data={
        "decision": decision, "note": note, "csrf_token": csrf_token(c, REVIEWS)})


def test_a_long_avoid_list_is_published_only_once_approved(city: City) -> None:
    with timeutil.frozen(START):
        rid = _draft(city, _avoid(city, 1, 2, 3, 4))
        assert "须经监管部门审核同意后才能发布" in _publish(city, rid)
        assert _state(city, rid) == "draft"
        assert "回避名单已提交监管部门审核" in _submit(city, rid)
        assert "这份回避名单已提交审核。" in _submit(city, rid)  # once
        with city.app.app_context():
            told = db.session.scalars(sa.select(Notification.organisation_id).where(
                Notification.state == "avoid-review")).all()
        assert told == [city.regulator.org_id]
        page = city.client(city.regulator).get(REVIEWS).get_data(as_text=True)
        assert rid in page and "与设计单位同一集团" in page
        r = _decide(city, "refuse")  # no reason: refused next to the field, still pending
        assert r.status_code == 400 and "不同意时请写明理由" in r.get_data(as_text=True)
        assert _decide(city, "refuse", "回避理由不成立，四家机构与设计单位并无关系").status_code == 302
        owner_page = city.client(city.owner).get(f"/owner/requests/{rid}").get_data(as_text=True)
        assert "回避理由不成立" in owner_page
        assert "须经监管部门审核同意后才能发布" in _publish(city, rid)
        assert "回避名单已提交监管部门审核" in _submit(city, rid)  # again, after the refusal
        assert _decide(city, "approve").status_code == 302
        _publish(city, rid)
        assert _state(city, rid) == "open"
    with city.app.app_context():
        tags = db.session.scalars(sa.select(AuditEvent.tag).where(
            AuditEvent.tag.like("%avoid-review%")).order_by(AuditEvent.id)).all()
        owner_told = db.session.scalar(sa.select(sa.func.count()).select_from(Notification)
                                       .where(Notification.organisation_id == city.owner.org_id,
                                              Notification.state == "avoid-review"))
    assert tags == ["owner:avoid-review:submit", "regulator:avoid-review:refused",
                    "owner:avoid-review:submit", "regulator:avoid-review:approved"]
    assert owner_told == 2


def test_a_list_changed_after_approval_needs_a_new_review(city: City) -> None:
    with timeutil.frozen(START):
        rid = _draft(city, _avoid(city, 1, 2, 3, 4))
        _submit(city, rid)
        assert _decide(city, "approve").status_code == 302
        c = city.client(city.owner)
        data = request_form(city, project(city), avoid=_avoid(city, 0, 2, 3, 4))
        data["csrf_token"] = csrf_token(c, f"/owner/requests/{rid}/edit")
        assert c.post(f"/owner/requests/{rid}/edit", data=data).status_code == 302
        assert "须经监管部门审核同意后才能发布" in _publish(city, rid)
        assert _state(city, rid) == "draft"


def test_a_short_list_needs_no_review_and_another_owner_cannot_submit(city: City) -> None:
    with timeutil.frozen(START):
        rid = _draft(city, _avoid(city, 1, 2, 3))
        assert "无须审核" in _submit(city, rid)
        stranger = create_person(city.app, Role.OWNER_ADMIN)
        c = city.app.test_client()
        assert login(c, stranger.email).status_code == 302
        r = c.post(f"/owner/requests/{rid}/avoid-review",
                   data={"csrf_token": csrf_token(c, "/dashboard")})
        assert r.status_code == 404
        _publish(city, rid)
        assert _state(city, rid) == "open"
    with city.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AvoidReview)) == 0


def test_each_pending_review_has_its_own_field_ids(city: City) -> None:
    """Two lists waiting: no id repeats on the page, every label points to an input of its
    own review's form, and a refusal shows under that review's field only."""
    import re

    with timeutil.frozen(START):
        for who in ((1, 2, 3, 4), (0, 2, 3, 4)):
            rid = _draft(city, _avoid(city, *who))
            assert "回避名单已提交监管部门审核" in _submit(city, rid)
        with city.app.app_context():
            reviews = db.session.scalars(sa.select(AvoidReview.id).order_by(AvoidReview.id)).all()
        assert len(reviews) == 2
        c = city.client(city.regulator)
        page = c.get(REVIEWS).get_data(as_text=True)
        ids = re.findall(r'\sid="([^"]+)"', page)
        for review in reviews:
            form = page.split(f'data-test="avoid-decision-{review}"')[1].split("</form>")[0]
            mine = re.findall(r'\sid="([^"]+)"', form)
            assert mine and all(ids.count(i) == 1 for i in mine), (review, mine)
            targets = re.findall(r'\sfor="([^"]+)"', form)
            assert targets and all(f'id="{t}"' in form for t in targets), targets
            assert f'id="review-{review}-note"' in form
        refused = c.post(f"{REVIEWS}/{reviews[1]}", data={
            "decision": "refuse", "note": "", "csrf_token": csrf_token(c, REVIEWS)})
        assert refused.status_code == 400
        html = refused.get_data(as_text=True)
        first, second = (html.split(f'data-test="avoid-decision-{r}"')[1].split("</form>")[0]
                         for r in reviews)
        assert "不同意时请写明理由" not in first
        assert f'<p class="error" id="review-{reviews[1]}-note-msg">' in second
        assert re.search(rf'aria-describedby="review-{reviews[1]}-note-msg"[^>]*'
                         r'aria-invalid="true"|aria-invalid="true"[^>]*aria-describedby='
                         rf'"review-{reviews[1]}-note-msg"', second)

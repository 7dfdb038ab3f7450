"""The demo city's engagements and cases: every clock colour, and a project whose time went
mostly to intermediaries."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask

from market import timeutil
from market.approvals.models import ApprovalCase, CaseEvent, Suspension
from market.approvals.timeline import project_split
from market.catalogue.models import ApprovalMatter, approval_matter_service_type
from market.clocks import store as clocks
from market.clocks.board import open_clocks
from market.db import db
from market.engagements.models import Engagement
from market.engagements.operations import clock_of, lapse_unsigned
from market.selection.models import Project
from tests.conftest import login
from tests.support.page_cache import statements


def test_demo_shows_every_colour_and_intermediary_dominates(demo_city_app: Flask) -> None:
    app = demo_city_app
    with app.app_context():
        states = {r.view.state for r in open_clocks(None, None)}
        assert {"normal", "warning", "overdue", "paused"} <= states
        assert {"accepted", "in_service", "in_review", "signing"} <= set(
            db.session.scalars(sa.select(Engagement.state)))
        project = db.session.scalar(sa.select(Project).where(
            Project.name == "东城区滨河学校新建工程"))
        split = project_split(project.id, timeutil.now())
        assert split.intermediary * 2 > split.total
        assert split.total == clocks.calendar().working_days_between(split.start, split.end)
        assert split.days["special_intermediary"] > 0 and split.days["approval"] > 0
        for eng in db.session.scalars(sa.select(Engagement)):
            for clock in db.session.scalars(sa.select(clocks.Clock).where(
                    clocks.Clock.engagement_id == eng.id)):
                assert clocks.view(clock) == clocks.replay(clock)
    _cases_follow_the_law(app)
    regulator = app.test_client()
    assert login(regulator, "regulator1@yunchuan.demo", "yunchuan-demo-2026").status_code == 302
    html = regulator.get("/dashboard").get_data(as_text=True)
    for state in ("overdue", "warning", "normal", "paused"):
        assert f"clock-{state}" in html
    assert regulator.get("/regulator/overdue").status_code == 200
    owner = app.test_client()
    assert login(owner, "owner1@yunchuan.demo", "yunchuan-demo-2026").status_code == 302
    page = owner.get(f"/projects/{project.public_id}/timeline").get_data(as_text=True)
    assert "<svg" in page


def _cases_follow_the_law(app: Flask) -> None:
    """Every demo case is the department's record (a case number, every event sent by a
    machine client, none by a person); each accepted case had its acceptance conditions'
    reports accepted before 受理; one special procedure is performed by an engagement; the
    matters' statutory limits are the law's."""
    with app.app_context():
        cases = db.session.scalars(sa.select(ApprovalCase)).all()
        assert cases and all(c.case_no for c in cases)
        events = db.session.scalars(sa.select(CaseEvent)).all()
        assert events and all(e.client_id and e.user_id is None for e in events)
        for case in cases:
            if case.accepted_at is None:
                continue
            assert case.acceptance == "complete"
            needed = db.session.scalars(sa.select(
                approval_matter_service_type.c.service_type_id).where(
                approval_matter_service_type.c.approval_matter_id == case.matter_id,
                approval_matter_service_type.c.need == "precondition")).all()
            for st in needed:
                accepted = db.session.scalars(sa.select(Engagement.accepted_at).where(
                    Engagement.project_id == case.project_id,
                    Engagement.service_type_id == st)).all()
                assert any(a is not None and a <= case.accepted_at for a in accepted), case
        [linked] = db.session.scalars(sa.select(Suspension).where(
            Suspension.engagement_id.is_not(None))).all()
        assert linked.reason == "appraisal" and "第四十五条" in linked.notice
        assert linked.engagement.service_type.code in {
            st.code for st in linked.case.matter.service_types}
        limits = {m.code: (m.statutory_days, m.committed_days)
                  for m in db.session.scalars(sa.select(ApprovalMatter))}
        # 环境影响评价法 第二十二条; 建筑法 第八条 (2019); 行政许可法 第四十二条 otherwise
        assert limits["PA-EIA"][0] == 60 and limits["PA-EIA-T"][0] == 30
        assert limits["PA-BLD"][0] == 7
        assert all(limits[c][0] == 20 for c in ("PA-FSR", "PA-LAND", "PA-SWC"))
        assert all(committed <= statutory for statutory, committed in limits.values())


def test_no_demo_engagement_sits_past_its_signing_limit(demo_city_app: Flask) -> None:
    """Every demo contract still waiting is inside its signing limit, so the periodic run
    passes no award on when someone first runs the demo (a contract not signed in time
    counts as a decline)."""
    with demo_city_app.app_context():
        today = timeutil.today_local()
        waiting = db.session.scalars(sa.select(Engagement).where(
            Engagement.state == "signing")).all()
        assert waiting and all(e.signing_due >= today for e in waiting)
        assert lapse_unsigned() == 0
        db.session.rollback()


LIST_ROW = re.compile(r'data-test="engagement-(EG-[\w-]+)"(.*?)</tr>', re.S)


def test_the_engagement_list_shows_each_rows_clock_read_at_once(demo_city_app: Flask) -> None:
    """Each row of 委托 shows its engagement's newest service clock, else its signing clock,
    as the clock functions compute it one engagement at a time; the page reads all the rows'
    clocks in one statement and their projects and agencies with the rows."""
    app = demo_city_app
    for email in ("owner1@yunchuan.demo", "agency1@yunchuan.demo", "regulator1@yunchuan.demo"):
        client = app.test_client()
        assert login(client, email, "yunchuan-demo-2026").status_code == 302
        client.get("/engagements/")  # a first view does the lazy work (sync from awards)
        with statements(app) as seen:
            page = client.get("/engagements/").get_data(as_text=True)
        rows = LIST_ROW.findall(page)
        assert rows, email
        with app.app_context():
            for public_id, cells in rows:
                eng = db.session.scalar(sa.select(Engagement).where(
                    Engagement.public_id == public_id))
                assert eng is not None and eng.project.name in cells
                clock = (clock_of(eng, clocks.ClockKind.SERVICE)
                         or clock_of(eng, clocks.ClockKind.SIGNING))
                view = clocks.view(clock) if clock else None
                assert re.findall(r'data-state="(\w+)"', cells) == (
                    [view.state] if view else []), public_id
                due = (view.due_date.isoformat() if view and view.due_date
                       and view.state != "stopped" else None)
                assert re.findall(r"到期 (\d{4}-\d{2}-\d{2})", cells) == (
                    [due] if due else []), public_id
        tables = [re.findall(r"FROM (\w+)", s) for s in seen]
        assert sum("clock" in t for t in tables) == 1, email
        assert not any(t[:1] in (["project"], ["organisation"]) for t in tables), email

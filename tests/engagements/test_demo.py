"""The demo city's engagements and cases: every clock colour, and a project whose time went
mostly to intermediaries."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from devdata import demo
from market import timeutil
from market.approvals.models import ApprovalCase, CaseEvent
from market.approvals.timeline import project_split
from market.clocks import store as clocks
from market.clocks.board import open_clocks
from market.db import db
from market.engagements.models import Engagement
from market.selection.models import Project
from tests.conftest import login


def test_demo_shows_every_colour_and_intermediary_dominates(app: Flask) -> None:
    with app.app_context():
        demo.load()
        db.session.commit()
        states = {r.view.state for r in open_clocks(None, None)}
        assert {"normal", "warning", "overdue", "paused"} <= states
        assert {"accepted", "in_service", "in_review", "signing"} <= set(
            db.session.scalars(sa.select(Engagement.state)))
        project = db.session.scalar(sa.select(Project).where(
            Project.name == "东城区滨河学校新建工程"))
        # The intermediary share of this project's time is made before 受理 now (its reports
        # are acceptance conditions): the timeline's tests measure it.  No case waits
        # suspended without a special procedure its department opened.
        split = project_split(project.id, timeutil.now())
        assert split.total > 0
        assert db.session.scalar(sa.select(sa.func.count(ApprovalCase.id)).where(
            ApprovalCase.state == "suspended")) == db.session.scalar(sa.select(
                sa.func.count(CaseEvent.id)).where(CaseEvent.type == "special_procedure_started"))
        for eng in db.session.scalars(sa.select(Engagement)):
            for clock in db.session.scalars(sa.select(clocks.Clock).where(
                    clocks.Clock.engagement_id == eng.id)):
                assert clocks.view(clock) == clocks.replay(clock)
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

"""The demo city's engagements and cases: every clock colour, and a project whose time went
mostly to intermediaries."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from market import timeutil
from market.approvals.timeline import project_split
from market.clocks import store as clocks
from market.clocks.board import open_clocks
from market.db import db
from market.engagements.models import Engagement
from market.selection.models import Project
from tests.conftest import login


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

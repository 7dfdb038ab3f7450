"""The pull's timeline (``timeline_days``, ``timeline_span``) is computed from the rows the
pull has read, a table at a time.  On the demo city, at several moments of its life, the
pull's whole answer is the same as with the timeline's records read the plain way, one case,
one clock and one engagement at a time (as the timeline used to read them), and the city's
split is the sum of the projects' splits computed that way."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from market import timeutil
from market.approvals import timeline
from market.approvals.models import ApprovalCase, CaseEvent, Suspension
from market.clocks import store as clocks
from market.clocks.models import Clock
from market.db import db
from market.engagements.models import Engagement
from market.integration import pull
from market.selection.models import Project, SelectionRequest


def _rows_one_by_one(project_id: int) -> timeline.ProjectRows:
    cases = list(db.session.scalars(sa.select(ApprovalCase).where(
        ApprovalCase.project_id == project_id).order_by(ApprovalCase.id)))
    engagements = list(db.session.scalars(sa.select(Engagement).where(
        Engagement.project_id == project_id).order_by(Engagement.id)))
    events, suspensions, clock_rows = {}, {}, {}
    for case in cases:
        events[case.id] = [(t, at) for t, at in db.session.execute(
            sa.select(CaseEvent.type, CaseEvent.at).where(CaseEvent.case_id == case.id)
            .order_by(CaseEvent.id))]
        suspensions[case.id] = list(db.session.scalars(sa.select(Suspension).where(
            Suspension.case_id == case.id).order_by(Suspension.id)))
        if case.clock_id is not None:
            clock_rows[case.clock_id] = db.session.get(Clock, case.clock_id)
    for eng in engagements:
        for clock in db.session.scalars(sa.select(Clock).where(
                Clock.engagement_id == eng.id, Clock.kind.in_(("signing", "service")))):
            clock_rows[clock.id] = clock
    logs = {i: [e.event() for e in clocks.entries(c)] for i, c in clock_rows.items()}
    requests = list(db.session.scalars(sa.select(SelectionRequest).where(
        SelectionRequest.project_id == project_id).order_by(SelectionRequest.id)))
    return timeline.ProjectRows(cases=cases, events=events, suspensions=suspensions,
                                clocks=clock_rows, logs=logs, engagements=engagements,
                                requests=requests)


def _split_key(split: timeline.Split) -> Any:
    return (split.days, split.runs, split.start, split.end, dict(split.by_agency),
            dict(split.by_service))


@pytest.mark.parametrize("days", [-120, -30, 0, 40])
def test_the_pull_answers_as_with_the_records_read_one_by_one(
        demo_city_app: Flask, monkeypatch: pytest.MonkeyPatch, days: int) -> None:
    at = timeutil.now() + timedelta(days=days)
    split = timeline.project_split
    plain: dict[int, timeline.Split] = {}

    def one_by_one(project_id: int, now: datetime, *args: Any, **kwargs: Any) -> Any:
        plain[project_id] = split(project_id, now, rows=_rows_one_by_one(project_id))
        return plain[project_id]

    compared = 0
    with demo_city_app.app_context(), timeutil.frozen(at):
        projects = list(db.session.scalars(sa.select(Project).order_by(Project.id)))
        city = timeline.city_split(at)
        for project in projects:
            fast = json.dumps(pull.project_data(project), ensure_ascii=False, sort_keys=True)
            assert _split_key(timeline.project_split(project.id, at)) == _split_key(
                split(project.id, at, rows=_rows_one_by_one(project.id)))
            with monkeypatch.context() as m:
                m.setattr(pull, "project_split", one_by_one)
                slow = json.dumps(pull.project_data(project), ensure_ascii=False,
                                  sort_keys=True)
            assert fast == slow, project.code
            compared += bool(json.loads(fast)["timeline_span"]["total_days"])
        total = timeline.Split()
        for project_id in db.session.scalars(sa.select(ApprovalCase.project_id).distinct()):
            total.add(plain[project_id])
        assert city.days == total.days and dict(city.by_agency) == dict(total.by_agency)
    assert compared  # some of the demo city's projects have a span at this moment

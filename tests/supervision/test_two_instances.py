"""The periodic command on two app instances: ``flask clocks tick`` run as separate processes
of two instances sharing one PostgreSQL (each with its own instance folder), both at once and
then both again, raises each step of a late service's ladder once — one 督办, one audit event
per step — and e-mails each person told once per step through a real SMTP server on loopback."""

from __future__ import annotations

import email
import email.policy
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from market import timeutil
from market.accounts.audit import AuditEvent
from market.db import db
from market.supervision.models import EscalationStep, SupervisionOrder
from tests.engagements.conftest import PDF, engagement_id_of, make_award, post
from tests.selection.conftest import build_city
from tests.support import instances as inst
from tests.support.mail import Inbox

pytestmark = pytest.mark.postgres


def _monday_weeks_ago(weeks: int) -> datetime:
    # The subprocesses read the real clock: the service was due weeks before it, far past the
    # red card's threshold.  09:00 Beijing on a Monday.
    today = datetime.now(UTC).date()
    monday = today - timedelta(days=today.weekday() + 7 * weeks)
    return datetime(monday.year, monday.month, monday.day, 1, 0, tzinfo=UTC)


def test_two_instances_raise_each_step_once(pg_app: Flask, pg_url: str, tmp_path: Path,
                                            smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    app = pg_app
    city = build_city(app)
    start = _monday_weeks_ago(6)
    award_id = make_award(app, city, service_days=3, at=start)
    owner, agency = city.client(city.owner), city.client(city.agencies[0])
    with timeutil.frozen(start):
        eid = engagement_id_of(app, award_id)
        assert post(agency, f"/engagements/{eid}/contract", file=(PDF, "c.pdf")).status_code == 302
        assert post(owner, f"/engagements/{eid}/contract/confirm").status_code == 302
    envs = [inst.environment(pg_url, Path(app.config["UPLOAD_DIR"]), tmp_path / f"instance-{n}",
                             MARKET_ENV="production", MARKET_SMTP_HOST="127.0.0.1",
                             MARKET_SMTP_PORT=str(port)) for n in "ab"]
    outputs = []
    for _round in range(2):
        procs = [inst.start_flask(env, "clocks", "tick") for env in envs]
        for p in procs:
            out, err = p.communicate(timeout=180)
            assert p.returncode == 0, out + err
            outputs.append(out)
    with app.app_context():
        steps = db.session.scalars(sa.select(EscalationStep).where(
            EscalationStep.subject_id == eid).order_by(EscalationStep.id)).all()
        assert [s.step for s in steps] == ["warning", "yellow", "red"]
        assert db.session.scalar(sa.select(sa.func.count(SupervisionOrder.id))) == 1
        tags = db.session.scalars(sa.select(AuditEvent.tag).where(
            AuditEvent.target == eid, AuditEvent.tag.like("supervision:%"))).all()
        assert Counter(tags) == Counter({"supervision:warning": 1, "supervision:yellow": 1,
                                         "supervision:red": 1})
    raised = sum(int(out.rsplit("escalation steps", 1)[1].split()[0]) for out in outputs)
    assert raised == 3, outputs  # the four runs between them, whichever won
    words = {"warning": "预警提醒", "yellow": "黄牌督办", "red": "红牌"}
    sent: Counter[tuple[str, str]] = Counter()
    for envelope in inbox.messages:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        subject = str(message["Subject"])
        for code, word in words.items():
            if f"【{word}】{eid}" in subject:
                for rcpt in envelope.rcpt_tos:
                    sent[(code, rcpt)] += 1
    assert sent and max(sent.values()) == 1, sent
    assert sent[("warning", city.agencies[0].email)] == 1
    assert sent[("yellow", city.regulator.email)] == 1
    assert sent[("red", city.regulator.email)] == 1

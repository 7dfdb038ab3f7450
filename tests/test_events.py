"""Domain events: stable names, serialisable payloads, receivers connected once."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from market import events

AT = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)


def test_every_event_has_one_stable_dotted_name() -> None:
    names = events.names()
    assert len(names) == len(set(names))
    assert all(n == n.lower() and "." in n for n in names)
    assert {"engagement.started", "deliverable.accepted", "case.clock.overdue"} <= set(names)


def test_a_payload_is_json_with_utc_times() -> None:
    e = events.EngagementStarted(at=AT, engagement_id=7, engagement_public_id="EN-000007",
                                 project_code="2026-500116-48-01-123456")
    data = events.payload(e)
    assert json.loads(json.dumps(data)) == {
        "name": "engagement.started", "at": "2026-12-01T02:30:00Z", "engagement_id": 7,
        "engagement_public_id": "EN-000007", "project_code": "2026-500116-48-01-123456"}


def test_a_receiver_connected_twice_hears_each_event_once() -> None:
    heard: list[events.Event] = []

    def receiver(event: events.SanctionIssued) -> None:
        heard.append(event)

    events.connect(events.SanctionIssued, receiver)
    events.connect(events.SanctionIssued, receiver)
    e = events.SanctionIssued(at=AT, sanction_id=1, agency_org_id=2, kind="warning")
    events.send(e)
    assert heard == [e]
    events.send(events.AwardOffered(at=AT, award_id=1, request_id=1, request_public_id="RQ-1",
                                    agency_org_id=2, agency_public_id="AG-2"))
    assert heard == [e]  # other names are not heard

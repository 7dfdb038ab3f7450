"""Domain events: stable names, serialisable payloads, receivers connected once."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import ClassVar

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


@dataclasses.dataclass(frozen=True, kw_only=True)
class Pinged(events.Event):
    """An event of this test alone: the areas' receivers, which create_app connects for the
    whole process, hear none of it."""

    name: ClassVar[str] = "test.pinged"
    n: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class Ponged(Pinged):
    name: ClassVar[str] = "test.ponged"


def test_a_receiver_connected_twice_hears_each_event_once() -> None:
    heard: list[events.Event] = []

    def receiver(event: Pinged) -> None:
        heard.append(event)

    events.connect(Pinged, receiver)
    events.connect(Pinged, receiver)
    e = Pinged(at=AT, n=1)
    events.send(e)
    assert heard == [e]
    events.send(Ponged(at=AT, n=2))
    assert heard == [e]  # other names are not heard, a subclass's included

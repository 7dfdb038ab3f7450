"""What stored clocks do when the working calendar changes (a receiver of ``calendar.changed``,
connected by ``create_app``): their due dates follow the calendar — every tenant's after a
national change, only the tenants under a division after a change of its local days."""

from __future__ import annotations

from market import events
from market.clocks.store import refresh_after_calendar_change


def calendar_changed(event: events.CalendarChanged) -> None:
    changed = ((event.first_changed, event.last_changed)
               if event.first_changed and event.last_changed else None)
    refresh_after_calendar_change(event.previous_revision, changed, event.division_id,
                                  event.previous_local)

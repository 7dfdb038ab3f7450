"""Small helpers shared by the selection views: errors next to fields, parsing form text."""

from __future__ import annotations

from datetime import UTC, datetime

from market.domain.fees import parse_yuan
from market.timeutil import SHANGHAI


def yuan_to_fen(text: str | None) -> int | None:
    return parse_yuan(text or "") if text else None


def local_to_utc(value: datetime | None) -> datetime | None:
    """A date-time typed in Beijing time (naive, from the browser) as an aware UTC time."""
    if value is None:
        return None
    return value.replace(tzinfo=SHANGHAI).astimezone(UTC)


def utc_to_local(value: datetime) -> datetime:
    """For a datetime-local input: Beijing time without a zone."""
    return value.astimezone(SHANGHAI).replace(tzinfo=None)


def parse_avoid(text: str | None) -> list[tuple[str, str]] | None:
    """Lines "AG-000012 理由" → [(id, reason)]; None when a line has no reason."""
    result = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        agency_id, _sep, reason = line.partition(" ")
        result.append((agency_id.strip(), reason.strip()))
    return result

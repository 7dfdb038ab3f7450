"""Small helpers shared by the selection views: errors next to fields, parsing form text."""

from __future__ import annotations

from datetime import UTC, datetime

from market.domain.fees import parse_yuan
from market.domain.text import clean_ascii
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


def parse_counts(text: str | None) -> dict[str, int] | None:
    """Lines "证书类别 人数" → {类别: 人数}; None when a line does not parse."""
    result: dict[str, int] = {}
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        # An IME types a full-width space and digits; "²" passes isdigit() but not int().
        kind, _sep, count = line.replace("\u3000", " ").rpartition(" ")
        count = clean_ascii(count).value
        if not kind.strip() or not (count.isascii() and count.isdigit()):
            return None
        result[kind.strip()] = result.get(kind.strip(), 0) + int(count)
    return result


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

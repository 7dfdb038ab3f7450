"""Qualifications (资质) and practitioners (执业人员): validity by date and masked numbers."""

from __future__ import annotations

from datetime import date


def dates_error(valid_from: date | None, valid_until: date | None) -> str | None:
    """``None`` when the validity period is usable, else a key: ``until_before_from``."""
    if valid_from is not None and valid_until is not None and valid_until < valid_from:
        return "until_before_from"
    return None


def counts_on(valid_from: date | None, valid_until: date | None, day: date) -> bool:
    """Whether a certificate counts on ``day`` (a local date): it counts on its last valid day
    and stops counting the day after expiry."""
    if valid_from is not None and day < valid_from:
        return False
    return valid_until is None or day <= valid_until


def expired_on(valid_until: date | None, day: date) -> bool:
    """Whether a certificate is expired on ``day`` (the day after ``valid_until`` and later)."""
    return valid_until is not None and day > valid_until


def mask_number(number: str) -> str:
    """Show a certificate number partly: the first 3 and last 2 characters for long numbers,
    fewer for short ones, the rest as ``*`` (e.g. ``环评甲字第1234号`` → ``环评甲*****4号``).
    At least half of the characters are always hidden."""
    n = len(number)
    if n <= 2:
        return "*" * n
    shown = max(1, min(5, n // 2))
    tail = shown // 2
    head = shown - tail
    return number[:head] + "*" * (n - shown) + (number[n - tail:] if tail else "")


# Qualification grades (资质等级) as certificates print them, highest first.
QUALIFICATION_LEVELS: tuple[str, ...] = ("甲级", "乙级", "丙级", "一级", "二级", "三级", "不分级")

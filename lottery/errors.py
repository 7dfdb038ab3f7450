"""Exceptions shared by the package.

Every failure a verifier can report is a :class:`CheckFailed` carrying the name of the check of
spec §9 (or of ``audit-log``/``rank``), so the CLI can print ``FAIL <check>: <reason>`` without
guessing from messages.
"""

from __future__ import annotations


class Invalid(ValueError):
    """A value breaks an encoding or domain rule; the caller decides which check that is."""


class Unreadable(ValueError):
    """Input that is not JSON at all (bad UTF-8, syntax, duplicate keys, NaN): CLI exit 2."""


class CheckFailed(Exception):
    """A named verifier check failed."""

    def __init__(self, check: str, reason: str) -> None:
        super().__init__(f"{check}: {reason}")
        self.check = check
        self.reason = reason

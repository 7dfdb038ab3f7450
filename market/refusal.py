"""Refusals roll back the request, whatever the view answers.

Views catch an operation's refusal and show it (a redirect with a flash, or the form again), so
the status code alone cannot tell :func:`market.auth.access` that the operation stopped half way
after it had already added or flushed rows.  Every operation error type derives from
:class:`Refused`, whose construction marks the current request; ``access`` then rolls the whole
transaction back.  Marking at construction means no view can forget it.
"""

from __future__ import annotations

from flask import g, has_app_context

_FLAG = "_operation_refused"


def mark() -> None:
    """Record that an operation refused during this request (no-op outside a request)."""
    if has_app_context():
        setattr(g, _FLAG, True)


def reset() -> None:
    if has_app_context():
        g.pop(_FLAG, None)


def happened() -> bool:
    return bool(has_app_context() and g.get(_FLAG, False))


class Refused(ValueError):
    """Base of the errors operations raise when a rule refuses a change."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        mark()

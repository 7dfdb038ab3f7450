"""Refusals roll back the request, whatever the view answers.

Views catch an operation's refusal and show it (a redirect with a flash, or the form again), so
the status code alone cannot tell :func:`market.accounts.auth.access` that the operation stopped half way
after it had already added or flushed rows.  Every operation error type derives from
:class:`Refused`, which notes itself on the current request when it is built; ``access`` rolls
the whole transaction back when a noted refusal was *raised* during the view.  So no view can
forget it, and two mistakes cannot turn into lost writes:

* a refusal built but never raised (a message prepared in advance) does not count: only a
  raised exception has a ``__traceback__``;
* code that catches a refusal and carries on successfully (try something, fall back) says so
  with :func:`recovered`, and the request commits.

Errors of other packages that the market shows as refusals (billing's ``BillingError``) call
:func:`note` through their own hook.
"""

from __future__ import annotations

from flask import g, has_app_context, has_request_context

_KEY = "_refusals"


def note(error: BaseException) -> None:
    """Remember ``error`` for this request (no-op outside a request: a command's loop would
    only pile them up, and nothing there rolls back on them)."""
    if has_request_context():
        g.setdefault(_KEY, []).append(error)


def mark() -> None:
    """Roll this request back although no refusal was raised (a view refusing by itself)."""
    if has_request_context():
        g.setdefault(_KEY, []).append(_Marked())


def recovered(error: BaseException) -> None:
    """The caller caught ``error`` and carried on; it no longer rolls the request back."""
    if has_app_context():
        noted = g.get(_KEY, [])
        noted[:] = [e for e in noted if e is not error]


def reset() -> None:
    if has_app_context():
        g.pop(_KEY, None)


def happened() -> bool:
    """Whether a noted refusal was raised (and not recovered from) during this request."""
    if not has_app_context():
        return False
    return any(isinstance(e, _Marked) or e.__traceback__ is not None for e in g.get(_KEY, []))


class _Marked(Exception):
    """Stands for an explicit :func:`mark`."""


class Refused(ValueError):
    """Base of the errors operations raise when a rule refuses a change."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        note(self)

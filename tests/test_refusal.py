"""The request transaction (market.accounts.auth.access) rolls back whenever an operation refused,
whatever the view answers — and only then: a refusal built but never raised, or caught by code
that carries on, does not throw away the request's writes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask, redirect

from billing.errors import BillingError
from market import refusal
from market.accounts import audit
from market.accounts.audit import AuditEvent
from market.accounts.auth import ANYONE, access
from market.db import db
from market.selection.errors import SelectionError
from tests.conftest import make_app


def _app_with(tmp_path: Path, view: Callable[[], object]) -> Flask:
    app = make_app(tmp_path)

    @app.route("/test-refusal", methods=["POST"], endpoint="test_refusal")
    @access(ANYONE)
    def _view() -> object:
        audit.record("test:refusal:write", "x")
        return view()

    return app


def _written(tmp_path: Path, view: Callable[[], object]) -> int:
    app = _app_with(tmp_path, view)
    app.config["WTF_CSRF_ENABLED"] = False
    response = app.test_client().post("/test-refusal")
    assert response.status_code in (200, 302)
    with app.app_context():
        n = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.tag == "test:refusal:write"))
        db.engine.dispose()
    return int(n or 0)


def _raises_and_shows() -> object:
    try:
        raise SelectionError(None, "x")
    except SelectionError:
        return redirect("/")


def _billing_refusal_shown() -> object:
    try:
        raise BillingError("x")
    except BillingError:
        return redirect("/")


def _built_not_raised() -> object:
    SelectionError(None, "a message prepared in advance")
    return "ok"


def _caught_and_recovered() -> object:
    try:
        raise SelectionError(None, "x")
    except SelectionError as error:
        refusal.recovered(error)
    return redirect("/")


def _marked() -> object:
    refusal.mark()
    return redirect("/")


@pytest.mark.parametrize(("view", "kept"), [
    (_raises_and_shows, 0),
    (_billing_refusal_shown, 0),
    (_marked, 0),
    (_built_not_raised, 1),
    (_caught_and_recovered, 1),
], ids=["raised-and-shown", "billing-raised-and-shown", "marked", "built-not-raised",
        "recovered"])
def test_only_a_raised_refusal_rolls_the_request_back(tmp_path: Path,
                                                      view: Callable[[], object],
                                                      kept: int) -> None:
    assert _written(tmp_path, view) == kept

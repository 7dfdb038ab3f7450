"""Valid lottery events for log tests (announce + registers of a lottery of one's own)."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from lottery.draw import commitment
from lottery.encoding import V
from market import timeutil
from tests.support.lottery_history import default_plan


def announcement(lottery_id: str, request_id: str | None = None, k: int = 1) -> dict[str, Any]:
    closes = timeutil.now() + timedelta(days=3)
    return {
        "v": V, "lottery_id": lottery_id, "request_id": request_id or f"RQ-{lottery_id}",
        "replaces": None, "k": k, "signup_closes_at": timeutil.iso_z(closes),
        "commitment": commitment(lottery_id, os.urandom(32)).hex(),
        "entropy_plan": default_plan(closes),
    }


def announce_and_register(lottery_id: str, agencies: list[str]) -> list[tuple[str, str, dict]]:
    items: list[tuple[str, str, dict]] = [
        ("announce", lottery_id, {"announcement": announcement(lottery_id)})]
    items += [("register", lottery_id, {"agency_id": a, "by": f"U-{a}"}) for a in agencies]
    return items

"""The one error type selection operations raise: a field, an N_() message, its parameters."""

from __future__ import annotations

from typing import Any

from market.refusal import Refused


class SelectionError(Refused):
    def __init__(self, field: str | None, message: str, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.field = field
        self.message = message
        self.params = params
        # every problem found when a check looks at a whole form (requests.problems), so the
        # form can show each next to its field; empty for a single refusal
        self.problems: list[Any] = []

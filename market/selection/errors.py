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

"""The error every regulator operation raises on bad input."""

from __future__ import annotations

from typing import Any

from market.refusal import Refused


class RuleError(Refused):
    """A rule refused the change; ``field`` names the form field to show ``message`` next to
    (an ``N_()`` string, formatted with ``params`` after translation).  Nothing was stored."""

    def __init__(self, field: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.params = params

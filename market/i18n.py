"""Marking messages for translation outside a request (operations raise them; views translate)."""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark ``message`` for extraction (``pybabel extract -k N_``); translated where shown."""
    return message

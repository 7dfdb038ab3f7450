"""Fen and yuan (元): money is an integer number of fen; people read and type yuan."""

from __future__ import annotations

import re
from decimal import Decimal

from billing.errors import N_, BillingError

_YUAN = re.compile(r"^\d{1,13}(\.\d{1,2})?$")


def yuan_to_fen(text: str) -> int:
    """``"1,234.5"`` → ``123450``.  Refuses negatives, more than two decimals and zero."""
    cleaned = text.strip().replace(",", "").replace("，", "").replace("¥", "").replace("元", "")
    if not _YUAN.match(cleaned):
        raise BillingError(N_("金额格式不正确，请填写以元为单位、最多两位小数的数字。"))
    fen = int(Decimal(cleaned) * 100)
    if fen <= 0:
        raise BillingError(N_("金额必须大于零。"))
    return fen


def format_fen(fen: int) -> str:
    """``123450`` → ``"1,234.50"`` (no currency sign; pages add 元 or ¥)."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}{yuan:,}.{cents:02d}"

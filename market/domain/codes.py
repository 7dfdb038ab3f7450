"""Identifier codes: unified social credit code (统一社会信用代码) and investment project code.

Validators return an error *key* (a short stable string) or ``None`` when the code is valid;
the application maps keys to translated messages, so this module stays free of UI text.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Final

# GB 32100-2015 alphabet: digits plus upper-case letters without I, O, Z, S, V (they are
# too easily confused with 1, 0, 2, 5, U on paper forms).
CREDIT_CODE_ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_LENGTH: Final = 18
# The weights are 3**i mod 31 for i = 0..16; spelled out so they can be checked against the
# standard's table.
CREDIT_CODE_WEIGHTS: Final = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

_VALUE: Final = {ch: i for i, ch in enumerate(CREDIT_CODE_ALPHABET)}
_MODULUS: Final = len(CREDIT_CODE_ALPHABET)  # 31

PROJECT_CODE_MIN_YEAR: Final = 2000
PROJECT_CODE_MAX_YEAR: Final = 2100
# re.ASCII: \d would otherwise accept full-width and other Unicode digits.
_PROJECT_CODE_RE: Final = re.compile(r"(\d{4})-(\d{6})-(\d{2})-(\d{2})-(\d{6})", re.ASCII)


def normalise_credit_code(code: str) -> str:
    """Return ``code`` with surrounding whitespace removed and letters upper-cased.

    Kept separate from validation so that what is stored is exactly what was validated.
    """
    return code.strip().upper()


def credit_code_check_char(first17: str) -> str:
    """Return the check character (校验码) for the first 17 characters of a credit code.

    Raises ``ValueError`` when ``first17`` is not 17 characters of the GB 32100 alphabet.
    """
    if len(first17) != CREDIT_CODE_LENGTH - 1:
        raise ValueError("a credit code body has 17 characters")
    try:
        total = sum(_VALUE[ch] * w for ch, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True))
    except KeyError as exc:
        raise ValueError(f"character {exc.args[0]!r} is not in the credit code alphabet") from exc
    check = _MODULUS - total % _MODULUS
    # 31 is not a symbol of the alphabet; the standard maps it to "0".
    return CREDIT_CODE_ALPHABET[0 if check == _MODULUS else check]


def make_credit_code(first17: str) -> str:
    """Return the full 18-character credit code: ``first17`` followed by its check character."""
    return first17 + credit_code_check_char(first17)


def validate_credit_code(code: str) -> str | None:
    """Check a unified social credit code (统一社会信用代码) as given (not normalised).

    Returns ``None`` when valid, otherwise the first failing rule's key:

    * ``"length"`` — not exactly 18 characters;
    * ``"charset"`` — a character outside the GB 32100 alphabet (lower case included: call
      :func:`normalise_credit_code` first);
    * ``"region"`` — characters 3–8 (administrative division code) are not six digits;
    * ``"check_digit"`` — the 18th character does not match the computed check character.

    The registration authority (1st) and organisation type (2nd) characters are only checked
    against the alphabet: their code lists have grown over time and rejecting a real code is
    worse than accepting an unusual one.
    """
    if len(code) != CREDIT_CODE_LENGTH:
        return "length"
    if any(ch not in _VALUE for ch in code):
        return "charset"
    if not code[2:8].isdigit():
        return "region"
    if credit_code_check_char(code[:17]) != code[17]:
        return "check_digit"
    return None


def normalise_project_code(code: str) -> str:
    """Return ``code`` with surrounding whitespace removed."""
    return code.strip()


def validate_project_code(code: str) -> str | None:
    """Check an investment project code (投资项目代码), e.g. ``2026-500116-48-01-123456``.

    Shape: ``YYYY-NNNNNN-NN-NN-NNNNNN`` (year, 6-digit administrative division, industry,
    project type, serial number), ASCII digits only. Returns ``None`` when valid, else a key:

    * ``"format"`` — the shape is wrong;
    * ``"year"`` — the year is outside 2000–2100.
    """
    match = _PROJECT_CODE_RE.fullmatch(code)
    if match is None:
        return "format"
    if not PROJECT_CODE_MIN_YEAR <= int(match.group(1)) <= PROJECT_CODE_MAX_YEAR:
        return "year"
    return None


# A department (审批部门) code: ASCII letters, digits, '-' and '_', 2–32 characters, e.g. the
# department's own code in the approval system or its unified social credit code (which starts
# with a digit: 11… for an organ of state).
DEPARTMENT_CODE_RE: Final = re.compile(r"[A-Z0-9][A-Z0-9_-]{1,31}", re.ASCII)


def derived_department_code(name: str) -> str:
    """The code a department gets when only its name is known (rows from before departments
    had codes): ``DEPT-`` and the first ten hex digits of the SHA-256 of its trimmed NFC name.

    Deterministic and independent of any other row, so every database derives the same code
    for the same name; an operator may replace it with the approval system's code."""
    key = unicodedata.normalize("NFC", name.strip()).encode()
    return "DEPT-" + hashlib.sha256(key).hexdigest()[:10].upper()

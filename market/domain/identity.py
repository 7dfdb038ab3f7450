"""A natural person as an owner (自然人业主): the resident identity number (居民身份证号码) and
the masking of a person's name wherever the public sees it.

The number is the citizen identity number of GB 11643-1999 (公民身份号码): 17 digits (the
six-digit GB/T 2260 address code, the eight-digit birth date YYYYMMDD, a three-digit
sequence code) and one check character computed with ISO 7064 MOD 11-2: the sum of each digit
times its weight ``2**(17 - i) mod 11`` (7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2), taken mod 11,
maps 0..10 to ``1 0 X 9 8 7 6 5 4 3 2``.

Validators return an error *key* or ``None`` (as :mod:`market.domain.codes`); the application
maps keys to translated messages.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Final

RESIDENT_ID_LENGTH: Final = 18
# 2**(17 - i) mod 11 for i = 0..16, spelled out to be checked against the standard's table.
RESIDENT_ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RESIDENT_ID_CHECK: Final = "10X98765432"
# the earliest birth date accepted: older numbers do not exist in practice, and a typo in the
# century (1 for 2) is caught by the check character anyway
EARLIEST_BIRTH: Final = date(1900, 1, 1)

_BODY_RE: Final = re.compile(r"[0-9]{17}", re.ASCII)
MASK: Final = "*"


def normalise_resident_id(number: str) -> str:
    """``number`` as stored: full-width characters made ASCII (NFKC), spaces removed, the check
    character ``x`` upper-cased."""
    return "".join(unicodedata.normalize("NFKC", number).split()).upper()


def resident_id_check_char(body: str) -> str:
    """The check character of the 17-digit ``body``; ValueError when it is not 17 digits."""
    if not _BODY_RE.fullmatch(body):
        raise ValueError("the body of a resident identity number is 17 digits")
    total = sum(int(d) * w for d, w in zip(body, RESIDENT_ID_WEIGHTS, strict=True))
    return RESIDENT_ID_CHECK[total % 11]


def birth_date(number: str) -> date | None:
    """The birth date the number states (positions 7–14), or None when it is no date."""
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def validate_resident_id(number: str, today: date) -> str | None:
    """None when ``number`` (normalised) is a valid 18-character resident identity number born
    on or before ``today``; else the key of what is wrong: ``length``, ``characters``,
    ``birth_date`` or ``check``."""
    if len(number) != RESIDENT_ID_LENGTH:
        return "length"
    if not _BODY_RE.fullmatch(number[:17]) or number[17] not in "0123456789X":
        return "characters"
    born = birth_date(number)
    if born is None or not EARLIEST_BIRTH <= born <= today:
        return "birth_date"
    if resident_id_check_char(number[:17]) != number[17]:
        return "check"
    return None


def mask_name(name: str) -> str:
    """A person's name as the public sees it: the first character (the surname, or its first
    character for a two-character surname) and one ``*`` for each other character, e.g.
    张三丰 → 张**, 李四 → 李*.  A one-character name is masked whole; spaces are dropped."""
    letters = "".join(name.split())
    if len(letters) <= 1:
        return MASK
    return letters[0] + MASK * (len(letters) - 1)


def mask_resident_id(number: str) -> str:
    """The number with only its first and last character left, for the person's own pages:
    1****************X — never its address, birth date or sequence."""
    if len(number) <= 2:
        return MASK * len(number)
    return number[0] + MASK * (len(number) - 2) + number[-1]

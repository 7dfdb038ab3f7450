"""What people type, made consistent at the edge (forms, API parameters) before any rule sees it.

* Line ends: CRLF and CR (and the Unicode line and paragraph separators) become LF; a tab in
  multi-line text becomes a space (pasted from a spreadsheet or a word processor).
* Unicode NFC: the same text always has the same code points (macOS and some IMEs send NFD).
* Control and format characters (Unicode Cc, Cf, and lone surrogates) are refused: NUL, escape
  codes, zero-width spaces and joiners, bidirectional overrides, soft hyphens, BOMs.  They are
  invisible, make equal-looking texts differ, and the draw log refuses them.  LF stays in
  multi-line text.
* Number, amount, date and code fields: full-width forms (what a Chinese IME types: ``０１２３``,
  ``－``, ``．``, ``，``, ``：``, ``／``, full-width letters) and the minus sign become ASCII;
  superscript and subscript digits (``²``, ``₃``) are refused, since ``"²".isdigit()`` is true
  but ``int("²")`` fails and ``m²`` is not a count.

Pure functions: a :class:`Problem` says what is wrong, the caller turns it into a message.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
_LINE_BREAKS = {"\r\n": "\n", "\r": "\n", "\u2028": "\n", "\u2029": "\n", "\x85": "\n"}
# Full-width ASCII variants U+FF01-U+FF5E, the ideographic space and the minus sign.
_FOLD = {**{chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)},
         "\u3000": " ", "\u2212": "-", "\u2010": "-", "\u2011": "-", "\u2013": "-"}
_FOLD_TABLE = str.maketrans(_FOLD)

# Names people recognise for the invisible characters they most often paste.
_NAMES = {
    0x200B: "零宽空格 ZERO WIDTH SPACE", 0x200C: "零宽非连接符 ZERO WIDTH NON-JOINER",
    0x200D: "零宽连接符 ZERO WIDTH JOINER", 0xFEFF: "字节顺序标记 BOM",
    0x00AD: "软连字符 SOFT HYPHEN", 0x202E: "从右到左覆盖 RIGHT-TO-LEFT OVERRIDE",
    0x202D: "从左到右覆盖 LEFT-TO-RIGHT OVERRIDE", 0x2060: "WORD JOINER",
    0x0000: "NUL", 0x0009: "制表符 TAB", 0x000A: "换行 LF", 0x001B: "ESC",
}


@dataclass(frozen=True)
class Problem:
    """Why a value is refused: ``kind`` is ``control`` or ``superscript``; ``char`` the first
    offending character and ``position`` its place (1-based, in code points)."""

    kind: str
    char: str
    position: int

    @property
    def code(self) -> str:
        return f"U+{ord(self.char):04X}"

    @property
    def name(self) -> str:
        known = _NAMES.get(ord(self.char))
        return known if known is not None else unicodedata.name(self.char, "")


@dataclass(frozen=True)
class Cleaned:
    value: str
    problem: Problem | None = None


def _line_ends(value: str) -> str:
    if "\r" in value or "\u2028" in value or "\u2029" in value or "\x85" in value:
        value = value.replace("\r\n", "\n")
        for old, new in _LINE_BREAKS.items():
            value = value.replace(old, new)
    return value


def _first_refused(value: str, allowed: str = "") -> Problem | None:
    # str.isprintable() is False for every "Other" (C*) and "Separator" (Z*) character, so a
    # printable value has none of REFUSED_CATEGORIES: checked in C, not per character in Python
    # (a 100 kB field costs milliseconds instead of tens of them).  The allowed characters are
    # taken out with str.replace: str.translate with a dict looks every character up in Python
    # (50 ms for 100 kB, a hundred times the rest of the check).
    checked = value
    for ch in allowed:
        checked = checked.replace(ch, "")
    if checked.isprintable():
        return None
    found = _first(value, str.isprintable, lambda ch: ch not in allowed and not ch.isprintable()
                   and unicodedata.category(ch) in REFUSED_CATEGORIES)
    return None if found is None else Problem("control", found[1], found[0])


_CHUNK = 4096


def _first(value: str, whole: Callable[[str], bool],
           bad: Callable[[str], bool]) -> tuple[int, str] | None:
    """The first character of ``value`` that is ``bad``, with its place (1-based).  A chunk of
    4,096 code points that passes ``whole`` (a check in C, true only if no character in it is
    bad) is skipped; in any other each distinct character is looked up once, not each of a
    100 kB field's code points, and the earliest bad one is found with ``str.index``."""
    for start in range(0, len(value), _CHUNK):
        chunk = value[start:start + _CHUNK]
        if whole(chunk):
            continue
        found = [ch for ch in set(chunk) if bad(ch)]
        if found:
            first = min(chunk.index(ch) for ch in found)
            return start + first + 1, chunk[first]
    return None


def is_superscript(ch: str) -> bool:
    """A superscript or subscript character (``²``, ``⁴``, ``₃``, ``ⁿ``…)."""
    return unicodedata.decomposition(ch).startswith(("<super>", "<sub>"))


def clean_text(value: str, *, multiline: bool = False) -> Cleaned:
    """Free text: line ends to LF, NFC, then control and format characters refused (LF allowed
    in multi-line text, where a tab becomes a space)."""
    value = _line_ends(value)
    if multiline:
        value = value.replace("\t", " ")
    if not value.isascii():
        value = unicodedata.normalize("NFC", value)
    return Cleaned(value, _first_refused(value, "\n" if multiline else ""))


def clean_ascii(value: str, *, multiline: bool = False) -> Cleaned:
    """A number, amount, date or code: full-width forms folded to ASCII, superscript digits and
    control or format characters refused."""
    value = _line_ends(value)
    if not value.isascii():  # no ASCII character is a superscript
        found = _first(value, str.isascii, is_superscript)
        if found is not None:
            return Cleaned(value, Problem("superscript", found[1], found[0]))
        value = unicodedata.normalize("NFC", value.translate(_FOLD_TABLE))
    return Cleaned(value, _first_refused(value, "\n" if multiline else ""))

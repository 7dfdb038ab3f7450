"""Text a person typed, made fit for the draw log and the bid log, and checked there with the
lottery's own rule (lottery-v1.md §1 "text": NFC, no Cc or Cf code points, a bounded length)
before the operation writes anything.

The database keeps what was typed (a multi-line objection decision stays multi-line); the log
event carries one line: line breaks and tabs are control characters (Cc), which the rule
refuses, so each run of white space that holds one becomes a single space.  What is still
refused after that (a zero-width space, a bidirectional override, NUL) is a refusal on the
field the person typed it in, never a 500 half way through the log's append.
"""

from __future__ import annotations

import re
import unicodedata

from lottery.encoding import check_text
from lottery.errors import Invalid
from market.i18n import N_
from market.selection.errors import SelectionError

REASON_MAX = 500  # lottery-v1.md §7: reason is text of 1-500 code points
LABEL_MAX = 64  # §5: a source's label

# White space that breaks lines or tabs (all Cc, or Zl/Zp for U+2028/U+2029), with the spaces
# around it: one space in the log.
_BREAKS = re.compile(r"[ \u3000]*[\t\n\v\f\r\x1c-\x1f\x85\u2028\u2029][\s\u3000]*")


def one_line(text: str, limit: int = REASON_MAX) -> str:
    """``text`` as one NFC line of at most ``limit`` code points (nothing else changed)."""
    line = _BREAKS.sub(" ", unicodedata.normalize("NFC", text)).strip()
    if len(line) > limit:
        # Cut on a code point, then normalise again: a cut can leave a lone combining mark.
        line = unicodedata.normalize("NFC", line[:limit]).rstrip()[:limit]
    return line


def event_text(text: str, field: str | None, *, limit: int = REASON_MAX) -> str:
    """The log's form of ``text`` (:func:`one_line`), checked with the lottery's text rule;
    a :class:`SelectionError` on ``field`` when the rule still refuses it."""
    line = one_line(text, limit)
    try:
        return check_text(line, "text", 1, limit)
    except Invalid:
        if not line:
            raise SelectionError(field, N_("请填写此项。")) from None
        bad = next((ch for ch in line if unicodedata.category(ch) in ("Cc", "Cf")), "")
        raise SelectionError(field, N_("含有不可见的控制字符或格式字符（U+%(code)s），"
                                       "公开日志不能记录，请删除后重新填写。"),
                             code=f"{ord(bad):04X}" if bad else "?") from None


def label_text(label: str, field: str | None) -> str:
    """An entropy source's label (§5: text of 1-64 code points), checked the same way."""
    label = unicodedata.normalize("NFC", label)
    try:
        return check_text(label, "label", 1, LABEL_MAX)
    except Invalid:
        bad = next((ch for ch in label if unicodedata.category(ch) in ("Cc", "Cf")), "")
        if not bad:
            raise SelectionError(field, N_("期号太长。")) from None
        raise SelectionError(field, N_("含有不可见的控制字符或格式字符（U+%(code)s），"
                                       "公开日志不能记录，请删除后重新填写。"),
                             code=f"{ord(bad):04X}") from None

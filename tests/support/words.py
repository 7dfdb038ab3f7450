"""What a page must not show a person: internal codes, and words not in the page's language.

``problems(html, ...)`` lists them for one rendered page (tests/test_page_words.py runs it on
every page of the demo city, as every role, in both languages)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from tests.support.page_text import Text, visible_text

# An audit event's tag (subject:object:action, e.g. system:engagement:create) or any other
# colon-joined code.  URLs ("https://…") and times ("20:46") do not match.
AUDIT_TAG = re.compile(r"(?<![\w/.:-])[a-z]+(?:_[a-z]+)*(?::[a-z]+(?:_[a-z]+)*){1,3}(?![\w/])")

LATIN_WORD = re.compile(r"(?<![A-Za-z0-9.])[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*"
                        r"(?:[._@/+\-][A-Za-z0-9]+)*")

# Latin words a Chinese page may show: file formats, units, standards, names of programs and
# protocols, the statistics' names and the ID number's check character.  Identifiers (anything with a digit), e-mail addresses and
# file names are data and pass; so does anything marked lang="en" or shown as code.
ALLOWED_ON_CHINESE_PAGES = frozenset({
    "PDF", "JPEG", "JPG", "PNG", "OFD", "Word", "CSV", "JSON", "JSONL", "UTC", "SHA", "RFC",
    "OCDS", "API", "OAuth", "B", "KB", "MB", "Python", "drand", "quicknet", "Bonferroni", "p",
    "X",  # the check character of a 居民身份证号码 (GB 11643-1999) is a digit or X
})

# A format written as letters for digits, e.g. the project code's YYYY-NNNNNN-NN-NN-NNNNNN.
FORMAT_MASK = re.compile(r"[YMDN]+(?:-[YMDN]+)+")

CJK_RUN = re.compile(r"[\u3400-\u9fff]+")


@dataclass
class Vocabulary:
    """What the catalogue calls things: service-type codes (never shown to a person except as
    an identifier), and the Chinese names that have an English one (service types, grades)."""

    service_codes: set[str] = field(default_factory=set)
    translated_names: set[str] = field(default_factory=set)
    ui_strings: re.Pattern[str] = re.compile("(?!)")  # by default no string matches
    # What people typed (titles, names, reasons): shown as typed, in whatever language.
    typed: list[str] = field(default_factory=list)


def ui_patterns(msgids: Iterable[str]) -> re.Pattern[str]:
    """Translatable strings as one pattern (placeholders match anything), to find one left in
    Chinese on an English page: a segment fullmatches it iff it fullmatches one of them.  One
    alternation, not a pattern per string: the sweep asks about every segment of every page,
    and a Python loop over some two thousand patterns was most of its time."""
    out = []
    for msgid in msgids:
        if not CJK_RUN.search(msgid):
            continue
        pattern = re.escape(msgid.replace("%%", "%"))
        pattern = re.sub(r"%\\\((\w+)\\\)[sd]", ".+?", pattern)
        out.append(f"(?:{pattern})")
    return re.compile("|".join(out) or "(?!)")


@dataclass(frozen=True)
class Problem:
    what: str  # e.g. "internal code"
    word: str
    context: str

    def __str__(self) -> str:
        return f"{self.what} {self.word!r} in {self.context!r}"


_SEGMENT = re.compile(r"\s*[·：:，,；;（）()「」《》“”/|]\s*|\s{2,}")


def _segments(text: str) -> list[str]:
    return [s.strip() for s in _SEGMENT.split(text) if s.strip()]


def problems(html: str, vocabulary: Vocabulary, text: list[Text] | None = None) -> list[Problem]:
    """What is wrong on the page ``html``; ``text`` its :func:`visible_text` when already read
    (a crawled page's)."""
    page_lang = "en" if '<html lang="en"' in html else "zh"
    found: list[Problem] = []
    for part in visible_text(html) if text is None else text:
        if not part.code:  # shown as code on purpose (a scope an integrator writes, a command)
            found.extend(Problem("internal code", m.group(), part.text[:80])
                         for m in AUDIT_TAG.finditer(part.text))
        if page_lang == "zh":
            found.extend(_latin(part, vocabulary))
        else:
            found.extend(_chinese(part, vocabulary))
    return found


def _latin(part: Text, vocabulary: Vocabulary) -> list[Problem]:
    if part.code or part.lang.startswith("en"):
        return []
    out = []
    for match in LATIN_WORD.finditer(part.text):
        word = match.group()
        if word in vocabulary.service_codes:
            out.append(Problem("service-type code as text", word, part.text[:80]))
        elif (not any(c.isdigit() for c in word) and "@" not in word and "." not in word
              and word not in ALLOWED_ON_CHINESE_PAGES and not FORMAT_MASK.fullmatch(word)):
            out.append(Problem("English on a Chinese page", word, part.text[:80]))
    return out


def _chinese(part: Text, vocabulary: Vocabulary) -> list[Problem]:
    if part.lang.startswith("zh") or not CJK_RUN.search(part.text):
        return []
    text = part.text
    for typed in vocabulary.typed:
        if typed in text:
            text = text.replace(typed, " | ")
    out = []
    for segment in _segments(text):
        if segment in vocabulary.translated_names:
            out.append(Problem("catalogue name untranslated", segment, part.text[:80]))
        elif vocabulary.ui_strings.fullmatch(segment):
            out.append(Problem("interface string untranslated", segment, part.text[:80]))
    return out

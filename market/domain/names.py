"""Organisation names (单位名称): the key under which a name is unique.

Two names that a reader cannot tell apart must not belong to two organisations: ``云川市
住房和城乡建设局``, ``云川市住房和城乡建设局 `` (a trailing space), ``云川市住房和城乡建设局``
typed with a full-width space or a zero-width space in the middle, and ``ABC 公司`` against
``ａｂｃ公司`` (full-width, lower case) all have the same key.

The key is NFKC (compatibility composition: full-width and half-width forms become their
ordinary forms, 「（」 becomes 「(」), then case folding, then every white-space and
invisible format character (Unicode category Cf: zero-width spaces and joiners, the byte-order
mark, bidirectional controls) removed, then NFKC once more because case folding can produce
characters that compose again.
"""

from __future__ import annotations

import unicodedata
from typing import Final

NAME_KEY_MAX: Final = 200


def organisation_name_key(name: str) -> str:
    """The comparison key of an organisation's name; empty when nothing visible is left."""
    text = unicodedata.normalize("NFKC", name).casefold()
    kept = "".join(ch for ch in text
                   if not ch.isspace() and unicodedata.category(ch) not in ("Cf", "Cc"))
    return unicodedata.normalize("NFKC", kept)[:NAME_KEY_MAX]


def clean_organisation_name(name: str) -> str:
    """The name as shown: NFC, runs of white space (full-width too) as one space, trimmed, and
    invisible format characters dropped.  Full-width brackets stay: they are how Chinese
    names are written."""
    text = unicodedata.normalize("NFC", name)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cc")
                   or ch.isspace())
    return " ".join(text.split())

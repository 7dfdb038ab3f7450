"""A urlencoded form body decoded in C, not a Python step per ``%XX`` escape.

Werkzeug reads ``application/x-www-form-urlencoded`` bodies with ``urllib.parse.parse_qsl``,
whose ``unquote_to_bytes`` is a Python loop over every ``%XX``.  A Chinese character is nine
bytes of the body (``%E4%B8%AD``), so a long Chinese text field, or any body up to
``MAX_CONTENT_LENGTH`` (uploads' size, some megabytes), costs a loop step per byte before the
view sees it: about 0.2 s of CPU per megabyte, the same whether the form is then accepted or
refused.  Here a field with no ``=`` whose every ``%`` starts an escape is decoded by
``binascii.a2b_qp`` (one C loop); any other goes through urllib's loop, so the pairs are the
same, character for character (tests/test_formdata.py compares the two on drawn bodies).
"""

from __future__ import annotations

import binascii
import re
import urllib.parse
from typing import IO, Any

import werkzeug.urls  # noqa: F401  # registers the "werkzeug.url_quote" decoding error handler
from flask import Request as FlaskRequest
from werkzeug.formparser import FormDataParser as WerkzeugFormDataParser

# As urllib.parse: ASCII runs are unquoted, other characters kept as they are; an escape is
# "%" and two hexadecimal digits, anything else after a "%" stays literal.
_ASCII = re.compile("([\x00-\x7f]+)")
# Werkzeug's choice: bytes that are not UTF-8 stay percent-encoded in the value.
_ERRORS = "werkzeug.url_quote"


def _unquote_to_bytes(ascii_text: str) -> bytes:
    # With "%" written "=", the escapes are quoted-printable ones, which binascii decodes in
    # one C loop.  Where they differ: a quoted-printable "=" before a line end is a soft line
    # break, dropped with what follows up to the LF (ruled out first, as is a literal "=");
    # any other "=" (at the end, before another "=", before no two hexadecimal digits)
    # shrinks the text by less than an escape's two characters.  So the text shrank by two
    # per "%" exactly when every "%" starts an escape, and then the bytes are urllib's.
    # (Checked by lengths and counts in C: a regular expression looking past every "%" of
    # a 300 kB body cost five times the decoding.)
    if "=" not in ascii_text and "%\n" not in ascii_text and "%\r" not in ascii_text:
        decoded = binascii.a2b_qp(ascii_text.replace("%", "="))
        if len(decoded) == len(ascii_text) - 2 * ascii_text.count("%"):
            return decoded
    return urllib.parse.unquote_to_bytes(ascii_text)  # urllib's loop, escape by escape


def unquote(text: str) -> str:
    """``urllib.parse.unquote(text, "utf-8", "werkzeug.url_quote")``."""
    if "%" not in text:
        return text
    bits = _ASCII.split(text)
    out = [bits[0]]
    for i in range(1, len(bits), 2):
        out.append(_unquote_to_bytes(bits[i]).decode("utf-8", _ERRORS))
        out.append(bits[i + 1])
    return "".join(out)


def parse_urlencoded(body: str) -> list[tuple[str, str]]:
    """``urllib.parse.parse_qsl(body, keep_blank_values=True, errors="werkzeug.url_quote")``:
    the (name, value) pairs of a urlencoded body, in order, blank values kept."""
    pairs = []
    for field in body.split("&"):
        if not field:
            continue
        name, _, value = field.partition("=")
        pairs.append((unquote(name.replace("+", " ")), unquote(value.replace("+", " "))))
    return pairs


class FormDataParser(WerkzeugFormDataParser):
    def _parse_urlencoded(self, stream: IO[bytes], mimetype: str, content_length: int | None,
                          options: dict[str, str]) -> Any:
        # As Werkzeug's own (3.1): the stream is already limited to MAX_CONTENT_LENGTH, and a
        # body that is not UTF-8 raises here, which the parser turns into an empty form.
        return stream, self.cls(parse_urlencoded(stream.read().decode())), self.cls()


class Request(FlaskRequest):
    """The app's request: Flask's, with the urlencoded body parsed as above."""

    form_data_parser_class = FormDataParser

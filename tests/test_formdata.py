"""The urlencoded body parser (market.web.formdata): urllib's pairs, without urllib's Python
step per escape."""

from __future__ import annotations

import sys
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import pytest
from flask import Flask, request
from hypothesis import given, settings
from hypothesis import strategies as st

from market.web import formdata

# A Chinese paragraph as a browser sends it: nine bytes of body per character.
CHINESE = "项目名称：城市道路改造工程（第三标段），技术服务。" * 4_000


def urllib_pairs(body: str) -> list[tuple[str, str]]:
    """What Werkzeug 3.1's own parser gives for a urlencoded body."""
    return urllib.parse.parse_qsl(body, keep_blank_values=True, errors="werkzeug.url_quote")


# Bodies with what the two parsers might read differently: "%" before zero, one or two hex
# digits, "=" (a quoted-printable escape of the fast path), "+", "&", line ends, non-ASCII
# characters, and real percent-encoded bytes (UTF-8 or not).
pieces = st.one_of(
    st.sampled_from(["%", "%4", "%41", "%e4", "%E4%B8%AD", "%%", "%zz", "%4g", "=", "==", "+",
                     "&", "&&", "\r\n", "\n", "\r", "_", "a", "0", "F", " ", "中", "é", "\x00"]),
    st.binary(max_size=12).map(urllib.parse.quote_from_bytes),
    st.text(max_size=6),
)
bodies = st.lists(pieces, max_size=30).map("".join)


@given(body=bodies)
@settings(max_examples=400, derandomize=True)
def test_the_pairs_are_urllibs(body: str) -> None:
    assert formdata.parse_urlencoded(body) == urllib_pairs(body)


@pytest.mark.parametrize("body", [
    "", "&", "a", "a=", "=b", "a=b=c", "a=%", "a=%4", "a=%%41", "a=%4%41", "a=%3D%3d", "a=x=%41",
    "a=%0D%0A", "a=%=0A", "a=%41%\n", "a=%ff%fe", "a=%E4%B8", "a=%E4%B8中", "a=%C3%A9+%C3",
    "a+b=c+d", "a=" + urllib.parse.quote(CHINESE), "a=" + urllib.parse.quote(CHINESE) + "%",
])
def test_the_pairs_are_urllibs_at_the_edges(body: str) -> None:
    assert formdata.parse_urlencoded(body) == urllib_pairs(body)


@contextmanager
def lines_run(path_end: str) -> Iterator[Callable[[], int]]:
    """Count the Python lines run in the file whose path ends with ``path_end``."""
    count = 0

    def trace(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        if not frame.f_code.co_filename.endswith(path_end):
            return None  # no line events for frames of other files
        if event == "line":
            count += 1
        return trace

    previous = sys.gettrace()
    sys.settrace(trace)
    try:
        yield lambda: count
    finally:
        sys.settrace(previous)


def test_a_long_chinese_field_costs_no_python_step_per_escape() -> None:
    """Counted, not timed: urllib runs its loop once per escape (over 300,000 times for this
    body of 1 MB); the app's parser runs a few lines per field, whatever its length."""
    body = "title=" + urllib.parse.quote(CHINESE) + "&note=" + urllib.parse.quote("说明 a/b")
    assert body.count("%") > 300_000
    with lines_run("urllib/parse.py") as urllib_lines:
        expected = urllib_pairs(body)
    with lines_run("market/web/formdata.py") as our_lines:
        pairs = formdata.parse_urlencoded(body)
    assert pairs == expected == [("title", CHINESE), ("note", "说明 a/b")]
    assert urllib_lines() > 300_000
    assert our_lines() < 40


def test_the_app_reads_urlencoded_forms_with_it(app: Flask,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's requests parse with it: urllib's per-escape loop runs only for a body with a
    "%" that is not an escape, and the form is the same."""
    calls: list[str] = []
    real = urllib.parse.unquote_to_bytes

    def counted(text: str | bytes) -> bytes:
        calls.append(str(text))
        return real(text)

    monkeypatch.setattr(urllib.parse, "unquote_to_bytes", counted)
    body = "title=" + urllib.parse.quote(CHINESE) + "&q=50%25+off"
    with app.test_request_context("/", method="POST", data=body,
                                  content_type="application/x-www-form-urlencoded"):
        assert request.form.getlist("title") == [CHINESE]
        assert request.form["q"] == "50% off"
    assert calls == []
    with app.test_request_context("/", method="POST", data="q=100%+%zz%E4%B8%AD",
                                  content_type="application/x-www-form-urlencoded"):
        assert request.form["q"] == "100% %zz中"
    assert calls == ["100% %zz%E4%B8%AD"]

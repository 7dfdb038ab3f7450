"""Property-based fuzzing of every form's POST (bad input).

Every route that takes a POST (enumerated from ``app.url_map``, so a new form is fuzzed without
a line here) is posted to by a demo person holding a role the route matrix allows, on a real
object of the demo city where the URL names one.  Hypothesis draws the fields (the form's own
names and random ones), the values (any Unicode incl. control characters, 100 kB strings,
numbers far out of range, non-UTF-8 bytes, files of random bytes), the encoding (urlencoded,
multipart, raw bytes, JSON) and the CSRF token (valid, missing, wrong, another session's).

Each answer must not be a 5xx; a refusal (4xx, a form shown again (200), or a redirect that
flashes an error) must leave every table's content as it was: a fingerprint of every column of every row of every table (the
draw and bid logs, the audit trail, uploads and the ledger included), not only row counts.
A missing or wrong CSRF token must be a 400.  The database is reset to the demo city before
each route.
"""

from __future__ import annotations

import io
import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from market.accounts.models import Role
from market.db import db
from tests.conftest import create_person, csrf_token
from tests.proof.fuzz_support import (
    CommitWatch,
    DemoCity,
    changed_tables,
    concrete_path,
    demo_city,
    form_fields,
    login_as,
    post_routes,
    role_for,
    table_fingerprint,
    watched,
)
from tests.proof.report import record

# At most 30 examples per form, to bound the run; PROOF_FUZZ_EXAMPLES lowers or raises it.
EXAMPLES = int(os.environ.get("PROOF_FUZZ_EXAMPLES", "20"))
STATS: Counter[tuple[str, int]] = Counter()  # (csrf kind, status) over the whole module
SEEN: Counter[str] = Counter()  # posts, encodings, 5xx, unchanged-table checks, routes done
SECTION = "form_fuzz"
RANDOM_NAMES = ["id", "next", "amount", "file", "q", "state", "page", "year", "code"]


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoCity]:
    yield demo_city(Path(tmp_path_factory.mktemp("fuzz")))


def _routes() -> list[tuple[str, str]]:
    from market import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return post_routes(app)


ROUTES = _routes()

text_values = st.one_of(
    st.text(max_size=40),  # any code point but surrogates: control characters, RTL, NUL…
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=3).map(
        lambda s: s * 40_000),  # ~100 kB and more
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["", " ", "0", "-1", "1e309", "NaN", "9" * 40, "2026-02-30", "0000-00-00",
                     "9999-12-31", "../../etc/passwd", "<script>alert(1)</script>",
                     "' OR 1=1 --", "\x00", "\ud7ff\ufffe\uffff", "EG-000001", "RQ-999999",
                     # what people paste or an IME types: zero-width and bidi characters,
                     # Windows line ends, decomposed (NFD) text, full-width and superscript
                     # digits, spreadsheet formulas
                     "2026025\u200b期", "第一行\r\n第二行", "e\u0301te\u0301", "\u202eabc",
                     "１２３４５", "３０，０００.５０", "2²", "=HYPERLINK(\"x\")", "@SUM(A1)"]),
)
raw_values = st.one_of(text_values.map(lambda s: s.encode("utf-8", "surrogatepass")),
                       st.binary(max_size=64))  # not UTF-8
file_values = st.tuples(st.binary(max_size=2048),
                        st.one_of(st.text(max_size=30), st.just("../../x.pdf"),
                                  st.just("a" * 5000 + ".pdf"), st.just("")))


@st.composite
def submissions(draw: st.DrawFn, names: list[str], files: list[str]) -> dict[str, Any]:
    pool = names + RANDOM_NAMES
    chosen = draw(st.lists(st.sampled_from(pool), max_size=len(pool), unique=True))
    fields = {n: draw(raw_values) for n in chosen if n not in files}
    uploads = {n: draw(file_values) for n in chosen if n in files}
    return {
        "fields": fields,
        "files": uploads,
        "encoding": draw(st.sampled_from(["urlencoded", "multipart", "raw", "json"])),
        "csrf": draw(st.sampled_from(["valid"] * 5 + ["missing", "wrong", "foreign"])),
    }


def _send(client: FlaskClient, path: str, sub: dict[str, Any], token: str) -> Any:
    fields: dict[str, bytes] = dict(sub["fields"])
    if sub["csrf"] == "valid":
        fields["csrf_token"] = token.encode()
    elif sub["csrf"] != "missing":
        fields["csrf_token"] = sub["token_value"].encode()
    encoding = sub["encoding"]
    if encoding == "multipart" or sub["files"]:
        # Encoded here, in memory: the test client would spool a big body to a temporary file
        # it never closes (an unraisable ResourceWarning, an error under this suite's filters).
        data: dict[str, Any] = {k: v.decode("utf-8", "replace") for k, v in fields.items()}
        for name, (content, filename) in sub["files"].items():
            data[name] = FileStorage(io.BytesIO(content), filename=filename, name=name)
        boundary, body = encode_multipart(MultiDict(data))
        return client.post(path, data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    if encoding == "json":
        body = json.dumps({k: v.decode("utf-8", "replace") for k, v in fields.items()})
        return client.post(path, data=body, content_type="application/json")
    # urlencoded, with bytes percent-encoded as they are ("raw" also declares a charset)
    body = "&".join(f"{_quote(k.encode())}={_quote(v)}" for k, v in fields.items())
    content_type = ("application/x-www-form-urlencoded; charset=latin-1" if encoding == "raw"
                    else "application/x-www-form-urlencoded")
    return client.post(path, data=body, content_type=content_type)


# byte -> as urllib.parse.quote_from_bytes writes it (letters, digits, "_.-~" and "/" as they
# are, any other byte as %XX)
_QUOTED = [chr(b) if chr(b).isascii() and (chr(b).isalnum() or chr(b) in "_.-~/") else f"%{b:02X}"
           for b in range(256)]
# ... as three byte tables, the first, second and third character of each byte's quoting, NUL
# where it is shorter (NUL itself is quoted "%00", so no quoting holds one)
_PLANES = [bytes(ord((q + "\0\0")[i]) for q in _QUOTED) for i in range(3)]


def _quote(value: bytes) -> str:
    """``urllib.parse.quote_from_bytes(value)`` in C loops over the whole value: each byte's
    three characters translated and interleaved, the NUL padding taken out.  Python 3.11's
    calls a Python function per byte, and a table lookup per byte still took 6% of this
    file's time with its 100 kB values."""
    out = bytearray(3 * len(value))
    for i, table in enumerate(_PLANES):
        out[i::3] = value.translate(table)
    return out.translate(None, b"\0").decode("ascii")


def test_quote_is_urllibs() -> None:
    from urllib.parse import quote_from_bytes

    every = bytes(range(256))
    assert _quote(every) == quote_from_bytes(every)
    assert _quote("第一行\r\n=%&+ a".encode() * 3) == quote_from_bytes("第一行\r\n=%&+ a".encode() * 3)
    assert _quote(b"") == ""
    assert _quote(b"\x00\x00a") == "%00%00a"
    assert all(_quote(b) == quote_from_bytes(b) for b in (every[i:] + every[:i] for i in range(256)))


def test_the_content_is_read_again_after_every_commit(app: Flask, tmp_path: Path) -> None:
    """What lets an example reuse the fingerprint it was checked against: the app's commit
    moves the watch, a rolled-back write does not, and a moved watch reads the content again."""
    watch = CommitWatch(tmp_path / "test.db")
    fingerprint = watched(table_fingerprint(app), watch)
    try:
        first = fingerprint()
        assert fingerprint() is first
        create_person(app, Role.OWNER_DELEGATE)  # a commit of the app's own session
        second = fingerprint()
        assert {"user_account", "membership", "audit_event"} <= set(changed_tables(first, second))
        with app.app_context():
            db.session.execute(sa.text("DELETE FROM audit_event"))
            db.session.rollback()
        assert fingerprint() is second
        assert not watch.committed()
        with app.app_context():  # the same content written again: read again, found equal
            db.session.execute(sa.text("UPDATE user_account SET email = email"))
            db.session.commit()
        third = fingerprint()
        assert third is not second and third == second
    finally:
        watch.close()


@pytest.mark.parametrize(("endpoint", "rule"), ROUTES, ids=[e for e, _ in ROUTES])
def test_form_post_survives_random_input(city: DemoCity, endpoint: str, rule: str) -> None:
    city.reset()
    role = role_for(endpoint)
    client = login_as(city, role)
    path = concrete_path(city.app, endpoint, rule)
    names, files, token = form_fields(client, path)
    if token is None:
        token = csrf_token(client, "/")
    foreign = _foreign_token(city, role)
    cookie = client.get_cookie("session")
    session_value = cookie.value if cookie is not None else None
    # Every table's content, read again only after a commit: a refusal commits nothing, so
    # the fingerprint it was checked against is the next example's "before".
    watch = CommitWatch(city.db_path)
    fingerprint = watched(table_fingerprint(city.app), watch)

    @given(sub=submissions(names, files), wrong=st.text(max_size=100))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def post_once(sub: dict[str, Any], wrong: str) -> None:
        sub["token_value"] = foreign if sub["csrf"] == "foreign" else wrong
        if session_value is not None:  # the same login for every example, even after /logout
            client.set_cookie("session", session_value)
        before = fingerprint()
        response = _send(client, path, sub, token)
        status = response.status_code
        SEEN["posts"] += 1
        SEEN[f"encoding {sub['encoding']}"] += 1
        SEEN["5xx"] += status >= 500
        if endpoint != "billing.stripe_webhook":  # CSRF-exempt: Stripe signs its posts
            STATS[sub["csrf"], status] += 1
        assert status < 500, (endpoint, status, sub["encoding"], sub["csrf"])
        if sub["csrf"] != "valid" and endpoint != "billing.stripe_webhook":
            assert status == 400, (endpoint, status, sub["csrf"])
        refused_redirect = status in (302, 303) and _flashed_error(client)
        SEEN["redirects with an error message"] += refused_redirect
        if status >= 400 or status == 200 or refused_redirect:
            after = fingerprint()
            changed = changed_tables(before, after)
            SEEN["refusals (4xx, forms shown again, redirects flashing an error), every table's content checked"] += 1
            SEEN["... of them with a table changed"] += bool(changed)
            assert not changed, (endpoint, status, sub["encoding"], changed)

    try:
        post_once()
    finally:
        watch.close()
        SEEN["routes fuzzed"] += 1
        _record()


# role -> a token valid for another session of the same person: refused whether or not that
# session still exists, so one login per role serves every route
FOREIGN: dict[str, str] = {}


def _foreign_token(city: DemoCity, role: str) -> str:
    if role not in FOREIGN:
        FOREIGN[role] = csrf_token(login_as(city, role), "/")
    return FOREIGN[role]


def _flashed_error(client: FlaskClient) -> bool:
    """Whether the answer flashed an error: a refusal shown on the page it redirects to."""
    with client.session_transaction() as session:
        return any(category == "error" for category, _m in session.get("_flashes", []))


def _record() -> None:
    """What the fuzzing did so far (recorded after each route, so a failure keeps its counts)."""
    record(SECTION, "POST routes enumerated from app.url_map", len(ROUTES))
    record(SECTION, "routes fuzzed", SEEN["routes fuzzed"])
    record(SECTION, "examples per route (PROOF_FUZZ_EXAMPLES)", EXAMPLES)
    record(SECTION, "posts sent", SEEN["posts"])
    record(SECTION, "posts by encoding", {k.removeprefix("encoding "): v
                                          for k, v in sorted(SEEN.items())
                                          if k.startswith("encoding ")})
    record(SECTION, "5xx answers", SEEN["5xx"])
    for fact in ("refusals (4xx, forms shown again, redirects flashing an error), every table's content checked",
                 "redirects with an error message",
                 "... of them with a table changed"):
        record(SECTION, fact, SEEN[fact])
    for kind in ("valid", "missing", "wrong", "foreign"):
        by_status = {str(status): n for (csrf, status), n in sorted(STATS.items()) if csrf == kind}
        record(SECTION, f"CSRF token {kind}: answers by status", by_status)


def test_the_fuzzing_reached_the_forms() -> None:
    """Run last (file order): the examples were not all refused at the door."""
    if not STATS:
        pytest.skip("run with the fuzzing tests above")
    summary = ", ".join(f"{csrf} {status}: {n}" for (csrf, status), n in sorted(STATS.items()))
    print(f"\nform fuzz: {sum(STATS.values())} posts to {len(ROUTES)} routes; {summary}")
    valid = {status: n for (csrf, status), n in STATS.items() if csrf == "valid"}
    # forms shown again with their errors: 400 by the convention, 200 where a form still does
    assert valid.get(200, 0) + valid.get(400, 0) >= len(ROUTES), summary
    assert valid.get(302, 0) >= 10, summary
    assert all(status == 400 for (csrf, status) in STATS if csrf != "valid"), summary

"""The OpenAPI document is generated from the code, is valid OpenAPI 3.1, and real responses
match it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource

from market.web.openapi import TEXT_PATTERN
from tests.agencies.helpers import agency, catalogue, fixed

# The document itself is the one /api/ route it does not describe.
NOT_DESCRIBED = {"api.openapi"}


def _doc(app: Flask) -> dict[str, Any]:
    r = app.test_client().get("/api/openapi.json")
    assert r.status_code == 200
    return r.get_json()  # type: ignore[no-any-return]


def test_document_is_valid_openapi(app: Flask) -> None:
    doc = _doc(app)
    validate(doc)
    assert doc["openapi"].startswith("3.")
    for path in ("/api/service-types", "/api/agencies", "/api/agencies/{agency_id}"):
        assert "get" in doc["paths"][path]
    names = {p["name"] for p in doc["paths"]["/api/agencies"]["get"]["parameters"]}
    assert {"service", "region", "q", "level", "fee_min_fen", "fee_max_fen", "days_max", "sort",
            "page", "per_page"} <= names


def _template(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def test_every_api_route_is_described(app: Flask) -> None:
    """Every public JSON route under /api/ is in the document, so schemathesis tests it."""
    documented = set(_doc(app)["paths"])
    missing = sorted(r.rule for r in app.url_map.iter_rules()
                     if r.rule.startswith("/api/") and r.endpoint not in NOT_DESCRIBED
                     and _template(r.rule) not in documented)
    assert not missing
    assert {"/api/lotteries", "/api/calendar/add", "/api/calendar/count",
            "/api/ocds/{request_id}.json", "/api/ocds/releases.json", "/api/requests",
            "/api/requests/{public_id}"} <= documented


# Public URLs outside /api/ whose bytes lottery-v1 specifies: described too, media type each.
ENGLISH = {"Accept-Language": "en"}
SIGNED_LOG = {"/transparency/key": "application/json",
              "/transparency/checkpoint": "text/plain",
              "/transparency/log": "application/x-ndjson",
              "/transparency/consistency": "application/json",
              "/lotteries/{lottery_id}/bundle.json": "application/json"}


def test_the_signed_log_and_the_bundles_are_described(app: Flask) -> None:
    paths = _doc(app)["paths"]
    for path, media_type in SIGNED_LOG.items():
        assert list(paths[path]["get"]["responses"]["200"]["content"]) == [media_type], path
    log_params = {p["name"] for p in paths["/transparency/log"]["get"]["parameters"]}
    assert log_params == {"start", "end"}
    assert paths["/transparency/log"]["get"]["responses"]["200"]["headers"]["X-Log-Size"]
    assert {p["name"]: p["required"] for p in
            paths["/transparency/consistency"]["get"]["parameters"]} == {"from": True,
                                                                         "to": False}


def _validate(doc: dict[str, Any], schema: dict[str, Any], value: Any) -> None:
    if "$ref" in schema:
        schema = {"$ref": schema["$ref"].replace("#/", "urn:doc#/")}
    registry = Registry().with_resource("urn:doc", Resource.opaque(doc))
    OAS31Validator(schema, registry=registry).validate(value)


def test_the_signed_log_answers_as_documented_byte_for_byte(app: Flask) -> None:
    """The document describes the log's URLs; what they answer is still exactly what
    lottery-v1 specifies (the note, the hashed leaves), and they still ignore unknown
    parameters as they always did."""
    from market.db import db
    from market.transparency import log
    from tests.support.lotteries import announce_and_register

    with app.app_context():
        for n in range(2):
            log.append(announce_and_register(f"T-{n}", [f"AG-{n}{a:03d}" for a in range(3)]))
            db.session.commit()
        size = log.size()
        leaves = b"".join(leaf + b"\n" for leaf in log.leaves(0, size))
        note = log.latest_checkpoint().note
    doc, client = _doc(app), app.test_client()

    def schema(path: str, status: str = "200", media: str = "application/json") -> Any:
        return doc["paths"][path]["get"]["responses"][status]["content"][media]["schema"]

    key = client.get("/transparency/key?cache=1")
    _validate(doc, schema("/transparency/key"), key.get_json())
    checkpoint = client.get("/transparency/checkpoint")
    assert checkpoint.mimetype == "text/plain" and checkpoint.get_data(as_text=True) == note
    whole = client.get("/transparency/log?x=1")
    assert whole.mimetype == "application/x-ndjson" and whole.get_data() == leaves
    assert whole.headers["X-Log-Size"] == str(size) == str(leaves.count(b"\n"))
    part = client.get("/transparency/log?start=2&end=5&end_=9").get_data()
    assert part == b"\n".join(leaves.split(b"\n")[2:5]) + b"\n"
    proof = client.get("/transparency/consistency?from=3").get_json()
    _validate(doc, schema("/transparency/consistency"), proof)
    assert (proof["from"], proof["to"]) == (3, size)
    for url, message in ((f"/transparency/log?end={size + 1}",
                          f"end: must not be past the log's size, {size}"),
                         ("/transparency/log?start=5&end=4", "start: must not be past end"),
                         ("/transparency/log?start=-1", "start must be in 0..999999999999999"),
                         ("/transparency/consistency", "from is required"),
                         ("/transparency/consistency?from=4&to=3", "from: must not be past to"),
                         (f"/transparency/consistency?from=0&to={size + 1}",
                          f"to: must not be past the log's size, {size}")):
        r = client.get(url, headers=ENGLISH)
        assert r.status_code == 400 and r.get_json()["error"]["message"] == message, url
        _validate(doc, schema(url.split("?")[0], "400"), r.get_json())


def test_an_empty_log_has_no_checkpoint_as_documented(app: Flask) -> None:
    doc, r = _doc(app), app.test_client().get("/transparency/checkpoint")
    assert r.status_code == 404
    responses = doc["paths"]["/transparency/checkpoint"]["get"]["responses"]
    _validate(doc, responses["404"]["content"]["application/json"]["schema"], r.get_json())


def _params(doc: dict[str, Any], path: str) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in doc["paths"][path]["get"]["parameters"]}


def test_required_date_and_renamed_parameters_are_documented(app: Flask) -> None:
    doc = _doc(app)
    count = _params(doc, "/api/calendar/count")
    assert set(count) == {"from", "to", "division"} and count["from"]["required"]
    assert not count["division"]["required"]  # without it, the national calendar
    schema = count["from"]["schema"]
    assert schema["format"] == "date"
    year = re.compile(schema["pattern"])
    for value, ok in (("2000-01-01", True), ("2100-12-31", True), ("2026-02-28", True),
                      ("1999-12-31", False), ("2101-01-01", False), ("2026-13-01", False),
                      ("2026-01-32", False), ("2026-1-01", False)):
        assert bool(year.search(value)) is ok, value
    add = _params(doc, "/api/calendar/add")
    assert add["days"]["required"] and add["days"]["schema"]["maximum"] == 10_000
    assert not _params(doc, "/api/agencies")["page"]["required"]
    assert _params(doc, "/api/agencies")["q"]["schema"]["anyOf"][0]["maxLength"] == 100
    ocds = _params(doc, "/api/ocds/{request_id}.json")["request_id"]
    assert ocds["in"] == "path" and ocds["schema"]["pattern"] == "^RQ-[0-9]+$"
    bulk = doc["paths"]["/api/ocds/releases.json"]["get"]["responses"]["200"]
    assert bulk["headers"]["X-Total-Count"]["required"]
    releases = doc["components"]["schemas"]["OcdsReleasePackage"]["properties"]["releases"]
    assert releases["items"] == {"type": "object", "additionalProperties": {}}


@pytest.mark.parametrize(("url", "code", "message"), [
    ("/api/calendar/add?days=1", "missing_parameter", "start is required"),
    ("/api/calendar/count?to=2026-01-01", "missing_parameter", "from is required"),
    ("/api/calendar/add?start=2026-02-30&days=1", "invalid_parameter",
     "start must be a date YYYY-MM-DD from 2000-01-01 to 2100-12-31"),
    ("/api/calendar/add?start=20260201&days=1", "invalid_parameter",
     "start must be a date YYYY-MM-DD from 2000-01-01 to 2100-12-31"),
    ("/api/calendar/add?start=2026-02-01&days=%2B1&x=", "unknown_parameter",
     "unknown query parameter: x"),
    ("/api/calendar/count?from=2026-01-02&to=2026-01-01", "invalid_parameter",
     "to: must not be before from"),
    ("/api/lotteries?per_page=0", "invalid_parameter", "per_page must be in 1..100"),
    ("/api/ocds/releases.json?page=x", "invalid_parameter", "page must be an integer"),
    ("/api/ocds/RQ-000001.json?page=1", "unknown_parameter", "unknown query parameter: page"),
])
def test_bad_input_is_a_clear_400(app: Flask, url: str, code: str, message: str) -> None:
    """In English when asked for it (Chinese by default: tests/api/test_validation_language.py)."""
    r = app.test_client().get(url, headers=ENGLISH)
    assert r.status_code == 400
    assert r.get_json() == {"error": {"code": code, "message": message}}


def _string_parameters(doc: dict[str, Any]) -> list[tuple[str, str, int]]:
    """(path, name, maxLength) of every free-text query parameter of the document (free text:
    only the text rule's pattern, no pattern of its own)."""
    found = []
    for path, item in doc["paths"].items():
        for p in item.get("get", {}).get("parameters", []):
            schema = p["schema"].get("anyOf", [p["schema"]])[0]
            # free text carries the text rule's pattern (no control characters), nothing else
            if p["in"] == "query" and "maxLength" in schema and \
                    schema.get("pattern", TEXT_PATTERN) == TEXT_PATTERN:
                found.append((path, p["name"], schema["maxLength"]))
    return found


def test_documented_string_lengths_are_the_enforced_ones(app: Flask) -> None:
    """A string as long as its documented ``maxLength`` is not refused for its length; one
    character more is (found by a client: ``q`` was documented 200 and refused past 100)."""
    catalogue(app)
    client = app.test_client()
    found = _string_parameters(_doc(app))
    assert ("/api/agencies", "q", 100) in found
    for path, name, longest in found:
        for length in (longest, longest + 1):
            r = client.get(path, query_string={name: "云" * length})
            too_long = r.status_code == 400 and (
                "too long" in r.get_json()["error"]["message"]
                or "太长" in r.get_json()["error"]["message"])
            assert too_long is (length > longest), (path, name, length, r.get_json())


def _matching_template(doc: dict[str, Any], path: str) -> str:
    for template in doc["paths"]:
        if re.fullmatch(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)), path):
            return template
    raise AssertionError(path)


@pytest.mark.parametrize("path", ["/api/service-types", "/api/agencies?service=EIA",
                                  "/api/agencies/{id}", "/api/agencies?per_page=1000",
                                  "/api/agencies/AG-999999", "/api/lotteries",
                                  "/api/lotteries?page=x",
                                  "/api/calendar/add?start=2026-09-30&days=3",
                                  "/api/calendar/count?from=2026-09-30&to=2026-10-09",
                                  "/api/calendar/count?from=2026-09-30",
                                  "/api/ocds/releases.json", "/api/ocds/RQ-999999.json"])
def test_responses_match_the_document(app: Flask, path: str) -> None:
    catalogue(app)
    public_id = agency(app, "云川青禾环境科技有限公司", level="甲级",
                       listings={"EIA": fixed(80_000, 30)})
    doc = _doc(app)
    url = path.replace("{id}", public_id)
    r = app.test_client().get(url)
    responses = doc["paths"][_matching_template(doc, url.split("?")[0])]["get"]["responses"]
    schema = responses[str(r.status_code)]["content"]["application/json"]["schema"]
    resolved = {"$ref": schema["$ref"].replace("#/", "urn:doc#/")}
    registry = Registry().with_resource("urn:doc", Resource.opaque(doc))
    OAS31Validator(resolved, registry=registry).validate(r.get_json())

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

from tests.agencies.helpers import agency, catalogue, fixed

# Views of the `api` blueprint must be described.  Other blueprints' /api/ routes (calendar,
# lotteries…) appear in the document once their owners add @endpoint (see market.api); until
# then they are listed by test_undescribed_api_routes_are_reported.
NOT_DESCRIBED_HERE = {"api.openapi"}


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


def test_every_api_blueprint_route_is_described(app: Flask) -> None:
    documented = set(_doc(app)["paths"])
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and rule.endpoint not in NOT_DESCRIBED_HERE:
            assert _template(rule.rule) in documented, rule.rule


def test_undescribed_api_routes_are_reported(app: Flask) -> None:
    documented = set(_doc(app)["paths"])
    missing = sorted(r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/api/")
                     and r.endpoint not in NOT_DESCRIBED_HERE
                     and _template(r.rule) not in documented)
    print("api routes without @endpoint:", missing)  # shown with pytest -s


@pytest.mark.parametrize("path", ["/api/service-types", "/api/agencies?service=EIA",
                                  "/api/agencies/{id}", "/api/agencies?per_page=1000",
                                  "/api/agencies/AG-999999"])
def test_responses_match_the_document(app: Flask, path: str) -> None:
    catalogue(app)
    public_id = agency(app, "云川青禾环境科技有限公司", level="甲级",
                       listings={"EIA": fixed(80_000, 30)})
    doc = _doc(app)
    r = app.test_client().get(path.replace("{id}", public_id))
    template = path.split("?")[0].replace(public_id, "{agency_id}")
    if template.startswith("/api/agencies/"):
        template = "/api/agencies/{agency_id}"
    responses = doc["paths"][template]["get"]["responses"]
    schema = responses[str(r.status_code)]["content"]["application/json"]["schema"]
    resolved = {"$ref": schema["$ref"].replace("#/", "urn:doc#/")}
    registry = Registry().with_resource("urn:doc", Resource.opaque(doc))
    OAS31Validator(resolved, registry=registry).validate(r.get_json())

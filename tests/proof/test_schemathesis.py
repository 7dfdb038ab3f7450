"""schemathesis against the generated OpenAPI document (bad input).

Every operation of ``/api/openapi.json`` (catalogue, agencies, requests, lotteries, calendar,
OCDS, the signed draw log and the draw bundles: ``tests/api/test_openapi.py`` keeps it that way) is driven
in-process through the WSGI app (``schemathesis.openapi.from_wsgi``), on a database holding the
demo city, with up to ``MAX_EXAMPLES`` positive and ``MAX_EXAMPLES`` negative examples per
operation.  Each response must not be a 5xx and must match the document (status code, content
type, headers, body schema); negative data must be refused and positive data accepted, except
where a 400 depends on the data or on two parameters together (valid by the document, refused
because of what they are): an unknown service code or region, a maximum fee below the minimum,
a calendar due date past 2100, a count whose ``to`` is before ``from``, a log range past the
log's size or backwards; an integral float such as ``3.0`` for an integer parameter; and a
format character above U+FFFF, which free text refuses like every control and format character
but the document's pattern cannot name.  Generated ids are almost never real ones, so
``test_real_ids_match_the_document`` checks the operations with a path parameter on the demo
city's ids.  (schemathesis' own pytest plugin does not load under pytest 9, so the operations
are looped over here with hypothesis' ``@given``.)  Each operation's count of calls goes to the
reliability report (:func:`tests.proof.report.record`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance

from market.db import db
from tests.proof.report import record
from tests.support import demo_data

MAX_EXAMPLES = 25
CROSS_CHECKED = ("service:", "region:", "division:", "department:", "fee_max_fen:", "days:",
                 "to:", "from:", "start:", "end:")


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = demo_data.demo_app(Path(tmp_path_factory.mktemp("schemathesis")))
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def operations(demo_app: Flask) -> list[schemathesis.APIOperation]:
    """The document's operations, loaded once for the module: schemathesis keeps what it
    resolves and compiles (schemas, validators) on the loaded document."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", demo_app)
    return [result.ok() for result in schema.get_all_operations()]


def _run(operation: schemathesis.APIOperation, mode: GenerationMode) -> int:
    calls = 0

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case: schemathesis.Case) -> None:
        nonlocal calls
        calls += 1
        response = case.call()
        case.validate_response(response, excluded_checks=[positive_data_acceptance])
        if mode == GenerationMode.POSITIVE and response.status_code == 400:
            # Schema-valid values the API refuses, with a 400 the document lists: a service
            # code, region, division or department code not in the data (not part of the
            # document) and a fee_max_fen below fee_min_fen.  Anything else schema-valid must be accepted.
            # Also tolerated: an integral float (3.0 is an "integer" in JSON Schema, but "3.0" in
            # a query string is not one; the API wants digits).
            error = response.json()["error"]
            assert error["code"] == "invalid_parameter", error
            floats = [k for k, v in (case.query or {}).items() if isinstance(v, float)]
            # And a format character above the Basic Multilingual Plane (U+E0001…): refused
            # like the others, but the document's pattern cannot name it (see spec.TEXT_PATTERN).
            # In the request's language (Chinese when it names none: tests/api/
            # test_validation_language.py), so either wording.
            astral = re.search(r"\(U\+[0-9A-F]{5,6}\) is a control or format character|"
                               r"（U\+[0-9A-F]{5,6}）是控制字符或格式字符", error["message"])
            assert error["message"].startswith(CROSS_CHECKED) or astral or any(
                error["message"] in (f"{k} must be an integer", f"{k} 须为整数")
                for k in floats), (case.query, error)

    check()
    return calls


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_conforms_to_its_openapi_document(operations: list[schemathesis.APIOperation],
                                              mode: GenerationMode) -> None:
    assert len(operations) >= 10, [op.label for op in operations]
    failures: dict[str, BaseException] = {}
    skipped: list[str] = []
    calls: dict[str, int] = {}
    for operation in operations:
        try:
            calls[operation.label] = _run(operation, mode)
        except Unsatisfiable:
            # No parameter, or only a free-form string path parameter: there is no
            # schema-violating request.
            assert mode == GenerationMode.NEGATIVE and not operation.query, operation.label
            skipped.append(operation.label)
        except Exception as error:  # collect every operation's failure, not just the first
            failures[operation.label] = error
    assert not failures, "\n\n".join(f"{label}:\n{err}" for label, err in failures.items())
    assert all(n >= 1 for n in calls.values()), calls
    assert len(skipped) <= 4, skipped
    for label, n in calls.items():
        record("schemathesis", f"{label} {mode.value}",
               f"{n} calls, no 5xx, every response as documented")
    for label in skipped:
        record("schemathesis", f"{label} {mode.value}",
               "no schema-violating request exists (no parameter, or a free path id)")


def test_real_ids_match_the_document(demo_app: Flask,
                                     operations: list[schemathesis.APIOperation]) -> None:
    """The operations with a path parameter, on ids that exist (generated ones are 404s)."""
    client = demo_app.test_client()
    agencies = [a["id"] for a in client.get("/api/agencies?per_page=5").get_json()["items"]]
    requests = [r["id"] for r in client.get("/api/requests?per_page=100").get_json()["items"]]
    lotteries = [lot["id"] for lot in client.get("/api/lotteries?per_page=100").get_json()["items"]
                 if lot["bundle_url"] is not None]
    assert agencies and len(requests) >= 8 and lotteries
    ids = {"agency_id": agencies, "public_id": requests, "request_id": requests,
           "lottery_id": lotteries}
    checked = 0
    for operation in operations:
        names = [p.name for p in operation.path_parameters]
        if not names or operation.definition.raw.get("security"):
            continue  # the bearer-token operations: test_the_machine_clients_api_with_a_real_token
        (name,) = names
        for value in ids[name]:
            case = operation.Case(path_parameters={name: value})
            response = case.call()
            assert response.status_code == 200, (operation.label, value)
            case.validate_response(response, excluded_checks=[positive_data_acceptance])
            checked += 1
        record("schemathesis", f"{operation.label} real ids",
               f"{len(ids[name])} ids of the demo city, every response as documented")
    assert checked >= 2 * len(requests) + len(agencies) + len(lotteries)


@pytest.mark.parametrize("url", [
    "/api/requests?page=360705531832201856", "/api/agencies?page=1000001",
    "/api/service-types?page=1000001", "/api/ocds/releases.json?page=99999999999999999999",
    "/api/lotteries?page=99999999999999999999&per_page=5",
])
def test_a_page_number_past_the_last_possible_page_is_a_400(demo_app: Flask, url: str) -> None:
    """Found by schemathesis: an offset past 2**63 made SQLite raise (a 500)."""
    assert demo_app.test_client().get(url).status_code == 400


def test_a_huge_page_number_on_the_notices_page_is_the_last_page(demo_app: Flask) -> None:
    assert demo_app.test_client().get("/notices?page=99999999999999999999").status_code == 200


def test_empty_optional_parameters_are_documented_and_accepted(demo_app: Flask) -> None:
    """Found by schemathesis: ``?level=`` means "no filter" but the document forbade it."""
    client = demo_app.test_client()
    assert client.get("/api/agencies?level=&fee_min_fen=").status_code == 200
    doc = client.get("/api/openapi.json").get_json()
    params = {p["name"]: p for p in doc["paths"]["/api/agencies"]["get"]["parameters"]}
    assert {"type": "string", "enum": [""]} in params["level"]["schema"]["anyOf"]
    assert params["fee_min_fen"]["schema"]["anyOf"][0]["maximum"] == 10_000_000_000


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_machine_clients_api_with_a_real_token(demo_app: Flask,
                                                   operations: list[schemathesis.APIOperation],
                                                   mode: GenerationMode) -> None:
    """The operations behind a bearer token (shared/spec/integration.md), fuzzed with a real
    token of the province's platform holding every scope: no 5xx, every response as
    documented.  Schema-valid data may still be refused by a rule of the data (an unknown
    matter, a project the client may not see, a transition the case does not allow), always
    with a documented 4xx and a code."""
    from schemathesis.specs.openapi.checks import ignored_auth

    from market.integration import clients

    with demo_app.app_context():
        new = clients.create_client("模糊测试平台", None, ["cases:write", "projects:read",
                                                     "deliverables:read", "webhooks:manage"])
        db.session.commit()
        client_id, secret = new.row.client_id, new.secret
    http = demo_app.test_client()
    r = http.post("/oauth/token", data={"grant_type": "client_credentials"},
                  auth=(client_id, secret))
    assert r.status_code == 200, r.get_data(as_text=True)
    headers = {"Authorization": "Bearer " + r.get_json()["access_token"]}
    secured = [op for op in operations
               if any("bearer" in s for s in op.definition.raw.get("security", ()))]
    assert len(secured) >= 6, [op.label for op in secured]
    failures: dict[str, BaseException] = {}
    for operation in secured:
        calls = 0

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case) -> None:
            nonlocal calls
            calls += 1
            response = case.call(headers=headers)
            assert response.status_code < 500, (case.body, response.text)
            assert response.status_code != 401, response.text  # the token is real
            # ignored_auth sends its own invalid credentials; the refusals of a missing or bad
            # token are tests/integration/test_oauth.py's.
            case.validate_response(response, excluded_checks=[positive_data_acceptance,
                                                              ignored_auth])

        try:
            check()
        except Unsatisfiable:
            assert mode == GenerationMode.NEGATIVE, operation.label
            continue
        except Exception as error:  # every operation's failure, not just the first
            failures[operation.label] = error
            continue
        record("schemathesis", f"{operation.label} {mode.value} with a token",
               f"{calls} calls, no 5xx, every response as documented")
    assert not failures, "\n\n".join(f"{label}:\n{err}" for label, err in failures.items())

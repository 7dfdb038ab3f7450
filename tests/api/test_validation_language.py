"""The API's request validation speaks the request's language like its other refusals:
Chinese first, English when Accept-Language prefers it; the machine code never changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask

from market import timeutil
from tests.integration.helpers import bearer, counts, department, make_client, token

ENGLISH = "en-US,en;q=0.9"


def _get(app: Flask, url: str, language: str | None) -> tuple[int, dict[str, str]]:
    headers = {"Accept-Language": language} if language else {}
    r = app.test_client().get(url, headers=headers)
    return r.status_code, r.get_json()["error"]


@pytest.mark.parametrize(("url", "code", "chinese", "english"), [
    ("/api/calendar/add?days=1", "missing_parameter", "缺少 start", "start is required"),
    ("/api/calendar/add?start=2026-02-30&days=1", "invalid_parameter",
     "start 须为 YYYY-MM-DD 格式的日期，从 2000-01-01 到 2100-12-31",
     "start must be a date YYYY-MM-DD from 2000-01-01 to 2100-12-31"),
    ("/api/calendar/add?start=2026-02-01&days=1&x=", "unknown_parameter",
     "未知的查询参数：x", "unknown query parameter: x"),
    ("/api/lotteries?per_page=0", "invalid_parameter", "per_page 须在 1..100 之内",
     "per_page must be in 1..100"),
    ("/api/ocds/releases.json?page=x", "invalid_parameter", "page 须为整数",
     "page must be an integer"),
    ("/api/agencies?sort=nope", "invalid_parameter", "sort 须为以下之一：",
     "sort must be one of: "),
    ("/api/agencies?q=a%E2%80%8Bb", "invalid_parameter",
     "q：第 2 个字符（U+200B）是控制字符或格式字符",
     "q: character 2 (U+200B) is a control or format character"),
    ("/transparency/consistency", "missing_parameter", "缺少 from", "from is required"),
])
def test_query_validation_follows_accept_language(app: Flask, url: str, code: str,
                                                  chinese: str, english: str) -> None:
    for language, expected in ((None, chinese), ("zh-CN,zh;q=0.9", chinese),
                               ("fr-FR", chinese), (ENGLISH, english)):
        status, error = _get(app, url, language)
        assert status == 400 and error["code"] == code, (language, error)
        assert error["message"].startswith(expected), (language, error)


NOW = datetime(2026, 12, 30, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(("body", "code", "chinese", "english"), [
    ({"event_id": "a b"}, "invalid_field", "event_id 须符合 ", "event_id must match "),
    ({"extra": 1}, "unknown_field", "未知的字段：extra", "unknown field: extra"),
    ({"days": "3"}, "invalid_field", "days 须为整数", "days must be an integer"),
    ({"days": 99}, "invalid_field", "days 须为 1 至 15", "days must be from 1 to 15"),
    ({"type": "x"}, "invalid_field", "type 须为以下之一：", "type must be one of: "),
    ({"case_no": None}, "invalid_field", "case_no 须为字符串", "case_no must be a string"),
    ({"case_no": ...}, "missing_field", "缺少 case_no", "case_no is required"),
])
def test_body_validation_follows_accept_language(app: Flask, body: dict[str, object],
                                                 code: str, chinese: str,
                                                 english: str) -> None:
    department(app)
    client = make_client(app, "cases:write", department_code="YC-STHJJ")
    http = app.test_client()
    with timeutil.frozen(NOW):
        value = token(http, client)
    event = {"event_id": "e-1", "case_no": "SP-1", "project_code": "2026-530100-48-01-000001",
             "matter_code": "EIA-APPROVAL", "type": "applied",
             "at": "2026-12-01T09:00:00+08:00"}
    for key, field_value in body.items():
        if field_value is ...:
            del event[key]
        else:
            event[key] = field_value
    before = counts(app)
    for language, expected in ((None, chinese), (ENGLISH, english)):
        headers = bearer(value) | ({"Accept-Language": language} if language else {})
        with timeutil.frozen(NOW):
            r = http.post("/api/v1/case-events", json=event, headers=headers)
        error = r.get_json()["error"]
        assert r.status_code == 400 and error["code"] == code, (language, error)
        assert error["message"].startswith(expected), (language, error)
    with timeutil.frozen(NOW):
        r = http.post("/api/v1/case-events", data="x", headers=bearer(value))
    assert r.status_code == 415
    assert r.get_json()["error"]["message"] == "请以 application/json 发送请求体"
    assert counts(app) == before


def test_the_pull_and_webhooks_refusals_follow_accept_language(app: Flask) -> None:
    client = make_client(app, "webhooks:manage projects:read")
    http = app.test_client()
    with timeutil.frozen(NOW):
        value = token(http, client)
        for language, project, url in ((None, "没有这个项目。", "url 不能带用户名或密码"),
                                       (ENGLISH, "No such project.",
                                        "url must not carry a user name or password")):
            headers = bearer(value) | ({"Accept-Language": language} if language else {})
            r = http.get("/api/v1/projects/2099-000000-00-00-000000", headers=headers)
            assert r.status_code == 404
            assert r.get_json()["error"] == {"code": "not_found", "message": project}
            r = http.post("/api/v1/webhooks", headers=headers, json={
                "url": "https://user:pw@example.com/hook", "events": ["engagement.started"]})
            assert r.status_code == 422
            assert r.get_json()["error"] == {"code": "invalid_url", "message": url}


@pytest.mark.parametrize(("url", "status", "code", "chinese", "english"), [
    ("/api/agencies/AG-999999", 404, "not_found", "没有已准入的中介机构 AG-999999。",
     "No admitted agency AG-999999."),
    ("/api/agencies?fee_min_fen=9&fee_max_fen=1", 400, "invalid_parameter",
     "fee_max_fen: 最高收费不能低于最低收费。", "fee_max_fen: The maximum fee cannot be lower"),
    ("/api/ocds/RQ-999999.json", 404, "not_found", "没有已发布的采购公告 RQ-999999。",
     "No published selection notice RQ-999999."),
    ("/transparency/checkpoint", 404, "not_found", "日志为空。", "The log is empty."),
    ("/transparency/log?start=5&end=0", 400, "invalid_parameter", "start: 不能大于 end",
     "start: must not be past end"),
    ("/transparency/bids/log?start=-1", 400, "bad_request", "start: 须满足 0 ≤ start ≤ end",
     "0 <= start <= end"),
    ("/api/v1/projects/2099-000000-00-00-000000", 401, "unauthorized",
     "需要持有访问令牌（OAuth 2.0 客户端凭据，在 /oauth/token 获取）。",
     "A bearer token is required (OAuth 2.0 client credentials at /oauth/token)."),
    ("/api/no-such-route", 404, "not_found", "您要找的页面不存在。",
     "The page you are looking for does not exist."),
])
def test_the_other_api_refusals_follow_accept_language(
        app: Flask, url: str, status: int, code: str, chinese: str, english: str) -> None:
    for language, expected in ((None, chinese), ("zh-CN,zh;q=0.9", chinese),
                               (ENGLISH, english)):
        got, error = _get(app, url, language)
        assert got == status and error["code"] == code, (language, error)
        assert error["message"].startswith(expected), (language, error)


def test_token_refusals_follow_accept_language(app: Flask) -> None:
    client = make_client(app, "webhooks:manage")
    http = app.test_client()
    with timeutil.frozen(NOW):
        value = token(http, client)
        for language, invalid, scope in (
                (None, "访问令牌无效、已过期或已撤销。", "此调用需要权限范围 projects:read。"),
                (ENGLISH, "The access token is unknown, expired or revoked.",
                 "This call needs the scope projects:read.")):
            extra = {"Accept-Language": language} if language else {}
            r = http.get("/api/v1/projects/2099-000000-00-00-000000",
                         headers=bearer("nope") | extra)
            assert r.status_code == 401
            assert r.get_json()["error"] == {"code": "invalid_token", "message": invalid}
            # the challenge header stays ASCII (RFC 6750 §3: error_description)
            assert "unknown, expired or revoked" in r.headers["WWW-Authenticate"]
            r = http.get("/api/v1/projects/2099-000000-00-00-000000",
                         headers=bearer(value) | extra)
            assert r.status_code == 403
            assert r.get_json()["error"] == {"code": "insufficient_scope", "message": scope}

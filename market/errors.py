"""Styled error pages; a server error gets a reference id that is also logged."""

from __future__ import annotations

import logging
import uuid

from flask import Flask, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import HTTPException

from market.db import db, discard_failed_work

log = logging.getLogger("market.errors")

_JSON_CODES = {400: "bad_request", 401: "login_required", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 413: "too_large", 429: "too_many_requests"}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.endswith(".json")


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        discard_failed_work()
        return render_template("errors/error.html", code=400,
                               message=_("页面已过期或表单来源不明，请返回后刷新页面再提交。")), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        discard_failed_work()
        code = error.code or 500
        if code == 413:
            # The body was refused unread: the page's forms (language switch) would read it
            # again and raise the 413 out of this handler (a 500 from the server).
            for name in ("form", "files"):
                request.__dict__[name] = ImmutableMultiDict()
        # The exception's own headers (a 405's ``Allow``, RFC 9110 §15.5.6) go with the page
        # that replaces its body; the body's type is the page's.
        headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
        messages = {
            403: _("您没有权限访问此页面。"),
            404: _("您要找的页面不存在。"),
            405: _("不支持此操作方式。"),
            413: _("上传的文件太大。"),
            429: _("尝试次数过多，请稍后再试。"),
        }
        if _wants_json():
            # werkzeug's own description is English; one given to abort() is kept
            default = error.description == type(error).description
            message = (messages.get(code, _("请求有误。")) if default
                       else str(error.description))
            return jsonify({"error": {"code": _JSON_CODES.get(code, "error"),
                                      "message": message}}), code, headers
        return render_template("errors/error.html", code=code,
                               message=messages.get(code, _("请求有误。"))), code, headers

    @app.errorhandler(Exception)
    def server_error(error: Exception) -> ResponseReturnValue:
        db.session.rollback()  # whatever failed, the database may be why: always
        reference = uuid.uuid4().hex[:12]
        log.exception("unhandled error, reference %s, %s %s", reference, request.method,
                      request.path)
        if _wants_json():
            return jsonify({"error": {"code": "server_error",
                                      "message": _("服务器内部错误，参考编号 %(reference)s。",
                                                  reference=reference)}}), 500
        return render_template("errors/500.html", reference=reference), 500

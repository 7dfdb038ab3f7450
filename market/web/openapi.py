"""The OpenAPI registry of the web core: endpoint descriptions, query parsing and the OpenAPI 3.1
generator.  Any area's views may describe their JSON endpoints with it (how: :mod:`market.api`);
``GET /api/openapi.json`` collects them all."""

from __future__ import annotations

import dataclasses
import datetime
import functools
import re
import types
import typing
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from flask import Flask, current_app, jsonify, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from market.domain.text import clean_ascii, clean_text

T = TypeVar("T")
MAX_PER_PAGE = 100
# Beyond this a page number is refused (400): an offset past 2**63 made SQLite raise (a 500).
MAX_PAGE = 1_000_000
# Longest accepted string query parameter (documented as maxLength).
MAX_STRING = 200
# The largest integer a body field takes when it states no bound: within every database's
# INTEGER, so no value of a well-formed request overflows a column.
MAX_INT = 2**31 - 1


def _text_pattern() -> str:
    """A JSON Schema pattern for free text: no control or format character (Unicode Cc, Cf)
    of the Basic Multilingual Plane, which :func:`parse_query` refuses.  (Those above it, a
    few tag and musical-notation format characters, cannot be written in an ECMA-262 class
    without the ``u`` flag; they are refused all the same and said so in the description.)"""

    ranges: list[tuple[int, int]] = []
    for cp in range(0x10000):
        if unicodedata.category(chr(cp)) in ("Cc", "Cf"):
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    body = "".join(f"\\u{a:04X}" if a == b else f"\\u{a:04X}-\\u{b:04X}" for a, b in ranges)
    return f"^[^{body}]*$"


TEXT_PATTERN = _text_pattern()
TEXT_RULE = " Control and format characters (Unicode Cc, Cf) are refused; text is read as NFC."

# JSON Schema fragments for bytes written as text.
BASE64 = {"type": "string", "pattern": "^[A-Za-z0-9+/]*={0,2}$"}
HEX = {"type": "string", "pattern": "^[0-9a-f]*$"}

_MISSING = dataclasses.MISSING
# ``param(REQUIRED, ...)``: a query parameter without a default (documented ``required``; a
# request without it is refused with a 400 ``missing_parameter``).
REQUIRED: Any = _MISSING


class ApiError(Exception):
    """Refuse a request with ``{"error": {"code", "message"}}`` and a 4xx status."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_response(status: int, code: str, message: str) -> tuple[Response, int]:
    return jsonify({"error": {"code": code, "message": message}}), status


def param(default: Any, description: str, *, enum: tuple[str, ...] | None = None,
          minimum: int | datetime.date | None = None,
          maximum: int | datetime.date | None = None,
          pattern: str | None = None, name: str | None = None,
          max_length: int | None = None) -> Any:
    """A documented query parameter field for a query dataclass.

    ``default`` :data:`REQUIRED` makes it required.  A ``datetime.date`` field is read as
    ``YYYY-MM-DD`` (``format: date``); its bounds are dates, documented as a pattern on the year
    when they are whole years.  ``pattern`` (a regular expression searched in the raw value, as
    JSON Schema does) applies to strings; ``name`` is the parameter's name in the URL when it
    is not a Python identifier (``from``); ``max_length`` (default :data:`MAX_STRING`) is the
    longest string accepted and documented — give the limit the code behind it enforces."""
    meta: dict[str, Any] = {"description": description}
    for key, value in (("enum", enum), ("minimum", minimum), ("maximum", maximum),
                       ("pattern", pattern), ("name", name), ("max_length", max_length)):
        if value is not None:
            meta[key] = value
    if default is REQUIRED:
        return field(metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class PathParam:
    """The description, and optionally the pattern, of a path parameter (``endpoint(path=)``).

    The pattern documents the form of the ids; a value that does not match is simply not
    found (404), as any other unknown id."""

    description: str
    pattern: str | None = None


@dataclass
class PageQuery:
    """Paging parameters shared by every list."""

    page: int = param(1, "page number, from 1", minimum=1, maximum=MAX_PAGE)
    per_page: int = param(20, "items per page", minimum=1, maximum=MAX_PER_PAGE)


@dataclass
class Page(Generic[T]):
    """A page of a list; serialised as ``{"items", "total", "page", "per_page"}``."""

    items: list[T]
    total: int
    query: PageQuery


@dataclass(frozen=True)
class RawBody:
    """A 200 body the view writes itself because its bytes are specified elsewhere (a signed
    note, the log's JSON lines, a draw bundle: lottery-v1): documented by its media type and a
    schema written next to it, and passed through untouched."""

    media_type: str
    schema: Mapping[str, Any]


@dataclass(frozen=True)
class EndpointSpec:
    query: type | None
    response: type | RawBody | None
    paged: bool
    tag: str
    summary: str
    description: str
    errors: tuple[int, ...]
    path: Mapping[str, PathParam] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    ignore_unknown: bool = False
    body: type | None = None  # a JSON request body, parsed into this dataclass
    status: int = 200  # the success status (201 for a creation; 204 when response is None)
    created: bool = False  # also answers 201 with the same body (a creation, or a repeat: 200)


# --- query parsing ----------------------------------------------------------------------------


def _unwrap_optional(tp: Any) -> tuple[Any, bool]:
    args = typing.get_args(tp)
    if typing.get_origin(tp) in (typing.Union, types.UnionType) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return rest[0], True
    return tp, False


def _url_name(f: dataclasses.Field[Any]) -> str:
    return str(f.metadata.get("name", f.name))


def _parse_date(name: str, raw: str, lo: datetime.date | None,
                hi: datetime.date | None) -> datetime.date:
    value: datetime.date | None = None
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
        try:
            value = datetime.date.fromisoformat(raw)
        except ValueError:
            value = None
    if value is None or (lo is not None and value < lo) or (hi is not None and value > hi):
        if lo or hi:
            raise ApiError(400, "invalid_parameter", _(
                "%(name)s 须为 YYYY-MM-DD 格式的日期，从 %(lo)s 到 %(hi)s", name=name,
                lo=lo or "0001-01-01", hi=hi or "9999-12-31"))
        raise ApiError(400, "invalid_parameter", _("%(name)s 须为 YYYY-MM-DD 格式的日期",
                                                   name=name))
    return value


def parse_query(cls: type[T], args: Any, *, ignore_unknown: bool = False) -> T:
    """Build ``cls`` from request arguments; :class:`ApiError` (400) for anything missing,
    unparseable, out of range, outside its enum or pattern, or unknown (unless
    ``ignore_unknown``)."""
    hints = typing.get_type_hints(cls)
    fields = {_url_name(f): f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(args) - set(fields))
    if unknown and not ignore_unknown:
        raise ApiError(400, "unknown_parameter", _("未知的查询参数：%(name)s", name=unknown[0]))
    values: dict[str, Any] = {}
    for name, f in fields.items():
        if name not in args:
            if f.default is _MISSING and f.default_factory is _MISSING:
                raise ApiError(400, "missing_parameter", _("缺少 %(name)s", name=name))
            continue
        tp, optional = _unwrap_optional(hints[f.name])
        # What people type is cleaned as in every form (market.domain.text): NFC, full-width
        # digits in numbers and dates, control and format characters refused.
        cleaned = (clean_ascii if tp in (int, datetime.date) else clean_text)(
            args.get(name, ""))
        if cleaned.problem is not None:
            p = cleaned.problem
            raise ApiError(400, "invalid_parameter", _(
                "%(name)s：第 %(position)s 个字符（%(code)s）是上标或下标数字", name=name,
                position=p.position, code=p.code) if p.kind == "superscript" else _(
                "%(name)s：第 %(position)s 个字符（%(code)s）是控制字符或格式字符", name=name,
                position=p.position, code=p.code))
        raw = cleaned.value
        if raw == "" and optional:
            values[f.name] = None
            continue
        if tp is int:
            if not re.fullmatch(r"-?[0-9]{1,18}", raw):
                raise ApiError(400, "invalid_parameter", _("%(name)s 须为整数", name=name))
            value: Any = int(raw)
            lo, hi = f.metadata.get("minimum"), f.metadata.get("maximum")
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                bounds = f"{lo if lo is not None else '-inf'}..{hi if hi is not None else 'inf'}"
                raise ApiError(400, "invalid_parameter", _("%(name)s 须在 %(bounds)s 之内",
                                                           name=name, bounds=bounds))
        else:
            value = raw
            if len(value) > f.metadata.get("max_length", MAX_STRING):
                raise ApiError(400, "invalid_parameter", _("%(name)s 太长", name=name))
            enum = f.metadata.get("enum")
            if enum is not None and value not in enum:
                raise ApiError(400, "invalid_parameter", _(
                    "%(name)s 须为以下之一：%(values)s", name=name, values=", ".join(enum)))
            pattern = f.metadata.get("pattern")
            if pattern is not None and not re.search(pattern, value):
                raise ApiError(400, "invalid_parameter", _(
                    "%(name)s 须符合 %(pattern)s", name=name, pattern=pattern))
            if tp is datetime.date:
                value = _parse_date(name, value, f.metadata.get("minimum"),
                                    f.metadata.get("maximum"))
        values[f.name] = value
    return cls(**values)


def to_json(value: Any) -> Any:
    if isinstance(value, Page):
        return {"items": [to_json(i) for i in value.items], "total": value.total,
                "page": value.query.page, "per_page": value.query.per_page}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


# Longest JSON request body read; a longer one is refused unread (413).
MAX_BODY_BYTES = 64 * 1024


def body_field(default: Any, description: str, *, enum: tuple[str, ...] | None = None,
               max_length: int | None = None, pattern: str | None = None,
               fmt: str | None = None, max_items: int | None = None,
               minimum: int | None = None, maximum: int | None = None) -> Any:
    """A documented field of a JSON request body dataclass (:func:`endpoint` ``body=``).
    ``enum`` and ``max_length`` apply to a string or to each string of a ``list[str]``;
    ``pattern`` is searched in the string; ``fmt`` is documented (``uri``); ``minimum`` and
    ``maximum`` bound an ``int``."""
    meta: dict[str, Any] = {"description": description}
    for key, value in (("enum", enum), ("max_length", max_length), ("pattern", pattern),
                       ("format", fmt), ("max_items", max_items), ("minimum", minimum),
                       ("maximum", maximum)):
        if value is not None:
            meta[key] = value
    if default is REQUIRED:
        return field(metadata=meta)
    return field(default=default, metadata=meta)


def _body_string(name: str, value: Any, meta: Mapping[str, Any]) -> str:
    if not isinstance(value, str):
        raise ApiError(400, "invalid_field", _("%(name)s 须为字符串", name=name))
    if len(value) > meta.get("max_length", MAX_STRING):
        raise ApiError(400, "invalid_field", _("%(name)s 太长", name=name))
    enum = meta.get("enum")
    if enum is not None and value not in enum:
        raise ApiError(400, "invalid_field", _("%(name)s 须为以下之一：%(values)s", name=name,
                                               values=", ".join(enum)))
    cleaned = clean_text(value)
    if cleaned.problem is not None:
        raise ApiError(400, "invalid_field", _(
            "%(name)s：第 %(position)s 个字符（%(code)s）是控制字符或格式字符", name=name,
            position=cleaned.problem.position, code=cleaned.problem.code))
    pattern = meta.get("pattern")
    if pattern is not None and not re.search(pattern, value):
        raise ApiError(400, "invalid_field", _("%(name)s 须符合 %(pattern)s", name=name,
                                               pattern=pattern))
    return value


def _body_int(name: str, value: Any, meta: Mapping[str, Any]) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(400, "invalid_field", _("%(name)s 须为整数", name=name))
    low, high = meta.get("minimum", -MAX_INT), meta.get("maximum", MAX_INT)
    if not low <= value <= high:
        raise ApiError(400, "invalid_field", _("%(name)s 须为 %(low)s 至 %(high)s", name=name,
                                               low=low, high=high))
    return value


def parse_body(cls: type[T]) -> T:
    """The request's JSON body as ``cls``: 415 unless it is sent as ``application/json``, 413
    past :data:`MAX_BODY_BYTES`, 400 (``invalid_body``, ``unknown_field``, ``missing_field``,
    ``invalid_field``) for anything that is not exactly the documented object."""
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type", _("请以 application/json 发送请求体"))
    request.max_content_length = MAX_BODY_BYTES
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_body", _("请求体须为一个 JSON 对象"))
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ApiError(400, "unknown_field", _("未知的字段：%(name)s", name=str(unknown[0])[:50]))
    values: dict[str, Any] = {}
    for name, f in fields.items():
        if name not in data:
            if f.default is _MISSING and f.default_factory is _MISSING:
                raise ApiError(400, "missing_field", _("缺少 %(name)s", name=name))
            continue
        tp, _optional = _unwrap_optional(hints[name])
        value = data[name]
        if tp is str:
            values[name] = _body_string(name, value, f.metadata)
        elif tp is int:
            values[name] = _body_int(name, value, f.metadata)
        elif tp is bool:
            if not isinstance(value, bool):
                raise ApiError(400, "invalid_field", _("%(name)s 须为 true 或 false", name=name))
            values[name] = value
        elif typing.get_origin(tp) is list:
            if not isinstance(value, list) or len(value) > f.metadata.get("max_items", 100):
                raise ApiError(400, "invalid_field", _(
                    "%(name)s 须为最多 %(n)s 个字符串的列表", name=name,
                    n=f.metadata.get("max_items", 100)))
            if not value or len(set(map(repr, value))) != len(value):
                raise ApiError(400, "invalid_field", _("%(name)s 须为不含重复项的非空列表",
                                                       name=name))
            values[name] = [_body_string(f"{name}[{i}]", v, f.metadata)
                            for i, v in enumerate(value)]
        else:  # pragma: no cover - only the types above are used in bodies
            raise TypeError(f"no body parsing for {tp!r}")
    return cls(**values)


def endpoint(*, response: type | RawBody | None, query: type | None = None, paged: bool = False,
             tag: str, errors: tuple[int, ...] = (400,),
             path: Mapping[str, PathParam] | None = None,
             headers: Mapping[str, str] | None = None, ignore_unknown: bool = False,
             body: type | None = None, status: int = 200, created: bool = False,
             ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Describe a JSON view: its query dataclass, its response dataclass (or a
    :class:`RawBody` the view returns as a ready :class:`Response`), whether it is paged, its
    path parameters (:class:`PathParam`) and the headers of its 200 response (name:
    description; their values are digits).  ``ignore_unknown`` lets unknown query parameters
    through, for URLs that always did.  Put it under ``@access(...)``: the view runs inside the
    request transaction.  A view may return a ready :class:`Response` (it must still match).

    ``body`` (a dataclass) reads a JSON request body into it (:func:`parse_body`: 415, 413 or
    400 for anything else) and passes it as ``body``; ``status`` is the success status, and
    ``response=None`` answers 204 with no body.  ``created`` documents a 201 with the same
    body beside the 200 (the view returns ``(result, 201)`` for it)."""
    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        doc = (view.__doc__ or "").strip().split("\n", 1)
        bad_input = {400} if query else set()
        if body is not None:
            bad_input = {400, 413, 415}
        spec = EndpointSpec(query, response, paged, tag, doc[0].strip(),
                            (doc[1] if len(doc) > 1 else "").strip(),
                            tuple(sorted(set(errors) | bad_input)),
                            dict(path or {}), dict(headers or {}), ignore_unknown, body, status,
                            created)

        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                if query is not None:
                    kwargs["query"] = parse_query(query, request.args,
                                                  ignore_unknown=ignore_unknown)
                elif request.args and not ignore_unknown:
                    raise ApiError(400, "unknown_parameter", _(
                        "未知的查询参数：%(name)s", name=sorted(request.args)[0]))
                if body is not None:
                    kwargs["body"] = parse_body(body)
                result = view(*args, **kwargs)
            except ApiError as error:
                return error_response(error.status, error.code, error.message)
            if isinstance(result, Response):
                return result
            if created and isinstance(result, tuple):
                return jsonify(to_json(result[0])), result[1]
            if response is None:
                return Response(status=204)
            return jsonify(to_json(result)), status

        wrapper._api_spec = spec  # type: ignore[attr-defined]
        return wrapper

    return decorate


# --- the OpenAPI document ---------------------------------------------------------------------

_SCALARS = {str: {"type": "string"}, int: {"type": "integer"}, bool: {"type": "boolean"},
            float: {"type": "number"}}


class _Schemas:
    def __init__(self) -> None:
        self.components: dict[str, Any] = {}

    def of(self, tp: Any) -> dict[str, Any]:
        inner, optional = _unwrap_optional(tp)
        schema = self._of(inner)
        if optional:
            return {"anyOf": [schema, {"type": "null"}]} if "$ref" in schema else {
                **schema, "type": [schema["type"], "null"]}
        return schema

    def _of(self, tp: Any) -> dict[str, Any]:
        if tp in _SCALARS:
            return dict(_SCALARS[tp])
        if tp is datetime.datetime:
            return {"type": "string", "format": "date-time"}
        if tp is datetime.date:
            return {"type": "string", "format": "date"}
        if typing.get_origin(tp) is list:
            return {"type": "array", "items": self.of(typing.get_args(tp)[0])}
        if typing.get_origin(tp) is dict:
            return {"type": "object", "additionalProperties": self.of(typing.get_args(tp)[1])}
        if isinstance(tp, type) and dataclasses.is_dataclass(tp):
            return self.ref(tp)
        if tp is Any:
            return {}
        raise TypeError(f"no JSON schema for {tp!r}")

    def ref(self, cls: type) -> dict[str, Any]:
        name = cls.__name__
        if name not in self.components:
            self.components[name] = {}  # reserve: recursive types
            hints = typing.get_type_hints(cls)
            props: dict[str, Any] = {}
            for f in dataclasses.fields(cls):
                prop = self.of(hints[f.name])
                if "$ref" not in prop and "format" in f.metadata:
                    prop = {**prop, "format": f.metadata["format"]}
                if "$ref" not in prop and "enum" in f.metadata:
                    nullable = "null" in prop.get("type", ())
                    prop = {**prop, "enum": [*f.metadata["enum"], *([None] if nullable else [])]}
                if "description" in f.metadata:
                    prop = {**prop, "description": f.metadata["description"]} if "$ref" not in prop \
                        else {"allOf": [prop], "description": f.metadata["description"]}
                props[f.name] = prop
            schema: dict[str, Any] = {"type": "object", "properties": props,
                                      "required": list(props), "additionalProperties": False}
            if cls.__doc__ and not cls.__doc__.startswith(name + "("):
                schema["description"] = " ".join(cls.__doc__.split())
            self.components[name] = schema
        return {"$ref": f"#/components/schemas/{name}"}

    def request_ref(self, cls: type) -> dict[str, Any]:
        """A JSON request body: the fields' constraints as :func:`parse_body` enforces them."""
        name = cls.__name__
        if name not in self.components:
            hints = typing.get_type_hints(cls)
            props: dict[str, Any] = {}
            required = []
            for f in dataclasses.fields(cls):
                tp, _optional = _unwrap_optional(hints[f.name])
                meta = f.metadata
                string: dict[str, Any] = {"type": "string",
                                          "maxLength": meta.get("max_length", MAX_STRING)}
                for key in ("enum", "pattern", "format"):
                    if key in meta:
                        string[key] = list(meta[key]) if key == "enum" else meta[key]
                if "pattern" not in string and "enum" not in string:
                    string["pattern"] = TEXT_PATTERN
                if tp is int:
                    prop: dict[str, Any] = {"type": "integer",
                                            "minimum": meta.get("minimum", -MAX_INT),
                                            "maximum": meta.get("maximum", MAX_INT)}
                elif typing.get_origin(tp) is list:
                    prop = {"type": "array", "items": string, "minItems": 1,
                                            "maxItems": meta.get("max_items", 100),
                                            "uniqueItems": True}
                else:
                    prop = string
                if "description" in meta:
                    prop["description"] = meta["description"]
                props[f.name] = prop
                if f.default is _MISSING and f.default_factory is _MISSING:
                    required.append(f.name)
            self.components[name] = {"type": "object", "properties": props,
                                     "required": required, "additionalProperties": False}
            if cls.__doc__ and not cls.__doc__.startswith(name + "("):
                self.components[name]["description"] = " ".join(cls.__doc__.split())
        return {"$ref": f"#/components/schemas/{name}"}

    def page_of(self, cls: type) -> dict[str, Any]:
        name = cls.__name__ + "Page"
        if name not in self.components:
            self.components[name] = {
                "type": "object",
                "properties": {"items": {"type": "array", "items": self.ref(cls)},
                               "total": {"type": "integer", "minimum": 0},
                               "page": {"type": "integer", "minimum": 1},
                               "per_page": {"type": "integer", "minimum": 1,
                                            "maximum": MAX_PER_PAGE}},
                "required": ["items", "total", "page", "per_page"],
                "additionalProperties": False,
            }
        return {"$ref": f"#/components/schemas/{name}"}


_CONVERTER_TYPES = {"int": {"type": "integer"}, "default": {"type": "string"},
                    "string": {"type": "string"}, "path": {"type": "string"}}
_RULE_ARG = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
_STATUS_TEXT = {400: "Bad input (unknown, missing or invalid parameter or field)",
                401: "No valid bearer token", 403: "Not allowed (scope or department)",
                404: "Not found", 409: "Conflict", 413: "Body too large",
                415: "Body not sent as application/json", 422: "Refused by a rule",
                429: "Rate limit reached"}


_MONTH_DAY = "-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"


def _years_pattern(first: int, last: int) -> str:
    """A regular expression for the four-digit years first..last, a decade at a time."""
    parts: list[str] = []
    year = first
    while year <= last:
        if year % 10 == 0 and year + 9 <= last:
            parts.append(f"{year // 10:03d}[0-9]")
            year += 10
        else:
            parts.append(f"{year:04d}")
            year += 1
    return f"^({'|'.join(parts)})"


def _date_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """``format: date``; bounds that are whole years become a pattern (JSON Schema has no
    minimum for dates; spelling out month and day lets generators find valid dates)."""
    lo, hi = schema.pop("minimum", None), schema.pop("maximum", None)
    out: dict[str, Any] = {**schema, "type": "string", "format": "date"}
    if lo is not None and hi is not None and (lo.month, lo.day, hi.month, hi.day) == (1, 1, 12, 31) \
            and 1000 <= lo.year <= hi.year <= 9999 and "pattern" not in out:
        out["pattern"] = _years_pattern(lo.year, hi.year) + _MONTH_DAY
    return out


def _parameters(spec: EndpointSpec, rule: Any) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    for kind, name in _RULE_ARG.findall(rule.rule):
        path_schema = dict(_CONVERTER_TYPES.get(kind or "default", {"type": "string"}))
        described = spec.path.get(name)
        entry: dict[str, Any] = {"name": name, "in": "path", "required": True}
        if described is not None:
            entry["description"] = described.description
            if described.pattern is not None:
                path_schema["pattern"] = described.pattern
        params.append({**entry, "schema": path_schema})
    if spec.query is not None:
        hints = typing.get_type_hints(spec.query)
        for f in dataclasses.fields(spec.query):
            tp, _optional = _unwrap_optional(hints[f.name])
            schema: dict[str, Any] = dict(_SCALARS.get(tp, {"type": "string"}))
            for key in ("enum", "minimum", "maximum", "pattern"):
                if key in f.metadata:
                    schema[key] = list(f.metadata[key]) if key == "enum" else f.metadata[key]
            if tp is datetime.date:
                schema = _date_schema(schema)
            elif schema["type"] == "string" and "enum" not in schema:
                schema["maxLength"] = f.metadata.get("max_length", MAX_STRING)
                schema.setdefault("pattern", TEXT_PATTERN)
            required = f.default is _MISSING and f.default_factory is _MISSING
            if f.default is not _MISSING and f.default is not None:
                schema["default"] = f.default.isoformat() \
                    if isinstance(f.default, datetime.date) else f.default
            if _optional:  # parse_query reads an empty value as "no filter" (HTML forms send it)
                schema = {"anyOf": [schema, {"type": "string", "enum": [""]}]}
            free_text = tp is str and "enum" not in f.metadata and "pattern" not in f.metadata
            params.append({"name": _url_name(f), "in": "query", "required": required,
                           "description": f.metadata.get("description", "")
                           + (TEXT_RULE if free_text else ""),
                           "schema": schema})
    return params


def openapi_document(app: Flask | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every view that carries an :func:`endpoint` description."""
    app = app or current_app
    schemas = _Schemas()
    schemas.components["Error"] = {
        "type": "object", "required": ["error"], "additionalProperties": False,
        "properties": {"error": {"type": "object", "required": ["code", "message"],
                                 "properties": {"code": {"type": "string"},
                                                "message": {"type": "string"}}}}}
    paths: dict[str, Any] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions.get(rule.endpoint)
        spec: EndpointSpec | None = getattr(view, "_api_spec", None)
        if spec is None:
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        method = methods[0].lower() if len(methods) == 1 else "get"
        responses: dict[str, Any] = {}
        if spec.response is None:
            responses[str(spec.status)] = {"description": "Done, no content"}
        else:
            if isinstance(spec.response, RawBody):
                content = {spec.response.media_type: {"schema": dict(spec.response.schema)}}
            else:
                body = schemas.page_of(spec.response) if spec.paged \
                    else schemas.ref(spec.response)
                content = {"application/json": {"schema": body}}
            responses[str(spec.status)] = {"description": "OK" if spec.status == 200
                                           else "Created", "content": content}
            if spec.created:
                responses["201"] = {"description": "Created", "content": content}
        if spec.headers:
            responses[str(spec.status)]["headers"] = {
                name: {"description": text, "required": True,
                       "schema": {"type": "string", "pattern": "^[0-9]+$"}}
                for name, text in spec.headers.items()}
        scope = getattr(view, "_api_security", None)
        errors = set(spec.errors) | ({401, 403, 429} if scope else set())
        for status in sorted(errors):
            responses[str(status)] = {
                "description": _STATUS_TEXT.get(status, "Error"),
                "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Error"}}}}
            if status == 401 and scope:
                responses["401"]["headers"] = {"WWW-Authenticate": {
                    "description": "the Bearer challenge (RFC 6750 §3)", "required": True,
                    "schema": {"type": "string", "pattern": "^Bearer "}}}
            if status == 429 and scope:
                responses["429"]["headers"] = {"Retry-After": {
                    "description": "seconds to wait", "required": True,
                    "schema": {"type": "string", "pattern": "^[0-9]+$"}}}
        operation: dict[str, Any] = {
            "operationId": rule.endpoint.replace(".", "_"),
            "summary": spec.summary,
            "tags": [spec.tag],
            "parameters": _parameters(spec, rule),
            "responses": responses,
        }
        if spec.description:
            operation["description"] = spec.description
        if spec.body is not None:
            operation["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": schemas.request_ref(spec.body)}}}
        if scope:
            operation["security"] = [{"oauth2": [scope]}, {"bearer": [scope]}]
        paths.setdefault(path, {})[method] = operation
    for path, item in _EXTRA_PATHS.items():
        paths[path] = dict(item)
    paths = dict(sorted(paths.items()))
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{app.config.get('SITE_NAME', 'market')} public API",
            "version": "1",
            "description": "Public, read-only data of the intermediary services marketplace "
                           "(中介服务超市). Money is integer fen; agency ids are the public ids "
                           "the lottery uses (AG-000123). Under /api/v1/, the approval systems' "
                           "interface (shared/spec/integration.md): machine clients with an "
                           "OAuth 2.0 bearer token.",
        },
        "paths": paths,
        "components": {"schemas": dict(sorted(schemas.components.items())),
                       "securitySchemes": _security_schemes()},
    }


# Paths a module describes by hand (the OAuth token endpoint: a form body and RFC 6749's own
# error shape): path -> path item.
_EXTRA_PATHS: dict[str, dict[str, Any]] = {}
SCOPE_DESCRIPTIONS: dict[str, str] = {}


def document_path(path: str, item: dict[str, Any]) -> None:
    """Add a hand-written path item to the document."""
    _EXTRA_PATHS[path] = item


def _security_schemes() -> dict[str, Any]:
    """Machine clients' credentials (shared/spec/integration.md §2): OAuth 2.0 client
    credentials at /oauth/token, the token then sent as a bearer token (RFC 6750)."""
    return {
        "oauth2": {"type": "oauth2", "description": "OAuth 2.0 client credentials (RFC 6749 "
                   "§4.4), client authentication by HTTP Basic; tokens live at most an hour.",
                   "flows": {"clientCredentials": {"tokenUrl": "/oauth/token",
                                                   "scopes": dict(SCOPE_DESCRIPTIONS)}}},
        "bearer": {"type": "http", "scheme": "bearer",
                   "description": "The access token from /oauth/token (RFC 6750)."},
        "clientBasic": {"type": "http", "scheme": "basic",
                        "description": "client_id and client_secret (token endpoint only)."},
    }

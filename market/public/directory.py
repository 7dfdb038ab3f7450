"""Public agency pages (no login): the directory, an agency's profile, and the comparison of
every agency's fee and days for one service type."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, get_translations
from flask_babel import gettext as _

from market import pagecache, refusal
from market.accounts import tenants
from market.accounts.auth import ANYONE, access
from market.accounts.models import Division
from market.agencies import directory
from market.agencies.directory import DirectoryFilter, FilterError
from market.catalogue.models import ServiceType
from market.db import db
from market.domain import fees as fee_rules
from market.domain.qualifications import QUALIFICATION_LEVELS, expired_on, mask_number
from market.domain.text import clean_ascii, clean_text
from market.forms import problem_refusal
from market.i18n import N_
from market.timeutil import today_local

bp = Blueprint("directory", __name__)

SORT_LABELS = {"default": N_("默认"), "fee": N_("收费从低到高"), "days": N_("时限从短到长"),
               "rating": N_("评价从高到低"), "on_time": N_("按时率从高到低")}


def _text_arg(name: str, *, ascii_: bool = False) -> str:
    """A search field as typed, cleaned like every form's input (market.forms)."""
    cleaned = (clean_ascii if ascii_ else clean_text)(request.args.get(name, ""))
    if cleaned.problem is not None:
        message, params = problem_refusal(cleaned.problem)
        raise FilterError(name, message, **params)
    return cleaned.value.strip()


def _int_arg(name: str) -> int | None:
    raw = _text_arg(name, ascii_=True)
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        raise FilterError(name, N_("请输入整数。"))
    return int(raw)


def _yuan_arg(name: str, field: str) -> int | None:
    raw = _text_arg(name, ascii_=True)
    if not raw:
        return None
    value = fee_rules.parse_yuan(raw)
    if value is None:
        raise FilterError(field, N_("请输入以元为单位的金额，最多两位小数。"))
    return value


def _parse_filter(per_page: int) -> DirectoryFilter:
    return DirectoryFilter(
        q=_text_arg("q"), service=_text_arg("service"), region=_text_arg("region"),
        division=_text_arg("division", ascii_=True), level=_text_arg("level"),
        fee_min_fen=_yuan_arg("fee_min", "fee_min_fen"),
        fee_max_fen=_yuan_arg("fee_max", "fee_max_fen"),
        days_max=_int_arg("days_max"), sort=request.args.get("sort", "default") or "default",
        page=_int_arg("page") or 1, per_page=per_page)


def page_url(page: int) -> str:
    args = request.args.to_dict()
    args["page"] = str(page)
    return url_for(request.endpoint or "directory.index", **(request.view_args or {}),
                   **args)  # type: ignore[arg-type]  # query arguments are strings


def fee_text(row: Any, translate: Callable[..., str] | None = None) -> str:
    """A fee schedule in words, in the user's language.  ``translate`` (a gettext already
    bound to the request's catalogue) saves the lookup when many rows are shown."""
    tr = translate or _
    kind = row.fee_kind
    # N_ marks the messages for extraction (`tr` is not a gettext keyword).
    if kind == "fixed":
        return str(tr(N_("%(amount)s 元"), amount=fee_rules.format_yuan(row.amount_fen)))
    if kind == "rate":
        return str(tr(N_("投资额的 %(rate)s，最低 %(minimum)s 元"),
                      rate=fee_rules.format_rate(row.rate_bp),
                      minimum=fee_rules.format_yuan(row.minimum_fen)))
    return str(tr(N_("%(low)s–%(high)s 元"), low=fee_rules.format_yuan(row.minimum_fen),
                  high=fee_rules.format_yuan(row.maximum_fen)))


def bound_gettext() -> Callable[..., str]:
    """flask_babel's ``gettext`` looks the catalogue up on every call; a page with a hundred
    listings looks it up once.  Same result: translate, then ``%`` the variables if any."""
    catalogue = get_translations()

    def translate(message: str, **variables: Any) -> str:
        text = str(catalogue.gettext(message))
        return text % variables if variables else text

    return translate


def listing_texts(page: directory.DirectoryPage, names: dict[int, ServiceType], locale: str
                  ) -> dict[int, tuple[str, str, str]]:
    """For each listing on the page: (service name, fee in words, committed days), translated
    once here instead of three gettext lookups per row in the template."""
    tr = bound_gettext()
    return {li.id: (names[li.service_type_id].display_name(locale), fee_text(li, tr),
                    tr(N_("%(n)s 个工作日"), n=li.committed_days))
            for listings in page.listings.values() for li in listings}


@bp.app_context_processor
def helpers() -> dict[str, Any]:
    return {"fee_text": fee_text, "yuan": fee_rules.format_yuan}


@bp.route("/agencies")
@access(ANYONE)
@pagecache.cached(pagecache.DIRECTORY)
def index() -> ResponseReturnValue:
    """The agency directory with search, filters, sorting and paging."""
    return _directory(None)


@bp.route("/d/<code>/agencies")
@access(ANYONE)
@pagecache.cached(pagecache.DIRECTORY)
def place_index(code: str) -> ResponseReturnValue:
    """A city's or county's directory (``/d/<code>/agencies``, 404 for a code the platform
    does not serve): the province's agencies, since the register is one (一地入驻、全省通行)
    and every agency on it may take part in the place's requests; the division filter is
    offered, with a link to those admitted in the place, never applied unasked."""
    return _directory(tenants.page_place(code))


def _directory(place: Division | None) -> ResponseReturnValue:
    error: FilterError | None = None
    page = None
    regions = directory.regions()  # the form's choices, and what the region filter accepts
    try:
        f = _parse_filter(int(current_app.config["DIRECTORY_PER_PAGE"]))
        page = directory.search(f)
    except FilterError as exc:
        error = exc
        f = DirectoryFilter()
    types = directory.service_types()
    names = {t.id: t for t in types}
    served = tenants.tenants()  # the division choices: only once the platform serves several
    pages = max(1, -(-page.total // f.per_page)) if page else 1
    texts = listing_texts(page, names, str(get_locale())) if page else {}
    return render_template(
        "public/directory.html", page=page, f=f, error=error, types=types, names=names,
        texts=texts, regions=regions, divisions=served if len(served) > 1 else [],
        place=place,
        levels=QUALIFICATION_LEVELS,
        sorts=SORT_LABELS, pages=pages, page_url=page_url, args=request.args,
        max_query_length=directory.MAX_QUERY_LENGTH,
    ), 400 if error else 200


@bp.route("/agencies/<public_id>")
@access(ANYONE)
@pagecache.cached(pagecache.DIRECTORY, pagecache.RECORDS)
def profile(public_id: str) -> ResponseReturnValue:
    org = directory.find_admitted(public_id)
    if org is None:
        abort(404)
    detail = directory.profile_detail(org, today_local())
    return render_template("public/agency.html", org=org, d=detail, mask=mask_number,
                           expired=lambda q: expired_on(q.valid_until, detail.today))


@bp.route("/services")
@access(ANYONE)
def services() -> ResponseReturnValue:
    types = directory.service_types()
    return render_template("public/services.html", types=types)


@bp.route("/services/<code>")
@access(ANYONE)
def service(code: str) -> ResponseReturnValue:
    """Every agency's fee and committed days for one service type, side by side."""
    st = db.session.scalar(sa.select(ServiceType).where(ServiceType.code == code))
    if st is None:
        abort(404)
    try:
        number = _int_arg("page") or 1
    except FilterError as exc:
        refusal.recovered(exc)  # a bad page number shows the first page
        number = 1
    per_page = 50
    rows, total, top_fee = directory.service_comparison(st, number, per_page)
    top_days = max((li.committed_days for _o, li in rows), default=1)
    return render_template("public/service.html", st=st, rows=rows, total=total,
                           top_fee=max(top_fee, 1), top_days=max(top_days, 1), page=number,
                           pages=max(1, -(-total // per_page)), page_url=page_url)

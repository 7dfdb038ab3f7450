"""The administrative division tree (行政区划) and its tenants.

A deployment serves one province: the province's row is the root, its cities and counties
below it.  A city or county the platform serves is a tenant; everything an owner, a department,
an operator or a regulator does belongs to one.  The tree is managed by the provincial operator
(the operator page and ``flask tenants``).  The draw log stays one for the platform: a
lottery's tenant is a property of its request, not of the log (docs/tenancy.md).
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask import abort, current_app, g, has_app_context
from flask_babel import gettext
from sqlalchemy.exc import IntegrityError

from market import pagecache, timeutil
from market.accounts import audit
from market.accounts.models import Division, DivisionLevel
from market.db import db
from market.i18n import N_
from market.refusal import Refused

_CODE = re.compile(r"[1-8]\d{5}")


class DivisionError(Refused):
    def __init__(self, field: str, message: str, **params: object) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.params = params


def level_of_code(code: str) -> DivisionLevel:
    """The level a GB/T 2260 code names: ``XX0000`` a province, ``XXXX00`` a city (地级),
    anything else a county (县级)."""
    if code.endswith("0000"):
        return DivisionLevel.PROVINCE
    if code.endswith("00"):
        return DivisionLevel.CITY
    return DivisionLevel.COUNTY


def parent_code(code: str) -> str | None:
    """The code of the division one level up (GB/T 2260 nests by prefix); None for a province."""
    level = level_of_code(code)
    if level == DivisionLevel.PROVINCE:
        return None
    if level == DivisionLevel.CITY:
        return code[:2] + "0000"
    return code[:4] + "00"


def province() -> Division | None:
    """The root of the tree (the deployment's province), None while the tree is empty."""
    return db.session.scalars(sa.select(Division).where(
        Division.level == DivisionLevel.PROVINCE.value).order_by(Division.id).limit(1)).first()


def by_code(code: str) -> Division | None:
    return db.session.scalars(sa.select(Division).where(Division.code == code)).first()


def tenants() -> list[Division]:
    """Every tenant, by code (cities before their counties)."""
    return list(db.session.scalars(
        sa.select(Division).where(Division.tenant.is_(True)).order_by(Division.code)))


def tree() -> list[Division]:
    """The whole tree, by code: the province, then each city followed by its counties."""
    return list(db.session.scalars(sa.select(Division).order_by(Division.code)))


def _configured(key: str) -> tuple[str, str]:
    code, _, name = str(current_app.config[key]).strip().partition(" ")
    return code, name.strip()


def home_tenant() -> Division:
    """The tenant an organisation belongs to when its creator names none: the first tenant
    (by creation).  An empty tree first gets the configured province and first tenant
    (``MARKET_PROVINCE``, ``MARKET_FIRST_TENANT``), as migration 0036 gives a one-city
    database."""
    if has_app_context() and "home_tenant_id" in g:
        found = db.session.get(Division, g.home_tenant_id)
        if found is not None:
            return found
    first = _first_tenant()
    if first is None:
        try:
            # Two first registrations at once both find the tree empty: the one whose rows
            # land second takes the other's (the codes are unique).
            with db.session.begin_nested():
                if province() is None:
                    code, name = _configured("PROVINCE")
                    add(code, name, tenant=False, audited=False)
                code, name = _configured("FIRST_TENANT")
                add(code, name, tenant=True, audited=False)
        except IntegrityError:
            pass
        first = _first_tenant()
        if first is None:  # pragma: no cover - the rows exist now, one way or the other
            raise RuntimeError("no tenant after creating the first one")
    if has_app_context():
        g.home_tenant_id = first.id
    return first


def _first_tenant() -> Division | None:
    return db.session.scalars(sa.select(Division).where(Division.tenant.is_(True))
                              .order_by(Division.id).limit(1)).first()


def add(code: str, name: str, *, tenant: bool, audited: bool = True) -> Division:
    """The provincial operator (or ``flask tenants add``) adds a division to the tree: a
    six-digit GB/T 2260 code, its name; the level follows from the code and the parent (one
    level up by prefix) must already be there, except for the province, of which there is one.
    A city or county may be marked a tenant (the platform serves it); a province never.
    Refuses a malformed or taken code, an empty name, a missing parent, a second province."""
    code = code.strip()
    name = name.strip()
    if not _CODE.fullmatch(code):
        raise DivisionError("code", N_("请填写六位行政区划代码。"))
    if by_code(code) is not None:
        raise DivisionError("code", N_("该行政区划代码已在列表中。"))
    if not name or len(name) > 100:
        raise DivisionError("name", N_("请填写行政区划名称（至多 100 字）。"))
    level = level_of_code(code)
    parent = None
    if level == DivisionLevel.PROVINCE:
        if province() is not None:
            raise DivisionError("code", N_("本平台已有省级行政区划，只服务一个省。"))
        if tenant:
            raise DivisionError("tenant", N_("省级行政区划不作为入驻地区。"))
    else:
        pcode = parent_code(code)
        parent = by_code(pcode) if pcode else None
        if parent is None and level == DivisionLevel.COUNTY:
            # A county of a province-administered unit (省直辖县级行政单位, e.g. 4290xx) hangs
            # from the province directly.
            root = province()
            if root is not None and root.code[:2] == code[:2] and code[2:4] == "90":
                parent = root
        if parent is None:
            raise DivisionError("code", N_("请先添加上级行政区划（%(code)s）。"), code=pcode or "")
    division = Division(code=code, name=name, level=level.value, tenant=tenant,
                        parent_id=parent.id if parent else None, created_at=timeutil.now())
    db.session.add(division)
    db.session.flush()
    pagecache.invalidate(pagecache.DIRECTORY)  # cached public pages show the site's name
    if audited:
        audit.record("operator:division:add", code,
                     {"name": name, "level": level.value, "tenant": tenant})
    return division


def set_tenant(division: Division, tenant: bool) -> None:
    """The provincial operator opens a city or county as a tenant (or stops opening new
    things there: organisations already in it stay)."""
    if division.level == DivisionLevel.PROVINCE.value and tenant:
        raise DivisionError("tenant", N_("省级行政区划不作为入驻地区。"))
    if division.tenant == tenant:
        return
    division.tenant = tenant
    db.session.flush()
    pagecache.invalidate(pagecache.DIRECTORY)
    audit.record("operator:division:tenant", division.code, {"tenant": tenant})


def is_province(division_id: int) -> bool:
    division = db.session.get(Division, division_id)
    return division is not None and division.level == DivisionLevel.PROVINCE.value


def served(code: str) -> Division | None:
    """The division a city's public pages (``/d/<code>/``) are about: a tenant, or a city
    whose counties include one (its pages show the city's and its counties' requests); None
    for an unknown code, the province (its pages are the site's own) or a division the
    platform does not serve."""
    if not _CODE.fullmatch(code):
        return None
    division = by_code(code)
    if division is None or division.level == DivisionLevel.PROVINCE.value:
        return None
    if division.tenant:
        return division
    child = db.session.scalar(sa.select(Division.id).where(
        Division.parent_id == division.id, Division.tenant.is_(True)).limit(1))
    return division if child is not None else None


def page_place(code: str) -> Division:
    """The city or county a ``/d/<code>/`` page is about (404 if the platform does not serve
    it, see :func:`served`); kept in ``g.place`` for the header and the titles."""
    found = served(code)
    if found is None:
        abort(404)
    g.place = found
    g.pop("site_name", None)
    return found


def ids_under(code: str) -> sa.Select[Any]:
    """The ids of the division with that code and of the divisions under it."""
    return sa.select(Division.id).where(sa.or_(
        Division.code == code,
        Division.parent_id.in_(sa.select(Division.id).where(Division.code == code))))


# built once: every page's header reads it, in one statement: the province's name beside the
# number of tenants (no row while the tree is empty)
_SITE = sa.select(
    Division.name,
    sa.select(sa.func.count(Division.id)).where(Division.tenant.is_(True))
    .correlate(None).scalar_subquery(),
).where(Division.level == DivisionLevel.PROVINCE.value).order_by(Division.id).limit(1)


def site_name(place: Division | None) -> str:
    """The site's name in the header and the page titles: on a city's or county's pages its
    own (云川市中介服务超市); elsewhere the province's once the platform serves more than one
    tenant, and the configured ``SITE_NAME`` while it serves one (a one-city platform keeps
    the name it was given)."""
    if place is not None:
        return str(gettext("%(place)s中介服务超市", place=place.name))
    root = db.session.execute(_SITE).first()  # the province's name (province()), tenants
    if root is not None and root[1] > 1:
        return str(gettext("%(place)s中介服务超市", place=root[0]))
    return str(current_app.config["SITE_NAME"])

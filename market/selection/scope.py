"""A request (and what hangs from it) as a regulator's scope reads it
(market.accounts.scope): its tenant and its service type's industry regulator."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from market.accounts.models import Division, Organisation
from market.accounts.scope import Subject, list_scope
from market.catalogue.regulators import regulates, regulators_of
from market.db import db
from market.selection.models import SelectionRequest


def request_subject(request: SelectionRequest) -> Subject:
    return Subject(request.tenant_id, regulators_of(request.service_type_id, request.tenant_id))


# How many rows :func:`newest_published` reads at most before sorting instead
DEEP_ROWS = 10_000


def published() -> sa.ColumnElement[bool]:
    """The public lists' rows: requests that have been published (已发布的采购公告), whatever
    happened to them since.

    A request is published exactly when it leaves the draft state, and a draft has no
    publication date (the ``draft_unpublished`` check on ``selection_request``), so the date
    alone says it: the lists' counts then come from the publication indexes alone
    (``published_at``; ``tenant_id, published_at`` for a division) without reading each row's
    state, and PostgreSQL's newest-first walk of those indexes starts past the drafts' empty
    dates, which it keeps at that end (NULLS FIRST when descending)."""
    return SelectionRequest.published_at.is_not(None)


def division_ids(code: str) -> list[int]:
    """The ids of the division with that GB/T 2260 code and of every division under it (a
    city's and its counties'; the province's: all of them, counties too); none for an
    unknown code."""
    parent = sa.select(Division.id).where(Division.code == code)
    under = sa.or_(Division.code == code, Division.parent_id.in_(parent),
                   Division.parent_id.in_(sa.select(Division.id).where(
                       Division.parent_id.in_(parent))))
    return list(db.session.scalars(sa.select(Division.id).where(under)).all())


def in_division(stmt: sa.Select[Any], code: str) -> sa.Select[Any]:
    """``stmt`` narrowed to the requests of the division with that GB/T 2260 code and of the
    divisions under it (a city's filter shows its counties' too); none for an unknown code.

    The divisions' ids are read first and bound as a list: with a subquery in its place
    neither planner knows how few tenants it names, and SQLite reads the whole table."""
    return stmt.where(SelectionRequest.tenant_id.in_(division_ids(code)))


def newest_published(stmt: sa.Select[Any], tenant_ids: list[int], limit: int, offset: int
                     ) -> sa.Select[Any]:
    """One page of the published requests ``stmt`` selects among those of ``tenant_ids``,
    newest publication first.

    Each tenant's newest ``offset + limit`` are taken from the (tenant_id, published_at)
    index, walked backwards from that tenant's newest, and the page is cut from their union:
    the cost is the tenants' number times the page's depth, whatever the size of the
    division or of the rest of the province.  (Sorting all of a division's requests, as
    :func:`division_page` does, reads every one of them: a city with its counties in a
    province is several times a lone city.)  ``stmt`` must select published requests only
    (``published_at`` set)."""
    if not tenant_ids:
        return stmt.where(sa.false()).order_by(SelectionRequest.id)
    newest: list[sa.ColumnElement[Any]] = [SelectionRequest.published_at.desc(),
                                           SelectionRequest.id.desc()]
    if len(tenant_ids) * (offset + limit) > DEEP_ROWS:
        # deep in a long list (the API has no last page): every tenant's first pages would
        # be read to cut one; sorting the division's requests once costs less
        return division_page(stmt, SelectionRequest.published_at, limit, offset)
    branches = [
        stmt.with_only_columns(SelectionRequest.id, SelectionRequest.published_at)
        .where(SelectionRequest.tenant_id == tenant_id)
        .order_by(*newest).limit(offset + limit).subquery()
        for tenant_id in tenant_ids]
    # each branch wrapped: SQLite takes no ORDER BY or LIMIT in a member of a UNION
    union = sa.union_all(*(sa.select(b.c.id, b.c.published_at) for b in branches)).subquery()
    ids = (sa.select(union.c.id).order_by(union.c.published_at.desc(), union.c.id.desc())
           .limit(limit).offset(offset))
    return (sa.select(SelectionRequest).where(SelectionRequest.id.in_(ids.scalar_subquery()))
            .order_by(*newest))


def division_order(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """``column`` (a request's id or publication time) as an expression, for the newest-first
    order of a division's list.  Either database would otherwise walk that column's index over
    the whole table and skip the other tenants' rows, stopping at the page's last row: cheap
    while the division's requests are among the newest, the whole table when they are not (a
    county with none lately).  No index serves the expression, so the rows come from the
    tenant index (``ix_selection_request_tenant_state_published``) and the page is sorted:
    the cost of the division's own requests, whatever the rest of the province does."""
    return sa.func.coalesce(column, column)


def division_page(stmt: sa.Select[Any], column: Any, limit: int, offset: int
                  ) -> sa.Select[Any]:
    """One page of a division's list ``stmt`` (narrowed by :func:`in_division`), newest
    ``column`` first: the page's ids are picked from the tenant index alone (the sort holds ids
    and the sort key, not whole rows: SQLite's sorter carries every selected column), then
    only those rows are read."""
    ids = (stmt.with_only_columns(SelectionRequest.id)
           .order_by(division_order(column).desc(), SelectionRequest.id.desc())
           .limit(limit).offset(offset))
    return (sa.select(SelectionRequest).where(SelectionRequest.id.in_(ids.scalar_subquery()))
            # the same expression: the page's 20 rows are sorted, no index is walked
            .order_by(division_order(column).desc(), SelectionRequest.id.desc()))


def within(stmt: sa.Select[Any], org: Organisation | None) -> sa.Select[Any]:
    """``stmt`` (which selects from ``selection_request`` or joins it) narrowed to the
    requests ``org``'s lists show."""
    scope = list_scope(org)
    if scope.tenant_id is not None:
        stmt = stmt.where(SelectionRequest.tenant_id == scope.tenant_id)
    if scope.regulator_id is not None:
        stmt = stmt.where(regulates(scope.regulator_id, SelectionRequest.tenant_id,
                                    SelectionRequest.service_type_id))
    return stmt

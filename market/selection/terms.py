"""The terms of a selection request as the owner typed them (采购公告向导), and one thing wrong
with them: what the form, :mod:`market.selection.requests` and each method's procedure
(:mod:`market.selection.procedures`) share, below both so that neither imports the other."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from market.accounts.models import Organisation, OrgKind, OrgStatus
from market.db import db
from market.domain import methods, quotes


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request's terms: the form field it belongs next to, an ``N_()``
    message and its parameters (not a refusal yet: the form shows every one at once)."""

    field: str | None
    message: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclass
class RequestInput:
    """Everything an owner types into the guided form (采购公告向导)."""

    project_id: int
    service_code: str
    title: str
    scope: str
    qualification_type: str | None
    qualification_level: str | None
    practitioners: dict[str, int]
    price_kind: str
    price_fen: int | None
    cap_fen: int | None
    floor_fen: int | None
    service_days: int
    signing_days: int
    method: str
    signup_closes_at: datetime | None  # None: not given (direct selection has no window)
    external_kind: str
    avoid: list[tuple[str, str]] = field(default_factory=list)  # (agency public id, reason)
    witness_ids: list[int] = field(default_factory=list)  # user ids, in order
    direct_agency: str = ""  # direct selection: the named agency's public id
    on_upheld: str = methods.ON_UPHELD_REDRAW  # what an upheld objection leads to
    # sealed bid (密封报价): quotes as amounts or as a discount rate off the cap (下浮率), and
    # the abnormally low quote rule (异常低价: share below the others' mean, in basis points)
    quote_kind: str = quotes.AMOUNT
    low_share_bp: int | None = None
    low_action: str | None = None
    # credit merit (信用择优): the long list's credit threshold, the short list's size
    credit_threshold: int | None = None
    shortlist_size: int | None = None
    # proposal selection (方案择优): the scoring sheet's criteria, one ``name | points`` a
    # line, and the price points (market.domain.proposal_scoring)
    scoring_criteria: str = ""
    price_points: int | None = None


def admitted_agency(public_id: str) -> Organisation | None:
    """The admitted agency (已入驻中介机构) of that public id, or None."""
    return db.session.scalar(sa.select(Organisation).where(
        Organisation.public_id == public_id.strip(), Organisation.kind == OrgKind.AGENCY.value,
        Organisation.status == OrgStatus.ADMITTED.value))

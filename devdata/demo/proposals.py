"""Demo proposal selection (方案择优 / 比选): one request opened by a regulator's key, scored by a
panel of three and awarded to the highest total (confirmed); one opened whose panel is still
scoring; one still taking sealed proposals.

Called by :func:`devdata.demo.award.load` between its own requests, with the clock frozen at
each step, so the bid log's times never go backwards.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from werkzeug.datastructures import FileStorage

from devdata.demo.selection import _eligible, _people
from market import timeutil
from market.accounts.models import Organisation, Role, User
from market.selection import procedures
from market.selection import requests as ops
from market.selection.award import confirm, current_award
from market.selection.models import SelectionRequest
from market.selection.procedures import proposals

SHEET = "技术方案 | 40\n项目组织和人员 | 20\n类似项目业绩 | 10"
# per agency: each scorer's points on the three criteria (the panel's own judgement)
POINTS = ((["35", "17", "8"], ["33.5", "16", "8"], ["36", "18", "9"]),
          (["31", "18", "10"], ["30", "17", "9"], ["32", "18", "9.5"]),
          (["28", "15", "6"], ["29", "14", "7"], ["27.5", "15", "6"]))
SCORERS = ("陈评委", "刘评委", "周评委")
Opener = Callable[[SelectionRequest, User, dict[str, Any]], None]


def _pdf(title: str) -> FileStorage:
    body = (f"%PDF-1.4\n% {title}\n").encode() + b"%%EOF\n"
    return FileStorage(io.BytesIO(body), filename=f"{title}.pdf", content_type="application/pdf")


def agency_admin(org: Organisation) -> User:
    return next(m.user for m in org.memberships if m.role == Role.AGENCY_ADMIN.value)


def _publish(owner: Organisation, regulator: User, start: datetime, title: str, project: str,
             pcode: str) -> SelectionRequest:
    admin, delegate = _people(owner)
    with timeutil.frozen(start):
        proj = ops.create_project(owner, name=project, code=pcode, fund_source="fiscal",
                                  investment_fen=3_600_000 * 300, location=owner.region or "云川市")
        data = ops.RequestInput(
            project_id=proj.id, service_code="FSR", title=title,
            scope=f"{project}：编制可行性研究报告，比选工艺路线并给出投资估算。",
            qualification_type=None, qualification_level=None, practitioners={},
            price_kind="cap", price_fen=None, cap_fen=3_600_000, floor_fen=2_000_000,
            service_days=30, signing_days=5, method="proposals",
            signup_closes_at=start + timedelta(days=14), external_kind="ssq",
            witness_ids=[delegate.id, regulator.id], scoring_criteria=SHEET, price_points=30)
        req = ops.save_draft(owner, data, admin)
        ops.publish(owner, req)
    return req


def _propose(req: SelectionRequest, start: datetime, count: int) -> list[Organisation]:
    agencies = _eligible(req.service_type, req, start)[5:5 + count]
    for i, org in enumerate(agencies):
        with timeutil.frozen(start + timedelta(days=2, hours=i)):
            proposals.submit(req, org, agency_admin(org), 3_400_000 - 250_000 * i,
                             _pdf(f"{org.name}比选方案"))
    return agencies


def load(owners: Sequence[Organisation], regulator: User, key_file: dict[str, Any],
         start: datetime, now: datetime, open_with_key: Opener) -> None:
    """The three demo proposal selections, from ``start`` on (the last one published ten days
    before ``now`` and open for four more)."""
    # 1. Opened, scored by the panel, the highest total confirmed.
    owner = owners[0]
    req = _publish(owner, regulator, start, "城南污水处理厂提标改造可行性研究（方案择优）",
                   "城南污水处理厂提标改造工程", "2025-539901-77-01-000607")
    agencies = _propose(req, start, 3)
    with timeutil.frozen(req.signup_closes_at + timedelta(minutes=30)):
        open_with_key(req, regulator, key_file)
    delegate = _people(owner)[1]
    with timeutil.frozen(req.signup_closes_at + timedelta(days=1)):
        bids = {b.agency_org_id: b for b in proposals.valid_bids(req)}
        for n, name in enumerate(SCORERS):
            points = {bids[org.id].id: [round(float(p) * 10) for p in POINTS[i][n]]
                      for i, org in enumerate(agencies)}
            proposals.record_scorer(req, owner, delegate, name, points)
        proposals.publish_scores(req, owner, delegate)
    award = current_award(req)
    if award is None:
        raise RuntimeError("demo: the proposal selection has no award")
    with timeutil.frozen(award.offered_at + timedelta(hours=4)):
        confirm(award, award.agency)
    procedures.advance(req)

    # 2. Opened; the owner has yet to record the panel's scores.
    later = start + timedelta(days=25)
    req = _publish(owners[1], regulator, later, "老城区供水管网改造可行性研究（方案择优）",
                   "老城区供水管网改造工程", "2025-539902-77-01-000608")
    _propose(req, later, 3)
    with timeutil.frozen(req.signup_closes_at + timedelta(minutes=30)):
        open_with_key(req, regulator, key_file)

    # 3. Still taking sealed proposals.
    recent = now - timedelta(days=10)
    req = _publish(owners[2], regulator, recent, "南湖片区海绵城市建设可行性研究（方案择优）",
                   "南湖片区海绵城市建设工程", "2026-539903-77-01-000609")
    _propose(req, recent, 2)

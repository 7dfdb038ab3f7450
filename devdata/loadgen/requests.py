"""Rows of the load data's selection requests: each lottery's project, request, witnesses,
lottery (announcement, sealed secret, record and signature), entropy entries and award; then
drafts and direct selections.  Ids are assigned here, in order, from the first free ones."""

from __future__ import annotations

import random
from typing import Any

import sqlalchemy as sa

from devdata.loadgen import lotteries as lots
from devdata.loadgen.agencies import insert_rows, next_id
from devdata.loadgen.lotteries import DAY, HOUR, Agency, LotteryPlan, Person, Timeline, dt
from devdata.loadgen.people import Owner
from market.db import db
from market.selection.draw import failed_reason
from market.selection.models import summarise_pool, summarise_record

PROJECT_KINDS = ("第{n}中学改扩建工程", "{n}号路提升改造工程", "第{n}污水处理厂扩建工程",
                 "{n}号社区综合服务中心新建工程", "{n}号河道综合治理工程", "第{n}批安置房建设项目")
# plan state -> (request state, lottery state)
STATES = {"drawn": ("selected", "drawn"), "failed": ("failed", "void"),
          "frozen": ("closed", "frozen"), "open": ("open", "open"), "announced": ("open", "open")}
def project_code(year: int, project_id: int) -> str:
    """A well-formed investment project code, one per project id (the code is unique in the
    deployment): the id's last six digits are the serial, the two before them the industry."""
    return (f"{year}-5399{project_id % 5 + 1:02d}-{project_id // 10**6 % 100:02d}-01-"
            f"{project_id % 10**6:06d}")


TABLES = ("project", "selection_request", "witness", "lottery", "entropy_entry", "award")


class RequestRows:
    """Collects rows in dependency order and inserts them in batches."""

    def __init__(self, types: dict[str, int], line: Timeline, minimum: int,
                 rng: random.Random) -> None:
        self.types, self.line, self.minimum, self.rng = types, line, minimum, rng
        self.names: dict[str, str] = dict(db.session.execute(
            sa.text("SELECT code, name FROM service_type")).all())
        self.project0, self.request0 = next_id("project"), next_id("selection_request")
        self.ids = {t: next_id(t) for t in ("witness", "entropy_entry", "award")}
        self.rows: dict[str, list[dict[str, Any]]] = {t: [] for t in TABLES}

    def add(self, table: str, row: dict[str, Any]) -> None:
        if "id" not in row and table in self.ids:
            row["id"] = self.ids[table]
            self.ids[table] += 1
        self.rows[table].append(row)

    def flush(self) -> None:
        for table in TABLES:
            insert_rows(table, self.rows[table], batch=200)
            self.rows[table] = []

    def request(self, k: int, code: str, owner: Owner, published: int) -> dict[str, Any]:
        """Project ``k`` (added) and the common columns of request ``k``."""
        kind = PROJECT_KINDS[k % len(PROJECT_KINDS)].format(n=k % 97 + 1)
        project = f"{owner.region[3:] or owner.region[:2]}{kind}"
        self.add("project", {
            "id": self.project0 + k, "public_id": f"PJ-{self.project0 + k:06d}",
            "owner_org_id": owner.org_id, "name": project,
            "code": project_code(dt(published).year, self.project0 + k),
            "fund_source": "fiscal", "investment_fen": self.rng.randint(10**9, 10**11),
            "location": owner.region, "created_at": dt(published - DAY)})
        name = self.names[code]
        return {"id": self.request0 + k, "public_id": f"RQ-{self.request0 + k:06d}",
                "project_id": self.project0 + k, "owner_org_id": owner.org_id,
                "tenant_id": owner.tenant_id,
                "service_type_id": self.types[code], "title": f"{project}{name}",
                "scope": f"{project}：{name}，按现行规范编制并通过审查。", "practitioners": {},
                "price_kind": "fixed", "service_days": self.rng.randint(10, 60),
                "signing_days": 5, "version": 1, "bid_round": 1, "external_kind": "ssq",
                "external_label": "", "created_at": dt(published - DAY // 2),
                "created_by_id": owner.admin.user_id}

    def lottery(self, plan: LotteryPlan, owner: Owner, operator: Person) -> None:
        """A lottery request with everything its state implies."""
        req = self.request(plan.index, plan.service_code, owner, plan.published)
        price = self.rng.randrange(20_000, 400_000) * 100
        project = self.rows["project"][-1]
        terms = {"owner": owner.public_id, "project": project["name"],
                 "project_code": project["code"], "service": plan.service_code,
                 "title": req["title"], "price": {"kind": "fixed", "fen": price},
                 "service_days": req["service_days"], "version": 1, "method": "lottery"}
        sealed, record, signature = lots.finish(plan, terms, self.line, operator, self.rng)
        request_state, lottery_state = STATES[plan.state]
        pool = plan.pool()
        failed = (failed_reason(self.minimum, len(pool)) if plan.state == "failed"
                  else None)
        self.add("selection_request", {
            **req, "price_fen": price, "method": "lottery", "signup_closes_at": dt(plan.closes),
            "external_kind": plan.external_kind, "external_label": plan.external_label,
            "state": request_state, "published_at": dt(plan.published), "failed_reason": failed,
            "closed_at": dt(plan.closed_at) if plan.closed_at else None})
        for pos, w in enumerate(plan.witnesses):
            self.add("witness", {"request_id": plan.request_pk, "position": pos,
                                 "user_id": w.user_id, "label": lots.w_label(pos, w)})
        drawn_at = plan.sources[-1][0] if record is not None else None
        self.add("lottery", {
            "id": plan.pk, "lottery_id": plan.lottery_id, "request_id": plan.request_pk,
            "announcement": plan.announcement, "secret_sealed": sealed, "state": lottery_state,
            "pool": pool if lottery_state in ("frozen", "drawn") else None,
            "pool_summary": summarise_pool(pool) if lottery_state in ("frozen", "drawn") else None,
            "external_at": dt(plan.external_at), "record": record, "signature": signature,
            "record_summary": summarise_record(record),
            "drawn_at": dt(drawn_at) if drawn_at else None, "void_reason": failed,
            "created_at": dt(plan.published)})
        for pos, (at, source, person) in enumerate(plan.sources):
            self.add("entropy_entry", {"lottery_pk": plan.pk, "position": pos, "source": source,
                                       "entered_by_id": person.user_id, "at": dt(at)})
        if drawn_at is not None:
            winner = next(a for a in plan.registrants if a.public_id == plan.ranking[0])
            self.award(plan.request_pk, plan.lottery_id, winner, price, req["service_days"],
                       drawn_at)

    def other(self, k: int, owner: Owner, agencies: dict[str, list[Agency]]) -> None:
        """Request ``k`` without a lottery: a draft, or a direct selection (直接选取)."""
        code = self.rng.choice([c for c, a in agencies.items() if a])
        published = self.rng.randint(self.line.start, self.line.end)
        req = self.request(k, code, owner, published)
        if k % 2:
            self.add("selection_request", {
                **req, "method": "lottery", "state": "draft",
                "price_fen": self.rng.randrange(20_000, 400_000) * 100,
                "signup_closes_at": dt(self.line.end + 10 * DAY)})
            return
        agency = self.rng.choice(agencies[code])
        price = self.rng.randrange(5_000, 45_000) * 100  # under the direct-selection threshold
        self.add("selection_request", {
            **req, "method": "direct", "state": "selected", "price_fen": price,
            "direct_agency_org_id": agency.org_id, "signup_closes_at": dt(published),
            "published_at": dt(published), "closed_at": dt(published)})
        self.award(req["id"], None, agency, price, req["service_days"], published)

    def award(self, request_pk: int, lottery_id: str | None, agency: Agency, price: int,
              days: int, at: int) -> None:
        """The selected agency's award: confirmed six hours later, or still offered if it came
        in the last day (its confirmation window still open: no page view times it out)."""
        confirmed = at < self.line.end - DAY
        self.add("award", {
            "request_id": request_pk, "lottery_id": lottery_id, "agency_org_id": agency.org_id,
            "rank": 0, "fee_fen": price, "service_days": min(days, agency.days),
            "offered_at": dt(at), "state": "confirmed" if confirmed else "offered",
            "decided_at": dt(at + 6 * HOUR) if confirmed else None})

"""Projects (项目), selection requests (采购公告), sign-ups (报名), lotteries (摇号)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lottery.events import record_hash
from market.db import UTCDateTime, db
from market.transparency.models import CheckpointColumns, HeadColumns, NodeColumns


class FundSource(enum.StrEnum):
    FISCAL = "fiscal"  # 财政资金
    SOCIAL = "social"  # 社会资金


class Project(db.Model):  # type: ignore[name-defined,misc]
    """An owner's investment project (项目)."""

    __tablename__ = "project"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(sa.String(32), unique=True)
    owner_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    # 投资项目代码: the national code of one investment project, so one project per code in
    # the whole deployment (whichever owner registers it).
    code: Mapped[str] = mapped_column(sa.String(32), index=True, unique=True)
    fund_source: Mapped[str] = mapped_column(sa.String(16))
    investment_fen: Mapped[int] = mapped_column(sa.BigInteger)
    location: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    owner = relationship("Organisation")
    requests: Mapped[list[SelectionRequest]] = relationship(back_populates="project")

    __table_args__ = (
        sa.CheckConstraint("fund_source in ('fiscal','social')", name="fund_source"),
        sa.CheckConstraint("investment_fen >= 0", name="investment"),
    )


class Method(enum.StrEnum):
    LOTTERY = "lottery"  # 随机抽取
    SEALED_BID = "sealed_bid"  # 密封报价 (one sealed round; 竞价 on the platforms is open bidding)
    CREDIT_MERIT = "credit_merit"  # 信用择优: long list by credit, short list drawn, owner chooses
    DIRECT = "direct"  # 直接选取
    PROPOSALS = "proposals"  # 方案择优（比选）


class RequestState(enum.StrEnum):
    DRAFT = "draft"  # 草稿
    OPEN = "open"  # 报名中
    CLOSED = "closed"  # 报名截止，待摇号
    SELECTED = "selected"  # 已选出
    FAILED = "failed"  # 流标（有效报名不足）
    CANCELLED = "cancelled"  # 已撤销


class SelectionRequest(db.Model):  # type: ignore[name-defined,misc]
    """A selection request (采购公告): what the owner needs, the price, the method, the window.

    ``plan`` is the draw's entropy plan without witness accounts; ``witnesses`` hold them.
    """

    __tablename__ = "selection_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(sa.String(32), unique=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("project.id"), index=True)
    owner_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    # The owner's tenant (行政区划), copied when the request is first stored (see
    # _owner_tenant below) so that lists filter by it without a join; the indexes below that
    # start with it serve every lookup by tenant, so no index of its own.
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("division.id"))
    service_type_id: Mapped[int] = mapped_column(sa.ForeignKey("service_type.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    scope: Mapped[str] = mapped_column(sa.Text)
    qualification_type: Mapped[str | None] = mapped_column(sa.String(100))
    qualification_level: Mapped[str | None] = mapped_column(sa.String(20))
    practitioners: Mapped[dict[str, int]] = mapped_column(sa.JSON, default=dict)
    price_kind: Mapped[str] = mapped_column(sa.String(8))  # fixed / cap
    price_fen: Mapped[int | None] = mapped_column(sa.BigInteger)  # the fixed price
    cap_fen: Mapped[int | None] = mapped_column(sa.BigInteger)  # 最高限价
    floor_fen: Mapped[int | None] = mapped_column(sa.BigInteger)  # 最低限价
    service_days: Mapped[int]  # working days
    signing_days: Mapped[int]  # working days to sign the contract after the award
    method: Mapped[str] = mapped_column(sa.String(16), default=Method.LOTTERY)
    signup_closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    external_kind: Mapped[str] = mapped_column(sa.String(8), default="ssq")
    external_label: Mapped[str] = mapped_column(sa.String(64), default="")
    state: Mapped[str] = mapped_column(sa.String(16), default=RequestState.DRAFT, index=True)
    version: Mapped[int] = mapped_column(default=1)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failed_reason: Mapped[str | None] = mapped_column(sa.String(200))
    # a re-announcement (重新公告) of a failed request names it; both notices link to each other
    reannounces_id: Mapped[int | None] = mapped_column(sa.ForeignKey("selection_request.id"),
                                                       index=True)
    # withdrawn by the owner (撤销): when, by whom, and the public reason
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(500))
    # direct selection (直接选取): the agency the owner names
    direct_agency_org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation.id"))
    # sealed bid (密封报价): the round of quotes (a re-run after an upheld objection is a new round)
    # and when the current round was opened; an opening that failed says why (e.g. lost key)
    bid_round: Mapped[int] = mapped_column(default=1)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    opening_error: Mapped[str | None] = mapped_column(sa.String(500))
    # how the current round's quotes are sealed (market.selection.opening): 'opening_key' = to
    # the regulators' opening keys listed in ``opening_keys``, any ``opening_threshold`` of
    # which open them; 'platform' = with the platform's data key (requests published before
    # opening keys existed; opened by the platform at the deadline as before).  No CHECK: on
    # SQLite adding one rebuilds the table, which its foreign keys forbid once it holds rows.
    sealing: Mapped[str | None] = mapped_column(sa.String(16))
    opening_threshold: Mapped[int | None] = mapped_column()
    opening_keys: Mapped[list[str] | None] = mapped_column(sa.JSON)
    # What an upheld objection (异议成立) leads to, stated by the notice (market.domain.methods
    # ON_UPHELD): 'next' = the next alternate of the published ranking, 'redraw' = the selection
    # runs again.  No CHECK, as for ``sealing``.
    on_upheld: Mapped[str] = mapped_column(sa.String(8), default="redraw",
                                           server_default="redraw")
    # sealed bid: what agencies quote (报价方式) — 'amount' (报价金额, within floor and cap) or
    # 'rate' (下浮率 off the base price ``cap_fen``, in basis points; the fee is the base less
    # the rate, rounded half up to the fen, market.domain.quotes)
    quote_kind: Mapped[str] = mapped_column(sa.String(8), default="amount",
                                            server_default="amount")
    # sealed bid: the abnormally low quote rule (异常低价) published with the notice — a quote
    # more than ``low_share_bp`` (basis points) below the mean of the other valid quotes is
    # set aside ('set_aside') or must be explained in writing ('explain'); None: no rule
    low_share_bp: Mapped[int | None] = mapped_column()
    low_action: Mapped[str | None] = mapped_column(sa.String(12))
    # credit merit (信用择优): the credit score an agency needs to enter the long list (入围线)
    # and how many the draw puts on the short list (入围候选); None on requests published
    # under the earlier rule (the better half by score go into the draw, its first is awarded)
    credit_threshold: Mapped[int | None] = mapped_column()
    shortlist_size: Mapped[int | None] = mapped_column()
    # proposal selection (方案择优): the scoring sheet published with the notice
    # (market.domain.proposal_scoring.Sheet.as_json); None for the other methods
    scoring_sheet: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    project: Mapped[Project] = relationship(back_populates="requests")
    owner = relationship("Organisation", foreign_keys=[owner_org_id])
    tenant = relationship("Division")
    direct_agency = relationship("Organisation", foreign_keys=[direct_agency_org_id])
    reannounces: Mapped[SelectionRequest | None] = relationship(
        remote_side=[id], foreign_keys=[reannounces_id])
    cancelled_by = relationship("User", foreign_keys=[cancelled_by_id])
    service_type = relationship("ServiceType")
    avoid: Mapped[list[AvoidEntry]] = relationship(back_populates="request",
                                                   cascade="all, delete-orphan")
    witnesses: Mapped[list[Witness]] = relationship(back_populates="request",
                                                    cascade="all, delete-orphan",
                                                    order_by="Witness.position")
    signups: Mapped[list[SignUp]] = relationship(back_populates="request")
    amendments: Mapped[list[Amendment]] = relationship(back_populates="request",
                                                       order_by="Amendment.version")

    __table_args__ = (
        sa.CheckConstraint("state in ('draft','open','closed','selected','failed','cancelled')",
                           name="state"),
        sa.CheckConstraint(
            "method in ('lottery','sealed_bid','credit_merit','direct','proposals')",
                           name="method"),
        sa.CheckConstraint("price_kind in ('fixed','cap')", name="price_kind"),
        sa.CheckConstraint("service_days > 0", name="service_days"),
        # A draft has no publication date: the public lists and their counts find published
        # requests by the date alone, from its index (market.selection.scope.published).
        sa.CheckConstraint("state <> 'draft' OR published_at IS NULL", name="draft_unpublished"),
        # a city's notices: its published requests counted from the index, newest first
        sa.Index("ix_selection_request_tenant_state_published", "tenant_id", "state",
                 "published_at"),
        # a division's notices, newest first whatever their state: each tenant's newest
        # read in order (market.selection.scope.newest_published)
        sa.Index("ix_selection_request_tenant_published", "tenant_id", "published_at"),
    )


@sa.event.listens_for(SelectionRequest, "before_insert")
def _owner_tenant(_mapper: Any, connection: sa.Connection, target: SelectionRequest) -> None:
    """A request carries its owner's tenant, whoever builds it (the operation, a loader)."""
    if target.tenant_id is None:
        target.tenant_id = connection.scalar(
            sa.text("SELECT tenant_id FROM organisation WHERE id = :id"),
            {"id": target.owner_org_id})


class AvoidEntry(db.Model):  # type: ignore[name-defined,misc]
    """An agency the owner must not select, with the reason (回避)."""

    __tablename__ = "avoid_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("selection_request.id"), index=True)
    agency_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"))
    reason: Mapped[str] = mapped_column(sa.String(500))

    request: Mapped[SelectionRequest] = relationship(back_populates="avoid")
    agency = relationship("Organisation")


class Witness(db.Model):  # type: ignore[name-defined,misc]
    """A witness of the draw (见证人): one account per witness entry of the plan."""

    __tablename__ = "witness"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("selection_request.id"), index=True)
    position: Mapped[int]
    # indexed: the dashboard's draw to-dos start from the person (a regulator witnesses many)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    label: Mapped[str] = mapped_column(sa.String(64))

    request: Mapped[SelectionRequest] = relationship(back_populates="witnesses")
    user = relationship("User")

    __table_args__ = (sa.UniqueConstraint("request_id", "user_id"),
                      sa.UniqueConstraint("request_id", "position"))


class Amendment(db.Model):  # type: ignore[name-defined,misc]
    """A published change to an open request (更正公告), with its reason."""

    __tablename__ = "amendment"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("selection_request.id"), index=True)
    version: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.String(500))
    changes: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    request: Mapped[SelectionRequest] = relationship(back_populates="amendments")


class SignUp(db.Model):  # type: ignore[name-defined,misc]
    """An agency's sign-up (报名) for a request, and what happened to it."""

    __tablename__ = "signup"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("selection_request.id"), index=True)
    lottery_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    agency_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdraw_reason: Mapped[str | None] = mapped_column(sa.String(500))
    excluded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    exclude_reason: Mapped[str | None] = mapped_column(sa.String(500))
    log_seq: Mapped[int | None] = mapped_column(sa.BigInteger)
    receipt: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)

    request: Mapped[SelectionRequest] = relationship(back_populates="signups")
    agency = relationship("Organisation")

    __table_args__ = (
        sa.UniqueConstraint("request_id", "agency_org_id", "lottery_id"),
        # The draw page lists a lottery's first sign-ups in this order.
        sa.Index("ix_signup_lottery_id_at", "lottery_id", "at", "id"),
    )

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None and self.excluded_at is None


class LotteryState(enum.StrEnum):
    OPEN = "open"  # announced, sign-up open
    FROZEN = "frozen"  # pool frozen, waiting for entropy
    DRAWN = "drawn"
    VOID = "void"


class Lottery(db.Model):  # type: ignore[name-defined,misc]
    """One agency-lottery/v1 draw (摇号) of a request; a voided one is re-run under a new id."""

    __tablename__ = "lottery"

    id: Mapped[int] = mapped_column(primary_key=True)
    lottery_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("selection_request.id"), index=True)
    replaces: Mapped[str | None] = mapped_column(sa.String(64))
    announcement: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    secret_sealed: Mapped[bytes] = mapped_column(sa.LargeBinary)
    state: Mapped[str] = mapped_column(sa.String(8), default=LotteryState.OPEN, index=True)
    external_at: Mapped[datetime] = mapped_column(UTCDateTime())  # T of lottery-v1 §5
    signature: Mapped[str | None] = mapped_column(sa.String(100))
    drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    void_reason: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    pool_summary: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    record_summary: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    # The frozen pool and the signed draw record grow with the sign-ups (5 MB at 50,000): they
    # are read only when used (a bundle, a decline, "show all"), and what the draw page shows
    # of them is kept in pool_summary / record_summary (see summarise_*).  They are the last
    # columns: SQLite stores a row's columns in order, and any column after a 5 MB value is
    # read by walking its overflow pages.
    pool: Mapped[list[str] | None] = mapped_column(sa.JSON, deferred=True)
    record: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, deferred=True)

    request: Mapped[SelectionRequest] = relationship()
    entries: Mapped[list[EntropyEntry]] = relationship(back_populates="lottery",
                                                       order_by="EntropyEntry.position")

    __table_args__ = (
        sa.CheckConstraint("state in ('open','frozen','drawn','void')", name="state"),
    )


SUMMARY_ROWS = 50  # rows of the ranking and the pool that the draw page shows by default


def summarise_pool(pool: list[str] | None, rows: int | None = SUMMARY_ROWS
                   ) -> dict[str, Any] | None:
    """The frozen pool's size and first ``rows`` ids (冻结名单摘要; None: all)."""
    if pool is None:
        return None
    return {"count": len(pool), "head": list(pool[:rows])}


def summarise_record(record: dict[str, Any] | None, rows: int | None = SUMMARY_ROWS
                     ) -> dict[str, Any] | None:
    """What the draw page shows of a signed record (抽取结果摘要): its hash, k, the winners, the
    ranking's length and its first ``rows`` rows (None: all) with their tickets."""
    if record is None:
        return None
    # A signed record has every key; .get keeps partial test and fixture records showable.
    ranking, tickets = record.get("ranking", []), record.get("tickets", {})
    return {"hash": record_hash(record).hex(), "k": record.get("k", 0),
            "winners": list(record.get("winners", [])), "count": len(ranking),
            "ranking": [[a, tickets.get(a, "")] for a in ranking[:rows]]}


# Every write of the pool or the record through the ORM writes its summary in the same flush,
# so the page reads exactly what the row holds.  (Core inserts compute them: devdata.loadgen.)
@sa.event.listens_for(Lottery.pool, "set")
def _pool_set(target: Lottery, value: list[str] | None, _old: object, _by: object) -> None:
    target.pool_summary = summarise_pool(value)


@sa.event.listens_for(Lottery.record, "set")
def _record_set(target: Lottery, value: dict[str, Any] | None, _old: object, _by: object) -> None:
    target.record_summary = summarise_record(value)


class EntropyEntry(db.Model):  # type: ignore[name-defined,misc]
    """A source value entered for a plan entry (witness digits or the external result)."""

    __tablename__ = "entropy_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    lottery_pk: Mapped[int] = mapped_column(sa.ForeignKey("lottery.id"), index=True)
    position: Mapped[int]
    source: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    entered_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    # the second account that typed the same external value before it was logged (复核)
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    lottery: Mapped[Lottery] = relationship(back_populates="entries")
    entered_by = relationship("User", foreign_keys=[entered_by_id])
    confirmed_by = relationship("User", foreign_keys=[confirmed_by_id])

    __table_args__ = (sa.UniqueConstraint("lottery_pk", "position"),)


class ExternalProposal(db.Model):  # type: ignore[name-defined,misc]
    """An external value typed once (外部随机数录入), waiting for a second account to type the
    same value (复核) before it is logged as the entropy event.  At most one per lottery; the
    account that typed it may replace it until it is confirmed."""

    __tablename__ = "external_proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    lottery_pk: Mapped[int] = mapped_column(sa.ForeignKey("lottery.id"), unique=True)
    value: Mapped[str] = mapped_column(sa.String(200))  # canonical (lottery-v1 §5)
    signature: Mapped[str | None] = mapped_column(sa.String(200))  # drand, hex
    official_date: Mapped[date | None] = mapped_column(sa.Date)  # the draw date
    entered_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    lottery: Mapped[Lottery] = relationship()
    entered_by = relationship("User")


class DrawScheduleYear(db.Model):  # type: ignore[name-defined,misc]
    """A year's welfare-lottery draw arrangement as the lottery centre announced it (开奖安排):
    the dates each game does not draw (休市、停开), ISO dates.  Issue numbers of that year are
    computed only once an operator has confirmed it (market.domain.entropy)."""

    __tablename__ = "draw_schedule_year"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    ssq_no_draw: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    fc3d_no_draw: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    confirmed: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str] = mapped_column(sa.String(300))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))


class AwardState(enum.StrEnum):
    OFFERED = "offered"  # 中选，待公示期满和确认
    CONFIRMED = "confirmed"  # 中介机构已确认
    DECLINED = "declined"  # 放弃
    TIMED_OUT = "timed_out"  # 逾期未确认
    VOIDED = "voided"  # 异议成立等原因作废


class Award(db.Model):  # type: ignore[name-defined,misc]
    """The result for one agency (中选结果): offered at the draw (or opening), then confirmed or
    declined; a decline passes the award to the next alternate.  The fee and the committed
    days are fixed here, so a later change of the agency's listing never alters them."""

    __tablename__ = "award"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("selection_request.id"), index=True)
    lottery_id: Mapped[str | None] = mapped_column(sa.String(64))
    agency_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    rank: Mapped[int]  # position in the published ranking (0 = first drawn)
    fee_fen: Mapped[int] = mapped_column(sa.BigInteger)
    service_days: Mapped[int]  # the shorter of the listing's committed days and the request's
    state: Mapped[str] = mapped_column(sa.String(16), default=AwardState.OFFERED, index=True)
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decline_reason: Mapped[str | None] = mapped_column(sa.String(500))
    # who declined: the agency's account id, or "system" for a confirmation timeout; declines
    # and timeouts are what the credit score counts (market.selection.award.declines_of)
    decided_by: Mapped[str | None] = mapped_column(sa.String(128))
    replaced_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("award.id"))
    # credit merit (信用择优): the owner's written reason for choosing this agency from the
    # short list, published on the notice
    choice_reason: Mapped[str | None] = mapped_column(sa.String(500))
    # sealed bid: an abnormally low quote's written explanation (异常低价说明), public
    low_explanation: Mapped[str | None] = mapped_column(sa.String(2000))

    request: Mapped[SelectionRequest] = relationship()
    agency = relationship("Organisation")

    __table_args__ = (
        sa.CheckConstraint(
            "state in ('offered','confirmed','declined','timed_out','voided')", name="state"),
    )


class Bid(db.Model):  # type: ignore[name-defined,misc]
    """A sealed quote (密封报价).  Until the opening only ``sealed`` (AES-GCM of amount and nonce:
    under a per-quote key whose shares are sealed to the opening keys (:class:`BidShare`), or,
    for requests sealed by the platform, under the data key) and the ``commitment`` exist;
    ``amount_fen`` and ``nonce`` are filled in at the opening, when they become public.  A
    replaced quote stays, marked."""

    __tablename__ = "bid"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("selection_request.id"), index=True)
    round: Mapped[int] = mapped_column(default=1)
    agency_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    sealed: Mapped[bytes] = mapped_column(sa.LargeBinary)
    commitment: Mapped[str] = mapped_column(sa.String(64), unique=True)
    log_seq: Mapped[int] = mapped_column(sa.BigInteger)
    receipt: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    replaced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    amount_fen: Mapped[int | None] = mapped_column(sa.BigInteger)  # public after the opening
    nonce: Mapped[str | None] = mapped_column(sa.String(64))  # hex, public after the opening
    valid: Mapped[bool | None] = mapped_column()  # opened and recomputes to its commitment
    # at the opening: abnormally low under the notice's rule (异常低价); set aside or, when the
    # notice asks for a written explanation, awarded only once the agency has given one
    abnormally_low: Mapped[bool | None] = mapped_column()

    request: Mapped[SelectionRequest] = relationship()
    agency = relationship("Organisation")


class ObjectionState(enum.StrEnum):
    PENDING = "pending"  # 待处理
    UPHELD = "upheld"  # 异议成立
    REJECTED = "rejected"  # 异议不成立


class Objection(db.Model):  # type: ignore[name-defined,misc]
    """An objection (异议) to a result notice by a registrant, and the regulator's decision."""

    __tablename__ = "objection"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("selection_request.id"), index=True)
    award_id: Mapped[int] = mapped_column(sa.ForeignKey("award.id"))
    agency_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    text: Mapped[str] = mapped_column(sa.Text)
    upload_id: Mapped[int | None] = mapped_column(sa.ForeignKey("upload.id"))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(sa.String(16), default=ObjectionState.PENDING, index=True)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_reason: Mapped[str | None] = mapped_column(sa.String(500))

    request: Mapped[SelectionRequest] = relationship()
    agency = relationship("Organisation")
    upload = relationship("Upload")
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    __table_args__ = (
        sa.CheckConstraint("state in ('pending','upheld','rejected')", name="state"),
    )


class BidLogLeaf(db.Model):  # type: ignore[name-defined,misc]
    """One event of the sealed-bid log (its own origin, ``<LOG_ORIGIN>-bids``)."""

    __tablename__ = "bid_log_leaf"

    seq: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    request_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    type: Mapped[str] = mapped_column(sa.String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)


class BidLogNode(NodeColumns, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "bid_log_node"


class BidLogHead(HeadColumns, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "bid_log_head"


class BidLogCheckpoint(CheckpointColumns, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "bid_log_checkpoint"


class OpeningKey(db.Model):  # type: ignore[name-defined,misc]
    """A regulator's opening key (开标密钥): the public half of a P-256 key pair whose private
    half exists only in the holder's file.  Retired keys take no new requests but still open
    the requests already sealed to them."""

    __tablename__ = "opening_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[str] = mapped_column(sa.String(32), unique=True)
    holder_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    retired_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    retire_reason: Mapped[str | None] = mapped_column(sa.String(500))

    holder = relationship("User", foreign_keys=[holder_id])


class BidShare(db.Model):  # type: ignore[name-defined,misc]
    """One share of a quote's data key, sealed to one opening key (HPKE), with its hash."""

    __tablename__ = "bid_share"

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(sa.ForeignKey("bid.id"), index=True)
    key_id: Mapped[str] = mapped_column(sa.String(32))
    x: Mapped[int] = mapped_column()
    wrapped: Mapped[bytes] = mapped_column(sa.LargeBinary)
    share_hash: Mapped[str] = mapped_column(sa.String(64))

    __table_args__ = (sa.UniqueConstraint("bid_id", "key_id"),)


class OpeningPresentation(db.Model):  # type: ignore[name-defined,misc]
    """A key holder presented its key for one round's opening (出示开标密钥).  ``shares`` (the
    holder's unwrapped shares, by commitment) wait here until enough holders have presented;
    the opening erases them, and so does a lapsed opening."""

    __tablename__ = "opening_presentation"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("selection_request.id"), index=True)
    round: Mapped[int] = mapped_column()
    key_id: Mapped[str] = mapped_column(sa.String(32))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    shares: Mapped[dict[str, str] | None] = mapped_column(sa.JSON)

    user = relationship("User")

    __table_args__ = (sa.UniqueConstraint("request_id", "round", "key_id"),)


class AvoidReview(db.Model):  # type: ignore[name-defined,misc]
    """A regulator's review of a long avoid list (回避名单审核): a request whose avoid list names
    more agencies than ``AVOID_LIST_MAX`` is published only once a regulator approved that very
    list (``agencies``: the avoided agencies' public ids, sorted, as submitted)."""

    __tablename__ = "avoid_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("selection_request.id"), index=True)
    agencies: Mapped[list[str]] = mapped_column(sa.JSON)
    state: Mapped[str] = mapped_column(sa.String(16), default="pending")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    note: Mapped[str] = mapped_column(sa.Text, default="")

    request: Mapped[SelectionRequest] = relationship()
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    __table_args__ = (
        sa.CheckConstraint("state in ('pending','approved','refused')", name="state"),
        sa.CheckConstraint("(state = 'pending') = (decided_at is null)", name="decided"),
    )
class Proposal(db.Model):  # type: ignore[name-defined,misc]
    """A proposal (比选方案) beside its sealed quote (:class:`Bid`, which holds the quote's
    commitment and, sealed to the opening keys, ``amount || nonce || file key``).  Until the
    opening the file exists only encrypted under that file key (``sealed_upload``); its
    SHA-256 (``file_sha256``, of the plaintext) is logged with the commitment.  At the opening
    the file is decrypted, checked against that hash and stored as ``opened_upload``."""

    __tablename__ = "proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(sa.ForeignKey("bid.id"), unique=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("selection_request.id"), index=True)
    file_sha256: Mapped[str] = mapped_column(sa.String(64))
    file_name: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    sealed_upload_id: Mapped[int] = mapped_column(sa.ForeignKey("upload.id"))
    opened_upload_id: Mapped[int | None] = mapped_column(sa.ForeignKey("upload.id"))

    bid: Mapped[Bid] = relationship()
    opened_upload = relationship("Upload", foreign_keys=[opened_upload_id])
    sealed_upload = relationship("Upload", foreign_keys=[sealed_upload_id])


class ProposalScorer(db.Model):  # type: ignore[name-defined,misc]
    """A member of the owner's panel (评审小组成员), named and recorded by the owner with the
    points they gave (:class:`ProposalScore`); public once the results are published."""

    __tablename__ = "proposal_scorer"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("selection_request.id"), index=True)
    round: Mapped[int]
    position: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(60))
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    scores: Mapped[list[ProposalScore]] = relationship(back_populates="scorer",
                                                       cascade="all, delete-orphan")

    __table_args__ = (sa.UniqueConstraint("request_id", "round", "name"),
                      sa.UniqueConstraint("request_id", "round", "position"))


class ProposalScore(db.Model):  # type: ignore[name-defined,misc]
    """One scorer's points for one proposal on one criterion, in tenths of a point."""

    __tablename__ = "proposal_score"

    id: Mapped[int] = mapped_column(primary_key=True)
    scorer_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal_scorer.id"), index=True)
    bid_id: Mapped[int] = mapped_column(sa.ForeignKey("bid.id"))
    criterion: Mapped[int]
    tenths: Mapped[int]

    scorer: Mapped[ProposalScorer] = relationship(back_populates="scores")

    __table_args__ = (sa.UniqueConstraint("scorer_id", "bid_id", "criterion"),
                      sa.CheckConstraint("tenths >= 0", name="tenths"))

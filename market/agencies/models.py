"""Agency admission (入驻申请), qualifications (资质), practitioners (执业人员) and listings
(服务报价: fee schedule and committed service days, versioned)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, attributes, mapped_column, object_session, relationship

from market.accounts.models import Organisation, OrgKind, OrgStatus
from market.db import UTCDateTime, db
from market.domain.fees import FeeKind, FeeSchedule


class ReviewStatus(enum.StrEnum):
    """Review state of an application or of a change to qualifications / practitioners."""

    PENDING = "pending"  # 待审核
    APPROVED = "approved"  # 已通过 (for applications: admitted)
    REJECTED = "rejected"  # 未通过
    SUPERSEDED = "superseded"  # 已被新版本取代


_STATUS_CHECK = "status in ('pending','approved','rejected','superseded')"


class AdmissionApplication(db.Model):  # type: ignore[name-defined,misc]
    """An agency's application for admission (入驻申请).  A rejected application is corrected
    and resubmitted as a new row (``previous_id``), so the history of reasons stays."""

    __tablename__ = "admission_application"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    previous_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admission_application.id"))
    legal_name: Mapped[str] = mapped_column(sa.String(200))
    credit_code: Mapped[str] = mapped_column(sa.String(18))
    region: Mapped[str] = mapped_column(sa.String(100))
    legal_representative: Mapped[str] = mapped_column(sa.String(100))
    authorised_representative: Mapped[str] = mapped_column(sa.String(100))
    contact_phone: Mapped[str] = mapped_column(sa.String(32))
    contact_email: Mapped[str] = mapped_column(sa.String(254))
    licence_upload_id: Mapped[int] = mapped_column(sa.ForeignKey("upload.id"))
    status: Mapped[str] = mapped_column(sa.String(16), default=ReviewStatus.PENDING)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    review_due_on: Mapped[date] = mapped_column(sa.Date)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    reasons: Mapped[str | None] = mapped_column(sa.Text)

    organisation = relationship("Organisation")
    licence = relationship("Upload")
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    __table_args__ = (
        sa.CheckConstraint(_STATUS_CHECK, name="status"),
        sa.Index("ix_admission_application_status_due", "status", "review_due_on"),
    )


class AgencyProfile(db.Model):  # type: ignore[name-defined,misc]
    """What the public sees of an admitted agency beyond its organisation row, and the figures
    the directory sorts by (kept up to date by the operations that change them).

    ``orders``, ``on_time_rate_bp`` and ``rating_centi`` are filled by later issues; ``NULL``
    means "no record yet" (暂无记录)."""

    __tablename__ = "agency_profile"

    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"),
                                                 primary_key=True)
    legal_representative: Mapped[str] = mapped_column(sa.String(100), default="")
    authorised_representative: Mapped[str] = mapped_column(sa.String(100), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(32), default="")
    contact_email: Mapped[str] = mapped_column(sa.String(254), default="")
    licence_upload_id: Mapped[int | None] = mapped_column(sa.ForeignKey("upload.id"))
    admitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    min_fee_fen: Mapped[int | None] = mapped_column(sa.BigInteger, index=True)
    min_days: Mapped[int | None] = mapped_column(index=True)
    orders: Mapped[int] = mapped_column(default=0)
    on_time_rate_bp: Mapped[int | None] = mapped_column(index=True)  # 0–10000
    average_days_ratio_bp: Mapped[int | None]  # actual / committed days, 10000 = on commitment
    rating_centi: Mapped[int | None] = mapped_column(index=True)  # 100–500 = 1.00–5.00

    organisation = relationship("Organisation")


class _Reviewed:
    """Columns shared by qualifications and practitioners: a change is reviewed while the row
    it replaces (``replaces_id``) stays in force."""

    status: Mapped[str] = mapped_column(sa.String(16), default=ReviewStatus.PENDING)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    review_reason: Mapped[str | None] = mapped_column(sa.Text)


class Qualification(_Reviewed, db.Model):  # type: ignore[name-defined,misc]
    """A qualification certificate (资质证书): type, level, number, issuer, validity, scan."""

    __tablename__ = "qualification"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"))
    replaces_id: Mapped[int | None] = mapped_column(sa.ForeignKey("qualification.id"))
    qualification_type: Mapped[str] = mapped_column(sa.String(100))
    level: Mapped[str] = mapped_column(sa.String(20))
    number: Mapped[str] = mapped_column(sa.String(100))
    issuer: Mapped[str] = mapped_column(sa.String(200))
    valid_from: Mapped[date] = mapped_column(sa.Date)
    valid_until: Mapped[date] = mapped_column(sa.Date)
    scan_upload_id: Mapped[int | None] = mapped_column(sa.ForeignKey("upload.id"))

    replaces = relationship("Qualification", remote_side=[id])

    __table_args__ = (
        sa.CheckConstraint(_STATUS_CHECK, name="status"),
        sa.CheckConstraint("valid_until >= valid_from", name="validity"),
        sa.Index("ix_qualification_org_status", "organisation_id", "status"),
        sa.Index("ix_qualification_level_until", "level", "valid_until", "organisation_id"),
    )


class Practitioner(_Reviewed, db.Model):  # type: ignore[name-defined,misc]
    """A registered practitioner (执业人员) and their certificate."""

    __tablename__ = "practitioner"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"))
    replaces_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practitioner.id"))
    name: Mapped[str] = mapped_column(sa.String(100))
    certificate_type: Mapped[str] = mapped_column(sa.String(100))
    certificate_number: Mapped[str] = mapped_column(sa.String(100))
    valid_until: Mapped[date] = mapped_column(sa.Date)

    replaces = relationship("Practitioner", remote_side=[id])

    __table_args__ = (
        sa.CheckConstraint(_STATUS_CHECK, name="status"),
        sa.Index("ix_practitioner_org_status", "organisation_id", "status"),
    )


class _FeeColumns:
    fee_kind: Mapped[str] = mapped_column(sa.String(8))
    amount_fen: Mapped[int | None] = mapped_column(sa.BigInteger)
    rate_bp: Mapped[int | None]
    minimum_fen: Mapped[int | None] = mapped_column(sa.BigInteger)
    maximum_fen: Mapped[int | None] = mapped_column(sa.BigInteger)
    committed_days: Mapped[int]
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def fee(self) -> FeeSchedule:
        return FeeSchedule(FeeKind(self.fee_kind), self.amount_fen, self.rate_bp,
                           self.minimum_fen, self.maximum_fen)


class Listing(_FeeColumns, db.Model):  # type: ignore[name-defined,misc]
    """The version in force of an agency's offer of one service type (服务报价).

    Every edit also writes a :class:`ListingVersion`; engagements point at a version, so a
    changed fee never alters a running engagement.  ``fee_low_fen`` (the lowest fee the
    schedule can charge) is what the directory filters and sorts by."""

    __tablename__ = "listing"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"))
    service_type_id: Mapped[int] = mapped_column(sa.ForeignKey("service_type.id"))
    version: Mapped[int]
    fee_low_fen: Mapped[int] = mapped_column(sa.BigInteger)
    # Copies of the organisation's directory state, so the directory can filter, sort and
    # count listings from one narrow index without joining every match to its organisation.
    # Kept current by the ORM events below (whenever an organisation's kind, status, region
    # or tenant changes, and when a listing is created) and by every save of the listing.
    admitted: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    region: Mapped[str | None] = mapped_column(sa.String(100))
    # The tenant (行政区划) where the agency was admitted: the directory's division filter.
    tenant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("division.id"))

    service_type = relationship("ServiceType")
    versions: Mapped[list[ListingVersion]] = relationship(
        back_populates="listing", order_by="ListingVersion.version.desc()")

    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "service_type_id"),
        sa.CheckConstraint("fee_kind in ('fixed','rate','range')", name="fee_kind"),
        sa.CheckConstraint("committed_days > 0", name="committed_days"),
        # The directory (see market/agencies/directory.py): with a service filter, each of
        # these answers the page in index order (LIMIT stops the walk) and the exact total as a
        # count over one index range, with no join.  ``organisation_id`` follows the sort key,
        # as the tie-breaker of every directory order.
        sa.Index("ix_listing_dir_fee", "service_type_id", "admitted", "fee_low_fen",
                 "organisation_id", "committed_days"),
        sa.Index("ix_listing_dir_days", "service_type_id", "admitted", "committed_days",
                 "organisation_id", "fee_low_fen"),
        sa.Index("ix_listing_dir_org", "service_type_id", "admitted", "organisation_id",
                 "fee_low_fen", "committed_days"),
        sa.Index("ix_listing_dir_region_fee", "service_type_id", "admitted", "region",
                 "fee_low_fen", "organisation_id", "committed_days"),
        sa.Index("ix_listing_dir_tenant_fee", "service_type_id", "admitted", "tenant_id",
                 "fee_low_fen", "organisation_id", "committed_days"),
        sa.Index("ix_listing_fee", "fee_low_fen", "organisation_id"),
    )


class ListingVersion(_FeeColumns, db.Model):  # type: ignore[name-defined,misc]
    """One published version of a listing (报价版本); never changed once written."""

    __tablename__ = "listing_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listing.id"))
    version: Mapped[int]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    listing: Mapped[Listing] = relationship(back_populates="versions")

    __table_args__ = (
        sa.UniqueConstraint("listing_id", "version"),
        sa.CheckConstraint("committed_days > 0", name="committed_days"),
    )


def _directory_indexes() -> None:
    """The directory filters admitted agencies by region; the index lives on ``organisation``
    (declared here, next to the query that needs it)."""
    sa.Index("ix_organisation_kind_status_region", Organisation.kind, Organisation.status,
             Organisation.region)


_directory_indexes()


def directory_state(kind: str | None, status: str | None, region: str | None,
                    tenant_id: int | None) -> tuple[bool, str | None, int | None]:
    """What a listing copies from its organisation: (admitted agency?, region, tenant)."""
    return (kind == OrgKind.AGENCY.value and status == OrgStatus.ADMITTED.value, region,
            tenant_id)


def _copy_organisation_state(mapper: Any, connection: sa.Connection, target: Listing) -> None:
    """A new listing (however it is created through the ORM) starts with its organisation's
    directory state."""
    row = connection.execute(sa.select(Organisation.kind, Organisation.status,
                                       Organisation.region, Organisation.tenant_id)
                             .where(Organisation.id == target.organisation_id)).one_or_none()
    if row is not None:
        target.admitted, target.region, target.tenant_id = directory_state(*row)


def _push_organisation_state(mapper: Any, connection: sa.Connection, target: Any) -> None:
    """An organisation whose kind, status, region or tenant changed (through the ORM,
    whichever code changed it) passes the change on to its listings, in the same
    transaction."""
    state = sa.inspect(target)
    if not any(state.attrs[name].history.has_changes()
               for name in ("kind", "status", "region", "tenant_id")):
        return
    admitted, region, tenant_id = directory_state(target.kind, target.status, target.region,
                                                  target.tenant_id)
    connection.execute(sa.update(Listing).where(Listing.organisation_id == target.id)
                       .values(admitted=admitted, region=region, tenant_id=tenant_id))
    session = object_session(target)
    if session is not None:  # listings already loaded see the new values without a refresh
        for obj in list(session.identity_map.values()):
            if isinstance(obj, Listing) and obj.organisation_id == target.id:
                attributes.set_committed_value(obj, "admitted", admitted)
                attributes.set_committed_value(obj, "region", region)
                attributes.set_committed_value(obj, "tenant_id", tenant_id)


def _listen_for_directory_state() -> None:
    sa.event.listen(Listing, "before_insert", _copy_organisation_state)
    sa.event.listen(Organisation, "after_update", _push_organisation_state)


_listen_for_directory_state()


class RelationKind(enum.StrEnum):
    """How two units are related (关联关系), as admission rules list them."""

    LEGAL_REPRESENTATIVE = "legal_representative"  # 法定代表人为同一人
    CONTROLLING = "controlling"  # 存在控股、管理关系（控股股东、实际控制人）
    PARENT_SUBSIDIARY = "parent_subsidiary"  # 母公司与子公司、同一母公司的子公司
    SHARED_CONTACT = "shared_contact"  # 联系电话或办公地址相同
    OTHER = "other"  # 其他关联关系


class RelationSource(enum.StrEnum):
    DECLARED = "declared"  # the agency declared it (申报)
    OPERATOR = "operator"  # the operator recorded it
    REGULATOR = "regulator"  # a regulator recorded it (e.g. from a flagged pair)


class AgencyRelation(db.Model):  # type: ignore[name-defined,misc]
    """A relation between an agency and another unit (关联关系).  The other unit is named by
    its unified social credit code, so that a unit not on the platform (yet) can be named and is
    matched whenever it registers; a relation holds both ways."""

    __tablename__ = "agency_relation"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    other_credit_code: Mapped[str] = mapped_column(sa.String(18), index=True)
    other_name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(24))
    source: Mapped[str] = mapped_column(sa.String(16))
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))

    organisation = relationship("Organisation")
    recorded_by = relationship("User")

    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "other_credit_code", "kind"),
        sa.CheckConstraint(
            "kind in ('legal_representative','controlling','parent_subsidiary',"
            "'shared_contact','other')", name="kind"),
        sa.CheckConstraint("source in ('declared','operator','regulator')", name="source"),
    )

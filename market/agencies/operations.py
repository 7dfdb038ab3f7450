"""Agency operations: admission, its review, qualifications, practitioners and listings.

Each adds to the current transaction, flushes and writes its audit event; the request wrapper
(:func:`market.accounts.auth.access`) commits once.  A refused change raises :class:`AgencyError`
*before* anything is added (uploads are stored last), so bad input changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from market import storage, timeutil
from market.accounts import audit
from market.accounts.models import Organisation, OrgKind, OrgStatus, User
from market.agencies.models import (
    AdmissionApplication,
    AgencyProfile,
    Listing,
    ListingVersion,
    Practitioner,
    Qualification,
    ReviewStatus,
    directory_state,
)
from market.calendar.service import current_calendar
from market.catalogue.models import ServiceType
from market.db import db
from market.domain import fees as fee_rules
from market.domain import qualifications as q_rules
from market.domain.calendar import local_date
from market.domain.codes import normalise_credit_code, validate_credit_code
from market.i18n import N_
from market.refusal import Refused
from market.settings import service as settings


class AgencyError(Refused):
    """A rule refused the change; ``field`` names the form field to show ``message`` next to
    (an ``N_()`` string, formatted with ``params`` after translation)."""

    def __init__(self, field: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.params = params


CREDIT_CODE_MESSAGES = {
    "length": N_("统一社会信用代码应为 18 位。"),
    "charset": N_("统一社会信用代码含有不允许的字符（不使用 I、O、Z、S、V）。"),
    "region": N_("统一社会信用代码第 3–8 位应为行政区划代码（6 位数字）。"),
    "check_digit": N_("统一社会信用代码校验位不正确，请核对。"),
}
FEE_MESSAGES = {
    "fee_missing": N_("请填写金额（元）。"),
    "fee_not_positive": N_("金额必须大于 0 元。"),
    "fee_too_large": N_("金额不能超过 1 亿元，请核对单位（元）。"),
    "rate_missing": N_("请填写费率（%）。"),
    "rate_out_of_range": N_("费率应大于 0 且不超过 100%。"),
    "range_inverted": N_("最高收费不能低于最低收费。"),
    "kind": N_("请选择收费方式。"),
}
DAYS_MESSAGES = {
    "days_missing": N_("请填写承诺服务时限（工作日）。"),
    "days_not_positive": N_("承诺服务时限至少 1 个工作日。"),
    "days_too_large": N_("承诺服务时限不能超过 365 个工作日。"),
}


def _today() -> date:
    return local_date(timeutil.now())


def _require(field: str, value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise AgencyError(field, N_("请填写此项。"))
    return value


def profile_of(org: Organisation) -> AgencyProfile:
    profile = db.session.get(AgencyProfile, org.id)
    if profile is None:
        profile = AgencyProfile(organisation_id=org.id)
        db.session.add(profile)
    return profile


# --- admission ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplicationData:
    legal_name: str
    credit_code: str
    region: str
    legal_representative: str
    authorised_representative: str
    contact_phone: str
    contact_email: str


def latest_application(org: Organisation) -> AdmissionApplication | None:
    return db.session.scalar(
        sa.select(AdmissionApplication)
        .where(AdmissionApplication.organisation_id == org.id)
        .order_by(AdmissionApplication.id.desc())
        .limit(1)
    )


def submit_application(
    org: Organisation, user: User, data: ApplicationData, licence: Any = None
) -> AdmissionApplication:
    """An agency's administrator applies for admission, or resubmits a corrected application
    after a rejection.  ``licence`` is the business licence file (PDF/JPEG/PNG); a resubmission
    may leave it out to keep the previous one.  The organisation becomes pending; the review is
    due within ``ADMISSION_REVIEW_DAYS`` working days."""
    if org.kind != OrgKind.AGENCY.value:
        raise AgencyError("legal_name", N_("只有中介机构可以申请入驻。"))
    previous = latest_application(org)
    if previous is not None and previous.status == ReviewStatus.PENDING.value:
        raise AgencyError("legal_name", N_("入驻申请正在审核中，请等待审核结果。"))
    if org.status == OrgStatus.ADMITTED.value:
        raise AgencyError("legal_name", N_("本机构已入驻。"))
    legal_name = _require("legal_name", data.legal_name)
    code = normalise_credit_code(data.credit_code or "")
    error = validate_credit_code(code)
    if error is not None:
        raise AgencyError("credit_code", CREDIT_CODE_MESSAGES.get(error,
                                                                  CREDIT_CODE_MESSAGES["check_digit"]))
    taken = db.session.scalar(sa.select(Organisation.id).where(
        Organisation.credit_code == code, Organisation.id != org.id))
    if taken:
        raise AgencyError("credit_code", N_("该统一社会信用代码已注册。"))
    fields = {name: _require(name, getattr(data, name)) for name in (
        "region", "legal_representative", "authorised_representative", "contact_phone",
        "contact_email")}
    if "@" not in fields["contact_email"]:
        raise AgencyError("contact_email", N_("邮箱格式不正确。"))
    has_file = licence is not None and getattr(licence, "filename", None)
    if isinstance(licence, storage.Upload):  # already stored (demo data, imports)
        upload = licence
    elif has_file:
        upload = storage.store_file(licence, field="licence", uploaded_by_id=user.id,
                                    organisation_id=org.id)
    elif previous is not None:
        upload = previous.licence
    else:
        raise AgencyError("licence", N_("请上传营业执照（PDF、JPEG 或 PNG）。"))
    now = timeutil.now()
    # the review is the first-instance decision of the tenant where the agency applied
    due = current_calendar(org.tenant_id).add_working_days(
        local_date(now), settings.effective("ADMISSION_REVIEW_DAYS", now, org.tenant_id))
    application = AdmissionApplication(
        organisation_id=org.id,
        previous_id=previous.id if previous else None,
        legal_name=legal_name,
        credit_code=code,
        licence_upload_id=upload.id,
        status=ReviewStatus.PENDING.value,
        submitted_at=now,
        submitted_by_id=user.id,
        review_due_on=due,
        **fields,
    )
    db.session.add(application)
    org.name, org.credit_code, org.region = legal_name, code, fields["region"]
    org.status = OrgStatus.PENDING.value
    db.session.flush()
    audit.record("agency:application:submit", org.public_id,
                 {"application": application.id, "resubmission": previous is not None,
                  "review_due_on": due.isoformat(), "licence_sha256": upload.sha256})
    return application


def decide_application(
    application: AdmissionApplication, reviewer: User, *, admit: bool, reasons: str
) -> None:
    """A regulator or operator admits or rejects a pending application.  A rejection needs
    reasons.  Admission also approves the qualifications and practitioners the agency entered
    before it (they are reviewed with the application)."""
    if application.status != ReviewStatus.PENDING.value:
        raise AgencyError("reasons", N_("该申请已审核，不能再次审核。"))
    reasons = (reasons or "").strip()
    if not admit and not reasons:
        raise AgencyError("reasons", N_("不予入驻须写明理由。"))
    now = timeutil.now()
    org = application.organisation
    application.status = (ReviewStatus.APPROVED if admit else ReviewStatus.REJECTED).value
    application.decided_at = now
    application.decided_by_id = reviewer.id
    application.reasons = reasons or None
    if admit:
        org.status = OrgStatus.ADMITTED.value
        profile = profile_of(org)
        profile.legal_representative = application.legal_representative
        profile.authorised_representative = application.authorised_representative
        profile.contact_phone = application.contact_phone
        profile.contact_email = application.contact_email
        profile.licence_upload_id = application.licence_upload_id
        profile.admitted_at = profile.admitted_at or now
        for model in (Qualification, Practitioner):
            for row in db.session.scalars(sa.select(model).where(
                    model.organisation_id == org.id,
                    model.status == ReviewStatus.PENDING.value)):
                _approve(row, reviewer, now)  # type: ignore[arg-type]  # both models
    else:
        org.status = OrgStatus.REJECTED.value
    db.session.flush()
    audit.record("agency:application:" + ("admit" if admit else "reject"), org.public_id,
                 {"application": application.id, "reasons": reasons,
                  "overdue": _today() > application.review_due_on})


def pending_applications() -> list[AdmissionApplication]:
    return list(db.session.scalars(
        sa.select(AdmissionApplication)
        .where(AdmissionApplication.status == ReviewStatus.PENDING.value)
        .order_by(AdmissionApplication.review_due_on, AdmissionApplication.id)))


def is_overdue(application: AdmissionApplication, today: date | None = None) -> bool:
    """Overdue from the day after the due date while still pending."""
    return (application.status == ReviewStatus.PENDING.value
            and (today or _today()) > application.review_due_on)


# --- qualifications and practitioners -------------------------------------------------------


@dataclass(frozen=True)
class QualificationData:
    qualification_type: str
    level: str
    number: str
    issuer: str
    valid_from: date | None
    valid_until: date | None


@dataclass(frozen=True)
class PractitionerData:
    name: str
    certificate_type: str
    certificate_number: str
    valid_until: date | None


def known_qualification_types() -> list[str]:
    found: set[str] = set()
    for types in db.session.scalars(sa.select(ServiceType.qualification_types)):
        found.update(types or [])
    return sorted(found)


def known_practitioner_types() -> list[str]:
    found: set[str] = set()
    for types in db.session.scalars(sa.select(ServiceType.practitioner_types)):
        found.update(types or [])
    return sorted(found)


def _check_replaceable(org: Organisation, old: Any) -> None:
    if old is None:
        return
    if old.organisation_id != org.id:
        raise AgencyError("number", N_("不能修改其他机构的资料。"))
    if old.status != ReviewStatus.APPROVED.value:
        raise AgencyError("number", N_("只能修改已生效的资料。"))
    model = type(old)
    waiting = db.session.scalar(sa.select(model.id).where(
        model.replaces_id == old.id, model.status == ReviewStatus.PENDING.value))
    if waiting:
        raise AgencyError("number", N_("该项已有一项修改在审核中。"))


def save_qualification(
    org: Organisation, user: User, data: QualificationData, scan: Any = None,
    *, replaces: Qualification | None = None,
) -> Qualification:
    """An agency adds a qualification or submits a change to one in force.  It is reviewed with
    the admission application, or on its own once admitted; a replaced one stays in force until
    the change is approved."""
    _check_replaceable(org, replaces)
    if data.qualification_type not in known_qualification_types():
        raise AgencyError("qualification_type", N_("请选择资质类型。"))
    if data.level not in q_rules.QUALIFICATION_LEVELS:
        raise AgencyError("level", N_("请选择资质等级。"))
    number = _require("number", data.number)
    issuer = _require("issuer", data.issuer)
    if data.valid_from is None:
        raise AgencyError("valid_from", N_("请填写有效期起始日期。"))
    if data.valid_until is None:
        raise AgencyError("valid_until", N_("请填写有效期截止日期。"))
    if q_rules.dates_error(data.valid_from, data.valid_until):
        raise AgencyError("valid_until", N_("有效期截止日期不能早于起始日期。"))
    upload = None
    if isinstance(scan, storage.Upload):
        upload = scan
    elif scan is not None and getattr(scan, "filename", None):
        upload = storage.store_file(scan, field="scan", uploaded_by_id=user.id,
                                    organisation_id=org.id)
    elif replaces is not None:
        upload = db.session.get(storage.Upload, replaces.scan_upload_id) \
            if replaces.scan_upload_id else None
    if upload is None:
        raise AgencyError("scan", N_("请上传资质证书扫描件（PDF、JPEG 或 PNG）。"))
    row = Qualification(
        organisation_id=org.id, replaces_id=replaces.id if replaces else None,
        qualification_type=data.qualification_type, level=data.level, number=number,
        issuer=issuer, valid_from=data.valid_from, valid_until=data.valid_until,
        scan_upload_id=upload.id, status=ReviewStatus.PENDING.value,
        submitted_at=timeutil.now(), submitted_by_id=user.id)
    db.session.add(row)
    db.session.flush()
    audit.record("agency:qualification:" + ("change" if replaces else "add"), org.public_id,
                 {"qualification": row.id, "replaces": row.replaces_id,
                  "type": row.qualification_type, "level": row.level})
    return row


def save_practitioner(
    org: Organisation, user: User, data: PractitionerData,
    *, replaces: Practitioner | None = None,
) -> Practitioner:
    """An agency registers a practitioner or submits a change; reviewed like qualifications."""
    _check_replaceable(org, replaces)
    name = _require("name", data.name)
    if data.certificate_type not in known_practitioner_types():
        raise AgencyError("certificate_type", N_("请选择执业资格类型。"))
    number = _require("certificate_number", data.certificate_number)
    if data.valid_until is None:
        raise AgencyError("valid_until", N_("请填写有效期截止日期。"))
    row = Practitioner(
        organisation_id=org.id, replaces_id=replaces.id if replaces else None, name=name,
        certificate_type=data.certificate_type, certificate_number=number,
        valid_until=data.valid_until, status=ReviewStatus.PENDING.value,
        submitted_at=timeutil.now(), submitted_by_id=user.id)
    db.session.add(row)
    db.session.flush()
    audit.record("agency:practitioner:" + ("change" if replaces else "add"), org.public_id,
                 {"practitioner": row.id, "replaces": row.replaces_id,
                  "certificate_type": row.certificate_type})
    return row


def _approve(row: Qualification | Practitioner, reviewer: User, now: Any) -> None:
    row.status = ReviewStatus.APPROVED.value
    row.reviewed_at = now
    row.reviewed_by_id = reviewer.id
    if row.replaces is not None and row.replaces.status == ReviewStatus.APPROVED.value:
        row.replaces.status = ReviewStatus.SUPERSEDED.value


def review_change(
    row: Qualification | Practitioner, reviewer: User, *, approve: bool, reason: str
) -> None:
    """A regulator or operator approves or rejects a pending qualification or practitioner of
    an admitted agency.  Approval puts it in force (and retires the row it replaces);
    rejection needs a reason and leaves the old data in force."""
    if row.status != ReviewStatus.PENDING.value:
        raise AgencyError("reason", N_("该项已审核，不能再次审核。"))
    reason = (reason or "").strip()
    if not approve and not reason:
        raise AgencyError("reason", N_("不予通过须写明理由。"))
    now = timeutil.now()
    if approve:
        _approve(row, reviewer, now)
    else:
        row.status = ReviewStatus.REJECTED.value
        row.reviewed_at, row.reviewed_by_id = now, reviewer.id
    row.review_reason = reason or None
    db.session.flush()
    kind = "qualification" if isinstance(row, Qualification) else "practitioner"
    org = db.session.get(Organisation, row.organisation_id)
    audit.record(f"agency:{kind}:" + ("approve" if approve else "reject"),
                 org.public_id if org else str(row.organisation_id),
                 {kind: row.id, "reason": reason})


def pending_changes() -> list[Qualification | Practitioner]:
    """Changes of admitted agencies waiting for review (those of pending agencies are reviewed
    with their application)."""
    rows: list[Qualification | Practitioner] = []
    for model in (Qualification, Practitioner):
        rows.extend(db.session.scalars(
            sa.select(model).join(Organisation, Organisation.id == model.organisation_id)
            .where(model.status == ReviewStatus.PENDING.value,
                   Organisation.status == OrgStatus.ADMITTED.value)
            .order_by(model.submitted_at)))
    return rows


# --- listings ------------------------------------------------------------------------------


def save_listing(
    org: Organisation, user: User, service_type: ServiceType, fee: fee_rules.FeeSchedule,
    committed_days: int | None,
) -> Listing:
    """An admitted agency publishes or changes its fee schedule and committed service days for
    one service type.  Each change is a new version effective from now; earlier versions stay
    visible and unchanged.  Saving the same values again publishes nothing."""
    if org.status != OrgStatus.ADMITTED.value:
        raise AgencyError("fee_kind", N_("入驻审核通过后才能发布服务报价。"))
    problem = fee_rules.validate_fee_schedule(fee)
    if problem is not None:
        raise AgencyError(problem[0], FEE_MESSAGES[problem[1]])
    days_problem = fee_rules.validate_committed_days(committed_days)
    if days_problem is not None:
        raise AgencyError("committed_days", DAYS_MESSAGES[days_problem])
    days: int = committed_days  # type: ignore[assignment]  # validated just above
    listing = db.session.scalar(sa.select(Listing).where(
        Listing.organisation_id == org.id, Listing.service_type_id == service_type.id))
    if listing is not None and listing.fee == fee and listing.committed_days == days:
        return listing  # type: ignore[no-any-return]
    now = timeutil.now()
    version = (listing.version + 1) if listing else 1
    values = {"fee_kind": fee.kind.value, "amount_fen": fee.amount_fen, "rate_bp": fee.rate_bp,
              "minimum_fen": fee.minimum_fen, "maximum_fen": fee.maximum_fen,
              "committed_days": days, "effective_from": now}
    if listing is None:
        listing = Listing(organisation_id=org.id, service_type_id=service_type.id,
                          version=version, fee_low_fen=fee.low_fen, **values)
        db.session.add(listing)
    else:
        for key, value in values.items():
            setattr(listing, key, value)
        listing.version, listing.fee_low_fen = version, fee.low_fen
    # The directory's copy of the organisation's state (also kept by the ORM events in
    # market.agencies.models when the organisation changes).
    listing.admitted, listing.region, listing.tenant_id = directory_state(
        org.kind, org.status, org.region, org.tenant_id)
    db.session.flush()
    db.session.add(ListingVersion(listing_id=listing.id, version=version,
                                  created_by_id=user.id, **values))
    refresh_profile_figures(org)
    db.session.flush()
    audit.record("agency:listing:publish", org.public_id,
                 {"service_type": service_type.code, "version": version, **{
                     k: v for k, v in values.items() if k != "effective_from"}})
    return listing


def refresh_profile_figures(org: Organisation) -> None:
    """Keep the directory's per-agency "from" fee and fastest days in step with its listings."""
    profile = profile_of(org)
    low, days = db.session.execute(
        sa.select(sa.func.min(Listing.fee_low_fen), sa.func.min(Listing.committed_days))
        .where(Listing.organisation_id == org.id)).one()
    profile.min_fee_fen, profile.min_days = low, days


def counting_qualifications(org_id: int, day: date | None = None) -> list[Qualification]:
    day = day or _today()
    rows = db.session.scalars(sa.select(Qualification).where(
        Qualification.organisation_id == org_id,
        Qualification.status == ReviewStatus.APPROVED.value))
    return [r for r in rows if q_rules.counts_on(r.valid_from, r.valid_until, day)]

"""Agency pages: admission application, qualifications, practitioners, listings, and the view
that serves uploaded files to those allowed to see them."""

from __future__ import annotations

from typing import TypeVar

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from market import storage
from market.accounts import scope
from market.accounts.auth import USER, access, current_org, current_role
from market.accounts.models import Organisation, OrgKind, OrgStatus, Role
from market.agencies import operations as ops
from market.agencies import relations
from market.agencies.forms import ApplicationForm, ListingForm, PractitionerForm, QualificationForm
from market.agencies.models import AdmissionApplication, Listing, Practitioner, Qualification
from market.agencies.scope import register_subject
from market.catalogue.models import ServiceType
from market.db import db
from market.domain import fees as fee_rules
from market.forms import show_error
from market.i18n import N_
from market.timeutil import today_local

bp = Blueprint("agencies", __name__)
T = TypeVar("T", Qualification, Practitioner)


def _org() -> Organisation:
    org = current_org()
    if org is None or org.kind != OrgKind.AGENCY.value:
        abort(403)
    return org


# --- admission ---------------------------------------------------------------------------------


@bp.route("/agency/application", methods=["GET", "POST"])
@access(Role.AGENCY_ADMIN)
def application() -> ResponseReturnValue:
    """The admission application: fill in, see its status and reasons, correct and resubmit."""
    org = _org()
    latest = ops.latest_application(org)
    can_submit = org.status != OrgStatus.ADMITTED.value and (
        latest is None or latest.status == "rejected")
    form = ApplicationForm()
    if not form.is_submitted():
        source = latest or org
        form.legal_name.data = getattr(source, "legal_name", None) or org.name
        form.credit_code.data = org.credit_code
        form.region.data = org.region
        if latest is not None:
            for name in ("legal_representative", "authorised_representative", "contact_phone",
                         "contact_email"):
                getattr(form, name).data = getattr(latest, name)
    if can_submit and form.validate_on_submit():
        try:
            ops.submit_application(org, current_user, ops.ApplicationData(
                legal_name=form.legal_name.data or "", credit_code=form.credit_code.data or "",
                region=form.region.data or "",
                legal_representative=form.legal_representative.data or "",
                authorised_representative=form.authorised_representative.data or "",
                contact_phone=form.contact_phone.data or "",
                contact_email=form.contact_email.data or ""), form.licence.data)
        except (ops.AgencyError, storage.UploadError) as error:
            show_error(form, error)
        else:
            flash(_("入驻申请已提交，审核期限内会有结果。"), "success")
            return redirect(url_for("agencies.application"))
    history = db.session.scalars(sa.select(AdmissionApplication).where(
        AdmissionApplication.organisation_id == org.id)
        .order_by(AdmissionApplication.id.desc())).all()
    status = 400 if form.errors else 200
    return render_template("agencies/application.html", form=form, org=org, latest=latest,
                           history=history, can_submit=can_submit, today=today_local(),
                           relations=relations.involving(org),
                           words=relations.KIND_WORDS), status


# --- qualifications and practitioners -------------------------------------------------------


def _qualification_form() -> QualificationForm:
    form = QualificationForm()
    form.qualification_type.choices = [SelectChoice(t, t) for t in ops.known_qualification_types()]
    return form


def _own(model: type[T], row_id: int, org: Organisation) -> T:
    row = db.session.get(model, row_id)
    if row is None or row.organisation_id != org.id:
        abort(404)
    return row


@bp.route("/agency/qualifications", methods=["GET", "POST"])
@access(OrgKind.AGENCY)
def qualifications() -> ResponseReturnValue:
    org = _org()
    form = _qualification_form()
    if form.validate_on_submit():
        try:
            ops.save_qualification(org, current_user, _qualification_data(form), form.scan.data)
        except (ops.AgencyError, storage.UploadError) as error:
            show_error(form, error)
        else:
            flash(_("资质已提交审核。"), "success")
            return redirect(url_for("agencies.qualifications"))
    return _render_qualifications(org, form, None)


@bp.route("/agency/qualifications/<int:row_id>", methods=["GET", "POST"])
@access(OrgKind.AGENCY)
def change_qualification(row_id: int) -> ResponseReturnValue:
    org = _org()
    old = _own(Qualification, row_id, org)
    form = _qualification_form()
    if not form.is_submitted():
        for name in ("qualification_type", "level", "number", "issuer", "valid_from",
                     "valid_until"):
            getattr(form, name).data = getattr(old, name)
    if form.validate_on_submit():
        try:
            ops.save_qualification(org, current_user, _qualification_data(form), form.scan.data,
                                   replaces=old)
        except (ops.AgencyError, storage.UploadError) as error:
            show_error(form, error)
        else:
            flash(_("修改已提交审核，审核通过前原资质继续有效。"), "success")
            return redirect(url_for("agencies.qualifications"))
    return _render_qualifications(org, form, old)


def _qualification_data(form: QualificationForm) -> ops.QualificationData:
    return ops.QualificationData(
        qualification_type=form.qualification_type.data or "", level=form.level.data or "",
        number=form.number.data or "", issuer=form.issuer.data or "",
        valid_from=form.valid_from.data, valid_until=form.valid_until.data)


def _render_qualifications(org: Organisation, form: QualificationForm,
                           editing: Qualification | None) -> ResponseReturnValue:
    rows = db.session.scalars(sa.select(Qualification).where(
        Qualification.organisation_id == org.id).order_by(Qualification.id.desc())).all()
    return render_template("agencies/qualifications.html", org=org, form=form, rows=rows,
                           editing=editing, today=today_local()), 400 if form.errors else 200


def _practitioner_form() -> PractitionerForm:
    form = PractitionerForm()
    form.certificate_type.choices = [SelectChoice(t, t) for t in ops.known_practitioner_types()]
    return form


def _practitioner_data(form: PractitionerForm) -> ops.PractitionerData:
    return ops.PractitionerData(
        name=form.name.data or "", certificate_type=form.certificate_type.data or "",
        certificate_number=form.certificate_number.data or "",
        valid_until=form.valid_until.data)


@bp.route("/agency/practitioners", methods=["GET", "POST"])
@access(OrgKind.AGENCY)
def practitioners() -> ResponseReturnValue:
    org = _org()
    form = _practitioner_form()
    if form.validate_on_submit():
        try:
            ops.save_practitioner(org, current_user, _practitioner_data(form))
        except ops.AgencyError as error:
            show_error(form, error)
        else:
            flash(_("执业人员已提交审核。"), "success")
            return redirect(url_for("agencies.practitioners"))
    return _render_practitioners(org, form, None)


@bp.route("/agency/practitioners/<int:row_id>", methods=["GET", "POST"])
@access(OrgKind.AGENCY)
def change_practitioner(row_id: int) -> ResponseReturnValue:
    org = _org()
    old = _own(Practitioner, row_id, org)
    form = _practitioner_form()
    if not form.is_submitted():
        for name in ("name", "certificate_type", "certificate_number", "valid_until"):
            getattr(form, name).data = getattr(old, name)
    if form.validate_on_submit():
        try:
            ops.save_practitioner(org, current_user, _practitioner_data(form), replaces=old)
        except ops.AgencyError as error:
            show_error(form, error)
        else:
            flash(_("修改已提交审核，审核通过前原资料继续有效。"), "success")
            return redirect(url_for("agencies.practitioners"))
    return _render_practitioners(org, form, old)


def _render_practitioners(org: Organisation, form: PractitionerForm,
                          editing: Practitioner | None) -> ResponseReturnValue:
    rows = db.session.scalars(sa.select(Practitioner).where(
        Practitioner.organisation_id == org.id).order_by(Practitioner.id.desc())).all()
    return render_template("agencies/practitioners.html", org=org, form=form, rows=rows,
                           editing=editing, today=today_local()), 400 if form.errors else 200


# --- listings ------------------------------------------------------------------------------


@bp.route("/agency/listings")
@access(OrgKind.AGENCY)
def listings() -> ResponseReturnValue:
    org = _org()
    types = db.session.scalars(sa.select(ServiceType).order_by(ServiceType.code)).all()
    mine = {li.service_type_id: li for li in db.session.scalars(
        sa.select(Listing).where(Listing.organisation_id == org.id))}
    return render_template("agencies/listings.html", org=org, types=types, mine=mine)


def _money(form: ListingForm, name: str) -> int | None:
    raw = (getattr(form, name).data or "").strip()
    if not raw:
        return None
    value = fee_rules.parse_yuan(raw)
    if value is None:
        raise ops.AgencyError(name, N_("请输入以元为单位的金额，最多两位小数。"))
    return value


def _fee_from_form(form: ListingForm) -> tuple[fee_rules.FeeSchedule, int | None]:
    kind = fee_rules.FeeKind(form.fee_kind.data)
    rate = None
    if kind == fee_rules.FeeKind.RATE and (form.rate.data or "").strip():
        rate = fee_rules.parse_rate_percent(form.rate.data or "")
        if rate is None:
            raise ops.AgencyError("rate", N_("请输入百分比，最多两位小数，如 0.35。"))
    fee = fee_rules.FeeSchedule(
        kind,
        amount_fen=_money(form, "amount") if kind == fee_rules.FeeKind.FIXED else None,
        rate_bp=rate,
        minimum_fen=_money(form, "minimum") if kind != fee_rules.FeeKind.FIXED else None,
        maximum_fen=_money(form, "maximum") if kind == fee_rules.FeeKind.RANGE else None,
    )
    raw_days = (form.committed_days.data or "").strip()
    if not (raw_days.isascii() and raw_days.lstrip("-").isdigit()):
        raise ops.AgencyError("committed_days", N_("请输入整数。"))
    return fee, int(raw_days)


@bp.route("/agency/listings/<code>", methods=["GET", "POST"])
@access(OrgKind.AGENCY)
def edit_listing(code: str) -> ResponseReturnValue:
    org = _org()
    service = db.session.scalar(sa.select(ServiceType).where(ServiceType.code == code))
    if service is None:
        abort(404)
    listing = db.session.scalar(sa.select(Listing).where(
        Listing.organisation_id == org.id, Listing.service_type_id == service.id))
    form = ListingForm()
    if listing is not None and not form.is_submitted():
        form.fee_kind.data = listing.fee_kind
        form.amount.data = fee_rules.format_yuan(listing.amount_fen) \
            if listing.amount_fen else ""
        form.rate.data = fee_rules.format_rate(listing.rate_bp).rstrip("%") \
            if listing.rate_bp else ""
        form.minimum.data = fee_rules.format_yuan(listing.minimum_fen) \
            if listing.minimum_fen else ""
        form.maximum.data = fee_rules.format_yuan(listing.maximum_fen) \
            if listing.maximum_fen else ""
        form.committed_days.data = str(listing.committed_days)
    if form.validate_on_submit():
        try:
            fee, days = _fee_from_form(form)
            ops.save_listing(org, current_user, service, fee, days)
        except ops.AgencyError as error:
            show_error(form, error)
        else:
            flash(_("服务报价已发布，自现在起生效。"), "success")
            return redirect(url_for("agencies.edit_listing", code=code))
    return render_template("agencies/listing.html", org=org, service=service, form=form,
                           listing=listing), 400 if form.errors else 200


# --- files ---------------------------------------------------------------------------------


def _uploader_subject(row: storage.Upload) -> scope.Subject:
    """An upload as a regulator's or operator's scope reads it: an agency's is on the
    province's register (its licence, certificates…); anyone else's is of their tenant."""
    uploader = db.session.get(Organisation, row.organisation_id) if row.organisation_id else None
    if uploader is None:
        return scope.Subject(None)
    if uploader.kind == OrgKind.AGENCY.value:
        return register_subject(uploader)
    return scope.Subject(uploader.tenant_id)


@bp.route("/uploads/<int:upload_id>")
@access(USER)
def upload(upload_id: int) -> ResponseReturnValue:
    """An uploaded file, for the organisation that uploaded it, regulators and operators."""
    row = db.session.get(storage.Upload, upload_id)
    org = current_org()
    allowed = row is not None and org is not None and (
        row.organisation_id == org.id
        or (current_role() in (Role.REGULATOR.value, Role.OPERATOR.value)
            and scope.covers(org, _uploader_subject(row), scope.Act.READ)))
    if row is None or not allowed:
        abort(404)  # the same answer whether it exists or not
    if not storage.path_for(row.sha256).exists():
        abort(404)
    return storage.send_upload(row, inline=request.args.get("download") != "1")

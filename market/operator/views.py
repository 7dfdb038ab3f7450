"""Operators create regulator accounts."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from market.accounts import operations as ops
from market.accounts.forms import RegulatorForm
from market.accounts.models import Membership, Organisation, OrgKind
from market.auth import access
from market.db import db

bp = Blueprint("operator", __name__, url_prefix="/operator")


@bp.route("/regulators", methods=["GET", "POST"])
@access(OrgKind.OPERATOR)
def regulators() -> str | Response:
    form = RegulatorForm()
    if form.validate_on_submit():
        try:
            ops.create_regulator(
                org_name=form.org_name.data or "",
                name=form.name.data or "",
                email=form.email.data or "",
                password=form.password.data or "",
            )
        except ops.AccountError as error:
            getattr(form, error.field, form.email).errors.append(_(error.message))
        else:
            flash(_("监管账户已创建。"), "success")
            return redirect(url_for("operator.regulators"))
    rows = db.session.execute(
        sa.select(Membership, Organisation)
        .join(Organisation)
        .where(Organisation.kind == OrgKind.REGULATOR.value)
        .order_by(Organisation.name, Membership.id)
    ).all()
    return render_template("operator/regulators.html", form=form, rows=rows)

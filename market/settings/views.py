"""The operator's settings page (运营设置): what each number is today, what is scheduled,
and every change with its effective date."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from market import timeutil
from market.accounts import tenants
from market.accounts.auth import access, require_org
from market.accounts.models import OrgKind
from market.domain.fees import format_yuan, parse_yuan
from market.forms import show_error
from market.settings import operations, service
from market.settings.forms import SettingForm

bp = Blueprint("settings", __name__, url_prefix="/operator/settings")


def _shown(key: str, value: int) -> str:
    return format_yuan(value) if service.BY_KEY[key].unit == "yuan" else str(value)


def _parse(key: str, text: str) -> int | None:
    """The typed value in the setting's unit (yuan with up to two decimals; whole numbers)."""
    setting = service.BY_KEY.get(key)
    if setting is not None and setting.unit == "yuan":
        return parse_yuan(text.replace(",", ""))
    text = text.strip()
    return int(text) if text.isdigit() and len(text) <= 9 else None


@bp.route("", methods=["GET", "POST"])
@access(OrgKind.OPERATOR)
def index() -> ResponseReturnValue:
    # A city's or county's operator sets its own values; the provincial operator sets the
    # province's, which every tenant without its own inherits.
    org = require_org()
    tenant = None if tenants.is_province(org.tenant_id) else org.tenant_id
    form = SettingForm()
    form.key.choices = [(s.key, _(s.label)) for s in service.EDITABLE]
    if not form.is_submitted():
        form.effective_from.data = timeutil.today_local()
    if form.validate_on_submit():
        key = form.key.data or ""
        value = _parse(key, form.value.data or "")
        if key not in service.BY_KEY:
            form.key.errors = [_("没有这项设置。")]
        elif value is None:
            form.value.errors = [_("请填写金额（元，至多两位小数）。")
                                 if service.BY_KEY[key].unit == "yuan" else _("请填写整数。")]
        else:
            try:
                row = operations.change(key, value, form.effective_from.data,
                                        form.reason.data or "", current_user, tenant)
            except operations.SettingError as error:
                show_error(form, error)
            else:
                flash(_("已保存：%(label)s 自 %(date)s 起为 %(value)s。",
                        label=_(service.BY_KEY[key].label),
                        date=row.effective_from.isoformat(), value=_shown(key, value)),
                      "success")
                return redirect(url_for("settings.index"))
    today = timeutil.today_local()
    rows = []
    for s in service.EDITABLE:
        nxt = service.scheduled(s.key, today, tenant)
        rows.append({"setting": s, "now": _shown(s.key, service.effective(s.key, None, tenant)),
                     "default": _shown(s.key, service.default(s.key)),
                     "next": nxt, "next_value": _shown(s.key, nxt.value) if nxt else None})
    changes = [(c, service.BY_KEY.get(c.key), _shown(c.key, c.value) if c.key in
                service.BY_KEY else str(c.value)) for c in service.history(tenant=tenant)]
    return render_template("settings/index.html", form=form, rows=rows, changes=changes,
                           today=today, division=org.tenant), 400 if form.errors else 200

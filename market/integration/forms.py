"""The operator's forms for machine clients (接入系统)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from market.forms import CheckboxesField, Form

PLATFORM = "platform"


class ClientForm(Form):
    name = StringField(_l("名称"), validators=[DataRequired(_l("请填写此项。")), Length(max=100)])
    department = SelectField(_l("所属部门"), validate_choice=False)
    scopes = CheckboxesField(_l("权限范围"), validate_choice=False)

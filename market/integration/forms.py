"""The operator's forms for machine clients (接入系统)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from market.forms import Form

PLATFORM = "platform"


class CheckboxesField(SelectMultipleField):  # type: ignore[misc]  # WTForms ships no types
    """Several choices as checkboxes; the form macro lays them out as a group of choices."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ClientForm(Form):
    name = StringField(_l("名称"), validators=[DataRequired(_l("请填写此项。")), Length(max=100)])
    department = SelectField(_l("所属部门"), validate_choice=False)
    scopes = CheckboxesField(_l("权限范围"), validate_choice=False)

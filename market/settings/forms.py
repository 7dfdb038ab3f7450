"""The operator's settings form: one setting, its new value and the date it takes effect."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from market.forms import Form, NumberField

_REQUIRED = _l("请填写此项。")


class SettingForm(Form):
    key = SelectField(_l("设置项"), choices=[], validate_choice=False,
                      validators=[DataRequired(_REQUIRED)])
    value = NumberField(_l("新数值"), validators=[DataRequired(_REQUIRED), Length(max=20)])
    effective_from = DateField(_l("生效日期"),
                               validators=[DataRequired(_l("请按 年-月-日 填写日期。"))])
    reason = StringField(_l("理由或依据"), validators=[DataRequired(_REQUIRED), Length(max=500)])

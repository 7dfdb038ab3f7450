"""The operator's yearly schedule form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, RadioField, SelectChoice, StringField
from wtforms.validators import DataRequired, Length

from market.forms import DateListField, Form


class YearScheduleForm(Form):
    days_off = DateListField(_l("放假的工作日"), validators=[Length(max=5000)])
    days_on = DateListField(_l("调休上班的周末"), validators=[Length(max=2000)])
    source = StringField(_l("依据"), validators=[DataRequired(_l("请填写此项。")), Length(max=300)])
    confirmed = BooleanField(_l("已与国务院办公厅通知逐日核对"))


class LocalDaysForm(Form):
    days = DateListField(_l("日期"), validators=[Length(max=500)])
    working = RadioField(_l("类别"), choices=[SelectChoice("rest", _l("休息日（地方性节日）")),
                                            SelectChoice("work", _l("调休上班"))],
                         default="rest")
    name = StringField(_l("名称"), validators=[Length(max=100)])
    source = StringField(_l("依据"), validators=[Length(max=300)])

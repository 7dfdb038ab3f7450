"""Billing forms (登记付款)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField
from wtforms.validators import DataRequired, Length

from market.forms import CodeField, Form, NumberField

_REQUIRED = _l("请填写此项。")


class OfflinePaymentForm(Form):
    """The owner's finance user records a treasury or bank transfer."""

    reference = CodeField(_l("付款凭证号"), validators=[DataRequired(_REQUIRED), Length(max=100)])
    paid_on = DateField(_l("付款日期"), validators=[DataRequired(_l("请填写正确的日期。"))])
    amount = NumberField(_l("金额（元）"), validators=[DataRequired(_REQUIRED), Length(max=20)])

"""The agency's subscription form (公告订阅)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectChoice
from wtforms.validators import Length

from market.forms import CheckboxesField, CodeField, Form


class SubscriptionForm(Form):
    # choices are the catalogue's and the owners' regions, filled by the view; an unknown
    # value is refused by the operation, next to its field
    service_codes = CheckboxesField(_l("中介服务事项"), validate_choice=False)
    regions = CheckboxesField(_l("地区（不选即全部地区）"), validate_choice=False)
    frequency = RadioField(_l("通知方式"), default="now", choices=[
        SelectChoice("now", _l("发布即通知")), SelectChoice("daily", _l("每日汇总一次"))])
    sms_phone = CodeField(_l("短信通知手机号（可不填）"), validators=[Length(max=32)],
                          render_kw={"inputmode": "tel", "autocomplete": "tel"})

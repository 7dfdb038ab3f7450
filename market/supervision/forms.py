"""The form answering a supervision order (督办)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from market.forms import Form


class AnswerForm(Form):
    answer = TextAreaField(_l("办理情况（书面答复）"),
                           validators=[DataRequired(_l("请填写此项。")), Length(max=2000)])

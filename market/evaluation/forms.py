"""The rating form and the reply form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from market.forms import Form

_STARS = [SelectChoice(str(i), str(i)) for i in range(1, 6)]
_PICK = _l("请给出 1 到 5 分。")


class RatingForm(Form):
    quality = RadioField(_l("服务质量"), choices=_STARS, validators=[DataRequired(_PICK)])
    timeliness = RadioField(_l("时效"), choices=_STARS, validators=[DataRequired(_PICK)])
    attitude = RadioField(_l("服务态度"), choices=_STARS, validators=[DataRequired(_PICK)])
    fees = RadioField(_l("收费"), choices=_STARS, validators=[DataRequired(_PICK)])
    integrity = RadioField(_l("诚信"), choices=_STARS, validators=[DataRequired(_PICK)])
    comment = TextAreaField(_l("评价内容"), validators=[Optional(), Length(max=2000)])


class ReplyForm(Form):
    reply = TextAreaField(_l("回复"), validators=[DataRequired(_l("请填写回复内容。")),
                                                 Length(max=2000)])

"""The rating form, the reply form, a correction's answer and its follow-up."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from market.forms import Form

_STARS = [SelectChoice(str(i), str(i)) for i in range(1, 6)]
_PICK = _l("请给出 1 到 5 分。")


_LEVELS = [SelectChoice("very_satisfied", _l("非常满意")), SelectChoice("satisfied", _l("满意")),
           SelectChoice("basically_satisfied", _l("基本满意")),
           SelectChoice("dissatisfied", _l("不满意")),
           SelectChoice("very_dissatisfied", _l("非常不满意"))]


class RatingForm(Form):
    level = RadioField(_l("总体满意程度（好差评）"), choices=_LEVELS,
                       validators=[DataRequired(_l("请选择满意程度。"))])
    quality = RadioField(_l("服务质量"), choices=_STARS, validators=[DataRequired(_PICK)])
    timeliness = RadioField(_l("时效"), choices=_STARS, validators=[DataRequired(_PICK)])
    attitude = RadioField(_l("服务态度"), choices=_STARS, validators=[DataRequired(_PICK)])
    fees = RadioField(_l("收费"), choices=_STARS, validators=[DataRequired(_PICK)])
    integrity = RadioField(_l("诚信"), choices=_STARS, validators=[DataRequired(_PICK)])
    comment = TextAreaField(_l("评价内容"), validators=[Optional(), Length(max=2000)])


class ReplyForm(Form):
    reply = TextAreaField(_l("回复"), validators=[DataRequired(_l("请填写回复内容。")),
                                                 Length(max=2000)])


class CorrectionAnswerForm(Form):
    answer = TextAreaField(_l("整改情况"), validators=[DataRequired(_l("请填写此项。")),
                                                      Length(max=2000)])


class FollowUpForm(Form):
    result = RadioField(_l("回访结果"), choices=[
        SelectChoice("satisfied", _l("整改到位，业主满意")),
        SelectChoice("basically_satisfied", _l("基本整改到位")),
        SelectChoice("dissatisfied", _l("整改不到位，业主不满意"))],
        validators=[DataRequired(_l("请选择回访结果。"))])
    note = TextAreaField(_l("回访情况"), validators=[DataRequired(_l("请填写回访情况。")),
                                                    Length(max=2000)])


class HideForm(Form):
    reason = TextAreaField(_l("屏蔽理由（将公开）"),
                           validators=[DataRequired(_l("请写明屏蔽理由（至少 10 个字），理由将公开。")),
                                       Length(max=500)])

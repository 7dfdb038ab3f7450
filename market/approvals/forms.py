"""Forms of a department's staff (部门工作人员) recording a case's events: the fields of the
case-event API (shared/spec/integration.md §3), which :mod:`market.approvals.staff` turns
into the same event."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    StopValidation,
    ValidationError,
)

from market.approvals.ingest import MAX_EXPECTED_DAYS, MAX_JOINT_EXTENSION_DAYS, MAX_REASON_LENGTH
from market.forms import Form

_REQUIRED = _l("请填写此项。")
_DAYS = _l("请填写 1 到 %(n)s 之间的整数。", n=MAX_EXPECTED_DAYS)
_ASCII = _l("只能使用字母、数字和 - _ . / 等符号，不含空格。")


class Code(Regexp):  # type: ignore[misc]  # WTForms ships no types
    """Letters, digits and signs only, checked before the length and then the field's only
    message: a Chinese text too long for a code is refused for what it is, not twice."""

    def __init__(self) -> None:
        super().__init__(r"^[\x21-\x7e]+$", message=_ASCII)

    def __call__(self, form: object, field: object) -> None:
        try:
            super().__call__(form, field)
        except ValidationError as error:
            raise StopValidation(error.args[0]) from None

SPECIAL_REASON_WORDS = {  # 行政许可法第四十五条
    "hearing": _l("听证"), "tendering": _l("招标"), "auction": _l("拍卖"),
    "inspection": _l("检验"), "testing": _l("检测"), "quarantine": _l("检疫"),
    "appraisal": _l("鉴定"), "expert_review": _l("专家评审"),
}


class ApplicationForm(Form):
    """The department received an application (收件): the case opens, not yet accepted."""

    project_code = StringField(_l("投资项目代码"), validators=[
        DataRequired(_REQUIRED), Code(), Length(max=32)])
    matter_id = SelectField(_l("审批事项"), coerce=int, validators=[InputRequired(_REQUIRED)])
    case_no = StringField(_l("办件编号（可不填，自动编号）"), validators=[
        Optional(), Code(), Length(max=64)])
    joint = BooleanField(_l("统一办理、联合办理或集中办理（行政许可法第二十六条）：办理时间不超过四十五个工作日"))


class AcceptForm(Form):
    """受理: on complete materials, by 容缺受理 (the missing report due in so many working
    days) or by 告知承诺."""

    mode = SelectField(_l("受理方式"), choices=[
        SelectChoice("accepted", _l("材料齐全，受理")),
        SelectChoice("tolerated_acceptance", _l("容缺受理（缺件限期补齐）")),
        SelectChoice("pledge_acceptance", _l("告知承诺受理"))],
        validators=[DataRequired(_REQUIRED)])
    expected_days = IntegerField(_l("容缺材料补齐期限（工作日）"), validators=[
        Optional(), NumberRange(1, MAX_EXPECTED_DAYS, _DAYS)])


class SpecialForm(Form):
    """A special procedure (特别程序, 行政许可法第四十五条)."""

    reason = SelectField(_l("特别程序"), choices=[SelectChoice(k, v) for k, v in
                                                 SPECIAL_REASON_WORDS.items()],
                         validators=[DataRequired(_REQUIRED)])
    engagement_id = SelectField(_l("由中介服务承担（可选）"), validators=[Optional()])
    expected_days = IntegerField(_l("所需时间（工作日，不由中介服务承担时填写）"), validators=[
        Optional(), NumberRange(1, MAX_EXPECTED_DAYS, _DAYS)])


class ExtendForm(Form):
    """An extension of the limit (行政许可法第四十二条)."""

    days = IntegerField(_l("延长天数（工作日）"), validators=[
        InputRequired(_REQUIRED),
        NumberRange(1, MAX_JOINT_EXTENSION_DAYS,
                    _l("请填写 1 到 %(n)s 之间的整数。", n=MAX_JOINT_EXTENSION_DAYS))])
    approved_by = StringField(_l("批准的负责人"), validators=[DataRequired(_REQUIRED),
                                                        Length(max=100)])
    extension_reason = StringField(_l("延长理由（告知申请人）"), validators=[
        DataRequired(_REQUIRED), Length(max=MAX_REASON_LENGTH)])


class OutcomeForm(Form):
    """办结: the decision."""

    outcome = SelectField(_l("审批结果"), choices=[
        SelectChoice("approved", _l("准予许可")), SelectChoice("refused", _l("不予许可"))],
        validators=[DataRequired(_REQUIRED)])

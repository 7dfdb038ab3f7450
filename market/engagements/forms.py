"""Forms of engagements (委托) and approval cases (办件)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from market.forms import Form

_REQUIRED = _l("请填写此项。")
_EXTENSION_DAYS = _l("延期天数须在 1 到 120 个工作日之间。")  # MAX_EXTENSION_DAYS


class ContractForm(Form):
    file = FileField(_l("合同文件"))


class MaterialsForm(Form):
    what = TextAreaField(_l("需要业主提供的资料"),
                         validators=[DataRequired(_REQUIRED), Length(max=2000)])


class AnswerForm(Form):
    answer = TextAreaField(_l("答复"), validators=[DataRequired(_REQUIRED), Length(max=2000)])
    file = FileField(_l("附件（可选）"))


class ExtensionForm(Form):
    days = IntegerField(_l("延长工作日"), validators=[
        InputRequired(_EXTENSION_DAYS), NumberRange(1, 120, _EXTENSION_DAYS)])
    reason = StringField(_l("延期理由"), validators=[DataRequired(_REQUIRED), Length(max=500)])


class DeliverableForm(Form):
    file = FileField(_l("服务成果文件"))
    note = StringField(_l("说明（可选）"), validators=[Length(max=1000)])


class ReturnForm(Form):
    reason = TextAreaField(_l("退回理由"), validators=[DataRequired(_REQUIRED), Length(max=2000)])


class CancelForm(Form):
    reason = StringField(_l("取消理由"), validators=[DataRequired(_REQUIRED), Length(max=500)])


class CaseForm(Form):
    project_id = SelectField(_l("项目"), coerce=int, validators=[InputRequired(_REQUIRED)])
    matter_id = SelectField(_l("审批事项"), coerce=int, validators=[InputRequired(_REQUIRED)])

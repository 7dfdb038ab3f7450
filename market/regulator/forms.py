"""Forms: finding an agency and sanctioning it, a credit repair, an owner's breach, a complaint,
handling a complaint, a pasted
checkpoint."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from market.forms import CodeField, Form

_REQUIRED = _l("请填写此项。")
_DATE = _l("请按 年-月-日 填写日期。")


class AgencySearchForm(Form):
    """Step one of a sanction: find the agency by name, credit code or public id (a GET form:
    it changes nothing, so it carries no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(_l("机构名称、统一社会信用代码或机构编号"),
                    validators=[Optional(), Length(max=100)])


class SanctionForm(Form):
    """Step two: the sanction of the chosen agency; step three shows it for confirmation."""

    agency = HiddenField(_l("中介机构"), validators=[DataRequired(_REQUIRED), Length(max=32)])
    kind = SelectField(_l("处罚类型"), choices=[SelectChoice("warning", _l("警告")),
                                               SelectChoice("suspension", _l("暂停")),
                                               SelectChoice("blacklist", _l("黑名单"))])
    reason = TextAreaField(_l("处罚事由"), validators=[DataRequired(_REQUIRED),
                                                       Length(max=1000)])
    legal_basis = StringField(_l("处罚依据"), validators=[DataRequired(_REQUIRED),
                                                          Length(max=500)])
    starts_on = DateField(_l("开始日期"), validators=[DataRequired(_DATE)])
    ends_on = DateField(_l("结束日期"), validators=[DataRequired(_DATE)])
    local = BooleanField(_l("仅在本地执行（不勾选则全省有效）"))


class ComplaintForm(Form):
    subject_kind = RadioField(_l("投诉对象"), choices=[SelectChoice("engagement", _l("委托（服务过程）")),
                                                       SelectChoice("request",
                                                                    _l("采购公告（选取过程）"))],
                              validators=[DataRequired(_l("请选择投诉对象。"))])
    subject_id = CodeField(_l("委托编号或公告编号"),
                             validators=[DataRequired(_REQUIRED), Length(max=32)])
    text = TextAreaField(_l("投诉内容"), validators=[DataRequired(_REQUIRED), Length(max=5000)])
    files = MultipleFileField(_l("证明材料（PDF、JPEG 或 PNG，可多选）"))


class DecideForm(Form):
    outcome = TextAreaField(_l("处理结果（将公开）"), validators=[Optional(), Length(max=5000)])


class CheckpointForm(Form):
    note = TextAreaField(_l("您此前保存的检查点"), validators=[DataRequired(_REQUIRED),
                                                              Length(max=10000)])


class RepairForm(Form):
    """A credit repair (信用修复) of one sanction."""

    repaired_on = DateField(_l("修复生效日期"), validators=[DataRequired(_DATE)])
    decision = StringField(_l("信用修复决定文号"), validators=[DataRequired(_REQUIRED),
                                                              Length(max=200)])
    reason = TextAreaField(_l("修复理由（将公开）"), validators=[DataRequired(_REQUIRED),
                                                              Length(max=1000)])


class BreachForm(Form):
    """An owner's breach (业主失信记录) with its evidence."""

    owner = CodeField(_l("业主编号"), validators=[DataRequired(_REQUIRED), Length(max=32)])
    kind = SelectField(_l("失信行为类型"), choices=[
        SelectChoice("unpaid_fees", _l("逾期未支付服务费")),
        SelectChoice("other", _l("其他违约行为"))])
    engagement = CodeField(_l("所涉委托编号"), validators=[Optional(), Length(max=32)])
    occurred_on = DateField(_l("发生日期"), validators=[DataRequired(_DATE)])
    facts = TextAreaField(_l("失信事实（将公开）"), validators=[DataRequired(_REQUIRED),
                                                              Length(max=2000)])
    evidence = StringField(_l("证据名称和文号（将公开）"),
                           validators=[DataRequired(_REQUIRED), Length(max=1000)])
    evidence_file = FileField(_l("证据材料（PDF、JPEG 或 PNG）"))

"""Forms of the selection area: project, the guided request form, amendment, sign-up, entropy."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    DateTimeLocalField,
    FieldList,
    FileField,
    FormField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from market.forms import CheckboxesField, CodeField, Form, NumberField, SubForm

_REQUIRED = _l("请填写此项。")
PRACTITIONER_ROWS = 3  # rows of the practitioner requirement shown; more appear once filled


class OrderedPeopleField(SelectMultipleField):  # type: ignore[misc]  # WTForms ships no types
    """Several ``<select>`` of the same name, one per position (见证人1, 见证人2, …): the order
    they are submitted in is the order of the draw's plan; empty positions are skipped.  A
    single multiple-select cannot say who comes first."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata([v for v in valuelist if v not in ("", None)])

    def slots(self, minimum: int = 3) -> list[Any]:
        """The chosen values by position, padded with None to at least ``minimum`` positions
        and one empty position more than chosen (at most one per person who may be chosen)."""
        chosen = list(self.data or [])
        count = max(minimum, len(chosen) + 1)
        count = min(count, max(len(chosen), len(self.choices or [])))
        return chosen + [None] * (count - len(chosen))


class PractitionerRow(SubForm):
    """One practitioner requirement: a certificate type of the service's catalogue, a count."""

    kind = SelectField(_l("执业资格类型"), validators=[Optional()], validate_choice=False)
    count = IntegerField(_l("人数"), validators=[
        Optional(), NumberRange(1, 50, _l("人数须为 1–50。"))])


class ProjectForm(Form):
    name = StringField(_l("项目名称"), validators=[DataRequired(_REQUIRED), Length(max=200)])
    code = CodeField(_l("投资项目代码"), validators=[DataRequired(_REQUIRED), Length(max=40)])
    fund_source = RadioField(_l("资金来源"), choices=[
        SelectChoice("fiscal", _l("财政资金")), SelectChoice("social", _l("社会资金"))],
        validators=[DataRequired(_l("请选择资金来源。"))])
    investment = NumberField(_l("总投资（万元）"), validators=[DataRequired(_REQUIRED), Length(max=20)])
    location = StringField(_l("建设地点"), validators=[DataRequired(_REQUIRED), Length(max=200)])


class AssignForm(Form):
    """The administrator's choice of the delegates a project is assigned to (分派)."""

    delegates = CheckboxesField(_l("采购受托人"), coerce=int)


class RequestForm(Form):
    """The guided form, in the order of ui.md: service → scope and requirements → price →
    method and window → avoid list → witnesses."""

    project_id = SelectField(_l("项目"), coerce=int, validators=[InputRequired(_REQUIRED)])
    # the operation refuses a type the catalogue lacks or the owner's tenant does not use,
    # with the reason next to the field
    service_code = SelectField(_l("中介服务事项"), validators=[DataRequired(_REQUIRED)],
                               validate_choice=False)
    title = StringField(_l("公告标题"), validators=[DataRequired(_REQUIRED), Length(max=200)])
    scope = TextAreaField(_l("服务范围和内容"), validators=[DataRequired(_REQUIRED), Length(max=5000)])
    # Choices come from the service catalogue (the types an agency can hold); whether the
    # chosen one belongs to the chosen service is the operation's check, shown next to it.
    qualification_type = SelectField(_l("资质要求（类型）"), validators=[Optional()],
                                     validate_choice=False,
                                     render_kw={"data-catalogue": "qualification_types"})
    qualification_level = SelectField(_l("最低资质等级"), validators=[Optional()])
    practitioners = FieldList(FormField(PractitionerRow), label=_l("执业人员要求"),
                              min_entries=PRACTITIONER_ROWS, max_entries=20)
    price_kind = RadioField(_l("价格方式"), choices=[
        SelectChoice("fixed", _l("固定价格（报名即接受）")),
        SelectChoice("cap", _l("最高限价（可设最低限价）"))],
        validators=[DataRequired(_l("请选择价格方式。"))])
    price = NumberField(_l("服务费（元）"), validators=[Optional(), Length(max=20)])
    cap = NumberField(_l("最高限价（元）"), validators=[Optional(), Length(max=20)])
    floor = NumberField(_l("最低限价（元）"), validators=[Optional(), Length(max=20)])
    service_days = IntegerField(_l("服务时限（工作日）"), validators=[
        InputRequired(_REQUIRED), NumberRange(1, 365, _l("服务时限须为 1–365 个工作日。"))])
    signing_days = IntegerField(_l("合同签订时限（工作日）"), default=5, validators=[
        InputRequired(_REQUIRED), NumberRange(1, 30, _l("合同签订时限须为 1–30 个工作日。"))])
    method = RadioField(_l("选取方式"), choices=[
        SelectChoice("lottery", _l("随机抽取（摇号）")),
        SelectChoice("sealed_bid", _l("密封报价（一次报价，开标后最低价中选）")),
        SelectChoice("credit_merit", _l("信用择优（信用分达到入围线的机构中摇号产生入围候选，业主择优选定）")),
        SelectChoice("direct", _l("直接选取（仅社会资金或低于限额）")),
        SelectChoice("proposals", _l("方案择优（比选：提交方案和报价，评审小组评分）"))],
        default="lottery", validators=[DataRequired(_l("请选择选取方式。"))])
    on_upheld = RadioField(_l("异议成立后"), choices=[
        SelectChoice("redraw", _l("重新组织选取（重新摇号或重新报价）")),
        SelectChoice("next", _l("由公示排名的下一名候补递补"))],
        default="redraw", validators=[DataRequired(_l("请选择异议成立后的处理方式。"))])
    # credit merit (信用择优)
    credit_threshold = IntegerField(_l("入围信用分（不低于）"), validators=[
        Optional(), NumberRange(60, 100, _l("入围信用分须为 60–100 分。"))])
    shortlist_size = IntegerField(_l("入围候选数（家）"), default=3, validators=[
        Optional(), NumberRange(2, 7, _l("入围候选须为 2–7 家。"))])
    # sealed bid (密封报价)
    quote_kind = RadioField(_l("报价方式"), choices=[
        SelectChoice("amount", _l("报价金额（元）")),
        SelectChoice("rate", _l("下浮率（以最高限价为基准价，按百分比报价）"))],
        default="amount", validators=[Optional()])
    low_share = NumberField(_l("异常低价线：低于其他有效报价平均值的百分比（可不设）"),
                            validators=[Optional(), Length(max=8)])
    low_action = RadioField(_l("异常低价的处理"), choices=[
        SelectChoice("explain", _l("中选前须书面说明，逾期未说明的不予中选，依次递补")),
        SelectChoice("set_aside", _l("作无效报价处理"))], validators=[Optional()])
    signup_closes_at = DateTimeLocalField(_l("报名截止时间（北京时间）"), format="%Y-%m-%dT%H:%M",
                                          validators=[Optional()])
    direct_agency = CodeField(_l("直接选取的中介机构编号"), validators=[Optional(), Length(max=32)])
    external_kind = SelectField(_l("外部随机数来源"), choices=[
        SelectChoice("ssq", _l("福彩双色球（周二、四、日 21:15 开奖）")),
        SelectChoice("fc3d", _l("福彩3D（每日 21:15 开奖）")),
        SelectChoice("drand", _l("drand quicknet 公共随机信标（每 3 秒一轮）"))],
        validators=[DataRequired(_REQUIRED)])
    avoid = TextAreaField(_l("回避名单"), validators=[Optional(), Length(max=5000)])
    # proposal selection: the scoring sheet published with the notice
    scoring_criteria = TextAreaField(_l("评审因素和分值（每行一项：名称 | 分值）"),
                                     validators=[Optional(), Length(max=3000)])
    price_points = IntegerField(_l("价格分值（低价优先：评审基准价 ÷ 报价 × 价格分值）"),
                                validators=[Optional(), NumberRange(0, 100, _l("价格分值须为 0–100 分。"))])
    witnesses = OrderedPeopleField(_l("见证人"), coerce=int, validators=[Optional()])


class AmendForm(RequestForm):
    reason = TextAreaField(_l("更正理由"), validators=[DataRequired(_REQUIRED), Length(max=500)])


class CancelForm(Form):
    """The owner withdraws a published request (撤销); the reason is public."""

    reason = TextAreaField(_l("撤销理由（将公开）"), validators=[
        DataRequired(_REQUIRED), Length(max=500, message=_l("撤销理由不超过 500 字。"))])


class WithdrawForm(Form):
    reason = StringField(_l("退出理由"), validators=[DataRequired(_REQUIRED), Length(max=500)])


class WitnessForm(Form):
    value = NumberField(_l("见证随机数（6–32 位数字）"), validators=[
        DataRequired(_l("请输入 6–32 位数字。")), Length(max=64, message=_l("请输入 6–32 位数字。"))],
        render_kw={"inputmode": "numeric"})


class ExternalForm(Form):
    """Empty values are refused by the operation, with the game's own wording."""

    value = NumberField(_l("开奖号码"), validators=[Length(max=200)])
    official_date = DateField(_l("官方开奖日期"), validators=[Optional()])
    signature = CodeField(_l("drand 签名 signature（十六进制）"), validators=[Length(max=400)])


class BidForm(Form):
    """One field: the amount in yuan, or the discount rate in percent when the notice asks for
    a rate (下浮率); the view names it accordingly."""

    amount = NumberField(_l("报价（元）"), validators=[DataRequired(_REQUIRED), Length(max=20)])


class ChooseForm(Form):
    """The owner chooses one agency of the short list (信用择优), with a public reason."""

    agency = RadioField(_l("入围候选"), validators=[DataRequired(_l("请从入围候选中选择一家。"))],
                        validate_choice=False)
    reason = TextAreaField(_l("选定理由（将公开）"), validators=[
        DataRequired(_REQUIRED), Length(max=500, message=_l("选定理由不超过 500 字。"))])


class ExplainForm(Form):
    """An abnormally low quote's written explanation (异常低价说明), public."""

    text = TextAreaField(_l("书面说明（将公开）"), validators=[
        DataRequired(_REQUIRED), Length(max=2000, message=_l("书面说明不超过 2000 字。"))])


class DeclineForm(Form):
    reason = StringField(_l("放弃理由"), validators=[DataRequired(_REQUIRED), Length(max=500)])


class ObjectionForm(Form):
    text = TextAreaField(_l("异议事实和理由"), validators=[DataRequired(_REQUIRED), Length(max=2000)])
    attachment = FileField(_l("附件（PDF、JPEG 或 PNG，可选）"))


class DecideForm(Form):
    decision = RadioField(_l("处理结果"), choices=[
        SelectChoice("uphold", _l("异议成立（本次选取作废并重新组织）")),
        SelectChoice("reject", _l("异议不成立"))], validators=[DataRequired(_l("请选择处理结果。"))])
    reason = TextAreaField(_l("处理理由"), validators=[DataRequired(_REQUIRED), Length(max=500)])


class OpeningKeyForm(Form):
    """Register an opening key: the public half only (the browser fills it from the file it
    just saved; the offline tool prints it)."""

    public_key = TextAreaField(_l("开标密钥的公钥（Base64）"),
                               validators=[DataRequired(_l("请先生成并保存开标密钥文件，或粘贴离线工具显示的公钥。")),
                                           Length(max=400)])


class RetireKeyForm(Form):
    reason = StringField(_l("停用理由"), validators=[DataRequired(_REQUIRED), Length(max=500)])


class PresentKeyForm(Form):
    """Present a key at an opening: the browser fills ``shares`` from the key file, which
    itself is never sent; without script, the offline tool's output is uploaded instead."""

    shares = TextAreaField(_l("份额"), validators=[Optional(), Length(max=2_000_000)])
    shares_file = FileField(_l("离线工具生成的份额文件（.json）"))


class AvoidDecisionForm(Form):
    """A regulator's decision on a long avoid list (回避名单审核)."""

    decision = RadioField(_l("审核意见"), default="approve", choices=[
        SelectChoice("approve", _l("同意")), SelectChoice("refuse", _l("不同意"))])
    note = TextAreaField(_l("理由（不同意时必填）"), validators=[Length(max=2000)])


class ProposalForm(Form):
    """An agency's proposal (比选方案): the file and the quote, sealed on arrival."""

    file = FileField(_l("方案文件（PDF、Word/Excel、ZIP 等）"))
    amount = NumberField(_l("报价（元）"), validators=[DataRequired(_REQUIRED), Length(max=20)])


class ScorerForm(Form):
    """One panel member's points: the points fields are named ``p-<bid id>-<criterion>`` and
    read by the view (their number depends on the proposals and the sheet)."""

    name = StringField(_l("评委姓名"), validators=[DataRequired(_REQUIRED), Length(max=60)])

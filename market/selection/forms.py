"""Forms of the selection area: project, the guided request form, amendment, sign-up, entropy."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateTimeLocalField,
    FileField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from market.forms import CodeField, Form, NumberField

_REQUIRED = _l("请填写此项。")


class ProjectForm(Form):
    name = StringField(_l("项目名称"), validators=[DataRequired(_REQUIRED), Length(max=200)])
    code = CodeField(_l("投资项目代码"), validators=[DataRequired(_REQUIRED), Length(max=40)])
    fund_source = RadioField(_l("资金来源"), choices=[
        SelectChoice("fiscal", _l("财政资金")), SelectChoice("social", _l("社会资金"))],
        validators=[DataRequired(_REQUIRED)])
    investment = NumberField(_l("总投资（万元）"), validators=[DataRequired(_REQUIRED), Length(max=20)])
    location = StringField(_l("建设地点"), validators=[DataRequired(_REQUIRED), Length(max=200)])


class RequestForm(Form):
    """The guided form, in the order of ui.md: service → scope and requirements → price →
    method and window → avoid list → witnesses."""

    project_id = SelectField(_l("项目"), coerce=int, validators=[InputRequired(_REQUIRED)])
    service_code = SelectField(_l("中介服务事项"), validators=[DataRequired(_REQUIRED)])
    title = StringField(_l("公告标题"), validators=[DataRequired(_REQUIRED), Length(max=200)])
    scope = TextAreaField(_l("服务范围和内容"), validators=[DataRequired(_REQUIRED), Length(max=5000)])
    qualification_type = StringField(_l("资质要求（类别）"), validators=[Optional(), Length(max=100)])
    qualification_level = SelectField(_l("最低资质等级"), validators=[Optional()])
    practitioners = TextAreaField(_l("执业人员要求"), validators=[Optional(), Length(max=1000)])
    price_kind = RadioField(_l("价格方式"), choices=[
        SelectChoice("fixed", _l("固定价格（报名即接受）")),
        SelectChoice("cap", _l("最高限价（可设最低限价）"))], validators=[DataRequired(_REQUIRED)])
    price = NumberField(_l("服务费（元）"), validators=[Optional(), Length(max=20)])
    cap = NumberField(_l("最高限价（元）"), validators=[Optional(), Length(max=20)])
    floor = NumberField(_l("最低限价（元）"), validators=[Optional(), Length(max=20)])
    service_days = IntegerField(_l("服务时限（工作日）"), validators=[
        InputRequired(_REQUIRED), NumberRange(1, 365, _l("服务时限须为 1–365 个工作日。"))])
    signing_days = IntegerField(_l("合同签订时限（工作日）"), default=5, validators=[
        InputRequired(_REQUIRED), NumberRange(1, 30, _l("合同签订时限须为 1–30 个工作日。"))])
    method = RadioField(_l("选取方式"), choices=[
        SelectChoice("lottery", _l("随机抽取（摇号）")),
        SelectChoice("sealed_bid", _l("竞价（密封报价，最低价中选）")),
        SelectChoice("credit_merit", _l("信用择优（信用分前一半摇号）")),
        SelectChoice("direct", _l("直接选取（仅社会资金或低于限额）"))],
        default="lottery", validators=[DataRequired(_REQUIRED)])
    signup_closes_at = DateTimeLocalField(_l("报名截止时间（北京时间）"), format="%Y-%m-%dT%H:%M",
                                          validators=[Optional()])
    direct_agency = CodeField(_l("直接选取的中介机构编号"), validators=[Optional(), Length(max=32)])
    external_kind = SelectField(_l("外部随机数来源"), choices=[
        SelectChoice("ssq", _l("福彩双色球（周二、四、日 21:15 开奖）")),
        SelectChoice("fc3d", _l("福彩3D（每日 21:15 开奖）")),
        SelectChoice("drand", _l("drand quicknet 公共随机信标（每 3 秒一轮）"))],
        validators=[DataRequired(_REQUIRED)])
    external_issue = CodeField(_l("开奖期号"), validators=[Optional(), Length(max=40)])
    avoid = TextAreaField(_l("回避名单"), validators=[Optional(), Length(max=5000)])
    witnesses = SelectMultipleField(_l("见证人"), coerce=int, validators=[Optional()])


class AmendForm(RequestForm):
    reason = TextAreaField(_l("更正理由"), validators=[DataRequired(_REQUIRED), Length(max=500)])


class WithdrawForm(Form):
    reason = StringField(_l("退出理由"), validators=[DataRequired(_REQUIRED), Length(max=500)])


class WitnessForm(Form):
    value = NumberField(_l("见证随机数（6–32 位数字）"), validators=[DataRequired(_REQUIRED), Length(max=64)],
                        render_kw={"inputmode": "numeric"})


class ExternalForm(Form):
    value = NumberField(_l("开奖结果 / 随机数"), validators=[DataRequired(_REQUIRED), Length(max=200)])
    signature = CodeField(_l("drand 签名（十六进制）"), validators=[Optional(), Length(max=400)])


class BidForm(Form):
    amount = NumberField(_l("报价（元）"), validators=[DataRequired(_REQUIRED), Length(max=20)])


class DeclineForm(Form):
    reason = StringField(_l("放弃理由"), validators=[DataRequired(_REQUIRED), Length(max=500)])


class ObjectionForm(Form):
    text = TextAreaField(_l("异议事实和理由"), validators=[DataRequired(_REQUIRED), Length(max=2000)])
    attachment = FileField(_l("附件（PDF、JPEG 或 PNG，可选）"))


class DecideForm(Form):
    decision = RadioField(_l("处理结果"), choices=[
        SelectChoice("uphold", _l("异议成立（本次选取作废并重新组织）")),
        SelectChoice("reject", _l("异议不成立"))], validators=[DataRequired(_REQUIRED)])
    reason = TextAreaField(_l("处理理由"), validators=[DataRequired(_REQUIRED), Length(max=500)])

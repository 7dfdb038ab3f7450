"""Agency forms: admission application, its review, qualifications, practitioners, listings."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import DateField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from market.domain.qualifications import QUALIFICATION_LEVELS
from market.forms import CodeField, Form, NumberField

_REQUIRED = _l("请填写此项。")
_DATE = _l("请按 年-月-日 填写日期。")


class ApplicationForm(Form):
    """入驻申请."""

    legal_name = StringField(_l("机构名称（与营业执照一致）"),
                             validators=[DataRequired(_REQUIRED), Length(max=200)])
    credit_code = CodeField(_l("统一社会信用代码"),
                              validators=[DataRequired(_REQUIRED), Length(max=30)])
    region = StringField(_l("所在地区"), validators=[DataRequired(_REQUIRED), Length(max=100)])
    legal_representative = StringField(_l("法定代表人"),
                                       validators=[DataRequired(_REQUIRED), Length(max=100)])
    authorised_representative = StringField(_l("业务授权人"),
                                            validators=[DataRequired(_REQUIRED), Length(max=100)])
    contact_phone = CodeField(_l("联系电话"), validators=[DataRequired(_REQUIRED),
                                                         Length(max=32)],
                              render_kw={"inputmode": "tel"})
    contact_email = CodeField(_l("联系邮箱"), validators=[DataRequired(_REQUIRED),
                                                         Length(max=254)])
    licence = FileField(_l("营业执照（PDF、JPEG 或 PNG，不超过 10 MB）"))


class DecisionForm(Form):
    """A reviewer's decision: admit / reject (with reasons)."""

    reasons = TextAreaField(_l("审核意见"), validators=[Optional(), Length(max=2000)])


class QualificationForm(Form):
    qualification_type = SelectField(_l("资质类型"), validate_choice=False)
    level = SelectField(_l("资质等级"), choices=[SelectChoice(lv, _l(lv)) for lv in QUALIFICATION_LEVELS],
                        validate_choice=False)
    number = CodeField(_l("证书编号"), validators=[DataRequired(_REQUIRED), Length(max=100)])
    issuer = StringField(_l("发证机关"), validators=[DataRequired(_REQUIRED), Length(max=200)])
    valid_from = DateField(_l("有效期起"), validators=[DataRequired(_DATE)])
    valid_until = DateField(_l("有效期至"), validators=[DataRequired(_DATE)])
    scan = FileField(_l("证书扫描件（PDF、JPEG 或 PNG，不超过 10 MB）"))


class PractitionerForm(Form):
    name = StringField(_l("姓名"), validators=[DataRequired(_REQUIRED), Length(max=100)])
    certificate_type = SelectField(_l("执业资格类型"), validate_choice=False)
    certificate_number = CodeField(_l("证书编号"),
                                   validators=[DataRequired(_REQUIRED), Length(max=100)])
    valid_until = DateField(_l("有效期至"), validators=[DataRequired(_DATE)])


class ListingForm(Form):
    """A fee schedule (收费标准) and committed service days (承诺服务时限) for one service."""

    fee_kind = RadioField(_l("收费方式"), choices=[
        SelectChoice("fixed", _l("固定价格")),
        SelectChoice("rate", _l("按投资额费率（设最低收费）")),
        SelectChoice("range", _l("价格区间"))], validators=[DataRequired(_l("请选择收费方式。"))])
    amount = NumberField(_l("固定价格（元）"), validators=[Optional(), Length(max=20)])
    rate = NumberField(_l("费率（%）"), validators=[Optional(), Length(max=10)])
    minimum = NumberField(_l("最低收费（元）"), validators=[Optional(), Length(max=20)])
    maximum = NumberField(_l("最高收费（元）"), validators=[Optional(), Length(max=20)])
    committed_days = NumberField(_l("承诺服务时限（工作日）"),
                                 validators=[DataRequired(_REQUIRED), Length(max=6)])


class ReviewForm(Form):
    reason = TextAreaField(_l("审核意见"), validators=[Optional(), Length(max=2000)])


class RelationForm(Form):
    """A relation with another unit (关联关系)."""

    other_credit_code = CodeField(_l("关联单位的统一社会信用代码"),
                                  validators=[DataRequired(_REQUIRED), Length(max=30)])
    other_name = StringField(_l("关联单位名称（已在平台注册的可不填）"), validators=[Length(max=200)])
    kind = SelectField(_l("关联关系"), validate_choice=False, choices=[
        SelectChoice("legal_representative", _l("法定代表人为同一人")),
        SelectChoice("controlling", _l("存在控股或管理关系")),
        SelectChoice("parent_subsidiary", _l("母子公司或同一母公司的子公司")),
        SelectChoice("shared_contact", _l("联系电话或办公地址相同")),
        SelectChoice("other", _l("其他关联关系"))])
    note = TextAreaField(_l("说明"), validators=[Length(max=500)])


class RecordRelationForm(RelationForm):
    """The operator's or a regulator's record of an agency's relation, with its grounds."""

    agency = CodeField(_l("中介机构编号或统一社会信用代码"),
                       validators=[DataRequired(_REQUIRED), Length(max=30)])
    note = TextAreaField(_l("依据"), validators=[Length(max=500)])

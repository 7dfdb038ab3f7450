"""Catalogue forms (服务目录维护)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from market.forms import CheckboxesField, CodeField, Form

_REQUIRED = _l("请填写此项。")
_INTEGER = _l("请输入整数。")


class ServiceTypeForm(Form):
    code = CodeField(_l("代码"), validators=[DataRequired(_REQUIRED), Length(max=32)])
    name = StringField(_l("名称"), validators=[DataRequired(_REQUIRED), Length(max=100)])
    name_en = StringField(_l("英文名称"), validators=[Optional(), Length(max=100)])
    regulator_id = SelectField(_l("行业监管部门"), coerce=int, validate_choice=False)
    qualification_types = TextAreaField(_l("允许承接的资质类型（每行一个）"),
                                        validators=[Length(max=4000)])
    practitioner_types = TextAreaField(_l("允许承接的执业资格类型（每行一个）"),
                                       validators=[Length(max=4000)])
    deliverables = StringField(_l("服务成果"), validators=[Length(max=500)])
    contract_template = TextAreaField(_l("合同范本"), validators=[Length(max=20000)])


class ApprovalMatterForm(Form):
    code = CodeField(_l("代码"), validators=[DataRequired(_REQUIRED), Length(max=32)])
    name = StringField(_l("名称"), validators=[DataRequired(_REQUIRED), Length(max=200)])
    department_id = SelectField(_l("审批部门"), coerce=int, validate_choice=False)
    statutory_days = IntegerField(_l("法定时限（工作日）"),
                                  validators=[InputRequired(_INTEGER)])
    committed_days = IntegerField(_l("承诺时限（工作日）"),
                                  validators=[InputRequired(_INTEGER)])
    service_type_ids = SelectMultipleField(_l("需要的中介服务事项"), coerce=int,
                                           validate_choice=False)
    in_process_ids = SelectMultipleField(_l("其中审查中才需要的（不是受理条件）"), coerce=int,
                                         validate_choice=False)


class DepartmentForm(Form):
    code = CodeField(_l("部门代码"), validators=[DataRequired(_REQUIRED), Length(max=32)])
    name = StringField(_l("部门名称"), validators=[DataRequired(_REQUIRED), Length(max=200)])
    # the province or a tenant, filled by the view; any other is refused by the operation
    tenant_id = SelectField(_l("所属地区"), coerce=int, validate_choice=False)


class ChoicesForm(Form):
    # choices are the shared catalogue's, filled by the view; an unknown id is refused by the
    # operation, next to its field
    service_type_ids = CheckboxesField(_l("本地选用的中介服务事项"), coerce=int,
                                       validate_choice=False)
    matter_ids = CheckboxesField(_l("本地选用的审批事项"), coerce=int, validate_choice=False)

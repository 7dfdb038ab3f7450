"""Account forms (登录、注册、修改密码、添加成员)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from market.domain.codes import normalise_credit_code, validate_credit_code
from market.forms import CodeField, Form, password_strength

_REQUIRED = _l("请填写此项。")

CREDIT_CODE_ERRORS = {
    "length": _l("统一社会信用代码应为 18 位。"),
    "charset": _l("统一社会信用代码含有不允许的字符（不使用 I、O、Z、S、V）。"),
    "region": _l("统一社会信用代码第 3–8 位应为行政区划代码（6 位数字）。"),
    "check_digit": _l("统一社会信用代码校验位不正确，请核对。"),
}


class LoginForm(Form):
    email = EmailField(_l("邮箱"), validators=[DataRequired(_REQUIRED), Length(max=254)])
    password = PasswordField(_l("密码"), validators=[DataRequired(_REQUIRED), Length(max=200)])


class _RegistrationForm(Form):
    """What every self-registration asks, a unit's or a natural person's: where it registers,
    how to reach the person, and their password."""

    region = StringField(_l("所在地区"), validators=[DataRequired(_REQUIRED), Length(max=100)])
    # Where the owner or agency registers (its city or county on this platform); the view
    # fills the choices, and shows the field only when the platform serves more than one.
    division = SelectField(_l("入驻地区"), choices=[], validate_choice=False)
    email = EmailField(
        _l("邮箱"),
        validators=[DataRequired(_REQUIRED), Email(_l("邮箱格式不正确。")), Length(max=254)],
    )
    phone = CodeField(_l("手机号码"), validators=[Optional(), Length(max=32)],
                      render_kw={"inputmode": "tel"})
    password = PasswordField(_l("密码"), validators=[DataRequired(_REQUIRED), password_strength])
    confirm = PasswordField(
        _l("确认密码"),
        validators=[DataRequired(_REQUIRED), EqualTo("password", _l("两次输入的密码不一致。"))],
    )


class RegisterForm(_RegistrationForm):
    kind = RadioField(
        _l("单位类型"),
        choices=[SelectChoice("owner", _l("项目业主")), SelectChoice("agency", _l("中介机构"))],
        validators=[DataRequired(_l("请选择单位类型。"))],
    )
    org_name = StringField(_l("单位名称"), validators=[DataRequired(_REQUIRED), Length(max=200)])
    credit_code = CodeField(
        _l("统一社会信用代码"), validators=[DataRequired(_REQUIRED), Length(max=30)]
    )
    name = StringField(_l("您的姓名"), validators=[DataRequired(_REQUIRED), Length(max=100)])

    def validate_credit_code(self, field: StringField) -> None:
        check_credit_code_field(field)


class _PersonFields(Form):
    """A natural person's own details (自然人业主): their name and resident identity number
    instead of a unit's name and credit code, with their consent to the processing."""

    name = StringField(_l("姓名"), validators=[DataRequired(_REQUIRED), Length(max=100)])
    id_number = CodeField(_l("居民身份证号码"),
                          validators=[DataRequired(_REQUIRED), Length(max=30)])
    consent = BooleanField(
        _l("我同意平台为核验身份、登记项目业主处理我的姓名和居民身份证号码；公开页面只显示姓氏，不显示身份证号码。"),
        validators=[DataRequired(_l("请阅读并勾选同意。"))])


class PersonRegisterForm(_RegistrationForm, _PersonFields):
    """A natural person registering as an owner (自然人业主): their details, and what every
    registration asks."""


class PersonReapplyForm(_PersonFields):
    """A refused natural person corrects their details and asks to be checked again (a unit's
    :class:`ReapplyForm`), from the same account."""

    region = StringField(_l("所在地区"), validators=[DataRequired(_REQUIRED), Length(max=100)])


def check_credit_code_field(field: StringField) -> None:
    field.data = normalise_credit_code(field.data or "")
    error = validate_credit_code(field.data)
    if error is not None:
        raise ValidationError(CREDIT_CODE_ERRORS.get(error, CREDIT_CODE_ERRORS["check_digit"]))


class PasswordChangeForm(Form):
    current = PasswordField(_l("当前密码"), validators=[DataRequired(_REQUIRED)])
    password = PasswordField(_l("新密码"), validators=[DataRequired(_REQUIRED), password_strength])
    confirm = PasswordField(
        _l("确认新密码"),
        validators=[DataRequired(_REQUIRED), EqualTo("password", _l("两次输入的密码不一致。"))],
    )


class InvitationForm(Form):
    """An organisation admin invites a colleague (owner delegates, agency staff)."""

    email = EmailField(
        _l("邮箱"),
        validators=[DataRequired(_REQUIRED), Email(_l("邮箱格式不正确。")), Length(max=254)],
    )
    role = SelectField(_l("角色"), validators=[DataRequired(_REQUIRED)])


class InvitationAccountForm(Form):
    """Whoever was invited creates their account from the invitation's link."""

    name = StringField(_l("您的姓名"), validators=[DataRequired(_REQUIRED), Length(max=100)])
    phone = StringField(_l("手机号码"), validators=[Optional(), Length(max=32)])
    password = PasswordField(_l("密码"), validators=[DataRequired(_REQUIRED), password_strength])
    confirm = PasswordField(
        _l("确认密码"),
        validators=[DataRequired(_REQUIRED), EqualTo("password", _l("两次输入的密码不一致。"))],
    )


class RegulatorForm(Form):
    """The operator invites a regulator (监管人员); a new regulator organisation is of the
    kind chosen (the provincial operator's are the province's)."""

    regulator_kind = RadioField(_l("监管类别"), default="centre", choices=[
        SelectChoice("centre", _l("服务中心监督（本地全部服务事项）")),
        SelectChoice("industry", _l("行业主管部门（目录中归其监管的服务事项）"))])

    org_name = StringField(
        _l("监管单位"), validators=[DataRequired(_REQUIRED), Length(max=200)]
    )
    email = EmailField(
        _l("邮箱"),
        validators=[DataRequired(_REQUIRED), Email(_l("邮箱格式不正确。")), Length(max=254)],
    )


class DepartmentStaffForm(Form):
    """The operator invites a department's staff member (部门工作人员)."""

    # the view offers its tenant's departments and refuses any other next to the field
    department_id = SelectField(_l("审批部门"), coerce=int, validate_choice=False,
                                validators=[DataRequired(_l("请选择审批部门。"))])
    email = EmailField(
        _l("邮箱"),
        validators=[DataRequired(_REQUIRED), Email(_l("邮箱格式不正确。")), Length(max=254)],
    )


class ReapplyForm(Form):
    """A refused owner corrects its details and asks to be checked again."""

    org_name = StringField(_l("单位名称"), validators=[DataRequired(_REQUIRED), Length(max=200)])
    credit_code = StringField(
        _l("统一社会信用代码"), validators=[DataRequired(_REQUIRED), Length(max=30)]
    )
    region = StringField(_l("所在地区"), validators=[DataRequired(_REQUIRED), Length(max=100)])

    def validate_credit_code(self, field: StringField) -> None:
        check_credit_code_field(field)


class RefuseOwnerForm(Form):
    """The operator refuses an owner's registration, with the reason the applicant sees."""

    reason = TextAreaField(_l("不予激活的理由"),
                           validators=[DataRequired(_REQUIRED), Length(max=500)])


class OperatorInviteForm(Form):
    """The operator invites a person into any organisation (账户管理)."""

    organisation = CodeField(_l("单位编号或统一社会信用代码"),
                             validators=[DataRequired(_REQUIRED), Length(max=32)])
    email = EmailField(
        _l("邮箱"),
        validators=[DataRequired(_REQUIRED), Email(_l("邮箱格式不正确。")), Length(max=254)],
    )
    # Choices: the roles with their names (market.accounts.views.ROLE_NAMES), set by the view.
    role = SelectField(_l("角色"), validators=[DataRequired(_REQUIRED)], validate_choice=False,
                       choices=[])


class DivisionForm(Form):
    """The provincial operator adds a division (行政区划) to the tree."""

    code = StringField(_l("行政区划代码"), validators=[DataRequired(_REQUIRED), Length(max=6)])
    name = StringField(_l("名称"), validators=[DataRequired(_REQUIRED), Length(max=100)])
    tenant = BooleanField(_l("在本平台开通（入驻地区）"), default=True)


class SecondFactorCodeForm(Form):
    """The second step of a login: the code from the authenticator app, or a recovery code."""

    code = StringField(_l("动态口令"), validators=[DataRequired(_REQUIRED), Length(max=20)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "text",
                                  "autocapitalize": "characters", "spellcheck": "false"})


class SecondFactorEnrolForm(Form):
    """Turning the second factor on: the current code confirms the app holds the secret."""

    code = StringField(_l("动态口令"), validators=[DataRequired(_REQUIRED), Length(max=20)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class SecondFactorResetForm(Form):
    """The operator resets a person's second factor, saying why (kept in the audit trail)."""

    reason = TextAreaField(_l("重置理由"), validators=[DataRequired(_REQUIRED), Length(max=500)])

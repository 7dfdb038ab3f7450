"""Shared form pieces: messages in the user's language, next to the field."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import ValidationError
from wtforms.fields import Field


class Form(FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no types
    """Base form: CSRF on (Flask-WTF), nothing else to remember."""


class ActionForm(Form):
    """A form with no fields, for buttons that change state (it still carries the CSRF token)."""


def password_strength(form: Form, field: Field) -> None:
    value = field.data or ""
    if len(value) < 10:
        raise ValidationError(_l("密码至少 10 个字符。"))
    if value.isdigit() or value.isalpha():
        raise ValidationError(_l("密码须同时包含字母和数字或符号。"))

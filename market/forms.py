"""Shared form pieces: messages in the user's language, next to the field."""

from __future__ import annotations

from typing import Any, Protocol

from flask import flash
from flask_babel import gettext as _
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


class Refusal(Protocol):
    """What operations raise when a rule refuses a change: the field to show it next to (or
    None), an ``N_()`` message and, optionally, its ``params``."""

    @property
    def field(self) -> str | None: ...

    @property
    def message(self) -> str: ...


def show_error(form: Any, error: Refusal) -> None:
    """Put an operation's refusal next to its field, in the user's language; with no such
    field, on top of the page.  What the user typed stays in the form."""
    message = _(error.message, **(getattr(error, "params", None) or {}))
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, message]
    else:
        flash(message, "error")

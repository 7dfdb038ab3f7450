"""Shared form pieces: input made consistent at the edge, messages in the user's language, next
to the field.

Every form derives from :class:`Form`, which cleans what was posted before any field reads it
(:mod:`market.domain.text`): line ends to LF, NFC, control and format characters refused next to
the field with what was typed kept; in number, amount, date and code fields
(:data:`ASCII_FIELDS`) full-width digits and signs from a Chinese IME become ASCII and
superscript digits are refused.  Passwords are left exactly as typed.
"""

from __future__ import annotations

from typing import Any, Protocol

import wtforms
from flask import current_app, flash, g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.i18n import translations as flask_wtf_translations
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import (
    DateField,
    DateTimeField,
    DateTimeLocalField,
    DecimalField,
    EmailField,
    FieldList,
    FloatField,
    FormField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.fields import Field
from wtforms.fields.core import UnboundField
from wtforms.meta import DefaultMeta
from wtforms.widgets import CheckboxInput, ListWidget

from market.domain.text import Cleaned, Problem, clean_ascii, clean_text
from market.i18n import N_


class AsciiText:
    """Marks a text field whose value is digits, an amount, a date or a code."""


class NumberField(AsciiText, StringField):  # type: ignore[misc]  # WTForms ships no types
    """An amount, a count or digits typed as text (``30,000.50`` yuan, ``6–32`` digits): the
    phone shows its number keyboard."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["render_kw"] = {"inputmode": "decimal", **(kwargs.get("render_kw") or {})}
        super().__init__(*args, **kwargs)


class CodeField(AsciiText, StringField):  # type: ignore[misc]
    """A code or number made of ASCII letters, digits and signs (a credit code, a project code,
    an agency id, a telephone number)."""


class CheckboxesField(SelectMultipleField):  # type: ignore[misc]  # WTForms ships no types
    """Several choices as checkboxes; the form macro lays them out as a group of choices."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class DateListField(AsciiText, TextAreaField):  # type: ignore[misc]
    """Dates and date ranges, one or more per line."""


# Fields typed as numbers, amounts, dates or codes (full-width forms folded to ASCII).
ASCII_FIELDS: tuple[type, ...] = (AsciiText, IntegerField, DecimalField, FloatField, DateField,
                                  DateTimeField, DateTimeLocalField, EmailField)

# Fields that parse a number: a value that is none says so in WTForms' words, unless the
# field's own validators say what it takes (Form.validate).
NUMBER_FIELDS: tuple[type, ...] = (IntegerField, DecimalField, FloatField)

CONTROL_MESSAGE = N_("第 %(position)s 个字符是看不见的控制字符或格式字符（%(code)s %(name)s），"
                     "常见于从网页或文档复制的文字。请删除它（或重新输入本栏）后再提交。")
SUPERSCRIPT_MESSAGE = N_("第 %(position)s 个字符“%(char)s”是上标或下标数字，请用普通数字填写。")
# A choice the page did not offer: a hand-edited form, or an option gone since the page was
# loaded.  WTForms' own words ("not a valid choice: could not coerce") say nothing to a user.
NOT_OFFERED = _l("所选的一项不在可选范围内（打开页面后可能有变动），请重新选择。")
# A select or radio group sent empty: nothing was chosen, so "fill in this field" or "not one
# of the options" would both read wrong.  A page's select offers no empty option, so this is a
# scripted post or a radio group left unchosen; the words still name what to do.
NOTHING_CHOSEN = N_("请在“%(label)s”中选择一项。")
# The words a required validator or a refused choice gives when the field names none of its
# own: the areas' shared "fill in" (msgid) and WTForms' own (in its catalogue).
_FILL_IN = N_("请填写此项。")
_WTFORMS_REQUIRED = "This field is required."


def problem_refusal(problem: Problem) -> tuple[str, dict[str, object]]:
    """The ``N_()`` message and its parameters for what :mod:`market.domain.text` refused."""
    if problem.kind == "superscript":
        return SUPERSCRIPT_MESSAGE, {"position": problem.position, "char": problem.char}
    return CONTROL_MESSAGE, {"position": problem.position, "code": problem.code,
                             "name": problem.name}


def problem_message(problem: Problem) -> str:
    """The message shown next to a field, in the user's language."""
    message, params = problem_refusal(problem)
    return str(_(message, **params))


def clean_field_value(field: Field, value: str) -> Cleaned:
    multiline = isinstance(field, TextAreaField)
    if isinstance(field, ASCII_FIELDS):
        return clean_ascii(value, multiline=multiline)
    return clean_text(value, multiline=multiline)


def _cleaned(form: Any, formdata: Any) -> Any:
    """``formdata`` with every text value cleaned; what each field's value had wrong is kept in
    ``form.edge_problems`` for :meth:`Form.validate`.

    Fields are found by their full name (a :class:`SubForm`'s carry its prefix).  The values of
    a nested form (``FieldList``/``FormField``) are left to that form, which knows their fields;
    a :class:`SubForm` leaves the keys that are not its own to the form it sits in."""
    fields = {f.name: f for f in getattr(form, "_fields", {}).values()}
    nested = tuple(f.name + "-" for f in fields.values() if isinstance(f, FieldList | FormField))
    own_only = isinstance(form, SubForm)
    out: MultiDict[str, Any] = MultiDict()
    for key, values in formdata.lists():
        field = fields.get(key)
        for value in values:
            if (not isinstance(value, str) or isinstance(field, PasswordField)
                    or (field is None and (own_only or key.startswith(nested)))):
                out.add(key, value)
                continue
            cleaned = (clean_field_value(field, value) if field is not None
                       else clean_text(value, multiline=True))
            out.add(key, cleaned.value)
            if cleaned.problem is not None and field is not None:
                form.edge_problems.setdefault(key, cleaned.problem)
    return out


def choice_messages(unbound: UnboundField) -> dict[str, object]:
    """The words of a select, a radio group or checkboxes for a value it did not offer
    (:data:`NOT_OFFERED`), unless the field gives its own; passed when the field is bound."""
    if not issubclass(unbound.field_class, SelectField):
        return {}
    return {key: NOT_OFFERED for key in ("invalid_value_message", "invalid_choice_message")
            if key not in unbound.kwargs}


def _offered(field: Any) -> bool:
    """Whether one of the field's options is the field's value (what the page will show)."""
    try:
        return any(selected for _value, _label, selected, *_rest in field.iter_choices())
    except (TypeError, ValueError):  # an option a coerce cannot read is nobody's choice
        return False


def _is_number(field: Field) -> bool:
    return isinstance(field, NUMBER_FIELDS)


def _one_choice(field: Field) -> bool:
    """A select or a radio group (checkboxes may be left all unticked)."""
    return isinstance(field, SelectField) and not isinstance(field, SelectMultipleField)


def _sent_empty(field: Field) -> bool:
    return not any(str(value).strip() for value in (field.raw_data or ()))


def nothing_chosen(field: Field) -> None:
    """An empty select or radio group refused in generic words ("fill in this field", "not one
    of the options") says instead that one is to be chosen, naming the field; a field's own
    words ("请选择资金来源。") are kept."""
    generic = {str(_(_FILL_IN)), str(field.gettext(_WTFORMS_REQUIRED)), str(NOT_OFFERED)}
    field.errors = [_(NOTHING_CHOSEN, label=field.label.text) if str(e) in generic else e
                    for e in field.errors]


def shown_when_loaded(field: Any) -> object:
    """What a select or radio group showed when its page was loaded: the value it was given
    (a stored row's, or its default) when offered; otherwise a select's first option (the one
    a browser shows) and a radio group none."""
    sent = field.data
    field.process_data(field.object_data)  # coerced as a value sent would be
    shown = field.data if _offered(field) else None
    if shown is None and not isinstance(field, RadioField):
        for value, *_rest in field.iter_choices():
            field.process_data(value)
            shown = field.data
            break
    field.data = sent
    return shown


class _EdgeChecked:
    """What :class:`Form` and :class:`SubForm` share: the problems found while cleaning, shown
    as the only message of their field; a refused choice the page never offered shown again
    as the page was loaded."""

    _fields: dict[str, Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.edge_problems: dict[str, Problem] = {}
        # the selects and radio groups (by the form's names) whose value was none of their
        # options, shown again as loaded by validate()
        self.not_offered: set[str] = set()
        super().__init__(*args, **kwargs)

    def validate(self, extra_validators: Any = None) -> bool:
        ok = bool(super().validate(extra_validators))  # type: ignore[misc]
        by_name = {f.name: f for f in self._fields.values()}
        for name, problem in self.edge_problems.items():
            field = by_name.get(name)
            if field is not None:
                # The only message for this field: a parse error about the same character
                # ("not a valid integer") would say less.
                field.errors = [problem_message(problem)]
        for key, field in self._fields.items():
            if field.process_errors and _is_number(field):
                # "not a valid integer" beside the field's own words on the range it takes
                # would say the same thing twice, the less useful way first
                own = [e for e in field.errors if e not in field.process_errors]
                field.errors = own or field.errors
            if field.errors and _one_choice(field) and _sent_empty(field):
                nothing_chosen(field)
            # Refused here, the value means nothing more to the view; shown as it came, the
            # browser would show a select's first option, a choice nobody made on a stored row.
            if field.errors and _one_choice(field) and not _offered(field):
                field.data = shown_when_loaded(field)
                self.not_offered.add(key)
        return ok and not self.edge_problems


class Form(_EdgeChecked, FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no types
    """Base form: CSRF on (Flask-WTF) and input cleaned at the edge (see the module)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        csrf = self._fields.get("csrf_token")
        if csrf is not None:
            # A page holds several forms (the header's language switch and logout, the page's
            # own): their hidden tokens rendered without an id, so no two elements share one.
            # Nothing points at it (no label), and the token is read by its name.
            csrf.id = False

    class Meta(FlaskForm.Meta):  # type: ignore[misc]
        def bind_field(self, form: Form, unbound: UnboundField, options: dict[str, Any]) -> Any:
            return super().bind_field(form, unbound, {**choice_messages(unbound), **options})

        def wrap_formdata(self, form: Form, formdata: Any) -> Any:
            wrapped = super().wrap_formdata(form, formdata)
            if wrapped is None or not hasattr(wrapped, "lists"):
                return wrapped
            return _cleaned(form, wrapped)


class SubForm(_EdgeChecked, wtforms.Form):  # type: ignore[misc]
    """A form nested in a :class:`Form` (``FormField``, a row of a ``FieldList``): its values
    are cleaned at the edge like its parent's, and its fields' own messages ("not a valid
    integer") are in the user's language, as Flask-WTF gives them to a :class:`Form`."""

    class Meta(DefaultMeta):  # type: ignore[misc]
        def bind_field(self, form: SubForm, unbound: UnboundField,
                       options: dict[str, Any]) -> Any:
            return super().bind_field(form, unbound, {**choice_messages(unbound), **options})

        def wrap_formdata(self, form: SubForm, formdata: Any) -> Any:
            wrapped = super().wrap_formdata(form, formdata)
            if wrapped is None or not hasattr(wrapped, "lists"):
                return wrapped
            return _cleaned(form, wrapped)

        def get_translations(self, form: SubForm) -> Any:
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            return flask_wtf_translations


class ActionForm(Form):
    """A form with no fields, for buttons that change state (it still carries the CSRF token)."""


class ActionToken:
    """What a template reads of an action form: its CSRF field, already rendered."""

    __slots__ = ("csrf_token",)

    def __init__(self, csrf_token: Markup) -> None:
        self.csrf_token = csrf_token


_ACTION_FIELD = "_action_field"  # on g: (the request's CSRF token, its rendered ActionToken)


def action_form() -> ActionToken:
    """``action_form()`` in templates: the hidden CSRF field of an :class:`ActionForm`, built
    and rendered once per request rather than once per form (the header alone holds three:
    language, care mode, logout).  Flask-WTF signs one token per request and holds it on
    ``g``, and the field renders nothing else that varies, so every form of the request gets
    the bytes it would render itself; should that token change, the field is rendered again."""
    field_name = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    held = g.get(_ACTION_FIELD)
    if held is None or held[0] != g.get(field_name):
        field = ActionForm()._fields.get("csrf_token")  # none while CSRF is switched off
        rendered = ActionToken(field() if field is not None else Markup(""))  # field(): Markup
        held = (g.get(field_name), rendered)
        setattr(g, _ACTION_FIELD, held)
    return held[1]  # type: ignore[no-any-return]


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


def keep_offered(form: Any, shown: dict[str, object]) -> None:
    """A select whose sent value is none of its options (a tampered form, or an option gone
    since the page was loaded) shows again what it showed when the page was loaded:
    ``shown[name]``, the stored value, or its first option on a new row.  Shown as the browser
    shows an unmatched value, its first option, the page would claim a choice nobody made
    (（无） on a mapping: sent again, it would clear it).  Call it after the refusal is put
    next to the field; a value the page offered is kept as the user chose it.

    :meth:`Form.validate` already shows a choice it refused as the page was loaded when the
    form was built with the stored row (or is new); a view whose form is not (an edit form
    built from the post alone) names here what the page showed."""
    refused: set[str] = getattr(form, "not_offered", set())
    for name, value in shown.items():
        field = form[name]
        if name in refused or not _offered(field):
            field.data = value


def errors_on_top(form: Any) -> None:
    """Move a refused inline form's field errors to the top of the page: its row no longer
    shows the form (it moved on since the page was loaded), so nothing else would say why."""
    for field in form:
        for message in field.errors:
            flash(message, "error")
        field.errors = []


def show_error(form: Any, error: Refusal) -> None:
    """Put an operation's refusal next to its field, in the user's language; with no such
    field, on top of the page.  What the user typed stays in the form."""
    message = _(error.message, **(getattr(error, "params", None) or {}))
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, message]
    else:
        flash(message, "error")

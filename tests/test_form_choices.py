"""The shared form's choices (market.forms): a value a select, radio group or checkboxes did not
offer is refused in the user's words, and a select or radio group refused so shows again what
its page showed when loaded: the stored value given to the form, its default, or a select's
first option; a view's own word on what the page showed wins (keep_offered)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, request
from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectChoice, SelectField, SelectMultipleField
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, InputRequired

from market.forms import NOT_OFFERED, CheckboxesField, Form, SubForm, keep_offered
from tests.support.form_classes import product_forms

CHOICES = [SelectChoice(1, "甲"), SelectChoice(2, "乙"), SelectChoice(3, "丙")]


class ChoiceForm(Form):
    number = SelectField("编号", coerce=int, choices=CHOICES)
    kind = RadioField("类别", choices=[SelectChoice("a", "甲"), SelectChoice("b", "乙")],
                      default="b")
    plain = RadioField("方式", choices=[SelectChoice("x", "甲"), SelectChoice("y", "乙")])
    many = CheckboxesField("多项", coerce=int, choices=CHOICES)


def _posted(app: Flask, sent: dict[str, Any], **kwargs: Any) -> ChoiceForm:
    with app.test_request_context(method="POST", data=sent):
        form = ChoiceForm(meta={"csrf": False}, **kwargs)
        assert not form.validate()
        return form


@pytest.mark.parametrize("sent", ["abc", "9"], ids=["not-a-number", "never-offered"])
def test_a_choice_never_offered_reads_the_users_words(app: Flask, sent: str) -> None:
    form = _posted(app, {"number": sent, "kind": "zz", "plain": "zz", "many": [sent]})
    assert {name: [str(e) for e in errors] for name, errors in form.errors.items()} == {
        name: [str(NOT_OFFERED)] for name in ("number", "kind", "plain", "many")}
    # a new form: the select's first option, the radio group's default, or none chosen
    assert (form.number.data, form.kind.data, form.plain.data) == (1, "b", None)
    assert form.not_offered == {"number", "kind", "plain"}


def test_a_stored_rows_choice_is_shown_again(app: Flask) -> None:
    form = _posted(app, {"number": "9", "kind": "zz", "plain": "x"},
                   data={"number": 3, "kind": "a"})
    assert (form.number.data, form.kind.data, form.plain.data) == (3, "a", "x")
    assert "plain" not in form.errors  # a choice offered is kept as made


def test_a_views_word_on_what_was_shown_wins(app: Flask) -> None:
    form = _posted(app, {"number": "abc", "plain": "y", "kind": "a", "many": ["9"]})
    keep_offered(form, {"number": 2, "plain": "x"})
    # refused and shown as the view says; a choice offered is kept as made
    assert (form.number.data, form.plain.data) == (2, "y")


def test_a_prefixed_form_knows_its_fields_by_their_names(app: Flask) -> None:
    with app.test_request_context(method="POST", data={"p-number": "abc", "p-plain": "x"}):
        form = ChoiceForm(meta={"csrf": False}, prefix="p")
        assert not form.validate()
        assert form.not_offered == {"number"} and form.number.data == 1
        keep_offered(form, {"number": 3})
        assert form.number.data == 3


def test_a_choice_sent_empty_asks_to_choose(app: Flask) -> None:
    """A select has no empty option, so an empty value is a scripted post (a radio group left
    unchosen posts nothing): it reads 「请在“…”中选择一项」, not 「请填写此项」 nor 「不在可选
    范围内」; a field's own words are kept, and unticked checkboxes are nobody's concern here."""

    class RequiredForm(Form):
        number = SelectField("编号", coerce=int, choices=CHOICES,
                             validators=[InputRequired(_l("请填写此项。"))])
        kind = RadioField("类别", choices=[SelectChoice("a", "甲")], validators=[DataRequired()])
        own = RadioField("方式", choices=[SelectChoice("x", "甲")],
                         validators=[DataRequired(_l("请选择方式。"))])
        plain = SelectField("来源", choices=[SelectChoice("x", "甲")])
        many = CheckboxesField("多项", coerce=int, choices=CHOICES)

    with app.test_request_context(method="POST", data={"number": "", "kind": " ", "plain": ""}):
        form = RequiredForm(meta={"csrf": False})
        assert not form.validate()
        assert {name: [str(e) for e in errors] for name, errors in form.errors.items()} == {
            "number": ["请在“编号”中选择一项。"], "kind": ["请在“类别”中选择一项。"],
            "own": ["请选择方式。"], "plain": ["请在“来源”中选择一项。"]}


def test_no_select_or_radio_sent_empty_reads_fill_in(app: Flask) -> None:
    """Every product form's select and radio group, sent empty, either takes it (optional) or
    asks to choose: never the words of a box to type in, nor of an option gone."""
    wrong = {"请填写此项。", str(NOT_OFFERED), "该字段是必填字段。"}
    checked = 0
    for cls in product_forms(Form, SubForm):
        for name in dir(cls):
            unbound = getattr(cls, name)
            field_class = getattr(unbound, "field_class", None)
            if (not isinstance(unbound, UnboundField) or not issubclass(field_class, SelectField)
                    or issubclass(field_class, SelectMultipleField)):
                continue
            with app.test_request_context(method="POST", data={name: ""}):
                form = cls(meta={"csrf": False}) if issubclass(cls, Form) else cls(request.form)
                for field in form:  # choices a view fills in when it builds the form
                    if isinstance(field, SelectField) and not field.choices:
                        field.choices = [SelectChoice("1", "甲")]
                form.validate()
                said = {str(e) for e in form[name].errors}
            assert not said & wrong, f"{cls.__name__}.{name}: {said}"
            checked += 1
    assert checked >= 40

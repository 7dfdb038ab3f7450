"""The shared form's choices (market.forms): a value a select, radio group or checkboxes did not
offer is refused in the user's words, and a select or radio group refused so shows again what
its page showed when loaded: the stored value given to the form, its default, or a select's
first option; a view's own word on what the page showed wins (keep_offered)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from wtforms import RadioField, SelectChoice, SelectField

from market.forms import NOT_OFFERED, CheckboxesField, Form, keep_offered

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

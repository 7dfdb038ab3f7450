"""A number field refused (market.forms): a value that is no number, beside the field's own
words on the range it takes, reads those words once, not WTForms' "not a valid integer" first;
a field with no words of its own still says it is no number."""

from __future__ import annotations

from flask import Flask
from wtforms import DecimalField, IntegerField
from wtforms.validators import InputRequired, NumberRange

from market.forms import Form

RANGE = "须为 1 到 30 之间的整数。"


class NumbersForm(Form):
    days = IntegerField("天数", validators=[InputRequired(RANGE), NumberRange(1, 30, RANGE)])
    bare = IntegerField("件数")
    rate = DecimalField("费率", validators=[NumberRange(0, 1, "费率须在 0 到 1 之间。")])


def test_a_number_field_says_its_own_words_once(app: Flask) -> None:
    with app.test_request_context(method="POST", data={"days": "五天", "bare": "几件",
                                                       "rate": "一成"}):
        form = NumbersForm(meta={"csrf": False})
        assert not form.validate()
        errors = {name: [str(e) for e in found] for name, found in form.errors.items()}
    assert errors["days"] == [RANGE]
    assert errors["rate"] == ["费率须在 0 到 1 之间。"]
    assert len(errors["bare"]) == 1 and "整数" in errors["bare"][0]  # WTForms' own, in Chinese

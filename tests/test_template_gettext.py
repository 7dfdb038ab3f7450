"""Templates translate through the request's catalogue, looked up once per request and locale
(market.templating.template_gettext): the same words as Flask-Babel's own gettext, escaped the
same way, and a locale forced for part of a request (an e-mail in the reader's language) shows
at once and ends with it, as does a language chosen in the request."""

from __future__ import annotations

from flask import Flask, render_template_string, session
from flask_babel import force_locale, gettext, refresh

TEMPLATE = "{{ _('登录') }}|{{ gettext('%(place)s中介服务超市', place='<b>云川市</b>') }}"


def test_the_template_words_follow_the_locale_within_one_request(app: Flask) -> None:
    with app.test_request_context("/"):
        chinese = render_template_string(TEMPLATE)
        assert chinese == "登录|&lt;b&gt;云川市&lt;/b&gt;中介服务超市"
        assert chinese.split("|")[0] == gettext("登录")
        with force_locale("en"):
            assert render_template_string(TEMPLATE) == (
                "Log in|&lt;b&gt;云川市&lt;/b&gt; Intermediary Services Marketplace")
        assert render_template_string(TEMPLATE) == chinese
        session["lang"] = "en"  # as the language switch does, then the same request goes on
        refresh()
        assert render_template_string(TEMPLATE).startswith("Log in|")

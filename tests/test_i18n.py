"""Chinese first, English switchable, every string translated, care mode."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask import Flask

from tests.conftest import csrf_token

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None,
            "N_": None}


def _source_messages() -> set[str]:
    found: set[str] = set()
    method_map = [("market/**.py", "python"), ("billing/**.py", "python"), ("templates/**.html", "jinja2")]
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=method_map, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_in_the_code_has_an_english_translation() -> None:
    with (ROOT / "market/translations/en/LC_MESSAGES/messages.po").open("rb") as f:
        catalog = read_po(f)
    translated = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(_source_messages() - set(translated))
    assert missing == [], (
        "untranslated (run `make translations-update`, translate, `make translations`): "
        f"{missing}")


def test_chinese_is_the_default_and_english_is_a_click_away(app: Flask) -> None:
    client = app.test_client()
    assert "登录" in client.get("/login").get_data(as_text=True)
    client.post("/language", data={"lang": "en", "csrf_token": csrf_token(client),
                                   "next": "/login"})
    page = client.get("/login").get_data(as_text=True)
    assert "Log in" in page and 'lang="en"' in page
    client.post("/language", data={"lang": "zh_Hans_CN", "csrf_token": csrf_token(client)})
    assert "登录" in client.get("/login").get_data(as_text=True)


def test_form_errors_are_in_the_users_language(app: Flask) -> None:
    client = app.test_client()
    client.post("/language", data={"lang": "en", "csrf_token": csrf_token(client)})
    page = client.post("/register", data={"csrf_token": csrf_token(client, "/register"),
                                          "credit_code": "123"}).get_data(as_text=True)
    assert "Please fill in this field." in page
    assert "The unified social credit code has 18 characters." in page


def test_care_mode_toggles(app: Flask) -> None:
    client = app.test_client()
    assert 'class="care"' not in client.get("/").get_data(as_text=True)
    client.post("/care-mode", data={"csrf_token": csrf_token(client)})
    assert 'class="care"' in client.get("/").get_data(as_text=True)


def test_language_switch_refuses_foreign_redirects(app: Flask) -> None:
    client = app.test_client()
    response = client.post("/language", data={"lang": "en", "csrf_token": csrf_token(client),
                                              "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"

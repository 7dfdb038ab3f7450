"""Sealed quotes opened by a regulator's key in a real browser: the regulator makes its key in
the browser and saves the file, the owner publishes, agencies quote, the public sees only
commitments and the keys they are sealed to; at the opening a wrong file and a file that is not
a key change nothing, and the right file opens every quote.  Also at phone width."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from market import timeutil
from market.db import db
from market.selection.models import Award, OpeningKey, OpeningPresentation, SelectionRequest
from tests.conftest import csrf_token
from tests.selection.conftest import START, City
from tests.support import opening as keys
from tests.support.live import open_page
from tests.support.selection_flow import SEALED
from tests.support.selection_flow import project as _project
from tests.support.selection_flow import request_form as _request_form

pytestmark = pytest.mark.browser

OPENS = START + timedelta(days=7)


def _no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width


def test_regulator_key_in_the_browser_quotes_and_opening(browser: Any, city: City, site: str,
                                                         tmp_path: Path) -> None:
    app = city.app
    with timeutil.frozen(START - timedelta(days=1)):
        # The regulator replaces its key: generated here, saved, checked, registered.
        reg = open_page(browser, site, city.regulator.email)
        reg.goto(f"{site}/regulator/keys")
        with reg.expect_download() as download:
            reg.click("[data-test=generate-key]")
        key_path = tmp_path / download.value.suggested_filename
        download.value.save_as(key_path)
        reg.wait_for_selector("[data-test=generate-result]:not([hidden])")
        key_file = json.loads(key_path.read_text())
        assert key_file["format"] == "market-opening-key/v1" and "private_key_pkcs8" in key_file
        other_path = tmp_path / "not-this-one.json"  # a key that is not the one just made
        other_path.write_text(json.dumps(keys.new_key_file()))
        reg.set_input_files("[data-test=saved-key-file]", str(other_path))
        reg.wait_for_selector("[data-test=saved-result]:has-text('不是刚刚生成的密钥文件')")
        reg.set_input_files("[data-test=saved-key-file]", str(key_path))
        reg.wait_for_selector("[data-test=saved-result]:has-text('文件核对无误')")
        reg.click("[data-test=register-key]")
        reg.wait_for_selector(f"text=开标密钥 {key_file['key_id']} 已登记")
        assert reg.inner_text("[data-test=my-key]").find(key_file["key_id"]) >= 0
        reg.set_input_files("[data-test=check-key-file]", str(key_path))
        reg.wait_for_selector("[data-test=check-result]:has-text('文件核对无误')")
    with app.app_context():
        stored = db.session.scalar(sa.select(OpeningKey).where(
            OpeningKey.key_id == key_file["key_id"]))
        assert stored is not None and stored.retired_at is None
        # the platform holds the public half only: the private key is nowhere in its database
        assert key_file["private_key_pkcs8"] not in json.dumps(
            [str(v) for v in db.session.execute(sa.text("SELECT * FROM opening_key")).all()])

    with timeutil.frozen(START):
        # The owner publishes a draft in the browser.
        c = city.client(city.owner)
        data = _request_form(city, _project(city), **SEALED)
        data["csrf_token"] = csrf_token(c, "/owner/requests/new")
        rid = c.post("/owner/requests/new", data=data).headers["Location"].rsplit("/", 1)[1]
        owner = open_page(browser, site, city.owner.email)
        owner.goto(f"{site}/owner/requests/{rid}")
        owner.click("[data-test=publish]")
        owner.wait_for_selector("text=公告已发布")
        owner.wait_for_selector("[data-test=owner-sealing]")
        # Agencies quote in the browser.
        for agency, amount in zip(city.agencies[:3], ("33000", "29500.5", "36000"), strict=True):
            page = open_page(browser, site, agency.email)
            page.click("[data-test=nav-open-requests]")
            page.fill(f"[data-test=request-{rid}] input[name=amount]", amount)
            page.click(f"[data-test=bid-{rid}]")
            page.wait_for_selector("text=报价已密封提交")
            page.context.close()
        anyone = open_page(browser, site, None)
        anyone.goto(f"{site}/notices/{rid}")
        sealed_note = anyone.inner_text("[data-test=sealing-keys]")
        assert "1 把开标密钥" in sealed_note
        assert key_file["key_id"] in anyone.content()
        assert "29,500.50" not in anyone.content() and "29500.5" not in anyone.content()
        reg.goto(f"{site}/regulator/openings/{rid}")
        reg.wait_for_selector("[data-test=not-yet]")

    with timeutil.frozen(OPENS + timedelta(minutes=3)):
        anyone.goto(f"{site}/notices/{rid}")
        anyone.wait_for_selector("[data-test=awaiting-opening]")
        reg.goto(f"{site}/regulator/openings")
        reg.click(f"[data-test=open-{rid}]")
        # A key file that is not this request's key: refused in the browser, nothing sent.
        reg.set_input_files("[data-test=key-file]", str(other_path))
        reg.click("[data-test=present-key]")
        reg.wait_for_selector("[data-test=key-error]:has-text('不是本次需要您出示的密钥')")
        # A file that is not a key at all.
        junk = tmp_path / "notes.json"
        junk.write_text('{"hello": "world"}')
        reg.set_input_files("[data-test=key-file]", str(junk))
        reg.click("[data-test=present-key]")
        reg.wait_for_selector("[data-test=key-error]:has-text('这不是开标密钥文件')")
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count(OpeningPresentation.id))) == 0
            assert db.session.scalar(sa.select(SelectionRequest.opened_at).where(
                SelectionRequest.public_id == rid)) is None
        # At phone width the opening page fits.
        reg.set_viewport_size({"width": 390, "height": 844})
        _no_sideways_scroll(reg)
        reg.screenshot(path=str(tmp_path / "opening-390.png"), full_page=True)
        # The right file: the browser opens its shares and the quotes open.
        reg.set_input_files("[data-test=key-file]", str(key_path))
        reg.click("[data-test=present-key]")
        reg.wait_for_selector("text=已开标：全部报价已公开")
        assert f"/notices/{rid}" in reg.url
        assert len(reg.query_selector_all("[data-test=bid-row]")) == 3
        assert reg.inner_text("[data-test=awarded]") == city.agency_id(city.agencies[1])
        anyone.goto(f"{site}/notices/{rid}")
        assert "29,500.50" in anyone.content()
        owner.goto(f"{site}/owner/requests/{rid}")
        assert owner.query_selector("[data-test=owner-sealing]") is None  # opened
        owner.set_viewport_size({"width": 390, "height": 844})
        reg.goto(f"{site}/regulator/keys")
        _no_sideways_scroll(reg)
    with app.app_context():
        award = db.session.scalar(sa.select(Award))
        assert award.fee_fen == 2_950_050
        assert [p.shares for p in db.session.scalars(sa.select(OpeningPresentation))] == [None]

"""The project timeline over the whole span (全流程), on the page and in a browser at desk and
phone widths; and the home page's claim about intermediary time, in the law's terms."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from market import timeutil
from market.db import db
from market.engagements.models import Engagement
from market.selection.models import Award, SelectionRequest
from tests.engagements.conftest import PDF, engagement_id_of, make_award, make_matter, post
from tests.integration.helpers import bearer, make_client, token
from tests.selection.conftest import START, City
from tests.support.live import open_page, serve

# Colours of the whole-span strip (market.approvals.timeline.BUCKET_COLOURS), in the order
# the scenario below passes through them.
STRIP = ["#8e24aa", "#8d6e63", "#ffa726", "#bdbdbd", "#00838f", "#2e7d32"]


def day(n: int, minutes: int = 0) -> datetime:  # START is Mon 2 March 2026, 09:00 local
    return START + timedelta(days=n, minutes=minutes)


def _project(city: City) -> tuple[str, str]:
    """An 环评 request published Mon 2 March; the award confirmed Mon 9; the contract signed
    Tue 10; the report delivered Fri 13 and accepted Mon 16; the application made that day
    and accepted (受理) Tue 17; decided Mon 23 March.  Returns (public id, 投资项目代码)."""
    app = city.app
    matter_id = make_matter(app)
    award_id = make_award(app, city, at=day(7))
    with app.app_context():
        award = db.session.get(Award, award_id)
        db.session.get(SelectionRequest, award.request_id).published_at = day(0)
        db.session.commit()
        from market.catalogue.models import ApprovalMatter

        matter = db.session.get(ApprovalMatter, matter_id)
        matter_code, dept = matter.code, matter.department.code
    with timeutil.frozen(day(7)):
        eid = engagement_id_of(app, award_id)
    with app.app_context():
        eng = db.session.scalar(sa.select(Engagement).where(Engagement.public_id == eid))
        public_id, code = eng.project.public_id, eng.project.code
    owner, agency = city.client(city.owner), city.client(city.agencies[0])
    client = make_client(app, "cases:write", department_code=dept, name="审批系统")
    api = app.test_client()
    n = iter(range(1, 50))

    def event(type_: str, **fields: Any) -> None:
        body = {"event_id": f"e-{next(n)}", "case_no": "YC-T-1", "project_code": code,
                "matter_code": matter_code, "type": type_, "at": timeutil.now().isoformat(),
                **fields}
        r = api.post("/api/v1/case-events", json=body,
                     headers=bearer(token(api, client, "cases:write")))
        assert r.status_code in (200, 201), r.get_json()

    page = f"/engagements/{eid}"
    with timeutil.frozen(day(8)):
        assert post(owner, page + "/contract", file=(PDF, "合同.pdf")).status_code == 302
        assert post(agency, page + "/contract/confirm").status_code == 302
    with timeutil.frozen(day(11)):
        assert post(agency, page + "/deliverables", file=(PDF, "报告.pdf")).status_code == 302
    with timeutil.frozen(day(14)):
        assert post(owner, page + "/accept").status_code == 302
        event("applied")
    with timeutil.frozen(day(15)):
        event("accepted")
    with timeutil.frozen(day(21)):
        event("decided", outcome="approved")
    return public_id, code


# (Mar 2, Mar 23]: 3-6, 9 selection; 10 signing; 11-13 service; 16 the owner's review
# (outranks the examination of the application made that day); 17 examination before 受理;
# 18-20, 23 approval.
EXPECTED = {"selection": 5, "owner_signing": 1, "service_ok": 3, "owner_review": 1,
            "acceptance": 1, "approval": 4}


def test_the_timeline_page_shows_the_buckets_and_the_rule(city: City) -> None:
    public_id, _code = _project(city)
    with timeutil.frozen(day(28)):
        html = city.client(city.owner).get(f"/projects/{public_id}/timeline").get_data(
            as_text=True)
    assert "从 2026-03-02 到 2026-03-23，共 15 个工作日" in html
    shown = {m[1]: int(m[2]) for m in re.finditer(
        r'data-test="split-(\w+)"><td>.*?</td><td>(\d+)</td>', html)}
    assert len(shown) == 12 and {k: v for k, v in shown.items() if v} == EXPECTED
    assert "第四十五条" in html and "每个工作日怎样归类" in html


def test_the_home_page_says_what_the_product_does(app: Flask) -> None:
    html = app.test_client().get("/").get_data(as_text=True)
    assert "每一个中介服务日都计入审批时限" not in html  # the old claim, contrary to Art. 45
    assert "审批时限从受理之日起算" in html and "第四十五条" in html
    assert "不计算在审批期限内" in html


@pytest.mark.parametrize("width", [1280, 390])
def test_the_timeline_in_a_browser(browser: Any, city: City, width: int) -> None:
    public_id, _code = _project(city)
    with timeutil.frozen(day(28)), serve(city.app) as site:
        page = open_page(browser, site, city.owner.email)
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{site}/projects/{public_id}/timeline")
        shown = {key: int(page.inner_text(f"[data-test=split-{key}] td:nth-child(2)"))
                 for key in ("approval", "special_intermediary", "special_other",
                             "service_late", "service_ok", "owner_review", "owner_correction",
                             "owner_materials", "owner_signing", "acceptance", "selection",
                             "waiting")}
        assert {k: v for k, v in shown.items() if v} == EXPECTED
        assert sum(shown.values()) == 15
        # the first lane is the whole span, one bar per run of one bucket, in time order
        strip = page.evaluate("""() => {
          const lane = [...document.querySelectorAll('svg.timeline a')]
            .find(a => a.getAttribute('href') === '#split');
          let node = lane.nextElementSibling, out = [];
          while (node && node.tagName === 'rect') {
            out.push([node.getAttribute('fill'), parseFloat(node.getAttribute('x')),
                      parseFloat(node.getAttribute('width'))]);
            node = node.nextElementSibling;
          }
          return out;
        }""")
        assert [c for c, _x, _w in strip] == STRIP
        for (_c, x, w), (_c2, x2, _w2) in zip(strip, strip[1:], strict=False):
            assert abs(x + w - x2) < 0.2  # no gap between runs
        page.click("[data-test=priority-rule] summary")
        assert page.locator("[data-test=priority-rule] ol li").count() == 12
        assert page.is_visible("text=第四十五条")
        # text stays readable and the page itself does not scroll sideways
        sizes = page.evaluate("""() => [...document.querySelectorAll("svg.timeline text")]
          .map(t => t.getBoundingClientRect().height)""")
        assert sizes and min(sizes) >= 11, sizes
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.context.close()

"""The engagement tests' city and helpers: an engagement taken through the real pages to a
returned deliverable and on to acceptance."""

from __future__ import annotations

from datetime import timedelta

from market import timeutil
from tests.conftest import csrf_token
from tests.engagements.conftest import PDF, engagement_id_of, make_award, post
from tests.selection.conftest import START, City, city, site  # noqa: F401  # the fixtures

DAY = timedelta(days=1)
GOOD = {"quality": "4", "timeliness": "3", "attitude": "5", "fees": "4", "integrity": "4",
        "level": "basically_satisfied", "comment": "初稿缺少噪声预测，退回后修改及时。"}


def returned_once(c: City, agency_index: int = 0) -> str:
    """An engagement through the real pages: contract, version 1 delivered and returned, version
    2 delivered (pending); its public id."""
    app = c.app
    award_id = make_award(app, c, agency_index, service_days=10)
    owner, agency = c.client(c.owner), c.client(c.agencies[agency_index])
    with timeutil.frozen(START):
        eid = engagement_id_of(app, award_id)
        page = f"/engagements/{eid}"
        assert post(owner, page + "/contract", file=(PDF, "合同.pdf")).status_code == 302
        assert post(agency, page + "/contract/confirm").status_code == 302
    with timeutil.frozen(START + 2 * DAY):
        assert post(agency, page + "/deliverables", file=(PDF, "报告v1.pdf")).status_code == 302
    with timeutil.frozen(START + 3 * DAY):
        assert post(owner, page + "/return", {"reason": "缺少噪声预测"}).status_code == 302
    with timeutil.frozen(START + 4 * DAY):
        assert post(agency, page + "/deliverables",
                    file=(PDF + b"v2", "报告v2.pdf")).status_code == 302
    return eid


def accept(c: City, eid: str) -> None:
    with timeutil.frozen(START + 5 * DAY):
        assert post(c.client(c.owner), f"/engagements/{eid}/accept").status_code == 302


def submit(c: City, who, path: str, data: dict, form_path: str | None = None):
    c = c.client(who)
    return c.post(path, data={**data, "csrf_token": csrf_token(c, form_path or path)})

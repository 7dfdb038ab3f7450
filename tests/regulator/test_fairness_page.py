"""The fairness page itself (not only :func:`market.domain.fairness.analyse`): the demo city's
fair draws are not flagged; a deliberately skewed synthetic set of drawn lotteries is."""

from __future__ import annotations

import random
import re
from datetime import timedelta

from flask import Flask

from market import timeutil
from market.db import db
from market.selection.models import Lottery
from tests.conftest import create_person, login
from tests.selection.conftest import START, City
from tests.support.selection_flow import publish as _publish

FLAGGED = 'data-test="flagged"'


def _rows(page: str) -> dict[str, str]:
    """Each agency's row of the service tables, by its public id."""
    return {m.group(1): m.group(0) for m in re.finditer(
        r"<tr><td>[^<]*<code>(AG-\d+)</code>.*?</tr>", page, re.S)}


def test_the_demo_citys_fair_draws_are_not_flagged_on_the_page(demo_city_app: Flask) -> None:
    app = demo_city_app
    regulator = create_person(app, "regulator")
    client = app.test_client()
    assert login(client, regulator.email).status_code == 302
    r = client.get("/regulator/fairness")
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    sections = re.findall(r'data-test="service-([A-Z]+)"', page)
    assert sections, "the demo city has drawn lotteries"
    assert len(_rows(page)) >= 3
    assert FLAGGED not in page and 'data-test="not-flagged"' in page
    csv = client.get("/regulator/fairness?format=csv").get_data(as_text=True)
    assert csv.count("\n") > 3 and all(line.endswith(",0") for line in csv.strip().splitlines()[1:])


def _skewed_lotteries(city: City, favoured: int, draws: int = 120) -> None:
    """Drawn lotteries written directly, one winner from a pool of three to five of the city's
    agencies; ``city.agencies[favoured]`` wins every draw it enters."""
    req = _publish(city)
    ids = [city.agency_id(a) for a in city.agencies]
    rng = random.Random(8)
    with city.app.app_context():
        for n in range(draws):
            pool = rng.sample(ids, rng.randint(3, 5))
            winner = ids[favoured] if ids[favoured] in pool else rng.choice(pool)
            at = START + timedelta(days=n)
            db.session.add(Lottery(
                lottery_id=f"LT-SYN-{n:04d}", request_id=req.id, announcement={},
                secret_sealed=b"", state="drawn", pool=pool, external_at=at, created_at=at,
                drawn_at=at, record={"pool": pool, "winners": [winner]}))
        db.session.commit()


def test_a_skewed_synthetic_set_is_flagged_on_the_page(city: City) -> None:
    with timeutil.frozen(START):
        _skewed_lotteries(city, favoured=2)
    favoured = city.agency_id(city.agencies[2])
    client = city.client(city.regulator)
    page = client.get("/regulator/fairness").get_data(as_text=True)
    service = re.search(r'<section class="card" data-test="service-EIA">.*?</section>', page,
                        re.S)
    assert service is not None
    assert FLAGGED in service.group(0).split("</h2>")[0]  # the service type as a whole
    rows = _rows(page)
    assert FLAGGED in rows[favoured]  # and the favoured agency
    assert 'data-test="not-flagged"' not in page
    csv = client.get("/regulator/fairness?format=csv").get_data(as_text=True)
    flagged = [line.split(",")[1] for line in csv.strip().splitlines()[1:]
               if line.endswith(",1")]
    assert favoured in flagged

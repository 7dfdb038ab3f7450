"""Every form of every role, submitted once with valid data on the demo city.

Each route that takes a POST (from ``app.url_map``: a new form fails
``test_every_post_route_has_a_recipe`` until it gets a recipe in tests/support/form_recipes.py)
is submitted by a person holding a role the route matrix allows, with the values a user would type, on a real object
of the demo city in the state the form needs — built first, through the app's own forms,
where the demo has none.  Every answer on the way must be below 500; the form's own answer must
be its success (a redirect, or the page with the result) and the change must be in the
database.  The database is put back to the demo city before each route.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.proof.fuzz_support import DemoCity, demo_city, post_routes
from tests.proof.report import record
from tests.support.form_recipes import RECIPES, Ctx

SECTION = "every_form"


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoCity]:
    yield demo_city(Path(tmp_path_factory.mktemp("every-form")))


def _routes() -> list[tuple[str, str]]:
    from market import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return post_routes(app)


ROUTES = _routes()


def test_every_post_route_has_a_recipe() -> None:
    endpoints = {e for e, _ in ROUTES}
    assert endpoints - set(RECIPES) == set(), "add a recipe for each new form"
    assert set(RECIPES) - endpoints == set(), "recipes for routes that no longer exist"


@pytest.mark.parametrize(("endpoint", "rule"), ROUTES, ids=[e for e, _ in ROUTES])
def test_every_form_accepts_valid_data(city: DemoCity, endpoint: str, rule: str) -> None:
    if endpoint not in RECIPES:
        pytest.fail(f"{endpoint} ({rule}) has no recipe: add one to tests/support/form_recipes.py")
    city.reset()
    ctx = Ctx(city, endpoint)
    RECIPES[endpoint](ctx)
    assert ctx.submitted is not None, "the recipe never submitted the form under test"
    record(SECTION, endpoint, f"valid data → {ctx.submitted}, the change stored")

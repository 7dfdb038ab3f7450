"""The console's clocks section is the real overdue lists and intermediary-share charts
(``/regulator/overdue``), not a placeholder."""

from __future__ import annotations

from tests.selection.conftest import City


def test_the_console_links_to_the_overdue_lists_and_charts(city: City) -> None:
    client = city.client(city.regulator)
    console = client.get("/regulator").get_data(as_text=True)
    assert 'href="/regulator/overdue" data-test="console-clocks"' in console
    r = client.get("/regulator/clocks")
    assert r.status_code == 302 and r.headers["Location"].endswith("/regulator/overdue")
    page = client.get("/regulator/clocks", follow_redirects=True)
    assert page.status_code == 200 and "逾期清单与中介用时占比" in page.get_data(as_text=True)
    assert city.client(city.owner).get("/regulator/clocks").status_code == 403

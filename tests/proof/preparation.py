"""Data for the scale-out and fault tests, made with the app's own operations in-process.

Real processes cannot share :func:`market.timeutil.frozen`, so everything time decides is
prepared in the past (from ``START``, a date before today) and the real clock takes it from there:
a request whose close is past waits for ``flask selection tick``; a frozen lottery whose
witnesses are in and whose external value is public and typed once (by the operator) waits for
its second entry (by the regulator) over HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from market import timeutil
from market.db import db
from market.selection.models import Lottery, SelectionRequest
from tests.conftest import csrf_token
from tests.selection.conftest import START, City, enter_external
from tests.support.selection_flow import project as _project
from tests.support.selection_flow import request_form as _request_form
from tests.support.selection_flow import sign_up as _sign_up

WITNESS_AFTER = timedelta(days=7, minutes=1)
EXTERNAL_VALUE = "3 7 12 19 25 31 + 9"


@dataclass
class Prepared:
    to_draw: list[str] = field(default_factory=list)  # frozen lottery ids, witnesses in
    official: dict[str, str] = field(default_factory=dict)  # lottery id -> its issue's date
    to_close: list[str] = field(default_factory=list)  # request public ids, close past
    open_now: list[str] = field(default_factory=list)  # request public ids open for sign-up


def publish(city: City, project_id: int, closes: datetime) -> str:
    c = city.client(city.owner)
    local = closes.astimezone(timeutil.SHANGHAI).strftime("%Y-%m-%dT%H:%M")
    data = _request_form(city, project_id, signup_closes_at=local)
    data["csrf_token"] = csrf_token(c, "/owner/requests/new")
    r = c.post("/owner/requests/new", data=data)
    assert r.status_code == 302, r.get_data(as_text=True)[-3000:]
    public_id = r.headers["Location"].rsplit("/", 1)[1]
    r = c.post(f"/owner/requests/{public_id}/publish",
               data={"csrf_token": csrf_token(c, f"/owner/requests/{public_id}")})
    assert r.status_code == 302
    return public_id


def lottery_of(city: City, public_id: str) -> str:
    with city.app.app_context():
        return db.session.scalar(sa.select(Lottery.lottery_id).join(
            SelectionRequest, SelectionRequest.id == Lottery.request_id).where(
            SelectionRequest.public_id == public_id).order_by(Lottery.id.desc()).limit(1))


def recent_start() -> datetime:
    """Eleven days ago: a lottery announced then, closing 7 days later, has its external value
    (the first official draw a little over two days after the close) public at any hour the
    test runs — ten days made it tonight's draw when the test ran in a Beijing evening — and
    it is not yet "abandoned" (lottery-v1.md §7 rule 7) while the test runs."""
    return datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=11)


def prepare(city: City, *, to_draw: int, to_close: int = 0, open_now: int = 0,
            start: datetime = START) -> Prepared:
    """``to_draw`` lotteries ready for their external value, ``to_close`` requests past their
    close (never closed), ``open_now`` requests open for sign-up until a fortnight from now;
    announced at ``start``, closing 7 days later, witnesses in a minute after the close."""
    out = Prepared()
    signers = city.agencies[:3]
    with timeutil.frozen(start):
        project_id = _project(city)
        for _ in range(to_draw):
            public_id = publish(city, project_id, start + timedelta(days=7))
            for a in signers:
                assert _sign_up(city, a, public_id) == 302
            out.to_draw.append(lottery_of(city, public_id))
        for _ in range(to_close):
            public_id = publish(city, project_id, start + timedelta(days=7))
            for a in signers:
                assert _sign_up(city, a, public_id) == 302
            out.to_close.append(public_id)
    with timeutil.frozen(start + WITNESS_AFTER):
        for lottery_id in out.to_draw:
            for who, value in ((city.delegate, "20260302"), (city.regulator, "88112233")):
                c = city.client(who)
                r = c.post(f"/lotteries/{lottery_id}/witness", data={
                    "value": value, "csrf_token": csrf_token(c, f"/lotteries/{lottery_id}")})
                assert r.status_code == 302, r.get_data(as_text=True)[-2000:]
    # The external value's first entry (the operator's); the tests post the second one, which
    # logs it and draws.
    with city.app.app_context():
        times = dict(db.session.execute(sa.select(Lottery.lottery_id, Lottery.external_at).where(
            Lottery.lottery_id.in_(out.to_draw))).all())
    for lottery_id in out.to_draw:
        at = times[lottery_id]
        out.official[lottery_id] = at.astimezone(timeutil.SHANGHAI).date().isoformat()
        with timeutil.frozen(at + timedelta(minutes=1)):
            enter_external(city, lottery_id, at, EXTERNAL_VALUE, people=(city.operator,))
    if open_now:
        now = datetime.now(UTC)
        with timeutil.frozen(now):
            for _ in range(open_now):
                out.open_now.append(publish(city, project_id, now + timedelta(days=14)))
    with city.app.app_context():
        states = db.session.scalars(sa.select(Lottery.state).where(
            Lottery.lottery_id.in_(out.to_draw))).all()
        assert states == ["frozen"] * to_draw
    return out

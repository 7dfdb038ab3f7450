"""A separate process that appends to the shared log (the concurrency test's worker)."""

from __future__ import annotations

import os


def append_many(database_url: str, instance: str, signing_key: str, worker: int,
                lotteries: int, agencies: int) -> int:
    os.environ["MARKET_INSTANCE_PATH"] = instance
    from market import create_app
    from market.db import db
    from market.transparency import log
    from tests.support.lotteries import announcement

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x",
                      "SIGNING_KEY": signing_key, "TESTING": True})
    appended = 0
    with app.app_context():
        for n in range(lotteries):
            lottery_id = f"W{worker}-L{n}"
            # One transaction per event, as sign-ups arrive one request at a time.
            log.append([("announce", lottery_id, {"announcement": announcement(lottery_id)})])
            db.session.commit()
            appended += 1
            for a in range(agencies):
                log.append([("register", lottery_id,
                             {"agency_id": f"AG-{worker}{a:04d}", "by": f"U-{worker}"})])
                db.session.commit()
                appended += 1
        db.session.remove()
        db.engine.dispose()
    return appended

"""What plain GETs write: the crawl of tests/test_page_words.py (every page of the demo city, as
every role, in both languages), counting the SQL statements each page kind sends and the
INSERT, UPDATE and DELETE among them, with where in ``market/`` each write came from.

    .venv/bin/python bench/page_writes.py                   # the clock as it is
    .venv/bin/python bench/page_writes.py --ahead-hours 26  # a day on: deadlines have passed

Logging in and switching the language (POSTs) are not counted.  A write found here is either
a transition that time alone decides, done by the first page that looks (``procedures.advance``:
a close, a void, a confirmation timeout, with its log leaves and audit in that page's one
transaction), which the next page finds done, or a page that writes when it should not.  The
demo city is the tests' snapshot (tests/support/demo_data.py), loaded once per run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import traceback
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask import has_request_context, request  # noqa: E402

from market import timeutil  # noqa: E402
from market.db import db  # noqa: E402
from tests.support import demo_data  # noqa: E402
from tests.support.crawl import crawl  # noqa: E402
from tests.support.demo_roles import ROLES, add_agency_staff, role_client, role_starts  # noqa: E402

WRITES = ("INSERT", "UPDATE", "DELETE")


def _where() -> str:
    """The innermost three frames in ``market/`` (a flush shows the query that set it off)."""
    frames = [f for f in traceback.extract_stack()
              if "/market/" in f.filename and not f.filename.endswith("/market/db.py")]
    return " < ".join(f"{f.filename.split('/market/')[1]}:{f.name}" for f in frames[-3:][::-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ahead-hours", type=float, default=0.0,
                        help="run the app's clock this far ahead of the real one")
    args = parser.parse_args()
    app = demo_data.demo_app(Path(tempfile.mkdtemp(prefix="page-writes-")))
    add_agency_staff(app)
    with app.app_context():
        engine = db.engine
    pages: Counter[str] = Counter()
    statements: Counter[str] = Counter()
    writes: dict[str, Counter[str]] = defaultdict(Counter)

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not has_request_context() or request.method != "GET":
            return
        endpoint = request.endpoint or "?"
        statements[endpoint] += 1
        words = statement.split(None, 3)
        if words and words[0].upper() in WRITES:
            table = words[1] if words[0].upper() == "UPDATE" else words[2]
            writes[endpoint][f"{words[0].upper()} {table} @ {_where()}"] += 1

    sa.event.listen(engine, "before_cursor_execute", note)
    if args.ahead_hours:
        timeutil.set_offset(timedelta(hours=args.ahead_hours))
    for lang in ("zh", "en"):
        for role, email in ROLES.items():
            client = role_client(app, email, lang)
            for page in crawl(app, client, role_starts(app, role, email)):
                pages[page.endpoint] += 1
    total = sum(sum(w.values()) for w in writes.values())
    print(f"{sum(pages.values())} pages of {len(pages)} kinds, "
          f"{sum(statements.values())} statements, {total} writes")
    for endpoint, found in sorted(writes.items(), key=lambda kv: -sum(kv[1].values())):
        print(f"{sum(found.values()):5d} writes in {pages[endpoint]:4d} pages  {endpoint}")
        for what, n in found.most_common():
            print(f"      {n:4d}  {what}")
    with app.app_context():
        db.engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

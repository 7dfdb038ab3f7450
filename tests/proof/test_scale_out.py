"""Scale out: two app instances — two gunicorn processes with two workers each, on
different ports, as if on two hosts — share one PostgreSQL and one upload folder, and both run
``flask selection tick`` and ``flask clocks tick`` at the same time, while HTTP load is spread
across them.  Every draw happens once, the log has no gap and no fork, every reminder goes out
once (counted by a real SMTP server on loopback).

Select with ``pytest -m scale_out``; docs/reliability.md "Scale-out and faults" reports it.
"""

from __future__ import annotations

import base64
import email
import itertools
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask

from lottery.merkle import verify_consistency
from lottery.note import verify_checkpoint
from market import timeutil
from market.accounts.audit import AuditEvent
from market.db import db
from market.engagements.models import Engagement
from market.notify.models import Notification
from market.selection.models import Award, Lottery, SelectionRequest
from market.transparency import log
from market.transparency.audit import run_audit
from market.transparency.models import LogLeaf
from tests.conftest import PASSWORD, make_app
from tests.engagements.conftest import engagement_id_of, make_award
from tests.proof.preparation import EXTERNAL_VALUE, prepare
from tests.proof.report import record
from tests.selection.conftest import START, build_city
from tests.support import instances as inst

pytestmark = [pytest.mark.postgres, pytest.mark.scale_out]

SECTION = "scale_out"

DRAWS = 6  # lotteries waiting for their external value
CLOSES = 3  # requests past their close that only the ticks advance
# Confirmed awards of START: their signing clocks (counted from the award) are long overdue,
# two reminders each (owner and agency).  OVERDUE have their engagement made in-process, LATE
# get theirs from whichever tick comes first.
OVERDUE = 2
LATE = 2
POSTS_PER_DRAW = 4  # the same external value, twice on each instance, all at once
TICK_ROUNDS = 2


def _body(raw: bytes) -> str:
    message = email.message_from_bytes(raw)
    part = next(message.walk()) if not message.is_multipart() else message.get_payload(0)
    return str(part.get_payload(decode=True))


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = inst.free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def _checkpoint(base: str) -> tuple[int, bytes, str]:
    note = requests.get(base + "/transparency/checkpoint", timeout=30).text
    return *_parse(note, base), note


def _parse(note: str, base: str) -> tuple[int, bytes]:
    key = requests.get(base + "/transparency/key", timeout=30).json()
    cp = verify_checkpoint(note, base64.b64decode(key["public_key"]), key["key_name"])
    return cp.size, cp.root


def _consistent(base: str, old: tuple[int, bytes], new: tuple[int, bytes]) -> bool:
    (a, ra), (b, rb) = sorted([old, new])
    proof = requests.get(f"{base}/transparency/consistency", params={"from": a, "to": b},
                         timeout=30).json()
    return verify_consistency(a, b, ra, rb, [base64.b64decode(h) for h in proof["proof"]])


@pytest.fixture
def app(pg_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app in-process on the shared database, to prepare data and check the result."""
    application = make_app(tmp_path / "prep", pg_url, UPLOAD_DIR=str(tmp_path / "shared-uploads"),
                           **inst.app_config())
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def test_two_instances_one_database(app: Flask, pg_url: str, tmp_path: Path,
                                    smtp: tuple[Inbox, int]) -> None:
    inbox, smtp_port = smtp
    uploads = Path(app.config["UPLOAD_DIR"])
    city = build_city(app, agencies=4)
    with timeutil.frozen(START):  # overdue signing clocks: the reminders to send
        awards = [make_award(app, city, i % 3, signing_days=5) for i in range(OVERDUE)]
        for a in awards:
            engagement_id_of(app, a)
    prepared = prepare(city, to_draw=DRAWS, to_close=CLOSES)
    with timeutil.frozen(START):  # confirmed awards without an engagement: the ticks make them
        awards += [make_award(app, city, i % 3) for i in range(LATE)]

    envs = [inst.environment(pg_url, uploads, tmp_path / f"instance-{n}", MARKET_ENV="production",
                             MARKET_SMTP_HOST="127.0.0.1", MARKET_SMTP_PORT=str(smtp_port))
            for n in "ab"]
    servers = [inst.Instance(f"instance-{n}", env, tmp_path / f"gunicorn-{n}.log")
               for n, env in zip("ab", envs, strict=True)]
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda s: s.start(), servers))
    try:
        bases = [s.url for s in servers]
        record(SECTION, "app instances (gunicorn processes on one database)", len(servers))
        record(SECTION, "workers per instance", [len(s.workers()) for s in servers])
        with app.app_context():
            record(SECTION, "PostgreSQL server", db.session.scalar(sa.text("SHOW server_version")))
        record(SECTION, "lotteries waiting for their external value", len(prepared.to_draw))
        record(SECTION, "requests past close and T, never closed", len(prepared.to_close))
        record(SECTION, "confirmed awards with overdue signing clocks", len(awards))
        before = _checkpoint(bases[0])
        # One login on instance a; the session cookie works on b too (same secret key).  The
        # regulator posts the external value's second entry (the operator typed the first).
        regulator = inst.login(bases[0], city.regulator.email, PASSWORD)
        token = inst.token(regulator, f"{bases[1]}/lotteries/{prepared.to_draw[0]}")
        cookies = regulator.cookies.get_dict()

        statuses: list[int] = []
        elsewhere: list[tuple[str, str]] = []  # a post redirected anywhere but its lottery page
        seen: list[tuple[int, bytes]] = []
        stop = threading.Event()

        def post_external(job: tuple[int, str]) -> int:
            n, lottery_id = job
            s = inst.session()
            s.cookies.update(cookies)
            r = s.post(f"{bases[n % 2]}/lotteries/{lottery_id}/external",
                       data={"value": EXTERNAL_VALUE, "csrf_token": token,
                             "official_date": prepared.official[lottery_id]},
                       allow_redirects=False, timeout=120)
            # A draw, or "already drawn", ends on the lottery's page; a redirect elsewhere (the
            # login or second-factor step) is no draw and must not be counted as one.
            if r.status_code == 302 and urlsplit(r.headers["Location"]).path != (
                    f"/lotteries/{lottery_id}"):
                elsewhere.append((lottery_id, r.headers["Location"]))
            return r.status_code

        def browse() -> None:  # readers on both instances, and checkpoints as they change
            for n in itertools.count():
                if stop.is_set() or n > 400:
                    return
                base = bases[n % 2]
                lottery_id = prepared.to_draw[n % DRAWS]
                statuses.append(requests.get(f"{base}/lotteries/{lottery_id}", timeout=60)
                                .status_code)
                size, root, _ = _checkpoint(base)
                seen.append((size, root))

        readers = [threading.Thread(target=browse) for _ in range(2)]
        for t in readers:
            t.start()
        ticks: list[Any] = []
        jobs = [(n, lottery_id) for lottery_id in prepared.to_draw for n in range(POSTS_PER_DRAW)]
        with ThreadPoolExecutor(8) as pool:
            posted = pool.map(post_external, jobs)
            for _ in range(TICK_ROUNDS):
                procs = [inst.start_flask(env, group, "tick") for env in envs
                         for group in ("selection", "clocks")]
                for p in procs:
                    out, err = p.communicate(timeout=120)
                    ticks.append((p.args, p.returncode, out, err))
            post_statuses = list(posted)
        stop.set()
        for t in readers:
            t.join(timeout=120)
        record(SECTION, "external-value posts (at once, alternating instances)",
               len(post_statuses))
        record(SECTION, "external-value posts by status", dict(sorted(Counter(post_statuses).items())))
        record(SECTION, "reader page requests during the run", len(statuses))
        record(SECTION, "5xx answers (posts and readers)",
               sum(1 for s in statuses + post_statuses if s >= 500))
        record(SECTION, "tick commands run (selection + clocks, both instances)", len(ticks))
        record(SECTION, "tick commands that failed", sum(1 for _, rc, _, _ in ticks if rc != 0))
        assert all(rc == 0 for _, rc, _, _ in ticks), [t for t in ticks if t[1] != 0]
        assert all(s < 500 for s in statuses + post_statuses), Counter(statuses + post_statuses)
        assert elsewhere == [], elsewhere
        # Exactly one of the posts per lottery drew; the others were told it was already in.
        assert Counter(post_statuses)[302] >= DRAWS, Counter(post_statuses)

        # The checkpoints both instances served — before, during and after — are one log:
        # each is consistent with the final one, by the other instance's consistency proofs.
        after = [_checkpoint(b) for b in bases]
        record(SECTION, "final checkpoint the same on both instances", after[0][:2] == after[1][:2])
        assert after[0][:2] == after[1][:2], "the two instances disagree"
        final = after[0][:2]
        record(SECTION, "log size before / after", f"{before[0]} / {final[0]}")
        assert final[0] > before[0] and seen
        checkpoints = sorted({(before[0], before[1]), *seen})
        consistent = [_consistent(bases[n % 2], cp, final) for n, cp in enumerate(checkpoints)]
        record(SECTION, "distinct checkpoints seen, consistent with the final one "
               "(other instance's proof)", f"{sum(consistent)} of {len(checkpoints)}")
        for cp, ok in zip(checkpoints, consistent, strict=True):
            assert ok, cp[0]
    finally:
        for s in servers:
            s.stop()

    with app.app_context():
        # Every draw happened exactly once.
        draws = {lottery_id: Counter(e["type"] for e in log.events_of(lottery_id))
                 for lottery_id in prepared.to_draw}
        record(SECTION, "lotteries drawn exactly once (one draw event, three entropy events)",
               f"{sum(1 for t in draws.values() if t['draw'] == 1 and t['entropy'] == 3)} "
               f"of {len(draws)}")
        record(SECTION, "draw events over all these lotteries", sum(t["draw"] for t in draws.values()))
        for lottery_id in prepared.to_draw:
            lottery = db.session.scalar(sa.select(Lottery).where(Lottery.lottery_id == lottery_id))
            types = draws[lottery_id]
            assert lottery.state == "drawn" and types["draw"] == 1, (lottery_id, types)
            assert types["entropy"] == 3, types
            assert db.session.scalar(sa.select(sa.func.count(Award.id)).where(
                Award.lottery_id == lottery_id)) == 1
        # Each request whose close and T are both past: its pool can no longer be frozen before
        # T, so it is voided once (no freeze) and re-announced once, whichever tick came first.
        reannounced = 0
        for public_id in prepared.to_close:
            req = db.session.scalar(sa.select(SelectionRequest).where(
                SelectionRequest.public_id == public_id))
            lotteries = db.session.scalars(sa.select(Lottery).where(
                Lottery.request_id == req.id).order_by(Lottery.id)).all()
            reannounced += [lt.state for lt in lotteries] == ["void", "open"]
            record(SECTION, "past requests voided once and re-announced once",
                   f"{reannounced} of {len(prepared.to_close)}")
            assert [lt.state for lt in lotteries] == ["void", "open"], public_id
            first = Counter(e["type"] for e in log.events_of(lotteries[0].lottery_id))
            assert first["freeze"] == 0 and first["void"] == 1, first
            assert Counter(e["type"] for e in log.events_of(lotteries[1].lottery_id))[
                "announce"] == 1
            assert req.state == "open" and req.version == 2
        # One engagement per confirmed award, whichever tick made it.
        counts = Counter(db.session.scalars(sa.select(Engagement.award_id)))
        record(SECTION, "engagements per confirmed award",
               dict(sorted(Counter(counts.get(a, 0) for a in awards).items())))
        assert sorted(counts) == sorted(awards) and set(counts.values()) == {1}
        # A contract not signed by its limit counts as a decline: each overdue engagement is
        # passed on exactly once, whichever tick came first (and so gets no reminder).
        notes = db.session.scalars(sa.select(Notification)).all()
        lapsed = Counter(db.session.scalars(sa.select(AuditEvent.target).where(
            AuditEvent.tag == "system:engagement:unsigned")))
        record(SECTION, "engagements passed on for a missed signing limit / times each",
               f"{len(lapsed)} / {sorted(set(lapsed.values()))}")
        record(SECTION, "notifications / distinct notification keys",
               f"{len(notes)} / {len({n.key for n in notes})}")
        record(SECTION, "notifications not e-mailed or with an e-mail error",
               sum(1 for n in notes if n.emailed_at is None or n.email_error is not None))
        assert len(lapsed) == OVERDUE + LATE and set(lapsed.values()) == {1}, lapsed
        assert not [n for n in notes if n.clock_id is not None]
        assert len({n.key for n in notes}) == len(notes)
        assert all(n.emailed_at is not None and n.email_error is None for n in notes)
        # The log: no gaps, no forks, every signature and hash replayed.
        audit = run_audit()
        record(SECTION, "run_audit() after the run", "ok" if audit.ok else audit.problem)
        assert audit.ok
        seqs = db.session.scalars(sa.select(LogLeaf.seq).order_by(LogLeaf.seq)).all()
        record(SECTION, "log seq contiguous from 0", seqs == list(range(log.size())))
        assert seqs == list(range(log.size()))
    # A message per notification that has someone to mail: regulators' organisation-wide
    # notices are in-app only; the supervision steps addressed to a regulator by name are
    # e-mailed too.
    with_mail = [n for n in notes
                 if n.organisation_id != city.regulator.org_id or n.user_id is not None]
    assert len(inbox.messages) == len(with_mail), (len(inbox.messages), len(with_mail))
    # the same message twice is the same recipients, subject and body (two awards of requests
    # with one title differ in the body's link)
    sent = Counter((tuple(sorted(m.rcpt_tos)), email.message_from_bytes(m.original_content)["Subject"],
                    _body(m.original_content)) for m in inbox.messages)
    record(SECTION, "e-mails at the SMTP server / notifications with someone to mail",
           f"{len(inbox.messages)} / {len(with_mail)}")
    record(SECTION, "e-mails received more than once", sum(1 for v in sent.values() if v > 1))
    assert set(sent.values()) == {1}, sent

"""A stand-in approval system (tests/support/approval_system.py, its own gunicorn process on
loopback, written from shared/spec/integration.md alone) drives a whole project through the
market's API, served by a real HTTP server: it gets a token and registers its webhook
endpoint; the case is applied for, refused acceptance while its report is missing, accepted
once the intermediary has delivered, suspended for a 检测 performed by a second engagement,
resumed when that deliverable is accepted, extended and decided; it pulls the project back
with its timeline's buckets, checked to the working day,
and receives the market's webhooks, each checked by its own signature code (a forged one is
refused)."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa
from flask import Flask

from market import timeutil
from market.catalogue.models import ApprovalMatter, ServiceType
from market.db import db
from market.domain.webhooks import decode_secret, signature
from market.engagements.models import Engagement
from market.integration import delivery
from market.integration.models import WebhookDelivery, WebhookMessage
from market.selection.models import Award, SelectionRequest
from tests.engagements.conftest import PDF, City, engagement_id_of, make_award, make_matter, post
from tests.integration.helpers import make_client, send, started
from tests.selection.conftest import (
    START,
    city,  # noqa: F401  # the fixture
)
from tests.support.live import serve
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ["engagement.started", "engagement.paused", "engagement.resumed",
          "deliverable.submitted", "deliverable.accepted", "deliverable.returned",
          "engagement.overdue", "case.clock.warning", "case.clock.overdue"]


@contextmanager
def standin(state: Path, port: int | None = None,
            tolerance: float | None = None) -> Iterator[str]:
    port = port or free_port()
    env = {**os.environ, "STANDIN_STATE": str(state)}
    if tolerance is not None:
        env["STANDIN_TOLERANCE_SECONDS"] = str(tolerance)
    log = (state / "gunicorn.log").open("ab")
    process = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--threads", "4", "tests.support.approval_system:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(url + "/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline and process.poll() is None, \
                (state / "gunicorn.log").read_text()[-2000:]
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()


def _now() -> str:
    time.sleep(0.01)
    return timeutil.now().isoformat()


def test_a_standin_approval_system_drives_a_project(
        city: City, tmp_path: Path) -> None:  # noqa: F811  # the fixture
    """The project runs over a month of the market's clock (frozen, moved on day by day; the
    stand-in renews its expired tokens), and the timeline it pulls back puts each working day
    of the span in the bucket the published priority rule gives, counted here by hand."""
    app = city.app
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    matter_id = make_matter(app)  # the 环评 report is an acceptance condition
    with app.app_context():
        db.session.add(ServiceType(code="TEST", name="检测", name_en="Testing",
                                   qualification_types=[], practitioner_types=[]))
        db.session.commit()
        matter = db.session.get(ApprovalMatter, matter_id)
        matter_code, dept_code = matter.code, matter.department.code

    def day(n: int, minutes: int = 0) -> datetime:  # START is Mon 2 March 2026, 09:00 local
        return START + timedelta(days=n, minutes=minutes)

    def published(award_id: int, at: datetime) -> None:
        with app.app_context():
            award = db.session.get(Award, award_id)
            db.session.get(SelectionRequest, award.request_id).published_at = at
            db.session.commit()

    report_award = make_award(app, city, at=day(7))
    published(report_award, day(0))  # the 环评 request, published Mon 2 March
    with timeutil.frozen(day(7)):  # Mon 9 March: the award confirmed, the engagement made
        report = engagement_id_of(app, report_award)
    with app.app_context():
        eng = db.session.scalar(sa.select(Engagement).where(Engagement.public_id == report))
        project_code, project_id = eng.project.code, eng.project_id
    client = make_client(app, "cases:write projects:read deliverables:read webhooks:manage",
                         department_code=dept_code, name="云川市工程建设项目审批管理系统")
    owner = city.client(city.owner)
    agency = city.client(city.agencies[0])
    http = requests.Session()
    http.trust_env = False
    (tmp_path / "standin").mkdir()
    with serve(app) as market, standin(tmp_path / "standin") as system:
        with timeutil.frozen(day(7)):
            connected = http.post(system + "/admin/connect", json={
                "market": market, "client_id": client.client_id,
                "client_secret": client.secret, "events": EVENTS, "url": system + "/hooks"},
                timeout=60)
        assert connected.status_code == 200, connected.text
        n = iter(range(1, 100))

        def event(type_: str, expect: int = 200, **fields: Any) -> dict[str, Any]:
            body = {"event_id": f"sys-{next(n)}", "case_no": "YC-2026-000123",
                    "project_code": project_code, "matter_code": matter_code, "type": type_,
                    "at": _now(), **fields}
            answer = http.post(system + "/admin/event", json=body, timeout=60).json()
            assert answer["status"] == expect, answer
            return answer["answer"]  # type: ignore[no-any-return]

        def sign(eid: str, who: Any) -> None:
            page = f"/engagements/{eid}"
            assert post(owner, page + "/contract", file=(PDF, "合同.pdf")).status_code == 302
            assert post(who, page + "/contract/confirm").status_code == 302

        def submit(eid: str, who: Any) -> None:
            assert post(who, f"/engagements/{eid}/deliverables",
                        file=(PDF, "报告.pdf")).status_code == 302

        with timeutil.frozen(day(7, 30)):  # Mon 9: applied, before the report exists
            assert event("applied", 201)["clock"]["state"] == "preparing"
        with timeutil.frozen(day(8)):  # Tue 10: not acceptable; the department asks for it
            refused = event("accepted", 422)
            assert refused["error"]["code"] == "precondition_missing"
            event("returned_for_correction")
        with timeutil.frozen(day(9)):  # Wed 11: the 环评 contract signed, the service runs
            sign(report, agency)
        with timeutil.frozen(day(16)):  # Wed 18: the report submitted
            submit(report, agency)
        with timeutil.frozen(day(18)):  # Fri 20: accepted by the owner; the case resubmitted
            assert post(owner, f"/engagements/{report}/accept").status_code == 302
            event("resubmitted")
        testing_award = make_award(app, city, agency_index=1, at=day(21),
                                   project_id=project_id, code="TEST")
        published(testing_award, day(14))  # the 检测 request, published Mon 16 March
        with timeutil.frozen(day(21)):  # Mon 23: 受理; the 检测 award confirmed
            assert event("accepted")["clock"]["state"] == "accepted"
            testing = engagement_id_of(app, testing_award)
        testing_agency = city.client(city.agencies[1])
        with timeutil.frozen(day(22)):  # Tue 24: signed, and the Art. 45 procedure begins
            sign(testing, testing_agency)
            special = event("special_procedure_started", reason="testing",
                            engagement_id=testing)["clock"]
            assert special["state"] == "suspended"
            assert special["special_procedures"][0]["expected_days"] == 10
        with timeutil.frozen(day(28)):  # Mon 30: the 检测 report submitted
            submit(testing, testing_agency)
        with timeutil.frozen(day(29)):  # Tue 31: accepted; the linked procedure ends
            assert post(owner, f"/engagements/{testing}/accept").status_code == 302
            pulled = http.get(f"{system}/admin/project/{project_code}", timeout=60).json()
            assert pulled["status"] == 200, pulled
            [case] = pulled["answer"]["cases"]
            assert case["state"] == "running"  # the linked procedure ended with the acceptance
            assert case["clock"]["special_procedures"][0]["ended_at"] is not None
        with timeutil.frozen(day(30)):  # Wed 1 April
            assert event("extended", days=10, approved_by="王局长",
                         extension_reason="需现场核查")["clock"]["limit_days"] == 30
        with timeutil.frozen(day(31)):  # Thu 2 April: decided
            assert event("decided", outcome="approved")["clock"]["state"] == "decided"
        with timeutil.frozen(day(45)):  # two weeks on: the span ended with the decision
            pulled = http.get(f"{system}/admin/project/{project_code}", timeout=60).json()
        assert pulled["status"] == 200, pulled
        [case] = pulled["answer"]["cases"]
        assert [e["type"] for e in case["events"]] == [
            "applied", "returned_for_correction", "resubmitted", "accepted",
            "special_procedure_started", "extended", "decided"]
        assert {e["id"]: e["state"] for e in pulled["answer"]["engagements"]} == {
            report: "accepted", testing: "accepted"}
        # The span: (Mon 2 March, Thu 2 April], 23 working days, each in one bucket:
        # 3-6, 9 March selection (the 环评 request open); 10 signing (outranks the
        # examination of the application); 11 补正 (outranks signing); 12-18 the 环评 service
        # (outranks 补正 and, from the 16th, the 检测 request's selection); 19-20 the owner
        # reviewing the report; 23 examination before 受理 (outranks selection); 24 approval
        # (outranks signing the 检测 contract); 25-31 the 检测 as a special procedure
        # (outranks its own service and review); 1-2 April approval.
        assert pulled["answer"]["timeline_span"] == {
            "start": "2026-03-02", "end": "2026-04-02", "total_days": 23,
            "priority": ["approval", "special_intermediary", "special_other", "service_late",
                         "service_ok", "owner_review", "owner_correction", "owner_materials",
                         "owner_signing", "acceptance", "selection", "waiting"]}
        assert {k: v for k, v in pulled["answer"]["timeline_days"].items() if v} == {
            "selection": 5, "owner_signing": 1, "owner_correction": 1, "service_ok": 5,
            "owner_review": 2, "acceptance": 1, "approval": 3, "special_intermediary": 5}
        assert sum(pulled["answer"]["timeline_days"].values()) == 23

        with app.app_context():
            stats = delivery.run(max_seconds=30)
        assert stats.delivered == stats.attempts > 0
        got = http.get(system + "/admin/received", timeout=30).json()
        assert all(r["verified"] for r in got)
        seen = [(r["type"], r["data"].get("engagement_id")) for r in got]
        for eid in (report, testing):
            assert [t for t, e in seen if e == eid] == [
                "engagement.started", "deliverable.submitted", "deliverable.accepted"], seen
        # a forged delivery: the stand-in's own check refuses it
        body = json.dumps({"id": "msg_forged", "type": "engagement.started"}).encode()
        forged = http.post(system + "/hooks", data=body, timeout=30, headers={
            "webhook-id": "msg_forged", "webhook-timestamp": str(int(time.time())),
            "webhook-signature": "v1,AAAA"})
        assert forged.status_code == 400
        assert http.get(system + "/admin/received", timeout=30).json()[-1]["verified"] is False


def test_the_receiver_down_for_a_while_loses_nothing_and_accepts_no_forgery(
        app: Flask, tmp_path: Path) -> None:
    """The stand-in answers 503, then is stopped for hours, then comes back (its state on
    disk): every message arrives, verified, each project's in order; a delivery whose body or
    signature was tampered with is refused by the stand-in's own check."""
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    platform = make_client(app, "webhooks:manage projects:read deliverables:read",
                           name="省级平台")
    state = tmp_path / "standin"
    state.mkdir()
    port = free_port()
    # The market's clock is moved on through the retry schedule below; the receiver's
    # timestamp tolerance covers that move (two days), its signature check is untouched.
    tolerance = 2 * 86400
    http = requests.Session()
    http.trust_env = False
    with serve(app) as market:
        with standin(state, port, tolerance) as system:
            connected = http.post(system + "/admin/connect", json={
                "market": market, "client_id": platform.client_id,
                "client_secret": platform.secret, "events": EVENTS,
                "url": system + "/hooks"}, timeout=60)
            assert connected.status_code == 200, connected.text
            assert http.post(system + "/admin/mode", json={"fail_first": 1, "status": 503},
                             timeout=30).status_code == 200
            send(app, *(started(p, n) for n, p in enumerate(
                ["2026-530100-48-01-000031"] * 3 + ["2026-530100-48-01-000032"] * 2)))
            # the market's clock from the moment the messages are queued (they are due then;
            # taken earlier, the receiver's start-up could make them not yet due)
            t0 = timeutil.now()
            with timeutil.frozen(t0), app.app_context():
                first = delivery.run(max_seconds=30)
            # Each stream's head got 503; the rest of each stream waits behind it.
            assert (first.attempts, first.delivered) == (2, 0)
        # Down: nothing listens on the port.
        for hours in (1, 3):
            with timeutil.frozen(t0 + timedelta(hours=hours)), app.app_context():
                down = delivery.run(max_seconds=30)
            assert (down.attempts, down.delivered) == (2, 0), down
        with standin(state, port, tolerance) as system:
            assert http.post(system + "/admin/mode", json={"fail_first": 0, "status": 503},
                             timeout=30).status_code == 200  # back for good
            at = t0 + timedelta(hours=8)
            with timeutil.frozen(at), app.app_context():
                back = delivery.run(max_seconds=60)
            assert back.delivered == 5, back
            got = http.get(system + "/admin/received", timeout=30).json()
            with app.app_context():
                messages = db.session.scalars(sa.select(WebhookMessage).order_by(
                    WebhookMessage.id)).all()
                assert {d.state for d in db.session.scalars(sa.select(WebhookDelivery))} \
                    == {"delivered"}
                bodies = {m.public_id: m.body.encode() for m in messages}
                order = {m.project_code: [n.public_id for n in messages
                                          if n.project_code == m.project_code]
                         for m in messages}
            assert all(r["verified"] for r in got), got
            ok = [r for r in got if r["answered"] == 200]
            assert sorted(r["webhook_id"] for r in ok) == sorted(bodies)  # none lost, once
            for code, ids in order.items():
                assert [r["webhook_id"] for r in ok if r["project_code"] == code] == ids

            # Forgeries of a real message: the stand-in's own check refuses each.
            secret = json.loads((state / "secret.json").read_text())["secret"]
            msg_id, body = next(iter(bodies.items()))
            stamp = int(time.time())
            genuine = signature(decode_secret(secret), msg_id, stamp, body)
            tampered = body.replace(b'"type":"engagement.started"',
                                    b'"type":"engagement.overdue"')
            assert tampered != body
            wrong_key = signature(b"x" * 32, msg_id, stamp, body)
            for forged_body, sig in ((tampered, genuine), (body, wrong_key),
                                     (body, genuine[:-4] + "AAA=")):
                r = http.post(system + "/hooks", data=forged_body, timeout=30, headers={
                    "webhook-id": msg_id, "webhook-timestamp": str(stamp),
                    "webhook-signature": sig, "Content-Type": "application/json"})
                assert r.status_code == 400, r.text
            r = http.post(system + "/hooks", data=body, timeout=30, headers={
                "webhook-id": msg_id, "webhook-timestamp": str(stamp),
                "webhook-signature": genuine, "Content-Type": "application/json"})
            assert r.status_code == 200, r.text  # the genuine one, a repeat, is taken
            after = http.get(system + "/admin/received", timeout=30).json()[len(got):]
            assert [r["verified"] for r in after] == [False, False, False, True]

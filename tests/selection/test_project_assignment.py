# ruff: noqa: S608  # fixed SQL of this file (demo e-mails), no outside input
"""Projects assigned to an owner's delegates (采购受托人): the administrator assigns and takes
back on the project's page, each change audited; a delegate's lists show only what hangs from
its projects and a project it registers is its own at once.  (Another project's pages answer
404 to the delegate: tests/proof/test_authorization.py, side "delegate".)"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from billing import ledger
from billing.models import BillingAccount, LedgerEntry, LedgerTransaction
from billing.money import format_fen
from devdata import demo
from market import events, timeutil
from market.accounts.audit import AuditEvent
from market.accounts.models import User
from market.db import db
from market.notify import receivers, reminders
from market.notify.models import Notification
from market.supervision.models import EscalationStep
from tests.conftest import csrf_token, login
from tests.support import demo_data
from tests.support.mail import Inbox, smtp  # noqa: F401  # the fixture

ADMIN, DELEGATE, OTHER_ADMIN = ("owner1@yunchuan.demo", "delegate1@yunchuan.demo",
                                "owner2@yunchuan.demo")
_MEMBERSHIP = ("SELECT m.id FROM membership m JOIN user_account u ON u.id = m.user_id "
               "WHERE u.email = :e")


@pytest.fixture
def demo_app(tmp_path: Path) -> Iterator[Flask]:
    app = demo_data.demo_app(tmp_path)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _client(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, email, demo.DEMO_PASSWORD).status_code == 302
    return client


def _sql(app: Flask, sql: str, **params: object) -> list[tuple[object, ...]]:
    with app.app_context():
        rows = [tuple(r) for r in db.session.execute(sa.text(sql), params)]
        db.session.remove()
    return rows


def _kept_project(app: Flask) -> tuple[int, str, str]:
    """owner1's project the demo keeps from delegate1: (id, public id, code)."""
    rows = _sql(app, "SELECT p.id, p.public_id, p.code FROM project p JOIN membership m ON "
                "m.organisation_id = p.owner_org_id JOIN user_account u ON u.id = m.user_id "
                "WHERE u.email = :a AND p.id NOT IN (SELECT project_id FROM project_assignment "
                f"WHERE membership_id = ({_MEMBERSHIP.replace(':e', ':d')})) ORDER BY p.id",
                a=ADMIN, d=DELEGATE)
    assert len(rows) == 1, rows
    return rows[0]  # type: ignore[return-value]


def _hanging(app: Flask, project_id: int) -> dict[str, list[str]]:
    """The public ids of what hangs from the project."""
    return {table: [str(r[0]) for r in _sql(
        app, f"SELECT public_id FROM {table} WHERE project_id = :p", p=project_id)]
        for table in ("selection_request", "engagement", "approval_case")}


def _assign(client: FlaskClient, project: str, ids: list[int]) -> object:
    return client.post(f"/owner/projects/{project}/delegates", data={
        "delegates": [str(i) for i in ids],
        "csrf_token": csrf_token(client, f"/owner/projects/{project}")})


def test_the_delegates_lists_show_only_its_projects(demo_app: Flask) -> None:
    pid, public_id, code = _kept_project(demo_app)
    hidden = _hanging(demo_app, pid)
    assert all(hidden.values()), hidden  # a request, an engagement and a case to hide
    delegate, admin = _client(demo_app, DELEGATE), _client(demo_app, ADMIN)
    lists = {"/owner/projects": [code, public_id], "/owner/requests": hidden["selection_request"],
             "/engagements/": hidden["engagement"], "/approvals/": hidden["approval_case"],
             "/engagements/clocks": hidden["engagement"] + hidden["approval_case"],
             "/owner/ratings": hidden["engagement"], "/dashboard": sum(hidden.values(), [])}
    for page, ids in lists.items():
        text = delegate.get(page).get_data(as_text=True)
        assert not [i for i in ids if i in text], page
    # the payments of the project's engagements (billing links them by number)
    paid = [str(r[0]) for r in _sql(demo_app, "SELECT b.id FROM billing_engagement b JOIN "
                                     "engagement e ON e.id = b.id WHERE e.project_id = :p",
                                     p=pid)]
    assert paid
    links = [f'href="/billing/engagements/{i}"' for i in paid]
    assert not [x for x in links if x in delegate.get("/billing/").get_data(as_text=True)]
    assert all(x in admin.get("/billing/").get_data(as_text=True) for x in links)
    # the administrator sees them all; the delegate sees its own projects' rows
    assert all(i in admin.get("/owner/requests").get_data(as_text=True)
               for i in hidden["selection_request"])
    assert all(i in admin.get("/engagements/").get_data(as_text=True)
               for i in hidden["engagement"])
    assert all(i in admin.get("/approvals/").get_data(as_text=True)
               for i in hidden["approval_case"])
    assert code in admin.get("/owner/projects").get_data(as_text=True)
    mine = _sql(demo_app, "SELECT r.public_id FROM selection_request r JOIN project_assignment a "
                f"ON a.project_id = r.project_id WHERE a.membership_id = ({_MEMBERSHIP})",
                e=DELEGATE)
    assert mine
    text = delegate.get("/owner/requests").get_data(as_text=True)
    assert all(str(r[0]) in text for r in mine)
    # nor can the delegate choose that project for a new request or approval case
    for page in ("/owner/requests/new", "/approvals/new"):
        assert f'value="{pid}"' not in delegate.get(page).get_data(as_text=True), page


def test_the_administrator_assigns_and_takes_back(demo_app: Flask) -> None:
    pid, public_id, _code = _kept_project(demo_app)
    request_id = _hanging(demo_app, pid)["selection_request"][0]
    (delegate_membership,), = _sql(demo_app, _MEMBERSHIP, e=DELEGATE)
    delegate, admin = _client(demo_app, DELEGATE), _client(demo_app, ADMIN)
    assert delegate.get(f"/owner/requests/{request_id}").status_code == 404
    page = admin.get(f"/owner/projects/{public_id}").get_data(as_text=True)
    assert 'data-test="assign-form"' in page
    assert _assign(admin, public_id, [delegate_membership]).status_code == 302  # type: ignore[attr-defined]
    assert delegate.get(f"/owner/requests/{request_id}").status_code == 200
    assert delegate.get(f"/owner/projects/{public_id}").status_code == 200
    with demo_app.app_context():
        tags = [(e.tag, e.target, e.details) for e in db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.tag.like("owner:project:%assign"))
            .order_by(AuditEvent.id))]
        db.session.remove()
    assert tags[-1][:2] == ("owner:project:assign", public_id)
    # the delegate's page has no assignment form; the administrator takes the project back
    assert 'data-test="assign-form"' not in delegate.get(
        f"/owner/projects/{public_id}").get_data(as_text=True)
    assert _assign(admin, public_id, []).status_code == 302  # type: ignore[attr-defined]
    assert delegate.get(f"/owner/requests/{request_id}").status_code == 404
    with demo_app.app_context():
        last = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert last is not None and last.tag == "owner:project:unassign"
        db.session.remove()


def test_only_the_administrator_assigns_and_only_its_delegates(demo_app: Flask) -> None:
    _pid, public_id, _code = _kept_project(demo_app)
    (own_delegate,), = _sql(demo_app, _MEMBERSHIP, e=DELEGATE)
    (admin_membership,), = _sql(demo_app, _MEMBERSHIP, e=ADMIN)
    (foreign,), = _sql(demo_app, _MEMBERSHIP, e="delegate2@yunchuan.demo")
    before = _sql(demo_app, "SELECT project_id, membership_id FROM project_assignment "
                  "ORDER BY id")
    admin = _client(demo_app, ADMIN)
    for wrong in ([foreign], [admin_membership], [own_delegate, foreign], [999_999]):
        response = _assign(admin, public_id, wrong)
        assert response.status_code == 400, wrong  # type: ignore[attr-defined]
        assert 'class="error"' in response.get_data(as_text=True)  # type: ignore[attr-defined]
    bad = admin.post(f"/owner/projects/{public_id}/delegates", data={
        "delegates": "not-a-number", "csrf_token": csrf_token(admin, "/owner/projects")})
    assert bad.status_code == 400
    # the delegate may not assign (403), another owner's administrator finds no project (404)
    delegate = _client(demo_app, DELEGATE)
    assert _assign(delegate, public_id, [own_delegate]).status_code == 403  # type: ignore[attr-defined]
    other = _client(demo_app, OTHER_ADMIN)
    assert other.post(f"/owner/projects/{public_id}/delegates", data={
        "delegates": [str(own_delegate)],
        "csrf_token": csrf_token(other, "/owner/projects")}).status_code == 404
    assert _sql(demo_app, "SELECT project_id, membership_id FROM project_assignment "
                "ORDER BY id") == before


def test_a_project_the_delegate_registers_is_assigned_to_it(demo_app: Flask) -> None:
    delegate = _client(demo_app, DELEGATE)
    response = delegate.post("/owner/projects", data={
        "name": "东城区第十小学新建工程", "code": "2026-539901-47-01-009010",
        "fund_source": "fiscal", "investment": "9800", "location": "云川市东城区",
        "csrf_token": csrf_token(delegate, "/owner/projects")})
    assert response.status_code == 302
    ((public_id, assigned),) = _sql(
        demo_app, "SELECT p.public_id, (SELECT count(*) FROM project_assignment a WHERE "
        f"a.project_id = p.id AND a.membership_id = ({_MEMBERSHIP})) FROM project p "
        "WHERE p.code = '2026-539901-47-01-009010'", e=DELEGATE)
    assert assigned == 1
    text = delegate.get("/owner/projects").get_data(as_text=True)
    assert re.search(rf'href="/owner/projects/{public_id}"', text)
    # the other delegate of the organisation does not see it; the administrator does
    assert str(public_id) in _client(demo_app, ADMIN).get("/owner/projects").get_data(
        as_text=True)


def test_a_removed_delegate_loses_its_assignments(demo_app: Flask) -> None:
    (membership,), = _sql(demo_app, _MEMBERSHIP, e=DELEGATE)
    assert _sql(demo_app, "SELECT count(*) FROM project_assignment WHERE membership_id = :m",
                m=membership)[0][0]
    admin = _client(demo_app, ADMIN)
    assert admin.post(f"/org/members/{membership}/remove", data={
        "csrf_token": csrf_token(admin, "/org/members")}).status_code == 302
    assert _sql(demo_app, "SELECT count(*) FROM project_assignment WHERE membership_id = :m",
                m=membership)[0][0] == 0


def _text(raw: bytes) -> str:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    return str(message["Subject"]) + message.get_body().get_content()  # type: ignore[union-attr]


def _page(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def test_a_delegate_sees_and_is_mailed_its_projects_reminders_only(
        demo_app: Flask, smtp: tuple[Inbox, int]) -> None:  # noqa: F811
    inbox, port = smtp
    demo_app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(port))
    pid, public_id, _code = _kept_project(demo_app)
    hidden = _hanging(demo_app, pid)["engagement"]
    # the clocks run on: the kept project's engagement falls overdue and its owner is told
    with demo_app.app_context(), timeutil.frozen(timeutil.now() + timedelta(days=40)):
        assert reminders.tick().notified
        db.session.remove()
    rows = _sql(demo_app, "SELECT n.subject, n.project_id FROM notification n JOIN membership m "
                "ON m.organisation_id = n.organisation_id JOIN user_account u ON "
                "u.id = m.user_id WHERE u.email = :e AND n.user_id IS NULL", e=ADMIN)
    about = [subject for subject, project in rows if project == pid]
    assert about and all(any(e in str(s) for e in hidden) for s in about), rows
    unit_wide = [str(s) for s, project in rows if project is None]
    assert unit_wide  # the organisation's activation, about no project
    delegate, admin = _client(demo_app, DELEGATE), _client(demo_app, ADMIN)
    mine = _page(delegate, "/notifications")
    assert not [s for s in about if str(s) in mine]
    assert all(s in mine for s in unit_wide)  # every member sees what is about no project
    everything = _page(admin, "/notifications")
    assert all(str(s) in everything for s in about + unit_wide)
    # nor is it e-mailed to the delegate; the administrator gets it
    sent = [m.rcpt_tos for m in inbox.messages if any(e in _text(m.content) for e in hidden)
            and {ADMIN, DELEGATE} & set(m.rcpt_tos)]
    assert sent and all(DELEGATE not in to and ADMIN in to for to in sent), sent
    # assigned the project, the delegate sees its reminders
    (membership,), = _sql(demo_app, _MEMBERSHIP, e=DELEGATE)
    assigned = [r[0] for r in _sql(demo_app, "SELECT project_id FROM project_assignment "
                                   "WHERE membership_id = :m", m=membership)]
    assert _assign(admin, public_id, [membership]).status_code == 302  # type: ignore[attr-defined]
    assert all(str(s) in _page(delegate, "/notifications") for s in about)
    assert assigned  # (its other projects stay its own: the form assigns this one)


def test_a_delegates_statement_lists_its_projects_engagements_only(demo_app: Flask) -> None:
    pid, _public_id, _code = _kept_project(demo_app)
    kept = {str(r[0]) for r in _sql(demo_app, "SELECT b.id FROM billing_engagement b JOIN "
                                     "engagement e ON e.id = b.id WHERE e.project_id = :p",
                                     p=pid)}
    assert kept
    lines = re.compile(r'data-engagement="(\d+)"')
    whole_page = _page(_client(demo_app, ADMIN), "/billing/statement")
    assert kept <= set(lines.findall(whole_page))
    page = _page(_client(demo_app, DELEGATE), "/billing/statement")
    shown = set(lines.findall(page))
    assert shown and not shown & kept
    assert 'data-test="statement-partial"' in page
    # its balance is its engagements' (the sum of its lines' changes), not the organisation's
    ((owner,),) = _sql(demo_app, "SELECT owner_org_id FROM project WHERE id = :p", p=pid)
    with demo_app.app_context():
        own = db.session.scalar(sa.select(sa.func.sum(LedgerEntry.amount_fen)).join(
            BillingAccount, BillingAccount.id == LedgerEntry.account_id).join(
            LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id).where(
            BillingAccount.key == ledger.owner_key(int(str(owner))),
            LedgerTransaction.engagement_id.in_([int(i) for i in shown])))
        whole = ledger.balances(db.session)
        db.session.remove()
    balance = re.search(r'data-test="balance">([^<]+)<', page)
    assert balance is not None and balance.group(1) == format_fen(own or 0)
    # the administrator's: the organisation's account
    assert f'data-test="balance">{format_fen(whole[ledger.owner_key(int(str(owner)))])}<' \
        in whole_page


def _file(client: FlaskClient, kind: str, subject: str, text: str) -> object:
    return client.post("/my/complaints/new", data={
        "subject_kind": kind, "subject_id": subject, "text": text,
        "csrf_token": csrf_token(client, "/my/complaints/new")})


def test_a_delegate_sees_and_files_complaints_of_its_projects_only(demo_app: Flask) -> None:
    pid, _public_id, _code = _kept_project(demo_app)
    hidden = _hanging(demo_app, pid)
    mine = _sql(demo_app, "SELECT r.public_id FROM selection_request r JOIN project_assignment a "
                f"ON a.project_id = r.project_id WHERE a.membership_id = ({_MEMBERSHIP}) "
                "ORDER BY r.id", e=DELEGATE)[0][0]
    admin, delegate = _client(demo_app, ADMIN), _client(demo_app, DELEGATE)
    for subject, text in ((hidden["selection_request"][0], "保留项目的投诉甲"),
                          (mine, "受托项目的投诉乙")):
        assert _file(admin, "request", str(subject), text).status_code == 302  # type: ignore[attr-defined]
    ids = dict(_sql(demo_app, "SELECT text, public_id FROM complaint WHERE text LIKE '%项目的投诉%'"))
    listed = _page(delegate, "/my/complaints")
    assert ids["受托项目的投诉乙"] in listed and ids["保留项目的投诉甲"] not in listed
    assert ids["保留项目的投诉甲"] in _page(admin, "/my/complaints")
    # the complaint's public page: the filer's text for whom reaches its project only
    assert "保留项目的投诉甲" not in _page(delegate, f"/complaints/{ids['保留项目的投诉甲']}")
    assert "保留项目的投诉甲" in _page(admin, f"/complaints/{ids['保留项目的投诉甲']}")
    assert "受托项目的投诉乙" in _page(delegate, f"/complaints/{ids['受托项目的投诉乙']}")
    # nor may it file about the kept project: answered as about anything it is no party to
    before = _sql(demo_app, "SELECT count(*) FROM complaint")
    for kind, subject in (("request", hidden["selection_request"][0]),
                          ("engagement", hidden["engagement"][0])):
        response = _file(delegate, kind, str(subject), "越权投诉")
        assert response.status_code == 400  # type: ignore[attr-defined]
        assert "不是该事项的当事方" in response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert _sql(demo_app, "SELECT count(*) FROM complaint") == before


def _register(client: FlaskClient, code: str) -> tuple[int, str]:
    response = client.post("/owner/projects", data={
        "name": "重复登记的项目", "code": code, "fund_source": "fiscal", "investment": "100",
        "location": "云川市", "csrf_token": csrf_token(client, "/owner/projects")})
    return response.status_code, response.get_data(as_text=True)


def test_a_taken_code_names_the_project_only_to_whom_reaches_it(demo_app: Flask) -> None:
    pid, public_id, code = _kept_project(demo_app)
    ((name,),) = _sql(demo_app, "SELECT name FROM project WHERE id = :p", p=pid)
    (own_id, own_code, own_name), = _sql(
        demo_app, "SELECT p.public_id, p.code, p.name FROM project p JOIN project_assignment a "
        f"ON a.project_id = p.id WHERE a.membership_id = ({_MEMBERSHIP}) ORDER BY p.id LIMIT 1",
        e=DELEGATE)
    (foreign_code,), = _sql(demo_app, "SELECT code FROM project WHERE owner_org_id NOT IN "
                            "(SELECT organisation_id FROM membership m JOIN user_account u ON "
                            "u.id = m.user_id WHERE u.email = :e) ORDER BY id LIMIT 1", e=ADMIN)
    delegate, admin = _client(demo_app, DELEGATE), _client(demo_app, ADMIN)
    before = _sql(demo_app, "SELECT count(*) FROM project")
    status, page = _register(delegate, str(code))
    assert status == 400 and "已经登记" in page
    assert str(public_id) not in page and str(name) not in page
    # another organisation's code: the same words (the delegate cannot tell them apart)
    status, other = _register(delegate, str(foreign_code))
    assert status == 400 and "已经登记" in other and "其他单位" not in other
    # its own project, and the administrator's: named
    status, page = _register(delegate, str(own_code))
    assert status == 400 and str(own_id) in page and str(own_name) in page
    status, page = _register(admin, str(code))
    assert status == 400 and str(public_id) in page and str(name) in page
    status, page = _register(admin, str(foreign_code))
    assert status == 400 and "其他单位" in page
    assert _sql(demo_app, "SELECT count(*) FROM project") == before


def test_a_supervision_step_about_a_project_tells_only_whom_reaches_it(demo_app: Flask) -> None:
    pid, _public_id, _code = _kept_project(demo_app)
    engagement = _hanging(demo_app, pid)["engagement"][0]
    mine = _sql(demo_app, "SELECT e.public_id FROM engagement e JOIN project_assignment a ON "
                f"a.project_id = e.project_id WHERE a.membership_id = ({_MEMBERSHIP}) "
                "ORDER BY e.id LIMIT 1", e=DELEGATE)[0][0]
    ((owner,),) = _sql(demo_app, "SELECT owner_org_id FROM project WHERE id = :p", p=pid)
    told: dict[str, set[str]] = {}
    with demo_app.app_context():
        for n, subject in enumerate((engagement, mine)):
            # the owner answers for its acceptance review (验收) when it is late
            step = EscalationStep(
                subject_kind="review", subject_id=f"{subject}/{n}",
                subject_link=f"/engagements/{subject}", subject_title="验收逾期",
                due_date=timeutil.today_local(), step="warning", party_kind="owner",
                party_org_id=owner, party_name="", late_days=1, raised_at=timeutil.now())
            db.session.add(step)
            db.session.flush()
            receivers.escalation_raised(events.EscalationRaised(
                at=timeutil.now(), step_id=step.id, step="warning", subject_kind="review",
                subject_id=step.subject_id, told_org_ids=(int(str(owner)),)))
            told[str(subject)] = set(db.session.scalars(sa.select(User.email).join(
                Notification, Notification.user_id == User.id).where(
                Notification.key.like(f"escalation:{step.id}:%"))))
        db.session.commit()
        db.session.remove()
    assert ADMIN in told[engagement] and DELEGATE not in told[engagement]
    assert {ADMIN, DELEGATE} <= told[mine]
    assert str(engagement) not in _page(_client(demo_app, DELEGATE), "/notifications")

"""Membership by invitation: nobody is put into an organisation without accepting, the
inviting form tells nothing about who has an account, members can be removed."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email import message_from_bytes

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from market import timeutil
from market.accounts.audit import AuditEvent
from market.accounts.models import Invitation, Membership, User
from market.db import db
from tests.conftest import PASSWORD, Person, create_person, csrf_token, login
from tests.support.mail import Inbox, smtp  # noqa: F401  # the fixture


def logged_in(app: Flask, who: Person) -> FlaskClient:
    c = app.test_client()
    assert login(c, who.email).status_code == 302
    return c


def invite(client: FlaskClient, email: str, role: str = "owner_delegate") -> tuple[int, str]:
    r = client.post("/org/members", data={"email": email, "role": role,
                                          "csrf_token": csrf_token(client, "/org/members")})
    return r.status_code, (client.get(r.headers["Location"]).get_data(as_text=True)
                           if r.status_code == 302 else r.get_data(as_text=True))


def link_for(client: FlaskClient, email: str) -> str:
    page = client.get("/org/members").get_data(as_text=True)
    row = page.split(f'data-test="invitation-{email}"', 1)[1].split("</tr>", 1)[0]
    match = re.search(r'value="(http[^"]+)"', row)
    assert match, row
    return match.group(1).replace("http://localhost", "")


def memberships(app: Flask, user_id: int) -> set[int]:
    with app.app_context():
        return set(db.session.scalars(sa.select(Membership.organisation_id).where(
            Membership.user_id == user_id)))


def test_an_admin_cannot_attach_an_existing_account_or_learn_it_exists(any_app: Flask) -> None:
    admin = create_person(any_app, "owner_admin")
    regulator = create_person(any_app, "regulator")
    operator = create_person(any_app, "operator")
    c = logged_in(any_app, admin)
    answers = {}
    for email in (regulator.email, operator.email, "nobody@test.example.cn"):
        status, page = invite(c, email)
        assert status == 302
        answers[email] = page.split('<main id="main"')[1].split("<h2>")[0].replace(email, "E")
    assert len(set(answers.values())) == 1  # the same answer whoever holds the address
    for who in (regulator, operator):
        assert memberships(any_app, who.user_id) == {who.org_id}
    page = c.get("/org/members").get_data(as_text=True)
    members = page.split('data-test="members"')[1].split("</table>")[0]
    assert regulator.email not in members and operator.email not in members
    with any_app.app_context():
        names = db.session.scalars(sa.select(User.name).where(
            User.id.in_([regulator.user_id, operator.user_id]))).all()
    assert not any(name in page for name in names)
    assert regulator.email in page.split('data-test="invitations"')[1]  # what was typed


def test_the_invitee_accepts_logged_in_with_that_address(app: Flask) -> None:
    admin = create_person(app, "owner_admin")
    colleague = create_person(app, "owner_delegate")  # already delegate of another owner
    c = logged_in(app, admin)
    invite(c, colleague.email.upper())  # addresses compare without case
    link = link_for(c, colleague.email)
    invitee = logged_in(app, colleague)
    dashboard = invitee.get("/dashboard").get_data(as_text=True)
    assert 'data-test="my-invitations"' in dashboard and "测试单位" in dashboard
    page = invitee.get(link).get_data(as_text=True)
    assert 'data-test="accept"' in page
    r = invitee.post(link + "/accept", data={"csrf_token": csrf_token(invitee, link)})
    assert r.status_code == 302
    assert memberships(app, colleague.user_id) == {colleague.org_id, admin.org_id}
    with app.app_context():
        event = db.session.scalar(sa.select(AuditEvent).where(
            AuditEvent.tag == "user:invitation:accept"))
        assert event.user_id == colleague.user_id
    members = c.get("/org/members").get_data(as_text=True).split('data-test="members"')[1]
    assert colleague.email in members  # named once they agreed
    assert "已被接受" in invitee.get(link).get_data(as_text=True)


def test_a_new_person_creates_the_account_from_the_link(app: Flask) -> None:
    admin = create_person(app, "agency_admin")
    c = logged_in(app, admin)
    invite(c, "new.staff@test.example.cn", role="agency_staff")
    link = link_for(c, "new.staff@test.example.cn")
    anonymous = app.test_client()
    page = anonymous.get(link).get_data(as_text=True)
    assert 'data-test="login-to-accept"' in page and "new.staff@test.example.cn" in page
    bad = anonymous.post(link, data={"name": "王五", "phone": "", "password": "short",
                                     "confirm": "short", "csrf_token": csrf_token(anonymous, link)})
    assert bad.status_code == 400 and "密码至少 10 个字符" in bad.get_data(as_text=True)
    assert 'value="王五"' in bad.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(User).where(
            User.email == "new.staff@test.example.cn")) is None
    r = anonymous.post(link, data={"name": "王五", "phone": "", "password": "staff-pass-123",
                                   "confirm": "staff-pass-123",
                                   "csrf_token": csrf_token(anonymous, link)})
    assert r.status_code == 302
    assert "经办人" in anonymous.get("/dashboard").get_data(as_text=True)
    assert login(app.test_client(), "new.staff@test.example.cn", "staff-pass-123"
                 ).status_code == 302
    # The link is spent.
    assert anonymous.post(link, data={"csrf_token": csrf_token(anonymous, link)}
                          ).status_code in (200, 400)


def test_creating_an_account_for_an_address_that_has_one_is_refused(app: Flask) -> None:
    admin = create_person(app, "owner_admin")
    existing = create_person(app, "agency_staff")
    c = logged_in(app, admin)
    invite(c, existing.email)
    link = link_for(c, existing.email)
    anonymous = app.test_client()
    r = anonymous.post(link, data={"name": "冒名", "phone": "", "password": "other-pass-123",
                                   "confirm": "other-pass-123",
                                   "csrf_token": csrf_token(anonymous, link)})
    assert r.status_code == 400 and "请登录后接受邀请" in r.get_data(as_text=True)
    assert memberships(app, existing.user_id) == {existing.org_id}
    assert login(app.test_client(), existing.email, "other-pass-123").status_code == 400


def test_the_link_does_nothing_for_another_account(app: Flask) -> None:
    admin = create_person(app, "owner_admin")
    c = logged_in(app, admin)
    invite(c, "someone@test.example.cn")
    link = link_for(c, "someone@test.example.cn")
    other = create_person(app, "owner_delegate")
    stranger = logged_in(app, other)
    page = stranger.get(link).get_data(as_text=True)
    assert 'data-test="invitation-other-account"' in page and 'data-test="accept"' not in page
    r = stranger.post(link + "/accept", data={"csrf_token": csrf_token(stranger, link)})
    assert r.status_code == 404
    # The inviter holds the link too, and cannot accept it for someone else.
    assert c.post(link + "/accept", data={"csrf_token": csrf_token(c, link)}).status_code == 404
    assert memberships(app, other.user_id) == {other.org_id}


@pytest.mark.parametrize("tamper", ["swap", "garbage", "other-secret"])
def test_forged_or_altered_links_are_not_found(app: Flask, tamper: str) -> None:
    from itsdangerous import URLSafeSerializer

    admin = create_person(app, "owner_admin")
    c = logged_in(app, admin)
    invite(c, "a@test.example.cn")
    link = link_for(c, "a@test.example.cn")
    with app.app_context():
        inv = db.session.scalar(sa.select(Invitation))
        forged = {"swap": URLSafeSerializer("test-secret", salt="market/invitation").dumps(
                      [inv.id, "guessed-nonce"]),
                  "garbage": link.rsplit("/", 1)[1][:-3] + "abc",
                  "other-secret": URLSafeSerializer("wrong", salt="market/invitation").dumps(
                      [inv.id, inv.nonce])}[tamper]
    assert app.test_client().get(f"/invitations/{forged}").status_code == 404


def test_decline_revoke_and_expiry(app: Flask) -> None:
    admin = create_person(app, "owner_admin")
    a, b, d = (create_person(app, "owner_delegate") for _ in range(3))
    c = logged_in(app, admin)
    start = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    with timeutil.frozen(start):
        for who in (a, b, d):
            invite(c, who.email)
        links = {who.email: link_for(c, who.email) for who in (a, b, d)}
        ca = logged_in(app, a)
        r = ca.post(links[a.email] + "/decline", data={"csrf_token": csrf_token(ca, "/dashboard")})
        assert r.status_code == 302
        assert "已被谢绝" in ca.get(links[a.email]).get_data(as_text=True)

        with app.app_context():
            inv_b = db.session.scalar(sa.select(Invitation).where(Invitation.email == b.email))
        r = c.post(f"/org/invitations/{inv_b.id}/revoke",
                   data={"csrf_token": csrf_token(c, "/org/members")})
        assert r.status_code == 302
        cb = logged_in(app, b)
        assert "已被撤回" in cb.get(links[b.email]).get_data(as_text=True)
        cb.post(links[b.email] + "/accept", data={"csrf_token": csrf_token(cb, "/dashboard")})

        timeutil.advance(timedelta(days=7, minutes=1))
        cd = logged_in(app, d)
        assert "已过期" in cd.get(links[d.email]).get_data(as_text=True)
        assert 'data-test="my-invitations"' not in cd.get("/dashboard").get_data(as_text=True)
        cd.post(links[d.email] + "/accept", data={"csrf_token": csrf_token(cd, "/dashboard")})
    for who in (a, b, d):
        assert memberships(app, who.user_id) == {who.org_id}


def test_one_open_invitation_per_address(app: Flask) -> None:
    admin = create_person(app, "owner_admin")
    c = logged_in(app, admin)
    assert invite(c, "twice@test.example.cn")[0] == 302
    status, page = invite(c, "twice@test.example.cn")
    assert status == 400 and "已向该邮箱发出邀请" in page
    delegate = create_person(app, "owner_delegate", org_id=admin.org_id)
    status, page = invite(c, delegate.email)
    assert status == 400 and "此人已是本单位成员" in page


def test_oversight_and_parties_do_not_mix(app: Flask) -> None:
    admin = create_person(app, "agency_admin")
    regulator = create_person(app, "regulator")
    c = logged_in(app, admin)
    invite(c, regulator.email, role="agency_staff")
    link = link_for(c, regulator.email)
    reg = logged_in(app, regulator)
    r = reg.post(link + "/accept", data={"csrf_token": csrf_token(reg, link)})
    assert "监管、运营或审批部门的账户不能同时是项目业主或中介机构的成员" in reg.get(
        r.headers["Location"]).get_data(as_text=True)
    assert memberships(app, regulator.user_id) == {regulator.org_id}

    # And the other way: the operator invites an agency's person to be a regulator.
    operator = create_person(app, "operator")
    op = logged_in(app, operator)
    op.post("/operator/regulators", data={"org_name": "云川市市场监督管理局",
                                          "email": admin.email,
                                          "csrf_token": csrf_token(op, "/operator/regulators")})
    page = op.get("/operator/regulators").get_data(as_text=True)
    reg_link = re.search(r'value="(http[^"]+)"', page.split('data-test="invitations"')[1]
                         ).group(1).replace("http://localhost", "")
    c.post(reg_link + "/accept", data={"csrf_token": csrf_token(c, reg_link)})
    assert memberships(app, admin.user_id) == {admin.org_id}


def test_the_operator_invites_a_new_regulator(app: Flask) -> None:
    operator = create_person(app, "operator")
    op = logged_in(app, operator)
    bad = op.post("/operator/regulators", data={"org_name": "", "email": "not-an-email",
                                                "csrf_token": csrf_token(op, "/operator/regulators")})
    assert bad.status_code == 400 and "邮箱格式不正确" in bad.get_data(as_text=True)
    r = op.post("/operator/regulators", data={
        "org_name": "云川市政务服务管理办公室", "email": "reg@test.example.cn",
        "csrf_token": csrf_token(op, "/operator/regulators")})
    assert r.status_code == 302
    page = op.get("/operator/regulators").get_data(as_text=True)
    link = re.search(r'value="(http[^"]+)"', page.split('data-test="invitations"')[1]).group(1)
    link = link.replace("http://localhost", "")
    newcomer = app.test_client()
    r = newcomer.post(link, data={"name": "监管员 甲", "phone": "", "password": "regulator-pass-1",
                                  "confirm": "regulator-pass-1",
                                  "csrf_token": csrf_token(newcomer, link)})
    assert r.status_code == 302
    assert "监管人员" in newcomer.get("/dashboard").get_data(as_text=True)
    assert "监管员 甲" in op.get("/operator/regulators").get_data(as_text=True)
    # A second invitation to the same regulator organisation reuses it, whatever the spacing.
    op.post("/operator/regulators", data={"org_name": "云川市政务服务管理办公室 ",
                                          "email": "reg2@test.example.cn",
                                          "csrf_token": csrf_token(op, "/operator/regulators")})
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(sa.distinct(
            Invitation.organisation_id)))) == 1
    # A name another kind of organisation holds is refused next to the field.
    owner = create_person(app, "owner_admin")
    with app.app_context():
        from market.accounts.models import Organisation

        owner_name = db.session.get(Organisation, owner.org_id).name
    r = op.post("/operator/regulators", data={
        "org_name": owner_name, "email": "reg3@test.example.cn",
        "csrf_token": csrf_token(op, "/operator/regulators")})
    assert r.status_code == 400 and "已有单位使用这个名称" in r.get_data(as_text=True)


def test_removing_members(any_app: Flask) -> None:
    admin = create_person(any_app, "owner_admin")
    delegate = create_person(any_app, "owner_delegate", org_id=admin.org_id)
    other_admin = create_person(any_app, "owner_admin")
    c = logged_in(any_app, admin)
    with any_app.app_context():
        def membership_of(p: Person) -> int:
            return db.session.scalar(sa.select(Membership.id).where(
                Membership.user_id == p.user_id, Membership.organisation_id == p.org_id))
        mine, own, foreign = membership_of(delegate), membership_of(admin), \
            membership_of(other_admin)
    token = csrf_token(c, "/org/members")
    assert c.post(f"/org/members/{foreign}/remove", data={"csrf_token": token}).status_code == 404
    r = c.post(f"/org/members/{own}/remove", data={"csrf_token": token})
    assert "不能移除自己" in c.get(r.headers["Location"]).get_data(as_text=True)
    dc = logged_in(any_app, delegate)
    assert dc.get("/owner/projects").status_code == 200
    r = c.post(f"/org/members/{mine}/remove", data={"csrf_token": token})
    assert r.status_code == 302
    assert memberships(any_app, delegate.user_id) == set()
    assert dc.get("/owner/projects").status_code == 403  # acts for the owner no more
    assert "尚未加入任何单位" in dc.get("/dashboard").get_data(as_text=True)
    # With two administrators, one may remove the other; the one left cannot remove itself,
    # and the operation never removes the last one, whoever calls it.
    second = create_person(any_app, "owner_admin", org_id=admin.org_id)
    sc = logged_in(any_app, second)
    assert sc.post(f"/org/members/{own}/remove",
                   data={"csrf_token": csrf_token(sc, "/org/members")}).status_code == 302
    assert c.get("/org/members").status_code == 403
    with any_app.app_context():
        from market.accounts import invitations
        from market.accounts.models import Organisation
        from market.accounts.operations import AccountError

        last = db.session.scalar(sa.select(Membership).where(
            Membership.organisation_id == admin.org_id, Membership.role == "owner_admin"))
        with pytest.raises(AccountError, match="唯一的管理人"):
            invitations.remove_member(db.session.get(Organisation, admin.org_id), last,
                                      by=db.session.get(User, other_admin.user_id))
        last_id = last.id
        db.session.rollback()
    r = sc.post(f"/org/members/{last_id}/remove",
                data={"csrf_token": csrf_token(sc, "/org/members")})
    assert "不能移除自己" in sc.get(r.headers["Location"]).get_data(as_text=True)


def test_the_invitation_is_e_mailed_after_the_commit(app: Flask, smtp) -> None:  # noqa: F811
    inbox, port = smtp
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(port))
    admin = create_person(app, "owner_admin")
    c = logged_in(app, admin)
    invite(c, "mailed@test.example.cn")
    link = link_for(c, "mailed@test.example.cn")
    assert len(inbox.messages) == 1
    message = message_from_bytes(inbox.messages[0].content)
    assert inbox.messages[0].rcpt_tos == ["mailed@test.example.cn"]
    body = message.get_payload(decode=True).decode()
    assert link in body and "采购受托人" in body
    invite(c, "mailed@test.example.cn")  # refused (already invited): nothing sent
    assert len(inbox.messages) == 1


def test_a_person_in_two_organisations_is_asked_which_one_to_act_for(app: Flask) -> None:
    first = create_person(app, "owner_admin")
    second = create_person(app, "owner_admin")
    c = logged_in(app, second)
    invite(c, first.email)
    link = link_for(c, first.email)
    fc = logged_in(app, first)
    fc.post(link + "/accept", data={"csrf_token": csrf_token(fc, link)})
    page = fc.get("/dashboard").get_data(as_text=True)
    assert "切换单位" in page and PASSWORD not in page

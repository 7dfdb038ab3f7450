"""Who acts in the load data: the operator and a regulator (the existing ones, or new ones),
owners with an administrator and a delegate each, and the agencies able to sign up for each
service type."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from devdata.loadgen.agencies import home_tenant_id, insert_rows, next_id
from devdata.loadgen.lotteries import Agency, Person
from devdata.loadgen.province import Tenant
from market.accounts.models import ID_PREFIX, OrgKind, OrgStatus, Role
from market.db import db
from market.domain.codes import make_credit_code

DISTRICTS = ("东城区", "西岭区", "南湖区", "北江区", "青石县")


@dataclass(frozen=True)
class Owner:
    org_id: int
    public_id: str
    region: str
    admin: Person
    delegate: Person
    tenant_id: int


def user_row(uid: int, email: str, name: str, pw: str, now: datetime) -> dict[str, Any]:
    return {"id": uid, "account_id": f"U-{uid:06d}", "email": email, "name": name,
            "password_hash": pw, "active": True, "created_at": now,
            "password_changed_at": now}


def someone(kind: OrgKind, role: Role, name: str, pw: str, now: datetime) -> Person:
    """The first member with ``role``; or a new organisation of ``kind`` with one user."""
    row = db.session.execute(sa.text(
        "SELECT u.id, u.account_id FROM user_account u JOIN membership m ON m.user_id = u.id "
        "WHERE m.role = :role ORDER BY u.id LIMIT 1"), {"role": role.value}).first()
    if row is not None:
        return Person(row[0], row[1])
    org, uid = next_id("organisation"), next_id("user_account")
    insert_rows("organisation", [{"id": org, "public_id": f"{ID_PREFIX[kind]}-{org:06d}",
                                  "kind": kind.value, "name": name,
                                  "status": OrgStatus.ACTIVE.value, "created_at": now,
                                  "tenant_id": home_tenant_id(),
                                  # the service centre's supervisor (服务中心监督): all of its city
                                  "regulator_kind": "centre" if kind is OrgKind.REGULATOR else None}])
    insert_rows("user_account", [user_row(uid, f"{role.value}-{uid}@generated.yunchuan.demo",
                                          f"{name}管理员", pw, now)])
    insert_rows("membership", [{"id": next_id("membership"), "user_id": uid,
                                "organisation_id": org, "role": role.value, "created_at": now}])
    return Person(uid, f"U-{uid:06d}")


def owners(n: int, pw: str, now: datetime, spread: Sequence[Tenant] = ()) -> list[Owner]:
    """``n`` new owner organisations, each with an administrator and a delegate; in the
    tenants of ``spread`` in turn (their region the tenant's name), by default in the first
    tenant's districts."""
    org0, user0, member0 = next_id("organisation"), next_id("user_account"), next_id("membership")
    made, orgs, users, members = [], [], [], []
    home = home_tenant_id()
    for k in range(n):
        org, admin, delegate = org0 + k, user0 + 2 * k, user0 + 2 * k + 1
        if spread:
            region, tenant = spread[k % len(spread)].name, spread[k % len(spread)].id
        else:
            region, tenant = "云川市" + DISTRICTS[k % len(DISTRICTS)], home
        orgs.append({"id": org, "public_id": f"OW-{org:06d}", "kind": OrgKind.OWNER.value,
                     "name": f"{region}第{k + 1}建设单位", "region": region,
                     "credit_code": make_credit_code(f"12539900GN{org:07d}"),
                     "status": OrgStatus.ACTIVE.value, "created_at": now,
                     "tenant_id": tenant})
        users.append(user_row(admin, f"owner-{org}@generated.yunchuan.demo",
                              f"采购管理人 {org}号", pw, now))
        users.append(user_row(delegate, f"delegate-{org}@generated.yunchuan.demo",
                              f"采购受托人 {org}号", pw, now))
        for j, (uid, role) in enumerate(((admin, Role.OWNER_ADMIN),
                                         (delegate, Role.OWNER_DELEGATE))):
            members.append({"id": member0 + 2 * k + j, "user_id": uid, "organisation_id": org,
                            "role": role.value, "created_at": now})
        made.append(Owner(org, f"OW-{org:06d}", region, Person(admin, f"U-{admin:06d}"),
                          Person(delegate, f"U-{delegate:06d}"), tenant))
    for table, rows in (("organisation", orgs), ("user_account", users),
                        ("membership", members)):
        insert_rows(table, rows)
    return made


def agencies_by_service(types: dict[str, int]) -> dict[str, list[Agency]]:
    """Admitted agencies listing each service, with their first administrator."""
    rows = db.session.execute(sa.text(
        "SELECT l.service_type_id, o.id, o.public_id, min(u.id), l.committed_days "
        "FROM listing l JOIN organisation o ON o.id = l.organisation_id "
        "JOIN membership m ON m.organisation_id = o.id AND m.role = :role "
        "JOIN user_account u ON u.id = m.user_id "
        "WHERE l.admitted GROUP BY l.service_type_id, o.id, o.public_id, l.committed_days "
        "ORDER BY o.id"), {"role": Role.AGENCY_ADMIN.value}).all()
    code_of = {v: k for k, v in types.items()}
    out: dict[str, list[Agency]] = {code: [] for code in types}
    for st, org, public_id, uid, days in rows:
        out[code_of[st]].append(Agency(org, public_id, uid, f"U-{uid:06d}", days))
    return out

"""Natural persons as owners (自然人业主): a person registers with their name and resident
identity number (居民身份证号码) instead of a unit's name and credit code, and the tenant's
operator activates them as it activates owner units (market.accounts.activation).

What the public sees of them is the masked name (张**) and never the number: the
organisation's ``name`` *is* the masked name, so every page, notice, the API and the OCDS
export, which show an owner's ``name``, show the masked one without knowing about persons.
The 《个人信息保护法》 rules this follows: a handler does not make public the personal
information it handles without the person's separate consent (第二十五条); it collects only
what the purpose needs (第六条: the number, to check the person and register them once; the
name, for the contract and the operator); and it protects what it keeps with measures such as
encryption and de-identification (第五十一条第三项: the number sealed with AES-GCM, its
uniqueness kept as a keyed digest, the pages showing at most its first and last character).
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from market import crypto, timeutil
from market.accounts import audit, tenants
from market.accounts.models import ID_PREFIX, Organisation, OrgKind, OrgStatus, Role, User
from market.accounts.operations import (
    AccountError,
    add_membership,
    check_new_email,
    create_user,
    unique_write,
)
from market.db import db
from market.domain.calendar import local_date
from market.domain.identity import (
    mask_name,
    mask_resident_id,
    normalise_resident_id,
    validate_resident_id,
)
from market.i18n import N_

SEAL_PURPOSE = "resident-id"

ID_NUMBER_ERRORS = {
    "length": N_("居民身份证号码为 18 位。"),
    "characters": N_("居民身份证号码由 17 位数字和 1 位数字或 X 组成。"),
    "birth_date": N_("居民身份证号码中的出生日期不正确。"),
    "check": N_("居民身份证号码校验位不正确，请核对。"),
}


def check_id_number(number: str) -> tuple[str, str]:
    """The number as stored and its keyed digest; refused when it is not a valid number or a
    person registered with it already."""
    number = normalise_resident_id(number)
    problem = validate_resident_id(number, local_date(timeutil.now()))
    if problem is not None:
        raise AccountError("id_number", ID_NUMBER_ERRORS[problem])
    digest = crypto.keyed_digest(SEAL_PURPOSE, number)
    if db.session.scalar(sa.select(Organisation.id).where(
            Organisation.id_number_digest == digest)) is not None:
        raise AccountError("id_number", N_("该居民身份证号码已注册。"))
    return number, digest


def check_person_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if len(cleaned.replace(" ", "")) < 2:
        raise AccountError("name", N_("请填写与居民身份证一致的姓名。"))
    return cleaned


def register_person(*, name: str, id_number: str, region: str, email: str, password: str,
                    phone: str | None = None, division: str | None = None) -> User:
    """Self-registration of a natural person as an owner (自然人业主), in the tenant whose
    division code is ``division`` (the home tenant when None).

    Anyone may call it.  Changes: an account, an owner organisation of that person pending
    activation (待核验) by the operator — named with the masked name, the number sealed and
    digested, no credit code — and the person's membership as its administrator, with the
    audit events.  Everything is checked before anything is written."""
    tenant = tenants.by_code(division) if division else tenants.home_tenant()
    if tenant is None or not tenant.tenant:
        raise AccountError("division", N_("请选择本平台开通的市或县（区）。"))
    name = check_person_name(name)
    checks = (lambda: check_new_email(email), lambda: check_id_number(id_number))
    for check in checks:
        check()
    number, digest = check_id_number(id_number)

    def write() -> tuple[User, Organisation]:
        user = create_user(name, email, password, phone)
        org = Organisation(public_id="tmp-" + uuid.uuid4().hex[:24], kind=OrgKind.OWNER.value,
                           name=mask_name(name), name_key=None, credit_code=None,
                           region=region.strip() or None, status=OrgStatus.PENDING.value,
                           tenant_id=tenant.id, person=True, person_name=name,
                           id_number_digest=digest, created_at=timeutil.now())
        db.session.add(org)
        db.session.flush()
        org.public_id = f"{ID_PREFIX[OrgKind.OWNER]}-{org.id:06d}"
        org.id_number_sealed = crypto.seal(SEAL_PURPOSE, org.public_id, number.encode())
        add_membership(user, org, Role.OWNER_ADMIN)
        return user, org

    user, org = unique_write(write, *checks)
    # the audit trail names the person by the masked name only (it is read by the operators)
    audit.record("organisation:organisation:create", org.public_id,
                 {"kind": org.kind, "name": org.name, "person": True,
                  "status": org.status, "tenant": tenant.code}, organisation_id=org.id)
    audit.record("user:account:register", user.account_id, {"organisation": org.public_id},
                 user_id=user.id, organisation_id=org.id)
    return user


def reapply_person(org: Organisation, *, name: str, id_number: str, region: str) -> None:
    """A refused natural person (自然人业主) corrects their name and identity number and asks
    to be checked again, from the same account: the shape of a unit's re-application
    (:func:`market.accounts.activation.reapply`), the organisation pending once more and back
    in the operator's queue.

    Who may call: the person, the administrator of their own organisation, while it is
    refused.  Changes: the name (and the masked name the public sees), the number sealed
    again with a new digest (the refusal erased both; a number another person holds, or
    registered since, is refused as at registration), the region, the status; the audit
    event names the person by the masked name only.  Everything is checked before anything
    is written."""
    if not org.person or org.kind != OrgKind.OWNER.value \
            or org.status != OrgStatus.REJECTED.value:
        raise AccountError("name", N_("只有未通过核验的项目业主可以重新提交。"))
    name = check_person_name(name)

    def check() -> tuple[str, str]:
        return check_id_number(id_number)

    number, digest = check()

    def write() -> None:
        org.person_name, org.name = name, mask_name(name)
        org.id_number_digest = digest
        org.id_number_sealed = crypto.seal(SEAL_PURPOSE, org.public_id, number.encode())
        org.region = region.strip() or org.region
        org.status = OrgStatus.PENDING.value
        db.session.flush()

    unique_write(write, check)
    audit.record("owner:organisation:reapply", org.public_id,
                 {"name": org.name, "person": True, "previous_reason": org.status_reason})
    org.status_reason = None


def id_number_shown(org: Organisation) -> str | None:
    """The person's number as their own pages and the operator's check show it: its first and
    last character only (the full number is in the sealed column, for a lawful request)."""
    if not org.person or org.id_number_sealed is None:
        return None
    number = crypto.unseal(SEAL_PURPOSE, org.public_id, org.id_number_sealed).decode()
    return mask_resident_id(number)

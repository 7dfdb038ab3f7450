"""The scope rule (market.accounts.scope), one case per rule."""

from __future__ import annotations

import pytest

# Every mapper, before Organisation() is built below at import: collected after a test module
# that imported only some of the models, building one would fail to configure the mappers.
import market.models  # noqa: F401
from market.accounts.models import Organisation
from market.accounts.scope import Act, ListScope, Subject, covers, list_scope

CITY, OTHER, PROVINCE = 10, 20, 1


def org(kind: str, tenant: int, regulator_kind: str | None = None, id_: int = 7) -> Organisation:
    return Organisation(id=id_, kind=kind, tenant_id=tenant, regulator_kind=regulator_kind)


CENTRE = org("regulator", CITY, "centre")
INDUSTRY = org("regulator", CITY, "industry", id_=4)
PROVINCIAL = org("regulator", PROVINCE, "province")
OPERATOR = org("operator", CITY)
REQUEST_EIA = Subject(CITY, frozenset({4}))  # a request of the city whose type regulator 4 has
REQUEST_FSR = Subject(CITY, frozenset({5}))
ELSEWHERE = Subject(OTHER, frozenset({4}))
REGISTER = Subject(None, frozenset({4}))  # an agency on the provincial register


@pytest.mark.parametrize(("who", "subject", "act", "expected"), [
    # the service centre's supervisor: every service type of its tenant, nothing elsewhere
    (CENTRE, REQUEST_EIA, Act.DECIDE, True),
    (CENTRE, REQUEST_FSR, Act.DECIDE, True),
    (CENTRE, ELSEWHERE, Act.DECIDE, False),
    (CENTRE, ELSEWHERE, Act.READ, False),
    # an industry regulator: only the service types the catalogue maps to it, in its tenant
    (INDUSTRY, REQUEST_EIA, Act.DECIDE, True),
    (INDUSTRY, REQUEST_FSR, Act.DECIDE, False),
    (INDUSTRY, REQUEST_FSR, Act.READ, False),
    (INDUSTRY, ELSEWHERE, Act.DECIDE, False),
    # the province: reads all, sanctions and supervises, never decides a city's matter
    (PROVINCIAL, REQUEST_EIA, Act.READ, True),
    (PROVINCIAL, ELSEWHERE, Act.READ, True),
    (PROVINCIAL, REQUEST_EIA, Act.DECIDE, False),
    (PROVINCIAL, REQUEST_EIA, Act.SUPERVISE, True),
    (PROVINCIAL, REGISTER, Act.SANCTION, True),
    # the register: any tenant's supervisor sanctions; an industry regulator for its types;
    # nobody takes a first-instance decision on the register as a whole
    (CENTRE, REGISTER, Act.SANCTION, True),
    (org("regulator", OTHER, "centre"), REGISTER, Act.SANCTION, True),
    (INDUSTRY, REGISTER, Act.SANCTION, True),
    (org("regulator", CITY, "industry", id_=9), REGISTER, Act.SANCTION, False),
    (CENTRE, REGISTER, Act.DECIDE, False),
    # operators: their own tenant, and the register's records
    (OPERATOR, REQUEST_FSR, Act.DECIDE, True),
    (OPERATOR, ELSEWHERE, Act.DECIDE, False),
    (OPERATOR, REGISTER, Act.SANCTION, True),
    # parties and nobody
    (org("owner", CITY), REQUEST_EIA, Act.READ, False),
    (org("agency", CITY), REQUEST_EIA, Act.READ, False),
    (None, REQUEST_EIA, Act.READ, False),
])
def test_covers(who: Organisation | None, subject: Subject, act: Act, expected: bool) -> None:
    assert covers(who, subject, act) is expected


def test_list_scope() -> None:
    assert list_scope(PROVINCIAL) == ListScope(None)
    assert list_scope(CENTRE) == ListScope(CITY)
    assert list_scope(INDUSTRY) == ListScope(CITY, 4)
    assert list_scope(OPERATOR) == ListScope(CITY)
    assert list_scope(None) == ListScope(-1, -1)

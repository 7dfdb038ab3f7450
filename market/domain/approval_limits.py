"""The time limit of an approval case (审批时限) under 行政许可法 第四十二条.

The article, as published copies of the law in force give it (checked against several)::

    除可以当场作出行政许可决定的外，行政机关应当自受理行政许可申请之日起二十日内作出行政许可决定。
    二十日内不能作出决定的，经本行政机关负责人批准，可以延长十日，并应当将延长期限的理由告知申请人。
    但是，法律、法规另有规定的，依照其规定。

    依照本法第二十六条的规定，行政许可采取统一办理或者联合办理、集中办理的，办理的时间不得超过
    四十五日；四十五日内不能办结的，经本级人民政府负责人批准，可以延长十五日，并应当将延长期限的
    理由告知申请人。

Periods are working days (Art. 82: 本法规定的行政机关实施行政许可的期限以工作日计算，不含法定节假日).

A case handled by one department keeps its matter's limits: the statutory limit (20 days, or
what a special law or regulation sets, hence kept per matter) and the department's committed
limit (承诺时限), at most 10 days' extension approved by the department's head.  A case handled
jointly, centrally or in a unified way by several departments (Art. 26) must be decided within
45 days whatever its matter's own limits: its statutory limit is 45 days, its committed limit
no more than that, and its one extension at most 15 days, approved by the head of the people's
government at that level.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

EXTENSION_DAYS: Final = 10
"""Art. 42 ¶1: 经本行政机关负责人批准，可以延长十日."""

JOINT_LIMIT_DAYS: Final = 45
"""Art. 42 ¶2: 统一办理或者联合办理、集中办理的，办理的时间不得超过四十五日."""

JOINT_EXTENSION_DAYS: Final = 15
"""Art. 42 ¶2: 经本级人民政府负责人批准，可以延长十五日."""


@dataclass(frozen=True)
class CaseLimit:
    """A case's limits in working days: ``statutory_days`` (法定时限), ``limit_days`` (the
    limit its clock counts: the committed one, 承诺时限, never over the statutory one when
    joint) and the longest extension its one Art. 42 extension may add."""

    statutory_days: int
    limit_days: int
    max_extension_days: int
    joint: bool


def case_limit(statutory_days: int, committed_days: int, *, joint: bool) -> CaseLimit:
    """The limits of a case of a matter with these limits, handled by one department or
    (``joint``) jointly under Art. 26."""
    if statutory_days < 1 or committed_days < 1:
        raise ValueError("a matter's limits are at least one working day")
    if not joint:
        return CaseLimit(statutory_days, committed_days, EXTENSION_DAYS, joint=False)
    return CaseLimit(JOINT_LIMIT_DAYS, min(committed_days, JOINT_LIMIT_DAYS),
                     JOINT_EXTENSION_DAYS, joint=True)


def max_extension_days(*, joint: bool) -> int:
    """The longest Art. 42 extension of a case handled by one department or jointly."""
    return JOINT_EXTENSION_DAYS if joint else EXTENSION_DAYS

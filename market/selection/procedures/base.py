"""What every selection procedure (选取方式) does, step by step, and what they share.

A procedure is the method's one home: :class:`Procedure` names its steps — publish, close (the
end of sign-up or the opening of quotes), draw, offer the award, pass it to the next alternate,
run it again — and each method overrides the steps it has (:mod:`.lottery`,
:mod:`.sealed_bid`, :mod:`.direct`).  The shared mechanics live below: the lottery's
announcement, void, receipts, entropy and draw (:mod:`market.selection.draw`) and the award
windows (:mod:`market.selection.award`).  The registry (:mod:`market.selection.procedures`)
names the procedure of each method.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from market import timeutil
from market.accounts.models import Organisation, User
from market.calendar.service import current_calendar
from market.domain import quotes
from market.domain.calendar import local_date, local_day_start
from market.i18n import N_
from market.selection.errors import SelectionError
from market.selection.models import Award, Lottery, Project, RequestState, SelectionRequest
from market.selection.terms import Problem, RequestInput
from market.settings import service as settings


@dataclass(frozen=True)
class Alternate:
    """Whom an award passes to after a decline or a timeout: the agency, the lottery whose
    ranking named it (None: a quote's ranking), its rank and the fee (None: the request's)."""

    agency_id: str
    lottery_id: str | None
    rank: int
    fee_fen: int | None = None


@dataclass(frozen=True)
class NoticeView:
    """What a method adds to its public notice (公告页): the opened quotes (sealed bids), the
    proposals' public view (方案择优), the short list (信用择优, a ``lottery.Shortlist``), and
    how many agencies took part when that is not the count of sign-ups (None: the sign-ups)."""

    bids: list[Any] = field(default_factory=list)
    proposals: dict[str, Any] | None = None
    shortlist: Any = None
    registrants: int | None = None


class Procedure:
    """The steps of one selection method.  The defaults are those of a method that has no
    such step (a direct selection has no window, no draw and no alternate)."""

    method: str = ""
    # the refusal of a fixed price where the method takes quotes under a cap
    cap_required_text: str = ""
    # the refusal of witnesses without the owner's delegate (methods whose rules draw a tie at
    # the opening, ``MethodRules.delegate_witness``)
    delegate_witness_text: str = ""

    # --- the terms (发布、更正) ---------------------------------------------------------------

    def check_terms(self, owner: Organisation, project: Project | None, data: RequestInput,
                    now: datetime, found: list[Problem]) -> None:
        """Add to ``found`` what is wrong with the terms only this method has (``project``:
        None when the owner's project was not found).  Changes nothing."""

    def apply_terms(self, request: SelectionRequest, data: RequestInput) -> None:
        """Write the terms only this method has onto ``request``; the default clears them all
        (a request that changed its method keeps none of the old method's terms)."""
        request.quote_kind = quotes.AMOUNT
        request.low_share_bp = None
        request.low_action = None
        request.credit_threshold = None
        request.shortlist_size = None
        request.direct_agency_org_id = None
        request.scoring_sheet = None

    def notice_view(self, request: SelectionRequest) -> NoticeView:
        """What the public notice shows for this method beside the common terms."""
        return NoticeView()

    def publish(self, request: SelectionRequest, now: datetime) -> None:
        """The request goes public (发布): its window opens."""
        request.state = RequestState.OPEN.value
        request.published_at = now

    def amended(self, request: SelectionRequest, reason: str) -> None:
        """The terms changed (更正公告) while open; ``reason`` is the logged reason."""

    def withdraw_open(self, request: SelectionRequest, lottery: Lottery | None, reason: str,
                      user: User) -> datetime:
        """The owner withdraws the request while it is open: end what the window started
        (refused once it has closed); returns the time of the withdrawal."""
        return timeutil.now()

    def close(self, request: SelectionRequest) -> None:
        """The window's end has passed (报名截止 / 开标): close it, exactly once."""

    def redraw(self, request: SelectionRequest, voided: Lottery) -> None:
        """The system voided the request's draw (witnesses missed ``T``): draw again."""

    def drawn(self, request: SelectionRequest, lottery: Lottery, record: dict[str, Any],
              at: datetime) -> None:
        """The draw is done: offer the award by its result."""

    def next_alternate(self, award: Award, lottery: Lottery | None, from_lottery: str | None,
                       reason: str, by: str, at: datetime) -> Alternate | None:
        """Who the award passes to after ``award`` is declined or timed out (None: nobody,
        the request fails).  ``lottery`` chose ``award`` (if one did) and ``from_lottery`` is
        the next agency in its ranking, already logged as its ``decline`` event's
        replacement."""
        return None

    def awaits_choice(self, request: SelectionRequest) -> bool:
        """After a decline with no alternate named: whether the owner is to choose again (the
        request waits, closed) rather than the request failing."""
        return False

    def rerun(self, request: SelectionRequest, voided: Lottery | None, reason: str,
              regulator: User) -> None:
        """An upheld objection voided the selection (``voided``: its lottery, if it had one
        still live): run it again, or fail when the method cannot."""
        request.state = RequestState.FAILED.value
        request.failed_reason = reason


def new_window(request: SelectionRequest) -> None:
    """A window of the minimum length from today, closing at the same time of day."""
    days = settings.effective("SIGNUP_MIN_WORKING_DAYS", request.published_at,
                              request.tenant_id)
    old = request.signup_closes_at
    new_day = current_calendar(request.tenant_id).add_working_days(timeutil.today_local(), days)
    request.signup_closes_at = local_day_start(new_day) + (old - local_day_start(local_date(old)))


def closed_refusal() -> SelectionError:
    return SelectionError(None, N_("报名已截止，不能再撤销。"))

"""Direct selection (直接选取): the owner names an eligible agency (social funds, or a fee under
the threshold); no window, no draw, no alternate — the named agency confirms or the request
fails."""

from __future__ import annotations

from datetime import datetime

from market.accounts.models import Organisation
from market.domain import methods
from market.domain.calendar import local_date
from market.domain.eligibility import RequestFacts, ineligibility
from market.i18n import N_
from market.selection.award import offer_award
from market.selection.eligibility import REASON_TEXT, agency_facts
from market.selection.models import FundSource, Method, Project, RequestState, SelectionRequest
from market.selection.procedures.base import Procedure
from market.selection.terms import Problem, RequestInput, admitted_agency
from market.settings import service as settings


class Direct(Procedure):
    method = Method.DIRECT.value

    def check_terms(self, owner: Organisation, project: Project | None, data: RequestInput,
                    now: datetime, found: list[Problem]) -> None:
        """Only social funds or a fee under the threshold, a fixed price, and an admitted
        agency that is eligible today."""
        if project is None:
            return
        threshold = settings.effective("DIRECT_SELECTION_THRESHOLD_FEN", now, owner.tenant_id)
        if data.price_kind != "fixed":
            found.append(Problem("price_kind", N_("直接选取须采用固定价格。")))
        if not methods.direct_allowed(project.fund_source == FundSource.SOCIAL, data.price_fen or 0,
                                      threshold):
            found.append(Problem("method", N_("直接选取只适用于社会资金项目，或服务费低于 %(yuan)s 元的项目。"),
                                 {"yuan": f"{threshold // 100:,}"}))
        agency = admitted_agency(data.direct_agency)
        if agency is None:
            found.append(Problem("direct_agency", N_("请填写已入驻中介机构的编号，如 AG-000012。")))
            return
        wanted = RequestFacts(
            service_code=data.service_code, owner_org_id=owner.id,
            owner_credit_code=owner.credit_code,
            qualification_type=(data.qualification_type or "").strip() or None,
            qualification_level=data.qualification_level or None,
            practitioners=dict(data.practitioners),
            avoid=frozenset(a.strip() for a, _r in data.avoid))
        reasons = ineligibility(agency_facts(agency, owner.tenant_id), wanted, local_date(now))
        if reasons:
            found.append(Problem("direct_agency", N_("该机构不符合条件：%(reasons)s"),
                                 {"reasons": "；".join(REASON_TEXT[r] for r in reasons)}))

    def apply_terms(self, request: SelectionRequest, data: RequestInput) -> None:
        super().apply_terms(request, data)
        direct = admitted_agency(data.direct_agency)
        request.direct_agency_org_id = direct.id if direct else None

    def publish(self, request: SelectionRequest, now: datetime) -> None:
        super().publish(request, now)
        # no window: the named agency is offered the award now and must confirm
        request.signup_closes_at = now
        request.closed_at = now
        request.state = RequestState.SELECTED.value
        offer_award(request, None, request.direct_agency.public_id, 0, now)

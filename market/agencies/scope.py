"""An agency as a regulator's scope reads it (market.accounts.scope): where it applied, and
the industry regulators of the service types it lists."""

from __future__ import annotations

import sqlalchemy as sa

from market.accounts.models import Organisation
from market.accounts.scope import Subject
from market.agencies.models import Listing
from market.catalogue.models import ServiceType
from market.db import db


def service_regulators(org_id: int) -> frozenset[int]:
    """The industry regulators the catalogue maps the agency's listed service types to."""
    return frozenset(r for r in db.session.scalars(
        sa.select(ServiceType.regulator_id).join(Listing, Listing.service_type_id == ServiceType.id)
        .where(Listing.organisation_id == org_id, ServiceType.regulator_id.is_not(None)))
        if r is not None)


def admission_subject(org: Organisation) -> Subject:
    """Its admission and the re-review of its qualifications: the tenant where it applied."""
    return Subject(org.tenant_id, service_regulators(org.id))


def register_subject(org: Organisation) -> Subject:
    """The agency on the provincial register (sanctions, relations): any tenant's."""
    return Subject(None, service_regulators(org.id))

"""An agency as a regulator's scope reads it (market.accounts.scope): where it applied, and
the industry regulators of the service types it lists."""

from __future__ import annotations

import sqlalchemy as sa

from market.accounts.models import Organisation
from market.accounts.scope import Subject
from market.agencies.models import Listing
from market.catalogue.regulators import regulators_of_types
from market.db import db


def service_regulators(org_id: int) -> frozenset[int]:
    """The industry regulators of the agency's listed service types, in every tenant (the
    agency is on the province's register; :func:`~market.accounts.scope.covers` keeps each
    to its own tenant where the subject has one)."""
    return regulators_of_types(db.session.scalars(sa.select(Listing.service_type_id).where(
        Listing.organisation_id == org_id)))


def admission_subject(org: Organisation) -> Subject:
    """Its admission and the re-review of its qualifications: the tenant where it applied."""
    return Subject(org.tenant_id, service_regulators(org.id))


def register_subject(org: Organisation) -> Subject:
    """The agency on the provincial register (sanctions, relations): any tenant's."""
    return Subject(None, service_regulators(org.id))

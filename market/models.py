"""Every model, imported once so SQLAlchemy's metadata (and Alembic) sees the whole schema."""

from billing.models import (  # noqa: F401
    BillingAccount,
    BillingEngagement,
    ConnectedAccount,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    WebhookEvent,
)
from market.accounts.models import Membership, Organisation, User  # noqa: F401
from market.agencies.models import (  # noqa: F401
    AdmissionApplication,
    AgencyProfile,
    Listing,
    ListingVersion,
    Practitioner,
    Qualification,
)
from market.audit import AuditEvent  # noqa: F401
from market.calendar.models import CalendarDay, CalendarRevision, CalendarYear  # noqa: F401
from market.catalogue.models import ApprovalMatter, ServiceType  # noqa: F401
from market.storage import Upload  # noqa: F401
from market.transparency.models import LogCheckpoint, LogHead, LogLeaf, LogNode  # noqa: F401

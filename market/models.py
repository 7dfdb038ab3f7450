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
from market import pagecache
from market.accounts.audit import AuditEvent  # noqa: F401
from market.accounts.models import Membership, OidcIdentity, Organisation, User  # noqa: F401
from market.agencies.models import (  # noqa: F401
    AdmissionApplication,
    AgencyProfile,
    Listing,
    ListingVersion,
    Practitioner,
    Qualification,
)
from market.approvals.models import ApprovalCase, Suspension  # noqa: F401
from market.calendar.models import (  # noqa: F401
    CalendarDay,
    CalendarLocalDay,
    CalendarLocalRevision,
    CalendarRevision,
    CalendarYear,
)
from market.catalogue.models import ApprovalMatter, Department, ServiceType  # noqa: F401
from market.clocks.models import Clock, ClockEntry  # noqa: F401
from market.credit.models import CreditRecord, Sanction  # noqa: F401
from market.engagements.models import (  # noqa: F401
    Deliverable,
    Engagement,
    MaterialsRequest,
)
from market.evaluation.models import Correction, Rating  # noqa: F401,E402
from market.integration.models import (  # noqa: F401
    AccessToken,
    ApiClient,
    DeliveryAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
)
from market.notify.models import Notification  # noqa: F401
from market.regulator.models import Complaint, ComplaintAttachment  # noqa: F401
from market.selection.models import (  # noqa: F401
    Amendment,
    AvoidEntry,
    Award,
    Bid,
    BidLogCheckpoint,
    BidLogHead,
    BidLogLeaf,
    BidLogNode,
    BidShare,
    DrawScheduleYear,
    EntropyEntry,
    ExternalProposal,
    Lottery,
    Objection,
    OpeningKey,
    OpeningPresentation,
    Project,
    SelectionRequest,
    SignUp,
    Witness,
)
from market.settings.models import SettingChange  # noqa: F401
from market.storage import Upload  # noqa: F401
from market.supervision.models import EscalationStep, SupervisionOrder  # noqa: F401
from market.transparency.models import LogCheckpoint, LogHead, LogLeaf, LogNode  # noqa: F401

# Writes to these make the cached public directory and agency API stale (market.pagecache).
pagecache.track(pagecache.DIRECTORY, Organisation, AgencyProfile, Listing, ListingVersion,
                Qualification, Practitioner, ServiceType, Sanction)
# … an agency's public profile beyond the directory: its ratings (and their corrections), the
# credit score's inputs (engagements finished on time, declined or lapsed awards, upheld
# complaints; sanctions are directory data) and the complaint outcomes it lists.
pagecache.track(pagecache.RECORDS, Rating, Correction, Engagement, Award, Complaint)
# … a selection request's public notice: the request with its project, avoid list, amendments,
# sign-ups, lotteries, bids, sealed-bid keys (held by regulators' memberships), awards and
# objections, and the working-day calendar its windows are counted in.
pagecache.track(pagecache.SELECTION, Project, SelectionRequest, AvoidEntry, Amendment, SignUp,
                Lottery, Witness, EntropyEntry, ExternalProposal, DrawScheduleYear, Award, Bid,
                OpeningKey, BidShare, OpeningPresentation, Objection, Membership,
                CalendarYear, CalendarDay, CalendarRevision)

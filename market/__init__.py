"""The intermediary services marketplace (中介服务超市): the Flask application."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import stat
from datetime import UTC, datetime, timedelta
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import get_locale
from sqlalchemy.engine import make_url
from werkzeug.middleware.proxy_fix import ProxyFix

from market import config as config_module
from market import templating, timeutil
from market.db import db as database  # aliased: `market.db` must stay the module
from market.domain.fees import format_yuan
from market.domain.quotes import format_rate
from market.extensions import babel, cache, csrf, limiter, login_manager, migrate
from market.forms import action_form
from market.web.formdata import Request

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then ``MARKET_*`` environment variables, then ``config``."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("MARKET_INSTANCE_PATH") or str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
    )
    app.request_class = Request  # urlencoded bodies decoded in C (market.web.formdata)
    app.config.update(config_module.defaults(app.instance_path))
    app.config.update(config_module.from_environment(os.environ))
    app.config.update(config or {})
    config_module.finalise(app.config, app.instance_path)

    # Every app sets it, so one made without an offset (a test, production) runs on real time.
    timeutil.set_offset(config_module.clock_offset(app.config) or timedelta(0))
    _private_files(app)
    _trust_proxies(app)

    _init_extensions(app)
    _connect()
    _register_blueprints(app)

    # The areas load when an app is made, not when `market` is imported: the config, the CLI
    # entry point and the areas themselves import `market` (for `market.db`) first.
    from market import errors, security

    errors.register(app)
    security.register(app)
    _register_template_helpers(app)
    _register_commands(app)

    # (as above: an area, loaded with the app)
    from market.accounts.auth import check_every_view_has_a_rule

    check_every_view_has_a_rule(app)
    return app


log = logging.getLogger("market")


def _tighten(path: Path, mode: int) -> None:
    """Take group and other access away from a file or folder we own."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return
    if st.st_uid == os.getuid() and stat.S_IMODE(st.st_mode) & 0o077:
        log.warning("%s was readable by others (%o); now %o", path, stat.S_IMODE(st.st_mode),
                    mode)
        path.chmod(mode)


def _private_files(app: Flask) -> None:
    """The instance folder (keys, the default database) is the owner's alone, and so is an
    SQLite database wherever it lives: created 0600 before SQLite opens it (its -wal and -shm
    files take the database's mode), and tightened if an older version left it 0644."""
    instance = Path(app.instance_path)
    instance.mkdir(mode=0o700, parents=True, exist_ok=True)
    _tighten(instance, 0o700)
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in ("", ":memory:") or \
            database.startswith("file:"):
        return
    path = Path(database)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):  # another process made it first
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for suffix in ("", "-wal", "-shm"):
        _tighten(Path(database + suffix), 0o600)


def _trust_proxies(app: Flask) -> None:
    """Behind ``MARKET_TRUSTED_PROXIES`` proxies, the client's address and scheme are the ones
    they forward (rate limits per address, Secure links); with none, forwarded headers are
    ignored, so nobody can claim another address by sending them."""
    hops = int(app.config["TRUSTED_PROXIES"])
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    if app.config.get("ENV") == "production" and \
            str(app.config["RATELIMIT_STORAGE_URI"]).startswith("memory://"):
        log.warning("MARKET_RATELIMIT_STORAGE_URI is memory://: login limits are counted per "
                    "process, so each gunicorn worker allows the full budget; set it to a "
                    "shared store (redis://…) to count them once")


def _select_locale() -> str:
    wanted = session.get("lang")
    languages = current_app.config["LANGUAGES"]
    if wanted in languages:
        return str(wanted)
    default = str(current_app.config["BABEL_DEFAULT_LOCALE"])
    if has_request_context() and request.path.startswith(("/api/", "/transparency/")):
        # A machine client (the API, the transparency log's endpoints) has no session: its
        # Accept-Language decides, Chinese first (the most wanted language we have; Chinese
        # when it names none of ours).  The pages keep the visitor's own choice, whatever the
        # browser sends.
        for value, _quality in request.accept_languages:
            primary = value.replace("_", "-").split("-")[0].lower()
            if primary == "zh":
                return default
            if primary in languages:
                return primary
    return default


def _init_extensions(app: Flask) -> None:
    database.init_app(app)
    migrate.init_app(app, database, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale,
                   default_translation_directories=str(ROOT / "market" / "translations"))
    limiter.init_app(app)
    cache.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None  # the login page says why on its own

    # Import models so that metadata is complete for migrations and create_all (with the app,
    # as the other areas are).
    from market import models  # noqa: F401

    @login_manager.user_loader  # type: ignore[untyped-decorator]  # Flask-Login ships no types
    def load_user(token: str) -> Any:
        # accounts is an area: loaded with the app, not with `market`
        from market.accounts import sessions

        return sessions.resume(token)


def _connect() -> None:
    """Wire the areas that react to others (docs/architecture.md): each domain event to the
    receivers of the areas that react to it, and what a lower area asks of the areas above it
    (whose rows its clocks belong to).  Idempotent: every app of a test process connects the
    same module-level functions again."""
    # The areas load when an app is made, not when `market` is imported: the config, the CLI
    # entry point and the areas themselves import `market` (for `market.db`) first.
    from billing import receivers as billing
    from billing import views as billing_views
    from market import events
    from market.approvals import receivers as approvals
    from market.approvals.models import clock_holder as case_clocks
    from market.clocks import board
    from market.clocks import receivers as clocks
    from market.credit import receivers as credit
    from market.credit import score
    from market.engagements import receivers as engagements
    from market.engagements.models import clock_holder as engagement_clocks
    from market.engagements.models import project_of as engagement_project
    from market.engagements.operations import on_time_rate
    from market.evaluation import receivers as evaluation
    from market.evaluation.operations import credit_ratings, levels_since, rated_at_least
    from market.notify import receivers as notify
    from market.notify import subscriptions
    from market.regulator.complaints import upheld_against, upheld_since
    from market.regulator.supervised import complaints_in, late_complaints  # areas load
    from market.selection.award import declines
    from market.supervision import scope as supervision_scope  # with the app
    from market.supervision import sources as supervision  # areas load with the app

    board.connect(engagement=engagement_clocks(), case=case_clocks())
    billing_views.connect(engagement_project)
    score.connect(score.Readers(ratings=credit_ratings, on_time_rate=on_time_rate,
                                declines=declines, upheld_complaints=upheld_against,
                                levels_since=levels_since, upheld_since=upheld_since,
                                rated_at_least=rated_at_least))
    supervision.connect("complaints", late_complaints)
    supervision_scope.connect("complaint", complaints_in)
    # Receivers of one event run in the order connected here.
    events.connect(events.CalendarChanged, clocks.calendar_changed)
    events.connect(events.ContractConfirmed, billing.contract_confirmed)
    events.connect(events.EngagementAccepted, billing.engagement_accepted)
    events.connect(events.EngagementAccepted, approvals.engagement_accepted)
    events.connect(events.EngagementAccepted, evaluation.engagement_accepted)
    events.connect(events.EngagementCancelled, billing.engagement_cancelled)
    events.connect(events.EngagementCancelled, approvals.engagement_cancelled)
    events.connect(events.SanctionIssued, credit.sanction_issued)
    events.connect(events.RequestPublished, subscriptions.request_published)
    events.connect(events.RequestWithdrawn, notify.request_withdrawn)
    events.connect(events.AvoidReviewSubmitted, notify.avoid_review_submitted)
    events.connect(events.AvoidReviewDecided, notify.avoid_review_decided)
    events.connect(events.LotteryWitnessed, notify.lottery_witnessed)
    events.connect(events.AwardPassed, engagements.award_passed)
    events.connect(events.AwardPassed, notify.award_passed)
    events.connect(events.AwardVoided, engagements.award_voided)
    events.connect(events.AwardVoided, notify.award_voided)
    events.connect(events.ObjectionDue, notify.objection_due)
    events.connect(events.WitnessDue, notify.witness_due)
    events.connect(events.ExternalValueDue, notify.external_value_due)
    events.connect(events.OpeningKeyDue, notify.opening_key_due)
    events.connect(events.OpeningLapsed, notify.opening_lapsed)
    events.connect(events.OwnerActivated, notify.owner_activated)
    events.connect(events.OwnerRefused, notify.owner_refused)
    events.connect(events.EscalationRaised, notify.escalation_raised)
    events.connect(events.CorrectionOpened, notify.correction_opened)


def _register_blueprints(app: Flask) -> None:
    # The areas load when an app is made, not when `market` is imported: the config, the CLI
    # entry point and the areas themselves import `market` (for `market.db`) first.
    from billing.views import bp as billing
    from market.accounts import oidc, views_members, views_oidc, views_second_factor  # noqa: F401  # views_*: routes on accounts' blueprint
    from market.accounts.views import bp as accounts
    from market.agencies import views_relations  # noqa: F401  # its routes are on agencies' blueprint
    from market.agencies.review import bp as review
    from market.agencies.views import bp as agencies
    from market.api.views import bp as api
    from market.approvals.views import bp as approvals
    from market.calendar.views import bp as calendar
    from market.catalogue.views import bp as catalogue
    from market.engagements.views import bp as engagements
    from market.engagements.views_public import bp as contracts
    from market.evaluation.views import bp as evaluation
    from market.integration import oauth, outbox, views_cases, views_pull  # noqa: F401  # routes on views_api's bp
    from market.integration.views import bp as integration
    from market.integration.views_api import bp as integration_api
    from market.notify.views import bp as notify
    from market.ocds.views import bp as ocds
    from market.operator.views import bp as operator
    from market.public.directory import bp as directory
    from market.public.views import bp as public
    from market.regulator.public_views import bp as credit
    from market.regulator.views import bp as regulator
    from market.reports.views import bp as reports  # like every area's, kept off `import market`
    from market.selection.views_agency import bp as agency_selection
    from market.selection.views_avoid import bp as avoid_reviews
    from market.selection.views_award import bp as awards
    from market.selection.views_opening import bp as openings
    from market.selection.views_owner import bp as owner
    from market.selection.views_proposals import bp as proposals
    from market.selection.views_public import bp as lotteries
    from market.selection.views_schedule import bp as draw_schedule
    from market.settings.views import bp as settings
    from market.supervision.views import bp as supervision  # areas load with the app
    from market.transparency.views import bp as transparency

    for bp in (public, accounts, operator, calendar, transparency, billing,
               catalogue, agencies, review, directory, api,
               owner, agency_selection, lotteries, awards, engagements, approvals, notify, ocds):
        app.register_blueprint(bp)
    for bp in (regulator, credit, evaluation, openings, draw_schedule, supervision, reports,
               avoid_reviews, contracts):
        app.register_blueprint(bp)
    for bp in (integration, integration_api, settings, proposals):
        app.register_blueprint(bp)
    oauth.init_app(app)
    oidc.init_app(app)
    outbox.connect()


def _register_template_helpers(app: Flask) -> None:
    # accounts is an area: loaded with the app, not with `market`
    from market.accounts.auth import current_membership

    templating.register(app)

    @app.template_filter("yuan")
    def yuan(fen: int | None) -> str:
        return "—" if fen is None else format_yuan(fen)

    @app.template_filter("rate")
    def rate(bp: int | None) -> str:
        """Basis points as a percentage (下浮率, 异常低价线): 1250 → 12.50%."""
        return "—" if bp is None else format_rate(bp)

    @app.template_filter("beijing")
    def beijing(dt: Any) -> str:
        """An aware datetime shown in Beijing time, as people here read times."""
        return "—" if dt is None else dt.astimezone(timeutil.SHANGHAI).strftime("%Y-%m-%d %H:%M")

    @app.template_filter("beijing_iso")
    def beijing_iso(text: str) -> str:
        dt = datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        return beijing(dt)

    @app.context_processor
    def inject() -> dict[str, Any]:
        return {
            "current_membership": current_membership,
            "action_form": action_form,
            "care_mode": bool(session.get("care")),
            "current_locale": str(get_locale()),
            "languages": app.config["LANGUAGES"],
            # "site_name": market.public.views.site (a city's pages carry the city's name)
            # The fictional-city notice belongs to development and demo installations only.
            "demo_notice": app.config.get("ENV") != "production",
            "request_path": request.full_path.rstrip("?") if request else "/",
        }


def _register_commands(app: Flask) -> None:
    # The areas load when an app is made, not when `market` is imported: the config, the CLI
    # entry point and the areas themselves import `market` (for `market.db`) first.
    from market.accounts.cli import tenants_cli
    from market.backup.cli import backup_cli
    from market.integration.cli import clients_cli, webhooks_cli
    from market.notify.cli import clocks_cli
    from market.reports.cli import reports_cli  # like the other commands, off `import market`
    from market.selection.cli import selection_cli
    from market.storage import uploads_cli
    from market.transparency.cli import transparency_cli

    app.cli.add_command(backup_cli)
    app.cli.add_command(tenants_cli)
    app.cli.add_command(transparency_cli)
    app.cli.add_command(selection_cli)
    app.cli.add_command(clocks_cli)
    app.cli.add_command(uploads_cli)
    app.cli.add_command(clients_cli)
    app.cli.add_command(webhooks_cli)
    app.cli.add_command(reports_cli)
    if app.config.get("ENV") != "production":
        for name, command in _development_commands():
            app.cli.add_command(command, name)


DEVELOPMENT_COMMANDS = "market.development_commands"


@functools.cache
def _development_commands() -> tuple[tuple[str, Any], ...]:
    """The commands installed packages declare under the ``market.development_commands`` entry
    point (pyproject.toml): demo data and load generators, whose accounts have published
    passwords.  Looked up by name rather than imported, so a production process never loads
    their code; once per process, as the installed packages do not change while it runs."""
    return tuple((ep.name, ep.load()) for ep in entry_points(group=DEVELOPMENT_COMMANDS))

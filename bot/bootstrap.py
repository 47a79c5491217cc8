"""The one wiring point: settings in, ready parts out. The Slack app (Bolt, services,
worker) for `serve` and the web server, the qualifier and the database for the CLI.
Nothing is built at import time; Slack and LangChain are imported only when asked for."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from pydantic import SecretStr, ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from bot.errors import UserError
from bot.settings import Settings
from bot.startup import paused_collector
from bot.store.database import Database
from qualifiers.qualifier import Qualifier

if TYPE_CHECKING:  # the Slack app's parts are imported when an app is built: the CLI needs none
    from langchain_core.language_models import BaseChatModel
    from slack_bolt import App, BoltResponse
    from slack_sdk import WebClient

    from bot.domain.work import Handler, WorkMessage
    from bot.services.container import Services
    from bot.services.gateway import SlackGateway
    from bot.store.unit_of_work import UnitOfWork
    from bot.worker import ErrorClass, RetryPolicy, Worker

logger = logging.getLogger(__name__)


@dataclass
class LeadbotApp:
    bolt: App
    services: Services
    worker: Worker
    database: Database

    def start_worker(self) -> None:
        """Start background work; anything left pending by an earlier run resumes now, and
        messages an earlier run posted without recording are recorded first."""
        self.services.deliver.reconcile()
        self.worker.start()

    def stop(self) -> None:
        self.worker.stop()

    def health(self) -> tuple[bool, dict]:
        """`/healthz`: (healthy, report). Unhealthy, with the reasons, when the database
        cannot be reached, due work waits untaken (no worker is running, or all are
        stuck), work failed for good recently, or this process's worker is in trouble."""
        settings = self.services.settings
        reasons = self.worker.problems()
        try:
            queue = self.worker.queue.health(
                stuck_seconds=settings.health_stuck_seconds,
                failed_window_seconds=settings.health_failed_window_seconds,
            )
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            logger.warning("health check: database unavailable: %s", reason)
            reasons.insert(0, f"database unreachable: {reason}")
            return False, {"ok": False, "error": "database", "reasons": reasons}
        if queue.stuck:
            reasons.append(
                f"{queue.stuck} work item(s) due for over {settings.health_stuck_seconds:g}s "
                "and not taken: is a worker running?"
            )
        if queue.failed_recently:
            reasons.append(
                f"{queue.failed_recently} work item(s) failed for good in the last "
                f"{settings.health_failed_window_seconds / 60:g} min (see App Home or "
                "`leadbot stats`)"
            )
        report = {
            "ok": not reasons,
            "pending_work": queue.pending,
            "oldest_due_seconds": round(queue.oldest_due_seconds, 1),
            "retrying_work": queue.retrying,
            "failed_work_recently": queue.failed_recently,
            "worker_running": self.worker.started,
        }
        if reasons:
            report["reasons"] = reasons
        return not reasons, report


def create_app(
    settings: Settings,
    *,
    client: WebClient | None = None,
    qualifier: Qualifier | None = None,
    database: Database | None = None,
) -> LeadbotApp:
    """Build the app. Without an injected `client` (tests) the bot token is checked now
    (auth.test at SLACK_API_URL), after the settings and rubric, so a wrong token or an
    unreachable Slack stops the start instead of failing every request.

    Raises `RubricError` for a broken rubric, `ConfigurationError` when a tier has no channel
    to go to, and `DeliveryError` when Slack refuses the token."""
    from slack_bolt import App

    from bot.crm.events import HandoffError
    from bot.crm.handoff import Handoff
    from bot.domain.permissions import Managers
    from bot.domain.work import handlers_by_kind
    from bot.services.assignment import AssignmentService
    from bot.services.claims import ClaimsService
    from bot.services.container import Services
    from bot.services.csv_drops import CsvDropService
    from bot.services.deliver import DeliverService
    from bot.services.gateway import DeliveryError
    from bot.services.outcomes import OutcomesService
    from bot.services.posting import MessagePoster
    from bot.services.qualify import QualifyService
    from bot.services.receive import ReceiveService
    from bot.services.rubric_admin import RubricAdminService
    from bot.services.rubric_holder import RubricHolder
    from bot.slack.gateway import BotIdentity, WebApiGateway, build_web_client
    from bot.slack.listeners import actions, commands, drops, events, home, shortcuts, views
    from bot.store.pacing import ChannelPacer
    from bot.store.unit_of_work import UnitOfWork
    from bot.store.work_queue import WorkQueue
    from bot.worker import Worker
    from qualifiers.extract.offline import OfflineExtractor

    database = database or Database.from_url(settings.database_url)
    rubrics = RubricHolder.from_file(settings.rubric_path)
    qualifier = qualifier or build_qualifier(settings, database)
    verify_token = client is None
    if client is None:
        token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
        client = build_web_client(token, settings.slack_api_url)
    identity = BotIdentity(client)
    gateway = WebApiGateway(client)
    handoff = Handoff(events=bool(settings.events_url), hubspot=settings.hubspot_token is not None)
    uow = UnitOfWork(database, on_transitions=handoff if handoff else None)
    managers = Managers(settings.manager_ids)
    qualify = QualifyService(uow, qualifier, rubrics)
    pacer = ChannelPacer(
        database, per_second=settings.slack_channel_rate, burst=settings.slack_channel_burst
    )
    poster = MessagePoster(uow, gateway, pacer)
    assignment = AssignmentService(
        uow,
        gateway,
        rubrics,
        claim_window_minutes=settings.claim_window_minutes,
        escalation_channel=settings.escalation_channel,
    )
    deliver = DeliverService(
        uow,
        gateway,
        qualify,
        rubrics,
        poster,
        sales_channel=settings.sales_channel,
        assignment=assignment,
    )
    deliver.check_routing()
    if verify_token:
        identity.verify()  # a wrong token stops the start instead of failing every request
    csv_drops = CsvDropService(
        uow,
        gateway,
        deliver,
        rubrics,
        poster,
        max_rows=settings.csv_max_rows,
        hard_max_rows=settings.csv_hard_max_rows,
    )
    receive = ReceiveService(
        uow,
        qualify,
        gateway,
        csv_drops,
        managers,
        same_person_window=timedelta(days=settings.same_person_days)
        if settings.same_person_days
        else None,
    )
    services = Services(
        settings=settings,
        rubrics=rubrics,
        gateway=gateway,
        receive=receive,
        csv_drops=csv_drops,
        qualify=qualify,
        deliver=deliver,
        claims=ClaimsService(uow, managers, rubrics),
        outcomes=OutcomesService(uow, managers),
        rubric_admin=RubricAdminService(
            uow,
            gateway,
            rubrics,
            managers,
            Qualifier(OfflineExtractor(), limits=settings.read_limits),
            sales_channel=settings.sales_channel,
        ),
        assignment=assignment,
        own_ids=identity.own_ids,
    )
    worker = Worker(
        WorkQueue(database),
        handlers_by_kind(
            {
                **deliver.work_handlers(),
                **receive.work_handlers(),
                **handoff_handlers(settings, uow, gateway),
                **assignment.work_handlers(),
            }
        ),
        threads=settings.worker_threads,
        poll_seconds=settings.worker_poll_seconds,
        lease_seconds=settings.worker_lease_seconds,
        expected_errors=(DeliveryError, HandoffError),
        policy=retry_policy(settings),
        on_failed=deliver.failed,
        retention=timedelta(days=settings.work_retention_days),
    )
    uow.on_work = worker.wake

    quiet_deliberate_bolt_warnings()
    bolt = App(
        name="leadbot",
        client=client,
        authorize=identity.authorize(),
        # Listeners store before they return; the ack is sent only then. Slow work runs in
        # the worker or in lazy listeners.
        process_before_response=True,
        # bot.slack.web checks each HTTP request's signature (and shape) before Bolt sees it,
        # and Socket Mode has none: Bolt's own check would be a second HMAC per request.
        request_verification_enabled=False,
        # No listener uses Bolt's assistant helpers (say_stream, set_status, ...), which it
        # would otherwise build for every message event.
        attaching_conversation_kwargs_enabled=False,
    )
    for surface in (events, actions, drops, views, commands, shortcuts, home):
        surface.register(bolt, services)
    bolt.error(handle_error)
    return LeadbotApp(bolt, services, worker, database)


class _DeliberateChoices(logging.Filter):
    """Drops Bolt's start-up warnings about what leadbot does on purpose: it passes its own
    WebClient (so SLACK_BOT_TOKEN in the environment is "unused") and its own `authorize`
    (so the client's token is "ignored"), and both carry the same bot token."""

    def __init__(self) -> None:
        super().__init__()
        from slack_bolt.logger.messages import (
            warning_client_prioritized_and_token_skipped,
            warning_token_skipped,
        )

        self.messages = frozenset(
            {warning_client_prioritized_and_token_skipped(), warning_token_skipped()}
        )

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() not in self.messages


def quiet_deliberate_bolt_warnings() -> None:
    bolt_logger = logging.getLogger("slack_bolt.App")
    if not any(isinstance(f, _DeliberateChoices) for f in bolt_logger.filters):
        bolt_logger.addFilter(_DeliberateChoices())


def handoff_handlers(
    settings: Settings, uow: UnitOfWork, gateway: SlackGateway
) -> dict[type[WorkMessage], Handler]:
    """The senders of what `Handoff` queues, for the destinations that are configured.
    The HubSpot client is imported only when a token is set."""
    from bot.crm.events import EventSender
    from bot.domain.work import SendLeadEvent, SyncHubSpot

    handlers: dict[type[WorkMessage], Handler] = {}
    if settings.hubspot_token is not None:
        from bot.crm.hubspot import HubSpotSync, build_client

        token, api_url = settings.hubspot_token.get_secret_value(), settings.hubspot_api_url
        sync = HubSpotSync(uow, gateway, lambda: build_client(token, api_url))
        handlers[SyncHubSpot] = sync.sync
    if settings.events_url and settings.events_secret:
        sender = EventSender(
            settings.events_url,
            settings.events_secret.get_secret_value(),
            timeout_seconds=settings.events_timeout_seconds,
        )
        handlers[SendLeadEvent] = sender.send
    return handlers


def retry_policy(settings: Settings) -> RetryPolicy:
    """Attempts per class of error, from the settings; Slack's permanent refusals once."""
    from bot.worker import ErrorClass, RetryPolicy

    return RetryPolicy(
        max_attempts={
            ErrorClass.PERMANENT: 1,
            ErrorClass.SLACK: settings.work_slack_max_attempts,
            ErrorClass.DATABASE: settings.work_database_max_attempts,
            ErrorClass.OUTSIDE: settings.work_slack_max_attempts,
            ErrorClass.OTHER: settings.work_max_attempts,
        },
        classify=classify_error,
    )


def classify_error(error: Exception) -> ErrorClass:
    from bot.crm.events import HandoffError
    from bot.services.gateway import DeliveryError
    from bot.worker import ErrorClass

    if isinstance(error, DeliveryError):
        return ErrorClass.PERMANENT if error.permanent else ErrorClass.SLACK
    if isinstance(error, SQLAlchemyError):
        return ErrorClass.DATABASE
    if isinstance(error, HandoffError):
        return ErrorClass.OUTSIDE  # a receiver down for a while: retried like Slack
    return ErrorClass.OTHER


def handle_error(error: Exception, body: dict) -> BoltResponse:
    """The one error handler: a payload without what a listener needs is the sender's
    fault (400, nothing stored); anything else is ours (500, logged)."""
    from slack_bolt import BoltResponse

    if isinstance(error, ValidationError):
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()[:5]
        )
        logger.warning("malformed Slack payload (%s): %s", body.get("type"), problems)
        return BoltResponse(
            status=400,
            body=json.dumps({"error": "malformed_payload", "detail": problems}),
            headers={"content-type": "application/json", "x-slack-no-retry": "1"},
        )
    logger.exception("Slack request failed", exc_info=error)
    return BoltResponse(status=500, body=json.dumps({"error": "internal_error"}))


# --- the CLI's parts -----------------------------------------------------------------------------


def open_database(url: str) -> Database:
    """The database at `url`, migrated; a clear error instead of a driver traceback."""
    try:
        return Database.from_url(url)
    except ArgumentError:
        raise UserError(
            f"LEADBOT_DATABASE_URL: expected a database URL such as sqlite:///leadbot.db, "
            f"got {url!r}"
        ) from None
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise UserError(f"cannot open the database {display_url(url)}: {reason}") from None


def display_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


# --- qualifiers ----------------------------------------------------------------------------------

OPENAI_MODEL_PREFIXES = ("gpt-", "o1", "o3", "o4", "chatgpt")


def build_qualifier(settings: Settings, database: Database | None = None) -> Qualifier:
    """Offline when LEADBOT_MODEL is `offline` (or unset without an OpenAI key).

    Otherwise the LLM qualifier: one call per lead to `settings.model_name`, the offline rules
    as fallback and gap filler (the extractor's default, imported once the first calls are
    out), and the database's extraction cache when one is given.
    """
    if settings.model_name == "offline":
        from qualifiers.extract.offline import OfflineExtractor

        return Qualifier(OfflineExtractor(), limits=settings.read_limits)
    # Imported here: LangChain costs about a second of start-up that offline runs never need.
    from bot.store.cache import DatabaseExtractionCache
    from qualifiers.concurrent import ConcurrentQualifier
    from qualifiers.extract.llm import LLMExtractor

    if database is not None and is_openai_model(settings.model_name):
        if settings.openai_api_key is None:
            _key_for_local_server(settings)  # a missing key fails now, not on the first call
        chat_model = DeferredChatModel(lambda: build_chat_model(settings))
    else:
        chat_model = build_chat_model(settings)
    extractor = LLMExtractor(
        chat_model,
        model_name=settings.model_name,
        cache=DatabaseExtractionCache(database) if database is not None else None,
        redact_pii=settings.redact_pii,
        phone_regions=settings.phone_regions,
        deadline_seconds=settings.model_deadline_seconds,
    )
    return ConcurrentQualifier(
        extractor, concurrency=settings.model_concurrency, limits=settings.read_limits
    )


class DeferredChatModel:
    """An OpenAI chat model built (and LangChain's providers imported, a second or more) on
    the first model call: a run answered from the extraction cache never pays for it."""

    def __init__(self, build: Callable[[], BaseChatModel]):
        self._build = build
        self._model: BaseChatModel | None = None
        self._lock = threading.Lock()

    def with_structured_output(self, schema, **options):
        with self._lock:
            if self._model is None:
                with paused_collector():  # LangChain's import: `bot.startup`
                    self._model = self._build()
        return self._model.with_structured_output(schema, **options)


def build_chat_model(settings: Settings) -> BaseChatModel:
    """`init_chat_model` with leadbot's timeout, retries and temperature.

    The client retries timeouts, 429s and 5xx with exponential backoff (honouring
    Retry-After); OpenAI models also get OPENAI_BASE_URL and OPENAI_API_KEY.
    """
    from langchain.chat_models import init_chat_model

    name = settings.model_name
    options: dict = {
        "temperature": settings.model_temperature,
        "timeout": settings.model_timeout_seconds,
        "max_retries": settings.model_max_retries,
    }
    if is_openai_model(name):
        options["base_url"] = settings.openai_base_url
        options["api_key"] = settings.openai_api_key or _key_for_local_server(settings)
    try:
        return init_chat_model(name, **options)
    except ImportError as exc:
        raise UserError(
            f"LEADBOT_MODEL={name}: the provider's LangChain package is not installed ({exc})"
        ) from None
    except (ValueError, ValidationError) as exc:
        raise UserError(f"LEADBOT_MODEL={name}: {exc}") from None


def is_openai_model(name: str) -> bool:
    provider, _, model = name.rpartition(":")
    if provider:
        return provider == "openai"
    return model.lower().startswith(OPENAI_MODEL_PREFIXES)


def _key_for_local_server(settings: Settings) -> SecretStr:
    """OpenAI-compatible local servers (vLLM, Ollama, LM Studio) accept any key."""
    if not settings.openai_base_url:
        raise UserError(
            f"LEADBOT_MODEL={settings.model_name} needs OPENAI_API_KEY "
            "(or OPENAI_BASE_URL for an OpenAI-compatible server), or use LEADBOT_MODEL=offline"
        )
    return SecretStr("not-needed")

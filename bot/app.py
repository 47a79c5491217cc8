"""The one wiring point: settings in, a ready Slack app (Bolt + pipeline + worker) out."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from pydantic import ValidationError
from slack_bolt import App, BoltResponse
from slack_bolt.logger.messages import (
    warning_client_prioritized_and_token_skipped,
    warning_token_skipped,
)
from slack_sdk import WebClient

from bot.csv_drop import CsvDrops
from bot.listeners import actions, commands, events, home, shortcuts, views
from bot.pipeline import DeliveryError, LeadPipeline, SlackGateway
from bot.qualifier_factory import build_qualifier
from bot.rubric_holder import RubricHolder
from bot.settings import Settings
from bot.slack_gateway import BotIdentity, WebApiGateway, build_web_client
from bot.store.repository import Repository
from bot.store.work_queue import WorkQueue
from bot.worker import Worker
from qualifiers.qualifier import Qualifier

logger = logging.getLogger(__name__)


@dataclass
class Services:
    """What listeners work with; `leads` is the core (store, qualify, post, claim)."""

    settings: Settings
    store: Repository
    rubrics: RubricHolder
    gateway: SlackGateway
    leads: LeadPipeline
    csv_drops: CsvDrops


@dataclass
class LeadbotApp:
    bolt: App
    services: Services
    worker: Worker

    def start_worker(self) -> None:
        """Start background work; anything left pending by an earlier run resumes now."""
        self.worker.start()

    def stop(self) -> None:
        self.worker.stop()


def create_app(
    settings: Settings,
    *,
    client: WebClient | None = None,
    qualifier: Qualifier | None = None,
    store: Repository | None = None,
) -> LeadbotApp:
    """Build the app. Without an injected `client` (tests) the bot token is checked now
    (auth.test at SLACK_API_URL), after the settings and rubric, so a wrong token or an
    unreachable Slack stops the start instead of failing every request.

    Raises `RubricError` for a broken rubric, `ConfigurationError` when a tier has no channel
    to go to, and `DeliveryError` when Slack refuses the token."""
    store = store or Repository.from_url(settings.database_url)
    rubrics = RubricHolder.from_file(settings.rubric_path)
    qualifier = qualifier or build_qualifier(settings, store)
    verify_token = client is None
    if client is None:
        token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
        client = build_web_client(token, settings.slack_api_url)
    identity = BotIdentity(client)
    gateway = WebApiGateway(client)
    queue = WorkQueue(store)
    leads = LeadPipeline(
        store,
        queue,
        qualifier,
        rubrics,
        gateway,
        sales_channel=settings.sales_channel,
        managers=settings.manager_ids,
    )
    leads.check_routing()
    if verify_token:
        identity.verify()  # a wrong token stops the start instead of failing every request
    csv_drops = CsvDrops(leads)
    worker = Worker(
        queue,
        {**leads.work_handlers(), **csv_drops.work_handlers()},
        threads=settings.worker_threads,
        expected_errors=(DeliveryError,),
    )
    leads.on_work = worker.wake

    secret = settings.slack_signing_secret
    quiet_deliberate_bolt_warnings()
    bolt = App(
        name="leadbot",
        client=client,
        signing_secret=secret.get_secret_value() if secret else "",
        authorize=identity.authorize(),
        # Listeners store before they return; the ack is sent only then. Slow work runs in
        # the worker or in lazy listeners.
        process_before_response=True,
        request_verification_enabled=settings.slack_app_token is None,
    )
    services = Services(settings, store, rubrics, gateway, leads, csv_drops)
    for surface in (events, actions, views, commands, shortcuts, home):
        surface.register(bolt, services)
    bolt.error(handle_error)
    return LeadbotApp(bolt, services, worker)


class _DeliberateChoices(logging.Filter):
    """Drops Bolt's start-up warnings about what leadbot does on purpose: it passes its own
    WebClient (so SLACK_BOT_TOKEN in the environment is "unused") and its own `authorize`
    (so the client's token is "ignored"), and both carry the same bot token."""

    MESSAGES = frozenset({warning_client_prioritized_and_token_skipped(), warning_token_skipped()})

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() not in self.MESSAGES


def quiet_deliberate_bolt_warnings() -> None:
    bolt_logger = logging.getLogger(f"slack_bolt.{App.__name__}")
    if not any(isinstance(f, _DeliberateChoices) for f in bolt_logger.filters):
        bolt_logger.addFilter(_DeliberateChoices())


def handle_error(error: Exception, body: dict) -> BoltResponse:
    """The one error handler: a payload without what a listener needs is the sender's
    fault (400, nothing stored); anything else is ours (500, logged)."""
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

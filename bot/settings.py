"""The only place leadbot reads its environment."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from qualifiers.extract.redact import is_phone_region
from qualifiers.limits import DEFAULT_BUDGET_SECONDS, DEFAULT_MAX_CHARS, ReadLimits
from qualifiers.rubric import DEFAULT_RUBRIC_PATH


def _csv_list(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [part.strip() for part in value.split(",") if part.strip()]


class Settings(BaseSettings):
    """Every setting, with its environment variable; see .env.example."""

    model_config = SettingsConfigDict(
        env_file=".env", env_ignore_empty=True, extra="ignore", populate_by_name=True
    )

    slack_bot_token: SecretStr | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(default="https://slack.com/api/", alias="SLACK_API_URL")

    intake_channels: str = Field(default="", alias="LEADBOT_INTAKE_CHANNELS")
    sales_channel: str | None = Field(default=None, alias="LEADBOT_SALES_CHANNEL")
    intake_bots: str = Field(
        default="",
        alias="LEADBOT_INTAKE_BOTS",
        description="Bot or app ids (B…, A…) of integrations (HubSpot, Zapier, Workflow "
        "Builder) whose posts in intake channels are leads, or `*` for any; never leadbot's own.",
    )
    managers: str = Field(default="", alias="LEADBOT_MANAGERS")
    claim_window_minutes: int = Field(
        default=15,
        ge=1,
        le=10_080,
        alias="LEADBOT_CLAIM_WINDOW_MINUTES",
        description="Round-robin: minutes a rep has to claim an assigned lead before the next "
        "rep is asked (a tier's claim_window_minutes overrides it).",
    )
    escalation_channel: str | None = Field(
        default=None,
        alias="LEADBOT_ESCALATION_CHANNEL",
        description="Channel told once about a lead unclaimed past twice its tier's SLA; "
        "unset, nothing is escalated.",
    )
    webhook_secret: SecretStr | None = Field(
        default=None,
        alias="LEADBOT_WEBHOOK_SECRET",
        description="Key of POST /webhooks/lead: signs requests (X-Leadbot-Signature) or is "
        "sent as a bearer token; unset, the endpoint answers 404.",
    )
    same_person_days: int = Field(
        default=7,
        ge=0,
        le=365,
        alias="LEADBOT_SAME_PERSON_DAYS",
        description="A webhook lead whose e-mail came in from another source this many days "
        "before joins that lead instead of making a second one; 0 turns this off.",
    )

    events_url: str | None = Field(
        default=None,
        alias="LEADBOT_EVENTS_URL",
        description="Where lead events (qualified, claimed, released, disqualified, outcome) "
        "are POSTed as signed JSON; unset, none are sent.",
    )
    events_secret: SecretStr | None = Field(
        default=None,
        alias="LEADBOT_EVENTS_SECRET",
        description="The HMAC-SHA256 key that signs each event (X-Leadbot-Signature).",
    )
    events_timeout_seconds: float = Field(
        default=10.0, gt=0, le=120, alias="LEADBOT_EVENTS_TIMEOUT"
    )
    hubspot_token: SecretStr | None = Field(
        default=None,
        alias="HUBSPOT_TOKEN",
        description="A HubSpot private app's access token; unset, nothing goes to HubSpot.",
    )
    hubspot_api_url: str = Field(default="https://api.hubapi.com", alias="HUBSPOT_API_URL")

    database_url: str = Field(default="sqlite:///leadbot.db", alias="LEADBOT_DATABASE_URL")
    rubric_path: Path = Field(default=DEFAULT_RUBRIC_PATH, alias="LEADBOT_RUBRIC")

    model: str | None = Field(
        default=None,
        alias="LEADBOT_MODEL",
        description="`offline`, or a LangChain init_chat_model name such as openai:gpt-4o-mini. "
        "Unset: openai:gpt-4o-mini when OPENAI_API_KEY is set, else offline.",
    )
    openai_api_key: SecretStr | None = Field(default=None, alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(default=None, alias="OPENAI_BASE_URL")
    model_timeout_seconds: float = Field(default=30.0, gt=0, alias="LEADBOT_MODEL_TIMEOUT")
    model_max_retries: int = Field(default=3, ge=0, alias="LEADBOT_MODEL_MAX_RETRIES")
    model_temperature: float = Field(default=0.0, ge=0, le=2, alias="LEADBOT_MODEL_TEMPERATURE")
    model_concurrency: int = Field(default=8, ge=1, le=256, alias="LEADBOT_MODEL_CONCURRENCY")
    model_deadline_seconds: float = Field(
        default=120.0,
        gt=0,
        alias="LEADBOT_MODEL_DEADLINE",
        description="Longest a lead waits for the model, retries included, before going offline.",
    )
    redact_pii: bool = Field(default=False, alias="LEADBOT_REDACT_PII")
    phone_region: str = Field(
        default="US",
        alias="LEADBOT_PHONE_REGION",
        description="Region(s) whose national phone numbers are masked, e.g. US or GB,FR.",
    )
    lead_text_limit: int = Field(
        default=DEFAULT_MAX_CHARS,
        ge=1_000,
        alias="LEADBOT_LEAD_TEXT_LIMIT",
        description="Characters of one lead that are read; the rest is kept, marked unread.",
    )
    lead_time_budget_seconds: float = Field(
        default=DEFAULT_BUDGET_SECONDS,
        gt=0,
        alias="LEADBOT_LEAD_TIME_BUDGET",
        description="Seconds of rule-based reading per lead; past it, what was read counts.",
    )

    port: int = Field(default=3000, alias="PORT")
    http_threads: int = Field(
        default=32,
        ge=1,
        le=512,
        alias="LEADBOT_HTTP_THREADS",
        description="Concurrent Slack requests served in HTTP mode.",
    )
    worker_threads: int = Field(
        default=4,
        ge=1,
        le=64,
        alias="LEADBOT_WORKER_THREADS",
        description="Threads qualifying and posting leads after Slack is acknowledged.",
    )
    slack_channel_rate: float = Field(
        default=1.0,
        gt=0,
        le=1000,
        alias="LEADBOT_SLACK_CHANNEL_RATE",
        description="Messages per second the bot posts in one channel, over all processes.",
    )
    slack_channel_burst: int = Field(
        default=4,
        ge=1,
        le=1000,
        alias="LEADBOT_SLACK_CHANNEL_BURST",
        description="Messages posted in one channel at once before the rate applies.",
    )
    http_read_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=300,
        alias="LEADBOT_HTTP_READ_TIMEOUT",
        description="Seconds a client has to send one request's headers and body.",
    )
    webhook_max_bytes: int = Field(
        default=1_000_000,
        ge=1_000,
        le=10_000_000,
        alias="LEADBOT_WEBHOOK_MAX_BYTES",
        description="Largest body POST /webhooks/lead reads; larger ones get 413 unread.",
    )
    webhook_rate_per_minute: int = Field(
        default=60,
        ge=1,
        le=100_000,
        alias="LEADBOT_WEBHOOK_RATE_LIMIT",
        description="Leads per minute one source may send to the webhook, then 429.",
    )
    csv_max_rows: int = Field(
        default=500,
        ge=1,
        alias="LEADBOT_CSV_MAX_ROWS",
        description="Rows a CSV drop may have before the marketer is asked to confirm it.",
    )
    csv_hard_max_rows: int = Field(
        default=5_000,
        ge=1,
        alias="LEADBOT_CSV_HARD_MAX_ROWS",
        description="Rows a confirmed CSV drop may have at most; larger files are refused.",
    )
    http_workers: int = Field(
        default=1,
        ge=1,
        le=64,
        alias="LEADBOT_HTTP_WORKERS",
        description="Web server processes in HTTP mode, each with LEADBOT_HTTP_THREADS threads.",
    )
    serve_worker: bool = Field(
        default=True,
        alias="LEADBOT_SERVE_WORKER",
        description="`leadbot serve` (HTTP) also starts `leadbot worker` beside its web "
        "processes; false when workers run as their own processes or machines.",
    )
    worker_lease_seconds: float = Field(
        default=20.0,
        ge=1,
        le=600,
        alias="LEADBOT_WORKER_LEASE",
        description="Seconds a worker holds an item between heartbeats; a crashed worker's "
        "items are taken again after at most this long.",
    )
    worker_poll_seconds: float = Field(
        default=0.25,
        gt=0,
        le=60,
        alias="LEADBOT_WORKER_POLL",
        description="How often an idle worker looks for work queued by another process.",
    )
    work_retention_days: float = Field(
        default=7.0,
        gt=0,
        alias="LEADBOT_WORK_RETENTION_DAYS",
        description="Finished work items are deleted after this many days (failed ones kept).",
    )
    work_max_attempts: int = Field(
        default=5,
        ge=1,
        alias="LEADBOT_WORK_MAX_ATTEMPTS",
        description="Attempts for work failing with an unexpected error before it fails.",
    )
    work_slack_max_attempts: int = Field(
        default=25,
        ge=1,
        alias="LEADBOT_WORK_SLACK_MAX_ATTEMPTS",
        description="Attempts while Slack, the events receiver or HubSpot is unreachable, 5xx "
        "or rate limiting (about a day with backoff up to 5 minutes). Slack's permanent "
        "refusals fail at once.",
    )
    work_database_max_attempts: int = Field(
        default=100,
        ge=1,
        alias="LEADBOT_WORK_DATABASE_MAX_ATTEMPTS",
        description="Attempts for work failing with a database error.",
    )
    health_stuck_seconds: float = Field(
        default=120.0,
        gt=0,
        alias="LEADBOT_HEALTH_STUCK_SECONDS",
        description="/healthz answers 503 when due work has waited this long untaken.",
    )
    health_failed_window_seconds: float = Field(
        default=900.0,
        gt=0,
        alias="LEADBOT_HEALTH_FAILED_WINDOW",
        description="/healthz answers 503 while work failed for good within this window.",
    )
    log_level: str = Field(default="INFO", alias="LEADBOT_LOG_LEVEL")

    @model_validator(mode="after")
    def _events_are_signed(self) -> Settings:
        if self.events_url and not self.events_secret:
            raise ValueError("LEADBOT_EVENTS_URL needs LEADBOT_EVENTS_SECRET to sign its events")
        return self

    @property
    def intake_channel_ids(self) -> list[str]:
        return _csv_list(self.intake_channels)

    @property
    def intake_bot_ids(self) -> frozenset[str]:
        return frozenset(_csv_list(self.intake_bots))

    @property
    def manager_ids(self) -> list[str]:
        return _csv_list(self.managers)

    @field_validator("phone_region")
    @classmethod
    def _known_regions(cls, value: str) -> str:
        unknown = [code for code in _csv_list(value.upper()) if not is_phone_region(code)]
        if unknown or not _csv_list(value):
            raise ValueError(f"expected ISO region codes such as US or GB,FR; got {value!r}")
        return value.upper()

    @property
    def phone_regions(self) -> tuple[str, ...]:
        return tuple(_csv_list(self.phone_region))

    @property
    def read_limits(self) -> ReadLimits:
        return ReadLimits(
            max_chars=self.lead_text_limit, budget_seconds=self.lead_time_budget_seconds
        )

    @property
    def model_name(self) -> str:
        """The model actually in force: explicit setting, else OpenAI when a key is set."""
        if self.model:
            return self.model
        return "openai:gpt-4o-mini" if self.openai_api_key else "offline"

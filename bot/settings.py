"""The only place leadbot reads its environment."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    managers: str = Field(default="", alias="LEADBOT_MANAGERS")
    webhook_secret: SecretStr | None = Field(
        default=None,
        alias="LEADBOT_WEBHOOK_SECRET",
        description="Bearer token for POST /webhooks/lead; unset, the endpoint answers 404.",
    )

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
        description="Attempts while Slack is unreachable, 5xx or rate limiting (about a day "
        "with backoff up to 5 minutes). Permanent refusals fail at once.",
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

    @property
    def intake_channel_ids(self) -> list[str]:
        return _csv_list(self.intake_channels)

    @property
    def manager_ids(self) -> list[str]:
        return _csv_list(self.managers)

    @property
    def model_name(self) -> str:
        """The model actually in force: explicit setting, else OpenAI when a key is set."""
        if self.model:
            return self.model
        return "openai:gpt-4o-mini" if self.openai_api_key else "offline"

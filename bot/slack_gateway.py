"""The only module that calls the Slack Web API (besides Bolt's own auth.test).

Transient failures (dropped connections, 5xx, 429 with Retry-After) are retried inside
each call by slack_sdk's retry handlers. What still fails becomes a `DeliveryError`, which
leaves the work item that made the call pending, so the durable worker tries again later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator

from bot.pipeline import DeliveryError

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10


def retry_handlers(*, retries: int = 2, backoff_seconds: float = 0.5) -> list[RetryHandler]:
    """Retry network errors, 500/503 (backoff) and 429 (after Retry-After) `retries` times."""
    interval = BackoffRetryIntervalCalculator(backoff_factor=backoff_seconds)
    return [
        ConnectionErrorRetryHandler(max_retry_count=retries, interval_calculator=interval),
        ServerErrorRetryHandler(max_retry_count=retries, interval_calculator=interval),
        RateLimitErrorRetryHandler(max_retry_count=retries),
    ]


def build_web_client(
    token: str | None, base_url: str, *, backoff_seconds: float = 0.5
) -> WebClient:
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=TIMEOUT_SECONDS,
        retry_handlers=retry_handlers(backoff_seconds=backoff_seconds),
    )


class WebApiGateway:
    """Implements `bot.pipeline.SlackGateway` with a slack_sdk WebClient."""

    def __init__(self, client: WebClient):
        self.client = client

    def post_message(
        self,
        channel: str,
        text: str,
        *,
        blocks: list[dict] | None = None,
        thread_ts: str | None = None,
        broadcast: bool = False,
    ) -> tuple[str, str]:
        response = self._call(
            "chat_postMessage",
            channel=channel,
            text=text,
            blocks=blocks,
            thread_ts=thread_ts,
            reply_broadcast=broadcast or None,
            unfurl_links=False,
            unfurl_media=False,
        )
        return response["channel"], response["ts"]

    def update_message(
        self, channel: str, ts: str, text: str, *, blocks: list[dict] | None = None
    ) -> None:
        self._call("chat_update", channel=channel, ts=ts, text=text, blocks=blocks)

    def post_ephemeral(self, channel: str, user: str, text: str) -> None:
        self._call("chat_postEphemeral", channel=channel, user=user, text=text)

    def permalink(self, channel: str, ts: str) -> str:
        return self._call("chat_getPermalink", channel=channel, message_ts=ts)["permalink"]

    def add_reaction(self, channel: str, ts: str, name: str) -> None:
        self._call("reactions_add", channel=channel, timestamp=ts, name=name)

    def open_view(self, trigger_id: str, view: dict) -> None:
        self._call("views_open", trigger_id=trigger_id, view=view)

    def publish_home(self, user: str, view: dict) -> None:
        self._call("views_publish", user_id=user, view=view)

    def _call(self, method: str, **params) -> dict:
        """Call the WebClient method named `method` (e.g. chat_postMessage), dropping Nones."""
        params = {key: value for key, value in params.items() if value is not None}
        try:
            return getattr(self.client, method)(**params).data
        except SlackApiError as exc:
            error = exc.response.get("error") or f"HTTP {exc.response.status_code}"
            raise DeliveryError(method, error) from exc
        except (SlackClientError, OSError) as exc:  # URLError and timeouts are OSErrors
            raise DeliveryError(method, f"{type(exc).__name__}: {exc}") from exc


class BotIdentity:
    """Bolt's `authorize`: the bot token, plus who the bot is once Slack has said (auth.test).

    Bolt's default asks auth.test on the first request when the token was not verified at
    start; while Slack is down that request would be refused and the lead in it lost. Here a
    request never waits for Slack."""

    def __init__(self, client: WebClient):
        self.client = client
        self.auth: dict = {}

    def verify(self) -> None:
        """Ask Slack who the token belongs to; raises `DeliveryError` (e.g. invalid_auth)."""
        self.auth = WebApiGateway(self.client)._call("auth_test")

    def authorize(self) -> Callable[..., AuthorizeResult]:
        """The function Bolt calls on each request (Bolt passes arguments by their names)."""

        def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
            return AuthorizeResult(
                enterprise_id=enterprise_id,
                team_id=team_id or self.auth.get("team_id"),
                bot_token=self.client.token,
                bot_user_id=self.auth.get("user_id"),
                bot_id=self.auth.get("bot_id"),
            )

        return authorize

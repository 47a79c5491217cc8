"""The only module that calls the Slack Web API (besides Bolt's own auth.test).

Transient failures (dropped connections, 5xx, 429 with Retry-After) are retried inside
each call by slack_sdk's retry handlers, except for chat.postMessage: a post whose answer
was lost may be in Slack, so it is never repeated blindly; the caller looks first
(`bot.services.posting`). What still fails becomes a `DeliveryError`, which leaves the work
item that made the call pending, so the durable worker tries again later; a 429 on a post
becomes `RetryAfter`.
"""

from __future__ import annotations

import logging
import urllib.request
from collections.abc import Callable
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit

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

from bot.domain.lifecycle import is_slack_user_id
from bot.services.gateway import DeliveryError, FileRefused, RetryAfter

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
HISTORY_PAGE_SIZE = 200
HISTORY_MAX_PAGES = 10  # a lookup reads at most 2,000 messages
SLACK_FILE_HOST = "files.slack.com"


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
    """Implements `bot.services.gateway.SlackGateway` with a slack_sdk WebClient."""

    def __init__(self, client: WebClient):
        self.client = client
        # the same client without retries inside a call, for posts (see the module's doc)
        self.posting_client = WebClient(
            token=client.token,
            base_url=client.base_url,
            timeout=client.timeout,
            headers=client.headers,
            retry_handlers=[],
        )

    def post_message(
        self,
        channel: str,
        text: str,
        *,
        blocks: list[dict] | None = None,
        thread_ts: str | None = None,
        broadcast: bool = False,
        metadata: dict | None = None,
    ) -> tuple[str, str]:
        response = self._call(
            "chat_postMessage",
            client=self.posting_client,
            channel=channel,
            text=text,
            blocks=blocks,
            thread_ts=thread_ts,
            reply_broadcast=broadcast or None,
            metadata=metadata,
            unfurl_links=False,
            unfurl_media=False,
        )
        return response["channel"], response["ts"]

    def recent_messages(
        self, channel: str, *, oldest: str, thread_ts: str | None = None
    ) -> tuple[str, list[dict]]:
        if thread_ts is None and is_slack_user_id(channel):
            channel = self._call("conversations_open", users=channel)["channel"]["id"]
        method, where = (
            ("conversations_replies", {"ts": thread_ts})
            if thread_ts
            else ("conversations_history", {})
        )
        messages: list[dict] = []
        cursor = None
        for _ in range(HISTORY_MAX_PAGES):
            page = self._call(
                method,
                channel=channel,
                oldest=oldest,
                include_all_metadata=True,
                limit=HISTORY_PAGE_SIZE,
                cursor=cursor,
                **where,
            )
            messages += page.get("messages") or []
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not page.get("has_more") or not cursor:
                break
        return channel, messages

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

    def file_info(self, file_id: str) -> dict:
        return self._call("files_info", file=file_id)["file"]

    def user_name(self, user: str) -> str:
        member = self._call("users_info", user=user)["user"]
        profile = member.get("profile") or {}
        return (
            profile.get("display_name")
            or profile.get("real_name")
            or member.get("real_name")
            or member.get("name")
            or user
        )

    def user_email(self, user: str) -> str | None:
        member = self._call("users_info", user=user)["user"]
        return (member.get("profile") or {}).get("email") or None

    def publish_home(self, user: str, view: dict) -> None:
        self._call("views_publish", user_id=user, view=view)

    def usergroup_members(self, usergroup: str) -> list[str]:
        return list(self._call("usergroups_users_list", usergroup=usergroup).get("users") or [])

    def download_file(self, url: str, *, max_bytes: int, timeout: float) -> bytes:
        """A shared file's bytes (its url_private_download), fetched with the bot token. The
        token goes only to Slack's file host, or to the configured API host (a proxy, the
        tests' fake), and never follows a redirect."""
        target, api = urlsplit(url), urlsplit(self.client.base_url)
        allowed = {("https", SLACK_FILE_HOST), (api.scheme, api.hostname)}
        if (target.scheme, target.hostname) not in allowed:
            raise FileRefused("The file did not come from Slack's file service.")
        request = urllib.request.Request(
            url, headers={"Authorization": f"Bearer {self.client.token}"}
        )
        opener = urllib.request.build_opener(_RefuseRedirects)
        try:
            with opener.open(request, timeout=timeout) as response:
                content_type = response.headers.get_content_type()
                data = response.read(max_bytes + 1)
        except HTTPError as exc:
            if exc.code == 429 or exc.code >= 500:
                raise DeliveryError("files.download", f"HTTP {exc.code}") from exc
            raise FileRefused(f"Slack refused to hand over the file (HTTP {exc.code}).") from exc
        except (URLError, OSError) as exc:  # timeouts are OSErrors
            raise DeliveryError("files.download", f"{type(exc).__name__}: {exc}") from exc
        if content_type == "text/html":  # Slack's sign-in page: the token may not read files
            raise FileRefused(
                "Slack sent a web page instead of the file: the app needs the files:read scope."
            )
        if len(data) > max_bytes:
            raise FileRefused(f"The file is larger than {max_bytes / 1_000_000:g} MB.")
        return data

    def _call(self, method: str, *, client: WebClient | None = None, **params) -> dict:
        """Call the WebClient method named `method` (e.g. chat_postMessage), dropping Nones."""
        params = {key: value for key, value in params.items() if value is not None}
        try:
            return getattr(client or self.client, method)(**params).data
        except SlackApiError as exc:
            if exc.response.status_code == 429:
                raise RetryAfter(method, _retry_after(exc.response.headers)) from exc
            error = exc.response.get("error") or f"HTTP {exc.response.status_code}"
            raise DeliveryError(method, error) from exc
        except (SlackClientError, OSError) as exc:  # URLError and timeouts are OSErrors
            raise DeliveryError(method, f"{type(exc).__name__}: {exc}") from exc


def _retry_after(headers: dict) -> float:
    """Slack's Retry-After (seconds), 1 when missing or unreadable."""
    value = next((v for k, v in (headers or {}).items() if k.lower() == "retry-after"), None)
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return max(float(value), 0.0)
    except (TypeError, ValueError):
        return 1.0


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect becomes an HTTPError: the Authorization header must not follow it."""

    def redirect_request(self, req, fp, code, msg, headers, newurl) -> None:
        return None


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

    def own_ids(self) -> frozenset[str]:
        """The bot's own user, bot and app ids (auth.test, asked once): its posts are never
        leads. Raises `DeliveryError` while Slack cannot say, so the event is retried."""
        if not self.auth:
            self.verify()
        keys = ("user_id", "bot_id", "app_id")
        return frozenset(str(self.auth[key]) for key in keys if self.auth.get(key))

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

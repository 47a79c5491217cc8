"""What the services need from Slack, as an interface: `bot.slack.gateway.WebApiGateway`
implements it over the Web API, `tests/services` fakes it in memory."""

from __future__ import annotations

from typing import Protocol

# Slack's answers that no retry can change: the work that got one fails at once.
PERMANENT_ERRORS = frozenset(
    {
        "account_inactive",
        "channel_not_found",
        "invalid_auth",
        "invalid_blocks",
        "is_archived",
        "message_not_found",
        "missing_scope",
        "msg_too_long",
        "no_permission",
        "not_authed",
        "not_in_channel",
        "restricted_action",
        "team_access_not_granted",
        "token_revoked",
        "user_not_found",
    }
)


class DeliveryError(Exception):
    """Slack could not be reached or refused a call; the work that made it is retried,
    unless the refusal is `permanent`."""

    def __init__(self, method: str, error: str):
        super().__init__(f"{method}: {error}")
        self.method = method
        self.error = error

    @property
    def permanent(self) -> bool:
        return self.error in PERMANENT_ERRORS


class FileRefused(Exception):
    """A shared file that is not downloaded (not from Slack, too large, refused by Slack);
    trying again would not help. The message is a sentence for the person who shared it."""


class SlackGateway(Protocol):
    """Every method raises `DeliveryError` on failure."""

    def post_message(
        self,
        channel: str,
        text: str,
        *,
        blocks: list[dict] | None = None,
        thread_ts: str | None = None,
        broadcast: bool = False,
    ) -> tuple[str, str]:
        """Returns (channel id, ts) of the new message; `broadcast` also shows a thread
        reply in the channel."""

    def update_message(
        self, channel: str, ts: str, text: str, *, blocks: list[dict] | None = None
    ) -> None: ...

    def post_ephemeral(self, channel: str, user: str, text: str) -> None: ...

    def permalink(self, channel: str, ts: str) -> str: ...

    def add_reaction(self, channel: str, ts: str, name: str) -> None: ...

    def download_file(self, url: str, *, max_bytes: int, timeout: float) -> bytes:
        """A file shared in Slack. Raises `FileRefused` when it will not be fetched."""

    def open_view(self, trigger_id: str, view: dict) -> None: ...

    def publish_home(self, user: str, view: dict) -> None: ...

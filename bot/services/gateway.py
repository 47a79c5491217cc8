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


class RetryAfter(DeliveryError):
    """Not now: Slack rate limited the call (429), or the channel's pace says wait. The work
    is tried again after `seconds`; it is not a failure. `priority`, when set, is the work's
    priority from then on (a lead's tier, known once it is qualified: hot leads go first)."""

    def __init__(self, method: str, seconds: float, priority: int | None = None):
        super().__init__(method, f"retry after {seconds:.1f}s")
        self.seconds = seconds
        self.priority = priority


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
        metadata: dict | None = None,
    ) -> tuple[str, str]:
        """Returns (channel id, ts) of the new message; `broadcast` also shows a thread
        reply in the channel; `metadata` is Slack message metadata (event_type,
        event_payload). Raises `RetryAfter` on a 429. Never retried inside the call: a
        retry must first look whether the message is there (`recent_messages`)."""

    def recent_messages(
        self, channel: str, *, oldest: str, thread_ts: str | None = None
    ) -> tuple[str, list[dict]]:
        """(channel id, messages with their metadata) posted after `oldest` in `channel`
        (a user id: the DM with them) or in the thread `thread_ts`, a bounded number of
        pages."""

    def update_message(
        self, channel: str, ts: str, text: str, *, blocks: list[dict] | None = None
    ) -> None: ...

    def post_ephemeral(self, channel: str, user: str, text: str) -> None: ...

    def permalink(self, channel: str, ts: str) -> str: ...

    def add_reaction(self, channel: str, ts: str, name: str) -> None: ...

    def download_file(self, url: str, *, max_bytes: int, timeout: float) -> bytes:
        """A file shared in Slack. Raises `FileRefused` when it will not be fetched."""

    def file_info(self, file_id: str) -> dict:
        """files.info's `file`: completes a partial file object (`check_file_info`)."""

    def user_name(self, user: str) -> str:
        """How people know a member (display name, else real name) from users.info."""

    def user_email(self, user: str) -> str | None:
        """A member's e-mail from users.info (needs users:read.email), else None."""

    def usergroup_members(self, usergroup: str) -> list[str]:
        """The user ids in a Slack user group (usergroups.users.list)."""

    def open_view(self, trigger_id: str, view: dict) -> None: ...

    def publish_home(self, user: str, view: dict) -> None: ...

"""What the services need from Slack, as an interface: `bot.slack.gateway.WebApiGateway`
implements it over the Web API, `tests/services` fakes it in memory."""

from __future__ import annotations

from typing import Protocol


class DeliveryError(Exception):
    """Slack could not be reached or refused a call; the work that made it is retried."""

    def __init__(self, method: str, error: str):
        super().__init__(f"{method}: {error}")
        self.method = method
        self.error = error


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

    def file_info(self, file_id: str) -> dict:
        """files.info's `file`: completes a partial file object (`check_file_info`)."""

    def user_name(self, user: str) -> str:
        """How people know a member (display name, else real name) from users.info."""

    def usergroup_members(self, usergroup: str) -> list[str]:
        """The user ids in a Slack user group (usergroups.users.list)."""

    def open_view(self, trigger_id: str, view: dict) -> None: ...

    def publish_home(self, user: str, view: dict) -> None: ...

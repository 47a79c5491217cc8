"""The parts of Slack's payloads the listeners read, validated at the boundary.

A payload missing what a listener needs raises `pydantic.ValidationError`, which the app's
error handler answers with a 400 before anything is stored.
"""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.render import summary as blocks


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore")

    @classmethod
    def parse_or_none(cls, body: dict) -> Self | None:
        """For lazy listeners: a payload the ack already refused (400) is simply skipped."""
        try:
            return cls.model_validate(body)
        except ValidationError:
            return None


class _Ref(_Payload):
    id: str


class SharedFile(_Payload):
    """A file in a `file_share` message: what leadbot needs to fetch and read it."""

    id: str
    name: str = ""
    filetype: str = ""
    mimetype: str = ""
    size: int = 0
    url_private_download: str | None = None
    url_private: str | None = None

    @property
    def url(self) -> str:
        return self.url_private_download or self.url_private or ""


class MessageEvent(_Payload):
    channel: str
    ts: str
    user: str | None = None
    text: str = ""
    thread_ts: str | None = None
    subtype: str | None = None
    bot_id: str | None = None
    channel_type: str | None = None
    files: list[SharedFile] = Field(default_factory=list)

    @property
    def from_person(self) -> bool:
        """A person's new message: not a bot, not an edit, deletion or join notice."""
        return bool(self.user) and not self.bot_id and self.subtype in (None, "file_share")

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts


class _LeadButtonAction(_Payload):
    action_id: str
    value: int = Field(description="The lead id the button acts on.")


class _Container(_Payload):
    channel_id: str | None = None


class LeadButton(_Payload):
    """A click on Claim, Release or Disqualify on a lead summary."""

    user: _Ref
    trigger_id: str
    actions: list[_LeadButtonAction] = Field(min_length=1)
    container: _Container = Field(default_factory=_Container)
    channel: _Ref | None = None

    @property
    def lead_id(self) -> int:
        return self.actions[0].value

    @property
    def channel_id(self) -> str:
        return self.container.channel_id or (self.channel.id if self.channel else "")


class _ViewState(_Payload):
    values: dict[str, dict[str, dict]] = Field(default_factory=dict)


class _View(_Payload):
    id: str
    callback_id: str
    private_metadata: str = ""
    state: _ViewState


class ViewSubmission(_Payload):
    user: _Ref
    view: _View

    def value(self, block_id: str, action_id: str) -> str:
        return (self.view.state.values.get(block_id, {}).get(action_id) or {}).get("value") or ""


class DisqualifySubmission(ViewSubmission):
    lead_id: int

    @classmethod
    def parse(cls, body: dict) -> DisqualifySubmission:
        """The lead id travels in the modal's private_metadata."""
        view = body.get("view") if isinstance(body.get("view"), dict) else {}
        return cls.model_validate({**body, "lead_id": view.get("private_metadata")})

    @property
    def reason(self) -> str:
        return self.value(blocks.BLOCK_REASON, blocks.ACTION_REASON).strip()


class _ShortcutMessage(_Payload):
    ts: str
    text: str = ""


class MessageShortcut(_Payload):
    """The "Qualify as lead" message shortcut."""

    user: _Ref
    channel: _Ref
    message_ts: str
    message: _ShortcutMessage


class SlashCommand(_Payload):
    user_id: str
    channel_id: str
    trigger_id: str
    command: str
    text: str = ""

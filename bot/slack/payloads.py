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
    file_access: str | None = Field(
        default=None, description="`check_file_info`: a partial object; ask files.info."
    )

    @property
    def partial(self) -> bool:
        return self.file_access == "check_file_info" or not self.url

    @property
    def url(self) -> str:
        return self.url_private_download or self.url_private or ""


class AttachmentField(_Payload):
    title: str = ""
    value: str = ""


class Attachment(_Payload):
    """A legacy attachment, as HubSpot, Zapier and many form integrations still post."""

    fallback: str = ""
    pretext: str = ""
    title: str = ""
    text: str = ""
    fields: list[AttachmentField] = Field(default_factory=list)


class _BotProfile(_Payload):
    name: str = ""
    app_id: str | None = None


# Subtypes of a new message worth reading: a plain post, a file share, an integration's
# post, and a thread reply also sent to the channel.
NEW_MESSAGE_SUBTYPES = (None, "file_share", "bot_message", "thread_broadcast")


class _Edited(_Payload):
    user: str | None = None
    ts: str | None = None


class ChangedMessage(_Payload):
    """The message as it is now, inside a `message_changed` event."""

    ts: str
    user: str | None = None
    text: str = ""
    thread_ts: str | None = None
    bot_id: str | None = None
    attachments: list[Attachment] = Field(default_factory=list)
    blocks: list[dict] = Field(default_factory=list)
    edited: _Edited | None = None

    @property
    def editor(self) -> str | None:
        return (self.edited.user if self.edited else None) or self.user

    @property
    def edited_ts(self) -> str | None:
        return self.edited.ts if self.edited else None


class MessageEvent(_Payload):
    channel: str
    ts: str
    user: str | None = None
    text: str = ""
    thread_ts: str | None = None
    subtype: str | None = None
    bot_id: str | None = None
    app_id: str | None = None
    username: str | None = None
    bot_profile: _BotProfile | None = None
    channel_type: str | None = None
    files: list[SharedFile] = Field(default_factory=list)
    attachments: list[Attachment] = Field(default_factory=list)
    blocks: list[dict] = Field(default_factory=list)
    message: ChangedMessage | None = None  # message_changed
    deleted_ts: str | None = None  # message_deleted

    @property
    def from_person(self) -> bool:
        """A person's new message: not a bot, not an edit, deletion or join notice."""
        return (
            bool(self.user)
            and not self.bot_id
            and self.subtype in NEW_MESSAGE_SUBTYPES
            and self.subtype != "bot_message"
        )

    @property
    def from_bot(self) -> bool:
        """A new message an integration (or leadbot itself) posted."""
        return bool(self.bot_id) and self.subtype in NEW_MESSAGE_SUBTYPES

    @property
    def app(self) -> str | None:
        return self.app_id or (self.bot_profile.app_id if self.bot_profile else None)

    @property
    def bot_name(self) -> str:
        """Who posted it, as people know the integration ("HubSpot")."""
        name = (self.bot_profile.name if self.bot_profile else "") or self.username or ""
        return name or self.bot_id or "an integration"

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts

    @property
    def is_edit(self) -> bool:
        return self.subtype == "message_changed" and self.message is not None

    @property
    def is_deletion(self) -> bool:
        return self.subtype == "message_deleted" and self.deleted_ts is not None


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

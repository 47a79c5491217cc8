"""The "Qualify as lead" message shortcut: any message becomes a lead."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt import Ack, App

from bot import blocks
from bot.listeners.events import message_dedupe_key
from bot.listeners.payloads import MessageShortcut, plain_text
from bot.pipeline import SOURCE_SHORTCUT
from qualifiers.models import Lead

if TYPE_CHECKING:
    from bot.app import Services


def register(app: App, services: Services) -> None:
    leads = services.leads

    @app.shortcut(blocks.SHORTCUT_QUALIFY)
    def qualify_message(ack: Ack, body: dict) -> None:
        shortcut = MessageShortcut.model_validate(body)
        user, channel = shortcut.user.id, shortcut.channel.id
        text = plain_text(shortcut.message.text)
        if not text.strip():
            leads.tell(channel, user, "That message has no text to qualify.")
        else:
            stored, created = leads.receive(
                Lead(text=text, source=SOURCE_SHORTCUT, submitted_by=user),
                dedupe_key=message_dedupe_key(channel, shortcut.message_ts),
                intake_channel=channel,
                intake_ts=shortcut.message_ts,
            )
            if not created:
                leads.tell(channel, user, f"That message is already lead {stored.id}.")
        ack()

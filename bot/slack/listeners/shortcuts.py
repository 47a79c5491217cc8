"""The "Qualify as lead" message shortcut: any message becomes a lead."""

from __future__ import annotations

from slack_bolt import Ack, App

from bot.domain.lifecycle import LeadSource
from bot.intake.slack_messages import message_dedupe_key, message_lead
from bot.render import summary as blocks
from bot.services.container import Services
from bot.slack.payloads import MessageShortcut


def register(app: App, services: Services) -> None:
    receive, claims = services.receive, services.claims

    @app.shortcut(blocks.SHORTCUT_QUALIFY)
    def qualify_message(ack: Ack, body: dict) -> None:
        shortcut = MessageShortcut.model_validate(body)
        user, channel = shortcut.user.id, shortcut.channel.id
        lead = message_lead(
            shortcut.message.text, user, LeadSource.SLACK_SHORTCUT, shortcut.message.ts
        )
        if not lead.text.strip():
            claims.tell(channel, user, "That message has no text to qualify.")
        else:
            stored, created = receive.receive(
                lead,
                dedupe_key=message_dedupe_key(channel, shortcut.message_ts),
                intake_channel=channel,
                intake_ts=shortcut.message_ts,
            )
            if not created:
                claims.tell(channel, user, f"That message is already lead {stored.id}.")
        ack()

"""Events API: messages dropped in intake channels, and answers in a lead's thread."""

from __future__ import annotations

from slack_bolt import App

from bot.domain.lifecycle import LeadSource
from bot.intake.csv_drop import FileDrop
from bot.intake.slack_messages import message_dedupe_key, message_lead, plain_text
from bot.services.container import Services
from bot.slack.payloads import MessageEvent


def register(app: App, services: Services) -> None:
    intake_channels = frozenset(services.settings.intake_channel_ids)
    receive = services.receive

    @app.event("message")
    def on_message(event: dict) -> None:
        """Store the lead or the answer; Bolt acknowledges once this returns (the app runs
        with process_before_response), so nothing acknowledged is ever lost."""
        message = MessageEvent.model_validate(event)
        if not message.from_person:
            return
        if message.is_reply:
            stored = receive.lead_for_reply(
                message.channel, message.thread_ts, intake=message.channel in intake_channels
            )
            if stored is not None:
                receive.add_answer(
                    stored,
                    plain_text(message.text),
                    message.user,
                    dedupe_key=f"answer:{message.channel}:{message.ts}",
                )
            return
        if message.channel in intake_channels and message.files:
            # A file drop: each CSV's rows are leads; the message's text is only a comment.
            for file in message.files:
                receive.receive_file(
                    FileDrop(channel=message.channel, ts=message.ts, user=message.user, file=file)
                )
            return
        if message.channel in intake_channels and message.text.strip():
            receive.receive(
                message_lead(message.text, message.user, LeadSource.SLACK_MESSAGE),
                dedupe_key=message_dedupe_key(message.channel, message.ts),
                intake_channel=message.channel,
                intake_ts=message.ts,
            )

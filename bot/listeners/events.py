"""Events API: messages dropped in intake channels, and answers in a lead's thread."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from slack_bolt import App

from bot.csv_drop import FileDrop
from bot.listeners.payloads import MessageEvent, plain_text
from bot.pipeline import SOURCE_MESSAGE
from qualifiers.models import Lead

if TYPE_CHECKING:
    from bot.app import Services


def register(app: App, services: Services) -> None:
    intake_channels = frozenset(services.settings.intake_channel_ids)
    leads = services.leads
    csv_drops = services.csv_drops

    @app.event("message")
    def on_message(event: dict) -> None:
        """Store the lead or the answer; Bolt acknowledges once this returns (the app runs
        with process_before_response), so nothing acknowledged is ever lost."""
        message = MessageEvent.model_validate(event)
        if not message.from_person:
            return
        if message.is_reply:
            stored = leads.lead_for_reply(
                message.channel, message.thread_ts, intake=message.channel in intake_channels
            )
            if stored is not None:
                leads.add_answer(
                    stored,
                    plain_text(message.text),
                    message.user,
                    dedupe_key=f"answer:{message.channel}:{message.ts}",
                )
            return
        if message.channel in intake_channels and message.files:
            # A file drop: each CSV's rows are leads; the message's text is only a comment.
            for file in message.files:
                csv_drops.receive(
                    FileDrop(channel=message.channel, ts=message.ts, user=message.user, file=file)
                )
            return
        if message.channel in intake_channels and message.text.strip():
            leads.receive(
                Lead(
                    text=plain_text(message.text),
                    source=SOURCE_MESSAGE,
                    submitted_by=message.user,
                    received_at=slack_time(message.ts),
                ),
                dedupe_key=message_dedupe_key(message.channel, message.ts),
                intake_channel=message.channel,
                intake_ts=message.ts,
            )


def slack_time(ts: str) -> datetime | None:
    """A Slack message ts ('1767225600.000100') as the moment it was posted."""
    try:
        return datetime.fromtimestamp(float(ts), UTC)
    except (ValueError, OverflowError, OSError):
        return None


def message_dedupe_key(channel: str, ts: str) -> str:
    """One lead per Slack message, whether dropped, redelivered or shortcut later."""
    return f"slack:{channel}:{ts}"

"""Events API: messages dropped in intake channels (by people or integrations), and answers
in a lead's thread."""

from __future__ import annotations

from slack_bolt import App

from bot.domain.lifecycle import LeadSource, LeadStatus
from bot.intake.csv_drop import FileDrop, is_csv
from bot.intake.slack_messages import (
    integration_content,
    integration_lead,
    is_override,
    message_dedupe_key,
    message_lead,
    plain_text,
)
from bot.services.container import Services
from bot.slack.payloads import MessageEvent

ANY_BOT = "*"


def register(app: App, services: Services) -> None:
    intake_channels = frozenset(services.settings.intake_channel_ids)
    intake_bots = services.settings.intake_bot_ids
    receive = services.receive

    def from_intake_bot(message: MessageEvent) -> bool:
        """An integration's post in an intake channel that the settings make a lead; leadbot's
        own posts never are (auth.test, asked once, says which they are)."""
        if not (message.from_bot and message.channel in intake_channels and intake_bots):
            return False
        ids = {message.bot_id, message.app}
        if ANY_BOT not in intake_bots and not ids & intake_bots:
            return False
        return not ({*ids, message.user} & services.own_ids())

    @app.event("message")
    def on_message(event: dict) -> None:
        """Store the lead or the answer; Bolt acknowledges once this returns (the app runs
        with process_before_response), so nothing acknowledged is ever lost."""
        message = MessageEvent.model_validate(event)
        if message.is_edit:
            take_edit(message)
        elif message.is_deletion and message.channel in intake_channels:
            receive.withdraw(message.channel, message.deleted_ts)
        elif message.from_person:
            if message.is_reply:  # a thread broadcast too: it is a reply shown in the channel
                take_answer(message)
            elif message.channel in intake_channels:
                take_drop(message)
        elif from_intake_bot(message) and not message.is_reply:
            text, fields = integration_content(message.text, message.attachments, message.blocks)
            if text.strip() or fields:
                receive.receive(
                    integration_lead(text, fields, message.bot_name, message.ts),
                    dedupe_key=message_dedupe_key(message.channel, message.ts),
                    intake_channel=message.channel,
                    intake_ts=message.ts,
                )

    def take_edit(message: MessageEvent) -> None:
        """An edited intake message (a person's, or a listed integration's post)."""
        edited = message.message
        if message.channel not in intake_channels or edited.thread_ts not in (None, edited.ts):
            return
        if edited.bot_id:
            text, fields = integration_content(edited.text, edited.attachments, edited.blocks)
            lead = integration_lead(text, fields, edited.bot_id, edited.ts)
        else:
            lead = message_lead(edited.text, edited.user, LeadSource.SLACK_MESSAGE, edited.ts)
        receive.revise(
            message.channel,
            edited.ts,
            lead,
            edited.editor,
            edit_key=f"edit:{message.channel}:{edited.ts}:{edited.edited_ts or message.ts}",
        )

    def take_answer(message: MessageEvent) -> None:
        stored = receive.lead_for_reply(
            message.channel, message.thread_ts, intake=message.channel in intake_channels
        )
        if stored is None:
            return
        if is_override(message.text) and stored.status == LeadStatus.DISQUALIFIED:
            refusal = services.claims.override_knockout(stored.id, message.user)
            if refusal:
                services.claims.tell(message.channel, message.user, refusal)
            return
        receive.add_answer(
            stored,
            plain_text(message.text),
            message.user,
            dedupe_key=f"answer:{message.channel}:{message.ts}",
        )

    def take_drop(message: MessageEvent) -> None:
        """A message in an intake channel: its text is a lead, unless it shares CSV files
        (each row a lead, the text only a comment). Files whose type Slack left out (partial
        objects) are looked at by the worker."""
        has_text = bool(message.text.strip())
        csv_files = [file for file in message.files if not file.partial and is_csv(file)]
        text_is_lead = has_text and not csv_files
        for file in message.files:
            if text_is_lead and not file.partial:
                continue  # a screenshot or a PDF beside the lead's text
            receive.receive_file(
                FileDrop(
                    channel=message.channel,
                    ts=message.ts,
                    user=message.user,
                    file=file,
                    text_is_lead=text_is_lead,
                )
            )
        if text_is_lead:
            receive.receive(
                message_lead(message.text, message.user, LeadSource.SLACK_MESSAGE, message.ts),
                dedupe_key=message_dedupe_key(message.channel, message.ts),
                intake_channel=message.channel,
                intake_ts=message.ts,
            )

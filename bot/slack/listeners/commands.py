"""Slash commands: `/lead` opens the new-lead modal; `/leadbot` shows the rubric, stats, help."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App

from bot.render import summary as blocks
from bot.services.container import Services
from bot.services.gateway import DeliveryError
from bot.slack.payloads import SlashCommand

logger = logging.getLogger(__name__)

TRIGGER_ERRORS = frozenset({"expired_trigger_id", "invalid_trigger_id", "trigger_exchanged"})
LEAD_FORM_TOO_LATE = (
    "Sorry, Slack took too long to open the lead form. Please run `/lead` again, or post "
    "the lead as a message in an intake channel."
)


def register(app: App, services: Services) -> None:
    def acknowledge(ack: Ack, body: dict) -> None:
        SlashCommand.model_validate(body)
        ack()

    def open_lead_modal(body: dict) -> None:
        command = SlashCommand.parse_or_none(body)
        if command is None:
            return
        modal = blocks.lead_modal(services.rubrics.get(), channel=command.channel_id)
        try:
            services.gateway.open_view(command.trigger_id, modal)
        except DeliveryError as exc:
            if exc.error not in TRIGGER_ERRORS:
                logger.exception("could not open the /lead modal for %s", command.user_id)
                return
            # Slack gives 3 s to open a modal; a slow moment is the user's to retry, not a bug.
            logger.warning("the /lead modal came too late for %s: %s", command.user_id, exc)
            services.claims.tell(command.channel_id, command.user_id, LEAD_FORM_TOO_LATE)

    app.command("/lead")(ack=acknowledge, lazy=[open_lead_modal])

    @app.command("/leadbot")
    def leadbot(ack: Ack, body: dict) -> None:
        """`/leadbot rubric | stats | away | back | help`, answered ephemerally in the ack."""
        command = SlashCommand.model_validate(body)
        subcommand = (command.text.split() or [""])[0].lower()
        if subcommand in ("away", "back"):
            text = services.assignment.set_away(command.user_id, subcommand == "away")
            ack(response_type="ephemeral", text=text)
            return
        ack(response_type="ephemeral", **services.rubric_admin.leadbot_reply(command.text))

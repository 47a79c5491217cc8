"""Slash commands: `/lead` opens the new-lead modal; `/leadbot` shows the rubric, stats, help."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App

from bot.render import summary as blocks
from bot.services.container import Services
from bot.services.gateway import DeliveryError
from bot.slack.payloads import SlashCommand

logger = logging.getLogger(__name__)


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
        except DeliveryError:
            logger.exception("could not open the /lead modal for %s", command.user_id)

    app.command("/lead")(ack=acknowledge, lazy=[open_lead_modal])

    @app.command("/leadbot")
    def leadbot(ack: Ack, body: dict) -> None:
        """`/leadbot rubric | stats | help`, answered ephemerally in the ack."""
        command = SlashCommand.model_validate(body)
        ack(response_type="ephemeral", **services.rubric_admin.leadbot_reply(command.text))

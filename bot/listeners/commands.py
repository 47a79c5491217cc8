"""Slash commands: `/lead` opens the new-lead modal; `/leadbot` shows the rubric, stats, help."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_bolt import Ack, App

from bot import blocks
from bot.listeners import home
from bot.listeners.payloads import SlashCommand
from bot.pipeline import DeliveryError

if TYPE_CHECKING:
    from bot.app import Services

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
        ack(response_type="ephemeral", **home.leadbot_reply(services.leads, command.text))

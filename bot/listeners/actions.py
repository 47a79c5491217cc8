"""Buttons on a lead summary: Claim, Release, Disqualify."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_bolt import Ack, App

from bot import blocks
from bot.listeners.payloads import LeadButton
from bot.pipeline import DeliveryError

if TYPE_CHECKING:
    from bot.app import Services

logger = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    leads = services.leads

    @app.action(blocks.ACTION_CLAIM)
    def claim(ack: Ack, body: dict) -> None:
        click = LeadButton.model_validate(body)
        leads.claim(click.lead_id, click.user.id, click.channel_id)
        ack()

    @app.action(blocks.ACTION_RELEASE)
    def release(ack: Ack, body: dict) -> None:
        click = LeadButton.model_validate(body)
        leads.release(click.lead_id, click.user.id, click.channel_id)
        ack()

    def acknowledge_disqualify(ack: Ack, body: dict) -> None:
        LeadButton.model_validate(body)
        ack()

    def open_disqualify_modal(body: dict) -> None:
        """After the ack: ask for the reason, or say why this rep may not disqualify."""
        click = LeadButton.parse_or_none(body)
        if click is None:
            return
        refusal = leads.disqualify_refusal(click.lead_id, click.user.id)
        if refusal:
            leads.tell(click.channel_id, click.user.id, refusal)
            return
        try:
            services.gateway.open_view(click.trigger_id, blocks.disqualify_modal(click.lead_id))
        except DeliveryError:
            logger.exception("could not open the disqualify modal for lead %s", click.lead_id)

    app.action(blocks.ACTION_DISQUALIFY)(ack=acknowledge_disqualify, lazy=[open_disqualify_modal])

"""Buttons on a lead summary (Claim, Release, Disqualify, Won / Lost / No response) and in
the marketer's thread (Not a knockout, Qualify as lead)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import Ack, App

from bot.domain.lifecycle import Outcome
from bot.render import summary as blocks
from bot.services.container import Services
from bot.services.gateway import DeliveryError
from bot.slack.payloads import LeadButton

logger = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    claims = services.claims

    @app.action(blocks.ACTION_CLAIM)
    def claim(ack: Ack, body: dict) -> None:
        click = LeadButton.model_validate(body)
        claims.claim(click.lead_id, click.user.id, click.channel_id)
        ack()

    @app.action(blocks.ACTION_RELEASE)
    def release(ack: Ack, body: dict) -> None:
        click = LeadButton.model_validate(body)
        claims.release(click.lead_id, click.user.id, click.channel_id)
        ack()

    def outcome_button(outcome: Outcome) -> None:
        @app.action(blocks.ACTION_OUTCOMES[outcome])
        def record(ack: Ack, body: dict) -> None:
            click = LeadButton.model_validate(body)
            services.outcomes.record(click.lead_id, click.user.id, outcome, click.channel_id)
            ack()

    for outcome in Outcome:  # Won / Lost / No response, by the claimer or a manager
        outcome_button(outcome)

    def acknowledge_disqualify(ack: Ack, body: dict) -> None:
        LeadButton.model_validate(body)
        ack()

    def open_disqualify_modal(body: dict) -> None:
        """After the ack: ask for the reason, or say why this rep may not disqualify."""
        click = LeadButton.parse_or_none(body)
        if click is None:
            return
        refusal = claims.disqualify_refusal(click.lead_id, click.user.id)
        if refusal:
            claims.tell(click.channel_id, click.user.id, refusal)
            return
        try:
            services.gateway.open_view(click.trigger_id, blocks.disqualify_modal(click.lead_id))
        except DeliveryError:
            logger.exception("could not open the disqualify modal for lead %s", click.lead_id)

    app.action(blocks.ACTION_DISQUALIFY)(ack=acknowledge_disqualify, lazy=[open_disqualify_modal])

    def thread_button(action_id: str, act: Callable[[int, str], str | None]) -> None:
        """A button in the marketer's thread: act on the lead, or say why not."""

        def handle(ack: Ack, body: dict) -> None:
            click = LeadButton.model_validate(body)
            refusal = act(click.lead_id, click.user.id)
            if refusal:
                claims.tell(click.channel_id, click.user.id, refusal)
            ack()

        app.action(action_id)(handle)

    # The submitter or a manager says the rubric's knockout is wrong.
    thread_button(blocks.ACTION_NOT_KNOCKOUT, claims.override_knockout)
    # A message that did not read like a lead is one after all.
    thread_button(blocks.ACTION_CONFIRM_LEAD, claims.confirm_lead)

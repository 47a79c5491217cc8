"""Modal submissions: a new lead from `/lead`, a rep's reason to disqualify."""

from __future__ import annotations

from slack_bolt import Ack, App

from bot.intake.slack_messages import modal_lead
from bot.render import summary as blocks
from bot.services.container import Services
from bot.slack.payloads import DisqualifySubmission, ViewSubmission

NOTES_FIELD = "Notes"


def register(app: App, services: Services) -> None:
    receive, claims = services.receive, services.claims

    @app.view(blocks.CALLBACK_LEAD_MODAL)
    def submit_lead(ack: Ack, body: dict) -> None:
        submission = ViewSubmission.model_validate(body)
        fields = blocks.modal_fields(submission.view.state.values)
        notes = fields.pop(NOTES_FIELD, "")
        if not fields and not notes:
            ack(response_action="errors", errors={NOTES_FIELD: "Tell us something about the lead."})
            return
        receive.receive(
            modal_lead(fields, notes, submission.user.id),
            dedupe_key=f"slack_view:{submission.view.id}",
        )
        ack()

    @app.view(blocks.CALLBACK_DISQUALIFY_MODAL)
    def submit_disqualify(ack: Ack, body: dict) -> None:
        submission = DisqualifySubmission.parse(body)
        if not submission.reason:
            ack(response_action="errors", errors={blocks.BLOCK_REASON: "Give a reason."})
            return
        refusal = claims.disqualify(submission.lead_id, submission.user.id, submission.reason)
        if refusal:
            ack(response_action="errors", errors={blocks.BLOCK_REASON: refusal})
            return
        ack()

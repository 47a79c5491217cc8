"""App Home and the rubric modals: parse, call `RubricAdminService`, answer.

The app processes before responding, so anything that calls Slack (publishing the Home
tab, opening a modal) runs as a lazy listener after the ack; modal submissions answer in
the ack itself.
"""

from __future__ import annotations

from pydantic import BaseModel
from slack_bolt import App

from bot.render import home as home_blocks
from bot.services.container import Services
from bot.services.rubric_admin import SubmissionError
from bot.slack.payloads import ViewSubmission


class _User(BaseModel):
    id: str


class HomeOpened(BaseModel):
    user: str
    tab: str = "home"


class HomeButton(BaseModel):
    """A click on Reload, Replace or Tune rubric in App Home."""

    user: _User
    trigger_id: str


def register(app: App, services: Services) -> None:
    admin = services.rubric_admin

    def acknowledge(ack) -> None:
        ack()

    def acknowledge_button(ack, body: dict) -> None:
        HomeButton.model_validate(body)
        ack()

    def home_opened(event: dict) -> None:
        opened = HomeOpened.model_validate(event)
        if opened.tab == "home":
            admin.publish_home(opened.user)

    def reload(body: dict) -> None:
        admin.reload(HomeButton.model_validate(body).user.id)

    def open_replace(body: dict) -> None:
        click = HomeButton.model_validate(body)
        admin.open_replace(click.user.id, click.trigger_id)

    def open_tune(body: dict) -> None:
        click = HomeButton.model_validate(body)
        admin.open_tune(click.user.id, click.trigger_id)

    def reviewing(review_submission):
        def review(ack, body: dict) -> None:
            """Problems show under the input; otherwise the modal becomes the confirmation."""
            submission = ViewSubmission.model_validate(body)
            try:
                modal = review_submission(submission.user.id, submission.view.state.values)
            except SubmissionError as exc:
                ack(response_action="errors", errors={exc.block_id: exc.message})
                return
            ack(response_action="update", view=modal)

        return review

    def confirm(ack, body: dict) -> None:
        submission = ViewSubmission.model_validate(body)
        result = admin.confirm(submission.user.id, submission.view.private_metadata)
        ack(response_action="update", view=home_blocks.message_modal(result.title, result.text))

    def refresh_home(body: dict) -> None:
        """After a confirmation: the manager's Home shows the rubric now in force."""
        admin.publish_home(ViewSubmission.model_validate(body).user.id)

    app.event("app_home_opened")(ack=acknowledge, lazy=[home_opened])
    app.action(home_blocks.ACTION_RUBRIC_RELOAD)(ack=acknowledge_button, lazy=[reload])
    app.action(home_blocks.ACTION_RUBRIC_REPLACE)(ack=acknowledge_button, lazy=[open_replace])
    app.action(home_blocks.ACTION_RUBRIC_TUNE)(ack=acknowledge_button, lazy=[open_tune])
    app.view(home_blocks.CALLBACK_RUBRIC_REPLACE)(reviewing(admin.review))
    app.view(home_blocks.CALLBACK_RUBRIC_TUNE)(reviewing(admin.review_tuning))
    app.view(home_blocks.CALLBACK_RUBRIC_CONFIRM)(ack=confirm, lazy=[refresh_home])

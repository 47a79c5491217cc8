"""App Home: the rubric in force and the funnel for everyone; reload and replace for managers.

Replacing the rubric takes two modals: the manager pastes or uploads YAML, sees what
changes (a diff and a back-test on stored leads), and only the confirmation applies it,
writing the file, recording an audit entry and putting it in force for the running app.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from pydantic import BaseModel
from slack_bolt import App
from sqlalchemy.exc import SQLAlchemyError

from bot import home_blocks
from bot.blocks import escape, truncate
from bot.listeners.payloads import ViewSubmission
from bot.pipeline import DeliveryError, FileRefused, LeadPipeline, SlackGateway
from bot.rubric_changes import (
    RubricDraft,
    RubricDrafts,
    rubric_changes_summary,
    tier_shift,
    yaml_diff,
)
from bot.store.rubric_audit import record_rubric_change
from bot.store.stats import funnel_stats
from qualifiers.extract.offline import OfflineExtractor
from qualifiers.qualifier import Qualifier
from qualifiers.rubric import (
    MAX_RUBRIC_BYTES,
    Rubric,
    RubricError,
    RubricIssue,
    parse_rubric,
)

if TYPE_CHECKING:
    from bot.app import Services

logger = logging.getLogger(__name__)

PREVIEW_LEADS = 500
PREVIEW_SECONDS = 1.2
DOWNLOAD_TIMEOUT_SECONDS = 1.0
MAX_ERROR_TEXT = 1500


class SubmissionError(Exception):
    """A problem with what the manager submitted, shown under the modal's input."""

    def __init__(self, block_id: str, message: str):
        super().__init__(message)
        self.block_id = block_id
        self.message = message


class _User(BaseModel):
    id: str


class HomeOpened(BaseModel):
    user: str
    tab: str = "home"


class HomeButton(BaseModel):
    """A click on Reload rubric or Replace rubric in App Home."""

    user: _User
    trigger_id: str


class HomeListeners:
    """The App Home surface. The app processes before responding, so anything that calls
    Slack runs as a lazy listener after the ack; modal submissions answer in the ack."""

    def __init__(self, pipeline: LeadPipeline, preview_qualifier: Qualifier):
        self.pipeline = pipeline
        self.preview_qualifier = preview_qualifier
        self.drafts = RubricDrafts()

    # --- App Home ------------------------------------------------------------------------------

    def home_opened(self, event: dict) -> None:
        opened = HomeOpened.model_validate(event)
        if opened.tab == "home":
            self.publish(opened.user)

    def publish(self, user: str, notice: str | None = None) -> None:
        view = home_blocks.home_view(
            self.pipeline.rubrics.get(),
            funnel_stats(self.pipeline.store),
            is_manager=self.pipeline.is_manager(user),
            default_channel=self.pipeline.sales_channel,
            notice=notice,
        )
        try:
            self.pipeline.gateway.publish_home(user, view)
        except DeliveryError:
            logger.exception("could not publish App Home for %s", user)

    def acknowledge_button(self, ack, body: dict) -> None:
        HomeButton.model_validate(body)
        ack()

    def reload(self, body: dict) -> None:
        """Re-read the rubric file; a broken file is reported and the old rubric stays."""
        user = HomeButton.model_validate(body).user.id
        if not self.pipeline.is_manager(user):
            self.publish(user, "🚫 Only managers can reload the rubric.")
            return
        try:
            old, new = self.pipeline.rubrics.reload(self.check_routing)
        except RubricError as exc:
            issues = [str(issue) for issue in exc.issues]
            notice = home_blocks.issues_notice(
                "Rubric not reloaded: the file has problems. The rubric in force is unchanged.",
                issues,
            )
            self.publish(user, notice)
            return
        notice = home_blocks.reload_notice(old, new)
        if old.version != new.version:
            try:
                record_rubric_change(
                    self.pipeline.store,
                    actor=user,
                    old_version=old.version,
                    new_version=new.version,
                    rubric_yaml=self.pipeline.rubrics.text(),
                    apply=lambda: None,
                )
            except SQLAlchemyError:
                logger.exception("rubric %s reloaded but its audit entry failed", new.version)
                notice += " (The audit entry could not be written; see the logs.)"
        self.publish(user, notice)

    # --- replacing the rubric ------------------------------------------------------------------

    def open_replace(self, body: dict) -> None:
        click = HomeButton.model_validate(body)
        if not self.pipeline.is_manager(click.user.id):
            self.publish(click.user.id, "🚫 Only managers can replace the rubric.")
            return
        modal = home_blocks.replace_rubric_modal(self.pipeline.rubrics.get())
        try:
            self.pipeline.gateway.open_view(click.trigger_id, modal)
        except DeliveryError:
            logger.exception("could not open the replace-rubric modal for %s", click.user.id)

    def review(self, ack, body: dict) -> None:
        """Validate the new rubric; show problems inline, else the diff and back-test."""
        submission = ViewSubmission.model_validate(body)
        user = submission.user.id
        if not self.pipeline.is_manager(user):
            ack(
                response_action="errors",
                errors={home_blocks.BLOCK_RUBRIC_YAML: "Only managers can replace the rubric."},
            )
            return
        old = self.pipeline.rubrics.get()
        try:
            text, name = submitted_rubric_text(submission.view.state.values, self.pipeline.gateway)
            new = self._validate(text, name, old)
        except SubmissionError as exc:
            ack(response_action="errors", errors={exc.block_id: exc.message})
            return
        token = self.drafts.add(
            RubricDraft(user=user, text=text, rubric=new, base_version=old.version)
        )
        leads = [stored.lead for stored in self.pipeline.store.recent_leads(PREVIEW_LEADS)]
        shift = tier_shift(
            leads, old, new, self.preview_qualifier, time_budget_seconds=PREVIEW_SECONDS
        )
        modal = home_blocks.confirm_rubric_modal(
            draft_token=token,
            old=old,
            new=new,
            changes=rubric_changes_summary(old, new),
            yaml_diff=yaml_diff(self.pipeline.rubrics.text(), text),
            backtest=home_blocks.backtest_text(shift, requested=len(leads)),
        )
        ack(response_action="update", view=modal)

    def _validate(self, text: str, name: str, old: Rubric) -> Rubric:
        block = home_blocks.BLOCK_RUBRIC_YAML
        try:
            new = parse_rubric(text, name)
            self.check_routing(new, name)
        except RubricError as exc:
            raise SubmissionError(block, _issues_text(exc)) from None
        if new.version == old.version:
            raise SubmissionError(block, f"This is the rubric already in force ({old.version}).")
        return new

    def check_routing(self, rubric: Rubric, file: str) -> None:
        """A rubric goes in force only if every tier has a channel to post to."""
        unrouted = [tier.id for tier in rubric.tiers if not tier.channel]
        if unrouted and not self.pipeline.sales_channel:
            message = (
                f"tiers {', '.join(unrouted)} name no channel and LEADBOT_SALES_CHANNEL is not "
                "set: add `channel:` to them"
            )
            raise RubricError([RubricIssue(file, None, "tiers", message)])

    def confirm(self, ack, body: dict) -> None:
        """Apply the reviewed draft: write the file, audit, put it in force."""
        submission = ViewSubmission.model_validate(body)
        user = submission.user.id
        if not self.pipeline.is_manager(user):
            _show(ack, "Not allowed", "Only managers can replace the rubric.")
            return
        draft = self.drafts.take(submission.view.private_metadata, user)
        if draft is None:
            _show(
                ack,
                "Review expired",
                "This review expired or was already applied. Nothing changed: start again "
                "with *Replace rubric* in the Home tab.",
            )
            return
        rubrics = self.pipeline.rubrics
        if rubrics.get().version != draft.base_version:
            _show(
                ack,
                "Rubric changed",
                "Someone changed the rubric while you were reviewing. Nothing changed: start "
                "again to see the diff against the rubric now in force.",
            )
            return
        try:
            record_rubric_change(
                self.pipeline.store,
                actor=user,
                old_version=draft.base_version,
                new_version=draft.rubric.version,
                rubric_yaml=draft.text,
                apply=lambda: rubrics.replace(draft.text, self.check_routing),
            )
        except OSError as exc:
            logger.exception("could not write the rubric file %s", rubrics.path)
            _show(
                ack,
                "Not applied",
                f"Could not write the rubric file `{rubrics.path}` ({exc.strerror or exc}). "
                "Nothing changed.",
            )
            return
        _show(
            ack,
            "Rubric applied",
            f"✅ Rubric version `{draft.base_version}` → `{draft.rubric.version}` is in force. "
            "New leads are qualified with it; stored qualifications keep their version.",
        )

    def refresh_home(self, body: dict) -> None:
        """After a confirmation: the manager's Home shows the rubric now in force."""
        self.publish(ViewSubmission.model_validate(body).user.id)


def submitted_rubric_text(values: dict, gateway: SlackGateway) -> tuple[str, str]:
    """(YAML text, name for error messages) from the paste box or the uploaded file."""
    pasted = (
        values.get(home_blocks.BLOCK_RUBRIC_YAML, {}).get(home_blocks.ACTION_RUBRIC_YAML) or {}
    ).get("value") or ""
    files = (
        values.get(home_blocks.BLOCK_RUBRIC_FILE, {}).get(home_blocks.ACTION_RUBRIC_FILE) or {}
    ).get("files") or []
    if pasted.strip() and files:
        raise SubmissionError(
            home_blocks.BLOCK_RUBRIC_FILE, "Paste YAML or upload a file, not both."
        )
    if files:
        file = files[0]
        return _download(file, gateway), file.get("name") or "uploaded rubric"
    if not pasted.strip():
        raise SubmissionError(
            home_blocks.BLOCK_RUBRIC_YAML, "Paste the rubric YAML here, or upload a file below."
        )
    return pasted, "pasted rubric"


def _download(file: dict, gateway: SlackGateway) -> str:
    """An uploaded file's text, fetched from Slack while the modal waits (hence the short
    timeout)."""
    block = home_blocks.BLOCK_RUBRIC_FILE
    url = file.get("url_private_download") or file.get("url_private") or ""
    if int(file.get("size") or 0) > MAX_RUBRIC_BYTES:
        raise SubmissionError(block, "The file is too large for a rubric (max 1 MB).")
    try:
        raw = gateway.download_file(
            url, max_bytes=MAX_RUBRIC_BYTES, timeout=DOWNLOAD_TIMEOUT_SECONDS
        )
    except FileRefused as exc:
        raise SubmissionError(block, str(exc)) from None
    except DeliveryError as exc:
        logger.warning("could not download rubric upload %s: %s", file.get("id"), exc)
        raise SubmissionError(block, "Could not download the file from Slack; try again.") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SubmissionError(block, "Expected a UTF-8 YAML text file.") from None


def _issues_text(error: RubricError) -> str:
    """Every problem with its file:line, as many as fit under the input."""
    lines = [truncate(str(issue), 300) for issue in error.issues]
    shown: list[str] = []
    for line in lines:
        if sum(len(kept) + 1 for kept in shown) + len(line) > MAX_ERROR_TEXT:
            break
        shown.append(line)
    if len(shown) < len(lines):
        shown.append(f"…and {len(lines) - len(shown)} more problems")
    return "\n".join(shown)


def leadbot_reply(pipeline: LeadPipeline, text: str) -> dict:
    """The ephemeral answer to `/leadbot rubric | stats | help`: text and maybe blocks."""
    subcommand = (text.split() or ["help"])[0].lower()
    if subcommand == "rubric":
        return home_blocks.rubric_summary_message(pipeline.rubrics.get(), pipeline.sales_channel)
    if subcommand == "stats":
        return home_blocks.stats_message(funnel_stats(pipeline.store))
    if subcommand == "help":
        return {"text": home_blocks.HELP_TEXT}
    unknown = escape(truncate(subcommand, 40))
    return {"text": f"I don't know `{unknown}`.\n\n{home_blocks.HELP_TEXT}"}


def _show(ack, title: str, text: str) -> None:
    """Answer a modal submission by turning the modal into a message."""
    ack(response_action="update", view=home_blocks.message_modal(title, text))


def register(app: App, services: Services) -> HomeListeners:
    home = HomeListeners(services.leads, Qualifier(OfflineExtractor()))

    def acknowledge(ack) -> None:
        ack()

    app.event("app_home_opened")(ack=acknowledge, lazy=[home.home_opened])
    app.action(home_blocks.ACTION_RUBRIC_RELOAD)(ack=home.acknowledge_button, lazy=[home.reload])
    app.action(home_blocks.ACTION_RUBRIC_REPLACE)(
        ack=home.acknowledge_button, lazy=[home.open_replace]
    )
    app.view(home_blocks.CALLBACK_RUBRIC_REPLACE)(home.review)
    app.view(home_blocks.CALLBACK_RUBRIC_CONFIRM)(ack=home.confirm, lazy=[home.refresh_home])
    return home

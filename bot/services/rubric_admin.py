"""Rubric administration from Slack: App Home for everyone; reload and replace for managers.

Replacing the rubric takes two modals: the manager pastes or uploads YAML (or tunes it in a
form), sees what changes (a diff, the tier moves of stored leads and, once leads have
outcomes, how the rubric in force and the draft rank them), and only the confirmation applies it:
the file is written and the rubric put in force, then the audit entry is recorded.
The listeners in `bot.slack.listeners.home` parse Slack's payloads and answer; the
decisions are made here, with the manager check in one place (`Managers`).
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from bot.domain.lifecycle import Outcome, unrouted_tiers
from bot.domain.permissions import Managers
from bot.render import home as render
from bot.render.kit import escape, truncate
from bot.services.gateway import DeliveryError, FileRefused, SlackGateway
from bot.services.rubric_changes import (
    RubricDraft,
    RubricDrafts,
    outcome_backtest,
    rubric_changes_summary,
    tier_shift,
    yaml_diff,
)
from bot.services.rubric_holder import RubricHolder
from bot.services.rubric_tuning import TierEdit, TuningError, points_text, tuned_rubric, tuned_yaml
from bot.store.stats import MIN_OUTCOMES_TO_RANK, funnel_stats, rubric_ranking
from bot.store.unit_of_work import UnitOfWork
from bot.store.work_queue import WorkQueue
from qualifiers.qualifier import Qualifier
from qualifiers.rubric import MAX_RUBRIC_BYTES, Rubric, RubricError, RubricIssue, parse_rubric

logger = logging.getLogger(__name__)

PREVIEW_LEADS = 500
PREVIEW_SECONDS = 1.2
DOWNLOAD_TIMEOUT_SECONDS = 1.0
MAX_ERROR_TEXT = 1500
RELOAD = "reload the rubric"
REPLACE = "replace the rubric"


class SubmissionError(Exception):
    """A problem with what the manager submitted, shown under the modal's input."""

    def __init__(self, block_id: str, message: str):
        super().__init__(message)
        self.block_id = block_id
        self.message = message


@dataclass(frozen=True)
class ModalMessage:
    """What a modal turns into after a confirmation: a title and a sentence."""

    title: str
    text: str


class RubricAdminService:
    def __init__(
        self,
        uow: UnitOfWork,
        gateway: SlackGateway,
        rubrics: RubricHolder,
        managers: Managers,
        preview_qualifier: Qualifier,
        *,
        sales_channel: str | None,
    ):
        self.uow = uow
        self.gateway = gateway
        self.rubrics = rubrics
        self.managers = managers
        self.preview_qualifier = preview_qualifier
        self.sales_channel = sales_channel
        self.drafts = RubricDrafts()

    # --- App Home ------------------------------------------------------------------------------

    def publish_home(self, user: str, notice: str | None = None) -> None:
        rubric = self.rubrics.get()
        is_manager = user in self.managers
        view = render.home_view(
            rubric,
            funnel_stats(self.uow.database),
            is_manager=is_manager,
            default_channel=self.sales_channel,
            notice=notice,
            ranking=rubric_ranking(self.uow.database, rubric),
            failed_work=WorkQueue(self.uow.database).failed() if is_manager else (0, []),
        )
        try:
            self.gateway.publish_home(user, view)
        except DeliveryError:
            logger.exception("could not publish App Home for %s", user)

    def reload(self, user: str) -> None:
        """Re-read the rubric file; a broken file is reported and the old rubric stays."""
        refusal = self.managers.refusal(user, RELOAD)
        if refusal:
            self.publish_home(user, f"🚫 {refusal}")
            return
        try:
            old, new = self.rubrics.reload(self.check_routing)
        except RubricError as exc:
            notice = render.issues_notice(
                "Rubric not reloaded: the file has problems. The rubric in force is unchanged.",
                [str(issue) for issue in exc.issues],
            )
            self.publish_home(user, notice)
            return
        notice = render.reload_notice(old, new)
        if old.version != new.version and not self._audit(
            user, old.version, new.version, self.rubrics.text()
        ):
            notice += " (The audit entry could not be written; see the logs.)"
        self.publish_home(user, notice)

    # --- replacing the rubric ------------------------------------------------------------------

    def open_replace(self, user: str, trigger_id: str) -> None:
        refusal = self.managers.refusal(user, REPLACE)
        if refusal:
            self.publish_home(user, f"🚫 {refusal}")
            return
        try:
            self.gateway.open_view(trigger_id, render.replace_rubric_modal(self.rubrics.get()))
        except DeliveryError:
            logger.exception("could not open the replace-rubric modal for %s", user)

    def review(self, user: str, values: dict) -> dict:
        """Validate the new rubric; the confirmation modal with the diff and the back-test.
        Raises `SubmissionError` for anything to show under the input instead."""
        refusal = self.managers.refusal(user, REPLACE)
        if refusal:
            raise SubmissionError(render.BLOCK_RUBRIC_YAML, refusal)
        old = self.rubrics.get()
        text, name = submitted_rubric_text(values, self.gateway)
        new = self._validate(text, name, old)
        return self._confirmation(user, old, new, text, yaml_diff(self.rubrics.text(), text))

    # --- tuning without YAML -------------------------------------------------------------------

    def open_tune(self, user: str, trigger_id: str) -> None:
        refusal = self.managers.refusal(user, REPLACE)
        if refusal:
            self.publish_home(user, f"🚫 {refusal}")
            return
        rubric = self.rubrics.get()
        points = {criterion.id: points_text(criterion) for criterion in rubric.criteria}
        try:
            self.gateway.open_view(trigger_id, render.tune_rubric_modal(rubric, points))
        except DeliveryError:
            logger.exception("could not open the tune-rubric modal for %s", user)

    def review_tuning(self, user: str, values: dict) -> dict:
        """The tuned rubric's confirmation modal (the same review, draft and audit as a
        replacement); `SubmissionError` names the field whose edit cannot be used. The file
        written is the rubric as YAML (its comments are not kept); the diff compares the
        rubric in force and the tuned one written the same way."""
        old = self.rubrics.get()
        first_block = render.BLOCK_TUNE_POINTS + old.criteria[0].id
        refusal = self.managers.refusal(user, REPLACE)
        if refusal:
            raise SubmissionError(first_block, refusal)
        points = {c.id: _field(values, render.BLOCK_TUNE_POINTS + c.id) for c in old.criteria}
        tiers = {
            t.id: TierEdit(
                **{
                    name: _field(values, f"{render.BLOCK_TUNE_TIER}{t.id}:{name}")
                    for name in render.TIER_FIELDS
                }
            )
            for t in old.tiers
        }
        try:
            text = tuned_yaml(tuned_rubric(old, points, tiers))
        except TuningError as exc:
            raise SubmissionError(_tuning_block(exc.key), exc.message) from None
        try:
            new = parse_rubric(text, "tuned rubric")
            self.check_routing(new, "tuned rubric")
        except RubricError as exc:
            issue = exc.issues[0]
            raise SubmissionError(_issue_block(old, issue.path), issue.message) from None
        if new.version == old.version:
            raise SubmissionError(first_block, "Nothing changed: this is the rubric in force.")
        return self._confirmation(user, old, new, text, yaml_diff(tuned_yaml(old), text))

    def _confirmation(self, user: str, old: Rubric, new: Rubric, text: str, diff: str) -> dict:
        """Hold the draft; the modal with what changes and the back-test on stored leads."""
        token = self.drafts.add(
            RubricDraft(user=user, text=text, rubric=new, base_version=old.version)
        )
        with self.uow as tx:
            leads = [stored.lead for stored in tx.leads.recent_leads(PREVIEW_LEADS)]
            outcomes = tx.leads.latest_outcomes()
            judged = tx.leads.leads_by_ids(sorted(outcomes, reverse=True)[:PREVIEW_LEADS])
        started = time.monotonic()
        on_outcomes = None
        if judged:  # half the time for the outcomes, the rest for the tier moves
            on_outcomes = outcome_backtest(
                [stored.lead for stored in judged],
                [outcomes[stored.id].outcome == Outcome.WON for stored in judged],
                old,
                new,
                self.preview_qualifier,
                needed=MIN_OUTCOMES_TO_RANK,
                deadline=started + PREVIEW_SECONDS / 2,
            )
        deadline = started + PREVIEW_SECONDS
        shift = tier_shift(leads, old, new, self.preview_qualifier, deadline=deadline)
        return render.confirm_rubric_modal(
            draft_token=token,
            old=old,
            new=new,
            changes=rubric_changes_summary(old, new),
            yaml_diff=diff,
            backtest=render.backtest_text(shift, requested=len(leads)),
            outcomes=render.outcome_backtest_text(on_outcomes) if on_outcomes else None,
        )

    def confirm(self, user: str, token: str) -> ModalMessage:
        """Apply the reviewed draft: write the file, put it in force, audit."""
        refusal = self.managers.refusal(user, REPLACE)
        if refusal:
            return ModalMessage("Not allowed", refusal)
        draft = self.drafts.take(token, user)
        if draft is None:
            return ModalMessage(
                "Review expired",
                "This review expired or was already applied. Nothing changed: start again "
                "with *Replace rubric* in the Home tab.",
            )
        if self.rubrics.get().version != draft.base_version:
            return ModalMessage(
                "Rubric changed",
                "Someone changed the rubric while you were reviewing. Nothing changed: start "
                "again to see the diff against the rubric now in force.",
            )
        try:
            self.rubrics.replace(draft.text, self.check_routing)
        except OSError as exc:
            logger.exception("could not write the rubric file %s", self.rubrics.path)
            return ModalMessage(
                "Not applied",
                f"Could not write the rubric file `{self.rubrics.path}` "
                f"({exc.strerror or exc}). Nothing changed.",
            )
        text = (
            f"✅ Rubric version `{draft.base_version}` → `{draft.rubric.version}` is in force. "
            "New leads are qualified with it; stored qualifications keep their version."
        )
        if not self._audit(user, draft.base_version, draft.rubric.version, draft.text):
            text += " (The audit entry could not be written; see the logs.)"
        return ModalMessage("Rubric applied", text)

    def check_routing(self, rubric: Rubric, file: str) -> None:
        """A rubric goes in force only if every tier has a channel to post to."""
        unrouted = unrouted_tiers(rubric, self.sales_channel)
        if unrouted:
            message = (
                f"tiers {', '.join(unrouted)} name no channel and LEADBOT_SALES_CHANNEL is not "
                "set: add `channel:` to them"
            )
            raise RubricError([RubricIssue(file, None, "tiers", message)])

    # --- /leadbot ------------------------------------------------------------------------------

    def leadbot_reply(self, text: str) -> dict:
        """The ephemeral answer to `/leadbot rubric | stats | help`: text and maybe blocks."""
        subcommand = (text.split() or ["help"])[0].lower()
        if subcommand == "rubric":
            return render.rubric_summary_message(self.rubrics.get(), self.sales_channel)
        if subcommand == "stats":
            return render.stats_message(funnel_stats(self.uow.database))
        if subcommand == "help":
            return {"text": render.HELP_TEXT}
        unknown = escape(truncate(subcommand, 40))
        return {"text": f"I don't know `{unknown}`.\n\n{render.HELP_TEXT}"}

    def _validate(self, text: str, name: str, old: Rubric) -> Rubric:
        block = render.BLOCK_RUBRIC_YAML
        try:
            new = parse_rubric(text, name)
            self.check_routing(new, name)
        except RubricError as exc:
            raise SubmissionError(block, _issues_text(exc)) from None
        if new.version == old.version:
            raise SubmissionError(block, f"This is the rubric already in force ({old.version}).")
        return new

    def _audit(self, user: str, old_version: str | None, new_version: str, text: str) -> bool:
        """Record who changed the rubric; the change is in force whether or not this works."""
        try:
            with self.uow as tx:
                tx.rubric_changes.add(
                    actor=user, old_version=old_version, new_version=new_version, rubric_yaml=text
                )
        except SQLAlchemyError:
            logger.exception("rubric %s is in force but its audit entry failed", new_version)
            return False
        return True


def _field(values: dict, block_id: str) -> str:
    return ((values.get(block_id) or {}).get(render.ACTION_TUNE_VALUE) or {}).get("value") or ""


def _tuning_block(key: str) -> str:
    """The modal field a tuning error belongs to: a criterion's points or a tier's field."""
    if ":" in key:
        return render.BLOCK_TUNE_TIER + key
    return render.BLOCK_TUNE_POINTS + key


def _issue_block(rubric: Rubric, path: str) -> str:
    """The field a validation issue (`criteria[2].bands[1]`, `tiers[0].min_score`) is about."""
    match = re.match(r"(criteria|tiers)\[(\d+)\](?:\.(\w+))?", path)
    if match and match[1] == "criteria" and int(match[2]) < len(rubric.criteria):
        return render.BLOCK_TUNE_POINTS + rubric.criteria[int(match[2])].id
    if match and match[1] == "tiers" and int(match[2]) < len(rubric.tiers):
        field = match[3] if match[3] in render.TIER_FIELDS else "min_score"
        return f"{render.BLOCK_TUNE_TIER}{rubric.tiers[int(match[2])].id}:{field}"
    return render.BLOCK_TUNE_POINTS + rubric.criteria[0].id


def submitted_rubric_text(values: dict, gateway: SlackGateway) -> tuple[str, str]:
    """(YAML text, name for error messages) from the paste box or the uploaded file."""
    pasted = (values.get(render.BLOCK_RUBRIC_YAML, {}).get(render.ACTION_RUBRIC_YAML) or {}).get(
        "value"
    ) or ""
    files = (values.get(render.BLOCK_RUBRIC_FILE, {}).get(render.ACTION_RUBRIC_FILE) or {}).get(
        "files"
    ) or []
    if pasted.strip() and files:
        raise SubmissionError(render.BLOCK_RUBRIC_FILE, "Paste YAML or upload a file, not both.")
    if files:
        file = files[0]
        return _download(file, gateway), file.get("name") or "uploaded rubric"
    if not pasted.strip():
        raise SubmissionError(
            render.BLOCK_RUBRIC_YAML, "Paste the rubric YAML here, or upload a file below."
        )
    return pasted, "pasted rubric"


def _download(file: dict, gateway: SlackGateway) -> str:
    """An uploaded file's text, fetched from Slack while the modal waits (hence the short
    timeout)."""
    block = render.BLOCK_RUBRIC_FILE
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

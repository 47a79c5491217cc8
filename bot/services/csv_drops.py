"""CSV drops, bounded: a file's rows become leads, and the sales channel gets one digest
with the tier counts instead of one message per row.

Rows of the rubric's top tier are posted on their own like any lead; the other rows'
summaries go in the digest's thread. A file with more than LEADBOT_CSV_MAX_ROWS rows stores
and posts nothing until the marketer who shared it confirms with the button in its thread;
confirmed, all its rows are read, up to LEADBOT_CSV_HARD_MAX_ROWS (a larger file is refused).
"""

from __future__ import annotations

from bot.domain.lifecycle import MessageKind
from bot.domain.work import Handler, ReadCsvDrop, SendEphemeral, WorkMessage
from bot.errors import UserError
from bot.intake.csv_drop import FileDrop, read_drop, row_dedupe_key, without_file_name
from bot.render.drops import (
    confirm_drop_blocks,
    confirm_drop_text,
    digest_text,
    drop_reply_text,
    refusal_text,
    too_many_rows_reason,
)
from bot.render.kit import mention
from bot.services.deliver import DeliverService
from bot.services.gateway import FileRefused, SlackGateway
from bot.services.receive import ReceiveService, queue_processing
from bot.services.rubric_holder import RubricHolder
from bot.store.repository import StoredLead
from bot.store.unit_of_work import UnitOfWork
from qualifiers.models import Qualification

MAX_BUTTON_VALUE = 2000  # Slack's limit on a button's value
MAX_NAME_IN_BUTTON = 200

Received = list[tuple[StoredLead, Qualification, bool]]


class CsvDropService:
    def __init__(
        self,
        uow: UnitOfWork,
        gateway: SlackGateway,
        receive: ReceiveService,
        deliver: DeliverService,
        rubrics: RubricHolder,
        *,
        max_rows: int,
        hard_max_rows: int,
    ):
        self.uow = uow
        self.gateway = gateway
        self.receive = receive
        self.deliver = deliver
        self.rubrics = rubrics
        self.max_rows = max_rows
        self.hard_max_rows = max(hard_max_rows, max_rows)

    def work_handlers(self) -> dict[type[WorkMessage], Handler]:
        return {ReadCsvDrop: self.read_csv_drop}

    def read_csv_drop(self, message: ReadCsvDrop, _attempts: int) -> None:
        """Download and read the file, store and qualify its rows, post the digest, answer
        in its thread. A file that is refused or awaits confirmation stores nothing."""
        drop = FileDrop.model_validate(message.model_dump(exclude={"lead_id", "confirmed"}))
        try:
            entries = read_drop(drop, self.gateway)
        except (FileRefused, UserError) as exc:
            self._reply(drop, refusal_text(drop.name, without_file_name(str(exc), drop.name)))
            return
        if not entries:
            reason = "It has a header row but no rows of leads under it."
            self._reply(drop, refusal_text(drop.name, reason))
            return
        if len(entries) > self.hard_max_rows:
            reason = too_many_rows_reason(len(entries), self.hard_max_rows)
            self._reply(drop, refusal_text(drop.name, reason))
            return
        if len(entries) > self.max_rows and not message.confirmed:
            self._ask_to_confirm(drop, len(entries))
            return
        leads = [
            (entry.lead.model_copy(update={"submitted_by": drop.user}), row_dedupe_key(drop, entry))
            for entry in entries
            if entry.lead is not None
        ]
        received = self.receive.receive_many(
            leads, intake_channel=drop.channel, intake_ts=drop.ts, queue=False
        )
        if received:
            self._post_digest_and_queue(drop, received)
        errors = [without_file_name(entry.error, drop.name) for entry in entries if entry.error]
        self._reply(drop, drop_reply_text(drop.name, received, errors, self._tier_order()))

    def confirm(self, drop: FileDrop, user: str) -> None:
        """The Import button: the marketer who shared the file queues it again, confirmed
        (a second click adds nothing); anyone else is told it is not theirs to confirm."""
        with self.uow as tx:
            if drop.user and user != drop.user:
                text = f"Only {mention(drop.user)}, who shared `{drop.name}`, can import it."
                tx.work.add(SendEphemeral(channel=drop.channel, user=user, text=text))
                return
            tx.work.add(
                ReadCsvDrop(**drop.model_dump(mode="json"), confirmed=True),
                dedupe_key=f"file-confirmed:{drop.channel}:{drop.ts}:{drop.file.id}",
            )

    def _post_digest_and_queue(self, drop: FileDrop, received: Received) -> None:
        """Post the digest once (it is recorded on the file's first row, so a retry finds it)
        and queue each row's processing: the top tier on its own, the rest in the thread."""
        first = received[0][0]
        with self.uow as tx:
            digest = tx.leads.slack_message(first.id, MessageKind.DIGEST)
        if digest is None or digest[1] is None:
            text = digest_text(drop.name, drop.user, received, self._tier_order())
            channel, ts = self.gateway.post_message(self.deliver.digest_channel(), text)
            with self.uow as tx:
                tx.leads.save_slack_message(first.id, MessageKind.DIGEST, channel, ts)
        else:
            channel, ts = digest
        top_tier = self._tier_order()[0]
        with self.uow as tx:
            for stored, qualification, _ in received:
                in_thread = qualification.tier != top_tier
                queue_processing(
                    tx,
                    stored,
                    digest_channel=channel if in_thread else None,
                    digest_ts=ts if in_thread else None,
                )

    def _ask_to_confirm(self, drop: FileDrop, rows: int) -> None:
        text = confirm_drop_text(drop.name, rows, self.max_rows)
        blocks = confirm_drop_blocks(drop.name, rows, self.max_rows, button_value(drop))
        self.gateway.post_message(drop.channel, text, blocks=blocks, thread_ts=drop.ts)

    def _tier_order(self) -> list[str]:
        return [tier.id for tier in self.rubrics.get().tiers]

    def _reply(self, drop: FileDrop, text: str) -> None:
        self.gateway.post_message(drop.channel, text, thread_ts=drop.ts)


def button_value(drop: FileDrop) -> str:
    """The drop as the confirm button's value (JSON, within Slack's limit): what the click
    needs to queue the file again."""
    file = drop.file.model_copy(
        update={
            "name": drop.file.name[:MAX_NAME_IN_BUTTON],
            "url_private": None if drop.file.url_private_download else drop.file.url_private,
        }
    )
    value = drop.model_copy(update={"file": file}).model_dump_json(exclude_none=True)
    if len(value) > MAX_BUTTON_VALUE:
        raise FileRefused("Its download address is too long to confirm the file by a button.")
    return value

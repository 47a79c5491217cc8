"""CSV drops, bounded (the rows are read and stored by `ReceiveService.read_csv_drop`):
the sales channel gets one digest with the tier counts instead of one message per row.

Rows of the rubric's top tier are posted on their own like any lead; the other rows'
summaries go in the digest's thread. A file with more than LEADBOT_CSV_MAX_ROWS rows stores
and posts nothing until the marketer who shared it confirms with the button in its thread;
confirmed, all its rows are read, up to LEADBOT_CSV_HARD_MAX_ROWS (a larger file is refused).
"""

from __future__ import annotations

from bot.domain.lifecycle import MessageKind
from bot.domain.work import ReadCsvDrop, tier_priority
from bot.intake.csv_drop import FileDrop
from bot.render.drops import (
    confirm_drop_blocks,
    confirm_drop_text,
    digest_text,
    refusal_text,
    too_many_rows_reason,
)
from bot.render.kit import mention
from bot.services.deliver import DeliverService
from bot.services.gateway import SlackGateway
from bot.services.notices import queue_processing, tell
from bot.services.posting import MessagePoster
from bot.services.rubric_holder import RubricHolder
from bot.store.posts import PostIntent
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
        deliver: DeliverService,
        rubrics: RubricHolder,
        poster: MessagePoster,
        *,
        max_rows: int,
        hard_max_rows: int,
    ):
        self.uow = uow
        self.gateway = gateway
        self.deliver = deliver
        self.rubrics = rubrics
        self.poster = poster
        self.max_rows = max_rows
        self.hard_max_rows = max(hard_max_rows, max_rows)

    def held_back(self, drop: FileDrop, rows: int, *, confirmed: bool) -> bool:
        """Whether the file's rows must not be stored now: over the hard maximum (refused),
        or over the cap and not yet confirmed (the marketer is asked). Says so in its thread."""
        if rows > self.hard_max_rows:
            reason = too_many_rows_reason(rows, self.hard_max_rows)
            self.reply(drop, refusal_text(drop.name, reason), confirmed=confirmed)
            return True
        if rows > self.max_rows and not confirmed:
            value = button_value(drop)
            if value is None:
                reason = too_many_rows_reason(rows, self.max_rows)
                self.reply(drop, refusal_text(drop.name, reason), confirmed=confirmed)
                return True
            blocks = confirm_drop_blocks(drop.name, rows, self.max_rows, value)
            text = confirm_drop_text(drop.name, rows, self.max_rows)
            self.poster.post(self._in_thread(drop, "csv_question"), text, blocks=blocks)
            return True
        return False

    def publish(self, drop: FileDrop, received: Received) -> None:
        """Post the digest once (it is recorded on the file's first row, so a retry or the
        file shared again finds it) and queue each row's processing: the top tier on its
        own, the rest in the digest's thread."""
        if not received:
            return
        tiers = [tier.id for tier in self.rubrics.get().tiers]
        first = received[0][0]
        with self.uow as tx:
            digest = tx.leads.slack_message(first.id, MessageKind.DIGEST)
        if digest is None or digest[1] is None:
            text = digest_text(drop.name, drop.user, received, tiers)
            intent = PostIntent(
                key=f"digest:{first.id}",
                kind=MessageKind.DIGEST,
                lead_id=first.id,
                channel=self.deliver.digest_channel(),
            )
            channel, ts = self.poster.post(intent, text)  # recorded on the first row
        else:
            channel, ts = digest
        # The rows' tiers are known here: hot leads are queued first (the tier's priority).
        with self.uow as tx:
            for stored, qualification, _ in received:
                priority = tier_priority(tiers, qualification.tier)
                if qualification.tier == tiers[0]:
                    queue_processing(tx, stored.id, priority=priority)
                else:
                    queue_processing(
                        tx, stored.id, digest_channel=channel, digest_ts=ts, priority=priority
                    )

    def confirm(self, drop: FileDrop, user: str) -> None:
        """The Import button: the marketer who shared the file queues it again, confirmed
        (a second click adds nothing); anyone else is told it is not theirs to confirm."""
        with self.uow as tx:
            if drop.user and user != drop.user:
                text = f"Only {mention(drop.user)}, who shared `{drop.name}`, can import it."
                tell(tx, drop.channel, user, text)
                return
            tx.work.add(
                ReadCsvDrop(**drop.model_dump(mode="json"), confirmed=True),
                dedupe_key=f"file-confirmed:{drop.channel}:{drop.ts}:{drop.file.id}",
            )

    def reply(self, drop: FileDrop, text: str, *, confirmed: bool) -> None:
        """The answer in the file's thread (its rows, or why not), once per file and
        confirmation."""
        name = "csv_reply_confirmed" if confirmed else "csv_reply"
        self.poster.post(self._in_thread(drop, name), text)

    @staticmethod
    def _in_thread(drop: FileDrop, name: str) -> PostIntent:
        return PostIntent(
            key=f"{name}:{drop.channel}:{drop.ts}:{drop.file.id}",
            kind=MessageKind.CSV_REPLY,
            channel=drop.channel,
            thread_ts=drop.ts,
        )


def button_value(drop: FileDrop) -> str | None:
    """The drop as the confirm button's value (JSON): what the click needs to queue the file
    again; None when it does not fit Slack's limit."""
    file = drop.file.model_copy(
        update={
            "name": drop.file.name[:MAX_NAME_IN_BUTTON],
            "url_private": None if drop.file.url_private_download else drop.file.url_private,
        }
    )
    value = drop.model_copy(update={"file": file}).model_dump_json(exclude_none=True)
    return value if len(value) <= MAX_BUTTON_VALUE else None

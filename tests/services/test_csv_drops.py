"""CSV drops against in-memory fakes: one digest per file, even when the file's work is
run again after a crash, and the rows below the top tier posted in its thread."""

from __future__ import annotations

import pytest
from services.conftest import SALES

from bot.domain.work import ProcessLead, ReadCsvDrop, SlaReminder

CSV = b"Name,Notes\nDana,CFO 50k budget\nBob,reporting\nPriya,VP finance\n"
URL = "https://files.example/F1/leads.csv"


@pytest.fixture
def drop_file(gateway) -> None:
    gateway.files[URL] = CSV


def _drop() -> ReadCsvDrop:
    file = {"id": "F1", "name": "leads.csv", "filetype": "csv", "size": len(CSV)}
    return ReadCsvDrop(channel="CIN", ts="1.0", user="UMKT", file={**file, "url_private": URL})


@pytest.mark.usefixtures("drop_file")
def test_a_retried_drop_posts_its_digest_once_and_threads_the_lower_tiers(
    receive, deliver, gateway, uow, qualifier
):
    qualifier.tier = "warm"
    receive.read_csv_drop(_drop(), 1)
    receive.read_csv_drop(_drop(), 2)  # run again, as after a crash before the ack

    digests = [c for c in gateway.named("post_message") if c.args[0] == SALES]
    assert len(digests) == 1 and "3 leads (warm 3)" in digests[0].args[1]
    queued = uow.queued(ProcessLead)
    assert len(queued) == 3
    digest_ts = {(message.digest_channel, message.digest_ts) for message in queued}
    assert digest_ts == {(SALES, "1700000000.000001")}

    for message in queued:
        deliver.process(message)
    threaded = [c for c in gateway.named("post_message") if c.kwargs["blocks"]]
    assert [c.kwargs["thread_ts"] for c in threaded] == ["1700000000.000001"] * 3


@pytest.mark.usefixtures("drop_file")
def test_top_tier_rows_are_posted_on_their_own(receive, uow, qualifier):
    qualifier.tier, qualifier.score = "hot", 90
    receive.read_csv_drop(_drop(), 1)
    assert {message.digest_ts for message in uow.queued(ProcessLead)} == {None}


@pytest.mark.usefixtures("drop_file")
def test_an_sla_reminder_for_a_row_in_the_digest_thread_stays_in_that_thread(
    receive, deliver, gateway, uow, qualifier
):
    qualifier.tier = "warm"
    receive.read_csv_drop(_drop(), 1)
    first = uow.queued(ProcessLead)[0]
    deliver.process(first)
    [reminder] = uow.queued(SlaReminder)
    assert reminder.thread_ts == first.digest_ts

    gateway.calls.clear()
    deliver.remind(reminder)
    [call] = gateway.named("post_message")
    assert (call.args[0], call.kwargs["thread_ts"], call.kwargs["broadcast"]) == (
        SALES,
        first.digest_ts,
        False,
    )

"""Outside systems that are down for a while are retried like Slack; library logs are masked."""

from __future__ import annotations

import io
import logging

from bot.bootstrap import classify_error, retry_policy
from bot.crm.events import HandoffError
from bot.logs import configure_logging, mask_handlers_of
from bot.settings import Settings
from bot.worker import ErrorClass


def test_an_events_receiver_down_for_a_while_is_retried_like_slack():
    policy = retry_policy(Settings())
    assert classify_error(HandoffError("503 from the receiver")) == ErrorClass.OUTSIDE
    assert not policy.gives_up(ErrorClass.OUTSIDE, 5)  # an unexpected error stops at 5
    assert policy.gives_up(ErrorClass.OUTSIDE, Settings().work_slack_max_attempts)


def test_gunicorns_own_error_log_is_masked_like_leadbots():
    configure_logging(logging.INFO, pii=True, stream=io.StringIO())
    library = logging.getLogger("gunicorn.error.test")
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    library.addHandler(handler)
    library.propagate = False
    try:
        mask_handlers_of("gunicorn.error.test")
        library.error("Error handling request from jan.kowalski@example.com\nforged line")
    finally:
        library.removeHandler(handler)
    assert "jan.kowalski@example.com" not in out.getvalue()
    assert "forged line" in out.getvalue() and "\nforged" not in out.getvalue()

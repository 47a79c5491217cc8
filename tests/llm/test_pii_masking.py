"""Personal data and secrets stay out of the model call and the logs; the database is private."""

from __future__ import annotations

import io
import json
import logging
import os

import pytest
from pydantic import ValidationError
from slack_sdk import WebClient

from bot.bootstrap import build_qualifier
from bot.logs import configure_logging
from bot.settings import Settings
from bot.store.database import Database
from qualifiers.extract.redact import redact
from qualifiers.models import Lead

PERSONAL = {
    "020 7946 0958": "[phone]",  # GB national
    "06 12 34 56 78": "[phone]",  # FR national
    "(415)555-0134": "[phone]",
    "4155550134": "[phone]",
    "+44 20 7946 0958": "[phone]",
    "DE89 3704 0044 0532 0130 00": "[iban]",
    "GB82WEST12345698765432": "[iban]",
    "4111 1111 1111 1111": "[card]",
    "5500-0000-0000-0004": "[card]",
    "jan@müller.de": "[email]",
    "dana.whitfield@globex.com": "[email]",
}
SECRETS = [
    "sk_live_51HxYzAbCdEfGhIjKlMnOp",
    "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "xoxb-123456789012-1234567890123-AbCdEfGhIjKl",
    "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
    "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----",
    "Bearer abcdefghijklmnopqrstuvwxyz012345",
]
# Numbers that look a bit like the above and must stay readable for the rules and the model.
NOT_PERSONAL = [
    "budget 100000-200000",
    "by 2025-03-31",
    "1,400 employees",
    "1,200,000 EUR",
    "order 12345678",
    "DE89 3704 0044 0532 0130 01",  # fails the IBAN checksum
    "4111 1111 1111 1112",  # fails Luhn's
    "commit 3f786850e387550fdab836ed7e6dc881de23001b",
]
REGIONS = ("US", "GB", "FR")


@pytest.mark.parametrize(("value", "mask"), PERSONAL.items())
def test_personal_data_is_masked_on_request(value, mask):
    text = f"Reach me: {value}. Thanks"
    assert redact(text, pii=True, phone_regions=REGIONS) == f"Reach me: {mask}. Thanks"
    assert redact(text, phone_regions=REGIONS) == text


def test_national_numbers_are_read_in_the_configured_regions():
    assert redact("call 020 7946 0958", pii=True, phone_regions=("GB",)) == "call [phone]"
    assert redact("call 020 7946 0958", pii=True, phone_regions=("US",)) == "call 020 7946 0958"


@pytest.mark.parametrize("secret", SECRETS)
def test_secrets_are_always_masked(secret):
    masked = redact(f"here you go: {secret} ok")
    assert secret not in masked
    assert "[secret]" in masked and masked.endswith(" ok")


def test_numbers_that_are_not_personal_stay():
    text = ", ".join(NOT_PERSONAL)
    assert redact(text, pii=True, phone_regions=REGIONS) == text


def test_masked_values_never_reach_the_model(fake_openai, default_rubric):
    fake_openai.enqueue({"criteria": {}, "knockouts": []})
    settings = Settings(
        LEADBOT_MODEL="openai:gpt-4o-mini",
        OPENAI_API_KEY="test-key",
        OPENAI_BASE_URL=fake_openai.url + "/v1",
        LEADBOT_MODEL_MAX_RETRIES=0,
        LEADBOT_REDACT_PII=True,
        LEADBOT_PHONE_REGION="us,gb,fr",
    )
    values = [*PERSONAL, *SECRETS]
    lead = Lead(
        text="CFO here, budget $80k this quarter. Details: " + "; ".join(values),
        fields={"Phone": "415-555-0134", "Email": "jan@müller.de"},
    )

    build_qualifier(settings).qualify(lead, default_rubric)

    [request] = fake_openai.requests
    sent = json.dumps(request.body, ensure_ascii=False)
    for value in [*values, "415-555-0134"]:
        for line in value.splitlines():
            assert line not in sent
    assert "budget $80k this quarter" in sent
    assert sent.count("[phone]") >= 5 and "[iban]" in sent and "[card]" in sent


def test_debug_logs_carry_no_request_bodies(fake_slack):
    """slack_sdk logs every request body at DEBUG; the entry point's logging keeps it out."""
    out = io.StringIO()
    configure_logging(logging.DEBUG, pii=False, stream=out)
    try:
        client = WebClient(token="xoxb-test-token", base_url=fake_slack.url)
        client.chat_postMessage(channel="C1", text="New lead: Jan (jan@müller.de)")
        logging.getLogger("bot.test").debug("posted")
    finally:
        configure_logging(logging.WARNING, pii=False)
    assert fake_slack.calls("chat.postMessage")[0].body["text"].endswith("(jan@müller.de)")
    logged = out.getvalue()
    assert "bot.test: posted" in logged  # DEBUG is on
    assert "jan@m" not in logged


def test_log_lines_are_masked_and_cannot_be_forged():
    out = io.StringIO()
    configure_logging(logging.INFO, pii=True, phone_regions=("GB",), stream=out)
    try:
        logger = logging.getLogger("bot.test")
        logger.warning("lead %s from %s", "L1\n2026-01-01 INFO bot: forged", "jan@müller.de")
        try:
            raise ValueError("token: abc123 for 020 7946 0958")
        except ValueError:
            logger.exception("failed")
    finally:
        configure_logging(logging.WARNING, pii=False)
    lines = out.getvalue().splitlines()
    assert lines[0].endswith(r"lead L1\n2026-01-01 INFO bot: forged from [email]")
    assert "abc123" not in out.getvalue() and "7946" not in out.getvalue()
    assert "ValueError: token: [secret]" in out.getvalue()


def test_a_bad_phone_region_is_refused():
    with pytest.raises(ValidationError, match="ISO region codes"):
        Settings(LEADBOT_PHONE_REGION="US,XX")
    assert Settings(LEADBOT_PHONE_REGION="gb, fr").phone_regions == ("GB", "FR")


def test_the_database_file_is_private(tmp_path):
    path = tmp_path / "leads.db"
    database = Database.from_url(f"sqlite:///{path}")
    database.engine.dispose()
    assert os.stat(path).st_mode & 0o777 == 0o600

"""The fakes must satisfy the real clients, or tests built on them prove nothing."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import openai
import pytest
from fakes.openai_api import FakeOpenAI, FakeResponse
from fakes.slack_api import FakeSlackAPI
from langchain_openai import ChatOpenAI
from pydantic import BaseModel
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import (
    ConnectionErrorRetryHandler,
    FixedValueRetryIntervalCalculator,
    RateLimitErrorRetryHandler,
)

SECTION = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Acme* scored 8"}}]


class Lead(BaseModel):
    company: str
    score: int


def _ask(client: openai.OpenAI, text: str = "hi") -> openai.types.chat.ChatCompletion:
    return client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": text}]
    )


# Slack


def test_slack_calls_are_recorded_with_blocks_decoded(
    fake_slack: FakeSlackAPI, slack_client: WebClient
) -> None:
    first = slack_client.chat_postMessage(channel="C1", text="new lead", blocks=SECTION)
    second = slack_client.chat_postMessage(channel="C1", text="reply", thread_ts=first["ts"])
    updated = slack_client.chat_update(channel="C1", ts=first["ts"], text="scored", blocks=SECTION)
    home = slack_client.views_publish(user_id="U1", view={"type": "home", "blocks": SECTION})

    assert first["ts"] < second["ts"]
    assert first["message"]["text"] == "new lead"
    assert first["message"]["bot_id"] == "BBOT"
    assert updated["ts"] == first["ts"]
    assert home["view"]["id"].startswith("V")
    assert home["view"]["type"] == "home"
    post = fake_slack.calls("chat.postMessage")[0]
    assert post.body["blocks"] == SECTION
    assert post.token == "xoxb-test-token"
    assert fake_slack.calls("chat.update")[0].body["blocks"] == SECTION
    assert fake_slack.calls("views.publish")[0].body["view"]["blocks"] == SECTION
    replies = slack_client.conversations_replies(channel="C1", ts=first["ts"])
    assert [m["text"] for m in replies["messages"]] == ["scored", "reply"]


def test_slack_form_and_query_bodies_are_parsed(
    fake_slack: FakeSlackAPI, slack_client: WebClient
) -> None:
    fake_slack.set_user("U42", real_name="Dana Seller", profile={"title": "AE"})

    slack_client.api_call(
        "chat.postMessage", params={"channel": "C1", "blocks": json.dumps(SECTION)}
    )
    user = slack_client.users_info(user="U42")["user"]
    link = slack_client.chat_getPermalink(channel="C9", message_ts="1700000000.000100")

    assert fake_slack.calls("chat.postMessage")[0].body["blocks"] == SECTION
    assert fake_slack.calls("users.info")[0].body == {"user": "U42"}
    assert user["real_name"] == user["profile"]["real_name"] == "Dana Seller"
    assert user["profile"]["title"] == "AE"
    assert link["permalink"] == "https://example.slack.com/archives/C9/p1700000000000100"
    assert slack_client.auth_test()["user_id"] == "UBOT"
    assert slack_client.api_call("some.unknown")["ok"] is True
    assert [c.method for c in fake_slack.calls()][-1] == "some.unknown"


def test_slack_ratelimit_is_recovered_by_retry_handler(fake_slack: FakeSlackAPI) -> None:
    fake_slack.fail_next("chat.postMessage", mode="ratelimit", retry_after=0)
    client = WebClient(
        token="xoxb-test-token",
        base_url=fake_slack.url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )

    assert client.chat_postMessage(channel="C1", text="hi")["ok"] is True
    assert len(fake_slack.calls("chat.postMessage")) == 2


def test_slack_error_mode_raises_slack_api_error(
    fake_slack: FakeSlackAPI, slack_client: WebClient
) -> None:
    fake_slack.fail_next("chat.postMessage", mode="error", error="channel_not_found")

    with pytest.raises(SlackApiError) as excinfo:
        slack_client.chat_postMessage(channel="C404", text="hi")

    assert excinfo.value.response["error"] == "channel_not_found"
    assert slack_client.chat_postMessage(channel="C1", text="hi")["ok"] is True


def test_slack_scopes_header_and_missing_channels(
    fake_slack: FakeSlackAPI, slack_client: WebClient
) -> None:
    assert "x-oauth-scopes" not in slack_client.auth_test().headers
    fake_slack.set_scopes({"chat:write", "channels:read"})
    assert slack_client.auth_test().headers["x-oauth-scopes"] == "channels:read,chat:write"

    assert slack_client.conversations_info(channel="C1")["channel"]["is_member"] is True
    fake_slack.remove_channel("C1")
    with pytest.raises(SlackApiError) as excinfo:
        slack_client.conversations_info(channel="C1")
    assert excinfo.value.response["error"] == "channel_not_found"


def test_slack_http500_and_disconnect(fake_slack: FakeSlackAPI, slack_client: WebClient) -> None:
    fake_slack.fail_next("reactions.add", mode="http500")
    with pytest.raises(SlackApiError) as excinfo:
        slack_client.reactions_add(channel="C1", timestamp="1.1", name="eyes")
    assert excinfo.value.response.status_code == 500

    # WebClient retries one dropped connection by default; a short interval keeps this fast
    slack_client.retry_handlers = [
        ConnectionErrorRetryHandler(interval_calculator=FixedValueRetryIntervalCalculator(0.01))
    ]
    fake_slack.fail_next("reactions.add", mode="disconnect")
    assert slack_client.reactions_add(channel="C1", timestamp="1.1", name="eyes")["ok"]
    fake_slack.fail_next("reactions.add", times=2, mode="disconnect")
    with pytest.raises(ConnectionError):
        slack_client.reactions_add(channel="C1", timestamp="1.1", name="eyes")
    assert len(fake_slack.calls("reactions.add")) == 5


def test_slack_wait_for_wakes_on_calls_from_other_threads(
    fake_slack: FakeSlackAPI, slack_client: WebClient
) -> None:
    worker = threading.Thread(
        target=lambda: [slack_client.chat_postMessage(channel="C1", text=str(i)) for i in range(3)]
    )
    worker.start()

    calls = fake_slack.wait_for("chat.postMessage", count=3)
    worker.join()

    assert [c.body["text"] for c in calls] == ["0", "1", "2"]
    fake_slack.clear()
    with pytest.raises(TimeoutError, match=r"chat\.postMessage"):
        fake_slack.wait_for("chat.postMessage", timeout=0.01)


def test_slack_delay_trips_client_timeout(fake_slack: FakeSlackAPI) -> None:
    fake_slack.set_delay(2.0, method="chat.postMessage")
    client = WebClient(token="xoxb-test-token", base_url=fake_slack.url, timeout=0.2)

    with pytest.raises(TimeoutError):
        client.chat_postMessage(channel="C1", text="hi")
    assert client.auth_test()["ok"] is True


# OpenAI


def test_openai_client_gets_scripted_content(fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue("Acme looks qualified.")
    client = openai.OpenAI(base_url=fake_openai.url + "/v1", api_key="x", max_retries=0)

    completion = _ask(client, "Score Acme, a 200-person fintech.")

    assert completion.object == "chat.completion"
    assert completion.model == "gpt-4o-mini"
    assert completion.choices[0].message.content == "Acme looks qualified."
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage.prompt_tokens == len("Score Acme, a 200-person fintech.") // 4
    request = fake_openai.requests[0]
    assert request.headers["authorization"] == "Bearer x"
    assert request.body["messages"][0]["content"] == "Score Acme, a 200-person fintech."
    assert [m.id for m in client.models.list()]


def test_openai_tool_calls_use_wire_shape(fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(tool_calls=[{"name": "lookup", "arguments": {"domain": "acme.com"}}])
    client = openai.OpenAI(base_url=fake_openai.url + "/v1", api_key="x", max_retries=0)

    choice = _ask(client).choices[0]

    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    call = choice.message.tool_calls[0]
    assert call.id.startswith("call_")
    assert json.loads(call.function.arguments) == {"domain": "acme.com"}


def test_chatopenai_structured_output_uses_json_schema(fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue({"company": "Acme", "score": 8})
    llm = ChatOpenAI(
        model="gpt-4o-mini", base_url=fake_openai.url + "/v1", api_key="test", max_retries=2
    )

    lead = llm.with_structured_output(Lead).invoke("hi")

    assert lead == Lead(company="Acme", score=8)
    response_format = fake_openai.requests[0].body["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["name"] == "Lead"


def test_structured_output_failure_modes(fake_openai: FakeOpenAI) -> None:
    llm = ChatOpenAI(
        model="gpt-4o-mini", base_url=fake_openai.url + "/v1", api_key="test", max_retries=0
    )
    structured = llm.with_structured_output(Lead)
    fake_openai.enqueue('{"company": "Acme", "sco')
    fake_openai.enqueue(refusal="I'm very sorry, but I can't assist with that.")
    fake_openai.enqueue('{"company": "Ac', finish_reason="length")

    with pytest.raises(ValueError, match="Invalid JSON"):
        structured.invoke("hi")
    with pytest.raises(Exception, match="can't assist") as refusal:
        structured.invoke("hi")
    assert type(refusal.value).__name__ == "OpenAIRefusalError"
    with pytest.raises(openai.LengthFinishReasonError):
        structured.invoke("hi")


def test_openai_retries_through_429(fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(status=429, headers={"retry-after-ms": "10"})
    fake_openai.enqueue("ok")
    client = openai.OpenAI(base_url=fake_openai.url + "/v1", api_key="x", max_retries=2)

    assert _ask(client).choices[0].message.content == "ok"
    assert len(fake_openai.requests) == 2
    assert fake_openai.pending == 0


def test_openai_errors_surface(fake_openai: FakeOpenAI) -> None:
    client = openai.OpenAI(base_url=fake_openai.url + "/v1", api_key="x", max_retries=0)
    fake_openai.enqueue(status=500)

    with pytest.raises(openai.InternalServerError):
        _ask(client)
    retrying = client.with_options(max_retries=2)
    with pytest.raises(openai.InternalServerError, match="no scripted response"):
        _ask(retrying)
    assert len(fake_openai.requests) == 2  # the unscripted 500 is not retried


def test_openai_responder_answers_when_queue_is_empty(fake_openai: FakeOpenAI) -> None:
    fake_openai.responder = lambda request: FakeResponse(
        content="echo: " + request["messages"][-1]["content"]
    )
    client = openai.OpenAI(base_url=fake_openai.url + "/v1", api_key="x", max_retries=0)

    assert _ask(client, "ping").choices[0].message.content == "echo: ping"


def test_openai_delay_trips_timeout_and_is_served_concurrently(
    fake_openai: FakeOpenAI,
) -> None:
    client = openai.OpenAI(base_url=fake_openai.url + "/v1", api_key="x", max_retries=0)
    fake_openai.enqueue("late", delay=2.0)
    with pytest.raises(openai.APITimeoutError):
        client.with_options(timeout=0.2).chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
        )

    fake_openai.delay = 0.3
    for _ in range(8):
        fake_openai.enqueue("ok")
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: _ask(client), range(8)))
    elapsed = time.monotonic() - started

    assert all(a.choices[0].message.content == "ok" for a in answers)
    assert elapsed < 8 * 0.3 / 2  # overlapping, not serialised

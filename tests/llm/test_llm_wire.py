"""End to end through the factory, ChatOpenAI and the real openai client against FakeOpenAI:
what goes over the wire, retries, fallbacks and the database cache."""

from __future__ import annotations

import threading
import time

import pytest
from fakes.openai_api import FakeOpenAI, FakeResponse

from bot.bootstrap import build_qualifier
from bot.errors import UserError
from bot.settings import Settings
from qualifiers.extract.prompt import system_prompt
from qualifiers.models import Lead
from qualifiers.qualifier import Qualifier

LEAD = Lead(
    text="Dana Whitfield, CFO at Globex Freight (~300 ppl). 50k budget. AP approvals are stuck "
    "in email and closing the books takes 3 weeks. Want a decision next month."
)
GOOD_ANSWER = {
    "criteria": {
        "budget": {"evidence": "50k budget", "value": 50000, "confidence": 0.9, "question": None},
        "authority": {
            "evidence": "CFO",
            "value": "decision_maker",
            "confidence": 0.9,
            "question": None,
        },
        "need": {"evidence": "AP approvals are stuck in email", "value": True, "confidence": 0.8},
        "timeline": {
            "evidence": "a decision next month",
            "value": 1,
            "confidence": 0.8,
            "question": None,
        },
        "company_size": {"evidence": "~300 ppl", "value": 300, "confidence": 0.9},
    },
    "knockouts": [],
}
FAST_RETRY = {"retry-after-ms": "10"}


def settings_for(fake: FakeOpenAI, **overrides) -> Settings:
    values = {
        "LEADBOT_MODEL": "openai:gpt-4o-mini",
        "OPENAI_API_KEY": "test-key",
        "OPENAI_BASE_URL": fake.url + "/v1",
        "LEADBOT_MODEL_MAX_RETRIES": 2,
        "LEADBOT_MODEL_TIMEOUT": 5,
    }
    return Settings(**(values | overrides))


def test_one_structured_call_carries_the_strict_schema_and_the_fenced_lead(
    fake_openai, default_rubric
):
    fake_openai.enqueue(GOOD_ANSWER)
    qualifier = build_qualifier(settings_for(fake_openai))

    result = qualifier.qualify(LEAD, default_rubric)

    assert (result.score, result.tier, result.note) == (100, "hot", None)
    assert result.qualifier == "openai:gpt-4o-mini"
    [request] = fake_openai.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer test-key"
    body = request.body
    assert body["model"] == "gpt-4o-mini"
    assert body["temperature"] == 0
    response_format = body["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["name"] == "LeadExtraction"
    assert response_format["json_schema"]["strict"] is True
    schema = response_format["json_schema"]["schema"]
    assert set(schema["properties"]["criteria"]["properties"]) == {
        c.id for c in default_rubric.criteria
    }
    system, user = body["messages"]
    assert system == {"role": "system", "content": system_prompt(default_rubric)}
    assert user["role"] == "user"
    assert f"<lead>\n{LEAD.text}\n</lead>" in user["content"]
    usage = result.usage  # FakeOpenAI counts a token per 4 characters of the messages
    assert usage.input_tokens == sum(len(m["content"]) for m in body["messages"]) // 4
    assert usage.output_tokens > 0 and usage.cost_usd > 0 and not usage.cached


def test_usage_reports_the_servers_token_counts(fake_openai, default_rubric):
    fake_openai.enqueue(
        GOOD_ANSWER,
        usage={
            "prompt_tokens": 1100,
            "completion_tokens": 150,
            "prompt_tokens_details": {"cached_tokens": 1024},
        },
    )

    usage = build_qualifier(settings_for(fake_openai)).qualify(LEAD, default_rubric).usage

    assert (usage.model, usage.input_tokens, usage.output_tokens) == (
        "openai:gpt-4o-mini",
        1100,
        150,
    )
    assert usage.cost_usd == pytest.approx((76 * 0.15 + 1024 * 0.075 + 150 * 0.60) / 1e6)


def test_rate_limit_then_success_is_retried(fake_openai, default_rubric):
    fake_openai.enqueue(status=429, headers=FAST_RETRY)
    fake_openai.enqueue(GOOD_ANSWER)

    result = build_qualifier(settings_for(fake_openai)).qualify(LEAD, default_rubric)

    assert result.note is None
    assert result.score == 100
    assert len(fake_openai.requests) == 2


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_retried_then_fall_back_to_offline(fake_openai, default_rubric, status):
    for _ in range(3):
        fake_openai.enqueue(status=status, headers=FAST_RETRY)

    result = build_qualifier(settings_for(fake_openai)).qualify(LEAD, default_rubric)

    assert len(fake_openai.requests) == 3  # first try + LEADBOT_MODEL_MAX_RETRIES=2
    assert result.note == "qualified offline: model unavailable (server error)"
    assert all(c.source in (None, "offline_fallback") for c in result.criteria)


def test_slow_server_times_out_and_falls_back(fake_openai, default_rubric):
    fake_openai.enqueue(GOOD_ANSWER, delay=5)
    settings = settings_for(fake_openai, LEADBOT_MODEL_TIMEOUT=0.2, LEADBOT_MODEL_MAX_RETRIES=0)

    started = time.monotonic()
    result = build_qualifier(settings).qualify(LEAD, default_rubric)

    assert result.note == "qualified offline: model unavailable (timed out)"
    assert time.monotonic() - started < 3


def test_overall_deadline_bounds_retries(fake_openai, default_rubric):
    fake_openai.responder = lambda _body: FakeResponse(status=429, headers={"retry-after": "2"})
    settings = settings_for(fake_openai, LEADBOT_MODEL_MAX_RETRIES=1, LEADBOT_MODEL_DEADLINE=0.5)

    started = time.monotonic()
    result = build_qualifier(settings).qualify(LEAD, default_rubric)

    assert result.note == "qualified offline: model unavailable (timed out)"
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        ({"content": '{"criteria": {"budget": {"evid'}, "invalid output"),
        ({"content": "Sure! The budget is 50k."}, "invalid output"),
        ({"refusal": "I'm very sorry, but I can't assist with that."}, "refused"),
        ({"content": '{"criteria": {"bu', "finish_reason": "length"}, "output truncated"),
    ],
)
def test_unusable_answers_fall_back_to_offline(fake_openai, default_rubric, script, reason):
    fake_openai.enqueue(**script)

    result = build_qualifier(settings_for(fake_openai)).qualify(LEAD, default_rubric)

    assert result.note == f"qualified offline: model unavailable ({reason})"
    assert len(fake_openai.requests) == 1


def test_cache_in_the_database_answers_the_same_lead_without_a_request(
    fake_openai, default_rubric, repo
):
    fake_openai.enqueue(GOOD_ANSWER)
    qualifier = build_qualifier(settings_for(fake_openai), database=repo)

    first = qualifier.qualify(LEAD, default_rubric)
    again = build_qualifier(settings_for(fake_openai), database=repo).qualify(
        LEAD.model_copy(update={"id": "42", "source": "slack"}), default_rubric
    )

    assert len(fake_openai.requests) == 1
    assert again.score == first.score == 100
    assert again.criteria == first.criteria
    assert again.usage.cached is True


def test_bulk_qualification_is_concurrent_and_keeps_input_order(fake_openai, default_rubric):
    def respond(body):
        number = int(body["messages"][-1]["content"].split("lead #")[1].split(" ")[0])
        answer = {"criteria": {"company_size": {"evidence": f"{number} people", "value": number}}}
        return FakeResponse(content=answer, delay=0.2)

    fake_openai.responder = respond
    leads = [Lead(text=f"lead #{n} from a team of {n} people") for n in range(10, 26)]
    qualifier = build_qualifier(settings_for(fake_openai, LEADBOT_MODEL_CONCURRENCY=8))

    started = time.monotonic()
    results = qualifier.qualify_many(leads, default_rubric)
    elapsed = time.monotonic() - started

    assert [r.criteria[-1].value for r in results] == list(range(10, 26))
    assert elapsed < 16 * 0.2 / 2  # one at a time takes 3.2 s; 8 at a time about 0.4 s


def test_bulk_keeps_exactly_concurrency_requests_at_the_server(fake_openai, default_rubric):
    """The stand-in counts the requests it holds at once; each waits until 4 are there."""
    in_flight, most, lock = [0], [0], threading.Lock()
    four_at_once = threading.Barrier(4, timeout=5)

    def respond(body):
        number = int(body["messages"][-1]["content"].split("lead #")[1].split(" ")[0])
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        four_at_once.wait()
        with lock:
            in_flight[0] -= 1
        answer = {"criteria": {"company_size": {"evidence": f"{number} people", "value": number}}}
        return FakeResponse(content=answer)

    fake_openai.responder = respond
    leads = [Lead(text=f"lead #{n} from a team of {n} people") for n in range(10, 22)]
    qualifier = build_qualifier(settings_for(fake_openai, LEADBOT_MODEL_CONCURRENCY=4))

    results = qualifier.qualify_many(leads, default_rubric)

    assert [r.criteria[-1].value for r in results] == list(range(10, 22))
    assert most[0] == 4
    assert len(fake_openai.requests) == len(leads)


def test_factory_builds_offline_without_a_model(monkeypatch):
    assert type(build_qualifier(Settings())) is Qualifier
    assert build_qualifier(Settings(LEADBOT_MODEL="offline")).name == "offline"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-abcdefghijklmnopqrstuvwxyz")
    assert build_qualifier(Settings()).name == "openai:gpt-4o-mini"


def test_factory_explains_a_model_it_cannot_build():
    with pytest.raises(UserError, match="needs OPENAI_API_KEY"):
        build_qualifier(Settings(LEADBOT_MODEL="openai:gpt-4o-mini"))
    with pytest.raises(UserError, match="LEADBOT_MODEL=nonsense-model-x"):
        build_qualifier(Settings(LEADBOT_MODEL="nonsense-model-x"))

"""Input tokens per lead for the default rubric, and model calls per lead.

Qualifies a 100-word lead (and a few more for the call count) through the real LLM qualifier,
ChatOpenAI and the openai client against the local FakeOpenAI server, captures the request
each one sends, and counts its tokens with the o200k_base encoding (gpt-4o, gpt-4o-mini):
the messages, plus chat-format overhead, plus the structured-output JSON schema as compact
JSON (an upper bound; OpenAI bills the schema in its own, shorter rendering). Targets from
the issue: <= 1,200 input tokens for a 100-word lead; exactly 1 call per lead.

    python benchmarks/llm_tokens.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "tests"))

from fakes.openai_api import FakeOpenAI, FakeResponse  # noqa: E402

from bot.bootstrap import build_qualifier  # noqa: E402
from bot.settings import Settings  # noqa: E402
from qualifiers.models import Lead  # noqa: E402
from qualifiers.rubric import load_rubric  # noqa: E402

TARGET_INPUT_TOKENS = 1_200
TOKENS_PER_MESSAGE = 3  # OpenAI chat format: role and separators around each message
TOKENS_FOR_REPLY = 3  # the primed assistant turn

HUNDRED_WORD_LEAD = (
    "Hi, I'm Priya Raman, Head of Finance Operations at Nordwind Logistics. We are about 450 "
    "people across three warehouses. Our accounts payable team still routes every invoice "
    "approval through email and spreadsheets, so month-end close takes almost three weeks "
    "and we keep paying late fees. We want approvals, matching and payment runs in one place, "
    "connected to NetSuite. We have roughly $60,000 set aside for this in the current budget, "
    "and I'd like to pick a vendor this quarter so the rollout can start before our audit. "
    "Could someone walk us through a short demo early next week? Thanks, Priya"
)
MORE_LEADS = [
    "CFO at Globex, ~300 ppl, 50k budget, decision next month.",
    "Student here, writing my thesis on AP automation. Any data you can share?",
    "Just browsing. Send me some info.",
]


def main() -> int:
    words = len(HUNDRED_WORD_LEAD.split())
    if words != 100:
        print(f"benchmark lead has {words} words, expected 100", file=sys.stderr)
        return 2
    try:
        import bpe_openai
    except ImportError:
        print(
            "bpe-openai is not installed: run `.venv/bin/pip install -e '.[dev]'`",
            file=sys.stderr,
        )
        return 2
    encoding = bpe_openai.get_encoding("o200k_base")
    rubric = load_rubric()
    leads = [Lead(text=text) for text in [HUNDRED_WORD_LEAD, *MORE_LEADS]]

    with FakeOpenAI(responder=lambda _body: FakeResponse(content={"knockouts": []})) as fake:
        settings = Settings(
            LEADBOT_MODEL="openai:gpt-4o-mini",
            OPENAI_API_KEY="benchmark",
            OPENAI_BASE_URL=fake.url + "/v1",
        )
        qualifier = build_qualifier(settings)
        calls = []
        for lead in leads:
            before = len(fake.requests)
            qualifier.qualify(lead, rubric)
            calls.append(len(fake.requests) - before)
        body = fake.requests[0].body

    messages = body["messages"]
    message_tokens = [len(encoding.encode(m["content"])) for m in messages]
    schema = json.dumps(body["response_format"]["json_schema"], separators=(",", ":"))
    schema_tokens = len(encoding.encode(schema))
    total = sum(message_tokens) + TOKENS_PER_MESSAGE * len(messages) + TOKENS_FOR_REPLY
    total += schema_tokens

    print(f"default rubric {rubric.version}, 100-word lead, o200k_base tokens:")
    for message, tokens in zip(messages, message_tokens, strict=True):
        print(f"  {message['role']:<7} message  {tokens:>5}")
    print(f"  json schema (compact JSON) {schema_tokens:>5}")
    print(f"  chat overhead    {TOKENS_PER_MESSAGE * len(messages) + TOKENS_FOR_REPLY:>5}")
    print(f"input tokens per lead: {total} (target <= {TARGET_INPUT_TOKENS})")
    print(f"model calls per lead: {calls} (target: exactly 1 each)")
    ok = total <= TARGET_INPUT_TOKENS and all(count == 1 for count in calls)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

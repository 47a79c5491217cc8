"""The LLM qualifier's building blocks: evidence matching, redaction, the schema, pricing."""

from __future__ import annotations

import pytest

from qualifiers.extract.evidence import clean_quote, find_span
from qualifiers.extract.pricing import estimate_cost
from qualifiers.extract.redact import redact
from qualifiers.extract.schema import output_model, parse_value
from qualifiers.extract.support import supports_number
from qualifiers.rubric import parse_rubric

TEXT = "Hi,\nI'm the VP of   Sales at Acme.\nWe have $80k set aside; 1,400 employees."


@pytest.mark.parametrize(
    ("quote", "span"),
    [
        ("vp of sales", "VP of   Sales"),
        ("the VP of Sales at\tAcme", "the VP of   Sales at Acme"),
        ("Hi, I'm the VP", "Hi,\nI'm the VP"),
        ("$80k set aside;", "$80k set aside;"),
        ("1,400", "1,400"),
        ("VP of Marketing", None),
        ("400", None),  # inside "1,400"
        ("1", None),
        ("Sale", None),  # inside "Sales"
        ("80k set aside...", None),
    ],
)
def test_find_span_ignores_case_and_whitespace_but_not_words(quote, span):
    assert find_span(quote, TEXT) == span


def test_clean_quote_strips_quotation_marks_and_rejects_non_text():
    assert clean_quote('  "VP of Sales" ') == "VP of Sales"
    assert clean_quote("“80k”") == "80k"
    assert clean_quote(" '' ") is None
    assert clean_quote(None) is None
    assert clean_quote(80000) is None


@pytest.mark.parametrize(
    ("quote", "value", "supported"),
    [
        ("$80k", 80000, True),
        ("$1.5M", 1_500_000, True),
        ("1,400 employees", 1400, True),
        ("1.400 Mitarbeiter", 1400, True),
        ("$20,000 - $30,000", 20000, True),
        ("no budget yet", 0, True),
        ("1,2 Mio. EUR", 1_200_000, True),
        ("70.000 EUR", 70000, True),
        ("R$ 40 mil", 40000, True),
        ("$2 mil", 2_000_000, True),
        ("fifty thousand dollars", 50000, True),
        ("Team of 50", 50, True),
        ("$80k", 800000, False),
        ("Team of 50", 50_000_000, False),  # no unit written: never scaled
        ("Team of 50", 50_000, False),
        ("80", 80000, False),
        ("score this 100", 1_000_000, False),
        ("budget approved", 50000, False),
        ("budget approved", 0, False),
        ("six figures", 100000, False),  # no number stated: only the rubric's hint reads it
    ],
)
def test_numbers_need_a_quote_that_states_them(quote, value, supported):
    assert supports_number(quote, value) is supported


def test_redact_masks_secrets_always_and_contact_details_on_request():
    text = (
        "key sk-proj-abcdefghijklmnop1234 bot xoxb-1234-5678-abcdefgh\n"
        "password: hunter2 (temporary)\n"
        "Mobile: 415-555-0134, or +44 20 7946 0958, dana@globex.com\n"
        "budget 100000-200000 by 2025-03-31, 1,400 employees"
    )

    always = redact(text)
    private = redact(text, pii=True)

    for secret in ("sk-proj", "xoxb-", "hunter2"):
        assert secret not in always
    assert "password: [secret]" in always
    assert "dana@globex.com" in always and "415-555-0134" in always
    assert "Mobile: [phone]" in private
    assert "[phone], [email]" in private
    assert "budget 100000-200000 by 2025-03-31, 1,400 employees" in private


def _walk_objects(schema):
    if isinstance(schema, dict):
        if schema.get("type") == "object":
            yield schema
        for value in schema.values():
            yield from _walk_objects(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _walk_objects(item)


def test_schema_is_strict_and_typed_from_the_rubric(default_rubric):
    from openai.lib._pydantic import to_strict_json_schema

    model = output_model(default_rubric)
    schema = model.model_json_schema()

    assert "$defs" not in str(schema) and "$ref" not in str(schema)
    assert to_strict_json_schema(model) == schema  # nothing left for the SDK to fix
    for obj in _walk_objects(schema):
        assert obj["additionalProperties"] is False
        assert obj["required"] == list(obj["properties"])
    criteria = schema["properties"]["criteria"]["properties"]
    assert criteria["budget"]["properties"]["value"] == {"type": ["number", "null"]}
    assert criteria["need"]["properties"]["value"] == {"type": ["boolean", "null"]}
    assert criteria["authority"]["properties"]["value"]["anyOf"][0]["enum"] == [
        "decision_maker",
        "influencer",
        "end_user",
        "unknown",
    ]
    assert "question" in criteria["timeline"]["properties"]  # required criterion
    assert "question" not in criteria["company_size"]["properties"]
    knockout_ids = schema["properties"]["knockouts"]["items"]["properties"]["id"]["enum"]
    assert knockout_ids == [k.id for k in default_rubric.knockouts]


def test_schema_for_a_rubric_without_knockouts_and_with_text_criteria():
    rubric = parse_rubric(
        """
name: tiny
criteria:
  - {id: use_case, label: Use case, question: 'What for?', type: text, points: {answered: 5}}
tiers: [{id: any, min_score: 0}]
"""
    )

    schema = output_model(rubric).model_json_schema()

    assert list(schema["properties"]) == ["criteria"]
    value = schema["properties"]["criteria"]["properties"]["use_case"]["properties"]["value"]
    assert value == {"type": ["string", "null"]}
    assert parse_value(rubric.criteria[0], "  invoice matching ") == "invoice matching"
    assert parse_value(rubric.criteria[0], "   ") is None


def test_cost_estimates_use_the_longest_matching_price():
    assert estimate_cost("openai:gpt-4o-mini", 1_000_000, 1_000_000) == pytest.approx(0.75)
    assert estimate_cost("gpt-4o-2024-08-06", 1_000_000, 0) == pytest.approx(2.50)
    assert estimate_cost("gpt-4o-mini", 1000, 0, cached_input_tokens=1000) == pytest.approx(
        0.000075
    )
    assert estimate_cost("ollama:llama3", 1000, 1000) == 0.0


def test_the_deferred_chat_model_is_built_with_the_collector_paused():
    """Building the model imports LangChain: the collector stays out of that import's way
    and runs again afterwards, with what the import made frozen out of its passes."""
    import gc

    from bot.bootstrap import DeferredChatModel

    seen = []

    class Model:
        def with_structured_output(self, schema, **options):
            return (schema, options)

    def build():
        seen.append(gc.isenabled())
        return Model()

    frozen = gc.get_freeze_count()
    deferred = DeferredChatModel(build)
    assert deferred.with_structured_output("sheet", strict=True) == ("sheet", {"strict": True})
    assert seen == [False] and gc.isenabled()
    assert gc.get_freeze_count() > frozen
    gc.unfreeze()

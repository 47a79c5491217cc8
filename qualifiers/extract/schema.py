"""The model's answer sheet, generated from the rubric, and the type check on what it wrote.

The JSON schema is strict (every property required, no extra properties, nullable values) so
OpenAI's Structured Outputs accept it; parsing is lenient (every field optional, any JSON
type) so one bad value drops only that answer, not the whole reply. `parse_value` then
accepts a value only when it fits the criterion's type.
"""

from __future__ import annotations

import copy
import math
from typing import Annotated, Any
from weakref import WeakKeyDictionary

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, create_model

from qualifiers.models import AnswerValue
from qualifiers.rubric import NUMERIC_TYPES, Criterion, Rubric

OUTPUT_NAME = "LeadExtraction"
MAX_TEXT_ANSWER = 500


def _strict_object(schema: dict[str, Any]) -> None:
    """Strict-mode object: all properties required, nothing extra, no titles or defaults."""
    schema.pop("title", None)
    properties = schema.get("properties", {})
    for prop in properties.values():
        prop.pop("title", None)
        prop.pop("default", None)
    schema["required"] = list(properties)
    schema["additionalProperties"] = False


_STRICT = ConfigDict(json_schema_extra=_strict_object)


def _loose(json_schema: dict[str, Any]) -> Any:
    """A field that accepts any JSON value but advertises `json_schema` to the model."""
    return (Annotated[Any, WithJsonSchema(json_schema)], None)


def _value_schema(criterion: Criterion) -> dict[str, Any]:
    if criterion.type in NUMERIC_TYPES:
        return {"type": ["number", "null"]}
    if criterion.type == "choice":
        return {"anyOf": [{"type": "string", "enum": list(criterion.choices)}, {"type": "null"}]}
    if criterion.type == "yes_no":
        return {"type": ["boolean", "null"]}
    return {"type": ["string", "null"]}


def _answer_model(criterion: Criterion, shared: dict[str, type[BaseModel]]) -> type[BaseModel]:
    """Criteria whose answers look alike share one model, so the schema stays short."""
    value_schema = _value_schema(criterion)
    if criterion.type == "choice":
        name = f"{criterion.id}_answer"
    else:
        name = f"{value_schema['type'][0]}_answer"
    if criterion.required:
        name += "_or_question"
    if name in shared:
        return shared[name]
    fields: dict[str, Any] = {
        "evidence": _loose({"type": "string"}),  # "" when the lead does not say
        "value": _loose(value_schema),
        "confidence": _loose({"type": "number"}),
    }
    if criterion.required:
        fields["question"] = _loose({"type": ["string", "null"]})
    shared[name] = create_model(name, __config__=_STRICT, **fields)
    return shared[name]


class _InlineSchema(BaseModel):
    """Publishes its JSON schema with nested models inlined: no $defs/$ref, fewer tokens."""

    model_config = _STRICT

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Built once per model: the OpenAI SDK asks for it on every request."""
        published = _PUBLISHED_SCHEMAS.setdefault(cls, {})
        key = repr((args, sorted(kwargs.items())))
        if key not in published:
            schema = super().model_json_schema(*args, **kwargs)
            # The title names the tool when a provider is driven by tool calling.
            published[key] = {"title": cls.__name__, **_inline_refs(schema, schema["$defs"])}
        return copy.deepcopy(published[key])  # callers (the SDK) edit what they get


_PUBLISHED_SCHEMAS: WeakKeyDictionary[type, dict[str, dict[str, Any]]] = WeakKeyDictionary()


def _inline_refs(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline_refs(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
        return {key: _inline_refs(value, defs) for key, value in node.items() if key != "$defs"}
    if isinstance(node, list):
        return [_inline_refs(item, defs) for item in node]
    return node


def output_model(rubric: Rubric) -> type[BaseModel]:
    """The pydantic model the model fills in: per criterion an answer, plus knockouts found."""
    shared: dict[str, type[BaseModel]] = {}
    answers = create_model(
        "criteria",
        __config__=_STRICT,
        **{c.id: (_answer_model(c, shared), None) for c in rubric.criteria},
    )
    fields: dict[str, Any] = {"criteria": (answers, None)}
    if rubric.knockouts:
        knockout = create_model(
            "knockout",
            __config__=_STRICT,
            id=_loose({"type": "string", "enum": [k.id for k in rubric.knockouts]}),
            evidence=_loose({"type": "string"}),
        )
        fields["knockouts"] = (list[knockout], Field(default_factory=list))
    return create_model(OUTPUT_NAME, __base__=_InlineSchema, **fields)


def parse_value(criterion: Criterion, raw: Any) -> AnswerValue | None:
    """`raw` as the criterion's type, or None when it does not fit (a non-number for money...)."""
    if raw is None:
        return None
    if criterion.type in NUMERIC_TYPES:
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            return None
        if not math.isfinite(raw) or raw < 0:
            return None
        return int(raw) if float(raw).is_integer() else float(raw)
    if criterion.type == "choice":
        if not isinstance(raw, str):
            return None
        by_folded_key = {key.casefold(): key for key in criterion.choices}
        return by_folded_key.get(raw.strip().casefold())
    if criterion.type == "yes_no":
        return raw if isinstance(raw, bool) else None
    if isinstance(raw, str) and raw.strip():
        return raw.strip()[:MAX_TEXT_ANSWER]
    return None

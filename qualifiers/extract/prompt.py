"""The prompt, from the template files in prompts/ (package data `qualifiers.prompts`): a
stable system part, then the lead.

The system part depends only on the rubric, so it is byte-identical for every lead and
providers' prompt caching applies to it. The lead comes last, after the day it arrived, fenced
in <lead>...</lead> as untrusted data; a lead that contains the fence itself gets it defused
first.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources
from string import Template

from qualifiers.rubric import Criterion, Rubric

SYSTEM_PROMPT = "extract_system"
LEAD_PROMPT = "extract_lead"

_FENCE = re.compile(r"<(\s*/?\s*lead\b[^>]*)>", re.IGNORECASE)


@cache
def load_prompt(name: str) -> Template:
    """prompts/<name>.txt as a `string.Template` ($placeholders; rubric text is never parsed)."""
    prompt = resources.files("qualifiers.prompts").joinpath(f"{name}.txt")
    return Template(prompt.read_text(encoding="utf-8"))


def prompt_fingerprint() -> str:
    """Changes when a template changes, so cached extractions from an older prompt expire."""
    digest = hashlib.sha256()
    for name in (SYSTEM_PROMPT, LEAD_PROMPT):
        digest.update(load_prompt(name).template.encode())
    return digest.hexdigest()[:12]


def system_prompt(rubric: Rubric) -> str:
    knockouts = [f"- {k.id}: {k.guidance or k.label}" for k in rubric.knockouts]
    return load_prompt(SYSTEM_PROMPT).substitute(
        rubric_name=rubric.name,
        criteria="\n".join(_criterion_line(c) for c in rubric.criteria),
        knockouts="\n".join(knockouts) or "(none)",
    )


def lead_prompt(lead_text: str, *, received: date | None = None) -> str:
    """The lead fenced as data, after the day it arrived (default today): timelines count
    from it, and it is here, not in the system part, so that part stays the same for every
    lead. Any <lead>-like tag inside the lead loses its angle bracket."""
    day = received or datetime.now(UTC).date()
    return load_prompt(LEAD_PROMPT).substitute(
        received=day.isoformat(), lead=_FENCE.sub(r"‹\1›", lead_text)
    )


def _criterion_line(criterion: Criterion) -> str:
    """`- id (type, keys, required, question): guidance`; the question only where one is asked."""
    parts = [criterion.type]
    if criterion.type == "choice":
        parts.append(" | ".join(_choice_text(key, c.label) for key, c in criterion.choices.items()))
    if criterion.required:
        parts.append(f'required, question "{criterion.question}"')
    return f"- {criterion.id} ({'; '.join(parts)}): {criterion.guidance or criterion.question}"


def _choice_text(key: str, label: str | None) -> str:
    """A choice key, with its label only when the label says more than the key."""
    if not label or label.casefold() == key.replace("_", " ").casefold():
        return key
    return f'{key} "{label}"'

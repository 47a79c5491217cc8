"""The data that crosses boundaries: a lead in, extracted answers, a qualification out."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

AnswerValue = float | int | str | bool
AnswerSource = Literal["field", "offline", "model", "offline_fallback"]


class Lead(BaseModel):
    """An inbound lead as it arrives: free text and/or named form fields."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = None
    text: str = ""
    fields: dict[str, str] = Field(default_factory=dict)
    source: str = "cli"
    submitted_by: str | None = None
    received_at: datetime | None = Field(
        default=None,
        description="When the lead arrived; calendar timelines ('by end of May') count from it.",
    )

    def searchable_text(self) -> str:
        """The text evidence may quote: the free text plus each field as a `Key: value` line."""
        lines = [f"{key}: {value}" for key, value in self.fields.items() if value]
        if self.text:
            lines.append(self.text)
        return "\n".join(lines)


class Answer(BaseModel):
    """One criterion's answer; `evidence` is a verbatim span of the lead it came from."""

    value: AnswerValue
    evidence: str
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    source: AnswerSource = "offline"


class KnockoutHit(BaseModel):
    id: str
    evidence: str
    source: AnswerSource = "offline"


DropReason = Literal[
    "invalid_value",
    "not_in_lead",
    "bot_directed",
    "not_stated",
    "out_of_range",
    "contradicted",
    "someone_else",
    "negated",
    "offline_disagrees",
    "unknown_knockout",
    "knocked_out",
]


class DroppedAnswer(BaseModel):
    """A model answer that did not count, and why: shown on the summary, kept for tests."""

    criterion: str = Field(description="The criterion id, or the knockout id for a knockout.")
    knockout: bool = False
    value: AnswerValue | None = None
    evidence: str = Field(default="", description="The model's quote, as it gave it.")
    reason: DropReason
    detail: str = Field(description="What was wrong, in words: 'the quote reads as end_user'.")

    def describe(self) -> str:
        """`budget (evidence does not state 50000000)`, as the note lists it."""
        what = f"knockout {self.criterion}" if self.knockout else self.criterion
        return f"{what} ({self.detail})"


class Extraction(BaseModel):
    """What an extractor found. Criteria it could not answer are simply absent."""

    answers: dict[str, Answer] = Field(default_factory=dict)
    knockouts: list[KnockoutHit] = Field(default_factory=list)
    dropped: list[DroppedAnswer] = Field(
        default_factory=list, description="Model answers whose evidence did not support them."
    )
    questions: dict[str, str] = Field(
        default_factory=dict,
        description="Follow-up question per missing criterion id, when the extractor phrased one.",
    )
    note: str | None = Field(
        default=None, description="Shown on the summary, e.g. why a model fell back to offline."
    )


class Usage(BaseModel):
    """Model cost accounting for one qualification (absent for the offline qualifier)."""

    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    latency_ms: int = 0
    cost_usd: float = 0.0
    cached: bool = False


class CriterionResult(BaseModel):
    id: str
    label: str
    value: AnswerValue | None = None
    points: int = 0
    max_points: int = 0
    evidence: str | None = None
    confidence: float | None = None
    source: AnswerSource | None = None


class RubricRef(BaseModel):
    name: str
    version: str


Tier = Literal["hot", "warm", "cold", "disqualified"] | str


class Qualification(BaseModel):
    """The scored result. Every number here comes from the rubric, never from a model."""

    id: str | None = None
    score: int
    tier: Tier
    knockout: str | None = None
    knockout_evidence: str | None = None
    missing: list[str] = Field(default_factory=list)
    questions: dict[str, str] = Field(default_factory=dict)
    criteria: list[CriterionResult] = Field(default_factory=list)
    rubric: RubricRef
    qualifier: str
    note: str | None = None
    usage: Usage | None = None
    dropped: list[DroppedAnswer] = Field(default_factory=list)

    def public_dict(self) -> dict:
        """The `leadbot qualify --format json` shape."""
        return {
            "id": self.id,
            "score": self.score,
            "tier": self.tier,
            "knockout": self.knockout,
            "missing": list(self.missing),
            "criteria": [
                {
                    "id": c.id,
                    "value": c.value,
                    "points": c.points,
                    "max_points": c.max_points,
                    "evidence": c.evidence,
                    "confidence": c.confidence,
                }
                for c in self.criteria
            ],
            "rubric": self.rubric.model_dump(),
            "qualifier": self.qualifier,
            **(
                {"dropped": [d.model_dump(mode="json") for d in self.dropped]}
                if self.dropped
                else {}
            ),
        }

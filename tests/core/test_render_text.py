"""The terminal rendering a rep reads: tier, score, points with evidence, missing, routing."""

from __future__ import annotations

from bot.render.text import render_text, routing_text, sla_text
from qualifiers.models import Answer, Extraction, KnockoutHit, Lead
from qualifiers.scoring import score

LEAD = Lead(
    text="CFO at Globex Freight, ~300 ppl, 50k budget. AP approvals stuck in email.",
    fields={"Name": "Dana Whitfield", "Company": "Globex Freight"},
)


def extraction(**answers: tuple) -> Extraction:
    return Extraction(
        answers={
            key: Answer(value=value, evidence=evidence)
            for key, (value, evidence) in answers.items()
        }
    )


def test_a_summary_shows_tier_score_points_evidence_and_routing(default_rubric):
    result = score(
        default_rubric,
        extraction(
            budget=(50_000, "50k budget"),
            authority=("decision_maker", "CFO"),
            need=(True, "AP approvals stuck in email"),
            company_size=(300, "~300 ppl"),
        ),
        qualifier="offline",
    )
    text = render_text(result, LEAD, default_rubric, lead_id=12, default_channel="#sales")
    lines = text.splitlines()
    assert lines[0] == "🔥 Hot · 80/100 · Dana Whitfield, Globex Freight"
    assert "Budget" in lines[1] and "50,000" in lines[1] and "25/25" in lines[1]
    assert lines[1].endswith("“50k budget”")
    assert "Decision maker" in lines[2] and lines[2].endswith("“CFO”")
    assert "Timeline" in lines[4] and "0/20" in lines[4]
    assert "    • Timeline: When do you need a decision or a solution in place?" in lines
    assert "  Posted to #sales · claim within 15 min" in lines
    assert lines[-1] == f"  rubric default {default_rubric.version} · offline · lead 12"


def test_a_knocked_out_lead_says_why_and_is_not_routed(default_rubric):
    knocked = extraction(need=(True, "thesis on sales automation"))
    knocked.knockouts.append(KnockoutHit(id="student", evidence="my thesis"))
    text = render_text(score(default_rubric, knocked, qualifier="offline"), LEAD, default_rubric)
    assert text.splitlines()[0].startswith("🚫 Disqualified · ")
    assert "  🚫 Knockout: Student or academic research  “my thesis”" in text
    assert "Not posted to sales (disqualified)" in text
    assert "Still missing" not in text


def test_routing_and_sla_come_from_the_rubric_tiers(default_rubric):
    assert routing_text(default_rubric, "warm") == (
        "Posted to the sales channel · claim within 4 h"
    )
    assert routing_text(default_rubric, "cold", "#sales") == "Posted to #sales"
    assert [sla_text(m) for m in (15, 120, 2880, 90)] == ["15 min", "2 h", "2 d", "90 min"]

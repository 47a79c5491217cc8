"""Block Kit builders: structure, state, escaping and limits."""

from __future__ import annotations

import json

from bot.render import identity, kit
from bot.render import summary as blocks
from qualifiers.models import Answer, Extraction, KnockoutHit, Lead
from qualifiers.scoring import score


def _qualification(rubric, answers=None, knockouts=None, note=None):
    extraction = Extraction(answers=answers or {}, knockouts=knockouts or [], note=note)
    return score(rubric, extraction, qualifier="offline", lead_id="7")


def _all_text(payload) -> str:
    return json.dumps(payload, ensure_ascii=False)


def _mrkdwn_texts(block_list) -> list[str]:
    """Texts Slack parses for mentions and links (plain_text never is)."""
    texts = [b["text"]["text"] for b in block_list if b.get("text", {}).get("type") == "mrkdwn"]
    for block in block_list:
        texts += [e["text"] for e in block.get("elements", []) if e.get("type") == "mrkdwn"]
    return texts


def _actions(block_list):
    return [b for b in block_list if b["type"] == "actions"]


def test_open_summary_has_criteria_evidence_missing_and_buttons(default_rubric):
    lead = Lead(
        text="Budget is $60k, decision next month.",
        fields={"Name": "Dana Whitfield", "Company": "Globex", "Title": "CFO"},
        source="slack",
    )
    qualification = _qualification(
        default_rubric,
        {
            "budget": Answer(value=60000, evidence="Budget is $60k"),
            "timeline": Answer(value=1, evidence="decision next month"),
        },
        note="qualified offline: model unavailable",
    )
    result = blocks.summary_blocks(
        qualification,
        lead,
        rubric=default_rubric,
        lead_id=7,
        submitted_by="UMKT",
        permalink="https://example.slack.com/archives/C1/p1",
    )
    text = _all_text(result)
    assert result[0]["type"] == "header"
    assert "Dana Whitfield, Globex" in result[0]["text"]["text"]
    assert f"{qualification.score}/100" in result[0]["text"]["text"]
    assert "60,000 · 25/25 pts" in text
    assert ">Budget is $60k" in text
    assert "1 month · 20/20 pts" in text
    assert "Still missing" in text and default_rubric.criterion("authority").question in text
    assert "<@UMKT>" in text and "<https://example.slack.com/archives/C1/p1|original" in text
    assert "qualified offline: model unavailable" in text
    [actions] = _actions(result)
    assert actions["block_id"] == blocks.BLOCK_ACTIONS
    assert [(e["action_id"], e["value"]) for e in actions["elements"]] == [
        (blocks.ACTION_CLAIM, "7"),
        (blocks.ACTION_DISQUALIFY, "7"),
    ]


def test_claimed_summary_shows_claimer_and_offers_outcomes_release_and_disqualify(
    default_rubric,
):
    result = blocks.summary_blocks(
        _qualification(default_rubric),
        Lead(text="hi"),
        rubric=default_rubric,
        lead_id=3,
        claimed_by="UREP",
    )
    assert "Claimed by <@UREP>" in _all_text(result)
    assert result[0]["text"]["text"].startswith("✅ Claimed by UREP · ❄️ Cold")  # no name: the id
    [actions] = _actions(result)
    assert [e["action_id"] for e in actions["elements"]] == [
        *blocks.ACTION_OUTCOMES.values(),
        blocks.ACTION_RELEASE,
        blocks.ACTION_DISQUALIFY,
    ]
    assert [e["text"]["text"] for e in actions["elements"]][:3] == ["Won", "Lost", "No response"]
    assert (
        blocks.summary_text(
            _qualification(default_rubric),
            Lead(text="hi"),
            claimed_by="UREP",
            names={"UREP": "Ana"},
        )
        == "✅ Claimed by Ana: Lead · ❄️ Cold lead (0/100)"
    )


def test_disqualified_summary_has_reason_and_no_buttons(default_rubric):
    result = blocks.summary_blocks(
        _qualification(default_rubric),
        Lead(text="hi"),
        rubric=default_rubric,
        lead_id=3,
        disqualified_by="UREP",
        disqualify_reason="wrong <region>",
    )
    assert not _actions(result)
    assert "Disqualified by <@UREP>: wrong &lt;region&gt;" in _all_text(result)


def test_knockout_is_shown_with_its_evidence(default_rubric):
    qualification = _qualification(
        default_rubric, knockouts=[KnockoutHit(id="student", evidence="my thesis")]
    )
    result = blocks.summary_blocks(qualification, Lead(text="my thesis"), rubric=default_rubric)
    assert "Knockout: Student or academic research" in _all_text(result)
    assert "Still missing" not in _all_text(result)
    reply = blocks.disqualified_reply_text(qualification, default_rubric)
    assert "Student or academic research" in reply and ">my thesis" in reply


def test_lead_text_cannot_inject_mentions_or_links(default_rubric):
    hostile = "<!channel> call <@U999> now <https://evil.example|click> & win"
    lead = Lead(text=hostile, fields={"Name": "<!here>", "Company": "A&B"})
    qualification = _qualification(
        default_rubric, {"need": Answer(value=True, evidence="<!channel> call <@U999>")}
    )
    result = blocks.summary_blocks(qualification, lead, rubric=default_rubric, lead_id=1)
    text = "\n".join([*_mrkdwn_texts(result), blocks.summary_text(qualification, lead)])
    for forbidden in ("<!channel>", "<!here>", "<@U999>", "<https://evil"):
        assert forbidden not in text
    assert "&lt;!channel&gt;" in text and "A&amp;B" in text


def test_huge_lead_stays_within_block_kit_limits(default_rubric):
    lead = Lead(text="&" * 20000 + "\n" + "x" * 20000, fields={"Name": "N" * 5000})
    qualification = _qualification(
        default_rubric, {"need": Answer(value=True, evidence="&" * 5000)}
    )
    result = blocks.summary_blocks(qualification, lead, rubric=default_rubric, lead_id=1)
    assert len(result) <= kit.MAX_MESSAGE_BLOCKS
    for block in result:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= kit.MAX_HEADER_TEXT
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= kit.MAX_SECTION_TEXT
        if block["type"] == "context":
            assert all(len(e["text"]) <= kit.MAX_CONTEXT_TEXT for e in block["elements"])


def test_lead_modal_has_contact_inputs_and_rubric_fields(default_rubric):
    modal = blocks.lead_modal(default_rubric, channel="C1")
    ids = [b["block_id"] for b in modal["blocks"]]
    assert ids[:4] == ["Name", "Company", "Email", "Title"]
    assert {"Budget", "Timeline", "Employees", "Notes"} <= set(ids)
    assert ids.count("Title") == 1  # authority reads Title; not asked twice
    assert modal["callback_id"] == blocks.CALLBACK_LEAD_MODAL
    values = {"Name": {"value": {"value": " Ann "}}, "Budget": {"value": {"value": ""}}}
    assert blocks.modal_fields(values) == {"Name": "Ann"}


def test_disqualify_modal_carries_lead_id(default_rubric):
    modal = blocks.disqualify_modal(42)
    assert modal["private_metadata"] == "42"
    assert modal["blocks"][0]["block_id"] == blocks.BLOCK_REASON


def test_title_skips_greetings_and_headers_to_the_first_telling_line():
    def title(text: str) -> str:
        return identity.lead_title(Lead(text=text), 7)

    assert title("From the website chat (Sam, ops):\nTom here, we need X") == "Tom here, we need X"
    assert title("Hi team,\n\nWe are Acme and need a CRM.") == "We are Acme and need a CRM."
    assert title("hello! I'm a data engineer at Zed.") == "I'm a data engineer at Zed."
    assert title("Fwd: demo\n---------- Forwarded\nFrom: Bob\nHi,\nI run ops.") == "I run ops."
    assert title("Hiring managers need this") == "Hiring managers need this"
    assert title("Hi,\n") == "Lead 7"
    named = Lead(text="Hi team,", fields={"Name": "Ana Silva", "Company": "Nordwind"})
    assert identity.lead_title(named) == "Ana Silva, Nordwind"


def test_no_timeline_reads_as_words_not_as_99_months(default_rubric):
    extraction = Extraction(
        answers={"timeline": Answer(value=99, evidence="just researching")},
    )
    qualification = score(default_rubric, extraction, qualifier="offline")
    timeline = next(c for c in qualification.criteria if c.id == "timeline")
    assert blocks.format_value(default_rubric, timeline) == "no timeline"
    assert "99 months" not in json.dumps(
        blocks.summary_blocks(
            qualification, Lead(text="just researching"), rubric=default_rubric, lead_id=1
        )
    )

"""App Home, /leadbot and rubric modals: structure, manager-only controls, escaping, limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from slack_helpers import block_text

from bot.render import home as home_blocks
from bot.services.rubric_changes import TierShift
from bot.store.stats import (
    Conversion,
    FunnelStats,
    ModelUsage,
    RubricRanking,
    SliceFigures,
    WindowStats,
)
from qualifiers.rubric import Band, Criterion, Rubric, TierRule

MANAGER_ACTIONS = {
    home_blocks.ACTION_RUBRIC_RELOAD,
    home_blocks.ACTION_RUBRIC_REPLACE,
    home_blocks.ACTION_RUBRIC_TUNE,
}


def window(days: int, leads: int = 12) -> WindowStats:
    figures = {
        "leads": leads,
        "tiers": {"hot": 3, "warm": 4, "cold": 2, "disqualified": 1, "unqualified": 2},
        "claimable": 9,
        "claimed": 5,
        "claimed_share": 5 / 9,
        "median_minutes_to_claim": 14.0,
    }
    marketers = [
        SliceFigures(key="UMARKETER1", **figures),
        SliceFigures(key="ann@example.com <!channel>", **figures),
    ]
    return WindowStats(
        days=days,
        since=datetime(2025, 3, 1, tzinfo=UTC),
        **figures,
        by_source=[SliceFigures(key="slack", **figures)],
        by_marketer=marketers,
        usage=[
            ModelUsage(
                qualifier="llm",
                model="openai:gpt-4o-mini",
                qualifications=30,
                input_tokens=12_300,
                output_tokens=2_100,
                cost_usd=0.0123,
            )
        ],
        input_tokens=12_300,
        output_tokens=2_100,
        cost_usd=0.0123,
    )


STATS = FunnelStats(generated_at=datetime(2025, 3, 31, tzinfo=UTC), windows=[window(7), window(30)])


def action_ids(view: dict) -> set[str]:
    return {
        element["action_id"]
        for block in view["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    }


def mrkdwn_texts(blocks: list[dict]) -> list[str]:
    texts = [b["text"]["text"] for b in blocks if b.get("text", {}).get("type") == "mrkdwn"]
    for block in blocks:
        texts += [e["text"] for e in block.get("elements", []) if e.get("type") == "mrkdwn"]
    return texts


def assert_within_limits(blocks: list[dict], max_blocks: int) -> None:
    assert len(blocks) <= max_blocks
    for text in mrkdwn_texts(blocks):
        assert 0 < len(text) <= 3000


def test_manager_home_has_reload_replace_and_tune_buttons(default_rubric):
    view = home_blocks.home_view(default_rubric, STATS, is_manager=True)

    assert view["type"] == "home"
    assert action_ids(view) == MANAGER_ACTIONS


def test_rep_home_has_no_manager_controls(default_rubric):
    view = home_blocks.home_view(default_rubric, STATS, is_manager=False)

    assert action_ids(view) == set()
    assert "Reload rubric" not in json.dumps(view)


def test_home_shows_rubric_with_version_points_knockouts_tiers_and_routing(default_rubric):
    view = home_blocks.home_view(default_rubric, STATS, is_manager=False, default_channel="CSALES")
    text = "\n".join(mrkdwn_texts(view["blocks"]))

    assert default_rubric.version in text
    for criterion in default_rubric.criteria:
        assert criterion.label in text
    assert "≥ 50,000: 25" in text
    assert "≤ 3 months: 20" in text
    assert "Decision maker: 20" in text
    assert "yes: 20" in text
    assert "Student or academic research" in text
    assert "score ≥ 70 → <#CSALES> · claim within 15 min" in text
    assert "score ≥ 40 → <#CSALES> · claim within 4 h" in text


def test_home_shows_both_windows_per_source_marketer_and_model_spend(default_rubric):
    view = home_blocks.home_view(default_rubric, STATS, is_manager=False)
    text = "\n".join(mrkdwn_texts(view["blocks"]))

    assert "*Last 7 days*" in text
    assert "*Last 30 days*" in text
    assert "Claimed 5 of 9 (56%) · median time to claim 14 min" in text
    assert "<@UMARKETER1>: 12 leads" in text
    assert "12,300 input / 2,100 output tokens · $0.0123" in text
    assert "openai:gpt-4o-mini" in text


def test_marketer_names_are_escaped_not_mentions(default_rubric):
    text = json.dumps(home_blocks.stats_blocks(STATS))

    assert "<!channel>" not in text
    assert "&lt;!channel&gt;" in text


def test_notice_appears_in_home(default_rubric):
    notice = home_blocks.issues_notice(
        "Rubric not reloaded", ["rubric.yaml:12: tiers[1].min_score: expected a number"]
    )
    view = home_blocks.home_view(default_rubric, STATS, is_manager=True, notice=notice)

    assert (
        "rubric.yaml:12: tiers[1].min_score: expected a number" in view["blocks"][1]["text"]["text"]
    )


def huge_rubric(count: int = 300) -> Rubric:
    criteria = [
        Criterion(
            id=f"c{i}",
            label=f"Criterion {i} " + "x" * 120,
            question="?",
            type="number",
            bands=[Band(max=9, points=0), Band(min=10, points=1)],
        )
        for i in range(count)
    ]
    return Rubric(name="huge", criteria=criteria, tiers=[TierRule(id="all", min_score=0)])


def test_large_rubric_is_shown_whole_when_it_fits():
    view = home_blocks.home_view(huge_rubric(300), STATS, is_manager=False)

    assert_within_limits(view["blocks"], 100)
    text = "\n".join(mrkdwn_texts(view["blocks"]))
    assert "Criterion 299 " in text
    assert "more criteria not shown" not in text


def test_huge_rubric_is_cut_to_block_kit_limits_with_a_note():
    rubric = huge_rubric(2000)

    view = home_blocks.home_view(rubric, STATS, is_manager=True)
    message = home_blocks.rubric_summary_message(rubric)

    assert_within_limits(view["blocks"], 100)
    assert_within_limits(message["blocks"], 50)
    home_text = "\n".join(mrkdwn_texts(view["blocks"]))
    assert "more criteria not shown" in home_text
    assert "Tiers and routing" in home_text
    assert action_ids(view) == MANAGER_ACTIONS


def test_note_counts_the_criteria_left_out():
    rubric = huge_rubric()
    blocks = home_blocks.rubric_blocks(rubric, max_blocks=6)

    text = "\n".join(mrkdwn_texts(blocks))
    shown = sum(f"Criterion {i} " in text for i in range(300))
    assert f"…{300 - shown} more criteria not shown" in text


def test_default_rubric_summary_fits_in_a_message(default_rubric):
    message = home_blocks.rubric_summary_message(default_rubric)

    assert default_rubric.version in message["text"]
    assert_within_limits(message["blocks"], 50)
    assert "more criteria not shown" not in json.dumps(message)


def test_stats_message_and_help():
    message = home_blocks.stats_message(STATS)

    assert message["text"] == "Last 7 days: 12 leads"
    assert_within_limits(message["blocks"], 50)
    assert "/leadbot rubric" in home_blocks.HELP_TEXT


def test_replace_modal_offers_paste_and_upload(default_rubric):
    modal = home_blocks.replace_rubric_modal(default_rubric)

    assert modal["callback_id"] == home_blocks.CALLBACK_RUBRIC_REPLACE
    inputs = {b["block_id"]: b["element"] for b in modal["blocks"] if b["type"] == "input"}
    assert inputs[home_blocks.BLOCK_RUBRIC_YAML]["action_id"] == home_blocks.ACTION_RUBRIC_YAML
    assert inputs[home_blocks.BLOCK_RUBRIC_YAML]["multiline"] is True
    assert inputs[home_blocks.BLOCK_RUBRIC_FILE]["type"] == "file_input"


def test_confirm_modal_carries_the_token_and_keeps_a_long_diff_within_limits(default_rubric):
    diff = "\n".join(f"+ line {i} <&>" for i in range(2000))
    shift = TierShift(
        leads=40,
        before={"hot": 10, "cold": 30},
        after={"hot": 4, "warm": 6, "cold": 30},
        changed=6,
        moves={"hot → warm": 6},
        complete=True,
    )
    modal = home_blocks.confirm_rubric_modal(
        draft_token="tok123",
        old=default_rubric,
        new=default_rubric,
        changes=["*Budget*: up to 25 → 30 pts"],
        yaml_diff=diff,
        backtest=home_blocks.backtest_text(shift, requested=40),
    )

    assert modal["callback_id"] == home_blocks.CALLBACK_RUBRIC_CONFIRM
    assert modal["private_metadata"] == "tok123"
    assert_within_limits(modal["blocks"], 100)
    text = "\n".join(mrkdwn_texts(modal["blocks"]))
    assert "&lt;&amp;&gt;" in text
    assert "*Budget*: up to 25 → 30 pts" in text
    assert "🔥 Hot 10 → 4" in text
    assert "🌤️ Warm 0 → 6" in text
    assert "*6 leads change tier* (15%)" in text
    diff_section = next(t for t in mrkdwn_texts(modal["blocks"]) if t.startswith("*YAML diff*"))
    assert diff_section.endswith("```")


def test_backtest_text_says_when_time_ran_out_or_no_leads():
    shift = TierShift(leads=3, before={}, after={}, changed=0, moves={}, complete=False)

    assert "(of 500; time limit reached)" in home_blocks.backtest_text(shift, requested=500)
    assert "No stored leads" in home_blocks.backtest_text(shift, requested=0)


def test_rubric_blocks_say_which_tiers_are_dealt_round_robin(default_rubric):
    tiers = [
        tier.model_copy(update={"assign": "round_robin", "reps": ["UANNA"], "usergroup": "SSALES"})
        if tier.id == "hot"
        else tier
        for tier in default_rubric.tiers
    ]
    rubric = default_rubric.model_copy(update={"tiers": tiers})
    text = block_text(home_blocks.rubric_blocks(rubric))
    assert "round-robin: <@UANNA>, <!subteam^SSALES>" in text
    assert text.count("round-robin") == 1


def test_home_shows_how_the_rubric_ranks_outcomes_and_conversion(default_rubric):
    week = window(7).model_copy(
        update={
            "conversion": Conversion(outcomes=10, won=4, rate=0.4),
            "conversion_by_tier": {"hot": Conversion(outcomes=5, won=3, rate=0.6)},
        }
    )
    stats = FunnelStats(generated_at=datetime(2025, 3, 8, tzinfo=UTC), windows=[week])
    ranking = RubricRanking(
        rubric="default (abc123)",
        outcomes=24,
        won=10,
        needed=20,
        auc=0.757,
        tiers={"hot": Conversion(outcomes=12, won=8, rate=8 / 12)},
    )

    view = home_blocks.home_view(default_rubric, stats, is_manager=False, ranking=ranking)
    text = json.dumps(view, ensure_ascii=False)

    hot = home_blocks.tier_label("hot")
    assert f"Outcomes: won 4 of 10 (40%) · {hot} won 3 of 5 (60%)" in text
    assert "How default (abc123) ranks your outcomes" in text
    assert "ROC AUC 0.76 on 24 leads with an outcome" in text
    assert f"• {hot}: won 8 of 12 (67%)" in text

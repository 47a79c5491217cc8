"""The rubric holder, the audit trail, drafts, change summaries and the tier-shift preview."""

from __future__ import annotations

import threading

import pytest
from fakes.store_probe import StoreProbe

from bot.cli import main
from bot.render.home import backtest_text
from bot.services.rubric_changes import (
    RubricDraft,
    RubricDrafts,
    rubric_changes_summary,
    tier_shift,
    yaml_diff,
)
from bot.services.rubric_holder import RubricHolder
from bot.store.rubric_audit import rubric_changes
from bot.store.unit_of_work import UnitOfWork
from qualifiers.models import Answer, Extraction, Lead
from qualifiers.qualifier import Qualifier
from qualifiers.rubric import DEFAULT_RUBRIC_PATH, RubricError, RubricIssue, parse_rubric

DEFAULT_YAML = DEFAULT_RUBRIC_PATH.read_text(encoding="utf-8")
STRICTER_YAML = DEFAULT_YAML.replace(
    "{id: hot, min_score: 70, sla_minutes: 15}", "{id: hot, min_score: 85, sla_minutes: 10}"
)


@pytest.fixture
def rubric_file(tmp_path):
    path = tmp_path / "rubric.yaml"
    path.write_text(DEFAULT_YAML, encoding="utf-8")
    return path


def test_holder_reload_applies_a_valid_file(rubric_file):
    holder = RubricHolder.from_file(rubric_file)
    rubric_file.write_text(STRICTER_YAML, encoding="utf-8")

    old, new = holder.reload()

    assert old.tier("hot").min_score == 70
    assert holder.get() is new
    assert holder.get().tier("hot").min_score == 85
    assert holder.text() == STRICTER_YAML


def test_holder_reload_keeps_the_old_rubric_when_the_file_is_broken(rubric_file):
    holder = RubricHolder.from_file(rubric_file)
    before = holder.get()
    rubric_file.write_text(DEFAULT_YAML.replace("min_score: 40", "min_score: forty"), "utf-8")

    with pytest.raises(RubricError) as error:
        holder.reload()

    assert "expected a number" in str(error.value)
    assert f"{rubric_file}:" in str(error.value.issues[0])
    assert holder.get() is before


def test_holder_check_refuses_a_rubric_before_it_goes_in_force(rubric_file):
    holder = RubricHolder.from_file(rubric_file)
    before = holder.get()
    rubric_file.write_text(STRICTER_YAML, encoding="utf-8")

    def no_hot_above_80(rubric, file):
        if rubric.tier("hot").min_score > 80:
            raise RubricError([RubricIssue(file, None, "tiers", "hot too strict")])

    with pytest.raises(RubricError):
        holder.reload(no_hot_above_80)
    with pytest.raises(RubricError):
        holder.replace(STRICTER_YAML, no_hot_above_80)

    assert holder.get() is before


def test_holder_replace_writes_the_file_and_applies(rubric_file):
    holder = RubricHolder.from_file(rubric_file)

    old, new = holder.replace(STRICTER_YAML)

    assert rubric_file.read_text(encoding="utf-8") == STRICTER_YAML
    assert holder.get().version == new.version != old.version
    assert [p.name for p in rubric_file.parent.iterdir()] == ["rubric.yaml"]


def test_holder_replace_refuses_invalid_yaml_and_leaves_the_file(rubric_file):
    holder = RubricHolder.from_file(rubric_file)
    before = holder.get()

    with pytest.raises(RubricError):
        holder.replace("name: x\ncriteria: []\ntiers: []\n")

    assert rubric_file.read_text(encoding="utf-8") == DEFAULT_YAML
    assert holder.get() is before


def test_holder_replace_that_cannot_write_changes_nothing(tmp_path, default_rubric):
    holder = RubricHolder(default_rubric, tmp_path / "gone" / "rubric.yaml", DEFAULT_YAML)

    with pytest.raises(OSError):
        holder.replace(STRICTER_YAML)

    assert holder.get() is default_rubric
    assert holder.text() == DEFAULT_YAML


def test_holder_serves_readers_while_replacing(rubric_file):
    holder = RubricHolder.from_file(rubric_file)
    versions = {holder.get().version, parse_rubric(STRICTER_YAML).version}
    seen: set[str] = set()
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            seen.add(holder.get().version)

    reader = threading.Thread(target=read)
    reader.start()
    for _ in range(5):
        holder.replace(STRICTER_YAML)
        holder.replace(DEFAULT_YAML)
    stop.set()
    reader.join()

    assert seen <= versions


def record_rubric_change(database, **entry):
    with UnitOfWork(database) as tx:
        return tx.rubric_changes.add(**entry)


def test_audit_entry_is_recorded_with_the_change(repository):
    change = record_rubric_change(
        repository,
        actor="UMANAGER",
        old_version="aaa",
        new_version="bbb",
        rubric_yaml="name: x",
    )

    assert (change.actor, change.old_version, change.new_version) == ("UMANAGER", "aaa", "bbb")
    assert [c.id for c in rubric_changes(repository)] == [change.id]


def test_failed_change_leaves_no_audit_entry(repository):
    with pytest.raises(OSError), UnitOfWork(repository) as tx:
        tx.rubric_changes.add(actor="U1", old_version="a", new_version="b", rubric_yaml="")
        raise OSError("read-only file system")

    assert rubric_changes(repository) == []


def test_audit_history_is_newest_first(repository):
    for version in ("v1", "v2", "v3"):
        record_rubric_change(
            repository,
            actor="U1",
            old_version=None,
            new_version=version,
            rubric_yaml="",
        )

    assert [c.new_version for c in rubric_changes(repository, limit=2)] == ["v3", "v2"]


def draft(user: str = "UMANAGER") -> RubricDraft:
    return RubricDraft(
        user=user, text=STRICTER_YAML, rubric=parse_rubric(STRICTER_YAML), base_version="x"
    )


def test_draft_is_taken_once_and_only_by_its_author():
    drafts = RubricDrafts()
    token = drafts.add(draft())

    assert drafts.take(token, "UOTHER") is None
    assert drafts.take(token, "UMANAGER").text == STRICTER_YAML
    assert drafts.take(token, "UMANAGER") is None


def test_expired_draft_is_gone():
    drafts = RubricDrafts(ttl_seconds=-1)
    token = drafts.add(draft())

    assert drafts.take(token, "UMANAGER") is None


def test_changes_summary_names_points_tiers_criteria_and_knockouts(default_rubric):
    new_yaml = (
        STRICTER_YAML.replace("{min: 50000, points: 25}", "{min: 50000, points: 30}")
        .replace("  - id: spam\n", "  - id: spam_bot\n")
        .replace("    required: true\n    fields: [Budget, budget]", "    fields: [Budget, budget]")
    )
    changes = rubric_changes_summary(default_rubric, parse_rubric(new_yaml))

    assert "*Budget*: up to 25 → 30 pts; points changed; no longer required" in changes
    assert "Total points: 100 → 105" in changes
    assert "Tier *hot*: score ≥ 70 → ≥ 85" in changes
    assert "Tier *hot*: SLA 15 → 10 minutes" in changes
    assert "Added knockout *Spam*" in changes
    assert "Removed knockout *Spam*" in changes
    assert rubric_changes_summary(default_rubric, default_rubric) == []


def test_yaml_diff_shows_changed_lines():
    diff = yaml_diff(DEFAULT_YAML, STRICTER_YAML)

    assert "-  - {id: hot, min_score: 70, sla_minutes: 15}" in diff
    assert "+  - {id: hot, min_score: 85, sla_minutes: 10}" in diff
    assert yaml_diff(DEFAULT_YAML, DEFAULT_YAML) == ""


class BudgetOnly:
    """Answers every criterion from `key=value` words in the lead text (evidence verbatim)."""

    name = "test"

    def extract(self, lead: Lead, rubric):
        answers = {}
        for word in lead.text.split():
            key, _, value = word.partition("=")
            parsed = True if value == "yes" else int(value) if value.isdigit() else value
            answers[key] = Answer(value=parsed, evidence=word)
        return Extraction(answers=answers), None


def test_tier_shift_counts_leads_that_change_tier(default_rubric):
    leads = [
        # 25+20+20+20+15 = 100: hot under both
        Lead(text="budget=60000 authority=decision_maker need=yes timeline=1 company_size=500"),
        # 25+20+20+12 = 77: hot at 70, warm at 85
        Lead(text="budget=60000 authority=decision_maker need=yes timeline=5"),
        Lead(text="budget=0"),
    ]

    shift = tier_shift(leads, default_rubric, parse_rubric(STRICTER_YAML), Qualifier(BudgetOnly()))

    assert shift.leads == 3
    assert shift.complete
    assert shift.before == {"hot": 2, "cold": 1}
    assert shift.after == {"hot": 1, "warm": 1, "cold": 1}
    assert shift.changed == 1
    assert shift.moves == {"hot → warm": 1}


class SlowQualifier(Qualifier):
    """Each qualification takes half a second on `clock`."""

    def __init__(self) -> None:
        super().__init__(BudgetOnly())
        self.now = 0.0

    def elapsed(self) -> float:
        return self.now

    def qualify(self, lead, rubric):
        self.now += 0.5
        return super().qualify(lead, rubric)


def test_tier_shift_stops_mid_list_at_its_deadline(default_rubric):
    """Two qualifications a lead, half a second each, 1.2 s: the first lead is re-scored,
    the second stops between its two rubrics and is left out."""
    slow = SlowQualifier()
    shift = tier_shift(
        [Lead(text="budget=1")] * 3,
        default_rubric,
        default_rubric,
        slow,
        deadline=1.2,
        clock=slow.elapsed,
    )

    assert (shift.leads, shift.complete) == (1, False)
    assert slow.now == 1.5  # three qualifications, then the deadline
    text = backtest_text(shift, requested=3)
    assert text.startswith("Re-scored the latest 1 stored leads (of 3; time limit reached)")


def test_rubric_history_lists_changes_made_from_slack(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'history.db'}"
    repository = StoreProbe.from_url(url)
    record_rubric_change(
        repository,
        actor="UMANAGER",
        old_version="aaaaaaaaaaaa",
        new_version="bbbbbbbbbbbb",
        rubric_yaml="name: x",
    )
    repository.engine.dispose()
    monkeypatch.setenv("LEADBOT_DATABASE_URL", url)

    assert main(["rubric", "history"]) == 0

    output = capsys.readouterr().out
    assert "Changes made from Slack (newest first):" in output
    assert "aaaaaaaaaaaa -> bbbbbbbbbbbb  by UMANAGER" in output

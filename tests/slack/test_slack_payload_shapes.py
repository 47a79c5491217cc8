"""The request payloads the Slack tests send (payloads/) have the shape of the real ones.

They are written to Slack's documented wire format with leadbot's own ids and text. Where
Slack's own fixtures are at hand (../shared/slack-payloads/, same file names), each of ours
must have exactly the same keys, nesting and JSON types, so a test can't pass on a payload
Slack would never send."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from slack_helpers import PAYLOADS

FIXTURES = sorted(path.relative_to(PAYLOADS).as_posix() for path in PAYLOADS.rglob("*.json"))


# Mappings keyed by ids the app chose, not by field names: view state.values is
# block_id -> action_id -> the input's state.
ID_KEYED_LEVELS = {"values": 2}


def shape(value, id_levels: int = 0):
    """Keys and nesting of a JSON value, with each leaf replaced by its JSON type (and ids
    chosen by the app replaced by "<ids>")."""
    if isinstance(value, dict):
        if id_levels:
            return {"<ids>": [shape(item, id_levels - 1) for item in value.values()]}
        return {key: shape(item, ID_KEYED_LEVELS.get(key, 0)) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    return type(value).__name__


def differences(ours, theirs, where: str = "") -> list[str]:
    """Where two shapes part, as `path: ours vs theirs` lines."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        found = [f"{where}.{key}: missing here" for key in theirs.keys() - ours.keys()]
        found += [f"{where}.{key}: not in Slack's" for key in ours.keys() - theirs.keys()]
        for key in ours.keys() & theirs.keys():
            found += differences(ours[key], theirs[key], f"{where}.{key}")
        return found
    if isinstance(ours, list) and isinstance(theirs, list) and len(ours) == len(theirs):
        return [
            line
            for index, (mine, real) in enumerate(zip(ours, theirs, strict=True))
            for line in differences(mine, real, f"{where}[{index}]")
        ]
    return [] if ours == theirs else [f"{where}: {ours} vs {theirs}"]


def test_there_are_fixtures_to_check():
    assert len(FIXTURES) >= 7


@pytest.mark.parametrize("relative", FIXTURES)
def test_fixture_has_the_keys_and_nesting_of_the_real_payload(relative, shared_slack_payloads):
    real = shared_slack_payloads / relative
    assert real.is_file(), f"no real payload {real} to compare {relative} with"
    ours = json.loads((PAYLOADS / relative).read_text(encoding="utf-8"))
    theirs = json.loads(real.read_text(encoding="utf-8"))
    assert differences(shape(ours), shape(theirs)) == []


def test_differences_names_each_missing_extra_and_retyped_field():
    theirs = shape({"a": {"b": 1, "c": [{"d": "x"}]}, "e": None})
    ours = shape({"a": {"b": "1", "c": [{"d": "x", "z": 2}]}, "f": None})
    assert sorted(differences(ours, theirs)) == [
        ".a.b: str vs int",
        ".a.c[0].z: not in Slack's",
        ".e: missing here",
        ".f: not in Slack's",
    ]
    assert differences(theirs, theirs) == []
    state = {"values": {"block_a": {"input_a": {"value": "x"}}}}
    other_ids = {"values": {"block_b": {"input_b": {"value": "y"}}}}
    assert differences(shape(state), shape(other_ids)) == []
    assert differences(shape([1, 2]), shape([1])) == [": ['int', 'int'] vs ['int']"]


def test_payloads_folder_is_inside_the_repository():
    assert Path(PAYLOADS).resolve().is_relative_to(Path(__file__).resolve().parents[1])

"""Slack's side of the App Home tests: Home-tab clicks, rubric modal submissions, readers."""

from __future__ import annotations

import json

from slack_helpers import MANAGER, SlackSide, block_text, load_payload, view_submission

from bot.render import home as home_blocks


def open_home(slack: SlackSide, user: str, fake_slack, *, publishes_before: int = 0) -> dict:
    """The Home tab `user` sees after opening it (the published view)."""
    event = {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home"}
    event["event_ts"] = slack.next_ts()
    assert slack.event(event).status == 200
    return last_home(fake_slack, user, publishes_before + 1)


def last_home(fake_slack, user: str, count: int) -> dict:
    calls = fake_slack.wait_for("views.publish", count)
    [*_, call] = [c for c in calls if c.body["user_id"] == user]
    return call.body["view"]


def home_click(slack: SlackSide, action_id: str, user: str):
    """A button click inside the Home tab: container type view, no channel or response_url."""
    payload = load_payload("interactivity/block_actions_button_minimal.json")
    payload["user"] = {"id": user}
    payload["container"] = {"type": "view", "view_id": "VHOME"}
    payload["view"] = {"id": "VHOME", "type": "home", "callback_id": "", "hash": "1.a"}
    for key in ("channel", "response_url"):
        payload.pop(key)
    payload["actions"][0].update(action_id=action_id, block_id="rubric_manager_actions")
    return slack.interaction(payload)


def submit_yaml(slack: SlackSide, text: str, user: str = MANAGER) -> dict:
    payload = view_submission(
        home_blocks.CALLBACK_RUBRIC_REPLACE,
        {home_blocks.BLOCK_RUBRIC_YAML: {home_blocks.ACTION_RUBRIC_YAML: text}},
        user=user,
    )
    reply = slack.interaction(payload)
    assert reply.status == 200
    return json.loads(reply.body)


def confirm(slack: SlackSide, token: str, user: str = MANAGER) -> dict:
    payload = view_submission(home_blocks.CALLBACK_RUBRIC_CONFIRM, {}, user=user, metadata=token)
    reply = slack.interaction(payload)
    assert reply.status == 200
    return json.loads(reply.body)


def modal_text(response: dict) -> str:
    return block_text(response["view"]["blocks"])

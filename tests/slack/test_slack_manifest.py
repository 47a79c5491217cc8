"""The app manifests name what the app listens for and the scopes its calls need."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.render import summary as blocks
from bot.slack.web import EVENTS_PATH

SLACK_DIR = Path(__file__).resolve().parents[2] / "slack"
# Web API methods the app calls (bot/slack_gateway.py) and the bot scope each needs.
SCOPES_NEEDED = {
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.postEphemeral": "chat:write",
    "reactions.add": "reactions:write",
    "users.info": "users:read",
    "files.info": "files:read",
}
EVENTS_NEEDED = {"message.channels", "message.groups", "message.im", "app_home_opened"}


@pytest.mark.parametrize("name", ["manifest.yaml", "manifest.socket-mode.yaml"])
def test_manifest_matches_the_listeners(name):
    manifest = yaml.safe_load((SLACK_DIR / name).read_text())
    features, settings = manifest["features"], manifest["settings"]
    assert {c["command"] for c in features["slash_commands"]} == {"/lead", "/leadbot"}
    [shortcut] = features["shortcuts"]
    assert (shortcut["type"], shortcut["callback_id"]) == ("message", blocks.SHORTCUT_QUALIFY)
    assert features["app_home"]["home_tab_enabled"] is True
    assert features["app_home"]["messages_tab_enabled"] is True  # DM threads for answers
    assert set(settings["event_subscriptions"]["bot_events"]) == EVENTS_NEEDED
    assert settings["interactivity"]["is_enabled"] is True
    assert set(SCOPES_NEEDED.values()) <= set(manifest["oauth_config"]["scopes"]["bot"])

    urls = [c.get("url") for c in features["slash_commands"]] + [
        settings["event_subscriptions"].get("request_url"),
        settings["interactivity"].get("request_url"),
    ]
    if settings["socket_mode_enabled"]:
        assert urls == [None] * 4
    else:
        assert all(url.endswith(EVENTS_PATH) for url in urls)

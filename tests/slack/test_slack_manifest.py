"""The app manifests name what the app listens for and the scopes its calls need;
`leadbot manifest` prints them with the request URLs filled in."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.manifest import requested_bot_scopes
from bot.render import summary as blocks
from bot.slack.web import EVENTS_PATH

SLACK_DIR = Path(__file__).resolve().parents[2] / "slack"
# Web API methods the app calls (bot/slack/gateway.py) and the bot scope each needs.
SCOPES_NEEDED = {
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.postEphemeral": "chat:write",
    "reactions.add": "reactions:write",
    "conversations.info": "channels:read",  # leadbot doctor, public channels
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


def test_both_manifests_ask_for_the_same_scopes():
    for name in ("manifest.yaml", "manifest.socket-mode.yaml"):
        manifest = yaml.safe_load((SLACK_DIR / name).read_text())
        assert set(manifest["oauth_config"]["scopes"]["bot"]) == requested_bot_scopes()
    assert {"channels:read", "groups:read", "chat:write.public"} <= requested_bot_scopes()


def printed_manifest(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["manifest", *args])
    out, err = capsys.readouterr()
    return code, out, err


def request_urls(manifest: dict) -> list[str | None]:
    features, settings = manifest["features"], manifest["settings"]
    return [c.get("url") for c in features["slash_commands"]] + [
        settings["event_subscriptions"].get("request_url"),
        settings["interactivity"].get("request_url"),
    ]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://leads.acme.io", "https://leads.acme.io/slack/events"),
        ("https://leads.acme.io/", "https://leads.acme.io/slack/events"),
        ("https://acme.io:8443/leadbot", "https://acme.io:8443/leadbot/slack/events"),
        ("https://leads.acme.io/slack/events", "https://leads.acme.io/slack/events"),
    ],
)
def test_manifest_url_fills_all_four_request_urls(capsys, url, expected):
    code, out, _ = printed_manifest(capsys, "--url", url)
    assert code == 0
    manifest = yaml.safe_load(out)
    assert request_urls(manifest) == [expected] * 4
    assert manifest["settings"]["socket_mode_enabled"] is False
    assert "leadbot.example.com" not in out
    assert out.startswith("# leadbot Slack app manifest, HTTP mode")


@pytest.mark.parametrize("args", [[], ["--socket-mode"]])
def test_manifest_for_socket_mode_needs_no_url(capsys, args):
    code, out, _ = printed_manifest(capsys, *args)
    assert code == 0
    manifest = yaml.safe_load(out)
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert request_urls(manifest) == [None] * 4
    assert out == (SLACK_DIR / "manifest.socket-mode.yaml").read_text()


@pytest.mark.parametrize("url", ["http://leads.acme.io", "leads.acme.io", "https://x.io/?a=1"])
def test_manifest_refuses_a_url_slack_would_not_call(capsys, url):
    code, out, err = printed_manifest(capsys, "--url", url)
    assert (code, out) == (2, "")
    assert err == (
        f"leadbot: --url {url!r}: expected https://your.host (Slack sends requests only to "
        "public HTTPS URLs; use --socket-mode when there is none)\n"
    )

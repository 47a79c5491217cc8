"""The Slack app manifests (slack/*.yaml, package data `bot.manifests`): what the app asks
Slack for, printed by `leadbot manifest` and checked against the token by `leadbot doctor`."""

from __future__ import annotations

from importlib import resources
from urllib.parse import urlsplit

import yaml

from bot.errors import UserError
from bot.slack.web import EVENTS_PATH

HTTP_MANIFEST = "manifest.yaml"
SOCKET_MODE_MANIFEST = "manifest.socket-mode.yaml"
# Where manifest.yaml's four request URLs point until `leadbot manifest --url` fills them in.
PLACEHOLDER_REQUEST_URL = "https://leadbot.example.com" + EVENTS_PATH


def manifest_source(name: str) -> str:
    return resources.files("bot.manifests").joinpath(name).read_text(encoding="utf-8")


def request_url(url: str) -> str:
    """Slack's request URL for a server at `url` (https://host, maybe with a path prefix);
    raises `UserError` for anything Slack would not accept."""
    parts = urlsplit(url.strip())
    if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment:
        raise UserError(
            f"--url {url!r}: expected https://your.host (Slack sends requests only to public "
            "HTTPS URLs; use --socket-mode when there is none)"
        )
    path = parts.path.rstrip("/")
    if not path.endswith(EVENTS_PATH):
        path += EVENTS_PATH
    return f"https://{parts.netloc}{path}"


def manifest_text(*, socket_mode: bool, url: str | None = None) -> str:
    """The manifest to paste into Slack's "Create an app > From a manifest", comments kept."""
    if socket_mode:
        return manifest_source(SOCKET_MODE_MANIFEST)
    if url is None:
        raise UserError("--url https://your.host is needed for HTTP mode (or use --socket-mode)")
    return manifest_source(HTTP_MANIFEST).replace(PLACEHOLDER_REQUEST_URL, request_url(url))


def requested_bot_scopes() -> set[str]:
    """The bot scopes the app asks for (both manifests ask for the same ones)."""
    manifest = yaml.safe_load(manifest_source(HTTP_MANIFEST))
    return set(manifest["oauth_config"]["scopes"]["bot"])

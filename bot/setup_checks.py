"""What `leadbot doctor` and `leadbot serve` conclude from the facts they gather about the
set-up: pure functions from settings, rubric and Slack's answers to checks with a fix."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from qualifiers.rubric import Rubric

INVITE = "/invite @leadbot"
# Errors with which Slack refuses a token itself (not a scope, not a channel).
TOKEN_REFUSALS = {
    "invalid_auth",
    "not_authed",
    "account_inactive",
    "token_revoked",
    "token_expired",
    "not_allowed_token_type",
}


class Status(StrEnum):
    OK = "ok"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Check:
    """One line of `leadbot doctor`: what was checked, what was found, and how to fix it."""

    status: Status
    subject: str
    message: str
    fix: str = ""

    def line(self) -> str:
        text = f"{self.status.value:<8}{self.subject}: {self.message}"
        return f"{text} -> fix: {self.fix}" if self.fix else text


def exit_code(checks: Iterable[Check]) -> int:
    """0 when everything is ok, 1 with warnings, 2 with errors."""
    statuses = {check.status for check in checks}
    if Status.ERROR in statuses:
        return 2
    return 1 if Status.WARNING in statuses else 0


def ok(subject: str, message: str) -> Check:
    return Check(Status.OK, subject, message)


def warning(subject: str, message: str, fix: str) -> Check:
    return Check(Status.WARNING, subject, message, fix)


def error(subject: str, message: str, fix: str) -> Check:
    return Check(Status.ERROR, subject, message, fix)


def routing(rubric: Rubric, sales_channel: str | None) -> dict[str | None, list[str]]:
    """Channel -> the tiers posted there, in rubric order; None collects tiers with nowhere
    to go (no channel in the rubric and no LEADBOT_SALES_CHANNEL)."""
    channels: dict[str | None, list[str]] = {}
    for tier in rubric.tiers:
        channels.setdefault(tier.channel or sales_channel, []).append(tier.id)
    return channels


def routing_check(rubric: Rubric, sales_channel: str | None, *, for_slack: bool = True) -> Check:
    """An error when `leadbot serve` would refuse to start for it (`for_slack`), else a
    warning: the CLI and the demo work without any channel."""
    routes = routing(rubric, sales_channel)
    if None in routes:
        return Check(
            Status.ERROR if for_slack else Status.WARNING,
            "routing",
            f"no channel for tier {', '.join(routes[None])}",
            "set LEADBOT_SALES_CHANNEL to the sales channel's ID (or give each tier a channel)",
        )
    return ok("routing", "; ".join(f"{', '.join(t)} -> {c}" for c, t in routes.items()))


def intake_check(intake_channels: list[str]) -> Check:
    if not intake_channels:
        return warning(
            "intake",
            "no intake channel: nothing will be picked up from channel messages "
            "(/lead, the shortcut and the webhook still work)",
            "set LEADBOT_INTAKE_CHANNELS to the IDs of the channels where leads are dropped",
        )
    return ok("intake", f"watching {', '.join(intake_channels)}")


def slack_refusal(what: str, error_code: str) -> Check:
    """Slack answered a token's call with `error_code`."""
    if error_code in TOKEN_REFUSALS:
        fixes = {
            "SLACK_BOT_TOKEN": "copy the Bot User OAuth Token (xoxb-...) from OAuth & "
            "Permissions of your Slack app (reinstall the app if it was revoked)",
            "SLACK_APP_TOKEN": "create an app-level token with connections:write under Basic "
            "Information > App-Level Tokens and set it (xapp-...)",
        }
        return error("slack", f"Slack refused {what} ({error_code})", fixes[what])
    return error(
        "slack",
        f"Slack answered {what}'s check with {error_code}",
        "try again; if it persists, see https://slack-status.com",
    )


def slack_unreachable(api_url: str, reason: str) -> Check:
    return error(
        "slack",
        f"cannot reach Slack at {api_url} ({reason})",
        "check the network and proxy settings (HTTPS_PROXY), and SLACK_API_URL",
    )


def scopes_check(granted: set[str] | None, wanted: set[str]) -> Check:
    """The token's scopes (Slack's x-oauth-scopes header) against the manifest's."""
    if granted is None:
        return warning(
            "scopes",
            "Slack did not say which scopes the token has (no x-oauth-scopes header)",
            "compare OAuth & Permissions with `leadbot manifest`",
        )
    missing = sorted(wanted - granted)
    if missing:
        return error(
            "scopes",
            f"the token lacks {', '.join(missing)}",
            "add them under OAuth & Permissions > Bot Token Scopes (or recreate the app from "
            "`leadbot manifest`), then reinstall the app to the workspace",
        )
    return ok("scopes", f"the token has all {len(wanted)} scopes the manifest asks for")


def channel_check(
    channel: str,
    role: str,
    info: dict | None,
    error_code: str | None = None,
    *,
    can_post_public: bool = False,
) -> Check:
    """One configured channel, from conversations.info (`info`) or its error.

    `role` is "intake" (the bot must be a member to see messages) or "posts" (a member,
    or a public channel and the chat:write.public scope)."""
    subject = f"channel {channel}"
    if info is None:
        if error_code == "channel_not_found":
            return error(
                subject,
                "not found (or a private channel the bot is not in)",
                f"use the channel ID from the channel's details (C...), or {INVITE} there",
            )
        return error(subject, f"Slack could not look it up ({error_code})", "see the scopes line")
    name = f"#{info.get('name', channel)}"
    if info.get("is_archived"):
        return error(subject, f"{name} is archived", "unarchive it or configure another channel")
    if info.get("is_member"):
        return ok(subject, f"{name} ({role}): the bot is a member")
    if role == "posts" and can_post_public and not info.get("is_private"):
        return ok(subject, f"{name} (posts): public, posted to with chat:write.public")
    why = "to see the leads dropped there" if role == "intake" else "to post there"
    return error(subject, f"the bot is not in {name} ({why})", f"{INVITE} in {name}")

"""The Block Kit kit every surface builds with: Slack's limits, escaping, and the small
pure block builders (header, section, context, button, mention). One copy, so a limit or
an escaping rule is changed in one place."""

from __future__ import annotations

from bot.domain.lifecycle import is_slack_user_id

# Slack's hard limits (https://api.slack.com/reference/block-kit).
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_TEXT = 2000
MAX_FALLBACK_TEXT = 3000
MAX_PASTE_CHARS = 3000


def escape(text: str) -> str:
    """Slack's mrkdwn escaping: lead text shows as typed and cannot form mentions or links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def safe(text: str, limit: int) -> str:
    """Cut, then escape (so an entity like `&amp;` is never split). Escaping at most quintuples
    the length, so callers' limits keep texts inside Block Kit's hard limits."""
    return escape(truncate(text, limit))


def escaped_within(text: str, limit: int) -> str:
    """Escaped text no longer than `limit`, cut before escaping so no entity is split."""
    cut = truncate(text, limit)
    while len(escape(cut)) > limit:
        cut = truncate(cut, len(cut) - (len(escape(cut)) - limit))
    return escape(cut)


def count_text(count: int, noun: str, plural: str | None = None) -> str:
    """`1 lead`, `3 leads`: numbers in plain English."""
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"


def money_text(usd: float) -> str:
    """Model spend (`$0.0123`); nothing spent says so instead of `$0.0000`."""
    return f"${usd:.4f}" if usd else "no model spend"


def mention(user: str, limit: int = 100) -> str:
    """A Slack user id becomes a mention; anything else (an email, a name) is shown as text."""
    return f"<@{user}>" if is_slack_user_id(user) else safe(user, limit)


def plain(text: str) -> dict:
    return {"type": "plain_text", "text": text, "emoji": True}


def header(text: str) -> dict:
    return {"type": "header", "text": plain(truncate(text, MAX_HEADER_TEXT))}


def section(mrkdwn: str, block_id: str | None = None, *, verbatim: bool = False) -> dict:
    """`verbatim` for text that quotes a lead: Slack then turns no names or URLs in it into
    links or mentions."""
    text = {"type": "mrkdwn", "text": mrkdwn[:MAX_SECTION_TEXT]}
    if verbatim:
        text["verbatim"] = True
    block = {"type": "section", "text": text}
    if block_id:
        block["block_id"] = block_id
    return block


def context(mrkdwn: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn[:MAX_CONTEXT_TEXT]}]}


def button(text: str, action_id: str, value: str | None = None, style: str | None = None) -> dict:
    block = {"type": "button", "action_id": action_id, "text": plain(text)}
    block["value"] = action_id if value is None else value
    if style:
        block["style"] = style
    return block

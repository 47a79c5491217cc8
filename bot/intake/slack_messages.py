"""Slack messages as leads: the text as the person typed it, and one dedupe key per
message whichever way it arrives (dropped, redelivered, or shortcut later)."""

from __future__ import annotations

import html
import re

from bot.domain.lifecycle import LeadSource
from qualifiers.models import Lead

# <https://x|label>, <mailto:a@b.c|a@b.c>, <@U123>, <#C123|name>, <!here>
_SLACK_MARKUP = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


def plain_text(text: str) -> str:
    """A message's text as the person typed it: links as their label, mentions as @ids, and
    Slack's `&amp;`/`&lt;`/`&gt;` escapes undone. Evidence quotes this text verbatim."""

    def readable(match: re.Match) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith(("@", "#")):
            return f"{target[0]}{label or target[1:]}"
        if target.startswith("!"):
            return label if label and label.startswith("@") else f"@{target[1:].split('^')[0]}"
        return label or target.removeprefix("mailto:")

    return html.unescape(_SLACK_MARKUP.sub(readable, text))


def message_dedupe_key(channel: str, ts: str) -> str:
    """One lead per Slack message, whether dropped, redelivered or shortcut later."""
    return f"slack:{channel}:{ts}"


def message_lead(text: str, user: str | None, source: LeadSource) -> Lead:
    """A lead from a message's text (an intake drop or the message shortcut)."""
    return Lead(text=plain_text(text), source=source, submitted_by=user)


def modal_lead(fields: dict[str, str], notes: str, user: str) -> Lead:
    """A lead from the `/lead` modal: its fields, and the notes as its text."""
    return Lead(text=notes, fields=fields, source=LeadSource.SLACK_MODAL, submitted_by=user)

"""Slack messages as leads: the text as the person typed it, and one dedupe key per
message whichever way it arrives (dropped, redelivered, or shortcut later)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

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


_OVERRIDE = re.compile(r"\bnot\s+a\s+knock[- ]?out\b", re.IGNORECASE)


def is_override(text: str) -> bool:
    """A thread reply saying the rubric's knockout is wrong ("Not a knockout: she's staff")."""
    return bool(_OVERRIDE.search(text))


def message_dedupe_key(channel: str, ts: str) -> str:
    """One lead per Slack message, whether dropped, redelivered or shortcut later."""
    return f"slack:{channel}:{ts}"


def slack_time(ts: str | None) -> datetime | None:
    """A Slack message ts ('1767225600.000100') as the moment it was posted: when the lead
    arrived, for calendar timelines."""
    try:
        return datetime.fromtimestamp(float(ts), UTC) if ts else None
    except (ValueError, OverflowError, OSError):
        return None


def message_lead(text: str, user: str | None, source: LeadSource, ts: str | None = None) -> Lead:
    """A lead from a message's text (an intake drop or the message shortcut)."""
    return Lead(text=plain_text(text), source=source, submitted_by=user, received_at=slack_time(ts))


def modal_lead(fields: dict[str, str], notes: str, user: str) -> Lead:
    """A lead from the `/lead` modal: its fields, and the notes as its text."""
    return Lead(text=notes, fields=fields, source=LeadSource.SLACK_MODAL, submitted_by=user)


# `*Company:*\nGlobex`, `*Budget*: 50k`, `Name: Dana`: a form field as integrations post it.
_FORM_FIELD = re.compile(
    r"^\s*[*_]*(?P<key>[A-Za-z][\w &/().'-]{0,48}?)[*_]*\s*:?[*_]*\s*(?:\n|:\s)\s*(?P<value>\S.*)$",
    re.DOTALL,
)
_FORM_LINE = re.compile(
    r"^\s*[*_]*(?P<key>[A-Za-z][\w &/().'-]{0,48}?)[*_]*:[*_]*\s+(?P<value>\S.*)$"
)
_EMPHASIS = re.compile(r"(?<![\w*_])[*_]+|[*_]+(?![\w*_])")


class _Content:
    """A post's readable parts: text lines (each once) and form fields."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.fields: dict[str, str] = {}

    def add_text(self, text: str, *, form: bool = True) -> None:
        text = plain_text(text).strip()
        if not text or text in "\n".join(self.lines):
            return
        if form:
            for line in text.splitlines():
                match = _FORM_LINE.match(line)
                if match:
                    self.fields.setdefault(_key(match["key"]), _unemphasised(match["value"]))
        self.lines.append(text)

    def add_field(self, key: str, value: str) -> None:
        key, value = _key(plain_text(key)), _unemphasised(plain_text(value))
        if key and value:
            self.fields.setdefault(key, value)
            self.add_text(f"{key}: {value}", form=False)


def _key(text: str) -> str:
    return _unemphasised(text).rstrip(":").strip()


def _unemphasised(text: str) -> str:
    return _EMPHASIS.sub("", text).strip()


def integration_content(
    text: str, attachments: list, blocks: list[dict]
) -> tuple[str, dict[str, str]]:
    """What an integration's post says: its `text`, its blocks (section text and fields,
    rich text) and attachments (pretext, title, text, fields; the fallback only when the
    attachment has nothing else). Form fields (`*Company*\\nGlobex`, attachment fields,
    `Budget: 50k` lines) become lead fields; the text keeps every line once."""
    content = _Content()
    content.add_text(text)
    for block in blocks:
        _add_block(content, block)
    for attachment in attachments:
        before = len(content.lines)
        for part in (attachment.pretext, attachment.title, attachment.text):
            content.add_text(part)
        for field in attachment.fields:
            content.add_field(field.title, field.value)
        if len(content.lines) == before:
            content.add_text(attachment.fallback)
    return "\n".join(content.lines), content.fields


def _add_block(content: _Content, block: dict) -> None:
    kind = block.get("type")
    if kind in ("section", "header"):
        content.add_text(_text_of(block.get("text")))
        for field in block.get("fields") or []:
            text = _text_of(field)
            match = _FORM_FIELD.match(plain_text(text))
            if match:
                content.add_field(match["key"], match["value"])
            else:
                content.add_text(text)
    elif kind == "context":
        for element in block.get("elements") or []:
            content.add_text(_text_of(element), form=False)
    elif kind == "rich_text":
        content.add_text(rich_text(block))


def _text_of(item: object) -> str:
    if isinstance(item, dict) and isinstance(item.get("text"), str):
        return item["text"]
    return ""


def rich_text(block: dict) -> str:
    """A rich_text block as plain text: sections, lists (one item a line), quotes, code."""
    lines: list[str] = []
    for element in block.get("elements") or []:
        if element.get("type") == "rich_text_list":
            lines.extend(_inline(item) for item in element.get("elements") or [])
        else:
            lines.append(_inline(element))
    return "\n".join(line for line in lines if line.strip())


def _inline(element: dict) -> str:
    parts = []
    for part in element.get("elements") or []:
        kind = part.get("type")
        if kind == "text":
            parts.append(part.get("text", ""))
        elif kind == "link":
            parts.append(part.get("text") or part.get("url", ""))
        elif kind == "user":
            parts.append(f"@{part.get('user_id', '')}")
        elif kind == "channel":
            parts.append(f"#{part.get('channel_id', '')}")
        elif kind == "emoji":
            parts.append(f":{part.get('name', '')}:")
        elif kind == "broadcast":
            parts.append(f"@{part.get('range', '')}")
    return "".join(parts)


def integration_lead(
    text: str, fields: dict[str, str], bot_name: str, ts: str | None = None
) -> Lead:
    """A lead an integration posted in an intake channel, submitted by the integration."""
    return Lead(
        text=text,
        fields=fields,
        source=LeadSource.SLACK_MESSAGE,
        submitted_by=bot_name,
        received_at=slack_time(ts),
    )

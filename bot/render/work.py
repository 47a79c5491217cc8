"""Work that failed for good, as people read it: the marketer's thread reply, the managers'
App Home section and `leadbot stats` lines (Slack mrkdwn escaped where it is Slack)."""

from __future__ import annotations

from bot.render.kit import MAX_SECTION_TEXT, safe, section, truncate
from bot.store.work_queue import FailedWork

MAX_ERROR_SHOWN = 160


def lead_not_posted_text(error: str) -> str:
    """The marketer's thread reply when their lead could not be posted to sales."""
    return (
        ":warning: Sorry, this lead could not be posted to the sales channel "
        f"(Slack said: `{safe(_slack_reason(error), MAX_ERROR_SHOWN)}`). "
        "A manager can see it under *Failed work* in leadbot's Home tab."
    )


def failed_work_blocks(total: int, items: list[FailedWork]) -> list[dict]:
    """The managers' App Home section; nothing when no work failed."""
    if not total:
        return []
    lines = [f"*Failed work* ({total})"]
    lines.extend(f"• {safe(line, 400)}" for line in _lines(items))
    if total > len(items):
        lines.append(f"…and {total - len(items)} more (`leadbot stats` lists them too)")
    return [section(truncate("\n".join(lines), MAX_SECTION_TEXT))]


def failed_work_text(total: int, items: list[FailedWork]) -> str:
    """`leadbot stats`: one line per failed item, latest first."""
    if not total:
        return "Failed work: none"
    lines = [f"Failed work: {total}", *(f"  {line}" for line in _lines(items))]
    if total > len(items):
        lines.append(f"  ... and {total - len(items)} more")
    return "\n".join(lines)


def _lines(items: list[FailedWork]) -> list[str]:
    return [
        f"{item.failed_at:%Y-%m-%d %H:%M} UTC · {item.kind}"
        f"{f' · lead {item.lead_id}' if item.lead_id else ''} · "
        f"{item.error_class or 'error'} after {item.attempts} attempt(s): "
        f"{_slack_reason(item.error or '')[:MAX_ERROR_SHOWN]}"
        for item in items
    ]


def _slack_reason(error: str) -> str:
    """`DeliveryError: chat_postMessage: channel_not_found` -> `channel_not_found`."""
    return error.rsplit(": ", 1)[-1] if error.startswith("DeliveryError: ") else error

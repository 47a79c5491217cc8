"""Block Kit builders: pure functions from leads and qualifications to Slack payload dicts.

Nothing here calls Slack or the database, so the CLI (`leadbot qualify --format blocks`,
`leadbot demo`) renders exactly what the app posts. Everything that came from a lead is
escaped (`&`, `<`, `>`) so a lead cannot mention @channel, a user or smuggle a link, and every
text is cut to Block Kit's limits.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from bot.domain.lifecycle import (
    DISQUALIFIED_TIER,
    MENTIONED_USER,
    OUTCOME_STATUSES,
    LeadSource,
    LeadStatus,
    Outcome,
)
from bot.render.identity import (
    EMAIL_FIELDS,
    TITLE_FIELDS,
    field_value,
    has_identity,
    lead_title,
)
from bot.render.kit import (
    MAX_FALLBACK_TEXT,
    MAX_MESSAGE_BLOCKS,
    MAX_SECTION_TEXT,
    button,
    context,
    escape,
    header,
    mention,
    safe,
    section,
    truncate,
)
from qualifiers.models import CriterionResult, Lead, Qualification
from qualifiers.rubric import Rubric

ACTION_CLAIM = "lead_claim"
ACTION_RELEASE = "lead_release"
ACTION_DISQUALIFY = "lead_disqualify"
ACTION_NOT_KNOCKOUT = "lead_not_knockout"  # on the knockout reply in the marketer's thread
ACTION_CONFIRM_LEAD = "lead_confirm"  # "Qualify as lead" on a message with no lead signal
ACTION_OUTCOMES = {  # Won / Lost / No response on a claimed lead
    Outcome.WON: "lead_outcome_won",
    Outcome.LOST: "lead_outcome_lost",
    Outcome.NO_RESPONSE: "lead_outcome_no_response",
}
OUTCOME_ICONS = {Outcome.WON: "🏆", Outcome.LOST: "❌", Outcome.NO_RESPONSE: "🔇"}
BLOCK_ACTIONS = "lead_actions"
BLOCK_THREAD_ACTIONS = "lead_thread_actions"

CALLBACK_LEAD_MODAL = "lead_modal"
CALLBACK_DISQUALIFY_MODAL = "lead_disqualify_modal"
SHORTCUT_QUALIFY = "qualify_lead"
BLOCK_REASON = "disqualify_reason"
ACTION_REASON = "reason"
ACTION_FIELD = "value"

NO_TIMELINE_MONTHS = 99  # what rubrics answer for "just researching"
MAX_EVIDENCE = 300
MAX_EXCERPT = 500

MAX_ANSWERS_SHOWN = 10
SOURCE_LABELS = {
    LeadSource.SLACK_MESSAGE: "Posted in an intake channel",
    LeadSource.SLACK_MODAL: "Sent with /lead",
    LeadSource.SLACK_SHORTCUT: "Sent with the Qualify as lead shortcut",
    LeadSource.SLACK_CSV: "From a CSV file",
    LeadSource.WEBHOOK: "From a web form",
}
_BROADCAST = re.compile(r"@(here|channel|everyone)\b", re.IGNORECASE)

TIER_EMOJI = {"hot": "🔥", "warm": "🌤️", "cold": "❄️", DISQUALIFIED_TIER: "🚫"}


def format_value(rubric: Rubric | None, result: CriterionResult) -> str:
    """A criterion's answer as a person reads it: choice labels, Yes/No, 50,000, 3 months."""
    value = result.value
    if value is None:
        return "—"
    criterion = None
    if rubric is not None:
        try:
            criterion = rubric.criterion(result.id)
        except KeyError:
            criterion = None
    kind = criterion.type if criterion else None
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if kind == "choice" and criterion is not None:
        choice = criterion.choices.get(str(value))
        return (choice.label if choice and choice.label else str(value)).replace("_", " ")
    if isinstance(value, int | float):
        number = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
        if kind == "months":
            if value >= NO_TIMELINE_MONTHS:
                return "no timeline"
            return f"{number} month" + ("" if value == 1 else "s")
        return number
    return str(value)


def tier_label(tier: str) -> str:
    return f"{TIER_EMOJI.get(tier, '📋')} {tier.replace('_', ' ').capitalize()}"


def _name(user: str, names: Mapping[str, str]) -> str:
    """How people know a user: the name Slack gave (users.info), else the id or text."""
    return names.get(user) or user


def _state_title(
    qualification: Qualification,
    status: str | None,
    claimed_by: str | None,
    disqualified_by: str | None,
    names: Mapping[str, str],
) -> str:
    """The lead's state as the header's and the notification's first words."""
    if status == LeadStatus.WITHDRAWN:
        return "🗑️ Withdrawn"
    if disqualified_by or status == LeadStatus.DISQUALIFIED or qualification.knockout:
        return "🚫 Disqualified"
    scored = f"{tier_label(qualification.tier)} · {qualification.score}/100"
    if status in OUTCOME_STATUSES:
        outcome = Outcome(status)
        return f"{OUTCOME_ICONS[outcome]} {outcome.label} · {scored}"
    if claimed_by:
        return f"✅ Claimed by {_name(claimed_by, names)} · {scored}"
    return scored


def summary_text(
    qualification: Qualification,
    lead: Lead,
    *,
    lead_id: int | str | None = None,
    claimed_by: str | None = None,
    disqualified_by: str | None = None,
    status: str | None = None,
    names: Mapping[str, str] | None = None,
) -> str:
    """The notification / fallback text of a summary (no blocks needed to read it)."""
    names = names or {}
    state = _state_title(qualification, status, claimed_by, disqualified_by, names)
    title = safe(lead_title(lead, lead_id), 200)
    scored = f"{tier_label(qualification.tier)} lead ({qualification.score}/100)"
    if state.startswith(tier_label(qualification.tier)):
        text = f"{scored}: {title}"
    else:
        text = f"{state.split(' · ')[0]}: {title} · {scored}"
    return truncate(text, MAX_FALLBACK_TEXT)


def summary_blocks(
    qualification: Qualification,
    lead: Lead,
    *,
    rubric: Rubric | None = None,
    lead_id: int | str | None = None,
    claimed_by: str | None = None,
    permalink: str | None = None,
    submitted_by: str | None = None,
    disqualified_by: str | None = None,
    disqualify_reason: str | None = None,
    status: str | None = None,
    edited_by: str | None = None,
    answers: Sequence[tuple[str | None, str]] = (),
    answered_by: Mapping[str, str] | None = None,
    names: Mapping[str, str] | None = None,
) -> list[dict]:
    """The sales summary: its state and who, tier and score, each criterion with evidence
    (and who answered it in the thread), what is missing, the lead's words, where it came
    from, and the buttons for its state (open, claimed, disqualified, withdrawn).

    `answers` are the thread's answers as (who, text); `names` maps user ids to the names
    people know them by (ids without a name are shown as mentions)."""
    names = names or {}
    title = lead_title(lead, lead_id)
    state = _state_title(qualification, status, claimed_by, disqualified_by, names)
    blocks: list[dict] = [header(f"{state} · {title}")]
    if status == LeadStatus.WITHDRAWN or disqualified_by or status == LeadStatus.DISQUALIFIED:
        blocks.append(context(f"Was {tier_label(qualification.tier)} · {qualification.score}/100"))
    who = _who(lead, title)
    if who:
        blocks.append(section(who))
    if qualification.knockout:
        knockout = knockout_label(rubric, qualification.knockout)
        line = f"🚫 *Knockout: {escape(knockout)}*"
        if qualification.knockout_evidence:
            line += f"\n{_quote(qualification.knockout_evidence, names=names)}"
        blocks.append(section(line, verbatim=True))
    blocks.extend(_criteria_sections(rubric, qualification.criteria, answered_by or {}, names))
    if qualification.missing and not qualification.knockout:  # nothing to ask a knockout
        blocks.append(section(_missing_text(rubric, qualification)))
    if lead.text.strip():
        excerpt = _quote(lead.text, MAX_EXCERPT, keep_lines=True, names=names)
        blocks.append(section(f"*Lead as received*\n{excerpt}", verbatim=True))
    if answers:
        blocks.append(section(_answers_text(answers, names), verbatim=True))
    blocks.append(context(_provenance(lead, permalink, submitted_by or lead.submitted_by, names)))
    if qualification.note:
        blocks.append(context(f"⚠️ {safe(qualification.note, 500)}"))
    if edited_by:
        blocks.append(context(f"✏️ Edited by {_who_did(edited_by, names)}"))
    blocks.extend(
        _state_blocks(lead_id, status, claimed_by, disqualified_by, disqualify_reason, names)
    )
    return _fit(blocks)


def display_text(text: str, names: Mapping[str, str]) -> str:
    """Lead text as reps read it: `@U0BOSS` as `@Boss Name`, and `@here`, `@channel`,
    `@everyone` broken with a zero-width space so no client ever treats them as pings."""
    text = MENTIONED_USER.sub(lambda m: f"@{names.get(m.group(1), m.group(1))}", text)
    return _BROADCAST.sub(lambda m: f"@\u200b{m.group(1)}", text)


def _quote(
    text: str,
    limit: int = MAX_EVIDENCE,
    *,
    keep_lines: bool = False,
    names: Mapping[str, str] | None = None,
) -> str:
    """A block quote of lead text, escaped, one `>` per line."""
    if not keep_lines:
        text = " ".join(text.split())
    lines = safe(display_text(text, names or {}), limit).splitlines()
    return "\n".join(f">{line}" for line in lines if line.strip()) or ">"


def _who(lead: Lead, title: str) -> str:
    """Who the lead is, beyond the header: the title again only when it is a name or a
    company (a title from the text's opening would just repeat the header)."""
    parts = [f"*{safe(title, 200)}*"] if has_identity(lead) else []
    for label, names in (("Title", TITLE_FIELDS), ("Email", EMAIL_FIELDS)):
        value = field_value(lead, names)
        if value:
            parts.append(f"{label}: {safe(value, 200)}")
    return "\n".join(parts)


def _who_did(user: str, names: Mapping[str, str]) -> str:
    """A person in a context line: their name when known (no ping), else a mention."""
    return safe(names[user], 100) if user in names else mention(user)


def _answers_text(answers: Sequence[tuple[str | None, str]], names: Mapping[str, str]) -> str:
    lines = ["*Answers in the thread*"]
    for user, text in answers[-MAX_ANSWERS_SHOWN:]:
        who = _who_did(user, names) if user else "someone"
        lines.append(f"• {who}: {safe(display_text(' '.join(text.split()), names), 400)}")
    return "\n".join(lines)


def knockout_label(rubric: Rubric | None, knockout_id: str) -> str:
    if rubric is not None:
        for knockout in rubric.knockouts:
            if knockout.id == knockout_id:
                return knockout.label
    return knockout_id


def _criterion_line(
    rubric: Rubric | None, result: CriterionResult, by: str | None, names: Mapping[str, str]
) -> str:
    line = (
        f"*{escape(result.label)}*: {safe(format_value(rubric, result), 200)} · "
        f"{result.points}/{result.max_points} pts"
    )
    if by:
        line += f" · _{_who_did(by, names)} in the thread_"
    if result.evidence:
        line += f"\n{_quote(result.evidence, names=names)}"
    return line


def _criteria_sections(
    rubric: Rubric | None,
    criteria: list[CriterionResult],
    answered_by: Mapping[str, str],
    names: Mapping[str, str],
) -> list[dict]:
    """Criteria lines packed into as few sections as Block Kit's 3000-character limit allows."""
    sections: list[dict] = []
    chunk = ""
    for result in criteria:
        line = _criterion_line(rubric, result, answered_by.get(result.id), names)
        if chunk and len(chunk) + 1 + len(line) > MAX_SECTION_TEXT:
            sections.append(section(chunk, verbatim=True))
            chunk = ""
        chunk = f"{chunk}\n{line}" if chunk else line
    if chunk:
        sections.append(section(chunk, verbatim=True))
    return sections


def _missing_text(rubric: Rubric | None, qualification: Qualification) -> str:
    lines = ["*Still missing*"]
    for criterion_id in qualification.missing:
        label = criterion_id
        if rubric is not None:
            try:
                label = rubric.criterion(criterion_id).label
            except KeyError:
                label = criterion_id
        question = qualification.questions.get(criterion_id)
        lines.append(f"• {escape(label)}" + (f": _{safe(question, 300)}_" if question else ""))
    return "\n".join(lines)


def source_label(source: str) -> str:
    """Where a lead came in, in words (`slack_modal` is "the /lead form")."""
    kind, _, form = source.partition(":")
    label = SOURCE_LABELS.get(kind, "Imported")
    return f"{label} ({form})" if form else label


def _provenance(
    lead: Lead, permalink: str | None, submitted_by: str | None, names: Mapping[str, str]
) -> str:
    parts = [source_label(lead.source)]
    if submitted_by:  # a Slack user, or whoever a webhook names (e.g. an email address)
        parts[0] += f" by {_who_did(submitted_by, names)}"
    if permalink:
        parts.append(f"<{_link(permalink)}|original message>")
    return " · ".join(parts)


def _state_blocks(
    lead_id: int | str | None,
    status: str | None,
    claimed_by: str | None,
    disqualified_by: str | None,
    disqualify_reason: str | None,
    names: Mapping[str, str],
) -> list[dict]:
    if status == LeadStatus.WITHDRAWN:
        return [section("🗑️ Withdrawn: the intake message was deleted.", "lead_state")]
    if disqualified_by:
        text = f"🚫 Disqualified by {_who_did(disqualified_by, names)}"
        if disqualify_reason:
            text += f": {safe(disqualify_reason, 1000)}"
        return [section(text, "lead_state")]
    if status == LeadStatus.DISQUALIFIED:
        return [section("🚫 Disqualified by a knockout rule.", "lead_state")]
    if lead_id is None:
        return []
    value = str(lead_id)
    if status in OUTCOME_STATUSES and claimed_by:
        outcome = Outcome(status)
        return [
            section(
                f"{OUTCOME_ICONS[outcome]} {outcome.label}, worked by {mention(claimed_by)}",
                "lead_state",
            ),
            {"type": "actions", "block_id": BLOCK_ACTIONS, "elements": _outcome_buttons(value)},
        ]
    if claimed_by:
        return [
            section(f"✅ Claimed by {mention(claimed_by)}", "lead_state"),
            {
                "type": "actions",
                "block_id": BLOCK_ACTIONS,
                "elements": [
                    *_outcome_buttons(value),
                    button("Release", ACTION_RELEASE, value),
                    button("Disqualify", ACTION_DISQUALIFY, value, style="danger"),
                ],
            },
        ]
    return [
        {
            "type": "actions",
            "block_id": BLOCK_ACTIONS,
            "elements": [
                button("Claim", ACTION_CLAIM, value, style="primary"),
                button("Disqualify", ACTION_DISQUALIFY, value, style="danger"),
            ],
        }
    ]


def _outcome_buttons(value: str) -> list[dict]:
    return [button(outcome.label, ACTION_OUTCOMES[outcome], value) for outcome in Outcome]


def outcome_reply_text(user: str, outcome: Outcome) -> str:
    return f"{OUTCOME_ICONS[outcome]} {mention(user)} recorded the outcome: {outcome.label}."


def _link(url: str) -> str:
    """A permalink inside `<url|label>`: no `|`, `<` or `>` may break out of it."""
    return escape(url.replace("|", "%7C"))


def _fit(blocks: list[dict]) -> list[dict]:
    """At most 50 blocks: drop from the middle (criteria) and say so, keep header and buttons."""
    if len(blocks) <= MAX_MESSAGE_BLOCKS:
        return blocks
    tail = [b for b in blocks[-3:] if b["type"] in ("actions", "context", "section")]
    keep = MAX_MESSAGE_BLOCKS - len(tail) - 1
    return [*blocks[:keep], context("… more criteria not shown"), *tail]


# --- thread replies, ephemerals and modals --------------------------------------------------


def intake_reply_text(
    qualification: Qualification, summary_permalink: str | None, title: str | None = None
) -> str:
    """The reply in the marketer's thread once the lead is qualified and posted; it names
    the lead (a DM thread holds many)."""
    named = f" *{safe(title, 150)}*" if title else ""
    text = f"{tier_label(qualification.tier)} lead{named}, score {qualification.score}/100."
    if summary_permalink:
        text += f" <{_link(summary_permalink)}|View the summary>"
    return text


def disqualified_reply_text(qualification: Qualification, rubric: Rubric | None) -> str:
    """Why a knocked-out lead was not posted to sales."""
    label = knockout_label(rubric, qualification.knockout or "") or "a knockout rule"
    text = f"🚫 Not posted to sales: disqualified ({escape(label)})."
    if qualification.knockout_evidence:
        text += f"\n{_quote(qualification.knockout_evidence)}"
    return text


def thread_buttons(*buttons: dict) -> dict:
    return {"type": "actions", "block_id": BLOCK_THREAD_ACTIONS, "elements": list(buttons)}


def with_button(text: str, label: str, action_id: str, lead_id: int) -> list[dict]:
    """A thread reply's text with one button under it."""
    return [section(text), thread_buttons(button(label, action_id, str(lead_id)))]


def knockout_reply_blocks(text: str, lead_id: int) -> list[dict]:
    """The knockout reply, with the marketer's (or a manager's) way to say it is wrong."""
    return with_button(
        text + "\nWrong? Press *Not a knockout* or reply `not a knockout`.",
        "Not a knockout",
        ACTION_NOT_KNOCKOUT,
        lead_id,
    )


def not_a_lead_text() -> str:
    return (
        "👋 This doesn't read like a lead (nothing to qualify in it), so nothing went to "
        "sales. If it is one, press *Qualify as lead*."
    )


def knockout_overridden_text(user: str) -> str:
    return f"↩️ {mention(user)} says this is not a knockout: posting it to sales."


def knocked_out_after_requalify_text(qualification: Qualification, rubric: Rubric | None) -> str:
    """Re-qualified into a knockout: the lead leaves sales (claim ended, no Claim button)."""
    return disqualified_reply_text(qualification, rubric).replace(
        "Not posted to sales", "Taken off sales", 1
    )


def claim_released_text(user: str, title: str) -> str:
    return f"↩️ {mention(user)} released your claim on *{safe(title, 150)}*; it is open again."


def claim_disqualified_text(user: str, title: str, reason: str) -> str:
    return (
        f"🚫 {mention(user)} disqualified *{safe(title, 150)}*, which you had claimed: "
        f"{safe(reason, 500)}"
    )


def claim_knocked_out_text(title: str, knockout: str) -> str:
    return (
        f"🚫 *{safe(title, 150)}*, which you had claimed, is now disqualified "
        f"({escape(knockout)}) after new information; your claim has ended."
    )


def claim_withdrawn_text(title: str) -> str:
    return (
        f"🗑️ *{safe(title, 150)}*, which you had claimed, was withdrawn: its intake message "
        "was deleted. Your claim has ended."
    )


def requalified_text(
    qualification: Qualification,
    actor: str | None,
    *,
    edited: bool,
    title: str,
    merged_from: str | None = None,
) -> str:
    who = mention(actor) if actor else "someone"
    what = f"{who} edited the lead" if edited else f"Thanks {who}"
    if merged_from:
        what = f"The same person came in again via {safe(source_label(merged_from), 80)}"
    return (
        f"{what}: *{safe(title, 150)}* re-qualified as {tier_label(qualification.tier)}, "
        f"score {qualification.score}/100."
    )


def questions_text(qualification: Qualification, rubric: Rubric | None) -> str:
    """Follow-up questions for missing required criteria, asked in the intake thread."""
    lines = ["To qualify this lead fully, could you answer in this thread:"]
    for criterion_id in qualification.missing:
        question = qualification.questions.get(criterion_id)
        if question is None and rubric is not None:
            try:
                question = rubric.criterion(criterion_id).question
            except KeyError:
                question = criterion_id
        lines.append(f"• {safe(question or criterion_id, 300)}")
    return "\n".join(lines)


def claimed_reply_text(user: str) -> str:
    return f"✅ Claimed by {mention(user)}."


def released_reply_text(user: str) -> str:
    return f"↩️ Released by {mention(user)}; the lead is open again."


def disqualified_by_rep_text(user: str, reason: str) -> str:
    return f"🚫 Disqualified by {mention(user)}: {safe(reason, 1000)}"


def already_claimed_text(user: str | None) -> str:
    if user:
        return f"This lead is already claimed by {mention(user)}."
    return "This lead can no longer be claimed."


def _duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return " ".join([f"{hours} h"] * bool(hours) + [f"{rest} min"] * bool(rest)) or "0 min"


def assigned_text(rep: str, window_minutes: int) -> str:
    """Round-robin's offer, in the summary's thread."""
    return (
        f"{mention(rep)}, it's your turn: this lead is yours if you claim it within "
        f"{_duration(window_minutes)}. After that the next rep is asked."
    )


def assigned_to_other_text(rep: str) -> str:
    return f"This lead is offered to {mention(rep)} for now; you can claim it if they pass."


def escalation_text(title: str, tier: str, waited_minutes: int, link: str | None) -> str:
    """Told once to the escalation channel about a lead unclaimed past twice its SLA."""
    lead = f"<{link}|{safe(title, 150)}>" if link else safe(title, 150)
    return (
        f"🚨 Nobody has claimed {lead} ({tier.replace('_', ' ')}) after "
        f"{_duration(waited_minutes)} of working time, twice its SLA."
    )


def sla_reminder_text(tier: str, sla_minutes: int) -> str:
    """Posted once in a summary's thread (and shown in the channel) when nobody claimed the
    lead within its tier's SLA. No @here: one missed SLA per lead of a big CSV drop would
    ping the whole channel many times."""
    return (
        f"⏰ Unclaimed for {_duration(sla_minutes)} (the SLA for {tier.replace('_', ' ')} leads). "
        "Can someone claim it?"
    )


def lead_modal(rubric: Rubric, *, channel: str | None = None) -> dict:
    """The `/lead` modal: who, company, email, title, notes, plus each rubric field."""
    blocks = [
        _input("Name", "Name"),
        _input("Company", "Company"),
        _input("Email", "Email", optional=True),
        _input("Title", "Title", optional=True),
    ]
    seen = {"name", "company", "email", "title"}
    for criterion in rubric.criteria:
        if not criterion.fields or any(f.lower() in seen for f in criterion.fields):
            continue
        field = criterion.fields[0]
        seen.update(f.lower() for f in criterion.fields)
        blocks.append(_input(criterion.label, field, optional=True, hint=criterion.question))
    blocks.append(_input("Notes", "Notes", optional=True, multiline=True))
    return {
        "type": "modal",
        "callback_id": CALLBACK_LEAD_MODAL,
        "private_metadata": channel or "",
        "title": {"type": "plain_text", "text": "New lead"},
        "submit": {"type": "plain_text", "text": "Qualify"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks[:MAX_MESSAGE_BLOCKS],
    }


def _input(
    label: str, field: str, *, optional: bool = False, multiline: bool = False, hint: str = ""
) -> dict:
    """An input block whose block_id is the lead field name it fills."""
    block = {
        "type": "input",
        "block_id": field[:255],
        "optional": optional,
        "label": {"type": "plain_text", "text": truncate(label, 2000)},
        "element": {
            "type": "plain_text_input",
            "action_id": ACTION_FIELD,
            "multiline": multiline,
        },
    }
    if hint:
        block["hint"] = {"type": "plain_text", "text": truncate(hint, 2000)}
    return block


def modal_fields(state_values: dict) -> dict[str, str]:
    """The `/lead` modal's submitted values as lead fields (block_id = field name)."""
    fields: dict[str, str] = {}
    for block_id, actions in state_values.items():
        value = (actions.get(ACTION_FIELD) or {}).get("value")
        if isinstance(value, str) and value.strip():
            fields[block_id] = value.strip()
    return fields


def disqualify_modal(lead_id: int | str) -> dict:
    """Asks a rep why they disqualify a lead; the lead id travels in private_metadata."""
    return {
        "type": "modal",
        "callback_id": CALLBACK_DISQUALIFY_MODAL,
        "private_metadata": str(lead_id),
        "title": {"type": "plain_text", "text": "Disqualify lead"},
        "submit": {"type": "plain_text", "text": "Disqualify"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": BLOCK_REASON,
                "label": {"type": "plain_text", "text": "Reason"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": ACTION_REASON,
                    "multiline": True,
                    "max_length": 1000,
                },
            }
        ],
    }

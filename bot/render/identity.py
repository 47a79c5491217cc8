"""Who a lead is, for titles and headers: `Name, Company` from its fields or text, else the
first sentence of its text that is not a greeting or an e-mail header."""

from __future__ import annotations

import re

from bot.render.kit import truncate
from qualifiers.extract.redact import first_email
from qualifiers.models import Lead

SALUTATION = re.compile(
    r"^(?:hi|hello|hey|dear|greetings|good (?:morning|afternoon|evening))"
    r"(?:\s+[\w.'-]+){0,3}?\s*(?:[,.!:–-]|$)",
    re.IGNORECASE,
)
EMOJI_CODE = re.compile(r":[a-z0-9_+'-]+:")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")
HEADER_LINE = re.compile(r"^(?:fwd?|re|subject|from|to|date|sent|cc)\s*:|^-{2,}", re.IGNORECASE)

# Form fields (the /lead modal, CSV columns) that say who the lead is.
NAME_FIELDS = ("name", "full name", "contact", "contact name", "lead name")
COMPANY_FIELDS = ("company", "company name", "organization", "organisation", "account")
EMAIL_FIELDS = ("email", "e-mail", "email address")
TITLE_FIELDS = ("title", "job title", "role")


def field_value(lead: Lead, names: tuple[str, ...]) -> str | None:
    """A form field by any of its usual names, else a `Name: value` line in the lead's text."""
    for key, value in lead.fields.items():
        if key.strip().lower() in names and value.strip():
            return value.strip()
    for line in lead.text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() in names and value.strip():
            return value.strip()
    return None


def lead_email(lead: Lead) -> str | None:
    """The person's e-mail: an e-mail field, else the first address in the fields or text;
    lower-cased, as CRMs match it."""
    email = field_value(lead, EMAIL_FIELDS) or first_email(lead.searchable_text())
    return email.strip().lower() if email and "@" in email else None


def has_identity(lead: Lead) -> bool:
    """The lead names a person or a company (its title is not just its opening words)."""
    return bool(field_value(lead, NAME_FIELDS) or field_value(lead, COMPANY_FIELDS))


def lead_title(lead: Lead, lead_id: int | str | None = None) -> str:
    """`Name, Company` when known, else the start of the lead's text (unescaped)."""
    name = field_value(lead, NAME_FIELDS)
    company = field_value(lead, COMPANY_FIELDS)
    if name and company:
        return f"{name}, {company}"
    if name or company:
        return name or company or ""
    opening = next(filter(None, map(_without_salutation, lead.text.splitlines())), "")
    if opening:
        return truncate(SENTENCE_END.split(opening, 1)[0], 80)
    return f"Lead {lead_id}" if lead_id is not None else "Lead"


def _without_salutation(line: str) -> str:
    """A text line minus any greeting; empty for salutations and headers ("Hi team,",
    "From the website chat:", "Fwd: ..."), which say nothing about who the lead is."""
    line = SALUTATION.sub("", line.strip()).strip()
    bare = EMOJI_CODE.sub("", line).strip()  # "New lead :rocket:" does not end with a colon
    if not bare or bare.endswith((",", ":")) or HEADER_LINE.match(bare):
        return ""
    return line

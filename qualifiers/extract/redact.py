"""Masks secrets (always) and contact details (on request) before text leaves for a model or a log.

Leads are pasted by people in a hurry: API keys, tokens and passwords end up in them. Those
never go to a model provider. Email addresses and phone numbers are masked too when the
deployment asks for it (LEADBOT_REDACT_PII=true); the rubric never needs them.
"""

from __future__ import annotations

import re

SECRET_MASK = "[secret]"
EMAIL_MASK = "[email]"
PHONE_MASK = "[phone]"

_SECRET_PATTERNS = [
    re.compile(r"\bsk-[A-Za-z0-9_-]{16,}"),  # OpenAI, Anthropic (sk-ant-...)
    re.compile(r"\bxox[abeoprs]-[A-Za-z0-9-]{8,}"),  # Slack bot/user/legacy tokens
    re.compile(r"\bxapp-[A-Za-z0-9-]{8,}"),  # Slack app-level tokens
    re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}|\bgithub_pat_[A-Za-z0-9_]{20,}"),
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),  # AWS access key ids
    re.compile(r"\bAIza[0-9A-Za-z_-]{30,}"),  # Google API keys
    re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),  # JWTs
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/-]{16,}=*"),
]
# "password: hunter2", "API key = abc": keep the label, mask the rest of the line.
_LABELLED_SECRET = re.compile(
    r"(?im)\b(passwords?|passwd|pwd|passcode|secret|api[ _-]?key|access[ _-]?token|token)"
    r"([ \t]*[:=][ \t]*)\S[^\n]*"
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# International numbers (+44 20 7946 0958), North American ones (415-555-0134, (415) 555 0134)
# and anything on a line labelled phone/tel/mobile/cell. Budgets like 100000-200000 stay.
_PHONES = [
    re.compile(r"(?<![\w+])\+\d{1,3}(?:[\s.-]?\(?\d{1,5}\)?){2,5}(?!\w)"),
    re.compile(r"(?<![\w(])\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}(?!\w)"),
]
_LABELLED_PHONE = re.compile(
    r"(?i)\b(phone|tel|telephone|mobile|cell)([ \t]*[:.]?[ \t]*)[+(\d][\d \t().-]{6,}\d"
)


def redact(text: str, *, pii: bool = False) -> str:
    """`text` with secrets masked, and email addresses and phone numbers too when `pii`."""
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(SECRET_MASK, text)
    text = _LABELLED_SECRET.sub(lambda m: f"{m.group(1)}{m.group(2)}{SECRET_MASK}", text)
    if pii:
        text = _EMAIL.sub(EMAIL_MASK, text)
        text = _LABELLED_PHONE.sub(lambda m: f"{m.group(1)}{m.group(2)}{PHONE_MASK}", text)
        for pattern in _PHONES:
            text = pattern.sub(PHONE_MASK, text)
    return text

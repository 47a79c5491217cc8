"""Masks secrets (always) and personal data (on request) before text leaves for a model or a log.

Leads are pasted by people in a hurry: API keys, tokens, private keys and passwords end up in
them. Those never go to a model provider. Personal data is masked too when the deployment
asks for it (LEADBOT_REDACT_PII=true); the rubric never needs it: email addresses (any
script), phone numbers as phonenumbers parses them (national numbers in the deployment's
regions, international ones anywhere), IBANs that pass their checksum and card numbers that
pass Luhn's. Checksums and a real parser keep budgets, dates and order numbers readable.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

SECRET_MASK = "[secret]"
EMAIL_MASK = "[email]"
PHONE_MASK = "[phone]"
IBAN_MASK = "[iban]"
CARD_MASK = "[card]"
DEFAULT_PHONE_REGIONS = ("US",)

_SECRET_PATTERNS = [
    re.compile(  # PEM/PGP private keys, to their end line (or the end of a cut-off paste)
        r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?"
        r"(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)"
    ),
    re.compile(r"\bsk-[A-Za-z0-9_-]{16,}"),  # OpenAI, Anthropic (sk-ant-...)
    re.compile(r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{8,}"),  # Stripe secret/restricted keys
    re.compile(r"\bxox[abeoprs]-[A-Za-z0-9-]{8,}"),  # Slack bot/user/legacy tokens
    re.compile(r"\bxapp-[A-Za-z0-9-]{8,}"),  # Slack app-level tokens
    re.compile(r"https?://hooks\.slack(?:-gov)?\.com/(?:services|workflows|triggers)/[\w/-]+"),
    re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}|\bgithub_pat_[A-Za-z0-9_]{20,}"),
    re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"),  # AWS access key ids
    re.compile(r"\bAIza[0-9A-Za-z_-]{30,}"),  # Google API keys
    re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),  # JWTs
    re.compile(r"(?i)\b(?:bearer|basic)\s+[A-Za-z0-9._~+/-]{16,}=*"),
]
# "password: hunter2", "API key = abc", "aws_secret_access_key=...": keep the label, mask the
# rest of the line.
_LABELLED_SECRET = re.compile(
    r"(?im)\b(passwords?|passwd|pwd|passcode|(?:aws[ _-]?)?secret(?:[ _-]?access)?(?:[ _-]?key)?|"
    r"api[ _-]?key|access[ _-]?token|token)([ \t]*[:=][ \t]*)\S[^\n]*"
)
# An AWS secret access key on its own: 40 characters of base64 with upper and lower case and
# a digit (a git hash, all hex and lowercase, is not one).
_FORTY_BASE64 = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")

# Letters of any script in the local part and the domain (jan@müller.de, 用户@例子.广告).
# A match starts only where a run of address characters starts, so a long run without an @
# is read once, not once per character.
_EMAIL = re.compile(r"(?<![\w.%+-])[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.(?:[^\W\d_]{2,}|xn--[\w-]+)")


def first_email(text: str) -> str | None:
    """The first e-mail address in `text`, as written."""
    found = _EMAIL.search(text)
    return found.group(0) if found else None


_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b")
_CARD = re.compile(r"\b(?:\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{1,7}|\d{4}[ -]?\d{6}[ -]?\d{5})\b")
_LABELLED_PHONE = re.compile(
    r"(?i)\b(phone|tel|telephone|mobile|cell)([ \t]*[:.]?[ \t]*)[+(\d][\d \t().-]{6,}\d"
)


def redact(
    text: str, *, pii: bool = False, phone_regions: Iterable[str] = DEFAULT_PHONE_REGIONS
) -> str:
    """`text` with secrets masked, and personal data too when `pii`. National phone numbers
    are read as numbers of `phone_regions` (ISO codes such as US or GB)."""
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(SECRET_MASK, text)
    text = _LABELLED_SECRET.sub(lambda m: f"{m.group(1)}{m.group(2)}{SECRET_MASK}", text)
    text = _FORTY_BASE64.sub(_masked_if(_looks_like_aws_secret, SECRET_MASK), text)
    if pii:
        text = _EMAIL.sub(EMAIL_MASK, text)
        text = _IBAN.sub(_mask_iban, text)
        text = _CARD.sub(_masked_if(_luhn_ok, CARD_MASK), text)
        text = _LABELLED_PHONE.sub(lambda m: f"{m.group(1)}{m.group(2)}{PHONE_MASK}", text)
        for region in phone_regions:
            text = _mask_phones(text, region)
    return text


def _masked_if(check: Callable[[str], bool], mask: str) -> Callable[[re.Match[str]], str]:
    return lambda match: mask if check(match.group()) else match.group()


def _mask_phones(text: str, region: str) -> str:
    if sum(c.isdigit() for c in text) < 7:
        return text
    import phonenumbers  # a tenth of a second to import: only where phones are masked

    pieces, position = [], 0
    for found in phonenumbers.PhoneNumberMatcher(text, region):
        pieces.append(text[position : found.start])
        pieces.append(PHONE_MASK)
        position = found.end
    return "".join(pieces) + text[position:] if pieces else text


def _mask_iban(match: re.Match[str]) -> str:
    """The longest prefix that passes the checksum, cut at a group: the pattern may run on into
    a following capitalised word or number ("DE89 3704 0044 0532 0130 00 EUR")."""
    candidate = match.group()
    ends = [len(candidate), *(i for i in range(len(candidate) - 1, 0, -1) if candidate[i] == " ")]
    for end in ends:
        if _iban_checksum_ok(candidate[:end]):
            return IBAN_MASK + candidate[end:]
    return candidate


def _looks_like_aws_secret(candidate: str) -> bool:
    return (
        any(c.isupper() for c in candidate)
        and any(c.islower() for c in candidate)
        and any(c.isdigit() for c in candidate)
    )


def _iban_checksum_ok(candidate: str) -> bool:
    """ISO 13616: the country and check digits moved to the end, letters as 10-35, mod 97."""
    compact = candidate.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _luhn_ok(candidate: str) -> bool:
    digits = [int(c) for c in candidate if c.isdigit()]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def is_phone_region(region: str) -> bool:
    import phonenumbers

    return region in phonenumbers.SUPPORTED_REGIONS

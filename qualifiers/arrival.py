"""When a lead arrived, read from its own date field: calendar timelines count from it.

A CSV or JSONL export often carries the day a lead came in ("received_at", "Date",
"Created"). That value, when it parses as a date, is the lead's arrival; otherwise the lead's
`received_at` (Slack message time, webhook receipt) or, last, the qualifier's clock.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime

DATE_FIELDS = (
    "received_at",
    "received",
    "received on",
    "date received",
    "date",
    "created",
    "created_at",
    "created date",
    "create date",
    "submitted_at",
    "submitted",
    "submission date",
    "timestamp",
)
_KEYS = frozenset(DATE_FIELDS)
_DAY_FIRST = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{4})$")
_YEAR_FIRST = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$")


def parse_arrival(value: str) -> datetime | None:
    """'2026-03-14', '2026-03-14T09:30:00Z', '14.03.2026', '2026/03/14' as an aware datetime
    (UTC when no zone is given); None for anything else."""
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parts = _DAY_FIRST.match(value) or _YEAR_FIRST.match(value)
        if parts is None:
            return None
        numbers = [int(part) for part in parts.groups()]
        year, month, day = numbers if parts.re is _YEAR_FIRST else numbers[::-1]
        try:
            parsed = datetime(year, month, day)
        except ValueError:
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def arrival_from_fields(fields: Mapping[str, str]) -> datetime | None:
    """The first date field (by `DATE_FIELDS` name, any case) whose value is a date."""
    for key, value in fields.items():
        if key.strip().lower().replace("-", "_") in _KEYS or key.strip().lower() in _KEYS:
            parsed = parse_arrival(value)
            if parsed is not None:
                return parsed
    return None

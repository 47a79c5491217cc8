"""Generated lead histories (CSV) and rubrics for the back-test tests."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]

GOOD_RUBRIC = """\
name: plans
criteria:
  - id: plan
    label: Plan asked about
    question: Which plan?
    type: choice
    fields: [Plan]
    choices:
      enterprise: {points: 50, hints: ['^enterprise$']}  # the best plan
      team: {points: 20, hints: ['^team$']}
      free: {points: 0, hints: ['^free$']}
  - id: seats
    label: Seats
    question: How many seats?
    type: number
    fields: [Seats]
    bands:
      - {max: 9, points: 0}
      - {min: 10, max: 99, points: 15}
      - {min: 100, points: 30}
  - id: demo
    label: Asked for a demo
    question: Did they ask for a demo?
    type: yes_no
    fields: [Demo]
    points: {yes: 20, no: 0}
tiers:
  - {id: hot, min_score: 70}
  - {id: warm, min_score: 40}  # reps work warm leads too
  - {id: cold, min_score: 0}
"""

# Same criteria, every point backwards: the suggestion has to turn them round.
BAD_RUBRIC = (
    GOOD_RUBRIC.replace("name: plans", "name: plans-backwards")
    .replace("enterprise: {points: 50", "enterprise: {points: 0")
    .replace("free: {points: 0", "free: {points: 50")
    .replace("{yes: 20, no: 0}", "{yes: 0, no: 20}")
    .replace("{max: 9, points: 0}", "{max: 9, points: 30}")
    .replace("{min: 100, points: 30}", "{min: 100, points: 0}")
)


def history_rows(n: int, seed: int = 5) -> list[dict[str, str]]:
    """Leads whose conversion follows plan, seats and demo, as a CSV export would hold them."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        plan = rng.choice(["enterprise", "team", "free"], p=[0.2, 0.3, 0.5])
        seats = int(rng.choice([3, 40, 400], p=[0.5, 0.35, 0.15]))
        demo = bool(rng.random() < 0.35)
        logit = -2.2 + {"enterprise": 2.5, "team": 1.0, "free": 0.0}[plan]
        logit += {3: 0.0, 40: 0.8, 400: 1.6}[seats] + (1.2 if demo else 0.0)
        converted = rng.random() < 1 / (1 + np.exp(-logit))
        rows.append(
            {
                "id": f"lead-{i + 1}",
                "Plan": str(plan),
                "Seats": str(seats),
                "Demo": "yes" if demo else "no",
                "Converted": "1" if converted else "0",
            }
        )
    return rows


def write_csv(path: Path, rows: list[dict[str, str]], delimiter: str = ",") -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return path

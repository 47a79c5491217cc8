"""The back-test as one self-contained HTML file a manager can open anywhere.

Charts are inline SVG drawn here: no JavaScript, no fonts or scripts from a CDN, nothing fetched,
so the file works offline and can be mailed around as is.
"""

from __future__ import annotations

from html import escape

import numpy as np

from bot.domain.lifecycle import DISQUALIFIED_TIER
from qualifiers.backtest import BacktestReport, RubricMetrics, ranking_keys, roc_curve

COLOURS = ("#2563eb", "#ea580c")
CONVERTED = "#16a34a"
NOT_CONVERTED = "#9ca3af"
SCORE_BIN = 5
CHART_WIDTH = 460
CHART_HEIGHT = 280
MARGIN = {"left": 48, "right": 12, "top": 24, "bottom": 40}

STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #111827;
       max-width: 1000px; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.15em; margin-top: 2em; border-bottom: 1px solid #e5e7eb; }
.muted { color: #6b7280; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { padding: 0.3em 0.8em; text-align: right; border-bottom: 1px solid #e5e7eb; }
th:first-child, td:first-child { text-align: left; }
.charts { display: flex; flex-wrap: wrap; gap: 1.5em; }
figure { margin: 0; }
figcaption { font-size: 0.9em; color: #4b5563; max-width: 460px; }
svg text { font: 11px system-ui, sans-serif; fill: #374151; }
.key { display: inline-block; width: 0.8em; height: 0.8em; margin: 0 0.3em 0 0.8em; }
"""


def render_report(report: BacktestReport, *, data_name: str = "") -> str:
    """The whole HTML document for a back-test (and its comparison, when there is one)."""
    rubrics = [report.primary] + ([report.against] if report.against else [])
    primary = report.primary
    rate = primary.positives / primary.rows if primary.rows else 0.0
    names = " vs ".join(escape(_title(m)) for m in rubrics)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Back-test: {names}</title><style>{STYLE}</style></head><body>",
        f"<h1>Back-test: {names}</h1>",
        f'<p class="muted">{escape(data_name)}: {primary.rows:,} past leads, '
        f"{primary.positives:,} converted ({100 * rate:.1f}%). Each lead was scored as if it "
        "had just arrived, then compared with what really happened.</p>",
        "<h2>Summary</h2>",
        _summary_table(rubrics),
        _reading_guide(primary),
        "<h2>Conversion by tier</h2>",
        '<div class="charts">',
        *(
            _figure(_tier_chart(m, colour), _tier_caption(m))
            for m, colour in zip(rubrics, COLOURS, strict=False)
        ),
        "</div>",
        _tier_tables(rubrics),
        "<h2>ROC curve</h2>",
        '<div class="charts">',
        _figure(
            _roc_chart(rubrics, report.labels),
            "How many converted leads (up) you reach for how many non-converting ones (right) "
            "as you work down the ranking. The further up and left, the better; the diagonal is "
            "a coin toss. The area under the curve (AUC) is the chance that a random converted "
            "lead scores above a random lost one.",
        ),
        "</div>",
        "<h2>Score distribution by outcome</h2>",
        '<div class="charts">',
        *(
            _figure(
                _distribution_chart(m, report.labels),
                f"{escape(_title(m))}: share of converted and of lost leads at each score "
                f"({SCORE_BIN}-point bins); dashed lines are the tier thresholds. A good rubric "
                "pushes green right and grey left.",
            )
            for m in rubrics
        ),
        "</div>",
    ]
    if report.against:
        parts += _changes_section(report)
    parts.append("</body></html>")
    return "\n".join(parts)


def _title(metrics: RubricMetrics) -> str:
    return f"{metrics.rubric.name} ({metrics.rubric.version})"


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{caption}</figcaption></figure>"


def _summary_table(rubrics: list[RubricMetrics]) -> str:
    header = "".join(
        f'<th><span class="key" style="background:{colour}"></span>{escape(_title(m))}</th>'
        for m, colour in zip(rubrics, COLOURS, strict=False)
    )
    worked = "+".join(rubrics[0].qualified_tiers)
    rows = [
        ("ROC AUC", [("–" if m.auc is None else f"{m.auc:.3f}") for m in rubrics]),
        (f"Precision ({escape(worked)})", [_percent(m.precision) for m in rubrics]),
        (f"Recall ({escape(worked)})", [_percent(m.recall) for m in rubrics]),
        (
            "Top-decile lift",
            [("–" if m.top_decile_lift is None else f"{m.top_decile_lift:.2f}×") for m in rubrics],
        ),
    ]
    body = "".join(
        f"<tr><td>{name}</td>{''.join(f'<td>{v}</td>' for v in values)}</tr>"
        for name, values in rows
    )
    return f"<table><tr><th></th>{header}</tr>{body}</table>"


def _reading_guide(primary: RubricMetrics) -> str:
    worked = escape(" and ".join(primary.qualified_tiers))
    return (
        '<p class="muted">Precision: of the leads in the '
        f"{worked} tiers, the share that converted. Recall: of all converted leads, the share "
        f"the {worked} tiers caught. Top-decile lift: how many times more often the best-scored "
        "10% of leads converted than leads overall.</p>"
    )


def _tier_caption(metrics: RubricMetrics) -> str:
    return f"{escape(_title(metrics))}: conversion rate per tier; the number of leads under each."


def _tier_tables(rubrics: list[RubricMetrics]) -> str:
    tables = []
    for metrics in rubrics:
        rows = "".join(
            f"<tr><td>{escape(tier)}</td><td>{s.leads:,}</td><td>{s.converted:,}</td>"
            f"<td>{_percent(s.rate)}</td></tr>"
            for tier, s in metrics.tiers.items()
            if s.leads or tier != DISQUALIFIED_TIER
        )
        tables.append(
            f"<table><caption>{escape(_title(metrics))}</caption><tr><th>Tier</th><th>Leads</th>"
            f"<th>Converted</th><th>Rate</th></tr>{rows}</table>"
        )
    return '<div class="charts">' + "".join(tables) + "</div>"


def _changes_section(report: BacktestReport) -> list[str]:
    old, new = report.against, report.primary
    moved = sum(report.changed_tier.values())
    counts = "".join(
        f"<tr><td>{escape(change)}</td><td>{count:,}</td></tr>"
        for change, count in report.changed_tier.items()
    )
    examples = "".join(
        f"<tr><td>{escape(c.lead_id)}</td><td>{escape(c.from_tier)}</td>"
        f"<td>{escape(c.to_tier)}</td><td>{'yes' if c.converted else 'no'}</td></tr>"
        for c in report.changes
    )
    return [
        "<h2>Leads that change tier</h2>",
        f"<p>{moved:,} of {new.rows:,} leads land in another tier under "
        f"{escape(_title(new))} than under {escape(_title(old))}.</p>",
        f"<table><tr><th>From &rarr; to</th><th>Leads</th></tr>{counts}</table>",
        f"<p class='muted'>The first {len(report.changes)} of them:</p>" if examples else "",
        f"<table><tr><th>Lead</th><th>Was</th><th>Now</th><th>Converted</th></tr>{examples}</table>"
        if examples
        else "",
    ]


# --- SVG charts ---------------------------------------------------------------------------------


def _svg(body: list[str], label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{CHART_WIDTH}" height="{CHART_HEIGHT}" '
        f'viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT}" role="img" aria-label="{escape(label)}">'
        + "".join(body)
        + "</svg>"
    )


def _plot_area() -> tuple[float, float, float, float]:
    left, top = MARGIN["left"], MARGIN["top"]
    return left, top, CHART_WIDTH - MARGIN["right"] - left, CHART_HEIGHT - MARGIN["bottom"] - top


def _axes(y_ticks: list[tuple[float, str]], x_label: str, y_label: str) -> list[str]:
    """Frame, horizontal grid lines at the given fractions of the height, and axis titles."""
    left, top, width, height = _plot_area()
    parts = []
    for fraction, text in y_ticks:
        y = top + height * (1 - fraction)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + width}" y2="{y:.1f}" stroke="#e5e7eb"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(text)}</text>'
        )
    parts.append(
        f'<rect x="{left}" y="{top}" width="{width}" height="{height}" fill="none" '
        'stroke="#9ca3af"/>'
        f'<text x="{left + width / 2}" y="{CHART_HEIGHT - 6}" text-anchor="middle">'
        f"{escape(x_label)}</text>"
        f'<text transform="translate(12,{top + height / 2}) rotate(-90)" text-anchor="middle">'
        f"{escape(y_label)}</text>"
    )
    return parts


def _percent_ticks(top: float) -> list[tuple[float, str]]:
    return [(i / 4, f"{100 * top * i / 4:.0f}%") for i in range(5)]


def _nice_ceiling(share: float) -> float:
    """The axis top: the share rounded up to a multiple of 4% (so quarter ticks are whole)."""
    return max(0.04, float(np.ceil(share / 0.04)) * 0.04)


def _tier_chart(metrics: RubricMetrics, colour: str) -> str:
    tiers = [(t, s) for t, s in metrics.tiers.items() if s.leads or t != DISQUALIFIED_TIER]
    left, top, width, height = _plot_area()
    body = _axes(_percent_ticks(1.0), "tier", "converted")
    slot = width / max(len(tiers), 1)
    for i, (tier, stats) in enumerate(tiers):
        rate = stats.rate or 0.0
        bar_height = height * rate
        x = left + i * slot + slot * 0.2
        y = top + height - bar_height
        body.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.6:.1f}" height="{bar_height:.1f}" '
            f'fill="{colour}"><title>{escape(tier)}: {stats.converted:,} of {stats.leads:,}'
            "</title></rect>"
            f'<text x="{x + slot * 0.3:.1f}" y="{y - 4:.1f}" text-anchor="middle">'
            f"{_percent(stats.rate)}</text>"
            f'<text x="{x + slot * 0.3:.1f}" y="{top + height + 14:.1f}" text-anchor="middle">'
            f"{escape(tier)} ({stats.leads:,})</text>"
        )
    return _svg(body, f"Conversion by tier, {_title(metrics)}")


def _roc_chart(rubrics: list[RubricMetrics], labels: list[bool]) -> str:
    left, top, width, height = _plot_area()
    body = _axes(_percent_ticks(1.0), "share of lost leads reached", "share of converted reached")
    for fraction, text in _percent_ticks(1.0):
        body.append(
            f'<text x="{left + width * fraction:.1f}" y="{top + height + 14:.1f}" '
            f'text-anchor="middle">{text}</text>'
        )
    body.append(
        f'<line x1="{left}" y1="{top + height}" x2="{left + width}" y2="{top}" '
        'stroke="#d1d5db" stroke-dasharray="4 4"/>'
    )
    for position, (metrics, colour) in enumerate(zip(rubrics, COLOURS, strict=False)):
        points = roc_curve(ranking_keys(metrics.scores, metrics.tiers_by_lead), labels)
        path = " ".join(
            f"{left + width * fpr:.1f},{top + height * (1 - tpr):.1f}" for fpr, tpr in points
        )
        auc = "–" if metrics.auc is None else f"{metrics.auc:.3f}"
        body.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
            f'<rect x="{left + width - 275}" y="{top + height - 40 + 16 * position}" width="10" '
            f'height="10" fill="{colour}"/><text x="{left + width - 260}" '
            f'y="{top + height - 31 + 16 * position}">{escape(_title(metrics))}: AUC {auc}'
            "</text>"
        )
    return _svg(body, "ROC curve")


def _distribution_chart(metrics: RubricMetrics, labels: list[bool]) -> str:
    scores = np.asarray(metrics.scores, dtype=int)
    outcome = np.asarray(labels, dtype=bool)
    scored = np.asarray(metrics.tiers_by_lead, dtype=object) != DISQUALIFIED_TIER
    bins = np.minimum(scores // SCORE_BIN, 100 // SCORE_BIN - 1)
    count = 100 // SCORE_BIN
    shares = []
    for group in (outcome & scored, ~outcome & scored):
        per_bin = np.bincount(bins[group], minlength=count)[:count]
        shares.append(per_bin / max(int(group.sum()), 1))
    top_share = _nice_ceiling(float(max(s.max() for s in shares)))
    left, top, width, height = _plot_area()
    body = _axes(_percent_ticks(top_share), "score", "share of the outcome's leads")
    slot = width / count
    bin_ends = [b * SCORE_BIN + SCORE_BIN - 1 for b in range(count - 1)] + [100]
    for b in range(count):
        for series, (share, colour) in enumerate(
            zip(shares, (CONVERTED, NOT_CONVERTED), strict=True)
        ):
            bar_height = height * share[b] / top_share
            x = left + b * slot + 1 + series * (slot - 2) / 2
            body.append(
                f'<rect x="{x:.1f}" y="{top + height - bar_height:.1f}" '
                f'width="{(slot - 2) / 2:.1f}" height="{bar_height:.1f}" fill="{colour}">'
                f"<title>{b * SCORE_BIN}-{bin_ends[b]}: {100 * share[b]:.1f}%</title></rect>"
            )
        if b % 2 == 0:
            body.append(
                f'<text x="{left + b * slot:.1f}" y="{top + height + 14:.1f}" '
                f'text-anchor="middle">{b * SCORE_BIN}</text>'
            )
    for tier, threshold in list(metrics.thresholds.items())[:-1]:
        x = left + width * threshold / 100
        body.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + height}" stroke="#374151" '
            f'stroke-dasharray="3 3"/><text x="{x + 3:.1f}" y="{top + 12}">{escape(tier)}</text>'
        )
    body.append(
        f'<text x="{left + width}" y="{top + height + 14:.1f}" text-anchor="end">100</text>'
        f'<rect x="{left}" y="{top - 18}" width="10" height="10" fill="{CONVERTED}"/>'
        f'<text x="{left + 14}" y="{top - 9}">converted</text>'
        f'<rect x="{left + 82}" y="{top - 18}" width="10" height="10" fill="{NOT_CONVERTED}"/>'
        f'<text x="{left + 96}" y="{top - 9}">lost</text>'
    )
    return _svg(body, f"Score distribution by outcome, {_title(metrics)}")

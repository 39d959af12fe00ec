"""What the HTML page shows of the portfolio document: long tables cut to :data:`ROWS` rows (the CSV and
JSON have all), aggregates kept complete, and the geometry of the two inline SVG charts.

Only numbers and the document's own values come out of here; escaping is the template's job (Jinja2 with
auto-escaping), so nothing in this module builds markup.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from hrpolicy.model import NOTICE, SEVERITY_RANK

#: Rows each long table (matrix, register, products, findings, waivers, errors) renders in the page.
ROWS = 200
#: Product ids a country's row lists per group before it says how many more there are.
COUNTRY_PRODUCTS = 12
#: Due-diligence states, worst first; the order of the legend, the chart and of sorting by state.
DD_STATES = ("missing", "overdue", "expiring", "waived", "covered", "closed")
DD_TEXT = {
    "missing": "no approved assessment for the market",
    "overdue": "the latest assessment has expired",
    "expiring": "the assessment expires within 60 days",
    "waived": "the requirement is waived",
    "covered": "an in-date assessment covers the market",
    "closed": "the market is withdrawn",
}
TIERS = ("high", "elevated", "unassessed", "low")
#: Assessment states (register), worst first, for sorting by state.
REGISTER_STATES = ("expired", "undated", "expiring", "in_review", "draft", "in_date", "replaced")
TIMELINE_MONTHS = 12
#: The select filters a table may offer (its ``data-filters``), by row attribute.
FILTER_LABELS = {
    "dd": "Due diligence",
    "tier": "Tier",
    "state": "State",
    "type": "Type",
    "outcome": "Outcome",
    "severity": "Severity",
    "waived": "Open or waived",
    "worst": "Worst open",
    "source": "Source",
}

# Chart geometry (SVG user units).
BAR_LABEL = 110
BAR_WIDTH = 560
BAR_HEIGHT = 26
BAR_GAP = 10
MONTH_WIDTH = 52
MONTH_HEIGHT = 140


def known(value: Any, choices: Sequence[str]) -> str:
    """``value`` when it is one of ``choices`` (safe in a class name), else ``other``."""
    return value if isinstance(value, str) and value in choices else "other"


def rank(value: Any, order: Sequence[str]) -> int:
    return order.index(value) if value in order else len(order)


def page(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The template's context besides the document itself."""
    products = list(doc["products"])
    rows = {str(r["product"]): r for r in doc["matrix"]["rows"]}
    # the products with the most open findings first, as in the products table
    order = [str(p["id"]) for p in products if str(p["id"]) in rows]
    order += sorted(set(rows) - set(order))
    shown = [rows[pid] for pid in order[:ROWS]]
    tier_of = {code: c["tier"] for r in shown for code, c in r["cells"].items()}
    columns = sorted(
        tier_of, key=lambda code: (rank(tier_of[code], TIERS), code)
    )  # high-risk countries first
    findings = [
        {"product": p["id"], **f}
        for p in products[:ROWS]
        for f in sorted(p["findings"], key=lambda f: (f["waived"], -SEVERITY_RANK.get(f["severity"], 0)))
        if f["severity"] != NOTICE
    ]
    total_findings = sum(1 for p in products for f in p["findings"] if f["severity"] != NOTICE)
    items = [dict(i, month=m["month"]) for m in doc["timeline"] for i in m["items"]]
    return {
        "rows_limit": ROWS,
        "matrix_rows": shown,
        "matrix_total": len(rows),
        "matrix_columns": columns,
        "matrix_tiers": tier_of,
        "matrix_hidden_columns": len(doc["matrix"]["countries"]) - len(columns),
        "products_shown": products[:ROWS],
        "findings": findings[:ROWS],
        "findings_total": total_findings,
        "register_shown": doc["register"][:ROWS],
        "waivers_shown": doc["waivers"][:ROWS],
        "errors_shown": doc["errors"][:ROWS],
        "timeline_items": items[:ROWS],
        "timeline_total": len(items),
        "tier_chart": tier_chart(doc["matrix"]["rows"]),
        "month_chart": month_chart(doc["timeline"], doc["generated_on"]),
        "markets_total": sum(len(r["cells"]) for r in doc["matrix"]["rows"]),
        "dd_states": DD_STATES,
        "dd_text": DD_TEXT,
        "tiers": TIERS,
        "register_states": REGISTER_STATES,
        "country_products": COUNTRY_PRODUCTS,
    }


def tier_chart(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Markets by due-diligence state per country tier, as horizontal stacked bars."""
    counts: dict[str, dict[str, int]] = {}
    for row in rows:
        for cell in row["cells"].values():
            tier = str(cell["tier"])
            state = known(cell["dd"], DD_STATES)
            by = counts.setdefault(tier, {})
            by[state] = by.get(state, 0) + 1
    tiers = sorted(counts, key=lambda t: (rank(t, TIERS), t))
    widest = max((sum(by.values()) for by in counts.values()), default=0) or 1
    bars = []
    for i, tier in enumerate(tiers):
        y = i * (BAR_HEIGHT + BAR_GAP)
        x = float(BAR_LABEL)
        segments = []
        for state in (*DD_STATES, "other"):
            n = counts[tier].get(state, 0)
            if not n:
                continue
            w = BAR_WIDTH * n / widest
            segments.append({"state": state, "count": n, "x": round(x, 2), "width": round(w, 2)})
            x += w
        total = sum(counts[tier].values())
        bars.append({"tier": tier, "y": y, "total": total, "segments": segments, "end": round(x + 6, 2)})
    return {
        "bars": bars,
        "width": BAR_LABEL + BAR_WIDTH + 60,
        "height": max(1, len(bars)) * (BAR_HEIGHT + BAR_GAP),
        "bar_height": BAR_HEIGHT,
        "counts": counts,
        "tiers": tiers,
    }


def month_chart(timeline: Sequence[Mapping[str, Any]], generated_on: str) -> dict[str, Any]:
    """Assessments expiring per month over the next twelve months, as vertical bars (every month drawn,
    empty ones too, so the gaps show)."""
    start = datetime.date.fromisoformat(generated_on)
    months = []
    for k in range(TIMELINE_MONTHS + 1):
        m = start.month - 1 + k
        months.append(f"{start.year + m // 12:04d}-{m % 12 + 1:02d}")
    counts = {str(m["month"]): len(m["items"]) for m in timeline}
    top = max([*counts.values(), 1])
    bars = []
    for i, month in enumerate(months):
        n = counts.get(month, 0)
        h = round((MONTH_HEIGHT - 20) * n / top, 2)
        bars.append(
            {"month": month, "count": n, "x": i * MONTH_WIDTH + 6, "y": MONTH_HEIGHT - h, "height": h}
        )
    return {
        "bars": bars,
        "bar_width": MONTH_WIDTH - 12,
        "width": len(months) * MONTH_WIDTH,
        "height": MONTH_HEIGHT + 34,
        "base": MONTH_HEIGHT,
        "total": sum(counts.values()),
    }

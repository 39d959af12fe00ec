"""The portfolio document as JSON (as it is), CSV (for spreadsheets) and Markdown (a board-paper appendix).

Manifest text reaches these formats only as data: CSV cells that a spreadsheet would read as a formula
(``=``, ``+``, ``-``, ``@``, tab or carriage return first) are prefixed with ``'``; Markdown text goes
through :func:`hrpolicy.markdown.text`, so no emphasis, link, HTML or table break can come from it.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from typing import IO, Any

from hrpolicy import markdown as md

#: Rows each Markdown table shows before it says how many more there are (the CSV and JSON have all).
MARKDOWN_ROWS = 25
CSV_COLUMNS = (
    "product",
    "owner",
    "country",
    "country_name",
    "market_status",
    "launch_date",
    "due_diligence",
    "detail",
    "tier",
    "rating",
    "rating_source",
    "open_findings",
    "repository",
    "commit",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def write_json(doc: Mapping[str, Any], out: IO[str]) -> None:
    json.dump(doc, out, indent=2, ensure_ascii=False)
    out.write("\n")


def cell(value: Any) -> str:
    """A CSV cell a spreadsheet shows as text: never a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_csv(doc: Mapping[str, Any], out: IO[str]) -> None:
    """One row per product and market: the matrix in long form, for pivot tables."""
    products = {str(p["id"]): p for p in doc["products"]}
    names = {c["code"]: c["name"] for c in doc["countries"]}
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in doc["matrix"]["rows"]:
        product = products.get(str(row["product"]), {})
        prov = product.get("provenance") or {}
        for code, c in sorted(row["cells"].items()):
            values = (
                row["product"],
                product.get("owner"),
                code,
                names.get(code),
                c["status"],
                c["launch_date"],
                c["dd"],
                c["detail"],
                c["tier"],
                c["rating"],
                c["source"],
                c["open"],
                prov.get("repository"),
                prov.get("commit"),
            )
            writer.writerow([cell(v) for v in values])


def _t(value: Any) -> str:
    return md.text(str(value), cell=True) if value not in (None, "") else "–"


def _table(out: IO[str], header: Sequence[str], rows: Sequence[Sequence[Any]], what: str) -> None:
    out.write("| " + " | ".join(header) + " |\n")
    out.write("|" + "---|" * len(header) + "\n")
    for row in rows[:MARKDOWN_ROWS]:
        out.write("| " + " | ".join(_t(v) for v in row) + " |\n")
    if len(rows) > MARKDOWN_ROWS:
        out.write(f"\n{len(rows) - MARKDOWN_ROWS} more {what} in the CSV and JSON reports.\n")
    out.write("\n")


def write_markdown(doc: Mapping[str, Any], out: IO[str]) -> None:
    s = doc["summary"]
    sources = ", ".join(
        f"{src['name']} ({src['edition_date']})" for src in doc["tool"]["country_data"]["sources"]
    )
    out.write(f"# Human-rights due diligence: portfolio on {doc['generated_on']}\n\n")
    by = ", ".join(f"{n} {sev}" for sev, n in s["by_severity"].items()) or "none"
    out.write(
        f"{s['products']} products, {s['with_open_findings']} with open findings; {s['open_findings']} open "
        f"findings ({by}), {s['waived']} waived. Country tiers: {md.text(sources)}.\n\n"
    )
    for cover in doc["coverage"]:
        total = cover.get("repositories") or 0
        have = cover.get("with_manifest") or 0
        share = f"{100 * have // total}%" if total else "n/a"
        out.write(
            f"Coverage: {have} of {total} repositories of {md.text(str(cover.get('organisation')))} have a "
            f"manifest ({share}); a product without one is itself a due-diligence gap.\n\n"
        )
    out.write("## Markets by due-diligence state\n\n")
    order = {"missing": 0, "overdue": 1, "expiring": 2, "waived": 3, "covered": 4, "closed": 5}
    cells = [
        (row["product"], code, c["status"], c["dd"], c["detail"], c["tier"])
        for row in doc["matrix"]["rows"]
        for code, c in row["cells"].items()
        if c["dd"] != "closed"
    ]
    cells.sort(key=lambda r: (order.get(str(r[3]), 9), str(r[0]), str(r[1])))
    _table(out, ["Product", "Country", "Status", "Due diligence", "Detail", "Tier"], cells, "markets")
    out.write("## Countries\n\n")
    _table(
        out,
        ["Country", "Tier", "Rating", "Live", "Planned", "Open findings", "Localisation laws"],
        [
            (
                f"{c['code']} {c['name']}",
                c["tier"],
                c["rating"],
                len(c["products"]["live"]),
                len(c["products"]["planned"]),
                c["open_findings"],
                len(c["laws"]),
            )
            for c in doc["countries"]
        ],
        "countries",
    )
    out.write("## Rules\n\n")
    _table(
        out,
        ["Rule", "Title", "Failing", "Waived", "Passing"],
        [(r["id"], r["title"], r["failing"], r["waived"], r["passing"]) for r in doc["rules"]],
        "rules",
    )
    out.write("## Assessments expiring in the next 12 months\n\n")
    _table(
        out,
        ["Month", "Product", "Assessment", "Type", "Expires"],
        [
            (m["month"], i["product"], i["id"], i["type"], i["expires"])
            for m in doc["timeline"]
            for i in m["items"]
        ],
        "assessments",
    )
    out.write("## Waivers\n\n")
    _table(
        out,
        ["Product", "Rule", "State", "Expires", "Approver role", "Ticket", "Reason"],
        [
            (w["product"], w["rule"], w["state"], w["expires"], w["approver_role"], w["ticket"], w["reason"])
            for w in doc["waivers"]
        ],
        "waivers",
    )
    for trail in doc["evidence"]:
        out.write(f"## Evidence trail: {md.text(str(trail['product']))}\n\n")
        rows = [
            (
                e["rule"],
                e["pointer"] or "(manifest)",
                e["outcome"],
                "; ".join(_record(r) for r in e.get("cleared_by") or ()),
            )
            for e in trail["entries"]
            if e["outcome"] != "not_applicable"
        ]
        header = ["Rule", "Item", "Outcome", "Cleared by"]
        out.write("| " + " | ".join(header) + " |\n|---|---|---|---|\n")
        for row in rows:  # an assessor reads the whole trail: never cut
            out.write("| " + " | ".join(_t(v) for v in row) + " |\n")
        out.write("\n")
    if doc["errors"]:
        out.write(f"{len(doc['errors'])} manifests could not be evaluated; see the JSON report.\n")


def _record(r: Mapping[str, Any]) -> str:
    approver: Mapping[str, Any] = r["approver"] if isinstance(r.get("approver"), dict) else {}
    parts = [str(r.get(k)) for k in ("type", "id", "date", "decision") if r.get(k)]
    if approver.get("role"):
        parts.append(f"approved by {approver['role']}")
    if r.get("evidence"):
        parts.append(f"evidence {r['evidence']}")
    return " ".join(parts)

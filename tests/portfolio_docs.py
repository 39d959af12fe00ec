"""Portfolio documents for the HTML report's tests: the example companies' (through the real command), the
same with hostile text in every string, and the same scaled up to thousands of products."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from helpers import REPO, run_cli

COMPANIES = sorted((REPO / "examples" / "companies").glob("*.yaml"))
TODAY = "2026-12-03"
#: Text that would become markup, script or a link if the page did not escape it.
PAYLOADS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</script><script>alert(1)</script>",
    "javascript:alert(1)",
    "'><svg onload=alert(1)>",
    "</style><style>body{display:none}</style>",
    "<a href=javascript:alert(1)>x</a>",
    "{{ 7*7 }}<!--",
)
#: Strings the document needs as they are (a date the page computes with).
KEEP = frozenset({"generated_on"})


def report_json(tmp: Path, *paths: str, evidence_for: str = "nordlys-li") -> dict[str, Any]:
    out = tmp / "portfolio.json"
    args = [*paths, "--today", TODAY, "--jobs", "1", "--format", f"json={out}"]
    if evidence_for:
        args += ["--evidence-for", evidence_for]
    proc = run_cli("report", *args, cwd=tmp)
    assert proc.returncode == 0, proc.stderr
    doc: dict[str, Any] = json.loads(out.read_text("utf-8"))
    return doc


def companies(tmp: Path) -> dict[str, Any]:
    return report_json(tmp, *map(str, COMPANIES), str(REPO / "examples" / "acme-chat"))


def hostile(doc: dict[str, Any]) -> dict[str, Any]:
    """Every string value of ``doc`` (not the keys) replaced by a payload, in turn; an error and a
    coverage entry added so that those sections show too."""
    doc = copy.deepcopy(doc)
    doc["errors"] = [{"path": "x.yaml", "line": 1, "message": "m"}]
    doc["coverage"] = [
        {"organisation": "o", "source": "github", "fetched_at": "f", "repositories": 3, "with_manifest": 1,
         "missing": ["r1", "r2"]}
    ]  # fmt: skip
    doc["products"][0]["provenance"] = {"repository": "r", "commit": "c", "fetched_at": "f"}
    count = 0

    def walk(value: Any, key: str = "") -> Any:
        nonlocal count
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, key) for v in value]
        if isinstance(value, str) and key not in KEEP:
            count += 1
            return PAYLOADS[count % len(PAYLOADS)] + f" {key}"
        return value

    result: dict[str, Any] = walk(doc)
    return result


def scaled(doc: dict[str, Any], n: int) -> dict[str, Any]:
    """``doc`` with ``n`` products: copies of its products under new ids, with their matrix rows,
    assessments, waivers, timeline entries and country listings (the build is not under test here)."""
    base = doc["products"]
    rows = {r["product"]: r for r in doc["matrix"]["rows"]}
    out = copy.deepcopy(doc)
    out["products"], out["matrix"]["rows"], out["register"], out["waivers"] = [], [], [], []
    months: dict[str, list[dict[str, Any]]] = {m["month"]: [] for m in doc["timeline"]}
    for c in out["countries"]:
        c["products"] = {"live": [], "planned": [], "leaving": []}
        c["open_findings"] = 0
    countries = {c["code"]: c for c in out["countries"]}
    for i in range(n):
        src = base[i % len(base)]
        pid = f"{src['id']}-{i:05d}"
        out["products"].append(dict(src, id=pid))
        if src["id"] in rows:
            cells = rows[src["id"]]["cells"]
            out["matrix"]["rows"].append({"product": pid, "cells": cells})
            for code, cell in cells.items():
                group = "live" if cell["status"] in ("beta", "launched") else "planned"
                countries[code]["products"][group].append(pid)
                countries[code]["open_findings"] += cell["open"]
        out["register"] += [dict(a, product=pid) for a in doc["register"] if a["product"] == src["id"]]
        out["waivers"] += [dict(w, product=pid) for w in doc["waivers"] if w["product"] == src["id"]]
        for m in doc["timeline"]:
            months[m["month"]] += [dict(it, product=pid) for it in m["items"] if it["product"] == src["id"]]
    out["products"].sort(key=lambda p: (-p["open"], p["id"]))
    out["register"].sort(key=lambda r: (r["expires"] or "9999", r["product"], r["id"]))
    out["timeline"] = [{"month": m, "items": items} for m, items in sorted(months.items())]
    out["summary"] = dict(out["summary"], products=n)
    return out

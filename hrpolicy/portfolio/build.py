"""The portfolio: every product's manifest evaluated once (in worker processes for large portfolios), then
aggregated into one plain document that every report format renders (``hrpolicy report --format json``
writes it as it is).

Views: the product x market matrix with the state of each market's due diligence, countries, rules, the
assessment register with a twelve-month expiry timeline, waivers, and the evidence trail of the products
asked for. Products known only from a CI report (``--results``) have findings but no facts.
"""

from __future__ import annotations

import datetime
import functools
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from hrpolicy import __version__
from hrpolicy.errors import HrpolicyError
from hrpolicy.evaluate.session import Session
from hrpolicy.model import NOTICE, SEVERITIES, SEVERITY_RANK, ErrorRecord, ManifestResult, RunResult
from hrpolicy.portfolio.facts import ACTIVE, LEAVING, finding_row, product_facts

PORTFOLIO_VERSION = 1
#: The file ``hrpolicy collect`` writes next to the manifests it fetched: provenance and coverage.
COLLECT_INDEX = "collect.json"
TIMELINE_MONTHS = 12

Entry = tuple[ManifestResult, dict[str, Any]]


def gather(
    session: Session,
    files: Sequence[Path],
    *,
    today: datetime.date,
    evidence_for: frozenset[str] = frozenset(),
    jobs: int = 1,
) -> Iterator[Entry | list[ErrorRecord]]:
    """Each manifest evaluated, with the facts the report shows; errors for those that cannot be."""
    from hrpolicy.api import map_manifests

    task = functools.partial(_gather_one, today=today, evidence_for=evidence_for)
    return map_manifests(session, files, jobs, task)


def _gather_one(
    session: Session, path: Path, *, today: datetime.date, evidence_for: frozenset[str]
) -> Entry | list[ErrorRecord]:
    try:
        doc = session.load(path)
    except HrpolicyError as exc:
        from hrpolicy.evaluate import disclosure

        return disclosure.errors([ErrorRecord(exc.path or str(path), exc.message, exc.line, exc.column)])
    data = doc.data
    product = data.get("product") if isinstance(data, dict) else None
    wanted = isinstance(product, dict) and product.get("id") in evidence_for
    outcome = session.check_document(doc, today=today, path=path, evidence=wanted)
    if not isinstance(outcome, ManifestResult):
        return outcome
    rule_ids = frozenset(session.rules)
    return outcome, product_facts(data, outcome, session.countries, today, rule_ids)


def provenance(paths: Sequence[str]) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """From the ``collect.json`` of each directory given: each collected manifest's provenance (by its
    resolved path) and each collection's coverage."""
    by_file: dict[str, dict[str, Any]] = {}
    coverage: list[dict[str, Any]] = []
    for raw in paths:
        index = Path(raw) / COLLECT_INDEX
        if not index.is_file():
            continue
        try:
            data = json.loads(index.read_text("utf-8"))
            repos = [r for r in data["repositories"] if isinstance(r, dict)]
            if not isinstance(data.get("coverage") or {}, dict):
                raise TypeError("coverage")
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            from hrpolicy.errors import UsageError
            from hrpolicy.files import display_path

            shown = display_path(index)
            raise UsageError(f"{shown}: not a collect.json written by hrpolicy collect") from None
        fetched = data.get("fetched_at")
        for repo in repos:
            if repo.get("manifest"):
                path = os.path.realpath(Path(raw) / str(repo["manifest"]))
                by_file[path] = {
                    "repository": repo.get("repository"),
                    "commit": repo.get("commit"),
                    "fetched_at": fetched,
                }
        cover = dict(data.get("coverage") or {})
        cover["organisation"] = data.get("organisation")
        cover["source"] = data.get("source")
        cover["fetched_at"] = fetched
        cover["missing"] = sorted(str(r.get("repository")) for r in repos if r.get("status") == "no_manifest")
        coverage.append(cover)
    return by_file, coverage


def build(
    entries: Sequence[Entry],
    *,
    results: Sequence[RunResult] = (),
    errors: Sequence[ErrorRecord] = (),
    session: Session,
    today: datetime.date,
    evidence_for: frozenset[str] = frozenset(),
    provenance_of: Mapping[str, dict[str, Any]] | None = None,
    coverage: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """The portfolio document (see docs/portfolio.md for its fields)."""
    provenance_of = provenance_of or {}
    products = [_product(result, facts, provenance_of) for result, facts in entries]
    seen = {p["id"] for p in products}
    for run in results:  # products known only from CI reports; a manifest given as well wins
        for r in run.results:
            if r.product not in seen:
                seen.add(r.product)
                products.append(_product_from_results(r))
    products.sort(key=lambda p: (-p["open"], str(p["id"])))
    facts_of = {str(facts["id"]): facts for _, facts in entries}
    rules = {r.id: r for r in session.rules.values()}
    for run in results:
        for info in run.rules:
            rules.setdefault(info.id, info)
    countries = session.countries
    return {
        "schema_version": PORTFOLIO_VERSION,
        "kind": "hrpolicy-portfolio",
        "generated_on": today.isoformat(),
        "tool": {
            "name": "hrpolicy",
            "version": __version__,
            "country_data": {
                "sources": [
                    {"id": s.id, "name": s.name, "publisher": s.publisher, "edition_date": s.edition_date}
                    for s in countries.rating_sources()
                ],
                "combine": countries.combine,
            },
        },
        "coverage": list(coverage),
        "summary": _summary(products, errors),
        "products": products,
        "matrix": _matrix(facts_of, countries),
        "countries": _countries(facts_of, countries, today),
        "rules": _rules(products, rules),
        "register": _register(facts_of, _cleared({str(f["id"]): r for r, f in entries if r.trail})),
        "timeline": _timeline(facts_of, today),
        "waivers": _waivers(facts_of, today),
        "evidence": [
            {"product": p, "entries": list(r.trail)}
            for r, f in entries
            if (p := str(f["id"])) in evidence_for and r.trail
        ],
        "errors": [{"path": e.path, "line": e.line, "message": e.message} for e in errors],
    }


def _tally(findings: Sequence[Mapping[str, Any]]) -> tuple[int, dict[str, int], int]:
    by: dict[str, int] = {}
    waived = 0
    for f in findings:
        if f["severity"] == NOTICE:
            continue
        if f["waived"]:
            waived += 1
        else:
            by[f["severity"]] = by.get(f["severity"], 0) + 1
    return sum(by.values()), {s: by[s] for s in SEVERITIES if s in by}, waived


def _product(result: ManifestResult, facts: dict[str, Any], prov: Mapping[str, Any]) -> dict[str, Any]:
    open_, by, waived = _tally(facts["findings"])
    statuses = [m["status"] for m in facts["markets"]]
    return {
        "id": facts["id"],
        "name": facts["name"],
        "owner": facts["owner"],
        "manifest": facts["manifest"],
        "source": "manifest",
        "provenance": prov.get(os.path.realpath(result.manifest)) if prov else None,
        "open": open_,
        "by_severity": by,
        "waived": waived,
        "markets": {
            "live": sum(s in ("beta", "launched") for s in statuses),
            "planned": sum(s == "planned" for s in statuses),
            "leaving": sum(s in LEAVING for s in statuses),
        },
        "findings": facts["findings"],
    }


def _product_from_results(r: ManifestResult) -> dict[str, Any]:
    findings = [finding_row(f) for f in r.findings]
    open_, by, waived = _tally(findings)
    return {
        "id": r.product,
        "name": None,
        "owner": None,
        "manifest": r.manifest,
        "source": "results",
        "provenance": None,
        "open": open_,
        "by_severity": by,
        "waived": waived,
        "markets": None,
        "findings": findings,
    }


def _summary(products: Sequence[Mapping[str, Any]], errors: Sequence[ErrorRecord]) -> dict[str, Any]:
    by: dict[str, int] = {}
    for p in products:
        for sev, n in p["by_severity"].items():
            by[sev] = by.get(sev, 0) + n
    return {
        "products": len(products),
        "with_open_findings": sum(1 for p in products if p["open"]),
        "open_findings": sum(p["open"] for p in products),
        "by_severity": {s: by[s] for s in SEVERITIES if s in by},
        "waived": sum(p["waived"] for p in products),
        "errors": len(errors),
    }


def _matrix(facts_of: Mapping[str, dict[str, Any]], countries: Any) -> dict[str, Any]:
    codes = sorted({m["country"] for f in facts_of.values() for m in f["markets"]})
    rows = []
    for pid, facts in sorted(facts_of.items()):
        cells = {}
        for m in facts["markets"]:
            c = countries.facts(m["country"])
            cells[m["country"]] = {
                "status": m["status"],
                "dd": m["dd"],
                "detail": m["detail"],
                "launch_date": m["launch_date"],
                "open": m["open"],
                "tier": c["tier"],
                "rating": c["rating"],
                "source": c["source_id"],
            }
        rows.append({"product": pid, "cells": cells})
    return {"countries": codes, "rows": rows}


def _countries(
    facts_of: Mapping[str, dict[str, Any]], countries: Any, today: datetime.date
) -> list[dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for pid, facts in sorted(facts_of.items()):
        for m in facts["markets"]:
            code = m["country"]
            if code not in out:
                c = countries.facts(code)
                out[code] = {
                    "code": code,
                    "name": c["name"],
                    "tier": c["tier"],
                    "rating": c["rating"],
                    "source": c["source_id"],
                    "laws": _laws_in_force(c["localisation"], today),
                    "products": {"live": [], "planned": [], "leaving": []},
                    "open_findings": 0,
                }
            group = (
                "live"
                if m["status"] in ("beta", "launched")
                else "planned"
                if m["status"] in ACTIVE
                else "leaving"
            )
            out[code]["products"][group].append(pid)
            out[code]["open_findings"] += m["open"]
    tiers = {"high": 0, "elevated": 1, "unassessed": 2, "low": 3}
    return sorted(out.values(), key=lambda c: (tiers.get(c["tier"], 4), -c["open_findings"], c["code"]))


def _laws_in_force(laws: Sequence[Any], today: datetime.date) -> list[str]:
    """Names of the country's localisation laws in force on the report date (as the pack's
    ``law_in_force``: from ``in_force_from`` when given, until ``in_force_until`` when given)."""
    day = today.isoformat()
    out = []
    for law in laws:
        if not isinstance(law, dict) or not law.get("law"):
            continue
        start, end = law.get("in_force_from"), law.get("in_force_until")
        if (start is None or str(start) <= day) and (end is None or day < str(end)):
            out.append(str(law["law"]))
    return out


def _rules(products: Sequence[Mapping[str, Any]], rules: Mapping[str, Any]) -> list[dict[str, Any]]:
    # Per rule: how many products it fails (an open finding), waives (findings, all waived), and the worst
    # open severity. One pass over the findings, not one per rule and product.
    failing: dict[str, int] = dict.fromkeys(rules, 0)
    waived: dict[str, int] = dict.fromkeys(rules, 0)
    worst: dict[str, str | None] = dict.fromkeys(rules)
    for p in products:
        top: dict[str, str | None] = {}  # rule -> worst open severity in this product (None: all waived)
        for f in p["findings"]:
            rid, severity = f["rule"], f["severity"]
            if severity == NOTICE or rid not in failing:
                continue
            if f["waived"]:
                top.setdefault(rid, None)
            elif top.get(rid) is None or SEVERITY_RANK[severity] > SEVERITY_RANK[top[rid] or ""]:
                top[rid] = severity
        for rid, severity in top.items():
            if severity is None:
                waived[rid] += 1
                continue
            failing[rid] += 1
            known = worst[rid]
            worst[rid] = (
                severity if known is None or SEVERITY_RANK[severity] > SEVERITY_RANK[known] else known
            )
    rows = [
        {
            "id": rid,
            "title": info.title,
            "severity": info.severity,
            "worst": worst[rid],
            "failing": failing[rid],
            "waived": waived[rid],
            "passing": len(products) - failing[rid] - waived[rid],
        }
        for rid, info in rules.items()
    ]
    rows.sort(key=lambda r: (-SEVERITY_RANK.get(r["worst"] or "", -1), -r["failing"], r["id"]))
    return rows


def _cleared(trails: Mapping[str, ManifestResult]) -> dict[tuple[str, str], list[str]]:
    """(product, assessment id) -> the rules whose requirement it cleared, from recorded evidence trails."""
    out: dict[tuple[str, str], set[str]] = {}
    for pid, result in trails.items():
        for entry in result.trail:
            if entry.get("outcome") != "passed":
                continue
            for record in entry.get("cleared_by") or ():
                if isinstance(record, dict) and record.get("id") is not None:
                    out.setdefault((pid, str(record["id"])), set()).add(str(entry["rule"]))
    return {key: sorted(rules) for key, rules in out.items()}


def _register(
    facts_of: Mapping[str, dict[str, Any]], cleared: Mapping[tuple[str, str], list[str]]
) -> list[dict[str, Any]]:
    """Every assessment; ``clears``: the rules it cleared, for products with an evidence trail (else
    None: not recorded)."""
    traced = {pid for pid, _ in cleared}
    rows = [
        {"product": pid, **a, "clears": cleared.get((pid, str(a["id"])), []) if pid in traced else None}
        for pid, facts in sorted(facts_of.items())
        for a in facts["register"]
    ]
    rows.sort(key=lambda r: (r["expires"] or "9999", str(r["product"]), str(r["id"])))
    return rows


def _timeline(facts_of: Mapping[str, dict[str, Any]], today: datetime.date) -> list[dict[str, Any]]:
    start, end = today.isoformat(), _add_months(today, TIMELINE_MONTHS).isoformat()
    months: dict[str, list[dict[str, Any]]] = {}
    for pid, facts in sorted(facts_of.items()):
        for a in facts["register"]:
            if a["state"] in ("in_date", "expiring") and a["expires"] and start <= a["expires"] <= end:
                months.setdefault(a["expires"][:7], []).append(
                    {"product": pid, "id": a["id"], "type": a["type"], "expires": a["expires"]}
                )
    return [
        {"month": m, "items": sorted(items, key=lambda i: i["expires"])}
        for m, items in sorted(months.items())
    ]


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return datetime.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _waivers(facts_of: Mapping[str, dict[str, Any]], today: datetime.date) -> list[dict[str, Any]]:
    rows = []
    for pid, facts in sorted(facts_of.items()):
        for w in facts["waivers"]:
            lapsed = bool(w["expires"]) and str(w["expires"]) < today.isoformat()
            rows.append({"product": pid, **w, "state": "lapsed" if lapsed else "active"})
    rows.sort(key=lambda w: (w["state"] != "lapsed", str(w["expires"]), str(w["product"])))
    return rows

"""What a portfolio report keeps of one manifest: its product, markets with the state of their due
diligence, assessments, waivers and findings, as plain data (cheap to send between processes).

Every text taken from the manifest passes :func:`hrpolicy.identifiers.shown`, as findings do:
an evidence reference or waiver reason holding an e-mail address is withheld here too. Evidence itself
never is in a manifest; references to it are shown as references.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from hrpolicy.evaluate.countries import CountryTable
from hrpolicy.identifiers import regions, shown
from hrpolicy.model import NOTICE, Finding, ManifestResult

ACTIVE = ("planned", "beta", "launched")
LEAVING = ("exiting", "withdrawn")
#: The rules whose outcome on a market is the state of its due diligence: an in-date HRIA to be there,
#: an exit HRIA to leave. Without them in the pack, the state is read from the assessments alone.
ENTRY_RULE = "HRDD-MKT-001"
EXIT_RULE = "HRDD-EXIT-001"
#: How far ahead an in-date assessment counts as expiring (as HRDD-FRESH-001's notice).
EXPIRING_DAYS = 60
SCOPE_KEYS = ("markets", "features", "data_stores")


def product_facts(
    data: Mapping[str, Any],
    result: ManifestResult,
    countries: CountryTable,
    today: datetime.date,
    rule_ids: frozenset[str],
) -> dict[str, Any]:
    """The facts of one evaluated manifest that the report shows."""
    from hrpolicy.evaluate.disclosure import countries_of

    facts = _facts(data, result, countries, today, rule_ids)
    findings = facts.pop("findings")  # the result's findings are disclosed already
    with regions(countries_of(data)):
        disclosed: dict[str, Any] = _disclosed(facts)
    disclosed["findings"] = findings
    return disclosed


#: Fields whose values the schema or this module fixes (dates, codes, enums, states): no manifest free
#: text, so never an identifier; skipping them keeps the phone-number detector off every date.
_FIXED = frozenset(
    {"date", "expires", "launch_date", "status", "state", "dd", "type", "depth", "judged_by", "country"}
)


def _disclosed(value: Any) -> Any:
    """Every manifest text of the facts as it may be shown (:func:`hrpolicy.identifiers.shown`)."""
    if isinstance(value, str):
        return shown(value)
    if isinstance(value, dict):
        return {k: v if k in _FIXED else _disclosed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_disclosed(v) for v in value]
    return value


def _facts(
    data: Mapping[str, Any],
    result: ManifestResult,
    countries: CountryTable,
    today: datetime.date,
    rule_ids: frozenset[str],
) -> dict[str, Any]:
    product = data.get("product") or {}
    markets = [m for m in data.get("markets") or () if isinstance(m, dict)]
    assessments = [a for a in data.get("assessments") or () if isinstance(a, dict)]
    stores = {s.get("id"): s.get("country") for s in data.get("data_stores") or () if isinstance(s, dict)}
    active = [m.get("country") for m in markets if m.get("status") in ACTIVE]
    register = [_assessment(a, assessments, stores, active, countries, today) for a in assessments]
    by_pointer: dict[tuple[str, str], list[Any]] = {}
    for f in result.findings:
        if f.severity != NOTICE:
            by_pointer.setdefault((f.rule, f.location.pointer), []).append(f)
    rows = []
    for i, m in enumerate(markets):
        code = str(m.get("country"))
        facts = countries.facts(code)
        state, detail = _due_diligence(m, i, code, register, by_pointer, facts, today, rule_ids)
        rows.append(
            {
                "country": code,
                "status": m.get("status"),
                "launch_date": _iso(m.get("launch_date")),
                "dd": state,
                "detail": detail,
                "open": sum(1 for f in result.findings if f.counts and _under(f.location.pointer, i)),
            }
        )
    return {
        "id": product.get("id"),
        "name": product.get("name"),
        "owner": product.get("owner"),
        "manifest": result.manifest,
        "markets": rows,
        "register": register,
        "waivers": [_waiver(w) for w in data.get("waivers") or () if isinstance(w, dict)],
        "findings": [finding_row(f) for f in result.findings],
    }


def finding_row(f: Finding) -> dict[str, Any]:
    """What the report keeps of a finding (already disclosed: it comes from a result)."""
    return {
        "rule": f.rule,
        "severity": f.severity,
        "message": f.message,
        "line": f.location.line,
        "pointer": f.location.pointer,
        "waived": f.waived,
    }


def _under(pointer: str, index: int) -> bool:
    head = f"/markets/{index}"
    return pointer == head or pointer.startswith(head + "/")


def _iso(value: Any) -> str | None:
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value) if value is not None else None


def _date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        return None


def _assessment(
    a: Mapping[str, Any],
    others: Sequence[Mapping[str, Any]],
    stores: Mapping[Any, Any],
    active: Sequence[Any],
    countries: CountryTable,
    today: datetime.date,
) -> dict[str, Any]:
    given: Mapping[str, Any] = a["scope"] if isinstance(a.get("scope"), dict) else {}
    scope = {k: [str(v) for v in given.get(k) or ()] for k in SCOPE_KEYS}
    covered = [*scope["markets"], *(stores.get(s) for s in scope["data_stores"])]
    judged = countries.worst(covered) or countries.worst(active)
    facts = countries.facts(judged) if judged else countries.unknown()
    when = _date(a.get("date"))
    expires = when + datetime.timedelta(days=int(facts["max_age_days"])) if when else None
    approver: Mapping[str, Any] = a["approver"] if isinstance(a.get("approver"), dict) else {}
    if a.get("status") != "approved":
        state = str(a.get("status") or "draft")
    elif _replaced(a, scope, others, today):
        state = "replaced"
    elif expires is None or when is None or when > today:
        state = "undated"
    elif expires < today:
        state = "expired"
    elif (expires - today).days <= EXPIRING_DAYS:
        state = "expiring"
    else:
        state = "in_date"
    return {
        "id": a.get("id"),
        "type": a.get("type"),
        "depth": a.get("depth"),
        "scope": scope,
        "judged_by": judged,
        "date": _iso(a.get("date")),
        "expires": expires.isoformat() if expires else None,
        "status": a.get("status"),
        "state": state,
        "approver_role": approver.get("role"),
        "evidence": a.get("evidence"),
    }


def _replaced(
    a: Mapping[str, Any],
    scope: Mapping[str, list[str]],
    others: Sequence[Mapping[str, Any]],
    today: datetime.date,
) -> bool:
    """Replaced by superseded_by naming another assessment, or by a newer approved one of the same type
    covering at least its scope (as the pack's ``item_assessment_replaced``)."""
    ids = {o.get("id") for o in others if o is not a}
    if a.get("superseded_by") and a.get("superseded_by") in ids:
        return True
    when = _date(a.get("date"))
    for o in others:
        if o is a or o.get("type") != a.get("type") or o.get("status") != "approved":
            continue
        other_date = _date(o.get("date"))
        if when is None or other_date is None or not when < other_date <= today:
            continue
        other_scope: Mapping[str, Any] = o["scope"] if isinstance(o.get("scope"), dict) else {}
        if all(set(scope[k]) <= {str(v) for v in other_scope.get(k) or ()} for k in SCOPE_KEYS):
            return True
    return False


def _due_diligence(
    market: Mapping[str, Any],
    index: int,
    code: str,
    register: Sequence[Mapping[str, Any]],
    by_pointer: Mapping[tuple[str, str], list[Any]],
    facts: Mapping[str, Any],
    today: datetime.date,
    rule_ids: frozenset[str],
) -> tuple[str, str]:
    """(state, detail): covered, expiring, overdue, missing, waived, or closed for a withdrawn market."""
    status = market.get("status")
    leaving = status in LEAVING
    if status == "withdrawn":
        return "closed", "withdrawn"
    kind = "exit_hria" if leaving else "hria"
    rule = EXIT_RULE if leaving else ENTRY_RULE
    found = by_pointer.get((rule, f"/markets/{index}"), [])
    hrias = [r for r in register if r["type"] == kind and code in r["scope"]["markets"]]
    approved = sorted((r for r in hrias if r["status"] == "approved" and r["date"]), key=lambda r: r["date"])
    current = [r for r in approved if r["state"] in ("in_date", "expiring")]
    if found and all(f.waived for f in found):
        return "waived", f"{rule} waived until {found[0].waiver.expires}"
    if found or (rule not in rule_ids and not current):
        if approved and not current:
            latest = approved[-1]
            return "overdue", f"{latest['id']} expired on {latest['expires']}"
        return "missing", f"no approved {kind}"
    if not current:
        return "covered", f"{rule} passes"
    latest = current[-1]
    if latest["state"] == "expiring":
        return "expiring", f"{latest['id']} expires on {latest['expires']}"
    return "covered", f"{latest['id']} until {latest['expires']}"


def _waiver(w: Mapping[str, Any]) -> dict[str, Any]:
    approver: Mapping[str, Any] = w["approver"] if isinstance(w.get("approver"), dict) else {}
    scope: Mapping[str, Any] | None = w["scope"] if isinstance(w.get("scope"), dict) else None
    return {
        "rule": w.get("rule"),
        "scope": {k: v for k, v in scope.items() if not str(k).startswith("x-")} if scope else None,
        "reason": w.get("reason"),
        "approver_role": approver.get("role"),
        "ticket": w.get("ticket"),
        "expires": _iso(w.get("expires")),
    }

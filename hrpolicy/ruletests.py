"""Rule test files: YAML cases beside the rules (``<rules dir>/tests/*.yaml``) that prove each rule fires
and passes when it should.

A test file::

    today: 2026-11-28                 # optional evaluation date for every case (a case may override it)
    cases:
      - name: Vietnam launch without an HRIA
        manifest: {schema_version: 1, product: {id: t, name: T}, markets: [{country: VN, status: planned}]}
        # or manifest_file: fixtures/vn.yaml (relative to this file); base: {...} for change-aware rules
        expect:
          HRDD-MKT-001: {outcome: fail, count: 1, severity: critical, pointers: [/markets/0]}
          HRDD-FRESH-001: pass        # fail | pass | waived, or a mapping as above

The run fails on: an unknown rule id, a case expecting nothing, a schema-invalid test manifest, a rule with
no failing or no passing case, and of course on any expectation not met.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from hrpolicy.model import ErrorRecord, Finding, ManifestResult
from hrpolicy.rules import display_path
from hrpolicy.yaml import Document, load_file

OUTCOMES = ("fail", "pass", "waived")


class CaseResult(NamedTuple):
    file: str
    line: int
    case: str
    rule: str
    outcome: str  # expected outcome
    ok: bool
    detail: str  # why it failed ("" when ok)


class TestRun(NamedTuple):
    results: list[CaseResult]
    errors: list[ErrorRecord]
    coverage: dict[str, set[str]]  # rule id -> outcomes exercised

    @property
    def ok(self) -> bool:
        return not self.errors and all(r.ok for r in self.results)


Checker = Callable[[Document, datetime.date, Any], "ManifestResult | list[ErrorRecord]"]


def test_files(dirs: Iterable[Path]) -> list[Path]:
    return sorted(p for d in dirs for p in (d / "tests").glob("*.yaml"))


def _sub_document(doc: Document, pointer: str, data: Any) -> Document:
    """The part of a test file under ``pointer`` as a Document of its own, keeping the file's positions."""
    marks = {
        p[len(pointer) :]: pos for p, pos in doc.marks.items() if p == pointer or p.startswith(pointer + "/")
    }
    return Document(data, marks, doc.path)


def run(
    files: Iterable[Path], rule_ids: Iterable[str], check: Checker, default_today: datetime.date
) -> TestRun:
    known = set(rule_ids)
    results: list[CaseResult] = []
    errors: list[ErrorRecord] = []
    coverage: dict[str, set[str]] = {rid: set() for rid in known}
    for path in files:
        doc = load_file(path, display=display_path(path))
        spec = doc.data if isinstance(doc.data, dict) else {}
        cases = spec.get("cases")
        if not isinstance(cases, list) or not cases:
            errors.append(ErrorRecord(doc.path, "a rule test file needs a non-empty 'cases' list", 1, 1))
            continue
        file_today = _date(spec.get("today"), default_today)
        for i, case in enumerate(cases):
            errors.extend(
                _run_case(doc, f"/cases/{i}", case, file_today, known, check, results, coverage, path)
            )
    for rid in sorted(known):
        missing = [o for o in ("fail", "pass") if o not in coverage[rid]]
        if missing:
            what = " and no ".join(f"{o}ing" for o in missing)
            errors.append(ErrorRecord("rules", f"{rid} has no {what} test case"))
    return TestRun(results, errors, coverage)


def _date(value: Any, default: datetime.date) -> datetime.date:
    if isinstance(value, str):
        return datetime.date.fromisoformat(value)
    return default


def _run_case(
    doc: Document,
    ptr: str,
    case: Any,
    today: datetime.date,
    known: set[str],
    check: Checker,
    results: list[CaseResult],
    coverage: dict[str, set[str]],
    path: Path,
) -> list[ErrorRecord]:
    line, col = doc.position(ptr)
    if not isinstance(case, dict):
        return [ErrorRecord(doc.path, "a case is a mapping with name, manifest and expect", line, col)]
    name = str(case.get("name") or f"case {ptr.rsplit('/', 1)[1]}")
    expect = case.get("expect")
    if not isinstance(expect, dict) or not expect:
        return [
            ErrorRecord(
                doc.path,
                f"case {name!r} expects nothing: give expect: {{RULE-ID: fail|pass|waived}}",
                line,
                col,
            )
        ]
    errors = []
    for rid in expect:
        if rid not in known:
            errors.append(
                ErrorRecord(doc.path, f"case {name!r}: unknown rule id {rid}", *doc.position(f"{ptr}/expect"))
            )
    if errors:
        return errors
    if "manifest_file" in case:
        manifest_path = path.parent / str(case["manifest_file"])
        manifest = load_file(manifest_path, display=display_path(manifest_path))
    elif isinstance(case.get("manifest"), dict):
        manifest = _sub_document(doc, f"{ptr}/manifest", case["manifest"])
    else:
        return [ErrorRecord(doc.path, f"case {name!r} needs manifest or manifest_file", line, col)]
    outcome = check(manifest, _date(case.get("today"), today), case.get("base"))
    if not isinstance(outcome, ManifestResult):
        return [
            ErrorRecord(e.path, f"case {name!r}: invalid test manifest: {e.message}", e.line, e.column)
            for e in outcome
        ]
    for rid, want in expect.items():
        wanted = want if isinstance(want, dict) else {"outcome": want}
        results.append(
            _judge(doc.path, line, name, rid, wanted, [f for f in outcome.findings if f.rule == rid])
        )
        coverage[rid].add(str(wanted.get("outcome")))
    return []


def _judge(
    path: str, line: int, name: str, rid: str, want: Mapping[str, Any], found: list[Finding]
) -> CaseResult:
    outcome = want.get("outcome")
    real = [f for f in found if f.severity != "notice"]
    counting = [f for f in real if not f.waived]

    def result(problem: str = "") -> CaseResult:
        return CaseResult(path, line, name, rid, str(outcome), not problem, problem)

    if outcome not in OUTCOMES:
        return result(f"outcome must be one of {', '.join(OUTCOMES)}, not {outcome!r}")
    shown = "; ".join(
        f"{f.location.pointer or '/'} {f.severity}{' (waived)' if f.waived else ''}" for f in real
    )
    if outcome == "pass" and real:
        return result(f"expected no finding, got {len(real)}: {shown}")
    if outcome == "fail" and not counting:
        return result(f"expected a finding, got none{' counting (' + shown + ')' if real else ''}")
    if outcome == "waived" and (not real or counting):
        return result(f"expected every finding waived, got: {shown or 'none'}")
    relevant = counting if outcome == "fail" else real
    if "count" in want and len(relevant) != want["count"]:
        return result(f"expected {want['count']} finding(s), got {len(relevant)}: {shown}")
    if "severity" in want and any(f.severity != want["severity"] for f in relevant):
        return result(f"expected severity {want['severity']}, got: {shown}")
    if "pointers" in want and sorted(f.location.pointer for f in relevant) != sorted(want["pointers"]):
        return result(f"expected findings at {sorted(want['pointers'])}, got: {shown}")
    return result()

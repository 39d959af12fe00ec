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

A test that cannot fail is worse than none, so the format is strict: unknown keys are errors (a file holds
only ``today`` and ``cases``, a case only the keys above, both may add ``x-`` keys; an expectation mapping
only ``outcome``, ``count``, ``severity`` and ``pointers``). ``today`` is a date YYYY-MM-DD; ``count`` a
whole number >= 0; ``severity`` one of critical, high, medium, low; ``pointers`` a list of JSON
pointers; ``base`` a manifest mapping; ``manifest_file`` a relative path that stays inside the rules
directory holding the test file.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path, PurePath
from typing import Any, NamedTuple

from hrpolicy.errors import HrpolicyError
from hrpolicy.files import display_path
from hrpolicy.load.document import Document, pointer_join
from hrpolicy.load.yaml import load_file
from hrpolicy.model import NOTICE, SEVERITIES, CaseResult, ErrorRecord, Finding, ManifestResult, TestRun
from hrpolicy.values import as_date

OUTCOMES = ("fail", "pass", "waived")
FILE_KEYS = ("today", "cases")
CASE_KEYS = ("name", "manifest", "manifest_file", "base", "today", "expect")
EXPECT_KEYS = ("outcome", "count", "severity", "pointers")
# Notices never fail a run and are not judged by expectations, so no expectation can be about one.
EXPECT_SEVERITIES = SEVERITIES
Checker = Callable[[Document, datetime.date, Any], "ManifestResult | list[ErrorRecord]"]


def test_files(dirs: Iterable[Path]) -> list[Path]:
    return sorted(p for d in dirs for p in (d / "tests").glob("*.yaml"))


def _marks_by_case(doc: Document) -> dict[str, dict[str, tuple[int, int]]]:
    """The file's marks grouped by case (``/cases/N``), each relative to it: one pass over the file, so a
    test file with thousands of cases costs no more per case than one with a few."""
    grouped: dict[str, dict[str, tuple[int, int]]] = {}
    for pointer, pos in doc.marks.items():
        if pointer.startswith("/cases/"):
            end = pointer.find("/", 7)
            case = pointer if end == -1 else pointer[:end]
            grouped.setdefault(case, {})[pointer[len(case) :]] = pos
    return grouped


def _sub_document(doc: Document, marks: Mapping[str, tuple[int, int]], pointer: str, data: Any) -> Document:
    """The part of a case under ``pointer`` (relative to the case) as a Document of its own, keeping the
    file's positions."""
    inner = {
        p[len(pointer) :]: pos for p, pos in marks.items() if p == pointer or p.startswith(pointer + "/")
    }
    return Document(data, inner, doc.path)


def run(
    files: Iterable[Path],
    rule_ids: Iterable[str],
    check: Checker,
    default_today: datetime.date,
    own: Iterable[str] | None = None,
) -> TestRun:
    """Run the cases of ``files``. Expectations may name any of ``rule_ids``; each of ``own`` (default:
    all of them) needs a failing and a passing case."""
    known = set(rule_ids)
    results: list[CaseResult] = []
    errors: list[ErrorRecord] = []
    coverage: dict[str, set[str]] = {rid: set() for rid in known}
    must_cover = known if own is None else set(own)
    for path in files:
        doc = load_file(path, display=display_path(path))
        spec = doc.data if isinstance(doc.data, dict) else {}
        cases = spec.get("cases")
        if not isinstance(cases, list) or not cases:
            errors.append(ErrorRecord(doc.path, "a rule test file needs a non-empty 'cases' list", 1, 1))
            continue
        # A misspelt key or a bad date would make every case in the file test something else: run none.
        problems = _unknown_keys(doc, "", spec, FILE_KEYS, "test file")
        file_today = _date(doc, "/today", spec["today"]) if "today" in spec else default_today
        if isinstance(file_today, ErrorRecord):
            problems.append(file_today)
        if problems:
            errors.extend(problems)
            continue
        assert isinstance(file_today, datetime.date)
        marks = _marks_by_case(doc)
        for i, case in enumerate(cases):
            ptr = f"/cases/{i}"
            read = _read_case(doc, ptr, case, file_today, known)
            if isinstance(read, list):
                errors.extend(read)
                continue
            manifest = _case_manifest(doc, marks.get(ptr, {}), ptr, case, read.name, path)
            if isinstance(manifest, list):
                errors.extend(manifest)
                continue
            outcome = check(manifest, read.today, case.get("base"))
            if not isinstance(outcome, ManifestResult):
                errors.extend(
                    ErrorRecord(
                        e.path, f"case {read.name!r}: invalid test manifest: {e.message}", e.line, e.column
                    )
                    for e in outcome
                )
                continue
            for rid, want in read.wanted.items():
                found = [f for f in outcome.findings if f.rule == rid]
                results.append(_judge(doc.path, read.line, read.name, rid, want, found))
                coverage[rid].add(want["outcome"])
    for rid in sorted(must_cover):
        missing = [o for o in ("fail", "pass") if o not in coverage[rid]]
        if missing:
            what = " and no ".join(f"{o}ing" for o in missing)
            errors.append(ErrorRecord("rules", f"{rid} has no {what} test case"))
    return TestRun(
        tuple(results),
        tuple(errors),
        {rid: frozenset(seen) for rid, seen in coverage.items() if rid in must_cover},
    )


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _date(doc: Document, pointer: str, value: Any, prefix: str = "") -> datetime.date | ErrorRecord:
    parsed = as_date(value) if isinstance(value, str) else None
    if parsed is not None:
        return parsed
    problem = f"{prefix}today must be a date YYYY-MM-DD, not {_shown(value)}"
    return ErrorRecord(doc.path, problem, *doc.position(pointer))


def _unknown_keys(
    doc: Document,
    pointer: str,
    mapping: Mapping[str, Any],
    allowed: tuple[str, ...],
    what: str,
    extensions: bool = True,
) -> list[ErrorRecord]:
    hint = ", ".join(allowed) + (" or x-..." if extensions else "")
    return [
        ErrorRecord(
            doc.path,
            f"{what}: unknown key {_shown(key)} (use {hint})",
            *doc.position(pointer_join(pointer, key)),
        )
        for key in mapping
        if key not in allowed and not (extensions and key.startswith("x-"))
    ]


def _expectation(doc: Document, pointer: str, what: str, want: Any) -> dict[str, Any] | list[ErrorRecord]:
    """``want`` (an outcome or a mapping) as a checked mapping, or what is wrong with it."""

    def error(key: str, problem: str) -> ErrorRecord:
        at = pointer_join(pointer, key) if isinstance(want, dict) else pointer
        return ErrorRecord(doc.path, f"{what}: {problem}", *doc.position(at))

    if not isinstance(want, dict):
        if isinstance(want, str) and want in OUTCOMES:
            return {"outcome": want}
        return [error("", f"give {' | '.join(OUTCOMES)} or a mapping with {', '.join(EXPECT_KEYS)}")]
    errors = _unknown_keys(doc, pointer, want, EXPECT_KEYS, what, extensions=False)
    outcome = want.get("outcome")
    if not isinstance(outcome, str) or outcome not in OUTCOMES:
        errors.append(
            error("outcome", f"outcome must be one of {', '.join(OUTCOMES)}, not {_shown(outcome)}")
        )
    if outcome == "pass" and "severity" in want:  # no finding to check it against: it would always hold
        errors.append(error("severity", "a passing expectation has no finding whose severity to check"))
    count = want.get("count", 0)
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        errors.append(error("count", f"count must be a whole number >= 0, not {_shown(count)}"))
    severity = want.get("severity", SEVERITIES[0])
    if not isinstance(severity, str) or severity not in EXPECT_SEVERITIES:
        shown = _shown(severity)
        errors.append(
            error("severity", f"severity must be one of {', '.join(EXPECT_SEVERITIES)}, not {shown}")
        )
    pointers = want.get("pointers", [])
    if not isinstance(pointers, list) or not all(
        isinstance(p, str) and (p == "" or p.startswith("/")) for p in pointers
    ):
        errors.append(
            error(
                "pointers",
                f"pointers must be a list of JSON pointers like /markets/0, not {_shown(pointers)}",
            )
        )
    return errors or want


class _Case(NamedTuple):
    name: str
    line: int
    today: datetime.date
    wanted: dict[str, dict[str, Any]]


def _read_case(
    doc: Document, ptr: str, case: Any, today: datetime.date, known: set[str]
) -> _Case | list[ErrorRecord]:
    """A case's name, date and checked expectations, or every problem with them."""
    line, col = doc.position(ptr)
    if not isinstance(case, dict):
        return [ErrorRecord(doc.path, "a case is a mapping with name, manifest and expect", line, col)]
    name = str(case.get("name") or f"case {ptr.rsplit('/', 1)[1]}")
    expect = case.get("expect")
    if not isinstance(expect, dict) or not expect:
        problem = f"case {name!r} expects nothing: give expect: {{RULE-ID: fail|pass|waived}}"
        return [ErrorRecord(doc.path, problem, line, col)]
    errors = _unknown_keys(doc, ptr, case, CASE_KEYS, f"case {name!r}")
    wanted: dict[str, dict[str, Any]] = {}
    for rid, want in expect.items():
        at = pointer_join(f"{ptr}/expect", rid)
        if rid not in known:
            errors.append(ErrorRecord(doc.path, f"case {name!r}: unknown rule id {rid}", *doc.position(at)))
            continue
        checked = _expectation(doc, at, f"case {name!r}: {rid}", want)
        if isinstance(checked, list):
            errors.extend(checked)
        else:
            wanted[rid] = checked
    day = _date(doc, f"{ptr}/today", case["today"], f"case {name!r}: ") if "today" in case else today
    if isinstance(day, ErrorRecord):
        errors.append(day)
    if "base" in case and not isinstance(case["base"], dict):
        problem = f"case {name!r}: base must be a manifest mapping, not {_shown(case['base'])}"
        errors.append(ErrorRecord(doc.path, problem, *doc.position(f"{ptr}/base")))
    if "manifest" in case and "manifest_file" in case:
        problem = f"case {name!r}: give manifest or manifest_file, not both"
        errors.append(ErrorRecord(doc.path, problem, *doc.position(f"{ptr}/manifest_file")))
    if errors or isinstance(day, ErrorRecord):
        return errors
    return _Case(name, line, day, wanted)


def _case_manifest(
    doc: Document, marks: Mapping[str, tuple[int, int]], ptr: str, case: dict[str, Any], name: str, path: Path
) -> Document | list[ErrorRecord]:
    if "manifest_file" in case:
        return _manifest_file(doc, f"{ptr}/manifest_file", case["manifest_file"], path, name)
    if isinstance(case.get("manifest"), dict):
        return _sub_document(doc, marks, "/manifest", case["manifest"])
    return [
        ErrorRecord(
            doc.path, f"case {name!r} needs a manifest mapping or a manifest_file", *doc.position(ptr)
        )
    ]


def _manifest_file(
    doc: Document, pointer: str, value: Any, path: Path, name: str
) -> Document | list[ErrorRecord]:
    """Load ``manifest_file``, which must stay inside the rules directory (test files sit in its tests/).

    Nothing outside that directory is ever read, so no error can show another file's contents."""
    where = doc.position(pointer)

    def error(problem: str) -> list[ErrorRecord]:
        return [ErrorRecord(doc.path, f"case {name!r}: manifest_file {problem}", *where)]

    if not isinstance(value, str) or not value:
        return error(f"must be a path relative to the test file, not {_shown(value)}")
    if PurePath(value).is_absolute() or PurePath(value).anchor:
        return error(f"{_shown(value)} must be relative to the test file, not absolute")
    root = path.parent.parent
    try:
        # os.path.realpath, not Path.resolve: a symlink loop is then an OSError on open, not a RuntimeError.
        target = Path(os.path.realpath(path.parent / value))
        if not target.is_relative_to(os.path.realpath(root)):
            return error(f"{_shown(value)} is outside the rules directory {display_path(root)}")
        return load_file(target, display=display_path(target))
    except HrpolicyError as exc:
        if exc.path is not None and exc.line is not None:  # a problem inside the file: point there
            return [
                ErrorRecord(exc.path, f"case {name!r}: manifest_file: {exc.message}", exc.line, exc.column)
            ]
        return error(f"{_shown(value)}: {exc.message}")
    except (OSError, ValueError) as exc:
        return error(f"{_shown(value)} cannot be read: {exc}")


def _judge(
    path: str, line: int, name: str, rid: str, want: Mapping[str, Any], found: list[Finding]
) -> CaseResult:
    outcome = want["outcome"]
    real = [f for f in found if f.severity != NOTICE]
    counting = [f for f in real if not f.waived]

    def result(problem: str = "") -> CaseResult:
        return CaseResult(path, line, name, rid, str(outcome), not problem, problem)

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

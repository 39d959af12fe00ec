"""The default rule pack against its own test cases (rules/tests/*.yaml), one pytest item per expectation,
and proof that the cases can fail: breaking a rule must break its cases."""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path
from typing import Any

import pytest

from hrpolicy import ruletests
from hrpolicy.model import ErrorRecord, ManifestResult
from hrpolicy.session import Session, SessionConfig
from hrpolicy.yaml import Document

PACK = Path(__file__).resolve().parents[2] / "rules"
TODAY = datetime.date(2026, 11, 28)


def run_pack(rules_dir: Path) -> ruletests.TestRun:
    sessions: dict[datetime.date, Session] = {}

    def check(doc: Document, today: datetime.date, base: Any) -> ManifestResult | list[ErrorRecord]:
        if today not in sessions:
            sessions[today] = Session(SessionConfig(today=today, rule_dirs=(str(rules_dir),), autoload=False))
        return sessions[today].check_document(doc, base=base)

    first = Session(SessionConfig(today=TODAY, rule_dirs=(str(rules_dir),), autoload=False))
    ids = [r.info.id for r in first.pack.rules]
    return ruletests.run(ruletests.test_files([rules_dir]), ids, check, TODAY)


DEFAULT_RUN = run_pack(PACK)


def test_pack_has_no_test_errors() -> None:
    assert [str(e) for e in DEFAULT_RUN.errors] == []


def test_every_rule_is_covered_both_ways() -> None:
    uncovered = {
        rid: sorted({"pass", "fail"} - seen)
        for rid, seen in DEFAULT_RUN.coverage.items()
        if not {"pass", "fail"} <= seen
    }
    assert uncovered == {}
    assert len(DEFAULT_RUN.coverage) >= 4


@pytest.mark.parametrize(
    "result", DEFAULT_RUN.results, ids=lambda r: f"{r.rule}:{Path(r.file).name}:{r.line}"
)
def test_case(result: ruletests.CaseResult) -> None:
    assert result.ok, f"{result.file}:{result.line}: {result.case}: {result.detail}"


def _broken_pack(tmp_path: Path, old: str, new: str, file: str) -> Path:
    pack = tmp_path / "rules"
    shutil.copytree(PACK, pack)
    path = pack / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    return pack


@pytest.mark.parametrize(
    ("file", "old", "new", "rule"),
    [
        # MKT-001 accepts any assessment type: the draft/other-type cases must now fail.
        ("defs.yaml", "type: {equals: hria}", "type: {present: true}", "HRDD-MKT-001"),
        # LOC-001 forgets the tier: the Partly Free store must now fire.
        ("loc.yaml", "$country.tier: {equals: high}", "$country.tier: {present: true}", "HRDD-LOC-001"),
        # TRN-001 ignores the cadence for VLOPs.
        ("trn.yaml", "then: 6", "then: 12", "HRDD-TRN-001"),
        # FRESH-001 stops excluding superseded assessments.
        ("fresh.yaml", "superseded_by: {present: false}", "superseded_by: {present: true}", "HRDD-FRESH-001"),
    ],
)
def test_breaking_a_rule_breaks_its_cases(tmp_path: Path, file: str, old: str, new: str, rule: str) -> None:
    run = run_pack(_broken_pack(tmp_path, old, new, file))
    failed = [r for r in run.results if not r.ok]
    assert failed, "a broken rule passed all its cases"
    assert {r.rule for r in failed} == {rule}


def test_a_case_expecting_nothing_and_an_unknown_rule_are_errors(tmp_path: Path) -> None:
    pack = tmp_path / "rules"
    shutil.copytree(PACK, pack)
    (pack / "tests" / "bad.yaml").write_text(
        "cases:\n"
        "  - name: nothing\n    manifest: {schema_version: 1, product: {id: a, name: A}}\n    expect: {}\n"
        "  - name: unknown\n    manifest: {schema_version: 1, product: {id: a, name: A}}\n"
        "    expect: {HRDD-XXX-999: pass}\n"
        "  - name: invalid\n"
        "    manifest: {schema_version: 1, product: {id: a, name: A}, markets: [{country: XX}]}\n"
        "    expect: {HRDD-MKT-001: pass}\n"
    )
    run = run_pack(pack)
    messages = [str(e) for e in run.errors]
    assert any("expects nothing" in m and "bad.yaml:2:" in m for m in messages), messages
    assert any("unknown rule id HRDD-XXX-999" in m for m in messages), messages
    assert any("invalid test manifest" in m and "bad.yaml:9:" in m for m in messages), messages


def test_a_rule_without_cases_is_an_error(tmp_path: Path) -> None:
    pack = tmp_path / "rules"
    shutil.copytree(PACK, pack)
    (pack / "tests" / "trn.yaml").unlink()
    run = run_pack(pack)
    assert any("HRDD-TRN-001 has no failing and no passing test case" in str(e) for e in run.errors)

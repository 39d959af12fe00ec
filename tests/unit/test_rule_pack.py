"""The default rule pack against its own test cases (rules/tests/*.yaml), one pytest item per expectation,
and proof that the cases can fail: breaking a rule must break its cases."""

from __future__ import annotations

import copy
import datetime
import functools
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hrpolicy.authoring import ruletests
from hrpolicy.errors import RuleError
from hrpolicy.evaluate.session import Session, SessionConfig
from hrpolicy.language.pack import compile_pack, load_checked, rule_files
from hrpolicy.load.document import Document
from hrpolicy.model import CaseResult, ErrorRecord, ManifestResult, TestRun
from hrpolicy.validate.schemas import validate_rules

PACK = Path(__file__).resolve().parents[2] / "rules"
TODAY = datetime.date(2026, 11, 28)


def run_pack(rules_dir: Path, only: str | None = None) -> TestRun:
    session = Session(SessionConfig(rule_dirs=(str(rules_dir),), autoload=False))

    def check(doc: Document, today: datetime.date, base: Any) -> ManifestResult | list[ErrorRecord]:
        return session.check_document(doc, today=today, base=base)

    ids = [r.info.id for r in session.pack.rules]
    files = ruletests.test_files([rules_dir])
    if only is not None:  # only the test files that mention the rule: the others cannot tell
        files = [f for f in files if only in f.read_text("utf-8")]
    return ruletests.run(files, ids, check, TODAY)


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
    assert len(DEFAULT_RUN.coverage) == 33


@pytest.mark.parametrize(
    "result", DEFAULT_RUN.results, ids=lambda r: f"{r.rule}:{Path(r.file).name}:{r.line}"
)
def test_case(result: CaseResult) -> None:
    assert result.ok, f"{result.file}:{result.line}: {result.case}: {result.detail}"


NEVER = {"$today": {"missing": True}}  # false for every item
ALWAYS = {"$today": {"present": True}}  # true for every item


@functools.cache
def _shipped_docs() -> tuple[Document, ...]:
    return tuple(load_checked(p, validate_rules, RuleError) for p in rule_files([PACK]))


def _mutated_run(session: Session, rule_id: str, mutate: Callable[[dict[str, Any]], None]) -> TestRun:
    """The rule's own test cases, run against the pack with that one rule's logic changed (compiled in
    memory, with the shared session's plugins and country data)."""
    docs = []
    for doc in _shipped_docs():
        if any(r["id"] == rule_id for r in doc.data.get("rules") or ()):
            data = copy.deepcopy(doc.data)
            for rule in data["rules"]:
                if rule["id"] == rule_id:
                    for body in rule.get("cases") or [rule]:
                        mutate(body)
            doc = Document(data, doc.marks, doc.path)
        docs.append(doc)
    mutated = copy.copy(session)
    mutated.pack = compile_pack(docs, session.plugins.operators(), (PACK,))
    mutated.rules = {r.info.id: r.info for r in mutated.pack.rules}

    def check(doc: Document, today: datetime.date, base: Any) -> ManifestResult | list[ErrorRecord]:
        return mutated.check_document(doc, today=today, base=base)

    files = [f for f in ruletests.test_files([PACK]) if rule_id in f.read_text("utf-8")]
    return ruletests.run(files, list(mutated.rules), check, TODAY)


def _never_fires(body: dict[str, Any]) -> None:
    if "require" in body:
        body["require"] = ALWAYS
    else:
        body["when"] = NEVER
    body.pop("notice", None)


def _always_fires(body: dict[str, Any]) -> None:
    body.pop("require", None)
    body.pop("notice", None)
    body["when"] = ALWAYS


RULE_IDS = sorted(DEFAULT_RUN.coverage)


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_a_rule_that_never_fires_breaks_its_failing_cases(builtin_session: Session, rule_id: str) -> None:
    run = _mutated_run(builtin_session, rule_id, _never_fires)
    broken = {r.outcome for r in run.results if r.rule == rule_id and not r.ok}
    assert "fail" in broken, f"{rule_id}: its failing cases still pass when it can never fire"


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_a_rule_that_always_fires_breaks_its_passing_cases(builtin_session: Session, rule_id: str) -> None:
    run = _mutated_run(builtin_session, rule_id, _always_fires)
    broken = {r.outcome for r in run.results if r.rule == rule_id and not r.ok}
    assert "pass" in broken, f"{rule_id}: its passing cases still pass when it fires on everything"


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

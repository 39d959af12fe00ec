"""The evidence trail (``check --evidence``): every rule's outcome on every item, and for a rule that
passed, the assessments, reviews or reports that cleared it, by reference, never the evidence itself."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import EXAMPLE, Harness, manifest, rule, rule_file, run_cli

from hrpolicy.reports import read_report


def evidence_report(tmp_path: Path, *paths: Path, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    proc = run_cli(
        "check",
        *map(str, paths),
        "--today",
        "2026-11-28",
        "--evidence",
        "--format",
        "json",
        *extra,
        cwd=tmp_path,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return dict(json.loads(proc.stdout))


def test_the_example_s_trail(tmp_path: Path) -> None:
    report = evidence_report(tmp_path, EXAMPLE)
    assert report["schema_version"] == 2
    (result,) = report["results"]
    trail = result["evidence"]
    # A rule with cases has an entry per case on each item (HRDD-MKT-001: never assessed, renewal overdue);
    # the case that applies is the one to read.
    by: dict[tuple[str, str], dict[str, Any]] = {}
    for e in trail:
        key = (e["rule"], e["pointer"])
        if key not in by or by[key]["outcome"] == "not_applicable":
            by[key] = e
    de = by[("HRDD-MKT-001", "/markets/0")]
    assert de["outcome"] == "passed"
    assert de["cleared_by"] == [
        {
            "id": "hria-de-br-2025",
            "type": "hria",
            "status": "approved",
            "date": "2025-03-20",
            "approver": {"role": "bhr_lead"},
            "evidence": "vault://hria/de-br-2025",
        }
    ]
    assert by[("HRDD-MKT-001", "/markets/3")]["outcome"] == "finding"  # Turkey: no HRIA
    assert by[("HRDD-TRN-001", "/markets/1")]["outcome"] == "waived"  # Brazil's waiver
    assert by[("HRDD-MKT-003", "/features/2")]["outcome"] == "not_applicable"  # chats: not rights-sensitive
    assert {e["outcome"] for e in trail} == {"passed", "finding", "waived", "not_applicable"}
    # every finding of the report is in the trail
    findings = {
        (f["rule"], f["location"]["pointer"]) for f in result["findings"] if f["severity"] != "notice"
    }
    assert findings <= {(e["rule"], e["pointer"]) for e in trail if e["outcome"] in ("finding", "waived")}
    assert read_report(report).results[0].findings  # a version-2 report still reads


def test_without_the_option_the_report_is_unchanged(tmp_path: Path) -> None:
    proc = run_cli("check", str(EXAMPLE), "--today", "2026-11-28", "--format", "json", cwd=tmp_path)
    report = json.loads(proc.stdout)
    assert report["schema_version"] == 1
    assert "evidence" not in report["results"][0]


PACK = rule_file(
    rule(
        "HRDD-TST-001",
        "for_each: markets\n"
        "require:\n"
        "  any_of:\n"
        "    - all_of:\n"
        "        - {any: {in: assessments, where: {type: {equals: hria}}}}\n"
        "        - {status: {equals: planned}}\n"
        "    - {any: {in: assessments, where: {type: {equals: dpia}, any: {in: $manifest.features}}}}\n"
        "  not: {any: {in: assessments, where: {type: {equals: exit_hria}}}}\n"
        "message: m",
    )
)
ASSESSMENTS = (
    "markets: [{country: DE, status: launched}]\n"
    "features: [{id: f}]\n"
    "assessments:\n"
    "  - {id: h1, type: hria, date: 2026-01-01, status: approved}\n"
    "  - {id: d1, type: dpia, date: 2026-01-02, status: approved, evidence: 'vault://dpia/d1'}\n"
)


def test_only_what_made_the_requirement_true_clears_it(tmp_path: Path) -> None:
    h = Harness(tmp_path, {"t.yaml": PACK})
    result = h.session.check(h.write(manifest(ASSESSMENTS)), today=h.today, evidence=True)
    (entry,) = result.trail  # type: ignore[union-attr]
    # the HRIA matched inside a branch that failed (the market is launched), the feature matched inside
    # the DPIA's condition is what was reviewed, not evidence, and nothing inside the negation counts
    assert entry["outcome"] == "passed"
    assert entry["cleared_by"] == [
        {
            "id": "d1",
            "type": "dpia",
            "status": "approved",
            "date": "2026-01-02",
            "evidence": "vault://dpia/d1",
        }
    ]


def test_evidence_references_are_withheld_like_any_manifest_text(tmp_path: Path) -> None:
    h = Harness(tmp_path, {"t.yaml": PACK})
    text = manifest(ASSESSMENTS.replace("vault://dpia/d1", "mailto:jane.doe@example.org"))
    result = h.session.check(h.write(text), today=h.today, evidence=True)
    shown = json.dumps(result.trail)  # type: ignore[union-attr]
    assert "jane.doe" not in shown
    assert "[redacted]" in shown


def test_the_trail_is_the_same_with_worker_processes(tmp_path: Path) -> None:
    folder = tmp_path / "products"
    for i in range(4):
        (folder / f"p{i}").mkdir(parents=True)
        (folder / f"p{i}" / "hrpolicy.yaml").write_text(EXAMPLE.read_text("utf-8"), "utf-8")
    one = evidence_report(tmp_path, folder)
    two = evidence_report(tmp_path, folder, extra=("--jobs", "2"))
    assert [r["evidence"] for r in one["results"]] == [r["evidence"] for r in two["results"]]


@pytest.mark.parametrize("fmt", ["text", "sarif", "junit", "markdown"])
def test_other_formats_ignore_the_trail(tmp_path: Path, fmt: str) -> None:
    plain = run_cli("check", str(EXAMPLE), "--today", "2026-11-28", "--format", fmt, cwd=tmp_path).stdout
    traced = run_cli(
        "check", str(EXAMPLE), "--today", "2026-11-28", "--format", fmt, "--evidence", cwd=tmp_path
    )
    assert traced.stdout == plain


def test_what_a_negated_condition_matched_clears_nothing(tmp_path: Path) -> None:
    pack = rule_file(
        rule(
            "HRDD-TST-001",
            "for_each: markets\n"
            "require:\n"
            "  not:\n"
            "    all_of:\n"
            "      - {any: {in: assessments, where: {type: {equals: hria}}}}\n"
            "      - {status: {equals: gone}}\n"
            "  any: {in: assessments, where: {type: {equals: dpia}}}\n"
            "message: m",
        )
    )
    h = Harness(tmp_path, {"t.yaml": pack})
    result = h.session.check(h.write(manifest(ASSESSMENTS)), today=h.today, evidence=True)
    (entry,) = result.trail  # type: ignore[union-attr]
    assert [c["id"] for c in entry["cleared_by"]] == ["d1"]


def test_what_a_value_function_matched_clears_nothing(tmp_path: Path) -> None:
    pack = rule_file(
        rule(
            "HRDD-TST-001",
            "for_each: markets\n"
            "let:\n"
            "  picked: {find: assessments, where: {any: {in: $manifest.assessments}, id: {equals: zzz}}}\n"
            "  label: {if: {any: {in: assessments, where: {type: {equals: hria}}}}, then: a, else: b}\n"
            "require: {$label: {present: true}, any: {in: assessments, where: {type: {equals: dpia}}}}\n"
            "message: '{picked}'",
        )
    )
    h = Harness(tmp_path, {"t.yaml": pack})
    result = h.session.check(h.write(manifest(ASSESSMENTS)), today=h.today, evidence=True)
    (entry,) = result.trail  # type: ignore[union-attr]
    assert [c["id"] for c in entry["cleared_by"]] == ["d1"]


def test_only_review_records_of_this_manifest_clear_a_rule(tmp_path: Path) -> None:
    pack = rule_file(
        rule(
            "HRDD-TST-001",
            "for_each: markets\n"
            "require: {any: {in: entities, where: {type: {equals: local_representative}}},"
            " all: {in: $base.assessments}}\n"
            "message: m",
        ),
        rule(
            "HRDD-TST-002", "when: {any: {in: markets}}\nrequire: {any: {in: $base.assessments}}\nmessage: m"
        ),
    )
    h = Harness(tmp_path, {"t.yaml": pack})
    text = manifest(ASSESSMENTS + "entities: [{country: DE, type: local_representative}]\n")
    from hrpolicy.load.yaml import load_file

    doc = load_file(h.write(text))
    base = {"assessments": [{"id": "b", "type": "hria"}]}
    result = h.session.check_document(doc, today=h.today, base=base, evidence=True)
    assert all(e["cleared_by"] == [] for e in result.trail)  # type: ignore[union-attr]


def test_a_rule_scanning_every_text_has_one_entry_and_no_keys_show(tmp_path: Path) -> None:
    notes = "  - {id: x1, type: hria, date: 2026-01-03, status: approved, x-interviewees: {Jane Doe: yes}}\n"
    text = ASSESSMENTS + notes
    path = tmp_path / "p" / "hrpolicy.yaml"
    path.parent.mkdir()
    path.write_text(manifest(text), "utf-8")
    report = evidence_report(tmp_path, path)
    trail = report["results"][0]["evidence"]
    assert [e["outcome"] for e in trail if e["rule"] == "HRDD-STK-002"] == ["passed"]
    assert "Jane" not in json.dumps(report)
    assert all(not e["pointer"].startswith("$") for e in trail)  # no internal labels


def test_the_option_sets_the_version_even_without_entries(tmp_path: Path) -> None:
    empty = tmp_path / "rules"
    empty.mkdir()
    (empty / "t.yaml").write_text("language_version: 1\n", "utf-8")
    product = tmp_path / "p" / "hrpolicy.yaml"
    product.parent.mkdir()
    product.write_text(manifest(ASSESSMENTS), "utf-8")
    report = evidence_report(tmp_path, product, extra=("--rules", str(empty)))
    assert report["schema_version"] == 2
    assert report["results"][0]["evidence"] == []

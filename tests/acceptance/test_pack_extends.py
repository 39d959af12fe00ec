"""A policy team's pack that builds on the built-in one (``pack.yaml``: ``extends: [builtin]``): its own
rules with its own prefix, built-in rules switched off or given another severity with a reason, shared
definitions, and clear errors for clashes and stale overrides."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from helpers import REPO, run_cli

PACK = """\
extends: [builtin]
overrides:
  HRDD-TRN-002:
    enabled: false
    reason: "Acme publishes no HRIA summaries; policy BHR-9"
  HRDD-MKT-003:
    severity: medium
    reason: "Feature reviews run quarterly; BHR-12"
"""
RULES = """\
language_version: 1
groups: {PRIV: Acme privacy}
rules:
  - id: ACME-PRIV-001
    title: Live markets name a privacy lead
    severity: medium
    rationale: The privacy lead answers data-protection authorities in the market.
    references: [{framework: UNGP, section: "19"}]
    remediation: Add x-acme-privacy-lead to the market.
    for_each: markets
    when: {status: {in: $lists.live_statuses}}
    require: {x-acme-privacy-lead: {present: true}}
    message: "{item.country} names no privacy lead"
"""
TESTS = """\
today: 2026-11-28
cases:
  - name: no lead, and the built-in rules still run
    manifest:
      schema_version: 1
      product: {id: p, name: P}
      markets: [{country: DE, status: launched}]
    expect:
      ACME-PRIV-001: fail
      HRDD-MKT-001: fail
  - name: a lead
    manifest:
      schema_version: 1
      product: {id: p, name: P}
      markets: [{country: DE, status: launched, x-acme-privacy-lead: dpo}]
    expect:
      ACME-PRIV-001: pass
"""


def acme(tmp_path: Path, pack: str = PACK, rules: str = RULES) -> Path:
    d = tmp_path / "acme-rules"
    (d / "tests").mkdir(parents=True)
    (d / "pack.yaml").write_text(pack, "utf-8")
    (d / "acme.yaml").write_text(rules, "utf-8")
    (d / "tests" / "acme.yaml").write_text(TESTS, "utf-8")
    return d


def test_check_runs_the_built_in_rules_with_the_changes_and_the_own_ones(tmp_path: Path) -> None:
    pack = acme(tmp_path)
    proc = run_cli(
        "check", "--rules", str(pack), "--today", "2026-11-28", "--format", "json",
        str(REPO / "examples" / "acme-chat" / "hrpolicy.yaml"), cwd=tmp_path,
    )  # fmt: skip
    report = json.loads(proc.stdout)
    rules = {r["id"]: r for r in report["tool"]["rules"]}
    assert "ACME-PRIV-001" in rules
    assert "HRDD-MKT-001" in rules
    assert "HRDD-TRN-002" not in rules  # switched off: never evaluated
    assert rules["HRDD-MKT-003"]["severity"] == "medium"
    findings = [f for r in report["results"] for f in r["findings"]]
    assert {"ACME-PRIV-001", "HRDD-MKT-001"} <= {f["rule"] for f in findings}
    assert all(f["severity"] == "medium" for f in findings if f["rule"] == "HRDD-MKT-003")


def test_rules_test_covers_the_own_rules_and_lint_knows_the_shared_definitions(tmp_path: Path) -> None:
    pack = acme(tmp_path)
    tested = run_cli("rules", "test", str(pack), cwd=tmp_path)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "coverage: 1/1 rules tested both ways" in tested.stdout
    linted = run_cli("rules", "lint", str(pack), cwd=tmp_path)
    assert (linted.returncode, linted.stdout) == (0, "1 rule files checked, 0 problems\n")


def test_explain_and_the_catalogue_record_the_changes(tmp_path: Path) -> None:
    pack = acme(tmp_path)
    changed = " ".join(run_cli("explain", "HRDD-MKT-003", "--rules", str(pack), cwd=tmp_path).stdout.split())
    assert "Changed: severity high -> medium" in changed
    assert "Feature reviews run quarterly; BHR-12" in changed
    off = run_cli("explain", "HRDD-TRN-002", "--rules", str(pack), cwd=tmp_path)
    assert off.returncode == 2
    assert "HRDD-TRN-002 is switched off in" in off.stderr
    assert "Acme publishes no HRIA summaries" in off.stderr
    docs = run_cli("rules", "docs", str(pack), cwd=tmp_path).stdout
    assert "## Acme privacy" in docs
    assert "## Switched off" in docs


def test_a_manifest_may_waive_a_rule_with_its_own_prefix(tmp_path: Path) -> None:
    pack = acme(tmp_path)
    manifest = tmp_path / "hrpolicy.yaml"
    manifest.write_text(
        textwrap.dedent(
            """\
            schema_version: 1
            product: {id: p, name: P}
            markets: [{country: DE, status: launched}]
            waivers:
              - rule: ACME-PRIV-001
                reason: "Lead hired in January"
                approver: {role: dpo}
                expires: 2027-01-31
            """
        ),
        "utf-8",
    )
    proc = run_cli(
        "check",
        "--rules",
        str(pack),
        "--today",
        "2026-11-28",
        "--format",
        "json",
        str(manifest),
        cwd=tmp_path,
    )
    findings = [
        f for r in json.loads(proc.stdout)["results"] for f in r["findings"] if f["rule"] == "ACME-PRIV-001"
    ]
    assert [f["waived"] for f in findings] == [True]


@pytest.mark.parametrize(
    ("pack", "rules", "message", "where"),
    [
        (
            PACK,
            RULES.replace("ACME-PRIV-001", "HRDD-MKT-001"),
            "rule id HRDD-MKT-001 is already used at",
            "acme.yaml",
        ),
        (
            PACK.replace("HRDD-TRN-002", "HRDD-TRN-009"),
            RULES,
            "override of HRDD-TRN-009, which is no rule of this pack",
            "pack.yaml:4",
        ),
        (
            "extends: [builtin]\noverrides:\n  HRDD-TRN-002: {enabled: false}\n",
            RULES,
            "'reason' is a required property",
            "pack.yaml:3",
        ),
        ("extends: [core]\n", RULES, "'core' is not one of ['builtin']", "pack.yaml:1"),
    ],
)
def test_clashes_and_bad_pack_files_are_clear_errors(
    tmp_path: Path, pack: str, rules: str, message: str, where: str
) -> None:
    d = acme(tmp_path, pack, rules)
    proc = run_cli(
        "check",
        "--rules",
        str(d),
        "--today",
        "2026-11-28",
        str(REPO / "examples" / "acme-chat" / "hrpolicy.yaml"),
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert message in proc.stderr
    assert where in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_without_extends_a_rules_directory_replaces_the_built_in_pack(tmp_path: Path) -> None:
    pack = acme(tmp_path, pack="overrides: {}\n")
    proc = run_cli("rules", "test", str(pack), cwd=tmp_path)
    assert proc.returncode == 2  # the built-in definitions are not there
    assert "unknown list '$lists.live_statuses'" in proc.stderr


def test_a_waiver_of_a_switched_off_rule_waives_nothing_and_is_no_error(tmp_path: Path) -> None:
    pack = acme(tmp_path, pack=PACK.replace("HRDD-TRN-002", "HRDD-TRN-001"))
    (pack / "waivers.yaml").write_text(
        "waivers:\n"
        "  - {rule: HRDD-TRN-001, reason: central, approver: {role: bhr_lead}, expires: 2027-06-30}\n",
        "utf-8",
    )
    example = REPO / "examples" / "acme-chat" / "hrpolicy.yaml"  # waives HRDD-TRN-001 for Brazil
    proc = run_cli(
        "check", "--rules", str(pack), "--today", "2026-11-28", "--format", "json", str(example), cwd=tmp_path
    )
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads(proc.stdout)
    assert report["errors"] == []
    assert not [f for r in report["results"] for f in r["findings"] if f["rule"] == "HRDD-TRN-001"]


def test_lint_reports_an_invalid_pack_file_and_still_lints_the_rules(tmp_path: Path) -> None:
    pack = acme(
        tmp_path, pack="extends: [core]\n", rules=RULES.replace("status: {in:", "status: {equals: ga, in:")
    )
    proc = run_cli("rules", "lint", str(pack), cwd=tmp_path)
    assert proc.returncode == 2
    assert "pack.yaml:1" in proc.stdout
    assert "'core' is not one of ['builtin']" in proc.stdout
    assert "`status` can never be 'ga'" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_a_directory_named_twice_is_one_pack(tmp_path: Path) -> None:
    pack = acme(tmp_path)
    proc = run_cli("rules", "test", str(pack), str(pack), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    linted = run_cli("rules", "lint", str(pack), str(pack), cwd=tmp_path)
    assert linted.returncode == 0, linted.stdout

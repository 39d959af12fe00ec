"""The policy team's commands through the installed console script: rules test / lint / docs, explain,
and a rule pack contributed by an installed plugin."""

from __future__ import annotations

import json
import shutil
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from helpers import REPO, manifest, rule, rule_file, run_cli, run_installed

PACK = REPO / "rules"
T = ("--today", "2026-11-28")


def copy_pack(tmp_path: Path) -> Path:
    pack = tmp_path / "rules"
    shutil.copytree(PACK, pack)
    return pack


def test_rules_test_passes_on_the_shipped_pack(tmp_path: Path) -> None:
    """The one run of the policy team's command over the shipped pack: every case holds, every rule is
    tested both ways, and the strict test-file format accepts every shipped file."""
    proc = run_cli("rules", "test", str(PACK), "--no-plugins", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr == ""
    rules = len(
        json.loads(run_cli("check", "--format", "json", *T, str(REPO / "examples"), cwd=tmp_path).stdout)[
            "tool"
        ]["rules"]
    )
    assert f"coverage: {rules}/{rules} rules tested both ways" in proc.stdout
    assert proc.stdout.strip().splitlines()[-1].endswith(" failed")
    assert " 0 failed" in proc.stdout


def test_rules_test_reports_in_json_and_junit(tmp_path: Path) -> None:
    proc = run_cli(
        "rules", "test", str(PACK), "--format", "json=r.json", "--format", "junit=r.xml", cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stdout
    report = json.loads((tmp_path / "r.json").read_text())
    assert set(report) == {"schema_version", "tool", "results", "errors", "coverage", "summary"}
    assert report["summary"]["failed"] == 0
    assert report["summary"]["ok"] is True
    assert all({"fail", "pass"} <= set(seen) for seen in report["coverage"].values())
    root = ET.parse(tmp_path / "r.xml").getroot()
    cases = root.findall(".//testcase")
    assert len(cases) == report["summary"]["expectations"]
    assert not root.findall(".//failure")


def test_rules_test_fails_when_a_rule_is_broken(tmp_path: Path) -> None:
    pack = copy_pack(tmp_path)
    mkt = pack / "mkt.yaml"
    mkt.write_text(
        mkt.read_text().replace("status: {in: $lists.active_statuses}", "status: {in: [launched]}", 1)
    )
    proc = run_cli("rules", "test", str(pack), "--format", "text", "--format", "junit=out.xml", cwd=tmp_path)
    assert proc.returncode == 1
    assert "FAIL HRDD-MKT-001" in proc.stdout
    assert ET.parse(tmp_path / "out.xml").getroot().findall(".//failure")


def test_rules_lint_is_clean_on_the_shipped_pack(tmp_path: Path) -> None:
    proc = run_cli("rules", "lint", str(PACK), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.strip().endswith("0 problems")


def test_rules_lint_reports_every_problem_with_its_position(tmp_path: Path) -> None:
    pack = tmp_path / "rules"
    pack.mkdir()
    text = rule_file(
        rule("HRDD-TST-001", "for_each: markets\nwhen: {status: {equal: launched}}\nmessage: x"),
        rule(
            "HRDD-TST-002",
            """
            for_each: assessments
            when:
              scope.market: {contains: VN}
              any: {in: at_risk_groups, where: {mitigations: {present: true}}}
            message: "{item.idd} {country.tierr}"
            """,
        ),
        rule("HRDD-TST-003", "when: {product.name: {matches: '(a)\\1'}}\nmessage: x"),
        rule("HRDD-TST-001", "when: {product: {present: true}}\nmessage: dup"),
        rule("HRDD-TST-004", "when: {product: {present: true}}\nmessage: x", severity="urgent"),
    ) + (
        "  - {id: HRDD-TST-005, title: t, severity: low, rationale: r, remediation: r,"
        " when: {product: {present: true}}, message: x}\n"
    )
    (pack / "t.yaml").write_text(text, encoding="utf-8")
    proc = run_cli("rules", "lint", str(pack), "--format", "text", cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stdout.strip().splitlines()
    problems = lines[:-1]
    assert lines[-1] == f"1 rule files checked, {len(problems)} problems"
    for line in problems:
        assert line.startswith("rules/t.yaml:"), line
        assert len(line.split(":", 3)) == 4, line  # path:line:col: message
    joined = "\n".join(problems)
    for needle in (
        "unknown operator 'equal' (did you mean 'equals'?)",
        "path `scope.market` does not exist",
        "write `$item.at_risk_groups`",
        "path `idd` does not exist",
        "unknown country fact 'tierr'",
        "RE2 rejects",
        "rule id HRDD-TST-001 is already used",
        "$.rules[4].severity: 'urgent' is not one of ['critical', 'high', 'medium', 'low']",
        "$.rules[5]: 'references' is a required property",
    ):
        assert needle in joined, needle
    report = json.loads(run_cli("rules", "lint", str(pack), "--format", "json", cwd=tmp_path).stdout)
    assert len(report["problems"]) == len(problems)
    assert all(p["line"] and p["column"] for p in report["problems"])


def test_explain_describes_the_logic_not_the_yaml(tmp_path: Path) -> None:
    proc = run_cli("explain", "HRDD-MKT-001", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for label in (
        "Severity:",
        "Looks at:",
        "Judged by:",
        "Fires when:",
        "Cleared by:",
        "References:",
        "What to do:",
    ):
        assert label in out
    # HRDD-MKT-001's severity ladder (pack v2): raised by launch_date and by the country's tier
    assert "critical when the country's `tier` is high and mkt launch within 90 days" in out
    assert "one of planned, beta or launched" in out  # $lists.active_statuses spelled out
    assert "$lists" not in out
    assert "{in:" not in out
    assert "use:" not in out
    assert "UNGP 17-19" in out


@pytest.mark.parametrize(
    ("rule_id", "tiered"),
    [
        ("HRDD-MKT-001", True),  # max age and severity from the market's tier
        ("HRDD-LOC-001", True),  # high-risk countries only
        ("HRDD-TRN-001", False),  # names the country, but no tier decides anything
        ("HRDD-LOC-004", False),  # product-wide, no country at all
        ("HRDD-FRESH-002", False),
    ],
)
def test_explain_mentions_the_tier_only_where_it_decides(tmp_path: Path, rule_id: str, tiered: bool) -> None:
    out = run_cli("explain", rule_id, cwd=tmp_path).stdout
    assert ("Its tier sets the severity and how old evidence may be" in out) is tiered
    assert ("Judged by:" in out) is tiered


def test_explain_unknown_rule(tmp_path: Path) -> None:
    proc = run_cli("explain", "HRDD-MKT-01", cwd=tmp_path)
    assert proc.returncode == 2
    assert "did you mean HRDD-MKT-001" in proc.stderr


def test_committed_rule_catalogue_is_current() -> None:
    proc = run_cli("rules", "docs", cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    committed = (REPO / "docs" / "rules.md").read_text("utf-8")
    assert proc.stdout == committed, "docs/rules.md is stale: run hrpolicy rules docs --output docs/rules.md"


def test_catalogue_has_every_rule_grouped_by_area(tmp_path: Path) -> None:
    text = run_cli("rules", "docs", "-o", "cat.md", cwd=tmp_path)
    assert text.returncode == 0
    catalogue = (tmp_path / "cat.md").read_text()
    report = json.loads(run_cli("check", "--format", "json", *T, str(REPO / "examples"), cwd=tmp_path).stdout)
    for r in report["tool"]["rules"]:
        assert f"### {r['id']}" in catalogue
    assert "## Market entry and launch reviews" in catalogue


@pytest.fixture
def installed_pack(tmp_path: Path) -> Path:
    """A tiny rule pack as a pip-installed package would ship it: a module implementing hrpolicy_rule_dirs
    and registered under the hrpolicy entry-point group (a dist-info on PYTHONPATH)."""
    site = tmp_path / "site"
    (site / "acme_pack" / "rules").mkdir(parents=True)
    (site / "acme_pack" / "__init__.py").write_text(
        textwrap.dedent(
            """
            from pathlib import Path
            from hrpolicy import hookimpl

            @hookimpl
            def hrpolicy_rule_dirs():
                return [Path(__file__).parent / "rules"]
            """
        )
    )
    (site / "acme_pack" / "rules" / "acme.yaml").write_text(
        rule_file(
            rule("HRDD-ACME-001", "when: {product.owner: {missing: true}}\nmessage: name an owning team")
        )
    )
    dist = site / "acme_pack-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-pack\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[hrpolicy]\nacme = acme_pack\n")
    return site


def test_an_installed_rule_pack_adds_its_rules_to_check(tmp_path: Path, installed_pack: Path) -> None:
    (tmp_path / "hrpolicy.yaml").write_text(manifest(), encoding="utf-8")
    env = {"PYTHONPATH": str(installed_pack), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    proc = run_installed("check", "--format", "json", *T, cwd=tmp_path, env=env)
    report = json.loads(proc.stdout)
    ids = [r["id"] for r in report["tool"]["rules"]]
    assert "HRDD-ACME-001" in ids
    assert "HRDD-MKT-001" in ids
    assert [f["rule"] for f in report["results"][0]["findings"]] == ["HRDD-ACME-001"]
    off = json.loads(
        run_installed("check", "--format", "json", "--no-plugins", *T, cwd=tmp_path, env=env).stdout
    )
    assert "HRDD-ACME-001" not in [r["id"] for r in off["tool"]["rules"]]


SPEC_RULE_IDS = [
    *(f"HRDD-LOC-00{i}" for i in range(1, 5)),
    *(f"HRDD-MKT-00{i}" for i in range(1, 5)),
    "HRDD-EXIT-001",
    "HRDD-EXIT-002",
    *(f"HRDD-TRN-00{i}" for i in range(1, 4)),
    *(f"HRDD-RISK-00{i}" for i in range(1, 4)),
    *(f"HRDD-MOD-00{i}" for i in range(1, 4)),
    *(f"HRDD-SURV-00{i}" for i in range(1, 4)),
    *(f"HRDD-ACQ-00{i}" for i in range(1, 4)),
    "HRDD-STK-001",
    "HRDD-STK-002",
    "HRDD-FRESH-001",
    "HRDD-FRESH-002",
]


#: Rules rule pack v2 added to SPEC section 5's 29.
PACK_V2_RULE_IDS = ["HRDD-LOC-005", "HRDD-STK-003", "HRDD-SURV-004", "HRDD-SURV-005"]


def test_check_lists_the_29_rules_of_spec_section_5_and_those_of_pack_v2(tmp_path: Path) -> None:
    proc = run_cli("check", "--format", "json", *T, str(REPO / "examples" / "acme-chat"), cwd=tmp_path)
    ids = [r["id"] for r in json.loads(proc.stdout)["tool"]["rules"]]
    assert len(SPEC_RULE_IDS) == 29
    assert sorted(ids) == sorted(SPEC_RULE_IDS + PACK_V2_RULE_IDS)

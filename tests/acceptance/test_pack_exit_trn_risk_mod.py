"""The EXIT, TRN, RISK and MOD rules of the default pack on the example scenarios, through the installed
console script.

Each scenario is a complete manifest that is in order except for what it is about, so the findings the full
default pack reports are exactly the ones SPEC §5 implies for that gap. Expected lines are found by searching
the scenario text, never hard-coded.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import (
    REPO,
    SCENARIOS,
    block_lines,
    check_json,
    findings_of,
    first_line_in_block,
    line_in_block,
    triples,
)


def test_exiting_a_not_free_market_that_holds_a_local_data_store() -> None:
    scenario = SCENARIOS / "market-exit.yaml"
    text = scenario.read_text("utf-8")
    code, report = check_json(scenario)
    findings = findings_of(report)

    ru_market = line_in_block(text, "markets", "country: RU")
    assert triples(findings) == {("HRDD-EXIT-002", "critical", ru_market)}
    assert len(findings) == 1
    (finding,) = findings
    assert finding["location"]["pointer"] == "/markets/2"
    assert finding["waived"] is False
    assert "RU (Russia, high risk: Not Free in Freedom on the Net 2025)" in finding["message"]
    assert "exit_plan.data_disposition" in finding["message"]
    assert "exit_plan.data_disposition" in finding["remediation"]
    assert code == 1
    assert report["summary"]["by_severity"] == {"critical": 1}


def test_the_exit_scenario_passes_once_the_data_disposition_is_recorded(tmp_path: Path) -> None:
    text = (SCENARIOS / "market-exit.yaml").read_text("utf-8")
    needle = "      user_notice_days: 90\n"
    assert text.count(needle) == 1
    fixed = tmp_path / "hrpolicy.yaml"
    fixed.write_text(text.replace(needle, needle + "      data_disposition: returned_to_users\n"), "utf-8")
    code, report = check_json(fixed, cwd=tmp_path)
    assert findings_of(report) == []
    assert code == 0


def test_a_telecom_operator_without_a_network_shutdown_policy() -> None:
    scenario = SCENARIOS / "telecom.yaml"
    text = scenario.read_text("utf-8")
    code, report = check_json(scenario)
    findings = findings_of(report)

    # The finding points at the key written without a value.
    policy = line_in_block(text, "transparency", "network_shutdown_policy:")
    assert triples(findings) == {("HRDD-TRN-002", "high", policy)}
    assert len(findings) == 1
    (finding,) = findings
    assert finding["location"]["pointer"] == "/transparency/network_shutdown_policy"
    assert "Kilima Mobile" in finding["message"]
    assert "network_shutdown_policy" in finding["message"]
    assert code == 1
    assert report["summary"]["by_severity"] == {"high": 1}


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git for --base")
def test_deleting_the_exiting_market_since_the_base_does_not_hide_its_data_store(tmp_path: Path) -> None:
    """With --base, a market that was live (here: exiting) in the base and is gone from the manifest
    counts as withdrawn: its in-date exit HRIA still satisfies HRDD-EXIT-001, but the data store left in
    Russia has no recorded disposition any more (HRDD-EXIT-002, on the markets list)."""
    text = (SCENARIOS / "market-exit.yaml").read_text("utf-8")
    manifest = tmp_path / "hrpolicy.yaml"
    manifest.write_text(text, "utf-8")

    def git(*args: str) -> None:
        subprocess.run(
            [
                "git",
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@example.invalid",
                "-c",
                "commit.gpgsign=false",
                *args,
            ],
            cwd=tmp_path,
            check=True,
            capture_output=True,
        )

    git("init", "-q")
    git("add", "hrpolicy.yaml")
    git("commit", "-q", "-m", "base")

    start = text.index("  - country: RU\n")
    end = text.index("\ndata_stores:")
    manifest.write_text(text[:start] + text[end + 1 :], "utf-8")
    edited = manifest.read_text("utf-8")
    assert not any("country: RU" in line for _, line in block_lines(edited, "markets"))

    code, report = check_json(manifest, "--base", "HEAD", cwd=tmp_path)
    findings = findings_of(report)
    markets = first_line_in_block(edited, "markets")
    assert triples(findings) == {("HRDD-EXIT-002", "critical", markets)}
    (finding,) = findings
    assert finding["location"]["pointer"] == "/markets"
    assert "RU (Russia, high risk: Not Free in Freedom on the Net 2025)" in finding["message"]
    assert "removed" in finding["message"]
    assert code == 1

    # Without --base the manifest is its own base: nothing was removed.
    code, report = check_json(manifest, cwd=tmp_path)
    assert findings_of(report) == []
    assert code == 0


RISK_MANIFEST = """\
schema_version: 1
product: {id: acme-social, name: Acme Social, identity_verification: required}
markets:
  - {country: "NO", status: launched}
  - {country: SE, status: beta}
  - {country: DE, status: launched}
assessments:
  - {id: hria-no-se, type: hria, scope: {markets: ["NO", SE]}, date: 2026-06-01, status: approved}
"""


def test_a_policy_counting_unrated_countries_as_high_risk_brings_them_under_risk_001_and_002(
    tmp_path: Path,
) -> None:
    """HRDD-RISK-001 and -002 go by ``$country.risk``: Norway and Sweden (Free in Freedom in the World, not
    rated by Freedom on the Net) are out of scope with the default data, and also with
    ``unassessed_risk: high`` alone; in scope once the policy rates by Freedom on the Net only."""
    manifest = tmp_path / "hrpolicy.yaml"
    manifest.write_text(RISK_MANIFEST, "utf-8")
    pack = tmp_path / "rules"
    shutil.copytree(REPO / "rules", pack)

    def risk_findings() -> set[tuple[str, str, str]]:
        _, report = check_json(manifest, "--rules", str(pack), cwd=tmp_path)
        return {
            (f["rule"], f["severity"], f["location"]["pointer"])
            for f in findings_of(report)
            if f["rule"] in ("HRDD-RISK-001", "HRDD-RISK-002")
        }

    assert risk_findings() == set()
    (pack / "country-data.yaml").write_text("tiers: {unassessed_risk: high}\n", "utf-8")
    assert risk_findings() == set()
    (pack / "country-data.yaml").write_text("tiers: {sources: [fotn], unassessed_risk: high}\n", "utf-8")
    assert risk_findings() == {
        ("HRDD-RISK-001", "high", "/assessments/0"),
        ("HRDD-RISK-002", "high", "/markets/0"),
        ("HRDD-RISK-002", "high", "/markets/1"),
    }


def test_an_at_risk_group_entry_without_a_group_never_passes(tmp_path: Path) -> None:
    """HRDD-RISK-001 asks for a named group with mitigations; the manifest schema already rejects an
    entry without ``group``, so such a manifest is an error (exit 2), not a pass."""
    manifest = tmp_path / "hrpolicy.yaml"
    entry = "at_risk_groups: [{mitigations: [e2ee_default]}]"
    manifest.write_text(RISK_MANIFEST.replace("status: approved}", f"status: approved, {entry}}}"), "utf-8")
    code, report = check_json(manifest, cwd=tmp_path)
    assert code == 2
    assert report["results"] == []
    assert any("'group' is a required property" in e["message"] for e in report["errors"])

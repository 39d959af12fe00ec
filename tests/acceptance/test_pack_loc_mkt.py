"""The LOC and MKT rules of the default pack on the example scenarios, through the installed console script.

Each scenario is a complete manifest that is in order except for what it is about, so the findings the full
default pack reports are exactly the ones SPEC §5 implies for that gap. Expected lines are found by searching
the scenario text, never hard-coded.
"""

from __future__ import annotations

from helpers import (
    SCENARIOS,
    check_json,
    findings_of,
    line_in_block,
    triples,
)


def test_launch_in_a_not_free_market_without_an_hria_and_with_data_stored_there() -> None:
    scenario = SCENARIOS / "launch-not-free.yaml"
    text = scenario.read_text("utf-8")
    code, report = check_json(scenario)
    findings = findings_of(report)

    vn_market = line_in_block(text, "markets", "country: VN")
    vn_store = line_in_block(text, "data_stores", "id: vn-hcm-1")
    assert triples(findings) == {
        ("HRDD-MKT-001", "critical", vn_market),
        ("HRDD-LOC-002", "medium", vn_market),
        ("HRDD-LOC-001", "high", vn_store),
    }
    assert len(findings) == 3
    assert not any(f["waived"] for f in findings)
    assert code == 1
    assert report["summary"]["exit_code"] == 1

    by_rule = {f["rule"]: f for f in findings}
    assert by_rule["HRDD-MKT-001"]["location"]["pointer"] == "/markets/1"
    assert by_rule["HRDD-LOC-002"]["location"]["pointer"] == "/markets/1"
    assert by_rule["HRDD-LOC-001"]["location"]["pointer"] == "/data_stores/1"
    # The localisation finding names the market, the law and what is missing.
    message = by_rule["HRDD-LOC-002"]["message"]
    assert "VN (Vietnam)" in message
    assert "Law on Cybersecurity 116/2025/QH15" in message  # Decree 53/2022 stopped on 2026-07-01
    assert "no data_residency" in message


def test_a_vlop_without_an_approved_dsa_risk_assessment() -> None:
    scenario = SCENARIOS / "vlop.yaml"
    text = scenario.read_text("utf-8")
    code, report = check_json(scenario)
    findings = findings_of(report)

    designation = line_in_block(text, "product", "dsa_designation: vlop")
    assert triples(findings) == {("HRDD-MKT-004", "critical", designation)}
    assert len(findings) == 1
    (finding,) = findings
    assert finding["location"]["pointer"] == "/product/dsa_designation"
    assert "vlop" in finding["message"]
    assert "dsa_risk_assessment" in finding["message"]
    assert finding["waived"] is False
    assert code == 1
    assert report["summary"]["by_severity"] == {"critical": 1}

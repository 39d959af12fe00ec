"""The MKT and FRESH rules of the default pack (rule pack v2) on the market-renewal scenario, through the
installed console script: one finding per root cause, severity by launch_date, superseding by scope and
per-market features. Expected lines are found by searching the scenario text, never hard-coded.
"""

from __future__ import annotations

from pathlib import Path

from helpers import SCENARIOS, check_json, findings_of, line_in_block, triples

SCENARIO = SCENARIOS / "market-renewal.yaml"


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    text = SCENARIO.read_text("utf-8")
    assert text.count(old) == 1, old
    path = tmp_path / "hrpolicy.yaml"
    path.write_text(text.replace(old, new), "utf-8")
    return path


def test_an_overdue_renewal_and_a_far_off_launch_are_reported_once_each_on_the_market() -> None:
    text = SCENARIO.read_text("utf-8")
    code, report = check_json(SCENARIO)
    findings = findings_of(report)

    ke = line_in_block(text, "markets", "country: KE")
    th = line_in_block(text, "markets", "country: TH")
    # KE is launched and Partly Free: the tier's severity; TH is Not Free but launches more than 180 days
    # after the check: medium.
    assert triples(findings) == {("HRDD-MKT-001", "high", ke), ("HRDD-MKT-001", "medium", th)}
    assert len(findings) == 2
    by_country = {f["location"]["pointer"]: f for f in findings}
    ke_msg = by_country["/markets/3"]["message"]
    assert "renewal is overdue since 2026-06-01" in ke_msg
    assert "its HRIA hria-ke-2024 (dated 2024-06-01) expired on 2026-06-01" in ke_msg
    assert "never assessed" not in ke_msg
    th_msg = by_country["/markets/4"]["message"]
    assert "never assessed" in th_msg
    assert "launch_date: 2027-09-01" in th_msg
    assert "overdue" not in th_msg
    # The expired Kenyan HRIA and the old EU HRIA (superseded by scope) give no HRDD-FRESH-001 finding, and
    # the nearby DPIA is judged by the EU markets where the feature is offered: no notice either (notices
    # are findings of severity "notice").
    assert not any(f["rule"] in {"HRDD-FRESH-001", "HRDD-MKT-002", "HRDD-MKT-003"} for f in findings)
    assert code == 1


def test_a_renewed_hria_of_kenya_and_thailand_clears_the_scenario(tmp_path: Path) -> None:
    fixed = _variant(
        tmp_path,
        "  - id: dpia-nearby-2026\n",
        "  - id: hria-ke-th-2026\n"
        "    type: hria\n"
        "    depth: long_form\n"
        "    scope: {markets: [KE, TH]}\n"
        "    date: 2026-11-20\n"
        "    status: approved\n"
        "    approver: {role: bhr_lead}\n"
        "    sections: [local_law_review, government_access, at_risk_groups, mitigations]\n"
        "    at_risk_groups: [{group: human_rights_defenders, mitigations: [login_alerts]}]\n"
        "    consultation: {count: 8, stakeholder_types: [digital_rights_org], channel_security: e2ee}\n"
        '    evidence: "vault://hria/kestrel-ke-th-2026"\n'
        "  - id: dpia-nearby-2026\n",
    )
    code, report = check_json(fixed, cwd=tmp_path)
    # Thailand is Not Free, so the HRIA is long-form (HRDD-MKT-002) with the users most at risk and the
    # consultation recorded; the old Kenyan HRIA is superseded by the new one's wider scope, without
    # superseded_by.
    assert findings_of(report) == []
    assert code == 0


def test_the_thai_launch_rises_to_critical_as_its_date_nears(tmp_path: Path) -> None:
    text = SCENARIO.read_text("utf-8")
    th = line_in_block(text, "markets", "country: TH")
    near = _variant(tmp_path, "launch_date: 2027-09-01", "launch_date: 2027-02-15")
    _, report = check_json(near, cwd=tmp_path)
    assert ("HRDD-MKT-001", "critical", th) in triples(findings_of(report))


def test_offering_the_location_feature_in_kenya_and_thailand_brings_their_findings(tmp_path: Path) -> None:
    text = SCENARIO.read_text("utf-8")
    br = line_in_block(text, "markets", "country: BR")
    varied = _variant(
        tmp_path,
        "    launch_date: 2024-04-01\n    languages: [pt]\n    features: [posts, groups]\n",
        "    launch_date: 2024-04-01\n    languages: [pt]\n    features: [posts, groups, nearby]\n",
    )
    _, report = check_json(varied, cwd=tmp_path)
    found = findings_of(report)
    # Brazil (Partly Free) now offers a rights-sensitive feature with only a short-form HRIA.
    assert ("HRDD-MKT-002", "high", br) in triples(found)
    (mkt_002,) = [f for f in found if f["rule"] == "HRDD-MKT-002"]
    assert "rights-sensitive features offered there: nearby" in mkt_002["message"]


def test_a_future_dated_successor_does_not_supersede_and_the_lapse_is_reported_on_the_markets(
    tmp_path: Path,
) -> None:
    """Dated in the future, hria-eu-2026 neither covers Germany and France nor replaces hria-eu-2023, which
    expired on 2026-05-31 (2023-06-01 plus 1095 days): HRDD-MKT-001 reports both markets, naming it, and
    HRDD-FRESH-001 stays silent about it."""
    text = SCENARIO.read_text("utf-8")
    varied = _variant(tmp_path, "    date: 2026-02-01\n", "    date: 2027-02-01\n")
    _, report = check_json(varied, cwd=tmp_path)
    found = findings_of(report)
    de = line_in_block(text, "markets", "country: DE")
    fr = line_in_block(text, "markets", "country: FR")
    trip = triples(found)
    assert ("HRDD-MKT-001", "high", de) in trip
    assert ("HRDD-MKT-001", "high", fr) in trip
    assert not any(f["rule"] == "HRDD-FRESH-001" for f in found)
    de_msg = next(f["message"] for f in found if f["location"]["pointer"] == "/markets/0")
    assert "overdue since 2026-05-31" in de_msg
    assert "its HRIA hria-eu-2023 (dated 2023-06-01) expired on 2026-05-31" in de_msg


def test_a_successor_that_leaves_out_the_data_store_does_not_supersede(tmp_path: Path) -> None:
    text = SCENARIO.read_text("utf-8")
    start = text.index("  - id: hria-eu-2026\n")
    end = text.index("  - id: hria-br-2026\n")
    block = text[start:end]
    path = tmp_path / "hrpolicy.yaml"
    path.write_text(text[:start] + block.replace("data_stores: [eu-fra-1]", "data_stores: []") + text[end:])
    _, report = check_json(path, cwd=tmp_path)
    old = line_in_block(text, "assessments", "id: hria-eu-2023")
    assert ("HRDD-FRESH-001", "medium", old) in triples(findings_of(report))

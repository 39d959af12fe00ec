"""Rule pack v2, users most at risk (RISK) and stakeholder engagement (STK), on the example scenarios through
the CLI: substance, not presence (placeholders such as tbd or n/a count as missing; an approved assessment
records its approver role and evidence, HRDD-STK-003), and identity verification judged per market
(HRDD-RISK-002), replaced assessments left out and approvals of Not Free markets nobody can check raised to
high (HRDD-STK-003), and one finding for identity verification required in a Not Free market (HRDD-RISK-002
speaks, HRDD-MKT-003 stays silent) on examples/scenarios/sim-registration.yaml.

Each scenario is a complete manifest that is in order except for what it is about, so the findings the full
default pack reports are exactly the ones its header comment lists. Expected lines are found by searching the
scenario text, never hard-coded.
"""

from __future__ import annotations

from pathlib import Path

from helpers import SCENARIOS, check_json, findings_of, line_in_block, triples


def _replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def test_an_hria_of_placeholders_and_a_dpia_without_evidence() -> None:
    scenario = SCENARIOS / "placeholder-hria.yaml"
    text = scenario.read_text("utf-8")
    code, report = check_json(scenario)
    findings = findings_of(report)

    hria = line_in_block(text, "assessments", "id: hria-vn-2026")
    dpia = line_in_block(text, "assessments", "id: dpia-backups-2026")
    assert triples(findings) == {
        ("HRDD-RISK-001", "high", hria),
        ("HRDD-STK-001", "medium", hria),
        ("HRDD-STK-003", "medium", dpia),
    }
    assert len(findings) == 3
    by_rule = {f["rule"]: f for f in findings}

    # Each finding names the placeholder values it discounted, and only those.
    risk = by_rule["HRDD-RISK-001"]
    assert risk["location"]["pointer"] == "/assessments/1"
    assert "Vietnam (high risk: Not Free in Freedom on the Net 2025)" in risk["message"]
    assert risk["message"].endswith("placeholder values do not count: tbd, n/a")
    for real in ("journalists", "human_rights_defenders"):
        assert real not in risk["message"]

    stk = by_rule["HRDD-STK-001"]
    assert stk["location"]["pointer"] == "/assessments/1"
    assert stk["message"].endswith("placeholder stakeholder types do not count: TBD")
    assert "e2ee" not in stk["message"]  # channel_security is not judged

    record = by_rule["HRDD-STK-003"]
    assert record["location"]["pointer"] == "/assessments/2"
    assert (
        "dpia-backups-2026 (dpia) is approved but does not record where its evidence is (evidence)"
        in (record["message"])
    )
    assert "approver.role" not in record["message"]  # the DPIA records its approver (dpo)

    assert code == 1
    assert report["summary"]["by_severity"] == {"high": 1, "medium": 2}


def test_the_placeholder_scenario_passes_once_the_substance_is_recorded(tmp_path: Path) -> None:
    text = (SCENARIOS / "placeholder-hria.yaml").read_text("utf-8")
    text = _replace_once(text, "mitigations: [tbd]}", "mitigations: [e2ee_default, login_alerts]}")
    text = _replace_once(text, "mitigations: [n/a]}", "mitigations: [disappearing_messages]}")
    text = _replace_once(
        text, "stakeholder_types: [TBD]", "stakeholder_types: [digital_rights_org, local_ngo]"
    )
    text = _replace_once(text, "evidence: null ", 'evidence: "vault://dpia/kestrel-backups-2026" ')
    fixed = tmp_path / "hrpolicy.yaml"
    fixed.write_text(text, "utf-8")
    code, report = check_json(fixed, cwd=tmp_path)
    assert findings_of(report) == []
    assert code == 0


def test_a_placeholder_approver_role_is_named_and_counts_as_missing(tmp_path: Path) -> None:
    """One finding per assessment, whatever is missing: here the role (a placeholder) and the evidence."""
    text = (SCENARIOS / "placeholder-hria.yaml").read_text("utf-8")
    text = _replace_once(text, "approver: {role: dpo}", "approver: {role: tbd}")
    manifest = tmp_path / "hrpolicy.yaml"
    manifest.write_text(text, "utf-8")
    code, report = check_json(manifest, cwd=tmp_path)
    (record,) = [f for f in findings_of(report) if f["rule"] == "HRDD-STK-003"]
    assert record["message"].endswith(
        "does not record who approved it (approver.role) and where its evidence is (evidence); "
        "placeholder values do not count: tbd"
    )
    assert record["location"]["line"] == line_in_block(text, "assessments", "id: dpia-backups-2026")
    assert code == 1


def test_identity_verification_is_judged_by_each_markets_own_value() -> None:
    scenario = SCENARIOS / "identity-per-market.yaml"
    text = scenario.read_text("utf-8")
    code, report = check_json(scenario)
    findings = findings_of(report)

    turkey = line_in_block(text, "markets", "country: TR")
    assert triples(findings) == {("HRDD-RISK-002", "high", turkey)}
    (finding,) = findings
    assert finding["location"]["pointer"] == "/markets/1"
    assert "TR (Turkey, high risk: Not Free in Freedom on the Net 2025) is launched" in finding["message"]
    assert "(the market's identity_verification: required)" in finding["message"]
    assert code == 1
    assert report["summary"]["by_severity"] == {"high": 1}


def test_consumers_in_the_business_only_market_bring_it_into_scope(tmp_path: Path) -> None:
    """The UAE market is out of scope only because its customers are businesses: with consumers there, its
    own identity_verification: required gets the same finding as Turkey (the HRIA covers both and neither
    assesses identity verification)."""
    text = (SCENARIOS / "identity-per-market.yaml").read_text("utf-8")
    text = _replace_once(text, "customers: [enterprises]  ", "customers: [enterprises, consumers]")
    manifest = tmp_path / "hrpolicy.yaml"
    manifest.write_text(text, "utf-8")
    code, report = check_json(manifest, cwd=tmp_path)
    assert triples(findings_of(report)) == {
        ("HRDD-RISK-002", "high", line_in_block(text, "markets", "country: TR")),
        ("HRDD-RISK-002", "high", line_in_block(text, "markets", "country: AE")),
    }
    assert code == 1


def test_the_identity_scenario_passes_once_the_hria_assesses_identity_verification(tmp_path: Path) -> None:
    text = (SCENARIOS / "identity-per-market.yaml").read_text("utf-8")
    hria = text[text.index("  - id: hria-tr-ae-2026") :]
    sections = "    sections: [local_law_review, government_access, at_risk_groups, mitigations]\n"
    assert sections in hria
    start = text.index("  - id: hria-tr-ae-2026")
    at = start + hria.index(sections)
    text = (
        text[:at]
        + "    sections: [local_law_review, government_access, at_risk_groups, mitigations,"
        + " identity_verification]\n"
        + text[at + len(sections) :]
    )
    fixed = tmp_path / "hrpolicy.yaml"
    fixed.write_text(text, "utf-8")
    code, report = check_json(fixed, cwd=tmp_path)
    assert findings_of(report) == []
    assert code == 0


def test_an_unverifiable_approval_of_a_not_free_market_is_high_and_blocks(tmp_path: Path) -> None:
    """The scenario's header: with placeholders for hria-vn-2026's approver and evidence, HRDD-STK-003 is high
    there (judged by Vietnam), while the DPIA of a German-scoped feature stays medium; the replaced
    hria-vn-2025 stays silent either way."""
    text = (SCENARIOS / "placeholder-hria.yaml").read_text("utf-8")
    hria_start = text.index("  - id: hria-vn-2026\n")
    hria_end = text.index("  - id: dpia-backups-2026\n")
    block = text[hria_start:hria_end]
    block = _replace_once(block, "approver: {role: bhr_lead}", "approver: {role: tbd}")
    block = _replace_once(block, 'evidence: "vault://hria/kestrel-vn-2026"', "evidence: x")
    text = text[:hria_start] + block + text[hria_end:]
    manifest = tmp_path / "hrpolicy.yaml"
    manifest.write_text(text, "utf-8")
    code, report = check_json(manifest, cwd=tmp_path)
    records = {f["location"]["pointer"]: f for f in findings_of(report) if f["rule"] == "HRDD-STK-003"}
    assert set(records) == {"/assessments/1", "/assessments/2"}
    hria = records["/assessments/1"]
    assert hria["severity"] == "high"
    assert hria["location"]["line"] == line_in_block(text, "assessments", "id: hria-vn-2026")
    assert hria["message"].endswith(
        "does not record who approved it (approver.role) and where its evidence is (evidence); "
        "placeholder values do not count: tbd, x"
    )
    assert records["/assessments/2"]["severity"] == "medium"
    assert code == 1


SIM = SCENARIOS / "sim-registration.yaml"


def test_sim_registration_in_a_not_free_market_is_one_finding_on_the_market() -> None:
    text = SIM.read_text("utf-8")
    code, report = check_json(SIM)
    findings = findings_of(report)
    assert triples(findings) == {
        ("HRDD-RISK-002", "high", line_in_block(text, "markets", "country: PK")),
        ("HRDD-ACQ-003", "high", line_in_block(text, "entities", "country: AE")),
    }
    assert len(findings) == 2
    by_rule = {f["rule"]: f for f in findings}
    risk = by_rule["HRDD-RISK-002"]
    assert risk["location"]["pointer"] == "/markets/1"
    assert "PK (Pakistan, high risk: Not Free in Freedom on the Net 2025) is launched" in risk["message"]
    assert "(product.identity_verification: required)" in risk["message"]
    assert "scope.features" in risk["remediation"]
    # The branch records no staff field: a branch employs people, so it needs the staff-safety review.
    staff = by_rule["HRDD-ACQ-003"]
    assert staff["location"]["pointer"] == "/entities/2"
    assert "branch in AE (United Arab Emirates" in staff["message"]
    assert "no staff field" in staff["message"]
    assert code == 1
    assert report["summary"]["by_severity"] == {"high": 2}


def test_sim_registration_outside_risk_002s_scope_is_mkt_003s_again(tmp_path: Path) -> None:
    """MKT-003 is silent only in the overlap: once Pakistan does not require verification (RISK-002 out of
    scope there), the feature's missing review is MKT-003's finding, judged by Pakistan."""
    text = SIM.read_text("utf-8")
    text = _replace_once(
        text, "    languages: [ur, en]\n", "    languages: [ur, en]\n    identity_verification: optional\n"
    )
    manifest = tmp_path / "hrpolicy.yaml"
    manifest.write_text(text, "utf-8")
    code, report = check_json(manifest, cwd=tmp_path)
    findings = findings_of(report)
    assert {f["rule"] for f in findings} == {"HRDD-MKT-003", "HRDD-ACQ-003"}
    (feature,) = [f for f in findings if f["rule"] == "HRDD-MKT-003"]
    assert feature["location"]["line"] == line_in_block(text, "features", "id: sim-registration")
    assert "judged by Pakistan" in feature["message"]
    assert code == 1


def test_an_empty_customers_list_means_nobody_is_served_in_the_market(tmp_path: Path) -> None:
    """Without the market's own customers: [] the product-wide customers (consumers) hold in the UAE, and
    its identity requirement is RISK-002's finding there too."""
    text = SIM.read_text("utf-8")
    text = _replace_once(text, "    customers: []  ", "    # customers not recorded  ")
    manifest = tmp_path / "hrpolicy.yaml"
    manifest.write_text(text, "utf-8")
    code, report = check_json(manifest, cwd=tmp_path)
    risk = {f["location"]["line"] for f in findings_of(report) if f["rule"] == "HRDD-RISK-002"}
    assert risk == {
        line_in_block(text, "markets", "country: PK"),
        line_in_block(text, "markets", "country: AE"),
    }
    assert code == 1


def test_one_feature_review_listing_pakistan_clears_the_sim_registration(tmp_path: Path) -> None:
    text = SIM.read_text("utf-8")
    text = _replace_once(
        text,
        "  - {country: AE, type: branch}  ",
        '  - {country: AE, type: branch, review: "vault://entity-review/indus-ae-2026"}  ',
    )
    text += (
        "  - id: fr-sim-registration-2026\n"
        "    type: feature_review\n"
        "    scope: {markets: [PK], features: [sim-registration]}\n"
        "    date: 2026-10-05\n"
        "    status: approved\n"
        "    approver: {role: bhr_lead}\n"
        "    at_risk_groups:\n"
        "      - {group: journalists, mitigations: [identity_records_access_log, request_review_board]}\n"
        "    publish: none\n"
        '    evidence: "vault://feature-review/indus-sim-2026"\n'
    )
    fixed = tmp_path / "hrpolicy.yaml"
    fixed.write_text(text, "utf-8")
    code, report = check_json(fixed, cwd=tmp_path)
    assert findings_of(report) == []
    assert code == 0

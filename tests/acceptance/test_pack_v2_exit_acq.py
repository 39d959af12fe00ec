"""Rule pack v2, market exit and local presence: a sale of a local business counts as an exit, the data
disposition is a closed vocabulary, a transfer of users' data to a buyer needs an exit HRIA covering the
transfer and the buyer, and local entities with staff in a Not Free country need a staff-safety review (a
subsidiary or branch without a staff field counts as staffed). Messages name the exit_plan fields but never
quote the manifest's free text there (the recipient's name, a free-text disposition).

Run through the installed console script on examples/scenarios/local-business-sale.yaml; expected lines are
found by searching the scenario text, never hard-coded.
"""

from __future__ import annotations

from pathlib import Path

from helpers import SCENARIOS, check_json, findings_of, line_in_block, triples

SCENARIO = SCENARIOS / "local-business-sale.yaml"
KNOWN_WORDS = (
    "deleted",
    "returned_to_users",
    "retained_by_company",
    "transferred_to_buyer",
    "handed_to_authority",
)


def _variant(tmp_path: Path, *replacements: tuple[str, str]) -> tuple[Path, str]:
    text = SCENARIO.read_text("utf-8")
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / "hrpolicy.yaml"
    path.write_text(text, "utf-8")
    return path, text


def test_selling_a_local_business_with_its_subscriber_data_and_staff() -> None:
    text = SCENARIO.read_text("utf-8")
    code, report = check_json(SCENARIO)
    findings = findings_of(report)

    mm_market = line_in_block(text, "markets", "country: MM")
    mm_entity = line_in_block(text, "entities", "country: MM")
    assert triples(findings) == {
        ("HRDD-EXIT-002", "critical", mm_market),
        ("HRDD-ACQ-003", "high", mm_entity),
    }
    assert len(findings) == 2
    exit_finding = next(f for f in findings if f["rule"] == "HRDD-EXIT-002")
    assert exit_finding["location"]["pointer"] == "/markets/1"
    assert "MM (Myanmar, high risk: Not Free in Freedom on the Net 2025)" in exit_finding["message"]
    assert "being divested" in exit_finding["message"]
    # The recipient is named in the manifest, but its name is never echoed.
    assert "Irrawaddy" not in exit_finding["message"]
    assert (
        "exit_plan.data_disposition is transferred_to_buyer (recipient named in exit_plan.recipient)"
        in exit_finding["message"]
    )
    for section in ("data_transfer", "recipient_due_diligence"):
        assert section in exit_finding["message"]
        assert section in exit_finding["remediation"]
    staff_finding = next(f for f in findings if f["rule"] == "HRDD-ACQ-003")
    assert staff_finding["location"]["pointer"] == "/entities/1"
    assert "740 staff" in staff_finding["message"]
    assert "review" in staff_finding["remediation"]
    assert code == 1
    assert report["summary"]["by_severity"] == {"critical": 1, "high": 1}


def test_free_text_for_the_data_disposition_asks_for_a_known_word(tmp_path: Path) -> None:
    """The wording that used to pass because only its presence was checked."""
    path, text = _variant(
        tmp_path,
        (
            "data_disposition: transferred_to_buyer",
            "data_disposition: transferred with the licence to the buyer",
        ),
    )
    code, report = check_json(path, cwd=tmp_path)
    findings = findings_of(report)
    exit_findings = [f for f in findings if f["rule"].startswith("HRDD-EXIT")]
    assert triples(exit_findings) == {
        ("HRDD-EXIT-002", "critical", line_in_block(text, "markets", "country: MM"))
    }
    (finding,) = exit_findings
    assert "transferred with the licence" not in finding["message"]
    assert "exit_plan.data_disposition is not one of the words the policy knows" in finding["message"]
    assert all(word in finding["message"] for word in KNOWN_WORDS)
    assert code == 1


def test_the_sale_alone_brings_the_launched_market_under_the_exit_hria_rule(tmp_path: Path) -> None:
    """Without the exit HRIA the divested (still launched) market is an exit without one; without the sale
    event the launched market is not being left, and its exit_plan is not judged."""
    text = SCENARIO.read_text("utf-8")
    start = text.index("  - id: exit-hria-mm\n")
    no_exit_hria = tmp_path / "no-exit-hria"
    no_exit_hria.mkdir()
    (no_exit_hria / "hrpolicy.yaml").write_text(text[:start], "utf-8")
    code, report = check_json(no_exit_hria / "hrpolicy.yaml", cwd=no_exit_hria)
    mm_market = line_in_block(text, "markets", "country: MM")
    exit_findings = {t for t in triples(findings_of(report)) if t[0].startswith("HRDD-EXIT")}
    assert exit_findings == {("HRDD-EXIT-001", "high", mm_market), ("HRDD-EXIT-002", "critical", mm_market)}
    assert code == 1

    no_sale = tmp_path / "no-sale"
    no_sale.mkdir()
    event = (
        "corporate_events:\n"
        "  - {type: sale_of_local_business, target: Halvor Myanmar Ltd, date: 2027-01-31, countries: [MM]}\n"
    )
    assert text.count(event) == 1
    (no_sale / "hrpolicy.yaml").write_text(text.replace(event, ""), "utf-8")
    code, report = check_json(no_sale / "hrpolicy.yaml", cwd=no_sale)
    assert [f["rule"] for f in findings_of(report)] == ["HRDD-ACQ-003"]


def test_a_missing_recipient_is_named_as_missing(tmp_path: Path) -> None:
    path, _ = _variant(tmp_path, ("      recipient: Irrawaddy Mobile Holdings\n", ""))
    code, report = check_json(path, cwd=tmp_path)
    (finding,) = [f for f in findings_of(report) if f["rule"] == "HRDD-EXIT-002"]
    assert "transferred_to_buyer (exit_plan.recipient is missing), but" in finding["message"]
    assert code == 1


def test_a_subsidiary_without_a_staff_count_counts_as_staffed(tmp_path: Path) -> None:
    """A subsidiary employs people: without a staff field it still needs the staff-safety review; only
    staff: 0 takes it out."""
    path, text = _variant(
        tmp_path,
        (
            "  - {country: MM, type: subsidiary, staff: 740, review: null}",
            "  - {country: MM, type: subsidiary}",
        ),
    )
    code, report = check_json(path, cwd=tmp_path)
    findings = findings_of(report)
    assert {f["rule"] for f in findings} == {"HRDD-EXIT-002", "HRDD-ACQ-003"}
    (staff,) = [f for f in findings if f["rule"] == "HRDD-ACQ-003"]
    assert staff["location"]["line"] == line_in_block(text, "entities", "country: MM")
    assert (
        "has an unrecorded number of staff (no staff field; a subsidiary or branch employs people)"
        in (staff["message"])
    )
    assert code == 1

    nobody = tmp_path / "nobody"
    nobody.mkdir()
    (nobody / "hrpolicy.yaml").write_text(
        text.replace("  - {country: MM, type: subsidiary}", "  - {country: MM, type: subsidiary, staff: 0}"),
        "utf-8",
    )
    code, report = check_json(nobody / "hrpolicy.yaml", cwd=nobody)
    assert [f["rule"] for f in findings_of(report)] == ["HRDD-EXIT-002"]
    assert code == 1


def test_the_scenario_passes_once_the_transfer_and_the_staff_are_reviewed(tmp_path: Path) -> None:
    path, _ = _variant(
        tmp_path,
        (
            "sections: [reliance_on_service, at_risk_groups, alternatives, user_notice, stakeholder_input]",
            "sections: [reliance_on_service, at_risk_groups, alternatives, user_notice, stakeholder_input,\n"
            "               data_transfer, recipient_due_diligence]",
        ),
        ("staff: 740, review: null}", 'staff: 740, review: "vault://entity-review/halvor-mm-2026"}'),
    )
    code, report = check_json(path, cwd=tmp_path)
    assert findings_of(report) == []
    assert code == 0

"""Rule pack v2, SURV family, on its scenarios through the CLI: sales reviews per country and customer type
in elevated, high and unassessed markets, expiring on the tier's schedule (with the expiry date in the
message) and graded by how soon the market launches; one product-level finding for low-risk markets; a
market's own customers ([] is nobody); end-use monitoring of approved state sales, blanket approvals
included (surveillance-sales.yaml); and export screening that tells Annex I items and EU001 destinations
from the Art 5 catch-all (dual-use-export.yaml). Expected lines are found by searching the scenario text,
never hard-coded."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from helpers import SCENARIOS, TODAY, block_lines, check_json, findings_of, line_in_block, triples


def _variant(tmp_path: Path, name: str, *replacements: tuple[str, str]) -> Path:
    text = (SCENARIOS / name).read_text("utf-8")
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def _sales_review_line(text: str, needle: str) -> int:
    return line_in_block(text, "sales_reviews", needle)


# --- surveillance-sales.yaml ----------------------------------------------------------------------------

SALES = "surveillance-sales.yaml"
KENYA_MAX_AGE = 730  # Kenya is elevated risk (Partly Free); the scenario header gives the 730 days


def _review_date(text: str, needle: str) -> datetime.date:
    line = next(line for _, line in block_lines(text, "sales_reviews") if needle in line)
    found = re.search(r"date: (\d{4}-\d{2}-\d{2})", line)
    assert found, line
    return datetime.date.fromisoformat(found.group(1))


def _launch_date(text: str, country: str) -> datetime.date:
    lines = [line for _, line in block_lines(text, "markets")]
    start = next(i for i, line in enumerate(lines) if f"country: {country}" in line)
    found = next(
        re.search(r"launch_date: (\d{4}-\d{2}-\d{2})", line)
        for line in lines[start:]
        if "launch_date" in line
    )
    assert found
    return datetime.date.fromisoformat(found.group(1))


def test_sales_reviews_count_per_customer_type_expire_and_need_end_use_monitoring() -> None:
    text = (SCENARIOS / SALES).read_text("utf-8")
    code, report = check_json(SCENARIOS / SALES)
    findings = findings_of(report)

    ke = line_in_block(text, "markets", "country: KE")
    br_review = _sales_review_line(text, "country: BR, decision: approve_with_conditions")
    assert triples(findings) == {
        # Kenya (elevated: 730 days): the police approval of 2024-09-01 has expired.
        ("HRDD-SURV-001", "high", ke),
        # Brazil (elevated): a blanket approval (no customer_type) of a market selling to city governments,
        # without end-use monitoring.
        ("HRDD-SURV-004", "medium", br_review),
    }
    assert len(findings) == 2
    by_rule = {f["rule"]: f for f in findings}
    surv1 = by_rule["HRDD-SURV-001"]
    assert surv1["location"]["pointer"] == "/markets/2"
    assert "KE (Kenya, elevated risk: Partly Free in Freedom on the Net 2025)" in surv1["message"]
    assert "sales to law_enforcement" in surv1["message"]
    assert "enterprises" not in surv1["message"]  # the retail sale is reviewed and in date
    approved = _review_date(text, "country: KE, customer_type: law_enforcement")
    expired = approved + datetime.timedelta(days=KENYA_MAX_AGE)
    assert f"its approval of {approved.isoformat()} expired on {expired.isoformat()}" in surv1["message"]
    assert "without a review" not in surv1["message"]
    assert f"{KENYA_MAX_AGE} days" in surv1["message"]
    surv4 = by_rule["HRDD-SURV-004"]
    assert surv4["location"]["pointer"] == "/sales_reviews/5"
    assert "every customer type (it names no customer_type)" in surv4["message"]
    assert "end_use_monitoring" in surv4["message"]
    assert "end_use_monitoring" in surv4["remediation"]
    # Vietnam: the police sale was rejected but is not pursued; the approved government sale is no finding.
    # Germany (low risk) is HRDD-SURV-005's, and the end-use HRIA covers it.
    for country in ("VN", "DE"):
        line = line_in_block(text, "markets", f"country: {country}")
        assert all(f["location"]["line"] != line for f in findings)
    assert code == 1
    assert report["summary"]["by_severity"] == {"high": 1, "medium": 1}


def test_the_sales_scenario_passes_once_the_police_review_is_renewed_and_monitoring_recorded(
    tmp_path: Path,
) -> None:
    fixed = _variant(
        tmp_path,
        SALES,
        (
            "decision: approve_with_conditions, date: 2024-09-01",
            "decision: approve_with_conditions, date: 2026-09-01",
        ),
        (
            "{country: BR, decision: approve_with_conditions, date: 2026-04-15}",
            "{country: BR, decision: approve_with_conditions, date: 2026-04-15,\n"
            '     end_use_monitoring: "vault://sales-monitoring/br-cities"}',
        ),
    )
    code, report = check_json(fixed, cwd=tmp_path)
    assert findings_of(report) == []
    assert code == 0


def test_a_market_listing_no_customers_sells_to_nobody(tmp_path: Path) -> None:
    # The other fix for Kenya: stop selling there (customers: []), rather than renewing the review.
    variant = _variant(
        tmp_path, SALES, ("    customers: [enterprises, law_enforcement]\n", "    customers: []\n")
    )
    _, report = check_json(variant, cwd=tmp_path)
    # Only Brazil's missing end-use monitoring (medium) remains.
    assert [(f["rule"], f["severity"]) for f in findings_of(report)] == [("HRDD-SURV-004", "medium")]
    assert report["summary"]["by_severity"] == {"medium": 1}


@pytest.mark.parametrize(
    ("launch", "severity"),
    [
        (None, "high"),  # the scenario's own launch_date: 91 to 180 days away
        ("2027-05-28", "medium"),  # more than 180 days away
        ("2027-02-26", "critical"),  # at most 90 days away
    ],
)
def test_selling_to_the_rejected_police_in_vietnam_names_that_customer_type_at_the_urgency_of_the_launch(
    tmp_path: Path, launch: str | None, severity: str
) -> None:
    # Without markets[].customers the Vietnamese market sells to product.customers, police included.
    replacements = [
        ("    customers: [government]          # police sales were rejected (see sales_reviews)\n", "")
    ]
    text = (SCENARIOS / SALES).read_text("utf-8")
    scenario_launch = _launch_date(text, "VN")
    if launch is None:
        assert 90 < (scenario_launch - TODAY).days <= 180
    else:
        replacements.append((f"launch_date: {scenario_launch.isoformat()}", f"launch_date: {launch}"))
    variant = _variant(tmp_path, SALES, *replacements)
    text = variant.read_text("utf-8")
    code, report = check_json(variant, cwd=tmp_path)
    vn = line_in_block(text, "markets", "country: VN")
    vn_findings = [f for f in findings_of(report) if f["location"]["line"] == vn]
    # Rejected police sales, and retail sales nobody reviewed in Vietnam (Not Free).
    assert {(f["rule"], f["severity"]) for f in vn_findings} == {("HRDD-SURV-001", severity)}
    messages = sorted(f["message"] for f in vn_findings)
    assert len(messages) == 2
    rejected = [m for m in messages if "rejected" in m]
    assert len(rejected) == 1
    assert "sales to law_enforcement" in rejected[0]
    assert "government" not in rejected[0]  # the approved government sale stands
    (unreviewed,) = [m for m in messages if "rejected" not in m]
    assert "sales to enterprises" in unreviewed
    assert code == 1


def test_without_the_end_use_hria_the_low_risk_market_is_one_product_level_finding(tmp_path: Path) -> None:
    variant = _variant(
        tmp_path,
        SALES,
        (
            "sections: [local_law_review, government_access, at_risk_groups, mitigations, end_use]",
            "sections: [local_law_review, government_access, at_risk_groups, mitigations]",
        ),
    )
    text = variant.read_text("utf-8")
    code, report = check_json(variant, cwd=tmp_path)
    surv5 = [f for f in findings_of(report) if f["rule"] == "HRDD-SURV-005"]
    assert len(surv5) == 1
    (finding,) = surv5
    assert finding["severity"] == "medium"
    assert finding["location"]["line"] == line_in_block(text, "product", "customers:")
    # Germany only: its government sale is reviewed, its retail sales are not; VN, KE, BR are not low risk.
    assert "low-risk markets (DE)" in finding["message"]
    assert "facial_recognition" in finding["message"]
    assert not [f for f in findings_of(report) if f["rule"] == "HRDD-SURV-001" and "DE (" in f["message"]]
    assert code == 1


def test_state_sales_of_a_product_without_surveillance_capabilities_in_a_low_risk_market_are_no_finding(
    tmp_path: Path,
) -> None:
    variant = _variant(
        tmp_path,
        SALES,
        ("  capabilities: [facial_recognition]\n", "  capabilities: []\n"),
        (
            "sections: [local_law_review, government_access, at_risk_groups, mitigations, end_use]",
            "sections: [local_law_review, government_access, at_risk_groups, mitigations]",
        ),
    )
    _, report = check_json(variant, cwd=tmp_path)
    rules = {f["rule"] for f in findings_of(report)}
    assert "HRDD-SURV-005" not in rules  # Germany sells to city governments, but nothing to review there
    assert "HRDD-SURV-004" not in rules  # end-use monitoring concerns surveillance-capable products
    # Kenya's police sale still needs its (expired) review renewed: a state sale in an elevated market.
    surv1 = [f for f in findings_of(report) if f["rule"] == "HRDD-SURV-001"]
    assert [f["location"]["pointer"] for f in surv1] == ["/markets/2"]
    assert surv1[0]["severity"] == "high"


# --- dual-use-export.yaml -------------------------------------------------------------------------------

EXPORT = "dual-use-export.yaml"


def test_an_annex_i_item_is_low_for_an_eu001_destination_and_critical_elsewhere_at_elevated_risk() -> None:
    text = (SCENARIOS / EXPORT).read_text("utf-8")
    code, report = check_json(SCENARIOS / EXPORT)
    findings = findings_of(report)
    no = line_in_block(text, "markets", 'country: "NO"')
    sg = line_in_block(text, "markets", "country: SG")
    assert triples(findings) == {("HRDD-SURV-002", "low", no), ("HRDD-SURV-002", "critical", sg)}
    assert len(findings) == 2
    by_pointer = {f["location"]["pointer"]: f["message"] for f in findings}
    assert set(by_pointer) == {"/markets/1", "/markets/3"}
    assert "general authorisation EU001 may cover" in by_pointer["/markets/1"]
    assert "needs an export authorisation" in by_pointer["/markets/3"]
    # The home market (EU) and the screened EU001 destination do not fire.
    for needle in ("country: FI", "country: JP"):
        line = line_in_block(text, "markets", needle)
        assert all(f["location"]["line"] != line for f in findings)
    assert code == 1
    assert report["summary"]["by_severity"] == {"critical": 1, "low": 1}


def test_the_export_scenario_passes_with_screenings_of_norway_and_singapore(tmp_path: Path) -> None:
    fixed = _variant(tmp_path, EXPORT, ("scope: {markets: [JP]}", 'scope: {markets: [JP, "NO", SG]}'))
    code, report = check_json(fixed, cwd=tmp_path)
    assert findings_of(report) == []
    assert code == 0


def test_a_non_listed_cyber_surveillance_item_follows_the_catch_all_by_tier(tmp_path: Path) -> None:
    variant = _variant(
        tmp_path,
        EXPORT,
        ("  dual_use_annex_i: 5A001.j          # export control counsel's classification, 2026-01\n", ""),
    )
    text = variant.read_text("utf-8")
    assert not [line for _, line in block_lines(text, "product") if "dual_use_annex_i" in line]
    code, report = check_json(variant, cwd=tmp_path)
    findings = findings_of(report)
    no = line_in_block(text, "markets", 'country: "NO"')
    sg = line_in_block(text, "markets", "country: SG")
    # Art 5: Free Norway low, Partly Free Singapore high.
    assert triples(findings) == {("HRDD-SURV-002", "low", no), ("HRDD-SURV-002", "high", sg)}
    assert all("Art 5 catch-all" in f["message"] for f in findings)
    assert code == 1

"""Rule pack v2 for the TRN, LOC and MOD rules, on the example scenarios, through the installed console
script: one product-wide transparency finding per missing report series, the publication_prohibited
statement, end-to-end encryption scoped to digital platforms, encryption at rest and key custody of stores
(HRDD-LOC-005) and the launched markets named by HRDD-MOD-001.

Each scenario is a complete manifest that is in order except for what it is about. Expected lines and names
are found by searching the scenario text, never hard-coded.
"""

from __future__ import annotations

from pathlib import Path

from helpers import (
    SCENARIOS,
    check_json,
    findings_of,
    line_in_block,
    triples,
)

TELECOM = SCENARIOS / "telecom-reports-and-keys.yaml"
PLATFORM = SCENARIOS / "platform-notice-and-keys.yaml"


def launched_countries(text: str) -> list[str]:
    """The countries of the scenario's launched markets, in manifest order."""
    out = []
    for line in text.split("\nmarkets:\n", 1)[1].split("\n\n", 1)[0].splitlines():
        if "country:" in line:
            country = line.split("country:", 1)[1].split(",")[0].strip().strip("}").strip('"')
            out.append(country)
    return out


def fixed(tmp_path: Path, text: str, *replacements: tuple[str, str]) -> Path:
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / "hrpolicy.yaml"
    path.write_text(text, "utf-8")
    return path


def test_a_missing_content_report_is_one_product_wide_finding_and_an_unencrypted_store_is_reported() -> None:
    text = TELECOM.read_text("utf-8")
    code, report = check_json(TELECOM)
    findings = findings_of(report)

    reports = line_in_block(text, "transparency", "kind: government_user_data")
    cdr_store = line_in_block(text, "data_stores", "id: rw-kgl-cdr")
    assert triples(findings) == {
        ("HRDD-TRN-001", "medium", reports),
        ("HRDD-LOC-005", "high", cdr_store),
    }
    assert len(findings) == 2
    by_rule = {f["rule"]: f for f in findings}

    transparency = by_rule["HRDD-TRN-001"]
    assert transparency["location"]["pointer"] == "/transparency/reports"
    countries = launched_countries(text)
    assert countries == ["KE", "UG", "RW"]
    assert f"launched markets {', '.join(countries)} are not covered" in transparency["message"]
    assert "government_content" in transparency["message"]
    assert "government_user_data" not in transparency["message"]  # covered, or prohibited for Rwanda
    assert "publication_prohibited" in transparency["remediation"]

    store = by_rule["HRDD-LOC-005"]
    assert store["location"]["pointer"] == "/data_stores/1"
    assert "rw-kgl-cdr in Rwanda" in store["message"]
    assert "not encrypted at rest" in store["message"]
    # Voice and SMS of a telecom-only product: no end-to-end encryption finding.
    assert "HRDD-LOC-004" not in by_rule
    assert code == 1
    assert report["summary"]["by_severity"] == {"high": 1, "medium": 1}


def test_the_telecom_scenario_passes_once_reported_and_encrypted(tmp_path: Path) -> None:
    text = TELECOM.read_text("utf-8")
    content_report = (
        '    - {kind: government_content, url: "https://meru.example/transparency", cadence_months: 12,'
        " countries: all}\n"
    )
    path = fixed(
        tmp_path,
        text,
        ("  publication_prohibited:\n", content_report + "  publication_prohibited:\n"),
        (
            "    encryption: {at_rest: false}\n",
            '    encryption: {at_rest: true, key_custody_country: "NO"}\n',
        ),
    )
    code, report = check_json(path, cwd=tmp_path)
    assert findings_of(report) == []
    assert code == 0


def test_without_the_prohibition_statement_rwanda_is_reported_on_its_own(tmp_path: Path) -> None:
    """The statement that the law forbids publishing is what covers Rwanda's subscriber-data figures: without
    it Rwanda is left out of a report that exists, a per-market finding."""
    text = TELECOM.read_text("utf-8")
    statement = text[text.index("  publication_prohibited:\n") : text.index("  network_shutdown_policy:")]
    path = fixed(tmp_path, text, (statement, ""))
    _, report = check_json(path, cwd=tmp_path)
    trn = [f for f in findings_of(report) if f["rule"] == "HRDD-TRN-001"]
    pointers = sorted(f["location"]["pointer"] for f in trn)
    rw_index = launched_countries(text).index("RW")
    assert pointers == [f"/markets/{rw_index}", "/transparency/reports"]
    (rwanda,) = [f for f in trn if f["location"]["pointer"].startswith("/markets/")]
    assert "RW (Rwanda)" in rwanda["message"]
    assert "government_user_data" in rwanda["message"]


def test_an_operator_running_its_own_messaging_app_is_asked_for_end_to_end_encryption(tmp_path: Path) -> None:
    text = TELECOM.read_text("utf-8")
    path = fixed(
        tmp_path,
        text,
        ("service_types: [telecom_access, isp]", "service_types: [telecom_access, isp, messaging]"),
    )
    _, report = check_json(path, cwd=tmp_path)
    (finding,) = [f for f in findings_of(report) if f["rule"] == "HRDD-LOC-004"]
    assert finding["severity"] == "high"
    assert finding["location"]["pointer"] == "/encryption"


def test_a_platform_without_user_notice_a_country_left_out_and_keys_held_in_a_not_free_country() -> None:
    text = PLATFORM.read_text("utf-8")
    code, report = check_json(PLATFORM)
    findings = findings_of(report)

    fr_market = line_in_block(text, "markets", "country: FR")
    store = line_in_block(text, "data_stores", "id: eu-central")
    requests = line_in_block(text, "government_requests", "user_data_process:")
    assert triples(findings) == {
        ("HRDD-MOD-001", "high", requests),
        ("HRDD-TRN-001", "medium", fr_market),
        ("HRDD-LOC-005", "high", store),
    }
    assert len(findings) == 3
    by_rule = {f["rule"]: f for f in findings}

    moderation = by_rule["HRDD-MOD-001"]
    assert moderation["location"]["pointer"] == "/government_requests"
    # The market serving enterprises only is in scope too, and named.
    assert "launched in DE, FR" in moderation["message"]
    assert "notify_users is not true" in moderation["message"]

    france = by_rule["HRDD-TRN-001"]
    assert france["location"]["pointer"] == "/markets/1"
    assert "FR (France)" in france["message"]
    assert "government_content" in france["message"]

    keys = by_rule["HRDD-LOC-005"]
    assert keys["location"]["pointer"] == "/data_stores/0"
    assert "keys of data store eu-central (DE)" in keys["message"]
    assert "United Arab Emirates (high risk" in keys["message"]
    assert code == 1
    assert report["summary"]["by_severity"] == {"high": 2, "medium": 1}


def test_the_platform_scenario_passes_once_fixed(tmp_path: Path) -> None:
    text = PLATFORM.read_text("utf-8")
    path = fixed(
        tmp_path,
        text,
        ("  notify_users: false\n", "  notify_users: true\n"),
        ("cadence_months: 12, countries: [DE]}", "cadence_months: 12, countries: [DE, FR]}"),
        ("key_custody_country: AE}", "key_custody_country: DE}"),
    )
    code, report = check_json(path, cwd=tmp_path)
    assert findings_of(report) == []
    assert code == 0

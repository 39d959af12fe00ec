"""The country baseline as a reader meets it: ``explain --country``, the rating sources named in findings
and in the JSON report, each source's edition judged by HRDD-FRESH-002, and laws asked about only while
they are in force."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from helpers import REPO, Harness, run_cli

from hrpolicy.evaluate.session import Session
from hrpolicy.model import ManifestResult
from hrpolicy.reports import read_report, report


def explain(code: str, tmp_path: Path, *extra: str) -> str:
    proc = run_cli("explain", "--country", code, "--today", "2026-12-03", *extra, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return " ".join(proc.stdout.split())


def test_austria_is_low_risk_from_freedom_in_the_world(tmp_path: Path) -> None:
    text = explain("AT", tmp_path)
    assert text.startswith("AT: Austria Tier: low; assessments may be 1095 days old")
    assert "Set by: Freedom in the World 2026 (Freedom House, edition 2026-03-01): Free, score 94/100" in text
    assert "Verified: compilation. Read in: FH scores table as transcribed by compilation A" in text
    assert "compilation in Freedom in the World 2026: From public transcriptions" in text
    assert "Groups: eu" in text
    assert 'not researched: no law listed means unknown, not "no law"' in text


def test_explain_lists_the_facts_as_rules_see_them(tmp_path: Path) -> None:
    text = explain("VN", tmp_path)
    facts = text.split("As rules see it ($country.NAME):", 1)[1]
    for line in (
        "- status: not_free",
        "- status_label: Not Free",
        "- tier: high",
        "- risk: high",
        "- covered: true",
        "- source_id: fotn",
        "- groups: []",
    ):
        assert line in facts
    assert '- localisation_laws: ["Law on Cybersecurity 116/2025/QH15, Art 25",' in facts
    gl = explain("GL", tmp_path).split("As rules see it", 1)[1]
    assert "- status: not_covered" in gl
    assert "- score: null" in gl
    de = explain("DE", tmp_path).split("As rules see it", 1)[1]
    assert '- groups: ["eu"]' in de


def test_both_ratings_are_shown_and_the_one_that_sets_the_tier_is_said(tmp_path: Path) -> None:
    text = explain("br", tmp_path)  # lower case is read as the code
    assert "Set by: Freedom on the Net 2025 (Freedom House, edition 2025-11-13): Partly Free" in text
    assert (
        "Also rated: Freedom in the World 2026 (Freedom House, edition 2026-03-01): Free, score 73/100"
        in text
    )


def test_an_unrated_country(tmp_path: Path) -> None:
    text = explain("GL", tmp_path)
    assert "Tier: unassessed" in text
    assert "Treated as: elevated risk (tiers.unassessed_risk)" in text
    assert "no rating: not rated by Freedom on the Net 2025 or Freedom in the World 2026" in text


def test_laws_say_whether_they_are_in_force_and_whom_they_reach(tmp_path: Path) -> None:
    vn = explain("VN", tmp_path)
    assert "Law on Cybersecurity 116/2025/QH15, Art 25:" in vn
    assert "Applies to: any product. In force on 2026-12-03 since 2026-07-01." in vn
    assert "No longer in force on 2026-12-03: until 2026-07-01" in vn
    india = explain("IN", tmp_path)
    assert "Not yet in force on 2026-12-03: from 2027-05-14" in india
    assert "Applies to: payments, banking." in india
    sa = explain("SA", tmp_path)
    assert "Kind: repealed_localisation" in sa
    assert "Related laws (transfer, retention, access, representatives; not asked about):" in sa


def test_the_policy_teams_order_is_explained(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "country-data.yaml").write_text("tiers: {combine: worst}\n", "utf-8")
    (rules / "r.yaml").write_text((REPO / "rules" / "defs.yaml").read_text("utf-8"), "utf-8")
    text = explain("UG", tmp_path, "--rules", str(rules))
    assert "Tier: high" in text
    assert "Set by: Freedom in the World 2026" in text
    assert "Also rated: Freedom on the Net 2025" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("explain", "--country", "XX"), "'XX' is not an ISO 3166-1 alpha-2 country code"),
        (("explain", "--country", "UK"), "use 'GB'"),
        (("explain",), "explain takes a RULE-ID or --country CODE (one of them)"),
        (("explain", "HRDD-MKT-001", "--country", "AT"), "explain takes a RULE-ID or --country CODE"),
    ],
)
def test_bad_explain_arguments(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    proc = run_cli(*args, cwd=tmp_path)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_the_json_report_names_the_sources_behind_the_tiers(tmp_path: Path) -> None:
    proc = run_cli(
        "check", str(REPO / "examples" / "acme-chat" / "hrpolicy.yaml"), "--today", "2026-12-03",
        "--format", "json", cwd=tmp_path,
    )  # fmt: skip
    data = json.loads(proc.stdout)
    fh = "Freedom House"
    assert data["tool"]["country_data"] == {
        "sources": [
            {"id": "fotn", "name": "Freedom on the Net 2025", "publisher": fh, "edition_date": "2025-11-13"},
            {"id": "fiw", "name": "Freedom in the World 2026", "publisher": fh, "edition_date": "2026-03-01"},
        ],
        "combine": "first",
    }
    again = read_report(data)
    assert report(again)["tool"]["country_data"] == data["tool"]["country_data"]
    # a report written before the field existed still reads
    del data["tool"]["country_data"]
    assert read_report(data).rating_sources == ()
    data["tool"]["country_data"] = {
        "sources": [{"id": 1, "name": "x", "publisher": None, "edition_date": None}]
    }
    with pytest.raises(ValueError, match="not an hrpolicy JSON report"):
        read_report(data)
    data["tool"]["country_data"] = {"sources": [], "combine": "best"}
    with pytest.raises(ValueError, match="not an hrpolicy JSON report"):
        read_report(data)


MARKET = "schema_version: 1\nproduct: {id: p, name: P}\nmarkets: [{country: DE, status: launched}]\n"


@pytest.mark.parametrize(
    ("tiers", "today", "stale"),
    [
        ("", "2027-02-13", None),  # FOTN 2025 is 15 months old on 2027-02-13, not more
        ("", "2027-02-14", "Freedom on the Net 2025"),
        ("", "2027-06-02", "Freedom on the Net 2025, Freedom in the World 2026"),
        ("tiers: {sources: [fiw]}\n", "2027-02-14", None),  # FOTN no longer sets tiers: not judged
        ("tiers: {sources: [fiw]}\n", "2027-06-01", None),
        ("tiers: {sources: [fiw]}\n", "2027-06-02", "Freedom in the World 2026"),
    ],
)
def test_each_source_is_judged_by_its_own_edition(
    tmp_path: Path, tiers: str, today: str, stale: str | None
) -> None:
    override = tmp_path / "override"
    override.mkdir()
    if tiers:
        (override / "country-data.yaml").write_text(tiers, "utf-8")
    h = Harness(
        tmp_path, None, rule_dirs=[REPO / "rules", override], today=datetime.date.fromisoformat(today)
    )
    messages = [f.message for f in h.findings(MARKET, "HRDD-FRESH-002")]
    if stale is None:
        assert messages == []
    else:
        assert messages == [
            f"country rating data from {stale} is undated or more than 15 months old on {today}; the risk "
            "tiers set from it may be out of date"
        ]


VIETNAM = "schema_version: 1\nproduct: {id: p, name: P, service_types: [social_network]}\n" \
    "markets: [{country: VN, status: planned}]\n"  # fmt: skip


@pytest.mark.parametrize(
    ("today", "law"),
    [
        ("2022-09-30", None),  # nothing in force yet
        ("2022-10-01", "Cybersecurity Law 2018 Art 26(3); Decree 53/2022/ND-CP (domestic enterprises)"),
        ("2026-06-30", "Cybersecurity Law 2018 Art 26(3); Decree 53/2022/ND-CP (domestic enterprises)"),
        ("2026-07-01", "Law on Cybersecurity 116/2025/QH15, Art 25"),
    ],
)
def test_laws_are_asked_about_only_while_in_force(tmp_path: Path, today: str, law: str | None) -> None:
    h = Harness(tmp_path, None, rule_dirs=[REPO / "rules"], today=datetime.date.fromisoformat(today))
    found = h.findings(VIETNAM, "HRDD-LOC-002")
    if law is None:
        assert found == []
    else:
        (finding,) = found
        assert f"({law} and other laws)" in finding.message or f"({law})" in finding.message


COMPANIES = sorted((REPO / "examples" / "companies").glob("*.yaml"))


@pytest.mark.parametrize("company", COMPANIES, ids=lambda p: p.stem)
def test_the_example_companies_get_no_finding_caused_by_a_missing_rating(
    company: Path, builtin_session: Session
) -> None:
    """Every country the example companies name is rated, so no finding rests on "unassessed"."""
    result = builtin_session.check(company, today=datetime.date(2026, 12, 3))
    assert isinstance(result, ManifestResult), result
    assert result.findings
    for finding in result.findings:
        assert "unassessed" not in finding.message, finding.message
        assert "not rated" not in finding.message, finding.message
    doc = yaml_safe(company)
    named = {m["country"] for m in doc["markets"]} | {s["country"] for s in doc.get("data_stores", [])}
    named |= {p["country"] for p in doc.get("partners", [])} | {e["country"] for e in doc.get("entities", [])}
    for code in named:
        assert builtin_session.countries.facts(code)["covered"], code


def test_the_social_platform_is_asked_only_about_laws_that_reach_it(builtin_session: Session) -> None:
    company = REPO / "examples" / "companies" / "social-platform.yaml"
    result = builtin_session.check(company, today=datetime.date(2026, 12, 3))
    assert isinstance(result, ManifestResult)
    asked = [f.message.split()[0] for f in result.findings if f.rule == "HRDD-LOC-002"]
    # Saudi, Nigerian, Indonesian, Kenyan and Indian laws in force name sectors a social platform is not
    # in; Turkey's is answered in the manifest; Vietnam's Law 116/2025 names none.
    assert asked == ["VN"]


def yaml_safe(path: Path) -> dict[str, Any]:
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe")
    yaml.version = (1, 2)
    return dict(yaml.load(path.read_text("utf-8")))

"""Country facts and risk tiers (hrpolicy/countries.py): the embedded Freedom on the Net data, the
riskiest-country ordering, overrides in a rules directory and from plugins."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from helpers import TODAY, Harness, line_of, manifest, rule, rule_file, write_pack

import hrpolicy
from hrpolicy.commands import check
from hrpolicy.errors import ManifestError
from hrpolicy.evaluate.countries import CountryTable, merge_data
from hrpolicy.evaluate.session import Session


@pytest.fixture(scope="module")
def table(builtin_session: Session) -> CountryTable:
    return builtin_session.countries


@pytest.mark.parametrize(
    ("code", "tier", "risk", "max_age", "status", "covered"),
    [
        ("VN", "high", "high", 365, "not_free", True),
        ("CN", "high", "high", 365, "not_free", True),
        ("TR", "high", "high", 365, "not_free", True),
        ("BR", "elevated", "elevated", 730, "partly_free", True),
        ("SG", "elevated", "elevated", 730, "partly_free", True),
        ("DE", "low", "low", 1095, "free", True),
        ("SE", "unassessed", "elevated", 730, "not_covered", False),
        ("NO", "unassessed", "elevated", 730, "not_covered", False),
    ],
)
def test_tiers_from_the_embedded_data(
    table: CountryTable, code: str, tier: str, risk: str, max_age: int, status: str, covered: bool
) -> None:
    facts = table.facts(code)
    assert (facts["code"], facts["tier"], facts["risk"], facts["max_age_days"]) == (code, tier, risk, max_age)
    assert (facts["status"], facts["covered"]) == (status, covered)
    assert isinstance(facts["score"], int) is covered


def test_names_scores_groups_and_laws(table: CountryTable) -> None:
    vn = table.facts("VN")
    assert (vn["name"], vn["score"], vn["status_label"]) == ("Vietnam", 22, "Not Free")
    assert any("Decree 53/2022" in law for law in vn["localisation_laws"])
    assert table.facts("DE")["localisation_laws"] == []
    se = table.facts("SE")
    assert (se["name"], se["score"], se["status_label"]) == ("Sweden", None, "not covered by the data set")
    assert "eu" in se["groups"]
    assert "eu" in table.facts("DE")["groups"]
    assert "eu" not in vn["groups"]
    assert table.dataset["edition_date"] == "2025-11-13"


def test_no_country(table: CountryTable) -> None:
    none = table.unknown()
    assert (none["code"], none["tier"], none["risk"], none["max_age_days"]) == (
        None,
        "unassessed",
        "elevated",
        730,
    )


@pytest.mark.parametrize(
    ("codes", "worst"),
    [
        (["DE", "BR", "VN"], "VN"),  # high before elevated before low
        (["VN", "BR", "DE"], "VN"),  # order does not matter
        (["DE", "BR"], "BR"),
        (["DE", "SE"], "SE"),  # unassessed counts as elevated ...
        (["SE", "BR"], "BR"),  # ... but an assessed elevated country comes first
        (["BR", "SE"], "BR"),
        (["TR", "CN", "VN"], "CN"),  # same tier: the lower score (less free) is riskier
        (["SG", "BR"], "SG"),  # SG 53 < BR 65
        (["DE"], "DE"),
        ([], None),
        ([None, 5, "DE"], "DE"),  # non-codes are skipped
    ],
)
def test_worst_ordering(table: CountryTable, codes: list[Any], worst: str | None) -> None:
    assert table.worst(codes) == worst


def test_worst_is_deterministic_for_unassessed_ties(table: CountryTable) -> None:
    assert table.worst(["SE", "NO"]) == table.worst(["NO", "SE"])


def test_merge_data_layers() -> None:
    merged = merge_data(
        [
            {
                "countries": {"DE": {"name": "Germany", "fotn": {"score": 74, "status": "free"}}},
                "tiers": {"max_age_days": {"high": 365, "low": 1095}},
            },
            {
                "countries": {"DE": {"fotn": {"score": 30, "status": "not_free"}}},
                "tiers": {"max_age_days": {"low": 500}},
            },
        ]
    )
    assert merged["countries"]["DE"] == {"name": "Germany", "fotn": {"score": 30, "status": "not_free"}}
    assert merged["tiers"]["max_age_days"] == {"high": 365, "low": 500}


PACK = rule_file(
    rule(
        "HRDD-TST-001",
        "for_each: markets\nwhen: {status: {present: true}}\nmessage: '{item.country} {country.tier} "
        "{country.risk} {country.max_age_days}'",
        meta="severity_in_high_risk: critical",
    ),
    rule("HRDD-TST-002", "for_each: features\nwhen: {id: {present: true}}\nmessage: '{country.code}'"),
)
MARKETS = (
    "markets:\n  - {country: DE, status: launched}\n  - {country: SE, status: launched}\n"
    "  - {country: BR, status: launched}\nfeatures: [{id: f}]\n"
)


def results(tmp_path: Path, overrides: str | None) -> dict[str, tuple[str, str]]:
    """Market country (or "feature") -> (message, severity)."""
    files = {"t.yaml": PACK}
    if overrides is not None:
        files["country-data.yaml"] = overrides
    found = Harness(tmp_path, files).findings(manifest(MARKETS))
    return {
        (f.message.split()[0] if f.rule == "HRDD-TST-001" else "feature"): (f.message, f.severity)
        for f in found
    }


def test_defaults_without_an_override(tmp_path: Path) -> None:
    assert results(tmp_path, None) == {
        "DE": ("DE low low 1095", "high"),
        "SE": ("SE unassessed elevated 730", "high"),
        "BR": ("BR elevated elevated 730", "high"),
        "feature": ("BR", "high"),  # the riskiest active market: assessed BR before unassessed SE
    }


def test_override_a_country_status(tmp_path: Path) -> None:
    data = "countries:\n  DE:\n    fotn: {score: 35, status: not_free, verified: override}\n"
    assert results(tmp_path, data) == {
        "DE": ("DE high high 365", "critical"),
        "SE": ("SE unassessed elevated 730", "high"),
        "BR": ("BR elevated elevated 730", "high"),
        "feature": ("DE", "high"),
    }


def test_override_adds_a_country_the_data_set_does_not_cover(tmp_path: Path) -> None:
    data = (
        "countries:\n  BR:\n    fotn: {score: 85, status: free, verified: override}\n"
        "  SE:\n    fotn: {score: 45, status: partly_free, verified: override}\n"
    )
    assert results(tmp_path, data) == {
        "DE": ("DE low low 1095", "high"),
        "SE": ("SE elevated elevated 730", "high"),
        "BR": ("BR low low 1095", "high"),
        "feature": ("SE", "high"),
    }


def test_override_unassessed_risk(tmp_path: Path) -> None:
    default = Harness(tmp_path / "a", {"t.yaml": PACK}).findings(manifest(MARKETS), "HRDD-TST-002")
    assert [f.message for f in default] == ["BR"]
    data = "tiers:\n  unassessed_risk: high\n"
    h = Harness(tmp_path / "b", {"t.yaml": PACK, "country-data.yaml": data})
    assert [f.message for f in h.findings(manifest(MARKETS), "HRDD-TST-002")] == ["SE"]
    se = h.session.countries.facts("SE")
    assert (se["tier"], se["risk"]) == ("unassessed", "high")
    # still never escalated by severity_in_high_risk: the tier is unassessed, not high
    (market,) = [f for f in h.findings(manifest(MARKETS), "HRDD-TST-001") if f.message.startswith("SE")]
    assert (market.message, market.severity) == ("SE unassessed high 730", "high")


def test_override_max_ages(tmp_path: Path) -> None:
    data = "tiers:\n  max_age_days: {low: 400, unassessed: 200}\n"
    h = Harness(tmp_path, {"t.yaml": PACK, "country-data.yaml": data})
    msgs = sorted(f.message for f in h.findings(manifest(MARKETS), "HRDD-TST-001"))
    assert msgs == ["BR elevated elevated 730", "DE low low 400", "SE unassessed elevated 200"]


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ("countries:\n  DE:\n    fotn: {score: 35, status: nearly_free}\n", "nearly_free"),
        ("countries:\n  DE:\n    fotn: {score: 95, status: not_free}\n", "{score: 95"),
        ("countries:\n  XX:\n    name: Nowhere\n", "name: Nowhere"),
        ("tiers:\n  unassessed_risk: extreme\n", "extreme"),
        ("tiers:\n  max_age_days: {high: 0}\n", "0}"),
        ("countries:\n  DE: {fotn: {score: 35, status: not_free}\n", "\n"),
        ("countries: [DE]\n", "[DE]"),
    ],
)
def test_bad_override_file_is_an_error_with_file_and_line(tmp_path: Path, data: str, needle: str) -> None:
    rules = write_pack(tmp_path / "rules", {"t.yaml": PACK, "country-data.yaml": data})
    path = tmp_path / "hrpolicy.yaml"
    path.write_text(manifest(MARKETS), encoding="utf-8")
    with pytest.raises(ManifestError) as info:
        check.run(
            [str(path)],
            rules=[str(rules)],
            today=TODAY,
            autoload=False,
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    err = info.value
    assert err.path == str(rules / "country-data.yaml")
    if needle != "\n":
        assert err.line == line_of(data, needle)
    else:
        assert err.line is not None
    assert "\n" not in str(err)


class CountryDataPlugin:
    def __init__(self, path: Path):
        self.path = path

    @hrpolicy.hookimpl
    def hrpolicy_country_data_files(self) -> list[Path]:
        return [self.path]


def test_plugin_country_data_is_merged_below_the_rules_dir_override(tmp_path: Path) -> None:
    plugin_file = tmp_path / "plugin-data.yaml"
    plugin_file.write_text(
        "countries:\n  DE: {fotn: {score: 35, status: not_free}}\n  BR: {fotn: {score: 85, status: free}}\n",
        encoding="utf-8",
    )
    override = "countries:\n  BR: {fotn: {score: 50, status: partly_free}}\n"
    h = Harness(
        tmp_path, {"t.yaml": PACK, "country-data.yaml": override}, plugins=[CountryDataPlugin(plugin_file)]
    )
    assert h.session.countries.facts("DE")["tier"] == "high"  # the plugin's file beats the embedded data
    assert h.session.countries.facts("BR")["tier"] == "elevated"  # the rules dir beats the plugin
    assert h.session.countries.facts("BR")["score"] == 50


def test_country_facts_are_computed_once_per_code(tmp_path: Path) -> None:
    calls: list[str] = []

    class Counting:
        @hrpolicy.hookimpl
        def hrpolicy_country_facts(self, country: str, facts: Any) -> None:
            calls.append(country)

    h = Harness(tmp_path, {"t.yaml": PACK}, plugins=[Counting()])
    for _ in range(3):
        h.findings(manifest(MARKETS))
    assert sorted(calls) == sorted(set(calls))
    assert {"DE", "SE", "BR"} <= set(calls)

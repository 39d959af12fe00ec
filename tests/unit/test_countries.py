"""Country facts and risk tiers (hrpolicy/evaluate/countries.py): the embedded Freedom on the Net and
Freedom in the World data, the order of the sources, the riskiest-country ordering, overrides in a rules
directory and from plugins, and the scope words a manifest reaches."""

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
        ("SE", "low", "low", 1095, "free", True),
        ("NO", "low", "low", 1095, "free", True),
        ("AT", "low", "low", 1095, "free", True),
        ("HU", "elevated", "elevated", 730, "partly_free", True),
        ("QA", "high", "high", 365, "not_free", True),
        ("HK", "elevated", "elevated", 730, "partly_free", True),
        ("GL", "unassessed", "elevated", 730, "not_covered", False),
        ("PR", "unassessed", "elevated", 730, "not_covered", False),
    ],
)
def test_tiers_from_the_embedded_data(
    table: CountryTable, code: str, tier: str, risk: str, max_age: int, status: str, covered: bool
) -> None:
    facts = table.facts(code)
    assert (facts["code"], facts["tier"], facts["risk"], facts["max_age_days"]) == (code, tier, risk, max_age)
    assert (facts["status"], facts["covered"]) == (status, covered)
    assert isinstance(facts["score"], int) is covered


@pytest.mark.parametrize(
    ("code", "source", "verified", "rating"),
    [
        ("VN", "Freedom on the Net 2025", "press", "high risk: Not Free in Freedom on the Net 2025"),
        ("AT", "Freedom in the World 2026", "compilation", "low risk: Free in Freedom in the World 2026"),
        ("LI", "Freedom in the World 2026", "fh_page", "low risk: Free in Freedom in the World 2026"),
        # Freedom on the Net rates Brazil Partly Free, Freedom in the World Free: FOTN comes first.
        ("BR", "Freedom on the Net 2025", "press", "elevated risk: Partly Free in Freedom on the Net 2025"),
        (
            "GL",
            None,
            None,
            "unassessed: not rated by Freedom on the Net 2025 or Freedom in the World 2026 "
            "(treated as elevated risk)",
        ),
    ],
)
def test_every_country_says_which_source_set_its_tier(
    table: CountryTable, code: str, source: str | None, verified: str | None, rating: str
) -> None:
    facts = table.facts(code)
    assert (facts["source"], facts["verified"], facts["rating"]) == (source, verified, rating)
    assert facts["source_id"] == {None: None, "Freedom on the Net 2025": "fotn"}.get(source, "fiw")


def test_ratings_of_both_sources_are_kept(table: CountryTable) -> None:
    br = table.facts("BR")["ratings"]
    assert br["fotn"]["status"] == "partly_free"
    assert (br["fiw"]["status"], br["fiw"]["score"], br["fiw"]["source"]) == (
        "free",
        73,
        "Freedom in the World 2026",
    )
    assert set(table.facts("AT")["ratings"]) == {"fiw"}
    assert table.facts("GL")["ratings"] == {}


def test_names_scores_groups_and_laws(table: CountryTable) -> None:
    vn = table.facts("VN")
    assert (vn["name"], vn["score"], vn["status_label"]) == ("Vietnam", 22, "Not Free")
    assert any("Decree 53/2022" in law for law in vn["localisation_laws"])
    assert table.facts("DE")["localisation_laws"] == []
    se = table.facts("SE")
    assert (se["name"], se["score"], se["status_label"]) == ("Sweden", 99, "Free")
    gl = table.facts("GL")
    assert (gl["name"], gl["score"], gl["status_label"]) == ("Greenland", None, "not rated")
    assert "eu" in se["groups"]
    assert "eu" in table.facts("DE")["groups"]
    assert "eu" not in vn["groups"]
    # $dataset: the first source's fields, and every source in tier order
    assert table.dataset["edition_date"] == "2025-11-13"
    assert [(s["id"], s["edition_date"]) for s in table.dataset["sources"]] == [
        ("fotn", "2025-11-13"),
        ("fiw", "2026-03-01"),
    ]


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
        (["DE", "GL"], "GL"),  # unassessed counts as elevated ...
        (["GL", "BR"], "BR"),  # ... but an assessed elevated country comes first
        (["BR", "GL"], "BR"),
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
    assert table.worst(["GL", "PR"]) == table.worst(["PR", "GL"])


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
    "markets:\n  - {country: DE, status: launched}\n  - {country: GL, status: launched}\n"
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
        "GL": ("GL unassessed elevated 730", "high"),
        "BR": ("BR elevated elevated 730", "high"),
        "feature": ("BR", "high"),  # the riskiest active market: assessed BR before unassessed GL
    }


def test_override_a_country_status(tmp_path: Path) -> None:
    data = "countries:\n  DE:\n    fotn: {score: 35, status: not_free, verified: override}\n"
    assert results(tmp_path, data) == {
        "DE": ("DE high high 365", "critical"),
        "GL": ("GL unassessed elevated 730", "high"),
        "BR": ("BR elevated elevated 730", "high"),
        "feature": ("DE", "high"),
    }


def test_override_adds_a_country_the_data_set_does_not_cover(tmp_path: Path) -> None:
    data = (
        "countries:\n  BR:\n    fotn: {score: 85, status: free, verified: override}\n"
        "  GL:\n    fotn: {score: 45, status: partly_free, verified: override}\n"
    )
    assert results(tmp_path, data) == {
        "DE": ("DE low low 1095", "high"),
        "GL": ("GL elevated elevated 730", "high"),
        "BR": ("BR low low 1095", "high"),
        "feature": ("GL", "high"),
    }


def test_override_unassessed_risk(tmp_path: Path) -> None:
    default = Harness(tmp_path / "a", {"t.yaml": PACK}).findings(manifest(MARKETS), "HRDD-TST-002")
    assert [f.message for f in default] == ["BR"]
    data = "tiers:\n  unassessed_risk: high\n"
    h = Harness(tmp_path / "b", {"t.yaml": PACK, "country-data.yaml": data})
    assert [f.message for f in h.findings(manifest(MARKETS), "HRDD-TST-002")] == ["GL"]
    se = h.session.countries.facts("GL")
    assert (se["tier"], se["risk"]) == ("unassessed", "high")
    # still never escalated by severity_in_high_risk: the tier is unassessed, not high
    (market,) = [f for f in h.findings(manifest(MARKETS), "HRDD-TST-001") if f.message.startswith("GL")]
    assert (market.message, market.severity) == ("GL unassessed high 730", "high")


def test_override_max_ages(tmp_path: Path) -> None:
    data = "tiers:\n  max_age_days: {low: 400, unassessed: 200}\n"
    h = Harness(tmp_path, {"t.yaml": PACK, "country-data.yaml": data})
    msgs = sorted(f.message for f in h.findings(manifest(MARKETS), "HRDD-TST-001"))
    assert msgs == ["BR elevated elevated 730", "DE low low 400", "GL unassessed elevated 200"]


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
    assert {"DE", "GL", "BR"} <= set(calls)


# --- the order of the rating sources ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tiers", "expected"),
    [
        # default: Freedom on the Net first, Freedom in the World for the rest
        ("", {"BR": "elevated", "PK": "high", "AT": "low", "GL": "unassessed"}),
        # Freedom in the World first
        ("sources: [fiw, fotn]", {"BR": "low", "PK": "elevated", "AT": "low", "GL": "unassessed"}),
        # Freedom on the Net only: the tiers before Freedom in the World was added
        ("sources: [fotn]", {"BR": "elevated", "PK": "high", "AT": "unassessed", "GL": "unassessed"}),
        # the worse of the two
        ("combine: worst", {"BR": "elevated", "PK": "high", "AT": "low", "GL": "unassessed"}),
        ("{sources: [fiw, fotn], combine: worst}", {"BR": "elevated", "PK": "high", "AT": "low"}),
    ],
)
def test_tier_order_is_configurable(tmp_path: Path, tiers: str, expected: dict[str, str]) -> None:
    data = f"tiers: {tiers}\n" if tiers.startswith("{") else f"tiers:\n  {tiers}\n" if tiers else ""
    h = Harness(tmp_path, {"t.yaml": PACK, "country-data.yaml": data} if data else {"t.yaml": PACK})
    got = {code: h.session.countries.facts(code)["tier"] for code in expected}
    assert got == expected


def test_the_worse_source_is_named(tmp_path: Path) -> None:
    h = Harness(tmp_path, {"t.yaml": PACK, "country-data.yaml": "tiers:\n  combine: worst\n"})
    ug = h.session.countries.facts("UG")  # Partly Free on the Net, Not Free in the World
    assert (ug["tier"], ug["source"], ug["status_label"]) == ("high", "Freedom in the World 2026", "Not Free")
    # ties go to the earlier source
    assert h.session.countries.facts("DE")["source"] == "Freedom on the Net 2025"


def test_the_older_dataset_section_still_sets_freedom_on_the_net(tmp_path: Path) -> None:
    data = 'dataset:\n  name: "Freedom on the Net 2026"\n  edition_date: "2026-10-30"\n'
    h = Harness(tmp_path, {"t.yaml": PACK, "country-data.yaml": data})
    countries = h.session.countries
    assert countries.dataset["name"] == "Freedom on the Net 2026"
    fotn = countries.dataset["sources"][0]
    assert (fotn["id"], fotn["edition_date"], fotn["publisher"]) == ("fotn", "2026-10-30", "Freedom House")
    assert countries.facts("VN")["rating"] == "high risk: Not Free in Freedom on the Net 2026"


def test_an_override_can_replace_a_fiw_row(tmp_path: Path) -> None:
    data = "countries:\n  AT:\n    fiw: {score: 50, status: partly_free, verified: override, source: BHR-7}\n"
    h = Harness(tmp_path, {"t.yaml": PACK, "country-data.yaml": data})
    at = h.session.countries.facts("AT")
    assert (at["tier"], at["verified"], at["name"]) == ("elevated", "override", "Austria")


# --- scopes -------------------------------------------------------------------------------------------------


def test_scopes_reached_from_every_kind_of_manifest_fact(table: CountryTable) -> None:
    doc = {
        "product": {"service_types": ["payments"], "customers": ["government"], "sectors": ["insurance"]},
        "features": [{"id": "f", "tags": ["calls"]}],
        "data_stores": [{"id": "s", "country": "DE", "data_categories": ["personal"]}],
    }
    reached = table.scopes_reached(doc)
    assert {"payments", "public_sector", "state_interest_processing", "insurance", "calls"} <= set(reached)
    assert "banking" not in reached
    assert table.scopes_reached({"product": {"id": "x", "name": "x"}}) == []
    assert table.scopes_reached({"product": "not a mapping", "features": "nor a list"}) == []


@pytest.mark.parametrize(
    ("data", "needle", "message"),
    [
        (
            "countries:\n  DE:\n    localisation_researched: true\n    localisation:\n"
            "      - {law: X, requirement: Y, confidence: read, applies_to: [fishing]}\n",
            "fishing",
            "scope word 'fishing' is not defined under scopes",
        ),
        (
            "scopes:\n  fishing:\n    description: Fishing fleets.\n    reached_by: {sectors: [fishing]}\n",
            "[fishing]",
            "'fishing' is not a value of sectors in a manifest",
        ),
    ],
)
def test_scope_problems_name_the_file_and_line(tmp_path: Path, data: str, needle: str, message: str) -> None:
    with pytest.raises(ManifestError) as info:
        Harness(tmp_path, {"t.yaml": PACK, "country-data.yaml": data})
    err = info.value
    assert err.path is not None
    assert err.path.endswith("country-data.yaml")
    assert err.line == line_of(data, needle)
    assert message in err.message


def test_an_undated_rating_source_is_out_of_date(builtin_session: Session) -> None:
    """HRDD-FRESH-002 counts a source without an edition date as out of date (here a data set whose only
    source, Freedom in the World, names no edition)."""
    import datetime

    from hrpolicy.evaluate.engine import evaluate

    data = {"sources": {"fiw": {"name": "Freedom in the World (own copy)"}}, "tiers": {"sources": ["fiw"]}}
    table = CountryTable(data, lambda code, facts: dict(facts))
    doc = {"schema_version": 1, "product": {"id": "p", "name": "P"}, "markets": []}
    found = [
        f.message
        for f in evaluate(
            builtin_session.pack,
            doc,
            manifest_path="m.yaml",
            base=None,
            today=datetime.date(2026, 12, 3),
            countries=table,
        )
        if f.rule == "HRDD-FRESH-002"
    ]
    assert found == [
        "country rating data from Freedom in the World (own copy) is undated or more than 15 months old on "
        "2026-12-03; the risk tiers set from it may be out of date"
    ]

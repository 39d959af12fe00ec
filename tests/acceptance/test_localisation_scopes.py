"""HRDD-LOC-002 asks about a localisation law only where the law's ``applies_to`` scope can reach the
product: every scope word of the shipped country data, tested both ways through the shipped rule pack.

Each word gets a law of its own in a country no shipped file has laws for (an override ``country-data.yaml``
next to the built-in pack). A manifest with any one value listed under the word's ``reached_by`` is asked
about that law; a manifest with every other value the manifest schema allows is not.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import REPO, Harness

from hrpolicy.evaluate.countries import merge_data
from hrpolicy.evaluate.session import Session, manifest_values
from hrpolicy.load.yaml import load_source

# Territories no rating source and no law entry covers: one per scope word.
SPARE_CODES = [
    "AI",
    "AS",
    "AW",
    "BM",
    "CK",
    "CW",
    "FK",
    "FO",
    "GF",
    "GG",
    "GI",
    "GL",
    "GP",
    "GU",
    "IM",
    "JE",
    "KY",
    "MO",
    "MP",
    "MQ",
    "MS",
    "NC",
    "NF",
    "NU",
    "PF",
    "PM",
    "PN",
    "PR",
    "RE",
    "SH",
    "SX",
    "TC",
    "VG",
    "VI",
    "WF",
    "YT",
]


def shipped_data() -> dict[str, Any]:
    """The embedded country data files, merged as a session merges them."""
    return merge_data(
        load_source(p.read_bytes(), str(p)).data for p in sorted((REPO / "plugins").glob("*.yaml"))
    )


DATA = shipped_data()


def used_words(section: str) -> set[str]:
    return {
        word
        for entry in DATA["countries"].values()
        for law in entry.get(section) or ()
        for word in law.get("applies_to", ())
    }


@pytest.fixture(scope="module")
def words(builtin_session: Session) -> dict[str, Any]:
    assert builtin_session.countries.scope_words == DATA["scopes"]
    return dict(DATA["scopes"])


@pytest.fixture(scope="module")
def harness(
    tmp_path_factory: pytest.TempPathFactory, words: dict[str, Any]
) -> tuple[Harness, dict[str, str]]:
    assert len(words) <= len(SPARE_CODES)
    code_of = dict(zip(sorted(words), SPARE_CODES, strict=False))
    countries = {
        code: {
            "localisation_researched": True,
            "localisation": [
                {"law": f"Test law for {word}", "requirement": "Store data here.", "confidence": "read",
                 "applies_to": [word]}
            ],
        }
        for word, code in code_of.items()
    }  # fmt: skip
    root = tmp_path_factory.mktemp("scopes")
    override = root / "override"
    override.mkdir()
    (override / "country-data.yaml").write_text(json.dumps({"countries": countries}), encoding="utf-8")
    h = Harness(root, None, rule_dirs=[REPO / "rules", override])
    return h, code_of


def manifest_with(code: str, facts: dict[str, list[str]]) -> str:
    product: dict[str, Any] = {"id": "p", "name": "P"}
    doc: dict[str, Any] = {
        "schema_version": 1,
        "product": product,
        "markets": [{"country": code, "status": "launched"}],
    }
    for key, values in facts.items():
        if not values:
            continue
        if key == "feature_tags":
            doc["features"] = [{"id": "f", "tags": values}]
        elif key == "data_categories":
            doc["data_stores"] = [{"id": "s", "country": "DE", "data_categories": values}]
        else:
            product[key] = values
    return json.dumps(doc)


def asked(harness: tuple[Harness, dict[str, str]], word: str, facts: dict[str, list[str]]) -> list[str]:
    h, code_of = harness
    found = h.findings(manifest_with(code_of[word], facts), "HRDD-LOC-002")
    return [f.message for f in found]


def test_every_defined_word_is_used_and_every_used_word_defined(words: dict[str, Any]) -> None:
    assert used_words("localisation") <= set(words)
    assert set(words) == used_words("localisation") | used_words("other_laws")


def reach_cases() -> list[tuple[str, str, str]]:
    return [
        (word, key, value)
        for word, spec in sorted(DATA["scopes"].items())
        for key, values in spec["reached_by"].items()
        for value in values
    ]


@pytest.mark.parametrize(("word", "key", "value"), reach_cases())
def test_one_listed_fact_is_enough_to_be_asked(
    harness: tuple[Harness, dict[str, str]], word: str, key: str, value: str
) -> None:
    (message,) = asked(harness, word, {key: [value]})
    assert f"Test law for {word}" in message


@pytest.mark.parametrize("word", sorted({case[0] for case in reach_cases()}))
def test_every_other_fact_is_not_asked(
    harness: tuple[Harness, dict[str, str]], words: dict[str, Any], word: str
) -> None:
    reached_by = words[word]["reached_by"]
    others = {
        key: sorted(allowed - set(reached_by.get(key, ()))) for key, allowed in manifest_values().items()
    }
    assert asked(harness, word, others) == []
    assert asked(harness, word, {}) == []


def test_a_law_without_a_scope_reaches_every_product(tmp_path: Path) -> None:
    override = tmp_path / "override"
    override.mkdir()
    data = {"countries": {"GL": {"localisation_researched": True, "localisation": [
        {"law": "Everyone's law", "requirement": "Store data here.", "confidence": "read"}]}}}  # fmt: skip
    (override / "country-data.yaml").write_text(json.dumps(data), encoding="utf-8")
    h = Harness(tmp_path, None, rule_dirs=[REPO / "rules", override])
    (finding,) = h.findings(manifest_with("GL", {}), "HRDD-LOC-002")
    assert "Everyone's law" in finding.message


def word_reached_by(key: str) -> tuple[str, str]:
    """A scope word reached by one value of ``key`` (and the value)."""
    return next((word, value) for word, k, value in reach_cases() if k == key)


def test_a_market_is_asked_only_about_laws_reaching_the_customers_it_serves(
    harness: tuple[Harness, dict[str, str]],
) -> None:
    word, customer = word_reached_by("customers")
    code = harness[1][word]
    doc = json.loads(manifest_with(code, {"customers": [customer]}))
    assert len(harness[0].findings(json.dumps(doc), "HRDD-LOC-002")) == 1
    # The market serves other customers only: the law cannot reach the product there.
    others = sorted(
        set(manifest_values()["customers"]) - set(DATA["scopes"][word]["reached_by"]["customers"])
    )
    doc["markets"][0]["customers"] = others
    assert harness[0].findings(json.dumps(doc), "HRDD-LOC-002") == []
    doc["markets"][0]["customers"] = [customer]
    assert len(harness[0].findings(json.dumps(doc), "HRDD-LOC-002")) == 1


def test_a_market_is_asked_only_about_laws_reaching_the_features_offered_there(
    harness: tuple[Harness, dict[str, str]],
) -> None:
    word, tag = word_reached_by("feature_tags")
    code = harness[1][word]
    doc = json.loads(manifest_with(code, {"feature_tags": [tag]}))
    doc["features"].append({"id": "plain", "tags": []})
    assert len(harness[0].findings(json.dumps(doc), "HRDD-LOC-002")) == 1
    doc["markets"][0]["features"] = ["plain"]
    assert harness[0].findings(json.dumps(doc), "HRDD-LOC-002") == []
    doc["markets"][0]["features"] = ["plain", "f"]
    assert len(harness[0].findings(json.dumps(doc), "HRDD-LOC-002")) == 1
    # Another market's own list does not change what this one reaches.
    doc["markets"][0].pop("features")
    doc["markets"].append({"country": "DE", "status": "launched", "features": ["plain"]})
    assert len(harness[0].findings(json.dumps(doc), "HRDD-LOC-002")) == 1


def test_a_market_reaches_the_scopes_of_its_own_capabilities() -> None:
    """No shipped scope word is reached by a capability yet, so this uses a scopes table of its own."""
    from hrpolicy.evaluate.countries import CountryTable

    data = {
        "scopes": {"interception": {"covers": "LI", "reached_by": {"capabilities": ["lawful_intercept"]}}}
    }
    table = CountryTable(data, lambda code, facts: dict(facts))
    market = {"country": "KE"}
    doc: dict[str, Any] = {"product": {"capabilities": ["lawful_intercept"]}, "markets": [market]}
    assert table.scopes_reached(doc) == ["interception"]
    assert table.scopes_reached(doc, market) == ["interception"]
    assert table.scopes_reached(doc, {"country": "KE", "capabilities": []}) == []
    assert table.scopes_reached({"product": {}}, {"country": "KE", "capabilities": ["lawful_intercept"]}) == [
        "interception"
    ]

"""The embedded country data (plugins/country_risk.yaml) and its schema (country-data.schema.json)."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema
import pycountry
import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
DATA_FILE = ROOT / "plugins" / "country_risk.yaml"
SCHEMA_FILE = ROOT / "hrpolicy" / "schemas" / "country-data.schema.json"
SOURCE_TABLE = ROOT.parent / "shared" / "domain" / "country_risk.md"

# Keywords the in-house validator understands; anything else must not appear in the schema.
SUPPORTED_KEYWORDS = {
    "$schema", "$id", "$defs", "$ref", "$comment", "title", "description", "examples", "default",
    "type", "enum", "const", "properties", "required", "additionalProperties", "patternProperties",
    "propertyNames", "items", "minItems", "uniqueItems", "minLength", "maxLength", "pattern", "format",
    "minimum", "maximum", "anyOf", "oneOf", "allOf", "not", "if", "then", "else",
}  # fmt: skip
SUPPORTED_FORMATS = {"date", "country-code", "uri"}

LOCALISATION_COUNTRIES = {"BD", "CN", "FR", "ID", "IN", "KE", "KZ", "NG", "RU", "SA", "TR", "VN"}
EU_ROWS = {"DE", "EE", "HU", "IT", "NL"}
#: Countries the localisation research of 2026-12-03 covered (../shared/domain/localisation_2026.md).
RESEARCHED_2026 = {
    "BD",
    "CN",
    "DE",
    "EG",
    "ET",
    "FR",
    "ID",
    "IN",
    "KE",
    "KZ",
    "MM",
    "NG",
    "PK",
    "RU",
    "SA",
    "TR",
    "VN",
}
BANDS = {"free": (70, 100), "partly_free": (40, 69), "not_free": (0, 39)}


def load_yaml(text: str) -> Any:
    yaml = YAML(typ="safe")
    yaml.version = (1, 2)
    return yaml.load(text)


def is_country_code(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return re.fullmatch(r"[A-Z]{2}", value) is not None and pycountry.countries.get(alpha_2=value) is not None


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return dict(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    checker = jsonschema.FormatChecker()
    checker.checks("country-code")(is_country_code)
    return jsonschema.Draft202012Validator(schema, format_checker=checker)


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    return dict(load_yaml(DATA_FILE.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def covered(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {code: row["fotn"] for code, row in data["countries"].items() if row["fotn"] is not None}


def subschemas(node: Any, path: str = "#") -> list[tuple[str, dict[str, Any]]]:
    """Every schema object inside ``node`` (not the values of enum/const/default/examples)."""
    if not isinstance(node, dict):
        return []
    found = [(path, node)]
    for key in ("properties", "patternProperties", "$defs"):
        for name, sub in node.get(key, {}).items():
            found += subschemas(sub, f"{path}/{key}/{name}")
    for key in ("items", "propertyNames", "additionalProperties", "not", "if", "then", "else"):
        if isinstance(node.get(key), dict):
            found += subschemas(node[key], f"{path}/{key}")
    for key in ("anyOf", "oneOf", "allOf"):
        for i, sub in enumerate(node.get(key, [])):
            found += subschemas(sub, f"{path}/{key}/{i}")
    return found


# --- the schema ---------------------------------------------------------------------------------------------


def test_schema_is_valid_draft_2020_12(schema: dict[str, Any]) -> None:
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_schema_uses_only_supported_keywords_and_formats(schema: dict[str, Any]) -> None:
    for path, sub in subschemas(schema):
        assert set(sub) <= SUPPORTED_KEYWORDS, f"{path}: {set(sub) - SUPPORTED_KEYWORDS}"
        if "format" in sub:
            assert sub["format"] in SUPPORTED_FORMATS, path


def test_schema_objects_are_closed_and_properties_described(schema: dict[str, Any]) -> None:
    for path, sub in subschemas(schema):
        if sub.get("type") == "object":
            assert "additionalProperties" in sub, f"{path} must say additionalProperties"
        for name, prop in sub.get("properties", {}).items():
            if "/if" in path or "/then" in path:
                continue  # conditional refinements repeat a property already described
            assert prop.get("description"), f"{path}/properties/{name} has no description"


# --- the default data validates -----------------------------------------------------------------------------


def test_default_data_validates(validator: jsonschema.Draft202012Validator, data: dict[str, Any]) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]
    assert errors == []


def test_dates_stay_strings(data: dict[str, Any]) -> None:
    dataset = data["sources"]["fotn"]
    assert dataset["edition_date"] == "2025-11-13"
    assert dataset["coverage_period"] == {"start": "2024-06-01", "end": "2025-05-31"}
    for row in data["countries"].values():
        for law in row.get("localisation", []) + row.get("other_laws", []):
            assert isinstance(law.get("in_force_from", ""), str)


def test_dataset_attribution(data: dict[str, Any]) -> None:
    assert "dataset" not in data  # the older name of sources.fotn, still accepted in overrides
    dataset = data["sources"]["fotn"]
    assert dataset["name"] == "Freedom on the Net 2025"
    assert dataset["publisher"] == "Freedom House"
    assert dataset["countries_covered"] == 72
    assert dataset["status_bands"] == {"free": "70-100", "partly_free": "40-69", "not_free": "0-39"}
    assert set(dataset["verification"]) >= {"fh_page", "press", "compilation"}
    assert "not verified" in dataset["licence_note"].lower()


def test_tiers_follow_spec(data: dict[str, Any]) -> None:
    tiers = data["tiers"]
    assert tiers["by_status"] == {"not_free": "high", "partly_free": "elevated", "free": "low"}
    assert (tiers["sources"], tiers["combine"]) == (["fotn", "fiw"], "first")
    assert tiers["unassessed_risk"] == "elevated"
    assert tiers["max_age_days"] == {"high": 365, "elevated": 730, "low": 1095, "unassessed": 730}


def test_country_keys_are_sorted_valid_codes(data: dict[str, Any]) -> None:
    codes = list(data["countries"])
    assert codes == sorted(codes)
    for code in codes:
        assert is_country_code(code), code


# --- counts and internal consistency ------------------------------------------------------------------------


def test_row_counts(data: dict[str, Any], covered: dict[str, dict[str, Any]]) -> None:
    assert len(covered) == 72 == data["sources"]["fotn"]["countries_covered"]
    assert Counter(f["verified"] for f in covered.values()) == {"fh_page": 51, "press": 15, "compilation": 6}
    assert Counter(f["status"] for f in covered.values()) == {"free": 18, "partly_free": 32, "not_free": 22}
    compiled = {code for code, f in covered.items() if f["verified"] == "compilation"}
    assert compiled == {"AM", "CR", "EG", "GB", "MA", "UG"}


def test_status_agrees_with_score_band(covered: dict[str, dict[str, Any]]) -> None:
    for code, fotn in covered.items():
        low, high = BANDS[fotn["status"]]
        assert low <= fotn["score"] <= high, code


def test_sub_scores_add_up(covered: dict[str, dict[str, Any]]) -> None:
    with_subscores = 0
    for code, fotn in covered.items():
        given = [k for k in ("a", "b", "c") if k in fotn]
        if given:
            assert given == ["a", "b", "c"], f"{code}: partial sub-scores"
            assert fotn["a"] + fotn["b"] + fotn["c"] == fotn["score"], code
            with_subscores += 1
    assert with_subscores == 52  # every FH row plus KZ (sub-scores from press)


def test_every_row_names_its_source(covered: dict[str, dict[str, Any]]) -> None:
    for code, fotn in covered.items():
        assert fotn.get("verified"), code
        assert fotn.get("source"), code
        assert "\n" not in fotn["source"], code


def test_compilation_rows_hold_no_earlier_edition_numbers(data: dict[str, Any]) -> None:
    for code, row in data["countries"].items():
        fotn = row["fotn"]
        if fotn is not None and fotn["verified"] == "compilation":
            assert set(fotn) == {"score", "status", "verified", "source"}, code
            assert row.get("note"), f"{code}: compilation rows say what was found instead"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("VN", {"score": 22, "status": "not_free", "verified": "press"}),
        ("CN", {"score": 9, "status": "not_free", "a": 7, "b": 2, "c": 0, "verified": "fh_page"}),
        ("KE", {"score": 58, "status": "partly_free", "a": 14, "b": 24, "c": 20, "previous_score": 64}),
        ("GB", {"score": 76, "status": "free", "verified": "compilation"}),
        ("TW", {"score": 79, "status": "free", "a": 24, "b": 29, "c": 26, "verified": "fh_page"}),
        ("GM", {"score": 56, "status": "partly_free", "previous_score": 56, "verified": "fh_page"}),
        ("NI", {"score": 38, "status": "not_free", "previous_score": 41}),
        ("RS", {"score": 67, "status": "partly_free", "previous_score": 70}),
        ("IS", {"score": 94, "status": "free", "verified": "press"}),
        ("US", {"score": 73, "status": "free", "verified": "press"}),
        ("KZ", {"score": 37, "status": "not_free", "a": 14, "b": 12, "c": 11, "verified": "press"}),
        ("MM", {"score": 9, "status": "not_free", "verified": "press"}),
    ],
)
def test_spot_checks(covered: dict[str, dict[str, Any]], code: str, expected: dict[str, Any]) -> None:
    assert {k: covered[code].get(k) for k in expected} == expected


def test_uncovered_countries_have_null_fotn(data: dict[str, Any]) -> None:
    countries = data["countries"]
    for code in ("IL", "SY"):
        assert countries[code]["fotn"] is None
        assert countries[code]["note"]
    assert "2020" in countries["SY"]["note"]
    assert "17" in countries["SY"]["note"]


def test_eu_group(data: dict[str, Any]) -> None:
    eu = data["groups"]["eu"]
    assert len(eu) == len(set(eu)) == 27
    assert all(is_country_code(code) for code in eu)
    assert "GB" not in eu
    assert "GR" in eu


# --- localisation -------------------------------------------------------------------------------------------


def test_localisation_entries_are_complete(data: dict[str, Any]) -> None:
    for code, row in data["countries"].items():
        for law in row.get("localisation", []) + row.get("other_laws", []):
            assert law["law"], code
            assert law["requirement"], code
            assert law["confidence"] in {"read", "secondary", "background"}, code


def test_localisation_only_where_the_table_has_a_local_storage_duty(data: dict[str, Any]) -> None:
    with_localisation = {code for code, row in data["countries"].items() if "localisation" in row}
    assert with_localisation == LOCALISATION_COUNTRIES
    for code in EU_ROWS | {"GB", "EG", "PK", "IR", "MM", "ET"}:
        assert "localisation" not in data["countries"][code], f"{code}: not a localisation duty"
        assert data["countries"][code]["other_laws"], code


def test_absent_localisation_is_marked_unresearched(data: dict[str, Any]) -> None:
    for code, row in data["countries"].items():
        if "localisation" in row:
            assert row.get("localisation_researched", True) is True, code
        else:
            assert "localisation_researched" in row or row.get("note"), code
        assert row.get("localisation_researched", True) is (
            code in RESEARCHED_2026 or "localisation" in row
        ), code


def test_well_known_localisation_laws_are_cited(data: dict[str, Any]) -> None:
    def laws(code: str) -> str:
        return " ".join(law["law"] for law in data["countries"][code]["localisation"])

    assert "242-FZ" in laws("RU")
    assert "Art 37" in laws("CN")  # renumbered Art 39 from 2026
    assert "Art 39" in laws("CN")
    assert "23-FZ" in laws("RU")
    assert "116/2025" in laws("VN")
    assert "SAMA" in laws("SA")
    assert "Companies (Accounts) Rules" in laws("IN")
    assert "Art 40" in laws("CN")
    assert "53/2022" in laws("VN")
    assert "7253" in laws("TR")
    assert "71/2019" in laws("ID")
    assert "reg 26" in laws("KE")
    assert "Art 12" in laws("KZ")


# --- partial override files ---------------------------------------------------------------------------------

OVERRIDE = """\
tiers:
  unassessed_risk: high
  max_age_days: {high: 180}
groups:
  gcc: [AE, BH, SA]
countries:
  IL:
    fotn: {score: 72, status: free, verified: override, source: "policy team, BHR-200"}
  NO:
    name: "Norway"
    localisation_researched: false
"""


def test_partial_override_validates(validator: jsonschema.Draft202012Validator) -> None:
    override = load_yaml(OVERRIDE)
    assert "NO" in override["countries"]  # YAML 1.2: Norway stays a string key
    assert list(validator.iter_errors(override)) == []
    assert list(validator.iter_errors({})) == []


BAD_OVERRIDES: list[dict[str, Any]] = [
    {"countrys": {}},
    {"tiers": {"unassesed_risk": "high"}},
    {"tiers": {"by_status": {"free": "medium"}}},
    {"tiers": {"max_age_days": {"high": 0}}},
    {"countries": {"UK": {"name": "United Kingdom"}}},
    {"countries": {"vn": {"name": "Vietnam"}}},
    {"countries": {"VN": {"fotn": {"score": 22}}}},
    {"countries": {"VN": {"fotn": {"score": 45, "status": "not_free"}}}},
    {"countries": {"VN": {"fotn": {"score": 75, "status": "partly_free"}}}},
    {"countries": {"VN": {"fotn": {"score": 22, "status": "not_free", "verfied": "press"}}}},
    {"countries": {"VN": {"localisation": [{"law": "x", "requirement": "y"}]}}},
    {"countries": {"VN": {"localisation": [{"law": "x", "requirement": "y", "confidence": "high"}]}}},
    {"countries": {"VN": {"localisation_researched": False, "localisation": [
        {"law": "x", "requirement": "y", "confidence": "read"}]}}},
    {"groups": {"eu": ["DE", "XX"]}},
    {"groups": {"EU": ["DE"]}},
    {"dataset": {"edition_date": "2025-13-40"}},
]  # fmt: skip


@pytest.mark.parametrize("bad", BAD_OVERRIDES)
def test_bad_override_is_rejected(validator: jsonschema.Draft202012Validator, bad: dict[str, Any]) -> None:
    assert list(validator.iter_errors(bad)) != []


def test_in_house_validator_agrees() -> None:
    """The fast validator compiles this schema and gives the same verdicts as jsonschema."""
    from hrpolicy.validate import codes, schemacheck

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    validate = schemacheck.compile_schema(schema, {"country-code": codes.country_problem})
    assert validate(load_yaml(DATA_FILE.read_text(encoding="utf-8"))) == []
    assert validate(load_yaml(OVERRIDE)) == []
    for bad in BAD_OVERRIDES:
        assert validate(bad) != [], bad


# --- every row against the source table ---------------------------------------------------------------------

STATUS = {"Free": "free", "Partly Free": "partly_free", "Not Free": "not_free"}
SRC = {"FH": "fh_page", "PR": "press", "C": "compilation"}


def source_rows() -> list[list[str]]:
    if not SOURCE_TABLE.is_file():
        pytest.skip(f"source table not available: {SOURCE_TABLE}")
    rows = []
    for line in SOURCE_TABLE.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| ") and re.fullmatch(r"[A-Z]{2}", cells[0]):
            rows.append(cells)
    return rows


def test_every_row_matches_the_source_table(data: dict[str, Any]) -> None:
    countries = data["countries"]
    rows = source_rows()
    main = [r for r in rows if len(r) == 7]
    assert len(main) == 72
    assert {r[0] for r in rows} == set(countries)
    for code, name, score, status, src, localisation, notes in main:
        row = countries[code]
        fotn = row["fotn"]
        assert row["name"] == name, code
        got = (fotn["score"], fotn["status"], fotn["verified"])
        assert got == (int(score), STATUS[status], SRC[src]), code
        if src == "C":
            continue
        subscores = re.match(r"A(\d+) B(\d+) C(\d+)\b", notes)
        expected = [int(n) for n in subscores.groups()] if subscores else [None] * 3
        assert [fotn.get(k) for k in ("a", "b", "c")] == expected, code
        previous = re.search(r"(?:2024: |prior edition |down from )(\d+)", notes)
        assert fotn.get("previous_score") == (int(previous.group(1)) if previous else None), code
        if localisation.startswith("not researched") and code not in RESEARCHED_2026:
            assert "localisation" not in row, code
            assert row["localisation_researched"] is False, code
    for code, *_ in (r for r in rows if len(r) == 5):
        assert countries[code]["fotn"] is None, code


# --- Freedom in the World 2026 (plugins/freedom_in_the_world_2026.yaml) -------------------------------------

FIW_FILE = ROOT / "plugins" / "freedom_in_the_world_2026.yaml"
FIW_SOURCE = ROOT.parent / "shared" / "domain" / "freedom_in_the_world_2026.yaml"
# Freedom House's score-to-rating cut-offs (lowest score of ratings 1..6; lower scores rate 7).
PR_CUTOFFS = (36, 30, 24, 18, 12, 6)
CL_CUTOFFS = (53, 44, 35, 26, 17, 8)
#: Rows whose status is not the one a band of the total score would give (Free >= 70, Partly Free >= 35).
OFF_BAND = {"BT", "BO", "CO", "MW", "LS", "JO", "GW", "PK"}


def fh_rating(score: int, cutoffs: tuple[int, ...]) -> int:
    return next((i for i, low in enumerate(cutoffs, 1) if score >= low), 7)


def fh_status(pr_rating: int, cl_rating: int) -> str:
    average = (pr_rating + cl_rating) / 2
    return "free" if average <= 2.5 else "partly_free" if average <= 5.0 else "not_free"


@pytest.fixture(scope="module")
def fiw_data() -> dict[str, Any]:
    return dict(load_yaml(FIW_FILE.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def fiw(fiw_data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {code: row["fiw"] for code, row in fiw_data["countries"].items()}


def test_fiw_data_validates(validator: jsonschema.Draft202012Validator, fiw_data: dict[str, Any]) -> None:
    assert [e.message for e in validator.iter_errors(fiw_data)] == []
    from hrpolicy.validate import codes, schemacheck

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert schemacheck.compile_schema(schema, {"country-code": codes.country_problem})(fiw_data) == []


def test_fiw_attribution(fiw_data: dict[str, Any]) -> None:
    source = fiw_data["sources"]["fiw"]
    assert (source["name"], source["publisher"]) == ("Freedom in the World 2026", "Freedom House")
    assert source["edition_date"] == "2026-03-01"  # March 2026; the day is not confirmed
    assert source["coverage_period"] == {"start": "2025-01-01", "end": "2025-12-31"}
    assert source["countries_covered"] == 195
    assert "status_bands" not in source
    assert "ratings" in source["status_rule"]
    assert {"fh_page", "compilation"} <= set(source["verification"])
    assert "not verified" in source["licence_note"].lower()
    assert list(fiw_data) == ["sources", "countries"]  # no tiers, groups or laws in this file


def test_fiw_rows(fiw_data: dict[str, Any], fiw: dict[str, dict[str, Any]]) -> None:
    codes = list(fiw_data["countries"])
    assert codes == sorted(codes)
    assert all(is_country_code(code) for code in codes)
    assert len(fiw) == 196  # 195 countries without Kosovo (XK is not ISO 3166-1), plus HK and EH
    assert "XK" not in fiw
    assert "PS" not in fiw
    assert {"HK", "EH"} <= set(fiw)
    assert Counter(row["verified"] for row in fiw.values()) == {"compilation": 195, "fh_page": 1}
    assert fiw["LI"]["verified"] == "fh_page"
    assert Counter(row["status"] for row in fiw.values()) == {"free": 88, "partly_free": 48, "not_free": 60}
    for code, row in fiw.items():
        assert row["source"], code
        assert "\n" not in row["source"], code
        assert fiw_data["countries"][code]["name"], code


def test_fiw_status_follows_freedom_houses_rule(fiw: dict[str, dict[str, Any]]) -> None:
    off_band = set()
    for code, row in fiw.items():
        assert row["score"] == max(0, row["pr_score"] + row["cl_score"]), code
        assert row["pr_rating"] == fh_rating(row["pr_score"], PR_CUTOFFS), code
        assert row["cl_rating"] == fh_rating(row["cl_score"], CL_CUTOFFS), code
        assert row["status"] == fh_status(row["pr_rating"], row["cl_rating"]), code
        band = "free" if row["score"] >= 70 else "partly_free" if row["score"] >= 35 else "not_free"
        if band != row["status"]:
            off_band.add(code)
            assert "not from the score band" in row["note"], code
    assert off_band == OFF_BAND


def test_fiw_rows_match_the_research(fiw_data: dict[str, Any], fiw: dict[str, dict[str, Any]]) -> None:
    if not FIW_SOURCE.is_file():
        pytest.skip(f"source table not available: {FIW_SOURCE}")
    rows = {row["code"]: row for row in load_yaml(FIW_SOURCE.read_text(encoding="utf-8"))}
    assert len(rows) == 195
    assert set(fiw) - set(rows) == {"HK", "EH"}
    assert set(rows) - set(fiw) == {"XK"}
    for code, row in fiw.items():
        if code in ("HK", "EH"):
            continue
        source = rows[code]
        assert fiw_data["countries"][code]["name"] == source["name"], code
        assert (
            row["status"]
            == {"Free": "free", "Partly Free": "partly_free", "Not Free": "not_free"}[source["status"]]
        ), code
        for key in ("score", "pr_score", "cl_score", "pr_rating", "cl_rating", "verified"):
            assert row[key] == source[key], (code, key)


def test_fiw_and_fotn_names_agree(data: dict[str, Any], fiw_data: dict[str, Any]) -> None:
    for code, row in data["countries"].items():
        if code in fiw_data["countries"]:
            assert row["name"] == fiw_data["countries"][code]["name"], code

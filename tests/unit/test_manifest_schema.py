"""The manifest JSON Schema (schema_version 1): well-formed, closed, documented, and it accepts the shipped
example and starter while rejecting the mistakes product teams actually make."""

from __future__ import annotations

import copy
import datetime
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pycountry
import pytest
import ruamel.yaml
from jsonschema import Draft202012Validator, FormatChecker

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = ROOT / "hrpolicy" / "schemas" / "manifest.schema.json"
EXAMPLE_PATH = ROOT / "examples" / "acme-chat" / "hrpolicy.yaml"
STARTER_PATH = ROOT / "hrpolicy" / "data" / "starter.yaml"
TODAY = datetime.date(2026, 11, 28)

# The subset the in-house validator compiles (it rejects anything else), so nothing else may appear here.
ANNOTATIONS = {
    "$schema",
    "$id",
    "$defs",
    "$ref",
    "$comment",
    "title",
    "description",
    "examples",
    "default",
    "deprecated",
    "markdownDescription",
}
ASSERTIONS = {
    "type",
    "enum",
    "const",
    "properties",
    "required",
    "additionalProperties",
    "patternProperties",
    "propertyNames",
    "minProperties",
    "maxProperties",
    "items",
    "minItems",
    "maxItems",
    "uniqueItems",
    "contains",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
    "dependentRequired",
}
SUBSCHEMA_KEYWORDS = {
    "items",
    "contains",
    "not",
    "if",
    "then",
    "else",
    "propertyNames",
    "additionalProperties",
}
SUBSCHEMA_LIST_KEYWORDS = {"allOf", "anyOf", "oneOf"}
SUBSCHEMA_MAP_KEYWORDS = {"properties", "patternProperties", "$defs"}
CODE_FORMATS = {"date", "country-code", "language-code", "uri"}


# --- helpers ------------------------------------------------------------------------------------------------


def load_yaml(path: Path) -> Any:
    """Load as YAML 1.2 (so `NO` stays a string), with dates turned back into the ISO strings they were."""
    yaml = ruamel.yaml.YAML(typ="safe")
    yaml.version = (1, 2)
    return _dates_to_strings(yaml.load(path.read_text(encoding="utf-8")))


def _dates_to_strings(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _dates_to_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_dates_to_strings(item) for item in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def format_checker() -> FormatChecker:
    checker = FormatChecker()

    @checker.checks("country-code")
    def _country(value: object) -> bool:
        if not isinstance(value, str):
            return True
        # pycountry's lookup ignores case; the manifest format does not.
        return len(value) == 2 and value.isupper() and pycountry.countries.get(alpha_2=value) is not None

    @checker.checks("language-code")
    def _language(value: object) -> bool:
        if not isinstance(value, str):
            return True
        return len(value) == 2 and value.islower() and pycountry.languages.get(alpha_2=value) is not None

    return checker


def iter_schemas(schema: Any, pointer: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every (sub)schema in the document with its JSON pointer; enum/const/examples/default are data."""
    if not isinstance(schema, dict):
        return
    yield pointer, schema
    for keyword, value in schema.items():
        if keyword in SUBSCHEMA_KEYWORDS:
            yield from iter_schemas(value, f"{pointer}/{keyword}")
        elif keyword in SUBSCHEMA_LIST_KEYWORDS:
            for index, item in enumerate(value):
                yield from iter_schemas(item, f"{pointer}/{keyword}/{index}")
        elif keyword in SUBSCHEMA_MAP_KEYWORDS:
            for name, item in value.items():
                yield from iter_schemas(item, f"{pointer}/{keyword}/{name}")


def _types(schema: dict[str, Any]) -> set[str]:
    declared = schema.get("type", [])
    return {declared} if isinstance(declared, str) else set(declared)


def errors_of(validator: Draft202012Validator, manifest: Any) -> list[tuple[tuple[Any, ...], str, str]]:
    return [
        (tuple(error.absolute_path), str(error.validator), error.message)
        for error in validator.iter_errors(manifest)
    ]


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=format_checker())


@pytest.fixture(scope="module")
def example() -> dict[str, Any]:
    loaded: dict[str, Any] = load_yaml(EXAMPLE_PATH)
    return loaded


# --- the schema document itself -----------------------------------------------------------------------------


def test_schema_is_valid_draft_2020_12(schema: dict[str, Any]) -> None:
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == "https://hrpolicy.dev/schemas/manifest-v1.json"
    assert schema["title"]
    assert schema["required"] == ["schema_version", "product"]


def test_schema_uses_only_the_supported_keyword_subset(schema: dict[str, Any]) -> None:
    unsupported = [
        f"{pointer}: {keyword}"
        for pointer, sub in iter_schemas(schema)
        for keyword in sub
        if keyword not in ANNOTATIONS | ASSERTIONS and not keyword.startswith("x-")
    ]
    assert unsupported == []


def test_refs_are_local_and_resolve(schema: dict[str, Any]) -> None:
    for pointer, sub in iter_schemas(schema):
        if "$ref" in sub:
            ref = sub["$ref"]
            assert ref.startswith("#/$defs/"), f"{pointer}: non-local $ref {ref}"
            assert ref.removeprefix("#/$defs/") in schema["$defs"], f"{pointer}: dangling $ref {ref}"


def test_every_object_is_closed_but_allows_x_extensions(schema: dict[str, Any]) -> None:
    objects = [(p, s) for p, s in iter_schemas(schema) if "object" in _types(s) or "properties" in s]
    assert len(objects) > 25
    for pointer, sub in objects:
        assert sub.get("additionalProperties") is False, f"{pointer} is open"
        assert sub.get("patternProperties", {}).get("^x-") == {}, f"{pointer} refuses x- extensions"


def test_every_property_has_a_description(schema: dict[str, Any]) -> None:
    missing = [
        f"{pointer}/properties/{name}"
        for pointer, sub in iter_schemas(schema)
        for name, prop in sub.get("properties", {}).items()
        if not (isinstance(prop.get("description"), str) and prop["description"].strip())
    ]
    assert missing == []
    for name, definition in schema["$defs"].items():
        assert definition.get("description"), f"$defs/{name} has no description"


def test_evidence_and_approver_descriptions_say_what_belongs_there(schema: dict[str, Any]) -> None:
    assessment = schema["properties"]["assessments"]["items"]["properties"]
    evidence = assessment["evidence"]["description"]
    assert "opaque reference" in evidence.lower()
    assert "vault://" in evidence
    assert "never" in schema["$defs"]["nullableReference"]["description"].lower()
    for described in (schema["$defs"]["approver"], schema["$defs"]["approver"]["properties"]["role"]):
        assert "never a person's name" in described["description"]


def test_strings_are_bounded(schema: dict[str, Any]) -> None:
    """Multi-megabyte strings must fail validation: every string needs a length bound of some kind."""
    unbounded = [
        pointer
        for pointer, sub in iter_schemas(schema)
        if "string" in _types(sub)
        and not pointer.endswith("/if")  # a condition, not a constraint
        and "if" not in sub  # `countries`: its string branch is `const: all`
        and not ({"maxLength", "enum", "const"} & sub.keys())
        and sub.get("format") not in CODE_FORMATS
        and not str(sub.get("pattern", "")).endswith("$")
    ]
    assert unbounded == []
    assert schema["$defs"]["text"] == {**schema["$defs"]["text"], "minLength": 1, "maxLength": 500}


def test_country_codes_use_the_format_and_no_pattern(schema: dict[str, Any]) -> None:
    formatted = [s for _, s in iter_schemas(schema) if s.get("format") == "country-code"]
    assert formatted
    assert all("pattern" not in s for s in formatted)


def test_code_and_tag_lists_are_unique(schema: dict[str, Any]) -> None:
    code_refs = {"#/$defs/countryCode", "#/$defs/languageCode", "#/$defs/text"}
    for pointer, sub in iter_schemas(schema):
        items = sub.get("items")
        is_list_of_codes = isinstance(items, dict) and (items.get("$ref") in code_refs or "enum" in items)
        if "array" in _types(sub) and is_list_of_codes:
            assert sub.get("uniqueItems") is True, f"{pointer} allows duplicates"


# --- the shipped manifests ----------------------------------------------------------------------------------


def test_example_is_valid(validator: Draft202012Validator, example: dict[str, Any]) -> None:
    assert errors_of(validator, example) == []


def test_example_is_the_documented_scenario(example: dict[str, Any]) -> None:
    markets = {m["country"]: m["status"] for m in example["markets"]}
    assert markets == {"DE": "launched", "VN": "planned", "BR": "launched", "TR": "beta"}
    assert {s["country"] for s in example["data_stores"]} == {"SG", "DE"}
    vn_hria = next(a for a in example["assessments"] if "VN" in a["scope"].get("markets", []))
    assert (vn_hria["type"], vn_hria["depth"], vn_hria["date"]) == ("hria", "long_form", "2025-12-01")
    assert all(datetime.date.fromisoformat(w["expires"]) > TODAY for w in example["waivers"])


def test_starter_is_valid(validator: Draft202012Validator) -> None:
    starter = load_yaml(STARTER_PATH)
    assert errors_of(validator, starter) == []
    schema = validator.schema
    assert isinstance(schema, dict)
    top_level = set(schema["properties"])
    assert set(starter) == top_level, "the starter should show every section"


# --- what is rejected, and where ----------------------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def _set(path: tuple[Any, ...], value: Any) -> Mutation:
    def mutate(manifest: dict[str, Any]) -> None:
        target = manifest
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def _delete(path: tuple[Any, ...]) -> Mutation:
    def mutate(manifest: dict[str, Any]) -> None:
        target = manifest
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return mutate


def _rename(path: tuple[Any, ...], new_key: str) -> Mutation:
    def mutate(manifest: dict[str, Any]) -> None:
        target = manifest
        for key in path[:-1]:
            target = target[key]
        target[new_key] = target.pop(path[-1])

    return mutate


def _keep_only(manifest: dict[str, Any], keys: set[str]) -> None:
    for key in set(manifest) - keys:
        del manifest[key]


MARKET0 = ("markets", 0)
WAIVER0 = ("waivers", 0)
REPORT0 = ("transparency", "reports", 0)

INVALID = [
    ("unknown country XX", _set((*MARKET0, "country"), "XX"), (*MARKET0, "country"), "format"),
    ("lower-case country vn", _set((*MARKET0, "country"), "vn"), (*MARKET0, "country"), "format"),
    ("country as a boolean", _set((*MARKET0, "country"), False), (*MARKET0, "country"), "type"),
    (
        "store country unknown",
        _set(("data_stores", 0, "country"), "ZZ"),
        ("data_stores", 0, "country"),
        "format",
    ),
    ("bad market status", _set((*MARKET0, "status"), "live"), (*MARKET0, "status"), "enum"),
    ("nested typo staus", _rename((*MARKET0, "status"), "staus"), MARKET0, "additionalProperties"),
    ("impossible date", _set((*MARKET0, "launch_date"), "2026-02-30"), (*MARKET0, "launch_date"), "format"),
    ("non-ISO date", _set((*MARKET0, "launch_date"), "01/03/2027"), (*MARKET0, "launch_date"), "format"),
    ("upper-case language", _set((*MARKET0, "languages"), ["DE"]), (*MARKET0, "languages", 0), "format"),
    (
        "duplicate language",
        _set((*MARKET0, "languages"), ["de", "de"]),
        (*MARKET0, "languages"),
        "uniqueItems",
    ),
    ("missing product.id", _delete(("product", "id")), ("product",), "required"),
    ("product.id not a slug", _set(("product", "id"), "Acme Chat"), ("product", "id"), "pattern"),
    ("unknown top-level key", _set(("foo",), 1), (), "additionalProperties"),
    ("schema_version 2", _set(("schema_version",), 2), ("schema_version",), "const"),
    ("unknown feature tag", _set(("features", 0, "tags"), ["geo"]), ("features", 0, "tags", 0), "enum"),
    ("bad assessment type", _set(("assessments", 0, "type"), "HRIA"), ("assessments", 0, "type"), "enum"),
    (
        "negative notice days",
        _set((*MARKET0, "exit_plan"), {"user_notice_days": -1}),
        (*MARKET0, "exit_plan", "user_notice_days"),
        "minimum",
    ),
    ("multi-MB string", _set(("product", "name"), "a" * 3_000_000), ("product", "name"), "maxLength"),
    ("empty free text", _set(("product", "owner"), ""), ("product", "owner"), "minLength"),
    ("countries: everything", _set((*REPORT0, "countries"), "everything"), (*REPORT0, "countries"), "const"),
    (
        "countries with a bad code",
        _set((*REPORT0, "countries"), ["DE", "UK"]),
        (*REPORT0, "countries", 1),
        "format",
    ),
    ("waiver without reason", _delete((*WAIVER0, "reason")), WAIVER0, "required"),
    ("waiver without approver", _delete((*WAIVER0, "approver")), WAIVER0, "required"),
    ("waiver without expires", _delete((*WAIVER0, "expires")), WAIVER0, "required"),
    ("waiver with blank reason", _set((*WAIVER0, "reason"), "   "), (*WAIVER0, "reason"), "pattern"),
    ("waiver approver without role", _set((*WAIVER0, "approver"), {}), (*WAIVER0, "approver"), "required"),
    (
        "waiver approver by name",
        _set((*WAIVER0, "approver"), {"name": "x"}),
        (*WAIVER0, "approver"),
        "additionalProperties",
    ),
    ("waiver bad rule id", _set((*WAIVER0, "rule"), "MKT-2"), (*WAIVER0, "rule"), "pattern"),
    ("waiver empty scope", _set((*WAIVER0, "scope"), {}), (*WAIVER0, "scope"), "minProperties"),
    (
        "waiver scope typo",
        _set((*WAIVER0, "scope"), {"market": ["TR"]}),
        (*WAIVER0, "scope"),
        "additionalProperties",
    ),
    ("waiver impossible expiry", _set((*WAIVER0, "expires"), "2027-13-01"), (*WAIVER0, "expires"), "format"),
]


@pytest.mark.parametrize(
    ("mutate", "path", "keyword"), [case[1:] for case in INVALID], ids=[case[0] for case in INVALID]
)
def test_invalid_manifest_is_rejected_at_the_right_place(
    validator: Draft202012Validator,
    example: dict[str, Any],
    mutate: Mutation,
    path: tuple[Any, ...],
    keyword: str,
) -> None:
    manifest = copy.deepcopy(example)
    mutate(manifest)
    errors = errors_of(validator, manifest)
    assert (path, keyword) in [(p, k) for p, k, _ in errors], errors
    assert {p for p, _, _ in errors} == {path}, f"collateral errors: {errors}"


def test_missing_waiver_fields_are_named(validator: Draft202012Validator, example: dict[str, Any]) -> None:
    manifest = copy.deepcopy(example)
    for field in ("reason", "approver", "expires"):
        del manifest["waivers"][0][field]
    messages = sorted(message for _, _, message in errors_of(validator, manifest))
    assert messages == [f"'{field}' is a required property" for field in ("approver", "expires", "reason")]


# --- what is accepted ---------------------------------------------------------------------------------------

VALID = [
    ("x- extension at top level", _set(("x-acme",), {"cost_centre": "CC-12", "tiers": [1, 2]})),
    ("x- extension inside a market", _set((*MARKET0, "x-acme"), {"launch_owner": "growth"})),
    ("x- extension inside a waiver scope", _set((*WAIVER0, "scope", "x-acme"), True)),
    ("Norway is a country", _set((*MARKET0, "country"), "NO")),
    ("countries: all", _set((*REPORT0, "countries"), "all")),
    ("countries as a list", _set((*REPORT0, "countries"), ["DE", "NO", "VN"])),
    ("team vocabulary for channel types", _set(("grievance", "channels", 0, "type"), "whatsapp_helpline")),
    ("team vocabulary for entity types", _set(("entities", 0, "type"), "liaison_office")),
    ("null process reference", _set(("government_requests", "content_process"), None)),
    (
        "waiver scope by country",
        _set((*WAIVER0, "scope"), {"countries": ["SG"], "data_stores": ["sg-primary"]}),
    ),
    ("waiver without scope", _delete((*WAIVER0, "scope"))),
    ("only the required fields", lambda m: _keep_only(m, {"schema_version", "product"})),
    # Fields added in rule pack v2 (all optional: manifests without them keep their meaning).
    ("per-market features", _set((*MARKET0, "features"), ["feed"])),
    ("per-market capabilities", _set((*MARKET0, "capabilities"), ["facial_recognition"])),
    ("per-market customers", _set((*MARKET0, "customers"), ["consumers", "government"])),
    ("per-market identity verification", _set((*MARKET0, "identity_verification"), "required")),
    (
        "a known data disposition",
        _set(
            (*MARKET0, "exit_plan"),
            {"data_disposition": "transferred_to_buyer", "recipient": "Buyer Holdings"},
        ),
    ),
    (
        "free-text data disposition stays valid",
        _set((*MARKET0, "exit_plan"), {"data_disposition": "migrate"}),
    ),
    ("divestment countries", _set(("corporate_events",), [{"type": "divestment", "countries": ["MM"]}])),
    (
        "entity staff and review",
        _set(
            ("entities", 0),
            {"country": "VN", "type": "subsidiary", "staff": 40, "review": "vault://staff-safety/vn"},
        ),
    ),
    (
        "sales review monitoring",
        _set(
            ("sales_reviews",),
            [
                {
                    "country": "VN",
                    "decision": "approve",
                    "end_use_monitoring": "vault://eum/vn",
                    "evidence": "vault://sales/vn",
                }
            ],
        ),
    ),
    ("Annex I entry", _set(("product", "dual_use_annex_i"), "5A001.j")),
    (
        "publication prohibited",
        _set(
            ("transparency", "publication_prohibited"),
            [{"country": "CN", "kinds": ["government_user_data"], "disclosure": "https://example.com/t"}],
        ),
    ),
    ("waiver scope by playbook", _set((*WAIVER0, "scope"), {"enforcement_playbooks": ["cib"]})),
]


@pytest.mark.parametrize("mutate", [case[1] for case in VALID], ids=[case[0] for case in VALID])
def test_valid_variation_is_accepted(
    validator: Draft202012Validator, example: dict[str, Any], mutate: Mutation
) -> None:
    manifest = copy.deepcopy(example)
    mutate(manifest)
    assert errors_of(validator, manifest) == []


def test_yaml_1_2_keeps_norway_a_country(validator: Draft202012Validator, tmp_path: Path) -> None:
    manifest_path = tmp_path / "hrpolicy.yaml"
    manifest_path.write_text(
        "schema_version: 1\nproduct: {id: p, name: P}\nmarkets: [{country: NO, status: launched}]\n",
        encoding="utf-8",
    )
    manifest = load_yaml(manifest_path)
    assert manifest["markets"][0]["country"] == "NO"
    assert errors_of(validator, manifest) == []

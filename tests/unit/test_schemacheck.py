"""hrpolicy.validate.schemacheck: per-keyword behaviour, error collection, compile-time rejection, and
agreement with jsonschema (the oracle) on a varied schema, on generated instances and on the shipped manifest
schema.
"""

from __future__ import annotations

import copy
import datetime
import json
import random
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from hrpolicy.validate import codes
from hrpolicy.validate.schemacheck import Violation, compile_schema, json_path

ROOT = Path(__file__).resolve().parents[2]
MANIFEST_SCHEMA = ROOT / "hrpolicy" / "schemas" / "manifest.schema.json"
FORMATS = {"country-code": codes.country_problem, "language-code": codes.language_problem}


def check(schema: Any, instance: Any) -> list[tuple[str, str]]:
    return [(json_path(v.path), v.message) for v in compile_schema(schema, FORMATS)(instance)]


# --- per keyword ------------------------------------------------------------------------------------

KEYWORD_CASES: list[tuple[dict[str, Any] | bool, Any, list[tuple[str, str]]]] = [
    ({"type": "string"}, "a", []),
    ({"type": "string"}, 1, [("$", "1 is not of type 'string'")]),
    ({"type": ["string", "null"]}, None, []),
    ({"type": ["string", "null"]}, 1.5, [("$", "1.5 is not of type 'string', 'null'")]),
    ({"type": "integer"}, 3, []),
    ({"type": "integer"}, 3.0, []),  # an integral float is an integer, as in jsonschema
    ({"type": "integer"}, 3.5, [("$", "3.5 is not of type 'integer'")]),
    ({"type": "integer"}, True, [("$", "True is not of type 'integer'")]),
    ({"type": "number"}, 2, []),
    ({"type": "number"}, False, [("$", "False is not of type 'number'")]),
    ({"type": "boolean"}, 0, [("$", "0 is not of type 'boolean'")]),
    ({"type": "object"}, [], [("$", "[] is not of type 'object'")]),
    ({"type": "array"}, {}, [("$", "{} is not of type 'array'")]),
    ({"type": "null"}, "", [("$", "'' is not of type 'null'")]),
    ({"enum": ["a", "b"]}, "a", []),
    ({"enum": ["a", "b"]}, "vn", [("$", "'vn' is not one of ['a', 'b']")]),
    (
        {"enum": ["active", "retired"]},
        "Active",
        [("$", "'Active' is not one of ['active', 'retired'] (did you mean 'active'?)")],
    ),
    ({"enum": [1, None]}, True, [("$", "True is not one of [1, None]")]),
    ({"enum": [1, None]}, 1.0, []),
    ({"const": 1}, 1, []),
    ({"const": 1}, True, [("$", "1 was expected, not True")]),
    ({"const": {"a": [1]}}, {"a": [1.0]}, []),
    ({"minLength": 1}, "", [("$", "'' should be non-empty")]),
    ({"minLength": 2}, "a", [("$", "'a' is too short")]),
    ({"maxLength": 2}, "abc", [("$", "'abc' is too long")]),
    ({"maxLength": 2}, 12345, []),  # string keywords ignore other types
    ({"pattern": "^[a-z]+$"}, "abc", []),
    ({"pattern": "[0-9]"}, "a1b", []),  # search semantics, like jsonschema
    ({"pattern": "^[a-z]+$"}, "ab1", [("$", "'ab1' does not match '^[a-z]+$'")]),
    ({"format": "date"}, "2024-02-29", []),
    ({"format": "date"}, "2026-02-30", [("$", "'2026-02-30' is not a valid date (YYYY-MM-DD)")]),
    ({"format": "date"}, "2026-2-3", [("$", "'2026-2-3' is not a valid date (YYYY-MM-DD)")]),
    ({"format": "date"}, "2026-01-01T00:00", [("$", "'2026-01-01T00:00' is not a valid date (YYYY-MM-DD)")]),
    ({"format": "date"}, 20260101, []),  # formats apply to strings only
    ({"format": "uri"}, "vault://hria/vn", []),
    ({"format": "uri"}, "hria/vn", [("$", "'hria/vn' is not a URI (it needs a scheme such as 'https:')")]),
    ({"format": "country-code"}, "VN", []),
    (
        {"format": "country-code"},
        "vn",
        [("$", "'vn' is not an ISO 3166-1 alpha-2 country code (upper case, e.g. 'VN')")],
    ),
    ({"minimum": 1}, 0, [("$", "0 is less than the minimum of 1")]),
    ({"minimum": 1}, 1, []),
    ({"maximum": 1}, 1.5, [("$", "1.5 is greater than the maximum of 1")]),
    ({"exclusiveMinimum": 1}, 1, [("$", "1 is less than or equal to the minimum of 1")]),
    ({"exclusiveMaximum": 1}, 1, [("$", "1 is greater than or equal to the maximum of 1")]),
    ({"minimum": 1}, "0", []),
    ({"multipleOf": 3}, 9, []),
    ({"multipleOf": 3}, 10, [("$", "10 is not a multiple of 3")]),
    ({"multipleOf": 0.1}, 0.3, [("$", "0.3 is not a multiple of 0.1")]),  # float arithmetic, as jsonschema
    ({"multipleOf": 0.5}, 2.5, []),
    ({"required": ["a", "b"]}, {"a": 1}, [("$", "'b' is a required property")]),
    ({"required": ["a"]}, [], []),
    ({"properties": {"a": {"type": "string"}}}, {"a": 1, "b": 2}, [("$.a", "1 is not of type 'string'")]),
    ({"properties": {"a": False}}, {"a": 1}, [("$.a", "False schema does not allow 1")]),
    (
        {"properties": {"status": {}}, "additionalProperties": False},
        {"staus": 1},
        [("$.staus", "unexpected key 'staus' (did you mean 'status'?)")],
    ),
    (
        {"additionalProperties": {"type": "integer"}},
        {"a": 1, "b": "x"},
        [("$.b", "'x' is not of type 'integer'")],
    ),
    (
        {"patternProperties": {"^x-": {"type": "string"}}, "additionalProperties": False},
        {"x-a": "ok", "x-b": 1, "y": 1},
        [("$['x-b']", "1 is not of type 'string'"), ("$.y", "unexpected key 'y'")],
    ),
    (
        {"properties": {"x-a": {"minLength": 3}}, "patternProperties": {"^x-": {"type": "string"}}},
        {"x-a": 5},
        [("$['x-a']", "5 is not of type 'string'")],  # patternProperties apply to declared keys too
    ),
    (
        {"propertyNames": {"pattern": "^[a-z]+$"}},
        {"ok": 1, "Bad": 2},
        [("$.Bad", "'Bad' does not match '^[a-z]+$'")],
    ),
    ({"minProperties": 1}, {}, [("$", "{} should be non-empty")]),
    ({"minProperties": 2}, {"a": 1}, [("$", "{'a': 1} does not have enough properties")]),
    ({"maxProperties": 1}, {"a": 1, "b": 2}, [("$", "{'a': 1, 'b': 2} has too many properties")]),
    ({"maxProperties": 0}, {"a": 1}, [("$", "{'a': 1} is expected to be empty")]),
    ({"dependentRequired": {"a": ["b", "c"]}}, {"a": 1, "c": 1}, [("$", "'b' is a dependency of 'a'")]),
    ({"dependentRequired": {"a": ["b"]}}, {"b": 1}, []),
    (
        {"items": {"type": "integer"}},
        [1, "x", 2, None],
        [("$[1]", "'x' is not of type 'integer'"), ("$[3]", "None is not of type 'integer'")],
    ),
    ({"minItems": 1}, [], [("$", "[] should be non-empty")]),
    ({"minItems": 2}, [1], [("$", "[1] is too short")]),
    ({"maxItems": 1}, [1, 2], [("$", "[1, 2] is too long")]),
    ({"maxItems": 0}, [1], [("$", "[1] is expected to be empty")]),
    ({"uniqueItems": True}, [1, True, 1.5, "1", [1], {"a": 1}], []),
    ({"uniqueItems": True}, ["VN", "DE", "VN"], [("$[2]", "'VN' is a duplicate of item 0")]),
    ({"uniqueItems": True}, [{"a": [1]}, {"a": [1.0]}], [("$[1]", "{'a': [1.0]} is a duplicate of item 0")]),
    ({"uniqueItems": False}, [1, 1], []),
    ({"contains": {"const": "core"}}, ["a", "core"], []),
    (
        {"contains": {"const": "core"}},
        ["a"],
        [("$", "['a'] does not contain items matching the given schema")],
    ),
    ({"contains": {"const": "core"}}, [], [("$", "[] does not contain items matching the given schema")]),
    (
        {"allOf": [{"minimum": 1}, {"multipleOf": 2}]},
        0.5,
        [("$", "0.5 is less than the minimum of 1"), ("$", "0.5 is not a multiple of 2")],
    ),
    ({"anyOf": [{"type": "string"}, {"minimum": 3}]}, 4, []),
    (
        {"anyOf": [{"type": "null"}, {"type": "string", "format": "date"}]},
        "2026-13-01",
        [("$", "'2026-13-01' is not a valid date (YYYY-MM-DD)")],
    ),
    (
        {"anyOf": [{"type": "string", "minLength": 3}, {"type": "string", "pattern": "^[0-9]+$"}]},
        "ab",
        [("$", "'ab' is not valid under any of the given schemas")],
    ),
    (
        {"oneOf": [{"type": "integer"}, {"minimum": 2}]},
        1.5,
        [("$", "1.5 is less than the minimum of 2")],  # the only branch its shape does not contradict
    ),
    (
        {"oneOf": [{"type": "integer"}, {"type": "string", "minLength": 3}]},
        1.5,
        [("$", "1.5 is not valid under any of the given schemas")],
    ),
    ({"oneOf": [{"type": "integer"}, {"minimum": 2}]}, 1, []),
    (
        {"oneOf": [{"type": "integer"}, {"minimum": 2}]},
        3,
        [("$", "3 is valid under more than one of the given schemas")],
    ),
    ({"not": {"type": "string"}}, 1, []),
    ({"not": {"type": "string"}}, "a", [("$", "'a' should not be valid under {'type': 'string'}")]),
    (
        {"if": {"properties": {"a": {"const": 1}}}, "then": {"required": ["b"]}, "else": {"required": ["c"]}},
        {"a": 1},
        [("$", "'b' is a required property")],
    ),
    (
        {"if": {"properties": {"a": {"const": 1}}}, "then": {"required": ["b"]}, "else": {"required": ["c"]}},
        {"a": 2},
        [("$", "'c' is a required property")],
    ),
    ({"if": {"type": "string"}}, 1, []),
    ({"$ref": "#/$defs/a", "$defs": {"a": {"type": "string"}}}, 1, [("$", "1 is not of type 'string'")]),
    ({"$ref": "#/definitions/a", "definitions": {"a": {"type": "string"}}}, "a", []),
    (
        {"$ref": "#/$defs/a", "maxLength": 1, "$defs": {"a": {"type": "string"}}},
        "ab",
        [("$", "'ab' is too long")],
    ),
    (True, 1, []),
    (False, 1, [("$", "False schema does not allow 1")]),
    (
        {
            "title": "t",
            "description": "d",
            "examples": [1],
            "default": 1,
            "deprecated": False,
            "x-owner": "me",
            "$comment": "c",
        },
        1,
        [],
    ),
]


@pytest.mark.parametrize(("schema", "instance", "expected"), KEYWORD_CASES)
def test_keyword(schema: Any, instance: Any, expected: list[tuple[str, str]]) -> None:
    assert check(schema, instance) == expected


def test_reports_every_error_with_its_path() -> None:
    schema = {
        "type": "object",
        "required": ["product", "markets"],
        "properties": {
            "product": {
                "type": "object",
                "required": ["id", "name"],
                "properties": {"id": {"type": "string"}},
            },
            "markets": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["country", "status"],
                    "properties": {
                        "country": {"format": "country-code"},
                        "status": {"enum": ["planned", "launched"]},
                    },
                    "additionalProperties": False,
                },
            },
        },
    }
    instance = {
        "product": {"id": 7},
        "markets": [{"country": "XX", "status": "launched"}, {"country": "DE", "staus": "planned"}, "VN"],
    }
    assert check(schema, instance) == [
        ("$.product.id", "7 is not of type 'string'"),
        ("$.product", "'name' is a required property"),
        ("$.markets[0].country", "'XX' is not an ISO 3166-1 alpha-2 country code"),
        ("$.markets[1].staus", "unexpected key 'staus' (did you mean 'status'?)"),
        ("$.markets[1]", "'status' is a required property"),
        ("$.markets[2]", "'VN' is not of type 'object'"),
    ]


def test_recursive_refs() -> None:
    tree = {
        "$defs": {
            "node": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string"},
                    "children": {"type": "array", "items": {"$ref": "#/$defs/node"}},
                },
            }
        },
        "$ref": "#/$defs/node",
    }
    deep = {"name": "a", "children": [{"name": "b", "children": [{"name": "c"}, {"children": []}]}]}
    assert check(tree, deep) == [("$.children[0].children[1]", "'name' is a required property")]
    whole = {"type": "object", "properties": {"name": {"type": "string"}, "parent": {"$ref": "#"}}}
    assert check(whole, {"name": "a", "parent": {"name": "b", "parent": {"name": 3}}}) == [
        ("$.parent.parent.name", "3 is not of type 'string'")
    ]


def test_anyof_reports_the_branch_the_instance_was_meant_for() -> None:
    schema = {
        "$defs": {"store": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}},
        "properties": {
            "store": {"anyOf": [{"type": "null"}, {"$ref": "#/$defs/store"}]},
            "owner": {
                "oneOf": [
                    {
                        "properties": {"kind": {"const": "team"}, "team": {"type": "string"}},
                        "required": ["team"],
                    },
                    {
                        "properties": {"kind": {"const": "role"}, "role": {"type": "string"}},
                        "required": ["role"],
                    },
                ]
            },
        },
    }
    assert check(schema, {"store": None, "owner": {"kind": "role", "role": "bhr"}}) == []
    assert check(schema, {"store": {"id": 1}, "owner": {"kind": "role", "role": 2}}) == [
        ("$.store.id", "1 is not of type 'string'"),
        ("$.owner.role", "2 is not of type 'string'"),
    ]
    assert check(schema, {"owner": {"kind": "person"}}) == [
        ("$.owner", "{'kind': 'person'} is not valid under any of the given schemas")
    ]


@pytest.mark.parametrize(
    ("schema", "error"),
    [
        ({"unevaluatedProperties": False}, "unsupported JSON Schema keyword 'unevaluatedProperties' at #"),
        (
            {"properties": {"a": {"prefixItems": []}}},
            "unsupported JSON Schema keyword 'prefixItems' at #/properties/a",
        ),
        (
            {"$defs": {"a/b": {"minContains": 1}}},
            "unsupported JSON Schema keyword 'minContains' at #/$defs/a~1b",
        ),
        ({"items": {"type": "string", "format": "email"}}, "unknown format 'email' at #/items"),
        ({"type": "strng"}, "unknown type in 'strng' at #"),
        ({"pattern": "("}, "invalid regular expression '('"),
        ({"$ref": "other.json#/a"}, "unsupported $ref 'other.json#/a'"),
        ({"$ref": "#/$defs/missing"}, "unresolvable $ref '#/$defs/missing' at #"),
        ({"items": [{"type": "string"}]}, "'items' must be one schema"),
        ({"not": 3}, "a schema must be an object or a boolean"),
    ],
)
def test_compile_time_errors(schema: dict[str, Any], error: str) -> None:
    with pytest.raises(ValueError, match=re.escape(error)):
        compile_schema(schema, FORMATS)


def test_messages_are_one_short_line() -> None:
    hostile = "a\nb\x1b[31mred\u2028" + "x" * 500
    for _, message in check(
        {"properties": {"k": {"type": "integer"}}, "additionalProperties": False},
        {hostile: [hostile] * 50, "k": hostile},
    ):
        assert message.isprintable(), message
        assert len(message) < 160, message
    [(_, message)] = check({"enum": list(map(str, range(100)))}, "x")
    assert message == "'x' is not one of ['0', '1', '2', '3', '4', '5', '6', '7', ... (92 more)]"


def test_json_path_and_violation_str() -> None:
    assert json_path(()) == "$"
    assert json_path(("markets", 0, "country")) == "$.markets[0].country"
    assert json_path(("x-team", "it's", "a\nb")) == "$['x-team']['it\\'s']['a\\nb']"
    assert str(Violation(("a", 1), "bad")) == "$.a[1]: bad"


def test_custom_format_overrides_and_applies_to_strings_only() -> None:
    validate = compile_schema(
        {"items": {"format": "upper"}}, {"upper": lambda s: None if s.isupper() else "lower!"}
    )
    assert validate(["A", 1, None, "b"]) == [Violation((3,), "lower!")]


def test_hot_path_imports_nothing_heavy() -> None:
    code = (
        "import sys; from hrpolicy.validate.schemacheck import compile_schema; "
        "v = compile_schema({'properties': {'a': {'enum': ['x']}}, 'additionalProperties': False}); "
        "assert v({'a': 'x'}) == []; "
        "print(sorted(m for m in ('jsonschema', 'difflib', 'pycountry') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# --- differential testing against jsonschema --------------------------------------------------------

VARIED_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://example.test/product.json",
    "title": "A product record using every supported keyword",
    "$comment": "used only by the differential test",
    "type": "object",
    "required": ["id", "status", "markets"],
    "properties": {
        "id": {"type": "string", "pattern": "^[a-z][a-z0-9-]*$", "minLength": 2, "maxLength": 20},
        "status": {"enum": ["active", "retired", "planned"]},
        "version": {"const": 1},
        "kind": {"type": ["string", "null"], "enum": ["service", "hardware", None]},
        "score": {"type": "number", "minimum": 0, "maximum": 10, "multipleOf": 0.5},
        "count": {"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 100},
        "step": {"type": "integer", "multipleOf": 3},
        "homepage": {"type": "string", "format": "uri"},
        "launched": {"$ref": "#/$defs/date"},
        "retired_on": {"anyOf": [{"$ref": "#/$defs/date"}, {"type": "integer", "minimum": 1970}]},
        "markets": {
            "type": "array",
            "minItems": 1,
            "maxItems": 5,
            "uniqueItems": True,
            "items": {"$ref": "#/$defs/market"},
        },
        "tags": {
            "type": "array",
            "items": {"type": "string", "minLength": 1},
            "uniqueItems": True,
            "contains": {"const": "core"},
            "maxItems": 4,
        },
        "legacy": {"type": "array", "maxItems": 0},
        "labels": {
            "type": "object",
            "propertyNames": {"pattern": "^[a-z]+$", "maxLength": 8},
            "additionalProperties": {"type": "string"},
            "minProperties": 1,
            "maxProperties": 3,
        },
        "owner": {
            "oneOf": [
                {
                    "type": "object",
                    "properties": {"kind": {"const": "team"}, "team": {"type": "string"}},
                    "required": ["kind", "team"],
                    "additionalProperties": False,
                },
                {
                    "type": "object",
                    "properties": {"kind": {"const": "role"}, "role": {"type": "string"}},
                    "required": ["kind", "role"],
                    "additionalProperties": False,
                },
            ]
        },
        "contact": {"anyOf": [{"type": "null"}, {"type": "string", "format": "uri"}]},
        "ratio": {"type": "number", "not": {"const": 0}},
        "meta": {
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}, "x-a": {"maxLength": 3}},
            "patternProperties": {"^x-": {"type": "string"}},
            "additionalProperties": False,
            "dependentRequired": {"a": ["b"]},
        },
        "tree": {"$ref": "#/$defs/node"},
        "variants": {"type": "array", "maxItems": 2, "items": {"$ref": "#"}},
        "anything": True,
        "never": False,
    },
    "patternProperties": {"^x-": {}},
    "additionalProperties": False,
    "dependentRequired": {"homepage": ["contact"]},
    "allOf": [
        {
            "if": {"properties": {"status": {"const": "retired"}}, "required": ["status"]},
            "then": {"required": ["retired_on"]},
            "else": {"not": {"required": ["retired_on"]}},
        }
    ],
    "$defs": {
        "date": {"type": "string", "format": "date"},
        "country": {"type": "string", "format": "country-code"},
        "market": {
            "type": "object",
            "required": ["country"],
            "properties": {
                "country": {"$ref": "#/$defs/country"},
                "languages": {"type": "array", "items": {"type": "string", "format": "language-code"}},
                "since": {"$ref": "#/$defs/date"},
            },
            "additionalProperties": False,
        },
        "node": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string"},
                "children": {"type": "array", "items": {"$ref": "#/$defs/node"}},
            },
            "additionalProperties": False,
        },
    },
    "definitions": {"unused": {"type": "string"}},
    "x-owner": "team-policy",
}

VALID_PRODUCT: dict[str, Any] = {
    "id": "acme-chat",
    "status": "retired",
    "version": 1,
    "kind": None,
    "score": 7.5,
    "count": 5.0,
    "step": 9,
    "homepage": "https://acme.example",
    "contact": None,
    "launched": "2023-04-17",
    "retired_on": 2025,
    "markets": [{"country": "DE", "languages": ["de", "en"], "since": "2023-04-17"}, {"country": "VN"}],
    "tags": ["chat", "core"],
    "legacy": [],
    "labels": {"team": "chat"},
    "owner": {"kind": "role", "role": "bhr_lead"},
    "ratio": 0.5,
    "meta": {"a": 1, "b": 2, "x-note": "n"},
    "tree": {"name": "root", "children": [{"name": "leaf", "children": []}]},
    "variants": [{"id": "lite", "status": "planned", "markets": [{"country": "NO"}]}],
    "anything": {"free": ["form"]},
    "x-team": {"slack": "#chat"},
}

HAND_WRITTEN: list[Any] = [
    VALID_PRODUCT,
    {},
    [],
    "product",
    None,
    {"id": "A", "status": "gone", "markets": []},
    {
        "id": "ab",
        "status": "active",
        "markets": [{"country": "vn"}, {"country": "vn"}],
        "retired_on": "2020-01-01",
    },
    {
        "id": "ab",
        "status": "retired",
        "markets": [{"country": "DE", "lang": []}],
        "never": 1,
        "homepage": "x",
    },
    {"id": "ab", "status": "planned", "markets": [{"country": "DE"}], "owner": {"kind": "team", "role": "x"}},
    {"id": "ab", "status": "planned", "markets": [{"country": "DE"}], "owner": {"kind": "person"}},
    {
        "id": "ab",
        "status": "planned",
        "markets": [{"country": "DE"}],
        "labels": {"Bad": 1, "toolongname": "x"},
    },
    {"id": "ab", "status": "planned", "markets": [{"country": "DE"}], "tags": ["a", "a", ""], "ratio": 0},
    {
        "id": "ab",
        "status": "planned",
        "markets": [{"country": "DE"}],
        "meta": {"a": 1, "x-a": "long", "y": 1},
    },
    {"id": "ab", "status": "planned", "markets": [{"country": "DE"}], "tree": {"children": [{"name": 1}]}},
    {"id": "ab", "status": "planned", "markets": [{"country": "DE"}], "variants": [{}, {"id": 1}, {}]},
    {
        "id": "ab",
        "status": "planned",
        "markets": [{"country": "DE"}],
        "score": 3.3,
        "count": 100,
        "step": 4.5,
    },
    {"id": "ab", "status": "planned", "markets": [{"country": "DE"}], "contact": "nope", "kind": "soft"},
]

ODD_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    -1,
    1.0,
    2.5,
    1e300,
    "",
    "x",
    "VN",
    "vn",
    "2026-02-30",
    [],
    {},
]


def positions(node: Any, out: list[tuple[Any, Any]] | None = None) -> list[tuple[Any, Any]]:
    """Every (container, key) in an instance, so a mutation can hit any depth."""
    out = [] if out is None else out
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in list(children):
        out.append((node, key))
        positions(value, out)
    return out


def objects(node: Any) -> list[dict[Any, Any]]:
    found = [node] if isinstance(node, dict) else []
    return found + [parent[key] for parent, key in positions(node) if isinstance(parent[key], dict)]


def mutate(instance: Any, rng: random.Random) -> Any:
    instance = copy.deepcopy(instance)
    for _ in range(rng.randint(1, 3)):
        spots = positions(instance)
        if not spots:
            return rng.choice(ODD_VALUES)
        parent, key = rng.choice(spots)
        value = parent[key]
        action = rng.choice(
            ["delete", "retype", "add_key", "bad_enum", "bad_date", "duplicate", "empty", "case"]
        )
        if action == "delete":
            del parent[key]
        elif action == "retype":
            parent[key] = copy.deepcopy(rng.choice(ODD_VALUES))
        elif action == "add_key":
            if found := objects(instance):
                rng.choice(found)[rng.choice(["staus", "x-extra", "Bad Key", "kind", "b"])] = rng.choice(
                    ODD_VALUES
                )
        elif action == "bad_enum" and isinstance(value, str):
            parent[key] = value + "z"
        elif action == "bad_date":
            parent[key] = rng.choice(["2026-02-30", "2026-2-3", "01.02.2026", "2024-02-29"])
        elif action == "duplicate" and isinstance(value, list) and value:
            value.append(copy.deepcopy(rng.choice(value)))
        elif action == "empty" and isinstance(value, (list, dict)):
            value.clear()
        elif action == "case" and isinstance(value, str):
            parent[key] = value.swapcase()
    return instance


def oracle(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    """jsonschema with the same formats: its own "date"; "uri" by an independent scheme test (jsonschema
    checks "uri" only when rfc3987 is installed); the custom formats by hrpolicy.validate.codes."""
    jsonschema.Draft202012Validator.check_schema(schema)
    checker = jsonschema.FormatChecker()
    checker.checks("uri")(
        lambda s: not isinstance(s, str) or re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", s) is not None
    )
    for name, problem in FORMATS.items():
        checker.checks(name)(lambda s, problem=problem: not isinstance(s, str) or problem(s) is None)
    return jsonschema.Draft202012Validator(schema, format_checker=checker)


def assert_agrees(schema: dict[str, Any], instances: list[Any]) -> None:
    ours, theirs = compile_schema(schema, FORMATS), oracle(schema)
    for instance in instances:
        mine = ours(instance)
        errors = list(theirs.iter_errors(instance))
        theirs_shown = [(list(e.absolute_path), e.message) for e in errors]
        context = f"instance={instance!r}\nours={mine}\njsonschema={theirs_shown}"
        assert bool(mine) == bool(errors), context
        paths = {v.path for v in mine}
        for error in errors:
            path = tuple(error.absolute_path)
            # These keywords report at the object or array; ours point inside it (at the unexpected key,
            # the duplicate item, the offending key name, or the errors of the branch that was meant).
            inside = error.validator in ("anyOf", "oneOf", "additionalProperties", "uniqueItems")
            if inside or "propertyNames" in error.schema_path:
                assert any(p[: len(path)] == path for p in paths), f"{path} not covered\n{context}"
            else:
                assert path in paths, f"{path} ({error.message}) not reported\n{context}"
        for path in paths:  # and nothing is reported where jsonschema sees no problem
            assert any(path[: len(p)] == tuple(p) for p in (e.absolute_path for e in errors)), context


def generated(bases: list[Any], count: int, seed: int) -> list[Any]:
    rng = random.Random(seed)
    return [mutate(rng.choice(bases), rng) for _ in range(count)]


def test_varied_schema_agrees_with_jsonschema() -> None:
    assert compile_schema(VARIED_SCHEMA, FORMATS)(VALID_PRODUCT) == []
    assert_agrees(VARIED_SCHEMA, HAND_WRITTEN + generated([VALID_PRODUCT], 400, seed=20260101))


def stringify_dates(x: Any) -> Any:
    # YAML reads unquoted dates as date objects; validation sees the manifest's text.
    if isinstance(x, dict):
        return {k: stringify_dates(v) for k, v in x.items()}
    if isinstance(x, list):
        return [stringify_dates(v) for v in x]
    return x.isoformat() if isinstance(x, datetime.date) else x


def test_manifest_schema_agrees_with_jsonschema() -> None:
    from ruamel.yaml import YAML

    schema = json.loads(MANIFEST_SCHEMA.read_text(encoding="utf-8"))
    examples = [
        stringify_dates(YAML(typ="safe").load(path.read_text(encoding="utf-8")))
        for path in sorted((ROOT / "examples").glob("*/hrpolicy.yaml"))
    ]
    minimal = {"schema_version": 1, "product": {"id": "acme-chat", "name": "Acme Chat"}}
    bases = [*examples, minimal]
    assert_agrees(schema, [*bases, {}, [], None, *generated(bases, 400, seed=7)])


@pytest.mark.parametrize(
    "path", sorted((ROOT / "hrpolicy" / "schemas").glob("*.schema.json")), ids=lambda p: p.name
)
def test_every_shipped_schema_compiles(path: Path) -> None:
    # A keyword or format the compiler lacks must fail here, not be skipped silently at check time.
    schema = json.loads(path.read_text(encoding="utf-8"))
    assert_agrees(schema, [{}, [], None, "x", {"x-extension": 1}])


def test_each_shipped_schema_compiles_whole_and_its_lazy_validator_agrees() -> None:
    # The validators in use compile each part when first used; compiled whole, every shipped schema must
    # be accepted, and both must find the same on valid and broken documents alike.
    from hrpolicy.load.yaml import load_file
    from hrpolicy.validate import schemas

    docs = [load_file(p).data for p in sorted(ROOT.glob("examples/**/*.yaml")) if "workflows" not in p.parts]
    broken = copy.deepcopy(docs[0])
    broken["markets"] = [{"country": "XX", "status": "gone", "extra": 1}, "VN"]
    broken["product"]["id"] = 7
    samples = [*docs, broken, {}, [], {"waivers": [{"rule": 1}], "rules": [{"id": None}]}]
    for name in ("manifest", "rules", "country-data", "pack", "waivers"):
        schema = schemas.central_waivers_schema() if name == "waivers" else schemas.load_schema(name)
        whole = compile_schema(schema, schemas.FORMATS)
        lazy = compile_schema(schema, schemas.FORMATS, lazy=True)
        for sample in samples:
            assert lazy(sample) == whole(sample), name
    assert schemas.validator("manifest")(broken) == compile_schema(schemas.load_schema("manifest"), FORMATS)(
        broken
    )
    assert len(schemas.validator("manifest")(broken)) >= 4


def test_a_lazy_validator_shared_by_threads_finds_what_a_whole_one_finds() -> None:
    import sys
    from concurrent.futures import ThreadPoolExecutor

    from hrpolicy.load.yaml import load_file
    from hrpolicy.validate import schemas

    schema = schemas.load_schema("manifest")
    docs = [load_file(p).data for p in sorted(ROOT.glob("examples/companies/*.yaml"))]
    broken = copy.deepcopy(docs[0])
    broken["markets"] = [{"country": "XX", "status": "gone"}]
    samples = [*docs, broken] * 4
    expected = [compile_schema(schema, FORMATS)(d) for d in samples]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, mid-compile included
    try:
        for _ in range(20):
            lazy = compile_schema(schema, FORMATS, lazy=True)
            with ThreadPoolExecutor(8) as pool:
                assert list(pool.map(lazy, samples)) == expected
    finally:
        sys.setswitchinterval(interval)

"""Print µs per validation of a realistic manifest: hrpolicy.validate.schemacheck versus jsonschema.

Usage: python scripts/bench_schemacheck.py [N]. Needs jsonschema (a test dependency).
The inline case is a 60-line manifest-like instance; when the shipped manifest schema and the
acme-chat example exist, they are measured as well.
"""

from __future__ import annotations

import datetime
import json
import sys
import time
from pathlib import Path
from typing import Any

from hrpolicy.validate import codes
from hrpolicy.validate.schemacheck import compile_schema

ROOT = Path(__file__).resolve().parent.parent
FORMATS = {"country-code": codes.country_problem, "language-code": codes.language_problem}

TEXT = {"type": "string", "minLength": 1, "maxLength": 500}
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["schema_version", "product"],
    "additionalProperties": False,
    "patternProperties": {"^x-": {}},
    "properties": {
        "schema_version": {"const": 1},
        "product": {
            "type": "object",
            "required": ["id", "name"],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "string", "pattern": "^[a-z0-9][a-z0-9._-]{0,63}$"},
                "name": {"$ref": "#/$defs/text"},
                "kind": {"enum": ["service", "hardware", "hybrid"]},
                "service_types": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
                "cyber_surveillance_capable": {"type": "boolean"},
            },
        },
        "markets": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["country", "status"],
                "additionalProperties": False,
                "properties": {
                    "country": {"type": "string", "format": "country-code"},
                    "status": {"enum": ["planned", "beta", "launched", "withdrawing", "withdrawn"]},
                    "launch_date": {"type": "string", "format": "date"},
                    "languages": {"type": "array", "items": {"type": "string", "format": "language-code"}},
                    "data_residency": {
                        "type": "object",
                        "required": ["law", "applies"],
                        "properties": {"law": {"$ref": "#/$defs/text"}, "applies": {"type": "boolean"}},
                        "if": {"properties": {"applies": {"const": False}}},
                        "then": {"required": ["rationale"]},
                    },
                },
            },
        },
        "data_stores": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "country"],
                "properties": {
                    "id": {"type": "string"},
                    "country": {"type": "string", "format": "country-code"},
                    "data_categories": {
                        "type": "array",
                        "items": {"enum": ["personal", "content", "metadata"]},
                    },
                    "encryption": {
                        "type": "object",
                        "properties": {"at_rest": {"type": "boolean"}, "key_country": {"type": "string"}},
                    },
                },
            },
        },
        "transparency": {
            "type": "object",
            "properties": {
                "reports": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "url": {"type": "string", "format": "uri"},
                            "cadence_months": {"type": "integer", "minimum": 1, "maximum": 24},
                        },
                    },
                },
                "shutdown_policy": {"anyOf": [{"type": "null"}, {"$ref": "#/$defs/text"}]},
            },
        },
        "assessments": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "date", "status"],
                "properties": {
                    "id": {"type": "string"},
                    "date": {"type": "string", "format": "date"},
                    "status": {"enum": ["draft", "approved", "superseded"]},
                    "markets": {"type": "array", "items": {"type": "string", "format": "country-code"}},
                    "approver": {"type": "object", "properties": {"role": {"$ref": "#/$defs/text"}}},
                },
            },
        },
    },
    "$defs": {"text": TEXT},
}


def market(country: str, status: str, langs: list[str]) -> dict[str, Any]:
    return {"country": country, "status": status, "launch_date": "2026-03-01", "languages": langs}


# About 60 lines of YAML.
INSTANCE: dict[str, Any] = {
    "schema_version": 1,
    "product": {
        "id": "acme-chat",
        "name": "Acme Chat",
        "kind": "service",
        "service_types": ["messaging", "social_network"],
        "cyber_surveillance_capable": False,
    },
    "markets": [
        market("DE", "launched", ["de", "en"]),
        market("BR", "launched", ["pt"]),
        {**market("VN", "planned", ["vi", "en"]), "data_residency": {"law": "Decree 53", "applies": True}},
        market("TR", "beta", ["tr"]),
    ],
    "data_stores": [
        {
            "id": "sg-1",
            "country": "SG",
            "data_categories": ["personal", "content"],
            "encryption": {"at_rest": True},
        },
        {"id": "de-2", "country": "DE", "data_categories": ["personal"], "encryption": {"at_rest": True}},
    ],
    "transparency": {
        "reports": [{"url": "https://acme.example/t", "cadence_months": 6}] * 2,
        "shutdown_policy": None,
    },
    "assessments": [
        {
            "id": "hria-vn",
            "date": "2025-12-01",
            "status": "approved",
            "markets": ["VN"],
            "approver": {"role": "bhr"},
        },
        {"id": "hria-tr", "date": "2025-10-01", "status": "draft", "markets": ["TR"]},
    ],
    "x-team": {"slack": "#chat"},
}


def per_call(fn: Any, arg: Any, n: int) -> float:
    fn(arg)  # warm caches (lazy snapshot load, regex compilation)
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            fn(arg)
        best = min(best, (time.perf_counter() - start) / n)
    return best * 1e6


def oracle(schema: dict[str, Any]) -> Any:
    import jsonschema

    checker = jsonschema.FormatChecker()
    for name, check in FORMATS.items():
        checker.checks(name)(lambda s, check=check: not isinstance(s, str) or check(s) is None)
    return jsonschema.Draft202012Validator(schema, format_checker=checker)


def stringify_dates(x: Any) -> Any:
    # YAML reads unquoted dates as date objects; the CLI hands the validator their text.
    if isinstance(x, dict):
        return {k: stringify_dates(v) for k, v in x.items()}
    if isinstance(x, list):
        return [stringify_dates(v) for v in x]
    return x.isoformat() if isinstance(x, datetime.date) else x


def bench(label: str, schema: dict[str, Any], instance: Any, n: int) -> None:
    ours = compile_schema(schema, FORMATS)
    theirs = oracle(schema)
    found = len(list(theirs.iter_errors(instance)))
    print(f"{label}: ours {len(ours(instance))} violations, jsonschema {found}")
    mine, ref = (
        per_call(ours, instance, n),
        per_call(lambda i: list(theirs.iter_errors(i)), instance, n // 10),
    )
    print(
        f"  schemacheck {mine:8.1f} µs/validation\n  jsonschema  {ref:8.1f} µs/validation ({ref / mine:.0f}x)"
    )


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    bench("inline manifest-like schema, 60-line instance", SCHEMA, INSTANCE, n)
    schema_file = ROOT / "hrpolicy" / "schemas" / "manifest.schema.json"
    example = ROOT / "examples" / "acme-chat" / "hrpolicy.yaml"
    if schema_file.exists() and example.exists():
        from ruamel.yaml import YAML

        instance = stringify_dates(YAML(typ="safe").load(example.read_text(encoding="utf-8")))
        bench(
            f"shipped schema, {example.relative_to(ROOT)}", json.loads(schema_file.read_text()), instance, n
        )


if __name__ == "__main__":
    main()

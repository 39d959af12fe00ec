"""Validation of every input kind against its shipped JSON Schema (compiled once by
:mod:`hrpolicy.validate.schemacheck`): manifests (plus the checks a schema cannot express: unique ids), rule
files, country-data files and central waivers files. Every problem becomes one
``file:line:col: $.path: message``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from hrpolicy.load.document import Document, pointer_join
from hrpolicy.model import ErrorRecord
from hrpolicy.validate import codes
from hrpolicy.validate.schemacheck import Violation, compile_schema, json_path

# Package data sits beside the modules in every supported install (wheel, editable, source tree); a path
# is cheaper on the hot path than importlib.resources.
SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
FORMATS = {"country-code": codes.country_problem, "language-code": codes.language_problem}
#: List -> the field that must be unique within it.
UNIQUE_KEYS = {
    "markets": "country",
    "data_stores": "id",
    "features": "id",
    "assessments": "id",
    "enforcement_playbooks": "id",
}


@cache
def load_schema(name: str) -> dict[str, Any]:
    """A shipped schema by name: ``manifest``, ``rules`` or ``country-data``."""
    return dict(json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text("utf-8")))


@cache
def central_waivers_schema() -> dict[str, Any]:
    """``waivers.yaml`` in a rules directory: the manifest's waiver entries plus optional ``products``."""
    manifest = load_schema("manifest")
    entry = copy.deepcopy(manifest["properties"]["waivers"]["items"])
    entry["properties"]["products"] = {
        "type": "array",
        "items": {"type": "string", "minLength": 1},
        "minItems": 1,
        "uniqueItems": True,
        "description": "Product ids (product.id) the waiver applies to; omitted: every product.",
    }
    return {
        "$defs": manifest.get("$defs", {}),
        "type": "object",
        "properties": {"waivers": {"type": "array", "items": entry, "description": "Central waivers."}},
        "additionalProperties": False,
        "patternProperties": {"^x-": {}},
    }


@cache
def validator(name: str) -> Callable[[Any], list[Violation]]:
    """The shipped schema ``name`` compiled, each part when first used (tests compile them whole)."""
    schema = central_waivers_schema() if name == "waivers" else load_schema(name)
    return compile_schema(schema, FORMATS, lazy=True)


def validate_manifest(doc: Document) -> list[ErrorRecord]:
    """Every problem of a product manifest: schema violations, then duplicate ids; in file order."""
    errors = _schema_errors(doc, "manifest")
    if not errors:
        errors.extend(_duplicates(doc))
        errors.sort(key=lambda e: (e.line or 0, e.column or 0))
    return errors


def validate_rules(doc: Document) -> list[ErrorRecord]:
    """Every schema violation of a rule file, in file order."""
    return _schema_errors(doc, "rules")


def validate_country_data(doc: Document) -> list[ErrorRecord]:
    """Every schema violation of a country-data file, in file order."""
    return _schema_errors(doc, "country-data")


def validate_pack(doc: Document) -> list[ErrorRecord]:
    """Every schema violation of a rules directory's ``pack.yaml``, in file order."""
    return _schema_errors(doc, "pack")


def validate_waivers(doc: Document) -> list[ErrorRecord]:
    """Every schema violation of a central ``waivers.yaml``, in file order."""
    return _schema_errors(doc, "waivers")


def rules_violations(data: Any) -> list[Violation]:
    """The rules schema's violations of a rule file's data, with their paths (for ``rules lint``)."""
    return validator("rules")(data)


def _schema_errors(doc: Document, schema: str) -> list[ErrorRecord]:
    if doc.data is None:
        return [ErrorRecord(doc.path, "the file is empty", 1, 1)]
    errors = [_record(doc, v.path, f"{json_path(v.path)}: {v.message}") for v in validator(schema)(doc.data)]
    errors.sort(key=lambda e: (e.line or 0, e.column or 0))
    return errors


def _record(doc: Document, path: tuple[str | int, ...], message: str) -> ErrorRecord:
    pointer = ""
    for p in path:
        pointer = pointer_join(pointer, p)
    line, col = doc.position(pointer)
    return ErrorRecord(doc.path, message, line, col)


def _duplicates(doc: Document) -> list[ErrorRecord]:
    errors = []
    data: Mapping[str, Any] = doc.data
    for collection, key in UNIQUE_KEYS.items():
        seen: set[Any] = set()
        for i, entry in enumerate(data.get(collection) or ()):
            value = entry.get(key)
            if value in seen:
                path = (collection, i, key)
                errors.append(
                    _record(doc, path, f"{json_path(path)}: duplicate {key} {value!r} in {collection}")
                )
            seen.add(value)
    return errors

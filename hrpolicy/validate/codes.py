"""ISO 3166-1 alpha-2 country codes and ISO 639-1 language codes, checked without importing pycountry.

Known codes come from ``hrpolicy/data/iso_codes.json``, a snapshot written by ``scripts/gen_iso_codes.py``
and read once on first use: importing pycountry costs ~46 ms of the hook's 100 ms budget. Only a code the
snapshot lacks consults pycountry (an installed newer release may know a newer code). Codes are exact
case: countries upper case (``VN``), languages lower case (``vi``).

``country_problem`` and ``language_problem`` are ``schemacheck.FormatCheck`` functions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

_snapshot: dict[str, dict[str, str]] | None = None
_fallback: dict[tuple[str, str], str | None] = {}

# Codes people often write for a country whose ISO code differs (EU and ITU usage).
_MISTAKES = {"UK": "GB", "EL": "GR"}


def _table(kind: str) -> dict[str, str]:
    global _snapshot
    if _snapshot is None:
        # A path beside the module: package data is on disk in every supported install, and
        # importlib.resources would add ~8 ms of imports to the hook.
        text = (
            Path(__file__)
            .resolve()
            .parent.parent.joinpath("data", "iso_codes.json")
            .read_text(encoding="utf-8")
        )
        _snapshot = json.loads(text)
    return _snapshot[kind]


def _from_pycountry(kind: str, code: str) -> str | None:
    # Only reached for a code the snapshot lacks, so the hook never pays for importing pycountry on
    # valid manifests. pycountry's lookups ignore case, so the exact code is compared afterwards.
    if (kind, code) not in _fallback:
        try:
            import pycountry
        except ImportError:
            found: Any = None
        else:
            db = pycountry.countries if kind == "countries" else pycountry.languages
            found = db.get(alpha_2=code)
        name = None
        if found is not None and found.alpha_2 == code:
            name = getattr(found, "common_name", None) or found.name
        _fallback[kind, code] = name
    return _fallback[kind, code]


def _name(kind: str, code: str) -> str | None:
    name = _table(kind).get(code)
    # Only a well-formed code (two ASCII letters in the right case) can be one pycountry knows.
    right_case = code.isupper() if kind == "countries" else code.islower()
    if name is None and len(code) == 2 and code.isascii() and code.isalpha() and right_case:
        name = _from_pycountry(kind, code)
    return name


def country_name(code: str) -> str | None:
    """The country's short English name (``VN`` -> ``Vietnam``), or None for an unknown code."""
    return _name("countries", code)


def country_problem(code: str) -> str | None:
    """None for a valid ISO 3166-1 alpha-2 code, else a one-line message for the manifest author."""
    if _name("countries", code) is not None:
        return None
    message = f"{_quote(code)} is not an ISO 3166-1 alpha-2 country code"
    if code.upper() in _MISTAKES:
        return f"{message} (use {_MISTAKES[code.upper()]!r})"
    if code.upper() != code and _name("countries", code.upper()) is not None:
        return f"{message} (upper case, e.g. {code.upper()!r})"
    return message


def language_problem(code: str) -> str | None:
    """None for a valid ISO 639-1 code, else a one-line message for the manifest author."""
    if _name("languages", code) is not None:
        return None
    message = f"{_quote(code)} is not an ISO 639-1 language code"
    if code.lower() != code and _name("languages", code.lower()) is not None:
        return f"{message} (lower case, e.g. {code.lower()!r})"
    return message


def _quote(code: str) -> str:
    # The code comes from a user's file: keep the message short (repr already escapes control characters).
    text = str.__repr__(code)
    return text if len(text) <= 40 else text[:37] + "..."

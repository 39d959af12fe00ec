"""Write hrpolicy/data/iso_codes.json, the ISO 3166-1 / ISO 639-1 snapshot hrpolicy.validate.codes reads.

The snapshot lets the pre-commit hook check codes without importing pycountry (~46 ms). Re-run after
upgrading pycountry; tests/unit/test_codes.py fails while the snapshot is stale.

Usage: python scripts/gen_iso_codes.py
"""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

import pycountry

OUTPUT = Path(__file__).resolve().parent.parent / "hrpolicy" / "data" / "iso_codes.json"


def build() -> dict[str, object]:
    countries = {c.alpha_2: getattr(c, "common_name", None) or c.name for c in pycountry.countries}
    languages = {lang.alpha_2: lang.name for lang in pycountry.languages if getattr(lang, "alpha_2", None)}
    return {
        "source": f"pycountry {version('pycountry')} (ISO 3166-1, ISO 639-1)",
        "countries": dict(sorted(countries.items())),
        "languages": dict(sorted(languages.items())),
    }


def render() -> str:
    """The exact file text: sorted keys and a fixed layout, so regenerating is a no-op diff."""
    return json.dumps(build(), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> None:
    OUTPUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()

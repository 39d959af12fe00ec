"""hrpolicy.validate.codes: the ISO code snapshot is current, codes are exact case, and pycountry stays
unimported."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from hrpolicy.validate import codes

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = ROOT / "hrpolicy" / "data" / "iso_codes.json"


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_iso_codes", ROOT / "scripts" / "gen_iso_codes.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_snapshot_matches_installed_pycountry() -> None:
    assert SNAPSHOT.read_text(encoding="utf-8") == generator().render(), (
        "hrpolicy/data/iso_codes.json is stale for the installed pycountry: run scripts/gen_iso_codes.py"
    )


@pytest.mark.parametrize("code", ["VN", "NO", "DE", "GB", "BR"])
def test_valid_countries(code: str) -> None:
    assert codes.country_problem(code) is None


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("vn", "'vn' is not an ISO 3166-1 alpha-2 country code (upper case, e.g. 'VN')"),
        ("Vn", "'Vn' is not an ISO 3166-1 alpha-2 country code (upper case, e.g. 'VN')"),
        ("XX", "'XX' is not an ISO 3166-1 alpha-2 country code"),
        ("UK", "'UK' is not an ISO 3166-1 alpha-2 country code (use 'GB')"),
        ("", "'' is not an ISO 3166-1 alpha-2 country code"),
        ("VNM", "'VNM' is not an ISO 3166-1 alpha-2 country code"),
        ("V\n", "'V\\n' is not an ISO 3166-1 alpha-2 country code"),
    ],
)
def test_invalid_countries(code: str, message: str) -> None:
    assert codes.country_problem(code) == message


def test_languages() -> None:
    assert codes.language_problem("vi") is None
    assert codes.language_problem("en") is None
    assert codes.language_problem("VI") == "'VI' is not an ISO 639-1 language code (lower case, e.g. 'vi')"
    assert codes.language_problem("xx") == "'xx' is not an ISO 639-1 language code"
    assert codes.language_problem("vie") == "'vie' is not an ISO 639-1 language code"


def test_names() -> None:
    assert codes.country_name("VN") == "Vietnam"  # pycountry's common name where it has one
    assert codes.country_name("DE") == "Germany"
    assert codes.country_name("vn") is None


def test_known_codes_do_not_import_pycountry() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-c",
            "from hrpolicy.validate import codes; codes.country_problem('VN')",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    imported = [line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines() if "|" in line]
    assert "hrpolicy.validate.codes" in imported
    assert not [m for m in imported if m.startswith("pycountry")], "the fast path imported pycountry"


def test_unknown_codes_consult_pycountry(monkeypatch: pytest.MonkeyPatch) -> None:
    # A newer pycountry than the snapshot may know a newer code: a snapshot miss falls back to it.
    monkeypatch.delitem(codes._table("countries"), "VN")
    monkeypatch.setattr(codes, "_fallback", {})
    assert codes.country_problem("VN") is None
    assert codes._fallback == {("countries", "VN"): "Vietnam"}

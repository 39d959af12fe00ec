"""``hrpolicy schema manifest|rules|country-data``: print a shipped JSON Schema."""

from __future__ import annotations

from typing import IO

from hrpolicy.validate.schemas import SCHEMA_DIR


def run(name: str, stdout: IO[str]) -> int:
    stdout.write((SCHEMA_DIR / f"{name}.schema.json").read_text("utf-8"))
    return 0

"""``hrpolicy schema manifest|rules|country-data``: print a shipped JSON Schema."""

from __future__ import annotations

from importlib import resources
from typing import IO

SCHEMAS = ("manifest", "rules", "country-data")


def run(name: str, stdout: IO[str]) -> int:
    stdout.write(resources.files("hrpolicy.schemas").joinpath(f"{name}.schema.json").read_text("utf-8"))
    return 0

"""The embedded country data: Freedom on the Net 2025 with localisation laws and scopes
(``country_risk.yaml``) over Freedom in the World 2026 (``freedom_in_the_world_2026.yaml``), both Freedom
House."""

from __future__ import annotations

from pathlib import Path

from hrpolicy import hookimpl

HERE = Path(__file__).parent
DATA_FILES = (HERE / "freedom_in_the_world_2026.yaml", HERE / "country_risk.yaml")


@hookimpl
def hrpolicy_country_data_files() -> tuple[Path, ...]:
    return DATA_FILES

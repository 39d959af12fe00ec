"""The embedded country data set: Freedom on the Net 2025 (Freedom House), see ``country_risk.yaml``."""

from __future__ import annotations

from pathlib import Path

from hrpolicy import hookimpl

DATA_FILE = Path(__file__).with_name("country_risk.yaml")


@hookimpl
def hrpolicy_country_data_files() -> tuple[Path, ...]:
    return (DATA_FILE,)

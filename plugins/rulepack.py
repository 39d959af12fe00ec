"""The default HRDD rule pack (``rules/`` of the repository, installed as ``hrpolicy/rules``)."""

from __future__ import annotations

from pathlib import Path

from hrpolicy import hookimpl

# In a wheel this module is hrpolicy/plugins/rulepack.py and the pack is hrpolicy/rules; in a source
# checkout they are plugins/ and rules/ side by side. Either way the pack is a sibling of this folder.
DEFAULT_PACK = Path(__file__).resolve().parent.parent / "rules"


@hookimpl
def hrpolicy_rule_dirs() -> tuple[Path, ...]:
    return (DEFAULT_PACK,)

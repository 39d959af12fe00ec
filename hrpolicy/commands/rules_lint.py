"""``hrpolicy rules lint [DIR ...]``: every problem of the rule files, one ``file:line:col: message`` each.

Exit 0 when the pack is clean, 2 when a rule file has problems (as ``check`` would refuse it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO

from hrpolicy import api
from hrpolicy.model import OutputOptions
from hrpolicy.outputs import parse_outputs, write_outputs
from hrpolicy.pluginmanager import Plugins, get_plugin_manager


def run(
    dirs: Sequence[str],
    *,
    formats: Sequence[str],
    autoload: bool,
    stdout: IO[str],
    plugins: Sequence[object] = (),
) -> int:
    manager = Plugins(get_plugin_manager(autoload=autoload, plugins=plugins))
    outputs = parse_outputs(formats, manager.output_formats(), "rules-lint")
    result = api.lint_rules(dirs, manager=manager)
    write_outputs(outputs, result, OutputOptions(), stdout)
    return result.exit_code

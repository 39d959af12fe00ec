"""``hrpolicy rules lint [DIR ...]``: every problem of the rule files, one ``file:line:col: message`` each.

Exit 0 when the pack is clean, 2 when a rule file has problems (as ``check`` would refuse it).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from hrpolicy.authoring.lint import lint
from hrpolicy.evaluate.session import country_table
from hrpolicy.language.pack import rule_files
from hrpolicy.model import ExitCode
from hrpolicy.pluginmanager import Plugins, get_plugin_manager


def run(dirs: Sequence[str], *, fmt: str, autoload: bool, stdout: IO[str]) -> int:
    plugins = Plugins(get_plugin_manager(autoload=autoload))
    paths = [Path(d) for d in dirs] or plugins.rule_dirs()
    countries = country_table(plugins, paths)
    facts = countries.facts("VN").keys() | countries.unknown().keys()
    problems = lint(paths, plugins.operators(), facts, countries.dataset.keys())
    files = len(rule_files(paths))
    if fmt == "json":
        report = {
            "schema_version": 1,
            "files": files,
            "problems": [
                {"path": p.path, "line": p.line, "column": p.column, "message": p.message} for p in problems
            ],
        }
        json.dump(report, stdout, indent=2, ensure_ascii=False)
        stdout.write("\n")
    else:
        for p in problems:
            stdout.write(f"{p}\n")
        noun = "problem" if len(problems) == 1 else "problems"
        stdout.write(f"{files} rule files checked, {len(problems)} {noun}\n")
    return ExitCode.USAGE if problems else ExitCode.OK

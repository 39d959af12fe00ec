"""``hrpolicy rules test [DIR ...]``: run the rule packs' test cases (``DIR/tests/*.yaml``).

Exit 0 when every expectation holds and every rule has a failing and a passing case; 1 otherwise; 2 when
a rule file itself is invalid. Results in any format that writes test runs (text, json, junit, ...).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import IO

from hrpolicy import api
from hrpolicy.model import OutputOptions
from hrpolicy.outputs import parse_outputs, write_outputs


def run(
    dirs: Sequence[str],
    *,
    formats: Sequence[str],
    autoload: bool,
    stdout: IO[str],
    today: datetime.date,
    plugins: Sequence[object] = (),
) -> int:
    session = api.open_session(dirs, autoload=autoload, plugins=plugins)
    outputs = parse_outputs(formats, session.plugins.output_formats(), "rules-test")
    # Cases and files without `today:` are evaluated on this date; give one so results never drift.
    result = api.test_rules(today=today, session=session)
    write_outputs(outputs, result, OutputOptions(), stdout)
    return result.exit_code

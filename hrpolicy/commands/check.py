"""``hrpolicy check``: evaluate manifests and write reports."""

from __future__ import annotations

import datetime
import io
import os
import sys
from collections.abc import Sequence
from typing import IO

from hrpolicy import api
from hrpolicy.load.discover import discover
from hrpolicy.model import OutputOptions
from hrpolicy.outputs import parse_outputs, write_outputs

PROGRESS_AFTER = 50


def run(
    paths: Sequence[str],
    *,
    today: datetime.date,
    rules: Sequence[str] = (),
    formats: Sequence[str] = (),
    fail_on: str = "high",
    base: str | None = None,
    jobs: int = 1,
    autoload: bool = True,
    verbose: bool = False,
    evidence: bool = False,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
    plugins: Sequence[object] = (),
) -> int:
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    found = discover(paths)
    session = api.open_session(rules, autoload=autoload, plugins=plugins)
    outputs = parse_outputs(formats, session.plugins.output_formats(), "check")
    show_progress = len(found.files) >= PROGRESS_AFTER and err.isatty()

    def progress(done: int, total: int) -> None:
        if done % 25 == 0 or done == total:
            err.write(f"\rchecked {done}/{total} manifests" + ("\n" if done == total else ""))
            err.flush()

    result = api.check(
        found,
        today=today,
        base=base,
        fail_on=fail_on,
        jobs=jobs,
        session=session,
        progress=progress if show_progress else None,
        evidence=evidence,
    )
    for e in result.errors:
        err.write(f"{e}\n")
    color = out.isatty() and not os.environ.get("NO_COLOR")
    try:
        options = OutputOptions(color=color, verbose=verbose)
        write_outputs(outputs, result, options, out, inputs=found.files)
        out.flush()
    except BrokenPipeError:
        # The reader (`| head`) went away: the verdict still stands, and the exit code says it.
        _silence(out)
    return result.exit_code


def _silence(stream: IO[str]) -> None:
    """Point a closed pipe at /dev/null so the interpreter's final flush does not complain."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass

"""Where each report of a run goes: ``--format NAME[=FILE]``, repeatable, for every command that reports.

Formats are plugins (:func:`hrpolicy.hookspecs.hrpolicy_output_formats`); a command asks for the ones that
write its kind of result (``check``, ``rules-test``, ``rules-lint``) and hands each the finished result.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any, NamedTuple

from hrpolicy.errors import UsageError
from hrpolicy.files import report_file
from hrpolicy.model import OutputFormat, OutputOptions, Writer


class Output(NamedTuple):
    name: str
    write: Writer
    target: str | None  # None: standard output


def parse_outputs(specs: Sequence[str], formats: Mapping[str, OutputFormat], kind: str) -> list[Output]:
    """``text``, ``json``, ``json=report.json``: each format to stdout or to a file; one may use stdout.

    When every format goes to a file, the text report still goes to stdout (what a CI log should show).
    An unknown name, or one that cannot write this kind of result, is a usage error, never a silent
    fallback.
    """
    available = {name: f.writers[kind] for name, f in formats.items() if kind in f.writers}
    outputs: list[Output] = []
    for spec in specs or ["text"]:
        name, _, target = spec.partition("=")
        target = "" if target == "-" else target  # NAME=- is standard output
        if name not in available:
            raise UsageError(f"unknown format {name!r} (available: {', '.join(sorted(available))})")
        outputs.append(Output(name, available[name], target or None))
    to_stdout = sum(1 for o in outputs if o.target is None)
    if to_stdout > 1:
        raise UsageError(
            "only one --format can write to stdout; give the others a file: --format json=out.json"
        )
    if not to_stdout and "text" in available:
        outputs.append(Output("text", available["text"], None))
    return outputs


def write_outputs(
    outputs: Sequence[Output],
    result: Any,
    options: OutputOptions,
    stdout: IO[str],
    *,
    inputs: Iterable[str | os.PathLike[str]] = (),
) -> None:
    """Files first, then stdout: a reader that closes the pipe early loses no report file. Colour, when
    asked for, is only ever written to stdout. No report replaces one of the run's ``inputs``."""
    inputs = list(inputs)
    plain = options._replace(color=False)
    for out in outputs:
        if out.target is not None:
            with report_file(out.target, inputs=inputs) as fh:
                out.write(result, fh, plain)
    for out in outputs:
        if out.target is None:
            out.write(result, stdout, options)

"""Where each report of a run goes: ``--format NAME[=FILE]``, repeatable, for every command that reports."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from typing import IO, TypeVar

from hrpolicy.errors import UsageError
from hrpolicy.files import write_report

T = TypeVar("T")


def parse_outputs(specs: Sequence[str], available: Mapping[str, T]) -> list[tuple[T, str | None]]:
    """``text``, ``json``, ``json=report.json``: each format to stdout or to a file; one may use stdout.

    When every format goes to a file, the text report still goes to stdout (what a CI log should show).
    An unknown name is a usage error, never a silent fallback.
    """
    outputs: list[tuple[T, str | None]] = []
    for spec in specs or ["text"]:
        name, _, target = spec.partition("=")
        if name not in available:
            raise UsageError(f"unknown format {name!r} (available: {', '.join(sorted(available))})")
        outputs.append((available[name], target or None))
    to_stdout = sum(1 for _, t in outputs if t is None)
    if to_stdout > 1:
        raise UsageError(
            "only one --format can write to stdout; give the others a file: --format json=out.json"
        )
    if not to_stdout and "text" in available:
        outputs.append((available["text"], None))
    return outputs


def write_outputs(
    outputs: Sequence[tuple[T, str | None]], render: Callable[[T, IO[str]], None], stdout: IO[str]
) -> None:
    """Files first (atomically), then stdout: a reader that closes the pipe early loses no report file."""
    for item, target in outputs:
        if target is not None:
            buffer = io.StringIO()
            render(item, buffer)
            write_report(target, buffer.getvalue())
    for item, target in outputs:
        if target is None:
            render(item, stdout)

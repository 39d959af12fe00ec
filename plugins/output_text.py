"""``--format text``: for people. Grouped by manifest, ``file:line:col severity RULE-ID message``."""

from __future__ import annotations

from typing import IO

from hrpolicy import hookimpl
from hrpolicy.model import NOTICE, Finding, OutputFormat, OutputOptions, RunResult

COLORS = {
    "critical": "\033[1;31m",
    "high": "\033[31m",
    "medium": "\033[33m",
    "low": "\033[36m",
    NOTICE: "\033[2m",
    "waived": "\033[2m",
}
RESET = "\033[0m"


def _line(f: Finding, color: bool) -> str:
    loc = f.location
    sev = f.severity
    if color:
        sev = f"{COLORS['waived' if f.waived else f.severity]}{sev}{RESET}"
    text = f"{loc.path}:{loc.line}:{loc.column} {sev} {f.rule} {f.message}"
    if f.waived and f.waiver is not None:
        w = f.waiver
        text += f" [waived until {w.expires}{', ' + w.ticket if w.ticket else ''}: {w.reason}]"
    return text


def write(result: RunResult, stream: IO[str], options: OutputOptions) -> None:
    for r in result.results:
        if not r.findings and not options.verbose:
            continue
        stream.write(f"{r.manifest} ({r.product})\n")
        for f in r.findings:
            stream.write("  " + _line(f, options.color) + "\n")
            if options.verbose and f.remediation and f.counts:
                stream.write(f"      fix: {f.remediation}\n")
    stream.write(summary_line(result) + "\n")


def summary_line(result: RunResult) -> str:
    findings = result.findings()
    counted = result.by_severity()
    notices = counted.pop(NOTICE, 0)
    total = sum(counted.values())
    parts = [f"{len(result.results)} manifest{'s' if len(result.results) != 1 else ''} checked"]
    if result.errors:
        parts.append(f"{len(result.errors)} error{'s' if len(result.errors) != 1 else ''}")
    detail = ", ".join(f"{n} {sev}" for sev, n in counted.items())
    parts.append(f"{total} finding{'s' if total != 1 else ''}" + (f" ({detail})" if detail else ""))
    waived = sum(1 for f in findings if f.waived)
    if waived:
        parts.append(f"{waived} waived")
    if notices:
        parts.append(f"{notices} notice{'s' if notices != 1 else ''}")
    verdict = {0: "passed", 1: f"failed (--fail-on {result.fail_on})", 2: "errors"}.get(result.exit_code, "")
    return ", ".join(parts) + f": {verdict}"


@hookimpl
def hrpolicy_output_formats() -> tuple[OutputFormat, ...]:
    return (OutputFormat("text", "human-readable, grouped by manifest (default)", write, ".txt"),)

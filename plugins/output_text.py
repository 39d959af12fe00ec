"""``--format text``: for people. Grouped by manifest, ``file:line:col severity RULE-ID message``."""

from __future__ import annotations

from typing import IO

from hrpolicy import hookimpl
from hrpolicy.errors import one_line, where
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
    # Everything printed passes through one_line(): manifest text (messages, waiver reasons, tickets,
    # even file names) must never start a new line, move the cursor or forge a workflow command.
    loc = f.location
    sev = f.severity
    if color:
        sev = f"{COLORS['waived' if f.waived else f.severity]}{sev}{RESET}"
    text = f"{where(loc.path, loc.line, loc.column)} {sev} {f.rule} {one_line(f.message)}"
    if f.waived and f.waiver is not None:
        w = f.waiver
        ticket = f", {one_line(w.ticket, 40)}" if w.ticket else ""
        text += f" [waived until {w.expires}{ticket}: {one_line(w.reason, 200)}]"
    return text


def write(result: RunResult, stream: IO[str], options: OutputOptions) -> None:
    for r in result.results:
        if not r.findings and not options.verbose:
            continue
        stream.write(f"{one_line(r.manifest)} ({one_line(r.product, 64)})\n")
        for f in r.findings:
            stream.write("  " + _line(f, options.color) + "\n")
            if options.verbose and f.remediation and f.counts:
                stream.write(f"      fix: {one_line(f.remediation)}\n")
    stream.write(summary_line(result) + "\n")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def summary_line(result: RunResult) -> str:
    findings = result.findings()
    counted = result.by_severity()
    total = sum(counted.values())
    parts = [f"{_count(result.manifests or len(result.results), 'manifest')} checked"]
    if result.errors:
        parts.append(_count(len(result.errors), "error"))
    detail = ", ".join(f"{n} {sev}" for sev, n in counted.items())
    parts.append(_count(total, "finding") + (f" ({detail})" if detail else ""))
    waived = sum(1 for f in findings if f.waived)
    if waived:
        parts.append(f"{waived} waived")
    notices = sum(1 for f in findings if f.severity == NOTICE)
    if notices:
        parts.append(_count(notices, "notice"))
    verdict = {0: "passed", 1: f"failed (--fail-on {result.fail_on})", 2: "errors"}.get(result.exit_code, "")
    return ", ".join(parts) + f": {verdict}"


@hookimpl
def hrpolicy_output_formats() -> tuple[OutputFormat, ...]:
    return (OutputFormat("text", "human-readable, grouped by manifest (default)", write, ".txt"),)

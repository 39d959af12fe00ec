"""``--format text``: for people. ``check``: grouped by manifest, ``file:line:col severity RULE-ID message``;
``rules test``: failed expectations, errors and the coverage line; ``rules lint``: one problem a line."""

from __future__ import annotations

from typing import IO

from hrpolicy import hookimpl
from hrpolicy.errors import one_line, where
from hrpolicy.model import (
    NOTICE,
    Finding,
    LintResult,
    OutputFormat,
    OutputOptions,
    RunResult,
    TestRun,
    Writer,
)

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


def write_check(result: RunResult, stream: IO[str], options: OutputOptions) -> None:
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


def coverage_line(result: TestRun) -> str:
    rules = result.coverage
    failing = sum(1 for seen in rules.values() if "fail" in seen)
    passing = sum(1 for seen in rules.values() if "pass" in seen)
    both = sum(1 for seen in rules.values() if {"fail", "pass"} <= seen)
    return (
        f"coverage: {both}/{len(rules)} rules tested both ways "
        f"(failing cases for {failing}, passing cases for {passing})"
    )


def write_test(result: TestRun, stream: IO[str], options: OutputOptions) -> None:
    for r in result.results:
        if not r.ok:
            stream.write(
                f"{one_line(r.file)}:{r.line}: FAIL {r.rule} {one_line(r.case)}: {one_line(r.detail)}\n"
            )
    for e in result.errors:
        stream.write(f"{e}\n")
    stream.write(coverage_line(result) + "\n")
    failed = sum(1 for r in result.results if not r.ok)
    errors = f", {len(result.errors)} errors" if result.errors else ""
    stream.write(f"{len(result.results) - failed} passed, {failed} failed{errors}\n")


def write_lint(result: LintResult, stream: IO[str], options: OutputOptions) -> None:
    for p in result.problems:
        stream.write(f"{p}\n")
    noun = "problem" if len(result.problems) == 1 else "problems"
    stream.write(f"{result.files} rule files checked, {len(result.problems)} {noun}\n")


@hookimpl
def hrpolicy_output_formats() -> tuple[OutputFormat, ...]:
    writers: dict[str, Writer] = {"check": write_check, "rules-test": write_test, "rules-lint": write_lint}
    return (OutputFormat("text", "human-readable (the default)", writers, ".txt"),)

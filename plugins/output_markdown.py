"""``--format markdown``: the run for people reading GitHub (``$GITHUB_STEP_SUMMARY``, a pull-request
comment, a check run's summary): the verdict, counts by severity, a table of findings (rule, severity,
where, what to do), waivers with their expiry and notices.

Manifest text is escaped (:mod:`hrpolicy.markdown`), so it cannot add Markdown or HTML. The report stays
under ``limit`` bytes of UTF-8 (GitHub takes 65,535 characters for a check run's summary and 1 MiB for a
step summary):
rows that do not fit are left out and a last line says how many.
"""

from __future__ import annotations

from typing import IO

from hrpolicy import hookimpl, markdown
from hrpolicy.model import NOTICE, SEVERITIES, SEVERITY_RANK, Finding, OutputFormat, OutputOptions, RunResult

STEP_SUMMARY_LIMIT = 1_000_000  # bytes; GitHub's limit is 1 MiB
ICONS = {"critical": "🔴", "high": "🟠", "medium": "🟡", "low": "🔵", NOTICE: "ℹ️"}


def _where(f: Finding) -> str:
    return markdown.code(f"{f.location.path}:{f.location.line}", cell=True)


def _verdict(result: RunResult) -> str:
    code = result.exit_code
    if code == 0:
        return "✅ **hrpolicy: passed**"
    if code == 1:
        return f"❌ **hrpolicy: failed** (findings at or above `{result.fail_on}`)"
    return "⚠️ **hrpolicy: errors** (some manifests or rule files could not be evaluated)"


def render(result: RunResult, limit: int = STEP_SUMMARY_LIMIT) -> str:
    findings = result.findings()
    counting = [f for f in findings if f.counts]
    waived = [f for f in findings if f.waived]
    notices = [f for f in findings if f.severity == NOTICE]
    counts = result.by_severity()
    head = [
        _verdict(result),
        "",
        f"{result.manifests or len(result.results)} manifest(s) checked on {result.evaluated_on}: "
        + (", ".join(f"{counts[s]} {s}" for s in SEVERITIES if s in counts) or "no findings")
        + (f"; {len(waived)} waived" if waived else "")
        + (f"; {len(notices)} notice(s)" if notices else ""),
        "",
    ]
    sections: list[tuple[str, list[str]]] = []
    if result.errors:
        sections.append(("### Errors", [f"- {markdown.text(str(e))}" for e in result.errors]))
    ordered = sorted(counting, key=lambda f: (-SEVERITY_RANK[f.severity], f.location.path, f.location.line))
    if ordered:
        rows = ["| | rule | where | finding | what to do |", "|---|---|---|---|---|"]
        rows += [
            f"| {ICONS.get(f.severity, '')} {f.severity} | {markdown.code(f.rule, cell=True)} | {_where(f)} "
            f"| {markdown.text(f.message, cell=True)} | {markdown.text(f.remediation, cell=True)} |"
            for f in ordered
        ]
        sections.append(("### Findings", rows))
    if waived:
        rows = ["| rule | where | waived until | reason | approver |", "|---|---|---|---|---|"]
        rows += [
            f"| {markdown.code(f.rule, cell=True)} | {_where(f)} | {f.waiver.expires} "
            f"| {markdown.text(f.waiver.reason, cell=True)} "
            f"| {markdown.text(f.waiver.approver_role, cell=True)} |"
            for f in waived
            if f.waiver is not None
        ]
        sections.append(("### Waivers", rows))
    if notices:
        sections.append(
            (
                "### Notices",
                [f"- {markdown.code(f.rule)} {_where(f)}: {markdown.text(f.message)}" for f in notices],
            )
        )
    return _fit(head, sections, limit)


def _fit(head: list[str], sections: list[tuple[str, list[str]]], limit: int) -> str:
    """The sections in order, leaving out rows (never the table heads) once the text would pass ``limit``
    bytes of UTF-8 (GitHub counts the step summary in bytes, a check run's summary in characters: a byte
    limit keeps both)."""
    parts = ["\n".join(head) + "\n"]
    used = _size(parts[0])
    left_out = 0
    reserve = 200  # room for the closing note
    for title, rows in sections:
        block = f"{title}\n\n"
        fixed = rows[:2] if rows and rows[0].startswith("|") else []
        opening = block + "".join(r + "\n" for r in fixed)
        if used + _size(opening) + reserve > limit:
            left_out += len(rows) - len(fixed)
            continue
        parts.append(opening)
        used += _size(opening)
        for row in rows[len(fixed) :]:
            size = _size(row) + 1
            if used + size + reserve > limit:
                left_out += 1
                continue
            parts.append(row + "\n")
            used += size
        parts.append("\n")
        used += 1
    if left_out:
        parts.append(
            f"_{left_out} more rows are not shown here (size limit); the JSON report has them all._\n"
        )
    return "".join(parts)


def _size(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def write(result: RunResult, stream: IO[str], options: OutputOptions) -> None:
    stream.write(render(result))


@hookimpl
def hrpolicy_output_formats() -> tuple[OutputFormat, ...]:
    return (OutputFormat("markdown", "Markdown for step summaries and PR comments", {"check": write}, ".md"),)

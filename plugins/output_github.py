"""``--format github``: GitHub Actions workflow commands, so findings show as annotations on the manifest.

``::error file=F,line=L,col=C,title=T::message`` per finding (critical and high are errors, medium and low
warnings, notices and waived findings notices), escaped exactly as the Actions toolkit escapes: ``%`` CR LF
in the message, and ``:`` ``,`` too in properties. Nothing from a manifest can start or end a command.
GitHub shows at most 10 annotations per level per step, so the most severe come first and one line says
how many more there are (they stay in the log).
"""

from __future__ import annotations

from typing import IO

from hrpolicy import hookimpl
from hrpolicy.errors import one_line
from hrpolicy.model import NOTICE, SEVERITY_RANK, Finding, OutputFormat, OutputOptions, RunResult

SHOWN_PER_LEVEL = 10
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "warning", NOTICE: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def level(f: Finding) -> str:
    return "notice" if f.waived else LEVEL.get(f.severity, "warning")


def command(f: Finding) -> str:
    loc = f.location
    title = f"{f.rule} ({'waived' if f.waived else f.severity})"
    properties = ",".join(
        f"{k}={escape_property(one_line(str(v)))}"
        for k, v in (("file", loc.path), ("line", loc.line), ("col", loc.column), ("title", title))
    )
    message = f.message + (
        f" [waived until {f.waiver.expires}: {f.waiver.reason}]" if f.waived and f.waiver else ""
    )
    return f"::{level(f)} {properties}::{escape_data(one_line(message))}"


def write(result: RunResult, stream: IO[str], options: OutputOptions) -> None:
    findings = sorted(
        result.findings(),
        key=lambda f: (f.waived, -SEVERITY_RANK.get(f.severity, 0), f.location.path, f.location.line),
    )
    shown: dict[str, int] = {}
    held_back = 0
    for f in findings:
        lvl = level(f)
        if shown.get(lvl, 0) >= SHOWN_PER_LEVEL:
            held_back += 1
            continue
        shown[lvl] = shown.get(lvl, 0) + 1
        stream.write(command(f) + "\n")
    for e in result.errors:
        props = f"file={escape_property(one_line(e.path))}" + (f",line={e.line}" if e.line else "")
        stream.write(f"::error {props},title=hrpolicy::{escape_data(one_line(e.message))}\n")
    if held_back:
        stream.write(
            f"::notice title=hrpolicy::{held_back} more findings are not annotated (GitHub shows "
            f"{SHOWN_PER_LEVEL} per level and step); see the report or the check run\n"
        )


@hookimpl
def hrpolicy_output_formats() -> tuple[OutputFormat, ...]:
    return (OutputFormat("github", "GitHub Actions workflow-command annotations", {"check": write}, ".txt"),)

"""``hrpolicy report``: the business & human rights lead's view of every product: manifests (a monorepo,
or a folder written by ``hrpolicy collect``) and JSON reports from CI, as HTML, Markdown, CSV or JSON."""

from __future__ import annotations

import datetime
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from hrpolicy.errors import UsageError
from hrpolicy.model import ErrorRecord, OutputFormat, RunResult

Writer = Callable[[Mapping[str, Any], IO[str]], None]


def _html(doc: Mapping[str, Any], out: IO[str]) -> None:
    from hrpolicy.portfolio import html  # Jinja2: only for this format

    html.write(doc, out)


def _writers() -> dict[str, tuple[str, Writer]]:
    from hrpolicy.portfolio import writers

    return {
        "html": ("one self-contained HTML file: sortable, filterable tables, readable offline", _html),
        "markdown": ("a board-paper appendix", writers.write_markdown),
        "csv": ("one row per product and market, for spreadsheets", writers.write_csv),
        "json": ("the whole portfolio document", writers.write_json),
    }


def run(
    paths: Sequence[str],
    *,
    results: Sequence[str] = (),
    formats: Sequence[str] = (),
    evidence_for: Sequence[str] = (),
    rules: Sequence[str] = (),
    jobs: int = 0,
    today: datetime.date,
    autoload: bool = True,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    from hrpolicy import api
    from hrpolicy.load.discover import discover
    from hrpolicy.outputs import parse_outputs
    from hrpolicy.portfolio.build import build, gather, provenance

    out, err = stdout or sys.stdout, stderr or sys.stderr
    if not paths and not results:
        raise UsageError("report needs manifests (PATH) or JSON reports (--results FILE)")
    available = {
        name: OutputFormat(name, description, {"report": _adapt(write)})
        for name, (description, write) in _writers().items()
    }
    outputs = parse_outputs(list(formats) or ["markdown"], available, "report")
    session = api.open_session(rules, autoload=autoload)
    found = discover(paths) if paths else None
    files = [f for f in found.files if f.name != "collect.json"] if found else []
    errors: list[ErrorRecord] = [*session.central_errors, *(found.refused if found else ())]
    entries = []
    wanted = frozenset(evidence_for)
    workers = jobs if jobs > 0 else (os.cpu_count() or 1)
    for outcome in gather(session, files, today=today, evidence_for=wanted, jobs=workers):
        if isinstance(outcome, list):
            errors.extend(outcome)
        else:
            entries.append(outcome)
    runs = [_read(r) for r in results]
    for r in runs:
        errors.extend(r.errors)
    known = {str(f["id"]) for _, f in entries} | {str(m.product) for r in runs for m in r.results}
    missing = sorted(wanted - known)
    if missing:
        raise UsageError(f"--evidence-for: no product {', '.join(missing)} among the manifests")
    prov, coverage = provenance(paths)
    doc = build(
        entries,
        results=runs,
        errors=errors,
        session=session,
        today=today,
        evidence_for=wanted,
        provenance_of=prov,
        coverage=coverage,
    )
    for e in errors:
        err.write(f"{e}\n")
    from hrpolicy.model import OutputOptions
    from hrpolicy.outputs import write_outputs

    write_outputs(outputs, doc, OutputOptions(), out, inputs=[*paths, *results])
    return 2 if errors else 0


def _adapt(write: Writer) -> Callable[[Any, IO[str], Any], None]:
    def writer(doc: Any, out: IO[str], options: Any) -> None:
        write(doc, out)

    return writer


def _read(path: str) -> RunResult:
    from hrpolicy.files import display_path, read_regular
    from hrpolicy.reports import read_report

    try:
        data = json.loads(read_regular(Path(path), 256 * 1024 * 1024))
        return read_report(data)
    except OSError as exc:
        raise UsageError(f"--results {display_path(path)}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise UsageError(
            f"--results {display_path(path)}: not a JSON report of hrpolicy check ({exc})"
        ) from None

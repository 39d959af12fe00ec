"""``--format json``: the stable, versioned reports (``schema_version`` 1) of ``check``, ``rules test`` and
``rules lint``."""

from __future__ import annotations

import json
from typing import IO, Any

from hrpolicy import __version__, hookimpl
from hrpolicy.model import LintResult, OutputFormat, RunResult, TestRun
from hrpolicy.reports import report, result_dict


def test_report(result: TestRun) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "tool": {"name": "hrpolicy", "version": __version__},
        "results": [r._asdict() for r in result.results],
        "errors": [{"path": e.path, "line": e.line, "message": e.message} for e in result.errors],
        "coverage": {rid: sorted(seen) for rid, seen in sorted(result.coverage.items())},
        "summary": {
            "expectations": len(result.results),
            "passed": sum(1 for r in result.results if r.ok),
            "failed": sum(1 for r in result.results if not r.ok),
            "errors": len(result.errors),
            "rules": len(result.coverage),
            "rules_tested_both_ways": sum(1 for s in result.coverage.values() if {"fail", "pass"} <= s),
            "ok": result.ok,
        },
    }


def lint_report(result: LintResult) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "files": result.files,
        "problems": [
            {"path": p.path, "line": p.line, "column": p.column, "message": p.message}
            for p in result.problems
        ],
    }


def _dump(report: dict[str, Any], stream: IO[str]) -> None:
    json.dump(report, stream, indent=2, ensure_ascii=False)
    stream.write("\n")


def _dump_check(result: RunResult, stream: IO[str]) -> None:
    """The check report, each manifest's result written as it is made: over 10,000 manifests, never every
    finding as a dictionary at once. The text is what ``json.dump`` of the whole report would write."""
    head = json.dumps(report(result, with_results=False), indent=2, ensure_ascii=False)
    # Quotes inside JSON strings are escaped, so this text can only be the key itself.
    before, after = head.split('\n  "results": [],', 1)
    stream.write(before + '\n  "results": [')
    for n, r in enumerate(result.results):
        entry = json.dumps(result_dict(r, evidence=result.evidence), indent=2, ensure_ascii=False)
        stream.write(("," if n else "") + "\n    " + entry.replace("\n", "\n    "))
    stream.write(("\n  ]," if result.results else "],") + after + "\n")


@hookimpl
def hrpolicy_output_formats() -> tuple[OutputFormat, ...]:
    writers = {
        "check": lambda result, stream, options: _dump_check(result, stream),
        "rules-test": lambda result, stream, options: _dump(test_report(result), stream),
        "rules-lint": lambda result, stream, options: _dump(lint_report(result), stream),
    }
    return (
        OutputFormat(
            "json", "the stable JSON report (schema_version 1; 2 with --evidence)", writers, ".json"
        ),
    )

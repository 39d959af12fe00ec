"""``--format json``: the stable, versioned reports (``schema_version`` 1) of ``check``, ``rules test`` and
``rules lint``."""

from __future__ import annotations

import json
from typing import IO, Any

from hrpolicy import __version__, hookimpl
from hrpolicy.model import Finding, LintResult, OutputFormat, RunResult, TestRun

REPORT_VERSION = 1


def finding_dict(f: Finding) -> dict[str, Any]:
    loc = f.location
    waiver = None
    if f.waiver is not None:
        w = f.waiver
        waiver = {
            "reason": w.reason,
            "approver": {"role": w.approver_role},
            "ticket": w.ticket,
            "expires": w.expires,
            "status": w.status,
            "source": w.source,
        }
    return {
        "rule": f.rule,
        "severity": f.severity,
        "message": f.message,
        "remediation": f.remediation,
        "location": {"path": loc.path, "line": loc.line, "column": loc.column, "pointer": loc.pointer},
        "waived": f.waived,
        "waiver": waiver,
        "fingerprint": f.fingerprint,
    }


def report(result: RunResult) -> dict[str, Any]:
    findings = result.findings()
    return {
        "schema_version": REPORT_VERSION,
        "tool": {
            "name": "hrpolicy",
            "version": result.version,
            "rules": [{"id": r.id, "severity": r.severity, "title": r.title} for r in result.rules],
        },
        "evaluated_on": result.evaluated_on.isoformat(),
        "results": [
            {"manifest": r.manifest, "product": r.product, "findings": [finding_dict(f) for f in r.findings]}
            for r in result.results
        ],
        "errors": [{"path": e.path, "line": e.line, "message": e.message} for e in result.errors],
        "summary": {
            "manifests": result.manifests,
            "findings": sum(1 for f in findings if f.counts),
            "waived": sum(1 for f in findings if f.waived),
            "by_severity": result.by_severity(),
            "exit_code": result.exit_code,
        },
    }


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


@hookimpl
def hrpolicy_output_formats() -> tuple[OutputFormat, ...]:
    writers = {
        "check": lambda result, stream, options: _dump(report(result), stream),
        "rules-test": lambda result, stream, options: _dump(test_report(result), stream),
        "rules-lint": lambda result, stream, options: _dump(lint_report(result), stream),
    }
    return (OutputFormat("json", "the stable JSON report (schema_version 1)", writers, ".json"),)

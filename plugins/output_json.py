"""``--format json``: the stable, versioned report (``schema_version`` 1)."""

from __future__ import annotations

import json
from typing import IO, Any

from hrpolicy import hookimpl
from hrpolicy.model import Finding, OutputFormat, OutputOptions, RunResult

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


def write(result: RunResult, stream: IO[str], options: OutputOptions) -> None:
    json.dump(report(result), stream, indent=2, ensure_ascii=False)
    stream.write("\n")


@hookimpl
def hrpolicy_output_formats() -> tuple[OutputFormat, ...]:
    return (OutputFormat("json", "the stable JSON report (schema_version 1)", write, ".json"),)

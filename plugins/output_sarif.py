"""``--format sarif``: SARIF 2.1.0 for GitHub code scanning (``github/codeql-action/upload-sarif``).

One run per invocation: ``tool.driver`` lists every rule evaluated (help text and Markdown with the
remediation and references, a default level, ``security-severity`` and tags); each finding is a result at
the manifest's line and column, its URI relative to the repository root (git's top level, else the working
directory) with ``uriBaseId``; ``partialFingerprints`` come from the finding's stable fingerprint, waived
findings carry a ``suppressions`` entry with the waiver's reason, and ``automationDetails.id`` lets
several runs share a repository. Notices are ``note`` results.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO, Any

from hrpolicy import __version__, hookimpl
from hrpolicy.model import NOTICE, OutputFormat, OutputOptions, RuleInfo, RunResult

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/hrpolicy/hrpolicy"
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note", NOTICE: "note"}
#: GitHub reads security-severity as CVSS-like bands: >9 critical, 7-8.9 high, 4-6.9 medium, <4 low.
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}


def repository_root() -> str:
    """git's top level for the working directory, else the working directory itself."""
    import subprocess

    try:
        top = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=False, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        top = ""
    return top or os.getcwd()


def _uri(path: str, root: str) -> str:
    """The manifest's path relative to the repository root, as a URI reference (percent-encoded)."""
    from urllib.parse import quote

    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute, root) if absolute.startswith(root.rstrip(os.sep) + os.sep) else path
    return quote(relative.replace(os.sep, "/"))


def _rule(info: RuleInfo) -> dict[str, Any]:
    refs = "\n".join(
        f"- {r.framework} {r.section}" + (f" ({r.note})" if r.note else "") for r in info.references
    )
    help_text = f"{info.remediation}\n\nReferences:\n{refs}" if refs else info.remediation
    markdown = f"{info.rationale}\n\n**What to do:** {info.remediation}" + (
        f"\n\n**References:**\n\n{refs}" if refs else ""
    )
    return {
        "id": info.id,
        "name": info.id.replace("-", ""),
        "shortDescription": {"text": info.title[:1024] or info.id},
        "fullDescription": {"text": (info.rationale or info.title)[:1024] or info.id},
        "help": {"text": help_text or info.title or info.id, "markdown": markdown.strip() or info.id},
        "defaultConfiguration": {"level": LEVELS.get(info.severity, "warning")},
        "properties": {
            "security-severity": SECURITY_SEVERITY.get(info.severity, "5.5"),
            "tags": ["human-rights", *info.tags][:20],
            "precision": "high",
        },
    }


def sarif(result: RunResult, root: str | None = None) -> dict[str, Any]:
    root = root or repository_root()
    rules = [_rule(r) for r in result.rules]
    index = {r.id: i for i, r in enumerate(result.rules)}
    results = []
    for manifest in result.results:
        for f in manifest.findings:
            entry: dict[str, Any] = {
                "ruleId": f.rule,
                "level": LEVELS.get(f.severity, "warning"),
                "message": {"text": f.message or f.rule},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {
                                "uri": _uri(f.location.path, root),
                                "uriBaseId": "%SRCROOT%",
                            },
                            "region": {
                                "startLine": max(1, f.location.line),
                                "startColumn": max(1, f.location.column),
                            },
                        }
                    }
                ],
                "partialFingerprints": {"primaryLocationLineHash": f.fingerprint},
                "properties": {"severity": f.severity, "pointer": f.location.pointer},
            }
            if f.rule in index:
                entry["ruleIndex"] = index[f.rule]
            if f.waiver is not None and f.waived:
                entry["suppressions"] = [{"kind": "external", "justification": f.waiver.reason}]
            results.append(entry)
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "hrpolicy",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": f"hrpolicy/{result.evaluated_on.isoformat()}"},
                "originalUriBaseIds": {"%SRCROOT%": {"uri": Path(root).as_uri().rstrip("/") + "/"}},
                "invocations": [
                    {
                        "executionSuccessful": not result.errors,
                        "toolExecutionNotifications": [
                            {"level": "error", "message": {"text": str(e)}} for e in result.errors
                        ],
                    }
                ],
                "results": results,
            }
        ],
    }


def write(result: RunResult, stream: IO[str], options: OutputOptions) -> None:
    json.dump(sarif(result), stream, indent=2, ensure_ascii=False)
    stream.write("\n")


@hookimpl
def hrpolicy_output_formats() -> tuple[OutputFormat, ...]:
    return (OutputFormat("sarif", "SARIF 2.1.0 for GitHub code scanning", {"check": write}, ".sarif"),)

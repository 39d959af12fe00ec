"""The JSON report of ``check`` (``schema_version`` 1; 2 with the evidence trail of ``--evidence``): a
:class:`~hrpolicy.model.RunResult` to the report's dictionary and back (the evidence trail is written,
not read back: publishing needs the findings). The ``json`` output format writes it; ``publish github
--results FILE`` reads it, so a report made by one CI job can be published by another.

A report may come from a job that ran untrusted code (a fork's pull request), so reading one checks every
field's type: a line is a number, a date is an ISO date, a severity is a severity, text is a string that
passes through :func:`hrpolicy.identifiers.shown`; each writer then escapes text as it does for a run of
its own.
"""

from __future__ import annotations

import datetime
from typing import Any

from hrpolicy.model import (
    NOTICE,
    SEVERITIES,
    AppliedWaiver,
    ErrorRecord,
    Finding,
    Location,
    ManifestResult,
    RatingSource,
    RuleInfo,
    RunResult,
)

REPORT_VERSION = 1
#: Version 2 is version 1 plus ``results[].evidence`` (``check --evidence``); readers accept both.
EVIDENCE_VERSION = 2


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


def report(result: RunResult, *, with_results: bool = True) -> dict[str, Any]:
    """The JSON report of a check (``with_results=False``: with an empty ``results`` list, for a writer
    that writes each result as it goes)."""
    findings = result.findings()
    evidence = result.evidence
    out = {
        "schema_version": EVIDENCE_VERSION if evidence else REPORT_VERSION,
        "tool": {
            "name": "hrpolicy",
            "version": result.version,
            "rules": [{"id": r.id, "severity": r.severity, "title": r.title} for r in result.rules],
            # Which rating source and edition set the country tiers behind the findings.
            "country_data": {
                "sources": [
                    {"id": s.id, "name": s.name, "publisher": s.publisher, "edition_date": s.edition_date}
                    for s in result.rating_sources
                ],
                "combine": result.combine,
            },
        },
        "evaluated_on": result.evaluated_on.isoformat(),
        "results": [result_dict(r, evidence=evidence) for r in result.results] if with_results else [],
        "errors": [{"path": e.path, "line": e.line, "message": e.message} for e in result.errors],
        "summary": {
            "manifests": result.manifests,
            "findings": sum(1 for f in findings if f.counts),
            "waived": sum(1 for f in findings if f.waived),
            "by_severity": result.by_severity(),
            "exit_code": result.exit_code,
        },
    }
    return out


def result_dict(r: ManifestResult, *, evidence: bool) -> dict[str, Any]:
    """One manifest's entry in the JSON report's ``results``."""
    out = {"manifest": r.manifest, "product": r.product, "findings": [finding_dict(f) for f in r.findings]}
    if evidence:
        out["evidence"] = [dict(e) for e in r.trail]
    return out


def read_report(data: Any) -> RunResult:
    """A RunResult from a JSON report (as :func:`report` writes it). Rules carry only what the report
    keeps of them (id, title, severity). :raises ValueError: when ``data`` is not such a report."""
    try:
        if data["schema_version"] not in (REPORT_VERSION, EVIDENCE_VERSION):
            raise ValueError(
                f"schema_version {data['schema_version']!r} is not {REPORT_VERSION} or {EVIDENCE_VERSION}"
            )
        rules = tuple(
            RuleInfo(
                _text(r["id"]),
                _text(r["title"]),
                _severity(r["severity"]),
                None,
                "",
                "",
                (),
                (),
                True,
                False,
                "",
            )
            for r in data["tool"]["rules"]
        )
        results = tuple(
            ManifestResult(
                _path(r["manifest"]), _text(r["product"]), tuple(_finding(f) for f in r["findings"])
            )
            for r in data["results"]
        )
        errors = tuple(
            ErrorRecord(_path(e["path"]), _text(e["message"]), _number(e.get("line"), optional=True))
            for e in data["errors"]
        )
        summary = data["summary"]
        fail_on = _fail_on(summary, results)
        country_data = data["tool"].get("country_data") or {"sources": []}  # absent in older reports
        sources = tuple(
            RatingSource(
                _text(s["id"]), _text(s["name"]), _text(s["publisher"], True), _text(s["edition_date"], True)
            )
            for s in country_data["sources"]
        )
        return RunResult(
            _text(data["tool"]["version"]),
            rules,
            datetime.date.fromisoformat(_text(data["evaluated_on"])),
            results,
            errors,
            fail_on,
            _number(summary["manifests"]),
            sources,
            _combine(country_data.get("combine", "first")),
        )
    except (KeyError, TypeError, IndexError) as exc:
        raise ValueError(f"not an hrpolicy JSON report ({type(exc).__name__}: {exc})") from None


def _text(x: Any, optional: bool = False) -> Any:
    """A text field, as it may be shown (a forged report could carry an identifier a run would withhold)."""
    from hrpolicy.identifiers import shown

    if optional and x is None:
        return x
    if isinstance(x, str):
        return shown(x)
    raise TypeError(f"expected text, found {type(x).__name__}")


def _path(x: Any) -> str:
    """A path, as :func:`hrpolicy.files.display_path` shows one (never starting a line with ``::``)."""
    from hrpolicy.files import display_path

    return display_path(_text(x))


def _number(x: Any, optional: bool = False) -> Any:
    if (isinstance(x, int) and not isinstance(x, bool) and x >= 0) or (optional and x is None):
        return x
    raise TypeError(f"expected a line or count, found {type(x).__name__}")


def _severity(x: Any) -> str:
    if x in SEVERITIES or x == NOTICE:
        return str(x)
    raise TypeError(f"expected a severity, found {str(x)[:40]!r}")


def _date(x: Any) -> str:
    datetime.date.fromisoformat(_text(x))  # ValueError when it is not one
    return str(x)


def _finding(f: dict[str, Any]) -> Finding:
    loc = f["location"]
    waiver = None
    if f["waiver"] is not None:
        w = f["waiver"]
        waiver = AppliedWaiver(
            _text(f["rule"]),
            _text(w["reason"]),
            _text(w["approver"]["role"]),
            _date(w["expires"]),
            _text(w["status"]),
            _text(w["ticket"], optional=True),
            _text(w["source"]),
        )
    return Finding(
        _text(f["rule"]),
        _severity(f["severity"]),
        _text(f["message"]),
        _text(f["remediation"]),
        Location(_path(loc["path"]), _number(loc["line"]), _number(loc["column"]), _text(loc["pointer"])),
        _text(f["fingerprint"]),
        waiver,
    )


def _combine(x: Any) -> str:
    if x in ("first", "worst"):
        return str(x)
    raise TypeError(f"expected first or worst, found {str(x)[:40]!r}")


def _fail_on(summary: dict[str, Any], results: tuple[ManifestResult, ...]) -> str:
    """The report keeps the exit code, not the threshold: the lowest threshold that gives that code."""
    from hrpolicy.model import FAIL_ON_CHOICES

    for candidate in reversed(FAIL_ON_CHOICES[:-1]):
        trial = RunResult("", (), datetime.date.today(), results, (), candidate, 0)
        if trial.exit_code == summary["exit_code"]:
            return candidate
    return "never"

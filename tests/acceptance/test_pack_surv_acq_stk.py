"""The surveillance, acquisition and stakeholder rules on their scenarios, through the installed console
script: the exact findings SPEC §5 implies, and no personal identifier in any output."""

from __future__ import annotations

import datetime
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import REPO, TODAY, run_cli

HRPOLICY = Path(sys.executable).parent / "hrpolicy"
SCENARIOS = REPO / "examples" / "scenarios"
TEXT_LINE = re.compile(
    r"^  (?P<path>\S+):(?P<line>\d+):(?P<col>\d+) (?P<sev>\S+) (?P<rule>HRDD-[A-Z]+-\d{3}) "
)

# The identifier planted in each scenario, and other forms of it a leak could take.
PLANTED = {
    "lawful-intercept.yaml": "+84 24 3825 1234",
    "acquisition.yaml": "claire.martin@lumen-photo.example",
}
LEAK_FORMS = {
    "lawful-intercept.yaml": ["3825 1234", "2438251234", "+842438251234"],
    "acquisition.yaml": ["claire.martin", "martin@lumen"],
}


def line_in(text: str, needle: str, *, after: str | None = None) -> int:
    """1-based line of the only line holding ``needle`` (below the first line holding ``after``)."""
    lines = text.splitlines()
    start = 0
    if after is not None:
        start = next(i for i, line in enumerate(lines) if after in line) + 1
    hits = [i + 1 for i, line in enumerate(lines) if i >= start and needle in line]
    assert len(hits) == 1, f"{needle!r} is on lines {hits}, expected exactly one"
    return hits[0]


def expected(name: str, text: str) -> set[tuple[str, str, int, bool]]:
    """(rule, severity, line, waived) of every finding SPEC §5 implies for the scenario."""
    if name == "lawful-intercept.yaml":
        vn = line_in(text, "- country: VN", after="markets:")
        # Vietnam's launch_date: the first one below its market entry.
        launch = next(
            found
            for line in text.splitlines()[vn:]
            if (found := re.search(r"launch_date: (\d{4}-\d{2}-\d{2})", line))
        )
        days_ahead = (datetime.date.fromisoformat(launch.group(1)) - TODAY).days
        assert 90 < days_ahead <= 180
        return {
            # Vietnam is planned with state-owned operator sales, which a sales review rejected; Not Free,
            # but the launch is 91 to 180 days away: at most high.
            ("HRDD-SURV-001", "high", vn, False),
            # A cyber-surveillance item planned outside the EU without an export screening.
            ("HRDD-SURV-002", "critical", vn, False),
            # The liaison's phone number in the HRIA's consultation record.
            ("HRDD-STK-002", "critical", line_in(text, "channel_security:"), False),
        }
    return {
        # France is missing from the content-restriction report: medium, waived until 2027-03-31.
        ("HRDD-TRN-001", "medium", line_in(text, "{country: FR, status: launched"), True),
        # The acquisition of Lumen Photo SAS has no acquisition HRDD.
        ("HRDD-ACQ-001", "high", line_in(text, "- type: acquisition"), False),
        # The waiver reason gives a person's e-mail address.
        ("HRDD-STK-002", "critical", line_in(text, "reason:", after="waivers:"), False),
    }


def check(tmp_path: Path, name: str, fmt: str) -> subprocess.CompletedProcess[str]:
    shutil.copy(SCENARIOS / name, tmp_path / name)
    proc = run_cli("check", name, "--today", TODAY.isoformat(), "--format", fmt, cwd=tmp_path)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def findings_of(report: dict[str, Any]) -> list[dict[str, Any]]:
    (result,) = report["results"]
    return list(result["findings"])


@pytest.mark.parametrize("name", sorted(PLANTED))
def test_json_report_has_exactly_the_findings_spec_implies(tmp_path: Path, name: str) -> None:
    text = (SCENARIOS / name).read_text("utf-8")
    proc = check(tmp_path, name, "json")
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert report["errors"] == []
    got = {(f["rule"], f["severity"], f["location"]["line"], f["waived"]) for f in findings_of(report)}
    assert got == expected(name, text)
    assert report["summary"]["exit_code"] == 1


@pytest.mark.parametrize("name", sorted(PLANTED))
def test_text_report_has_exactly_the_findings_spec_implies(tmp_path: Path, name: str) -> None:
    text = (SCENARIOS / name).read_text("utf-8")
    proc = check(tmp_path, name, "text")
    assert proc.returncode == 1, proc.stderr
    got = set()
    for line in proc.stdout.splitlines():
        m = TEXT_LINE.match(line)
        if m:
            assert m["path"] == name
            got.add((m["rule"], m["sev"], int(m["line"]), "[waived until" in line))
    assert got == expected(name, text)
    assert proc.stdout.splitlines()[-1].endswith("failed (--fail-on high)")


@pytest.mark.parametrize("fmt", ["json", "text"])
@pytest.mark.parametrize("name", sorted(PLANTED))
def test_the_identifier_never_appears_in_any_output(tmp_path: Path, name: str, fmt: str) -> None:
    assert PLANTED[name] in (SCENARIOS / name).read_text("utf-8"), "update PLANTED"
    proc = check(tmp_path, name, fmt)
    assert "HRDD-STK-002" in proc.stdout
    for secret in [PLANTED[name], *LEAK_FORMS[name]]:
        assert secret not in proc.stdout, f"{secret!r} leaked into --format {fmt} stdout"
        assert secret not in proc.stderr, f"{secret!r} leaked into --format {fmt} stderr"


def test_stk_002_findings_say_what_kind_of_identifier_and_where(tmp_path: Path) -> None:
    by_scenario = {}
    for name in sorted(PLANTED):
        (stk,) = [
            f
            for f in findings_of(json.loads(check(tmp_path, name, "json").stdout))
            if f["rule"] == "HRDD-STK-002"
        ]
        by_scenario[name] = stk
    li, acq = by_scenario["lawful-intercept.yaml"], by_scenario["acquisition.yaml"]
    assert li["location"]["pointer"] == "/assessments/0/consultation/channel_security"
    assert "phone number" in li["message"]
    assert acq["location"]["pointer"] == "/waivers/0/reason"
    assert "e-mail address" in acq["message"]


def test_a_waiver_for_stk_002_is_an_error(tmp_path: Path) -> None:
    manifest = (
        "schema_version: 1\n"
        "product: {id: p, name: P}\n"
        "assessments:\n"
        '  - {id: hria-x, type: hria, date: 2026-06-01, status: draft, evidence: "ask a.b@example.org"}\n'
        "waivers:\n"
        "  - rule: HRDD-STK-002\n"
        '    reason: "The NGO asked us to keep a.b@example.org on file"\n'
        "    approver: {role: general_counsel}\n"
        "    ticket: BHR-400\n"
        "    expires: 2027-01-31\n"
    )
    (tmp_path / "hrpolicy.yaml").write_text(manifest, encoding="utf-8")
    for fmt in ("text", "json"):
        proc = run_cli("check", "--today", TODAY.isoformat(), "--format", fmt, cwd=tmp_path)
        assert proc.returncode == 2, (proc.stdout, proc.stderr)
        assert "hrpolicy.yaml:6:5: HRDD-STK-002 cannot be waived" in proc.stderr
        assert "Traceback" not in proc.stderr
        assert "a.b@example.org" not in proc.stdout + proc.stderr

"""The installed console script, run for real (subprocess) in tmp dirs, as users and CI run it."""

from __future__ import annotations

import json
import os
import pty
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from helpers import (
    EXAMPLE,
    HRPOLICY,
    REPO,
    TODAY,
    line_of,
    manifest,
    position_of,
    rule,
    rule_file,
    run_installed,
    write_pack,
)
from helpers import run_cli as _run_cli

T = ("--today", TODAY.isoformat())
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def hp(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``hrpolicy``; whatever happens, it never shows a traceback."""
    proc = _run_cli(*args, cwd=cwd, env=env, timeout=timeout)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "please report" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 1, 2), (proc.returncode, proc.stderr)
    return proc


def report(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    return dict(json.loads(proc.stdout))


def write(folder: Path, text: str | bytes, name: str = "hrpolicy.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_console_script_is_installed_next_to_the_interpreter() -> None:
    assert HRPOLICY.is_file()
    assert os.access(HRPOLICY, os.X_OK)
    assert shutil.which("hrpolicy", path=str(HRPOLICY.parent)) == str(HRPOLICY)


# ------------------------------------------------------------------------------------------ the demo


def test_readme_demo(tmp_path: Path) -> None:
    target = tmp_path / "examples" / "acme-chat"
    target.mkdir(parents=True)
    shutil.copy(EXAMPLE, target / "hrpolicy.yaml")
    text = EXAMPLE.read_text("utf-8")
    proc = run_installed("check", "examples/acme-chat/hrpolicy.yaml", *T, cwd=tmp_path)
    assert proc.returncode == 1
    line, col = position_of(text, "{country: TR")
    expected = (
        f"examples/acme-chat/hrpolicy.yaml:{line}:{col} critical HRDD-MKT-001 "
        "TR (Turkey, high risk: Not Free in Freedom on the Net 2025)"
    )
    assert expected in proc.stdout
    assert (line, col) == (29, 5)
    lines = proc.stdout.splitlines()
    assert lines[0] == "examples/acme-chat/hrpolicy.yaml (acme-chat)"
    # five findings (one critical), one waived, one notice, as the README says
    assert lines[-1] == (
        "1 manifest checked, 5 findings (1 critical, 3 high, 1 medium), 1 waived, 1 notice: "
        "failed (--fail-on high)"
    )
    rules = {line.split()[2] for line in lines[1:-1]}
    assert {"HRDD-MKT-001", "HRDD-MKT-002", "HRDD-MKT-003", "HRDD-LOC-002", "HRDD-ACQ-003"} <= rules
    assert proc.stderr == ""


# ----------------------------------------------------------------------------------- SPEC §2 manifests

SPEC_MANIFEST = """\
schema_version: 1
product:
  id: acme-chat
  name: Acme Chat
  owner: team-messaging
  kind: service
  service_types: [messaging, social_network]
  origin: built
  capabilities: []
  customers: [consumers]
  sensors: []
  cyber_surveillance_capable: false
  dsa_designation: none
  identity_verification: optional
markets:
  - country: DE
    status: launched
    languages: [de]
  - country: VN
    status: launched
    launch_date: 2026-03-01
    languages: [vi]
    context: normal
    events: [{type: election, date: 2026-05-01}]
    data_residency: {law: "VN Decree 53/2022", applies: false, rationale: "foreign provider"}
data_stores:
  - id: sg-primary
    country: SG
    data_categories: [personal, content, comms_metadata]
    encryption: {at_rest: true, key_custody_country: DE}
features:
  - id: nearby-friends
    tags: [precise_location]
encryption: {in_transit_default: true, e2ee: {available: true, default: true}}
government_requests:
  user_data_process: "policy://gov-requests/user-data@v3"
  content_process: "policy://gov-requests/content@v2"
  notify_users: true
transparency:
  reports:
    - {kind: government_user_data, url: "https://example.org/t", cadence_months: 6, countries: all}
    - {kind: government_content, url: "https://example.org/t", cadence_months: 6, countries: all}
grievance: {channels: [{type: in_app, languages: [de, vi]}]}
crisis_protocol: "policy://crisis/elections@v2"
assessments:
  - id: hria-de-2026
    type: hria
    depth: long_form
    scope: {markets: [DE]}
    date: 2026-06-01
    status: approved
    approver: {role: bhr_lead}
    evidence: "vault://hria/de-2026"
"""

VN_HRIA = """\
  - id: hria-vn-2026
    type: hria
    depth: long_form
    scope: {markets: [VN], features: [nearby-friends], data_stores: [sg-primary]}
    date: DATE
    status: approved
    approver: {role: bhr_lead}
    sections: [local_law_review, government_access, at_risk_groups, mitigations]
    at_risk_groups: [{group: journalists, mitigations: [e2ee_default]}]
    consultation: {count: 6, stakeholder_types: [digital_rights_org], channel_security: e2ee}
    evidence: "vault://hria/vn-2026"
  - id: dpia-nearby-friends
    type: dpia
    scope: {features: [nearby-friends]}
    date: 2026-03-01
    status: approved
    approver: {role: dpo}
    evidence: "vault://dpia/nearby-friends"
"""


def findings_of(proc: subprocess.CompletedProcess[str], rule_id: str) -> list[dict[str, Any]]:
    (result,) = report(proc)["results"]
    return [f for f in result["findings"] if f["rule"] == rule_id]


def test_vn_launch_without_assessment(tmp_path: Path) -> None:
    write(tmp_path, SPEC_MANIFEST)
    proc = hp("check", "hrpolicy.yaml", "--format", "json", *T, cwd=tmp_path)
    assert proc.returncode == 1
    (f,) = findings_of(proc, "HRDD-MKT-001")
    line, col = position_of(SPEC_MANIFEST, "country: VN")
    assert f["severity"] == "critical"
    assert f["location"] == {"path": "hrpolicy.yaml", "line": line, "column": col, "pointer": "/markets/1"}
    assert f["message"].startswith(
        "VN (Vietnam, high risk: Not Free in Freedom on the Net 2025) is launched (launch_date: 2026-03-01)"
        " and was never assessed"
    )
    assert f["waived"] is False
    assert f["waiver"] is None
    text = hp("check", "hrpolicy.yaml", *T, cwd=tmp_path)
    assert (
        f"hrpolicy.yaml:{line}:{col} critical HRDD-MKT-001 "
        "VN (Vietnam, high risk: Not Free in Freedom on the Net 2025)" in text.stdout
    )


def test_vn_launch_with_an_in_date_hria(tmp_path: Path) -> None:
    write(tmp_path, SPEC_MANIFEST + VN_HRIA.replace("DATE", "2026-02-01"))
    proc = hp("check", "hrpolicy.yaml", "--format", "json", *T, cwd=tmp_path)
    assert findings_of(proc, "HRDD-MKT-001") == []
    assert findings_of(proc, "HRDD-FRESH-001") == []
    assert report(proc)["summary"]["findings"] == 0
    assert proc.returncode == 0


def test_stale_assessment(tmp_path: Path) -> None:
    # Vietnam is high tier: 365 days. Approved 2025-11-27 is 366 days before 2026-11-28.
    text = SPEC_MANIFEST + VN_HRIA.replace("DATE", "2025-11-27")
    write(tmp_path, text)
    proc = hp("check", "hrpolicy.yaml", "--format", "json", *T, cwd=tmp_path)
    # One finding for the lapse, on the market where the user acts; it names the expired HRIA, and
    # HRDD-FRESH-001 stays silent about that HRIA (rule pack v2).
    assert findings_of(proc, "HRDD-FRESH-001") == []
    (mkt,) = findings_of(proc, "HRDD-MKT-001")
    assert mkt["severity"] == "critical"
    assert mkt["location"]["pointer"] == "/markets/1"
    assert "renewal is overdue since 2026-11-27" in mkt["message"]
    assert "its HRIA hria-vn-2026 (dated 2025-11-27) expired on 2026-11-27" in mkt["message"]
    assert proc.returncode == 1


# --------------------------------------------------------------------------------------- JSON report

TOP_KEYS = {"schema_version", "tool", "evaluated_on", "results", "errors", "summary"}
TOOL_KEYS = {"name", "version", "rules", "country_data"}
RULE_KEYS = {"id", "severity", "title"}
RESULT_KEYS = {"manifest", "product", "findings"}
FINDING_KEYS = {"rule", "severity", "message", "remediation", "location", "waived", "waiver", "fingerprint"}
LOCATION_KEYS = {"path", "line", "column", "pointer"}
SUMMARY_KEYS = {"manifests", "findings", "waived", "by_severity", "exit_code"}
ERROR_KEYS = {"path", "line", "message"}


def test_json_report_has_exactly_the_spec_keys(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE, tmp_path / "hrpolicy.yaml")
    write(tmp_path / "broken", "schema_version: 1\nproduct: {id: x}\n")
    proc = hp("check", "hrpolicy.yaml", "broken/hrpolicy.yaml", "--format", "json", *T, cwd=tmp_path)
    assert proc.returncode == 2
    data = report(proc)
    assert set(data) == TOP_KEYS
    assert data["schema_version"] == 1
    assert data["evaluated_on"] == "2026-11-28"
    assert set(data["tool"]) == TOOL_KEYS
    assert data["tool"]["name"] == "hrpolicy"
    from hrpolicy import __version__

    assert data["tool"]["version"] == __version__
    assert data["tool"]["rules"]
    assert all(set(r) == RULE_KEYS for r in data["tool"]["rules"])
    assert "HRDD-MKT-001" in {r["id"] for r in data["tool"]["rules"]}
    (result,) = data["results"]
    assert set(result) == RESULT_KEYS
    assert result["product"] == "acme-chat"
    assert result["manifest"] == "hrpolicy.yaml"
    assert len(result["findings"]) == 7  # 5 that count, 1 waived, 1 notice: the README demo
    for f in result["findings"]:
        assert set(f) == FINDING_KEYS
        assert set(f["location"]) == LOCATION_KEYS
        assert isinstance(f["location"]["line"], int)
        assert isinstance(f["location"]["column"], int)
        assert re.fullmatch(r"[0-9a-f]{16,64}", f["fingerprint"])
        assert isinstance(f["waived"], bool)
    waived = [f for f in result["findings"] if f["waived"]]
    assert len(waived) == 1
    assert waived[0]["waiver"]["status"] == "active"
    (error,) = data["errors"]
    assert set(error) == ERROR_KEYS
    assert (error["path"], error["line"]) == ("broken/hrpolicy.yaml", 2)
    summary = data["summary"]
    assert set(summary) == SUMMARY_KEYS
    assert (summary["manifests"], summary["waived"], summary["exit_code"]) == (2, 1, 2)
    # the waived TRN-001 finding (medium) is not counted; LOC-002 (medium) is
    assert summary["by_severity"] == {"critical": 1, "high": 3, "medium": 1}
    assert summary["findings"] == sum(summary["by_severity"].values())


def test_json_output_is_deterministic(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE, tmp_path / "hrpolicy.yaml")
    one = hp("check", "--format", "json", *T, cwd=tmp_path)
    two = hp("check", "--format", "json", *T, cwd=tmp_path)
    assert one.stdout == two.stdout


# ---------------------------------------------------------------------------------- invalid manifests


@pytest.mark.parametrize(
    ("body", "needle", "fragment"),
    [
        ("markets:\n  - {country: XX, status: planned}\n", "XX", "ISO 3166-1"),
        ("markets:\n  - {country: vn, status: planned}\n", "vn", "upper case"),
        ("markets:\n  - {country: VN, status: live}\n", "live", "is not one of"),
        ("markets:\n  - {country: VN}\n", "{country: VN}", "'status' is a required property"),
        ("marketz: []\n", "[]", "unexpected key 'marketz'"),
        ("assessments:\n  - {id: a, type: hria, status: approved, date: 2026-02-30}\n", "2026-02-30", "date"),
    ],
)
def test_invalid_manifest(tmp_path: Path, body: str, needle: str, fragment: str) -> None:
    text = manifest(body)
    write(tmp_path, text)
    proc = hp("check", "hrpolicy.yaml", *T, cwd=tmp_path)
    assert proc.returncode == 2
    (line,) = proc.stderr.splitlines()
    where = position_of(text, needle)
    assert line.startswith(f"hrpolicy.yaml:{where[0]}:{where[1]}: ")
    assert fragment in line


def test_every_problem_is_one_line(tmp_path: Path) -> None:
    text = manifest(
        "markets:\n  - {country: XX, status: planned}\n  - {country: vn, status: live}\nunknown: surprise\n"
    )
    write(tmp_path, text)
    proc = hp("check", "hrpolicy.yaml", "--format", "json", *T, cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert len(lines) == 4
    for got, needle in zip(lines, ["XX", "vn", "live", "surprise"], strict=True):
        line, col = position_of(text, needle)
        assert got.startswith(f"hrpolicy.yaml:{line}:{col}: "), got
    assert [e["line"] for e in report(proc)["errors"]] == [
        position_of(text, n)[0] for n in ["XX", "vn", "live", "surprise"]
    ]


def test_yaml_1_2_no_is_norway(tmp_path: Path) -> None:
    write(tmp_path, manifest("markets:\n  - {country: NO, status: launched, launch_date: 2025-01-01}\n"))
    proc = hp("check", "hrpolicy.yaml", "--format", "json", *T, cwd=tmp_path)
    assert proc.returncode == 1
    (f,) = findings_of(proc, "HRDD-MKT-001")
    assert f["message"].startswith("NO (Norway")


ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(9)
)

HOSTILE: dict[str, bytes] = {
    "alias-bomb": ALIAS_BOMB.encode(),
    "deep-nesting": b"schema_version: 1\nproduct: " + b"[" * 10_000 + b"]" * 10_000 + b"\n",
    "deep-nesting-json": b'{"a": ' + b"[" * 10_000 + b"]" * 10_000 + b"}",
    "nul-byte": b"schema_version: 1\nproduct: {id: p, name: P\x00}\n",
    "invalid-utf8": b"schema_version: 1\nproduct: {id: p, name: \xff\xfe}\n",
    "duplicate-keys": b"schema_version: 1\nproduct: {id: p, name: P}\nproduct: {id: q, name: Q}\n",
    "python-tag": b"schema_version: 1\nproduct: !!python/object/apply:os.system [echo pwned]\n",
    "two-documents": b"schema_version: 1\nproduct: {id: p, name: P}\n---\nschema_version: 1\n",
    "huge-string": b"schema_version: 1\nproduct: {id: p, name: '" + b"a" * 5_000_000 + b"'}\n",
    "binary": bytes(range(256)) * 4,
    "empty": b"",
    "not-a-mapping": b"- just\n- a list\n",
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_files(tmp_path: Path, kind: str) -> None:
    name = "hrpolicy.json" if kind.endswith("json") else "hrpolicy.yaml"
    write(tmp_path, HOSTILE[kind], name)
    start = time.perf_counter()
    proc = hp("check", name, *T, cwd=tmp_path, timeout=30)
    elapsed = time.perf_counter() - start
    assert proc.returncode == 2
    (line,) = proc.stderr.splitlines()
    assert line.startswith(f"{name}:"), line
    assert len(line) < 300
    assert elapsed < 5, f"{kind} took {elapsed:.1f}s"
    assert "pwned" not in proc.stdout


# ----------------------------------------------------------------------------------- exit codes, flags


@pytest.fixture(scope="module")
def medium_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pack whose only rule gives one medium finding per launched market."""
    return write_pack(
        tmp_path_factory.mktemp("medium") / "rules",
        {
            "t.yaml": rule_file(
                rule(
                    "HRDD-TST-001",
                    "for_each: markets\nwhen: {status: {equals: launched}}\n"
                    "message: '{item.country} launched'",
                    severity="medium",
                )
            )
        },
    )


@pytest.mark.parametrize(
    ("fail_on", "code"),
    [(None, 0), ("critical", 0), ("high", 0), ("medium", 1), ("low", 1), ("never", 0)],
)
def test_fail_on(tmp_path: Path, medium_pack: Path, fail_on: str | None, code: int) -> None:
    text = manifest("markets: [{country: DE, status: launched}]")
    write(tmp_path, text)
    args = ["check", "--rules", str(medium_pack), *T]
    if fail_on:
        args += ["--fail-on", fail_on]
    proc = hp(*args, cwd=tmp_path)
    assert proc.returncode == code
    line, col = position_of(text, "{country: DE")
    assert f"hrpolicy.yaml:{line}:{col} medium HRDD-TST-001 DE launched" in proc.stdout


def test_no_findings_exits_0(tmp_path: Path, medium_pack: Path) -> None:
    write(tmp_path, manifest("markets: [{country: DE, status: planned}]"))
    proc = hp("check", "--rules", str(medium_pack), "--fail-on", "low", *T, cwd=tmp_path)
    assert proc.returncode == 0
    assert proc.stdout.strip().endswith("0 findings: passed")


def test_errors_beat_findings(tmp_path: Path, medium_pack: Path) -> None:
    write(tmp_path / "a", manifest("markets: [{country: DE, status: launched}]"))
    write(tmp_path / "b", manifest("markets: [{country: DE}]"))
    proc = hp(
        "check",
        "a/hrpolicy.yaml",
        "b/hrpolicy.yaml",
        "--rules",
        str(medium_pack),
        "--fail-on",
        "low",
        *T,
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert "a/hrpolicy.yaml:3:11 medium HRDD-TST-001" in proc.stdout  # the good manifest is still reported


def test_today_from_the_environment(tmp_path: Path) -> None:
    hria = (
        "assessments: [{id: h, type: hria, status: approved, date: 2026-01-10, scope: {markets: [VN]},"
        " depth: long_form, sections: [local_law_review, government_access, at_risk_groups, mitigations],"
        " at_risk_groups: [{group: journalists, mitigations: [e2ee_default]}],"
        " consultation: {count: 3, stakeholder_types: [digital_rights_org]},"
        " approver: {role: bhr_lead}, evidence: 'vault://hria/h'}]\n"
    )
    write(tmp_path, manifest("markets: [{country: VN, status: planned}]\n" + hria))
    in_date = hp("check", "--format", "json", cwd=tmp_path, env={"HRPOLICY_TODAY": "2026-11-28"})
    assert (in_date.returncode, report(in_date)["evaluated_on"]) == (0, "2026-11-28")
    stale = hp("check", "--format", "json", cwd=tmp_path, env={"HRPOLICY_TODAY": "2027-01-11"})
    assert (stale.returncode, report(stale)["evaluated_on"]) == (1, "2027-01-11")
    # --today wins over the environment
    flag = hp("check", "--format", "json", *T, cwd=tmp_path, env={"HRPOLICY_TODAY": "2027-01-11"})
    assert (flag.returncode, report(flag)["evaluated_on"]) == (0, "2026-11-28")


@pytest.mark.parametrize(
    ("args", "env", "fragment"),
    [
        (["--today", "2026-13-01"], {}, "--today/HRPOLICY_TODAY must be a date"),
        (["--today", "tomorrow"], {}, "must be a date"),
        (["--today", "2026-W48-6"], {}, "must be a date"),  # ISO week dates: fromisoformat takes them
        (["--today", "２０２６-11-28"], {}, "must be a date"),  # full-width digits
        ([], {"HRPOLICY_TODAY": "28.11.2026"}, "must be a date"),
        (["--format", "yaml"], {}, "unknown format 'yaml'"),
        (["--format", "json", "--format", "text"], {}, "only one --format can write to stdout"),
        (["--rules", "no-such-dir"], {}, "not a rules directory"),
        (["missing.yaml"], {}, "no such file or directory: missing.yaml"),
        (["--jobs", "0"], {}, "--jobs must be at least 1"),
    ],
)
def test_usage_errors(tmp_path: Path, args: list[str], env: dict[str, str], fragment: str) -> None:
    write(tmp_path, manifest())
    proc = hp("check", *args, cwd=tmp_path, env=env)
    assert proc.returncode == 2
    (line,) = proc.stderr.splitlines()
    assert fragment in line
    assert proc.stdout == ""


def test_argparse_errors_exit_2(tmp_path: Path) -> None:
    proc = hp("check", "--fail-on", "severe", cwd=tmp_path)
    assert proc.returncode == 2
    assert "invalid choice" in proc.stderr
    assert hp("frobnicate", cwd=tmp_path).returncode == 2


def test_no_manifest_here(tmp_path: Path) -> None:
    proc = hp("check", cwd=tmp_path)
    assert proc.returncode == 2
    assert "hrpolicy init" in proc.stderr


def test_format_to_a_file_and_text_to_stdout(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE, tmp_path / "hrpolicy.yaml")
    proc = hp("check", "--format", "json=out/report.json", "--format", "text", *T, cwd=tmp_path)
    assert proc.returncode == 1
    assert "critical HRDD-MKT-001" in proc.stdout
    assert not proc.stdout.lstrip().startswith("{")
    data = json.loads((tmp_path / "out" / "report.json").read_text("utf-8"))
    assert data["summary"]["exit_code"] == 1
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["report.json"]  # no temporary file left behind
    # json to a file alone: people still get the text report on stdout
    alone = hp("check", "--format", "json=r2.json", *T, cwd=tmp_path)
    assert json.loads((tmp_path / "r2.json").read_text("utf-8")) == data
    assert alone.stdout == proc.stdout


@pytest.mark.parametrize("target", ["hrpolicy.yaml/report.json", "adir"])
def test_report_that_cannot_be_written(tmp_path: Path, target: str) -> None:
    shutil.copy(EXAMPLE, tmp_path / "hrpolicy.yaml")
    (tmp_path / "adir").mkdir()
    proc = hp("check", "--format", f"json={target}", *T, cwd=tmp_path)
    assert proc.returncode == 2
    (line,) = proc.stderr.splitlines()
    assert line.startswith(f"hrpolicy: error: cannot write {target}: ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adir", "hrpolicy.yaml"]  # no temporary file left
    assert list((tmp_path / "adir").iterdir()) == []


def test_bad_rule_file_is_one_line(tmp_path: Path) -> None:
    text = rule_file(rule("HRDD-TST-001", "when:\n  x: {matches: '(a)\\1'}\nmessage: x"))
    rules = write_pack(tmp_path / "rules", {"t.yaml": text})
    write(tmp_path, manifest())
    proc = hp("check", "--rules", "rules", *T, cwd=tmp_path)
    assert proc.returncode == 2
    (line,) = proc.stderr.splitlines()  # RE2's own log line must not leak to stderr
    where = position_of(text, "'(a)")
    assert line.startswith(f"hrpolicy: error: rules/t.yaml:{where[0]}:{where[1]}: matches: RE2 rejects")
    assert rules.is_dir()


def test_bad_country_data_override_is_one_line(tmp_path: Path, medium_pack: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(medium_pack, rules)
    data = "tiers:\n  unassessed_risk: extreme\n"
    (rules / "country-data.yaml").write_text(data, encoding="utf-8")
    write(tmp_path, manifest())
    proc = hp("check", "--rules", "rules", *T, cwd=tmp_path)
    assert proc.returncode == 2
    (line,) = proc.stderr.splitlines()
    assert line.startswith(f"hrpolicy: error: rules/country-data.yaml:{line_of(data, 'extreme')}:")


# ---------------------------------------------------------------------------------- many manifests


def test_directory_discovery(tmp_path: Path) -> None:
    ok = manifest()
    write(tmp_path / "repo" / "svc-a", ok)
    write(tmp_path / "repo" / "svc-b" / "deep" / "er", ok, "hrpolicy.yml")
    write(
        tmp_path / "repo" / "svc-c",
        '{"schema_version": 1, "product": {"id": "c", "name": "C"}, "markets": []}',
        "hrpolicy.json",
    )
    write(tmp_path / "repo", ok)
    write(tmp_path / "repo" / "svc-a", "not: [a manifest", "other.yaml")  # not a manifest name
    for skipped in (".git", "node_modules", ".venv", "svc-a/node_modules/pkg"):
        write(tmp_path / "repo" / skipped, "broken: [", "hrpolicy.yaml")
    proc = hp("check", "repo", "--format", "json", *T, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert sorted(r["manifest"] for r in report(proc)["results"]) == [
        "repo/hrpolicy.yaml",
        "repo/svc-a/hrpolicy.yaml",
        "repo/svc-b/deep/er/hrpolicy.yml",
        "repo/svc-c/hrpolicy.json",
    ]
    # a file named twice (directly and through its folder) is checked once
    twice = hp("check", "repo", "repo/svc-a/hrpolicy.yaml", "--format", "json", *T, cwd=tmp_path)
    assert len(report(twice)["results"]) == 4
    (tmp_path / "empty").mkdir()
    none = hp("check", "empty", *T, cwd=tmp_path)
    assert none.returncode == 2
    assert "no hrpolicy.yaml, hrpolicy.yml, hrpolicy.json found under empty" in none.stderr


def test_jobs_give_the_same_results(tmp_path: Path) -> None:
    codes = ["VN", "TR", "DE", "BR", "SE", "CN"]
    for i in range(60):
        launched, planned = codes[i % 6], codes[(i + 1) % 6]
        body = (
            f"markets: [{{country: {launched}, status: launched}}, {{country: {planned}, status: planned}}]"
        )
        write(tmp_path / "all" / f"p{i:02d}", manifest(body, product=f"p{i}"))
    write(tmp_path / "all" / "p99", manifest("markets: [{country: XX, status: planned}]"))
    one = hp("check", "all", "--format", "json", "--jobs", "1", *T, cwd=tmp_path)
    two = hp("check", "all", "--format", "json", "--jobs", "2", *T, cwd=tmp_path)
    assert one.returncode == two.returncode == 2
    assert len(report(one)["results"]) == 60
    assert report(two)["results"] == report(one)["results"]
    assert report(two)["errors"] == report(one)["errors"]
    assert two.stderr == one.stderr


# --------------------------------------------------------------------------------------------- --base

BASE_PACK = rule_file(
    rule(
        "HRDD-TST-001",
        "for_each: markets\nwhen:\n  none: {in: $base.markets, where: {country: {equals: $item.country}}}\n"
        "message: '{item.country} is new since the base'",
    )
)

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: Path, *args: str) -> None:
    env = {**os.environ, **GIT_ENV, "HOME": str(cwd)}
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    write_pack(tmp_path / "rules", {"t.yaml": BASE_PACK})
    git(root, "init", "-q")
    write(root / "svc", manifest("markets: [{country: DE, status: launched}]"))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    return root


def test_base_ref(repo: Path) -> None:
    rules = str(repo.parent / "rules")
    write(
        repo / "svc",
        manifest("markets:\n  - {country: DE, status: launched}\n  - {country: VN, status: planned}\n"),
    )
    env = {"GIT_CEILING_DIRECTORIES": str(repo.parent)}
    without = hp("check", "svc/hrpolicy.yaml", "--rules", rules, "--format", "json", *T, cwd=repo, env=env)
    assert report(without)["results"][0]["findings"] == []  # without --base the base is the manifest itself

    def against_head(manifest_path: str) -> list[str]:
        proc = hp(
            "check",
            manifest_path,
            "--rules",
            rules,
            "--base",
            "HEAD",
            "--format",
            "json",
            *T,
            cwd=repo,
            env=env,
        )
        return [f["message"] for f in report(proc)["results"][0]["findings"]]

    assert against_head("svc/hrpolicy.yaml") == ["VN is new since the base"]
    # a manifest the ref does not have yet: everything is new
    write(repo / "new", manifest("markets: [{country: BR, status: planned}]"))
    assert against_head("new/hrpolicy.yaml") == ["BR is new since the base"]


def test_bogus_base_ref(repo: Path) -> None:
    env = {"GIT_CEILING_DIRECTORIES": str(repo.parent)}
    proc = hp("check", "svc/hrpolicy.yaml", "--base", "no-such-ref", *T, cwd=repo, env=env)
    assert proc.returncode == 2
    (line,) = proc.stderr.splitlines()
    assert "'no-such-ref' is not a commit" in line


def test_base_outside_a_repository(tmp_path: Path) -> None:
    write(tmp_path / "plain", manifest())
    proc = hp(
        "check",
        "plain/hrpolicy.yaml",
        "--base",
        "HEAD",
        *T,
        cwd=tmp_path,
        env={"GIT_CEILING_DIRECTORIES": str(tmp_path)},
    )
    assert proc.returncode == 2
    (line,) = proc.stderr.splitlines()
    assert "git repository" in line
    assert line.startswith("plain/hrpolicy.yaml")


def test_an_invalid_base_manifest_is_set_aside_with_a_notice(repo: Path) -> None:
    """The pull request that fixes a broken manifest must be able to pass: an invalid base is treated as
    absent, and each change-aware rule says so in a notice."""
    write(repo / "svc", manifest("markets: [{country: XX, status: launched}]"))
    git(repo, "commit", "-q", "-am", "bad")
    write(repo / "svc", manifest("markets: [{country: DE, status: launched}]"))
    env = {"GIT_CEILING_DIRECTORIES": str(repo.parent)}
    proc = hp("check", "svc/hrpolicy.yaml", "--base", "HEAD", "--format", "json", *T, cwd=repo, env=env)
    assert proc.returncode == 1  # by the findings (DE has no HRIA), not by the base
    assert proc.stderr == ""
    data = report(proc)
    assert data["errors"] == []
    notices = [f for f in data["results"][0]["findings"] if f["severity"] == "notice"]
    assert {f["rule"] for f in notices} == {"HRDD-EXIT-001", "HRDD-EXIT-002"}
    assert all(
        "HEAD:svc/hrpolicy.yaml:3:" in f["message"] and "empty manifest" in f["message"] for f in notices
    )


# ------------------------------------------------------------------------------------- init, schema


def test_init(tmp_path: Path) -> None:
    proc = hp("init", cwd=tmp_path)
    assert proc.returncode == 0
    assert (tmp_path / "hrpolicy.yaml").is_file()
    checked = hp("check", *T, cwd=tmp_path)
    assert checked.returncode in (0, 1), checked.stderr
    assert checked.stderr == ""
    before = (tmp_path / "hrpolicy.yaml").read_bytes()
    (tmp_path / "hrpolicy.yaml").write_text(manifest(), encoding="utf-8")
    again = hp("init", cwd=tmp_path)
    assert again.returncode == 2
    assert "already exists" in again.stderr
    assert "--force" in again.stderr
    assert (tmp_path / "hrpolicy.yaml").read_text("utf-8") == manifest()  # untouched
    forced = hp("init", "--force", cwd=tmp_path)
    assert forced.returncode == 0
    assert (tmp_path / "hrpolicy.yaml").read_bytes() == before
    printed = hp("init", "-", cwd=tmp_path)
    assert printed.stdout.encode() == before
    for args in (["init", "no/such/dir/hrpolicy.yaml"], ["init", "--force", "."]):
        failed = hp(*args, cwd=tmp_path)
        assert failed.returncode == 2
        (line,) = failed.stderr.splitlines()
        assert line.startswith(f"hrpolicy: error: cannot write {args[-1]}: ")


@pytest.mark.parametrize("name", ["manifest", "rules", "country-data"])
def test_schemas_are_valid_json_schema(tmp_path: Path, name: str) -> None:
    from jsonschema import Draft202012Validator

    proc = hp("schema", name, cwd=tmp_path)
    assert proc.returncode == 0
    schema = json.loads(proc.stdout)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


# -------------------------------------------------------------------------------------------- colour


def run_in_pty(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    master, slave = pty.openpty()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("HRPOLICY_") and k != "NO_COLOR"}
    full_env.update(env)
    proc = subprocess.Popen(
        [str(HRPOLICY), *args], cwd=cwd, env=full_env, stdout=slave, stderr=subprocess.PIPE
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    proc.wait(timeout=60)
    assert proc.stderr is not None
    assert b"Traceback" not in proc.stderr.read()
    return proc.returncode, b"".join(chunks).decode("utf-8")


def test_colour_only_on_a_terminal(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE, tmp_path / "hrpolicy.yaml")
    piped = hp("check", *T, cwd=tmp_path)
    assert "critical HRDD-MKT-001" in piped.stdout
    assert not ANSI.search(piped.stdout)
    assert "\x1b" not in piped.stdout

    code, shown = run_in_pty(["check", *T], tmp_path, {})
    assert code == 1
    assert "\x1b[1;31mcritical\x1b[0m HRDD-MKT-001" in shown
    assert ANSI.sub("", shown).replace("\r\n", "\n") == piped.stdout

    code, plain = run_in_pty(["check", *T], tmp_path, {"NO_COLOR": "1"})
    assert code == 1
    assert "\x1b" not in plain
    assert plain.replace("\r\n", "\n") == piped.stdout


def test_manifest_text_cannot_inject_escapes_or_lines(tmp_path: Path) -> None:
    pack = write_pack(
        tmp_path / "rules",
        {
            "t.yaml": rule_file(
                rule(
                    "HRDD-TST-001",
                    "for_each: features\nwhen: {id: {present: true}}\nmessage: 'feature {item.id}'",
                )
            )
        },
    )
    write(tmp_path, manifest('features:\n  - {id: "\\e[2J\\e[31mx\\n::error::forged\\r\\u202Eevil"}\n'))
    proc = hp("check", "--rules", str(pack), *T, cwd=tmp_path)
    assert "\x1b" not in proc.stdout
    assert "\r" not in proc.stdout
    assert "\u202e" not in proc.stdout
    assert not any(line.startswith("::error") for line in proc.stdout.splitlines())
    assert "feature ?[2J?[31mx?::error::forged??evil" in proc.stdout
    code, shown = run_in_pty(["check", "--rules", str(pack), *T], tmp_path, {})
    assert code == proc.returncode == 1
    assert "\x1b[2J" not in shown
    assert "\x1b[31mx" not in shown


# ------------------------------------------------------------------------------------- module, wheel


def test_python_dash_m(tmp_path: Path) -> None:
    from hrpolicy import __version__

    proc = subprocess.run(
        [sys.executable, "-m", "hrpolicy", "--version"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (proc.returncode, proc.stdout.strip()) == (0, f"hrpolicy {__version__}")
    shutil.copy(EXAMPLE, tmp_path / "hrpolicy.yaml")
    check = subprocess.run(
        [sys.executable, "-m", "hrpolicy", "check", *T],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 1
    assert "critical HRDD-MKT-001" in check.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a copy of the source tree (so the build leaves nothing in the work tree)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    ignore = shutil.ignore_patterns(".git", ".venv*", "__pycache__", "*.egg-info", "build", "dist", ".*cache")
    shutil.copytree(REPO, src, ignore=ignore)
    out = tmp / "dist"
    proc = subprocess.run(
        # The test environment has the build backend (setuptools, from the test extras): no isolated
        # build environment to install first.
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(src),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    (built,) = out.glob("hrpolicy-*.whl")
    return built


@pytest.mark.slow
def test_wheel_contents(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.startswith("hrpolicy/plugins/") and n.endswith(".py") for n in names)
    assert "hrpolicy/plugins/country_risk.yaml" in names
    for rule_file_name in ("defs", "mkt", "loc", "trn", "fresh"):
        assert f"hrpolicy/rules/{rule_file_name}.yaml" in names
    assert {
        "hrpolicy/schemas/manifest.schema.json",
        "hrpolicy/schemas/rules.schema.json",
        "hrpolicy/schemas/country-data.schema.json",
    } <= set(names)
    assert "hrpolicy/py.typed" in names
    assert "hrpolicy/data/starter.yaml" in names
    tops = {n.split("/", 1)[0] for n in names}
    assert "plugins" not in tops
    assert "rules" not in tops
    assert "tests" not in tops
    assert tops == {"hrpolicy", next(t for t in tops if t.endswith(".dist-info"))}
    entry_points = (
        zipfile.ZipFile(wheel)
        .read(next(n for n in names if n.endswith(".dist-info/entry_points.txt")))
        .decode()
    )
    assert "hrpolicy = hrpolicy.main:console_main" in entry_points


@pytest.mark.slow
def test_wheel_runs_with_its_own_rule_pack(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    shutil.copy(EXAMPLE, tmp_path / "hrpolicy.yaml")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HRPOLICY_")}
    env["PYTHONPATH"] = str(site)
    code = (
        "import hrpolicy, sys; print(hrpolicy.__file__); sys.argv[1:] = ['check', '--today', '2026-11-28']; "
        "from hrpolicy.main import console_main; console_main()"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert proc.stdout.splitlines()[0].startswith(str(site)), (
        proc.stdout
    )  # the wheel's copy, not the checkout
    assert proc.returncode == 1, proc.stderr
    assert "critical HRDD-MKT-001 TR" in proc.stdout


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "a.yaml", "--format", "json=out.json", "--jobs", "2", "--fail-on", "high"],
        ["rules", "test", "rules", "--format", "junit"],
        ["explain", "HRDD-MKT-001"],
        ["report", "products", "--format", "html=r.html"],
        ["collect", "github", "--org", "acme", "--out", "portfolio"],
        ["publish", "github", "report.json"],
        ["schema", "manifest"],
        ["init", "-", "--force"],
    ],
)
def test_one_commands_parser_reads_its_arguments_as_the_whole_parser_does(argv: list[str]) -> None:
    from hrpolicy.main import COMMANDS, build_parser

    assert set(COMMANDS) == {
        "check", "rules", "explain", "report", "collect", "publish", "schema", "init"
    }  # fmt: skip
    whole = build_parser().parse_args(argv)
    assert build_parser(argv).parse_args(argv) == whole
    # The parser built for this command alone has no arguments for the others.
    other = "init" if argv[0] != "init" else "check"
    with pytest.raises(SystemExit):
        build_parser(argv).parse_args([other, "--force" if other == "init" else "--jobs=2", "x"])


@pytest.mark.parametrize(
    "argv", [["--help"], ["-h", "check"], ["--help", "rules", "test"], ["--he", "check"]]
)
def test_help_before_a_command_lists_every_command(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    from hrpolicy.main import COMMANDS, build_parser

    with pytest.raises(SystemExit):
        build_parser(argv).parse_args(argv)
    listed = capsys.readouterr().out
    assert all(f"    {name} " in listed for name in COMMANDS), listed


def test_an_unknown_command_is_told_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    from hrpolicy.main import COMMANDS, build_parser

    with pytest.raises(SystemExit):
        build_parser(["chek", "x"]).parse_args(["chek", "x"])
    error = capsys.readouterr().err
    assert "invalid choice: 'chek'" in error
    assert all(repr(name) in error for name in COMMANDS), error


def test_a_hook_run_imports_only_what_it_uses(tmp_path: Path) -> None:
    # What a warm pre-commit run must not pay for: parsing rule files (the pack is cached), pickle's
    # Python half, the help formatter's shutil, and the heavy libraries of other commands.
    code = (
        "import sys; from hrpolicy.main import main; code = main(sys.argv[1:]); "
        "unused = ('shutil', 'pickle', 'hrpolicy.language.parse', 'jsonschema', 'pycountry', 'github', "
        "'tempfile', 'subprocess', 'concurrent.futures', 'importlib.metadata'); "
        "print(sorted(m for m in unused if m in sys.modules)); sys.exit(code)"
    )
    argv = [sys.executable, "-c", code, "check", str(EXAMPLE), *T, "--fail-on", "never"]
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    runs = [subprocess.run(argv, capture_output=True, text=True, env=env, check=False) for _ in range(2)]
    assert runs[1].returncode == 0, runs[1].stderr
    assert runs[1].stdout.splitlines()[-1] == "[]"
    assert "hrpolicy.language.parse" in runs[0].stdout  # the first run read the rule files


def test_help_fits_the_width_columns_gives(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from hrpolicy.main import build_parser

    def help_with(columns: str | None) -> str:
        if columns is None:
            monkeypatch.delenv("COLUMNS", raising=False)
        else:
            monkeypatch.setenv("COLUMNS", columns)
        with pytest.raises(SystemExit):
            build_parser(["check", "-h"]).parse_args(["check", "-h"])
        return capsys.readouterr().out

    narrow, wide = help_with("50"), help_with("200")
    assert max(map(len, narrow.splitlines())) < max(map(len, wide.splitlines()))
    # Not a positive number: as if unset (the terminal's width, else 80), as shutil does.
    assert help_with("0") == help_with("x") == help_with(None)

"""``hrpolicy rules test`` on bad test files: every problem is a one-line error at the test file's position
(never a traceback), nothing passes vacuously, manifest_file stays inside the rules directory, and the
JUnit report is well-formed XML whatever the case names hold."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from helpers import TODAY, position_of, rule, rule_file, run_cli
from hrpolicy.plugins import output_junit

from hrpolicy.commands import rules_test
from hrpolicy.model import CaseResult, ErrorRecord, OutputOptions, TestRun

LAUNCHED = "{schema_version: 1, product: {id: p, name: P}, markets: [{country: DE, status: launched}]}"
PLANNED = "{schema_version: 1, product: {id: p, name: P}, markets: [{country: DE, status: planned}]}"
GOOD = f"""\
today: 2026-11-28
x-owner: policy team
cases:
  - name: a launched market fires
    x-why: the rule looks at launched markets only
    manifest: {LAUNCHED}
    expect: {{HRDD-TST-001: {{outcome: fail, count: 1, severity: high, pointers: [/markets/0]}}}}
  - name: a planned market passes
    manifest: {PLANNED}
    expect: {{HRDD-TST-001: pass}}
"""


@pytest.fixture
def pack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A one-rule pack (HRDD-TST-001: each launched market, high) with a passing test file; cwd is tmp_path,
    so files show as rules/tests/NAME.yaml."""
    monkeypatch.chdir(tmp_path)
    rules = tmp_path / "rules"
    (rules / "tests").mkdir(parents=True)
    (rules / "r.yaml").write_text(
        rule_file(rule("HRDD-TST-001", "for_each: markets\nwhen: {status: {equals: launched}}\nmessage: x")),
        encoding="utf-8",
    )
    (rules / "tests" / "good.yaml").write_text(GOOD, encoding="utf-8")
    return rules


def run_tests(pack: Path, *formats: str) -> tuple[int, str]:
    out = io.StringIO()
    code = rules_test.run([str(pack)], formats=formats, autoload=False, stdout=out, today=TODAY)
    return code, out.getvalue()


def write_bad(pack: Path, text: str) -> str:
    (pack / "tests" / "bad.yaml").write_text(text, encoding="utf-8")
    return text


def error_at(text: str, needle: str) -> str:
    line, col = position_of(text, needle)
    return f"rules/tests/bad.yaml:{line}:{col}: "


def a_case(expect: str = "{HRDD-TST-001: fail}", extra: str = "", manifest: str = LAUNCHED) -> str:
    return f"  - name: c\n    manifest: {manifest}\n{extra}    expect: {expect}\n"


def test_the_small_pack_passes(pack: Path) -> None:
    code, out = run_tests(pack)
    assert code == 0, out
    assert out.splitlines()[-1] == "2 passed, 0 failed"


# (test file, the text where the error must point, what the error must say)
BAD_FILES = {
    "file today not a date": (
        "today: not-a-date\ncases:\n" + a_case(),
        "not-a-date",
        "today must be a date YYYY-MM-DD, not 'not-a-date'",
    ),
    "file today not a calendar date": (
        'today: "2026-13-01"\ncases:\n' + a_case(),
        '"2026-13-01"',
        "today must be a date YYYY-MM-DD, not '2026-13-01'",
    ),
    "file today an int": (
        "today: 20261128\ncases:\n" + a_case(),
        "20261128",
        "today must be a date YYYY-MM-DD, not 20261128",
    ),
    "file today in basic ISO form": (
        'today: "20261128"\ncases:\n' + a_case(),
        '"20261128"',
        "today must be a date YYYY-MM-DD, not '20261128'",
    ),
    "unknown top-level key": (
        "todya: 2026-11-28\ncases:\n" + a_case(),
        "2026-11-28",
        "test file: unknown key 'todya' (use today, cases or x-...)",
    ),
    "case today not a date": (
        "cases:\n" + a_case(extra="    today: not-a-date\n"),
        "not-a-date",
        "case 'c': today must be a date YYYY-MM-DD, not 'not-a-date'",
    ),
    "case today not a calendar date": (
        "cases:\n" + a_case(extra='    today: "2026-13-01"\n'),
        '"2026-13-01"',
        "case 'c': today must be a date YYYY-MM-DD, not '2026-13-01'",
    ),
    "case today an int": (
        "cases:\n" + a_case(extra="    today: 20261128\n"),
        "20261128",
        "case 'c': today must be a date YYYY-MM-DD, not 20261128",
    ),
    "pointers an int": (
        "cases:\n" + a_case("{HRDD-TST-001: {outcome: fail, pointers: 5}}"),
        "5}",
        "case 'c': HRDD-TST-001: pointers must be a list of JSON pointers like /markets/0, not 5",
    ),
    "pointers holding an int": (
        "cases:\n" + a_case("{HRDD-TST-001: {outcome: fail, pointers: [1, /a]}}"),
        "[1, /a]",
        "pointers must be a list of JSON pointers like /markets/0, not [1, '/a']",
    ),
    "pointers holding null": (
        "cases:\n" + a_case("{HRDD-TST-001: {outcome: fail, pointers: [null, 1]}}"),
        "[null, 1]",
        "pointers must be a list of JSON pointers like /markets/0, not [None, 1]",
    ),
    "pointers a string": (
        "cases:\n" + a_case("{HRDD-TST-001: {outcome: fail, pointers: /markets/0}}"),
        "/markets/0}",
        "pointers must be a list of JSON pointers like /markets/0, not '/markets/0'",
    ),
    "pointers not pointers": (
        "cases:\n" + a_case("{HRDD-TST-001: {outcome: fail, pointers: [markets/0]}}"),
        "[markets/0]",
        "pointers must be a list of JSON pointers like /markets/0, not ['markets/0']",
    ),
    "unknown expectation key": (
        "cases:\n" + a_case("{HRDD-TST-001: {outcome: fail, cuont: 7}}"),
        "7}",
        "case 'c': HRDD-TST-001: unknown key 'cuont' (use outcome, count, severity, pointers)",
    ),
    "x- key in an expectation": (
        "cases:\n" + a_case("{HRDD-TST-001: {outcome: fail, x-note: 7}}"),
        "7}",
        "unknown key 'x-note' (use outcome, count, severity, pointers)",
    ),
    "count a string": (
        "cases:\n" + a_case("{HRDD-TST-001: {outcome: fail, count: '1'}}"),
        "'1'",
        "count must be a whole number >= 0, not '1'",
    ),
    "count a bool": (
        "cases:\n" + a_case("{HRDD-TST-001: {outcome: fail, count: true}}"),
        "true",
        "count must be a whole number >= 0, not True",
    ),
    "count negative": (
        "cases:\n" + a_case("{HRDD-TST-001: {outcome: fail, count: -1}}"),
        "-1",
        "count must be a whole number >= 0, not -1",
    ),
    "count a float": (
        "cases:\n" + a_case("{HRDD-TST-001: {outcome: fail, count: 1.0}}"),
        "1.0",
        "count must be a whole number >= 0, not 1.0",
    ),
    "severity unknown": (
        "cases:\n" + a_case("{HRDD-TST-001: {outcome: fail, severity: severe}}"),
        "severe",
        "severity must be one of critical, high, medium, low, not 'severe'",
    ),
    "severity on a passing expectation": (
        "cases:\n" + a_case("{HRDD-TST-001: {outcome: pass, severity: high}}", manifest=PLANNED),
        "high}",
        "a passing expectation has no finding whose severity to check",
    ),
    "outcome unknown in a mapping": (
        "cases:\n" + a_case("{HRDD-TST-001: {outcome: failed}}"),
        "failed",
        "outcome must be one of fail, pass, waived, not 'failed'",
    ),
    "outcome missing": (
        "cases:\n" + a_case("{HRDD-TST-001: {count: 1}}"),
        "{count: 1}",
        "outcome must be one of fail, pass, waived, not None",
    ),
    "outcome unknown as a word": (
        "cases:\n" + a_case("{HRDD-TST-001: failed}"),
        "failed",
        "HRDD-TST-001: give fail | pass | waived or a mapping with outcome, count, severity, pointers",
    ),
    "unknown case key": (
        "cases:\n" + a_case(extra="    expected: zzz\n"),
        "zzz",
        "case 'c': unknown key 'expected' (use name, manifest, manifest_file, base, today, expect or x-...)",
    ),
    "unknown rule id": (
        "cases:\n" + a_case("{HRDD-TST-001: fail, HRDD-TST-999: pass}"),
        "pass}",
        "case 'c': unknown rule id HRDD-TST-999",
    ),
    "base a list": (
        "cases:\n" + a_case(extra="    base: [1]\n"),
        "[1]",
        "case 'c': base must be a manifest mapping, not [1]",
    ),
    "base null": (
        "cases:\n" + a_case(extra="    base: null\n"),
        "null",
        "case 'c': base must be a manifest mapping, not None",
    ),
    "manifest and manifest_file": (
        "cases:\n" + a_case(extra="    manifest_file: m.yaml\n"),
        "m.yaml",
        "case 'c': give manifest or manifest_file, not both",
    ),
    "manifest_file an int": (
        "cases:\n  - name: c\n    manifest_file: 5\n    expect: {HRDD-TST-001: fail}\n",
        "5\n",
        "case 'c': manifest_file must be a path relative to the test file, not 5",
    ),
    "manifest_file with a NUL": (
        'cases:\n  - name: c\n    manifest_file: "a\\0b"\n    expect: {HRDD-TST-001: fail}\n',
        '"a\\0b"',
        "case 'c': manifest_file 'a\\x00b' cannot be read: embedded null byte",
    ),
    "manifest_file missing": (
        "cases:\n  - name: c\n    manifest_file: nowhere.yaml\n    expect: {HRDD-TST-001: fail}\n",
        "nowhere.yaml",
        "case 'c': manifest_file 'nowhere.yaml': cannot read: No such file or directory",
    ),
}


@pytest.mark.parametrize(("text", "needle", "message"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_bad_test_file_is_a_one_line_error_at_its_position(
    pack: Path, text: str, needle: str, message: str
) -> None:
    write_bad(pack, text)
    code, out = run_tests(pack)
    assert code == 1, out
    errors = [line for line in out.splitlines() if line.startswith("rules/tests/bad.yaml:")]
    assert len(errors) == 1, out
    assert errors[0].startswith(error_at(text, needle)), out
    assert message in errors[0], out
    assert out.splitlines()[-1] == "2 passed, 0 failed, 1 errors"  # the good file still ran


def test_the_cli_reports_bad_test_files_without_a_traceback(pack: Path) -> None:
    write_bad(pack, "today: not-a-date\ncases:\n" + a_case())
    (pack / "tests" / "bad2.yaml").write_text(
        "cases:\n"
        "  - name: c\n"
        '    manifest_file: "a\\0b"\n'
        "    expect: {HRDD-TST-001: fail}\n"
        "  - name: d\n"
        "    today: 20261128\n"
        f"    manifest: {LAUNCHED}\n"
        "    expect: {HRDD-TST-001: {outcome: fail, pointers: /markets/0, count: true}}\n",
        encoding="utf-8",
    )
    proc = run_cli("rules", "test", "rules", "--today", "2026-11-28", "--no-plugins", cwd=pack.parent)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stderr == ""
    lines = proc.stdout.splitlines()
    assert "rules/tests/bad.yaml:1:8: today must be a date YYYY-MM-DD, not 'not-a-date'" in lines
    assert any(line.startswith("rules/tests/bad2.yaml:3:20: case 'c': manifest_file") for line in lines)
    assert any(line.startswith("rules/tests/bad2.yaml:6:12: case 'd': today must be") for line in lines)
    assert any(line.startswith("rules/tests/bad2.yaml:8:") and "pointers must be" in line for line in lines)
    assert any(line.startswith("rules/tests/bad2.yaml:8:") and "count must be" in line for line in lines)
    assert lines[-1] == "2 passed, 0 failed, 5 errors"


def test_an_expectation_that_is_now_checked_really_fails(pack: Path) -> None:
    """Accepted values still judge: a wrong count, severity or pointer fails the case."""
    write_bad(
        pack,
        "cases:\n"
        + a_case("{HRDD-TST-001: {outcome: fail, count: 2}}")
        + a_case("{HRDD-TST-001: {outcome: fail, severity: critical}}")
        + a_case("{HRDD-TST-001: {outcome: fail, pointers: [/markets/1]}}"),
    )
    code, out = run_tests(pack)
    assert code == 1
    assert out.count("FAIL HRDD-TST-001 c:") == 3, out
    assert out.splitlines()[-1] == "2 passed, 3 failed"


# ------------------------------------------------------------------------------------------ manifest_file


def test_manifest_file_inside_the_rules_directory_is_loaded(pack: Path) -> None:
    (pack / "tests" / "fixtures").mkdir()
    (pack / "tests" / "fixtures" / "launched.yaml").write_text(
        "schema_version: 1\nproduct: {id: p, name: P}\nmarkets: [{country: DE, status: launched}]\n"
    )
    (pack / "fixtures").mkdir()
    (pack / "fixtures" / "planned.yaml").write_text(
        "schema_version: 1\nproduct: {id: p, name: P}\nmarkets: [{country: DE, status: planned}]\n"
    )
    write_bad(
        pack,
        "cases:\n"
        "  - manifest_file: fixtures/launched.yaml\n"
        "    expect: {HRDD-TST-001: {outcome: fail, pointers: [/markets/0]}}\n"
        "  - manifest_file: ../fixtures/planned.yaml\n"  # .. that stays inside the rules directory
        "    expect: {HRDD-TST-001: pass}\n",
    )
    code, out = run_tests(pack)
    assert code == 0, out
    assert out.splitlines()[-1] == "4 passed, 0 failed"


def test_a_broken_manifest_file_is_reported_at_its_own_position(pack: Path) -> None:
    (pack / "tests" / "broken.yml").write_text("schema_version: 1\nproduct: [\n")  # .yml: not a test file
    write_bad(pack, "cases:\n  - manifest_file: broken.yml\n    expect: {HRDD-TST-001: fail}\n")
    code, out = run_tests(pack)
    assert code == 1
    errors = [line for line in out.splitlines() if line.startswith("rules/tests/broken.yml:3:")]
    assert len(errors) == 1, out
    assert "case 'case 0': manifest_file: " in errors[0], out


@pytest.mark.parametrize("how", ["absolute", "dotdot", "symlink"])
def test_manifest_file_outside_the_rules_directory_is_refused_unread(
    pack: Path, tmp_path: Path, how: str
) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text("SECRET-CONTENT: [\n")  # invalid YAML: a loader error would quote it
    target = {"absolute": str(secret), "dotdot": "../../secret.yaml", "symlink": "link.yml"}[how]
    (pack / "tests" / "link.yml").symlink_to(secret)
    text = write_bad(
        pack, f"cases:\n  - name: c\n    manifest_file: {target}\n    expect: {{HRDD-TST-001: fail}}\n"
    )
    code, out = run_tests(pack)
    assert code == 1
    assert "SECRET" not in out
    expected = "must be relative to the test file" if how == "absolute" else "is outside the rules directory"
    errors = [line for line in out.splitlines() if line.startswith(error_at(text, target))]
    assert len(errors) == 1, out
    assert expected in errors[0], out


# ------------------------------------------------------------------------------------------------ reports


def test_junit_is_well_formed_with_control_characters_in_names(pack: Path, tmp_path: Path) -> None:
    write_bad(
        pack,
        "cases:\n"
        f'  - name: "bad\\x01name\\x1b[31m"\n    manifest: {LAUNCHED}\n    expect: {{HRDD-TST-001: pass}}\n'
        f'  - name: ok\n    manifest: {LAUNCHED}\n    expect: {{"HRDD\\x02": pass}}\n',
    )
    code, out = run_tests(pack, "junit=out.xml", "json=out.json")
    assert code == 1
    raw = (tmp_path / "out.xml").read_bytes()
    root = ET.fromstring(raw)  # raises on any character XML 1.0 forbids
    names = [c.get("name", "") for c in root.iter("testcase")]
    assert "bad?name?[31m [pass]" in names
    assert any("unknown rule id HRDD?" in (e.get("message") or "") for e in root.iter("error"))
    assert b"\x01" not in raw
    assert b"\x02" not in raw
    # the text report shows the same names on one line, without the terminal escape
    fail = [line for line in out.splitlines() if "FAIL" in line]
    assert fail == [
        "rules/tests/bad.yaml:2: FAIL HRDD-TST-001 bad?name?[31m: expected no finding, got 1: /markets/0 high"
    ]
    assert "\x1b" not in out
    assert "\x02" not in out
    cases = [r["case"] for r in json.loads((tmp_path / "out.json").read_text())["results"]]
    assert "bad\x01name\x1b[31m" in cases


def test_junit_replaces_every_character_xml_forbids() -> None:
    hostile = "a\x00b\x08c\x0bd\x1fe\ufffef\uffffg\ud800h\udfffi\tj\nk\rl\x85m\U0001f600"
    result = TestRun(
        (CaseResult(hostile, 1, hostile, hostile, "fail", False, hostile),),
        (ErrorRecord(hostile, hostile, 2, 3),),
        {},
    )
    out = io.StringIO()
    output_junit.write_test(result, out, OutputOptions())
    text = out.getvalue()
    root = ET.fromstring(text.encode("utf-8"))  # lone surrogates would not even encode
    failure = root.find(".//failure")
    assert failure is not None
    assert failure.text == "a?b?c?d?e?f?g?h?i\tj\nk\nl\x85m\U0001f600"  # XML reads a CR in text as LF
    assert failure.get("message") == "a?b?c?d?e?f?g?h?i\tj\nk\rl\x85m\U0001f600"
    assert output_junit.xml_safe("\ud7ff\ue000\ufffd\U0010ffff") == "\ud7ff\ue000\ufffd\U0010ffff"

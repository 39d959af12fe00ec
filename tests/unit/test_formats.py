"""The report formats for GitHub and CI: SARIF against the official schema, JUnit counts, workflow commands
escaped as the Actions toolkit escapes them, Markdown that manifest text cannot inject into, and the JSON
report read back."""

from __future__ import annotations

import dataclasses
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from helpers import REPO, TODAY, manifest, run_cli, shared_schema
from hrpolicy.plugins import output_github, output_markdown, output_sarif

from hrpolicy import api
from hrpolicy.evaluate.session import Session
from hrpolicy.model import OutputOptions, RunResult
from hrpolicy.reports import read_report, report

HOSTILE = "::error title=x::pwned\n<script>alert(1)</script> | **bold** [link](http://x) `code` %0A"


def checked(session: Session, tmp_path: Path, body: str) -> RunResult:
    (tmp_path / "hrpolicy.yaml").write_text(manifest(body), "utf-8")
    return api.check([str(tmp_path / "hrpolicy.yaml")], today=TODAY, session=session)


def render(session: Session, result: RunResult, name: str) -> str:
    stream = io.StringIO()
    session.plugins.output_formats("check")[name].writers["check"](result, stream, OutputOptions())
    return stream.getvalue()


EXAMPLE = REPO / "examples" / "acme-chat" / "hrpolicy.yaml"


def example(session: Session) -> RunResult:
    return api.check([str(EXAMPLE)], today=TODAY, session=session)


def test_sarif_is_valid_against_the_official_schema(builtin_session: Session, tmp_path: Path) -> None:
    validator = shared_schema("sarif-schema-2.1.0.json")
    result = api.check(
        [str(REPO / "examples" / "acme-chat" / "hrpolicy.yaml")], today=TODAY, session=builtin_session
    )
    data = json.loads(render(builtin_session, result, "sarif"))
    validator.validate(data)
    run = data["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "hrpolicy"
    assert driver["informationUri"]
    assert len(driver["rules"]) == len(builtin_session.pack.rules) == 33
    for rule in driver["rules"]:
        assert rule["help"]["text"]
        assert rule["help"]["markdown"]
        assert 0.1 <= float(rule["properties"]["security-severity"]) <= 10
    ids = [r["id"] for r in driver["rules"]]
    for res in run["results"]:
        assert ids[res["ruleIndex"]] == res["ruleId"]
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"] == "examples/acme-chat/hrpolicy.yaml"
        assert loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert loc["region"]["startLine"] >= 1
        assert res["partialFingerprints"]["primaryLocationLineHash"]
    waived = [r for r in run["results"] if "suppressions" in r]
    assert len(waived) == 1
    assert waived[0]["suppressions"][0]["kind"] == "external"
    assert waived[0]["suppressions"][0]["justification"].startswith("Brazil joins")
    assert run["automationDetails"]["id"].startswith("hrpolicy/")
    assert run["invocations"][0]["executionSuccessful"] is True


def test_sarif_uris_are_relative_to_the_repository_root(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "svc").mkdir(parents=True)
    assert output_sarif._uri(str(root / "svc" / "hrpolicy.yaml"), str(root)) == "svc/hrpolicy.yaml"
    assert output_sarif._uri(str(root / "a b" / "hrpolicy.yaml"), str(root)) == "a%20b/hrpolicy.yaml"


def test_junit_counts_agree_with_the_elements(builtin_session: Session, tmp_path: Path) -> None:
    result = example(builtin_session)
    root = ET.fromstring(render(builtin_session, result, "junit"))
    (suite,) = root.iter("testsuite")
    cases = list(suite.iter("testcase"))
    assert int(suite.get("tests", "0")) == len(cases) == 33
    failed = [c for c in cases if c.find("failure") is not None]
    assert int(suite.get("failures", "0")) == len(failed) == 5
    failure = next(c for c in failed if c.get("name") == "HRDD-MKT-001").find("failure")
    assert failure is not None
    assert "hrpolicy.yaml:29:5" in (failure.text or "")


def test_workflow_commands_are_escaped_as_the_toolkit_escapes(
    builtin_session: Session, tmp_path: Path
) -> None:
    assert output_github.escape_data("a%b\r\nc") == "a%25b%0D%0Ac"
    assert output_github.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    body = (  # the waiver's reason reaches the waived finding's message
        "markets: [{country: VN, status: launched}]\n"
        f"waivers: [{{rule: HRDD-MKT-001, reason: {json.dumps(HOSTILE)}, approver: {{role: gc}}, "
        "expires: 2027-01-01}]"
    )
    result = checked(builtin_session, tmp_path, body)
    lines = render(builtin_session, result, "github").splitlines()
    for line in lines:  # parsed as the runner parses a command: up to the first "::" after the name
        head, _, message = line[2:].partition("::")
        name, _, props = head.partition(" ")
        assert line.startswith("::")
        assert name in ("error", "warning", "notice")
        assert {p.split("=", 1)[0] for p in props.split(",")} <= {"file", "line", "col", "title"}
        assert "\n" not in message
    assert any("::error title=x::pwned" in line.partition("::")[2].partition("::")[2] for line in lines)


def test_at_most_ten_annotations_per_level_most_severe_first(
    builtin_session: Session, tmp_path: Path
) -> None:
    codes = ["VN", "CN", "RU", "TR", "IR", "MM", "BY", "CU", "EG", "SA", "AE", "PK", "ET", "DE", "FR"]
    markets = ", ".join(f"{{country: {c}, status: launched}}" for c in codes)
    result = checked(builtin_session, tmp_path, f"markets: [{markets}]")
    lines = render(builtin_session, result, "github").splitlines()
    errors = [line for line in lines if line.startswith("::error ")]
    assert len(errors) == 10
    assert "(critical)" in errors[0]
    assert lines[-1].startswith("::notice title=hrpolicy::")
    assert "more findings are not annotated" in lines[-1]


def test_markdown_cannot_be_injected(builtin_session: Session, tmp_path: Path) -> None:
    body = (
        "markets: [{country: DE, status: launched}]\n"
        f"waivers: [{{rule: HRDD-MKT-001, reason: {json.dumps(HOSTILE)}, approver: {{role: gc}}, "
        "expires: 2027-01-01}]"
    )
    result = checked(builtin_session, tmp_path, body)
    text = render(builtin_session, result, "markdown")
    assert "<script>" not in text
    assert "**bold**" not in text
    assert "[link](" not in text
    assert "&lt;script&gt;" in text
    for line in text.splitlines():
        if line.startswith("| "):  # every table row keeps its cells: no pipe from the manifest splits one
            assert line.count(" | ") >= 3


def test_markdown_stays_under_its_limit_and_says_what_it_left_out(
    builtin_session: Session, tmp_path: Path
) -> None:
    markets = ", ".join(f"{{country: {c}, status: launched}}" for c in ["VN", "CN", "RU", "TR", "MM", "DE"])
    result = checked(builtin_session, tmp_path, f"markets: [{markets}]")
    full = output_markdown.render(result)
    cut = output_markdown.render(result, limit=1200)
    assert len(cut.encode("utf-8")) <= 1200 < len(full)  # bytes: the severity icons take four each
    assert "more rows are not shown here" in cut


@pytest.mark.parametrize("evidence", [False, True])
@pytest.mark.parametrize("manifests", [0, 1, 3])
def test_the_json_report_written_as_it_goes_is_the_whole_report(
    builtin_session: Session, tmp_path: Path, evidence: bool, manifests: int
) -> None:
    # Each result is written as it is made; the text is exactly that of the whole report dumped at once.
    companies = sorted((REPO / "examples" / "companies").glob("*.yaml"))[:manifests]
    if companies:
        result = api.check(
            [str(p) for p in companies], today=TODAY, session=builtin_session, evidence=evidence
        )
    else:
        result = api.check([str(EXAMPLE)], today=TODAY, session=builtin_session, evidence=evidence)
        result = dataclasses.replace(result, results=())
    assert len(result.results) == manifests
    whole = json.dumps(report(result), indent=2, ensure_ascii=False) + "\n"
    assert render(builtin_session, result, "json") == whole


def test_the_json_report_reads_back(builtin_session: Session, tmp_path: Path) -> None:
    result = example(builtin_session)
    again = read_report(json.loads(json.dumps(report(result))))
    assert report(again) == report(result)
    assert again.exit_code == result.exit_code
    with pytest.raises(ValueError, match="not an hrpolicy JSON report"):
        read_report({"schema_version": 1})


def test_a_report_read_back_withholds_identifiers(builtin_session: Session) -> None:
    data = report(example(builtin_session))
    data["results"][0]["findings"][0]["message"] = "call +44 20 7946 0958 or mail jane.doe@example.org"
    shown = read_report(json.loads(json.dumps(data))).results[0].findings[0].message
    assert "7946" not in shown
    assert "jane.doe" not in shown
    assert "[redacted]" in shown


def test_a_report_path_read_back_cannot_start_a_workflow_command(builtin_session: Session) -> None:
    data = report(example(builtin_session))
    data["errors"] = [{"path": "::warning title=forged::x", "message": "m", "line": 1}]
    data["results"][0]["findings"][0]["location"]["path"] = "::error::forged"
    again = read_report(json.loads(json.dumps(data)))
    assert str(again.errors[0]).startswith("./::warning")
    assert again.results[0].findings[0].location.path == "./::error::forged"


WAIVER = {"reason": "r", "approver": {"role": "gc"}, "ticket": None, "status": "active", "source": "m"}


@pytest.mark.parametrize(
    ("where", "value"),
    [
        (("errors",), [{"path": "a", "message": "m", "line": "1\n::warning title=forged::x"}]),
        (("results", 0, "findings", 0, "waiver"), {**WAIVER, "expires": "<img src=x onerror=alert(1)>"}),
        (("results", 0, "findings", 0, "severity"), "blocker"),
        (("results", 0, "findings", 0, "location", "line"), [1]),
        (("results", 0, "findings", 0, "message"), {"text": "x"}),
    ],
)
def test_a_forged_report_is_refused(builtin_session: Session, where: tuple[Any, ...], value: Any) -> None:
    """A report may come from a job that ran a fork's code: every field must have its type."""
    data = report(example(builtin_session))
    target = data
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    with pytest.raises(ValueError):  # noqa: PT011 (the message names the field's problem, varying by field)
        read_report(json.loads(json.dumps(data)))


@pytest.mark.parametrize("fmt", ["sarif", "junit", "github", "markdown"])
def test_every_format_through_the_command_line(tmp_path: Path, fmt: str) -> None:
    (tmp_path / "hrpolicy.yaml").write_text(manifest("markets: [{country: DE, status: launched}]"), "utf-8")
    proc = run_cli("check", "--today", TODAY.isoformat(), "--format", f"{fmt}=out.{fmt}", cwd=tmp_path)
    assert proc.returncode == 1
    assert (tmp_path / f"out.{fmt}").read_text("utf-8")
    assert "1 manifest checked" in proc.stdout  # the text report still goes to stdout

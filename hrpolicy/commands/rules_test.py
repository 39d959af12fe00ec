"""``hrpolicy rules test [DIR ...]``: run the rule packs' test cases (``DIR/tests/*.yaml``).

Exit 0 when every expectation holds and every rule has a failing and a passing case; 1 otherwise; 2 when
a rule file itself is invalid. Results as text (default), JSON or JUnit XML.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable, Sequence
from typing import IO, Any

from hrpolicy import __version__
from hrpolicy.authoring import ruletests
from hrpolicy.errors import UsageError, one_line
from hrpolicy.evaluate.session import Session, SessionConfig
from hrpolicy.load.yaml import Document
from hrpolicy.model import ErrorRecord, ManifestResult
from hrpolicy.outputs import parse_outputs, write_outputs

Writer = Callable[[ruletests.TestRun, IO[str]], None]


def run(
    dirs: Sequence[str], *, formats: Sequence[str], autoload: bool, stdout: IO[str], today: str | None = None
) -> int:
    from hrpolicy.commands.check import parse_today

    writers: dict[str, Writer] = {"text": write_text_report, "json": write_json, "junit": write_junit}
    outputs = parse_outputs(formats, writers)
    # Cases and files without `today:` are evaluated on this date; give one so results never drift.
    today_ = parse_today(today)
    first = Session(SessionConfig(today=today_, rule_dirs=tuple(dirs), autoload=autoload))
    sessions = {today_: first}

    def check(doc: Document, day: datetime.date, base: Any) -> ManifestResult | list[ErrorRecord]:
        if day not in sessions:
            sessions[day] = Session(SessionConfig(today=day, rule_dirs=tuple(dirs), autoload=autoload))
        return sessions[day].check_document(doc, base=base)

    files = ruletests.test_files(first.pack.dirs)
    if not files:
        raise UsageError(f"no test files (tests/*.yaml) in {', '.join(str(d) for d in first.pack.dirs)}")
    result = ruletests.run(files, [r.info.id for r in first.pack.rules], check, today_)
    write_outputs(outputs, lambda writer, stream: writer(result, stream), stdout)
    return 0 if result.ok else 1


def coverage_line(result: ruletests.TestRun) -> str:
    rules = result.coverage
    failing = sum(1 for seen in rules.values() if "fail" in seen)
    passing = sum(1 for seen in rules.values() if "pass" in seen)
    both = sum(1 for seen in rules.values() if {"fail", "pass"} <= seen)
    return (
        f"coverage: {both}/{len(rules)} rules tested both ways "
        f"(failing cases for {failing}, passing cases for {passing})"
    )


def write_text_report(result: ruletests.TestRun, stream: IO[str]) -> None:
    for r in result.results:
        if not r.ok:
            stream.write(
                f"{one_line(r.file)}:{r.line}: FAIL {r.rule} {one_line(r.case)}: {one_line(r.detail)}\n"
            )
    for e in result.errors:
        stream.write(f"{e}\n")
    stream.write(coverage_line(result) + "\n")
    failed = sum(1 for r in result.results if not r.ok)
    errors = f", {len(result.errors)} errors" if result.errors else ""
    stream.write(f"{len(result.results) - failed} passed, {failed} failed{errors}\n")


def write_json(result: ruletests.TestRun, stream: IO[str]) -> None:
    report = {
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
    json.dump(report, stream, indent=2, ensure_ascii=False)
    stream.write("\n")


# Characters XML 1.0 cannot hold at all (not even as character references): C0 controls other than tab, LF
# and CR, U+FFFE/U+FFFF and lone surrogates. ElementTree writes them as they are, which breaks the file.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: object) -> str:
    """``text`` with every character XML 1.0 does not allow replaced by ``?``."""
    return _NOT_XML.sub("?", str(text))


def write_junit(result: ruletests.TestRun, stream: IO[str]) -> None:
    """One ``testsuite`` per test file, one ``testcase`` per (case, rule) expectation; problems with the
    test files themselves (and rules without cases) are ``error`` test cases in a suite of their own."""
    import xml.etree.ElementTree as ET

    def element(parent: ET.Element, tag: str, text: str | None = None, **attrs: object) -> ET.Element:
        node = ET.SubElement(parent, tag, {k: xml_safe(v) for k, v in attrs.items()})
        if text is not None:
            node.text = xml_safe(text)
        return node

    root = ET.Element("testsuites", name="hrpolicy rules test")
    by_file: dict[str, list[ruletests.CaseResult]] = {}
    for r in result.results:
        by_file.setdefault(r.file, []).append(r)
    for file, results in by_file.items():
        failures = sum(1 for r in results if not r.ok)
        suite = element(root, "testsuite", name=file, tests=len(results), failures=failures, errors=0)
        for r in results:
            case = element(
                suite, "testcase", classname=r.rule, name=f"{r.case} [{r.outcome}]", file=file, line=r.line
            )
            if not r.ok:
                element(case, "failure", r.detail, message=r.detail, type="expectation")
    if result.errors:
        count = len(result.errors)
        suite = element(root, "testsuite", name="rule pack", tests=count, failures=0, errors=count)
        for e in result.errors:
            case = element(suite, "testcase", classname="rules", name=e)
            element(case, "error", str(e), message=e.message)
    ET.indent(root)
    stream.write('<?xml version="1.0" encoding="utf-8"?>\n')
    stream.write(ET.tostring(root, encoding="unicode"))
    stream.write("\n")

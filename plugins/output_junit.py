"""``--format junit``: JUnit XML, which CI systems show as test results.

``check``: one ``testsuite`` per manifest, one ``testcase`` per rule evaluated, a ``failure`` for each
finding that counts (file:line and the message; waived findings and notices do not fail), and an ``error``
suite for manifests that could not be evaluated. ``rules test``: one ``testsuite`` per test file, one
``testcase`` per (case, rule) expectation; problems with the test files themselves (and rules without
cases) are ``error`` test cases in a suite of their own. Every attribute and text goes through
:func:`xml_safe`, so the file is well-formed whatever a rule or manifest holds.
"""

from __future__ import annotations

import re
from typing import IO, TYPE_CHECKING

from hrpolicy import hookimpl
from hrpolicy.model import CaseResult, OutputFormat, OutputOptions, RunResult, TestRun, Writer

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

# Characters XML 1.0 cannot hold at all (not even as character references): C0 controls other than tab, LF
# and CR, U+FFFE/U+FFFF and lone surrogates. ElementTree writes them as they are, which breaks the file.
# Compiled on first use: the class spans most of Unicode and costs ~9 ms to compile, on every run otherwise.
_NOT_XML = "[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"


def xml_safe(text: object) -> str:
    """``text`` with every character XML 1.0 does not allow replaced by ``?``."""
    return re.sub(_NOT_XML, "?", str(text))


def element(parent: ET.Element, tag: str, text: str | None = None, **attrs: object) -> ET.Element:
    import xml.etree.ElementTree as ET

    node = ET.SubElement(parent, tag, {k: xml_safe(v) for k, v in attrs.items()})
    if text is not None:
        node.text = xml_safe(text)
    return node


def write_document(root: ET.Element, stream: IO[str]) -> None:
    import xml.etree.ElementTree as ET

    ET.indent(root)
    stream.write('<?xml version="1.0" encoding="utf-8"?>\n')
    stream.write(ET.tostring(root, encoding="unicode"))
    stream.write("\n")


def write_test(result: TestRun, stream: IO[str], options: OutputOptions) -> None:
    import xml.etree.ElementTree as ET

    root = ET.Element("testsuites", name="hrpolicy rules test")
    by_file: dict[str, list[CaseResult]] = {}
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
    write_document(root, stream)


def write_check(result: RunResult, stream: IO[str], options: OutputOptions) -> None:
    import xml.etree.ElementTree as ET

    root = ET.Element("testsuites", name="hrpolicy check")
    for manifest in result.results:
        counting = [f for f in manifest.findings if f.counts]
        failed = {f.rule for f in counting}
        suite = element(
            root,
            "testsuite",
            name=manifest.manifest,
            tests=len(result.rules),
            failures=len(failed),
            errors=0,
            timestamp=result.evaluated_on.isoformat(),
        )
        for rule in result.rules:
            case = element(suite, "testcase", classname=manifest.product or manifest.manifest, name=rule.id)
            for f in counting:
                if f.rule == rule.id:
                    where = f"{f.location.path}:{f.location.line}:{f.location.column}"
                    element(case, "failure", f"{where} {f.message}", message=f.message, type=f.severity)
    if result.errors:
        count = len(result.errors)
        suite = element(
            root, "testsuite", name="could not be evaluated", tests=count, failures=0, errors=count
        )
        for e in result.errors:
            case = element(suite, "testcase", classname="hrpolicy", name=e.path)
            element(case, "error", str(e), message=e.message)
    write_document(root, stream)


@hookimpl
def hrpolicy_output_formats() -> tuple[OutputFormat, ...]:
    writers: dict[str, Writer] = {"check": write_check, "rules-test": write_test}
    return (OutputFormat("junit", "JUnit XML, for CI test reports", writers, ".xml"),)

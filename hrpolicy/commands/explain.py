"""``hrpolicy explain RULE-ID``: one rule in plain language."""

from __future__ import annotations

import datetime
import difflib
import textwrap
from collections.abc import Sequence
from typing import IO

from hrpolicy.describe import Describer, area
from hrpolicy.errors import UsageError
from hrpolicy.session import Session, SessionConfig

WIDTH = 100


def run(rule_id: str, *, dirs: Sequence[str], autoload: bool, stdout: IO[str]) -> int:
    session = Session(SessionConfig(today=datetime.date.today(), rule_dirs=tuple(dirs), autoload=autoload))
    rules = {r.info.id: r for r in session.pack.rules}
    rule = rules.get(rule_id.upper())
    if rule is None:
        close = difflib.get_close_matches(rule_id.upper(), list(rules), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise UsageError(f"no rule {rule_id}{hint}")
    info = rule.info
    text = Describer(session.pack, session.plugins.operators()).explain(rule)

    def field(label: str, value: str) -> None:
        stdout.write(textwrap.fill(value, WIDTH, initial_indent=f"{label:<15}", subsequent_indent=" " * 15))
        stdout.write("\n")

    stdout.write(f"{info.id}: {info.title}\n")
    stdout.write(f"{area(info.id)}; defined in {info.source}\n\n")
    field("Severity:", text.severity)
    field("Waivable:", "yes" if info.waivable else "no (a waiver for it is an error)")
    if info.redact:
        field("Redaction:", "what it finds never appears in any output")
    field("Looks at:", text.iterates)
    field("Judged by:", f"{text.judged_by}. Its tier sets the severity and how old evidence may be.")
    for i, (scope, cleared, message) in enumerate(text.cases, 1):
        if len(text.cases) > 1:
            stdout.write(f"\nCase {i}:\n")
        field("Fires when:", scope)
        field("Cleared by:", cleared)
        field("Message:", message)
    stdout.write(
        "\nWhy:\n" + textwrap.fill(info.rationale, WIDTH, initial_indent="  ", subsequent_indent="  ")
    )
    stdout.write("\n\nReferences:\n")
    for ref in info.references:
        note = f" ({ref.note})" if ref.note else ""
        stdout.write(
            textwrap.fill(f"- {ref.framework} {ref.section}{note}", WIDTH, subsequent_indent="    ") + "\n"
        )
    stdout.write(
        "\nWhat to do:\n"
        + textwrap.fill(info.remediation, WIDTH, initial_indent="  ", subsequent_indent="  ")
    )
    stdout.write("\n")
    return 0

"""``hrpolicy explain RULE-ID``: one rule in plain language.

Everything printed passes through :func:`hrpolicy.authoring.describe.plain` (one line each, control, bidi and
line-separator characters replaced) before it is wrapped: rule text never reaches the terminal raw.
"""

from __future__ import annotations

import difflib
import textwrap
from collections.abc import Sequence
from typing import IO

from hrpolicy import api
from hrpolicy.authoring.describe import Describer, plain
from hrpolicy.errors import UsageError

WIDTH = 100
_TIER = "Its tier sets the severity and how old evidence may be."


def run(rule_id: str, *, dirs: Sequence[str], autoload: bool, stdout: IO[str]) -> int:
    session = api.open_session(dirs, autoload=autoload)
    rules = {r.info.id: r for r in session.pack.rules}
    rule = rules.get(rule_id.upper())
    if rule is None and rule_id.upper() in session.pack.disabled:
        raise UsageError(f"{rule_id.upper()} is switched off in {session.pack.disabled[rule_id.upper()]}")
    if rule is None:
        close = difflib.get_close_matches(rule_id.upper(), list(rules), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise UsageError(f"no rule {rule_id}{hint}")
    info = rule.info
    text = Describer(session.pack, session.plugins.operators()).explain(rule)

    def field(label: str, value: str) -> None:
        stdout.write(
            textwrap.fill(plain(value), WIDTH, initial_indent=f"{label:<15}", subsequent_indent=" " * 15)
        )
        stdout.write("\n")

    def paragraph(heading: str, value: str) -> None:
        stdout.write(f"\n{heading}\n")
        stdout.write(textwrap.fill(plain(value), WIDTH, initial_indent="  ", subsequent_indent="  ") + "\n")

    stdout.write(f"{plain(info.id)}: {plain(info.title)}\n")
    stdout.write(f"{plain(session.pack.group_title(info.id))}; defined in {plain(info.source)}\n\n")
    field("Severity:", text.severity)
    if info.override:
        field("Changed:", info.override)
    field("Waivable:", "yes" if info.waivable else "no (a waiver for it is an error)")
    if info.redact:
        field("Redaction:", "what it finds never appears in any output")
    if text.shared:
        field("Looks at:", text.cases[0].iterates)
        if text.tiered:
            field("Judged by:", f"{text.cases[0].judged_by}. {_TIER}")
    for i, case in enumerate(text.cases, 1):
        if len(text.cases) > 1:
            stdout.write(f"\nCase {i}:\n")
        if not text.shared:
            field("Looks at:", case.iterates)
            if text.tiered:
                field("Judged by:", f"{case.judged_by}. {_TIER}")
        field("Fires when:", case.scope)
        field("Cleared by:", case.cleared)
        field("Message:", case.message)
    paragraph("Why:", info.rationale)
    stdout.write("\nReferences:\n")
    for ref in info.references:
        note = f" ({ref.note})" if ref.note else ""
        line = plain(f"- {ref.framework} {ref.section}{note}")
        stdout.write(textwrap.fill(line, WIDTH, subsequent_indent="    ") + "\n")
    paragraph("What to do:", info.remediation)
    return 0

"""Rules in plain language (``explain``, ``rules docs``): hostile rule text renders as text, never as
terminal escapes, HTML or Markdown; multi-case rules are described case by case, with their escalations."""

from __future__ import annotations

import io
import re
import unicodedata
from pathlib import Path

import pytest
from helpers import Harness, rule, rule_file, write_pack

from hrpolicy.authoring.describe import CODE_END, CODE_START, Describer, code, plain, segments
from hrpolicy.commands import explain, rules_docs
from hrpolicy.errors import RuleError
from hrpolicy.evaluate.session import Session, SessionConfig

PATTERN = "(?:^|[<(])a`b``c(?:x|y)&amp;>"  # pipes, HTML-significant characters and backtick runs

HOSTILE = r"""
language_version: 1
define:
  patterns:
    hostile: '(?:^|[<(])a`b``c(?:x|y)&amp;>'
rules:
  - id: HRDD-TST-001
    title: "pipe | then <script>alert(1)</script> \e[31mred\e[0m \e]0;owned\a and a backslash \\"
    severity: high
    rationale: "see [x](javascript:alert(1)) and ![img](https://e.test/x.png) \e[2J *bold* _em_ `code`
      <b>b</b> &copy; | \u202eevil"
    references:
      - {framework: "# UNGP <i>", section: "17|18", note: "\e]8;;https://e.test\a link \e]8;;\a"}
      - {framework: "1. RDR", section: G4}
    remediation: "fix \e[1mit\e[0m\u2028now [y](javascript:alert(2))"
    tags: ["a|b", "<script>", "[t](javascript:x)"]
    for_each: markets
    when:
      name: {matches: $patterns.hostile}
    message: "bad \e[1m {item.country}"

  - id: HRDD-TST-002
    title: "two cases ending in \\"
    severity: medium
    rationale: r
    references: [{framework: UNGP, section: "17"}]
    remediation: do it
    escalate:
      - when: {status: {equals: launched}}
        severity: critical
    cases:
      - for_each: markets
        when: {status: {equals: exiting}}
        message: market {item.country} ({country.rating})
      - for_each: data_stores
        country: $item.country
        when: {purpose: {equals: backup}}
        message: store {item.id}
"""

# ESC, BEL, C1 controls, line/paragraph separators and bidi overrides: nothing of the kind may be written.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def session(tmp_path: Path) -> Session:
    pack = write_pack(tmp_path / "rules", {"hostile.yaml": HOSTILE.lstrip()})
    return Session(SessionConfig(rule_dirs=(str(pack),), autoload=False))


@pytest.fixture
def catalogue(session: Session) -> str:
    return rules_docs.render(session)


def cells(row: str) -> list[str]:
    """A GFM table row split on its unescaped pipes (a pipe after a backslash belongs to the cell)."""
    assert row.startswith("| "), row
    assert row.endswith(" |"), row
    return re.split(r"(?<!\\)\|", row[1:-1])


def code_spans(text: str) -> list[str]:
    """The contents of the CommonMark code spans of one line (fence runs matched by length)."""
    spans = []
    for m in re.finditer(r"(?<![`\\])(`+)(?!`)(.+?)(?<!`)\1(?!`)", text):
        body = m.group(2)
        if body.startswith(" ") and body.endswith(" ") and body.strip():
            body = body[1:-1]
        spans.append(body)
    return spans


def outside_code(text: str) -> str:
    return re.sub(r"(?<![`\\])(`+)(?!`)(.+?)(?<!`)\1(?!`)", "", text)


def test_catalogue_table_rows_keep_three_cells(catalogue: str) -> None:
    rows = [line for line in catalogue.splitlines() if line.startswith("| [HRDD-TST-")]
    assert len(rows) == 2
    for row in rows:
        assert len(cells(row)) == 3, row
    first = cells(rows[0])[1]
    assert "\\|" in first  # the title's pipe, escaped in the cell
    assert first.rstrip().endswith("\\\\")  # the trailing backslash is escaped, not escaping the pipe
    assert cells(rows[1])[1].strip() == "two cases ending in \\\\"


def test_catalogue_has_no_html_links_images_or_escapes(catalogue: str) -> None:
    assert not CONTROL.search(catalogue)
    text = outside_code(catalogue)
    assert "<script>" not in text
    assert "<b>" not in text
    assert "<i>" not in text
    assert "&lt;script&gt;" in text  # shown, as text
    assert "&amp;copy;" in text  # an entity in rule text is not decoded
    assert "](javascript:" not in text.replace("\\](", "")  # links neutralised: brackets escaped
    assert "\\[x\\](javascript:alert(1))" in text
    assert "!\\[img\\](https://e.test/x.png)" in text
    assert "\\*bold\\*" in text
    assert "\\_em\\_" in text
    assert "\\`code\\`" in text
    assert "\n- \\# UNGP &lt;i&gt; 17|18" in catalogue  # a reference cannot open a heading
    assert "\n- 1\\. RDR G4" in catalogue  # ... nor a nested list


def test_catalogue_escapes_tags(catalogue: str) -> None:
    tags = next(line for line in catalogue.splitlines() if line.startswith("- Tags: a"))
    assert "<script>" not in tags
    assert "&lt;script&gt;" in tags
    assert "\\[t\\](javascript:x)" in tags


def test_catalogue_shows_patterns_verbatim_in_code_spans(catalogue: str) -> None:
    fires = next(line for line in catalogue.splitlines() if "the pattern hostile" in line)
    assert PATTERN in code_spans(fires)
    assert "```" in fires  # the fence is longer than the pattern's longest backtick run (two)
    assert "\\|" not in fires
    assert "&lt;" not in fires
    source = next(line for line in catalogue.splitlines() if line.startswith("- Tags: a"))
    assert any(span.endswith("hostile.yaml") for span in code_spans(source))


def test_catalogue_describes_each_case_and_the_escalation(catalogue: str) -> None:
    section = catalogue.split("### HRDD-TST-002", 1)[1]
    assert "- Severity: medium; critical when `status` is launched" in section
    assert "- Looks at (case 1): each entry of `markets`; judged by the entry's own country" in section
    assert "- Looks at (case 2): each entry of `data_stores`; judged by the item's `country`" in section
    assert "- Fires when (case 2): `purpose` is backup" in section


def test_explain_prints_no_control_characters(session: Session, tmp_path: Path) -> None:
    out = io.StringIO()
    pack = str(tmp_path / "rules")
    assert explain.run("HRDD-TST-001", dirs=[pack], autoload=False, stdout=out) == 0
    text = out.getvalue()
    assert not CONTROL.search(text)
    assert all(unicodedata.category(ch) != "Cc" or ch == "\n" for ch in text)
    assert "?[31mred?[0m" in text  # ESC replaced, the rest shown as text
    assert f"`{PATTERN}`" in text  # the pattern verbatim
    assert "HRDD-TST-001: pipe | then <script>" in text.splitlines()[0]


def test_explain_describes_each_case_and_the_escalation(session: Session, tmp_path: Path) -> None:
    out = io.StringIO()
    assert explain.run("HRDD-TST-002", dirs=[str(tmp_path / "rules")], autoload=False, stdout=out) == 0
    text = out.getvalue()
    assert "Severity:      medium; critical when `status` is launched" in text
    first, second = text.split("Case 1:", 1)[1].split("Case 2:", 1)
    assert "Looks at:      each entry of `markets`" in first
    assert "Judged by:     the entry's own country." in first
    assert "Looks at:      each entry of `data_stores`" in second
    assert "Judged by:     the item's `country`." in second
    assert "Fires when:    `purpose` is backup" in second


def test_explanation_carries_every_case(session: Session) -> None:
    describer = Describer(session.pack, session.plugins.operators())
    rule = next(r for r in session.pack.rules if r.info.id == "HRDD-TST-002")
    explanation = describer.explain(rule)
    assert not explanation.shared
    assert [plain(c.iterates) for c in explanation.cases] == [
        "each entry of `markets`",
        "each entry of `data_stores`",
    ]
    assert explanation.severity.startswith("medium; critical when ")


def test_code_markers_in_rule_text_only_move_run_boundaries() -> None:
    forged = code(f"a{CODE_END}b{CODE_START}c")
    assert segments(forged) == [("abc", True)]
    assert segments(f"x{CODE_START}y") == [("xy", False)]
    assert plain(f"t {code('p|q')} \x1b[0m") == "t `p|q` ?[0m"


def test_rule_files_title_their_groups(tmp_path: Path) -> None:
    body = "for_each: markets\nwhen: {status: {equals: launched}}\nmessage: m"
    files = {
        "pa.yaml": "groups: {PA: Political advertising}\n" + rule_file(rule("HRDD-PA-001", body)),
        "zz.yaml": rule_file(rule("HRDD-ZZ-001", body)),
    }
    h = Harness(tmp_path, files)
    assert h.session.pack.group_title("HRDD-PA-001") == "Political advertising"
    assert h.session.pack.group_title("HRDD-ZZ-001") == "ZZ"  # untitled: the group itself
    catalogue = rules_docs.render(h.session)
    assert catalogue.index("## Political advertising") < catalogue.index("## ZZ")
    out = io.StringIO()
    explain.run("HRDD-PA-001", dirs=[str(h.rules_dir)], autoload=False, stdout=out)
    assert out.getvalue().splitlines()[1].startswith("Political advertising; defined in ")


def test_a_group_titled_twice_differently_is_an_error(tmp_path: Path) -> None:
    files = {
        "a.yaml": "language_version: 1\ngroups: {PA: Political advertising}\n",
        "b.yaml": "language_version: 1\ngroups: {PA: Paid ads}\n",
    }
    with pytest.raises(RuleError, match="group 'PA' already has the title 'Political advertising'") as info:
        Harness(tmp_path, files)
    assert str(info.value.path).endswith("b.yaml")
    assert info.value.line == 2

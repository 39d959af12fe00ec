"""``hrpolicy rules fmt``: layout changes, nothing else; idempotent; writes only what changes, and only when
asked. Every shipped rule and rule-test file is formatted (in a copy) on every run."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from hrpolicy.authoring.yamlformat import first_difference
from hrpolicy.commands import rules_fmt
from hrpolicy.errors import HrpolicyError, RuleError, UsageError
from hrpolicy.load.yaml import load_yaml

PACK = Path(__file__).resolve().parents[2] / "rules"
SHIPPED = sorted([*PACK.glob("*.yaml"), *PACK.glob("tests/*.yaml")])


def fmt(text: str) -> str:
    return rules_fmt.Formatter().format(text.encode("utf-8"), "t.yaml").decode("utf-8")


def run(*paths: Path | str, check: bool = False, diff: bool = False) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = rules_fmt.run([str(p) for p in paths], check=check, diff=diff, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def same_data(before: str | bytes, after: str | bytes) -> bool:
    """Equal as loaded by the tool, types and key order included (1 == 1.0 == True does not count)."""
    old, new = load_yaml(before, "before").data, load_yaml(after, "after").data
    return first_difference(old, new, "") is None and repr(old) == repr(new)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(textwrap.dedent(text).encode("utf-8"))
    return path


# A file already in the pack's style: comments in every place, blank lines, quotes only where needed, folded
# text, flow collections, a long flow mapping broken as the formatter breaks it. fmt must not touch a byte.
NORMAL = """\
# Head comment of the file.
# Second line of the head comment.

language_version: 1  # inline comment after a scalar
define:
  lists:
    # A comment above a key.
    statuses: [planned, beta, launched]
rules:
  # A comment above the first item.
  - id: HRDD-XYZ-001
    title: "A title: with a colon"
    severity: high
    rationale: >-
      Folded text keeps the author's line breaks when every line fits in the width, even a short line like
      this one.
    references:
      - {framework: UNGP, section: "17", note: "identify, assess and act on impacts"}
      - {framework: GNI Implementation Guidelines, section: Human rights impact assessments,
         note: clause numbering of the Guidelines not verified}
    tags: [market-entry, hria]

  # A comment between list items, after a blank line.
  - id: HRDD-XYZ-002
    title: Second rule
    severity: low
    when: {status: {in: $lists.statuses}}  # trailing comment on a flow mapping
    literal: |
      kept
        exactly
    # A comment at the end of an item.
# A comment at the end of the file.
"""


def test_a_normal_file_is_kept_byte_for_byte() -> None:
    assert fmt(NORMAL) == NORMAL


def test_comments_and_key_order_survive_a_reindent() -> None:
    source = textwrap.dedent(
        """\
        # head
        zeta: 1    # inline
        alpha:
            # above the first item
            -   b: 2
                a: 1   # inline in an item
            # between items
            -   c: 3
        middle: x
        # tail
        """
    )
    assert fmt(source) == textwrap.dedent(
        """\
        # head
        zeta: 1    # inline
        alpha:
          # above the first item
          - b: 2
            a: 1       # inline in an item
          # between items
          - c: 3
        middle: x
        # tail
        """
    )


def test_a_comment_moves_with_the_line_it_was_aligned_with() -> None:
    source = textwrap.dedent(
        """\
        a:
            b:
                - x
                # aligned with the item before: ends the list
            # aligned with the next key
            c: 1
        # aligned with nothing after it: stays
        """
    )
    assert fmt(source) == textwrap.dedent(
        """\
        a:
          b:
            - x
            # aligned with the item before: ends the list
          # aligned with the next key
          c: 1
        # aligned with nothing after it: stays
        """
    )


def test_a_mis_indented_over_quoted_file_is_normalised() -> None:
    source = (
        "language_version: 1\r\n"
        "rules:\r\n"
        "-   id: 'HRDD-ABC-001'\r\n"
        '    title: "Plain is enough"\r\n'
        "    tags: [\"a\", 'b', c]\r\n"
        "    when:\r\n"
        '        status: {equals: "launched"}\r\n'
        "    empty:\r\n"
        '    yes_no: ["NO", \'on\', "2026-01-01", "1_000"]\r\n'
        '    keep: [\'17\', "true", "null", "", \'a: b\', "x #y", \'- z\', "1.5", \'say "hi"\', "it\'s"]\r\n'
        "\r\n\r\n\r\n"
    )
    result = fmt(source)
    assert result == (
        "language_version: 1\n"
        "rules:\n"
        "  - id: HRDD-ABC-001\n"
        "    title: Plain is enough\n"
        "    tags: [a, b, c]\n"
        "    when:\n"
        "      status: {equals: launched}\n"
        "    empty: null\n"
        "    yes_no: [NO, on, 2026-01-01, 1_000]\n"
        '    keep: ["17", "true", "null", "", "a: b", "x #y", "- z", "1.5", say "hi", it\'s]\n'
    )
    assert same_data(source, result)
    assert fmt(result) == result


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('"NO"', "NO"),  # YAML 1.2: Norway stays a string without quotes
        ("'off'", "off"),
        ('"2026-11-28"', "2026-11-28"),  # dates are strings to the tool
        ('"0b101"', "0b101"),
        ('"012"', '"012"'),  # would be the integer 12
        ('"0x1F"', '"0x1F"'),
        ('"1e3"', '"1e3"'),
        ('".inf"', '".inf"'),
        ('"~"', '"~"'),
        ('"False"', '"False"'),
        ("'back\\slash'", "back\\slash"),
        ('"tab\\there"', '"tab\\there"'),
        ("'it''s'", "it's"),
        ('" lead"', '" lead"'),
    ],
)
@pytest.mark.parametrize("layout", ["key: {}\n", "key: [{}]\n"])
def test_quotes_go_only_where_the_value_stays_the_same(value: str, written: str, layout: str) -> None:
    source = layout.format(value)
    result = fmt(source)
    assert result == layout.format(written)
    assert same_data(source, result)


def test_mapping_keys_keep_quotes_where_other_tools_would_read_another_type() -> None:
    source = '"~": 1\n"012": 2\n"False": 3\n" lead": 4\n"a: b": 5\n\'NO\': 6\n'
    result = fmt(source)
    # 012 and False would be a number and a boolean to other YAML tools, so their quotes stay; NO is
    # text in YAML 1.2 and a null-looking ~ key stays text as written.
    assert result == '~: 1\n"012": 2\n"False": 3\n" lead": 4\n"a: b": 5\nNO: 6\n'
    assert same_data(source, result)


def test_colons_and_question_marks_keep_their_quotes_inside_flow_collections_only() -> None:
    # YAML 1.2 allows [x:y] and [?x] plain; libyaml, which the tool reads with, refuses the one and reads
    # the other as a mapping.
    source = 'a: "vault://hria/vn"\nb: ["vault://hria/vn", "?x"]\nc: "?x"\n'
    result = fmt(source)
    assert result == 'a: vault://hria/vn\nb: ["vault://hria/vn", "?x"]\nc: ?x\n'
    assert same_data(source, result)


def test_long_folded_paragraph_is_refilled_within_the_width_and_short_ones_keep_their_breaks() -> None:
    long_line = " ".join(["word"] * 40)  # 199 characters
    source = f"a:\n  b: >-\n    {long_line}\n\n    short line\n    kept as written\n  c: x\n"
    result = fmt(source)
    lines = result.splitlines()
    assert max(len(line) for line in lines) <= rules_fmt.WIDTH
    assert "    short line" in lines
    assert "    kept as written" in lines
    assert same_data(source, result)
    assert fmt(result) == result


def test_a_long_word_in_folded_text_is_left_alone() -> None:
    regex = "(?:^|[^0-9])" + "[0-9]{3}[ -][0-9]{4}" * 8 + "(?:$|[^0-9])"
    source = f"pattern: >-\n  {regex}\n"
    assert fmt(source) == source


def test_long_flow_collections_break_between_outer_items() -> None:
    source = (
        "cases:\n"
        "  - markets: [{country: VN, status: planned}, {country: RU, status: withdrawn}, "
        "{country: BY, status: exiting}, {country: DE}]\n"
        "    assessments:\n"
        "      - {id: hria-vn-2025, type: hria, scope: {markets: [VN]}, date: 2025-10-01, status: approved, "
        "approver: {role: bhr_lead}}\n"
        '      - {framework: OHCHR, note: "' + "a long note, " * 12 + 'end"}\n'
    )
    result = fmt(source)
    assert result == (
        "cases:\n"
        "  - markets: [{country: VN, status: planned}, {country: RU, status: withdrawn},\n"
        "              {country: BY, status: exiting}, {country: DE}]\n"
        "    assessments:\n"
        "      - {id: hria-vn-2025, type: hria, scope: {markets: [VN]}, date: 2025-10-01, status: approved,\n"
        "         approver: {role: bhr_lead}}\n"
        "      - {framework: OHCHR,\n"
        '         note: "a long note, a long note, a long note, a long note, a long note, a long note, '
        "a long note, a\n"
        '                long note, a long note, a long note, a long note, a long note, end"}\n'
    )
    assert max(len(line) for line in result.splitlines()) <= rules_fmt.WIDTH
    assert same_data(source, result)
    assert fmt(result) == result


def test_explicit_document_start_stays_and_directives_go() -> None:
    assert fmt("# head\n%YAML 1.2\n---\n# c\na: 'x'\n") == "# head\n---\n# c\na: x\n"
    assert fmt("\ufeffa: 1\n\n\n") == "a: 1\n"
    assert fmt("") == ""
    assert fmt("# only a comment\n\n") == "# only a comment\n"


def test_a_comment_inside_a_flow_collection_is_refused() -> None:
    with pytest.raises(RuleError, match=r"^t\.yaml:1:9: cannot keep the comment '# why'"):
        fmt("a: [x,  # why\n  y]\n")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (
            lambda text: text.replace("b: 1", "b: 2"),
            r"t\.yaml:3:8: formatting would change the value at /a/b",
        ),
        (
            lambda text: text.replace("# note\n", ""),
            r"t\.yaml:1:1: formatting would lose or move the comment",
        ),
        (lambda text: text + "  [", r"formatting would produce YAML that does not load"),
    ],
)
def test_the_result_is_verified_before_anything_is_written(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, damage: Any, message: str
) -> None:
    real_emit = rules_fmt.Formatter._emit
    monkeypatch.setattr(rules_fmt.Formatter, "_emit", lambda self, *args: damage(real_emit(self, *args)))
    path = write(tmp_path / "r.yaml", "# note\na:\n    b: 1\n")
    before = path.read_bytes()
    with pytest.raises(RuleError, match=message):
        rules_fmt.Formatter().format(before, "t.yaml")
    code, out, err = run(path)
    assert code == 2
    assert path.read_bytes() == before
    assert err.startswith(f"{path}:")
    assert "file left unchanged" in err
    assert out == "0 files reformatted, 0 unchanged, 1 failed\n"


EDGE_CASES = [
    "--- # after the marker\na: 1\n",
    "---\na: 1\n...\n",
    "a: &anchor [1, 2]\nb: *anchor\n",
    "? explicit\n: key\n",
    "- - - nested\n",
    "a:\n- indentless\n- sequence\n",
    "a: |\n  x\n  # not a comment\n",
    "a: >\n  x\n\n  y\n   more indented\n",
    "a: 'multi\n  line'\nb: \"multi\n  line\"\nc: plain\n  multi line\n",
    "a: [\n  1,\n  2,\n]\n",
    "a: |+\n  kept\n\n",
    "a: >2\n   indented\n",
    "'a: b': c\n\"\": x\n<<: {a: 1}\n",
    "x: [" + ", ".join(f"item{i}" for i in range(60)) + "]\n",
    "x: {" + ", ".join(f'k{i}: "v {i} with spaces"' for i in range(30)) + "}\n",
    'x: ["' + "y" * 300 + '", b]\n',
    "x: [" + "[" * 30 + "a, b" + "]" * 30 + "]\n",
    "x: >-\n  " + "tab\there " * 30 + "\n",
    '{"json": [1, 2.5, true, null, "s"]}\n',
]


@pytest.mark.parametrize("source", EDGE_CASES)
def test_unusual_yaml_keeps_its_data_and_formats_idempotently(source: str) -> None:
    for text in (source, source.replace("\n", "\r\n")):
        result = fmt(text)
        assert same_data(text, result)
        assert fmt(result) == result


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("a: 1\na: 2\n", "t.yaml:2:1: duplicate key 'a'"),
        ("a: !custom 1\n", "t.yaml:1:4: unsupported tag !custom"),
        ("a: 1\n---\nb: 2\n", "t.yaml:2:1: a second document is not allowed"),
        ("a: 1\x00\n", "t.yaml:1:5: control character U+0000 is not allowed"),
        ("a:\t1\n", "t.yaml:1:3: found character '\\t' that cannot start any token"),
    ],
)
def test_bad_input_is_one_line_error(source: str, message: str) -> None:
    with pytest.raises(HrpolicyError) as caught:
        fmt(source)
    assert str(caught.value).startswith(message)


# --- the command ------------------------------------------------------------------------------------------


def test_no_arguments_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match=r"^name rule files or directories to format$"):
        run()


def test_missing_path_is_a_usage_error_before_anything_is_written(tmp_path: Path) -> None:
    path = write(tmp_path / "a.yaml", "a:   1\n")
    with pytest.raises(UsageError, match="no such file or directory"):
        run(path, tmp_path / "missing.yaml")
    assert path.read_text() == "a:   1\n"


def test_check_reports_without_writing(tmp_path: Path) -> None:
    messy = write(tmp_path / "messy.yaml", "a:\n    - 'x'\n")
    clean = write(tmp_path / "clean.yaml", "a:\n  - x\n")
    past = 1_600_000_000_000_000_000
    os.utime(messy, ns=(past, past))
    code, out, err = run(messy, clean, check=True)
    change = f"--- {messy}\n+++ {messy} (formatted)\n@@ -1,2 +1,2 @@\n a:\n-    - 'x'\n+  - x\n"
    assert (code, out, err) == (1, f"would reformat {messy}\n{change}", "")
    assert messy.read_text() == "a:\n    - 'x'\n"
    assert messy.stat().st_mtime_ns == past
    assert run(clean, check=True) == (0, "", "")
    # --diff: the change alone
    assert run(messy, clean, diff=True) == (1, change, "")
    assert run(clean, diff=True) == (0, "", "")
    assert messy.stat().st_mtime_ns == past


def test_the_diff_never_carries_control_characters(tmp_path: Path) -> None:
    # YAML allows a bidirectional override in a comment; a terminal must not reorder the diff for it.
    messy = write(tmp_path / "messy.yaml", "a:   'x'  # \u202etxet\n")
    code, out, _ = run(messy, diff=True)
    assert code == 1
    assert "\u202e" not in out
    assert "# ?txet" in out


def test_rewrites_only_what_changes_keeping_permissions(tmp_path: Path) -> None:
    messy = write(tmp_path / "messy.yaml", "a:\n    - 'x'\n")
    clean = write(tmp_path / "clean.yaml", "a:\n  - x\n")
    os.chmod(messy, 0o640)
    past = 1_600_000_000_000_000_000
    for path in (messy, clean):
        os.utime(path, ns=(past, past))
    code, out, err = run(messy, clean)
    assert (code, err) == (0, "")
    assert out == f"reformatted {messy}\n1 file reformatted, 1 unchanged\n"
    assert messy.read_text() == "a:\n  - x\n"
    assert stat.S_IMODE(messy.stat().st_mode) == 0o640
    assert clean.stat().st_mtime_ns == past
    rewritten = messy.stat().st_mtime_ns
    assert run(messy, clean) == (0, "0 files reformatted, 2 unchanged\n", "")
    assert messy.stat().st_mtime_ns == rewritten
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left behind


def test_a_symlink_stays_a_symlink(tmp_path: Path) -> None:
    target = write(tmp_path / "real.yaml", "a:   'x'\n")
    link = tmp_path / "link.yaml"
    link.symlink_to(target)
    assert run(link)[0] == 0
    assert link.is_symlink()
    assert target.read_text() == "a: x\n"


def test_directories_mean_their_rule_files_and_tests(tmp_path: Path) -> None:
    write(tmp_path / "pack" / "a.yaml", "a:   1\n")
    write(tmp_path / "pack" / "tests" / "a.yaml", "t:   1\n")
    write(tmp_path / "pack" / "fixtures" / "f.yaml", "f:   1\n")
    write(tmp_path / "pack" / "notes.txt", "n:   1\n")
    code, out, _ = run(tmp_path / "pack", tmp_path / "pack" / "a.yaml")  # named twice, formatted once
    assert code == 0
    assert out.splitlines() == [
        f"reformatted {tmp_path / 'pack' / 'a.yaml'}",
        f"reformatted {tmp_path / 'pack' / 'tests' / 'a.yaml'}",
        "2 files reformatted, 0 unchanged",
    ]
    assert (tmp_path / "pack" / "fixtures" / "f.yaml").read_text() == "f:   1\n"
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="no rule files"):
        run(tmp_path / "empty")


def test_a_file_that_does_not_parse_is_reported_and_the_others_still_run(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.yaml", "a: 1\n  b: 2\n")
    messy = write(tmp_path / "messy.yaml", "a:   1\n")
    code, out, err = run(bad, messy, check=True)
    assert code == 2  # an error outranks "would reformat"
    assert out.startswith(f"would reformat {messy}\n--- {messy}\n")
    assert err == f"{bad}:2:4: mapping values are not allowed in this context\n"
    code, out, err = run(bad, messy)
    assert code == 2
    assert out == f"reformatted {messy}\n1 file reformatted, 0 unchanged, 1 failed\n"
    assert err.count("\n") == 1
    assert bad.read_text() == "a: 1\n  b: 2\n"


def test_the_console_command(tmp_path: Path) -> None:
    messy = write(tmp_path / "messy.yaml", "a:   'x'\n")
    command = [sys.executable, "-m", "hrpolicy", "rules", "fmt"]
    checked = subprocess.run([*command, "--check", str(messy)], capture_output=True, text=True)
    assert checked.returncode == 1
    assert checked.stdout.startswith(f"would reformat {messy}\n--- {messy}\n+++ {messy} (formatted)\n")
    done = subprocess.run([*command, str(messy)], capture_output=True, text=True)
    assert (done.returncode, done.stdout) == (0, f"reformatted {messy}\n1 file reformatted, 0 unchanged\n")
    nothing = subprocess.run(command, capture_output=True, text=True)
    assert nothing.returncode == 2
    assert "name rule files or directories to format" in nothing.stderr


def test_the_command_loads_nothing_until_it_runs() -> None:
    # The CLI imports the command only for "rules fmt"; the command imports ruamel.yaml only to format.
    code = (
        "import sys, hrpolicy.main\n"
        "assert 'hrpolicy.commands.rules_fmt' not in sys.modules\n"
        "before = set(sys.modules)\n"
        "import hrpolicy.commands.rules_fmt\n"
        "loaded = sorted(m for m in set(sys.modules) - before if 'ruamel' in m)\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- every shipped rule file and rule test file ------------------------------------------------------------


def test_the_shipped_pack_is_found() -> None:
    assert [p for p in SHIPPED if p.parent == PACK]
    assert [p for p in SHIPPED if p.parent.name == "tests"]


@pytest.mark.parametrize("source", SHIPPED, ids=[str(p.relative_to(PACK)) for p in SHIPPED])
def test_shipped_file_is_formatted(source: Path) -> None:
    """Every shipped rule and rule-test file is what rules fmt writes: formatting it changes nothing (a
    fixed point, so formatting is idempotent on it and keeps its data and comments). The one run of the
    formatter over the shipped pack."""
    original = source.read_bytes()
    assert rules_fmt.Formatter().format(original, str(source)) == original, (
        f"run: hrpolicy rules fmt {source}"
    )


def test_a_yaml_1_1_directive_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("%YAML 1.1\n---\nlanguage_version: 1\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert rules_fmt.run([str(path)], check=False, stdout=out, stderr=err) == 2
    assert "declares %YAML 1.1" in err.getvalue()
    assert "formatter bug" not in err.getvalue()


def test_quoted_keys_that_would_read_as_other_types_keep_their_quotes(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text('language_version: 1\nx: {"17": a, "true": b, plain: d}\n', encoding="utf-8")
    rules_fmt.run([str(path)], check=False, stdout=io.StringIO(), stderr=io.StringIO())
    assert '{"17": a, "true": b, plain: d}' in path.read_text(encoding="utf-8")


def test_a_change_of_line_endings_alone_is_said_in_the_diff(tmp_path: Path) -> None:
    crlf = tmp_path / "crlf.yaml"
    crlf.write_bytes(b"a: 1\r\nb: 2\r\n")
    code, out, _ = run(crlf, diff=True)
    assert (code, out) == (1, f"{crlf}: only line endings or the final newline change\n")

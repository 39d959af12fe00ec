from __future__ import annotations

import math
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from hrpolicy.errors import ManifestError
from hrpolicy.load.document import Document, pointer_join
from hrpolicy.load.jsonload import load_json
from hrpolicy.load.yaml import load_file, load_yaml

MANIFEST = """\
product:
  id: acme-chat
  name: Acme Chat
markets:
  - country: VN
    since: 2024-01-15
    channels: [app_store, play_store]
  - {country: DE, since: 2019-06-01}
data_stores:
  - id: messages
    region: eu-central-1
    encryption: {at_rest: true, end_to_end: true}
    retention_days: 30
assessments:
  - id: HRIA-2025-01
    scope: [VN, "AE"]
    note: |
      Multi-line note.
waivers:
  - rule: HR-012
    pointer: /markets/0
    expires: 2026-03-01
"""


def _error(loader: Any, source: bytes | str, **limits: int) -> ManifestError:
    with pytest.raises(ManifestError) as info:
        loader(source, "m.yaml", **limits)
    exc = info.value
    assert exc.path == "m.yaml"
    rendered = str(exc)
    assert "\n" not in rendered
    assert "\r" not in rendered
    assert " object at 0x" not in rendered
    assert rendered.startswith("m.yaml")
    return exc


def _expect(loader: Any, source: bytes | str, fragment: str, line: int | None, column: int | None) -> None:
    exc = _error(loader, source)
    assert fragment in exc.message
    assert (exc.line, exc.column) == (line, column)


# --- scalars -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NO", "NO"),
        ("yes", "yes"),
        ("on", "on"),
        ("off", "off"),
        ("y", "y"),
        ("2026-03-01", "2026-03-01"),
        ("2026-03-01T10:00:00Z", "2026-03-01T10:00:00Z"),
        ("12:30", "12:30"),
        ("1_000", "1_000"),
        ("0b101", "0b101"),
        ("0o8", "0o8"),
        ("0X1F", "0X1F"),
        ("acme-chat", "acme-chat"),
        ("-a", "-a"),
        ("+", "+"),
        (".", "."),
        ("true", True),
        ("True", True),
        ("TRUE", True),
        ("false", False),
        ("FALSE", False),
        ("null", None),
        ("Null", None),
        ("~", None),
        ("", None),
        ("42", 42),
        ("-17", -17),
        ("+5", 5),
        ("007", 7),
        ("0o17", 15),
        ("0x1F", 31),
        ("0xff", 255),
        ("1.5", 1.5),
        ("1.", 1.0),
        (".5", 0.5),
        ("-2.5e3", -2500.0),
        ("1e3", 1000.0),
        (".inf", math.inf),
        ("-.Inf", -math.inf),
        ("+.INF", math.inf),
        ("'1'", "1"),
        ('"true"', "true"),
        ("'null'", "null"),
        ('""', ""),
        ("!!str 1", "1"),
        ("!!str true", "true"),
        ("!!int '3'", 3),
        ('!!int "0x10"', 16),
        ("!!float 1", 1.0),
        ("!!float '.inf'", math.inf),
        ("!!bool 'false'", False),
        ("!!null ''", None),
        ("!!null ~", None),
    ],
)
def test_scalar_resolution_is_yaml_1_2_core(text: str, expected: Any) -> None:
    value = load_yaml(f"value: {text}\n", "m.yaml").data["value"]
    assert type(value) is type(expected)
    assert value == expected


@pytest.mark.parametrize("text", [".nan", ".NaN", ".NAN", "!!float .nan"])
def test_nan(text: str) -> None:
    value = load_yaml(f"value: {text}", "m.yaml").data["value"]
    assert isinstance(value, float)
    assert math.isnan(value)


@pytest.mark.parametrize("style", ["|", ">", "|-"])
def test_block_scalars_are_strings(style: str) -> None:
    assert load_yaml(f"value: {style}\n  123\n", "m.yaml").data["value"].strip() == "123"


@pytest.mark.parametrize(
    ("source", "key"),
    [
        ("2026: x", "2026"),
        ("NO: x", "NO"),
        ("~: x", "~"),
        ("true: x", "true"),
        ("1.0: x", "1.0"),
        ("'q': x", "q"),
    ],
)
def test_keys_are_source_text(source: str, key: str) -> None:
    assert load_yaml(source, "m.yaml").data == {key: "x"}


def test_merge_key_is_an_ordinary_key() -> None:
    data = load_yaml("base: &b {x: 1}\nother:\n  <<: *b\n", "m.yaml").data
    assert data["other"] == {"<<": {"x": 1}}


# --- marks ---------------------------------------------------------------------------------------------

MARKED = """\
name: acme
markets:
  - country: VN
    channels: [web, app]
  - {country: DE, since: 2019}
"a/b~c":
  note: |
    text
empty:
"""


def test_marks_for_nested_pointers() -> None:
    doc = load_yaml(MARKED, "m.yaml")
    assert doc.data == {
        "name": "acme",
        "markets": [{"country": "VN", "channels": ["web", "app"]}, {"country": "DE", "since": 2019}],
        "a/b~c": {"note": "text\n"},
        "empty": None,
    }
    assert dict(doc.marks) == {
        "": (1, 1),
        "/name": (1, 7),
        "/markets": (3, 3),
        "/markets/0": (3, 5),
        "/markets/0/country": (3, 14),
        "/markets/0/channels": (4, 15),
        "/markets/0/channels/0": (4, 16),
        "/markets/0/channels/1": (4, 21),
        "/markets/1": (5, 5),
        "/markets/1/country": (5, 15),
        "/markets/1/since": (5, 26),
        "/a~1b~0c": (7, 3),
        "/a~1b~0c/note": (7, 9),
        "/empty": (9, 7),
    }
    assert doc.path == "m.yaml"


def test_position_falls_back_to_nearest_ancestor() -> None:
    doc = load_yaml(MARKED, "m.yaml")
    assert doc.position("/markets/1/since") == (5, 26)
    assert doc.position("/markets/1/missing/deeper") == (5, 5)
    assert doc.position("/nothing") == (1, 1)
    assert doc.position("") == (1, 1)
    assert Document(None, {}, "x").position("/a/b") == (1, 1)
    assert Document(None, {}, "x").position("no-slash") == (1, 1)


@pytest.mark.parametrize(
    ("parent", "key", "expected"),
    [("", "a", "/a"), ("/x", 0, "/x/0"), ("", "a/b~c", "/a~1b~0c"), ("/m", "~1", "/m/~01"), ("", "", "/")],
)
def test_pointer_join(parent: str, key: str | int, expected: str) -> None:
    assert pointer_join(parent, key) == expected


def test_aliases_share_objects_and_only_mark_the_alias() -> None:
    doc = load_yaml("base: &b {x: 1}\nother: *b\nlist: [*b]\n", "m.yaml")
    assert doc.data["other"] is doc.data["base"]
    assert doc.data["list"][0] is doc.data["base"]
    assert doc.marks["/other"] == (2, 8)
    assert doc.marks["/list/0"] == (3, 8)
    assert "/other/x" not in doc.marks
    assert "/list/0/x" not in doc.marks


def test_scalar_alias_as_key() -> None:
    assert load_yaml("a: &k name\n*k : 2\n", "m.yaml").data == {"a": "name", "name": 2}


@pytest.mark.parametrize(("source", "data"), [("", None), ("# only a comment\n", None), ("---\n", None)])
def test_empty_stream(source: str, data: Any) -> None:
    assert load_yaml(source, "m.yaml").data == data


def test_realistic_manifest_and_bytes_input() -> None:
    doc = load_yaml(MANIFEST.encode(), "hrpolicy.yaml")
    assert doc.data["markets"][0]["since"] == "2024-01-15"
    assert doc.data["assessments"][0]["scope"] == ["VN", "AE"]
    assert doc.position("/waivers/0/expires") == (22, 14)
    assert load_yaml(MANIFEST, "hrpolicy.yaml").data == doc.data


# --- errors --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "key", "line", "column"),
    [
        ("a: 1\nb: 2\na: 3\n", "'a'", 3, 1),
        ("m:\n  x: 1\n  x: 2\n", "'x'", 3, 3),
        ("{x: 1, x: 2}", "'x'", 1, 8),
        ("1: a\n'1': b\n", "'1'", 2, 1),
    ],
)
def test_duplicate_keys(source: str, key: str, line: int, column: int) -> None:
    _expect(load_yaml, source, f"duplicate key {key}", line, column)


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("a: !foo 1", "!foo"),
        ("a: !python/object:os.system {}", "!python/object:os.system"),
        ("a: !!python/name:os.system ''", "!!python/name:os.system"),
        ("a: !!binary aGk=", "!!binary"),
        ("a: !!set {x: null}", "!!set"),
        ("a: !!timestamp 2026-03-01", "!!timestamp"),
        ("a: !!omap [x: 1]", "!!omap"),
        ("a: ! 12", "!"),
        ("a: !<tag:example.com,2026:x> 1", "tag:example.com,2026:x"),
    ],
)
def test_unsupported_tags(source: str, shown: str) -> None:
    _expect(load_yaml, source, f"unsupported tag {shown}", 1, 4)


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("a: !!int x", "'x' is not a valid !!int value"),
        ("a: !!int 1.5", "'1.5' is not a valid !!int value"),
        ("a: !!float 0x1", "'0x1' is not a valid !!float value"),
        ("a: !!bool yes", "'yes' is not a valid !!bool value"),
        ("a: !!null 0", "'0' is not a valid !!null value"),
        ("a: !!map 1", "tag !!map cannot be used on a scalar"),
        ("a: !!seq {x: 1}", "tag !!seq cannot be used on a mapping"),
        ("a: !!str [x]", "tag !!str cannot be used on a sequence"),
    ],
)
def test_bad_values_for_standard_tags(source: str, fragment: str) -> None:
    _expect(load_yaml, source, fragment, 1, 4)


def test_tag_on_key_is_checked() -> None:
    _expect(load_yaml, "!foo k: 1", "unsupported tag !foo", 1, 1)
    assert load_yaml("!!str 1: x", "m.yaml").data == {"1": "x"}


@pytest.mark.parametrize(
    ("source", "line"), [("a: 1\n---\nb: 2\n", 2), ("---\na: 1\n...\n---\nb: 2\n", 4), ("a\n---\n", 2)]
)
def test_multiple_documents(source: str, line: int) -> None:
    _expect(load_yaml, source, "second document", line, 1)


def test_billion_laughs_fails_fast() -> None:
    lines = ["a0: &a0 [" + ", ".join(["lol"] * 10) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    started = time.perf_counter()
    _expect(load_yaml, "\n".join(lines), "alias expansion exceeds 100000 nodes", 5, 45)
    assert time.perf_counter() - started < 0.5


def test_node_budget_is_configurable() -> None:
    # a: 1 key + 4 nodes; b: 1 key + 1 sequence; each *a adds 4, so the second one passes 12.
    exc = _error(load_yaml, "a: &a [1, 2, 3]\nb: [*a, *a, *a]\n", max_nodes=12)
    assert (exc.message, exc.line, exc.column) == ("alias expansion exceeds 12 nodes", 2, 9)
    exc = _error(load_yaml, "[" + ", ".join(["x"] * 20) + "]", max_nodes=10)
    assert exc.message == "document has more than 10 nodes"


def test_deep_flow_nesting_fails_fast() -> None:
    started = time.perf_counter()
    _expect(load_yaml, "[" * 100_000, "nesting is deeper than 64 levels", 1, 65)
    assert time.perf_counter() - started < 0.5


def test_depth_limit_is_exact() -> None:
    assert load_yaml("[" * 64 + "]" * 64, "m.yaml").data is not None
    block = "".join(f"{'  ' * i}k{i}:\n" for i in range(70))
    _expect(load_yaml, block, "nesting is deeper than 64 levels", 65, 129)
    exc = _error(load_yaml, "a: {b: [1]}", max_depth=2)
    assert (exc.line, exc.column) == (1, 8)
    exc = _error(load_yaml, "[" * 2000 + "]" * 2000, max_depth=5000)
    assert "nesting" in exc.message


@pytest.mark.parametrize("kind", [str, bytes])
def test_size_limit(kind: type) -> None:
    text = "a: " + "x" * (2 * 1_048_576)
    source = text if kind is str else text.encode()
    _expect(load_yaml, source, "larger than the 1048576-byte limit", None, None)


def test_size_limit_counts_utf8_bytes() -> None:
    assert load_yaml("a: é", "m.yaml", max_bytes=5).data == {"a": "é"}
    exc = _error(load_yaml, "a: éé", max_bytes=6)
    assert "larger than the 6-byte limit" in exc.message


@pytest.mark.parametrize(
    ("source", "fragment", "line", "column"),
    [
        ("a: 1\nb: x\x00y\n", "control character U+0000", 2, 5),
        (b"a: 1\nb: x\x00y\n", "control character U+0000", 2, 5),
        ("a: \x07", "control character U+0007", 1, 4),
        ("a: é\x1b", "control character U+001B", 1, 5),
        ("a: \x7f", "control character U+007F", 1, 4),
        ("a: \ud800", "character U+D800", 1, 4),
        ("a: \ufffe", "character U+FFFE", 1, 4),
        ("é\néé: \uffff", "character U+FFFF", 2, 5),
        ("é: x\ud800", "character U+D800", 1, 5),
    ],
)
def test_control_characters(source: str | bytes, fragment: str, line: int, column: int) -> None:
    _expect(load_yaml, source, fragment, line, column)


def test_tabs_and_crlf_are_fine() -> None:
    assert load_yaml("a: 'x\ty'\r\nb: 2\r\n", "m.yaml").data == {"a": "x\ty", "b": 2}


@pytest.mark.parametrize(
    ("source", "byte", "line", "column"),
    [
        (b"a: 1\nname: caf\xc3\xa9 \xff\n", "0xff", 2, 12),
        (b"\xc3(", "0xc3", 1, 1),
        (b"a: \xed\xa0\x80", "0xed", 1, 4),
    ],
)
def test_invalid_utf8_position(source: bytes, byte: str, line: int, column: int) -> None:
    _expect(load_yaml, source, f"invalid UTF-8 byte {byte}", line, column)


@pytest.mark.parametrize("source", [b"\xef\xbb\xbfa: 1\nb: x\n", "\ufeffa: 1\nb: x\n"])
def test_bom_is_stripped(source: bytes | str) -> None:
    doc = load_yaml(source, "m.yaml")
    assert doc.data == {"a": 1, "b": "x"}
    assert doc.marks["/a"] == (1, 4)


@pytest.mark.parametrize(
    ("source", "line", "column"),
    [("&a [1, *a]", 1, 8), ("root: &m\n  k: *m\n", 2, 6), ("&s {a: [*s]}", 1, 9)],
)
def test_recursive_alias(source: str, line: int, column: int) -> None:
    _expect(load_yaml, source, "refers to its own enclosing node", line, column)


def test_undefined_alias() -> None:
    _expect(load_yaml, "a: 1\nb: *missing\n", "alias *missing refers to no anchor", 2, 4)


@pytest.mark.parametrize(
    ("source", "line", "column"),
    [("? [a, b]\n: 1\n", 1, 3), ("? {a: 1}\n: x\n", 1, 3), ("{[a]: 1}", 1, 2), ("a: &s [1]\n*s : 2\n", 2, 1)],
)
def test_complex_keys(source: str, line: int, column: int) -> None:
    exc = _error(load_yaml, source)
    assert "key" in exc.message
    assert "scalar" in exc.message
    assert (exc.line, exc.column) == (line, column)


@pytest.mark.parametrize(
    ("source", "fragment", "line", "column"),
    [
        ("a: 1\n- b\n", "did not find expected key", 2, 1),
        ("a: [1, 2\n", "did not find expected ',' or ']'", 2, 1),
        ("a: 'open\n", "found unexpected end of stream", 2, 1),
        ("a:\n\tb: 1\n", "found character that cannot start any token", 2, 1),
        ("a: b: c\n", "mapping values are not allowed in this context", 1, 5),
    ],
)
def test_parser_errors_are_one_line(source: str, fragment: str, line: int, column: int) -> None:
    _expect(load_yaml, source, fragment, line, column)


def test_number_too_long() -> None:
    _expect(load_yaml, "a: " + "9" * 5000, "is too long", 1, 4)


def test_module_import_does_not_load_the_parser() -> None:
    code = (
        "import sys, hrpolicy.load.yaml; "
        "sys.exit('_ruamel_yaml' in sys.modules or 'ruamel.yaml' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# --- JSON ----------------------------------------------------------------------------------------------

JSON_TEXT = """\
{
  "product": {"id": "acme-chat", "version": 4},
  "markets": [
    {"country": "VN", "local_entity": true, "share": 0.25},
    {"country": "DE", "local_entity": false, "note": null, "path": "a\\/b\\u00e9"}
  ]
}
"""


def test_json_with_marks() -> None:
    doc = load_json(JSON_TEXT, "m.json")
    assert doc.data == {
        "product": {"id": "acme-chat", "version": 4},
        "markets": [
            {"country": "VN", "local_entity": True, "share": 0.25},
            {"country": "DE", "local_entity": False, "note": None, "path": "a/bé"},
        ],
    }
    assert doc.marks["/product"] == (2, 14)
    assert doc.marks["/product/version"] == (2, 45)
    assert doc.marks["/markets/1"] == (5, 5)
    assert doc.marks["/markets/1/country"] == (5, 17)


@pytest.mark.parametrize(
    ("source", "fragment", "line", "column"),
    [
        ("a: 1", "Expecting value", 1, 1),
        ("[1,\n - 2]", "Expecting value", 2, 2),
        ('{"a": yes}', "Expecting value", 1, 7),
        ("{'a': 1}", "Expecting property name enclosed in double quotes", 1, 2),
        ('{"a": 0x10}', "Expecting ',' delimiter", 1, 8),
        ('{"a": 010}', "Expecting ',' delimiter", 1, 8),
        ('{"a": .5}', "Expecting value", 1, 7),
        ('{"a": !!str 1}', "Expecting value", 1, 7),
        ('{"a": &x 1, "b": *x}', "Expecting value", 1, 7),
        ('{a: "x"}', "Expecting property name enclosed in double quotes", 1, 2),
        ('{1: "x"}', "Expecting property name enclosed in double quotes", 1, 2),
        ('{"a": 1}\n---\n{"b": 2}\n', "Extra data", 2, 1),
        ('{"a": "x"', "Expecting ',' delimiter", 1, 10),
        ("", "Expecting value", 1, 1),
        ("# comment only\n", "Expecting value", 1, 1),
    ],
)
def test_json_rejects_yaml_only_syntax(source: str, fragment: str, line: int, column: int) -> None:
    _expect(load_json, source, f"invalid JSON: {fragment}", line, column)


def test_json_duplicate_keys() -> None:
    _expect(load_json, '{"a": 1,\n "a": 2}', "duplicate key 'a'", 2, 2)
    # The json.loads fallback (libyaml refuses the leading tab) has no positions.
    _expect(load_json, '\t{"a": 1, "a": 2}', "duplicate key 'a'", None, None)


def test_json_fallback_when_libyaml_refuses_valid_json() -> None:
    for source in ['\t{"a": [1, 2]}', '["\\ud83d\\ude00"]', '{"' + "k" * 2000 + '": 1}']:
        doc = load_json(source, "m.json")
        assert doc.marks == {"": (1, 1)}
    assert load_json('["\\ud83d\\ude00"]', "m.json").data == ["\U0001f600"]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_fallback_rejects_constants(constant: str) -> None:
    _expect(load_json, '\t{"a": ' + constant + "}", f"{constant} is not valid JSON", None, None)


def test_json_fallback_enforces_limits() -> None:
    exc = _error(load_json, "\t" + "[" * 100_000 + "]" * 100_000)
    assert exc.message == "nesting is deeper than 64 levels"
    exc = _error(load_json, "\t[" + ", ".join(["1"] * 50) + "]", max_nodes=10)
    assert exc.message == "document has more than 10 nodes"


def test_json_deep_nesting_fails_fast() -> None:
    started = time.perf_counter()
    _expect(load_json, "[" * 100_000, "nesting is deeper than 64 levels", 1, 65)
    assert time.perf_counter() - started < 0.5


# --- files ---------------------------------------------------------------------------------------------


def test_load_file_dispatches_on_suffix(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text("a: yes\n")
    (tmp_path / "m.JSON").write_text('{"a": "yes"}')
    assert load_file(tmp_path / "m.yaml").data == {"a": "yes"}
    assert load_file(tmp_path / "m.JSON").data == {"a": "yes"}
    (tmp_path / "y.json").write_text("a: 1\n")
    with pytest.raises(ManifestError, match=r"y\.json:1:1: invalid JSON: Expecting value"):
        load_file(tmp_path / "y.json")


def test_load_file_uses_display_name_and_limits(tmp_path: Path) -> None:
    target = tmp_path / "big.yaml"
    target.write_text("a: " + "x" * 100)
    with pytest.raises(ManifestError) as info:
        load_file(target, display="shown.yaml", max_bytes=50)
    assert str(info.value) == "shown.yaml: input is larger than the 50-byte limit"
    assert load_file(target, display="shown.yaml").path == "shown.yaml"


@pytest.mark.parametrize("name", ["missing.yaml", "."])
def test_load_file_os_errors(tmp_path: Path, name: str) -> None:
    target = tmp_path / name
    with pytest.raises(ManifestError) as info:
        load_file(target)
    assert str(info.value) in (
        f"{target}: cannot read: No such file or directory",
        f"{target}: not a regular file",
    )
    assert "\n" not in str(info.value)


# --- fuzz ----------------------------------------------------------------------------------------------

_ALPHABET = b"abcXYZ019 \t\n:-,[]{}#&*!|>'\"%@`?~\\.<"
_NASTY = b"\r\x00\x07\x85\xc3\xa9\xff\xfe\xef\xbb\xbf"


def _mutate(rng: random.Random, base: bytes) -> bytes:
    data = bytearray(base)
    for _ in range(rng.randint(1, 8)):
        where = rng.randrange(len(data) + 1)
        choice = rng.random()
        if choice < 0.05:
            data[where:where] = bytes(rng.choices(_NASTY, k=rng.randint(1, 2)))
        elif choice < 0.4:
            data[where:where] = bytes(rng.choices(_ALPHABET, k=rng.randint(1, 4)))
        elif choice < 0.7:
            del data[where : where + rng.randint(1, 6)]
        else:
            start = rng.randrange(len(data) + 1)
            data[where:where] = data[start : start + rng.randint(1, 30)]
    return bytes(data)


def _check_fuzz_case(source: bytes) -> None:
    for loader in (load_yaml, load_json):
        for given in (source, source.decode("utf-8", "surrogateescape")):
            try:
                doc = loader(given, "fuzz.yaml", max_nodes=2_000)
            except ManifestError as exc:
                shown = str(exc)
            else:
                assert isinstance(doc.marks, dict)
                continue
            assert "\n" not in shown, shown
            assert "\r" not in shown, shown


@pytest.mark.parametrize("seed", range(4))
def test_fuzz_never_raises_anything_else(seed: int) -> None:
    rng = random.Random(seed)
    manifest = MANIFEST.encode()
    json_manifest = JSON_TEXT.encode()
    for _ in range(100):
        _check_fuzz_case(_mutate(rng, manifest))
        _check_fuzz_case(_mutate(rng, json_manifest))
        _check_fuzz_case(bytes(rng.choices(_ALPHABET, k=rng.randint(0, 80))))
        _check_fuzz_case(bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 40))))

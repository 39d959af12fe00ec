"""Turn manifest text (YAML 1.2 or JSON) into plain Python data plus the source position of every value.

This runs on every pre-commit hook invocation, so it walks libyaml's event stream once (no composer, no
constructor, no round-trip objects) and builds dict/list/str/int/float/bool/None directly. Positions are
keyed by RFC 6901 JSON pointer so findings can point at the offending line.

* Plain scalars resolve with the YAML 1.2 core schema: yes/no/on/off and dates stay strings; ``<<`` is an
  ordinary key (merge keys are YAML 1.1 only).
* Mapping keys are always the key's source text: ``2026:`` gives "2026", ``~:`` gives "~".
* Only the standard !!str/!!int/!!float/!!bool/!!null/!!map/!!seq tags exist; anything else is refused.
* Aliases share the anchored object. Their expanded size counts toward max_nodes, which is what stops
  "billion laughs" documents; values reached through an alias get no marks of their own.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Collection
from typing import Any, NoReturn

from hrpolicy.errors import ManifestError
from hrpolicy.load.document import Document, pointer_join

__all__ = ["Document", "load_file", "load_json", "load_yaml", "pointer_join"]

MAX_BYTES = 1_048_576
MAX_DEPTH = 64
MAX_NODES = 100_000

_STD = "tag:yaml.org,2002:"
_STD_KINDS = frozenset(("str", "int", "float", "bool", "null", "map", "seq"))
_CONST: dict[str, Any] = {
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), None),
    **dict.fromkeys(("true", "True", "TRUE"), True),
    **dict.fromkeys(("false", "False", "FALSE"), False),
}
_NUM_START = frozenset("0123456789+-.")
_NUMBER = re.compile(
    r"(?P<dec>[-+]?[0-9]+)|0o(?P<oct>[0-7]+)|0x(?P<hex>[0-9a-fA-F]+)"
    r"|(?P<float>[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)"
    r"|(?P<inf>[-+]?\.(?:inf|Inf|INF))|(?P<nan>\.(?:nan|NaN|NAN))"
)
_CONVERT: dict[str | None, Callable[[str], int | float]] = {"dec": int, "float": float}
_CONVERT.update(oct=lambda t: int(t[2:], 8), hex=lambda t: int(t[2:], 16), nan=lambda t: float("nan"))
_CONVERT.update(inf=lambda t: float(t.replace(".", "", 1)))
_FLOAT_KINDS = ("dec", "float", "inf", "nan")  # !!float accepts integer notation, not 0o/0x
_JSON_NUMBER = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?"  # compiled on first JSON load
_JSON_WORDS = frozenset(("true", "false", "null"))
# Control characters are checked up front for an exact position; the rarer characters libyaml also refuses
# (U+FFFE, U+FFFF) come back as reader errors. A class with the surrogate range costs 0.5 ms to compile.
_BAD_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f]")
_UNDEFINED: Any = object()


def load_yaml(
    source: bytes | str,
    path: str,
    *,
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
    max_nodes: int = MAX_NODES,
) -> Document:
    return _load(source, path, max_bytes, max_depth, max_nodes, strict=False)


def load_json(
    source: bytes | str,
    path: str,
    *,
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
    max_nodes: int = MAX_NODES,
) -> Document:
    """JSON through the YAML event path, for the marks.

    Every node must look like JSON (double-quoted strings, JSON numbers and literals, flow collections, no
    tags, anchors or aliases); anything else, and anything libyaml refuses, is decided by json.loads, without
    marks. YAML comments and trailing commas inside flow collections slip through the fast path.
    """
    return _load(source, path, max_bytes, max_depth, max_nodes, strict=True)


def load_file(path: str | os.PathLike[str], *, display: str | None = None, **limits: int) -> Document:
    """Read the file (at most max_bytes + 1 bytes) and load it as JSON if it ends in .json, else YAML."""
    name = os.fspath(path)
    shown = name if display is None else display
    try:
        with open(name, "rb") as handle:
            # One byte past the limit is enough for the loader to report the size error.
            source = handle.read(limits.get("max_bytes", MAX_BYTES) + 1)
    except OSError as exc:
        raise ManifestError(f"cannot read file: {exc.strerror or type(exc).__name__}", shown) from None
    return (load_json if name.lower().endswith(".json") else load_yaml)(source, shown, **limits)


class _ParserRefused(Exception):
    """libyaml rejected text being loaded as JSON; json.loads gets the final word."""


def _load(
    source: bytes | str, path: str, max_bytes: int, max_depth: int, max_nodes: int, strict: bool
) -> Document:
    try:
        text = _decode(source, max_bytes)
        try:
            return _build(text, path, max_depth, max_nodes, strict)
        except _ParserRefused:
            # Not JSON-shaped, or libyaml is stricter than JSON (tabs before a value, keys over 1024
            # characters, surrogate-pair escapes): json.loads decides, and reports errors with its positions.
            return Document(_json_fallback(text, max_depth, max_nodes), {"": (1, 1)}, path)
    except ManifestError as exc:
        exc.path = path  # helpers raise without knowing the path
        raise


def _fail(message: str, mark: Any = None) -> NoReturn:
    if mark is None:
        raise ManifestError(message)
    raise ManifestError(message, None, mark.line + 1, mark.column + 1)


def _fail_at(text: str, index: int, message: str) -> NoReturn:
    column = index - text.rfind("\n", 0, index)
    raise ManifestError(message, None, text.count("\n", 0, index) + 1, column)


def _show(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _show_tag(tag: str) -> str:
    return ("!!" + tag[len(_STD) :] if tag.startswith(_STD) else tag)[:80]


def _decode(source: bytes | str, max_bytes: int) -> str:
    size = len(source)
    if isinstance(source, str) and size <= max_bytes and not source.isascii():
        try:
            size = len(source.encode("utf-8"))
        except UnicodeEncodeError as exc:  # lone surrogates: no UTF-8 file can hold them
            _fail_at(source, exc.start, f"character U+{ord(source[exc.start]):04X} is not allowed")
    if size > max_bytes:
        _fail(f"input is larger than the {max_bytes}-byte limit")
    if isinstance(source, str):
        text = source
    else:
        try:
            text = source.decode("utf-8")
        except UnicodeDecodeError as exc:
            prefix = source[: exc.start].decode("utf-8")
            _fail_at(prefix, len(prefix), f"invalid UTF-8 byte 0x{source[exc.start]:02x}")
    if text.startswith("\ufeff"):
        text = text[1:]
    bad = _BAD_CHAR.search(text)
    if bad is not None:
        _fail_at(text, bad.start(), f"control character U+{ord(bad.group()):04X} is not allowed")
    return text


def _number(text: str, mark: Any, kinds: Collection[str | None] = _CONVERT) -> Any:
    """Core-schema number for text, or None when it is not one (of the given kinds)."""
    match = _NUMBER.fullmatch(text)
    if match is None or match.lastgroup not in kinds:
        return None
    try:
        return _CONVERT[match.lastgroup](text)
    except ValueError:  # more digits than int() will convert
        _fail(f"number {_show(text)} is too long", mark)


def _bad_tag(tag: str, what: str, mark: Any) -> NoReturn:
    if tag.startswith(_STD) and tag[len(_STD) :] in _STD_KINDS:
        _fail(f"tag {_show_tag(tag)} cannot be used on a {what}", mark)
    _fail(f"unsupported tag {_show_tag(tag)}", mark)


def _tagged_scalar(event: Any) -> Any:
    tag, text, mark = event.tag, event.value, event.start_mark
    kind = tag[len(_STD) :] if tag.startswith(_STD) else ""
    if kind == "str":
        return text
    if kind in ("null", "bool"):
        value = _CONST.get(text, _UNDEFINED)
        if value is not _UNDEFINED and (value is None) == (kind == "null"):
            return value
    elif kind in ("int", "float"):
        value = _number(text, mark, ("dec", "oct", "hex") if kind == "int" else _FLOAT_KINDS)
        if value is not None:
            return float(text) if kind == "float" and type(value) is int else value
    else:
        _bad_tag(tag, "scalar", mark)
    _fail(f"{_show(text)} is not a valid {_show_tag(tag)} value", mark)


def _build(text: str, path: str, max_depth: int, max_nodes: int, strict: bool) -> Document:
    import _ruamel_yaml as lib  # pulls in ruamel.yaml (~20 ms), so only when something is loaded
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    Scalar, Alias, MapStart = lib.ScalarEvent, lib.AliasEvent, lib.MappingStartEvent
    MapEnd, SeqEnd, StreamEnd = lib.MappingEndEvent, lib.SequenceEndEvent, lib.StreamEndEvent
    get = lib.CParser(text).get_event
    marks: dict[str, tuple[int, int]] = {}
    # anchor -> (value, expanded node count, source text if scalar); None while the node is being built
    anchors: dict[str, tuple[Any, int, str | None] | None] = {}
    const, num_start = _CONST, _NUM_START
    count = 0

    def json_check(event: Any, kind: type, key: bool = False) -> None:
        # YAML-only syntax goes to json.loads, whose error message and position are the ones to show. So
        # does a key over 1024 characters, which libyaml reads as a key with an empty value.
        if kind is Alias or event.anchor is not None or event.tag is not None:
            raise _ParserRefused
        if kind is Scalar:
            value, style = event.value, event.style
            if style == '"' or (
                not key and not style and (value in _JSON_WORDS or re.fullmatch(_JSON_NUMBER, value))
            ):
                return
            raise _ParserRefused
        if key or not event.flow_style:
            raise _ParserRefused

    def alias(event: Any) -> Any:
        nonlocal count
        target: Any = anchors.get(event.anchor, _UNDEFINED)
        if target is _UNDEFINED or target is None:
            problem = "refers to no anchor" if target is _UNDEFINED else "refers to its own enclosing node"
            _fail(f"alias *{event.anchor} {problem}", event.start_mark)
        count += target[1]
        if count > max_nodes:
            _fail(f"alias expansion exceeds {max_nodes} nodes", event.start_mark)
        return target

    def key_of(event: Any, kind: type) -> str:
        nonlocal count
        if strict:
            json_check(event, kind, key=True)
        if kind is Alias:
            source: str | None = alias(event)[2]
            if source is None:
                _fail(f"alias *{event.anchor} as a mapping key must refer to a scalar", event.start_mark)
            return source
        if kind is not Scalar:
            _fail("mapping keys must be scalars, not mappings or sequences", event.start_mark)
        count += 1
        key: str = event.value
        if event.tag is not None:
            _tagged_scalar(event)  # only to refuse unsupported tags and bad values; the key stays text
        if event.anchor is not None:
            anchors[event.anchor] = (key, 1, key)
        return key

    def node(event: Any, pointer: str, depth: int) -> Any:
        nonlocal count
        kind = type(event)
        mark = event.start_mark
        marks[pointer] = (mark.line + 1, mark.column + 1)
        if strict:
            json_check(event, kind)
        if kind is Scalar:
            count += 1
            value = event.value
            if event.tag is not None:
                value = _tagged_scalar(event)
            elif not event.style:
                if value in const:
                    value = const[value]
                elif value[0] in num_start:  # most scalars are words: skip the regex for them
                    number = _number(value, mark)
                    if number is not None:
                        value = number
            if event.anchor is not None:
                anchors[event.anchor] = (value, 1, event.value)
            return value
        if kind is Alias:
            return alias(event)[0]
        if depth >= max_depth:
            _fail(f"nesting is deeper than {max_depth} levels", mark)
        is_map = kind is MapStart
        tag, anchor = event.tag, event.anchor
        if tag is not None and tag != _STD + ("map" if is_map else "seq"):
            _bad_tag(tag, "mapping" if is_map else "sequence", mark)
        if anchor is not None:
            anchors[anchor] = None
        first = count
        count += 1
        prefix = pointer + "/"
        depth += 1
        result: Any
        if is_map:
            result = {}
            while type(item := get()) is not MapEnd:
                if type(item) is Scalar and item.tag is None and item.anchor is None and not strict:
                    count += 1
                    key = item.value
                else:
                    key = key_of(item, type(item))
                if key in result:
                    _fail(f"duplicate key {_show(key)}", item.start_mark)
                escaped = key.replace("~", "~0").replace("/", "~1") if "~" in key or "/" in key else key
                result[key] = node(get(), prefix + escaped, depth)
        else:
            result = []
            append, index = result.append, 0
            while type(item := get()) is not SeqEnd:
                append(node(item, prefix + str(index), depth))
                index += 1
        if count > max_nodes:
            _fail(f"document has more than {max_nodes} nodes", mark)
        if anchor is not None:
            anchors[anchor] = (result, count - first, None)
        return result

    try:
        get()  # StreamStartEvent
        if type(get()) is StreamEnd:  # no document at all
            if strict:
                raise _ParserRefused
            return Document(None, marks, path)
        data = node(get(), "", 0)
        if count > max_nodes:
            _fail(f"document has more than {max_nodes} nodes")
        get()  # DocumentEndEvent
        if type(event := get()) is not StreamEnd:
            if strict:
                raise _ParserRefused
            _fail("a second document is not allowed; a manifest holds exactly one", event.start_mark)
        return Document(data, marks, path)
    except MarkedYAMLError as exc:
        if strict:
            raise _ParserRefused from None
        problem = exc.problem or "invalid YAML"
        if exc.context and len(exc.context) <= 40:
            problem += f" ({exc.context})"
        _fail(" ".join(problem.split()), exc.problem_mark or exc.context_mark)
    except (YAMLError, ValueError) as exc:  # reader errors and anything else from libyaml
        if strict:
            raise _ParserRefused from None
        where, code = getattr(exc, "position", None), getattr(exc, "character", None)
        if isinstance(where, int) and isinstance(code, int):  # a reader error: byte offset into the UTF-8
            index = len(text.encode()[:where].decode(errors="ignore"))
            _fail_at(text, index, f"character U+{code:04X} is not allowed")
        _fail(" ".join(str(getattr(exc, "reason", None) or exc).split()))
    except RecursionError:  # only when a caller raises max_depth beyond Python's own limit
        _fail(f"nesting is deeper than {max_depth} levels")


def _json_fallback(text: str, max_depth: int, max_nodes: int) -> Any:
    import json  # rarely needed: keep it off the import path

    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                _fail(f"duplicate key {_show(key)}")
            result[key] = value
        return result

    def no_constant(name: str) -> NoReturn:
        _fail(f"{name} is not valid JSON")

    try:
        data = json.loads(text, object_pairs_hook=unique, parse_constant=no_constant)
    except json.JSONDecodeError as exc:
        raise ManifestError(f"invalid JSON: {exc.msg}", None, exc.lineno, exc.colno) from None
    except RecursionError:
        _fail(f"nesting is deeper than {max_depth} levels")
    except ValueError as exc:  # e.g. an integer with more digits than int() converts
        _fail(" ".join(str(exc).split()))
    # The event path enforces these limits while parsing; here the data already exists, so measure it.
    stack, count = [(data, 0)], 0
    while stack:
        value, depth = stack.pop()
        count += 1
        if count > max_nodes:
            _fail(f"document has more than {max_nodes} nodes")
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            if depth >= max_depth:
                _fail(f"nesting is deeper than {max_depth} levels")
            stack.extend((child, depth + 1) for child in value)
    return data

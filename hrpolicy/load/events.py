"""The event walk behind every manifest loader: libyaml's event stream (one pass: no composer, no
constructor, no round-trip objects) turned into dict/list/str/int/float/bool/None plus the source position
of every value, keyed by RFC 6901 JSON pointer.

* Plain scalars resolve with the YAML 1.2 core schema: yes/no/on/off and dates stay strings; ``<<`` is an
  ordinary key (merge keys are YAML 1.1 only).
* Mapping keys are always the key's source text: ``2026:`` gives "2026", ``~:`` gives "~".
* Only the standard !!str/!!int/!!float/!!bool/!!null/!!map/!!seq tags exist; anything else is refused.
* Aliases share the anchored object. Their expanded size counts toward max_nodes, which is what stops
  "billion laughs" documents; values reached through an alias get no marks of their own.

Every problem is a :class:`~hrpolicy.errors.ManifestError` with line and column (the caller sets the path).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from typing import Any, NoReturn

from hrpolicy.errors import ManifestError
from hrpolicy.identifiers import shown
from hrpolicy.load.libyaml import Binding

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
# Control characters are checked up front for an exact position; the rarer characters libyaml also refuses
# (U+FFFE, U+FFFF) come back as reader errors. A class with the surrogate range costs 0.5 ms to compile.
_BAD_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f]")
_UNDEFINED: Any = object()


def fail(message: str, mark: Any = None) -> NoReturn:
    if mark is None:
        raise ManifestError(message)
    raise ManifestError(message, None, mark.line + 1, mark.column + 1)


def fail_at(text: str, index: int, message: str) -> NoReturn:
    column = index - text.rfind("\n", 0, index)
    raise ManifestError(message, None, text.count("\n", 0, index) + 1, column)


def show(text: str) -> str:
    """Text from the file, quoted for a message: identifiers withheld first, then cut."""
    text = shown(text)
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _show_tag(tag: str) -> str:
    return shown("!!" + tag[len(_STD) :] if tag.startswith(_STD) else tag)[:80]


def decode(source: bytes | str, max_bytes: int) -> str:
    size = len(source)
    if isinstance(source, str) and size <= max_bytes and not source.isascii():
        try:
            size = len(source.encode("utf-8"))
        except UnicodeEncodeError as exc:  # lone surrogates: no UTF-8 file can hold them
            fail_at(source, exc.start, f"character U+{ord(source[exc.start]):04X} is not allowed")
    if size > max_bytes:
        fail(f"input is larger than the {max_bytes}-byte limit")
    if isinstance(source, str):
        text = source
    else:
        try:
            text = source.decode("utf-8")
        except UnicodeDecodeError as exc:
            prefix = source[: exc.start].decode("utf-8")
            fail_at(prefix, len(prefix), f"invalid UTF-8 byte 0x{source[exc.start]:02x}")
    if text.startswith("\ufeff"):
        text = text[1:]
    bad = _BAD_CHAR.search(text)
    if bad is not None:
        fail_at(text, bad.start(), f"control character U+{ord(bad.group()):04X} is not allowed")
    return text


def _number(text: str, mark: Any, kinds: Collection[str | None] = _CONVERT) -> Any:
    """Core-schema number for text, or None when it is not one (of the given kinds)."""
    match = _NUMBER.fullmatch(text)
    if match is None or match.lastgroup not in kinds:
        return None
    try:
        return _CONVERT[match.lastgroup](text)
    except ValueError:  # more digits than int() will convert
        fail(f"number {show(text)} is too long", mark)


def first_surrogate(text: str) -> str | None:
    """The first surrogate code point of ``text``, if any: exactly what strict UTF-8 cannot encode (a
    regular expression of the surrogate range costs 0.4 ms to compile)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return text[exc.start]
    return None


def refuse_surrogates(text: str, mark: Any) -> None:
    """An escaped lone surrogate (``"\\ud800"``) decodes to no character: no file can hold it as text."""
    found = first_surrogate(text)
    if found is not None:
        fail(f"escaped character U+{ord(found):04X} is a lone surrogate, not a character", mark)


def _bad_tag(tag: str, what: str, mark: Any) -> NoReturn:
    if tag.startswith(_STD) and tag[len(_STD) :] in _STD_KINDS:
        fail(f"tag {_show_tag(tag)} cannot be used on a {what}", mark)
    fail(f"unsupported tag {_show_tag(tag)}", mark)


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
    fail(f"{show(text)} is not a valid {_show_tag(tag)} value", mark)


class Limits:
    """How big a document may be: bytes of text, nesting depth and nodes (aliases counted expanded)."""

    __slots__ = ("max_bytes", "max_depth", "max_nodes")

    def __init__(self, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH, max_nodes: int = MAX_NODES):
        self.max_bytes, self.max_depth, self.max_nodes = max_bytes, max_depth, max_nodes


def build(lib: Binding, get: Callable[[], Any], limits: Limits) -> tuple[Any, dict[str, tuple[int, int]]]:
    """Walk one document's events from ``get`` into (data, marks). An empty stream gives ``(None, {})``.

    libyaml's own errors (``lib.MarkedYAMLError``, ``lib.YAMLError``) pass through for the caller to
    translate; everything this walk refuses is a ManifestError.
    """
    walk = _Walk(lib, get, limits)
    get()  # StreamStartEvent
    if type(get()) is lib.StreamEndEvent:  # no document at all
        return None, walk.marks
    data = walk.node(get(), "", 0)
    if walk.count > limits.max_nodes:
        fail(f"document has more than {limits.max_nodes} nodes")
    get()  # DocumentEndEvent
    if type(event := get()) is not lib.StreamEndEvent:
        fail("a second document is not allowed; a manifest holds exactly one", event.start_mark)
    return data, walk.marks


class _Walk:
    """The state of one document's walk: marks, anchors and the node count (aliases counted expanded)."""

    __slots__ = (
        "Alias",
        "MapEnd",
        "MapStart",
        "Scalar",
        "SeqEnd",
        "anchors",
        "count",
        "get",
        "limits",
        "marks",
    )

    Scalar: Any
    Alias: Any
    MapStart: Any
    MapEnd: Any
    SeqEnd: Any

    def __init__(self, lib: Binding, get: Callable[[], Any], limits: Limits):
        self.Scalar, self.Alias, self.MapStart = lib.ScalarEvent, lib.AliasEvent, lib.MappingStartEvent
        self.MapEnd, self.SeqEnd = lib.MappingEndEvent, lib.SequenceEndEvent
        self.get, self.limits = get, limits
        self.marks: dict[str, tuple[int, int]] = {}
        # anchor -> (value, expanded node count, source text if scalar); None while the node is being built
        self.anchors: dict[str, tuple[Any, int, str | None] | None] = {}
        self.count = 0

    def node(self, event: Any, pointer: str, depth: int) -> Any:
        kind = type(event)
        mark = event.start_mark
        self.marks[pointer] = (mark.line + 1, mark.column + 1)
        if kind is self.Scalar:
            return self.scalar(event)
        if kind is self.Alias:
            return self.alias(event)[0]
        if depth >= self.limits.max_depth:
            fail(f"nesting is deeper than {self.limits.max_depth} levels", mark)
        is_map = kind is self.MapStart
        tag, anchor = event.tag, event.anchor
        if tag is not None and tag != _STD + ("map" if is_map else "seq"):
            _bad_tag(tag, "mapping" if is_map else "sequence", mark)
        if anchor is not None:
            self.anchors[anchor] = None
        first = self.count
        self.count += 1
        result = self.mapping(pointer + "/", depth + 1) if is_map else self.sequence(pointer + "/", depth + 1)
        if self.count > self.limits.max_nodes:
            fail(f"document has more than {self.limits.max_nodes} nodes", mark)
        if anchor is not None:
            self.anchors[anchor] = (result, self.count - first, None)
        return result

    def scalar(self, event: Any) -> Any:
        self.count += 1
        value = event.value
        if not value.isascii():
            refuse_surrogates(value, event.start_mark)
        if event.tag is not None:
            value = _tagged_scalar(event)
        elif not event.style:
            if value in _CONST:
                value = _CONST[value]
            elif value[0] in _NUM_START:  # most scalars are words: skip the regex for them
                number = _number(value, event.start_mark)
                if number is not None:
                    value = number
        if event.anchor is not None:
            self.anchors[event.anchor] = (value, 1, event.value)
        return value

    def mapping(self, prefix: str, depth: int) -> dict[str, Any]:
        get, Scalar, MapEnd, node = self.get, self.Scalar, self.MapEnd, self.node
        result: dict[str, Any] = {}
        while type(item := get()) is not MapEnd:
            if type(item) is Scalar and item.tag is None and item.anchor is None and item.value.isascii():
                self.count += 1
                key = item.value
            else:
                key = self.key(item)
            if key in result:
                fail(f"duplicate key {show(key)}", item.start_mark)
            escaped = key.replace("~", "~0").replace("/", "~1") if "~" in key or "/" in key else key
            result[key] = node(get(), prefix + escaped, depth)
        return result

    def sequence(self, prefix: str, depth: int) -> list[Any]:
        get, SeqEnd, node = self.get, self.SeqEnd, self.node
        result: list[Any] = []
        append, index = result.append, 0
        while type(item := get()) is not SeqEnd:
            append(node(item, prefix + str(index), depth))
            index += 1
        return result

    def key(self, event: Any) -> str:
        kind = type(event)
        if kind is self.Alias:
            source: str | None = self.alias(event)[2]
            if source is None:
                fail(f"alias *{event.anchor} as a mapping key must refer to a scalar", event.start_mark)
            return source
        if kind is not self.Scalar:
            fail("mapping keys must be scalars, not mappings or sequences", event.start_mark)
        self.count += 1
        key: str = event.value
        if not key.isascii():
            refuse_surrogates(key, event.start_mark)
        if event.tag is not None:
            _tagged_scalar(event)  # only to refuse unsupported tags and bad values; the key stays text
        if event.anchor is not None:
            self.anchors[event.anchor] = (key, 1, key)
        return key

    def alias(self, event: Any) -> Any:
        target: Any = self.anchors.get(event.anchor, _UNDEFINED)
        if target is _UNDEFINED or target is None:
            problem = "refers to no anchor" if target is _UNDEFINED else "refers to its own enclosing node"
            fail(f"alias *{event.anchor} {problem}", event.start_mark)
        self.count += target[1]
        if self.count > self.limits.max_nodes:
            fail(f"alias expansion exceeds {self.limits.max_nodes} nodes", event.start_mark)
        return target


def translate(lib: Binding, text: str, exc: Exception) -> NoReturn:
    """libyaml's error as a one-line ManifestError at its position."""
    if isinstance(exc, lib.MarkedYAMLError):
        problem = getattr(exc, "problem", None) or "invalid YAML"
        context = getattr(exc, "context", None)
        if context and len(context) <= 40:
            problem += f" ({context})"
        fail(
            " ".join(problem.split()),
            getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None),
        )
    where, code = getattr(exc, "position", None), getattr(exc, "character", None)
    if isinstance(where, int) and isinstance(code, int):  # a reader error: byte offset into the UTF-8
        index = len(text.encode()[:where].decode(errors="ignore"))
        fail_at(text, index, f"character U+{code:04X} is not allowed")
    fail(" ".join(str(getattr(exc, "reason", None) or exc).split()))

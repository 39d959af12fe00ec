"""JSON manifests, through the same event walk as YAML (:mod:`hrpolicy.load.events`), for the marks.

A filter over the events makes sure every node looks like JSON (double-quoted keys and strings, JSON
numbers and literals, flow collections, no tags, anchors or aliases, one document). Anything else, and
anything libyaml refuses, is decided by ``json.loads``, which reports its own error and position; the data
then has no marks below the root. YAML comments and trailing commas inside flow collections slip through
the fast path.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NoReturn

from hrpolicy.errors import ManifestError
from hrpolicy.load import events
from hrpolicy.load.document import Document
from hrpolicy.load.events import MAX_BYTES, MAX_DEPTH, MAX_NODES, Limits, decode, fail, show
from hrpolicy.load.libyaml import Binding, binding

__all__ = ["load_json"]

_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_JSON_WORDS = frozenset(("true", "false", "null"))


class _NotJsonShaped(Exception):
    """The text is not plain JSON for libyaml's eyes; json.loads gets the final word."""


def load_json(
    source: bytes | str,
    path: str,
    *,
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
    max_nodes: int = MAX_NODES,
) -> Document:
    """One JSON document, with the same limits as :func:`hrpolicy.load.yaml.load_yaml`.

    :raises ManifestError: one line, with the path and the problem's position."""
    try:
        text = decode(source, max_bytes)
        lib = binding()
        try:
            get = _json_events(lib, lib.parser(text).get_event)
            data, marks = events.build(lib, get, Limits(max_bytes, max_depth, max_nodes))
            if not marks:  # an empty stream is no JSON document
                raise _NotJsonShaped
            return Document(data, marks, path)
        except (_NotJsonShaped, lib.YAMLError, ValueError):
            # Not JSON-shaped, or libyaml is stricter than JSON (tabs before a value, keys over 1024
            # characters, surrogate-pair escapes): json.loads decides, and reports errors with its positions.
            return Document(_json_fallback(text, max_depth, max_nodes), {"": (1, 1)}, path)
    except ManifestError as exc:
        exc.path = path
        raise


def _json_events(lib: Binding, get: Callable[[], Any]) -> Callable[[], Any]:
    """``get`` that refuses (raises _NotJsonShaped on) any event JSON could not have produced."""
    Scalar, Alias, MapStart, SeqStart = (
        lib.ScalarEvent,
        lib.AliasEvent,
        lib.MappingStartEvent,
        lib.SequenceStartEvent,
    )
    ends = (lib.MappingEndEvent, lib.SequenceEndEvent)
    # Per open collection: True when a mapping awaits a key, False when it awaits a value, None in a list.
    stack: list[bool | None] = []
    documents = 0

    def done() -> None:
        if stack and stack[-1] is not None:
            stack[-1] = not stack[-1]

    def checked() -> Any:
        nonlocal documents
        event = get()
        kind = type(event)
        if kind in ends:
            stack.pop()
            done()
        elif kind in (Scalar, Alias, MapStart, SeqStart):
            _check(event, kind is Scalar, kind is Alias, bool(stack) and stack[-1] is True)
            if kind is MapStart:
                stack.append(True)
            elif kind is SeqStart:
                stack.append(None)
            else:
                done()
        elif kind is lib.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise _NotJsonShaped
        return event

    return checked


def _check(event: Any, scalar: bool, alias: bool, key: bool) -> None:
    if alias or event.anchor is not None or event.tag is not None:
        raise _NotJsonShaped
    if scalar:
        value, style = event.value, event.style
        if style == '"' or (
            not key and not style and (value in _JSON_WORDS or _JSON_NUMBER.fullmatch(value))
        ):
            return
        raise _NotJsonShaped
    if key or not event.flow_style:
        raise _NotJsonShaped


def _json_fallback(text: str, max_depth: int, max_nodes: int) -> Any:
    import json  # rarely needed: keep it off the import path

    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                fail(f"duplicate key {show(key)}")
            result[key] = value
        return result

    def no_constant(name: str) -> NoReturn:
        fail(f"{name} is not valid JSON")

    try:
        data = json.loads(text, object_pairs_hook=unique, parse_constant=no_constant)
    except json.JSONDecodeError as exc:
        raise ManifestError(f"invalid JSON: {exc.msg}", None, exc.lineno, exc.colno) from None
    except RecursionError:
        fail(f"nesting is deeper than {max_depth} levels")
    except ValueError as exc:  # e.g. an integer with more digits than int() converts
        fail(" ".join(str(exc).split()))
    _check_size(data, max_depth, max_nodes)
    _refuse_surrogates_in(data, text)
    return data


def _refuse_surrogates_in(data: Any, text: str) -> None:
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str) and not value.isascii():
            found = events.first_surrogate(value)
            if found is not None:
                code = f"{ord(found):04x}"
                escape = re.search(rf"\\u{code}", text, re.IGNORECASE)
                message = f"escaped character U+{code.upper()} is a lone surrogate, not a character"
                if escape is not None:
                    events.fail_at(text, escape.start(), message)
                events.fail(message)
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


def _check_size(data: Any, max_depth: int, max_nodes: int) -> None:
    """The event path enforces the limits while parsing; here the data already exists, so measure it."""
    stack, count = [(data, 0)], 0
    while stack:
        value, depth = stack.pop()
        count += 1
        if count > max_nodes:
            fail(f"document has more than {max_nodes} nodes")
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            if depth >= max_depth:
                fail(f"nesting is deeper than {max_depth} levels")
            stack.extend((child, depth + 1) for child in value)

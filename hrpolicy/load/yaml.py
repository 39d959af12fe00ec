"""Turn manifest text (YAML 1.2) into plain Python data plus the source position of every value.

This runs on every pre-commit hook invocation: one pass over libyaml's events
(:mod:`hrpolicy.load.events`), positions keyed by JSON pointer so findings can point at the offending line.
JSON files go through :mod:`hrpolicy.load.jsonload`; :func:`load_file` picks by suffix.
"""

from __future__ import annotations

import os

from hrpolicy.errors import ManifestError
from hrpolicy.files import read_regular, reading_problem
from hrpolicy.load import events
from hrpolicy.load.document import Document
from hrpolicy.load.events import MAX_BYTES, MAX_DEPTH, MAX_NODES, Limits, decode
from hrpolicy.load.libyaml import binding

__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_NODES", "load_file", "load_source", "load_yaml"]


def load_yaml(
    source: bytes | str,
    path: str,
    *,
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
    max_nodes: int = MAX_NODES,
) -> Document:
    """One YAML 1.2 document (one only; at most ``max_bytes`` of UTF-8, ``max_depth`` levels and
    ``max_nodes`` nodes). :raises ManifestError: one line, with the path and the problem's position."""
    try:
        text = decode(source, max_bytes)
        lib = binding()
        try:
            data, marks = events.build(
                lib, lib.parser(text).get_event, Limits(max_bytes, max_depth, max_nodes)
            )
        except (lib.YAMLError, ValueError) as exc:
            events.translate(lib, text, exc)
        except RecursionError:  # only when a caller raises max_depth beyond Python's own limit
            events.fail(f"nesting is deeper than {max_depth} levels")
        return Document(data, marks, path)
    except ManifestError as exc:
        exc.path = path  # helpers raise without knowing the path
        raise


def load_file(path: str | os.PathLike[str], *, display: str | None = None, **limits: int) -> Document:
    """Read the file (at most max_bytes + 1 bytes) and load it as JSON if it ends in .json, else YAML."""
    name = os.fspath(path)
    shown = name if display is None else display
    try:
        # One byte past the limit is enough for the loader to report the size error.
        source = read_regular(name, limits.get("max_bytes", MAX_BYTES) + 1)
    except OSError as exc:
        raise ManifestError(reading_problem(exc), shown) from None
    return load_source(source, shown, json=name.lower().endswith(".json"), **limits)


def load_source(source: bytes, shown: str, *, json: bool = False, **limits: int) -> Document:
    """Bytes already read, as JSON (``json``) or YAML."""
    if json:
        from hrpolicy.load.jsonload import load_json

        return load_json(source, shown, **limits)
    return load_yaml(source, shown, **limits)

"""A small on-disk cache for files that rarely change: rule files and country data (never manifests).

A pre-commit hook checks the same rule pack on every commit; parsing and validating it each time would
cost more than the check itself. A cached entry holds the parsed, already validated document (plain data
and marks, stored with :mod:`marshal`) and is keyed and checked by the SHA-256 of the file's bytes, the
hrpolicy version and the schema it was validated against, so any edit or upgrade misses, and an entry of
another shape or for other bytes is ignored: the cache can make a run faster, never change its result.

The cache lives in ``$XDG_CACHE_HOME/hrpolicy`` (default ``~/.cache/hrpolicy``); ``HRPOLICY_NO_CACHE=1``
turns it off. Failing to read or write it only costs speed.
"""

from __future__ import annotations

import contextlib
import marshal
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hrpolicy import __version__
from hrpolicy.files import read_regular, sha256, write_atomic
from hrpolicy.load.document import Document

NO_CACHE_ENV = "HRPOLICY_NO_CACHE"


def cache_dir() -> Path | None:
    if os.environ.get(NO_CACHE_ENV):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "hrpolicy"


def cached_document(
    path: Path, display: str, schema: str, parse: Callable[[bytes, str], Document], limit: int
) -> Document:
    """``parse(source, display)`` (parse + validate, raising on problems) of the file's bytes, unless the
    cache holds the result for exactly these bytes.

    Entries are keyed and checked by the SHA-256 of the source, and their shape is checked: an entry
    written by anything else, or for other bytes, is a miss and never changes a result.
    """
    source = read_regular(path, limit)
    folder = cache_dir()
    if folder is None:
        return parse(source, display)
    digest = sha256(source).hexdigest()
    key = f"{__version__}\0{schema}\0{display}\0{digest}"
    entry = folder / "documents" / (sha256(key.encode()).hexdigest()[:32] + ".marshal")
    cached = _read_entry(entry, digest)
    if cached is not None:
        return Document(cached[0], cached[1], display)
    doc = parse(source, display)
    try:
        blob = marshal.dumps((digest, doc.data, dict(doc.marks)))
    except ValueError:
        return doc
    with contextlib.suppress(OSError):
        write_atomic(entry, blob, private=True)
    return doc


def _read_entry(entry: Path, digest: str) -> tuple[dict[str, Any], dict[str, tuple[int, int]]] | None:
    """The entry's (data, marks) if it is an entry for the source with ``digest``, else None."""
    try:
        stored, data, marks = marshal.loads(entry.read_bytes())
    except Exception:
        return None
    if stored != digest or type(data) is not dict or type(marks) is not dict or "" not in marks:
        return None
    for pointer, mark in marks.items():
        if type(pointer) is not str or type(mark) is not tuple or len(mark) != 2:
            return None
    return data, marks

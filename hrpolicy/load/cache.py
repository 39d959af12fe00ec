"""A small on-disk cache for files that rarely change: rule files and country data (never manifests).

A pre-commit hook checks the same rule pack on every commit; parsing and validating it each time would
cost more than the check itself. A cached entry holds the parsed, already validated document (plain data
and marks, stored with :mod:`marshal`) and is keyed and checked by a BLAKE2b digest of the file's bytes, the
hrpolicy version and the schema it was validated against, so any edit or upgrade misses, and an entry of
another shape or for other bytes is ignored: a stale or foreign entry can make a run faster, never
change its result.

A second kind of entry holds what a run derives from several such files together (the rule pack read
into rule trees, the merged country data): keyed by a digest of their paths and bytes, hrpolicy's
version and the code that derives it, written only when the files did not change while being read,
stored with :mod:`pickle` and loaded by an unpickler that builds nothing but the classes named, so an
entry cannot run code. Its user checks the value's shape, and falls back to reading the files.

The cache lives in ``$XDG_CACHE_HOME/hrpolicy`` (default ``~/.cache/hrpolicy``, files private to the
user); ``HRPOLICY_NO_CACHE=1`` turns it off. Failing to read or write it only costs speed. Like any cache
of results, it is only as trustworthy as the directory: whoever can write there can forge an entry that
changes what a run reports.
"""

from __future__ import annotations

import contextlib
import marshal
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from hrpolicy import __version__
from hrpolicy.files import blake2b, display_path, read_regular, sha256, write_atomic
from hrpolicy.load.document import Document

NO_CACHE_ENV = "HRPOLICY_NO_CACHE"
R = TypeVar("R")


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

    Entries are keyed and checked by the BLAKE2b digest of the source, and their shape is checked: an entry
    written by anything else, or for other bytes, is a miss and never changes a result.
    """
    source = read_regular(path, limit)
    folder = cache_dir()
    if folder is None:
        return parse(source, display)
    digest = blake2b(source).hexdigest()
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


class Derivation(NamedTuple):
    """What a value derived from several files is made from: the files, and the Python files of the code
    that derives it (a change to either misses the cache)."""

    kind: str  # the cache's folder for it
    sources: Sequence[Path]
    code: Sequence[Path]
    limit: int  # the largest file read, in bytes


def derived(
    how: Derivation,
    classes: frozenset[tuple[str, str]],
    use: Callable[[Any], R],
    compute: Callable[[], tuple[R, Any]],
) -> R:
    """``use(value)`` of the cached value, or, when there is none or ``use`` raises on it, the result of
    ``compute()``, which returns the result and the value to cache. The value is stored only when the
    files still hold the bytes its key was taken from: an edit during the run files nothing under the
    wrong key. ``classes`` are all the value may be built of (besides plain data)."""
    entry = _entry(how)
    cached = _read(entry, classes)
    if cached is not None:
        with contextlib.suppress(Exception):  # never a result of the cache: compute() says what is wrong
            return use(cached)
    result, value = compute()
    if entry is not None and _entry(how) == entry:
        _write(entry, value)
    return result


def _entry(how: Derivation) -> Path | None:
    """Where the value is kept: a SHA-256 of hrpolicy's version, the size and modification time of each code
    file (so that editing a development install misses too), and each source's display path and BLAKE2b
    digest. None when the cache is off or a file cannot be read: ``compute`` reports that."""
    folder = cache_dir()
    if folder is None:
        return None
    digest = sha256(f"{__version__}\0{how.kind}\n".encode())
    try:
        for path in how.code:
            info = os.stat(path)
            digest.update(f"{path}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
        for path in how.sources:
            source = read_regular(path, how.limit)
            digest.update(f"{display_path(path)}\0{blake2b(source).hexdigest()}\n".encode())
    except OSError:
        return None
    return folder / how.kind / (digest.hexdigest()[:32] + ".pickle")


def _read(entry: Path | None, classes: frozenset[tuple[str, str]]) -> Any:
    """The value stored at ``entry``, built of plain data and the ``classes`` named (module, name) alone;
    None when there is none or it cannot be read. Nothing else can be looked up, so an entry cannot call
    a function."""
    if entry is None:
        return None
    try:
        from _pickle import Unpickler  # the C unpickler alone: the pickle module costs ~2 ms to import
    except ImportError:  # pragma: no cover - not CPython
        from pickle import Unpickler

    class Restricted(Unpickler):
        def find_class(self, module: str, name: str) -> Any:
            if (module, name) not in classes:  # exactly: pickle would follow a dotted name anywhere
                raise ValueError(f"{module}.{name} is not allowed in a cache entry")
            return super().find_class(module, name)

    try:
        with open(entry, "rb") as fh:
            return Restricted(fh).load()
    except Exception:
        return None


def _write(entry: Path, value: Any) -> None:
    """Store ``value`` at ``entry`` (failing only costs speed)."""
    import pickle
    import pickletools

    with contextlib.suppress(OSError, pickle.PicklingError, TypeError, AttributeError):
        blob = pickletools.optimize(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))  # loads faster
        write_atomic(entry, blob, private=True)

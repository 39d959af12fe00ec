"""A small on-disk cache for files that rarely change: rule files and country data (never manifests).

A pre-commit hook checks the same rule pack on every commit; parsing and validating it each time would
cost more than the check itself. A cached entry holds the parsed, already validated document (plain data
and marks, stored with :mod:`marshal`) and is keyed by the file's path, size and modification time plus
the hrpolicy version and the schema it was validated against, so any edit or upgrade misses.

The cache lives in ``$XDG_CACHE_HOME/hrpolicy`` (default ``~/.cache/hrpolicy``); ``HRPOLICY_NO_CACHE=1``
turns it off. Failing to read or write it only costs speed.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
from collections.abc import Callable
from pathlib import Path

from hrpolicy import __version__
from hrpolicy.files import write_atomic
from hrpolicy.load.document import Document

NO_CACHE_ENV = "HRPOLICY_NO_CACHE"


def cache_dir() -> Path | None:
    if os.environ.get(NO_CACHE_ENV):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "hrpolicy"


def cached_document(path: Path, display: str, schema: str, load: Callable[[], Document]) -> Document:
    """``load()`` (parse + validate, raising on problems) unless an entry for this exact file exists."""
    folder = cache_dir()
    try:
        st = path.stat()
    except OSError:
        return load()
    if folder is None:
        return load()
    # ctime and inode change on every write or replacement, even when a tool restores mtime and size.
    stamp = f"{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}\0{st.st_ino}"
    key = f"{__version__}\0{schema}\0{path.resolve()}\0{stamp}\0{display}"
    entry = folder / "documents" / (hashlib.sha256(key.encode()).hexdigest()[:32] + ".marshal")
    try:
        data, marks = marshal.loads(entry.read_bytes())
        if isinstance(data, dict) and isinstance(marks, dict):
            return Document(data, marks, display)
    except Exception:
        pass
    doc = load()
    try:
        blob = marshal.dumps((doc.data, dict(doc.marks)))
    except ValueError:
        return doc
    with contextlib.suppress(OSError):
        write_atomic(entry, blob, private=True)
    return doc

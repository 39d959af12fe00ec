"""Files: paths as shown to the user, and writing without ever leaving a half-written file (reports,
caches, ``init``)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: bytes, *, private: bool = False, make_parents: bool = True) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it over ``path``. Raises OSError.

    The file gets the usual permissions (0666 less the umask) unless ``private`` (cache files: 0600).
    """
    if make_parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        if not private:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_report(path: str, text: str) -> None:
    """A report the user asked for: written atomically (parents created); failure is a usage error."""
    from hrpolicy.errors import UsageError

    try:
        write_atomic(Path(path), text.encode("utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None


def display_path(path: Path) -> str:
    """``path`` as shown in messages and reports: relative to the working directory when it is inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)

"""Files: reading only what is a regular file, paths as shown to the user, and writing without leaving a
half-written file or replacing what is not ours to replace.

* :func:`read_regular` opens without blocking and refuses anything that is not a regular file (a FIFO would
  hang the hook, ``/dev/zero`` would never end), and never reads more than asked.
* :func:`display_path` shows a path relative to the working directory, with bytes that are not UTF-8
  escaped and a leading ``::`` made harmless (a folder named ``::error ...`` must not forge a GitHub
  workflow command at the start of an output line).
* :func:`report_file` (and :func:`write_report` for a text at hand) writes a report the user asked for as
  it is produced: atomically over a regular file, through a symbolic link or into a special file
  (``/dev/null``, a pipe) without replacing it, and never over a file the same run reads.
* :data:`sha256` hashes cache keys and fingerprints with CPython's own SHA-256: :mod:`hashlib` would load
  OpenSSL, about 4 ms of every cold start.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import io
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, cast

if TYPE_CHECKING:
    from hashlib import _Hash


def _builtin_hash(name: str, modules: tuple[str, ...]) -> Callable[[bytes], _Hash]:
    """hashlib's ``name``, from CPython's own module when there is one: hashlib would load OpenSSL, about
    4 ms of every run."""
    for module in modules:
        with contextlib.suppress(ImportError, AttributeError):
            return cast("Callable[[bytes], _Hash]", getattr(importlib.import_module(module), name))
    import hashlib

    return cast("Callable[[bytes], _Hash]", getattr(hashlib, name))


#: ``sha256(data)``, with ``update`` and ``hexdigest`` as in :mod:`hashlib`.
sha256 = _builtin_hash("sha256", ("_sha2", "_sha256"))  # CPython 3.12+, 3.10-3.11
#: ``blake2b(data)``, as in :mod:`hashlib`: about three times faster than SHA-256 here, so cache keys take
#: it for the bytes of the files they stand for.
blake2b = _builtin_hash("blake2b", ("_blake2",))


class NotRegularFile(OSError):
    """The path is a directory, a FIFO, a device or a socket: nothing hrpolicy reads."""


def read_regular(path: str | os.PathLike[str], limit: int) -> bytes:
    """At most ``limit`` bytes of a regular file. Raises OSError (``NotRegularFile`` for other kinds)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegularFile(errno.EINVAL, "not a regular file")
        chunks, left = [], limit
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def reading_problem(exc: OSError) -> str:
    """An OSError from reading as a short phrase (never the OS's own message with its path)."""
    if isinstance(exc, NotRegularFile):
        return "not a regular file"
    if exc.errno == errno.ELOOP:
        return "a loop of symbolic links"
    return f"cannot read: {exc.strerror or type(exc).__name__}"


def escaped(text: str) -> str:
    """A path string safe to print: bytes that are not UTF-8 (kept by Python as lone surrogates) escaped
    as ``\\xff``."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogateescape") if _only_escapes(text) else None
        if raw is not None:
            return raw.decode("utf-8", "backslashreplace")
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _only_escapes(text: str) -> bool:
    return all(not 0xD800 <= ord(c) <= 0xDFFF or 0xDC80 <= ord(c) <= 0xDCFF for c in text)


def display_path(path: str | os.PathLike[str]) -> str:
    """``path`` as shown in messages and reports: relative to the working directory when it is inside it,
    non-UTF-8 bytes escaped, and ``./`` in front of a path that would start a line with ``::``."""
    shown = os.fspath(path)
    with contextlib.suppress(OSError, ValueError):
        absolute = os.path.abspath(shown)
        here = os.getcwd()
        if absolute == here or absolute.startswith(here.rstrip(os.sep) + os.sep):
            shown = os.path.relpath(absolute, here)
    shown = escaped(shown)
    return "./" + shown if shown.startswith("::") else shown


def unique_paths(paths: Iterable[Path]) -> list[Path]:
    """The paths in order, each once: two names of one file or directory (a repeat, a link, ``./x`` and
    ``x``) count as one."""
    seen: set[Path] = set()
    out = []
    for path in paths:
        if (real := path.resolve()) not in seen:
            seen.add(real)
            out.append(path)
    return out


def write_atomic(path: Path, data: bytes, *, private: bool = False, make_parents: bool = True) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it over ``path``. Raises OSError.

    The file gets the usual permissions (0666 less the umask) unless ``private`` (cache files: 0600).
    """
    fd, tmp = _temporary(path, private=private, make_parents=make_parents)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        _install(tmp, path, private=private)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _temporary(path: Path, *, private: bool = False, make_parents: bool = True) -> tuple[int, str]:
    if make_parents:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700 if private else 0o777)
    import tempfile  # only when writing: it imports shutil and random, which a check rarely needs

    return tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")


def _install(tmp: str, path: Path, *, private: bool = False) -> None:
    """The finished temporary file in place of ``path``, with the usual permissions unless ``private``."""
    if not private:
        os.chmod(tmp, 0o666 & ~_umask())
    os.replace(tmp, path)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_report(path: str, text: str, *, inputs: Iterable[str | os.PathLike[str]] = ()) -> None:
    """A report the user asked for, as :func:`report_file` writes it."""
    with report_file(path, inputs=inputs) as fh:
        fh.write(text)


@contextlib.contextmanager
def report_file(path: str, *, inputs: Iterable[str | os.PathLike[str]] = ()) -> Iterator[IO[str]]:
    """A report the user asked for, written as it is produced (a report over thousands of manifests is
    never held in memory as one text). Over a regular file (or none): atomically, parents created, and
    left as it was when the writer fails. Through a symbolic link or into a special file (``/dev/null``,
    a FIFO): written in place once complete, never replaced. Never over one of the run's ``inputs``.
    Failure to write is a usage error; an error of the writer itself passes through unchanged."""
    from hrpolicy.errors import UsageError

    shown = display_path(path)

    def failed(exc: OSError) -> UsageError:
        return UsageError(f"cannot write {shown}: {exc.strerror or exc}")

    target = os.path.realpath(path)
    if any(target == os.path.realpath(i) for i in inputs):
        raise UsageError(f"--format: {shown} is a file this run reads; write the report elsewhere")
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise failed(exc) from None
    in_place = info is not None and (stat.S_ISLNK(info.st_mode) or not stat.S_ISREG(info.st_mode))
    if in_place and os.path.isdir(path):
        raise UsageError(f"cannot write {shown}: it is a directory")

    if in_place:
        # Through the link, or into the device or pipe, as it is: only once the report is complete, so
        # a writer that fails leaves the file behind the link as it was.
        buffer = io.StringIO()
        yield buffer
        try:
            with open(path, "w", encoding="utf-8", newline="") as out:
                out.write(buffer.getvalue())
        except OSError as exc:
            raise failed(exc) from None
        return
    try:
        fd, tmp = _temporary(Path(path))
    except OSError as exc:
        raise failed(exc) from None
    installed = False
    fh = os.fdopen(fd, "w", encoding="utf-8", newline="")
    try:
        # The writer's own errors pass through as they are; only writing, closing and renaming the file
        # are failures to write.
        yield cast(IO[str], _Checked(fh))
        try:
            fh.close()
            _install(tmp, Path(path))
        except OSError as exc:
            raise failed(exc) from None
        installed = True
    except _Unwritable as exc:
        raise failed(exc.cause) from None
    finally:
        if not installed:
            with contextlib.suppress(OSError):
                fh.close()
            with contextlib.suppress(OSError):
                os.unlink(tmp)


class _Unwritable(Exception):
    """Writing a report's text failed (a full disk): told apart from the writer's own errors."""

    def __init__(self, cause: OSError):
        super().__init__(str(cause))
        self.cause = cause


class _Checked(io.TextIOBase):
    """The report file as its writer sees it: a failed write is :class:`_Unwritable`, so that an
    ``OSError`` of the writer's own (a template it cannot read) is not taken for a failure to write."""

    def __init__(self, fh: IO[str]):
        super().__init__()
        self._fh = fh

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        try:
            return self._fh.write(text)
        except OSError as exc:
            raise _Unwritable(exc) from exc

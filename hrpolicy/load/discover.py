"""Which manifest files a run checks: files as given, directories searched for manifest names.

A manifest in a pull request is untrusted, and so is what sits beside it. A file that resolves outside the
directory it was found in (or named in) is refused, so a symbolic link named ``hrpolicy.yaml`` cannot make
hrpolicy read, and quote, ``/etc/passwd`` or a token file; so is anything that is not a regular file (a
FIFO would hang the run), and a loop of links. Each refusal is one error line for that file; the other
manifests are still checked.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from hrpolicy.errors import UsageError
from hrpolicy.files import display_path, reading_problem
from hrpolicy.model import ErrorRecord

MANIFEST_NAMES = ("hrpolicy.yaml", "hrpolicy.yml", "hrpolicy.json")
SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".nox"})


class Discovered(NamedTuple):
    files: list[Path]
    refused: list[ErrorRecord]


def discover(paths: Sequence[str]) -> Discovered:
    """Files as given; directories searched (recursively, skipping VCS, hidden and virtualenv folders);
    each file once. With no paths, ``./hrpolicy.yaml``. A path that does not exist is a usage error."""
    files: list[tuple[Path, str]] = []  # each with its resolved path
    refused: list[ErrorRecord] = []
    for raw in paths or ["hrpolicy.yaml"]:
        path = Path(raw)
        try:
            is_dir = stat.S_ISDIR(os.stat(path).st_mode)
        except FileNotFoundError:
            hint = "" if paths else " (run 'hrpolicy init' to create one, or name the manifests to check)"
            raise UsageError(f"no such file or directory: {display_path(raw)}{hint}") from None
        except OSError as exc:
            refused.append(_refusal(path, exc.strerror or "cannot be read"))
            continue
        if is_dir:
            found = list(_search(path))
            if not found:
                raise UsageError(f"no {', '.join(MANIFEST_NAMES)} found under {display_path(raw)}")
            root = os.path.realpath(path)
        else:
            found = [path]
            root = os.path.realpath(path.parent)
        for candidate in found:
            target = os.path.realpath(candidate)
            problem = _problem(target, root)
            if problem:
                refused.append(_refusal(candidate, problem))
            else:
                files.append((candidate, target))
    seen: set[str] = set()
    unique = []
    for p, target in files:
        if target not in seen:
            seen.add(target)
            unique.append(p)
    shown: set[str] = set()
    refused = [r for r in refused if not (r.path in shown or shown.add(r.path))]  # type: ignore[func-returns-value]
    return Discovered(unique, refused)


def _search(path: Path) -> list[Path]:
    hits: list[Path] = []
    for root, dirs, names in os.walk(path):  # symbolic links to directories are not followed
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        hits.extend(Path(root, f) for f in sorted(names) if f in MANIFEST_NAMES)
    return hits


def _problem(target: str, root: str) -> str | None:
    """Why the file at ``target`` (a resolved path) is not read, or None."""
    if target != root and not target.startswith(root.rstrip(os.sep) + os.sep):
        return "refused: it resolves to a file outside the directory being checked"
    try:
        mode = os.stat(target).st_mode
    except OSError as exc:
        return f"refused: {reading_problem(exc)}"
    if not stat.S_ISREG(mode):
        return "refused: not a regular file"
    return None


def _refusal(path: Path, problem: str) -> ErrorRecord:
    return ErrorRecord(display_path(path), problem)

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
            root = os.path.realpath(path)
            found = _search(path, root)
            if not found:
                raise UsageError(f"no {', '.join(MANIFEST_NAMES)} found under {display_path(raw)}")
        else:
            root = os.path.realpath(path.parent)
            found = [(path, None)]
        for candidate, known in found:
            target = known if known is not None else os.path.realpath(candidate)
            problem = None if known is not None else _problem(target, root)
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


def _search(path: Path, root: str) -> list[tuple[Path, str | None]]:
    """Manifests under ``path`` (whose resolved path is ``root``), in sorted order, each with its resolved
    path when the directory listing already shows it is a regular file reached through no link (then
    nothing more needs checking); links and other kinds get None and are checked one by one. Links to
    directories are not followed, and folders that cannot be listed are passed over."""
    hits: list[tuple[Path, str | None]] = []
    stack = [(path, root)]
    while stack:
        folder, real = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError:
            continue
        subfolders = []
        for entry in entries:
            name = entry.name
            try:
                is_folder = entry.is_dir(follow_symlinks=False)
                plain = entry.is_file(follow_symlinks=False) and not entry.is_symlink()
            except OSError:  # where listings carry no file types and the entry cannot be looked at
                is_folder = plain = False
            if is_folder:
                if name not in SKIP_DIRS and not name.startswith("."):
                    subfolders.append((folder / name, os.path.join(real, name)))
            elif name in MANIFEST_NAMES and not _links_to_folder(entry):
                hits.append((folder / name, os.path.join(real, name) if plain else None))
        stack.extend(reversed(subfolders))
    return hits


def _links_to_folder(entry: os.DirEntry[str]) -> bool:
    """A link to a folder is no manifest (a broken link or a loop of links is, and is refused later)."""
    try:
        return entry.is_symlink() and entry.is_dir()
    except OSError:
        return False


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

"""The collect folder: ``DIR/<repository>/<manifest>`` and ``DIR/collect.json``.

Nothing is written outside DIR: directory names are sanitised repository names, file names are the fixed
manifest names, links are never followed and no file is replaced in place. A folder is reused only when it
is empty or holds exactly an earlier collect's output, which is cleared first, so a repository that lost its
manifest never keeps a stale copy (and no other file is ever deleted).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hrpolicy.errors import UsageError, one_line

MANIFEST_NAMES = ("hrpolicy.yaml", "hrpolicy.yml", "hrpolicy.json")
INDEX = "collect.json"
MAX_MANIFEST_BYTES = 1024 * 1024
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class CollectFolder:
    """DIR, prepared for a collect run: see the module docstring."""

    def __init__(self, root: Path):
        self.root = root
        self._taken: set[str] = set()
        try:
            root.mkdir(parents=True, exist_ok=True)
            self._clear_earlier_collect()
        except OSError as exc:
            raise UsageError(f"--out {root}: {one_line(exc.strerror or exc)}") from None
        self._resolved = root.resolve()

    def _clear_earlier_collect(self) -> None:
        entries = list(self.root.iterdir())
        for entry in entries:
            if not _is_collect_output(entry):
                raise UsageError(
                    f"--out {self.root}: neither empty nor the output of an earlier collect "
                    f"(it holds {one_line(entry.name, 80)!r}); choose another directory"
                )
        for entry in entries:
            if entry.is_dir():
                for inner in entry.iterdir():
                    inner.unlink()
                entry.rmdir()
            else:
                entry.unlink()

    def directory_for(self, repository_name: str) -> str:
        """A safe, unique directory name for a repository (GitHub's names are safe; a hostile one is not)."""
        base = _UNSAFE_NAME.sub("_", repository_name)[:100] or "_"
        if base.startswith("."):
            base = "_" + base
        name, n = base, 2
        while name.lower() in self._taken or name.lower() == INDEX:
            name, n = f"{base}-{n}", n + 1
        self._taken.add(name.lower())
        return name

    def write_manifest(self, directory: str, name: str, data: bytes) -> str:
        """Write ``data`` to ``DIR/directory/name``; the path relative to DIR (posix). :raises OSError:"""
        if name not in MANIFEST_NAMES or directory != _UNSAFE_NAME.sub("_", directory) or directory[0] == ".":
            raise OSError(f"refusing to write {directory}/{name}")
        folder = self.root / directory
        folder.mkdir()  # fresh: the folder was emptied, and each repository has its own name
        target = folder / name
        if target.resolve().parent != self._resolved / directory:
            raise OSError(f"refusing to write outside {self.root}")
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        return f"{directory}/{name}"

    def write_index(self, index: Mapping[str, Any]) -> Path:
        path = self.root / INDEX
        partial = self.root / f".{INDEX}.partial"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _NOFOLLOW, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(index, fh, indent=2, ensure_ascii=False)
            fh.write("\n")
        os.replace(partial, path)
        return path


def _is_collect_output(entry: Path) -> bool:
    if entry.is_symlink():
        return False
    if entry.name in (INDEX, f".{INDEX}.partial"):
        return entry.is_file()
    if not entry.is_dir():
        return False
    return all(i.name in MANIFEST_NAMES and i.is_file() and not i.is_symlink() for i in entry.iterdir())

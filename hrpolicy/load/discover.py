"""Which manifest files a run checks: files as given, directories searched for manifest names."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from hrpolicy.errors import UsageError

MANIFEST_NAMES = ("hrpolicy.yaml", "hrpolicy.yml", "hrpolicy.json")
SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".nox"})


def discover(paths: Sequence[str]) -> list[Path]:
    """Files as given; directories searched (recursively, skipping VCS, hidden and virtualenv folders);
    each file once. With no paths, ``./hrpolicy.yaml``."""
    found: list[Path] = []
    for raw in paths or ["hrpolicy.yaml"]:
        path = Path(raw)
        if path.is_dir():
            hits: list[Path] = []
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
                hits.extend(Path(root, f) for f in sorted(files) if f in MANIFEST_NAMES)
            if not hits:
                raise UsageError(f"no {', '.join(MANIFEST_NAMES)} found under {raw}")
            found.extend(hits)
        elif path.exists():
            found.append(path)
        else:
            hint = "" if paths else " (run 'hrpolicy init' to create one, or name the manifests to check)"
            raise UsageError(f"no such file or directory: {raw}{hint}")
    seen: set[Path] = set()
    unique = []
    for p in found:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique

"""The base manifest of change-aware rules: a manifest as it was at a git ref (``--base REF``).

git is run as a program with an argument list (never through a shell), and a ref that could be read as an
option is refused, so nothing from the command line or a manifest reaches git as anything but a ref.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from hrpolicy.errors import ManifestError, UsageError
from hrpolicy.load.document import Document
from hrpolicy.model import ManifestLoader

#: What the base is when the manifest did not exist at the ref: nothing was offered anywhere.
EMPTY_BASE = {"schema_version": 1, "product": {}, "markets": []}


def _git(*args: str, check: bool = False) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], capture_output=True, check=check)


def base_document(path: Path, ref: str, loader: ManifestLoader) -> Document | None:
    """The manifest at ``path`` as committed at git ``ref``, loaded; ``None`` when it did not exist there.

    :raises UsageError: when ``ref`` is not a commit, or the manifest is not inside a git repository.
    :raises ManifestError: when the committed file cannot be parsed.
    """
    if ref.startswith("-") or not ref.strip():
        raise UsageError(f"--base: {ref!r} is not a git ref")
    where = path.resolve().parent
    try:
        top = _git("-C", str(where), "rev-parse", "--show-toplevel", check=True).stdout.decode().strip()
        rel = path.resolve().relative_to(Path(top).resolve()).as_posix()
        shown = _git("-C", top, "show", f"{ref}:{rel}")
        if shown.returncode != 0:
            verify = _git("-C", top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
            if verify.returncode != 0:
                if ref == "HEAD":  # no commit yet (the first one is being made): nothing was there before
                    return None
                raise UsageError(f"--base: {ref!r} is not a commit in {top}")
            return None
    except (OSError, subprocess.CalledProcessError):
        raise UsageError("--base needs the manifest to be inside a git repository", str(path)) from None
    except ValueError:
        raise UsageError("--base: the manifest is outside the repository", str(path)) from None
    return loader.load(shown.stdout, f"{ref}:{rel}")


def base_data(path: Path, ref: str, loader: ManifestLoader, validate: Any) -> tuple[Any, str | None]:
    """The base manifest's data, and why it was set aside (None when it was not).

    A manifest that did not exist at ``ref`` is an empty one. So is one that is invalid there: the pull
    request that fixes a broken manifest must be able to pass, so an invalid base is treated as absent and
    the reason (its first problem, at its place) is returned for a notice.
    """
    try:
        doc = base_document(path, ref, loader)
    except ManifestError as exc:  # it does not even parse there
        return dict(EMPTY_BASE), str(exc)
    if doc is None:
        return dict(EMPTY_BASE), None
    problems = validate(doc)
    if problems:
        return dict(EMPTY_BASE), str(problems[0])
    return doc.data, None

"""``hrpolicy collect github``: fetch the manifest of every repository of an organisation into a folder
for ``hrpolicy report``, with ``collect.json`` saying where each came from (repository, commit, when) and
how many repositories have none. The work is in :mod:`hrpolicy.collect.github`."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from hrpolicy.collect.github import Collection


def run(
    org: str,
    *,
    topics: Sequence[str],
    out: str,
    include_archived: bool,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
    environ: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] | None = None,
) -> int:
    """0 when it ran, even with repositories without a manifest; 2 when a repository could not be fetched
    (after writing ``collect.json``). :raises UsageError: no token, no such organisation, GitHub
    unreachable, a rate limit beyond the bound, an unusable ``out``."""
    from hrpolicy.collect.github import Settings, collect
    from hrpolicy.collect.store import INDEX, CollectFolder

    so, se = stdout or sys.stdout, stderr or sys.stderr
    settings = Settings.from_env(environ if environ is not None else os.environ)
    folder = CollectFolder(Path(out))
    collection = collect(
        org,
        topics=topics,
        include_archived=include_archived,
        folder=folder,
        settings=settings,
        sleep=sleep or time.sleep,
    )
    folder.write_index(collection.as_json())
    so.write(summary(collection) + "\n")
    for r in collection.repositories:
        if r.status == "no_manifest":
            so.write(f"  no manifest: {r.repository}\n")
    for r in collection.repositories:
        if r.status == "error":
            se.write(f"hrpolicy: {r.repository}: {r.error}\n")
    so.write(f"provenance: {Path(out) / INDEX}\n")
    return 2 if collection.count("error") else 0


def summary(collection: Collection) -> str:
    """``collected 17 manifests from 23 repositories of ORG (74% coverage; 6 without a manifest, 2 archived
    skipped)``."""
    c = collection.coverage()
    n, m = c["repositories"], c["with_manifest"]
    if n:
        percent = round(100 * m / n)
        percent = min(percent, 99) if m < n else percent  # 199 of 200 is not full coverage
        figure = f"{percent}% coverage"
    else:
        figure = "no coverage figure"
    details = [f"{c['without_manifest']} without a manifest", f"{c['archived_skipped']} archived skipped"]
    if c["errors"]:
        details.append(f"{c['errors']} could not be fetched")
    return (
        f"collected {m} manifest{'' if m == 1 else 's'} from {n} repositor{'y' if n == 1 else 'ies'} "
        f"of {collection.organisation} ({figure}; {', '.join(details)})"
    )

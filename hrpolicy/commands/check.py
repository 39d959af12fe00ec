"""``hrpolicy check``: evaluate manifests and write reports."""

from __future__ import annotations

import datetime
import io
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

from hrpolicy import __version__
from hrpolicy.errors import UsageError
from hrpolicy.evaluate.session import Session, SessionConfig
from hrpolicy.model import ErrorRecord, ManifestResult, OutputFormat, OutputOptions, RunResult
from hrpolicy.outputs import parse_outputs, write_outputs

MANIFEST_NAMES = ("hrpolicy.yaml", "hrpolicy.yml", "hrpolicy.json")
SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".nox"})
PROGRESS_AFTER = 50


def discover(paths: Sequence[str]) -> list[Path]:
    """Files as given; directories searched (recursively, skipping VCS and virtualenv folders)."""
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
    return [p for p in found if not (p.resolve() in seen or seen.add(p.resolve()))]  # type: ignore[func-returns-value]


def parse_today(value: str | None) -> datetime.date:
    value = value or os.environ.get("HRPOLICY_TODAY") or None
    if value is None:
        return datetime.date.today()
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--today/HRPOLICY_TODAY must be a date YYYY-MM-DD, not {value!r}") from None


_worker: Session | None = None


def _init_worker(config: SessionConfig) -> None:
    global _worker
    _worker = Session(config)


def _check_in_worker(path: Path) -> ManifestResult | list[ErrorRecord]:
    assert _worker is not None
    return _worker.check(path)


def evaluate_all(
    session: Session, paths: list[Path], jobs: int
) -> Iterator[ManifestResult | list[ErrorRecord]]:
    # Worker processes rebuild the session from its (picklable) config; plugin objects handed to this
    # process in memory would be missing there, so a session with such plugins evaluates here.
    if jobs <= 1 or len(paths) < 2 * jobs or session.extra_plugins:
        for p in paths:
            yield session.check(p)
        return
    from concurrent.futures import ProcessPoolExecutor  # only when asked: it costs ~10 ms of imports

    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(session.config,)) as pool:
        yield from pool.map(_check_in_worker, paths, chunksize=max(1, min(256, len(paths) // (jobs * 8))))


def run(
    paths: Sequence[str],
    *,
    rules: Sequence[str] = (),
    formats: Sequence[str] = (),
    fail_on: str = "high",
    today: str | None = None,
    base: str | None = None,
    jobs: int = 1,
    autoload: bool = True,
    verbose: bool = False,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
    plugins: Sequence[object] = (),
) -> int:
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    if jobs < 1:
        raise UsageError("--jobs must be at least 1")
    config = SessionConfig(today=parse_today(today), rule_dirs=tuple(rules), autoload=autoload, base_ref=base)
    files = discover(paths)
    session = Session(config, plugins)
    outputs = parse_outputs(formats, session.plugins.output_formats())
    results: list[ManifestResult] = []
    errors: list[ErrorRecord] = list(session.central_errors)
    progress = len(files) >= PROGRESS_AFTER and err.isatty()
    for n, outcome in enumerate(evaluate_all(session, files, jobs), 1):
        if isinstance(outcome, ManifestResult):
            results.append(outcome)
        else:
            errors.extend(outcome)
        if progress and (n % 25 == 0 or n == len(files)):
            err.write(f"\rchecked {n}/{len(files)} manifests")
            if n == len(files):
                err.write("\n")
            err.flush()
    result = RunResult(
        __version__, session.pack.infos, config.today, tuple(results), tuple(errors), fail_on, len(files)
    )
    for e in errors:
        err.write(f"{e}\n")
    color = out.isatty() and not os.environ.get("NO_COLOR")

    def render(fmt: OutputFormat, stream: IO[str]) -> None:
        fmt.write(result, stream, OutputOptions(color=color and stream is out, verbose=verbose))

    try:
        write_outputs(outputs, render, out)
        out.flush()
    except BrokenPipeError:
        # The reader (`| head`) went away: the verdict still stands, and the exit code says it.
        _silence(out)
    return result.exit_code


def _silence(stream: IO[str]) -> None:
    """Point a closed pipe at /dev/null so the interpreter's final flush does not complain."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass

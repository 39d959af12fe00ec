"""The Python API: what each command computes, as results. Nothing here prints or exits.

``check`` evaluates manifests into a :class:`~hrpolicy.model.RunResult`, ``test_rules`` runs a rule pack's
test cases into a :class:`~hrpolicy.model.TestRun`, ``lint_rules`` checks rule files into a
:class:`~hrpolicy.model.LintResult`. The evaluation date and the base of change-aware rules are given per
call; a :class:`~hrpolicy.evaluate.session.Session` (plugins, compiled rules, country data) can be opened
once with :func:`open_session` and reused for any number of calls. Commands are argparse, then one of
these, then the output formats; anything else embedding hrpolicy (CI publishers, reports) does the same.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from hrpolicy import __version__
from hrpolicy.errors import HrpolicyError, UsageError
from hrpolicy.evaluate.session import Session, SessionConfig, country_table, pack_dirs
from hrpolicy.files import unique_paths
from hrpolicy.load.discover import Discovered, discover
from hrpolicy.model import ErrorRecord, LintResult, ManifestResult, RunResult, TestRun
from hrpolicy.pluginmanager import Plugins, get_plugin_manager

Progress = Callable[[int, int], None]
"""``progress(done, total)``, called after each manifest."""

__all__ = ["check", "lint_rules", "map_manifests", "open_session", "test_rules"]


def open_session(
    rules: Sequence[str | Path] = (), *, autoload: bool = True, plugins: Sequence[object] = ()
) -> Session:
    """Plugins, the compiled rule pack (``rules`` directories, else the built-in and plugin packs), country
    data and central waivers. :raises HrpolicyError: on an invalid rule pack or plugin."""
    return Session(SessionConfig(rule_dirs=tuple(str(r) for r in rules), autoload=autoload), plugins)


def check(
    paths: Sequence[str] | Discovered = (),
    *,
    today: datetime.date | None = None,
    base: str | None = None,
    fail_on: str = "high",
    jobs: int = 1,
    rules: Sequence[str | Path] = (),
    autoload: bool = True,
    plugins: Sequence[object] = (),
    session: Session | None = None,
    progress: Progress | None = None,
    evidence: bool = False,
) -> RunResult:
    """Evaluate the manifests at ``paths`` (files, or directories searched for manifests; or what
    :func:`hrpolicy.load.discover.discover` found). Files that are refused (outside the directory checked,
    not regular files) are errors of the result, as invalid manifests are.

    :param today: the evaluation date (default: the current date).
    :param base: a git ref; change-aware rules compare each manifest with its version there.
    :param session: an open session (else one is opened from ``rules``, ``autoload`` and ``plugins``).
    :param evidence: record the evidence trail of each manifest (``ManifestResult.trail``).
    :raises UsageError: for paths that do not exist or bad options; invalid manifests are not raised but
        reported in ``RunResult.errors``.
    """
    if jobs < 1:
        raise UsageError("--jobs must be at least 1")
    day = today or datetime.date.today()
    found = paths if isinstance(paths, Discovered) else discover(paths)
    files = found.files
    session = session or open_session(rules, autoload=autoload, plugins=plugins)
    results: list[ManifestResult] = []
    errors: list[ErrorRecord] = [*session.central_errors, *found.refused]
    for n, outcome in enumerate(_evaluate_all(session, files, jobs, day, base, evidence), 1):
        if isinstance(outcome, ManifestResult):
            results.append(outcome)
        else:
            errors.extend(outcome)
        if progress is not None:
            progress(n, len(files))
    checked = len(files) + len(found.refused)
    countries = session.countries
    return RunResult(
        __version__,
        session.pack.infos,
        day,
        tuple(results),
        tuple(errors),
        fail_on,
        checked,
        countries.rating_sources(),
        countries.combine,
        evidence,
    )


def test_rules(
    dirs: Sequence[str | Path] = (),
    *,
    today: datetime.date | None = None,
    autoload: bool = True,
    plugins: Sequence[object] = (),
    session: Session | None = None,
) -> TestRun:
    """Run the test cases (``DIR/tests/*.yaml``) of the rule packs in ``dirs`` (default: the built-in and
    plugin packs). ``today`` is the date of cases and files that give none (default: the current date).

    :raises UsageError: when the packs have no test files.
    """
    from hrpolicy.authoring import ruletests

    day = today or datetime.date.today()
    session = session or open_session(dirs, autoload=autoload, plugins=plugins)
    files = ruletests.test_files(session.own_dirs)
    if not files:
        raise UsageError(f"no test files (tests/*.yaml) in {', '.join(str(d) for d in session.own_dirs)}")

    def check(doc: Any, when: datetime.date, base: Any) -> ManifestResult | list[ErrorRecord]:
        return session.check_document(doc, today=when, base=base)

    # A pack that extends another tests its own rules; it may still expect findings of the others.
    ids = [r.info.id for r in session.pack.rules]
    return ruletests.run(files, ids, check, day, own=session.own_rule_ids())


def lint_rules(
    dirs: Sequence[str | Path] = (),
    *,
    autoload: bool = True,
    plugins: Sequence[object] = (),
    manager: Plugins | None = None,
) -> LintResult:
    """Every problem of the rule files in ``dirs`` (default: the built-in and plugin packs). ``manager``:
    plugins already loaded (else they are loaded from ``autoload`` and ``plugins``)."""
    from hrpolicy.authoring.lint import lint

    manager = manager or Plugins(get_plugin_manager(autoload=autoload, plugins=plugins))
    paths = unique_paths([Path(d) for d in dirs] or manager.rule_dirs())
    # A pack that extends the built-in one is linted with it (its definitions, its rule ids). An invalid
    # pack.yaml is one of the problems lint reports.
    try:
        context = [d for d in pack_dirs(manager, paths)[0] if d not in paths]
    except HrpolicyError:
        context = []
    countries = country_table(manager, [*context, *paths])
    return lint(
        paths,
        manager.operators(),
        countries.fact_names(),
        countries.dataset.keys(),
        countries.fact_values(),
        context=context,
    )


# ------------------------------------------------------------------------------------- --jobs workers

T = TypeVar("T")
_worker: Session | None = None


def map_manifests(
    session: Session, paths: Sequence[Path], jobs: int, task: Callable[[Session, Path], T]
) -> Iterator[T]:
    """``task(session, path)`` for each path, in order: here, or with ``jobs`` > 1 in worker processes that
    each rebuild the session from its (picklable) config; ``task`` must then be picklable (a module-level
    function, or a ``functools.partial`` of one). A session with plugin objects handed to this process in
    memory would be missing them in a worker, so it evaluates here."""
    if jobs <= 1 or len(paths) < 2 * jobs or session.extra_plugins:
        for p in paths:
            yield task(session, p)
        return
    from concurrent.futures import ProcessPoolExecutor  # only when asked: it costs ~10 ms of imports

    run = functools.partial(_in_worker, task)
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(session.config,)) as pool:
        yield from pool.map(run, paths, chunksize=max(1, min(256, len(paths) // (jobs * 8))))


def _init_worker(config: SessionConfig) -> None:
    global _worker
    _worker = Session(config)


def _in_worker(task: Callable[[Session, Path], T], path: Path) -> T:
    assert _worker is not None
    return task(_worker, path)


def _check_one(
    session: Session, path: Path, *, today: datetime.date, base: str | None, evidence: bool
) -> ManifestResult | list[ErrorRecord]:
    return session.check(path, today=today, base_ref=base, evidence=evidence)


def _evaluate_all(
    session: Session,
    paths: list[Path],
    jobs: int,
    today: datetime.date,
    base: str | None,
    evidence: bool = False,
) -> Iterator[ManifestResult | list[ErrorRecord]]:
    task = functools.partial(_check_one, today=today, base=base, evidence=evidence)
    return map_manifests(session, paths, jobs, task)


test_rules.__test__ = False  # type: ignore[attr-defined]  # a function, not a pytest test

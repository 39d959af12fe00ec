"""``hrpolicy publish github``: evaluate manifests (or read a JSON report) and publish the result to GitHub
from Actions: a check run with annotations, the step summary, step outputs, SARIF, a sticky comment.

The exit code is the run's, whatever happens to publishing: a fork's read-only token, or GitHub being down,
never turns findings into a pass.
"""

from __future__ import annotations

import datetime
import json
import os
import sys
from collections.abc import Mapping, Sequence
from typing import IO, TYPE_CHECKING

from hrpolicy import api
from hrpolicy.errors import UsageError, one_line
from hrpolicy.model import RunResult

if TYPE_CHECKING:
    from hrpolicy.githubchecks import ActionsContext


def run(
    paths: Sequence[str],
    *,
    today: datetime.date,
    rules: Sequence[str] = (),
    fail_on: str = "high",
    base: str | None = None,
    jobs: int = 1,
    autoload: bool = True,
    results: str | None = None,
    name: str = "hrpolicy",
    comment: bool = False,
    sarif: str | None = None,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    from hrpolicy import githubchecks as gc
    from hrpolicy.plugins.output_markdown import render

    out, err = stdout or sys.stdout, stderr or sys.stderr
    ctx = gc.ActionsContext.from_env(environ if environ is not None else os.environ)
    if results is not None:
        result = _read(results)
    else:
        if base is None and ctx.base_sha is not None:
            base = gc.base_commit(ctx.base_sha, out)
        result = api.check(
            paths, today=today, base=base, fail_on=fail_on, jobs=jobs, rules=rules, autoload=autoload
        )
    for e in result.errors:
        err.write(f"{e}\n")
    if sarif:
        from hrpolicy.model import OutputOptions
        from hrpolicy.outputs import Output, write_outputs
        from hrpolicy.plugins.output_sarif import write as write_sarif

        inputs = [*paths, *([results] if results else [])]
        write_outputs([Output("sarif", write_sarif, sarif)], result, OutputOptions(), out, inputs=inputs)
    read_only = _publish(result, ctx, name, out, err)
    if comment:
        try:
            gc.sticky_comment(ctx, render(result, limit=gc.SUMMARY_LIMIT))
        except gc.PUBLISH_ERRORS as exc:  # a comment is a courtesy: never the verdict
            if not (read_only and getattr(exc, "status", None) == 403):  # the notice has said it
                why = f"could not comment on the pull request: {_why(exc)}"
                gc.notice(out, gc.secret_free(why, ctx.token))
    gc.write_step_summary(ctx.step_summary, render(result))
    gc.write_outputs(ctx.output, result, sarif)
    out.write(f"hrpolicy: {gc.title(result)}: {gc.conclusion(result)}\n")
    return result.exit_code


def _publish(result: RunResult, ctx: ActionsContext, name: str, out: IO[str], err: IO[str]) -> bool:
    """Publish the check run, or fall back to annotations; True when the token turned out read-only."""
    from hrpolicy import githubchecks as gc
    from hrpolicy.model import OutputOptions
    from hrpolicy.plugins.output_github import write as write_annotations
    from hrpolicy.plugins.output_markdown import render

    try:
        published = gc.publish_check_run(result, ctx, name, render(result, limit=gc.SUMMARY_LIMIT))
        where = f" at {published.url}" if published.url else ""
        out.write(
            f"hrpolicy: check run '{one_line(name)}' published{where} in {published.requests} requests\n"
        )
        return False
    except gc.PUBLISH_ERRORS as exc:
        read_only = getattr(exc, "status", None) == 403
        if read_only:
            gc.notice(
                out,
                "the token cannot create check runs (a fork's pull request has a read-only token): "
                "findings are shown as annotations and in the step summary instead",
            )
        else:
            err.write(gc.secret_free(f"hrpolicy: could not publish the check run: {_why(exc)}\n", ctx.token))
    write_annotations(result, out, OutputOptions())
    return read_only


def _why(exc: BaseException) -> str:
    status = getattr(exc, "status", None)
    data = getattr(exc, "data", None)
    message = data.get("message") if isinstance(data, dict) else None
    text = f"HTTP {status}: {message}" if status else f"{type(exc).__name__}: {exc}"
    return one_line(text, 300)


def _read(path: str) -> RunResult:
    from hrpolicy.reports import read_report

    try:
        with open(path, encoding="utf-8") as fh:
            return read_report(json.load(fh))
    except (OSError, ValueError) as exc:
        raise UsageError(f"--results {path}: {one_line(exc)}") from None

"""Publishing a run to GitHub from Actions: a check run with annotations (PyGithub), the step summary, step
outputs, and an optional sticky pull-request comment. Imported only by ``hrpolicy publish github``, so
``hrpolicy check`` never loads PyGithub.

Configuration comes from the standard Actions environment: ``GITHUB_TOKEN``, ``GITHUB_REPOSITORY``,
``GITHUB_SHA`` (on ``pull_request`` events the pull request's head from ``GITHUB_EVENT_PATH``),
``GITHUB_API_URL`` (GitHub Enterprise Server), ``GITHUB_STEP_SUMMARY`` and ``GITHUB_OUTPUT``.

The check run is created with the first 50 annotations and updated with the rest in batches of 50 (GitHub
appends them), so 1,000 findings take 20 requests. Secondary rate limits are retried with bounded backoff;
so are 5xx answers, but a write is sent again only after looking whether GitHub acted on it. A 403 on a
write (a fork's pull request has a read-only token) falls back to workflow-command annotations and the step
summary, with one notice; the run still ends by its findings.
The token is never printed, not even in an error.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from typing import IO, Any, NamedTuple

from hrpolicy.errors import UsageError, one_line
from hrpolicy.model import NOTICE, SEVERITIES, Finding, RunResult

BATCH = 50
SUMMARY_LIMIT = 65_000  # GitHub takes 65,535 characters for a check run's summary and text
COMMENT_MARKER = "<!-- hrpolicy:sticky-comment -->"
ANNOTATION_LEVEL = {"critical": "failure", "high": "failure", "medium": "warning", "low": "warning"}


class ActionsContext(NamedTuple):
    token: str
    repository: str
    sha: str
    api_url: str
    event_name: str
    pull_number: int | None
    base_sha: str | None
    step_summary: str | None
    output: str | None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ActionsContext:
        """:raises UsageError: outside Actions, or without PyGithub installed."""
        import importlib.util

        if importlib.util.find_spec("github") is None:
            raise UsageError("publish github needs PyGithub: pip install 'hrpolicy[github]'")
        token = env.get("GITHUB_TOKEN", "")
        repository = env.get("GITHUB_REPOSITORY", "")
        if not token or "/" not in repository:
            raise UsageError(
                "publish github needs GITHUB_TOKEN and GITHUB_REPOSITORY (as set in GitHub Actions)"
            )
        event = _event(env.get("GITHUB_EVENT_PATH"))
        pull = event.get("pull_request") if isinstance(event.get("pull_request"), dict) else None
        sha = (pull or {}).get("head", {}).get("sha") or env.get("GITHUB_SHA", "")
        if not sha:
            raise UsageError("publish github needs GITHUB_SHA or a pull_request event payload")
        return cls(
            token=token,
            repository=repository,
            sha=str(sha),
            api_url=env.get("GITHUB_API_URL", "https://api.github.com").rstrip("/"),
            event_name=env.get("GITHUB_EVENT_NAME", ""),
            pull_number=int(pull["number"]) if pull and str(pull.get("number", "")).isdigit() else None,
            base_sha=str(pull["base"]["sha"]) if pull and isinstance(pull.get("base"), dict) else None,
            step_summary=env.get("GITHUB_STEP_SUMMARY") or None,
            output=env.get("GITHUB_OUTPUT") or None,
        )


def _event(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def conclusion(result: RunResult) -> str:
    return "success" if result.exit_code == 0 else "failure"


def annotation(f: Finding) -> dict[str, Any]:
    level = "notice" if f.waived or f.severity == NOTICE else ANNOTATION_LEVEL.get(f.severity, "warning")
    return {
        "path": f.location.path,
        "start_line": max(1, f.location.line),
        "end_line": max(1, f.location.line),
        "annotation_level": level,
        "title": f"{f.rule} ({'waived' if f.waived else f.severity})"[:255],
        "message": _cut(f.message, 64_000) or f.rule,  # GitHub: 64 KB
    }


def _cut(text: str, limit: int) -> str:
    """``text`` within ``limit`` bytes of UTF-8, cut between characters."""
    return text.encode("utf-8", "surrogatepass")[:limit].decode("utf-8", "ignore")


def counts(result: RunResult) -> dict[str, int]:
    tally = result.by_severity()
    return {s: tally.get(s, 0) for s in SEVERITIES}


def title(result: RunResult) -> str:
    tally = counts(result)
    total = sum(tally.values())
    detail = ", ".join(f"{n} {s}" for s, n in tally.items() if n)
    return (
        f"{total} finding{'' if total == 1 else 's'}"
        + (f" ({detail})" if detail else "")
        + (", errors" if result.errors else "")
    )


def _publish_errors() -> tuple[type[BaseException], ...]:
    try:
        from github import GithubException
        from requests import RequestException
    except ImportError:  # without PyGithub, from_env has already refused
        return ()
    return (GithubException, RequestException)


# What publishing may raise and the run survives: GitHub's answers and network trouble, never a bug (exit 3).
PUBLISH_ERRORS = _publish_errors()


class Published(NamedTuple):
    url: str | None  # the check run's page
    requests: int  # writes and look-ups sent (urllib3's own rate-limit retries not counted)


def _client(ctx: ActionsContext) -> Any:
    import github
    from github import Auth, GithubRetry

    class Retry(GithubRetry):
        """Rate limits (403/429) are retried for every method: GitHub did not act on the request. A 5xx is
        retried only for GET: GitHub may have acted before failing, so writes check before they retry."""

        def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
            if status_code >= 500 and method.upper() != "GET":
                return False
            return bool(super().is_retry(method, status_code, has_retry_after))

    interval = float(os.environ.get("HRPOLICY_GITHUB_WRITE_INTERVAL", "1"))
    retry = Retry(
        total=5,
        backoff_factor=_backoff(),
        backoff_max=30,
        status_forcelist=[429, 500, 502, 503, 504],
        allowed_methods=None,
        secondary_rate_wait=60,
        max_rate_limit_wait=300,
    )
    return github.Github(
        auth=Auth.Token(ctx.token),
        base_url=ctx.api_url,
        retry=retry,
        seconds_between_requests=0,
        seconds_between_writes=interval,
        lazy=True,
    )


def _backoff() -> float:
    return float(os.environ.get("HRPOLICY_GITHUB_BACKOFF", "1"))


WRITE_ATTEMPTS = 4


def publish_check_run(result: RunResult, ctx: ActionsContext, name: str, summary: str) -> Published:
    """Create the check run and add every annotation, each write exactly once even when GitHub answers 5xx
    after acting: before writing again, it looks (the run by its ``external_id``, the annotations by their
    count). :raises github.GithubException: on failure."""
    import uuid

    gh = _client(ctx)
    repo = gh.get_repo(ctx.repository)
    notes = [annotation(f) for f in result.findings()]
    marker = uuid.uuid4().hex
    requests = 0

    def create() -> Any:
        nonlocal requests
        requests += 1
        output = {"title": title(result), "summary": summary, "annotations": notes[:BATCH]}
        return repo.create_check_run(
            name,
            ctx.sha,
            status="completed",
            conclusion=conclusion(result),
            output=output,
            external_id=marker,
        )

    def created() -> Any:
        nonlocal requests
        requests += 1
        found = repo.get_commit(ctx.sha).get_check_runs(check_name=name)
        return next((r for r in found if r.external_id == marker), None)

    run = _once(create, created)
    for start in range(BATCH, len(notes), BATCH):
        batch = notes[start : start + BATCH]

        def edit(batch: list[dict[str, Any]] = batch) -> Any:
            nonlocal requests
            requests += 1
            run.edit(output={"title": title(result), "summary": summary, "annotations": batch})
            return True

        def landed(expected: int = start + len(batch)) -> Any:
            nonlocal requests
            requests += 1
            return sum(1 for _ in run.get_annotations()) >= expected or None

        _once(edit, landed)
    return Published(getattr(run, "html_url", None), requests)


def _once(write: Callable[[], Any], done: Callable[[], Any]) -> Any:
    """``write()``; after a 5xx, ``done()`` says whether it took effect (its value) before writing again."""
    import time

    from github import GithubException

    for attempt in range(WRITE_ATTEMPTS):
        try:
            return write()
        except GithubException as exc:
            if exc.status < 500 or attempt == WRITE_ATTEMPTS - 1:
                raise
        time.sleep(min(30.0, _backoff() * 2**attempt))
        value = done()
        if value is not None:
            return value
    raise AssertionError("unreachable")  # pragma: no cover


def sticky_comment(ctx: ActionsContext, body: str) -> None:
    """Create or update the one hrpolicy comment on the pull request: the bot-written comment carrying the
    marker. (With a personal token the author is a user, so each run adds a comment.)"""
    if ctx.pull_number is None:
        return
    gh = _client(ctx)
    pull = gh.get_repo(ctx.repository).get_pull(ctx.pull_number)
    text = f"{COMMENT_MARKER}\n{body}"
    for comment in pull.get_issue_comments():
        # A bot wrote ours (github-actions[bot], or the app whose token this is): anyone can paste the marker
        # into a comment of their own, and must not get the results written into a comment they can edit.
        if COMMENT_MARKER in (comment.body or "") and getattr(comment.user, "type", None) == "Bot":
            comment.edit(text)
            return
    pull.create_issue_comment(text)


def write_step_summary(path: str | None, text: str) -> None:
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(text + "\n")


def write_outputs(path: str | None, result: RunResult, sarif: str | None) -> None:
    if not path:
        return
    lines = [f"conclusion={conclusion(result)}", f"findings={sum(counts(result).values())}"]
    lines += [f"{severity}={n}" for severity, n in counts(result).items()]
    lines.append(f"exit-code={result.exit_code}")
    if sarif:
        lines.append(f"sarif={one_line(sarif)}")
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("".join(line + "\n" for line in lines))


def secret_free(text: str, token: str) -> str:
    """``text`` with the token removed, whatever printed it."""
    return text.replace(token, "***") if token else text


def notice(stream: IO[str], message: str) -> None:
    from hrpolicy.plugins.output_github import escape_data

    stream.write(f"::notice title=hrpolicy::{escape_data(one_line(message))}\n")
    stream.flush()


def base_commit(sha: str, stream: IO[str]) -> str | None:
    """The pull request's base commit, fetched (depth 1) when a shallow checkout lacks it; None, with a
    notice saying so, when it cannot be had."""
    import subprocess

    def git(*args: str) -> int:
        try:
            return subprocess.run(["git", *args], capture_output=True, check=False, timeout=120).returncode
        except (OSError, subprocess.SubprocessError):
            return 1

    if git("cat-file", "-e", f"{sha}^{{commit}}") == 0:
        return sha
    if (
        git("fetch", "--no-tags", "--depth=1", "origin", sha) == 0
        and git("cat-file", "-e", f"{sha}^{{commit}}") == 0
    ):
        return sha
    notice(
        stream,
        f"the pull request's base commit {sha[:12]} is not in this checkout and could not be fetched; "
        "change-aware rules compare each manifest with itself (use actions/checkout with fetch-depth: 0)",
    )
    return None

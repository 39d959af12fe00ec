"""``hrpolicy collect github``: list an organisation's repositories and fetch each one's manifest from the
head of its default branch, with PyGithub.

Every answer is a GET. The default branch's head commit is fetched first and the manifest at that commit,
so the provenance is exact. Waits go through PyGithub's ``GithubRetry`` (a urllib3 ``Retry``): a primary rate
limit (``x-ratelimit-remaining: 0``) is waited out until ``x-ratelimit-reset``, a secondary one for its
``retry-after``, 5xx answers and connection errors are retried with bounded exponential backoff. A wait over
``max_wait`` (15 minutes unless ``HRPOLICY_GITHUB_MAX_WAIT`` says otherwise) gives up the whole run instead.
The sleep is injectable, so tests never sleep. The token is never printed, not even in an error.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from hrpolicy.collect.store import MANIFEST_NAMES, MAX_MANIFEST_BYTES, CollectFolder
from hrpolicy.errors import UsageError, one_line

DEFAULT_API_URL = "https://api.github.com"
MAX_WAIT = 900.0  # seconds: longer than this, a rate limit ends the run (exit 2) instead of waiting
_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")

Sleep = Callable[[float], None]


class Settings(NamedTuple):
    token: str
    api_url: str
    max_wait: float = MAX_WAIT
    backoff: float = 1.0  # urllib3's backoff factor: 1 s, 2 s, 4 s… between retries, 30 s at most

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """:raises UsageError: without a token, or without PyGithub installed."""
        import importlib.util

        if importlib.util.find_spec("github") is None:
            raise UsageError("collect github needs PyGithub: pip install 'hrpolicy[github]'")
        token = env.get("GITHUB_TOKEN") or env.get("GH_TOKEN") or ""
        if not token:
            raise UsageError(
                "collect github needs a token in GITHUB_TOKEN (or GH_TOKEN) that can read the "
                "organisation's repositories (contents: read, metadata: read)"
            )
        return cls(
            token=token,
            api_url=(env.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/"),
            max_wait=_seconds(env, "HRPOLICY_GITHUB_MAX_WAIT", MAX_WAIT),
            backoff=_seconds(env, "HRPOLICY_GITHUB_BACKOFF", 1.0),
        )

    def secret_free(self, text: str) -> str:
        return text.replace(self.token, "***") if self.token else text


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    value = env.get(name)
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        raise UsageError(f"{name} must be a number of seconds, not {one_line(value, 40)!r}") from None
    if not seconds >= 0:
        raise UsageError(f"{name} must be a number of seconds, not {one_line(value, 40)!r}")
    return seconds


@dataclass(frozen=True)
class Collected:
    """One repository's line in ``collect.json``."""

    repository: str  # "org/name"
    default_branch: str | None
    commit: str | None  # the default branch's head when fetched
    manifest: str | None  # relative to DIR, posix
    status: str  # collected | no_manifest | archived | error
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "repository": self.repository,
            "default_branch": self.default_branch,
            "commit": self.commit,
            "manifest": self.manifest,
            "status": self.status,
        }
        if self.error is not None:
            data["error"] = self.error
        return data


@dataclass(frozen=True)
class Collection:
    organisation: str
    topics: tuple[str, ...]
    fetched_at: str
    api_url: str
    repositories: tuple[Collected, ...]

    def count(self, status: str) -> int:
        return sum(1 for r in self.repositories if r.status == status)

    def coverage(self) -> dict[str, int]:
        archived = self.count("archived")
        return {
            "repositories": len(self.repositories) - archived,
            "with_manifest": self.count("collected"),
            "without_manifest": self.count("no_manifest"),
            "archived_skipped": archived,
            "errors": self.count("error"),
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "schema_version": 1,
            "source": "github",
            "organisation": self.organisation,
            "topics": list(self.topics),
            "fetched_at": self.fetched_at,
            "api_url": self.api_url,
            "repositories": [r.as_json() for r in self.repositories],
            "coverage": self.coverage(),
        }


class WaitTooLong(Exception):
    """GitHub asked for a wait longer than the bound: the run gives up rather than hang."""

    def __init__(self, seconds: float):
        super().__init__(seconds)
        self.seconds = seconds


def collect(
    org: str,
    *,
    topics: Sequence[str],
    include_archived: bool,
    folder: CollectFolder,
    settings: Settings,
    sleep: Sleep,
) -> Collection:
    """Collect the organisation's manifests into ``folder``.

    :raises UsageError: when the organisation cannot be listed, or a rate limit would outlast the bound."""
    from github import GithubException, RateLimitExceededExceedsMaxWait
    from requests import RequestException

    if not _LOGIN.fullmatch(org):
        raise UsageError(f"--org {one_line(org, 80)!r} is not a GitHub organisation name")
    wanted = tuple(dict.fromkeys(t.strip().lower() for t in topics))
    fetched_at = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    gh = client(settings, sleep)
    try:
        try:
            listed = list(gh.get_organization(org).get_repos(type="all", sort="full_name"))
        except RateLimitExceededExceedsMaxWait:
            raise
        except (GithubException, RequestException) as exc:
            why = f"could not list the repositories of {org}: {_why(exc)}"
            raise UsageError(settings.secret_free(why)) from None
        results = []
        for repo in listed:
            if wanted and not set(wanted) <= {str(t).lower() for t in (repo.topics or ())}:
                continue
            results.append(_one(org, repo, include_archived, folder, settings))
    except RateLimitExceededExceedsMaxWait as exc:
        raise _gave_up(exc.wait or 0.0, settings) from None
    except WaitTooLong as exc:
        raise _gave_up(exc.seconds, settings) from None
    return Collection(
        organisation=org,
        topics=wanted,
        fetched_at=fetched_at.isoformat().replace("+00:00", "Z"),
        api_url=settings.api_url,
        repositories=tuple(results),
    )


def _gave_up(seconds: float, settings: Settings) -> UsageError:
    return UsageError(
        f"GitHub's rate limit asks for a wait of {seconds / 60:.0f} minutes, over the "
        f"{settings.max_wait / 60:.0f}-minute bound (HRPOLICY_GITHUB_MAX_WAIT, in seconds): try again later"
    )


def _one(org: str, repo: Any, include_archived: bool, folder: CollectFolder, settings: Settings) -> Collected:
    from github import GithubException, RateLimitExceededExceedsMaxWait, UnknownObjectException
    from requests import RequestException

    name = str(repo.name)
    full = one_line(f"{org}/{name}", 200)
    branch = one_line(repo.default_branch) if repo.default_branch else None
    if repo.archived and not include_archived:
        return Collected(full, branch, None, None, "archived")
    sha: str | None = None
    try:
        if branch is None:
            return Collected(full, None, None, None, "no_manifest")  # an empty repository
        try:
            sha = str(repo.get_branch(repo.default_branch).commit.sha)
        except UnknownObjectException:  # an empty repository has no branch yet
            return Collected(full, branch, None, None, "no_manifest")
        for manifest in MANIFEST_NAMES:
            try:
                content = repo.get_contents(manifest, ref=sha)
            except UnknownObjectException:
                continue
            refused = _refused(content, manifest)
            if refused:
                return Collected(full, branch, sha, None, "error", refused)
            path = folder.write_manifest(folder.directory_for(name), manifest, content.decoded_content)
            return Collected(full, branch, sha, path, "collected")
        return Collected(full, branch, sha, None, "no_manifest")
    except RateLimitExceededExceedsMaxWait:
        raise
    except (GithubException, RequestException, OSError) as exc:
        return Collected(full, branch, sha, None, "error", settings.secret_free(_why(exc)))


def _refused(content: Any, name: str) -> str | None:
    """Why a manifest GitHub sent is not written: a folder, a link, another path, too big."""
    if isinstance(content, list):
        return f"{name} is a directory"
    if content.type != "file":
        return f"{name} is a {one_line(content.type, 40)}: links are not followed"
    if content.path != name:
        return f"GitHub answered {name} with {one_line(content.path, 80)!r} (a link?): links are not followed"
    if (content.size or 0) > MAX_MANIFEST_BYTES:
        return f"{name} is {content.size:,} bytes, over the 1 MiB limit"
    if content.encoding != "base64":
        return f"GitHub did not send the contents of {name}"
    if len(content.decoded_content) > MAX_MANIFEST_BYTES:
        return f"{name} is over the 1 MiB limit"
    return None


def _why(exc: BaseException) -> str:
    status = getattr(exc, "status", None)
    data = getattr(exc, "data", None)
    message = data.get("message") if isinstance(data, dict) else None
    if status:
        text = f"HTTP {status}" + (f": {message}" if message else "")
    elif isinstance(exc, OSError) and not type(exc).__module__.startswith("requests"):
        text = f"could not write the manifest: {exc.strerror or exc}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return one_line(text, 300)


def client(settings: Settings, sleep: Sleep) -> Any:
    """A lazy PyGithub client whose retries (``GithubRetry``) sleep through ``sleep`` within the bound."""
    import github
    from github import Auth, GithubRetry

    class Retry(GithubRetry):
        def increment(
            self, method: Any = None, url: Any = None, response: Any = None, *a: Any, **k: Any
        ) -> Any:
            # GithubRetry waits for a primary rate limit answered with 403; GitHub also answers 429.
            headers = getattr(response, "headers", None) or {}
            primary = (
                getattr(response, "status", None) == 429
                and "Retry-After" not in headers
                and headers.get("X-RateLimit-Remaining") == "0"
                and str(headers.get("X-RateLimit-Reset", "")).isdigit()
            )
            retry = super().increment(method, url, response, *a, **k)
            if primary:
                reset = int(headers["X-RateLimit-Reset"])
                wait = max(0.0, reset - datetime.datetime.now(datetime.timezone.utc).timestamp()) + 1
                if wait > settings.max_wait:
                    raise WaitTooLong(wait)
                retry.get_backoff_time = lambda: wait  # type: ignore[method-assign]  # as GithubRetry does
            return retry

        def sleep(self, response: Any = None) -> None:
            after = self.get_retry_after(response) if response is not None else None
            wait = after if after is not None else self.get_backoff_time()
            if wait > settings.max_wait:
                raise WaitTooLong(wait)
            if wait > 0:
                sleep(wait)

    retry = Retry(
        total=5,
        backoff_factor=settings.backoff,
        backoff_max=30,
        status_forcelist=[429, 500, 502, 503, 504],
        raise_on_status=False,  # the last answer becomes a GithubException with its status
        secondary_rate_wait=60,
        max_rate_limit_wait=settings.max_wait,
    )
    return github.Github(
        auth=Auth.Token(settings.token),
        base_url=settings.api_url,
        retry=retry,
        per_page=100,
        seconds_between_requests=0,  # reads, one at a time, are what GitHub asks for
        lazy=True,
        timeout=30,
    )

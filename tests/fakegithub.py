"""A local stand-in for GitHub's REST API: it checks every request (method, path, body) against GitHub's
OpenAPI description (../shared/schemas/github-rest-checks-subset.json, widened by the operations in
tests/schemas/github-rest-collect-subset.json), records it, and answers as GitHub
does, including the failures a publisher must survive (5xx, secondary rate limits, a fork's read-only
token). Used by tests/acceptance/test_github.py and test_action.py; with ``repos`` set it also serves an
organisation's repositories, branches and manifests for test_collect_github.py (paged, with rate limits and
failures queued per path)."""

from __future__ import annotations

import base64
import contextlib
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

from helpers import REPO

SPEC_FILE = REPO.parent / "shared" / "schemas" / "github-rest-checks-subset.json"
COLLECT_SPEC_FILE = REPO / "tests" / "schemas" / "github-rest-collect-subset.json"
TOKEN = "ghs_FAKEtokenTHATmustNEVERbePRINTED0123"
BOT = {"login": "github-actions[bot]", "type": "Bot"}


def openapi_description() -> dict[str, Any]:
    """The shared subset with the collect operations added: paths and components from both files (a component
    both name must be the same text, or the two were cut from different descriptions)."""
    spec: dict[str, Any] = json.loads(SPEC_FILE.read_text("utf-8"))
    extra = json.loads(COLLECT_SPEC_FILE.read_text("utf-8"))
    spec["paths"].update(extra["paths"])
    for section, parts in extra["components"].items():
        mine = spec["components"].setdefault(section, {})
        for name, value in parts.items():
            if mine.setdefault(name, value) != value:
                raise ValueError(f"{COLLECT_SPEC_FILE.name}: components/{section}/{name} differs")
    return spec


@dataclass
class FakeRepo:
    """A repository of the fake organisation: its files at the head of its default branch."""

    name: str
    files: dict[str, bytes] = field(default_factory=dict)
    topics: list[str] = field(default_factory=list)
    archived: bool = False
    default_branch: str = "main"
    sha: str = "0" * 40
    slug: str = ""  # the name in its API URL when ``name`` is not URL-safe (a hostile name)
    big: set[str] = field(default_factory=set)  # files GitHub answers as too big to send (over 1 MB)
    links: dict[str, str] = field(default_factory=dict)  # name -> the target GitHub follows it to

    @property
    def url_name(self) -> str:
        return self.slug or self.name


class FakeGitHub:
    """The requests it saw, what it answers, and every request validated against the OpenAPI description."""

    def __init__(self, openapi: Any, prefix: str = ""):
        self.openapi = openapi
        self.prefix = prefix
        self.requests: list[tuple[str, str, Any]] = []
        self.invalid: list[str] = []
        self.fail_writes_with: int | None = None  # every POST/PATCH answers this status
        self.fail_first: list[tuple[int, dict[str, str]]] = []  # the next writes answer these, then succeed
        self.act_then_fail: list[int] = []  # the next writes take effect, yet answer these statuses
        self.runs: dict[int, dict[str, Any]] = {}  # check runs created, with every annotation added
        self.comments: dict[int, str] = {}
        self.authors: dict[int, dict[str, str]] = {}  # who wrote a comment, when not the Actions bot
        self.base = ""
        self.org = "acme"
        self.repos: list[FakeRepo] = []  # the organisation's repositories, served when set
        self.page_size = 100  # at most this many repositories a page, whatever per_page asks
        self.list_topics = True  # whether the list of repositories carries each one's topics
        self.fail_gets: list[
            tuple[str, int, dict[str, str], str]
        ] = []  # (path part, status, headers, message)
        self.urls: list[str] = []  # every request's path and query

    def fail_get(
        self, part: str, status: int, headers: dict[str, str] | None = None, message: str = ""
    ) -> None:
        """The next GET whose path contains ``part`` answers ``status`` (queued: add it again for more)."""
        self.fail_gets.append((part, status, headers or {}, message or "Bad gateway"))

    def validate(self, method: str, path: str, body: bytes, query: str = "") -> None:
        from openapi_core.testing import MockRequest

        request = MockRequest(
            "https://api.github.com",
            method.lower(),
            path,
            args=dict(parse_qsl(query)),
            data=body or None,
            content_type="application/json",
        )
        try:
            self.openapi.validate_request(request)
        except Exception as exc:
            self.invalid.append(f"{method} {path}: {exc}")

    def answer(self, method: str, path: str, body: Any, query: str = "") -> tuple[int, dict[str, str], Any]:
        if method == "GET":
            for i, (part, status, headers, message) in enumerate(self.fail_gets):
                if part in path:
                    del self.fail_gets[i]
                    return status, headers, {"message": message}
            if self.repos:
                served = self.serve_repos(path, dict(parse_qsl(query)))
                if served is not None:
                    return served
        if method in ("POST", "PATCH"):
            if self.fail_first:
                status, headers = self.fail_first.pop(0)
                limited = "retry-after" in headers
                message = "You have exceeded a secondary rate limit" if limited else "Bad gateway"
                return status, headers, {"message": message}
            if self.fail_writes_with:
                return self.fail_writes_with, {}, {"message": "Resource not accessible by integration"}
        status, headers, answer = self.act(method, path, body)
        if method in ("POST", "PATCH") and self.act_then_fail:
            return self.act_then_fail.pop(0), {}, {"message": "Bad gateway"}
        return status, headers, answer

    def act(self, method: str, path: str, body: Any) -> tuple[int, dict[str, str], Any]:
        repo = f"{self.base}/repos/acme/app"
        found = re.search(r"/check-runs/(\d+)(/annotations)?$", path)
        if method == "POST" and path.endswith("/check-runs"):
            number = len(self.runs) + 1
            self.runs[number] = {**body, "annotations": list(body.get("output", {}).get("annotations", []))}
            return 201, {}, self.run(number)
        if method == "PATCH" and found and not found.group(2):
            number = int(found.group(1))
            self.runs[number]["annotations"] += body.get("output", {}).get("annotations", [])
            return 200, {}, self.run(number)
        if method == "GET" and found and found.group(2):
            return 200, {}, self.runs[int(found.group(1))]["annotations"]
        if method == "GET" and re.search(r"/commits/[^/]+/check-runs$", path):
            sha = path.split("/")[-2]
            listed = [self.run(n) for n, r in self.runs.items() if r["head_sha"] == sha]
            return 200, {}, {"total_count": len(listed), "check_runs": listed}
        if method == "GET" and re.search(r"/pulls/\d+$", path):
            number = int(path.rsplit("/", 1)[1])
            issue = f"{repo}/issues/{number}"
            return 200, {}, {"number": number, "url": f"{repo}/pulls/{number}", "issue_url": issue}
        if method == "GET" and path.endswith("/comments"):
            return 200, {}, [self.comment(i) for i in self.comments]
        if method == "POST" and path.endswith("/comments"):
            number = len(self.comments) + 100
            self.comments[number] = body["body"]
            return 201, {}, self.comment(number)
        if method == "PATCH" and "/issues/comments/" in path:
            number = int(path.rsplit("/", 1)[1])
            self.comments[number] = body["body"]
            return 200, {}, self.comment(number)
        return 404, {}, {"message": "Not Found"}

    def serve_repos(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, str], Any] | None:
        if path == f"/orgs/{self.org}/repos":
            size = min(int(query.get("per_page", "30")), self.page_size)
            page = int(query.get("page", "1"))
            listed = [self.listed(r) for r in self.repos[(page - 1) * size : page * size]]
            headers = {}
            if page * size < len(self.repos):
                rest = "".join(f"&{k}={v}" for k, v in query.items() if k not in ("page", "per_page"))
                headers["Link"] = f'<{self.base}{path}?per_page={size}&page={page + 1}{rest}>; rel="next"'
            return 200, headers, listed
        found = re.fullmatch(r"/repos/([^/]+)/([^/]+)(?:/(branches|contents)/(.+))?", path)
        if not found or unquote(found.group(1)) != self.org:
            return None
        repo = next((r for r in self.repos if r.url_name == unquote(found.group(2))), None)
        if repo is None:
            return 404, {}, {"message": "Not Found"}
        kind, rest = found.group(3), unquote(found.group(4) or "")
        if kind is None:
            return 200, {}, {**self.listed(repo), "topics": repo.topics}
        if kind == "branches":
            if rest != repo.default_branch or not repo.sha:
                return 404, {}, {"message": "Branch not found"}
            return 200, {}, {"name": rest, "commit": {"sha": repo.sha, "url": f"{self.url(repo)}/commits/x"}}
        if query.get("ref") != repo.sha:
            return 404, {}, {"message": "No commit found for the ref"}
        return self.content(repo, rest)

    def content(self, repo: FakeRepo, name: str) -> tuple[int, dict[str, str], Any]:
        target = repo.links.get(name, name)
        if target not in repo.files:
            return 404, {}, {"message": "Not Found"}
        data = repo.files[target]
        big = target in repo.big
        return (
            200,
            {},
            {
                "type": "file",
                "encoding": "none" if big else "base64",
                "size": 2_000_000 if big else len(data),
                "name": target.rsplit("/", 1)[-1],
                "path": target,
                "content": "" if big else base64.b64encode(data).decode(),
                "sha": "b" * 40,
                "url": f"{self.url(repo)}/contents/{quote(target)}?ref={repo.sha}",
            },
        )

    def url(self, repo: FakeRepo) -> str:
        return f"{self.base}/repos/{self.org}/{quote(repo.url_name, safe='')}"

    def listed(self, repo: FakeRepo) -> dict[str, Any]:
        entry = {
            "id": abs(hash(repo.name)) % 10**8,
            "name": repo.name,
            "full_name": f"{self.org}/{repo.name}",
            "private": True,
            "url": self.url(repo),
            "html_url": f"https://github.test/{self.org}/{repo.url_name}",
            "archived": repo.archived,
            "default_branch": repo.default_branch,
        }
        if self.list_topics:
            entry["topics"] = repo.topics
        return entry

    def run(self, number: int) -> dict[str, Any]:
        run = self.runs[number]
        return {
            "id": number,
            "url": f"{self.base}/repos/acme/app/check-runs/{number}",
            "html_url": f"https://github.test/acme/app/runs/{number}",
            "name": run["name"],
            "head_sha": run["head_sha"],
            "external_id": run.get("external_id"),
            "status": "completed",
            "conclusion": run.get("conclusion"),
        }

    def comment(self, number: int) -> dict[str, Any]:
        return {
            "id": number,
            "url": f"{self.base}/repos/acme/app/issues/comments/{number}",
            "body": self.comments[number],
            "user": self.authors.get(number, BOT),
        }


@contextlib.contextmanager
def serve(fake: FakeGitHub) -> Iterator[FakeGitHub]:
    """Run ``fake`` on a free local port for the duration of the block; ``fake.base`` is its API URL."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _handle(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            path, _, query = self.path.partition("?")
            assert (
                self.headers.get("Authorization") == f"token {TOKEN}"
                or self.headers.get("Authorization") == f"Bearer {TOKEN}"
            )
            if fake.prefix:
                assert path.startswith(fake.prefix), path
                path = path[len(fake.prefix) :]
            fake.validate(self.command, path, raw, query)
            body = json.loads(raw) if raw else None
            fake.requests.append((self.command, path, body))
            fake.urls.append(f"{path}?{query}" if query else path)
            status, headers, answer = fake.answer(self.command, path, body, query)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = _handle

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.base = f"http://127.0.0.1:{server.server_port}{fake.prefix}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def actions_env(tmp_path: Path, fake: FakeGitHub, pull: bool = False) -> dict[str, str]:
    event = tmp_path / "event.json"
    payload: dict[str, Any] = {}
    if pull:
        payload = {"pull_request": {"number": 7, "head": {"sha": "a" * 40}, "base": {"sha": "b" * 40}}}
    event.write_text(json.dumps(payload), "utf-8")
    (tmp_path / "summary.md").touch()
    (tmp_path / "output.txt").touch()
    return {
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_REPOSITORY": "acme/app",
        "GITHUB_SHA": "c" * 40,
        "GITHUB_API_URL": fake.base,
        "GITHUB_EVENT_NAME": "pull_request" if pull else "push",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
        "HRPOLICY_GITHUB_WRITE_INTERVAL": "0",
        "HRPOLICY_GITHUB_BACKOFF": "0.01",
    }

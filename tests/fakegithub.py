"""A local stand-in for GitHub's REST API: it checks every request (method, path, body) against GitHub's
OpenAPI description (../shared/schemas/github-rest-checks-subset.json), records it, and answers as GitHub
does, including the failures a publisher must survive (5xx, secondary rate limits, a fork's read-only
token). Used by tests/acceptance/test_github.py and test_action.py."""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from helpers import REPO

SPEC_FILE = REPO.parent / "shared" / "schemas" / "github-rest-checks-subset.json"
TOKEN = "ghs_FAKEtokenTHATmustNEVERbePRINTED0123"
BOT = {"login": "github-actions[bot]", "type": "Bot"}


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

    def validate(self, method: str, path: str, body: bytes) -> None:
        from openapi_core.testing import MockRequest

        request = MockRequest(
            "https://api.github.com", method.lower(), path, data=body or None, content_type="application/json"
        )
        try:
            self.openapi.validate_request(request)
        except Exception as exc:
            self.invalid.append(f"{method} {path}: {exc}")

    def answer(self, method: str, path: str, body: Any) -> tuple[int, dict[str, str], Any]:
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
            path = self.path.split("?", 1)[0]
            assert (
                self.headers.get("Authorization") == f"token {TOKEN}"
                or self.headers.get("Authorization") == f"Bearer {TOKEN}"
            )
            if fake.prefix:
                assert path.startswith(fake.prefix), path
                path = path[len(fake.prefix) :]
            fake.validate(self.command, path, raw)
            body = json.loads(raw) if raw else None
            fake.requests.append((self.command, path, body))
            status, headers, answer = fake.answer(self.command, path, body)
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

"""``hrpolicy publish github`` with the real PyGithub against a local HTTP server that checks every request
(method, path, body) against GitHub's OpenAPI description (../shared/schemas/github-rest-checks-subset.json)
and answers as GitHub does: create plus batches, 502 then success, 403 on writes (a fork's token), a
secondary rate limit, a GitHub Enterprise Server base URL, a sticky comment."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from fakegithub import TOKEN, FakeGitHub, actions_env
from helpers import TODAY, manifest, run_cli

from hrpolicy.githubchecks import COMMENT_MARKER
from hrpolicy.model import Finding, Location, ManifestResult, RuleInfo, RunResult
from hrpolicy.reports import report


def synthetic_report(tmp_path: Path, findings: int) -> Path:
    """A JSON report with ``findings`` findings (what a CI job would have written)."""
    rule = RuleInfo("HRDD-MKT-001", "t", "high", None, "", "", (), (), True, False, "")
    found = tuple(
        Finding(
            "HRDD-MKT-001",
            "high",
            f"finding {i}",
            "do x",
            Location("svc/hrpolicy.yaml", i + 1, 1, ""),
            f"{i:032x}",
        )
        for i in range(findings)
    )
    result = RunResult(
        "0.1.0", (rule,), TODAY, (ManifestResult("svc/hrpolicy.yaml", "p", found),), (), "high", 1
    )
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report(result)), "utf-8")
    return path


def publish(tmp_path: Path, env: dict[str, str], *args: str) -> Any:
    proc = run_cli("publish", "github", "--today", TODAY.isoformat(), *args, cwd=tmp_path, env=env)
    assert TOKEN not in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def writes(fake: FakeGitHub) -> list[tuple[str, str, Any]]:
    return [r for r in fake.requests if r[0] in ("POST", "PATCH")]


def test_a_check_run_is_created_then_completed_in_batches_of_50(tmp_path: Path, github: FakeGitHub) -> None:
    env = actions_env(tmp_path, github)
    proc = publish(tmp_path, env, "--results", str(synthetic_report(tmp_path, 120)))
    assert proc.returncode == 1
    assert github.invalid == []
    (post, *patches) = writes(github) or pytest.fail(proc.stdout + proc.stderr + str(github.requests))
    assert post[0] == "POST"
    assert post[1] == "/repos/acme/app/check-runs"
    assert post[2]["head_sha"] == "c" * 40
    assert post[2]["conclusion"] == "failure"
    assert [len(p[2]["output"]["annotations"]) for p in (post, *patches)] == [50, 50, 20]
    assert all(len(p[2]["output"]["summary"]) <= 65_535 for p in (post, *patches))
    outputs = (tmp_path / "output.txt").read_text("utf-8")
    assert "conclusion=failure" in outputs
    assert "high=120" in outputs
    assert "finding 0" in (tmp_path / "summary.md").read_text("utf-8")


def test_1000_findings_take_at_most_21_requests(tmp_path: Path, github: FakeGitHub) -> None:
    proc = publish(
        tmp_path, actions_env(tmp_path, github), "--results", str(synthetic_report(tmp_path, 1000))
    )
    assert proc.returncode == 1
    assert github.invalid == []
    assert len(github.requests) <= 21
    assert sum(len(r[2]["output"]["annotations"]) for r in writes(github)) == 1000


def test_a_502_is_retried_after_checking_that_nothing_was_created(tmp_path: Path, github: FakeGitHub) -> None:
    github.fail_first = [(502, {})]
    proc = publish(tmp_path, actions_env(tmp_path, github), "--results", str(synthetic_report(tmp_path, 3)))
    assert proc.returncode == 1
    assert [r[0] for r in github.requests] == ["POST", "GET", "POST"]
    assert len(github.runs) == 1
    assert "published" in proc.stdout
    assert github.invalid == []


def test_a_502_after_github_acted_writes_nothing_twice(tmp_path: Path, github: FakeGitHub) -> None:
    github.act_then_fail = [502, 502]  # the create and the first batch both land, yet answer 502
    proc = publish(tmp_path, actions_env(tmp_path, github), "--results", str(synthetic_report(tmp_path, 120)))
    assert proc.returncode == 1
    assert len(github.runs) == 1
    (run,) = github.runs.values()
    assert len(run["annotations"]) == 120
    assert len({a["message"] for a in run["annotations"]}) == 120
    assert github.invalid == []


@pytest.mark.parametrize("status", [403, 429])
def test_a_secondary_rate_limit_is_waited_out(tmp_path: Path, github: FakeGitHub, status: int) -> None:
    github.fail_first = [(status, {"retry-after": "1"})]
    proc = publish(tmp_path, actions_env(tmp_path, github), "--results", str(synthetic_report(tmp_path, 3)))
    assert proc.returncode == 1
    assert [r[0] for r in github.requests] == ["POST", "POST"]
    assert "published" in proc.stdout


def test_a_read_only_token_falls_back_to_annotations_and_still_exits_by_the_findings(
    tmp_path: Path, github: FakeGitHub
) -> None:
    github.fail_writes_with = 403
    env = actions_env(tmp_path, github, pull=True)
    (tmp_path / "hrpolicy.yaml").write_text(manifest("markets: [{country: VN, status: launched}]"), "utf-8")
    proc = publish(tmp_path, env, "--comment")
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    notices = [line for line in lines if line.startswith("::notice title=hrpolicy::")]
    token = [n for n in notices if "token" in n or "comment" in n]
    assert len(token) == 1  # one notice, though the comment failed too
    assert token[0].startswith("::notice title=hrpolicy::the token cannot create check runs")
    assert any(line.startswith("::error file=hrpolicy.yaml,line=3") for line in lines)
    assert "HRDD-MKT-001" in (tmp_path / "summary.md").read_text("utf-8")
    assert github.invalid == []


def test_a_clean_run_succeeds(tmp_path: Path, github: FakeGitHub) -> None:
    (tmp_path / "hrpolicy.yaml").write_text(manifest(), "utf-8")
    proc = publish(tmp_path, actions_env(tmp_path, github))
    assert proc.returncode == 0
    (post,) = writes(github)
    assert post[2]["conclusion"] == "success"
    assert github.invalid == []


@pytest.mark.parametrize("github", ["/api/v3"], indirect=True)
def test_github_enterprise_server_base_url(tmp_path: Path, github: FakeGitHub) -> None:
    proc = publish(tmp_path, actions_env(tmp_path, github), "--results", str(synthetic_report(tmp_path, 2)))
    assert proc.returncode == 1
    assert writes(github)[0][1] == "/repos/acme/app/check-runs"  # seen below /api/v3
    assert github.invalid == []


def test_the_sticky_comment_is_updated_in_place(tmp_path: Path, github: FakeGitHub) -> None:
    env = actions_env(tmp_path, github, pull=True)
    report_file = str(synthetic_report(tmp_path, 2))
    publish(tmp_path, env, "--results", report_file, "--comment")
    publish(tmp_path, env, "--results", report_file, "--comment")
    assert len(github.comments) == 1
    assert [r[0] for r in github.requests if "/comments" in r[1] and r[0] != "GET"] == ["POST", "PATCH"]
    assert github.invalid == []


def test_a_pasted_marker_does_not_make_someone_elses_comment_ours(tmp_path: Path, github: FakeGitHub) -> None:
    github.comments[1] = f"{COMMENT_MARKER}\nlooks fine to me"
    github.authors[1] = {"login": "mallory", "type": "User"}
    publish(
        tmp_path,
        actions_env(tmp_path, github, pull=True),
        "--results",
        str(synthetic_report(tmp_path, 2)),
        "--comment",
    )
    assert github.comments[1] == f"{COMMENT_MARKER}\nlooks fine to me"  # untouched
    assert len(github.comments) == 2
    assert github.invalid == []


def test_sarif_is_written_for_upload(tmp_path: Path, github: FakeGitHub) -> None:
    (tmp_path / "hrpolicy.yaml").write_text(manifest("markets: [{country: VN, status: launched}]"), "utf-8")
    proc = publish(tmp_path, actions_env(tmp_path, github), "--sarif", "out.sarif")
    assert proc.returncode == 1
    assert json.loads((tmp_path / "out.sarif").read_text("utf-8"))["version"] == "2.1.0"
    assert "sarif=out.sarif" in (tmp_path / "output.txt").read_text("utf-8")


def test_check_never_imports_pygithub(tmp_path: Path) -> None:
    import subprocess

    (tmp_path / "hrpolicy.yaml").write_text(manifest(), "utf-8")
    code = (
        "import sys\n"
        "from hrpolicy.main import main\n"
        "main(['check', '--today', '2026-11-28', '--format', 'json'])\n"
        "heavy = ('github', 'requests', 'urllib3')\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in heavy)\n"
        "sys.exit(str(loaded) if loaded else 0)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr


def test_without_the_actions_environment_it_says_what_is_missing(tmp_path: Path) -> None:
    proc = run_cli("publish", "github", cwd=tmp_path, env={"GITHUB_TOKEN": "", "GITHUB_REPOSITORY": ""})
    assert proc.returncode == 2
    assert "GITHUB_TOKEN and GITHUB_REPOSITORY" in proc.stderr


def test_the_fake_server_rejects_what_github_would(openapi: Any) -> None:
    fake = FakeGitHub(openapi)
    fake.validate("POST", "/repos/acme/app/check-runs", b'{"name": "hrpolicy"}')  # head_sha is required
    fake.validate("PATCH", "/repos/acme/app/check-runs/7", b'{"conclusion": "passed"}')  # not an enum value
    fake.validate("DELETE", "/repos/acme/app/check-runs/7", b"")  # not an operation
    assert len(fake.invalid) == 3, fake.invalid


def test_without_pygithub_it_says_how_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "github" else real(name, *a)
    )
    proc = run_cli("publish", "github", cwd=tmp_path, env={"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": "a/b"})
    assert proc.returncode == 2
    assert "pip install 'hrpolicy[github]'" in proc.stderr


def test_github_down_is_reported_and_the_findings_still_decide(tmp_path: Path, github: FakeGitHub) -> None:
    github.fail_writes_with = 503
    proc = publish(tmp_path, actions_env(tmp_path, github), "--results", str(synthetic_report(tmp_path, 3)))
    assert proc.returncode == 1
    assert 1 < len(github.requests) <= 7  # retried (each after a look), within bounds
    assert "could not publish the check run" in proc.stderr
    assert any(line.startswith("::error file=svc/hrpolicy.yaml") for line in proc.stdout.splitlines())


def test_sarif_never_replaces_a_manifest_it_reads(tmp_path: Path, github: FakeGitHub) -> None:
    (tmp_path / "hrpolicy.yaml").write_text(manifest(), "utf-8")
    proc = publish(tmp_path, actions_env(tmp_path, github), "--sarif", "hrpolicy.yaml", "hrpolicy.yaml")
    assert proc.returncode == 2
    assert (tmp_path / "hrpolicy.yaml").read_text("utf-8") == manifest()
    assert github.requests == []

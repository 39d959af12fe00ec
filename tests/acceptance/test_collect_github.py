"""``hrpolicy collect github`` with the real PyGithub against the fake GitHub (tests/fakegithub.py), which
checks every request against GitHub's OpenAPI description: paging, topics, archived repositories, the
manifest's fallbacks, refusals (too big, a link, a hostile name), rate limits, retries, and the folder it
writes being what ``hrpolicy check`` and ``hrpolicy report`` read."""

from __future__ import annotations

import io
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from fakegithub import TOKEN, FakeGitHub, FakeRepo
from helpers import TODAY, manifest, run_cli

from hrpolicy.commands import collect_github
from hrpolicy.errors import UsageError

SHA = "a1" * 20


def env(fake: FakeGitHub, **extra: str) -> dict[str, str]:
    return {"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": fake.base, "HRPOLICY_GITHUB_BACKOFF": "1", **extra}


def collect(
    fake: FakeGitHub, out: Path, *topics: str, include_archived: bool = False, **extra: str
) -> tuple[int, str, str, list[float]]:
    so, se, waits = io.StringIO(), io.StringIO(), list[float]()
    code = collect_github.run(
        fake.org,
        topics=list(topics),
        out=str(out),
        include_archived=include_archived,
        stdout=so,
        stderr=se,
        environ=env(fake, **extra),
        sleep=waits.append,
    )
    assert TOKEN not in so.getvalue() + se.getvalue()
    return code, so.getvalue(), se.getvalue(), waits


def index(out: Path) -> dict[str, Any]:
    return json.loads((out / "collect.json").read_text("utf-8"))  # type: ignore[no-any-return]


def by_name(out: Path) -> dict[str, dict[str, Any]]:
    return {r["repository"].split("/", 1)[1]: r for r in index(out)["repositories"]}


def yaml(product: str = "app") -> bytes:
    return manifest().replace("id: acme-chat", f"id: {product}").encode()


def test_pages_through_the_organisation_and_writes_provenance(tmp_path: Path, github: FakeGitHub) -> None:
    github.page_size = 2
    github.repos = [FakeRepo(f"svc-{i}", {"hrpolicy.yaml": yaml()}, sha=f"{i:040x}") for i in range(5)]
    github.repos.append(FakeRepo("docs", {"README.md": b"hi"}, sha=SHA))
    code, out, err, _ = collect(github, tmp_path / "m")
    assert (code, err) == (0, "")
    assert github.invalid == []
    listing = [u for u in github.urls if u.startswith("/orgs/acme/repos")]
    assert len(listing) == 3  # 6 repositories, 2 a page
    data = index(tmp_path / "m")
    assert data["schema_version"] == 1
    assert data["source"] == "github"
    assert data["organisation"] == "acme"
    assert data["api_url"] == github.base
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", data["fetched_at"])
    assert data["coverage"] == {
        "repositories": 6,
        "with_manifest": 5,
        "without_manifest": 1,
        "archived_skipped": 0,
        "errors": 0,
    }
    svc = by_name(tmp_path / "m")["svc-3"]
    assert svc == {
        "repository": "acme/svc-3",
        "default_branch": "main",
        "commit": f"{3:040x}",
        "manifest": "svc-3/hrpolicy.yaml",
        "status": "collected",
    }
    assert (tmp_path / "m" / "svc-3" / "hrpolicy.yaml").read_bytes() == yaml()
    assert by_name(tmp_path / "m")["docs"]["status"] == "no_manifest"
    assert out.splitlines()[0] == (
        "collected 5 manifests from 6 repositories of acme (83% coverage; 1 without a manifest, "
        "0 archived skipped)"
    )
    assert "  no manifest: acme/docs" in out.splitlines()


def test_the_commit_is_fetched_first_and_the_manifest_read_at_it(tmp_path: Path, github: FakeGitHub) -> None:
    github.repos = [FakeRepo("app", {"hrpolicy.yaml": yaml()}, sha=SHA, default_branch="trunk")]
    assert collect(github, tmp_path / "m")[0] == 0
    repo_urls = [u for u in github.urls if u.startswith("/repos/")]
    assert repo_urls == [
        "/repos/acme/app/branches/trunk",
        f"/repos/acme/app/contents/hrpolicy.yaml?ref={SHA}",
    ]
    assert by_name(tmp_path / "m")["app"]["default_branch"] == "trunk"


@pytest.mark.parametrize("list_topics", [True, False])
def test_every_topic_given_must_be_present(tmp_path: Path, github: FakeGitHub, list_topics: bool) -> None:
    github.list_topics = list_topics  # else PyGithub completes each repository (GET /repos/{owner}/{repo})
    github.repos = [
        FakeRepo("both", {"hrpolicy.yaml": yaml()}, topics=["product", "eu"], sha=SHA),
        FakeRepo("one", {"hrpolicy.yaml": yaml()}, topics=["product"], sha=SHA),
        FakeRepo("none", {"hrpolicy.yaml": yaml()}, sha=SHA),
    ]
    code, out, _, _ = collect(github, tmp_path / "m", "Product", "eu")
    assert code == 0
    assert list(by_name(tmp_path / "m")) == ["both"]
    assert index(tmp_path / "m")["topics"] == ["product", "eu"]
    assert "from 1 repository of acme (100% coverage" in out
    assert github.invalid == []
    assert ("/repos/acme/one" in github.urls) is not list_topics


def test_archived_repositories_are_skipped_unless_asked(tmp_path: Path, github: FakeGitHub) -> None:
    github.repos = [
        FakeRepo("live", {"hrpolicy.yaml": yaml()}, sha=SHA),
        FakeRepo("old", {"hrpolicy.yaml": yaml("old")}, archived=True, sha=SHA),
    ]
    code, out, _, _ = collect(github, tmp_path / "a")
    assert code == 0
    old = by_name(tmp_path / "a")["old"]
    assert old["status"] == "archived"
    assert old["commit"] is None
    assert old["manifest"] is None
    assert not (tmp_path / "a" / "old").exists()
    assert not any("/repos/acme/old/" in u for u in github.urls)
    cover = index(tmp_path / "a")["coverage"]
    assert (cover["repositories"], cover["archived_skipped"]) == (1, 1)
    assert "1 archived skipped" in out

    code, out, _, _ = collect(github, tmp_path / "b", include_archived=True)
    assert code == 0
    assert by_name(tmp_path / "b")["old"]["status"] == "collected"
    assert index(tmp_path / "b")["coverage"]["archived_skipped"] == 0


def test_yml_then_json_are_the_fallbacks(tmp_path: Path, github: FakeGitHub) -> None:
    github.repos = [
        FakeRepo("y", {"hrpolicy.yml": yaml("y")}, sha=SHA),
        FakeRepo("j", {"hrpolicy.json": b"{}", "hrpolicy.yml": yaml("j")}, sha=SHA),
        FakeRepo("json", {"hrpolicy.json": b'{"a": 1}'}, sha=SHA),
        FakeRepo("empty", sha=""),  # an empty repository has no branch
    ]
    assert collect(github, tmp_path / "m")[0] == 0
    found = by_name(tmp_path / "m")
    assert found["y"]["manifest"] == "y/hrpolicy.yml"
    assert found["j"]["manifest"] == "j/hrpolicy.yml"  # .yml before .json
    assert found["json"]["manifest"] == "json/hrpolicy.json"
    assert (tmp_path / "m" / "json" / "hrpolicy.json").read_bytes() == b'{"a": 1}'
    assert found["empty"] == {
        "repository": "acme/empty",
        "default_branch": "main",
        "commit": None,
        "manifest": None,
        "status": "no_manifest",
    }
    assert github.invalid == []


def test_a_too_big_file_and_a_link_are_refused(tmp_path: Path, github: FakeGitHub) -> None:
    github.repos = [
        FakeRepo("big", {"hrpolicy.yaml": b"x"}, big={"hrpolicy.yaml"}, sha=SHA),
        FakeRepo(
            "link", {"../../etc/passwd": b"root:x:0:0"}, links={"hrpolicy.yaml": "../../etc/passwd"}, sha=SHA
        ),
        FakeRepo("fine", {"hrpolicy.yaml": yaml()}, sha=SHA),
    ]
    code, out, err, _ = collect(github, tmp_path / "m")
    assert code == 2  # after writing collect.json
    found = by_name(tmp_path / "m")
    assert found["big"]["status"] == "error"
    assert "over the 1 MiB limit" in found["big"]["error"]
    assert found["link"]["status"] == "error"
    assert "links are not followed" in found["link"]["error"]
    assert found["big"]["commit"] == SHA
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["collect.json", "fine"]
    assert "hrpolicy: acme/big: hrpolicy.yaml is 2,000,000 bytes, over the 1 MiB limit" in err.splitlines()
    assert "2 could not be fetched" in out
    assert index(tmp_path / "m")["coverage"]["errors"] == 2


def test_a_hostile_repository_name_never_writes_outside_the_folder(
    tmp_path: Path, github: FakeGitHub
) -> None:
    github.repos = [
        FakeRepo("../../evil", {"hrpolicy.yaml": yaml()}, slug="evil", sha=SHA),
        FakeRepo("..", {"hrpolicy.yaml": yaml()}, slug="dots", sha=SHA),
        FakeRepo("a\nb", {"hrpolicy.yaml": yaml()}, slug="ab", sha=SHA),
        FakeRepo("collect.json", {"hrpolicy.yaml": yaml()}, slug="cj", sha=SHA),
    ]
    out = tmp_path / "deep" / "m"
    code, printed, _, _ = collect(github, out)
    assert code == 0
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert all(w.startswith("deep/m/") for w in written), written
    assert len(written) == 5
    manifests = sorted(r["manifest"] for r in index(out)["repositories"])
    assert manifests == sorted(w[len("deep/m/") :] for w in written if not w.endswith("collect.json"))
    inside = out.resolve()
    assert all(".." not in m.split("/") and (out / m).resolve().is_relative_to(inside) for m in manifests)
    assert "\n" not in "".join(r["repository"] for r in index(out)["repositories"])
    assert (out / "collect.json").is_file()
    assert printed.startswith("collected 4 manifests")


def test_a_folder_that_is_not_a_collect_is_never_touched(tmp_path: Path, github: FakeGitHub) -> None:
    github.repos = [FakeRepo("app", {"hrpolicy.yaml": yaml()}, sha=SHA)]
    (tmp_path / "notes.txt").write_text("mine", "utf-8")
    with pytest.raises(UsageError, match="neither empty nor the output of an earlier collect"):
        collect(github, tmp_path)
    assert (tmp_path / "notes.txt").read_text("utf-8") == "mine"


def test_a_second_collect_leaves_no_stale_manifest(tmp_path: Path, github: FakeGitHub) -> None:
    github.repos = [FakeRepo("app", {"hrpolicy.yaml": yaml()}, sha=SHA)]
    assert collect(github, tmp_path / "m")[0] == 0
    github.repos = [FakeRepo("app", {"hrpolicy.yml": yaml()}, sha=SHA), FakeRepo("new", sha=SHA)]
    assert collect(github, tmp_path / "m")[0] == 0
    assert sorted(str(p.relative_to(tmp_path / "m")) for p in (tmp_path / "m").rglob("*")) == [
        "app",
        "app/hrpolicy.yml",
        "collect.json",
    ]


def test_a_primary_rate_limit_is_waited_out_until_reset(tmp_path: Path, github: FakeGitHub) -> None:
    github.repos = [FakeRepo("app", {"hrpolicy.yaml": yaml()}, sha=SHA)]
    reset = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time()) + 120)}
    github.fail_get("/branches/", 403, reset, "API rate limit exceeded for installation ID 1.")
    github.fail_get("/contents/", 429, reset, "API rate limit exceeded for installation ID 1.")
    code, _, err, waits = collect(github, tmp_path / "m")
    assert (code, err) == (0, "")
    assert len(waits) == 2
    assert all(100 < w <= 122 for w in waits), waits
    assert by_name(tmp_path / "m")["app"]["status"] == "collected"
    assert github.invalid == []


@pytest.mark.parametrize("status", [403, 429])
def test_a_rate_limit_beyond_the_bound_ends_the_run(tmp_path: Path, github: FakeGitHub, status: int) -> None:
    github.repos = [FakeRepo("app", {"hrpolicy.yaml": yaml()}, sha=SHA)]
    reset = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time()) + 3600)}
    github.fail_get("/orgs/", status, reset, "API rate limit exceeded for user ID 1.")
    with pytest.raises(UsageError, match="over the 15-minute bound") as caught:
        collect(github, tmp_path / "m")
    assert "\n" not in str(caught.value)
    assert not (tmp_path / "m" / "collect.json").exists()


@pytest.mark.parametrize("status", [403, 429])
def test_a_secondary_rate_limit_waits_for_retry_after(
    tmp_path: Path, github: FakeGitHub, status: int
) -> None:
    github.repos = [FakeRepo("app", {"hrpolicy.yaml": yaml()}, sha=SHA)]
    github.fail_get("/contents/", status, {"retry-after": "37"}, "You have exceeded a secondary rate limit.")
    code, _, _, waits = collect(github, tmp_path / "m")
    assert code == 0
    assert waits == [37]
    assert by_name(tmp_path / "m")["app"]["status"] == "collected"


def test_a_retry_after_beyond_the_bound_ends_the_run(tmp_path: Path, github: FakeGitHub) -> None:
    github.repos = [FakeRepo("app", {"hrpolicy.yaml": yaml()}, sha=SHA)]
    github.fail_get("/branches/", 429, {"retry-after": "120"}, "You have exceeded a secondary rate limit.")
    with pytest.raises(UsageError, match="2 minutes, over the 1-minute bound"):
        collect(github, tmp_path / "m", HRPOLICY_GITHUB_MAX_WAIT="60")


def test_a_502_then_success(tmp_path: Path, github: FakeGitHub) -> None:
    github.repos = [FakeRepo("app", {"hrpolicy.yaml": yaml()}, sha=SHA)]
    github.fail_get("/orgs/", 502)
    github.fail_get("/contents/", 503)
    github.fail_get("/contents/", 500)
    code, _, err, waits = collect(github, tmp_path / "m")
    assert (code, err) == (0, "")
    assert waits == [2.0]  # urllib3 retries once at once, then backs off (factor 1: 2 s, 4 s, … 30 s at most)
    assert sum(u.startswith("/orgs/acme/repos") for u in github.urls) == 2
    assert sum("/contents/" in u for u in github.urls) == 3
    assert by_name(tmp_path / "m")["app"]["status"] == "collected"


def test_an_error_that_persists_is_reported_after_writing_collect_json(
    tmp_path: Path, github: FakeGitHub
) -> None:
    github.repos = [
        FakeRepo("app", {"hrpolicy.yaml": yaml()}, sha=SHA),
        FakeRepo("ok", {"hrpolicy.yaml": yaml()}, sha=SHA),
    ]
    for _ in range(6):  # the first try and 5 retries
        github.fail_get("/repos/acme/app/branches/", 502)
    code, out, err, waits = collect(github, tmp_path / "m")
    assert code == 2
    assert waits == [2.0, 4.0, 8.0, 16.0]  # bounded: 6 tries, the first retry at once
    assert sum("/repos/acme/app/branches/" in u for u in github.urls) == 6
    app = by_name(tmp_path / "m")["app"]
    assert app["status"] == "error"
    assert app["error"] == "HTTP 502: Bad gateway"
    assert by_name(tmp_path / "m")["ok"]["status"] == "collected"
    assert err == "hrpolicy: acme/app: HTTP 502: Bad gateway\n"
    assert "1 could not be fetched" in out


def test_github_unreachable_is_a_one_line_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    so, se, waits = io.StringIO(), io.StringIO(), list[float]()
    with pytest.raises(
        UsageError, match="could not list the repositories of acme: ConnectionError"
    ) as caught:
        collect_github.run(
            "acme",
            topics=[],
            out=str(tmp_path / "m"),
            include_archived=False,
            stdout=so,
            stderr=se,
            environ={"GH_TOKEN": TOKEN, "GITHUB_API_URL": f"http://127.0.0.1:{port}"},
            sleep=waits.append,
        )
    assert TOKEN not in str(caught.value)
    assert "\n" not in str(caught.value)
    assert waits == [2.0, 4.0, 8.0, 16.0]


def test_an_unknown_organisation(tmp_path: Path, github: FakeGitHub) -> None:
    github.repos = [FakeRepo("app", sha=SHA)]
    github.org = "other"
    with pytest.raises(UsageError, match="could not list the repositories of acme: HTTP 404: Not Found"):
        collect_github.run(
            "acme",
            topics=[],
            out=str(tmp_path / "m"),
            include_archived=False,
            environ=env(github),
            sleep=print,
        )


def test_without_a_token_it_says_so_and_exits_2(tmp_path: Path) -> None:
    proc = run_cli(
        "collect",
        "github",
        "--org",
        "acme",
        "--out",
        "m",
        cwd=tmp_path,
        env={"GITHUB_TOKEN": "", "GH_TOKEN": ""},
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1
    assert "GITHUB_TOKEN (or GH_TOKEN)" in proc.stderr
    assert not (tmp_path / "m").exists()


def test_end_to_end_then_check_reads_the_folder(tmp_path: Path, github: FakeGitHub) -> None:
    """The console script, then ``hrpolicy check`` over what it collected."""
    good = manifest().encode()
    bad = (
        manifest("markets: [{country: VN, status: launched}]").replace("id: acme-chat", "id: acme-b").encode()
    )
    github.repos = [
        FakeRepo("chat", {"hrpolicy.yaml": good}, sha=SHA),
        FakeRepo("maps", {"hrpolicy.yml": bad}, sha=SHA),
        FakeRepo("site", sha=SHA),
    ]
    proc = run_cli("collect", "github", "--org", "acme", "--out", "m", cwd=tmp_path, env=env(github))
    assert TOKEN not in proc.stdout + proc.stderr
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(
        "collected 2 manifests from 3 repositories of acme "
        "(67% coverage; 1 without a manifest, 0 archived skipped)"
    )
    assert github.invalid == []
    check = run_cli("check", "m", "--today", TODAY.isoformat(), "--format", "json", cwd=tmp_path, env={})
    assert check.returncode == 1, check.stderr  # maps is launched in VN without its due diligence
    results = json.loads(check.stdout)
    assert json.dumps(results).count("hrpolicy.y") >= 2
    assert "HRDD-MKT-001" in check.stdout


def test_check_and_report_paths_never_import_the_collector() -> None:
    import subprocess
    import sys

    code = "import sys, hrpolicy.main\nsys.exit('hrpolicy.collect' in sys.modules or 'github' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0

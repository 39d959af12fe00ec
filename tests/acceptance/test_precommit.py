"""The pre-commit hooks for real: ``pre-commit validate-manifest`` on ``.pre-commit-hooks.yaml``, and
``pre-commit try-repo <this checkout> hrpolicy-check`` in a throwaway git repository, which builds a fresh
environment from the checkout as any user's pre-commit would."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from helpers import REPO, manifest, shared_schema

PRE_COMMIT = Path(sys.executable).parent / "pre-commit"


def test_the_hook_manifest_is_valid() -> None:
    proc = subprocess.run(
        [str(PRE_COMMIT), "validate-manifest", str(REPO / ".pre-commit-hooks.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_hook_manifest_matches_the_schema_store_schema() -> None:
    validator = shared_schema("pre-commit-hooks.json")
    from hrpolicy.load.yaml import load_file

    hooks = load_file(REPO / ".pre-commit-hooks.yaml").data
    validator.validate(hooks)
    assert {h["id"] for h in hooks} == {"hrpolicy-check", "hrpolicy-rules-lint", "hrpolicy-rules-test"}
    assert all(h["language"] == "python" for h in hooks)


def _throwaway(folder: Path, text: str) -> dict[str, str]:
    folder.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("HRPOLICY_", "PRE_COMMIT"))},
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "GIT_CEILING_DIRECTORIES": str(folder.parent),
    }
    subprocess.run(["git", "init", "-q"], cwd=folder, check=True, env=env)
    (folder / "hrpolicy.yaml").write_text(text, "utf-8")
    subprocess.run(["git", "add", "-A"], cwd=folder, check=True, env=env)
    return env


def _try_repo(folder: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PRE_COMMIT), "try-repo", str(REPO), "hrpolicy-check", "--all-files"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
def test_try_repo_fails_naming_the_rule_on_a_bad_manifest_and_passes_on_a_good_one(tmp_path: Path) -> None:
    if not (REPO / ".git").exists():
        pytest.skip("try-repo needs the checkout to be a git repository")
    bad = manifest("markets: [{country: VN, status: launched}]")
    good = manifest()
    runs = [(tmp_path / "bad", bad), (tmp_path / "good", good)]
    with ThreadPoolExecutor(max_workers=2) as pool:  # each builds its own environment: side by side
        procs = list(pool.map(lambda r: _try_repo(r[0], _throwaway(r[0], r[1])), runs))
    failed, passed = procs
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "hrpolicy-check" in failed.stdout
    assert "Failed" in failed.stdout
    assert "critical HRDD-MKT-001 VN (Vietnam, high risk)" in failed.stdout
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout

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


def _throwaway(folder: Path, text: str, then: str | None = None) -> dict[str, str]:
    """A git repository with ``text`` staged as hrpolicy.yaml; with ``then``, ``text`` is committed first
    and ``then`` staged on top of it (the commit being made)."""
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
    if then is not None:
        subprocess.run(["git", "commit", "-q", "-m", "base"], cwd=folder, check=True, env=env)
        (folder / "hrpolicy.yaml").write_text(then, "utf-8")
        subprocess.run(["git", "add", "-A"], cwd=folder, check=True, env=env)
    return env


def _try_repo(folder: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return _pre_commit(folder, env, "try-repo", str(REPO), "hrpolicy-check", "--all-files")


def _pre_commit(folder: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PRE_COMMIT), *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
def test_try_repo_fails_naming_the_rule_passes_a_good_manifest_and_judges_a_withdrawal_against_head(
    tmp_path: Path,
) -> None:
    if not (REPO / ".git").exists():
        pytest.skip("try-repo needs the checkout to be a git repository")
    bad = manifest("markets: [{country: VN, status: launched}]")
    good = manifest()
    launched = manifest("markets: [{country: DE, status: launched}]")
    runs = [
        (tmp_path / "bad", bad, None),
        (tmp_path / "good", good, None),
        (tmp_path / "exit", launched, good),
    ]
    with ThreadPoolExecutor(max_workers=3) as pool:  # each builds its own environment: side by side
        procs = list(pool.map(lambda r: _try_repo(r[0], _throwaway(*r)), runs))
    failed, passed, withdrawn = procs
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "hrpolicy-check" in failed.stdout
    assert "Failed" in failed.stdout
    assert "critical HRDD-MKT-001 VN (Vietnam, high risk: Not Free" in failed.stdout
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout
    # The same good manifest, committed on top of one with a launched market: judged against HEAD, it is a
    # withdrawal without an exit assessment.
    assert withdrawn.returncode == 1, withdrawn.stdout + withdrawn.stderr
    assert (
        "HRDD-EXIT-001 DE (Germany, low risk: Free in Freedom on the Net 2025) "
        "was launched in the base manifest" in withdrawn.stdout
    )


@pytest.mark.slow
def test_a_rules_repository_runs_lint_and_test_with_its_rules_directory(tmp_path: Path) -> None:
    if not (REPO / ".git").exists():
        pytest.skip("pre-commit clones the checkout: it needs to be a git repository")
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.strip()
    folder = tmp_path / "policy"
    env = _throwaway(folder, manifest())
    (folder / "rules").mkdir()
    (folder / "rules" / "acme.yaml").write_text("rules:\n  - id: HRDD-ACME-001\n    title: t\n", "utf-8")
    (folder / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {REPO}\n    rev: {head}\n    hooks:\n"
        "      - {id: hrpolicy-rules-lint, args: [rules]}\n"
        "      - {id: hrpolicy-rules-test, args: [rules]}\n",
        "utf-8",
    )
    subprocess.run(["git", "add", "-A"], cwd=folder, check=True, env=env)
    proc = _pre_commit(folder, env, "run", "--all-files")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "rules/acme.yaml:2:5: $.rules[0]: 'severity' is a required property" in proc.stdout
    assert proc.stdout.count("Failed") == 2  # lint and test both refuse the broken pack

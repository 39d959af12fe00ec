"""The composite action (action.yml) run the way the runner runs it: each ``run:`` step through
``bash --noprofile --norc -eo pipefail``, with its ``env:`` expressions evaluated, its own
``GITHUB_OUTPUT`` and ``GITHUB_STEP_SUMMARY`` files, ``GITHUB_ACTION_PATH`` at this checkout, a
pull_request event payload, and the fake GitHub server as the API. ``actions/cache`` is modelled as a
directory keyed by the computed key.

Also: action.yml against the official action schema, and no expression inside a ``run:`` script."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from fakegithub import TOKEN, FakeGitHub, actions_env
from helpers import REPO, manifest, shared_schema
from ruamel.yaml import YAML

ACTION = REPO / "action.yml"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def action() -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load(ACTION.read_text("utf-8"))
    return data


def test_action_yml_is_valid_against_the_official_schema() -> None:
    shared_schema("github-action.json").validate(action())


def test_no_expression_is_pasted_into_a_script() -> None:
    for step in action()["runs"]["steps"]:
        if "run" in step:
            assert "${{" not in step["run"], step.get("name")


def test_every_input_reaches_the_tool() -> None:
    steps = action()["runs"]["steps"]
    used = {m for step in steps for value in step.get("env", {}).values() for m in EXPRESSION.findall(value)}
    assert {f"inputs.{name}" for name in action()["inputs"]} <= used


class Runner:
    """Just enough of the Actions runner to run a composite action's steps."""

    def __init__(self, tmp: Path, env: Mapping[str, str], cache: Path):
        self.tmp, self.env, self.cache = tmp, dict(env), cache
        self.steps: dict[str, dict[str, str]] = {}
        self.ran: list[str] = []

    def evaluate(self, text: str, inputs: Mapping[str, str]) -> str:
        def one(match: re.Match[str]) -> str:
            expr = match.group(1)
            if expr == "github.token":
                return self.env["GITHUB_TOKEN"]
            if expr == "runner.temp":
                return str(self.tmp / "runner-temp")
            if expr.startswith("inputs."):
                return inputs[expr.removeprefix("inputs.")]
            found = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expr)
            if found:
                return self.steps.get(found.group(1), {}).get(found.group(2), "")
            raise AssertionError(f"the simulated runner does not know the expression {expr!r}")

        return EXPRESSION.sub(one, text)

    def condition(self, text: str, inputs: Mapping[str, str]) -> bool:
        found = re.fullmatch(r"(\S+) (==|!=) '([^']*)'", text.strip())
        assert found, f"the simulated runner does not know the condition {text!r}"
        value = self.evaluate("${{ " + found.group(1) + " }}", inputs)
        return (value == found.group(3)) == (found.group(2) == "==")

    def run(self, given: Mapping[str, str]) -> tuple[int, dict[str, str], str]:
        """Run every step; return the last step's exit code, the action's outputs and the combined log."""
        spec = action()
        inputs = {name: self.evaluate(str(i.get("default", "")), {}) for name, i in spec["inputs"].items()}
        inputs.update(given)
        log, code = "", 0
        for index, step in enumerate(spec["runs"]["steps"]):
            sid = step.get("id", f"step{index}")
            if "if" in step and not self.condition(step["if"], inputs):
                continue
            self.ran.append(sid)
            if "uses" in step:
                self.steps[sid] = self.uses(step, inputs)
                continue
            code, outputs, text = self.script(step, inputs)
            self.steps[sid], log = outputs, log + text
            if code:
                break
        values = {k: self.evaluate(v["value"], inputs) for k, v in spec["outputs"].items()}
        return code, values, log

    def uses(self, step: Mapping[str, Any], inputs: Mapping[str, str]) -> dict[str, str]:
        assert step["uses"].startswith("actions/cache@")
        path = Path(self.evaluate(step["with"]["path"], inputs))
        saved = self.cache / self.evaluate(step["with"]["key"], inputs)
        self.saves = (path, saved)  # actions/cache saves in its post step, after the job's steps
        if saved.is_dir():
            shutil.copytree(saved, path, symlinks=True)
            return {"cache-hit": "true"}
        return {"cache-hit": ""}

    def post(self) -> None:
        path, saved = self.saves
        if not saved.exists():
            shutil.copytree(path, saved, symlinks=True)

    def script(self, step: Mapping[str, Any], inputs: Mapping[str, str]) -> tuple[int, dict[str, str], str]:
        assert step["shell"] == "bash"
        script = self.tmp / "step.sh"
        script.write_text(step["run"], "utf-8")
        output, summary = self.tmp / "output", self.tmp / "summary.md"
        output.write_text("", "utf-8")
        env = {
            **self.env,
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_ACTION_PATH": str(REPO),
            "RUNNER_OS": "Linux",
            "RUNNER_TEMP": str(self.tmp / "runner-temp"),
        }
        env.update({k: self.evaluate(str(v), inputs) for k, v in step.get("env", {}).items()})
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=self.tmp / "workspace",
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        return proc.returncode, parse_outputs(output.read_text("utf-8")), proc.stdout + proc.stderr


def parse_outputs(text: str) -> dict[str, str]:
    """``name=value`` lines and ``name<<DELIMITER`` blocks, as the runner reads $GITHUB_OUTPUT."""
    values: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block = []
            for inner in lines:
                if inner == delimiter:
                    break
                block.append(inner)
            values[name] = "\n".join(block)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
    return values


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("actions-cache")


def workspace(tmp_path: Path, text: str) -> None:
    (tmp_path / "workspace").mkdir()
    (tmp_path / "workspace" / "hrpolicy.yaml").write_text(text, "utf-8")
    (tmp_path / "runner-temp").mkdir()


@pytest.mark.slow
def test_the_action_installs_once_checks_publishes_and_ends_by_the_findings(
    tmp_path: Path, github: FakeGitHub, cache: Path
) -> None:
    workspace(tmp_path, manifest("markets: [{country: VN, status: launched}]"))
    env = {**os.environ, **actions_env(tmp_path, github, pull=True)}  # GITHUB_TOKEN: what github.token is

    first = Runner(tmp_path, env, cache)
    code, outputs, log = first.run({"sarif-file": "hrpolicy.sarif", "comment": "true"})
    first.post()
    assert code == 1, log
    assert TOKEN not in log
    assert "install" in first.ran
    assert outputs["conclusion"] == "failure"
    assert outputs["exit-code"] == "1"
    assert int(outputs["high"]) >= 1
    assert outputs["sarif"] == "hrpolicy.sarif"
    assert json.loads((tmp_path / "workspace" / "hrpolicy.sarif").read_text("utf-8"))["version"] == "2.1.0"
    assert "HRDD-MKT-001" in (tmp_path / "summary.md").read_text("utf-8")
    assert github.invalid == []
    created = [r for r in github.requests if r[0] == "POST" and r[1].endswith("/check-runs")]
    assert created
    assert created[0][2]["head_sha"] == "a" * 40  # the pull request's head, not the merge commit
    assert github.comments

    # A second run restores the environment from the cache and skips the install.
    shutil.rmtree(tmp_path / "runner-temp")
    (tmp_path / "runner-temp").mkdir()
    second = Runner(tmp_path, env, cache)
    code, outputs, log = second.run({"check-name": "-hrdd"})  # a value, though it starts with "-"
    assert code == 1, log
    assert github.requests[-1][2]["name"] == "-hrdd"
    assert second.steps["cache"] == {"cache-hit": "true"}
    assert "install" not in second.ran
    assert outputs["conclusion"] == "failure"


@pytest.mark.slow
def test_inputs_are_data_never_shell_code(tmp_path: Path, github: FakeGitHub, cache: Path) -> None:
    workspace(tmp_path, manifest())
    env = {**os.environ, **actions_env(tmp_path, github)}
    hostile = '$(touch pwned1)\n`touch pwned2`\n"; touch pwned3; echo "\n'
    runner = Runner(tmp_path, env, cache)
    code, _, log = runner.run({"paths": hostile, "check-name": "$(touch pwned4)", "rules": hostile})
    runner.post()
    assert code == 2, log  # the odd names are taken as (missing) paths: a usage error
    assert not list((tmp_path / "workspace").glob("pwned*"))
    assert not list(tmp_path.glob("pwned*"))


@pytest.mark.parametrize(
    "workflow", sorted((REPO / "examples" / "workflows").glob("*.yml")), ids=lambda p: p.name
)
def test_the_example_workflows_are_valid_and_documented(workflow: Path) -> None:
    text = workflow.read_text("utf-8")
    shared_schema("github-workflow.json").validate(YAML(typ="safe").load(text))
    assert text.rstrip() in (REPO / "docs" / "github-action.md").read_text("utf-8")
    assert "permissions: {}" in text  # nothing granted beyond what each job asks for

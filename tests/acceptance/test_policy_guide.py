"""docs/policy-guide.md is executable: its files are written, its commands run, and each output block is
exactly what the tool printed."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from helpers import REPO, run_cli

GUIDE = REPO / "docs" / "policy-guide.md"
BLOCK = re.compile(
    r"<!-- (file: (?P<file>\S+)|run(: exit (?P<exit>\d+))?|output) -->\n```\w*\n(?P<body>.*?)```", re.S
)


def test_the_guide_runs_as_written(tmp_path: Path) -> None:
    steps = list(BLOCK.finditer(GUIDE.read_text("utf-8")))
    assert len(steps) >= 8, "the guide lost its annotated blocks"
    last_output = ""
    ran = 0
    for step in steps:
        body = step.group("body")
        if step.group("file"):
            target = tmp_path / step.group("file")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(body, encoding="utf-8")
        elif step.group(0).startswith("<!-- run"):
            expected = int(step.group("exit") or 0)
            last_output = ""
            for line in body.strip().splitlines():
                argv = shlex.split(line)
                assert argv[0] == "hrpolicy"
                proc = run_cli(*argv[1:], cwd=tmp_path)
                assert proc.returncode == expected, f"{line}\n{proc.stdout}{proc.stderr}"
                last_output += proc.stdout + proc.stderr
                ran += 1
        else:
            # Shown exactly as the tool prints it, so the guide cannot drift from the tool.
            assert body == last_output, f"the guide shows:\n{body}--- the tool printed:\n{last_output}"
    assert ran >= 4

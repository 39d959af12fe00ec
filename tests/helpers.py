"""Shared helpers for the tests: tiny rule packs and manifests written to tmp dirs, evaluated
in-process through a real :class:`~hrpolicy.evaluate.session.Session` (plugins, compiler, engine, waivers)."""

from __future__ import annotations

import datetime
import io
import json
import os
import subprocess
import sys
import textwrap
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hrpolicy.evaluate.session import Session, SessionConfig
from hrpolicy.model import ErrorRecord, Finding, ManifestResult

TODAY = datetime.date(2026, 11, 28)
REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "acme-chat" / "hrpolicy.yaml"
HRPOLICY = Path(sys.executable).parent / "hrpolicy"
SHARED = REPO.parent / "shared" / "schemas"

Outcome = ManifestResult | list[ErrorRecord]


def rule(rule_id: str, body: str, *, severity: str = "high", meta: str = "") -> str:
    """One rule entry (for a ``rules:`` list): the required metadata plus ``meta`` and ``body`` lines."""
    head = (
        f"- id: {rule_id}\n"
        "  title: test rule\n"
        f"  severity: {severity}\n"
        "  rationale: because\n"
        '  references: [{framework: UNGP, section: "17"}]\n'
        "  remediation: do the thing\n"
    )
    extra = textwrap.dedent(meta).strip("\n") + "\n" if meta.strip() else ""
    return head + textwrap.indent(extra + textwrap.dedent(body).strip("\n") + "\n", "  ")


def rule_file(*rules: str, define: str = "") -> str:
    """A rule file holding ``rules`` and an optional ``define:`` block (given unindented)."""
    text = "language_version: 1\n"
    if define.strip():
        text += "define:\n" + textwrap.indent(textwrap.dedent(define).strip("\n") + "\n", "  ")
    if rules:
        text += "rules:\n" + "".join(textwrap.indent(r, "  ") for r in rules)
    return text


def write_pack(directory: Path, files: Mapping[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def manifest(body: str = "", *, product: str = "p") -> str:
    """A valid manifest: schema_version, a product, then ``body`` (top-level YAML, given unindented)."""
    text = f"schema_version: 1\nproduct: {{id: {product}, name: Product {product}}}\n"
    return text + (textwrap.dedent(body).strip("\n") + "\n" if body.strip() else "")


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the ``occurrence``-th line containing ``needle``."""
    hits = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(hits) >= occurrence, f"{needle!r} not found {occurrence} times"
    return hits[occurrence - 1]


def position_of(text: str, needle: str) -> tuple[int, int]:
    """1-based (line, column) of the first occurrence of ``needle`` in ``text``."""
    index = text.index(needle)
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


class Harness:
    """A rules directory plus a session over it; ``check`` writes a manifest file and evaluates it."""

    def __init__(
        self,
        root: Path,
        files: Mapping[str, str] | None = None,
        *,
        today: datetime.date = TODAY,
        plugins: Sequence[object] = (),
        rule_dirs: Sequence[Path] | None = None,
    ):
        self.root = root
        self.rules_dir = root / "rules"
        if files is not None:
            write_pack(self.rules_dir, files)
        dirs = tuple(str(d) for d in (rule_dirs if rule_dirs is not None else [self.rules_dir]))
        self.today = today
        self.session = Session(SessionConfig(rule_dirs=dirs, autoload=False), plugins)
        self._n = 0

    def write(self, text: str, name: str = "hrpolicy.yaml", *, slot: str | None = None) -> Path:
        """Write a manifest to a fresh folder, or to ``slot`` (the same path again: same fingerprints)."""
        if slot is None:
            self._n += 1
            slot = f"m{self._n}"
        folder = self.root / slot
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        path.write_text(text, encoding="utf-8")
        return path

    def outcome(self, text: str, name: str = "hrpolicy.yaml", *, slot: str | None = None) -> Outcome:
        return self.session.check(self.write(text, name, slot=slot), today=self.today)

    def check(self, text: str, name: str = "hrpolicy.yaml", *, slot: str | None = None) -> ManifestResult:
        result = self.outcome(text, name, slot=slot)
        assert isinstance(result, ManifestResult), f"expected findings, got errors: {result}"
        return result

    def errors(self, text: str, name: str = "hrpolicy.yaml", *, slot: str | None = None) -> list[ErrorRecord]:
        result = self.outcome(text, name, slot=slot)
        assert not isinstance(result, ManifestResult), f"expected errors, got {result}"
        return result

    def findings(
        self, text: str, rule_id: str | None = None, *, notices: bool = False, slot: str | None = None
    ) -> list[Finding]:
        """Findings of one manifest (of one rule), notices left out unless asked for."""
        found = self.check(text, slot=slot).findings
        return [
            f for f in found if (rule_id is None or f.rule == rule_id) and (notices or f.severity != "notice")
        ]


def messages(findings: Sequence[Finding]) -> list[str]:
    return [f.message for f in findings]


def pointers(findings: Sequence[Finding]) -> list[str]:
    return [f.location.pointer for f in findings]


def run_installed(
    *args: str,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the installed console script in a process of its own (the end-to-end tests)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("HRPOLICY_")}
    full_env.pop("NO_COLOR", None)
    full_env.update(env or {})
    return subprocess.run(
        [str(HRPOLICY), *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=stdin,
        check=False,
    )


def run_cli(
    *args: str,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``hrpolicy ARGS`` in this process, as the console script would: ``main(argv)`` in ``cwd`` with
    ``env`` over an environment without HRPOLICY_* and NO_COLOR, output captured; an unexpected exception
    becomes exit 3 with its traceback, as in :func:`hrpolicy.main.console_main`. ``timeout`` is for the
    signature's sake (in-process runs are not interrupted)."""
    from hrpolicy.main import main

    out, err = io.StringIO(), io.StringIO()
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    saved_streams = sys.stdin, sys.stdout, sys.stderr
    for key in [k for k in os.environ if k.startswith("HRPOLICY_") or k == "NO_COLOR"]:
        del os.environ[key]
    os.environ.update(env or {})
    try:
        os.chdir(cwd)
        sys.stdin, sys.stdout, sys.stderr = io.StringIO(stdin or ""), out, err
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse: usage errors, --help, --version
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        except Exception:
            traceback.print_exc(file=err)
            err.write("hrpolicy: unexpected error; please report it with the traceback above.\n")
            code = 3
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
    return subprocess.CompletedProcess(["hrpolicy", *args], code, out.getvalue(), err.getvalue())


# --- scenario checks (examples/scenarios) through the installed console script ----------------------------

SCENARIOS = REPO / "examples" / "scenarios"
SCENARIO_TODAY = "2026-11-28"


def check_json(manifest: Path, *extra: str, cwd: Path = REPO) -> tuple[int, dict[str, Any]]:
    proc = run_cli("check", str(manifest), "--today", SCENARIO_TODAY, "--format", "json", *extra, cwd=cwd)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def block_lines(text: str, block: str) -> list[tuple[int, str]]:
    """(1-based line, text without comment) of every line under the top-level ``block:`` key."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{block}:"))
    out = []
    for i in range(start + 1, len(lines)):
        line = lines[i]
        if line and not line[0].isspace() and not line.startswith("#"):
            break
        out.append((i + 1, line.split("#", 1)[0]))
    return out


def line_in_block(text: str, block: str, needle: str) -> int:
    """The first line under the top-level ``block:`` key that contains ``needle`` outside a comment."""
    for number, line in block_lines(text, block):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not found in the {block} block")


def first_line_in_block(text: str, block: str) -> int:
    """Where a finding about the whole block points: its first entry."""
    return next(number for number, line in block_lines(text, block) if line.strip())


def findings_of(report: dict[str, Any]) -> list[dict[str, Any]]:
    assert report["errors"] == []
    (result,) = report["results"]
    return list(result["findings"])


def triples(findings: list[dict[str, Any]]) -> set[tuple[str, str, int]]:
    return {(f["rule"], f["severity"], f["location"]["line"]) for f in findings}


def shared_schema(name: str) -> Any:
    """A jsonschema validator for the official schema ``../shared/schemas/NAME``, of the draft it declares;
    the calling test is skipped in a clone without the shared folder."""
    import pytest

    jsonschema = pytest.importorskip("jsonschema")
    path = SHARED / name
    if not path.is_file():
        pytest.skip(f"{path} is missing (a clone without ../shared)")
    schema = json.loads(path.read_text("utf-8"))
    return jsonschema.validators.validator_for(schema)(schema)

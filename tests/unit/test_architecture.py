"""The layout keeps its promises: data flows one way with no import cycle, commands only present what the
API computes, built-in plugins use only the public modules a third-party plugin could use, and one
output-format module serves every command that reports."""

from __future__ import annotations

import ast
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from helpers import REPO, TODAY, manifest, rule, rule_file, run_cli, write_pack

import hrpolicy
from hrpolicy.errors import UsageError
from hrpolicy.model import OutputFormat, OutputOptions, RunResult, TestRun

PACKAGE = REPO / "hrpolicy"
PLUGINS = REPO / "plugins"
#: What a plugin may import from hrpolicy: the contract and the public helpers, nothing internal.
PUBLIC_FOR_PLUGINS = {
    "hrpolicy",
    "hrpolicy.model",
    "hrpolicy.values",
    "hrpolicy.errors",
    "hrpolicy.identifiers",
    "hrpolicy.markdown",
    "hrpolicy.reports",
    "hrpolicy.load.document",
    "hrpolicy.load.yaml",
    "hrpolicy.load.jsonload",
}


def module_name(path: Path) -> str:
    if path.is_relative_to(PLUGINS):
        return "hrpolicy.plugins" + ("" if path.stem == "__init__" else f".{path.stem}")
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    found = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    found.update({module_name(p): p for p in PLUGINS.glob("*.py")})
    return found


def imports(path: Path) -> Iterator[str]:
    """Every hrpolicy module ``path`` imports, at the top or inside functions (not under TYPE_CHECKING)."""

    class Visitor(ast.NodeVisitor):
        def __init__(self) -> None:
            self.found: list[str] = []

        def visit_If(self, node: ast.If) -> None:
            if not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
                self.generic_visit(node)

        def visit_Import(self, node: ast.Import) -> None:
            self.found += [a.name for a in node.names if a.name.startswith("hrpolicy")]

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            if node.module and node.module.startswith("hrpolicy"):
                self.found += [node.module, *(f"{node.module}.{a.name}" for a in node.names)]

    visitor = Visitor()
    visitor.visit(ast.parse(path.read_text(encoding="utf-8")))
    return iter(visitor.found)


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: {m for m in imports(path) if m in known and m != name} for name, path in known.items()}


def test_there_is_no_import_cycle() -> None:
    edges = graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(name: str, stack: list[str]) -> None:
        state[name] = 1
        stack.append(name)
        for dep in sorted(edges[name]):
            if state.get(dep) == 1:
                cycles.append([*stack[stack.index(dep) :], dep])
            elif dep not in state:
                visit(dep, stack)
        stack.pop()
        state[name] = 2

    for name in sorted(edges):
        if name not in state:
            visit(name, [])
    assert cycles == []
    assert len(edges) > 40  # the walk saw the package


def test_no_command_imports_another_command() -> None:
    for name, deps in graph().items():
        if name.startswith("hrpolicy.commands."):
            assert not {d for d in deps if d.startswith("hrpolicy.commands.")}, name


def test_builtin_plugins_use_only_public_modules() -> None:
    for name, deps in graph().items():
        if name.startswith("hrpolicy.plugins."):
            assert deps <= PUBLIC_FOR_PLUGINS, (name, deps - PUBLIC_FOR_PLUGINS)


def test_nothing_imports_a_private_name_of_another_module() -> None:
    for path in [*PACKAGE.rglob("*.py"), *PLUGINS.glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("hrpolicy"):
                private = [a.name for a in node.names if a.name.startswith("_") and a.name != "__version__"]
                assert not private, (path, node.module, private)


def test_only_the_adapter_touches_the_private_libyaml_binding() -> None:
    users = [p for p in PACKAGE.rglob("*.py") if "_ruamel_yaml" in p.read_text(encoding="utf-8")]
    assert users == [PACKAGE / "load" / "libyaml.py"]


# -------------------------------------------------------------------- one format serves every command


class Tally:
    """A throwaway output format: counts, for check and for rules test, in one plugin object."""

    @staticmethod
    def write_check(result: RunResult, stream: IO[str], options: OutputOptions) -> None:
        stream.write(f"tally: {len(result.findings())} findings in {len(result.results)} manifests\n")

    @staticmethod
    def write_test(result: TestRun, stream: IO[str], options: OutputOptions) -> None:
        stream.write(f"tally: {len(result.results)} expectations, ok={result.ok}\n")

    @hrpolicy.hookimpl
    def hrpolicy_output_formats(self) -> tuple[OutputFormat, ...]:
        writers: dict[str, Any] = {"check": self.write_check, "rules-test": self.write_test}
        return (OutputFormat("tally", "counts only", writers, ".txt"),)


def test_one_format_module_serves_check_and_rules_test(tmp_path: Path) -> None:
    from hrpolicy.commands import check, rules_lint, rules_test

    pack = write_pack(
        tmp_path / "rules",
        {
            "r.yaml": rule_file(
                rule("HRDD-TST-001", "for_each: markets\nwhen: {status: {equals: launched}}\nmessage: x")
            )
        },
    )
    launched = "{schema_version: 1, product: {id: p, name: P}, markets: [{country: DE, status: launched}]}"
    planned = launched.replace("launched", "planned")
    (pack / "tests").mkdir()
    (pack / "tests" / "t.yaml").write_text(
        f"cases:\n  - {{name: fires, manifest: {launched}, expect: {{HRDD-TST-001: fail}}}}\n"
        f"  - {{name: quiet, manifest: {planned}, expect: {{HRDD-TST-001: pass}}}}\n",
        encoding="utf-8",
    )
    (tmp_path / "hrpolicy.yaml").write_text(manifest("markets: [{country: DE, status: launched}]"), "utf-8")
    out = io.StringIO()
    code = check.run(
        [str(tmp_path / "hrpolicy.yaml")],
        today=TODAY,
        rules=[str(pack)],
        formats=["tally"],
        autoload=False,
        stdout=out,
        stderr=io.StringIO(),
        plugins=[Tally()],
    )
    assert (code, out.getvalue()) == (1, "tally: 1 findings in 1 manifests\n")
    out = io.StringIO()
    code = rules_test.run(
        [str(pack)], formats=["tally"], autoload=False, stdout=out, today=TODAY, plugins=[Tally()]
    )
    assert (code, out.getvalue()) == (0, "tally: 2 expectations, ok=True\n")
    # A command reporting a kind the format does not write refuses it by name.
    out = io.StringIO()
    with pytest.raises(UsageError, match="unknown format 'tally'"):
        rules_lint.run([str(pack)], formats=["tally"], autoload=False, stdout=out, plugins=[Tally()])
    assert (
        json.loads(run_cli("rules", "lint", str(pack), "--format", "json", cwd=tmp_path).stdout)["problems"]
        == []
    )

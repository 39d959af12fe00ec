"""Generated docs stay true, and the README's set-up commands are the ones CI runs."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

from hrpolicy.evaluate.session import Session

ROOT = Path(__file__).resolve().parents[2]


def test_hook_reference_is_current() -> None:
    render = runpy.run_path(str(ROOT / "scripts" / "gen_hook_docs.py"))["render"]
    committed = (ROOT / "docs" / "hooks.md").read_text("utf-8")
    assert committed == render(), "docs/hooks.md is stale: run python scripts/gen_hook_docs.py"


def test_every_hook_is_documented() -> None:
    from hrpolicy import hookspecs

    text = (ROOT / "docs" / "hooks.md").read_text("utf-8")
    hooks = [n for n in dir(hookspecs) if n.startswith("hrpolicy_")]
    assert len(hooks) >= 6
    for name in hooks:
        assert f"## `{name}(" in text


def setup_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", section, re.S)]


def test_readme_has_exactly_two_setup_commands() -> None:
    commands = setup_commands()
    assert len(commands) == 2
    assert all("\n" not in c for c in commands), "each set-up command is one line"
    run, test = commands
    assert "hrpolicy check examples/acme-chat/hrpolicy.yaml --today " in run  # the description stays true
    assert "pytest" in test


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert setup_commands()[1] in ci.splitlines()


def test_the_module_map_lists_every_module() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("### Module map", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    modules = [p.relative_to(ROOT / "hrpolicy") for p in (ROOT / "hrpolicy").rglob("*.py")]
    modules += [Path("plugins") / p.name for p in (ROOT / "plugins").glob("*.py")]
    for module in modules:
        if module.name == "__init__.py":
            continue
        folder = module.parent.as_posix()
        listed = [
            row
            for row in rows
            if f"`{module.name}`" in row or f"/{module.name}`" in row
            if folder == "." or row.strip().startswith(f"`{folder}/")
        ]
        assert listed, f"{module} is missing from the README's module map"


def test_the_country_data_page_lists_every_scope_word_as_shipped(builtin_session: Session) -> None:
    text = (ROOT / "docs" / "country-data.md").read_text("utf-8")
    for word, spec in builtin_session.countries.scope_words.items():
        reached = "; ".join(f"{k}: {', '.join(v)}" for k, v in spec["reached_by"].items())
        assert f"| `{word}` | {spec['description']} | {reached} |" in text, word


def test_the_rules_schema_and_the_rule_language_list_every_country_fact() -> None:
    import json

    facts = json.loads((ROOT / "hrpolicy" / "schemas" / "country-data.schema.json").read_text("utf-8"))
    names = list(facts["$defs"]["facts"]["properties"])
    rules_schema = (ROOT / "hrpolicy" / "schemas" / "rules.schema.json").read_text("utf-8")
    language = (ROOT / "docs" / "rule-language.md").read_text("utf-8")
    row = next(line for line in language.splitlines() if line.startswith("| `$country` |"))
    assert f"$country.NAME: {', '.join(names)}" in rules_schema
    for name in names:
        assert f"`{name}`" in row, name


def test_the_rules_schema_says_values_may_be_computed_per_item() -> None:
    import json

    schema = json.loads((ROOT / "hrpolicy" / "schemas" / "rules.schema.json").read_text("utf-8"))
    values = schema["properties"]["define"]["properties"]["values"]["description"]
    assert "once per item when they use $item or $country" in values

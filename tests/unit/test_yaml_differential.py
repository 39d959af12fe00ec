"""hrpolicy's YAML loader against ruamel.yaml's safe loader: the same data for every YAML file in the
repository and for a generated corpus in every scalar and collection style, apart from the deliberate,
documented differences (each pinned by a test below):

* dates stay text (``2026-01-01`` is a string: rules compare dates as ISO text or through ``as_date``);
* YAML 1.1 leftovers ruamel still resolves are text: ``1_000``, ``0b11``;
* ``<<`` is an ordinary key, not a merge (merge keys are YAML 1.1);
* mapping keys are always their source text (``2026:`` gives "2026");
* only the standard tags exist; duplicate keys and multi-document streams are errors.
"""

from __future__ import annotations

import datetime
import io
import random
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)

from hrpolicy.load.libyaml import SUPPORTED
from hrpolicy.load.yaml import load_yaml

REPO = Path(__file__).resolve().parents[2]


def reference(text: str) -> Any:
    """ruamel.yaml's safe loader (YAML 1.2 resolution, over the same libyaml parser: what is compared is
    how events become data), with dates turned back into the text they were written as."""
    return _dates_as_text(YAML(typ="safe", pure=False).load(text))


def _dates_as_text(value: Any) -> Any:
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _dates_as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates_as_text(v) for v in value]
    return value


def repository_yaml() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "*.yaml", "*.yml"], cwd=REPO, capture_output=True, text=True, check=False
    )
    if listed.returncode != 0:  # not a git checkout (an sdist): every YAML file outside virtualenvs
        return sorted(p for p in REPO.rglob("*.y*ml") if ".venv" not in p.parts)
    return sorted(REPO / line for line in listed.stdout.splitlines())


FILES = repository_yaml()


def test_the_repository_has_yaml_files_to_compare() -> None:
    assert len(FILES) >= 20
    assert any(p.name == "country_risk.yaml" for p in FILES)
    assert any(p.parent.name == "tests" for p in FILES)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_yaml_file_of_the_repository_loads_as_ruamel_loads_it(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    ours = load_yaml(text, str(path)).data
    assert all(isinstance(k, str) for k in _keys(ours))
    assert ours == reference(text)


def _keys(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [*value, *(k for v in value.values() for k in _keys(v))]
    if isinstance(value, list):
        return [k for v in value for k in _keys(v)]
    return []


# ------------------------------------------------------------------------------------ generated corpus

WORDS = [
    "no",
    "NO",
    "yes",
    "on",
    "off",
    "y",
    "n",
    "null",
    "Null",
    "~",
    "true",
    "False",
    "TRUE",
    "0o17",
    "0x1f",
    "1e3",
    "-.5",
    "+12",
    "12",
    "007",
    ".inf",
    "-.INF",
    "1.",
    "2026-01-01",
    "1_000",
    "0b11",
    "=",
    "<<",
    "a: b",
    "- x",
    "# not a comment",
    "  padded  ",
    "",
    " ",
    "tab\there",
    "line\nbreak",
    "trailing\n",
    "two\n\nparas\n",
    "quote ' and \"",
    "back\\slash",
    "ünïcödé",
    "emoji 😀",
    "日本語",
    "@at",
    "`tick",
    "!bang",
    "%pct",
    "&amp",
    "*star",
    "{brace",
    "[bracket",
    "|pipe",
    ">gt",
    "key?",
    "vault://hria/vn-2026",
    "https://example.org/t?a=b#c",
    "HRDD-MKT-001",
    "x" * 300,
]
KEYS = ["id", "country", "a b", "ä", "with/slash", "with~tilde", "x-ext", "1", "2026", "scope.markets", "-"]


def _leaf(rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.55:
        text = rng.choice(WORDS)
        style = rng.choice([str, str, DoubleQuotedScalarString, SingleQuotedScalarString, LiteralScalarString,
                            FoldedScalarString])  # fmt: skip
        if style in (LiteralScalarString, FoldedScalarString) and (
            not text.strip() or text != text.strip("\n") + "\n" * text.endswith("\n") or "\t" in text
        ):
            style = DoubleQuotedScalarString
        return style(text) if text or style is str else text
    if roll < 0.7:
        return rng.choice([0, 1, -7, 42, 10**20, -(10**12)])
    if roll < 0.8:
        return rng.choice([0.5, -2.25, 1e-7, 3.0, float("inf")])
    if roll < 0.9:
        return rng.choice([True, False])
    return None


def _value(rng: random.Random, depth: int, shared: list[Any]) -> Any:
    if depth > 4 or rng.random() < 0.35:
        return _leaf(rng)
    if shared and rng.random() < 0.08:
        return rng.choice(shared)  # the same object twice: an anchor and an alias
    if rng.random() < 0.5:
        made: Any = {
            rng.choice(KEYS) + str(i): _value(rng, depth + 1, shared) for i in range(rng.randint(0, 5))
        }
    else:
        made = [_value(rng, depth + 1, shared) for _ in range(rng.randint(0, 5))]
    if made:
        shared.append(made)
    return made


def _dump(data: Any, rng: random.Random) -> str:
    yaml = YAML(typ="rt")
    yaml.default_flow_style = rng.choice([False, True, None])
    yaml.width = rng.choice([40, 80, 4096])
    mapping, sequence, offset = rng.choice([(2, 2, 0), (2, 4, 2), (4, 4, 2), (4, 6, 4)])
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    yaml.explicit_start = rng.random() < 0.3
    yaml.allow_unicode = rng.random() < 0.7
    out = io.StringIO()
    yaml.dump(data, out)
    text = out.getvalue()
    if rng.random() < 0.3:  # comments where YAML allows them
        text = (
            "# a comment\n" + text.replace("\n", "  # trailing\n", 1)
            if not text.startswith("--- |")
            else text
        )
    return text


@pytest.mark.parametrize("seed", range(0, 400, 50))
def test_a_generated_corpus_loads_as_ruamel_loads_it(seed: int) -> None:
    compared = 0
    for n in range(seed, seed + 50):
        rng = random.Random(n)
        data = {"root": _value(rng, 0, [])}
        text = _dump(data, rng)
        try:
            expected = reference(text)
        except (
            Exception
        ):  # libyaml refuses what ruamel wrote (YAML 1.2-only plain scalars): nothing to compare
            continue
        assert load_yaml(text, f"corpus-{n}.yaml").data == expected, text
        compared += 1
    assert compared >= 40  # the corpus is compared, not skipped


# -------------------------------------------------------------------------------- deliberate differences


@pytest.mark.parametrize(
    ("text", "ours", "ruamels"),
    [
        ("d: 2026-01-01", {"d": "2026-01-01"}, {"d": datetime.date(2026, 1, 1)}),
        ("n: 1_000", {"n": "1_000"}, {"n": 1000}),
        ("n: 0b11", {"n": "0b11"}, {"n": 3}),
        ("2026: x", {"2026": "x"}, {2026: "x"}),
        ("true: x", {"true": "x"}, {True: "x"}),
        ("a: {<<: {x: 1}}", {"a": {"<<": {"x": 1}}}, {"a": {"x": 1}}),
    ],
)
def test_deliberate_differences(text: str, ours: Any, ruamels: Any) -> None:
    assert load_yaml(text, "d.yaml").data == ours
    assert YAML(typ="safe", pure=True).load(text) == ruamels


def test_installed_ruamel_is_within_the_supported_range() -> None:
    import importlib.metadata

    from packaging.version import Version

    for dist, low, high in SUPPORTED:
        installed = Version(importlib.metadata.version(dist))
        assert Version(low) <= installed < Version(high), (dist, installed)


def test_the_pin_in_pyproject_matches_the_supported_range() -> None:
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    for dist, low, high in SUPPORTED:
        assert f'"{dist}>={low},<{high}"' in text, dist

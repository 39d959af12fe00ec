"""The plugin system (hrpolicy/pluginmanager.py, hookspecs.py): built-ins registered like third-party
plugins, inline plugin objects, hook validation, entry-point discovery and its cache."""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import TODAY, Harness, manifest, rule, rule_file, run_installed, write_pack

import hrpolicy
from hrpolicy import hookspecs, pluginmanager
from hrpolicy.commands import check
from hrpolicy.errors import PluginError
from hrpolicy.model import Operator, OutputFormat
from hrpolicy.pluginmanager import BUILTIN_PLUGINS, Plugins, entry_points, get_plugin_manager

HOOKS = sorted(
    name for name, _ in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("hrpolicy_")
)


def test_builtin_plugins_are_registered_by_name() -> None:
    pm = get_plugin_manager(autoload=False)
    for name in BUILTIN_PLUGINS:
        assert pm.get_plugin(name) is importlib.import_module(name)
    assert {pm.get_name(p) for p in pm.get_plugins()} == set(BUILTIN_PLUGINS)
    assert all(name.startswith("hrpolicy.plugins.") for name in BUILTIN_PLUGINS)


def test_every_hook_is_implemented_by_a_builtin() -> None:
    pm = get_plugin_manager(autoload=False)
    assert (
        sorted(
            [
                "hrpolicy_condition_operators",
                "hrpolicy_country_data_files",
                "hrpolicy_country_fact_names",
                "hrpolicy_country_facts",
                "hrpolicy_manifest_loaders",
                "hrpolicy_output_formats",
                "hrpolicy_rule_dirs",
            ]
        )
        == HOOKS
    )
    implemented = {name for name in HOOKS if getattr(pm.hook, name).get_hookimpls()}
    # country facts are derived from the data files; the hooks are for third parties
    assert implemented == set(HOOKS) - {"hrpolicy_country_facts", "hrpolicy_country_fact_names"}


def test_builtin_capabilities_through_the_hooks() -> None:
    plugins = Plugins(get_plugin_manager(autoload=False))
    assert {".yaml", ".yml", ".json"} <= set(plugins.manifest_loaders())
    assert {"equals", "matches", "not_older_than_days"} <= set(plugins.operators())
    assert {"text", "json"} <= set(plugins.output_formats())
    assert [p.name for p in plugins.country_data_files()] == [
        "freedom_in_the_world_2026.yaml",
        "country_risk.yaml",
    ]
    assert [p.name for p in plugins.rule_dirs()] == ["rules"]
    assert (plugins.rule_dirs()[0] / "mkt.yaml").is_file()


class WatchPlugin:
    """An operator (``ends_with``) and a country fact (``watch``), as a third party would add them."""

    @hrpolicy.hookimpl
    def hrpolicy_condition_operators(self) -> list[Operator]:
        def ends_with(value: Any, arg: Any, ctx: Any) -> bool:
            return isinstance(value, str) and isinstance(arg, str) and value.endswith(arg)

        return [Operator("ends_with", ends_with, "text ends with the argument")]

    @hrpolicy.hookimpl
    def hrpolicy_country_facts(self, country: str, facts: Any) -> dict[str, Any] | None:
        if not country:
            return None
        return {"watch": country in ("VN", "TR"), "tier_seen": facts["tier"]}


PACK = rule_file(
    rule(
        "HRDD-TST-001",
        "for_each: markets\nwhen:\n  country: {ends_with: N}\n  $country.watch: {equals: true}\n"
        "message: '{item.country} watched ({country.tier_seen})'",
    )
)
MARKETS = (
    "markets:\n  - {country: VN, status: planned}\n  - {country: CN, status: planned}\n"
    "  - {country: TR, status: planned}\n  - {country: DE, status: planned}\n"
)


def test_inline_plugin_adds_an_operator_and_a_country_fact(tmp_path: Path) -> None:
    h = Harness(tmp_path, {"t.yaml": PACK}, plugins=[WatchPlugin()])
    found = h.findings(manifest(MARKETS))
    # VN ends with N and is watched; CN ends with N but is not watched; TR is watched but ends with R
    assert [f.message for f in found] == ["VN watched (high)"]


def test_without_the_plugin_the_rule_does_not_compile(tmp_path: Path) -> None:
    from hrpolicy.errors import RuleError

    with pytest.raises(RuleError, match="unknown operator 'ends_with'"):
        Harness(tmp_path, {"t.yaml": PACK})


@pytest.mark.parametrize("jobs", [1, 2])
def test_inline_plugin_through_check_run(tmp_path: Path, jobs: int) -> None:
    rules = write_pack(tmp_path / "rules", {"t.yaml": PACK})
    paths = []
    for i in range(6):
        path = tmp_path / f"m{i}" / "hrpolicy.yaml"
        path.parent.mkdir()
        path.write_text(manifest(MARKETS, product=f"p{i}"), encoding="utf-8")
        paths.append(str(path))
    out, err = io.StringIO(), io.StringIO()
    code = check.run(
        paths,
        rules=[str(rules)],
        formats=["json"],
        today=TODAY,
        autoload=False,
        jobs=jobs,
        stdout=out,
        stderr=err,
        plugins=[WatchPlugin()],
    )
    report = json.loads(out.getvalue())
    assert err.getvalue() == ""
    assert [[f["message"] for f in r["findings"]] for r in report["results"]] == [["VN watched (high)"]] * 6
    assert code == 1


def test_misspelled_hook_is_a_plugin_error() -> None:
    class Typo:
        @hrpolicy.hookimpl
        def hrpolicy_condition_operatorz(self) -> list[Operator]:
            return []

    with pytest.raises(PluginError, match="hrpolicy_condition_operatorz"):
        get_plugin_manager(autoload=False, plugins=[Typo()])


def test_hook_with_an_unknown_argument_is_a_plugin_error() -> None:
    class BadArgs:
        @hrpolicy.hookimpl
        def hrpolicy_country_facts(self, country: str, facts: Any, extra: Any) -> None:
            return None

    with pytest.raises(PluginError, match="extra") as info:
        get_plugin_manager(autoload=False, plugins=[BadArgs()])
    assert "\n" not in str(info.value)


def test_misspelled_hook_in_an_entry_point_plugin_is_one_line(plugin_path: Path) -> None:
    make_plugin_dir(plugin_path)
    (plugin_path / "fakeplug_mod.py").write_text(
        "from hrpolicy import hookimpl\n\n@hookimpl\ndef hrpolicy_country_facts(country, facts, extra):\n"
        "    return None\n",
        encoding="utf-8",
    )
    with pytest.raises(PluginError, match="plugin 'fake': cannot be registered") as info:
        get_plugin_manager()
    assert "\n" not in str(info.value)


def test_duplicate_operator_name_is_a_plugin_error(tmp_path: Path) -> None:
    class Shadow:
        @hrpolicy.hookimpl
        def hrpolicy_condition_operators(self) -> list[Operator]:
            return [Operator("equals", lambda v, a, c: True, "always true")]

    with pytest.raises(PluginError, match="operator 'equals' is registered twice"):
        Harness(tmp_path, {"t.yaml": PACK}, plugins=[Shadow()])


def test_duplicate_output_format_is_a_plugin_error() -> None:
    class Shadow:
        @hrpolicy.hookimpl
        def hrpolicy_output_formats(self) -> list[OutputFormat]:
            return [OutputFormat("json", "mine", {"check": lambda r, s, o: None})]

    with pytest.raises(PluginError, match="output format 'json' is registered twice"):
        Plugins(get_plugin_manager(autoload=False, plugins=[Shadow()])).output_formats()


# ---------------------------------------------------------------------------------------- entry points

FAKE_MODULE = """\
from hrpolicy import hookimpl
from hrpolicy.model import OutputFormat


def _write(result, stream, options):
    stream.write("fake report: %d manifests\\n" % len(result.results))


@hookimpl
def hrpolicy_output_formats():
    return (OutputFormat("fake", "a format from an entry-point plugin", {"check": _write}),)
"""


def make_plugin_dir(root: Path, *, dist_info: bool = True) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "fakeplug_mod.py").write_text(FAKE_MODULE, encoding="utf-8")
    if dist_info:
        add_dist_info(root)
    return root


def add_dist_info(root: Path) -> None:
    info = root / "fakeplug-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fakeplug\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text("[hrpolicy]\nfake = fakeplug_mod\n", encoding="utf-8")


@pytest.fixture
def plugin_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A directory on sys.path for fake distributions, and a private entry-point cache."""
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("HRPOLICY_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    monkeypatch.delenv("HRPOLICY_NO_CACHE", raising=False)
    yield root
    sys.modules.pop("fakeplug_mod", None)


def test_entry_point_plugin_is_loaded(plugin_path: Path) -> None:
    make_plugin_dir(plugin_path)
    pm = get_plugin_manager()
    assert pm.has_plugin("fake")
    assert "fake" in Plugins(pm).output_formats()


def test_entry_point_plugins_can_be_turned_off(plugin_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_plugin_dir(plugin_path)
    assert not get_plugin_manager(autoload=False).has_plugin("fake")
    monkeypatch.setenv("HRPOLICY_DISABLE_PLUGIN_AUTOLOAD", "1")
    assert not get_plugin_manager().has_plugin("fake")


def test_broken_entry_point_plugin_is_a_plugin_error(plugin_path: Path) -> None:
    make_plugin_dir(plugin_path)
    (plugin_path / "fakeplug_mod.py").write_text("raise RuntimeError('boom')\n", encoding="utf-8")
    with pytest.raises(PluginError, match=r"plugin 'fake': cannot be loaded.*RuntimeError: boom"):
        get_plugin_manager()


def test_entry_point_cache_is_used_and_invalidated(
    plugin_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_plugin_dir(plugin_path, dist_info=False)
    assert ("fake", "fakeplug_mod") not in entry_points()
    cache_files = list((plugin_path.parent / "cache" / "hrpolicy").glob("entry-points-hrpolicy-*.json"))
    assert len(cache_files) == 1

    # The second lookup in an unchanged environment comes from the cache, without scanning distributions.
    real = importlib.metadata.entry_points

    def no_scan(**kwargs: Any) -> Any:
        raise AssertionError("scanned installed distributions although the cache is current")

    monkeypatch.setattr(importlib.metadata, "entry_points", no_scan)
    assert ("fake", "fakeplug_mod") not in entry_points()

    # Installing a distribution changes the environment key: the cache is not trusted any more.
    monkeypatch.setattr(importlib.metadata, "entry_points", real)
    add_dist_info(plugin_path)
    assert ("fake", "fakeplug_mod") in entry_points()
    assert get_plugin_manager().has_plugin("fake")
    assert ["fake", "fakeplug_mod"] in json.loads(cache_files[0].read_text("utf-8"))["entry_points"]


def test_unreadable_cache_only_costs_speed(plugin_path: Path) -> None:
    make_plugin_dir(plugin_path)
    assert ("fake", "fakeplug_mod") in entry_points()
    (cache,) = (plugin_path.parent / "cache" / "hrpolicy").glob("entry-points-hrpolicy-*.json")
    cache.write_text("{not json", encoding="utf-8")
    assert ("fake", "fakeplug_mod") in entry_points()
    cache.write_text(
        json.dumps({"key": pluginmanager._environment_key(), "entry_points": 5}), encoding="utf-8"
    )
    assert ("fake", "fakeplug_mod") in entry_points()


def test_entry_point_plugin_in_the_console_script(tmp_path: Path) -> None:
    site = make_plugin_dir(tmp_path / "site")
    (tmp_path / "hrpolicy.yaml").write_text(manifest(), encoding="utf-8")
    env = {"PYTHONPATH": str(site), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    args = ("check", "hrpolicy.yaml", "--today", TODAY.isoformat(), "--format", "fake")

    loaded = run_installed(*args, cwd=tmp_path, env=env)
    assert (loaded.returncode, loaded.stdout, loaded.stderr) == (0, "fake report: 1 manifests\n", "")

    for extra_env, extra_args in (({}, ("--no-plugins",)), ({"HRPOLICY_DISABLE_PLUGIN_AUTOLOAD": "1"}, ())):
        off = run_installed(*args, *extra_args, cwd=tmp_path, env={**env, **extra_env})
        assert off.returncode == 2
        assert off.stdout == ""
        available = "github, json, junit, markdown, sarif, text"
        assert off.stderr.strip() == f"hrpolicy: error: unknown format 'fake' (available: {available})"


def test_a_module_plugin_is_read_exactly_as_pluggy_reads_it() -> None:
    import types

    import pluggy

    class Holder:
        @hrpolicy.hookimpl
        def hrpolicy_rule_dirs(self) -> list[str]:
            return []

    synthetic = types.ModuleType("synthetic_plugin")
    synthetic.__dict__.update(
        marked=hrpolicy.hookimpl(lambda: None),
        marked_with_options=hrpolicy.hookimpl(tryfirst=True)(lambda: None),
        plain=lambda: None,
        not_a_dict=lambda: None,
        static=staticmethod(hrpolicy.hookimpl(lambda: None)),
        klass=classmethod(hrpolicy.hookimpl(lambda cls: None)),
        bound=Holder().hrpolicy_rule_dirs,
        a_class=Holder,
        a_number=3,
        a_builtin=len,
        a_module=json,
    )
    synthetic.not_a_dict.hrpolicy_impl = "yes"
    ours = get_plugin_manager(autoload=False)
    theirs = pluggy.PluginManager("hrpolicy")
    assert type(ours) is not pluggy.PluginManager  # the faster reading is in use
    modules = [synthetic, *(importlib.import_module(name) for name in BUILTIN_PLUGINS)]
    for module in modules:
        for name in [*dir(module), "absent"]:
            expected = theirs.parse_hookimpl_opts(module, name)
            assert ours.parse_hookimpl_opts(module, name) == expected, (module.__name__, name)
    found = {n for n in dir(synthetic) if ours.parse_hookimpl_opts(synthetic, n) is not None}
    assert found == {"marked", "marked_with_options", "static", "klass", "bound"}

"""Builds the pluggy plugin manager (in a function: nothing happens at import) and wraps its hooks.

Built-in plugins are the modules in :data:`BUILTIN_PLUGINS`; third-party plugins come from the
``hrpolicy`` entry-point group. Both are imported and registered the same way. ``--no-plugins`` or the
environment variable ``HRPOLICY_DISABLE_PLUGIN_AUTOLOAD=1`` skip the entry points.

Entry-point discovery through ``importlib.metadata`` scans every installed distribution, which costs a
pre-commit hook tens of milliseconds per commit. The list found for this group is cached per Python
environment, keyed by the names and modification times of the ``*.dist-info`` directories on
``sys.path``; any install or uninstall changes the key. ``HRPOLICY_NO_CACHE=1`` turns the cache off.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
import types
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pluggy

from hrpolicy import hookspecs
from hrpolicy.errors import PluginError
from hrpolicy.files import sha256, write_atomic
from hrpolicy.load.cache import cache_dir
from hrpolicy.model import ManifestLoader, Operator, OutputFormat

GROUP = "hrpolicy"
DISABLE_ENV = "HRPOLICY_DISABLE_PLUGIN_AUTOLOAD"

#: First-party plugins, registered in this order before any third-party plugin.
BUILTIN_PLUGINS: tuple[str, ...] = (
    "hrpolicy.plugins.loaders",
    "hrpolicy.plugins.operators",
    "hrpolicy.plugins.countries",
    "hrpolicy.plugins.rulepack",
    "hrpolicy.plugins.output_text",
    "hrpolicy.plugins.output_json",
    "hrpolicy.plugins.output_junit",
    "hrpolicy.plugins.output_sarif",
    "hrpolicy.plugins.output_github",
    "hrpolicy.plugins.output_markdown",
)


def get_plugin_manager(*, autoload: bool = True, plugins: Iterable[object] = ()) -> pluggy.PluginManager:
    """A fresh manager with the built-ins, entry-point plugins (unless disabled) and ``plugins`` registered.

    ``plugins`` are extra plugin objects (modules, instances) registered last, as tests and embedding
    applications do. Raises :class:`UsageError` when a plugin cannot be imported or implements a hook
    that does not exist (a misspelled hook must fail loudly, not be ignored).
    """
    pm = _Manager(GROUP)
    pm.add_hookspecs(hookspecs)
    for name in BUILTIN_PLUGINS:
        _register(pm, name, name)
    if autoload and not _truthy(os.environ.get(DISABLE_ENV)):
        for ep_name, target in entry_points():
            if pm.is_blocked(ep_name) or pm.has_plugin(ep_name):
                continue
            _register(pm, target, ep_name)
    for plugin in plugins:
        try:
            pm.register(plugin)
        except (ValueError, pluggy.PluginValidationError) as exc:
            raise PluginError(pm.get_canonical_name(plugin), f"cannot be registered: {exc}") from exc
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        name = pm.get_name(exc.plugin) or repr(exc.plugin)
        raise PluginError(name, f"implements a hook that does not exist: {exc}") from exc
    return pm


class _Manager(pluggy.PluginManager):
    """pluggy's manager, quicker to register a module: pluggy looks up every name of the module with
    ``inspect.getattr_static``, about 8 µs each, which for the built-in plugins' 255 names is 2 ms of every
    run. A module's plain functions (nearly all its hookable names) are decided here, from the module's
    ``__dict__``, exactly as pluggy decides them; anything else hookable is left to pluggy."""

    def parse_hookimpl_opts(self, plugin: Any, name: str) -> Any:
        if isinstance(plugin, types.ModuleType):
            value = vars(plugin).get(name)
            if isinstance(value, types.FunctionType):
                opts = getattr(value, self.project_name + "_impl", None)
                return opts if isinstance(opts, dict) else None
            if not isinstance(value, (staticmethod, classmethod, types.MethodType)):
                return None  # not hookable
        return super().parse_hookimpl_opts(plugin, name)


def _truthy(value: str | None) -> bool:
    """An environment switch: 1, true, yes or on (any case) turn it on; 0, false, no, off and empty do not."""
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _register(pm: pluggy.PluginManager, target: str, name: str) -> None:
    module_name, _, attr = target.partition(":")
    try:
        plugin: Any = importlib.import_module(module_name)
        for part in filter(None, attr.split(".")):
            plugin = getattr(plugin, part)
    except (
        Exception,
        SystemExit,
    ) as exc:  # SystemExit too: a plugin must never end the run, let alone pass it
        raise PluginError(name, f"cannot be loaded from {target}: {type(exc).__name__}: {exc}") from exc
    try:
        pm.register(plugin, name)
    except (ValueError, pluggy.PluginValidationError) as exc:
        raise PluginError(name, f"cannot be registered: {exc}") from exc


def entry_points(group: str = GROUP) -> list[tuple[str, str]]:
    """``(name, "module:attr")`` pairs of the entry-point group, from the cache when it is current."""
    key = _environment_key()
    cache = _cache_file(group)
    if key is not None and cache is not None:
        try:
            cached = json.loads(cache.read_text("utf-8"))
            if cached.get("key") == key:
                return [(str(n), str(v)) for n, v in cached["entry_points"]]
        except Exception:
            pass
    import importlib.metadata

    found = sorted((ep.name, ep.value) for ep in importlib.metadata.entry_points(group=group))
    if key is not None and cache is not None:
        with contextlib.suppress(OSError):
            write_atomic(cache, json.dumps({"key": key, "entry_points": found}).encode(), private=True)
    return found


def _environment_key() -> str | None:
    digest = sha256(sys.prefix.encode())
    for entry in sys.path:
        try:
            with os.scandir(entry or ".") as it:
                for de in it:
                    if de.name.endswith((".dist-info", ".egg-info", ".egg-link", ".pth")):
                        digest.update(f"{entry}/{de.name}:{de.stat().st_mtime_ns}\n".encode())
        except OSError:
            continue
    return digest.hexdigest()


def _cache_file(group: str) -> Path | None:
    folder = cache_dir()
    env_id = sha256(sys.prefix.encode()).hexdigest()[:16]
    return None if folder is None else folder / f"entry-points-{group}-{env_id}.json"


class Plugins:
    """Typed access to the hooks. The rest of hrpolicy calls these methods, never ``pm.hook`` directly."""

    def __init__(self, pm: pluggy.PluginManager):
        self.pm = pm

    def _flatten(self, results: Iterable[Sequence[Any] | None]) -> list[Any]:
        # pluggy returns last-registered first; reverse so built-ins come first and plugins override.
        return [item for result in reversed(list(results)) for item in (result or ())]

    def manifest_loaders(self) -> dict[str, ManifestLoader]:
        by_suffix: dict[str, ManifestLoader] = {}
        for loader in self._flatten(self.pm.hook.hrpolicy_manifest_loaders()):
            for suffix in loader.suffixes:
                by_suffix[suffix.lower()] = loader
        return by_suffix

    def operators(self) -> dict[str, Operator]:
        return _unique("operator", self._flatten(self.pm.hook.hrpolicy_condition_operators()))

    def output_formats(self, kind: str | None = None) -> dict[str, OutputFormat]:
        """The registered formats by name; with ``kind``, only those that write that kind of result."""
        formats = _unique("output format", self._flatten(self.pm.hook.hrpolicy_output_formats()))
        return {name: f for name, f in formats.items() if kind is None or kind in f.writers}

    def country_data_files(self) -> list[Path]:
        return [Path(p) for p in self._flatten(self.pm.hook.hrpolicy_country_data_files())]

    def country_facts(self, country: str, facts: Mapping[str, Any]) -> dict[str, Any]:
        merged = dict(facts)
        for extra in reversed(self.pm.hook.hrpolicy_country_facts(country=country, facts=facts)):
            if extra:
                merged.update(extra)
        return merged

    def country_fact_names(self) -> list[str]:
        return [str(n) for n in self._flatten(self.pm.hook.hrpolicy_country_fact_names())]

    def rule_dirs(self) -> list[Path]:
        return [Path(p) for p in self._flatten(self.pm.hook.hrpolicy_rule_dirs())]


def _unique(kind: str, items: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        if item.name in out:
            raise PluginError(str(item.name), f"the {kind} {item.name!r} is registered twice")
        out[item.name] = item
    return out

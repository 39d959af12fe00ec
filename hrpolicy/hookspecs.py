"""THE plugin contract of hrpolicy: every hook a plugin can implement.

A plugin is a module (or object) with functions marked ``@hrpolicy.hookimpl`` whose names are the hooks
below. Third-party plugins register through the ``hrpolicy`` entry-point group::

    [project.entry-points.hrpolicy]
    acme = "acme_hrpolicy.plugin"

The built-in capabilities (YAML/JSON loading, operators, country data, the default rule pack, output
formats) are plugins in ``hrpolicy.plugins`` registered exactly the same way, so anything they do a
third-party plugin can do too. Hooks are called through :class:`hrpolicy.pluginmanager.Plugins`, never
directly. pluggy calls implementations last-registered-first: built-ins are registered first, so plugins
override them where a hook merges results.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from hrpolicy.model import ManifestLoader, Operator, OutputFormat

hookspec = pluggy.HookspecMarker("hrpolicy")


@hookspec
def hrpolicy_manifest_loaders() -> Sequence[ManifestLoader]:
    """Return loaders for manifest file types.

    Called once per run, before the first manifest is read. Each :class:`~hrpolicy.model.ManifestLoader`
    names the file suffixes it handles (``(".yaml", ".yml")``) and a function turning bytes into a
    :class:`~hrpolicy.load.document.Document` (plain data plus 1-based line marks per JSON pointer). A
    loader must raise :class:`~hrpolicy.errors.ManifestError` for bad input and never execute anything
    from it.
    When two loaders claim a suffix, the one registered last wins.

    :returns: loaders; an empty sequence is fine.
    """
    raise NotImplementedError


@hookspec
def hrpolicy_condition_operators() -> Sequence[Operator]:
    """Return condition operators usable in rules (``status: {equals: approved}``).

    Called once per run, before rules are compiled. Operator names must be unique across plugins: a
    duplicate name is a plugin error, so a plugin cannot silently change what a built-in operator means.

    :returns: :class:`~hrpolicy.model.Operator` objects.
    """
    raise NotImplementedError


@hookspec
def hrpolicy_country_data_files() -> Sequence[Path]:
    """Return country data files (YAML, shape of ``hrpolicy schema country-data``) to merge.

    Called once per run. The built-in plugin returns the embedded data (Freedom in the World 2026, then
    Freedom on the Net 2025 with the localisation laws and scopes); files returned by later-registered
    plugins are merged over it, and a ``country-data.yaml`` in a rules directory is merged over all of them
    (per source, per scope word, per country, per field).

    :returns: paths of readable YAML files.
    """
    raise NotImplementedError


@hookspec
def hrpolicy_country_facts(country: str, facts: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """Add or change facts about one country, as rules see them through ``$country``.

    Called at most once per country code per run, when a rule first needs that country, with the facts
    derived from the merged data files (``code``, ``name``, ``tier``, ``risk``, ``max_age_days``,
    ``source``, ``rating``, ``localisation``, ``groups``, ...). Every non-None result is merged into the
    facts, built-ins first.

    :param country: ISO 3166-1 alpha-2 code.
    :param facts: the facts so far (read-only).
    :returns: facts to add or override, or ``None``.
    """
    raise NotImplementedError


@hookspec
def hrpolicy_country_fact_names() -> Sequence[str]:
    """Return the names of the facts this plugin adds through :func:`hrpolicy_country_facts`.

    Called when a rule pack is linted, so that ``rules lint`` accepts ``$country.NAME`` for them (and
    reports a misspelt name anywhere else). The built-in facts are documented in the country-data
    schema and need no declaring.

    :returns: fact names.
    """
    raise NotImplementedError


@hookspec
def hrpolicy_rule_dirs() -> Sequence[Path]:
    """Return directories holding rule packs (``*.yaml`` rule files, optional ``country-data.yaml`` and
    ``waivers.yaml``).

    Called once per run unless ``--rules`` is given, which replaces every pack from this hook (or adds to
    them, when a ``pack.yaml`` in a ``--rules`` directory says ``extends: [builtin]``). The built-in plugin
    returns the default HRDD pack; an installable rule pack returns its own directory.

    :returns: directory paths.
    """
    raise NotImplementedError


@hookspec
def hrpolicy_output_formats() -> Sequence[OutputFormat]:
    """Return report formats for ``--format`` (``check``, ``rules test``, ``rules lint``).

    Called once per run, before arguments are checked, so each command offers exactly the registered
    names that write its kind of result. A name registered twice is a plugin error. Each
    :class:`~hrpolicy.model.OutputFormat` maps the result kinds it serves (``check``: a
    :class:`~hrpolicy.model.RunResult`, ``rules-test``: a :class:`~hrpolicy.model.TestRun`,
    ``rules-lint``: a :class:`~hrpolicy.model.LintResult`) to a writer; a writer renders a finished
    result, never evaluates rules and never mutates what it is given.

    :returns: :class:`~hrpolicy.model.OutputFormat` objects.
    """
    raise NotImplementedError

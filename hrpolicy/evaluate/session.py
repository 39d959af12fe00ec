"""One evaluation session: plugins, compiled rules, country facts and central waivers, built once and
then used for every manifest of a run (also inside each ``--jobs`` worker process). The evaluation date
and the base of change-aware rules are given per call, so one session serves any date.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from hrpolicy.errors import HrpolicyError, ManifestError, UsageError
from hrpolicy.evaluate import countries, disclosure
from hrpolicy.evaluate.countries import REACHED_BY, CountryTable, merge_data, scope_problems
from hrpolicy.evaluate.engine import TrailEntry, evaluate
from hrpolicy.evaluate.waivers import (
    Waiver,
    apply_waivers,
    as_facts,
    check_waivers,
    load_central,
    product_waivers,
    read_waivers,
)
from hrpolicy.files import display_path, read_regular, reading_problem, sha256, unique_paths
from hrpolicy.identifiers import regions
from hrpolicy.language.pack import RulePack, apply_overrides, load_checked, load_pack
from hrpolicy.language.tree import references
from hrpolicy.load.cache import Derivation, derived
from hrpolicy.load.document import Document
from hrpolicy.load.events import MAX_BYTES
from hrpolicy.model import NOTICE, ErrorRecord, Finding, Location, ManifestLoader, ManifestResult
from hrpolicy.pluginmanager import Plugins, get_plugin_manager
from hrpolicy.validate import schemas
from hrpolicy.validate.schemas import (
    SCHEMA_DIR,
    load_schema,
    validate_country_data,
    validate_manifest,
    validate_pack,
    validate_waivers,
)


class SessionConfig(NamedTuple):
    """Everything needed to rebuild a session in another process (picklable)."""

    rule_dirs: tuple[str, ...] = ()  # empty: the packs from the rule-dirs hook
    autoload: bool = True


def special_docs(dirs: Sequence[Path], name: str, validate: Any, *, cache: bool = True) -> list[Document]:
    """``pack.yaml`` / ``waivers.yaml`` of the rules directories that have one, validated."""
    return [
        load_checked(d / name, validate, ManifestError, cache=cache) for d in dirs if (d / name).is_file()
    ]


def _trail(entries: Sequence[TrailEntry], findings: Sequence[Finding]) -> tuple[dict[str, Any], ...]:
    """The evidence trail as reports show it: a finding that a waiver covers is ``waived``."""
    waived = {f.fingerprint for f in findings if f.waived}
    return tuple(
        {
            "rule": e.rule,
            "pointer": e.pointer,
            "outcome": "waived" if e.outcome == "finding" and e.fingerprint in waived else e.outcome,
            "cleared_by": [dict(c) for c in e.cleared_by],
        }
        | ({"case": e.case} if e.case else {})
        for e in entries
    )


def pack_dirs(plugins: Plugins, own: Sequence[Path]) -> tuple[list[Path], list[Document]]:
    """The rule directories a pack is made of, and its ``pack.yaml`` files: ``own``, after the built-in
    and plugin packs when a ``pack.yaml`` there says ``extends: [builtin]``."""
    docs = special_docs(own, "pack.yaml", validate_pack)
    dirs = list(own)
    if any("builtin" in (doc.data.get("extends") or ()) for doc in docs):
        mine = {d.resolve() for d in own}
        dirs = [d for d in plugins.rule_dirs() if d.resolve() not in mine] + dirs
    return dirs, docs


def country_table(plugins: Plugins, dirs: Sequence[Path]) -> CountryTable:
    """Country facts: plugin data files (the embedded set first), then the rules directories' overrides.
    A scope word a law uses but no file defines, or a manifest value no manifest can have, is an error
    naming the file and line. The merged, checked data is cached, keyed by the files' paths and bytes."""
    overrides = (d / "country-data.yaml" for d in dirs)
    files = [*plugins.country_data_files(), *(f for f in overrides if f.is_file())]
    sources = [*files, SCHEMA_DIR / "country-data.schema.json", SCHEMA_DIR / "manifest.schema.json"]
    how = Derivation("countries", sources, [Path(countries.__file__), Path(schemas.__file__)], MAX_BYTES + 1)

    def cached(merged: Any) -> dict[str, Any]:
        if not isinstance(merged, dict) or merged.keys() != merge_data(()).keys():
            raise TypeError("not merged country data")
        return merged

    def from_files() -> tuple[dict[str, Any], dict[str, Any]]:
        docs = [load_checked(p, validate_country_data, ManifestError) for p in files]
        merged = merge_data(doc.data for doc in docs)
        for doc, pointer, problem in scope_problems(docs, merged, manifest_values()):
            line, column = doc.position(pointer)
            raise ManifestError(problem, doc.path, line, column)
        return merged, merged

    merged = derived(how, frozenset(), cached, from_files)
    return CountryTable(merged, plugins.country_facts, plugins.country_fact_names())


@functools.cache
def manifest_values() -> dict[str, frozenset[str]]:
    """The values a manifest allows for each kind of fact a scope can be reached by."""
    props = load_schema("manifest")["properties"]
    out = {}
    for key, (where, field) in REACHED_BY.items():
        holder = props[where]
        fields = holder["properties"] if where == "product" else holder["items"]["properties"]
        out[key] = frozenset(fields[field]["items"]["enum"])
    return out


class Session:
    def __init__(self, config: SessionConfig, plugins: Sequence[object] = ()):
        self.config = config
        #: Plugin objects handed in by the caller, not from entry points: ``--jobs`` workers lack them.
        self.extra_plugins = tuple(plugins)
        self.plugins = Plugins(get_plugin_manager(autoload=config.autoload, plugins=plugins))
        #: The directories named (else the built-in and plugin packs): their tests are the pack's tests.
        self.own_dirs = unique_paths([Path(d) for d in config.rule_dirs] or self.plugins.rule_dirs())
        dirs, pack_docs = pack_dirs(self.plugins, self.own_dirs)
        self.pack: RulePack = apply_overrides(load_pack(dirs, self.plugins.operators()), pack_docs)
        self.dirs = dirs
        self.rules = {r.info.id: r.info for r in self.pack.rules}
        self.countries = country_table(self.plugins, dirs)
        # Central waivers are written by people and may hold what no output may show: never cached, and a
        # personal identifier in one is an error (exit 2) instead of text in every product's report.
        central_docs = special_docs(dirs, "waivers.yaml", validate_waivers, cache=False)
        central = load_central(central_docs)
        # A waiver of a rule the pack switched off (pack.yaml) waives nothing and is no error.
        central = [w for w in central if w.rule not in self.pack.disabled]
        self.central_errors = disclosure.identifier_errors(central_docs) + check_waivers(central, self.rules)
        # A central waiver in error (unknown or non-waivable rule) is reported and never applied.
        bad = {(e.path, e.line) for e in self.central_errors}
        self.central: list[Waiver] = [w for w in central if (w.location.path, w.location.line) not in bad]
        self.loaders: dict[str, ManifestLoader] = self.plugins.manifest_loaders()

    def loader(self, path: Path) -> ManifestLoader:
        loader = self.loaders.get(path.suffix.lower())
        if loader is None:
            raise UsageError(f"no loader for {path.suffix or 'files without a suffix'}", str(path))
        return loader

    def load(self, path: Path) -> Document:
        loader = self.loader(path)
        try:
            data = read_regular(path, MAX_BYTES + 1)  # the loader refuses anything larger, with its message
        except OSError as exc:
            raise ManifestError(reading_problem(exc), display_path(path)) from None
        return loader.load(data, display_path(path))

    def check(
        self, path: Path, *, today: datetime.date, base_ref: str | None = None, evidence: bool = False
    ) -> ManifestResult | list[ErrorRecord]:
        """Findings for one manifest file, or the errors that stop it from being evaluated. With
        ``base_ref``, change-aware rules compare with the manifest as committed at that git ref."""
        try:
            doc = self.load(path)
        except HrpolicyError as exc:
            return disclosure.errors([ErrorRecord(exc.path or str(path), exc.message, exc.line, exc.column)])
        return self.check_document(doc, today=today, path=path, base_ref=base_ref, evidence=evidence)

    def check_document(
        self,
        doc: Document,
        *,
        today: datetime.date,
        base: Any = None,
        path: Path | None = None,
        base_ref: str | None = None,
        evidence: bool = False,
    ) -> ManifestResult | list[ErrorRecord]:
        """Findings for an already parsed manifest (with ``evidence``, and its evidence trail). The base of
        change-aware rules is ``base`` (data, as rule tests give it), else the manifest at ``path`` as of
        git ``base_ref``, else the manifest. Whatever it returns has been through
        :mod:`hrpolicy.evaluate.disclosure`."""
        with regions(disclosure.countries_of(doc.data)):
            outcome = self._check(doc, today, base, path, base_ref, evidence)
            if isinstance(outcome, ManifestResult):
                return disclosure.result(outcome)
            return disclosure.errors(outcome)

    def _check(
        self,
        doc: Document,
        today: datetime.date,
        base: Any,
        path: Path | None,
        base_ref: str | None,
        evidence: bool = False,
    ) -> ManifestResult | list[ErrorRecord]:
        errors = validate_manifest(doc)
        if errors:
            return errors
        product = doc.data["product"]["id"]
        own = [w for w in read_waivers(doc, central=False) if w.rule not in self.pack.disabled]
        errors = check_waivers(own, self.rules)
        if errors:
            return errors
        waivers = own + product_waivers(self.central, product)
        set_aside = None
        if base is None:
            base = doc.data
            if base_ref is not None and path is not None:
                from hrpolicy.evaluate.gitbase import base_data  # runs git: only with --base

                try:
                    base, set_aside = base_data(path, base_ref, self.loader(path), validate_manifest)
                except HrpolicyError as exc:
                    return [ErrorRecord(exc.path or doc.path, exc.message, exc.line, exc.column)]
        trail: list[TrailEntry] | None = [] if evidence else None
        raw = evaluate(
            self.pack,
            doc.data,
            manifest_path=doc.path,
            base=base,
            today=today,
            countries=self.countries,
            waivers=[as_facts(w) for w in waivers],
            trail=trail,
        )
        findings = apply_waivers(raw, waivers, rules=self.rules, today=today, path=doc.path, doc=doc)
        if set_aside is not None:
            findings.extend(self._base_notices(doc.path, product, base_ref or "", set_aside))
        return ManifestResult(doc.path, product, tuple(findings), _trail(trail or (), findings))

    def own_rule_ids(self) -> list[str]:
        """Ids of the rules defined in the directories named (not in the packs they extend)."""
        own = {d.resolve() for d in self.own_dirs}
        return [
            r.info.id
            for r in self.pack.rules
            if Path(r.info.source.rsplit(":", 1)[0]).resolve().parent in own
        ]

    @functools.cached_property
    def _change_aware(self) -> tuple[Any, ...]:
        """The pack's rules that read ``$base``."""
        return tuple(r for r in self.pack.rules if any(ref.head == "base" for ref in references(r.node)))

    def _base_notices(self, path: str, product: str, ref: str, problem: str) -> list[Finding]:
        """A notice per change-aware rule (one that reads ``$base``) when the base had to be set aside."""
        message = (
            f"the manifest as committed at {ref} is invalid ({problem}), so this change-aware rule "
            "compares with an empty manifest"
        )
        notices = []
        for rule in self._change_aware:
            key = f"{rule.info.id}\0{product}\0base-set-aside"
            fingerprint = sha256(key.encode()).hexdigest()[:32]
            notices.append(Finding(rule.info.id, NOTICE, message, "", Location(path, 1, 1, ""), fingerprint))
        return notices

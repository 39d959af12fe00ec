"""Loads rule packs (directories of YAML rule files) and compiles them into :class:`RulePack`, once.

A rules directory holds rule files (``*.yaml``), optionally ``country-data.yaml`` (overrides of the country
data) and ``waivers.yaml`` (central waivers), and a ``tests/`` folder for ``rules test``. ``define`` blocks
are shared by every file of the pack; a name defined twice is an error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from hrpolicy.compiler import (
    GLOBAL_VARS,
    MANIFEST_VARS,
    Getter,
    Scope,
    Test,
    compile_condition,
    compile_source,
    compile_template,
    compile_value,
)
from hrpolicy.errors import HrpolicyError, RuleError
from hrpolicy.model import SEVERITIES, Operator, Reference, RuleInfo
from hrpolicy.yaml import Document, load_file, pointer_join

SPECIAL_FILES = frozenset({"country-data.yaml", "waivers.yaml"})
#: Names a ``let`` cannot take: the built-in variables and the ``$lists``/``$values``/``$patterns`` heads.
RESERVED_NAMES = GLOBAL_VARS | {"lists", "values", "patterns"}
LANGUAGE_VERSION = 1


class Body(NamedTuple):
    """One compiled rule body (a rule has one, or several ``cases``)."""

    source: Getter | None  # None: the rule is about the manifest as a whole
    source_pointer: str | None  # JSON pointer of a manifest-rooted source, for finding locations
    strings_under: tuple[str, ...] | None
    country: Getter | None
    lets: Mapping[str, Getter]
    when: Test | None
    require: Test | None
    at: tuple[tuple[str, ...], ...]
    message: Callable[[Any], str]
    notice: tuple[Test, Callable[[Any], str]] | None
    spec: Mapping[str, Any]  # the body as written, for ``explain``


class CompiledRule(NamedTuple):
    info: RuleInfo
    bodies: tuple[Body, ...]
    escalate: tuple[tuple[Test, str], ...]


class RulePack(NamedTuple):
    rules: tuple[CompiledRule, ...]
    values: Mapping[str, Getter]
    dirs: tuple[Path, ...]

    @property
    def infos(self) -> tuple[RuleInfo, ...]:
        return tuple(r.info for r in self.rules)

    def rule(self, rule_id: str) -> CompiledRule | None:
        return next((r for r in self.rules if r.info.id == rule_id), None)


def rule_files(dirs: Sequence[Path]) -> list[Path]:
    files: list[Path] = []
    for d in dirs:
        if not d.is_dir():
            raise RuleError("not a rules directory", str(d))
        files.extend(sorted(p for p in d.glob("*.yaml") if p.name not in SPECIAL_FILES))
    return files


def load_pack(dirs: Sequence[Path], operators: Mapping[str, Operator]) -> RulePack:
    """Read, validate and compile the rule files of ``dirs``; :class:`RuleError` at the first problem."""
    docs = [load_checked(p, "rules", RuleError) for p in rule_files(dirs)]
    for doc in docs:
        if doc.data.get("language_version", LANGUAGE_VERSION) != LANGUAGE_VERSION:
            raise RuleError(
                f"language_version must be {LANGUAGE_VERSION}", doc.path, *doc.position("/language_version")
            )
    return _compile_pack(docs, operators, tuple(dirs))


def load_checked(path: Path, schema: str, error: type[HrpolicyError]) -> Document:
    """A rule-pack file, parsed and validated against ``schema`` (through the cache); first problem raised."""
    from hrpolicy.cache import cached_document
    from hrpolicy.manifest import validate

    display = display_path(path)

    def load() -> Document:
        doc = load_file(path, display=display)
        problems = validate(doc, schema)
        if problems:
            first = problems[0]
            raise error(first.message, doc.path, first.line, first.column)
        return doc

    return cached_document(path, display, schema, load)


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _compile_pack(
    docs: list[Document], operators: Mapping[str, Operator], dirs: tuple[Path, ...]
) -> RulePack:
    lists: dict[str, Any] = {}
    patterns: dict[str, Any] = {}
    value_specs: dict[str, tuple[Document, Any]] = {}
    predicate_specs: dict[str, tuple[Document, Any]] = {}
    seen: dict[str, str] = {}
    for doc in docs:
        for kind, specs in (doc.data.get("define") or {}).items():
            for name, spec in specs.items():
                ptr = f"/define/{kind}/{name}"
                if name in seen:
                    raise RuleError(
                        f"{name!r} is already defined in {seen[name]}", doc.path, *doc.position(ptr)
                    )
                seen[name] = f"{doc.path}:{doc.position(ptr)[0]}"
                if kind == "lists":
                    lists[name] = spec
                elif kind == "patterns":
                    scope = _scope(doc, operators, lists, patterns, frozenset(), {})
                    compiled = operators["matches"].prepare
                    try:
                        patterns[name] = compiled(spec) if compiled else spec
                    except ValueError as exc:
                        raise scope.error(ptr, str(exc)) from None
                elif kind == "values":
                    value_specs[name] = (doc, spec)
                else:
                    predicate_specs[name] = (doc, spec)

    value_names = frozenset(value_specs)
    predicates: dict[str, Callable[[], Test]] = {}
    building: set[str] = set()
    built: dict[str, Test] = {}

    def predicate_factory(name: str) -> Callable[[], Test]:
        def make() -> Test:
            if name in built:
                return built[name]
            doc, spec = predicate_specs[name]
            ptr = f"/define/predicates/{name}"
            if name in building:
                raise RuleError(f"predicate {name!r} uses itself", doc.path, *doc.position(ptr))
            building.add(name)
            try:
                test = compile_condition(
                    spec, ptr, _scope(doc, operators, lists, patterns, value_names, predicates)
                )
            finally:
                building.discard(name)
            built[name] = test
            return test

        return make

    for name in predicate_specs:
        predicates[name] = predicate_factory(name)
    for make in predicates.values():
        make()

    values: dict[str, Getter] = {}
    for name, (doc, spec) in value_specs.items():
        scope = _scope(doc, operators, lists, patterns, value_names, predicates, names=MANIFEST_VARS)
        values[name] = compile_value(spec, f"/define/values/{name}", scope)[0]

    rules: list[CompiledRule] = []
    ids: dict[str, str] = {}
    for doc in docs:
        for i, spec in enumerate(doc.data.get("rules") or []):
            ptr = f"/rules/{i}"
            rid = spec["id"]
            if rid in ids:
                raise RuleError(
                    f"rule id {rid} is already used at {ids[rid]}", doc.path, *doc.position(ptr + "/id")
                )
            ids[rid] = f"{doc.path}:{doc.position(ptr)[0]}"
            scope = _scope(doc, operators, lists, patterns, value_names, predicates)
            rules.append(_compile_rule(spec, ptr, scope))
    return RulePack(tuple(rules), values, dirs)


def _scope(
    doc: Document,
    operators: Mapping[str, Operator],
    lists: Mapping[str, Any],
    patterns: Mapping[str, Any],
    value_names: frozenset[str],
    predicates: Mapping[str, Callable[[], Test]],
    names: frozenset[str] | None = None,
) -> Scope:
    scope = Scope(doc, operators, lists, patterns, value_names, predicates)
    return scope if names is None else Scope(doc, operators, lists, patterns, value_names, predicates, names)


def _compile_rule(spec: Mapping[str, Any], ptr: str, sc: Scope) -> CompiledRule:
    redact = bool(spec.get("redact", False))
    info = RuleInfo(
        id=spec["id"],
        title=spec["title"],
        severity=spec["severity"],
        severity_in_high_risk=spec.get("severity_in_high_risk"),
        rationale=spec.get("rationale", "").strip(),
        remediation=spec.get("remediation", "").strip(),
        references=tuple(
            Reference(r["framework"], str(r["section"]), r.get("note")) for r in spec.get("references") or ()
        ),
        tags=tuple(spec.get("tags") or ()),
        waivable=bool(spec.get("waivable", True)),
        redact=redact,
        source=f"{sc.doc.path}:{sc.doc.position(ptr)[0]}",
    )
    for key in ("severity", "severity_in_high_risk"):
        if key in spec and spec[key] not in SEVERITIES:
            raise sc.error(pointer_join(ptr, key), f"severity must be one of {', '.join(SEVERITIES)}")
    if "cases" in spec:
        bodies = tuple(
            _compile_body(b, pointer_join(pointer_join(ptr, "cases"), i), sc, redact)
            for i, b in enumerate(spec["cases"])
        )
    else:
        bodies = (_compile_body(spec, ptr, sc, redact),)
    escalate = tuple(
        (compile_condition(e["when"], f"{ptr}/escalate/{i}/when", sc), e["severity"])
        for i, e in enumerate(spec.get("escalate") or ())
    )
    return CompiledRule(info, bodies, escalate)


def _compile_body(spec: Mapping[str, Any], ptr: str, sc: Scope, redact: bool) -> Body:
    source = source_pointer = strings_under = None
    each = spec.get("for_each")
    if isinstance(each, dict) and "strings_under" in each:
        strings_under = tuple(each["strings_under"])
    elif each is not None:
        source = compile_source(each, pointer_join(ptr, "for_each"), sc)
        if isinstance(each, str) and not each.startswith("$"):
            source_pointer = "".join(pointer_join("", p) for p in each.split("."))
    lets: dict[str, Getter] = {}
    scope = Scope(sc.doc, sc.operators, sc.lists, sc.patterns, sc.value_names, sc.predicates, sc.names, lets)
    country = (
        compile_value(spec["country"], pointer_join(ptr, "country"), scope)[0] if "country" in spec else None
    )
    for name, value_spec in (spec.get("let") or {}).items():
        if name in RESERVED_NAMES:
            # A let named like a built-in would be silently ignored (the engine binds $country per item).
            raise sc.error(f"{ptr}/let/{name}", f"let name {name!r} is taken by ${name}; choose another name")
        lets[name] = compile_value(value_spec, f"{ptr}/let/{name}", scope)[0]
    when = compile_condition(spec["when"], pointer_join(ptr, "when"), scope) if "when" in spec else None
    require = (
        compile_condition(spec["require"], pointer_join(ptr, "require"), scope) if "require" in spec else None
    )
    if when is None and require is None:
        raise sc.error(ptr, "a rule body needs 'when' or 'require' (or both)")
    at = tuple(tuple(p.split(".")) for p in (spec.get("at") or ()))
    message = compile_template(spec["message"], pointer_join(ptr, "message"), scope, redact=redact)
    notice = None
    if "notice" in spec:
        n = spec["notice"]
        notice = (
            compile_condition(n["when"], f"{ptr}/notice/when", scope),
            compile_template(n["message"], f"{ptr}/notice/message", scope, redact=redact),
        )
    return Body(
        source,
        source_pointer,
        strings_under,
        country,
        dict(lets),
        when,
        require,
        at,
        message,
        notice,
        dict(spec),
    )

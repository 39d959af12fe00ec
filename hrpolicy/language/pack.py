"""Loads rule packs (directories of YAML rule files) and compiles them into :class:`RulePack`, once.

A rules directory holds rule files (``*.yaml``), optionally ``country-data.yaml`` (overrides of the country
data) and ``waivers.yaml`` (central waivers), and a ``tests/`` folder for ``rules test``. ``define`` blocks
are shared by every file of the pack; a name defined twice is an error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from hrpolicy.errors import HrpolicyError, RuleError
from hrpolicy.language.compiler import compile_condition, compile_source, compile_value
from hrpolicy.language.scope import GLOBAL_VARS, MANIFEST_VARS, Getter, Predicates, Scope, Test
from hrpolicy.language.templates import compile_template, literal_valued
from hrpolicy.load.yaml import Document, load_file, pointer_join
from hrpolicy.model import SEVERITIES, Operator, Reference, RuleInfo

SPECIAL_FILES = frozenset({"country-data.yaml", "waivers.yaml"})


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
    spec: Mapping[str, Any] = {}  # the rule as written, for explain and the catalogue


class RulePack(NamedTuple):
    rules: tuple[CompiledRule, ...]
    values: Mapping[str, Getter]
    dirs: tuple[Path, ...]
    #: The ``define`` entries as written, by kind (lists, values, patterns, predicates), for ``explain``.
    defines: Mapping[str, Mapping[str, Any]] = {}

    @property
    def infos(self) -> tuple[RuleInfo, ...]:
        return tuple(r.info for r in self.rules)


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
    return _compile_pack(docs, operators, tuple(dirs))


def load_checked(path: Path, schema: str, error: type[HrpolicyError]) -> Document:
    """A rule-pack file, parsed and validated against ``schema`` (through the cache); first problem raised."""
    from hrpolicy.load.cache import cached_document
    from hrpolicy.validate.schemas import validate

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
    docs: list[Document],
    operators: Mapping[str, Operator],
    dirs: tuple[Path, ...],
    problems: list[RuleError] | None = None,
    skip: frozenset[tuple[str, int]] = frozenset(),
) -> RulePack:
    """Compile the pack. With ``problems`` (``rules lint``), collect every error and go on; else raise."""

    def fail(error: RuleError) -> None:
        if problems is None:
            raise error
        problems.append(error)

    lists: dict[str, Any] = {}
    patterns: dict[str, Any] = {}
    pattern_sources: dict[str, str] = {}
    value_specs: dict[str, tuple[Document, Any]] = {}
    predicate_specs: dict[str, tuple[Document, Any]] = {}
    seen: dict[str, str] = {}
    for doc in docs:
        for kind, specs in (doc.data.get("define") or {}).items():
            if kind.startswith("x-"):
                continue
            for name, spec in specs.items():
                if name.startswith("x-"):
                    continue
                ptr = f"/define/{kind}/{name}"
                if name in seen:
                    fail(
                        RuleError(
                            f"{name!r} is already defined in {seen[name]}", doc.path, *doc.position(ptr)
                        )
                    )
                    continue
                seen[name] = f"{doc.path}:{doc.position(ptr)[0]}"
                if kind == "lists":
                    lists[name] = spec
                elif kind == "patterns":
                    prepare = operators["matches"].prepare
                    try:
                        patterns[name] = prepare(spec) if prepare else spec
                        pattern_sources[name] = spec
                    except ValueError as exc:
                        fail(RuleError(str(exc), doc.path, *doc.position(ptr)))
                elif kind == "values":
                    value_specs[name] = (doc, spec)
                elif kind == "predicates":
                    predicate_specs[name] = (doc, spec)

    value_names = frozenset(value_specs)
    try:
        item_values = _item_values(value_specs, predicate_specs)
    except RuleError as error:
        fail(error)
        item_values = value_names

    def scope_for(doc: Document, names: frozenset[str] = GLOBAL_VARS) -> Scope:
        return Scope(doc, operators, lists, patterns, value_names, predicates, names, None, item_values)

    predicates = Predicates(predicate_specs, scope_for)
    for name in predicate_specs:
        predicates.compile(name, GLOBAL_VARS)  # every predicate compiles, used or not
    values = {
        name: compile_value(
            spec,
            f"/define/values/{name}",
            scope_for(doc, GLOBAL_VARS if name in item_values else MANIFEST_VARS),
        )[0]
        for name, (doc, spec) in value_specs.items()
    }
    rules: list[CompiledRule] = []
    ids: dict[str, str] = {}
    for doc in docs:
        for i, spec in enumerate(doc.data.get("rules") or []):
            if (doc.path, i) in skip:
                continue  # malformed (reported by the schema check): compiling it would only add noise
            ptr = f"/rules/{i}"
            rid = spec["id"]
            if rid in ids:
                fail(
                    RuleError(
                        f"rule id {rid} is already used at {ids[rid]}", doc.path, *doc.position(ptr + "/id")
                    )
                )
                continue
            ids[rid] = f"{doc.path}:{doc.position(ptr)[0]}"
            try:
                rules.append(_compile_rule(spec, ptr, scope_for(doc)))
            except RuleError as error:
                fail(error)
    defines = {
        "lists": lists,
        "values": {n: spec for n, (_, spec) in value_specs.items()},
        "patterns": pattern_sources,
        "predicates": {n: spec for n, (_, spec) in predicate_specs.items()},
    }
    return RulePack(tuple(rules), values, dirs, defines)


def _item_values(
    values: Mapping[str, tuple[Document, Any]], predicates: Mapping[str, tuple[Document, Any]]
) -> frozenset[str]:
    """Which values depend on the item (mention $item or $country, directly or through predicates or
    other values): those are computed per item, the rest once per manifest. A value needing itself is a
    compile error."""

    def scan(node: Any, seen_predicates: set[str]) -> tuple[set[str], bool]:
        found: set[str] = set()
        per_item = False
        if isinstance(node, str) and node.startswith("$"):
            head = node[1:].split(".", 1)[0]
            if head == "values" and "." in node:
                found.add(node.split(".")[1])
            per_item = head in ("item", "country")
        elif isinstance(node, dict):
            for key, sub in node.items():
                for part in (key, sub):
                    more, item = scan(part, seen_predicates)
                    found |= more
                    per_item |= item
                if key == "use":
                    for name in sub if isinstance(sub, list) else [sub]:
                        if isinstance(name, str) and name in predicates and name not in seen_predicates:
                            seen_predicates.add(name)
                            more, item = scan(predicates[name][1], seen_predicates)
                            found |= more
                            per_item |= item
        elif isinstance(node, list):
            for sub in node:
                more, item = scan(sub, seen_predicates)
                found |= more
                per_item |= item
        return found, per_item

    graph: dict[str, set[str]] = {}
    direct: set[str] = set()
    for name, (_, spec) in values.items():
        graph[name], item = scan(spec, set())
        if item:
            direct.add(name)
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            doc = values[path[0]][0]
            cycle = " -> ".join([*path[path.index(name) :], name])
            raise RuleError(
                f"values need each other: {cycle}", doc.path, *doc.position(f"/define/values/{path[0]}")
            )
        if name in done or name not in graph:
            return
        for dep in sorted(graph[name]):
            visit(dep, [*path, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])
    per_item = set(direct)
    changed = True
    while changed:  # a value using a per-item value is per item too
        changed = False
        for name, deps in graph.items():
            if name not in per_item and deps & per_item:
                per_item.add(name)
                changed = True
    return frozenset(per_item)


def _compile_rule(spec: Mapping[str, Any], ptr: str, sc: Scope) -> CompiledRule:
    # Descriptive fields are read leniently (missing or ill-typed: empty, or as text): ``rules lint`` goes on
    # compiling a rule whose only schema problems are there, already reported. ``load_pack`` validates
    # first, so a rule that reaches this point through ``check`` reads exactly as written.
    def text(value: Any) -> str:
        return value if isinstance(value, str) else "" if value is None else str(value)

    refs = spec.get("references")
    tags = spec.get("tags")
    redact = bool(spec.get("redact", False))
    info = RuleInfo(
        id=spec["id"],
        title=text(spec.get("title")),
        severity=spec["severity"],
        severity_in_high_risk=spec.get("severity_in_high_risk"),
        rationale=text(spec.get("rationale")).strip(),
        remediation=text(spec.get("remediation")).strip(),
        references=tuple(
            Reference(
                text(r.get("framework")),
                text(r.get("section")),
                None if r.get("note") is None else text(r["note"]),
            )
            for r in (refs if isinstance(refs, list) else ())
            if isinstance(r, dict)
        ),
        tags=tuple(text(t) for t in tags) if isinstance(tags, list) else (),
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
    return CompiledRule(info, bodies, escalate, dict(spec))


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
    scope = sc.derive(lets=lets)
    country = (
        compile_value(spec["country"], pointer_join(ptr, "country"), scope)[0] if "country" in spec else None
    )
    for name, value_spec in (spec.get("let") or {}).items():
        scope.binding(name, f"{ptr}/let/{name}")
        lets[name] = compile_value(value_spec, f"{ptr}/let/{name}", scope)[0]
    when = compile_condition(spec["when"], pointer_join(ptr, "when"), scope) if "when" in spec else None
    require = (
        compile_condition(spec["require"], pointer_join(ptr, "require"), scope) if "require" in spec else None
    )
    if when is None and require is None:
        raise sc.error(ptr, "a rule body needs 'when' or 'require' (or both)")
    at = tuple(tuple(p.split(".")) for p in (spec.get("at") or ()))
    safe = frozenset(name for name, value in (spec.get("let") or {}).items() if literal_valued(value))
    message = compile_template(spec["message"], pointer_join(ptr, "message"), scope, redact=redact, safe=safe)
    notice = None
    if "notice" in spec:
        n = spec["notice"]
        notice = (
            compile_condition(n["when"], f"{ptr}/notice/when", scope),
            compile_template(n["message"], f"{ptr}/notice/message", scope, redact=redact, safe=safe),
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

"""Rule packs: directories of YAML rule files, read into the rule tree and compiled into a
:class:`RulePack`, once per run.

A rules directory holds rule files (``*.yaml``), optionally ``country-data.yaml`` (overrides of the country
data) and ``waivers.yaml`` (central waivers), and a ``tests/`` folder for ``rules test``. ``define`` blocks
are shared by every file of the pack; a name defined twice is an error.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from hrpolicy.errors import HrpolicyError, RuleError
from hrpolicy.language import tree as t
from hrpolicy.language.compiler import (
    GLOBAL_VARS,
    MANIFEST_VARS,
    PackNames,
    Predicates,
    Scope,
    compile_condition,
    compile_source,
    compile_value,
)
from hrpolicy.language.context import Getter, Test
from hrpolicy.language.templates import compile_template
from hrpolicy.load.document import Document, pointer_join
from hrpolicy.model import SEVERITIES, Operator, Reference, RuleInfo
from hrpolicy.values import compile_regex

if TYPE_CHECKING:
    from hrpolicy.language.parse import Parser

SPECIAL_FILES = frozenset({"country-data.yaml", "waivers.yaml", "pack.yaml"})


class CompiledBody(NamedTuple):
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
    #: ``for_each`` as written, naming items that have no location of their own (fingerprints).
    label: str
    node: t.Body


class CompiledRule(NamedTuple):
    info: RuleInfo
    bodies: tuple[CompiledBody, ...]
    escalate: tuple[tuple[Test, str], ...]
    node: t.Rule


class Definitions(NamedTuple):
    """A pack's ``define`` entries: lists as written, the rest as rule-tree nodes (patterns as text)."""

    lists: Mapping[str, Any]
    values: Mapping[str, t.Value]
    patterns: Mapping[str, str]
    predicates: Mapping[str, t.Condition]


class ParsedRule(NamedTuple):
    """A rule read into its tree, not yet compiled."""

    file: str  # the display path of its file
    info: RuleInfo
    node: t.Rule
    labels: tuple[str, ...]  # each body's ``for_each`` as written


class ParsedPack(NamedTuple):
    """A pack's rule files read into rule trees: what compiling needs, and all the pack cache keeps."""

    defines: Definitions
    #: Values that depend on the item: computed per item.
    item_values: frozenset[str]
    #: Defined value or predicate -> the display path of its file.
    files: Mapping[str, str]
    rules: tuple[ParsedRule, ...]
    groups: Mapping[str, str]


class RulePack(NamedTuple):
    rules: tuple[CompiledRule, ...]
    values: Mapping[str, Getter]
    dirs: tuple[Path, ...]
    defines: Definitions = Definitions({}, {}, {}, {})
    #: Group (``LOC`` of ``HRDD-LOC-001``) -> title, in the order the rule files give them.
    groups: Mapping[str, str] = {}
    #: Rules a pack.yaml switched off: id -> where and why.
    disabled: Mapping[str, str] = {}

    def group_title(self, rule_id: str) -> str:
        """The title of a rule's group, or the group itself when no rule file titles it."""
        group = rule_id.split("-")[1] if rule_id.count("-") >= 2 else rule_id
        return self.groups.get(group, group)

    @property
    def infos(self) -> tuple[RuleInfo, ...]:
        return tuple(r.info for r in self.rules)


#: The classes a cached :class:`ParsedPack` is made of: all the unpickler may build.
_PARSED_OF = frozenset(
    {(t.__name__, c.__name__) for c in vars(t).values() if isinstance(c, type) and issubclass(c, t.TreeNode)}
    | {(__name__, "ParsedPack"), (__name__, "ParsedRule"), (__name__, "Definitions")}
    | {("hrpolicy.model", "RuleInfo"), ("hrpolicy.model", "Reference")}
)
#: The files of the code that decides what it holds (with hrpolicy.model and the schema validation): a
#: change to any of them (in a development install), or to the rule schema, misses the cache.
_PARSED_BY = tuple(Path(__file__).with_name(f"{name}.py") for name in ("pack", "tree", "parse", "functions"))


def rule_files(dirs: Sequence[Path]) -> list[Path]:
    files: list[Path] = []
    for d in dirs:
        if not d.is_dir():
            raise RuleError("not a rules directory", str(d))
        files.extend(sorted(p for p in d.glob("*.yaml") if p.name not in SPECIAL_FILES))
    return files


def load_pack(dirs: Sequence[Path], operators: Mapping[str, Operator]) -> RulePack:
    """Read, validate and compile the rule files of ``dirs``; :class:`RuleError` at the first problem.

    The pack read into rule trees (:class:`ParsedPack`) is cached, keyed by the files' paths and bytes: a
    hook run compiles the cached trees, and reads the files only when they changed, or when compiling the
    trees fails (then the files' lines are needed to report the problem)."""
    from hrpolicy import model
    from hrpolicy.load.cache import Derivation, derived
    from hrpolicy.load.events import MAX_BYTES
    from hrpolicy.validate import schemas

    files = rule_files(dirs)
    code = [*_PARSED_BY, Path(model.__file__), Path(schemas.__file__)]
    how = Derivation("packs", [*files, schemas.SCHEMA_DIR / "rules.schema.json"], code, MAX_BYTES + 1)

    def cached(parsed: Any) -> RulePack:
        if not isinstance(parsed, ParsedPack):
            raise TypeError("not a parsed pack")
        unmarked = {path: Document(None, {}, path) for path in _paths(parsed)}
        return build_pack(parsed, operators, tuple(dirs), unmarked, _Collector(None))

    def from_files() -> tuple[RulePack, ParsedPack]:
        docs = [load_checked(p, schemas.validate_rules, RuleError) for p in files]
        parsed = parse_pack(docs, _Collector(None))
        return build_pack(parsed, operators, tuple(dirs), {d.path: d for d in docs}, _Collector(None)), parsed

    return derived(how, _PARSED_OF, cached, from_files)


def _paths(parsed: ParsedPack) -> set[str]:
    return {rule.file for rule in parsed.rules} | set(parsed.files.values())


def load_checked(
    path: Path, validate: Callable[[Document], list[Any]], error: type[HrpolicyError], *, cache: bool = True
) -> Document:
    """A rule-pack file, parsed and validated (through the cache unless ``cache`` is false); its first
    problem raised as ``error``."""
    from hrpolicy.files import display_path, read_regular, reading_problem
    from hrpolicy.load.cache import cached_document
    from hrpolicy.load.events import MAX_BYTES
    from hrpolicy.load.yaml import load_source

    display = display_path(path)

    def parse(source: bytes, shown: str) -> Document:
        doc = load_source(source, shown, json=path.suffix.lower() == ".json")
        problems = validate(doc)
        if problems:
            first = problems[0]
            raise error(first.message, doc.path, first.line, first.column)
        return doc

    try:
        if cache:
            return cached_document(path, display, validate.__name__, parse, MAX_BYTES + 1)
        return parse(read_regular(path, MAX_BYTES + 1), display)
    except OSError as exc:
        raise error(reading_problem(exc), display) from None


class _Collector:
    """Raises each problem, or (``rules lint``) collects it and lets compiling go on."""

    def __init__(self, problems: list[RuleError] | None):
        self.problems = problems

    def __call__(self, error: RuleError) -> None:
        if self.problems is None:
            raise error
        self.problems.append(error)


def compile_pack(
    docs: Sequence[Document],
    operators: Mapping[str, Operator],
    dirs: tuple[Path, ...],
    *,
    collect: list[RuleError] | None = None,
    skip: frozenset[tuple[str, int]] = frozenset(),
) -> RulePack:
    """Compile validated rule files into a pack. Without ``collect`` the first problem is raised; with it
    (``rules lint``) every problem is appended and compiling goes on; rules in ``skip`` (file, index) are
    left out (their schema errors are already reported)."""
    fail = _Collector(collect)
    parsed = parse_pack(docs, fail, skip)
    return build_pack(parsed, operators, dirs, {doc.path: doc for doc in docs}, fail)


def parse_pack(
    docs: Sequence[Document],
    fail: Callable[[RuleError], None],
    skip: frozenset[tuple[str, int]] = frozenset(),
) -> ParsedPack:
    """The first half of compiling: the files read into rule trees, checked as far as that needs no
    operators or compiled names. Its result depends on the files' bytes alone, so the pack cache keeps it."""
    defines, value_docs, predicate_docs = _definitions(docs, fail)
    try:
        item_values = _item_values(defines, value_docs)
    except RuleError as error:
        fail(error)
        item_values = frozenset(defines.values)
    files = {name: doc.path for name, doc in (value_docs | predicate_docs).items()}
    rules = _parse_rules(docs, skip, fail)
    return ParsedPack(defines, item_values, files, tuple(rules), _group_titles(docs, fail))


def build_pack(
    parsed: ParsedPack,
    operators: Mapping[str, Operator],
    dirs: tuple[Path, ...],
    docs: Mapping[str, Document],
    fail: Callable[[RuleError], None],
) -> RulePack:
    """The second half: trees compiled into closures with these operators. ``docs`` (by display path) give
    the line of a problem."""
    defines = parsed.defines
    patterns = {name: compile_regex(pattern) for name, pattern in defines.patterns.items()}  # cached: checked

    def scope_for(doc: Document, names: frozenset[str] = GLOBAL_VARS) -> Scope:
        return Scope(doc, known, names)

    predicates = Predicates({n: (docs[parsed.files[n]], c) for n, c in defines.predicates.items()}, scope_for)
    known = PackNames(
        operators, defines.lists, patterns, frozenset(defines.values), parsed.item_values, predicates
    )
    for name in defines.predicates:
        try:
            predicates.compile(name, GLOBAL_VARS)  # every predicate compiles, used or not
        except RuleError as error:
            fail(error)
    values: dict[str, Getter] = {}
    for name, node in defines.values.items():
        try:
            names = GLOBAL_VARS if name in parsed.item_values else MANIFEST_VARS
            values[name] = compile_value(node, scope_for(docs[parsed.files[name]], names))[0]
        except RuleError as error:
            fail(error)
    rules: list[CompiledRule] = []
    for rule in parsed.rules:
        try:
            rules.append(_compile_rule(rule, scope_for(docs[rule.file])))
        except RuleError as error:
            fail(error)
    return RulePack(tuple(rules), values, dirs, defines, parsed.groups)


def apply_overrides(pack: RulePack, docs: Sequence[Document]) -> RulePack:
    """The pack with the ``overrides`` of its ``pack.yaml`` files applied: rules switched off, base
    severities changed, each with its reason recorded. An override of a rule the pack does not have is an
    error at its line."""
    rules = {r.info.id: r for r in pack.rules}
    disabled: dict[str, str] = {}
    for doc in docs:
        for rid, change in (doc.data.get("overrides") or {}).items():
            line, col = doc.position(f"/overrides/{rid}")
            if rid not in rules:
                gone = f" (already switched off: {disabled[rid]})" if rid in disabled else ""
                raise RuleError(
                    f"override of {rid}, which is no rule of this pack{gone}", doc.path, line, col
                )
            where = f"{doc.path}:{line}"
            if change.get("enabled") is False:
                disabled[rid] = f"{where}: {change['reason']}"
                del rules[rid]
                continue
            if "severity" in change:
                info = rules[rid].info
                note = f"severity {info.severity} -> {change['severity']} ({where}): {change['reason']}"
                info = dataclasses.replace(info, severity=change["severity"], override=note)
                rules[rid] = rules[rid]._replace(info=info)
    kept = tuple(rules[r.info.id] for r in pack.rules if r.info.id in rules)
    return pack._replace(rules=kept, disabled=disabled)


def _group_titles(docs: Sequence[Document], fail: Callable[[RuleError], None]) -> dict[str, str]:
    titles: dict[str, str] = {}
    for doc in docs:
        for group, title in (doc.data.get("groups") or {}).items():
            if titles.setdefault(group, title) != title:
                line, col = doc.position(f"/groups/{group}")
                message = f"group {group!r} already has the title {titles[group]!r}"
                fail(RuleError(message, doc.path, line, col))
    return titles


def _parse_rules(
    docs: Sequence[Document], skip: frozenset[tuple[str, int]], fail: Callable[[RuleError], None]
) -> list[ParsedRule]:
    from hrpolicy.language.parse import Parser  # only when the pack is read from its files

    rules: list[ParsedRule] = []
    ids: dict[str, str] = {}
    for doc, i, spec in _rule_specs(docs, skip):
        ptr = f"/rules/{i}"
        rid = spec["id"]
        if rid in ids:
            where = doc.position(ptr + "/id")
            hint = "; to change a rule of a pack this one extends, use overrides in pack.yaml"
            fail(RuleError(f"rule id {rid} is already used at {ids[rid]}{hint}", doc.path, *where))
            continue
        ids[rid] = f"{doc.path}:{doc.position(ptr)[0]}"
        try:
            rules.append(_parse_rule(spec, ptr, Parser(doc)))
        except RuleError as error:
            fail(error)
    return rules


def _rule_specs(
    docs: Sequence[Document], skip: frozenset[tuple[str, int]]
) -> Iterator[tuple[Document, int, Any]]:
    for doc in docs:
        for i, spec in enumerate(doc.data.get("rules") or []):
            if (doc.path, i) not in skip:  # a malformed rule: compiling it would only add noise
                yield doc, i, spec


def _definitions(
    docs: Sequence[Document], fail: Callable[[RuleError], None]
) -> tuple[Definitions, dict[str, Document], dict[str, Document]]:
    """Every ``define`` entry of the pack, parsed; names defined twice and unusable ones are problems."""
    from hrpolicy.language.parse import Parser

    lists: dict[str, Any] = {}
    patterns: dict[str, str] = {}
    values: dict[str, t.Value] = {}
    predicates: dict[str, t.Condition] = {}
    value_docs: dict[str, Document] = {}
    predicate_docs: dict[str, Document] = {}
    seen: dict[str, str] = {}
    for doc in docs:
        parser = Parser(doc)
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
                try:
                    if kind == "lists":
                        lists[name] = spec
                    elif kind == "patterns":
                        compile_regex(spec)
                        patterns[name] = spec
                    elif kind == "values":
                        values[name] = parser.value(spec, ptr)
                        value_docs[name] = doc
                    elif kind == "predicates":
                        predicates[name] = parser.condition(spec, ptr)
                        predicate_docs[name] = doc
                except ValueError as exc:
                    fail(RuleError(str(exc), doc.path, *doc.position(ptr)))
                except RuleError as error:
                    fail(error)
    return Definitions(lists, values, patterns, predicates), value_docs, predicate_docs


def _item_values(defines: Definitions, docs: Mapping[str, Document]) -> frozenset[str]:
    """Which values depend on the item (mention $item or $country, directly or through predicates or
    other values): those are computed per item, the rest once per manifest. A value needing itself is a
    compile error."""
    graph: dict[str, set[str]] = {}
    per_item: set[str] = set()
    for name, node in defines.values.items():
        graph[name], item = _value_needs(node, defines.predicates, set())
        if item:
            per_item.add(name)
    _refuse_cycles(graph, docs)
    changed = True
    while changed:  # a value using a per-item value is per item too
        changed = False
        for name, deps in graph.items():
            if name not in per_item and deps & per_item:
                per_item.add(name)
                changed = True
    return frozenset(per_item)


def _value_needs(node: Any, predicates: Mapping[str, t.Condition], seen: set[str]) -> tuple[set[str], bool]:
    """The values ``node`` uses, and whether it mentions ``$item`` or ``$country`` (through the
    predicates it uses too)."""
    found: set[str] = set()
    per_item = False
    for ref in t.references(node):
        if ref.head == "values" and ref.parts:
            found.add(ref.parts[0])
        per_item |= ref.head in ("item", "country")
    for name in t.used_predicates(node):
        if name in predicates and name not in seen:
            seen.add(name)
            more, item = _value_needs(predicates[name], predicates, seen)
            found |= more
            per_item |= item
    return found, per_item


#: Country facts that do not depend on the country's tier.
TIER_FREE_FACTS = frozenset({"code", "name", "groups", "localisation", "localisation_laws"})


def reads_tier(node: Any, defines: Definitions) -> bool:
    """Whether ``node`` reads a tier-dependent fact of ``$country`` (tier, risk, max_age_days, status,
    rating, ...), directly or through the predicates and values it uses."""
    seen: set[tuple[str, str]] = set()
    todo = [node]
    while todo:
        current = todo.pop()
        uses = [("predicates", name) for name in t.used_predicates(current)]
        for ref in t.references(current):
            if ref.head == "country" and (not ref.parts or ref.parts[0] not in TIER_FREE_FACTS):
                return True
            if ref.head == "values" and ref.parts:
                uses.append(("values", ref.parts[0]))
        for kind, name in uses:
            table: Mapping[str, Any] = defines.predicates if kind == "predicates" else defines.values
            if name in table and (kind, name) not in seen:
                seen.add((kind, name))
                todo.append(table[name])
    return False


def _refuse_cycles(graph: Mapping[str, set[str]], docs: Mapping[str, Document]) -> None:
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            doc = docs[path[0]]
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


def rule_info(spec: Mapping[str, Any], source: str) -> RuleInfo:
    """The descriptive part of a rule. Fields are read leniently (missing or ill-typed: empty, or as text):
    ``rules lint`` goes on compiling a rule whose only schema problems are there, already reported.
    ``load_pack`` validates first, so a rule that reaches ``check`` reads exactly as written."""

    def text(value: Any) -> str:
        return value if isinstance(value, str) else "" if value is None else str(value)

    refs = spec.get("references")
    tags = spec.get("tags")
    return RuleInfo(
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
        tags=tuple(text(tag) for tag in tags) if isinstance(tags, list) else (),
        waivable=bool(spec.get("waivable", True)),
        redact=bool(spec.get("redact", False)),
        source=source,
    )


def _parse_rule(spec: Mapping[str, Any], ptr: str, parser: Parser) -> ParsedRule:
    doc = parser.doc
    info = rule_info(spec, f"{doc.path}:{doc.position(ptr)[0]}")
    for key in ("severity", "severity_in_high_risk"):
        if key in spec and spec[key] not in SEVERITIES:
            raise parser.error(pointer_join(ptr, key), f"severity must be one of {', '.join(SEVERITIES)}")
    node = parser.rule(spec, ptr)
    labels = tuple(str(raw.get("for_each", "")) for raw in spec.get("cases", [spec]))
    return ParsedRule(doc.path, info, node, labels)


def _compile_rule(rule: ParsedRule, sc: Scope) -> CompiledRule:
    bodies = tuple(
        _compile_body(body, label, sc, rule.info.redact)
        for body, label in zip(rule.node.bodies, rule.labels, strict=True)
    )
    escalate = tuple((compile_condition(e.when, sc), e.severity) for e in rule.node.escalate)
    return CompiledRule(rule.info, bodies, escalate, rule.node)


def _compile_body(node: t.Body, label: str, sc: Scope, redact: bool) -> CompiledBody:
    source = source_pointer = strings_under = None
    each = node.for_each
    if isinstance(each, t.StringsUnder):
        strings_under = tuple(str(k.value) for k in each.keys)
    elif each is not None:
        source = compile_source(each, sc)
        if isinstance(each, t.RootPath):
            source_pointer = "".join(pointer_join("", p) for p in each.parts)
    lets: dict[str, Getter] = {}
    scope = sc.derive(lets=lets)
    country = compile_value(node.country, scope)[0] if node.country is not None else None
    for let in node.lets:
        name = scope.binding(let.name)
        lets[name] = compile_value(let.value, scope)[0]
    when = compile_condition(node.when, scope) if node.when is not None else None
    require = compile_condition(node.require, scope) if node.require is not None else None
    safe = frozenset(str(let.name.value) for let in node.lets if t.literal_valued(let.value))
    message = compile_template(node.message, scope, redact=redact, safe=safe)
    notice = None
    if node.notice is not None:
        notice = (
            compile_condition(node.notice.when, scope),
            compile_template(node.notice.message, scope, redact=redact, safe=safe),
        )
    at = tuple(a.parts for a in node.at)
    return CompiledBody(
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
        label,
        node,
    )

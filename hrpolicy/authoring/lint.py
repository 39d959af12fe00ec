"""``rules lint``: every problem of a rule pack, each with the rule file's line and column.

Three passes: each file against the rules schema (all violations), the compiler in collect-all mode
(unknown operators, references, predicates, template fields, regexes RE2 rejects, duplicate ids and
definitions), and a path check over the rule tree: every path a rule reads is resolved against the
manifest schema in its context (the item of ``for_each``, the element of a quantifier), so
``in: at_risk_groups`` inside an assessment rule, or a typo like ``scope.market``, is reported instead of
silently matching nothing.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from hrpolicy.authoring.schemanav import ANY, Node, SchemaNav, Vocabulary
from hrpolicy.errors import HrpolicyError, RuleError
from hrpolicy.files import display_path
from hrpolicy.language import tree as t
from hrpolicy.language.functions import FUNCTIONS, SlotKind
from hrpolicy.language.pack import Definitions, apply_overrides, compile_pack, load_checked, rule_files
from hrpolicy.language.parse import Parser
from hrpolicy.language.templates import TEMPLATE_HEADS
from hrpolicy.load.document import Document
from hrpolicy.load.yaml import load_file
from hrpolicy.model import ErrorRecord, LintResult, Operator
from hrpolicy.validate.schemacheck import Violation
from hrpolicy.validate.schemas import (
    central_waivers_schema,
    load_schema,
    rules_violations,
    validate_pack,
    validate_rules,
)

Env = dict[str, Node]
#: A waiver as ``$waivers`` holds it: a manifest waiver entry, or a central one (with ``products``).
CENTRAL_WAIVER: Any = central_waivers_schema()["properties"]["waivers"]["items"]
#: What a ``country_as`` name stands for: country facts, checked like ``$country``.
COUNTRY_FACTS = Node(ANY, "country facts")
#: Operators comparing the subject itself with literal values, and those looking into a list subject.
SCALAR_OPS = frozenset({"equals", "not_equals", "in", "not_in"})
LIST_OPS = frozenset({"contains", "not_contains", "contains_any", "contains_all"})


class PathLinter:
    """Walks rule trees with the manifest schema alongside; collects a problem for each path that leads
    nowhere."""

    def __init__(
        self,
        nav: SchemaNav,
        defines: Definitions,
        facts: Iterable[str],
        dataset: Iterable[str],
        fact_values: Mapping[str, Vocabulary] | None = None,
    ):
        self.nav = nav
        self.defines = defines
        self.facts = set(facts)
        self.dataset = set(dataset)
        #: What a country fact can be (``tier``: high, elevated, low, unassessed), for literal checks.
        self.fact_values = dict(fact_values or {})
        self.root = Node(nav.root, "the manifest")
        self.problems: list[RuleError] = []
        self.doc: Document | None = None
        #: While a predicate is checked, problems point at the place that uses it.
        self._use_site: str | None = None
        self._checked_predicates: set[tuple[str, int]] = set()

    def rule(self, doc: Document, rule: t.Rule) -> None:
        self.doc = doc
        for body in rule.bodies:
            env = self._body_env(body)
            for esc in rule.escalate:
                self.condition(esc.when, env["item"], env)

    def _body_env(self, body: t.Body) -> Env:
        each = body.for_each
        if each is None:
            item = self.root
        elif isinstance(each, t.StringsUnder):
            self._strings_under(each)
            item = Node({"type": "string"}, "a text value")
        else:
            # The base manifest has the manifest's schema: `$base.markets` iterates over entries of markets.
            top = {"item": self.root, "manifest": self.root, "base": self.root}
            item = self.nav.items(self.source(each, self.root, top))
        env = {"item": item, "manifest": self.root, "base": self.root}
        for let in body.lets:
            env[str(let.name.value)] = Node(ANY, str(let.name.value))
        if body.country is not None:
            self.value(body.country, item, env)
        for let in body.lets:
            self.value(let.value, item, env)
        for cond in (body.when, body.require):
            if cond is not None:
                self.condition(cond, item, env)
        if body.notice is not None:
            self.condition(body.notice.when, item, env)
            self.template(body.notice.message, env)
        self.template(body.message, env)
        for at in body.at:
            self.walk(self.root, at.text, at.ptr)
        return env

    def _strings_under(self, node: t.StringsUnder) -> None:
        """Each key names one top-level key of the manifest (not a dotted path): a typo scans nothing."""
        for key in node.keys:
            if isinstance(key.value, str) and self.nav.child(self.root, key.value) is None:
                self._problem(
                    key.ptr,
                    f"`{key.value}` is not a top-level key of the manifest; "
                    f"the manifest has {', '.join(self.nav.keys(self.root))}",
                )

    def condition(self, node: t.Condition, cur: Node, env: Env) -> None:
        if isinstance(node, (t.All, t.AllOf, t.AnyOf)):
            for item in node.items:
                self.condition(item, cur, env)
        elif isinstance(node, t.Not):
            self.condition(node.item, cur, env)
        elif isinstance(node, t.Quantifier):
            element = self.nav.items(self.source(node.source, cur, env))
            inner = self._bind(self._bind(env, node.name, element), node.country_name, COUNTRY_FACTS)
            if node.where is not None:
                self._item_country_inside(node, element)
                self.condition(node.where, element, inner)
        elif isinstance(node, t.Use):
            for name in node.names:
                self._predicate(name.value, node.ptr, cur, env)
        else:
            subject = self.path(node.subject, cur, env)
            for op in node.ops:
                self.value(op.arg, cur, env)
                self._literals(node.subject, subject, op, env)

    def _literals(self, subject: t.Path | t.Ref, place: Node | None, op: t.OpTest, env: Env) -> None:
        """A literal the subject can never equal (or, for a list, never hold) is a rule that never fires
        (or always does): ``status: {equals: ga}``, ``tags: {contains_any: [biometric]}``."""
        if op.op in SCALAR_OPS:
            vocab, verb = self._vocabulary(subject, place, env, items=False), "be"
        elif op.op in LIST_OPS:
            vocab, verb = self._vocabulary(subject, place, env, items=True), "hold"
        else:
            return
        if vocab is None:
            return
        for value, where in self._literal_values(op.arg):
            reason = vocab.problem(value)
            if reason is None:
                continue
            if isinstance(subject, t.Ref) and _is_country(subject, env):
                elsewhere = sorted(f for f, v in self.fact_values.items() if value in v.values)
                if elsewhere:
                    reason += f" ({value!r} is a value of $country.{elsewhere[0]})"
            self._problem(op.ptr, f"`{subject.text}` can never {verb} {value!r}{where}: {reason}")

    def _vocabulary(
        self, subject: t.Path | t.Ref, place: Node | None, env: Env, *, items: bool
    ) -> Vocabulary | None:
        if isinstance(subject, t.Ref) and _is_country(subject, env):
            fact = subject.parts[0] if len(subject.parts) == 1 else None
            if fact == "code":
                return Vocabulary(frozenset(), frozenset({"country-code"}))
            values = self.fact_values.get(fact or "")
            return values if values is not None and (fact == "groups") is items else None
        if place is None or place.schema is ANY:
            return None
        if items:
            inner = self.nav.items(place)
            return None if inner.schema is ANY else self.nav.vocabulary(inner)
        return self.nav.vocabulary(place)

    def _literal_values(self, arg: t.Value) -> list[tuple[Any, str]]:
        """The literal values of an argument, with where they come from (a ``$lists`` name)."""
        if isinstance(arg, t.Literal):
            return [(arg.value, "")]
        if isinstance(arg, t.ListValue):
            return [(item.value, "") for item in arg.items if isinstance(item, t.Literal)]
        if isinstance(arg, t.Ref) and arg.head == "lists" and len(arg.parts) == 1:
            listed = self.defines.lists.get(arg.parts[0])
            if isinstance(listed, list):
                return [(v, f" (in $lists.{arg.parts[0]})") for v in listed]
        return []

    def _item_country_inside(self, node: t.Quantifier, element: Node) -> None:
        """``$country`` inside a quantifier over entries that have a country of their own is the rule
        item's country, not the entry's: almost always a mistake (write ``country_as`` to get the entry's)."""
        if node.country_name is not None or node.where is None:
            return  # with country_as, $country beside it is deliberate: the item's country
        if element.schema is ANY or self.nav.child(element, "country") is None:
            return
        for ref in t.references(node.where):
            if ref.head == "country" and ref.parts and ref.parts[0] != "code":
                self._problem(
                    ref.ptr,
                    f"`{ref.text}` inside `{node.kind}` over {element.label} is the rule item's country, not "
                    f"the entry's: add `country_as: NAME` to the `{node.kind}` and write "
                    f"`${{NAME}}.{'.'.join(ref.parts)}` for the entry's country",
                )

    @staticmethod
    def _bind(env: Env, name: t.Name | None, element: Node) -> Env:
        return {**env, name.value: element} if name is not None and isinstance(name.value, str) else env

    def _predicate(self, name: Any, use_ptr: str, cur: Node, env: Env) -> None:
        spec = self.defines.predicates.get(name) if isinstance(name, str) else None
        key = (str(name), id(cur.schema))
        if spec is None or key in self._checked_predicates:
            return
        self._checked_predicates.add(key)
        before = len(self.problems)
        # Checked where it is used, against that element; problems point at the use site and name it.
        outer, self._use_site = self._use_site, self._use_site or use_ptr
        try:
            self.condition(spec, cur, {k: v for k, v in env.items() if k in ("item", "manifest", "base")})
        finally:
            self._use_site = outer
        for i in range(before, len(self.problems)):
            p = self.problems[i]
            self.problems[i] = RuleError(f"in predicate {name!r}: {p.message}", p.path, p.line, p.column)

    # ------------------------------------------------------------------------------------- references

    def source(self, node: t.Source, cur: Node, env: Env) -> Node:
        if isinstance(node, t.RootPath):
            at_top = self.walk(self.root, node.text, node.ptr, report=False)
            if at_top is None and cur is not self.root and self.walk(cur, node.text, node.ptr, report=False):
                self._problem(
                    node.ptr,
                    f"`{node.text}` is read from the top of the manifest, which has none; "
                    f"to go through {cur.label}'s own list write `$item.{node.text}` (or an `as` name)",
                )
                return Node(ANY, node.text)
            return self.walk(self.root, node.text, node.ptr) or Node(ANY, node.text)
        return self.value(node, cur, env)

    def value(self, node: t.Value, cur: Node, env: Env) -> Node:
        if isinstance(node, t.Ref):
            return self.path(node, cur, env) or Node(ANY, node.text)
        if isinstance(node, t.ListValue):
            for item in node.items:
                self.value(item, cur, env)
        elif isinstance(node, t.Call):
            return self._call(node, cur, env)
        return Node(ANY, "a value")

    def _call(self, node: t.Call, cur: Node, env: Env) -> Node:
        fn = FUNCTIONS[node.fn]
        element, inner = cur, env
        if fn.element is not None:
            element = self.nav.items(self.source(node.args[fn.element], cur, env))  # type: ignore[arg-type]
            name = node.args.get("as")
            inner = self._bind(env, name if isinstance(name, t.Name) else None, element)
        for key, arg in node.args.items():
            if key == fn.element:
                continue
            here, names = (element, inner) if key in fn.inner else (cur, env)
            kind = fn.slots[key]
            if kind is SlotKind.CONDITION:
                self.condition(arg, here, names)  # type: ignore[arg-type]
            elif kind is SlotKind.FIELD:
                self.path(arg, here, names)  # type: ignore[arg-type]
            elif kind in (SlotKind.VALUE, SlotKind.PAIR):
                self.value(arg, here, names)  # type: ignore[arg-type]
        if fn.element is None:
            return Node(ANY, "a value")
        return element if fn.gives_entry else Node(ANY, "collected values")

    def path(self, node: t.Path | t.Ref, cur: Node, env: Env) -> Node | None:
        if isinstance(node, t.Path):
            return self.walk(cur, node.text, node.ptr)
        head, rest = node.head, ".".join(node.parts)
        if head in ("lists", "values", "patterns", "today", "scopes"):
            return Node(ANY, head)  # names are the compiler's business
        if head == "waivers":  # the manifest's waivers and the central ones (which may name products)
            effective = Node({"type": "array", "items": CENTRAL_WAIVER}, "`$waivers`")
            return self.walk(effective, rest, node.ptr) if rest else effective
        if head == "country" or env.get(head) is COUNTRY_FACTS:
            return self._known(rest, self.facts, "country fact", node.ptr)
        if head == "dataset":
            return self._known(rest, self.dataset, "dataset field", node.ptr)
        base = env.get(head)
        if base is None:
            return Node(ANY, head)  # unknown names are reported by the compiler
        return self.walk(base, rest, node.ptr) if rest else base

    def _known(self, rest: str, known: set[str], what: str, ptr: str) -> Node:
        name = rest.split(".", 1)[0]
        if name and known and name not in known:
            self._problem(ptr, f"unknown {what} {name!r} (known: {', '.join(sorted(known))})")
        return Node(ANY, what)

    def walk(self, node: Node, path: str, ptr: str, *, report: bool = True) -> Node | None:
        current = node
        for part in path.split("."):
            if current.schema is ANY:
                return current
            nxt = self.nav.child(current, part)
            if nxt is None:
                if not report:
                    return None
                keys = self.nav.keys(current)
                hint = f"; {current.label} has {', '.join(keys)}" if keys else ""
                self._problem(ptr, f"path `{path}` does not exist in {current.label}{hint}")
                return None
            current = nxt
        return current

    def template(self, node: t.Template, env: Env) -> None:
        for piece in node.pieces:
            if isinstance(piece, t.Ref) and (piece.head in TEMPLATE_HEADS or piece.head in env):
                self.path(piece, env["item"], env)

    def _problem(self, ptr: str, message: str) -> None:
        assert self.doc is not None
        line, col = self.doc.position(self._use_site or ptr)
        self.problems.append(RuleError(message, self.doc.path, line, col))


def _pack_files(dirs: Sequence[Path], problems: list[RuleError]) -> list[Document]:
    """The valid ``pack.yaml`` files of ``dirs``; the problems of the others."""
    found = []
    for path in (d / "pack.yaml" for d in dirs):
        if path.is_file():
            doc, errors = _load_validated(path, validate_pack, problems)
            if doc is not None and not errors:
                found.append(doc)
    return found


def _load_validated(
    path: Path, validate: Callable[[Document], list[ErrorRecord]], problems: list[RuleError]
) -> tuple[Document | None, list[ErrorRecord]]:
    """The file and its schema errors, each problem (unreadable, unparsable, invalid) added to
    ``problems``; no document when it cannot be read or parsed."""
    try:
        doc = load_file(path, display=display_path(path))
    except HrpolicyError as exc:
        problems.append(RuleError(exc.message, exc.path, exc.line, exc.column))
        return None, []
    errors = validate(doc)
    problems.extend(RuleError(e.message, e.path, e.line, e.column) for e in errors)
    return doc, errors


def _is_country(ref: t.Ref, env: Env) -> bool:
    """Whether a reference reads country facts: ``$country`` or a ``country_as`` name."""
    return ref.head == "country" or env.get(ref.head) is COUNTRY_FACTS


#: A stand-in for a malformed definition of each kind: an empty list, no value, a condition and a pattern
#: that never match.
PLACEHOLDERS: Mapping[str, Any] = {
    "lists": [],
    "values": {"literal": None},
    "predicates": {"any": {"in": {"literal": []}}},
    "patterns": "[^\\s\\S]",
}


def _with_placeholders(doc: Document, violations: Sequence[Violation]) -> Document:
    """The document with each definition a violation points into replaced by its kind's placeholder (and
    an unknown or malformed kind of definitions left out)."""
    if not violations:
        return doc
    data = copy.deepcopy(doc.data)
    define = data["define"]
    for v in violations:
        kind = str(v.path[1])
        if kind not in PLACEHOLDERS or len(v.path) < 3 or not isinstance(define.get(kind), dict):
            define.pop(kind, None)  # an unknown kind of definition, or a kind that is not a mapping
        elif v.path[2] in define[kind]:
            define[kind][v.path[2]] = copy.deepcopy(PLACEHOLDERS[kind])
    return Document(data, doc.marks, doc.path)


# Fields that only describe a rule: a problem there leaves its logic safe to compile and check.
DESCRIPTIVE = frozenset({"title", "rationale", "references", "remediation", "tags"})


def _descriptive(v: Violation) -> bool:
    if len(v.path) >= 3:
        return v.path[2] in DESCRIPTIVE
    return any(v.message == f"{key!r} is a required property" for key in DESCRIPTIVE)


def lint(
    dirs: Sequence[Path],
    operators: Mapping[str, Operator],
    facts: Iterable[str],
    dataset: Iterable[str],
    fact_values: Mapping[str, Iterable[str]] | None = None,
    *,
    context: Sequence[Path] = (),
) -> LintResult:
    """Every problem of the rule files in ``dirs``, in file order; with the packs in ``context`` (those a
    ``pack.yaml`` extends) compiled alongside, their problems not reported."""
    problems: list[RuleError] = []
    docs: list[Document] = []
    skip: set[tuple[str, int]] = set()
    for path in rule_files(context):
        try:
            docs.append(load_checked(path, validate_rules, RuleError))
        except RuleError:
            continue  # not this pack's problem: checked where it lives
    context_docs = len(docs)
    pack_files = _pack_files(dirs, problems)
    files = rule_files(dirs)
    for path in files:
        doc, errors = _load_validated(path, validate_rules, problems)
        if doc is None:
            continue
        if not errors:
            docs.append(doc)
            continue
        # A malformed rule is skipped; the file's other rules are still compiled and checked. A malformed
        # definition is replaced by a harmless one of its kind, so that its uses compile and the rest of
        # the file is still checked. Any other problem at the top level leaves nothing safe to compile.
        bad = rules_violations(doc.data)
        in_rules = [
            v for v in bad if len(v.path) >= 2 and v.path[0] == "rules" and isinstance(v.path[1], int)
        ]
        in_define = [v for v in bad if len(v.path) >= 2 and v.path[0] == "define"]
        if len(in_rules) + len(in_define) == len(bad):
            skip.update((doc.path, int(v.path[1])) for v in in_rules if not _descriptive(v))
            docs.append(_with_placeholders(doc, in_define))
    compiled: list[RuleError] = []
    pack = compile_pack(docs, operators, tuple(dirs), collect=compiled, skip=frozenset(skip))
    own = {doc.path for doc in docs[context_docs:]}
    problems.extend(p for p in compiled if p.path in own or p.path is None)
    try:
        apply_overrides(pack, pack_files)
    except RuleError as error:
        problems.append(error)
    vocabularies = {name: Vocabulary(frozenset(values)) for name, values in (fact_values or {}).items()}
    checker = PathLinter(SchemaNav(load_schema("manifest")), pack.defines, facts, dataset, vocabularies)
    for doc in docs[context_docs:]:
        parser = Parser(doc)
        for i, spec in enumerate(doc.data.get("rules") or ()):
            if (doc.path, i) in skip:
                continue
            try:
                rule = parser.rule(spec, f"/rules/{i}")
            except RuleError:
                continue  # its shape is wrong: the compiler has reported it
            checker.rule(doc, rule)
    problems.extend(checker.problems)
    seen: set[str] = set()
    records = []
    for p in sorted(problems, key=lambda p: (p.path or "", p.line or 0, p.column or 0, p.message)):
        if str(p) not in seen:
            seen.add(str(p))
            records.append(ErrorRecord(p.path or "rules", p.message, p.line, p.column))
    return LintResult(files=len(files), problems=tuple(records))

"""Compiles the rule tree (:mod:`hrpolicy.language.tree`) into plain Python closures, once per run.

Nothing is parsed while manifests are evaluated: every condition, value and source becomes a closure over
a :class:`~hrpolicy.language.context.Ctx`. Names resolve through a :class:`Scope`, the compile-time view
of what a node can see (built-in names, ``let`` and ``as`` names, definitions); an unknown name is a
:class:`~hrpolicy.errors.RuleError` naming the rule file's line and column. Message templates compile in
:mod:`hrpolicy.language.templates`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from hrpolicy.errors import RuleError
from hrpolicy.language import tree as t
from hrpolicy.language.context import UNSET, Ctx, Getter, Test, country_of, scan
from hrpolicy.language.functions import FUNCTIONS, SlotKind
from hrpolicy.load.document import Document
from hrpolicy.model import Operator
from hrpolicy.values import as_list

#: Variables every rule can use; ``$item``, ``$country`` and ``$scopes`` (a market's own) are set per item.
GLOBAL_VARS = frozenset({"item", "manifest", "base", "today", "country", "dataset", "scopes", "waivers"})
#: Variables a per-manifest ``define.values`` entry may use (it is computed once per manifest).
MANIFEST_VARS = frozenset({"manifest", "base", "today", "dataset", "waivers"})
#: Names no ``let`` or ``as`` may take.
RESERVED = GLOBAL_VARS | {"lists", "values", "patterns"}
_NAME = re.compile(r"[a-z_][a-z0-9_]*")


class Predicates:
    """``define.predicates``: compiled where they are used, for the names visible there, and cached."""

    def __init__(self, specs: Mapping[str, tuple[Document, t.Condition]], scope_for: Callable[..., Scope]):
        self.specs = specs
        self._scope_for = scope_for
        self._built: dict[tuple[str, frozenset[str]], Test] = {}
        self._building: set[str] = set()

    def __contains__(self, name: object) -> bool:
        return name in self.specs

    def __iter__(self) -> Any:
        return iter(self.specs)

    def compile(self, name: str, names: frozenset[str]) -> Test:
        # Only global names reach a predicate: it must not capture a rule's let or as names.
        visible = names & GLOBAL_VARS
        key = (name, visible)
        test = self._built.get(key)
        if test is None:
            doc, spec = self.specs[name]
            if name in self._building:
                line, col = doc.position(f"/define/predicates/{name}")
                raise RuleError(f"predicate {name!r} uses itself", doc.path, line, col)
            self._building.add(name)
            try:
                sc = self._scope_for(doc, visible)
                country = self.reads_country(name, sc.pack.item_values)
                test = self._built[key] = _remembered(name, compile_condition(spec, sc), country)
            finally:
                self._building.discard(name)
        return test

    def reads_country(
        self, name: str, item_values: frozenset[str], seen: frozenset[str] = frozenset()
    ) -> bool:
        """Whether a predicate reads ``$country``, itself, through a value that depends on the item or
        through another predicate."""
        if name in seen or name not in self.specs:
            return False
        spec = self.specs[name][1]
        for ref in t.references(spec):
            if ref.head == "country" or (
                ref.head == "values" and ref.parts[:1] and ref.parts[0] in item_values
            ):
                return True
        return any(self.reads_country(n, item_values, seen | {name}) for n in t.used_predicates(spec))


def _remembered(name: str, test: Test, reads_country: bool) -> Test:
    """A predicate's answer, remembered for the rest of the manifest. It sees only global names, so what it
    answers depends on nothing but the current element, the item, the item's scopes, the manifest and, when
    it reads it (``reads_country``), the item's country: rules that ask about the same pair (an assessment
    and a market) ask once. The cache keeps the objects it is keyed by alive, so their identities cannot
    be reused. With an evidence trail it always evaluates, so that what the predicate matched is recorded
    where it is used."""

    def remembered(ctx: Ctx) -> bool:
        if ctx.trail is not None:
            return test(ctx)
        item, scopes = ctx.vars["item"], ctx.vars["scopes"]
        # The item's country differs from rule to rule (each says how to find it): found now if read.
        country = country_of(ctx) if reads_country else None
        key = (name, id(ctx.cur), id(item), id(country), id(scopes))
        hit = ctx.answers.get(key)
        if hit is None:
            hit = ctx.answers[key] = (test(ctx), ctx.cur, item, country, scopes)
        return bool(hit[0])

    return remembered


class PackNames(NamedTuple):
    """What every node of one pack can name: operators and the pack's definitions."""

    operators: Mapping[str, Operator]
    lists: Mapping[str, Any]
    patterns: Mapping[str, Any]
    value_names: frozenset[str]
    #: Values that depend on the item ($item, $country): computed per item, never cached per manifest.
    item_values: frozenset[str]
    predicates: Predicates | None


class Scope:
    """Compile-time environment: where we are (for errors) and which names resolve."""

    __slots__ = ("doc", "lets", "names", "pack")

    def __init__(
        self,
        doc: Document,
        pack: PackNames,
        names: frozenset[str] = GLOBAL_VARS,
        lets: dict[str, Getter] | None = None,
    ):
        self.doc = doc
        self.pack = pack
        self.names = names
        self.lets: dict[str, Getter] = lets if lets is not None else {}

    def error(self, pointer: str, message: str) -> RuleError:
        line, col = self.doc.position(pointer)
        return RuleError(message, self.doc.path, line, col)

    def derive(self, *, names: frozenset[str] | None = None, lets: dict[str, Getter] | None = None) -> Scope:
        return Scope(
            self.doc, self.pack, self.names if names is None else names, self.lets if lets is None else lets
        )

    def with_names(self, *extra: str) -> Scope:
        return self.derive(names=self.names | frozenset(extra))

    def binding(self, name: t.Name) -> str:
        """Check an ``as`` or ``let`` name: lower-case, and not hiding a built-in or another name."""
        value = name.value
        if not isinstance(value, str) or not _NAME.fullmatch(value):
            raise self.error(
                name.ptr,
                f"a let, as or country_as name must be a lower-case name (letters, digits, _), not {value!r}",
            )
        if value in RESERVED or value in self.names or value in self.lets:
            raise self.error(name.ptr, f"the name {value!r} is already taken (built-in, let or outer as)")
        return value


# ---------------------------------------------------------------------------------------------- paths


def _walk(base: Getter, parts: tuple[str, ...]) -> Getter:
    if not parts:
        return base
    if len(parts) == 1:
        (k,) = parts

        def one(ctx: Ctx) -> Any:
            o = base(ctx)
            return o.get(k) if type(o) is dict else None

        return one

    def many(ctx: Ctx) -> Any:
        o = base(ctx)
        for k in parts:
            if type(o) is not dict:
                return None
            o = o.get(k)
        return o

    return many


def _hint(got: tuple[str, ...], known: Iterable[str]) -> str:
    if not got:
        return ""
    import difflib  # only for an error message

    close = difflib.get_close_matches(got[0], list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def compile_ref(ref: t.Ref, sc: Scope) -> tuple[Getter, Any]:
    """``$name.path`` -> (getter, constant or UNSET)."""
    head, parts, ptr = ref.head, ref.parts, ref.ptr
    if head == "lists":
        if not parts or parts[0] not in sc.pack.lists:
            raise sc.error(ptr, f"unknown list {ref.text!r}{_hint(parts[:1], sc.pack.lists)}")
        value = sc.pack.lists[parts[0]]
        return (lambda ctx: value), value
    if head == "patterns":
        if not parts or parts[0] not in sc.pack.patterns:
            raise sc.error(ptr, f"unknown pattern {ref.text!r}{_hint(parts[:1], sc.pack.patterns)}")
        pattern = sc.pack.patterns[parts[0]]
        return (lambda ctx: pattern), pattern
    if head == "values":
        if not parts or parts[0] not in sc.pack.value_names:
            raise sc.error(ptr, f"unknown value {ref.text!r}{_hint(parts[:1], sc.pack.value_names)}")
        return _walk(_value_getter(parts[0], parts[0] in sc.pack.item_values), parts[1:]), UNSET
    if head in sc.lets:
        return _walk(_let_getter(head, sc.lets[head]), parts), UNSET
    if head not in sc.names:
        known = sorted(sc.names | {"lists", "values", "patterns"} | set(sc.lets))
        raise sc.error(ptr, f"unknown reference ${head}{_hint((head,), known)}")
    if head == "country":
        return _walk(country_of, parts), UNSET
    return _walk(lambda ctx: ctx.vars[head], parts), UNSET


def _value_getter(name: str, per_item: bool) -> Getter:
    # A value that depends on the item is computed once per item (and its country), against the item;
    # any other once per manifest, against the manifest, wherever first used.
    against = "item" if per_item else "manifest"

    def value_of(ctx: Ctx) -> Any:
        cache = ctx.item_values if per_item else ctx.values
        v = cache.get(name, UNSET)
        if v is UNSET:
            saved, ctx.cur = ctx.cur, ctx.vars[against]
            try:
                v = cache[name] = ctx.value_defs[name](ctx)
            finally:
                ctx.cur = saved
        return v

    return value_of


def _let_getter(name: str, let: Getter) -> Getter:
    def let_of(ctx: Ctx) -> Any:
        v = ctx.vars.get(name, UNSET)
        if v is UNSET:
            # Computed on first use, maybe inside a quantifier: bare paths still mean the item.
            saved, ctx.cur = ctx.cur, ctx.vars["item"]
            try:
                v = ctx.vars[name] = let(ctx)
            finally:
                ctx.cur = saved
        return v

    return let_of


def compile_subject(node: t.Path | t.Ref, sc: Scope) -> Getter:
    """A condition key: ``$ref.path`` or a path relative to the current element."""
    if isinstance(node, t.Ref):
        return compile_ref(node, sc)[0]
    return _from_current(node.parts)


def _from_current(parts: tuple[str, ...]) -> Getter:
    """A path from the current element, one call per lookup (the most frequent lookup of all)."""
    if len(parts) == 1:
        (k,) = parts

        def one(ctx: Ctx) -> Any:
            o = ctx.cur
            return o.get(k) if type(o) is dict else None

        return one
    return _walk(lambda ctx: ctx.cur, parts)


# --------------------------------------------------------------------------------------------- values


def compile_value(node: t.Value, sc: Scope) -> tuple[Getter, Any]:
    """An operand -> (getter, its constant value, or UNSET when it depends on the manifest)."""
    if isinstance(node, t.Literal):
        value = node.value
        return (lambda ctx: value), value
    if isinstance(node, t.Ref):
        return compile_ref(node, sc)
    if isinstance(node, t.ListValue):
        items = [compile_value(v, sc) for v in node.items]
        if all(c is not UNSET for _, c in items):
            const = [c for _, c in items]
            return (lambda ctx: const), const
        getters = [g for g, _ in items]
        return (lambda ctx: [g(ctx) for g in getters]), UNSET
    return _untraced(compile_call(node, sc)), UNSET


def _untraced(getter: Getter) -> Getter:
    """A value function (find, collect, if, ...) computes a value: what its conditions match is not what
    clears a requirement, so nothing it matches enters the evidence trail."""

    def value(ctx: Ctx) -> Any:
        trail = ctx.trail
        if trail is None:
            return getter(ctx)
        ctx.trail = None
        try:
            return getter(ctx)
        finally:
            ctx.trail = trail

    return value


def compile_source(node: t.Source, sc: Scope) -> Getter:
    """A list to iterate: a path from the manifest root, or any value."""
    if isinstance(node, t.RootPath):
        return _walk(lambda ctx: ctx.vars["manifest"], node.parts)
    return compile_value(node, sc)[0]


def compile_call(node: t.Call, sc: Scope) -> Getter:
    """A value function: the element slot with the outer scope, then the ``as`` name, then the slots that
    see each element, in a scope with that name."""
    fn = FUNCTIONS[node.fn]
    args: dict[str, Any] = {}
    inner = sc
    if fn.element is not None:
        args[fn.element] = compile_source(node.args[fn.element], sc)  # type: ignore[arg-type]
        name = node.args.get("as")
        if isinstance(name, t.Name):
            args["as"] = sc.binding(name)
            inner = sc.with_names(args["as"])
    for key, kind in fn.slots.items():
        if key in args or key not in node.args:
            continue
        args[key] = _compile_slot(kind, node.args[key], inner if key in fn.inner else sc)
    return fn.build(args)


def _compile_slot(kind: SlotKind, node: Any, sc: Scope) -> Any:
    if kind is SlotKind.SOURCE:
        return compile_source(node, sc)
    if kind is SlotKind.CONDITION:
        return compile_condition(node, sc)
    if kind is SlotKind.FIELD:
        return compile_subject(node, sc)
    if kind is SlotKind.NAME:
        return sc.binding(node)
    if kind is SlotKind.PAIR:
        return [compile_value(v, sc)[0] for v in node.items]
    if kind is SlotKind.RAW:
        return node.value
    return compile_value(node, sc)[0]


# ----------------------------------------------------------------------------------------- conditions


def compile_condition(node: t.Condition, sc: Scope) -> Test:
    """A condition node -> a test of the current context."""
    if isinstance(node, (t.All, t.AllOf)):
        return _and([compile_condition(c, sc) for c in node.items])
    if isinstance(node, t.AnyOf):
        return _any_of([compile_condition(c, sc) for c in node.items])
    if isinstance(node, t.Not):
        return _not(compile_condition(node.item, sc))
    if isinstance(node, t.Quantifier):
        return _compile_quantifier(node, sc)
    if isinstance(node, t.Use):
        return _and([_predicate(name, sc) for name in node.names])
    get = compile_subject(node.subject, sc)
    key = node.subject.parts[0] if isinstance(node.subject, t.Path) and len(node.subject.parts) == 1 else None
    return _and([_compile_operator(get, op, sc, key) for op in node.ops])


# With an evidence trail (ctx.trail), what a failed branch, a negated condition or a non-matching element
# recorded is taken back: only matches on the path to the condition's truth stay.


def _any_of(tests: list[Test]) -> Test:
    def any_true(ctx: Ctx) -> bool:
        trail = ctx.trail
        if trail is None:
            return any(test(ctx) for test in tests)
        for test in tests:
            mark = len(trail)
            if test(ctx):
                return True
            del trail[mark:]
        return False

    return any_true


def _not(inner: Test) -> Test:
    def negated(ctx: Ctx) -> bool:
        trail = ctx.trail
        if trail is None:
            return not inner(ctx)
        mark = len(trail)
        result = inner(ctx)
        del trail[mark:]  # what a negated condition matched clears nothing
        return not result

    return negated


def _and(tests: list[Test]) -> Test:
    if len(tests) == 1:
        return tests[0]

    def all_true(ctx: Ctx) -> bool:
        # A plain loop: all() over a generator costs a frame per call on this hot path.
        for test in tests:  # noqa: SIM110
            if not test(ctx):
                return False
        return True

    return all_true


def _predicate(name: t.Name, sc: Scope) -> Test:
    known = sc.pack.predicates or Predicates({}, lambda d, n: sc)
    if not isinstance(name.value, str) or name.value not in known:
        raise sc.error(name.ptr, f"unknown predicate {name.value!r}{_hint((str(name.value),), known)}")
    return known.compile(name.value, sc.names)


def _compile_operator(get: Getter, node: t.OpTest, sc: Scope, key: str | None = None) -> Test:
    """``get`` tested by the operator. ``key``: the subject is that key of the current element, looked up
    in the same call (conditions such as ``status: {equals: planned}`` are the most frequent of all)."""
    operator = sc.pack.operators.get(node.op)
    if operator is None:
        raise sc.error(node.ptr, f"unknown operator {node.op!r}{_hint((node.op,), sc.pack.operators)}")
    arg_get, const = compile_value(node.arg, sc)
    test, prepare = operator.test, operator.prepare
    if const is not UNSET:
        if prepare is not None:
            try:
                const = prepare(const)
            except ValueError as exc:
                raise sc.error(node.ptr, f"{node.op}: {exc}") from None
        if key is not None:

            def test_key(ctx: Ctx) -> bool:
                o = ctx.cur
                return test(o.get(key) if type(o) is dict else None, const, ctx)

            return test_key
        return lambda ctx: test(get(ctx), const, ctx)
    if prepare is None:
        return lambda ctx: test(get(ctx), arg_get(ctx), ctx)

    def dynamic(ctx: Ctx) -> bool:
        try:
            prepared = prepare(arg_get(ctx))
        except ValueError:
            return False
        return test(get(ctx), prepared, ctx)

    return dynamic


def _compile_quantifier(node: t.Quantifier, sc: Scope) -> Test:
    src = compile_source(node.source, sc)
    as_name = sc.binding(node.name) if node.name is not None else None
    inner = sc.with_names(as_name) if as_name else sc
    country_name = inner.binding(node.country_name) if node.country_name is not None else None
    inner = inner.with_names(country_name) if country_name else inner
    where = compile_condition(node.where, inner) if node.where is not None else None
    kind = node.kind
    if where is None:  # any: the list is not empty; none: it is empty; all: vacuously true
        if kind == "all":
            return lambda ctx: True
        empty = kind == "none"
        return lambda ctx: (not as_list(src(ctx))) is empty
    test = where if country_name is None else _with_element_country(where, country_name)
    # any stops at the first match (True), none at the first match (False), all at the first miss (False).
    stop_on = kind != "all"
    found = kind == "any"

    def quantify(ctx: Ctx) -> bool:
        if ctx.trail is None and country_name is None:
            # The usual case, without the visitor: each element is the current element (and the ``as``
            # name) in turn.
            saved, variables = ctx.cur, ctx.vars
            saved_as = variables.get(as_name, UNSET) if as_name else UNSET
            try:
                for el in as_list(src(ctx)):
                    ctx.cur = el
                    if as_name:
                        variables[as_name] = el
                    if bool(test(ctx)) is stop_on:
                        return found
            finally:
                ctx.cur = saved
                if as_name:
                    if saved_as is UNSET:
                        variables.pop(as_name, None)
                    else:
                        variables[as_name] = saved_as
            return not found
        visit = _recording(ctx, test, stop_on, record=found)
        if country_name is None:
            stopped = scan(ctx, as_list(src(ctx)), as_name, visit)
            return found if stopped else not found
        saved = ctx.vars.get(country_name, UNSET)
        try:
            stopped = scan(ctx, as_list(src(ctx)), as_name, visit)
        finally:
            if saved is UNSET:
                ctx.vars.pop(country_name, None)
            else:
                ctx.vars[country_name] = saved
        return found if stopped else not found

    return quantify


def _recording(ctx: Ctx, test: Test, stop_on: bool, *, record: bool) -> Callable[[Any], bool]:
    """The per-element check of a quantifier; with an evidence trail, an element that does not match
    takes back what its condition recorded, and a match of ``any`` records the element itself."""
    trail = ctx.trail
    if trail is None:
        return lambda el: bool(test(ctx)) is stop_on

    def visit(el: Any) -> bool:
        mark = len(trail)
        matched = bool(test(ctx))
        if not matched:
            del trail[mark:]
        elif record:
            trail.append(el)
        return matched is stop_on

    return visit


def _with_element_country(test: Test, country_name: str) -> Test:
    """``test`` with the ``country_as`` name holding the current element's country facts (of its
    ``country`` field; an element without one concerns no country)."""

    def with_country(ctx: Ctx) -> bool:
        el = ctx.cur
        code = el.get("country") if isinstance(el, dict) else None
        ctx.vars[country_name] = ctx.facts_of(code if isinstance(code, str) else "")
        return test(ctx)

    return with_country

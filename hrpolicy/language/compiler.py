"""Compiles the rule language (docs/rule-language.md) into plain Python closures, once per run.

Nothing is parsed while manifests are evaluated: every condition, value and source becomes a closure over
a :class:`~hrpolicy.language.scope.Ctx`; names resolve through a :class:`~hrpolicy.language.scope.Scope` (message templates:
:mod:`hrpolicy.language.templates`). Compile errors are :class:`RuleError` naming the rule file's line and column.
"""

from __future__ import annotations

import datetime
import difflib
from collections.abc import Callable, Iterable
from typing import Any

from hrpolicy.language.scope import Ctx, Getter, Predicates, Scope, Test, as_date, as_list, flatten
from hrpolicy.load.yaml import pointer_join

VALUE_FUNCTIONS = ("collect", "worst_of", "find", "add_days", "if", "literal", "country_facts")
_UNSET: Any = object()


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


def _split(path: str, ptr: str, sc: Scope) -> tuple[str, ...]:
    parts = tuple(path.split("."))
    if not all(parts):
        raise sc.error(ptr, f"malformed path {path!r}")
    return parts


def compile_ref(ref: str, ptr: str, sc: Scope) -> tuple[Getter, Any]:
    """``$name.path`` -> (getter, constant or _UNSET)."""
    head, *rest = _split(ref[1:], ptr, sc)
    parts = tuple(rest)
    if head == "lists":
        if not parts or parts[0] not in sc.lists:
            raise sc.error(ptr, f"unknown list {ref!r}{_hint(parts[:1], sc.lists)}")
        value = sc.lists[parts[0]]
        return (lambda ctx: value), value
    if head == "patterns":
        if not parts or parts[0] not in sc.patterns:
            raise sc.error(ptr, f"unknown pattern {ref!r}{_hint(parts[:1], sc.patterns)}")
        pattern = sc.patterns[parts[0]]
        return (lambda ctx: pattern), pattern
    if head == "values":
        if not parts or parts[0] not in sc.value_names:
            raise sc.error(ptr, f"unknown value {ref!r}{_hint(parts[:1], sc.value_names)}")
        name = parts[0]
        if name in sc.item_values:

            def item_value_of(ctx: Ctx) -> Any:
                # Depends on the item, so computed for it each time, against the item.
                saved, ctx.cur = ctx.cur, ctx.vars["item"]
                try:
                    return ctx.value_defs[name](ctx)
                finally:
                    ctx.cur = saved

            return _walk(item_value_of, parts[1:]), _UNSET

        def value_of(ctx: Ctx) -> Any:
            v = ctx.values.get(name, _UNSET)
            if v is _UNSET:
                # Computed once per manifest, so always against the manifest, wherever first used.
                saved, ctx.cur = ctx.cur, ctx.vars["manifest"]
                try:
                    v = ctx.values[name] = ctx.value_defs[name](ctx)
                finally:
                    ctx.cur = saved
            return v

        return _walk(value_of, parts[1:]), _UNSET
    if head in sc.lets:
        let = sc.lets[head]

        def let_of(ctx: Ctx) -> Any:
            v = ctx.vars.get(head, _UNSET)
            if v is _UNSET:
                # Computed on first use, maybe inside a quantifier: bare paths still mean the item.
                saved, ctx.cur = ctx.cur, ctx.vars["item"]
                try:
                    v = ctx.vars[head] = let(ctx)
                finally:
                    ctx.cur = saved
            return v

        return _walk(let_of, parts), _UNSET
    if head not in sc.names:
        known = sorted(sc.names | {"lists", "values", "patterns"} | set(sc.lets))
        raise sc.error(ptr, f"unknown reference ${head}{_hint((head,), known)}")
    return _walk(lambda ctx: ctx.vars[head], parts), _UNSET


def _hint(got: tuple[str, ...], known: Iterable[str]) -> str:
    if not got:
        return ""
    close = difflib.get_close_matches(got[0], list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def compile_path(key: str, ptr: str, sc: Scope) -> Getter:
    """A condition key: ``$ref.path`` or a path relative to the current element."""
    if key.startswith("$"):
        return compile_ref(key, ptr, sc)[0]
    return _walk(lambda ctx: ctx.cur, _split(key, ptr, sc))


# --------------------------------------------------------------------------------------------- values


def compile_value(node: Any, ptr: str, sc: Scope) -> tuple[Getter, Any]:
    """An operand: literal, ``$reference``, list of those, or a value function. -> (getter, const)."""
    if isinstance(node, str):
        if node.startswith("$"):
            return compile_ref(node, ptr, sc)
        return (lambda ctx: node), node
    if isinstance(node, list):
        items = [compile_value(v, pointer_join(ptr, i), sc) for i, v in enumerate(node)]
        if all(c is not _UNSET for _, c in items):
            const = [c for _, c in items]
            return (lambda ctx: const), const
        getters = [g for g, _ in items]
        return (lambda ctx: [g(ctx) for g in getters]), _UNSET
    if isinstance(node, dict):
        if set(node) == {"literal"}:
            value = node["literal"]
            return (lambda ctx: value), value
        return _compile_function(node, ptr, sc), _UNSET
    return (lambda ctx: node), node


def compile_source(node: Any, ptr: str, sc: Scope) -> Getter:
    """A list to iterate: a manifest path (``assessments``), a ``$reference``, a literal list, a function."""
    if isinstance(node, str) and not node.startswith("$"):
        return _walk(lambda ctx: ctx.vars["manifest"], _split(node, ptr, sc))
    return compile_value(node, ptr, sc)[0]


def _compile_function(node: dict[str, Any], ptr: str, sc: Scope) -> Getter:
    fn = [k for k in node if k in VALUE_FUNCTIONS]
    if len(fn) != 1:
        raise sc.error(ptr, f"a mapping operand needs exactly one of {', '.join(VALUE_FUNCTIONS)}")
    name = fn[0]
    allowed = {
        "collect": {"collect", "from", "where", "as"},
        "worst_of": {"worst_of", "otherwise"},
        "find": {"find", "where", "as"},
        "add_days": {"add_days"},
        "if": {"if", "then", "else"},
        "literal": {"literal"},
        "country_facts": {"country_facts"},
    }[name]
    extra = sorted(set(node) - allowed)
    if extra:
        raise sc.error(pointer_join(ptr, extra[0]), f"unexpected key {extra[0]!r} in {name!r}")
    at = pointer_join(ptr, name)
    if name == "collect":
        if not isinstance(node["collect"], str) or "from" not in node:
            raise sc.error(at, "collect needs a field path and 'from'")
        src = compile_source(node["from"], pointer_join(ptr, "from"), sc)
        as_name = sc.binding(node["as"], pointer_join(ptr, "as")) if "as" in node else None
        inner = sc.with_names(as_name) if as_name else sc
        field_get = compile_path(node["collect"], at, inner)
        where = (
            compile_condition(node["where"], pointer_join(ptr, "where"), inner) if "where" in node else None
        )
        return _select(src, as_name, where, field_get)
    if name == "find":
        src = compile_source(node["find"], at, sc)
        as_name = sc.binding(node["as"], pointer_join(ptr, "as")) if "as" in node else None
        inner = sc.with_names(as_name) if as_name else sc
        where = (
            compile_condition(node["where"], pointer_join(ptr, "where"), inner) if "where" in node else None
        )
        return _select(src, as_name, where, None)
    if name == "worst_of":
        first = compile_value(node["worst_of"], at, sc)[0]
        other = (
            compile_value(node["otherwise"], pointer_join(ptr, "otherwise"), sc)[0]
            if "otherwise" in node
            else None
        )

        def worst(ctx: Ctx) -> Any:
            code = ctx.worst_of(flatten(as_list(first(ctx))))
            if code is None and other is not None:
                code = ctx.worst_of(flatten(as_list(other(ctx))))
            return code

        return worst
    if name == "country_facts":
        code_of = compile_value(node["country_facts"], at, sc)[0]

        def facts(ctx: Ctx) -> Any:
            code = code_of(ctx)
            return ctx.facts_of(code) if isinstance(code, str) else None

        return facts
    if name == "add_days":
        args = node["add_days"]
        if not isinstance(args, list) or len(args) != 2:
            raise sc.error(at, "add_days takes [date, days]")
        d_get = compile_value(args[0], pointer_join(at, 0), sc)[0]
        n_get = compile_value(args[1], pointer_join(at, 1), sc)[0]

        def add_days(ctx: Ctx) -> Any:
            d, n = as_date(d_get(ctx)), n_get(ctx)
            if d is None or not isinstance(n, int) or isinstance(n, bool):
                return None
            try:
                return d + datetime.timedelta(days=n)
            except OverflowError:
                return None

        return add_days
    # if / then / else
    cond = compile_condition(node["if"], at, sc)
    then = compile_value(node.get("then"), pointer_join(ptr, "then"), sc)[0]
    other_v = compile_value(node.get("else"), pointer_join(ptr, "else"), sc)[0]
    return lambda ctx: then(ctx) if cond(ctx) else other_v(ctx)


def _dedupe(values: list[Any]) -> list[Any]:
    seen: list[Any] = []
    for v in values:
        if v not in seen:
            seen.append(v)
    return seen


def scan(ctx: Ctx, items: list[Any], as_name: str | None, visit: Callable[[Any], bool]) -> bool:
    """Bind each element as the current element (and ``$as_name``) and call ``visit`` until it returns
    True; restore the bindings afterwards. Returns whether ``visit`` stopped the scan."""
    saved_cur = ctx.cur
    saved_as = ctx.vars.get(as_name, _UNSET) if as_name else _UNSET
    try:
        for el in items:
            ctx.cur = el
            if as_name:
                ctx.vars[as_name] = el
            if visit(el):
                return True
        return False
    finally:
        ctx.cur = saved_cur
        if as_name:
            if saved_as is _UNSET:
                ctx.vars.pop(as_name, None)
            else:
                ctx.vars[as_name] = saved_as


def _select(src: Getter, as_name: str | None, where: Test | None, pick: Getter | None) -> Getter:
    """find (``pick`` is None: the first matching element) or collect (``pick`` of every match, flattened)."""

    def run(ctx: Ctx) -> Any:
        found: list[Any] = []

        def visit(el: Any) -> bool:
            if where is None or where(ctx):
                found.append(el if pick is None else pick(ctx))
                return pick is None
            return False

        scan(ctx, as_list(src(ctx)), as_name, visit)
        if pick is None:
            return found[0] if found else None
        return _dedupe(flatten(found))

    return run


# ----------------------------------------------------------------------------------------- conditions


def compile_condition(node: Any, ptr: str, sc: Scope) -> Test:
    """A condition mapping; its entries are ANDed. See docs/rule-language.md."""
    if not isinstance(node, dict) or not node:
        raise sc.error(ptr, "a condition is a non-empty mapping, e.g. {status: {equals: approved}}")
    tests = [_compile_entry(key, spec, pointer_join(ptr, key), sc) for key, spec in node.items()]
    return _and(tests)


def _and(tests: list[Test]) -> Test:
    if len(tests) == 1:
        return tests[0]

    def all_true(ctx: Ctx) -> bool:
        # A plain loop: all() over a generator costs a frame per call on this hot path.
        for t in tests:  # noqa: SIM110
            if not t(ctx):
                return False
        return True

    return all_true


def _compile_entry(key: str, spec: Any, ptr: str, sc: Scope) -> Test:
    if key in ("all_of", "any_of"):
        if not isinstance(spec, list) or not spec:
            raise sc.error(ptr, f"{key} takes a non-empty list of conditions")
        tests = [compile_condition(c, pointer_join(ptr, i), sc) for i, c in enumerate(spec)]
        if key == "all_of":
            return _and(tests)
        return lambda ctx: any(t(ctx) for t in tests)
    if key == "not":
        inner = compile_condition(spec, ptr, sc)
        return lambda ctx: not inner(ctx)
    if key in ("any", "all", "none"):
        return _compile_quantifier(key, spec, ptr, sc)
    if key == "use":
        names = spec if isinstance(spec, list) else [spec]
        tests = []
        known = sc.predicates or Predicates({}, lambda d, n: sc)
        for i, n in enumerate(names):
            if not isinstance(n, str) or n not in known:
                at = pointer_join(ptr, i) if isinstance(spec, list) else ptr
                raise sc.error(at, f"unknown predicate {n!r}{_hint((str(n),), known)}")
            tests.append(known.compile(n, sc.names))
        return _and(tests)
    get = compile_path(key, ptr, sc)
    if not isinstance(spec, dict) or not spec:
        raise sc.error(ptr, f"{key!r} needs operators, e.g. {{{key}: {{equals: {spec!r}}}}}")
    return _and([_compile_operator(get, op, arg, pointer_join(ptr, op), sc) for op, arg in spec.items()])


def _compile_operator(get: Getter, op: str, arg: Any, ptr: str, sc: Scope) -> Test:
    operator = sc.operators.get(op)
    if operator is None:
        raise sc.error(ptr, f"unknown operator {op!r}{_hint((op,), sc.operators)}")
    arg_get, const = compile_value(arg, ptr, sc)
    test, prepare = operator.test, operator.prepare
    if const is not _UNSET:
        if prepare is not None:
            try:
                const = prepare(const)
            except ValueError as exc:
                raise sc.error(ptr, f"{op}: {exc}") from None
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


def _compile_quantifier(kind: str, spec: Any, ptr: str, sc: Scope) -> Test:
    if not isinstance(spec, dict) or "in" not in spec:
        raise sc.error(ptr, f"{kind} takes {{in: SOURCE, as: NAME (optional), where: CONDITION (optional)}}")
    extra = sorted(set(spec) - {"in", "as", "where"})
    if extra:
        raise sc.error(pointer_join(ptr, extra[0]), f"unexpected key {extra[0]!r} in {kind}")
    src = compile_source(spec["in"], pointer_join(ptr, "in"), sc)
    as_name = sc.binding(spec["as"], pointer_join(ptr, "as")) if "as" in spec else None
    inner = sc.with_names(as_name) if as_name else sc
    where = compile_condition(spec["where"], pointer_join(ptr, "where"), inner) if "where" in spec else None
    if where is None:  # any: the list is not empty; none: it is empty; all: vacuously true
        if kind == "all":
            return lambda ctx: True
        empty = kind == "none"
        return lambda ctx: (not as_list(src(ctx))) is empty
    test = where
    # any stops at the first match (True), none at the first match (False), all at the first miss (False).
    stop_on = kind != "all"
    found = kind == "any"

    def quantify(ctx: Ctx) -> bool:
        stopped = scan(ctx, as_list(src(ctx)), as_name, lambda el: bool(test(ctx)) is stop_on)
        return found if stopped else not found

    return quantify

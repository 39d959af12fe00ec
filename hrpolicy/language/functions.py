"""The value functions of the rule language (``collect``, ``find``, ``worst_of``, ...), each in one place:
its keys and what each key holds, how it evaluates, and how ``explain`` says it in words.

The parser (:mod:`hrpolicy.language.tree`) reads a function's keys by their :class:`SlotKind`; the
compiler compiles each slot and hands the results to ``build``; ``rules lint`` follows ``element`` (the
slot whose entries ``where`` and the field see); ``explain`` hands the slots, already in words, to
``phrase``. Adding a function is one entry in :data:`FUNCTIONS` plus a line in docs/rule-language.md.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from hrpolicy.language.context import Ctx, Getter, Test, scan
from hrpolicy.values import as_date, as_list, flatten


class SlotKind(enum.Enum):
    VALUE = "value"  # an operand: literal, $reference, list, function
    SOURCE = "source"  # a list to iterate: a manifest path from the root, or a value
    CONDITION = "condition"
    FIELD = "field"  # a path relative to each entry (or a $reference)
    NAME = "name"  # an `as` name bound to each entry
    PAIR = "pair"  # a list of two values
    RAW = "raw"  # taken as written


class ValueFunction(NamedTuple):
    name: str
    #: Every key the function takes (its own name included) and what it holds.
    slots: Mapping[str, SlotKind]
    #: Compiled slots (getters, tests, the bound name, raw values) -> the function's getter.
    build: Callable[[Mapping[str, Any]], Getter]
    #: Slots in words (a PAIR as a list of two) -> the function in words, for ``explain``.
    phrase: Callable[[Mapping[str, Any]], str]
    #: The slot whose entries the ``inner`` slots see as the current element (and bind to ``as``).
    element: str | None = None
    inner: frozenset[str] = frozenset()
    #: True when the result is one entry of ``element`` (lint then knows its shape).
    gives_entry: bool = False
    #: Slots whose value is the result as it is (``if``: then / else).
    returns: tuple[str, ...] = ()
    #: Slots that default to null when absent.
    defaults: frozenset[str] = frozenset()
    #: Message when the keys are there but do not fit (checked by ``shape_ok``), else None.
    usage: str | None = None
    shape_ok: Callable[[Mapping[str, Any]], bool] = lambda node: True


def _dedupe(values: list[Any]) -> list[Any]:
    seen: list[Any] = []
    for v in values:
        if v not in seen:
            seen.append(v)
    return seen


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


def _worst_of(args: Mapping[str, Any]) -> Getter:
    first, other = args["worst_of"], args.get("otherwise")

    def worst(ctx: Ctx) -> Any:
        code = ctx.worst_of(flatten(as_list(first(ctx))))
        if code is None and other is not None:
            code = ctx.worst_of(flatten(as_list(other(ctx))))
        return code

    return worst


def _country_facts(args: Mapping[str, Any]) -> Getter:
    code_of = args["country_facts"]

    def facts(ctx: Ctx) -> Any:
        code = code_of(ctx)
        return ctx.facts_of(code) if isinstance(code, str) else None

    return facts


def _add_days(args: Mapping[str, Any]) -> Getter:
    d_get, n_get = args["add_days"]

    def add_days(ctx: Ctx) -> Any:
        d, n = as_date(d_get(ctx)), n_get(ctx)
        if d is None or not isinstance(n, int) or isinstance(n, bool):
            return None
        try:
            return d + datetime.timedelta(days=n)
        except OverflowError:  # past the calendar's end (or before its start): the calendar's last day
            return datetime.date.max if n > 0 else datetime.date.min

    return add_days


def _if(args: Mapping[str, Any]) -> Getter:
    cond, then, other = args["if"], args["then"], args["else"]
    return lambda ctx: then(ctx) if cond(ctx) else other(ctx)


def _literal(args: Mapping[str, Any]) -> Getter:
    value = args["literal"]
    return lambda ctx: value


def _where(words: Mapping[str, Any]) -> str:
    return f" where {words['where']}" if "where" in words else ""


V, S, C = SlotKind.VALUE, SlotKind.SOURCE, SlotKind.CONDITION
F, N, P = SlotKind.FIELD, SlotKind.NAME, SlotKind.PAIR

FUNCTIONS: Mapping[str, ValueFunction] = {
    f.name: f
    for f in (
        ValueFunction(
            "collect",
            {"collect": F, "from": S, "where": C, "as": N},
            lambda a: _select(a["from"], a.get("as"), a.get("where"), a["collect"]),
            lambda w: f"the {w['collect']} of every entry of {w['from']}{_where(w)}",
            element="from",
            inner=frozenset({"collect", "where"}),
            usage="collect needs a field path and 'from'",
            shape_ok=lambda node: isinstance(node["collect"], str) and "from" in node,
        ),
        ValueFunction(
            "worst_of",
            {"worst_of": V, "otherwise": V},
            _worst_of,
            lambda w: (
                f"the riskiest country of {w['worst_of']}"
                + (f", or else of {w['otherwise']}" if "otherwise" in w else "")
            ),
        ),
        ValueFunction(
            "find",
            {"find": S, "where": C, "as": N},
            lambda a: _select(a["find"], a.get("as"), a.get("where"), None),
            lambda w: f"the first entry of {w['find']}{_where(w)}",
            element="find",
            inner=frozenset({"where"}),
            gives_entry=True,
        ),
        ValueFunction(
            "add_days",
            {"add_days": P},
            _add_days,
            lambda w: f"{w['add_days'][0]} plus {w['add_days'][1]} days",
            usage="add_days takes [date, days]",
            shape_ok=lambda node: isinstance(node["add_days"], list) and len(node["add_days"]) == 2,
        ),
        ValueFunction(
            "if",
            {"if": C, "then": V, "else": V},
            _if,
            lambda w: f"{w['then']} if {w['if']}, else {w['else']}",
            returns=("then", "else"),
            defaults=frozenset({"then", "else"}),
        ),
        ValueFunction("literal", {"literal": SlotKind.RAW}, _literal, lambda w: str(w["literal"])),
        ValueFunction(
            "country_facts",
            {"country_facts": V},
            _country_facts,
            lambda w: f"the facts of country {w['country_facts']}",
        ),
    )
}
FUNCTION_NAMES: tuple[str, ...] = tuple(FUNCTIONS)

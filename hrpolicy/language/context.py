"""What compiled rules evaluate against: :class:`Ctx`, the state of one manifest's evaluation.

Compiled closures read values through it (``$item``, ``$manifest``, ``$country``, ``$scopes``, ``let``
and ``as`` names); quantifiers and value functions rebind the current element with :func:`scan`.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping
from typing import Any

Getter = Callable[["Ctx"], Any]
Test = Callable[["Ctx"], bool]
UNSET: Any = object()
#: ``$country`` before anything asked for it: the item's country is found on first use (many items are
#: left out by ``when`` before their country matters).
PENDING: Any = object()


class Ctx:
    """Evaluation state for one manifest; quantifiers and items rebind ``cur`` and ``vars``."""

    __slots__ = (
        "answers",
        "cur",
        "facts_of",
        "find_country",
        "item_values",
        "today",
        "trail",
        "value_defs",
        "values",
        "vars",
        "worst_of",
    )

    def __init__(
        self,
        *,
        manifest: Any,
        base: Any,
        today: datetime.date,
        dataset: Mapping[str, Any],
        scopes: list[str],
        waivers: list[Any] | None = None,
        facts_of: Callable[[str], Mapping[str, Any]],
        worst_of: Callable[[Iterable[object]], str | None],
        value_defs: Mapping[str, Getter],
    ):
        self.today = today
        self.cur: Any = manifest
        self.vars: dict[str, Any] = {
            "manifest": manifest,
            "base": base,
            "today": today,
            "dataset": dataset,
            "scopes": scopes,
            "waivers": waivers if waivers is not None else [],
            "item": manifest,
            "country": None,
        }
        self.values: dict[str, Any] = {}
        #: Predicates' answers for this manifest (see ``compiler._remembered``).
        self.answers: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        #: Values that depend on the item (or its country), computed once per item: the engine gives each
        #: item, once its country is known, a fresh dict.
        self.item_values: dict[str, Any] = {}
        self.value_defs = value_defs
        self.facts_of = facts_of
        self.worst_of = worst_of
        #: While an evidence trail is recorded (``check --evidence``), the elements ``any`` quantifiers
        #: matched on the way to a condition's truth; None otherwise (the fast path).
        self.trail: list[Any] | None = None
        #: Finds the current item's country facts when ``$country`` is PENDING (set by the engine).
        self.find_country: Callable[[Ctx], Any] | None = None


def country_of(ctx: Ctx) -> Any:
    """``$country``: the current item's country facts, found on first use."""
    facts = ctx.vars["country"]
    if facts is PENDING:
        facts = ctx.find_country(ctx) if ctx.find_country is not None else None
    return facts


def scan(ctx: Ctx, items: list[Any], as_name: str | None, visit: Callable[[Any], bool]) -> bool:
    """Bind each element as the current element (and ``$as_name``) and call ``visit`` until it returns
    True; restore the bindings afterwards. Returns whether ``visit`` stopped the scan."""
    saved_cur = ctx.cur
    saved_as = ctx.vars.get(as_name, UNSET) if as_name else UNSET
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
            if saved_as is UNSET:
                ctx.vars.pop(as_name, None)
            else:
                ctx.vars[as_name] = saved_as

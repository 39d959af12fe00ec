"""The rule language as a typed tree: a rule file's YAML is read once into these nodes
(:mod:`hrpolicy.language.parse`), and the compiler, ``rules lint`` and ``explain`` each walk the same tree.
Adding a value function is one entry in :mod:`hrpolicy.language.functions`; adding an operator is a
plugin.

Every node keeps the JSON pointer of the YAML it came from, so any later stage can name file:line:col.
See docs/rule-language.md for the language itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, NamedTuple

from hrpolicy.language.functions import FUNCTIONS

# ------------------------------------------------------------------------------------------------ values


class Literal(NamedTuple):
    """A value written in the rule. ``explicit``: written as ``{literal: X}`` (X is not interpreted)."""

    ptr: str
    value: Any
    explicit: bool = False


class Ref(NamedTuple):
    """``$head.part.part``: a built-in name, a definition (``$lists.x``), a ``let`` or an ``as`` name."""

    ptr: str
    head: str
    parts: tuple[str, ...]
    text: str


class Path(NamedTuple):
    """A dotted path relative to the current element (a condition key such as ``scope.markets``)."""

    ptr: str
    parts: tuple[str, ...]
    text: str


class RootPath(NamedTuple):
    """A dotted path from the manifest root: the source of ``for_each``, ``in:`` and ``from:``."""

    ptr: str
    parts: tuple[str, ...]
    text: str


class ListValue(NamedTuple):
    ptr: str
    items: tuple[Value, ...]


class Name(NamedTuple):
    """A name a rule binds (``as:``, ``let``), checked by the compiler against what is already in scope."""

    ptr: str
    value: Any


class Call(NamedTuple):
    """A value function (``{collect: ..., from: ...}``); ``args`` by key, per its slots in FUNCTIONS."""

    ptr: str
    fn: str
    args: Mapping[str, Node]


Value = Literal | Ref | ListValue | Call
Source = RootPath | Value

# -------------------------------------------------------------------------------------------- conditions


class All(NamedTuple):
    """The entries of one condition mapping: every one holds."""

    ptr: str
    items: tuple[Condition, ...]


class AllOf(NamedTuple):
    """``all_of: [conditions]``: every one holds."""

    ptr: str
    items: tuple[Condition, ...]


class AnyOf(NamedTuple):
    ptr: str
    items: tuple[Condition, ...]


class Not(NamedTuple):
    ptr: str
    item: Condition


class Quantifier(NamedTuple):
    """``any`` / ``all`` / ``none`` over a source, with an optional ``as`` name and ``where`` condition."""

    ptr: str
    kind: str
    source: Source
    name: Name | None
    where: Condition | None


class Use(NamedTuple):
    """``use: NAME`` or ``use: [NAMES]``: named predicates from ``define.predicates``."""

    ptr: str
    names: tuple[Name, ...]


class OpTest(NamedTuple):
    ptr: str
    op: str
    arg: Value


class Test(NamedTuple):
    """``SUBJECT: {OPERATOR: ARGUMENT, ...}``: every operator holds for the subject's value."""

    ptr: str
    subject: Path | Ref
    ops: tuple[OpTest, ...]


Condition = All | AllOf | AnyOf | Not | Quantifier | Use | Test

# ----------------------------------------------------------------------------------------- rule bodies


class Template(NamedTuple):
    """A message: literal text and ``{field}`` references, in order."""

    ptr: str
    pieces: tuple[str | Ref, ...]
    text: str


class StringsUnder(NamedTuple):
    ptr: str
    keys: tuple[Name, ...]


class At(NamedTuple):
    ptr: str
    parts: tuple[str, ...]
    text: str


class Let(NamedTuple):
    name: Name
    value: Value


class Notice(NamedTuple):
    when: Condition
    message: Template


class Body(NamedTuple):
    """One body of a rule: what it iterates over, when an item is in scope, what clears it, what it says."""

    ptr: str
    for_each: Source | StringsUnder | None
    country: Value | None
    lets: tuple[Let, ...]
    when: Condition | None
    require: Condition | None
    at: tuple[At, ...]
    message: Template
    notice: Notice | None


class Escalation(NamedTuple):
    ptr: str
    when: Condition
    severity: Any


class Rule(NamedTuple):
    ptr: str
    bodies: tuple[Body, ...]
    escalate: tuple[Escalation, ...]


Node = Value | RootPath | Path | Name | Condition | Template | OpTest | StringsUnder


def _quantifier_children(node: Quantifier) -> Iterator[Any]:
    yield node.source
    if node.name is not None:
        yield node.name
    if node.where is not None:
        yield node.where


def _body_children(node: Body) -> Iterator[Any]:
    for part in (node.for_each, node.country):
        if part is not None:
            yield part
    for let in node.lets:
        yield let.value
    for condition in (node.when, node.require):
        if condition is not None:
            yield condition
    yield node.message
    if node.notice is not None:
        yield node.notice.when
        yield node.notice.message


_CHILDREN: dict[type, Callable[[Any], Iterable[Any]]] = {
    All: lambda n: n.items,
    AllOf: lambda n: n.items,
    AnyOf: lambda n: n.items,
    Not: lambda n: (n.item,),
    Quantifier: _quantifier_children,
    Use: lambda n: n.names,
    Test: lambda n: (n.subject, *n.ops),
    OpTest: lambda n: (n.arg,),
    ListValue: lambda n: n.items,
    Call: lambda n: n.args.values(),
    Template: lambda n: (p for p in n.pieces if isinstance(p, Ref)),
    Body: _body_children,
    Rule: lambda n: (*n.bodies, *(e.when for e in n.escalate)),
}


def children(node: Any) -> Iterable[Any]:
    """The nodes directly below ``node``, in source order (none for leaves: literals, paths, names)."""
    get = _CHILDREN.get(type(node))
    return get(node) if get is not None else ()


def walk(node: Any) -> Iterator[Any]:
    """``node`` and every node below it, depth first."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(list(children(current))))


def references(node: Any) -> Iterator[Ref]:
    """Every ``$reference`` at or below ``node`` (template fields included)."""
    return (n for n in walk(node) if isinstance(n, Ref))


def used_predicates(node: Any) -> Iterator[str]:
    """Names of the predicates ``use``d at or below ``node``."""
    for n in walk(node):
        if isinstance(n, Use):
            yield from (name.value for name in n.names if isinstance(name.value, str))


def literal_valued(node: Any) -> bool:
    """True when every value ``node`` can take is written in the rule itself (a literal, or a function such
    as ``if`` returning only such values): showing it cannot reveal manifest data, even in a redacting
    rule."""
    if isinstance(node, Literal):
        return True
    if isinstance(node, ListValue):
        return all(literal_valued(v) for v in node.items)
    if isinstance(node, Call):
        returns = FUNCTIONS[node.fn].returns
        return bool(returns) and all(literal_valued(node.args.get(k)) for k in returns)
    return False

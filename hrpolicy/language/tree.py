"""The rule language as a typed tree: a rule file's YAML is read once into these nodes
(:mod:`hrpolicy.language.parse`), and the compiler, ``rules lint`` and ``explain`` each walk the same tree.
Adding a value function is one entry in :mod:`hrpolicy.language.functions`; adding an operator is a
plugin.

Every node keeps the JSON pointer of the YAML it came from, so any later stage can name file:line:col.
See docs/rule-language.md for the language itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from hrpolicy.language.functions import FUNCTIONS


class TreeNode:
    """Base of the nodes: slotted classes (cheaper to define than NamedTuples on every cold start)."""

    __slots__ = ()

    def __repr__(self) -> str:
        names: tuple[str, ...] = type(self).__slots__
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{type(self).__name__}({fields})"

    def __reduce__(self) -> tuple[type, tuple[Any, ...]]:
        # Pickled (by the pack cache) as the class and its __init__ arguments, which are its slots: far
        # smaller and faster to load than pickle's default, a dict of slot names per node.
        code = type(self).__init__.__code__
        return type(self), tuple(getattr(self, name) for name in code.co_varnames[1 : code.co_argcount])


# ------------------------------------------------------------------------------------------------ values


class Literal(TreeNode):
    """A value written in the rule. ``explicit``: written as ``{literal: X}`` (X is not interpreted)."""

    __slots__ = ("explicit", "ptr", "value")

    def __init__(self, ptr: str, value: Any, explicit: bool = False) -> None:
        self.ptr = ptr
        self.value = value
        self.explicit = explicit


class Ref(TreeNode):
    """``$head.part.part``: a built-in name, a definition (``$lists.x``), a ``let`` or an ``as`` name."""

    __slots__ = ("head", "parts", "ptr", "text")

    def __init__(self, ptr: str, head: str, parts: tuple[str, ...], text: str) -> None:
        self.ptr = ptr
        self.head = head
        self.parts = parts
        self.text = text


class Path(TreeNode):
    """A dotted path relative to the current element (a condition key such as ``scope.markets``)."""

    __slots__ = ("parts", "ptr", "text")

    def __init__(self, ptr: str, parts: tuple[str, ...], text: str) -> None:
        self.ptr = ptr
        self.parts = parts
        self.text = text


class RootPath(TreeNode):
    """A dotted path from the manifest root: the source of ``for_each``, ``in:`` and ``from:``."""

    __slots__ = ("parts", "ptr", "text")

    def __init__(self, ptr: str, parts: tuple[str, ...], text: str) -> None:
        self.ptr = ptr
        self.parts = parts
        self.text = text


class ListValue(TreeNode):
    __slots__ = ("items", "ptr")

    def __init__(self, ptr: str, items: tuple[Value, ...]) -> None:
        self.ptr = ptr
        self.items = items


class Name(TreeNode):
    """A name a rule binds (``as:``, ``let``), checked by the compiler against what is already in scope."""

    __slots__ = ("ptr", "value")

    def __init__(self, ptr: str, value: Any) -> None:
        self.ptr = ptr
        self.value = value


class Call(TreeNode):
    """A value function (``{collect: ..., from: ...}``); ``args`` by key, per its slots in FUNCTIONS."""

    __slots__ = ("args", "fn", "ptr")

    def __init__(self, ptr: str, fn: str, args: Mapping[str, Node]) -> None:
        self.ptr = ptr
        self.fn = fn
        self.args = args


Value = Literal | Ref | ListValue | Call
Source = RootPath | Value

# -------------------------------------------------------------------------------------------- conditions


class All(TreeNode):
    """The entries of one condition mapping: every one holds."""

    __slots__ = ("items", "ptr")

    def __init__(self, ptr: str, items: tuple[Condition, ...]) -> None:
        self.ptr = ptr
        self.items = items


class AllOf(TreeNode):
    """``all_of: [conditions]``: every one holds."""

    __slots__ = ("items", "ptr")

    def __init__(self, ptr: str, items: tuple[Condition, ...]) -> None:
        self.ptr = ptr
        self.items = items


class AnyOf(TreeNode):
    __slots__ = ("items", "ptr")

    def __init__(self, ptr: str, items: tuple[Condition, ...]) -> None:
        self.ptr = ptr
        self.items = items


class Not(TreeNode):
    __slots__ = ("item", "ptr")

    def __init__(self, ptr: str, item: Condition) -> None:
        self.ptr = ptr
        self.item = item


class Quantifier(TreeNode):
    """``any`` / ``all`` / ``none`` over a source, with an optional ``as`` name for the element, an optional
    ``country_as`` name for the element's country facts, and an optional ``where`` condition."""

    __slots__ = ("country_name", "kind", "name", "ptr", "source", "where")

    def __init__(
        self,
        ptr: str,
        kind: str,
        source: Source,
        name: Name | None,
        where: Condition | None,
        country_name: Name | None = None,
    ) -> None:
        self.ptr = ptr
        self.kind = kind
        self.source = source
        self.name = name
        self.where = where
        self.country_name = country_name


class Use(TreeNode):
    """``use: NAME`` or ``use: [NAMES]``: named predicates from ``define.predicates``."""

    __slots__ = ("names", "ptr")

    def __init__(self, ptr: str, names: tuple[Name, ...]) -> None:
        self.ptr = ptr
        self.names = names


class OpTest(TreeNode):
    __slots__ = ("arg", "op", "ptr")

    def __init__(self, ptr: str, op: str, arg: Value) -> None:
        self.ptr = ptr
        self.op = op
        self.arg = arg


class Test(TreeNode):
    """``SUBJECT: {OPERATOR: ARGUMENT, ...}``: every operator holds for the subject's value."""

    __slots__ = ("ops", "ptr", "subject")

    def __init__(self, ptr: str, subject: Path | Ref, ops: tuple[OpTest, ...]) -> None:
        self.ptr = ptr
        self.subject = subject
        self.ops = ops


Condition = All | AllOf | AnyOf | Not | Quantifier | Use | Test

# ----------------------------------------------------------------------------------------- rule bodies


class Template(TreeNode):
    """A message: literal text and ``{field}`` references, in order."""

    __slots__ = ("pieces", "ptr", "text")

    def __init__(self, ptr: str, pieces: tuple[str | Ref, ...], text: str) -> None:
        self.ptr = ptr
        self.pieces = pieces
        self.text = text


class StringsUnder(TreeNode):
    __slots__ = ("keys", "ptr")

    def __init__(self, ptr: str, keys: tuple[Name, ...]) -> None:
        self.ptr = ptr
        self.keys = keys


class At(TreeNode):
    __slots__ = ("parts", "ptr", "text")

    def __init__(self, ptr: str, parts: tuple[str, ...], text: str) -> None:
        self.ptr = ptr
        self.parts = parts
        self.text = text


class Let(TreeNode):
    __slots__ = ("name", "value")

    def __init__(self, name: Name, value: Value) -> None:
        self.name = name
        self.value = value


class Notice(TreeNode):
    __slots__ = ("message", "when")

    def __init__(self, when: Condition, message: Template) -> None:
        self.when = when
        self.message = message


class Body(TreeNode):
    """One body of a rule: what it iterates over, when an item is in scope, what clears it, what it says."""

    __slots__ = ("at", "country", "for_each", "lets", "message", "notice", "ptr", "require", "when")

    def __init__(
        self,
        ptr: str,
        for_each: Source | StringsUnder | None,
        country: Value | None,
        lets: tuple[Let, ...],
        when: Condition | None,
        require: Condition | None,
        at: tuple[At, ...],
        message: Template,
        notice: Notice | None,
    ) -> None:
        self.ptr = ptr
        self.for_each = for_each
        self.country = country
        self.lets = lets
        self.when = when
        self.require = require
        self.at = at
        self.message = message
        self.notice = notice


class Escalation(TreeNode):
    __slots__ = ("ptr", "severity", "when")

    def __init__(self, ptr: str, when: Condition, severity: Any) -> None:
        self.ptr = ptr
        self.when = when
        self.severity = severity


class Rule(TreeNode):
    __slots__ = ("bodies", "escalate", "ptr")

    def __init__(self, ptr: str, bodies: tuple[Body, ...], escalate: tuple[Escalation, ...]) -> None:
        self.ptr = ptr
        self.bodies = bodies
        self.escalate = escalate


Node = Value | RootPath | Path | Name | Condition | Template | OpTest | StringsUnder


def _quantifier_children(node: Quantifier) -> Iterator[Any]:
    yield node.source
    if node.name is not None:
        yield node.name
    if node.country_name is not None:
        yield node.country_name
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

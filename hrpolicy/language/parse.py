"""Reads rule YAML into the rule tree (:mod:`hrpolicy.language.tree`), one rule or definition at a time.

The parser checks shape only (what needs a mapping, a list, a path); names (references, operators,
predicates, ``as`` and ``let`` names, template fields) are resolved by the compiler, which knows what is in
scope. Every problem is a :class:`~hrpolicy.errors.RuleError` at the node's line and column.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from hrpolicy.errors import RuleError
from hrpolicy.language.functions import FUNCTION_NAMES, FUNCTIONS, SlotKind
from hrpolicy.language.tree import (
    All,
    AllOf,
    AnyOf,
    At,
    Body,
    Call,
    Condition,
    Escalation,
    Let,
    ListValue,
    Literal,
    Name,
    Node,
    Not,
    Notice,
    OpTest,
    Path,
    Quantifier,
    Ref,
    RootPath,
    Rule,
    Source,
    StringsUnder,
    Template,
    Test,
    Use,
    Value,
)
from hrpolicy.load.document import Document, pointer_join

_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_-]+)*)\}")
QUANTIFIERS = ("any", "all", "none")


class Parser:
    """Reads one rule file's nodes; errors are :class:`RuleError` at the node's line and column."""

    def __init__(self, doc: Document):
        self.doc = doc

    def error(self, ptr: str, message: str) -> RuleError:
        line, col = self.doc.position(ptr)
        return RuleError(message, self.doc.path, line, col)

    # ------------------------------------------------------------------------------------------ values

    def split(self, text: str, ptr: str) -> tuple[str, ...]:
        parts = tuple(text.split("."))
        if not all(parts):
            raise self.error(ptr, f"malformed path {text!r}")
        return parts

    def ref(self, text: str, ptr: str) -> Ref:
        head, *rest = self.split(text[1:], ptr)
        return Ref(ptr, head, tuple(rest), text)

    def subject(self, key: str, ptr: str) -> Path | Ref:
        """A condition key: ``$ref.path`` or a path relative to the current element."""
        if key.startswith("$"):
            return self.ref(key, ptr)
        return Path(ptr, self.split(key, ptr), key)

    def value(self, node: Any, ptr: str) -> Value:
        """An operand: a literal, a ``$reference``, a list of those, or a value function."""
        if isinstance(node, str):
            return self.ref(node, ptr) if node.startswith("$") else Literal(ptr, node)
        if isinstance(node, list):
            return ListValue(ptr, tuple(self.value(v, pointer_join(ptr, i)) for i, v in enumerate(node)))
        if isinstance(node, dict):
            if set(node) == {"literal"}:
                return Literal(ptr, node["literal"], explicit=True)
            return self.call(node, ptr)
        return Literal(ptr, node)

    def source(self, node: Any, ptr: str) -> Source:
        """A list to iterate: a manifest path (``assessments``), a ``$reference``, a literal list or a
        function."""
        if isinstance(node, str) and not node.startswith("$"):
            return RootPath(ptr, self.split(node, ptr), node)
        return self.value(node, ptr)

    def call(self, node: Mapping[str, Any], ptr: str) -> Call:
        found = [k for k in node if k in FUNCTIONS]
        if len(found) != 1:
            raise self.error(ptr, f"a mapping operand needs exactly one of {', '.join(FUNCTION_NAMES)}")
        fn = FUNCTIONS[found[0]]
        extra = sorted(set(node) - set(fn.slots))
        if extra:
            raise self.error(pointer_join(ptr, extra[0]), f"unexpected key {extra[0]!r} in {fn.name!r}")
        if fn.usage is not None and not fn.shape_ok(node):
            raise self.error(pointer_join(ptr, fn.name), fn.usage)
        args: dict[str, Node] = {}
        for key, kind in fn.slots.items():
            if key not in node and key not in fn.defaults:
                continue
            at = pointer_join(ptr, key)
            args[key] = self.slot(kind, node.get(key), at)
        return Call(ptr, fn.name, args)

    def slot(self, kind: SlotKind, node: Any, ptr: str) -> Node:
        if kind is SlotKind.SOURCE:
            return self.source(node, ptr)
        if kind is SlotKind.CONDITION:
            return self.condition(node, ptr)
        if kind is SlotKind.FIELD:
            return self.subject(node, ptr)
        if kind is SlotKind.NAME:
            return Name(ptr, node)
        if kind is SlotKind.PAIR:
            return ListValue(ptr, tuple(self.value(v, pointer_join(ptr, i)) for i, v in enumerate(node)))
        return self.value(node, ptr)

    # -------------------------------------------------------------------------------------- conditions

    def condition(self, node: Any, ptr: str) -> All:
        """A condition mapping; its entries are ANDed."""
        if not isinstance(node, dict) or not node:
            raise self.error(ptr, "a condition is a non-empty mapping, e.g. {status: {equals: approved}}")
        return All(ptr, tuple(self.entry(key, spec, pointer_join(ptr, key)) for key, spec in node.items()))

    def entry(self, key: str, spec: Any, ptr: str) -> Condition:
        if key in ("all_of", "any_of"):
            if not isinstance(spec, list) or not spec:
                raise self.error(ptr, f"{key} takes a non-empty list of conditions")
            items = tuple(self.condition(c, pointer_join(ptr, i)) for i, c in enumerate(spec))
            return AllOf(ptr, items) if key == "all_of" else AnyOf(ptr, items)
        if key == "not":
            return Not(ptr, self.condition(spec, ptr))
        if key in QUANTIFIERS:
            return self.quantifier(key, spec, ptr)
        if key == "use":
            if isinstance(spec, list):
                return Use(ptr, tuple(Name(pointer_join(ptr, i), n) for i, n in enumerate(spec)))
            return Use(ptr, (Name(ptr, spec),))
        subject = self.subject(key, ptr)
        if not isinstance(spec, dict) or not spec:
            raise self.error(ptr, f"{key!r} needs operators, e.g. {{{key}: {{equals: {spec!r}}}}}")
        ops = tuple(
            OpTest(pointer_join(ptr, op), op, self.value(arg, pointer_join(ptr, op)))
            for op, arg in spec.items()
        )
        return Test(ptr, subject, ops)

    def quantifier(self, kind: str, spec: Any, ptr: str) -> Quantifier:
        if not isinstance(spec, dict) or "in" not in spec:
            raise self.error(
                ptr,
                f"{kind} takes {{in: SOURCE, as: NAME (optional), country_as: NAME (optional), "
                "where: CONDITION (optional)}",
            )
        extra = sorted(set(spec) - {"in", "as", "country_as", "where"})
        if extra:
            raise self.error(pointer_join(ptr, extra[0]), f"unexpected key {extra[0]!r} in {kind}")
        source = self.source(spec["in"], pointer_join(ptr, "in"))
        name = Name(pointer_join(ptr, "as"), spec["as"]) if "as" in spec else None
        country = Name(pointer_join(ptr, "country_as"), spec["country_as"]) if "country_as" in spec else None
        where = self.condition(spec["where"], pointer_join(ptr, "where")) if "where" in spec else None
        return Quantifier(ptr, kind, source, name, where, country)

    # ------------------------------------------------------------------------------------------ rules

    def template(self, text: Any, ptr: str) -> Template:
        """``{field}`` references and literal text; ``{{`` and ``}}`` are literal braces."""
        if not isinstance(text, str):
            raise self.error(ptr, "a message is a string")
        pieces: list[str | Ref] = []
        pos = 0
        escaped = text.replace("{{", "\ue000").replace("}}", "\ue001")
        for m in _FIELD.finditer(escaped):
            pieces.append(escaped[pos : m.start()])
            pieces.append(self.ref("$" + m.group(1), ptr))
            pos = m.end()
        pieces.append(escaped[pos:])
        literal = "".join(p for p in pieces if isinstance(p, str))
        if "{" in literal or "}" in literal:
            raise self.error(
                ptr, "unbalanced or malformed '{...}' in message (write {{ or }} for a literal brace)"
            )
        restored = tuple(
            p.replace("\ue000", "{").replace("\ue001", "}") if isinstance(p, str) else p for p in pieces
        )
        return Template(ptr, tuple(p for p in restored if p != ""), text)

    def rule(self, spec: Mapping[str, Any], ptr: str) -> Rule:
        if "cases" in spec:
            cases = pointer_join(ptr, "cases")
            bodies = tuple(self.body(b, pointer_join(cases, i)) for i, b in enumerate(spec["cases"]))
        else:
            bodies = (self.body(spec, ptr),)
        escalate = tuple(
            Escalation(
                f"{ptr}/escalate/{i}", self.condition(e["when"], f"{ptr}/escalate/{i}/when"), e["severity"]
            )
            for i, e in enumerate(spec.get("escalate") or ())
        )
        return Rule(ptr, bodies, escalate)

    def body(self, spec: Mapping[str, Any], ptr: str) -> Body:
        each = spec.get("for_each")
        at_each = pointer_join(ptr, "for_each")
        for_each: Source | StringsUnder | None = None
        if isinstance(each, dict) and "strings_under" in each:
            under = pointer_join(at_each, "strings_under")
            keys = each["strings_under"]
            for_each = StringsUnder(under, tuple(Name(pointer_join(under, i), k) for i, k in enumerate(keys)))
        elif each is not None:
            for_each = self.source(each, at_each)
        country = self.value(spec["country"], pointer_join(ptr, "country")) if "country" in spec else None
        lets = tuple(
            Let(Name(f"{ptr}/let/{name}", name), self.value(value, f"{ptr}/let/{name}"))
            for name, value in (spec.get("let") or {}).items()
        )
        when = self.condition(spec["when"], pointer_join(ptr, "when")) if "when" in spec else None
        require = self.condition(spec["require"], pointer_join(ptr, "require")) if "require" in spec else None
        if when is None and require is None:
            raise self.error(ptr, "a rule body needs 'when' or 'require' (or both)")
        at = tuple(
            At(f"{ptr}/at/{i}", tuple(str(p).split(".")), str(p)) for i, p in enumerate(spec.get("at") or ())
        )
        message = self.template(spec.get("message"), pointer_join(ptr, "message"))
        notice = None
        if "notice" in spec:
            n = spec["notice"]
            notice = Notice(
                self.condition(n["when"], f"{ptr}/notice/when"),
                self.template(n["message"], f"{ptr}/notice/message"),
            )
        return Body(ptr, for_each, country, lets, when, require, at, message, notice)


# ---------------------------------------------------------------------------------------------- walking

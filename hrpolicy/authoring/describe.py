"""Rules in plain language, for ``hrpolicy explain`` and ``hrpolicy rules docs``.

The text is generated from the rule's logic, the way the compiler reads it: conditions through each
operator's phrase, references and definitions spelled out (``$lists`` show their members, predicates are
expanded), quantifiers and value functions in words. It never echoes the YAML.

Names, paths and patterns are marked as code (:func:`code`) rather than written in backticks, so each
output renders them for its own medium: :func:`segments` splits a description into runs of text and
code, :func:`plain` renders it for the terminal (one line, no control characters) and ``rules docs``
escapes each run for Markdown. A marker that comes from rule text can only move a boundary between
runs, never bypass the escaping of either kind.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from hrpolicy.errors import one_line
from hrpolicy.language import tree as t
from hrpolicy.language.functions import FUNCTIONS, SlotKind
from hrpolicy.language.pack import CompiledRule, RulePack, reads_tier
from hrpolicy.model import Operator, RuleInfo

_REFS = {
    "item": "the item",
    "manifest": "the manifest",
    "base": "the base manifest (--base)",
    "today": "today",
    "dataset": "the country data set",
    "scopes": "the scope words the product reaches",
    "waivers": "the waivers in effect (the manifest's and the central ones for the product)",
}
_QUANTIFIERS = {"any": "at least one entry", "all": "every entry", "none": "no entry"}
#: Lists whose entries each have a country of their own.
OWN_COUNTRY = frozenset({"markets", "data_stores", "partners", "entities", "sales_reviews"})

# Private-use characters around a code run (a name, a path, a pattern) in a description.
CODE_START, CODE_END = "\ue000", "\ue001"
_MARKERS = re.compile("[\ue000\ue001]")
_RUNS = re.compile("\ue000([^\ue000\ue001]*)\ue001")


def code(text: object) -> str:
    """``text`` marked as code (see :func:`segments`)."""
    return CODE_START + _clean(text) + CODE_END


def _clean(text: object) -> str:
    """Text from a rule with any code markers taken out, so it cannot open or close a code run."""
    return _MARKERS.sub("", str(text))


def segments(text: str) -> list[tuple[str, bool]]:
    """A description as ``(run, is_code)`` pairs; stray markers are dropped."""
    out: list[tuple[str, bool]] = []
    pos = 0
    for m in _RUNS.finditer(text):
        if m.start() > pos:
            out.append((_clean(text[pos : m.start()]), False))
        out.append((m.group(1), True))
        pos = m.end()
    if pos < len(text):
        out.append((_clean(text[pos:]), False))
    return out


def plain(text: object) -> str:
    """Rule text or a description for the terminal: code in backticks, whitespace collapsed to single
    spaces, and control, bidi and line-separator characters replaced (:func:`hrpolicy.errors.one_line`)."""
    joined = "".join(f"`{run}`" if is_code else run for run, is_code in segments(str(text)))
    return one_line(" ".join(joined.split()))


class Case(NamedTuple):
    """One body of a rule in sentences (a rule has one, or one per ``cases`` entry)."""

    iterates: str  # what it looks at
    judged_by: str  # whose country sets the tier
    scope: str  # in scope when
    cleared: str  # cleared by
    message: str


class Explanation(NamedTuple):
    """A rule's logic in sentences: per case what it iterates over, when an item is in scope and what
    clears it; the severity with its escalations."""

    cases: list[Case]
    severity: str
    #: Whether the item's country tier decides anything (a tier-dependent country fact is read, or the
    #: severity rises in high-risk countries); when not, whose country judges an item does not matter.
    tiered: bool = True

    @property
    def shared(self) -> bool:
        """Whether every case looks at the same items, judged by the same country."""
        return len({(c.iterates, c.judged_by) for c in self.cases}) == 1


class Describer:
    def __init__(self, pack: RulePack, operators: Mapping[str, Operator]):
        self.defines = pack.defines
        self.operators = operators
        self._expanding: set[str] = set()
        self._lets: Mapping[str, t.Value] = {}

    # ------------------------------------------------------------------------------------------ rules

    def explain(self, rule: CompiledRule) -> Explanation:
        cases = []
        try:
            for b in rule.node.bodies:
                self._lets = {str(let.name.value): let.value for let in b.lets}
                scope = self.condition(b.when) if b.when is not None else "always"
                cleared = (
                    self.condition(b.require)
                    if b.require is not None
                    else "nothing: every item in scope fires"
                )
                message = " ".join(_clean(b.message.text).split())
                cases.append(Case(self.iterates(b), self.judged_by(b), scope, cleared, message))
        finally:
            self._lets = {}  # escalations are rule-level: a case's let names are not visible there
        tiered = rule.info.severity_in_high_risk is not None or reads_tier(rule.node, self.defines)
        return Explanation(cases, self.severity(rule), tiered)

    def iterates(self, body: t.Body) -> str:
        each = body.for_each
        if each is None:
            at = ", ".join(code(a.text) for a in body.at)
            where = f"; a finding points at the first of {at} present" if at else ""
            return f"the manifest as a whole{where}"
        if isinstance(each, t.StringsUnder):
            keys = ", ".join(code(k.value) for k in each.keys)
            return f"every text value under {keys}, one at a time"
        return f"each entry of {self.source(each)}"

    def judged_by(self, body: t.Body) -> str:
        if body.country is not None:
            return self.value(body.country)
        each = body.for_each
        if isinstance(each, t.RootPath) and each.text in OWN_COUNTRY:
            return "the entry's own country"
        return "the entry's own country when it has one, else the riskiest planned, beta or launched market"

    def severity(self, rule: CompiledRule) -> str:
        info: RuleInfo = rule.info
        text = info.severity
        if info.severity_in_high_risk:
            text += f"; {info.severity_in_high_risk} when that country is in the high tier (Not Free)"
        for escalation in rule.node.escalate:
            text += f"; {escalation.severity} when {self.condition(escalation.when)}"
        return text

    # ------------------------------------------------------------------------------------- conditions

    def condition(self, node: t.Condition) -> str:
        if isinstance(node, t.All):
            return _join([self.condition(c) for c in node.items], "and")
        if isinstance(node, t.AllOf):
            return "all of: " + "; ".join(f"({self.condition(c)})" for c in node.items)
        if isinstance(node, t.AnyOf):
            return "either " + _join([f"({self.condition(c)})" for c in node.items], "or")
        if isinstance(node, t.Not):
            return f"not ({self.condition(node.item)})"
        if isinstance(node, t.Quantifier):
            named = f" (called {_clean('$' + str(node.name.value))})" if node.name is not None else ""
            where = f" where {self.condition(node.where)}" if node.where is not None else " exists"
            if node.where is None and node.kind == "none":
                where = ""
            return f"{_QUANTIFIERS[node.kind]} of {self.source(node.source)}{named}{where}"
        if isinstance(node, t.Use):
            return _join([self._predicate(n.value) for n in node.names], "and")
        path = self.path(node.subject)
        return _join([self._operator(path, op.op, op.arg) for op in node.ops], "and")

    def _predicate(self, name: Any) -> str:
        return self._expand(str(name), self.defines.predicates.get(name), self.condition)

    def _expand(self, name: str, spec: Any, render: Callable[[Any], str]) -> str:
        """A defined name with what it stands for in brackets, once (definitions may refer to each other)."""
        label = _clean(name).replace("_", " ")
        if spec is None or name in self._expanding:
            return label
        self._expanding.add(name)
        try:
            return f"{label} ({render(spec)})"
        finally:
            self._expanding.discard(name)

    def _operator(self, path: str, op: str, arg: t.Value) -> str:
        operator = self.operators.get(op)
        phrase = operator.phrase if operator else "{path} {name} {arg}"
        if (
            isinstance(arg, t.Literal)
            and isinstance(arg.value, bool)
            and op in ("present", "exists", "missing")
        ):
            text = phrase.format(path=path, name=_clean(op), arg="")
            return text if arg.value else f"not: {text}"
        joiner = "and" if op == "contains_all" else "or"
        return phrase.format(
            path=path, name=_clean(op).replace("_", " "), arg=self.value(arg, joiner)
        ).strip()

    # ------------------------------------------------------------------------------- values and paths

    def path(self, node: t.Path | t.Ref) -> str:
        if isinstance(node, t.Path):
            return code(node.text)
        head, rest = node.head, ".".join(node.parts)
        if head == "country":
            return f"the country's {code(rest)}" if rest else "the country"
        if head == "values":
            name, _, more = rest.partition(".")
            return self._value_name(name) + (f" {code(more)}" if more else "")
        if head in _REFS:
            return f"{_REFS[head]}'s {code(rest)}" if rest else _REFS[head]
        if head in self._lets:
            return self._expand(head, self._lets[head], self.value) + (f" {code(rest)}" if rest else "")
        return _clean(f"${head}") + (f" {code(rest)}" if rest else "")

    def source(self, node: t.Source) -> str:
        if isinstance(node, t.RootPath):
            return code(node.text)
        return self.value(node)

    def value(self, node: Any, joiner: str = "and") -> str:
        if isinstance(node, t.Ref):
            if node.head == "lists" and node.parts:
                return self._list(node.parts[0])
            if node.head == "patterns" and node.parts:
                name = node.parts[0]
                pattern = self.defines.patterns.get(name, "?")
                return f"the pattern {_clean(name)} ({code(pattern)})"
            return self.path(node)
        if isinstance(node, t.ListValue):
            return _join([self.value(v) for v in node.items], joiner)
        if isinstance(node, t.Call):
            return self._function(node)
        if isinstance(node, t.Literal):
            if node.explicit:
                return _clean(repr(node.value))
            if isinstance(node.value, bool):
                return "true" if node.value else "false"
            return _clean(node.value)
        return "(a value)"

    def _list(self, name: str) -> str:
        items = self.defines.lists.get(name)
        if not isinstance(items, list):
            return _clean(name)
        if len(items) > 12:
            return f"{_clean(name)} ({len(items)} values: {', '.join(map(_clean, items[:12]))}, ...)"
        return _join([_clean(i) for i in items], "or")

    def _value_name(self, name: str) -> str:
        return self._expand(name, self.defines.values.get(name), self.value)

    def _function(self, node: t.Call) -> str:
        """The function's phrase, with each of its slots in words."""
        fn = FUNCTIONS[node.fn]
        words: dict[str, Any] = {}
        for key, arg in node.args.items():
            kind = fn.slots[key]
            if kind is SlotKind.CONDITION:
                words[key] = self.condition(arg)  # type: ignore[arg-type]
            elif kind is SlotKind.FIELD:
                words[key] = code(arg.text)  # type: ignore[union-attr]
            elif kind is SlotKind.SOURCE:
                words[key] = self.source(arg)  # type: ignore[arg-type]
            elif kind is SlotKind.PAIR:
                words[key] = [self.value(v) for v in arg.items]  # type: ignore[union-attr]
            elif kind is not SlotKind.NAME:
                words[key] = self.value(arg)
        return fn.phrase(words)


def _join(parts: list[str], word: str) -> str:
    parts = [p for p in parts if p]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + f" {word} " + parts[-1]

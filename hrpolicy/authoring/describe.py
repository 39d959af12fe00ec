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
from hrpolicy.language.pack import Body, CompiledRule, RulePack
from hrpolicy.model import Operator, RuleInfo

AREAS = {
    "LOC": "Data localisation and government access",
    "MKT": "Market entry and launch reviews",
    "EXIT": "Market exit and withdrawal",
    "TRN": "Transparency",
    "RISK": "Users most at risk",
    "MOD": "Content moderation and state actors",
    "SURV": "Surveillance, lawful intercept, hardware and dual use",
    "ACQ": "Acquisitions, partners and local presence",
    "STK": "Stakeholder engagement and confidentiality",
    "FRESH": "Review freshness and expiry",
}
_REFS = {
    "item": "the item",
    "manifest": "the manifest",
    "base": "the base manifest (--base)",
    "today": "today",
    "dataset": "the country data set",
}
_QUANTIFIERS = {"any": "at least one entry", "all": "every entry", "none": "no entry"}

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

    @property
    def shared(self) -> bool:
        """Whether every case looks at the same items, judged by the same country."""
        return len({(c.iterates, c.judged_by) for c in self.cases}) == 1


def area(rule_id: str) -> str:
    group = rule_id.split("-")[1] if rule_id.count("-") >= 2 else rule_id
    return AREAS.get(group, group)


class Describer:
    def __init__(self, pack: RulePack, operators: Mapping[str, Operator]):
        self.defines = pack.defines
        self.operators = operators
        self.operators = operators
        self._expanding: set[str] = set()
        self._lets: Mapping[str, Any] = {}

    # ------------------------------------------------------------------------------------------ rules

    def explain(self, rule: CompiledRule) -> Explanation:
        cases = []
        try:
            for b in rule.bodies:
                self._lets = b.spec.get("let") or {}
                scope = self.condition(b.spec["when"]) if "when" in b.spec else "always"
                cleared = (
                    self.condition(b.spec["require"])
                    if "require" in b.spec
                    else "nothing: every item in scope fires"
                )
                message = " ".join(_clean(b.spec.get("message", "")).split())
                cases.append(Case(self.iterates(b), self.judged_by(b), scope, cleared, message))
        finally:
            self._lets = {}  # escalations are rule-level: a case's let names are not visible there
        return Explanation(cases, self.severity(rule))

    def iterates(self, body: Body) -> str:
        each = body.spec.get("for_each")
        if each is None:
            at = ", ".join(code(".".join(p)) for p in body.at)
            where = f"; a finding points at the first of {at} present" if at else ""
            return f"the manifest as a whole{where}"
        if isinstance(each, dict) and "strings_under" in each:
            keys = ", ".join(code(k) for k in each["strings_under"])
            return f"every text value under {keys}, one at a time"
        return f"each entry of {self.source(each)}"

    def judged_by(self, body: Body) -> str:
        if "country" in body.spec:
            return self.value(body.spec["country"])
        each = body.spec.get("for_each")
        if isinstance(each, str) and each in (
            "markets",
            "data_stores",
            "partners",
            "entities",
            "sales_reviews",
        ):
            return "the entry's own country"
        return "the entry's own country when it has one, else the riskiest planned, beta or launched market"

    def severity(self, rule: CompiledRule) -> str:
        info: RuleInfo = rule.info
        text = info.severity
        if info.severity_in_high_risk:
            text += f"; {info.severity_in_high_risk} when that country is in the high tier (FOTN Not Free)"
        specs = self._escalations(rule)
        for i, (_test, escalated) in enumerate(rule.escalate):
            spec = specs[i] if i < len(specs) else None
            if isinstance(spec, Mapping) and "when" in spec:
                text += f"; {escalated} when {self.condition(spec['when'])}"
            else:
                text += f"; {escalated} when a further condition holds"
        return text

    def _escalations(self, rule: CompiledRule) -> list[Any]:
        """The rule's ``escalate`` entries as written."""
        found = rule.spec.get("escalate")
        return list(found) if isinstance(found, list) else []

    # ------------------------------------------------------------------------------------- conditions

    def condition(self, node: Any) -> str:
        if not isinstance(node, dict):
            return _clean(repr(node))
        parts = [self._entry(key, spec) for key, spec in node.items()]
        return _join(parts, "and")

    def _entry(self, key: str, spec: Any) -> str:
        if key == "all_of":
            return "all of: " + "; ".join(f"({self.condition(c)})" for c in spec)
        if key == "any_of":
            return "either " + _join([f"({self.condition(c)})" for c in spec], "or")
        if key == "not":
            return f"not ({self.condition(spec)})"
        if key in _QUANTIFIERS:
            named = f" (called {_clean('$' + str(spec['as']))})" if "as" in spec else ""
            where = f" where {self.condition(spec['where'])}" if "where" in spec else " exists"
            if "where" not in spec and key == "none":
                where = ""
            return f"{_QUANTIFIERS[key]} of {self.source(spec['in'])}{named}{where}"
        if key == "use":
            names = spec if isinstance(spec, list) else [spec]
            return _join([self._predicate(n) for n in names], "and")
        path = self.path(key)
        return _join([self._operator(path, op, arg) for op, arg in spec.items()], "and")

    def _predicate(self, name: str) -> str:
        return self._expand(name, self.defines.get("predicates", {}).get(name), self.condition)

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

    def _operator(self, path: str, op: str, arg: Any) -> str:
        operator = self.operators.get(op)
        phrase = operator.phrase if operator else "{path} {name} {arg}"
        if isinstance(arg, bool) and op in ("present", "exists", "missing"):
            text = phrase.format(path=path, name=_clean(op), arg="")
            return text if arg else f"not: {text}"
        joiner = "and" if op == "contains_all" else "or"
        return phrase.format(
            path=path, name=_clean(op).replace("_", " "), arg=self.value(arg, joiner)
        ).strip()

    # ------------------------------------------------------------------------------- values and paths

    def path(self, key: str) -> str:
        if not key.startswith("$"):
            return code(key)
        head, _, rest = key[1:].partition(".")
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

    def source(self, node: Any) -> str:
        if isinstance(node, str) and not node.startswith("$"):
            return code(node)
        return self.value(node)

    def value(self, node: Any, joiner: str = "and") -> str:
        if isinstance(node, str):
            if node.startswith("$lists."):
                return self._list(node.split(".", 2)[1])
            if node.startswith("$patterns."):
                name = node.split(".", 2)[1]
                pattern = self.defines.get("patterns", {}).get(name, "?")
                return f"the pattern {_clean(name)} ({code(pattern)})"
            return self.path(node) if node.startswith("$") else _clean(node)
        if isinstance(node, list):
            return _join([self.value(v) for v in node], joiner)
        if isinstance(node, dict):
            return self._function(node)
        if isinstance(node, bool):
            return "true" if node else "false"
        return _clean(node)

    def _list(self, name: str) -> str:
        items = self.defines.get("lists", {}).get(name)
        if not isinstance(items, list):
            return _clean(name)
        if len(items) > 12:
            return f"{_clean(name)} ({len(items)} values: {', '.join(map(_clean, items[:12]))}, ...)"
        return _join([_clean(i) for i in items], "or")

    def _value_name(self, name: str) -> str:
        return self._expand(name, self.defines.get("values", {}).get(name), self.value)

    def _function(self, node: Mapping[str, Any]) -> str:
        where = f" where {self.condition(node['where'])}" if "where" in node else ""
        if "collect" in node:
            return f"the {code(node['collect'])} of every entry of {self.source(node['from'])}{where}"
        if "find" in node:
            return f"the first entry of {self.source(node['find'])}{where}"
        if "worst_of" in node:
            other = f", or else of {self.value(node['otherwise'])}" if "otherwise" in node else ""
            return f"the riskiest country of {self.value(node['worst_of'])}{other}"
        if "add_days" in node:
            date, days = node["add_days"]
            return f"{self.value(date)} plus {self.value(days)} days"
        if "if" in node:
            then, other = self.value(node.get("then")), self.value(node.get("else"))
            return f"{then} if {self.condition(node['if'])}, else {other}"
        if "country_facts" in node:
            return f"the facts of country {self.value(node['country_facts'])}"
        if "literal" in node:
            return _clean(repr(node["literal"]))
        return "(a value)"


def _join(parts: list[str], word: str) -> str:
    parts = [p for p in parts if p]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + f" {word} " + parts[-1]

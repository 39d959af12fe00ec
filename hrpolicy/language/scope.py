"""The names a rule can use: :class:`Scope` while compiling, :class:`Ctx` while evaluating one manifest.

Also the ``define.predicates`` of a pack (:class:`Predicates`), and the value coercions that compiled
closures and operators share (:func:`as_date`, :func:`as_list`, :func:`flatten`). The compiling itself is
:mod:`hrpolicy.language.compiler`.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from hrpolicy.errors import RuleError
from hrpolicy.load.yaml import Document
from hrpolicy.model import Operator

Getter = Callable[["Ctx"], Any]
Test = Callable[["Ctx"], bool]

#: Variables every rule can use; ``$item`` and ``$country`` are set per item.
GLOBAL_VARS = frozenset({"item", "manifest", "base", "today", "country", "dataset"})
#: Variables a per-manifest ``define.values`` entry may use (it is computed once per manifest).
MANIFEST_VARS = frozenset({"manifest", "base", "today", "dataset"})
#: Names no ``let`` or ``as`` may take.
RESERVED = GLOBAL_VARS | {"lists", "values", "patterns"}
_NAME = re.compile(r"[a-z_][a-z0-9_]*")


class Ctx:
    """Evaluation state for one manifest; quantifiers and items rebind ``cur`` and ``vars``."""

    __slots__ = ("cur", "facts_of", "today", "value_defs", "values", "vars", "worst_of")

    def __init__(
        self,
        *,
        manifest: Any,
        base: Any,
        today: datetime.date,
        dataset: Mapping[str, Any],
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
            "item": manifest,
            "country": None,
        }
        self.values: dict[str, Any] = {}
        self.value_defs = value_defs
        self.facts_of = facts_of
        self.worst_of = worst_of


class Predicates:
    """``define.predicates``: compiled where they are used, for the names visible there, and cached."""

    def __init__(
        self,
        specs: Mapping[str, tuple[Document, Any]],
        scope_for: Callable[[Document, frozenset[str]], Scope],
    ):
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
            ptr = f"/define/predicates/{name}"
            if name in self._building:
                line, col = doc.position(ptr)
                raise RuleError(f"predicate {name!r} uses itself", doc.path, line, col)
            self._building.add(name)
            try:
                # Imported here, not at the top: hrpolicy.language.compiler imports this module.
                from hrpolicy.language.compiler import compile_condition

                test = self._built[key] = compile_condition(spec, ptr, self._scope_for(doc, visible))
            finally:
                self._building.discard(name)
        return test


class Scope:
    """Compile-time environment: where we are (for errors) and which names resolve."""

    __slots__ = (
        "doc",
        "item_values",
        "lets",
        "lists",
        "names",
        "operators",
        "patterns",
        "predicates",
        "value_names",
    )

    def __init__(
        self,
        doc: Document,
        operators: Mapping[str, Operator],
        lists: Mapping[str, Any],
        patterns: Mapping[str, Any],
        value_names: frozenset[str],
        predicates: Predicates | None,
        names: frozenset[str] = GLOBAL_VARS,
        lets: dict[str, Getter] | None = None,
        item_values: frozenset[str] = frozenset(),
    ):
        self.doc = doc
        #: Values that depend on the item ($item, $country): computed per item, never cached per manifest.
        self.item_values = item_values
        self.operators = operators
        self.lists = lists
        self.patterns = patterns
        self.value_names = value_names
        self.predicates = predicates
        self.names = names
        self.lets: dict[str, Getter] = lets if lets is not None else {}

    def error(self, pointer: str, message: str) -> RuleError:
        line, col = self.doc.position(pointer)
        return RuleError(message, self.doc.path, line, col)

    def derive(self, *, names: frozenset[str] | None = None, lets: dict[str, Getter] | None = None) -> Scope:
        return Scope(
            self.doc,
            self.operators,
            self.lists,
            self.patterns,
            self.value_names,
            self.predicates,
            self.names if names is None else names,
            self.lets if lets is None else lets,
            self.item_values,
        )

    def with_names(self, *extra: str) -> Scope:
        return self.derive(names=self.names | frozenset(extra))

    def binding(self, name: Any, ptr: str) -> str:
        """Check an ``as`` or ``let`` name: lower-case, and not hiding a built-in or another name."""
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise self.error(
                ptr, f"a let or as name must be a lower-case name (letters, digits, _), not {name!r}"
            )
        if name in RESERVED or name in self.names or name in self.lets:
            raise self.error(ptr, f"the name {name!r} is already taken (built-in, let or outer as)")
        return name


def as_list(value: Any) -> list[Any]:
    """``None`` -> ``[]``, a list as it is, anything else as a one-element list."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def flatten(values: Iterable[Any]) -> list[Any]:
    """Nested lists as one flat list, without ``None``."""
    out: list[Any] = []
    for v in values:
        if isinstance(v, list):
            out.extend(flatten(v))
        elif v is not None:
            out.append(v)
    return out


def as_date(value: Any) -> datetime.date | None:
    """A date from a ``date`` or an ISO ``YYYY-MM-DD`` string; ``None`` for anything else."""
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and len(value) == 10:
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            return None
    return None

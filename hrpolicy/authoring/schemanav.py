"""The manifest schema as a map for ``rules lint``: what a path leads to, from the manifest root or from an
entry of one of its lists, and which keys a place has (for "did you mean" hints)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

ANY: Any = object()  # a value whose shape is unknown (a let, a computed value): not checked further


class Node:
    """A place in the manifest schema, with a label for messages (``an entry of markets``)."""

    __slots__ = ("label", "schema")

    def __init__(self, schema: Any, label: str):
        self.schema = schema
        self.label = label


class Vocabulary(NamedTuple):
    """The values the schema allows at a place: listed (``enum``), by format, or by pattern."""

    values: frozenset[Any]
    formats: frozenset[str] = frozenset()
    patterns: frozenset[str] = frozenset()

    def problem(self, value: Any) -> str | None:
        """Why ``value`` can never be found there (a phrase to follow "can never be X: "), or None."""
        if not isinstance(value, str):
            # A number or true/false never equals a text value; a list or mapping is compared as a whole.
            if (
                isinstance(value, (list, dict))
                or not self.values
                or not all(isinstance(v, str) for v in self.values)
            ):
                return None
            return f"the values are {', '.join(sorted(str(v) for v in self.values))}, all text"
        if value in self.values:
            return None
        from hrpolicy.validate import codes

        if "country-code" in self.formats:
            return codes.country_problem(value)
        if "language-code" in self.formats:
            return codes.language_problem(value)
        if any(re.search(p, value) for p in self.patterns):
            return None
        if self.values:
            allowed = sorted(str(v) for v in self.values)
            same_case = [v for v in allowed if v.lower() == value.lower()]
            near = same_case or difflib.get_close_matches(value, allowed, n=1, cutoff=0.6)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            return f"the values are {', '.join(allowed)}{hint}"
        return "it does not match the pattern the schema requires"


class SchemaNav:
    def __init__(self, root: Mapping[str, Any]):
        self.root = root

    def _resolve(self, schema: Any) -> list[Mapping[str, Any]]:
        """The schema and the branches it may take ($ref, allOf/anyOf/oneOf, if/then/else)."""
        out: list[Mapping[str, Any]] = []
        todo = [schema]
        while todo:
            s = todo.pop()
            if not isinstance(s, dict):
                continue
            if "$ref" in s:
                target: Any = self.root
                for part in s["$ref"].lstrip("#/").split("/"):
                    target = target.get(part, {}) if part else target
                todo.append(target)
            out.append(s)
            for key in ("allOf", "anyOf", "oneOf"):
                todo.extend(s.get(key, []))
            todo.extend(s[k] for k in ("then", "else") if k in s)
        return out

    def child(self, node: Node, key: str) -> Node | None:
        if key.startswith("x-"):
            return Node(ANY, node.label)
        found = []
        open_object = False
        for s in self._resolve(node.schema):
            if key in s.get("properties", {}):
                found.append(s["properties"][key])
            elif (
                s.get("type") == "object"
                and "properties" not in s
                and s.get("additionalProperties") is not False
            ):
                open_object = True
            elif isinstance(s.get("additionalProperties"), dict):
                found.append(s["additionalProperties"])
        if found:
            return Node({"anyOf": found} if len(found) > 1 else found[0], f"`{key}` of {node.label}")
        return Node(ANY, node.label) if open_object else None

    def items(self, node: Node) -> Node:
        found = [s["items"] for s in self._resolve(node.schema) if isinstance(s.get("items"), dict)]
        if not found:
            return Node(ANY, node.label)
        return Node({"anyOf": found} if len(found) > 1 else found[0], f"an entry of {node.label}")

    def vocabulary(self, node: Node) -> Vocabulary | None:
        """What a scalar at ``node`` can be, when the schema says: an enumeration, a format (country or
        language code) or a pattern. None when it is open (or unknown)."""
        if node.schema is ANY:
            return None
        enums: set[Any] = set()
        formats: set[str] = set()
        patterns: set[str] = set()
        for s in self._resolve(node.schema):
            if "enum" in s or "const" in s:
                enums.update(s.get("enum", ()))
                if "const" in s:
                    enums.add(s["const"])
            elif s.get("format") in ("country-code", "language-code"):
                formats.add(s["format"])
            elif "pattern" in s:
                patterns.add(s["pattern"])
            elif "type" in s or not any(k in s for k in ("$ref", "allOf", "anyOf", "oneOf")):
                return None  # a branch that takes any value of its type
        if not (enums or formats or patterns):
            return None
        return Vocabulary(frozenset(enums), frozenset(formats), frozenset(patterns))

    def keys(self, node: Node) -> list[str]:
        return sorted({k for s in self._resolve(node.schema) for k in s.get("properties", {})})

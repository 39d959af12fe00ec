"""The manifest schema as a map for ``rules lint``: what a path leads to, from the manifest root or from an
entry of one of its lists, and which keys a place has (for "did you mean" hints)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ANY: Any = object()  # a value whose shape is unknown (a let, a computed value): not checked further


class Node:
    """A place in the manifest schema, with a label for messages (``an entry of markets``)."""

    __slots__ = ("label", "schema")

    def __init__(self, schema: Any, label: str):
        self.schema = schema
        self.label = label


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

    def keys(self, node: Node) -> list[str]:
        return sorted({k for s in self._resolve(node.schema) for k in s.get("properties", {})})

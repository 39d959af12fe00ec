"""A loaded file: its plain data and the source position of every value, by JSON pointer (RFC 6901)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hrpolicy.model import Frozen, record

__all__ = ["Document", "pointer_join"]


@record
class Document(Frozen):
    """One loaded file: its plain data and, per JSON pointer, the 1-based (line, column) where it starts."""

    __slots__ = ("data", "marks", "path")

    data: Any
    marks: Mapping[str, tuple[int, int]]
    path: str

    def __init__(self, data: Any, marks: Mapping[str, tuple[int, int]], path: str) -> None:
        self._set(locals())

    def position(self, pointer: str) -> tuple[int, int]:
        """Mark of pointer, else of its nearest ancestor that has one, else (1, 1)."""
        while (mark := self.marks.get(pointer)) is None:
            if not pointer:
                return (1, 1)
            pointer = pointer[: max(pointer.rfind("/"), 0)]
        return mark


def pointer_join(parent: str, key: str | int) -> str:
    key = str(key)
    if "~" in key or "/" in key:
        key = key.replace("~", "~0").replace("/", "~1")
    return f"{parent}/{key}"

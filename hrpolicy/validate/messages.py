"""How schema violations read: :class:`Violation`, its JSON path, and instance values shown safely.

Keys and values come from possibly hostile files, so whatever is shown of them is one bounded line with no
terminal escapes, and personal identifiers in them are withheld (:func:`hrpolicy.identifiers.shown`)
before anything is cut or escaped. Used by :mod:`hrpolicy.validate.schemacheck`.
"""

from __future__ import annotations

import re
from typing import Any

from hrpolicy.identifiers import REDACTED, shown
from hrpolicy.model import Frozen, record

Path = tuple[str | int, ...]


@record
class Violation(Frozen):
    """One schema violation: the instance path it is about, and what is wrong."""

    __slots__ = ("message", "path")

    path: Path
    message: str

    def __init__(self, path: Path, message: str) -> None:
        self._set(locals())

    def __str__(self) -> str:
        return f"{json_path(self.path)}: {self.message}"


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def json_path(path: Path) -> str:
    """``("markets", 0, "country")`` -> ``$.markets[0].country``; other keys as ``$['x-y']``."""
    out = ["$"]
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            out.append(f"[{part}]")
        elif isinstance(part, str) and _IDENT.fullmatch(part):
            out.append(f".{part}")
        else:
            out.append("['" + printable(shown(str(part)).replace("\\", "\\\\").replace("'", "\\'")) + "']")
    return "".join(out)


def printable(text: str) -> str:
    # Keys and values come from possibly hostile files: one line per message, no terminal escapes.
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def _repr(x: Any, budget: int) -> str:
    # Bounded in work as well as length; loader subclasses (of dict, str, ...) print as the plain type.
    if isinstance(x, str):
        x = shown(str.__str__(x))
        return str.__repr__(x[:budget]) + ("..." if len(x) > budget else "")
    if isinstance(x, (dict, list)):
        parts: list[str] = []
        for k, v in x.items() if isinstance(x, dict) else enumerate(x):
            if sum(map(len, parts)) > budget:
                parts.append("...")
                break
            parts.append(
                f"{_repr(k, budget)}: {_repr(v, budget)}" if isinstance(x, dict) else _repr(v, budget)
            )
        return ("{%s}" if isinstance(x, dict) else "[%s]") % ", ".join(parts)
    try:
        if isinstance(x, bool) or not isinstance(x, (int, float)):
            return repr(x)
        text = int.__repr__(x) if isinstance(x, int) else float.__repr__(x)
        return text if shown(text) == text else REDACTED
    except ValueError:  # an integer too long to print
        return "<huge number>"


def show(x: Any, limit: int = 60) -> str:
    text = printable(_repr(x, limit))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def hint(word: Any, candidates: list[str]) -> str:
    if not isinstance(word, str) or not candidates:
        return ""
    close = [c for c in candidates if c.casefold() == word.casefold()]
    if not close:
        import difflib  # only on the error path: validating never needs it

        close = difflib.get_close_matches(word, candidates, n=1)
    return f" (did you mean {show(close[0])}?)" if close else ""

"""What JSON Schema (2020-12) means by a value where Python differs: its types (true is not an integer, 1.0
is one), its equality, its ECMA-262 regular expressions, and the built-in ``date`` and ``uri`` formats.
Used by :mod:`hrpolicy.validate.schemacheck`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from hrpolicy.validate.messages import show

FormatCheck = Callable[[str], "str | None"]
"""Checks a string; returns a one-line error message, or None when the string is valid."""

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
TYPE_CLASSES: dict[str, type] = {"string": str, "object": dict, "array": list, "boolean": bool}
TYPE_CLASSES["null"] = type(None)


def type_test(types: list[str]) -> Callable[[Any], bool]:
    classes = tuple(TYPE_CLASSES[t] for t in types if t in TYPE_CLASSES)
    number, integer = "number" in types, "integer" in types
    if not number and not integer:
        # A bound type method is a C call: cheaper than a Python lambda on every node.
        return classes[0].__instancecheck__ if len(classes) == 1 else lambda x: isinstance(x, classes)

    def test(x: Any) -> bool:
        if isinstance(x, classes):
            return True
        if isinstance(x, bool):
            return False
        if isinstance(x, float):  # an integral float like 1.0 is an integer, as in jsonschema
            return number or x.is_integer()
        return isinstance(x, int)

    return test


def is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def equal(a: Any, b: Any) -> bool:
    # JSON equality as jsonschema defines it: true is not 1, 1 is 1.0, containers compare deeply.
    if a is b:
        return True
    if isinstance(a, str) or isinstance(b, str):
        return bool(a == b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b, strict=False))
    if isinstance(a, dict) and isinstance(b, dict):
        return len(a) == len(b) and all(k in b and equal(v, b[k]) for k, v in a.items())
    return not (isinstance(a, bool) or isinstance(b, bool)) and bool(a == b)


def freeze(x: Any) -> Any:
    # A hashable key with the equality of equal(), so finding duplicates is linear.
    if isinstance(x, list):
        return (2, tuple(map(freeze, x)))
    if isinstance(x, dict):
        return (3, frozenset((k, freeze(v)) for k, v in x.items()))
    return x if isinstance(x, str) else (0, x) if isinstance(x, bool) or x is None else (1, x)


def all_unique(items: list[Any]) -> bool:
    try:  # a set is exact for hashable items, except that true == 1 merges: freeze decides those
        if len(set(items)) == len(items):
            return True
    except TypeError:  # objects or arrays among the items
        pass
    return len({freeze(v) for v in items}) == len(items)


def _check_date(text: str) -> str | None:
    if _DATE.fullmatch(text):
        try:
            date(int(text[:4]), int(text[5:7]), int(text[8:]))
            return None
        except ValueError:
            pass
    return f"{show(text)} is not a valid date (YYYY-MM-DD)"


def _check_uri(text: str) -> str | None:
    return None if _SCHEME.match(text) else f"{show(text)} is not a URI (it needs a scheme such as 'https:')"


BUILTIN_FORMATS: dict[str, FormatCheck] = {"date": _check_date, "uri": _check_uri}


def _ecma_anchors(pattern: str) -> str:
    """JSON Schema patterns are ECMA-262: ``$`` (no multiline flag) matches only at the very end. Python's
    ``$`` also matches before a final newline, which would let ``"acme\\n"`` pass ``^[a-z]+$`` and reach
    a report as two lines. Rewrite ``$`` outside character classes as ``\\Z``."""
    out: list[str] = []
    escaped = in_class = False
    for ch in pattern:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "[":
            in_class = True
        elif ch == "]":
            in_class = False
        elif ch == "$" and not in_class:
            out.append("\\Z")
            continue
        out.append(ch)
    return "".join(out)


def regex(pattern: Any, at: str) -> re.Pattern[str]:
    try:
        return re.compile(_ecma_anchors(pattern) if isinstance(pattern, str) else pattern)
    except (re.error, TypeError) as error:
        raise ValueError(f"invalid regular expression {pattern!r} ({error}) at {at}") from None

"""Message templates: ``"{item.country} has no HRIA"`` compiled once into a renderer.

Fields fill in data and nothing else: no attribute access, no format specs, no expressions; manifest text
is never treated as a template. Filled-in values pass through :func:`display`, so nothing a manifest holds
can add a line, move the terminal cursor or reorder text.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from hrpolicy.errors import one_line
from hrpolicy.identifiers import REDACTED, shown
from hrpolicy.language import tree as t
from hrpolicy.language.compiler import Scope, compile_ref
from hrpolicy.language.context import Ctx, Getter

TEMPLATE_HEADS = frozenset({"item", "country", "manifest", "base", "dataset", "scopes", "today"})
#: In a rule marked ``redact: true`` only these fields show data; everything else renders as REDACTED.
SAFE_WHEN_REDACTED = frozenset({"country", "dataset", "scopes", "today"})


def display(value: Any, limit: int = 120) -> str:
    """Data as safe one-line text: personal identifiers withheld (before anything is cut), no control,
    bidi or line-separator characters; truncated."""
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list):
        joined = ", ".join(display(v, 40) for v in value[:10])
        return joined + (f", … ({len(value)} in all)" if len(value) > 10 else "")
    if isinstance(value, dict):
        return "(" + ", ".join(one_line(shown(str(k)), 40) for k in list(value)[:5]) + ")"
    return one_line(shown(str(value)), limit)


def compile_template(
    node: t.Template, sc: Scope, *, redact: bool = False, safe: frozenset[str] = frozenset()
) -> Callable[[Ctx], str]:
    """A renderer for a message; a field naming nothing known is a compile error at the rule's line.
    With ``redact``, only country, dataset, scopes, today and the ``safe`` let names show data."""
    parts: list[str | Getter] = []
    for piece in node.pieces:
        if isinstance(piece, str):
            parts.append(piece)
            continue
        head = piece.head
        if head not in TEMPLATE_HEADS and head not in sc.lets:
            field = ".".join((head, *piece.parts))
            raise sc.error(
                node.ptr,
                f"template field {{{field}}} is not one of item, country, manifest, base, dataset, scopes, "
                "today or a let name",
            )
        if redact and head not in SAFE_WHEN_REDACTED and head not in safe:
            parts.append(REDACTED)
        else:
            parts.append(compile_ref(piece, sc)[0])
    if all(isinstance(p, str) for p in parts):
        text = "".join(p for p in parts if isinstance(p, str))
        return lambda ctx: text

    def render(ctx: Ctx) -> str:
        return "".join(p if isinstance(p, str) else display(p(ctx)) for p in parts)

    return render

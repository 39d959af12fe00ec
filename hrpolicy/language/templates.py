"""Message templates: ``"{item.country} has no HRIA"`` compiled once into a renderer.

Fields fill in data and nothing else: no attribute access, no format specs, no expressions; manifest text
is never treated as a template. Filled-in values pass through :func:`display`, so nothing a manifest holds
can add a line, move the terminal cursor or reorder text.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

from hrpolicy.errors import one_line
from hrpolicy.language.compiler import compile_ref
from hrpolicy.language.scope import Ctx, Getter, Scope

_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_-]+)*)\}")
TEMPLATE_HEADS = frozenset({"item", "country", "manifest", "base", "dataset", "today"})
#: In a rule marked ``redact: true`` only these fields show data; everything else renders as REDACTED.
SAFE_WHEN_REDACTED = frozenset({"country", "dataset", "today"})
REDACTED = "[redacted]"


def display(value: Any, limit: int = 120) -> str:
    """Data as safe one-line text: no control, bidi or line-separator characters; truncated."""
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list):
        shown = ", ".join(display(v, 40) for v in value[:10])
        return shown + (f", … ({len(value)} in all)" if len(value) > 10 else "")
    if isinstance(value, dict):
        return "(" + ", ".join(one_line(k, 40) for k in list(value)[:5]) + ")"
    return one_line(value, limit)


def literal_valued(spec: Any) -> bool:
    """True when every value ``spec`` can take is written in the rule itself (a literal, or ``if`` choosing
    between such values): showing it cannot reveal manifest data, even in a redacting rule."""
    if isinstance(spec, dict):
        if set(spec) == {"literal"}:
            return True
        return (
            "if" in spec
            and set(spec) <= {"if", "then", "else"}
            and all(literal_valued(spec.get(k)) for k in ("then", "else"))
        )
    if isinstance(spec, list):
        return all(literal_valued(v) for v in spec)
    return not (isinstance(spec, str) and spec.startswith("$"))


def compile_template(
    text: Any, ptr: str, sc: Scope, *, redact: bool = False, safe: frozenset[str] = frozenset()
) -> Callable[[Ctx], str]:
    """A renderer for ``text``; unknown fields and stray braces are compile errors at the rule's line.
    With ``redact``, only country, dataset, today and the ``safe`` let names show data."""
    if not isinstance(text, str):
        raise sc.error(ptr, "a message is a string")
    pieces: list[str | Getter] = []
    pos = 0
    escaped = text.replace("{{", "\ue000").replace("}}", "\ue001")
    for m in _FIELD.finditer(escaped):
        pieces.append(escaped[pos : m.start()])
        head = m.group(1).split(".", 1)[0]
        if head not in TEMPLATE_HEADS and head not in sc.lets:
            raise sc.error(
                ptr,
                f"template field {{{m.group(1)}}} is not one of item, country, manifest, base, dataset, "
                "today or a let name",
            )
        if redact and head not in SAFE_WHEN_REDACTED and head not in safe:
            pieces.append(REDACTED)
        else:
            pieces.append(compile_ref("$" + m.group(1), ptr, sc)[0])
        pos = m.end()
    pieces.append(escaped[pos:])
    literal = "".join(p for p in pieces if isinstance(p, str))
    if "{" in literal or "}" in literal:
        raise sc.error(ptr, "unbalanced or malformed '{...}' in message (write {{ or }} for a literal brace)")
    parts = [p.replace("\ue000", "{").replace("\ue001", "}") if isinstance(p, str) else p for p in pieces]

    def render(ctx: Ctx) -> str:
        return "".join(p if isinstance(p, str) else display(p(ctx)) for p in parts)

    return render

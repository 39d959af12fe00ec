"""Text as Markdown that renders as that text, and nothing else: for the rule catalogue and for reports that
show manifest text (step summaries, pull-request comments). No emphasis, links, images, HTML or block
syntax can come from the text, nor an @mention; control characters are replaced and whitespace collapsed.
"""

from __future__ import annotations

import re

from hrpolicy.errors import one_line

_ALWAYS = {"\\": "\\\\", "`": "\\`", "*": "\\*", "~": "\\~", "[": "\\[", "]": "\\]"}
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "@": "&#64;"}  # "@": no @mention pings anyone
_BLOCK_START = re.compile(r"(?:[#>=+-]|\d{1,9}(?=[.)]))")


def text(text: str, *, cell: bool = False, start: bool = False) -> str:
    """Rule text as Markdown that renders as that text: whitespace collapsed, control characters
    replaced, ``<``, ``>`` and an ``&`` that could start a character reference as entities, no emphasis,
    code, links or images (``[``, ``]`` escaped), and pipes escaped in table cells. ``start``: the text
    opens a block, where ``#``, ``>``, ``-``, ``+`` or ``1.`` would start a heading, quote or list."""
    text = one_line(" ".join(text.split()))
    out = []
    for i, ch in enumerate(text):
        if ch == "&" and not re.match(r"[A-Za-z0-9#]", text[i + 1 : i + 2]):
            out.append(ch)  # a bare "&" cannot start a character reference: kept readable
        elif ch in _HTML:
            out.append(_HTML[ch])
        elif ch in _ALWAYS:
            out.append(_ALWAYS[ch])
        elif ch == "_":  # only intraword underscores can never open or close emphasis
            inner = 0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum()
            out.append("_" if inner else "\\_")
        elif ch == "|" and cell:
            out.append("\\|")
        else:
            out.append(ch)
    shown = "".join(out)
    match = _BLOCK_START.match(shown) if start else None
    if match:
        cut = match.end() if match.group().isdigit() else 0
        shown = shown[:cut] + "\\" + shown[cut:]
    return shown


def code(text: str, *, cell: bool = False) -> str:
    """``text`` verbatim as a Markdown code span: nothing escaped but pipes in table cells (which GFM
    unescapes before the span is read), inside a backtick fence longer than any backtick run in it."""
    text = one_line(text)
    if cell:
        text = text.replace("|", "\\|")
    if not text.strip():
        return "` `" if not text else "`" + text + "`"
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text[0] in "` " or text[-1] in "` " else ""  # one space each side is stripped again
    return f"{fence}{pad}{text}{pad}{fence}"

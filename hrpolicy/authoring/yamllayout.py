"""The line-level layout of YAML text that ruamel.yaml's emitter does not do for ``hrpolicy rules fmt``.

Line width: folded scalars refilled and flow collections broken to stay within WIDTH. Comments: where each
one is (``scan``, also the check that none is lost), and on a line of its own, re-indented to go with the
line it was aligned with. Text is tokenized with libyaml (:mod:`hrpolicy.load.libyaml`), imported only
when called.
"""

from __future__ import annotations

import itertools
import re
from typing import Any, NamedTuple

from hrpolicy.load.libyaml import binding

__all__ = ["WIDTH", "Comment", "Layout", "fold_long_lines", "reindent_comments", "scan", "wrap_flow_lines"]

WIDTH = 110
_BLOCK_HEADER_COMMENT = re.compile(r"[ \t](#.*)")
_IN_SCALAR = 1 << 20  # rank of a line break inside a scalar: after every break between items


def fold_long_lines(text: str, indent: int) -> str:
    """Fold points for folded-scalar text (ruamel marks one with ``\\a`` before the folding space).

    The author's folds stay, unless a line of a paragraph is longer than WIDTH and refilling the paragraph
    can bring every line within WIDTH (a long regular expression or URL is left as it is). Only a single
    space between two non-space characters folds back into exactly that space; lines that start with
    whitespace are "more indented" and never fold.
    """
    room = max(WIDTH - indent, 20)
    lines = text.split("\n")
    for number, line in enumerate(lines):
        if line[:1] in ("", " ", "\t"):
            continue
        if any(len(piece) - bool(index) > room for index, piece in enumerate(line.split("\a"))):
            parts = _fill(line.replace("\a", ""), room)
            if parts is not None:
                lines[number] = "\a".join(parts)
    return "\n".join(lines)


def _fill(line: str, room: int) -> list[str] | None:
    """line cut greedily at single spaces into parts of at most room characters, every part but the first
    starting with the space it was cut at; None when some word does not fit."""
    # Not inside brackets' edges either: "[ -]" is more likely a regular expression than prose.
    spaces = [
        i
        for i in range(1, len(line) - 1)
        if line[i] == " "
        and not (line[i - 1].isspace() or line[i + 1].isspace())
        and line[i - 1] not in "([{"
        and line[i + 1] not in ")]}"
    ]
    cuts: list[int] = []
    start = 0  # where the current output line's text begins
    while len(line) - start > room:
        fitting = [i for i in spaces if start < i <= start + room]
        if not fitting:
            return None
        cuts.append(fitting[-1])
        start = fitting[-1] + 1
    return [line[a:b] for a, b in itertools.pairwise([0, *cuts, len(line)])]


def wrap_flow_lines(text: str) -> str:
    """Break lines longer than WIDTH inside flow collections, which the emitter writes on one line.

    A line breaks after a comma, preferably between the outermost items, the next item aligned just
    inside its bracket; or, when a scalar is too long by itself, at a space inside it, aligned with the
    scalar's text (YAML folds that line break back into the space). Keys are never broken.
    """
    lines = text.split("\n")
    if all(len(line) <= WIDTH for line in lines):
        return text
    YAMLError = binding().YAMLError

    # per line: (position of a space that may become a line break, position to align the next line with,
    # rank: the nesting depth of a break between items, _IN_SCALAR for a break inside a scalar)
    candidates: dict[int, list[tuple[int, int, int]]] = {}
    try:
        _break_candidates(text, lines, candidates)
    except YAMLError:
        return text  # verification reports what does not load
    for number, found in candidates.items():
        if len(lines[number]) > WIDTH:
            lines[number] = _break_line(lines[number], found)
    return "\n".join(lines)


def _break_candidates(text: str, lines: list[str], candidates: dict[int, list[tuple[int, int, int]]]) -> None:
    lib = binding()

    brackets: list[int] = []
    opening = (lib.FlowMappingStartToken, lib.FlowSequenceStartToken)
    closing = (lib.FlowMappingEndToken, lib.FlowSequenceEndToken)
    parser = lib.parser(text)
    previous: Any = None
    while type(token := parser.get_token()) is not lib.StreamEndToken:
        kind, start, end = type(token), token.start_mark, token.end_mark
        if kind in opening:
            brackets.append(start.column)
        elif kind in closing:
            brackets.pop()
        elif kind is lib.FlowEntryToken and brackets and lines[end.line][end.column : end.column + 1] == " ":
            candidates.setdefault(end.line, []).append((end.column, brackets[-1] + 1, len(brackets)))
        elif (
            kind is lib.ScalarToken
            and brackets
            and type(previous) is not lib.KeyToken
            and start.line == end.line
        ):
            quoted = token.style in ("'", '"')
            body = lines[start.line][start.column : end.column]
            candidates.setdefault(start.line, []).extend(
                (start.column + i, start.column + quoted, _IN_SCALAR)
                for i in range(1, len(body) - 1)
                if body[i] == " "
                and body[i - 1] != "\\"
                and not body[i - 1].isspace()
                and not body[i + 1].isspace()
            )
        previous = token


def _break_line(line: str, candidates: list[tuple[int, int, int]]) -> str:
    """Break line at the candidates of lowest rank that keep it within WIDTH, rightmost first."""
    breaks: list[tuple[int, int]] = []  # (position of the space replaced by a line break, next line's indent)

    def column(position: int) -> int:
        for at, indent in reversed(breaks):
            if position > at:
                return indent + position - at - 1
        return position

    while column(len(line)) > WIDTH:
        last = breaks[-1][0] if breaks else -1
        usable = [c for c in candidates if c[0] > last and column(c[1]) < column(c[0])]
        fitting = [c for c in usable if column(c[0]) <= WIDTH]
        if fitting:
            rank = min(c[2] for c in fitting)
            chosen = max(c for c in fitting if c[2] == rank)
        elif any(c[2] != _IN_SCALAR for c in usable):
            # Nothing fits: the next item gets a line of its own. A scalar is only broken where that helps.
            chosen = min(c for c in usable if c[2] != _IN_SCALAR)
        else:
            break
        breaks.append((chosen[0], column(chosen[1])))
    parts, start = [], 0
    for at, indent in breaks:
        parts.append(line[start:at] + "\n" + " " * indent)
        start = at + 1
    return "".join(parts) + line[start:]


class Comment(NamedTuple):
    text: str  # from "#", without trailing blanks
    offset: int  # of "#" in the text
    line: int  # 1-based
    column: int  # 0-based
    own_line: bool  # nothing but blanks before it on its line
    in_flow: bool  # inside [...] or {...}
    before: int | None  # indentation of the line where the previous token starts
    after: int | None  # indentation of the line where the next token starts


class Layout(NamedTuple):
    comments: list[Comment]
    document_start: int | None  # index of an explicit "---"


def _indentation(text: str, index: int) -> int:
    start = text.rfind("\n", 0, index) + 1
    return len(text[start:index]) - len(text[start:index].lstrip(" "))


def scan(text: str) -> Layout:
    """The comments of a YAML text that libyaml parses, in order, and where its explicit "---" is.

    Between two tokens there is only whitespace and comments; a block scalar's token also covers its
    header line, which can end in a comment.
    """
    lib = binding()

    comments: list[Comment] = []
    waiting: list[int] = []  # comments whose next token is still to come
    depth, before, document_start = 0, None, None
    structural = (lib.StreamStartToken, lib.StreamEndToken, lib.BlockEndToken)

    def collect(start: int, end: int) -> None:
        at = text.find("#", start, end)
        while at != -1:
            stop = text.find("\n", at, end)
            stop = end if stop == -1 else stop
            line_start = text.rfind("\n", 0, at) + 1
            own_line = not text[line_start:at].strip()
            line = text.count("\n", 0, at) + 1
            comment = Comment(
                text[at:stop].rstrip(), at, line, at - line_start, own_line, depth > 0, before, None
            )
            waiting.append(len(comments))
            comments.append(comment)
            at = text.find("#", stop, end)

    parser = lib.parser(text)
    position = 0
    while True:
        token = parser.get_token()
        kind, start, end = type(token), token.start_mark.index, token.end_mark.index
        collect(position, start)
        if kind not in structural:
            after = _indentation(text, start)
            for number in waiting:
                comments[number] = comments[number]._replace(after=after)
            waiting.clear()
            before = after
        if kind is lib.DocumentStartToken and document_start is None:
            document_start = start
        elif kind in (lib.FlowMappingStartToken, lib.FlowSequenceStartToken):
            depth += 1
        elif kind in (lib.FlowMappingEndToken, lib.FlowSequenceEndToken):
            depth -= 1
        elif kind is lib.ScalarToken and token.style in ("|", ">"):
            header_end = text.find("\n", start, end)
            header = text[start : end if header_end == -1 else header_end]
            match = _BLOCK_HEADER_COMMENT.search(header)
            if match is not None:
                collect(start + match.start(1), start + len(header))
                waiting.clear()  # a header comment belongs to its line, not to the next token
        position = max(position, end)
        if kind is lib.StreamEndToken:
            break
    collect(position, len(text))
    return Layout(comments, document_start)


def reindent_comments(source: Layout, text: str) -> str:
    """Give each comment on a line of its own the indentation of the line it was aligned with: the next
    one, else the previous one; a comment aligned with neither goes with the next line."""
    YAMLError = binding().YAMLError

    try:
        result = scan(text).comments
    except YAMLError:
        return text  # verification reports what does not load
    if [c.text for c in result] != [c.text for c in source.comments]:
        return text  # verification names the comment
    for old, new in reversed(list(zip(source.comments, result, strict=True))):
        if not new.own_line:
            continue
        if old.own_line and old.column == old.before and old.column != old.after:
            target = new.before
        else:  # aligned with the next line, with neither, or moved off its line (after "---", say)
            target = new.after
        if target is not None and target != new.column:
            start = new.offset - new.column
            text = text[:start] + " " * target + text[new.offset :]
    return text

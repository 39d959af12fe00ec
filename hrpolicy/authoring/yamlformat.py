"""Round-trip formatting of one YAML file: ruamel.yaml set up in the style of the default pack, and the
proof that what it writes is the same document as what it read.

``Formatter`` is what ``hrpolicy rules fmt`` runs on each file (the rules are in that command's docstring);
the line-level layout it needs beyond ruamel.yaml's emitter is in ``hrpolicy.authoring.yamllayout``.
ruamel.yaml is imported only when a ``Formatter`` is made.
"""

from __future__ import annotations

import math
import re
import warnings
from typing import Any

from hrpolicy.authoring.yamllayout import Layout, fold_long_lines, reindent_comments, scan, wrap_flow_lines
from hrpolicy.errors import HrpolicyError, RuleError
from hrpolicy.load.document import Document, pointer_join
from hrpolicy.load.yaml import load_yaml

__all__ = ["Formatter", "first_difference"]

MAPPING_INDENT, SEQUENCE_INDENT, SEQUENCE_DASH_OFFSET = 2, 4, 2

# The YAML 1.2 core schema, as hrpolicy.load.yaml resolves plain scalars: anything else is a string.
_CORE_TAGS = (
    ("null", re.compile(r"~|null|Null|NULL|")),
    ("bool", re.compile(r"true|True|TRUE|false|False|FALSE")),
    ("int", re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")),
    (
        "float",
        re.compile(
            r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
        ),
    ),
)


class Formatter:
    """One configured round-trip YAML instance, reused for every file of a run."""

    def __init__(self) -> None:
        self._yaml = _round_trip_yaml()

    def format(self, source: bytes, path: str) -> bytes:
        """The formatted file. Raises an ``HrpolicyError`` (with the position) when the file does not
        parse, or when formatting would change its data or lose a comment."""
        before = load_yaml(source, path)  # the loader every command uses: its errors, its limits
        # YAML reads every line break as \n, so normalising them (and dropping a BOM) changes no value.
        text = source.decode("utf-8").removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
        directive = re.match(r"(?:[ \t]*(?:#.*)?\n)*%YAML[ \t]+(\S+)", text)
        if directive and directive.group(1) != "1.2":
            # hrpolicy reads every file as YAML 1.2; a 1.1 directive tells other tools otherwise (017 is
            # octal there, yes is true), so the two readings of the file already differ.
            raise RuleError(
                f"the file declares %YAML {directive.group(1)}, but hrpolicy reads rule files as YAML 1.2: "
                "remove the directive (and check values such as 017, yes or on); file left unchanged",
                path,
                1,
                1,
            )
        layout = scan(text)
        for comment in layout.comments:
            if comment.in_flow:
                raise RuleError(
                    f"cannot keep the comment {comment.text[:40]!r} inside a flow collection ([...] or "
                    "{...}): move it out of the brackets; file left unchanged",
                    path,
                    comment.line,
                    comment.column + 1,
                )
        laid_out = reindent_comments(layout, self._emit(text, layout, path))
        wrapped = wrap_flow_lines(laid_out)
        if wrapped != laid_out:
            try:
                return _verified(before, layout, wrapped, path)
            except RuleError:
                pass  # wrapping is cosmetic: the one-line layout is the fallback
        return _verified(before, layout, laid_out, path)

    def _emit(self, text: str, layout: Layout, path: str) -> str:
        """The file laid out by ruamel.yaml, every flow collection and scalar on one line."""
        import io

        from ruamel.yaml.comments import CommentedBase
        from ruamel.yaml.error import MarkedYAMLError, YAMLError

        try:
            with warnings.catch_warnings():
                # ruamel warns (several lines) about a re-used anchor, which YAML allows and the data
                # check below covers; the formatter's output is one line per file.
                warnings.simplefilter("ignore")
                data = self._yaml.load(text)
        except MarkedYAMLError as exc:  # load_yaml accepted it, so this is ruamel's round-trip parser
            mark = exc.problem_mark or exc.context_mark
            problem = " ".join(str(exc.problem or "invalid YAML").split())
            raise RuleError(problem, path, *((mark.line + 1, mark.column + 1) if mark else ())) from None
        except YAMLError as exc:
            raise RuleError(" ".join(str(exc).split()), path) from None
        if not isinstance(data, CommentedBase):
            # An empty file, or a single scalar: nothing to lay out, and round-tripping a scalar document
            # can drop its comments. Only the final newlines are normalised.
            stripped = text.rstrip("\n")
            return stripped + "\n" if stripped.strip() else ""
        out = io.StringIO()
        self._yaml.version = None  # loading a %YAML directive sets it, and dumping would write it back
        self._yaml.explicit_start = layout.document_start is not None
        try:
            self._yaml.dump(data, out)
        except YAMLError as exc:
            raise _unsafe(path, f"cannot lay out this file ({' '.join(str(exc).split())})") from None
        result = out.getvalue().rstrip("\n") + "\n"
        if layout.document_start:
            # ruamel.yaml drops what comes before "---": keep its comments and blank lines, not directives.
            head = text[: layout.document_start].splitlines(keepends=True)
            result = "".join(line for line in head if not line.startswith("%")) + result
        return result


def _verified(before: Document, layout: Layout, result: str, path: str) -> bytes:
    """result as bytes, if it loads to the same data as before and keeps the comments in order."""
    encoded = result.encode("utf-8")
    try:
        after = load_yaml(encoded, path)
    except HrpolicyError as exc:
        raise _unsafe(path, f"formatting would produce YAML that does not load ({exc.message})") from None
    difference = first_difference(before.data, after.data, "")
    if difference is not None:
        line, column = before.position(difference)
        raise _unsafe(path, f"formatting would change the value at {difference or '/'}", line, column)
    new = [c.text for c in scan(result).comments]
    for index, comment in enumerate(layout.comments):
        if index >= len(new) or new[index] != comment.text:
            what = f"formatting would lose or move the comment {comment.text[:40]!r}"
            raise _unsafe(path, what, comment.line, comment.column + 1)
    if len(new) > len(layout.comments):
        raise _unsafe(path, f"formatting would add the comment {new[len(layout.comments)][:40]!r}")
    return encoded


def _unsafe(path: str, message: str, line: int | None = None, column: int | None = None) -> RuleError:
    return RuleError(
        f"{message}; file left unchanged (a formatter bug: please report it)", path, line, column
    )


def _round_trip_yaml() -> Any:
    """A ruamel.yaml round-trip instance with the pack's layout, core-schema resolution and quoting."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.Resolver = _core_resolver()
    yaml.Representer = _representer()
    yaml.Emitter = _emitter()
    yaml.preserve_quotes = True
    yaml.indent(mapping=MAPPING_INDENT, sequence=SEQUENCE_INDENT, offset=SEQUENCE_DASH_OFFSET)
    yaml.width = 1 << 30  # the emitter's own wrapping splits scalars mid-line and leaves trailing blanks
    yaml.allow_duplicate_keys = False
    yaml.brace_single_entry_mapping_in_flow_sequence = True  # [{a: 1}], not [a: 1]
    return yaml


def _core_resolver() -> type:
    from ruamel.yaml.nodes import MappingNode, ScalarNode
    from ruamel.yaml.resolver import VersionedResolver
    from ruamel.yaml.tag import Tag

    class CoreResolver(VersionedResolver):
        """Resolve plain scalars exactly as ``hrpolicy.load.yaml`` does, whatever ``%YAML`` version is named:
        values by the YAML 1.2 core schema, mapping keys always as their text (``~:`` is the key "~").

        ruamel.yaml's 1.2 rules also know timestamps, ``0b``/``012`` integers, underscores and ``=``: with
        those, quotes would be stripped or kept by rules that are not the ones the files are read with.
        """

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._is_key: list[bool] = []  # per node being composed or serialized

        def descend_resolver(self, current_node: Any, current_index: Any) -> None:
            # Composer and serializer both pass the mapping and index None for a key.
            self._is_key.append(isinstance(current_node, MappingNode) and current_index is None)
            super().descend_resolver(current_node, current_index)

        def ascend_resolver(self) -> None:
            self._is_key.pop()
            super().ascend_resolver()

        def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
            if kind is ScalarNode:
                if implicit[0]:
                    is_key = bool(self._is_key and self._is_key[-1])
                    for name, pattern in _CORE_TAGS:
                        # A key is text to hrpolicy either way; resolving it keeps the quotes of "17":
                        # or "true": for other YAML tools. Only a null-looking key (~:) stays text, so
                        # it is neither rewritten nor quoted.
                        if pattern.fullmatch(value) and not (is_key and name == "null"):
                            return Tag(suffix=f"tag:yaml.org,2002:{name}")
                return self.DEFAULT_SCALAR_TAG
            return super().resolve(kind, value, implicit)

    return CoreResolver


def _representer() -> type:
    from ruamel.yaml.representer import RoundTripRepresenter

    class Representer(RoundTripRepresenter):
        def represent_none(self, data: Any) -> Any:
            # Round-trip mode writes an empty value ("key:", "- " with a trailing space) in block context
            # and "null" in flow context; one explicit spelling everywhere.
            return self.represent_scalar("tag:yaml.org,2002:null", "null")

    Representer.add_representer(type(None), Representer.represent_none)
    return Representer


def _emitter() -> type:
    from ruamel.yaml.emitter import RoundTripEmitter

    class Emitter(RoundTripEmitter):
        def choose_scalar_style(self) -> Any:
            event = self.event
            if event.style in ("'", '"'):
                # Plain if a plain scalar reads back as the same string, as for an unquoted one.
                quoted, event.style = event.style, None
                try:
                    style = super().choose_scalar_style()
                finally:
                    event.style = quoted
            else:
                style = super().choose_scalar_style()
            if style == "" and _libyaml_refuses_plain(event.value, self.flow_level > 0):
                style = '"'
            if style in ("'", '"'):
                analysis = self.analysis
                single_reads_better = ('"' in event.value or "\\" in event.value) and (
                    analysis.allow_single_quoted and not (self.simple_key_context and analysis.multiline)
                )
                return "'" if single_reads_better else '"'
            return style

        def write_folded(self, text: Any, comment: Any) -> None:
            super().write_folded(fold_long_lines(text, self.indent or 0), comment)

    return Emitter


def _libyaml_refuses_plain(value: str, in_flow: bool) -> bool:
    """Plain scalars that YAML 1.2 allows (ruamel.yaml writes them) but libyaml, which hrpolicy loads
    with, reads otherwise or not at all: inside a flow collection, a leading ``?`` or any ``:``."""
    return in_flow and (value.startswith("?") or ":" in value)


def first_difference(old: Any, new: Any, pointer: str) -> str | None:
    """JSON pointer of the first place where two loaded documents differ (types and key order count)."""
    if type(old) is not type(new):
        return pointer
    if isinstance(old, dict):
        if list(old) != list(new):
            return pointer
        for key, value in old.items():
            found = first_difference(value, new[key], pointer_join(pointer, key))
            if found is not None:
                return found
        return None
    if isinstance(old, list):
        for index, (a, b) in enumerate(zip(old, new, strict=False)):
            found = first_difference(a, b, pointer_join(pointer, index))
            if found is not None:
                return found
        return None if len(old) == len(new) else pointer
    if isinstance(old, float):
        same = (math.isnan(old) and math.isnan(new)) or (
            old == new and math.copysign(1, old) == math.copysign(1, new)
        )
        return None if same else pointer
    return None if old == new else pointer

"""The one place hrpolicy touches libyaml: ruamel.yaml's C binding (the private module ``_ruamel_yaml``
shipped by ruamel.yaml.clib) and the error classes it raises (from ruamel.yaml).

The binding is private and untyped, so everything hrpolicy uses of it is named here: the parser, its event
and token classes, and the two error classes. The versions it was written and tested against are pinned in
pyproject.toml and checked by :data:`SUPPORTED`; CI runs the YAML tests against both ends of the range.
Nothing is imported until a file is loaded: importing ruamel.yaml costs about 20 ms.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

from hrpolicy.errors import UsageError

#: (distribution, lowest version, first version not supported), as pinned in pyproject.toml.
SUPPORTED = (("ruamel.yaml", "0.18.6", "0.20"), ("ruamel.yaml.clib", "0.2.8", "0.3"))


class Binding(NamedTuple):
    """The parts of libyaml's binding hrpolicy uses. ``parser(text)`` has ``get_event()`` and
    ``get_token()``; events and tokens carry ``start_mark``/``end_mark`` with 0-based ``line`` and
    ``column``."""

    parser: Any
    ScalarEvent: type
    AliasEvent: type
    MappingStartEvent: type
    MappingEndEvent: type
    SequenceStartEvent: type
    SequenceEndEvent: type
    DocumentStartEvent: type
    StreamEndEvent: type
    StreamStartToken: type
    StreamEndToken: type
    DocumentStartToken: type
    BlockEndToken: type
    KeyToken: type
    ScalarToken: type
    FlowEntryToken: type
    FlowMappingStartToken: type
    FlowMappingEndToken: type
    FlowSequenceStartToken: type
    FlowSequenceEndToken: type
    #: A problem with a place (``problem``, ``problem_mark``, ``context``, ``context_mark``).
    MarkedYAMLError: type[Exception]
    #: Any error of the parser; reader errors carry ``position`` (a byte offset) and ``character``.
    YAMLError: type[Exception]


@functools.cache
def binding() -> Binding:
    """The C binding, imported on first use. :raises UsageError: when ruamel.yaml.clib is missing."""
    try:
        import _ruamel_yaml as lib
        from ruamel.yaml.error import MarkedYAMLError, YAMLError
    except ImportError as exc:  # e.g. ruamel.yaml installed without its C extension
        raise UsageError(
            f"hrpolicy needs ruamel.yaml's C extension (pip install 'ruamel.yaml.clib'): {exc}"
        ) from None
    names = [f for f in Binding._fields if f not in ("parser", "MarkedYAMLError", "YAMLError")]
    return Binding._make([lib.CParser, *(getattr(lib, n) for n in names), MarkedYAMLError, YAMLError])

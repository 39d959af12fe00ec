"""What a value from a manifest or a rule means to an operator: the coercions every operator shares.

This module is public: an operator plugin (``hrpolicy_condition_operators``) uses these helpers so that its
operator reads values exactly as the built-in ones do. A path that is absent or ``null`` gives ``None``;
dates are ``datetime.date`` objects or ISO ``YYYY-MM-DD`` strings; lists hold whatever the manifest holds.
Regular expressions are RE2 (linear time), so no manifest text can make a rule hang.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterable
from typing import Any

__all__ = ["as_date", "as_list", "compile_regex", "flatten", "is_present", "regex_union"]


def as_list(value: Any) -> list[Any]:
    """``None`` -> ``[]``, a list as it is, anything else as a one-element list."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def flatten(values: Iterable[Any]) -> list[Any]:
    """Nested lists as one flat list, without ``None``."""
    out: list[Any] = []
    for v in values:
        if isinstance(v, list):
            out.extend(flatten(v))
        elif v is not None:
            out.append(v)
    return out


def as_date(value: Any) -> datetime.date | None:
    """A date from a ``date`` or an ISO ``YYYY-MM-DD`` string (exactly that: not ``2026-W48-6``, which
    ``fromisoformat`` also takes); ``None`` for anything else."""
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and len(value) == 10 and value[4] == value[7] == "-":
        digits = value[:4] + value[5:7] + value[8:]
        if not (digits.isascii() and digits.isdigit()):
            return None
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def is_present(value: Any) -> bool:
    """There and filled in: not ``None``, ``""``, ``[]`` or ``{}`` (``false`` and ``0`` are answers)."""
    return value is not None and value != "" and value != [] and value != {}


def compile_regex(pattern: Any) -> Any:
    """An RE2 pattern object for ``pattern`` (already compiled ones pass through; each text is compiled
    once per process).

    :raises ValueError: with a one-line message when ``pattern`` is not text or RE2 rejects it.
    """
    if not isinstance(pattern, str):
        if hasattr(pattern, "search"):
            return pattern  # already compiled (a $patterns.NAME)
        raise ValueError(f"takes a regular expression string, not {pattern!r}")
    return _compile(pattern)


@functools.lru_cache(maxsize=512)
def _compile(pattern: str) -> Any:
    import re2  # imported on first use: most runs compile their patterns from the cache-warm pack once

    options = re2.Options()
    options.log_errors = False  # RE2 would also log its complaint to stderr; ours is the one line shown
    try:
        return re2.compile(pattern, options)
    except Exception as exc:  # re2.error is not exported consistently across versions
        detail = exc.args[0] if exc.args else exc
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        raise ValueError(f"RE2 rejects {pattern!r}: {detail}") from None


def regex_union(patterns: Any) -> list[Any]:
    """The patterns as one alternation (a single linear-time search per value instead of one per pattern),
    in a one-element list; an empty list for no patterns. :raises ValueError: as :func:`compile_regex`."""
    compiled = [compile_regex(p) for p in as_list(patterns)]
    if len(compiled) < 2:
        return compiled
    return [compile_regex("|".join(f"(?:{p.pattern})" for p in compiled))]

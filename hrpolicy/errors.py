"""The exception family. Policy violations are results, never exceptions.

Every known error renders as one line, ``path:line:col: message`` (line and column when known), and makes
the CLI exit 2. Anything else is a bug: the CLI prints a traceback and asks for a report.
"""

from __future__ import annotations

import re

# Control characters, line/paragraph separators, bidirectional overrides and BOMs: anything that could
# start a new line (a forged GitHub workflow command), move the terminal cursor or reorder text.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")


def one_line(text: object, limit: int | None = None) -> str:
    """Text that is safe to print on one line: unsafe characters become ``?``; optionally truncated."""
    shown = _UNSAFE.sub("?", str(text))
    if limit is not None and len(shown) > limit:
        shown = shown[: limit - 1] + "…"
    return shown


def where(path: str | None, line: int | None = None, column: int | None = None) -> str:
    """``path:line:col`` with whatever parts are known ('' when there is no path)."""
    if path is None:
        return ""
    text = one_line(path)
    if line is not None:
        text += f":{line}"
        if column is not None:
            text += f":{column}"
    return text


class HrpolicyError(Exception):
    """A problem the user can fix: bad input, bad usage. One line, exit 2."""

    def __init__(
        self, message: str, path: str | None = None, line: int | None = None, column: int | None = None
    ):
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.column = column

    def __str__(self) -> str:
        place = where(self.path, self.line, self.column)
        return (f"{place}: " if place else "") + one_line(self.message)


class ManifestError(HrpolicyError):
    """A manifest (or waivers/country-data file) cannot be read, parsed or validated."""


class RuleError(HrpolicyError):
    """A rule file is malformed or a rule cannot be compiled."""


class UsageError(HrpolicyError):
    """Bad command-line usage or environment (unknown format, bad git ref, ...)."""


class PluginError(Exception):
    """A plugin is broken: it cannot be imported or registered, implements a hook that does not exist,
    registers a name twice, or fails while it runs. A bug, not bad input: exit 3, naming the plugin, and
    never a pass."""

    def __init__(self, plugin: str, problem: str):
        super().__init__(f"plugin {plugin!r}: {one_line(problem)}")
        self.plugin = plugin

"""The exception family. Policy violations are results, never exceptions.

Every known error renders as one line, ``path:line:col: message`` (line and column when known), and makes
the CLI exit 2. Anything else is a bug: the CLI prints a traceback and asks for a report.
"""

from __future__ import annotations


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
        where = ""
        if self.path is not None:
            where = self.path
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        return where + self.message


class ManifestError(HrpolicyError):
    """A manifest (or waivers/country-data file) cannot be read, parsed or validated."""


class RuleError(HrpolicyError):
    """A rule file is malformed or a rule cannot be compiled."""


class UsageError(HrpolicyError):
    """Bad command-line usage or environment (unknown format, bad git ref, ...)."""

"""``hrpolicy rules fmt``: normalise rule files and rule test files without losing anything.

ruamel.yaml's round-trip mode re-emits each file keeping every comment, blank line, anchor and the key
order. What changes is layout only:

* indentation: mappings by 2, sequences by 4 with the dash at 2 (the style of the default pack); a comment
  on a line of its own moves with the line it is aligned with (the next one, else the previous one);
* quoting: a quoted scalar loses its quotes when a plain one reads as the same string under the YAML 1.2
  core schema that ``hrpolicy.load.yaml`` loads with (``NO``, ``on``, ``2026-01-01`` and ``1_000`` are
  strings; ``"17"``, ``"true"`` and ``"null"`` keep their quotes). Quotes that stay are double quotes, or
  single quotes when the text holds ``"`` or ``\\``;
* line width: a folded (``>``) scalar keeps the author's line breaks unless a line is longer than WIDTH,
  then its paragraph is refilled (at single spaces, which folding turns back into the same text). A flow
  collection (``[a, b]``, ``{k: v}``) longer than WIDTH is broken after a comma, the next item aligned
  inside the bracket, or within a scalar that is too long by itself. Plain and quoted scalars in block
  context stay on one line;
* nulls are spelled ``null``, booleans ``true``/``false``; the file is UTF-8 without a byte order mark,
  with ``\\n`` line breaks, no ``%YAML`` directive (an explicit ``---`` stays) and one final newline.

Nothing is written unless it is provably the same document: the result must load (with
``hrpolicy.load.yaml.load_yaml``, like every command) to data identical to the original, types, key order and
all, and must hold the same comments in the same order. Otherwise the file is left alone and reported.

ruamel.yaml's round-trip machinery is slow to import, so it is imported only when a file is formatted.
"""

from __future__ import annotations

import difflib
import os
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from hrpolicy.authoring.yamlformat import Formatter
from hrpolicy.authoring.yamllayout import WIDTH
from hrpolicy.errors import HrpolicyError, RuleError, UsageError, one_line
from hrpolicy.files import display_path, read_regular, reading_problem, unique_paths, write_atomic
from hrpolicy.load.events import MAX_BYTES

__all__ = ["WIDTH", "Formatter", "discover", "run"]


def run(paths: Sequence[str], *, check: bool, stdout: IO[str], stderr: IO[str], diff: bool = False) -> int:
    """Format the named files and directories; exit 2 if any failed, else 1 if ``check`` or ``diff`` found
    work, else 0.

    With ``check``, name the files that would change and show each change as a unified diff; with
    ``diff``, show only the diffs; either way write nothing. Otherwise rewrite (atomically, keeping
    permissions) only the files that change, and end with a summary line. A file that cannot be read,
    parsed or safely formatted gets one ``path:line:col: message`` line on stderr; the rest still run.
    """
    dry = check or diff
    if not paths:
        raise UsageError("name rule files or directories to format")
    formatter: Formatter | None = None
    changed = unchanged = failed = 0
    for path in discover(paths):
        shown = str(path)
        try:
            source = _read(path)
            formatter = formatter or Formatter()
            result = formatter.format(source, shown)
        except HrpolicyError as exc:
            stderr.write(f"{exc}\n")
            failed += 1
            continue
        if result == source:
            unchanged += 1
        elif dry:
            changed += 1
            if check:
                stdout.write(f"would reformat {shown}\n")
            stdout.writelines(_diff(source, result, shown))
        else:
            try:
                _replace(path, result)
            except OSError as exc:
                stderr.write(f"{RuleError(f'cannot write file: {exc.strerror or exc}', shown)}\n")
                failed += 1
                continue
            changed += 1
            stdout.write(f"reformatted {shown}\n")
    if not dry:
        summary = f"{changed} file{'' if changed == 1 else 's'} reformatted, {unchanged} unchanged"
        stdout.write(summary + (f", {failed} failed\n" if failed else "\n"))
    return 2 if failed else 1 if dry and changed else 0


def _diff(before: bytes, after: bytes, shown: str) -> list[str]:
    """A unified diff of the file's text, each line safe for a terminal (control characters shown as ?)."""
    lines = difflib.unified_diff(
        before.decode("utf-8", "replace").splitlines(),
        after.decode("utf-8", "replace").splitlines(),
        fromfile=shown,
        tofile=f"{shown} (formatted)",
        lineterm="",
    )
    shown_lines = [one_line(line) + "\n" for line in lines]
    if not shown_lines:  # the same lines: only line endings, a byte order mark or the final newline differ
        shown_lines = [f"{one_line(shown)}: only line endings or the final newline change\n"]
    return shown_lines


def discover(paths: Sequence[str]) -> list[Path]:
    """Files as named; for a directory, its ``*.yaml`` and ``tests/*.yaml`` (sorted, hidden files skipped)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            hits = [
                p
                for pattern in ("*.yaml", "tests/*.yaml")
                for p in sorted(path.glob(pattern))
                if p.is_file() and not p.name.startswith(".")
            ]
            if not hits:
                raise UsageError(f"no rule files (*.yaml or tests/*.yaml) in {raw}")
            found.extend(hits)
        elif path.exists():
            found.append(path)
        else:
            raise UsageError(f"no such file or directory: {raw}")
    return unique_paths(found)


def _read(path: Path) -> bytes:
    """The file, if it is a regular file within the size any rule file may have (read no further)."""
    try:
        data = read_regular(path, MAX_BYTES + 1)
    except OSError as exc:
        raise RuleError(reading_problem(exc), display_path(path)) from None
    if len(data) > MAX_BYTES:
        raise RuleError(f"larger than the {MAX_BYTES}-byte limit", display_path(path))
    return data


def _replace(path: Path, data: bytes) -> None:
    """Atomically replace the file a path names (through any symlink), keeping its permission bits."""
    target = Path(os.path.realpath(path))
    mode = stat.S_IMODE(target.stat().st_mode)
    # private: the new file is 0600 until it has the original's mode, never more open than either.
    write_atomic(target, data, private=True, make_parents=False)
    os.chmod(target, mode)

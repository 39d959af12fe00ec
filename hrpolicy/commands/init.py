"""``hrpolicy init``: write a commented starter ``hrpolicy.yaml`` that passes validation."""

from __future__ import annotations

from pathlib import Path
from typing import IO

from hrpolicy.errors import UsageError
from hrpolicy.files import write_atomic

STARTER = Path(__file__).resolve().parent.parent / "data" / "starter.yaml"


def run(path: str, *, force: bool, stdout: IO[str]) -> int:
    target = Path(path)
    if target.exists() and not force:
        raise UsageError(f"{path} already exists (use --force to overwrite)")
    text = STARTER.read_text("utf-8")
    if path == "-":
        stdout.write(text)
        return 0
    try:
        write_atomic(target, text.encode("utf-8"), make_parents=False)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    stdout.write(f"wrote {path}: fill in product, markets and assessments, then run 'hrpolicy check'\n")
    return 0

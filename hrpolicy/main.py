from __future__ import annotations
def console_main() -> None:
    raise SystemExit(0)

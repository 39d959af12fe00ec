"""Benchmark ``hrpolicy check``: cold single-manifest wall time, and warm in-process throughput.

Usage: python scripts/bench_check.py [--runs 30] [--manifests 2000]

Cold: the installed console script (next to this interpreter) checks the bundled example, one fresh
process per run, median and p90 of wall time. Warm: one session checks generated manifests in-process
(parse + validate + evaluate), manifests per second on one core. Numbers go in docs/performance.md.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "acme-chat" / "hrpolicy.yaml"


def cold(runs: int) -> list[float]:
    exe = Path(sys.executable).parent / "hrpolicy"
    cmd = [str(exe), "check", str(EXAMPLE), "--today", "2026-11-28"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(cmd, capture_output=True, env=env, check=False)  # warm the OS cache and bytecode
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, capture_output=True, env=env, check=False)
        times.append(time.perf_counter() - start)
    return times


def generated(n: int, folder: Path) -> list[Path]:
    base = EXAMPLE.read_text("utf-8")
    paths = []
    for i in range(n):
        path = folder / f"m{i}" / "hrpolicy.yaml"
        path.parent.mkdir()
        path.write_text(base.replace("id: acme-chat", f"id: acme-chat-{i}"), "utf-8")
        paths.append(path)
    return paths


def warm(n: int) -> float:
    from hrpolicy.evaluate.session import Session, SessionConfig

    with tempfile.TemporaryDirectory() as tmp:
        paths = generated(n, Path(tmp))
        today = datetime.date(2026, 11, 28)
        session = Session(SessionConfig())
        session.check(paths[0], today=today)
        start = time.perf_counter()
        for p in paths:
            session.check(p, today=today)
        return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--manifests", type=int, default=2000)
    args = parser.parse_args()
    times = cold(args.runs)
    ms = sorted(t * 1000 for t in times)
    print(
        f"cold check, example manifest, {args.runs} runs: median {statistics.median(ms):.1f} ms, "
        f"p90 {ms[int(len(ms) * 0.9) - 1]:.1f} ms, min {ms[0]:.1f} ms"
    )
    print(f"warm in-process, {args.manifests} manifests: {warm(args.manifests):,.0f} manifests/s (one core)")


if __name__ == "__main__":
    main()

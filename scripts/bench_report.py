"""Time ``hrpolicy report`` over N generated manifests (default 10,000), the way a BHR lead runs it.

The manifests are generated deterministically from the example companies and acme-chat: each takes one
of them, a product id of its own, a random subset of its markets (and the assessments, stores and reviews
that still fit), and its dates shifted by up to a year either way, so the portfolio mixes shapes, sizes and
due-diligence states. Prints the wall time and peak memory of each format run in a fresh process.

    python scripts/bench_report.py [--manifests 10000] [--formats html json csv markdown] [--jobs 0]
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BASES = [
    *sorted((REPO / "examples" / "companies").glob("*.yaml")),
    REPO / "examples" / "acme-chat" / "hrpolicy.yaml",
]
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def load(path: Path) -> Any:
    from hrpolicy.load.yaml import load_yaml

    return load_yaml(path.read_bytes(), str(path)).data


def shift(value: Any, days: int) -> Any:
    if isinstance(value, str) and DATE.match(value):
        return (datetime.date.fromisoformat(value) + datetime.timedelta(days=days)).isoformat()
    if isinstance(value, dict):
        return {k: shift(v, days) for k, v in value.items()}
    if isinstance(value, list):
        return [shift(v, days) for v in value]
    return value


def plain(value: Any) -> Any:
    """The loaded manifest as JSON-ready data (dates as ISO text)."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def generate(base: dict[str, Any], n: int, rng: random.Random) -> dict[str, Any]:
    doc = json.loads(json.dumps(base))
    doc["product"]["id"] = f"{doc['product']['id']}-{n:05d}"
    markets = doc.get("markets") or []
    if len(markets) > 1:
        keep = sorted(rng.sample(range(len(markets)), rng.randint(1, len(markets))))
        doc["markets"] = [markets[i] for i in keep]
    codes = {m["country"] for m in doc.get("markets") or []}
    for key in ("sales_reviews", "partners", "entities"):
        if key in doc:
            doc[key] = [e for e in doc[key] if e.get("country") in codes]
    for w in doc.get("waivers") or []:
        scope = w.get("scope") or {}
        for k in ("markets", "countries"):
            if k in scope:
                scope[k] = [c for c in scope[k] if c in codes] or sorted(codes)[:1]
    result: dict[str, Any] = shift(doc, rng.randint(-365, 365))
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifests", type=int, default=10_000)
    parser.add_argument("--formats", nargs="+", default=["html"])
    parser.add_argument("--jobs", type=int, default=0, help="report --jobs (0: one per CPU)")
    parser.add_argument("--today", default="2026-12-03")
    args = parser.parse_args()
    rng = random.Random(20261203)
    bases = [plain(load(p)) for p in BASES]
    hrpolicy = Path(sys.executable).with_name("hrpolicy")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "manifests"
        for n in range(args.manifests):
            folder = root / f"p{n:05d}"
            folder.mkdir(parents=True)
            doc = generate(rng.choice(bases), n, rng)
            (folder / "hrpolicy.yaml").write_text(json.dumps(doc), "utf-8")  # JSON is YAML too
        print(f"{args.manifests} manifests from {len(bases)} bases, report date {args.today}")
        for fmt in args.formats:
            out = Path(tmp) / f"report.{fmt}"
            cmd = [str(hrpolicy), "report", str(root), "--today", args.today, "--jobs", str(args.jobs)]
            start = time.perf_counter()
            proc = subprocess.run(
                [*cmd, "--format", f"{fmt}={out}"], capture_output=True, text=True, check=False
            )
            wall = time.perf_counter() - start
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            if proc.returncode not in (0,):
                print(proc.stderr[-2000:], file=sys.stderr)
                return 1
            size = out.stat().st_size / 1e6
            print(f"{fmt:9} {wall:6.1f} s  {size:7.1f} MB  peak RSS so far {peak:.0f} MiB (largest process)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

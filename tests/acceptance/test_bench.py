"""scripts/bench.py runs end to end at a tiny size: every measure produces its row, and the Rego rules agree
with the engine on every generated manifest (the script stops otherwise). No timing is asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from helpers import REPO


def test_the_benchmark_runs_at_a_tiny_size(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    args = ["--manifests", "12", "--cold-runs", "1", "--rego-manifests", "12", "--json", str(out)]
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "bench.py"), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(out.read_text("utf-8"))
    assert [row["target"] for row in result["table"]] == [
        "<= 80 ms",
        "ratio <= 0.35",
        ">= 1,000/s",
        ">= 1,700/s",
        "<= 100 MiB",
        ">= 10x",
        "< 30 s",
        "<= 21",
    ]
    assert [t["jobs"] for t in result["throughput"]] == [1, 2]
    assert result["rego"]["manifests"] == 12
    assert result["rego"]["findings"] > 0  # the two rules found something to agree on
    assert result["github"]["findings"] > 0
    assert result["github"]["requests"] >= 2  # a check run created, then completed
    assert all(row["what"] in proc.stdout for row in result["table"])

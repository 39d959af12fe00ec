"""Where a check's work goes, in instructions: the same numbers on any load, unlike wall time.

Every step runs in a fresh process under ``valgrind --tool=callgrind`` with a fixed hash seed, and the
script prints the instructions it executed (the sum over the process and its children). Cold start is
taken apart step by step, each step the one before plus one more thing; per-manifest costs are the
difference between checking some generated manifests once and twice. Comparing two versions of the code
by these counts is reliable where wall time on a shared machine is not (``docs/performance.md``).

Needs valgrind and the test extras (check-jsonschema). Takes about two minutes.

    python scripts/instructions.py [--manifests 60] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import EXAMPLE, SCHEMA, TODAY, generate, tool

#: The steps of a cold check, each including the ones before it (run as ``python -c STEPS N``).
STEPS = """
import sys
from pathlib import Path
step = int(sys.argv[1])
if step >= 1:
    import pluggy
if step >= 2:
    import hrpolicy.main, hrpolicy.commands.check, _ruamel_yaml, re2
if step >= 3:
    from hrpolicy import pluginmanager
    from hrpolicy.evaluate.session import Plugins
    plugins = Plugins(pluginmanager.get_plugin_manager())
    operators = plugins.operators()
if step >= 4:
    from hrpolicy.language import pack
    dirs = plugins.rule_dirs()
    pack.load_pack(dirs, operators)
if step >= 5:
    from hrpolicy.evaluate.session import country_table
    country_table(plugins, dirs)
if step >= 6:
    from hrpolicy.validate import schemas
    schemas.validator("manifest")
"""
STEP_NAMES = [
    "the interpreter (python -c pass)",
    "+ import pluggy",
    "+ the check path's imports (hrpolicy, ruamel.yaml's C parser, re2)",
    "+ the plugin manager and the built-in plugins",
    "+ the rule pack: its rule trees from the cache, compiled into closures",
    "+ the country data (from the cache)",
    "+ compiling the manifest schema",
]
#: Loads (``load``) or checks (``check``) the manifests under a folder, once or (``twice``) twice.
PER_MANIFEST = """
import datetime, sys
from pathlib import Path
from hrpolicy.evaluate.session import Session, SessionConfig
what, root, times = sys.argv[1], Path(sys.argv[2]), 2 if sys.argv[3] == "twice" else 1
files = sorted(root.glob("*/hrpolicy.yaml"))
session = Session(SessionConfig())
docs = [session.load(f) for f in files]
for _ in range(times):
    if what == "load":
        [session.load(f) for f in files]
    else:
        for f, d in zip(files, docs):
            session.check_document(d, today=datetime.date.fromisoformat(sys.argv[4]), path=f)
"""
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"PYTHONHASHSEED": "0"}
COLLECTED = re.compile(r"Collected : (\d+)")


def instructions(cmd: list[str]) -> int:
    """Instructions ``cmd`` executes, summed over its processes (run once before, to cache bytecode)."""
    subprocess.run(cmd, capture_output=True, env=ENV, check=False)
    proc = subprocess.run(
        ["valgrind", "--tool=callgrind", "--trace-children=yes", "--callgrind-out-file=/dev/null", *cmd],
        capture_output=True,
        text=True,
        env=ENV,
        check=False,
    )
    counts = [int(n) for n in COLLECTED.findall(proc.stderr)]
    if not counts:
        sys.exit(f"valgrind measured nothing for {' '.join(cmd)}: {proc.stderr[-500:]}")
    return sum(counts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifests", type=int, default=60)
    parser.add_argument("--json", type=Path, help="write the results here as JSON")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("needs valgrind (apt install valgrind)")
    py = sys.executable
    cold: list[dict[str, Any]] = []
    for step, name in enumerate(STEP_NAMES):
        cmd = [py, "-c", "pass"] if step == 0 else [py, "-c", STEPS, str(step)]
        cold.append({"step": name, "instructions": instructions(cmd)})
    check = [tool("hrpolicy"), "check", str(EXAMPLE), "--today", TODAY, "--fail-on", "never"]
    whole = instructions(check)
    theirs = instructions([tool("check-jsonschema"), "--schemafile", str(SCHEMA), str(EXAMPLE)])
    per: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "manifests"
        generate(root, args.manifests)
        for what in ("load", "check"):
            runs = [
                instructions([py, "-c", PER_MANIFEST, what, str(root), n, TODAY]) for n in ("once", "twice")
            ]
            per[what] = (runs[1] - runs[0]) / args.manifests
        report = Path(tmp) / "report.json"
        cli = instructions([*check[:2], str(root), *check[3:], "--format", f"json={report}"])
        per["cli"] = (cli - whole) / args.manifests
    results = {
        "cold": cold,
        "cold_check": whole,
        "check_jsonschema": theirs,
        "per_manifest": per,
        "manifests": args.manifests,
    }
    m = 1e6
    print("cold check of the example, millions of instructions (cumulative, and what the step adds):")
    before = 0
    for row in cold:
        print(
            f"  {row['step']:<70} {row['instructions'] / m:7.1f}  {(row['instructions'] - before) / m:+7.1f}"
        )
        before = row["instructions"]
    print(
        f"  {'+ reading, checking and reporting the example (the whole command)':<70} {whole / m:7.1f}  "
        f"{(whole - before) / m:+7.1f}"
    )
    print(f"  {'check-jsonschema on the same file':<70} {theirs / m:7.1f}  (ratio {whole / theirs:.2f})")
    print(f"per manifest ({args.manifests} generated), millions of instructions:")
    print(
        f"  reading and parsing {per['load'] / m:.2f}, checking {per['check'] / m:.2f}, "
        f"the whole CLI (discovery, parse, check, JSON report) {per['cli'] / m:.2f}"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

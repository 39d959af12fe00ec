"""hrpolicy's benchmark: one run, every number of docs/performance.md, next to the alternatives.

1. Generates N manifests deterministically from the example companies and acme-chat: each takes one of
   them, a product id of its own, a random subset of its markets (with the stores, assessments, reviews,
   partners and entities that still fit) and its dates shifted by up to a year either way, so the set
   mixes shapes, sizes and due-diligence states.
2. Cold ``hrpolicy check`` of the example (a fresh process per run, the installed console script) next to
   ``check-jsonschema --schemafile`` with hrpolicy's manifest schema on the same file: medians, and the ratio.
3. ``hrpolicy check`` over the N files with the full default pack (discovery, parse, validate, evaluate,
   waivers, JSON report) with ``--jobs 1`` and ``--jobs 2``: manifests/s and peak RSS.
4. HRDD-MKT-001 and HRDD-LOC-001 in Rego (scripts/rego/hrpolicy_bench.rego) through ``regopy`` and in
   hrpolicy's engine, on the same pre-parsed manifests, after checking that both find the same things.
5. ``hrpolicy report`` over the N files (HTML).
6. GitHub requests per 1,000 findings: ``hrpolicy publish github`` against the tests' local GitHub, which
   checks every request against GitHub's OpenAPI description.

Prints one table and writes it as JSON. Needs the test extras (``pip install -e '.[test]'``: regopy,
check-jsonschema, openapi-core). Numbers vary with the machine's load: run it on a quiet machine.

    python scripts/bench.py [--manifests 10000] [--cold-runs 21] [--rego-manifests 1000] [--json FILE]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "acme-chat" / "hrpolicy.yaml"
BASES = [*sorted((REPO / "examples" / "companies").glob("*.yaml")), EXAMPLE]
SCHEMA = REPO / "hrpolicy" / "schemas" / "manifest.schema.json"
REGO = REPO / "scripts" / "rego" / "hrpolicy_bench.rego"
TODAY = "2026-12-03"
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: The measured commands run with their bytecode cached, as an installed package has it.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
#: Runs a command and prints its wall time and the peak RSS of the largest process it started.
MEASURE = """
import resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE).returncode
wall = time.perf_counter() - start
print(code, wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


# ------------------------------------------------------------------------------------------ manifests


def plain(value: Any) -> Any:
    """Loaded YAML as JSON-ready data (dates as ISO text)."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def shift(value: Any, days: int) -> Any:
    if isinstance(value, str) and DATE.match(value):
        return (datetime.date.fromisoformat(value) + datetime.timedelta(days=days)).isoformat()
    if isinstance(value, dict):
        return {k: shift(v, days) for k, v in value.items()}
    if isinstance(value, list):
        return [shift(v, days) for v in value]
    return value


def variant(base: dict[str, Any], n: int, rng: random.Random) -> dict[str, Any]:
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


def generate(root: Path, count: int) -> list[dict[str, Any]]:
    """``count`` manifests under ``root`` (one folder each, JSON text, which is YAML too); returns them."""
    from hrpolicy.load.yaml import load_yaml

    rng = random.Random(20261203)
    bases = [plain(load_yaml(p.read_bytes(), str(p)).data) for p in BASES]
    docs = []
    for n in range(count):
        doc = variant(rng.choice(bases), n, rng)
        folder = root / f"p{n:05d}"
        folder.mkdir(parents=True)
        (folder / "hrpolicy.yaml").write_text(json.dumps(doc), "utf-8")
        docs.append(doc)
    return docs


# ------------------------------------------------------------------------------------------- measures


def tool(name: str) -> str:
    found = Path(sys.executable).with_name(name)
    return str(found) if found.exists() else shutil.which(name) or name


def measured(cmd: Sequence[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MiB of the largest process) of one run of ``cmd``; it must succeed."""
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, *cmd], capture_output=True, text=True, check=True, env=ENV
    ).stdout.split()
    code, wall, rss = int(out[0]), float(out[1]), int(out[2]) / 1024
    if code not in (0, 1):  # 1: findings at or above --fail-on
        sys.exit(f"failed ({code}): {' '.join(cmd)}")
    return wall, rss


def cold(runs: int) -> dict[str, Any]:
    """Median wall of fresh processes, ours and check-jsonschema's alternately (so both see the same load)."""
    ours = [tool("hrpolicy"), "check", str(EXAMPLE), "--today", TODAY, "--fail-on", "never"]
    theirs = [tool("check-jsonschema"), "--schemafile", str(SCHEMA), str(EXAMPLE)]
    for cmd in (ours, theirs):  # warm the file cache and the bytecode once
        subprocess.run(cmd, capture_output=True, check=False, env=ENV)
    times: dict[str, list[float]] = {"ours": [], "theirs": []}
    for _ in range(runs):
        for key, cmd in (("ours", ours), ("theirs", theirs)):
            start = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, check=False, env=ENV)
            times[key].append(time.perf_counter() - start)
            if key == "theirs" and proc.returncode != 0:
                sys.exit(f"check-jsonschema rejected the example: {proc.stdout[-500:]!r}")
    ms = {k: statistics.median(v) * 1000 for k, v in times.items()}
    return {
        "hrpolicy_ms": ms["ours"],
        "check_jsonschema_ms": ms["theirs"],
        "ratio": ms["ours"] / ms["theirs"],
    }


def throughput(root: Path, count: int, jobs: int, out: Path) -> dict[str, Any]:
    cmd = [tool("hrpolicy"), "check", str(root), "--today", TODAY, "--fail-on", "never"]
    wall, rss = measured([*cmd, "--jobs", str(jobs), "--format", f"json={out}"])
    return {"jobs": jobs, "seconds": wall, "per_second": count / wall, "peak_rss_mib": rss}


def report(root: Path, count: int, out: Path) -> dict[str, Any]:
    cmd = [tool("hrpolicy"), "report", str(root), "--today", TODAY, "--jobs", "0", "--format", f"html={out}"]
    wall, rss = measured(cmd)
    return {"manifests": count, "seconds": wall, "peak_rss_mib": rss, "html_mb": out.stat().st_size / 1e6}


def rego_vs_engine(docs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """HRDD-MKT-001 and HRDD-LOC-001 on the same pre-parsed manifests: regopy and hrpolicy's engine, after
    checking that they find the same (rule, pointer, severity)."""
    from regopy import Interpreter

    from hrpolicy.evaluate.engine import evaluate
    from hrpolicy.evaluate.session import Session, SessionConfig
    from hrpolicy.load.yaml import load_yaml

    session = Session(SessionConfig(autoload=False))
    wanted = ("HRDD-MKT-001", "HRDD-LOC-001")
    pack = session.pack._replace(rules=tuple(r for r in session.pack.rules if r.info.id in wanted))
    today = datetime.date.fromisoformat(TODAY)
    # Pre-parsed: the engine gets the loader's data, regopy the same manifest as a JSON term.
    parsed = [load_yaml(json.dumps(d).encode(), f"m{n}").data for n, d in enumerate(docs)]
    terms = [json.dumps(d) for d in docs]
    codes = {""} | {
        e["country"]
        for d in docs
        for k in ("markets", "data_stores")
        for e in d.get(k) or ()
        if "country" in e
    }
    table = session.countries

    def facts(code: str) -> dict[str, Any]:
        f = table.facts(code) if code else table.unknown()
        return {"tier": f["tier"], "risk": f["risk"], "max_age_days": f["max_age_days"]}

    lists = {k: session.pack.defines.lists[k] for k in ("active_statuses", "live_statuses")}
    lists |= {k: session.pack.defines.lists[k] for k in ("user_data_categories", "most_sensitive_categories")}
    rego = Interpreter()
    rego.add_module("hrpolicy_bench", REGO.read_text("utf-8"))
    rego.add_data_json(
        json.dumps({"today": TODAY, "countries": {c: facts(c) for c in codes}, "lists": lists})
    )
    bundle = rego.build("data.hrpolicy.findings")

    def ours(data: Any) -> set[tuple[str, str, str]]:
        raw = evaluate(pack, data, manifest_path="m", base=data, today=today, countries=table)
        return {(f.rule, f.pointer, f.severity) for f in raw if not f.notice}

    def theirs(term: str) -> set[tuple[str, str, str]]:
        rego.set_input_term(term)
        (found,) = json.loads(str(rego.query_bundle(bundle)))["expressions"]
        return {(f["rule"], f["pointer"], f["severity"]) for f in found}

    for n, (data, term) in enumerate(zip(parsed, terms, strict=True)):
        if ours(data) != theirs(term):
            sys.exit(f"manifest {n}: the engine found {sorted(ours(data))}, Rego {sorted(theirs(term))}")
    findings = sum(len(ours(d)) for d in parsed)
    timings = {}
    for name, run, inputs in (("engine", ours, parsed), ("regopy", theirs, terms)):
        best = []
        for _ in range(3):
            start = time.perf_counter()
            for x in inputs:
                run(x)
            best.append(time.perf_counter() - start)
        timings[name] = min(best) / len(inputs) * 1e6
    return {
        "manifests": len(docs),
        "findings": findings,
        "engine_us": timings["engine"],
        "regopy_us": timings["regopy"],
        "speedup": timings["regopy"] / timings["engine"],
    }


def github_requests(root: Path, work: Path) -> dict[str, Any]:
    """``hrpolicy publish github`` of a report with at least 1,000 findings, against the tests' GitHub."""
    sys.path.insert(0, str(REPO / "tests"))
    import openapi_core
    from fakegithub import FakeGitHub, actions_env, openapi_description, serve

    from hrpolicy import api

    files = sorted(root.glob("*/hrpolicy.yaml"))
    result = None
    for take in (150, 400, len(files)):
        result = api.check([str(p) for p in files[:take]], today=datetime.date.fromisoformat(TODAY))
        if sum(1 for f in result.findings() if f.counts) >= 1000:
            break
    assert result is not None
    from hrpolicy.reports import report as json_report

    results = work / "results.json"
    results.write_text(json.dumps(json_report(result)), "utf-8")
    with serve(FakeGitHub(openapi_core.OpenAPI.from_dict(openapi_description()))) as fake:
        env = {**os.environ, **actions_env(work, fake)}
        cmd = [tool("hrpolicy"), "publish", "github", "--today", TODAY, "--results", str(results)]
        subprocess.run(cmd, cwd=work, env=env, capture_output=True, check=False)
        if fake.invalid:
            sys.exit(f"requests GitHub's description refuses: {fake.invalid[:3]}")
        writes = [r for r in fake.requests if r[0] in ("POST", "PATCH")]
        annotated = sum(len((r[2] or {}).get("output", {}).get("annotations", [])) for r in writes)
        requests = len(fake.requests)
    return {"findings": annotated, "requests": requests, "per_1000": requests * 1000 / max(annotated, 1)}


# ---------------------------------------------------------------------------------------------- table


def rows(r: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    cold_, n = r["cold"], r["manifests"]
    j1, j2 = r["throughput"]
    out = [
        ("cold check, median wall", f"{cold_['hrpolicy_ms']:.0f} ms", "<= 80 ms", cold_["hrpolicy_ms"] <= 80),
        (
            "  check-jsonschema, same file",
            f"{cold_['check_jsonschema_ms']:.0f} ms (ratio {cold_['ratio']:.2f})",
            "ratio <= 0.35",
            cold_["ratio"] <= 0.35,
        ),
        (
            f"{n:,} manifests, --jobs 1",
            f"{j1['per_second']:.0f}/s",
            ">= 1,000/s",
            j1["per_second"] >= 1000,
        ),
        (
            f"{n:,} manifests, --jobs 2",
            f"{j2['per_second']:.0f}/s",
            ">= 1,700/s",
            j2["per_second"] >= 1700,
        ),
        (
            "peak RSS (largest process)",
            f"{j1['peak_rss_mib']:.0f} / {j2['peak_rss_mib']:.0f} MiB (jobs 1 / 2)",
            "<= 100 MiB",
            max(j1["peak_rss_mib"], j2["peak_rss_mib"]) <= 100,
        ),
        (
            f"MKT-001 + LOC-001, {r['rego']['manifests']:,} manifests",
            f"engine {r['rego']['engine_us']:.0f} µs, regopy {r['rego']['regopy_us']:.0f} µs "
            f"per manifest ({r['rego']['speedup']:.0f}x)",
            ">= 10x",
            r["rego"]["speedup"] >= 10,
        ),
        (
            f"hrpolicy report, {r['manifests']:,} manifests",
            f"{r['report']['seconds']:.1f} s, {r['report']['html_mb']:.1f} MB HTML",
            "< 30 s",
            r["report"]["seconds"] < 30,
        ),
        (
            "GitHub requests per 1,000 findings",
            f"{r['github']['per_1000']:.1f} ({r['github']['requests']} for {r['github']['findings']})",
            "<= 21",
            r["github"]["per_1000"] <= 21,
        ),
    ]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifests", type=int, default=10_000)
    parser.add_argument("--cold-runs", type=int, default=21)
    parser.add_argument("--rego-manifests", type=int, default=1000)
    parser.add_argument("--json", type=Path, help="write the results here as JSON")
    args = parser.parse_args()
    results: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} CPUs, {sys.implementation.name} {sys.version.split()[0]}",
        "manifests": args.manifests,
    }
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        root = work / "manifests"
        docs = generate(root, args.manifests)
        files = list(root.glob("*/hrpolicy.yaml"))
        results["manifest_kib_avg"] = sum(f.stat().st_size for f in files) / len(files) / 1024
        results["markets_avg"] = sum(len(d.get("markets") or ()) for d in docs) / len(docs)
        results["cold"] = cold(args.cold_runs)
        results["throughput"] = [throughput(root, args.manifests, j, work / f"j{j}.json") for j in (1, 2)]
        results["rego"] = rego_vs_engine(docs[: args.rego_manifests])
        results["report"] = report(root, args.manifests, work / "report.html")
        results["github"] = github_requests(root, work)
    table = rows(results)
    results["table"] = [{"what": w, "result": v, "target": t, "met": m} for w, v, t, m in table]
    width = max(len(w) for w, *_ in table)
    values = max(len(v) for _, v, *_ in table)
    print(
        f"{results['machine']}, {results['date']}; {args.manifests:,} manifests of "
        f"{results['manifest_kib_avg']:.1f} KiB and {results['markets_avg']:.1f} markets on average"
    )
    for what, value, target, met in table:
        print(f"{what:<{width}}  {value:<{values}}  {target:<14} {'met' if met else 'NOT MET'}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

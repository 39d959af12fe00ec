"""``hrpolicy report``: the portfolio across the example companies, as JSON, CSV and Markdown; CI reports
as a source; provenance and coverage from ``collect.json``; and manifest text that tries to become a
formula, Markdown or HTML in any of them. (The HTML format has its own browser tests.)"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers import REPO, run_cli

COMPANIES = sorted((REPO / "examples" / "companies").glob("*.yaml"))
TODAY = "2026-12-03"


def report(tmp_path: Path, *args: str, fmt: str = "json") -> tuple[int, Any, str]:
    out = tmp_path / f"out.{fmt}"
    proc = run_cli("report", *args, "--today", TODAY, "--jobs", "1", "--format", f"{fmt}={out}", cwd=tmp_path)
    assert "Traceback" not in proc.stderr, proc.stderr
    text = out.read_text("utf-8") if out.exists() else ""
    return proc.returncode, (json.loads(text) if fmt == "json" and text else text), proc.stderr


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("portfolio")
    code, doc, err = report(tmp, *map(str, COMPANIES), "--evidence-for", "nordlys-li")
    assert (code, err) == (0, "")
    assert isinstance(doc, dict)
    return doc


def cell(doc: dict[str, Any], product: str, country: str) -> dict[str, Any]:
    (row,) = [r for r in doc["matrix"]["rows"] if r["product"] == product]
    return dict(row["cells"][country])


def test_the_matrix_says_the_state_of_each_markets_due_diligence(portfolio: dict[str, Any]) -> None:
    assert cell(portfolio, "nordlys-li", "KE")["dd"] == "overdue"
    assert "hria-ke-li-2024 expired on 2026-03-01" in cell(portfolio, "nordlys-li", "KE")["detail"]
    assert cell(portfolio, "nordlys-li", "TZ")["dd"] == "missing"  # its HRIA is still in review
    pk = cell(portfolio, "nordlys-mobile", "PK")
    assert (pk["dd"], pk["tier"], pk["source"]) == ("expiring", "high", "fotn")
    assert "2027-01-20" in pk["detail"]
    assert cell(portfolio, "chorus", "AT")["dd"] == "covered"
    assert cell(portfolio, "chorus", "VN") | {"detail": ""} == cell(portfolio, "chorus", "VN") | {
        "dd": "missing",
        "status": "planned",
        "detail": "",
    }
    assert "NO" in portfolio["matrix"]["countries"]


def test_every_open_finding_of_check_is_counted(tmp_path: Path, portfolio: dict[str, Any]) -> None:
    proc = run_cli("check", *map(str, COMPANIES), "--today", TODAY, "--format", "json", cwd=tmp_path)
    checked = json.loads(proc.stdout)
    by_product = {r["product"]: r["findings"] for r in checked["results"]}
    for product in portfolio["products"]:
        open_ = [f for f in by_product[product["id"]] if f["severity"] != "notice" and not f["waived"]]
        assert product["open"] == len(open_), product["id"]
    assert portfolio["summary"]["open_findings"] == checked["summary"]["findings"]
    failing = {r["id"]: r["failing"] for r in portfolio["rules"]}
    products_with = {
        rule: len(
            {p for p, fs in by_product.items() for f in fs if f["rule"] == rule and f["severity"] != "notice"}
        )
        for rule in failing
    }
    assert failing == products_with
    worst_first = [r["worst"] for r in portfolio["rules"] if r["worst"]]
    ranks = {"critical": 4, "high": 3, "medium": 2, "low": 1}
    assert worst_first == sorted(worst_first, key=lambda s: -ranks[s])


def test_the_register_and_timeline(portfolio: dict[str, Any]) -> None:
    register = {(a["product"], a["id"]): a for a in portfolio["register"]}
    assert register[("chorus", "hria-tr-2024")]["state"] == "replaced"  # by the 2026 HRIA's scope
    ke = register[("nordlys-li", "hria-ke-li-2024")]
    assert (ke["state"], ke["expires"], ke["approver_role"]) == ("expired", "2026-03-01", "bhr_lead")
    assert ke["evidence"] == "vault://hria/ke-li-2024"
    assert register[("nordlys-li", "hria-tz-li-2026")]["state"] == "in_review"
    # What an assessment clears comes from the evidence trail: recorded for nordlys-li only.
    assert "HRDD-SURV-002" in register[("nordlys-li", "export-screening-li-2026")]["clears"]
    assert register[("chorus", "hria-global-2026")]["clears"] is None
    months = {m["month"]: [i["id"] for i in m["items"]] for m in portfolio["timeline"]}
    assert "hria-pk-bd-2026" in months["2027-01"]
    assert all("2026-12" <= m <= "2027-12" for m in months)


def test_the_evidence_trail_of_the_product_asked_for(portfolio: dict[str, Any]) -> None:
    (trail,) = portfolio["evidence"]
    assert trail["product"] == "nordlys-li"
    vn = [e for e in trail["entries"] if e["rule"] == "HRDD-MKT-001" and e["pointer"] == "/markets/4"]
    cleared = [r for e in vn if e["outcome"] == "passed" for r in e["cleared_by"]]
    assert [(r["id"], r["approver"], r["evidence"]) for r in cleared] == [
        ("hria-vn-li-2026", {"role": "bhr_lead"}, "vault://hria/vn-li-2026")
    ]


def test_countries_say_who_is_there_and_which_laws(portfolio: dict[str, Any]) -> None:
    countries = {c["code"]: c for c in portfolio["countries"]}
    vn = countries["VN"]
    assert set(vn["products"]["planned"]) == {"chorus", "nordlys-li"}
    assert vn["tier"] == "high"
    # laws in force on the report date: the 2025 law, not Decree 53, which it replaced on 2026-07-01
    assert vn["laws"] == ["Law on Cybersecurity 116/2025/QH15, Art 25"]
    assert portfolio["countries"][0]["tier"] == "high"  # riskiest first


def test_csv_is_the_matrix_in_long_form(tmp_path: Path, portfolio: dict[str, Any]) -> None:
    _code, text, _ = report(tmp_path, *map(str, COMPANIES), fmt="csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    cells = sum(len(r["cells"]) for r in portfolio["matrix"]["rows"])
    assert len(rows) == cells
    ke = next(r for r in rows if r["product"] == "nordlys-li" and r["country"] == "KE")
    assert (ke["due_diligence"], ke["tier"], ke["country_name"]) == ("overdue", "elevated", "Kenya")


def test_markdown_is_a_board_appendix(tmp_path: Path) -> None:
    code, text, _ = report(tmp_path, *map(str, COMPANIES), "--evidence-for", "nordlys-li", fmt="markdown")
    assert code == 0
    assert text.startswith(f"# Human-rights due diligence: portfolio on {TODAY}")
    for heading in ("## Markets by due-diligence state", "## Countries", "## Rules", "## Waivers"):
        assert heading in text
    assert "## Evidence trail: nordlys-li" in text


HOSTILE = {
    "name": '=HYPERLINK("http://evil.example","x") [click](javascript:alert(1)) <img src=x onerror=alert(1)>',
    "owner": "@team | # heading",
    "reason": "+cmd|' /C calc'!A0 <script>alert(1)</script> **bold** `code`",
    "ticket": "-2+3",
}


def hostile_manifest(tmp_path: Path) -> Path:
    text = (REPO / "examples" / "acme-chat" / "hrpolicy.yaml").read_text("utf-8")
    text = text.replace("name: Acme Chat", f"name: {json.dumps(HOSTILE['name'])}", 1)
    text = text.replace("owner: team-messaging", f"owner: {json.dumps(HOSTILE['owner'])}", 1)
    target = tmp_path / "svc" / "hrpolicy.yaml"
    target.parent.mkdir()
    target.write_text(text, "utf-8")
    return target


def test_no_cell_of_the_csv_is_a_formula(tmp_path: Path) -> None:
    manifest = hostile_manifest(tmp_path)
    text = manifest.read_text("utf-8").replace("id: acme-chat", "id: acme-chat", 1)
    manifest.write_text(text, "utf-8")
    _code, out, _ = report(tmp_path, str(manifest), fmt="csv")
    for row in csv.reader(io.StringIO(out)):
        for value in row:
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    assert "'@team | # heading" in out


def test_markdown_shows_manifest_text_as_text(tmp_path: Path) -> None:
    manifest = hostile_manifest(tmp_path)
    _, doc, _ = report(tmp_path, str(manifest))
    assert doc["products"][0]["owner"] == HOSTILE["owner"]  # JSON keeps the text as it is
    from hrpolicy.portfolio.writers import write_markdown

    doc["waivers"] = [
        {"product": "x", "rule": "HRDD-MKT-001", "state": "active", "expires": "2027-01-01",
         "approver_role": "bhr_lead", "ticket": HOSTILE["ticket"], "reason": HOSTILE["reason"], "scope": None}
    ]  # fmt: skip
    buffer = io.StringIO()
    write_markdown(doc, buffer)
    text = buffer.getvalue()
    assert "<script>" not in text
    assert "<img" not in text
    assert "**bold**" not in text
    assert "](javascript:" not in text
    lines = [line for line in text.splitlines() if "calc" in line]
    assert lines
    assert all(line.count(" | ") == 6 for line in lines)


def test_evidence_references_with_personal_identifiers_are_withheld(tmp_path: Path) -> None:
    text = (REPO / "examples" / "acme-chat" / "hrpolicy.yaml").read_text("utf-8")
    assert 'evidence: "vault://hria/vn-2026"' in text
    text = text.replace('evidence: "vault://hria/vn-2026"', 'evidence: "mail jane.doe@example.org"', 1)
    (tmp_path / "hrpolicy.yaml").write_text(text, "utf-8")
    for fmt in ("json", "csv", "markdown"):
        _, out, _ = report(tmp_path, str(tmp_path / "hrpolicy.yaml"), "--evidence-for", "acme-chat", fmt=fmt)
        assert "jane.doe@example.org" not in (json.dumps(out) if fmt == "json" else out)


def test_ci_reports_add_products_known_only_from_them(tmp_path: Path) -> None:
    proc = run_cli("check", str(COMPANIES[0]), "--today", TODAY, "--format", "json", cwd=tmp_path)
    (tmp_path / "ci.json").write_text(proc.stdout, "utf-8")
    code, doc, _ = report(tmp_path, str(COMPANIES[1]), "--results", str(tmp_path / "ci.json"))
    assert code == 0
    sources = {p["id"]: p["source"] for p in doc["products"]}
    assert sources == {"stratus-cloud": "results", "chorus": "manifest"}
    from_ci = next(p for p in doc["products"] if p["source"] == "results")
    assert from_ci["open"] == json.loads(proc.stdout)["summary"]["findings"]


def test_provenance_and_coverage_come_from_collect_json(tmp_path: Path) -> None:
    out = tmp_path / "collected"
    (out / "chorus").mkdir(parents=True)
    shutil.copy(COMPANIES[1], out / "chorus" / "hrpolicy.yaml")
    index = {
        "schema_version": 1,
        "source": "github",
        "organisation": "acme",
        "topics": [],
        "fetched_at": "2026-12-03T09:00:00Z",
        "api_url": "https://api.github.com",
        "repositories": [
            {"repository": "acme/chorus", "default_branch": "main", "commit": "a" * 40,
             "manifest": "chorus/hrpolicy.yaml", "status": "collected"},
            {"repository": "acme/billing", "default_branch": "main", "commit": "b" * 40, "manifest": None,
             "status": "no_manifest"},
        ],
        "coverage": {"repositories": 2, "with_manifest": 1, "without_manifest": 1, "archived_skipped": 0,
                     "errors": 0},
    }  # fmt: skip
    (out / "collect.json").write_text(json.dumps(index), "utf-8")
    code, doc, _ = report(tmp_path, str(out))
    assert code == 0
    (product,) = doc["products"]
    assert product["provenance"] == {
        "repository": "acme/chorus",
        "commit": "a" * 40,
        "fetched_at": "2026-12-03T09:00:00Z",
    }
    (cover,) = doc["coverage"]
    assert (cover["with_manifest"], cover["repositories"], cover["missing"]) == (1, 2, ["acme/billing"])
    _, text, _ = report(tmp_path, str(out), fmt="markdown")
    assert "1 of 2 repositories of acme have a manifest (50%)" in text


def test_a_broken_manifest_is_an_error_and_the_rest_is_reported(tmp_path: Path) -> None:
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "hrpolicy.yaml").write_text("schema_version: 1\nproduct: [\n", "utf-8")
    code, doc, err = report(tmp_path, str(tmp_path / "bad"), str(COMPANIES[1]))
    assert code == 2
    assert "bad/hrpolicy.yaml:" in err
    assert "Traceback" not in err
    assert [p["id"] for p in doc["products"]] == ["chorus"]
    assert len(doc["errors"]) == 1


def test_usage_errors(tmp_path: Path) -> None:
    proc = run_cli("report", cwd=tmp_path)
    assert proc.returncode == 2
    assert "needs manifests" in proc.stderr
    proc = run_cli("report", str(COMPANIES[1]), "--evidence-for", "nope", "--today", TODAY, cwd=tmp_path)
    assert proc.returncode == 2
    assert "no product nope" in proc.stderr
    (tmp_path / "x.json").write_text("{}", "utf-8")
    proc = run_cli("report", "--results", str(tmp_path / "x.json"), "--today", TODAY, cwd=tmp_path)
    assert proc.returncode == 2
    assert "not a JSON report" in proc.stderr


def test_worker_processes_give_the_same_portfolio(tmp_path: Path, portfolio: dict[str, Any]) -> None:
    out = tmp_path / "jobs2.json"
    args = [*map(str, COMPANIES), "--evidence-for", "nordlys-li", "--today", TODAY]
    proc = run_cli("report", *args, "--jobs", "2", "--format", f"json={out}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text("utf-8")) == portfolio


def test_a_collect_json_not_written_by_collect_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    shutil.copy(COMPANIES[1], tmp_path / "m" / "hrpolicy.yaml")
    (tmp_path / "m" / "collect.json").write_text('{"repositories": 3}', "utf-8")
    proc = run_cli("report", "m", "--today", TODAY, cwd=tmp_path)
    assert proc.returncode == 2
    assert "m/collect.json: not a collect.json written by hrpolicy collect" in proc.stderr

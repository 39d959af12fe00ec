"""A realistic manifest with an active and an expired waiver, through the installed console script."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import REPO, line_of, run_cli

SCENARIO = REPO / "examples" / "scenarios" / "waivers.yaml"


def test_active_and_expired_waivers(tmp_path: Path) -> None:
    text = SCENARIO.read_text("utf-8")
    proc = run_cli("check", str(SCENARIO), "--today", "2026-11-28", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr  # the expired waiver's finding is medium, below --fail-on high
    (result,) = json.loads(proc.stdout)["results"]
    by_rule = {f["rule"]: f for f in result["findings"] if f["severity"] != "notice"}
    assert set(by_rule) == {"HRDD-TRN-001", "HRDD-LOC-002"}

    active = by_rule["HRDD-TRN-001"]
    assert active["waived"] is True
    assert active["waiver"]["status"] == "active"
    assert active["waiver"]["ticket"] == "BHR-501"
    assert active["waiver"]["expires"] == "2026-12-15"
    assert active["location"]["line"] == line_of(text, "{country: BR")

    expired = by_rule["HRDD-LOC-002"]
    assert expired["waived"] is False
    assert expired["waiver"]["status"] == "expired"
    assert expired["message"].endswith("(waiver expired on 2026-11-20)")
    assert expired["location"]["line"] == line_of(text, "{country: VN")

    (notice,) = [f for f in result["findings"] if f["severity"] == "notice"]
    assert "expires on 2026-12-15 (in 17 days)" in notice["message"]
    assert notice["location"]["line"] == line_of(text, "rule: HRDD-TRN-001")

    strict = run_cli("check", str(SCENARIO), "--today", "2026-11-28", "--fail-on", "medium", cwd=tmp_path)
    assert strict.returncode == 1  # the finding whose waiver expired counts again
    after = run_cli("check", str(SCENARIO), "--today", "2026-12-16", "--fail-on", "medium", cwd=tmp_path)
    assert "waiver expired on 2026-12-15" in after.stdout
    assert after.returncode == 1

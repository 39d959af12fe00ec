"""Waivers (hrpolicy/waivers.py) end to end through ``check.run``: reported as waived, never dropped;
expiry; scopes; errors with file:line; notices; central waivers."""

from __future__ import annotations

import io
import json
import shutil
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import pytest
from helpers import REPO, TODAY, Harness, line_of, manifest, rule, rule_file, write_pack

from hrpolicy.commands import check
from hrpolicy.load.yaml import load_file

MARKETS = """\
markets:
  - {country: VN, status: planned}
  - {country: TR, status: beta}
"""


def waiver(
    rule_id: str = "HRDD-MKT-001", *, expires: str = "2027-06-30", scope: str = "", extra: str = ""
) -> str:
    text = f"  - rule: {rule_id}\n"
    if scope:
        text += f"    scope: {scope}\n"
    text += (
        '    reason: "Launch review under way; interim mitigations agreed"\n'
        "    approver: {role: general_counsel}\n"
        "    ticket: BHR-1\n"
        f"    expires: {expires}\n"
    )
    return text + extra


def _mkt_001_pack() -> Path:
    """The shipped HRDD-MKT-001 and shared definitions alone, so the waiver mechanics are judged on one
    rule's findings, whatever else the default pack holds."""
    pack = Path(tempfile.mkdtemp(prefix="mkt001-")) / "rules"
    pack.mkdir()
    shutil.copy(REPO / "rules" / "defs.yaml", pack / "defs.yaml")
    data = load_file(REPO / "rules" / "mkt.yaml").data
    data["rules"] = [r for r in data["rules"] if r["id"] == "HRDD-MKT-001"]
    (pack / "mkt.yaml").write_text(json.dumps(data), encoding="utf-8")
    return pack


MKT_001_PACK = _mkt_001_pack()


def run(
    tmp_path: Path, text: str, *, rules: list[Path] | None = None, fail_on: str = "high"
) -> tuple[int, dict[str, Any], str]:
    path = tmp_path / "hrpolicy.yaml"
    path.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = check.run(
        [str(path)],
        rules=[str(r) for r in rules or (MKT_001_PACK,)],
        formats=["json"],
        today=TODAY,
        fail_on=fail_on,
        autoload=False,
        stdout=out,
        stderr=err,
    )
    report = json.loads(out.getvalue())
    assert report["summary"]["exit_code"] == code
    return code, report, err.getvalue()


def findings(
    report: dict[str, Any], rule_id: str | None = None, *, notices: bool = False
) -> list[dict[str, Any]]:
    (result,) = report["results"]
    return [
        f
        for f in result["findings"]
        if (rule_id is None or f["rule"] == rule_id) and (notices or f["severity"] != "notice")
    ]


def country(f: dict[str, Any]) -> str:
    return str(f["message"].split()[0])


def test_without_waivers_the_run_fails(tmp_path: Path) -> None:
    code, report, _ = run(tmp_path, manifest(MARKETS))
    assert code == 1
    assert [(country(f), f["waived"]) for f in findings(report, "HRDD-MKT-001")] == [
        ("VN", False),
        ("TR", False),
    ]


def test_waiver_for_the_whole_rule(tmp_path: Path) -> None:
    text = manifest(MARKETS + "waivers:\n" + waiver())
    code, report, err = run(tmp_path, text)
    assert err == ""
    found = findings(report, "HRDD-MKT-001")
    # reported, never dropped: both findings are there, marked waived, with the waiver's details
    assert [(country(f), f["waived"]) for f in found] == [("VN", True), ("TR", True)]
    w = found[0]["waiver"]
    assert w["status"] == "active"
    assert w["reason"].startswith("Launch review")
    assert w["ticket"] == "BHR-1"
    assert w["approver"] == {"role": "general_counsel"}
    assert w["expires"] == "2027-06-30"
    assert w["source"].endswith(f"hrpolicy.yaml:{line_of(text, 'rule: HRDD-MKT-001')}")
    assert found[0]["severity"] == "critical"  # severity is kept
    assert report["summary"]["waived"] == 2
    assert report["summary"]["by_severity"].get("critical", 0) == 0
    assert code == 0  # waived findings never fail the run


def test_scoped_waiver_covers_only_its_market(tmp_path: Path) -> None:
    code, report, _ = run(tmp_path, manifest(MARKETS + "waivers:\n" + waiver(scope="{markets: [VN]}")))
    by_country = {country(f): f["waived"] for f in findings(report, "HRDD-MKT-001")}
    assert by_country == {"VN": True, "TR": False}
    assert code == 1  # TR still fails


def test_countries_scope(tmp_path: Path) -> None:
    code, report, _ = run(tmp_path, manifest(MARKETS + "waivers:\n" + waiver(scope="{countries: [TR]}")))
    assert {country(f): f["waived"] for f in findings(report, "HRDD-MKT-001")} == {"VN": False, "TR": True}
    assert code == 1


def test_waiver_for_another_market_covers_nothing(tmp_path: Path) -> None:
    code, report, _ = run(tmp_path, manifest(MARKETS + "waivers:\n" + waiver(scope="{markets: [DE]}")))
    assert not any(f["waived"] for f in findings(report))
    unused = [f for f in findings(report, notices=True) if f["severity"] == "notice"]
    assert [f["message"] for f in unused] == ["waiver for HRDD-MKT-001 matches no finding; remove it"]
    assert code == 1


@pytest.mark.parametrize(
    ("collection", "items", "scope", "waived"),
    [
        ("features", "features: [{id: f1}, {id: f2}]", "{features: [f2]}", "f2"),
        (
            "data_stores",
            "data_stores: [{id: s1, country: DE}, {id: s2, country: DE}]",
            "{data_stores: [s1]}",
            "s1",
        ),
        (
            "partners",
            "partners: [{name: LocalCo, country: VN}, {name: OtherCo, country: VN}]",
            "{partners: [OtherCo]}",
            "OtherCo",
        ),
        (
            "entities",
            "entities: [{country: TR, type: local_representative}, {country: TR, type: subsidiary}]",
            "{entities: [subsidiary]}",
            "subsidiary",
        ),
        (
            "assessments",
            "assessments: [{id: a1, type: dpia, date: 2026-01-01, status: draft},"
            " {id: a2, type: dpia, date: 2026-01-01, status: draft}]",
            "{assessments: [a1]}",
            "a1",
        ),
    ],
)
def test_scopes_by_collection(tmp_path: Path, collection: str, items: str, scope: str, waived: str) -> None:
    """Each scope key matches the item the way the manifest schema documents it (partners by name,
    entities by type, the rest by id)."""
    key = {"partners": "name", "entities": "type"}.get(collection, "id")
    pack = rule_file(
        rule(
            "HRDD-TST-001",
            f"for_each: {collection}\nwhen: {{{key}: {{present: true}}}}\nmessage: '{{item.{key}}}'",
        )
    )
    rules = write_pack(tmp_path / "rules", {"t.yaml": pack})
    code, report, err = run(
        tmp_path, manifest(items + "\nwaivers:\n" + waiver("HRDD-TST-001", scope=scope)), rules=[rules]
    )
    assert err == ""
    assert {f["message"]: f["waived"] for f in findings(report)} == {
        m: m == waived for m in {f["message"] for f in findings(report)}
    }
    assert sum(f["waived"] for f in findings(report)) == 1
    assert code == 1


def test_scope_with_only_extension_keys_covers_nothing(tmp_path: Path) -> None:
    # A scope was given, so the waiver is not about the whole rule; with nothing it knows, it covers nothing.
    text = manifest(MARKETS + "waivers:\n" + waiver(scope="{x-note: VN only}"))
    code, report, _ = run(tmp_path, text)
    assert [f["waived"] for f in findings(report, "HRDD-MKT-001")] == [False, False]
    assert code == 1


def test_expired_waiver_stops_applying(tmp_path: Path) -> None:
    code, report, _ = run(tmp_path, manifest(MARKETS + "waivers:\n" + waiver(expires="2026-11-27")))
    found = findings(report, "HRDD-MKT-001")
    assert [f["waived"] for f in found] == [False, False]
    for f in found:
        assert f["waiver"]["status"] == "expired"
        assert f["message"].endswith("(waiver expired on 2026-11-27)")
    assert report["summary"]["waived"] == 0
    assert code == 1


def test_waiver_is_active_through_its_expiry_day(tmp_path: Path) -> None:
    code, report, _ = run(tmp_path, manifest(MARKETS + "waivers:\n" + waiver(expires=TODAY.isoformat())))
    assert [f["waived"] for f in findings(report, "HRDD-MKT-001")] == [True, True]
    assert code == 0


def test_an_active_waiver_wins_over_an_expired_one(tmp_path: Path) -> None:
    text = manifest(MARKETS + "waivers:\n" + waiver(expires="2026-01-01") + waiver(scope="{markets: [VN]}"))
    _, report, _ = run(tmp_path, text)
    by_country = {country(f): f["waiver"]["status"] for f in findings(report, "HRDD-MKT-001")}
    assert by_country == {"VN": "active", "TR": "expired"}


@pytest.mark.parametrize(
    ("expires", "notice"),
    [("2026-11-28", True), ("2026-12-28", True), ("2026-12-29", False), ("2027-06-30", False)],
)
def test_waivers_expiring_within_30_days_give_a_notice(tmp_path: Path, expires: str, notice: bool) -> None:
    text = manifest(MARKETS + "waivers:\n" + waiver(expires=expires))
    code, report, _ = run(tmp_path, text)
    notices = [f for f in findings(report, notices=True) if f["severity"] == "notice"]
    if notice:
        (n,) = notices
        assert n["rule"] == "HRDD-MKT-001"
        assert f"expires on {expires}" in n["message"]
        assert n["location"]["line"] == line_of(text, "rule: HRDD-MKT-001")
        assert n["location"]["pointer"] == "/waivers/0"
    else:
        assert notices == []
    assert code == 0  # notices never fail a run


@pytest.mark.parametrize(
    ("entry", "needle"),
    [
        ("  - {rule: HRDD-MKT-001, approver: {role: gc}, expires: 2027-01-01}", "- {rule"),
        ("  - {rule: HRDD-MKT-001, reason: '', approver: {role: gc}, expires: 2027-01-01}", "''"),
        ("  - {rule: HRDD-MKT-001, reason: '   ', approver: {role: gc}, expires: 2027-01-01}", "'   '"),
        ("  - {rule: HRDD-MKT-001, reason: why, expires: 2027-01-01}", "- {rule"),
        ("  - {rule: HRDD-MKT-001, reason: why, approver: {}, expires: 2027-01-01}", "{}"),
        ("  - {rule: HRDD-MKT-001, reason: why, approver: {role: gc}}", "- {rule"),
        ("  - {rule: HRDD-MKT-001, reason: why, approver: {role: gc}, expires: 2027-02-30}", "2027-02-30"),
        ("  - {rule: HRDD-MKT-001, reason: why, approver: {role: gc}, expires: next year}", "next year"),
        ("  - {rule: HRDD-MKT-001, reason: why, approver: {role: gc}, expires: 2027-1-1}", "2027-1-1"),
        ("  - {rule: MKT-001, reason: why, approver: {role: gc}, expires: 2027-01-01}", "MKT-001,"),
        (
            "  - {rule: HRDD-MKT-001, reason: why, approver: {role: gc}, expires: 2027-01-01, scope: {}}",
            "{}}",
        ),
        (
            "  - {rule: HRDD-MKT-001, reason: why, approver: {role: gc}, expires: 2027-01-01,"
            " scope: {markets: [vn]}}",
            "vn]",
        ),
    ],
)
def test_malformed_waivers_are_errors_with_file_and_line(tmp_path: Path, entry: str, needle: str) -> None:
    text = manifest(MARKETS + "waivers:\n" + entry + "\n")
    code, report, err = run(tmp_path, text)
    assert code == 2
    lines = err.splitlines()
    assert lines
    assert all(line.startswith(str(tmp_path / "hrpolicy.yaml") + ":") for line in lines)
    assert int(lines[0].split(":")[1]) == line_of(text, needle)
    assert report["errors"]
    assert report["errors"][0]["line"] == line_of(text, needle)
    assert report["results"] == []


def test_unknown_rule_in_a_waiver(tmp_path: Path) -> None:
    text = manifest(MARKETS + "waivers:\n" + waiver("HRDD-XXX-999"))
    code, report, err = run(tmp_path, text)
    assert code == 2
    assert (
        err.strip() == f"{tmp_path / 'hrpolicy.yaml'}:{line_of(text, 'rule: HRDD-XXX-999')}:5: "
        "waiver for unknown rule HRDD-XXX-999"
    )
    assert report["results"] == []


def test_non_waivable_rule(tmp_path: Path) -> None:
    pack = rule_file(
        rule(
            "HRDD-TST-001",
            "for_each: markets\nwhen: {status: {present: true}}\nmessage: x",
            meta="waivable: false",
        )
    )
    rules = write_pack(tmp_path / "rules", {"t.yaml": pack})
    text = manifest(MARKETS + "waivers:\n" + waiver("HRDD-TST-001"))
    code, report, err = run(tmp_path, text, rules=[rules])
    assert code == 2
    assert report["results"] == []
    assert "HRDD-TST-001 cannot be waived" in err
    assert err.startswith(f"{tmp_path / 'hrpolicy.yaml'}:{line_of(text, 'rule: HRDD-TST-001')}:")


def _central(tmp_path: Path, body: str) -> Path:
    rules = write_pack(
        tmp_path / "rules",
        {
            "t.yaml": rule_file(
                rule(
                    "HRDD-TST-001",
                    "for_each: markets\nwhen: {status: {present: true}}\nmessage: '{item.country}'",
                )
            ),
            "waivers.yaml": textwrap.dedent(body),
        },
    )
    return rules


def test_central_waivers_for_every_product(tmp_path: Path) -> None:
    rules = _central(tmp_path, "waivers:\n" + waiver("HRDD-TST-001", scope="{markets: [TR]}"))
    code, report, err = run(tmp_path, manifest(MARKETS), rules=[rules])
    assert err == ""
    assert {f["message"]: f["waived"] for f in findings(report)} == {"VN": False, "TR": True}
    tr = next(f for f in findings(report) if f["waived"])
    assert tr["waiver"]["source"] == f"{rules / 'waivers.yaml'}:2"
    assert code == 1


def test_central_waivers_limited_to_products(tmp_path: Path) -> None:
    rules = _central(tmp_path, "waivers:\n" + waiver("HRDD-TST-001", extra="    products: [other, mine]\n"))
    (tmp_path / "a").mkdir()
    _, report, _ = run(tmp_path / "a", manifest(MARKETS, product="mine"), rules=[rules])
    assert [f["waived"] for f in findings(report)] == [True, True]
    (tmp_path / "b").mkdir()
    _, report, _ = run(tmp_path / "b", manifest(MARKETS, product="yours"), rules=[rules])
    assert [f["waived"] for f in findings(report)] == [False, False]
    # a central waiver that matches nothing for this product is not the product team's notice to act on
    assert [f for f in findings(report, notices=True) if f["severity"] == "notice"] == []


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("waivers:\n  - {rule: HRDD-TST-001, approver: {role: gc}, expires: 2027-01-01}\n", "reason"),
        (
            "waivers:\n  - {rule: HRDD-XXX-001, reason: r, approver: {role: gc}, expires: 2027-01-01}\n",
            "unknown rule HRDD-XXX-001",
        ),
        (
            "waivers:\n  - {rule: HRDD-TST-001, reason: r, approver: {role: gc}, expires: 2027-01-01,"
            " products: []}\n",
            "products",
        ),
        ("waivers: []\nextra: 1\n", "extra"),
    ],
)
def test_bad_central_waivers_are_errors(tmp_path: Path, body: str, fragment: str) -> None:
    rules = _central(tmp_path, body)
    path = tmp_path / "hrpolicy.yaml"
    path.write_text(manifest(MARKETS), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    from hrpolicy.errors import HrpolicyError

    try:
        code = check.run(
            [str(path)],
            rules=[str(rules)],
            formats=["json"],
            today=TODAY,
            autoload=False,
            stdout=out,
            stderr=err,
        )
        message = err.getvalue()
    except HrpolicyError as exc:  # the CLI turns this into one line and exit 2
        code, message = 2, str(exc)
    assert code == 2
    assert fragment in message
    assert message.startswith(f"{rules / 'waivers.yaml'}:2:")
    assert len(message.strip().splitlines()) == 1


def test_rules_see_the_effective_waivers_central_ones_included(tmp_path: Path) -> None:
    """A rule limiting waivers to 180 days judges the central waivers.yaml too ($waivers)."""
    pack = rule_file(
        rule(
            "HRDD-TST-001",
            "for_each: $waivers\n"
            "require: {expires: {within_next_days: 180}}\n"
            "message: 'waiver of {item.rule} runs to {item.expires} ({item.reason})'",
            severity="medium",
        ),
        rule("HRDD-TST-002", "for_each: markets\nwhen: {status: {present: true}}\nmessage: m"),
    )
    central = (
        "waivers:\n"
        "  - {rule: HRDD-TST-002, reason: central long one, approver: {role: bhr_lead}, expires: 2028-01-31,"
        " products: [p]}\n"
        "  - {rule: HRDD-TST-002, reason: other product, approver: {role: bhr_lead}, expires: 2028-01-31,"
        " products: [q]}\n"
    )
    h = Harness(tmp_path, {"t.yaml": pack, "waivers.yaml": central})
    body = (
        "markets: [{country: DE, status: launched}]\n"
        "waivers:\n"
        "  - {rule: HRDD-TST-002, reason: short one, approver: {role: bhr_lead}, expires: 2027-01-31}\n"
    )
    found = [f.message for f in h.findings(manifest(body), "HRDD-TST-001")]
    assert found == ["waiver of HRDD-TST-002 runs to 2028-01-31 (central long one)"]

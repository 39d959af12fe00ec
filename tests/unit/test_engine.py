"""The engine (hrpolicy/engine.py) with the built-in rule pack: locations, fingerprints, item countries."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from helpers import TODAY, Harness, line_of, manifest, position_of, rule, rule_file

from hrpolicy.errors import RuleError
from hrpolicy.evaluate.session import Session, SessionConfig
from hrpolicy.model import Finding, ManifestResult

D = datetime.date


@pytest.fixture(scope="module")
def builtin(tmp_path_factory: pytest.TempPathFactory) -> Harness:
    """The default pack, built once for the module."""
    return Harness(tmp_path_factory.mktemp("engine"), rule_dirs=[])


def _days_ago(n: int) -> str:
    return (TODAY - datetime.timedelta(days=n)).isoformat()


MARKETS = """\
markets:
  - {country: VN, status: planned}
  - {country: TR, status: beta}
  - country: BR
    status: launched
  - {country: DE, status: withdrawn}
"""


def by_rule(findings: tuple[Finding, ...] | list[Finding], rule_id: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule_id]


def test_locations_point_at_the_item(builtin: Harness) -> None:
    text = manifest(MARKETS)
    found = by_rule(builtin.check(text).findings, "HRDD-MKT-001")
    assert [(f.location.pointer, f.location.line, f.location.column) for f in found] == [
        ("/markets/0", *position_of(text, "{country: VN")),
        ("/markets/1", *position_of(text, "{country: TR")),
        ("/markets/2", *position_of(text, "country: BR")),
    ]
    assert [f.severity for f in found] == ["critical", "critical", "high"]
    for f in found:
        assert Path(f.location.path).name == "hrpolicy.yaml"


def test_locations_in_json_manifests(builtin: Harness) -> None:
    text = (
        '{"schema_version": 1,\n "product": {"id": "p", "name": "P"},\n "markets": [\n'
        '   {"country": "DE", "status": "launched"},\n   {"country": "VN", "status": "planned"}\n ]\n}\n'
    )
    result = builtin.check(text, "hrpolicy.json")
    (vn,) = [f for f in by_rule(result.findings, "HRDD-MKT-001") if f.location.pointer == "/markets/1"]
    assert (vn.location.line, vn.location.column) == position_of(text, '{"country": "VN"')


def fingerprints(result: ManifestResult) -> dict[tuple[str, str], str]:
    """(rule, market country) -> fingerprint, for MKT-001 findings."""
    out = {}
    for f in result.findings:
        if f.rule == "HRDD-MKT-001":
            out[(f.rule, f.message.split()[0])] = f.fingerprint
    return out


def test_fingerprints_are_stable_across_runs(builtin: Harness, tmp_path: Path) -> None:
    path = builtin.write(manifest(MARKETS), slot="stable-runs")
    first = builtin.session.check(path, today=TODAY)
    again = Session(SessionConfig(autoload=False)).check(path, today=TODAY)
    assert isinstance(first, ManifestResult)
    assert isinstance(again, ManifestResult)
    assert [f.fingerprint for f in first.findings] == [f.fingerprint for f in again.findings]
    # ... and across evaluation dates, as long as the finding is the same
    later = Session(SessionConfig(autoload=False)).check(path, today=TODAY + datetime.timedelta(days=3))
    assert isinstance(later, ManifestResult)
    assert fingerprints(later) == fingerprints(first)


def test_fingerprints_survive_moved_lines_and_reordering(builtin: Harness) -> None:
    original = builtin.check(manifest(MARKETS), slot="moves")
    base = fingerprints(original)
    assert len(base) == 3
    assert len(set(base.values())) == 3

    padded = manifest("# a comment\n\n\n# another\nx-note: moved\n" + MARKETS)
    moved = builtin.check(padded, slot="moves")
    assert fingerprints(moved) == base
    assert {f.location.line for f in by_rule(moved.findings, "HRDD-MKT-001")} != {
        f.location.line for f in by_rule(original.findings, "HRDD-MKT-001")
    }

    reordered = MARKETS.splitlines()
    swapped = (
        "\n".join([reordered[0], reordered[5], reordered[3], reordered[4], reordered[2], reordered[1]]) + "\n"
    )
    shuffled = builtin.check(manifest(swapped), slot="moves")
    assert [f.location.pointer for f in by_rule(shuffled.findings, "HRDD-MKT-001")] == [
        "/markets/1",
        "/markets/2",
        "/markets/3",
    ]
    assert fingerprints(shuffled) == base


def test_fingerprints_differ_by_rule_product_and_item(builtin: Harness) -> None:
    a = builtin.check(manifest(MARKETS, product="a"), slot="fp-a")
    b = builtin.check(manifest(MARKETS, product="b"), slot="fp-b")  # same content, another product
    assert set(fingerprints(a).values()).isdisjoint(fingerprints(b).values())
    assert len({f.fingerprint for f in a.findings}) == len(a.findings)


def test_fingerprints_follow_the_product_not_the_file_path(builtin: Harness) -> None:
    # The same product checked from another folder (or after the manifest moved) keeps its fingerprints,
    # so baselines and code-scanning alerts survive a different working directory.
    a = builtin.check(manifest(MARKETS), slot="fp-here")
    b = builtin.check(manifest(MARKETS), slot="fp-moved/deeper")
    assert fingerprints(a) == fingerprints(b)


def test_fingerprints_do_not_depend_on_messages(tmp_path: Path) -> None:
    # The message names the tier, which an override can change; the fingerprint must not move with it.
    pack = rule_file(
        rule("HRDD-TST-001", "for_each: markets\nwhen: {status: {present: true}}\nmessage: '{today}'")
    )
    one = Harness(tmp_path / "one", {"t.yaml": pack}, today=D(2026, 1, 1))
    two = Harness(tmp_path / "one", {"t.yaml": pack}, today=D(2026, 6, 1))
    a = one.check(manifest(MARKETS), slot="x")
    b = two.check(manifest(MARKETS), slot="x")
    assert [f.message for f in a.findings] != [f.message for f in b.findings]
    assert [f.fingerprint for f in a.findings] == [f.fingerprint for f in b.findings]


def test_in_date_hria_satisfies_mkt_001(builtin: Harness) -> None:
    body = MARKETS + (
        "assessments:\n"
        f"  - {{id: h1, type: hria, status: approved, date: {_days_ago(30)},"
        " scope: {markets: [VN, TR, BR]}}\n"
    )
    assert by_rule(builtin.check(manifest(body)).findings, "HRDD-MKT-001") == []
    for status in ("draft", "in_review", "rejected"):
        found = by_rule(builtin.check(manifest(body.replace("approved", status))).findings, "HRDD-MKT-001")
        assert len(found) == 3, status


@pytest.mark.parametrize(
    ("country", "max_age", "severity"),
    [
        ("VN", 365, "critical"),
        ("BR", 730, "high"),
        ("DE", 1095, "high"),
        ("AT", 1095, "high"),
        ("GL", 730, "high"),
    ],
)
def test_max_age_by_tier_and_unassessed_countries(
    builtin: Harness, country: str, max_age: int, severity: str
) -> None:
    def mkt(age: int) -> list[Finding]:
        body = (
            f"markets: [{{country: {country}, status: launched}}]\n"
            f"assessments: [{{id: h, type: hria, status: approved, date: {_days_ago(age)}, "
            f"scope: {{markets: [{country}]}}}}]\n"
        )
        return by_rule(builtin.check(manifest(body)).findings, "HRDD-MKT-001")

    assert mkt(max_age) == []  # the last day of the tier's max age is still in date
    (late,) = mkt(max_age + 1)
    # GL is rated by no source: treated as elevated (730 days), never raised to critical; AT is Free in
    # Freedom in the World
    assert late.severity == severity
    assert f"within the last {max_age} days" in late.message


def test_unassessed_country_is_named_as_such(builtin: Harness) -> None:
    (f,) = by_rule(
        builtin.check(manifest("markets: [{country: GL, status: planned}]")).findings, "HRDD-MKT-001"
    )
    assert f.message.startswith(
        "GL (Greenland, unassessed: not rated by Freedom on the Net 2025 or Freedom in the World 2026 "
        "(treated as elevated risk))"
    )


def test_a_country_rated_by_freedom_in_the_world_names_it(builtin: Harness) -> None:
    (f,) = by_rule(
        builtin.check(manifest("markets: [{country: AT, status: planned}]")).findings, "HRDD-MKT-001"
    )
    assert f.message.startswith("AT (Austria, low risk: Free in Freedom in the World 2026) is planned")
    assert "within the last 1095 days" in f.message


def test_default_item_country_for_items_without_one(tmp_path: Path) -> None:
    pack = rule_file(
        rule(
            "HRDD-TST-001",
            "for_each: features\nwhen: {id: {present: true}}\nmessage: '{country.code} {country.tier}'",
        )
    )
    h = Harness(tmp_path, {"t.yaml": pack})

    def country_for(markets: str) -> str:
        (f,) = h.findings(manifest(f"markets: {markets}\nfeatures: [{{id: f}}]"))
        return f.message

    assert country_for("[{country: DE, status: launched}, {country: VN, status: planned}]") == "VN high"
    # a partly free market outranks an unassessed one treated as elevated
    assert country_for("[{country: GL, status: launched}, {country: BR, status: beta}]") == "BR elevated"
    assert country_for("[{country: GL, status: launched}, {country: DE, status: beta}]") == "GL unassessed"
    # within a tier the lower score (less free) is riskier: China (Not Free, 9) over Turkey (Not Free, 31)
    assert (
        country_for(
            "[{country: DE, status: launched}, {country: CN, status: beta}, {country: TR, status: planned}]"
        )
        == "CN high"
    )
    # exiting and withdrawn markets do not count
    assert country_for("[{country: DE, status: launched}, {country: VN, status: exiting}]") == "DE low"
    # no active market at all: no country, unassessed
    assert country_for("[{country: VN, status: withdrawn}]") == "(none) unassessed"
    assert country_for("[]") == "(none) unassessed"


def test_items_of_a_list_of_scalars_and_missing_sources(tmp_path: Path) -> None:
    pack = rule_file(
        rule(
            "HRDD-TST-001",
            "for_each: product.service_types\nwhen: {$item: {equals: messaging}}\nmessage: '{item}'",
        ),
        rule("HRDD-TST-002", "for_each: partners\nwhen: {name: {present: true}}\nmessage: x"),
    )
    text = manifest("").replace("name: Product p}", "name: P, service_types: [search, messaging]}")
    found = Harness(tmp_path, {"t.yaml": pack}).findings(text)
    assert [(f.rule, f.message, f.location.pointer) for f in found] == [
        ("HRDD-TST-001", "messaging", "/product/service_types/1")
    ]
    assert found[0].location.line == line_of(text, "service_types")


@pytest.mark.parametrize(
    ("collection", "items"),
    [
        (
            "partners",
            ["{name: LocalCo, country: VN}", "{name: OtherCo, country: VN}", "{name: ThirdCo, country: TR}"],
        ),
        (
            "entities",
            [
                "{country: TR, type: local_representative}",
                "{country: TR, type: subsidiary}",
                "{country: VN, type: subsidiary}",
            ],
        ),
    ],
)
def test_fingerprints_tell_apart_items_without_an_id(
    tmp_path: Path, collection: str, items: list[str]
) -> None:
    """Partners and entities have no id: two in the same country are still two findings with their own
    fingerprints, and the fingerprints follow the items when the list is reordered."""
    pack = rule_file(
        rule("HRDD-TST-001", f"for_each: {collection}\nwhen: {{country: {{present: true}}}}\nmessage: x")
    )
    h = Harness(tmp_path, {"t.yaml": pack})

    def prints(order: list[int]) -> dict[str, str]:
        body = f"{collection}:\n" + "".join(f"  - {items[i]}\n" for i in order)
        found = h.findings(manifest(body), slot="same")
        return {items[order[int(f.location.pointer.rsplit("/", 1)[1])]]: f.fingerprint for f in found}

    forward = prints([0, 1, 2])
    assert len(set(forward.values())) == 3
    assert prints([2, 0, 1]) == forward


def test_fingerprints_of_look_alike_items_still_differ(tmp_path: Path) -> None:
    pack = rule_file(
        rule("HRDD-TST-001", "for_each: sales_reviews\nwhen: {country: {present: true}}\nmessage: x"),
        rule("HRDD-TST-002", "for_each: corporate_events\nwhen: {type: {present: true}}\nmessage: x"),
    )
    body = """\
    sales_reviews:
      - {country: BY, customer_type: government, decision: reject, date: 2026-01-10}
      - {country: BY, customer_type: government, decision: approve, date: 2026-06-01}
      - {country: BY, customer_type: law_enforcement, decision: reject, date: 2026-06-01}
    corporate_events:
      - {type: acquisition, target: A Ltd, date: 2025-09-01}
      - {type: acquisition, target: B Ltd, date: 2025-10-01}
    """
    found = Harness(tmp_path, {"t.yaml": pack}).findings(manifest(body))
    assert len(found) == 5
    assert len({f.fingerprint for f in found}) == 5


def test_country_as_judges_each_element_by_its_own_country(tmp_path: Path) -> None:
    """``$country`` inside a quantifier is the item's country; ``country_as`` names the element's."""
    pack = rule_file(
        rule(
            "HRDD-TST-001",
            "for_each: features\n"
            "when: {any: {in: markets, as: m, country_as: mc, where: {$mc.tier: {equals: high}}}}\n"
            "message: 'feature {item.id} in a high-risk market ({country.name})'",
        ),
        rule(
            "HRDD-TST-002",
            "when:\n"
            "  all: {in: markets, country_as: c, where: {any: {in: data_stores, country_as: s, "
            "where: {$s.code: {equals: $c.code}}}}}\n"
            "message: every market has a local store",
        ),
    )
    h = Harness(tmp_path, {"t.yaml": pack})
    high = "markets: [{country: DE, status: launched}, {country: VN, status: planned}]\nfeatures: [{id: f}]\n"
    low = "markets: [{country: DE, status: launched}, {country: AT, status: planned}]\nfeatures: [{id: f}]\n"
    assert [f.message for f in h.findings(manifest(high), "HRDD-TST-001")] == [
        "feature f in a high-risk market (Vietnam)"
    ]
    assert h.findings(manifest(low), "HRDD-TST-001") == []
    stores = "data_stores: [{id: a, country: DE}, {id: b, country: AT}]\n"
    assert len(h.findings(manifest(low + stores), "HRDD-TST-002")) == 1
    assert h.findings(manifest(high + stores), "HRDD-TST-002") == []


def test_country_as_takes_no_name_already_in_use(tmp_path: Path) -> None:
    pack = rule_file(
        rule("HRDD-TST-001", "when: {any: {in: markets, country_as: country}}\nmessage: m"),
    )
    with pytest.raises(RuleError, match="the name 'country' is already taken"):
        Harness(tmp_path, {"t.yaml": pack})

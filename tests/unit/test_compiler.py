"""The rule language compiler (hrpolicy/compiler.py, hrpolicy/rules.py): small packs written to tmp dirs,
compiled once and evaluated through a real Session."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import pytest
from helpers import TODAY, Harness, manifest, messages, pointers, position_of, rule, rule_file, write_pack
from hrpolicy.plugins.operators import OPERATORS

import hrpolicy
from hrpolicy.errors import RuleError
from hrpolicy.evaluate.session import Session
from hrpolicy.language.pack import load_pack
from hrpolicy.model import Operator

OPS = {op.name: op for op in OPERATORS}

BODY = """\
markets:
  - {country: VN, status: planned, languages: [vi]}
  - {country: DE, status: launched, languages: [de, en]}
  - {country: BR, status: withdrawn}
features:
  - {id: f1, tags: [precise_location]}
  - {id: f2, tags: []}
data_stores:
  - {id: s1, country: SG, data_categories: [personal]}
  - {id: s2, country: DE, data_categories: [content]}
assessments:
  - {id: a1, type: hria, status: approved, date: 2026-01-10, scope: {markets: [VN], data_stores: [s1]}}
  - {id: a2, type: dpia, status: draft, date: 2025-01-10, scope: {markets: [DE], features: [f1]}}
"""


def fires(tmp_path: Path, when: str, body: str = BODY, *, define: str = "") -> bool:
    """Does a manifest-level rule with this ``when`` raise a finding for the manifest ``body``?"""
    pack = rule_file(rule("HRDD-TST-001", f"when: {when}\nmessage: fired"), define=define)
    found = Harness(tmp_path, {"t.yaml": pack}).findings(manifest(body))
    assert len(found) <= 1
    return bool(found)


def compile_error(tmp_path: Path, files: dict[str, str]) -> RuleError:
    write_pack(tmp_path / "rules", files)
    with pytest.raises(RuleError) as info:
        load_pack([tmp_path / "rules"], OPS)
    err = info.value
    assert "\n" not in str(err)
    return err


def assert_at(err: RuleError, tmp_path: Path, file: str, text: str, needle: str) -> None:
    """The error names ``file`` at the line and column where ``needle`` starts in ``text``."""
    assert err.path is not None
    assert Path(err.path).resolve() == (tmp_path / "rules" / file).resolve()
    assert (err.line, err.column) == position_of(text, needle), str(err)
    assert str(err).startswith(f"{err.path}:{err.line}:{err.column}: ")


# ------------------------------------------------------------------------------------------ combinators


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("{product.id: {equals: p}}", True),
        ("{product.id: {equals: q}}", False),
        # entries of one mapping are ANDed
        ("{product.id: {equals: p}, product.name: {equals: nope}}", False),
        ("{all_of: [{product.id: {equals: p}}, {product.name: {equals: Product p}}]}", True),
        ("{all_of: [{product.id: {equals: p}}, {product.name: {equals: nope}}]}", False),
        ("{any_of: [{product.id: {equals: q}}, {product.name: {equals: Product p}}]}", True),
        ("{any_of: [{product.id: {equals: q}}, {product.name: {equals: nope}}]}", False),
        ("{not: {product.id: {equals: q}}}", True),
        ("{not: {product.id: {equals: p}}}", False),
        ("{not: {any_of: [{product.id: {equals: q}}, {not: {product.id: {equals: p}}}]}}", True),
        # a path into a missing mapping is simply missing
        ("{encryption.e2ee.available: {missing: true}}", True),
        ("{product.id.deeper: {missing: true}}", True),
    ],
)
def test_combinators(tmp_path: Path, when: str, expected: bool) -> None:
    assert fires(tmp_path, when) is expected


# ------------------------------------------------------------------------------------------ quantifiers


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("{any: {in: markets, where: {status: {equals: withdrawn}}}}", True),
        ("{any: {in: markets, where: {status: {equals: exiting}}}}", False),
        ("{all: {in: markets, where: {country: {in: [VN, DE, BR]}}}}", True),
        ("{all: {in: markets, where: {status: {in: [planned, launched]}}}}", False),
        ("{none: {in: markets, where: {status: {equals: exiting}}}}", True),
        ("{none: {in: markets, where: {status: {equals: withdrawn}}}}", False),
        # without where: any = non-empty, none = empty, all = true
        ("{any: {in: markets}}", True),
        ("{none: {in: markets}}", False),
        ("{all: {in: markets}}", True),
        # empty lists: all -> true, none -> true, any -> false (with and without where)
        ("{all: {in: features.0.tags.missing, where: {x: {equals: 1}}}}", True),
        ("{all: {in: partners, where: {name: {equals: nobody}}}}", True),
        ("{none: {in: partners, where: {name: {equals: nobody}}}}", True),
        ("{any: {in: partners, where: {name: {present: true}}}}", False),
        ("{any: {in: partners}}", False),
        ("{none: {in: partners}}", True),
        ("{all: {in: partners}}", True),
        ("{all: {in: $item.features.1.tags, where: {x: {equals: 1}}}}", True),  # [] via a reference
        # a literal list as the source, with a name
        (
            "{all: {in: [VN, DE], as: code, where: {any: {in: markets, where: {country: {equals: $code}}}}}}",
            True,
        ),
        (
            "{all: {in: [VN, TR], as: code, where: {any: {in: markets, where: {country: {equals: $code}}}}}}",
            False,
        ),
        # joins with 'as': every planned/launched market has an assessment whose scope names it
        (
            "{all: {in: markets, as: m, where: {any_of: [{status: {equals: withdrawn}},"
            " {any: {in: assessments, where: {scope.markets: {contains: $m.country}}}}]}}}",
            True,
        ),
        (
            "{all: {in: markets, as: m, where: {any: {in: assessments,"
            " where: {scope.markets: {contains: $m.country}, status: {equals: approved}}}}}}",
            False,
        ),
        # after an inner quantifier the current element is the outer one again
        (
            "{any: {in: markets, where: {all_of: [{any: {in: assessments, where: {type: {equals: dpia}}}},"
            " {country: {equals: DE}}]}}}",
            True,
        ),
        # the outer name stays visible inside, the inner element is the current one
        (
            "{any: {in: assessments, as: a, where: {any: {in: data_stores,"
            " where: {id: {in: $a.scope.data_stores}, country: {equals: SG}}}}}}",
            True,
        ),
    ],
)
def test_quantifiers(tmp_path: Path, when: str, expected: bool) -> None:
    assert fires(tmp_path, when) is expected


def test_quantifier_source_that_is_not_a_list_counts_as_one_element(tmp_path: Path) -> None:
    assert fires(tmp_path, "{any: {in: product, where: {id: {equals: p}}}}") is True


def test_as_name_is_unbound_after_the_quantifier(tmp_path: Path) -> None:
    # $m is only defined inside the quantifier: using it outside is a compile error, not a stale value.
    text = rule_file(
        rule(
            "HRDD-TST-001",
            "when: {any: {in: markets, as: m, where: {country: {equals: VN}}}, $m.country: {equals: VN}}\n"
            "message: x",
        )
    )
    err = compile_error(tmp_path, {"t.yaml": text})
    assert "unknown reference $m" in err.message


# ---------------------------------------------------------------------------------------------- values


def test_item_manifest_base_country_today_dataset(tmp_path: Path) -> None:
    pack = rule_file(
        rule(
            "HRDD-TST-001",
            """
            for_each: markets
            when:
              $item.status: {in: [planned, launched]}
              $manifest.product.id: {equals: p}
              $base.product.id: {equals: $manifest.product.id}
              $country.code: {equals: $item.country}
              $today: {equals: "2026-11-28"}
            message: >-
              {item.country}|{country.name}|{country.tier}|{country.max_age_days}|{manifest.product.name}|{base.product.id}|{today}|{dataset.name}
            """,
        )
    )
    found = Harness(tmp_path, {"t.yaml": pack}).findings(manifest(BODY))
    assert messages(found) == [
        "VN|Vietnam|high|365|Product p|p|2026-11-28|Freedom on the Net 2025",
        "DE|Germany|low|1095|Product p|p|2026-11-28|Freedom on the Net 2025",
    ]
    assert pointers(found) == ["/markets/0", "/markets/1"]


def test_lists_and_unknown_list(tmp_path: Path) -> None:
    define = "lists:\n  live: [launched]\n"
    assert fires(tmp_path / "a", "{any: {in: markets, where: {status: {in: $lists.live}}}}", define=define)
    assert not fires(
        tmp_path / "b",
        "{any: {in: markets, where: {status: {in: $lists.live}}}}",
        BODY.replace("status: launched", "status: beta"),
        define=define,
    )
    text = rule_file(rule("HRDD-TST-001", "when: {x: {in: $lists.lve}}\nmessage: x"), define=define)
    err = compile_error(tmp_path / "c", {"t.yaml": text})
    assert "unknown list '$lists.lve'" in err.message
    assert "did you mean 'live'" in err.message


def counting_plugin(calls: list[Any]) -> object:
    """A plugin adding the operator ``counted``: records every call, then compares like equals."""

    class Counting:
        @hrpolicy.hookimpl
        def hrpolicy_condition_operators(self) -> list[Operator]:
            def test(value: Any, arg: Any, ctx: Any) -> bool:
                calls.append(value)
                return bool(value == arg)

            return [Operator("counted", test, "counts its calls")]

    return Counting()


def test_values_are_computed_once_per_manifest(tmp_path: Path) -> None:
    calls: list[Any] = []
    define = """\
    values:
      marker:
        if: {$manifest.product.id: {counted: p}}
        then: [VN, DE]
        else: []
    """
    pack = rule_file(
        rule(
            "HRDD-TST-001",
            "for_each: markets\nwhen: {country: {in: $values.marker}}\nmessage: '{item.country}'",
        ),
        rule(
            "HRDD-TST-002", "for_each: markets\nwhen: {$values.marker: {contains: $item.country}}\nmessage: x"
        ),
        define=define,
    )
    h = Harness(tmp_path, {"t.yaml": pack}, plugins=[counting_plugin(calls)])
    assert calls == []  # compiling evaluates nothing
    found = h.findings(manifest(BODY))
    assert sorted((f.rule, f.location.pointer) for f in found) == [
        ("HRDD-TST-001", "/markets/0"),
        ("HRDD-TST-001", "/markets/1"),
        ("HRDD-TST-002", "/markets/0"),
        ("HRDD-TST-002", "/markets/1"),
    ]
    assert calls == ["p"]  # six items in two rules, one computation
    h.findings(manifest(BODY, product="q"))
    assert calls == ["p", "q"]  # ... and computed afresh for the next manifest


def test_values_that_mention_the_item_are_computed_per_item(tmp_path: Path) -> None:
    # A value naming $item or $country (directly, through a predicate or another value) belongs to the
    # item: it is computed for each item against that item, never cached for the manifest.
    pack = rule_file(
        rule(
            "HRDD-TST-001",
            """
            for_each: markets
            when: {$values.label: {present: true}}
            message: "{item.country}={country.tier}"
            """,
        ),
        define="""
        predicates: {risky: {$country.tier: {equals: high}}}
        values:
          tier_word: {if: {use: risky}, then: high, else: other}
          label: {if: {status: {equals: launched}}, then: $values.tier_word, else: planned}
        """,
    )
    h = Harness(tmp_path, {"t.yaml": pack})
    assert h.session.pack.values.keys() == {"tier_word", "label"}
    body = "markets:\n  - {country: VN, status: launched}\n  - {country: DE, status: launched}\n"
    found = h.findings(manifest(body))
    assert [f.message for f in found] == ["VN=high", "DE=low"]


def test_a_predicate_answers_once_per_element_and_item(tmp_path: Path) -> None:
    # Two rules asking the same predicate about the same (assessment, market) pair evaluate it once.
    calls: list[Any] = []
    define = "predicates: {covers: {scope.markets: {contains: $item.country}, type: {counted: hria}}}"
    check = (
        "for_each: markets\nwhen: {any: {in: assessments, where: {use: covers}}}\nmessage: '{item.country}'"
    )
    pack = rule_file(rule("HRDD-TST-001", check), rule("HRDD-TST-002", check), define=define)
    h = Harness(tmp_path, {"t.yaml": pack}, plugins=[counting_plugin(calls)])
    found = h.findings(manifest(BODY))
    assert sorted((f.rule, f.message) for f in found) == [("HRDD-TST-001", "VN"), ("HRDD-TST-002", "VN")]
    # the type is tested for (VN, a1) and (DE, a2), the pairs whose scope matched; the second rule asks
    # nothing new
    assert calls == ["hria", "dpia"]
    h.findings(manifest(BODY, product="q"))
    assert len(calls) == 4  # ... and each manifest is asked afresh


def test_a_predicate_reading_the_country_answers_per_rule(tmp_path: Path) -> None:
    # The same item has a different country in rules that find it differently: a predicate reading
    # $country must not answer one rule with what it found for the other.
    define = "predicates: {risky: {$country.tier: {equals: high}}}"
    pack = rule_file(
        rule("HRDD-TST-001", "for_each: assessments\ncountry: VN\nwhen: {use: risky}\nmessage: '{item.id}'"),
        rule("HRDD-TST-002", "for_each: assessments\ncountry: DE\nwhen: {use: risky}\nmessage: '{item.id}'"),
        define=define,
    )
    found = Harness(tmp_path, {"t.yaml": pack}).findings(manifest(BODY))
    assert sorted((f.rule, f.message) for f in found) == [("HRDD-TST-001", "a1"), ("HRDD-TST-001", "a2")]


def test_the_country_is_found_only_when_read(tmp_path: Path) -> None:
    # An item that `when` leaves out never has its country found; one that is reported has it.
    calls: list[Any] = []
    define = "values:\n  where_from: {if: {$item.id: {counted: a1}}, then: VN, else: DE}\n"
    pack = rule_file(
        rule(
            "HRDD-TST-001",
            "for_each: assessments\ncountry: $values.where_from\nwhen: {status: {equals: approved}}\n"
            "message: '{item.id} {country.tier}'",
        ),
        define=define,
    )
    found = Harness(tmp_path, {"t.yaml": pack}, plugins=[counting_plugin(calls)]).findings(manifest(BODY))
    assert [f.message for f in found] == ["a1 high"]
    assert calls == ["a1"]  # a2 (a draft) was left out before its country mattered


def test_unknown_value(tmp_path: Path) -> None:
    text = rule_file(
        rule("HRDD-TST-001", "when: {x: {in: $values.nope}}\nmessage: x"),
        define="values:\n  nop: [1]\n",
    )
    err = compile_error(tmp_path, {"t.yaml": text})
    assert "unknown value '$values.nope'" in err.message
    assert "did you mean 'nop'" in err.message


def test_let_is_lazy_and_computed_once_per_item(tmp_path: Path) -> None:
    calls: list[Any] = []
    pack = rule_file(
        rule(
            "HRDD-TST-001",
            """
            for_each: markets
            let:
              probe: {if: {$item.country: {counted: VN}}, then: probed, else: other}
            when: {status: {equals: planned}}
            require: {$probe: {equals: nothing}}
            message: "{item.country} {probe} {probe}"
            """,
        ),
        define="",
    )
    h = Harness(tmp_path, {"t.yaml": pack}, plugins=[counting_plugin(calls)])
    found = h.findings(manifest(BODY))
    assert messages(found) == ["VN probed probed"]
    # Only the planned market reaches the let; used three times, computed once.
    assert calls == ["VN"]


def test_let_values_do_not_leak_between_items(tmp_path: Path) -> None:
    pack = rule_file(
        rule(
            "HRDD-TST-001",
            """
            for_each: markets
            let: {code: $item.country}
            when: {$code: {in: [VN, DE, BR]}}
            message: "{code}"
            """,
        )
    )
    assert messages(Harness(tmp_path, {"t.yaml": pack}).findings(manifest(BODY))) == ["VN", "DE", "BR"]


@pytest.mark.parametrize(
    "name", ["country", "item", "manifest", "base", "today", "dataset", "lists", "values"]
)
def test_let_cannot_shadow_a_builtin_name(tmp_path: Path, name: str) -> None:
    text = rule_file(
        rule("HRDD-TST-001", f"let: {{{name}: 5}}\nwhen: {{${name}: {{equals: 5}}}}\nmessage: x")
    )
    err = compile_error(tmp_path, {"t.yaml": text})
    assert name in err.message
    assert err.line == position_of(text, "let:")[0]


def test_collect_find_worst_of_add_days_if(tmp_path: Path) -> None:
    pack = rule_file(
        rule(
            "HRDD-TST-001",
            """
            let:
              live: {collect: country, from: markets, where: {status: {in: [planned, beta, launched]}}}
              all_langs: {collect: languages, from: markets}
              first_draft: {find: assessments, where: {status: {equals: draft}}}
              no_such: {find: assessments, where: {status: {equals: rejected}}}
              worst: {worst_of: $live}
              fallback: {worst_of: [], otherwise: [DE, BR]}
              nothing: {worst_of: []}
              due: {add_days: [$first_draft.date, 30]}
              bad_due: {add_days: [not-a-date, 30]}
              kind: {if: {$worst: {equals: VN}}, then: risky, else: calm}
              joined: {collect: $s.id, from: data_stores, as: s, where: {$s.country: {equals: SG}}}
            when: {product.id: {equals: p}}
            message: >-
              {live}|{all_langs}|{first_draft.id}|{no_such}|{worst}|{fallback}|{nothing}|{due}|{bad_due}|{kind}|{joined}
            """,
        )
    )
    (found,) = Harness(tmp_path, {"t.yaml": pack}).findings(manifest(BODY))
    assert found.message == "VN, DE|vi, de, en|a2|(none)|VN|BR|(none)|2025-02-09|(none)|risky|s1"


def test_country_override(tmp_path: Path) -> None:
    # A fixed code, a list (the riskiest wins) and worst_of with otherwise, judged by severity_in_high_risk.
    meta = "severity_in_high_risk: critical"
    pack = rule_file(
        rule(
            "HRDD-TST-001",
            "for_each: features\ncountry: DE\nwhen: {id: {equals: f1}}\nmessage: '{country.code}'",
            meta=meta,
        ),
        rule(
            "HRDD-TST-002",
            "for_each: features\ncountry: [DE, CN, BR]\nwhen: {id: {equals: f1}}\nmessage: '{country.code}'",
            meta=meta,
        ),
        rule(
            "HRDD-TST-003",
            "for_each: assessments\ncountry: {worst_of: $item.scope.nothing, otherwise: [DE, BR]}\n"
            "when: {id: {equals: a2}}\nmessage: '{country.code}'",
            meta=meta,
        ),
        rule(
            "HRDD-TST-004",
            "for_each: data_stores\nwhen: {id: {equals: s2}}\nmessage: '{country.code}'",
            meta=meta,
        ),
        rule(
            "HRDD-TST-005",
            "for_each: features\ncountry: $item.nothing\nwhen: {id: {equals: f1}}\nmessage: '{country.code}'",
            meta=meta,
        ),
    )
    found = Harness(tmp_path, {"t.yaml": pack}).findings(manifest(BODY))
    assert {f.rule: (f.message, f.severity) for f in found} == {
        "HRDD-TST-001": ("DE", "high"),  # instead of the riskiest market, VN
        "HRDD-TST-002": ("CN", "critical"),
        "HRDD-TST-003": ("BR", "high"),  # Partly Free BR is riskier than Free DE
        "HRDD-TST-004": ("DE", "high"),  # the item's own country field
        "HRDD-TST-005": ("(none)", "high"),  # an override that yields nothing: no country, unassessed
    }


def test_default_item_country_is_the_riskiest_active_market(tmp_path: Path) -> None:
    pack = rule_file(
        rule("HRDD-TST-001", "for_each: features\nwhen: {id: {present: true}}\nmessage: '{country.code}'")
    )
    h = Harness(tmp_path, {"t.yaml": pack})
    assert messages(h.findings(manifest(BODY))) == ["VN", "VN"]
    # withdrawn markets do not count; without VN the riskiest active market is DE
    body = BODY.replace("{country: VN, status: planned, languages: [vi]}", "{country: VN, status: withdrawn}")
    assert messages(h.findings(manifest(body))) == ["DE", "DE"]


def test_at_locates_manifest_level_findings(tmp_path: Path) -> None:
    pack = rule_file(
        rule(
            "HRDD-TST-001",
            "at: [product.dsa_designation, product]\nwhen: {product.id: {equals: p}}\nmessage: a",
        ),
        rule(
            "HRDD-TST-002",
            "at: [government_requests, assessments]\nwhen: {product.id: {equals: p}}\nmessage: b",
        ),
        rule("HRDD-TST-003", "when: {product.id: {equals: p}}\nmessage: c"),
    )
    text = manifest(BODY)
    found = {f.rule: f.location for f in Harness(tmp_path, {"t.yaml": pack}).findings(text)}
    assert (found["HRDD-TST-001"].pointer, found["HRDD-TST-001"].line) == ("/product", 2)
    assert found["HRDD-TST-002"].pointer == "/assessments"
    assert found["HRDD-TST-002"].line == position_of(text, "  - {id: a1")[0]
    assert (found["HRDD-TST-003"].pointer, found["HRDD-TST-003"].line, found["HRDD-TST-003"].column) == (
        "",
        1,
        1,
    )


def test_cases_and_escalate(tmp_path: Path) -> None:
    pack = rule_file(
        rule(
            "HRDD-TST-001",
            """
            escalate:
              - when: {$item.country: {equals: DE}}
                severity: critical
              - when: {$item.country: {equals: BR}}
                severity: low
            cases:
              - for_each: markets
                when: {status: {equals: launched}}
                message: "launched {item.country}"
              - for_each: markets
                when: {status: {equals: withdrawn}}
                message: "withdrawn {item.country}"
            """,
            severity="medium",
        )
    )
    found = Harness(tmp_path, {"t.yaml": pack}).findings(manifest(BODY))
    # escalate only ever raises a severity: BR's "low" leaves medium alone
    assert [(f.message, f.severity) for f in found] == [
        ("launched DE", "critical"),
        ("withdrawn BR", "medium"),
    ]


def test_cases_of_one_rule_have_distinct_fingerprints(tmp_path: Path) -> None:
    pack = rule_file(
        rule(
            "HRDD-TST-001",
            """
            cases:
              - for_each: markets
                when: {country: {equals: VN}}
                message: one
              - for_each: markets
                when: {country: {equals: VN}}
                message: two
            """,
        )
    )
    found = Harness(tmp_path, {"t.yaml": pack}).findings(manifest(BODY))
    assert sorted(messages(found)) == ["one", "two"]
    assert len({f.fingerprint for f in found}) == 2


def test_severity_in_high_risk(tmp_path: Path) -> None:
    body = """\
    markets:
      - {country: VN, status: planned}
      - {country: SE, status: planned}
      - {country: BR, status: planned}
      - {country: DE, status: planned}
    """
    pack = rule_file(
        rule(
            "HRDD-TST-001",
            "for_each: markets\nwhen: {status: {equals: planned}}\nmessage: '{item.country}'",
            meta="severity_in_high_risk: critical",
            severity="medium",
        )
    )
    found = Harness(tmp_path, {"t.yaml": pack}).findings(manifest(body))
    # Not Free VN escalates; unassessed SE (treated as elevated) never does; nor do Partly Free BR, Free DE.
    assert [(f.message, f.severity) for f in found] == [
        ("VN", "critical"),
        ("SE", "medium"),
        ("BR", "medium"),
        ("DE", "medium"),
    ]


def test_notice_when_the_requirement_holds(tmp_path: Path) -> None:
    pack = rule_file(
        rule(
            "HRDD-TST-001",
            """
            for_each: assessments
            let: {expires_on: {add_days: [$item.date, 365]}}
            when: {status: {equals: approved}}
            require: {$expires_on: {gte: $today}}
            notice:
              when: {$expires_on: {within_next_days: 60}}
              message: "{item.id} expires on {expires_on}"
            message: "{item.id} expired on {expires_on}"
            """,
        )
    )
    h = Harness(tmp_path, {"t.yaml": pack})
    # a1 (2026-01-10) expires 2027-01-10: 43 days after 2026-11-28, so a notice, never a failure
    (only,) = h.findings(manifest(BODY), notices=True)
    assert (only.severity, only.message, only.location.pointer) == (
        "notice",
        "a1 expires on 2027-01-10",
        "/assessments/0",
    )
    assert not only.counts
    # four months earlier it is neither a finding nor a notice
    early = Harness(tmp_path / "early", {"t.yaml": pack}, today=datetime.date(2026, 8, 1))
    assert early.findings(manifest(BODY), notices=True) == []
    # and after the date it is a finding at the rule's severity
    late = Harness(tmp_path / "late", {"t.yaml": pack}, today=datetime.date(2027, 1, 11))
    assert [(f.severity, f.message) for f in late.findings(manifest(BODY), notices=True)] == [
        ("high", "a1 expired on 2027-01-10")
    ]


def test_predicates_are_shared_across_files(tmp_path: Path) -> None:
    files = {
        "defs.yaml": rule_file(
            define="predicates:\n  is_vn: {country: {equals: VN}}\n  is_vn_planned:\n"
            "    use: is_vn\n    status: {equals: planned}\n"
        ),
        "r.yaml": rule_file(
            rule("HRDD-TST-001", "for_each: markets\nwhen: {use: [is_vn_planned]}\nmessage: x")
        ),
    }
    assert pointers(Harness(tmp_path, files).findings(manifest(BODY))) == ["/markets/0"]


# ------------------------------------------------------------------------------------------- templates


def test_template_escapes_and_fields(tmp_path: Path) -> None:
    pack = rule_file(
        rule(
            "HRDD-TST-001",
            "for_each: markets\nwhen: {country: {equals: VN}}\n"
            "message: '{{literal}} {item.country} {{item.country}} }}{{ {item.languages} {item.nope}'",
        )
    )
    (found,) = Harness(tmp_path, {"t.yaml": pack}).findings(manifest(BODY))
    assert found.message == "{literal} VN {item.country} }{ vi (none)"


@pytest.mark.parametrize(
    "message",
    ["'{bogus}'", "'{lists.x}'", "'{item.country'", "'item}'", "'{0}'", "'{item.country!r}'", "'{item:>10}'"],
)
def test_template_errors_name_the_rule_file_line(tmp_path: Path, message: str) -> None:
    text = rule_file(rule("HRDD-TST-001", f"when: {{x: {{present: true}}}}\nmessage: {message}"))
    err = compile_error(tmp_path, {"t.yaml": text})
    assert_at(err, tmp_path, "t.yaml", text, message)


def test_manifest_text_is_never_interpreted(tmp_path: Path) -> None:
    pack = rule_file(
        rule("HRDD-TST-001", "for_each: features\nwhen: {id: {present: true}}\nmessage: 'feature {item.id}!'")
    )
    body = r"""
    features:
      - {id: "{item.tags} {0} {{x}} %s"}
      - {id: "x\n::error file=a,line=1::owned"}
      - {id: "\e[31mred\e[0m\r\u2028\u202Eevil"}
      - {id: "%(manifest)s ${{ secrets.TOKEN }}"}
    """
    found = Harness(tmp_path, {"t.yaml": pack}).findings(manifest(body))
    assert messages(found) == [
        "feature {item.tags} {0} {{x}} %s!",
        "feature x?::error file=a,line=1::owned!",
        "feature ?[31mred?[0m???evil!",
        "feature %(manifest)s ${{ secrets.TOKEN }}!",
    ]
    for f in found:
        assert "\n" not in f.message
        assert "\x1b" not in f.message
        assert "\r" not in f.message


def test_long_manifest_values_are_truncated(tmp_path: Path) -> None:
    pack = rule_file(
        rule("HRDD-TST-001", "for_each: features\nwhen: {id: {present: true}}\nmessage: '{item.id}'")
    )
    (found,) = Harness(tmp_path, {"t.yaml": pack}).findings(manifest(f"features: [{{id: {'x' * 500}}}]"))
    assert len(found.message) <= 120
    assert found.message.endswith("…")


def test_redacted_rules_never_show_the_item(tmp_path: Path) -> None:
    pack = rule_file(
        rule(
            "HRDD-TST-001",
            "for_each: {strings_under: [assessments]}\nwhen: {$item: {matches: '@'}}\n"
            "message: 'personal identifier {item} here'",
            meta="redact: true",
        )
    )
    body = (
        "assessments:\n  - {id: a1, type: hria, status: draft, date: 2026-01-01, evidence: jo@example.org}\n"
    )
    h = Harness(tmp_path, {"t.yaml": pack})
    (found,) = h.findings(manifest(body), slot="same")
    assert found.message == "personal identifier [redacted] here"
    assert found.location.pointer == "/assessments/0/evidence"
    # the value is not part of the fingerprint either: another address at the same place, same fingerprint
    (again,) = h.findings(manifest(body.replace("jo@example.org", "ann@example.net")), slot="same")
    assert again.fingerprint == found.fingerprint


# -------------------------------------------------------------------------------------- compile errors


def test_unknown_operator_with_suggestion(tmp_path: Path) -> None:
    text = rule_file(rule("HRDD-TST-001", "for_each: markets\nwhen: {status: {equls: planned}}\nmessage: x"))
    err = compile_error(tmp_path, {"t.yaml": text})
    assert err.message == "unknown operator 'equls' (did you mean 'equals'?)"
    assert_at(err, tmp_path, "t.yaml", text, "planned}}")


def test_unknown_reference_with_suggestion(tmp_path: Path) -> None:
    text = rule_file(
        rule("HRDD-TST-001", "for_each: markets\nwhen:\n  country: {equals: $itme.country}\nmessage: x")
    )
    err = compile_error(tmp_path, {"t.yaml": text})
    assert err.message == "unknown reference $itme (did you mean 'item'?)"
    assert_at(err, tmp_path, "t.yaml", text, "$itme.country")


def test_unknown_predicate(tmp_path: Path) -> None:
    define = "predicates:\n  approved: {status: {equals: approved}}\n"
    text = rule_file(rule("HRDD-TST-001", "when:\n  use: aproved\nmessage: x"), define=define)
    err = compile_error(tmp_path, {"t.yaml": text})
    assert err.message == "unknown predicate 'aproved' (did you mean 'approved'?)"
    assert_at(err, tmp_path, "t.yaml", text, "aproved")


@pytest.mark.parametrize(
    ("define", "where"),
    [
        ("predicates:\n  loop:\n    use: loop\n", "use: loop"),
        ("predicates:\n  a:\n    use: b\n  b:\n    x: {present: true}\n    use: a\n", "use: b"),
    ],
)
def test_predicate_recursion(tmp_path: Path, define: str, where: str) -> None:
    text = rule_file(define=define)
    err = compile_error(tmp_path, {"t.yaml": text})
    assert "uses itself" in err.message
    assert_at(err, tmp_path, "t.yaml", text, where)


@pytest.mark.parametrize(
    ("where", "text_of"),
    [
        ("rule", lambda: rule_file(rule("HRDD-TST-001", "when:\n  x: {matches: '(a)\\1'}\nmessage: x"))),
        (
            "list",
            lambda: rule_file(rule("HRDD-TST-001", "when:\n  x: {matches_any: [ok, '(?=a)']}\nmessage: x")),
        ),
        ("define", lambda: rule_file(define="patterns:\n  email: '(a)\\1'\n")),
    ],
)
def test_bad_regex(tmp_path: Path, where: str, text_of: Any, capfd: pytest.CaptureFixture[str]) -> None:
    text = text_of()
    err = compile_error(tmp_path, {"t.yaml": text})
    assert "RE2 rejects" in err.message
    needle = {"rule": "'(a)\\1'", "list": "[ok,", "define": "'(a)\\1'"}[where]
    assert_at(err, tmp_path, "t.yaml", text, needle)
    assert capfd.readouterr().err == ""


def test_duplicate_rule_id_across_files(tmp_path: Path) -> None:
    one = rule_file(rule("HRDD-TST-001", "when: {x: {present: true}}\nmessage: x"))
    two = rule_file(
        rule("HRDD-TST-002", "when: {x: {present: true}}\nmessage: x"),
        rule("HRDD-TST-001", "when: {x: {present: true}}\nmessage: y"),
    )
    err = compile_error(tmp_path, {"a.yaml": one, "b.yaml": two})
    assert "HRDD-TST-001 is already used at" in err.message
    assert "a.yaml:3" in err.message
    assert_at(err, tmp_path, "b.yaml", two, "HRDD-TST-001")


def test_duplicate_define_name_across_kinds_and_files(tmp_path: Path) -> None:
    one = rule_file(define="lists:\n  live: [launched]\n")
    two = rule_file(define="predicates:\n  other: {y: {present: true}}\n  live: {x: {present: true}}\n")
    err = compile_error(tmp_path, {"a.yaml": one, "b.yaml": two})
    assert "'live' is already defined in" in err.message
    assert "a.yaml:4" in err.message
    assert_at(err, tmp_path, "b.yaml", two, "{x: {present: true}}")


def test_body_without_when_or_require(tmp_path: Path) -> None:
    text = rule_file(
        rule("HRDD-TST-001", "when: {x: {present: true}}\nmessage: fine"),
        rule("HRDD-TST-002", "for_each: markets\nmessage: x"),
    )
    err = compile_error(tmp_path, {"t.yaml": text})
    assert "needs 'when' or 'require'" in err.message
    assert_at(err, tmp_path, "t.yaml", text, "id: HRDD-TST-002")


@pytest.mark.parametrize(
    ("body", "needle", "fragment"),
    [
        ("when: {x: {not_older_than_days: soon}}", "soon", "whole number"),
        ("when: {x: {present: yes}}", "yes", "true or false"),
        ("when: {x: {length_gte: '1'}}", "'1'", "whole number of elements"),
        ("when: {x: {equals: 1}, any: {of: markets}}", "{of: markets}", "any takes"),
        ("when: {any: {in: markets, where: {x: {equals: 1}}, when: {}}}", "{}}}", "unexpected key 'when'"),
        ("when: {any: {in: markets, as: Bad-Name}}", "Bad-Name", "lower-case name"),
        ("when: {all_of: []}", "[]", "non-empty list"),
        ("when: {x: equals}", "equals}", "needs operators"),
        ("when: {x: {equals: {collect: country}}}", "country}}}", "collect needs"),
        ("when: {x: {equals: {add_days: [1]}}}", "[1]", "add_days takes"),
        ("when: {x: {equals: {oops: 1}}}", "{oops: 1}", "needs exactly one of"),
        ("when: {x..y: {equals: 1}}", "{equals: 1}", "malformed path"),
    ],
)
def test_other_compile_errors(tmp_path: Path, body: str, needle: str, fragment: str) -> None:
    text = rule_file(rule("HRDD-TST-001", f"{body}\nmessage: x"))
    err = compile_error(tmp_path, {"t.yaml": text})
    assert fragment in err.message
    assert_at(err, tmp_path, "t.yaml", text, needle)


def test_schema_problems_in_rule_files_name_file_and_line(tmp_path: Path) -> None:
    text = rule_file(rule("HRDD-TST-001", "when: {x: {present: true}}\nmessage: x", severity="severe"))
    err = compile_error(tmp_path, {"t.yaml": text})
    assert err.line == position_of(text, "severe")[0]


# ------------------------------------------------------------------------------ compiled once, run many


def test_no_expression_is_compiled_while_manifests_are_evaluated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, builtin_session: Session
) -> None:
    import re2

    from hrpolicy.language import compiler
    from hrpolicy.language import pack as rules

    custom = rule_file(
        rule(
            "HRDD-TST-001",
            """
            for_each: markets
            let: {langs: {collect: languages, from: markets, where: {country: {equals: $item.country}}}}
            when: {status: {in: $lists.live}, country: {matches: '^[A-Z]{2}$'}}
            require: {any: {in: assessments, as: a, where: {$a.scope.markets: {contains: $item.country}}}}
            message: "{item.country} ({langs}) {country.tier}"
            """,
        ),
        define="lists:\n  live: [planned, beta, launched]\n",
    )
    write_pack(tmp_path / "custom", {"t.yaml": custom})
    builtin = builtin_session
    mine = Harness(tmp_path, rule_dirs=[tmp_path / "custom"])
    texts = [
        manifest(BODY.replace("VN", code), product=f"p{i}")
        for i, code in enumerate(["VN", "TR", "SE", "CN"] * 10)
    ]
    paths = [mine.write(t) for t in texts]
    before = [(builtin.check(p, today=TODAY), mine.session.check(p, today=TODAY)) for p in paths]
    assert any(r.findings for pair in before for r in pair)  # type: ignore[union-attr]

    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("compiled while evaluating a manifest")

    for module in (compiler, rules):
        for name in dir(module):
            if name.startswith(("compile_", "_compile_")):
                monkeypatch.setattr(module, name, forbidden)
    monkeypatch.setattr(re2, "compile", forbidden)
    monkeypatch.setattr(re, "compile", forbidden)
    after = [(builtin.check(p, today=TODAY), mine.session.check(p, today=TODAY)) for p in paths]
    assert after == before

"""``rules lint``: a schema problem in a descriptive field is one line (never a traceback) and the rule's
logic is still checked; ``strings_under`` keys and rules iterating over ``$base``/``$manifest`` lists are
path-checked like any other rule."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from helpers import rule, rule_file, run_cli
from hrpolicy.plugins.operators import OPERATORS

from hrpolicy import api
from hrpolicy.errors import RuleError
from hrpolicy.language.pack import load_pack
from hrpolicy.model import ErrorRecord

PACK = Path(__file__).resolve().parents[2] / "rules"
OPS = {op.name: op for op in OPERATORS}

BODY = """
for_each: markets
require: {country: {present: true}}
message: "market {item.country}"
"""


def lint_dir(pack: Path) -> list[ErrorRecord]:
    """What ``rules lint`` reports for ``pack``, with the built-in facts and dataset fields."""
    return list(api.lint_rules([pack], autoload=False).problems)


def write(tmp_path: Path, text: str) -> Path:
    pack = tmp_path / "rules"
    pack.mkdir()
    (pack / "t.yaml").write_text(text, encoding="utf-8")
    return pack


def run_lint(pack: Path) -> subprocess.CompletedProcess[str]:
    return run_cli("rules", "lint", str(pack), cwd=pack.parent)


# A rule whose only schema problem is descriptive, written so that the problem sits on line 3 or later.
DESCRIPTIVE_PROBLEMS = {
    "no title": (
        rule("HRDD-TST-001", BODY).replace("  title: test rule\n", ""),
        "$.rules[0]: 'title' is a required property",
    ),
    "reference without section": (
        rule("HRDD-TST-001", BODY).replace('{framework: UNGP, section: "17"}', "{framework: UNGP}"),
        "$.rules[0].references[0]: 'section' is a required property",
    ),
    "tags not a list": (
        rule("HRDD-TST-001", BODY, meta="tags: 5"),
        "$.rules[0].tags: 5 is not of type 'array'",
    ),
    "rationale not text": (
        rule("HRDD-TST-001", BODY).replace("rationale: because", "rationale: 7"),
        "$.rules[0].rationale: 7 is not of type 'string'",
    ),
}


@pytest.mark.parametrize("case", sorted(DESCRIPTIVE_PROBLEMS))
def test_a_descriptive_schema_problem_is_one_line_not_a_traceback(tmp_path: Path, case: str) -> None:
    text, message = DESCRIPTIVE_PROBLEMS[case]
    pack = write(tmp_path, rule_file(text))
    proc = run_lint(pack)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "please report" not in proc.stderr, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[-1] == "1 rule files checked, 1 problem", proc.stdout
    assert len(lines) == 2, proc.stdout
    where, _, said = lines[0].partition(": ")
    path, line, col = where.split(":")
    assert path == "rules/t.yaml", lines[0]
    assert int(line) >= 3, lines[0]
    assert int(col) >= 1, lines[0]
    assert said == message
    records = lint_dir(pack)
    assert [r.message for r in records] == [message]


def test_a_rule_with_a_descriptive_problem_still_has_its_logic_checked(tmp_path: Path) -> None:
    body = BODY.replace("{item.country}", "{item.countri}")
    pack = write(tmp_path, rule_file(rule("HRDD-TST-001", body, meta="tags: 5")))
    messages = [r.message for r in lint_dir(pack)]
    assert len(messages) == 2, messages
    assert messages[0] == "$.rules[0].tags: 5 is not of type 'array'"
    assert messages[1].startswith("path `countri` does not exist in an entry of `markets`")


def test_ill_typed_descriptive_fields_are_reported_without_a_crash(tmp_path: Path) -> None:
    text = (
        rule("HRDD-TST-001", BODY)
        .replace("title: test rule", "title: [a]")
        .replace("remediation: do the thing", "remediation: {a: 1}")
        .replace('[{framework: UNGP, section: "17"}]', "[5, {framework: UNGP, section: [1]}]")
    )
    text += rule(
        "HRDD-TST-002", "when: {product: {present: true}}\nmessage: x", meta="tags: [[1], 2]"
    ).replace('[{framework: UNGP, section: "17"}]', "5")
    messages = [r.message for r in lint_dir(write(tmp_path, rule_file(text)))]
    assert messages == [
        "$.rules[0].title: ['a'] is not of type 'string'",
        "$.rules[0].references[0]: 5 is not of type 'object'",
        "$.rules[0].references[1].section: [1] is not of type 'string', 'integer'",
        "$.rules[0].remediation: {'a': 1} is not of type 'string'",
        "$.rules[1].references: 5 is not of type 'array'",
        "$.rules[1].tags[0]: [1] is not of type 'string'",
        "$.rules[1].tags[1]: 2 is not of type 'string'",
    ]


def test_check_still_refuses_the_pack_at_the_schema_problem(tmp_path: Path) -> None:
    text, message = DESCRIPTIVE_PROBLEMS["tags not a list"]
    pack = write(tmp_path, rule_file(text))
    with pytest.raises(RuleError) as raised:
        load_pack([pack], OPS)
    assert raised.value.message == message


def test_a_misspelt_strings_under_key_is_reported_at_the_key(tmp_path: Path) -> None:
    body = """
    for_each: {strings_under: [assesments, waivers, x-notes, transparency.reports]}
    when: {$item: {matches: "@"}}
    message: found
    """
    text = rule_file(rule("HRDD-TST-001", body))
    records = lint_dir(write(tmp_path, text))
    line = next(n for n, s in enumerate(text.splitlines(), 1) if "strings_under" in s)
    source = text.splitlines()[line - 1]
    assert [(r.line, r.column, r.message.split(";")[0]) for r in records] == [
        (line, source.index("assesments") + 1, "`assesments` is not a top-level key of the manifest"),
        (
            line,
            source.index("transparency.reports") + 1,
            "`transparency.reports` is not a top-level key of the manifest",
        ),
    ]
    assert "the manifest has assessments, " in records[0].message


@pytest.mark.parametrize("source", ["$base.markets", "$manifest.markets"])
def test_a_rule_over_a_reference_is_checked_against_the_list_entries(tmp_path: Path, source: str) -> None:
    body = f"""
    for_each: {source}
    when: {{statuz: {{equals: launched}}, country: {{present: true}}}}
    require: {{none: {{in: markets, where: {{country: {{equals: $item.country}}}}}}}}
    message: "{{item.country}} was {{item.stauts}}"
    """
    messages = [r.message for r in lint_dir(write(tmp_path, rule_file(rule("HRDD-TST-001", body))))]
    assert len(messages) == 2, messages
    assert all(m.startswith("path `") and "does not exist in an entry of `markets`" in m for m in messages)
    assert {m.split("`")[1] for m in messages} == {"statuz", "stauts"}


def test_the_shipped_pack_is_clean() -> None:
    assert lint_dir(PACK) == []


# --- literals a value can never have ----------------------------------------------------------------------

NEVER = [
    (
        "for_each: markets\nwhen: {status: {equals: ga}}\nmessage: m",
        "`status` can never be 'ga': the values are beta, exiting, launched, planned, withdrawn",
    ),
    (
        "for_each: markets\nwhen: {$country.tier: {equals: Not Free}}\nmessage: m",
        "`$country.tier` can never be 'Not Free': the values are elevated, high, low, unassessed "
        "('Not Free' is a value of $country.status_label)",
    ),
    (
        "for_each: features\nwhen: {tags: {contains_any: [biometric, face_recognition]}}\nmessage: m",
        "`tags` can never hold 'biometric': the values are ai_high_risk, automated_moderation, biometrics, "
        "calls, facial_recognition, identity_verification, messaging, minors, precise_location, "
        "private_storage, profiling, public_area_monitoring, recommender, targeted_ads; did you mean "
        "'biometrics'?",
    ),
    (
        "for_each: features\nwhen: {tags: {contains_any: [biometric, face_recognition]}}\nmessage: m",
        "did you mean 'facial_recognition'?",
    ),
    (
        "for_each: data_stores\nwhen: {data_categories: {contains: biometrics}}\nmessage: m",
        "`data_categories` can never hold 'biometrics'",
    ),
    (
        "for_each: markets\nwhen: {country: {in: [UK, VN]}}\nmessage: m",
        "`country` can never be 'UK': 'UK' is not an ISO 3166-1 alpha-2 country code (use 'GB')",
    ),
    (
        "for_each: markets\nwhen: {$country.groups: {contains: EU}}\nmessage: m",
        "`$country.groups` can never hold 'EU': the values are eu, eu001; did you mean 'eu'?",
    ),
    (
        "for_each: markets\nwhen: {$country.status: {in: [not_free, unrated]}}\nmessage: m",
        "`$country.status` can never be 'unrated': the values are free, not_covered, not_free, partly_free",
    ),
    (
        "when: {any: {in: markets, as: m, where: {$m.status: {not_equals: live}}}}\nmessage: m",
        "`$m.status` can never be 'live'",
    ),
    (
        "for_each: features\nwhen: {tags: {contains_any: $lists.t_face}}\nmessage: m",
        "`tags` can never hold 'face' (in $lists.t_face)",
    ),
]


@pytest.mark.parametrize(("body", "message"), NEVER)
def test_lint_finds_a_literal_that_can_never_match(tmp_path: Path, body: str, message: str) -> None:
    pack = write(tmp_path, rule_file(rule("HRDD-TST-001", body), define="lists: {t_face: [face, minors]}"))
    found = [p.message for p in lint_dir(pack)]
    assert any(message in m for m in found), found
    assert all("can never" in m for m in found), found  # nothing else is wrong with these rules


@pytest.mark.parametrize(
    "body",
    [
        "for_each: markets\nwhen: {status: {in: [planned, beta]}, country: {equals: VN}}\nmessage: m",
        "for_each: markets\nwhen: {$country.tier: {equals: unassessed}, $country.groups: {contains: eu}}\n"
        "message: m",
        "for_each: features\nwhen: {tags: {contains_any: [biometrics, facial_recognition]}}\nmessage: m",
        "for_each: markets\nwhen: {x-acme-owner: {equals: anyone}, data_residency.law: {equals: any}}\n"
        "message: m",
        "for_each: markets\nwhen: {$country.code: {in: [VN, GB]}, status: {equals: $item.status}}\n"
        "message: m",
    ],
)
def test_lint_accepts_values_that_can_match(tmp_path: Path, body: str) -> None:
    pack = write(tmp_path, rule_file(rule("HRDD-TST-001", body)))
    assert lint_dir(pack) == []


# --- $country inside a quantifier ---------------------------------------------------------------------------


def test_lint_reports_the_item_country_used_for_the_entries_of_another_list(tmp_path: Path) -> None:
    body = "for_each: features\nwhen: {id: {present: true}}\nmessage: m\n"
    escalate = (
        "escalate:\n"
        "  - when: {any: {in: markets, where: {$country.status: {equals: not_free}}}}\n"
        "    severity: critical"
    )
    pack = write(tmp_path, rule_file(rule("HRDD-TST-001", body, meta=escalate)))
    (problem,) = lint_dir(pack)
    assert problem.message == (
        "`$country.status` inside `any` over an entry of `markets` of the manifest is the rule item's "
        "country, not the entry's: add `country_as: NAME` to the `any` and write `${NAME}.status` for the "
        "entry's country"
    )
    assert problem.line is not None


@pytest.mark.parametrize(
    "where",
    [
        "{any: {in: markets, country_as: mc, where: {$mc.status: {equals: not_free}}}}",
        "{any: {in: markets, where: {country: {not_equals: $country.code}}}}",  # the item's own code
        "{any: {in: assessments, where: {date: {not_older_than_days: $country.max_age_days}}}}",  # no country
    ],
)
def test_lint_accepts_country_as_and_deliberate_uses(tmp_path: Path, where: str) -> None:
    pack = write(tmp_path, rule_file(rule("HRDD-TST-001", f"for_each: features\nwhen: {where}\nmessage: m")))
    assert lint_dir(pack) == []


def test_a_country_as_name_is_checked_like_country(tmp_path: Path) -> None:
    where = (
        "{any: {in: markets, country_as: mc, "
        "where: {$mc.tier: {equals: Not Free}, $mc.tierr: {present: true}}}}"
    )
    pack = write(tmp_path, rule_file(rule("HRDD-TST-001", f"when: {where}\nmessage: m")))
    found = [p.message for p in lint_dir(pack)]
    assert any("`$mc.tier` can never be 'Not Free'" in m for m in found), found
    assert any("unknown country fact 'tierr'" in m for m in found), found


def test_a_malformed_definition_does_not_stop_lint(tmp_path: Path) -> None:
    body = "for_each: markets\nwhen: {status: {equals: ga}, staus: {present: true}, use: p1}\nmessage: m"
    define = "lists: {a: notalist}\npredicates:\n  p1: {status: {equal: approved}}\n  p2: {x: 1}\nlsts: {}"
    pack = write(tmp_path, rule_file(rule("HRDD-TST-001", body), define=define))
    found = [p.message for p in lint_dir(pack)]
    expected = [
        "$.define.lists.a: 'notalist' is not of type 'array'",
        "unknown operator 'equal' (did you mean 'equals'?)",
        "`status` can never be 'ga'",
        "path `staus` does not exist",
        "'lsts'",
    ]
    for text in expected:
        assert any(text in m for m in found), (text, found)
    proc = run_lint(pack)
    assert proc.returncode == 2
    assert proc.stdout.endswith(f"1 rule files checked, {len(found)} problems\n")


def test_lint_checks_paths_into_the_effective_waivers(tmp_path: Path) -> None:
    body = (
        "for_each: $waivers\n"
        "require: {expirs: {within_next_days: 180}, expires: {within_next_days: 180}}\n"
        "message: m"
    )
    pack = write(tmp_path, rule_file(rule("HRDD-TST-001", body)))
    (problem,) = lint_dir(pack)
    assert (
        "path `expirs` does not exist in an entry of `$waivers`; an entry of `$waivers` has approver, expires"
        in problem.message
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("for_each: markets\nwhen: {status: {in: [1, true]}}\nmessage: m", "`status` can never be 1"),
        (
            "for_each: markets\nwhen: {$country.tier: {equals: 3}}\nmessage: m",
            "`$country.tier` can never be 3",
        ),
    ],
)
def test_lint_reports_a_number_compared_with_text_values(tmp_path: Path, body: str, message: str) -> None:
    pack = write(tmp_path, rule_file(rule("HRDD-TST-001", body)))
    assert any(message in p.message for p in lint_dir(pack))


@pytest.mark.parametrize(
    "body",
    [
        "for_each: markets\nwhen: {status: {equals: {literal: [launched]}}}\nmessage: m",
        "for_each: markets\nwhen: {status: {in: $lists.nested}}\nmessage: m",
        "for_each: markets\nwhen: {languages: {subset_of: [de, en, xx-not-a-language]}}\nmessage: m",
        "when: {any: {in: data_stores, country_as: dc, where: {$dc.risk: {not_equals: $country.risk}}}}\n"
        "message: m",
        "for_each: $waivers\nwhen: {products: {contains: p}}\nmessage: m",
    ],
)
def test_lint_never_crashes_or_flags_these(tmp_path: Path, body: str) -> None:
    pack = write(
        tmp_path, rule_file(rule("HRDD-TST-001", body), define="lists: {nested: [[launched], planned]}")
    )
    assert lint_dir(pack) == []

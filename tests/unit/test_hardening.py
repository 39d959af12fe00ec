"""Regressions for problems found in review: rule-language edge cases, output injection, caches, pipes."""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import subprocess
from pathlib import Path

import pytest
from helpers import HRPOLICY, REPO, Harness, manifest, rule, rule_file, run_cli, write_pack
from hypothesis import given, settings
from hypothesis import strategies as st

from hrpolicy.errors import RuleError
from hrpolicy.files import blake2b, sha256
from hrpolicy.load.cache import cached_document
from hrpolicy.load.yaml import load_yaml

TWO_MARKETS = """
markets:
  - {country: VN, status: launched}
  - {country: DE, status: launched}
"""


def harness(tmp_path: Path, body: str, define: str = "", meta: str = "") -> Harness:
    return Harness(tmp_path, {"t.yaml": rule_file(rule("HRDD-TST-001", body, meta=meta), define=define)})


def compile_error(tmp_path: Path, body: str, define: str = "") -> RuleError:
    with pytest.raises(RuleError) as info:
        harness(tmp_path, body, define)
    return info.value


def test_a_let_first_used_inside_a_quantifier_still_reads_the_item(tmp_path: Path) -> None:
    h = harness(
        tmp_path,
        """
        for_each: markets
        let: {live: {if: {status: {equals: launched}}, then: yes, else: no}}
        require: {any: {in: assessments, where: {id: {equals: $live}}}}
        message: "{item.country} {live}"
        """,
    )
    found = h.findings(
        manifest(TWO_MARKETS + "assessments: [{id: x, type: hria, date: 2026-01-01, status: draft}]")
    )
    assert [f.message for f in found] == ["VN yes", "DE yes"]


def test_a_value_reading_the_country_through_a_predicate_follows_each_item(tmp_path: Path) -> None:
    h = harness(
        tmp_path,
        "for_each: markets\nwhen: {$values.risky: {equals: true}}\nmessage: '{item.country}'",
        define="""
        predicates: {high: {$country.tier: {equals: high}}}
        values: {risky: {if: {use: high}, then: true, else: false}}
        """,
    )
    for order in (TWO_MARKETS, "markets: [{country: DE, status: launched}, {country: VN, status: launched}]"):
        assert [f.message for f in h.findings(manifest(order))] == ["VN"]


def test_values_that_need_each_other_are_a_compile_error(tmp_path: Path) -> None:
    err = compile_error(
        tmp_path,
        "when: {$values.a: {present: true}}\nmessage: x",
        define="values: {a: {if: {$values.b: {present: true}}, then: 1, else: 2}, b: $values.a}",
    )
    assert "values need each other: a -> b -> a" in err.message
    assert err.line is not None


@pytest.mark.parametrize("name", ["manifest", "item", "country", "values", "m"])
def test_as_names_cannot_hide_built_ins_or_outer_names(tmp_path: Path, name: str) -> None:
    body = f"""
    when:
      any:
        in: markets
        as: m
        where:
          any: {{in: markets, as: {name}, where: {{status: {{present: true}}}}}}
    message: x
    """
    assert "already taken" in compile_error(tmp_path, body).message


def test_x_keys_in_define_are_ignored(tmp_path: Path) -> None:
    h = harness(
        tmp_path,
        "for_each: markets\nwhen: {status: {in: $lists.live}}\nmessage: x",
        define="x-notes: {owner: policy team}\nlists: {live: [launched], x-todo: [beta]}",
    )
    assert len(h.findings(manifest(TWO_MARKETS))) == 2


def test_a_country_list_is_flattened_before_the_riskiest_is_chosen(tmp_path: Path) -> None:
    h = harness(
        tmp_path,
        """
        for_each: assessments
        country: [$item.scope.markets, DE]
        when: {status: {present: true}}
        message: "{country.code}"
        """,
    )
    body = "assessments: [{id: a, type: hria, date: 2026-01-01, status: draft, scope: {markets: [VN]}}]"
    assert [f.message for f in h.findings(manifest(body))] == ["VN"]


def test_literal_arguments_are_prepared_at_compile_time(tmp_path: Path) -> None:
    err = compile_error(tmp_path, "when: {product.name: {matches: {literal: '(a'}}}\nmessage: x")
    assert "RE2 rejects" in err.message


def test_missing_equals_missing_is_false(tmp_path: Path) -> None:
    h = harness(tmp_path, "for_each: markets\nwhen: {context: {equals: $item.launch_date}}\nmessage: x")
    assert h.findings(manifest(TWO_MARKETS)) == []


def test_true_is_not_one_in_membership(tmp_path: Path) -> None:
    h = harness(tmp_path, "for_each: data_stores\nwhen: {encryption.at_rest: {in: [1]}}\nmessage: x")
    body = "data_stores: [{id: s, country: DE, encryption: {at_rest: true}}]"
    assert h.findings(manifest(body)) == []


def test_huge_month_counts_are_simply_false(tmp_path: Path) -> None:
    h = harness(tmp_path, "for_each: markets\nwhen: {launch_date: {older_than_months: 30000}}\nmessage: x")
    assert h.findings(manifest("markets: [{country: DE, status: launched, launch_date: 2020-01-01}]")) == []


def test_redacting_rules_never_show_item_data_through_lets_or_the_manifest(tmp_path: Path) -> None:
    h = harness(
        tmp_path,
        """
        for_each: {strings_under: [assessments]}
        let: {hit: $item}
        when: {$item: {matches: '@'}}
        message: "{hit} {item} {manifest.product.name} in {country.name}"
        """,
        meta="redact: true",
    )
    body = (
        "markets: [{country: VN, status: planned}]\n"
        "assessments: [{id: a, type: hria, date: 2026-01-01, status: draft, evidence: x@y.org}]"
    )
    (finding,) = h.findings(manifest(body))
    assert "x@y.org" not in finding.message
    assert finding.message == "[redacted] [redacted] [redacted] in Vietnam"


def test_central_waivers_in_error_are_not_applied(tmp_path: Path) -> None:
    files = {
        "t.yaml": rule_file(
            rule(
                "HRDD-TST-001",
                "for_each: markets\nwhen: {status: {present: true}}\nmessage: x",
                meta="waivable: false",
            )
        ),
        "waivers.yaml": (
            "waivers:\n  - {rule: HRDD-TST-001, reason: r, approver: {role: gc}, expires: 2027-01-01}\n"
        ),
    }
    h = Harness(tmp_path, files)
    assert h.session.central_errors
    assert "cannot be waived" in h.session.central_errors[0].message
    assert all(not f.waived for f in h.findings(manifest(TWO_MARKETS)))


def test_a_trailing_newline_does_not_satisfy_an_anchored_pattern(tmp_path: Path) -> None:
    h = harness(tmp_path, "when: {product: {present: true}}\nmessage: x")
    errors = h.errors('schema_version: 1\nproduct: {id: "acme\\n", name: A}\n')
    assert any("$.product.id" in e.message for e in errors)


def test_text_output_never_carries_manifest_control_characters(tmp_path: Path) -> None:
    text = manifest(
        TWO_MARKETS
        + "waivers:\n"
        + '  - {rule: HRDD-MKT-001, reason: "ok\\n::error file=x,line=1::forged \\u001b[2J \\u202e",'
        + ' approver: {role: gc}, ticket: "T\\n::warning::x", expires: 2027-01-01}\n'
    )
    folder = tmp_path / "evil\n::error file=README.md,line=1::forged"
    folder.mkdir()
    (folder / "hrpolicy.yaml").write_text(text, encoding="utf-8")
    proc = run_cli("check", str(tmp_path), "--today", "2026-11-28", cwd=tmp_path)
    assert proc.returncode in (0, 1), proc.stderr
    assert "forged" in proc.stdout  # the text is there, made harmless
    for line in (proc.stdout + proc.stderr).splitlines():
        assert not line.lstrip().startswith("::"), line
    assert "\x1b" not in proc.stdout
    assert "\u202e" not in proc.stdout


def test_rule_errors_are_one_line_even_for_keys_with_newlines(tmp_path: Path) -> None:
    err = compile_error(tmp_path, 'when: {"a\\nb": 1}\nmessage: x')
    assert "\n" not in str(err)


def test_base_refs_that_look_like_options_are_refused(tmp_path: Path) -> None:
    (tmp_path / "hrpolicy.yaml").write_text(manifest(), encoding="utf-8")
    proc = run_cli("check", "--today", "2026-11-28", "--base=--output=/tmp/x", cwd=tmp_path)
    assert proc.returncode == 2
    assert "is not a git ref" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_closed_pipe_keeps_the_verdict(tmp_path: Path) -> None:
    for i in range(40):
        folder = tmp_path / f"m{i}"
        folder.mkdir()
        (folder / "hrpolicy.yaml").write_text(manifest("markets: [{country: VN, status: planned}]"), "utf-8")
    proc = subprocess.run(
        f"'{HRPOLICY}' check --today 2026-11-28 --format json . | head -c 10 >/dev/null;"
        " echo ${PIPESTATUS[0]}",
        shell=True,
        executable="/bin/bash",
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.stdout.strip() == "1", proc.stderr
    assert "Traceback" not in proc.stderr
    assert "Exception ignored" not in proc.stderr


def test_reports_get_ordinary_permissions(tmp_path: Path) -> None:
    (tmp_path / "hrpolicy.yaml").write_text(manifest(), encoding="utf-8")
    proc = run_cli("check", "--today", "2026-11-28", "--format", "json=out/report.json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    mode = (tmp_path / "out" / "report.json").stat().st_mode & 0o777
    mask = os.umask(0)
    os.umask(mask)
    assert mode == 0o666 & ~mask
    assert json.loads((tmp_path / "out" / "report.json").read_text())["schema_version"] == 1


def test_a_foreign_cache_entry_is_a_miss_not_a_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    source = REPO / "rules" / "mkt.yaml"
    first = cached_document(source, "mkt.yaml", "rules", load_yaml, 1 << 20)
    entries = list((tmp_path / "cache" / "hrpolicy" / "documents").iterdir())
    assert len(entries) == 1
    for forged in (
        b"\xe9(1, 2)",  # garbage
        marshal.dumps(({}, {})),  # the old entry shape with nothing in it: it would remove every rule
        marshal.dumps(("0" * 64, {}, {"": (1, 1)})),  # well-formed, but for other bytes
        marshal.dumps((hashlib.blake2b(source.read_bytes()).hexdigest(), {}, {"/x": [1, 1]})),  # bad marks
    ):
        entries[0].write_bytes(forged)
        again = cached_document(source, "mkt.yaml", "rules", load_yaml, 1 << 20)
        assert again.data == first.data


def test_a_poisoned_cache_entry_cannot_make_a_run_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "hrpolicy.yaml").write_text(manifest("markets: [{country: VN, status: launched}]"), "utf-8")
    assert run_cli("check", "--today", "2026-11-28", cwd=tmp_path).returncode == 1
    entries = list((tmp_path / "cache" / "hrpolicy" / "documents").iterdir())
    assert entries
    for entry in entries:
        entry.write_bytes(marshal.dumps(({}, {})))
    assert run_cli("check", "--today", "2026-11-28", cwd=tmp_path).returncode == 1
    import pickle

    derived = [*(tmp_path / "cache" / "hrpolicy").glob("*/*.pickle")]
    assert {p.parent.name for p in derived} == {"packs", "countries"}
    for forged in (b"garbage", pickle.dumps({}), pickle.dumps(None)):  # an empty pack, no countries
        for entry in derived:
            entry.write_bytes(forged)
        assert run_cli("check", "--today", "2026-11-28", cwd=tmp_path).returncode == 1


def test_a_same_size_rewrite_with_restored_mtime_is_not_served_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    pack = write_pack(
        tmp_path / "rules",
        {"t.yaml": rule_file(rule("HRDD-TST-001", "when: {product: {present: true}}\nmessage: x"))},
    )
    path = pack / "t.yaml"
    before = Harness(tmp_path / "a", rule_dirs=[pack]).session.pack.infos[0].severity
    st = path.stat()
    path.write_text(path.read_text().replace("severity: high", "severity: low "), encoding="utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size
    after = Harness(tmp_path / "b", rule_dirs=[pack]).session.pack.infos[0].severity
    assert (before, after) == ("high", "low")


def test_a_redacting_rule_may_show_labels_it_chose_itself(tmp_path: Path) -> None:
    h = harness(
        tmp_path,
        """
        for_each: {strings_under: [assessments]}
        when: {$item: {matches: '@'}}
        let:
          kind: {if: {$item: {matches: '[.]org'}}, then: an org address, else: {literal: another address}}
          leak: {if: {$item: {matches: '[.]org'}}, then: $item, else: none}
        message: "{kind} / {leak}"
        """,
        meta="redact: true",
    )
    body = "assessments: [{id: a, type: hria, date: 2026-01-01, status: draft, evidence: x@y.org}]"
    (finding,) = h.findings(manifest(body))
    assert finding.message == "an org address / [redacted]"


def test_a_cut_form_of_a_redacted_text_is_scrubbed_from_other_rules_messages(tmp_path: Path) -> None:
    files = {
        "t.yaml": rule_file(
            rule(
                "HRDD-TST-001",
                "for_each: {strings_under: [assessments]}\nwhen: {$item: {matches: '@'}}\nmessage: found",
                meta="redact: true\nwaivable: false",
            ),
            rule(
                "HRDD-TST-002",
                "let: {ids: {collect: id, from: assessments}}\n"
                "when: {product: {present: true}}\nmessage: '{ids}'",
            ),
        )
    }
    h = Harness(tmp_path, files)
    secret = "hria-vn-2026-consulted jane.doe@example.org"
    found = h.findings(
        manifest(f"assessments: [{{id: '{secret}', type: hria, date: 2026-01-01, status: draft}}]")
    )
    other = next(f for f in found if f.rule == "HRDD-TST-002")
    assert "jane.doe" not in other.message
    assert "[redacted]" in other.message


def test_findings_on_different_keys_of_one_mapping_have_different_fingerprints(tmp_path: Path) -> None:
    h = harness(
        tmp_path,
        "for_each: {strings_under: [assessments]}\nwhen: {$item: {matches: '@'}}\nmessage: found",
        meta="redact: true",
    )
    body = (
        "assessments: [{id: a, type: hria, date: 2026-01-01, status: draft,"
        " x-notes: {a@b.org: 1, c@d.org: 2, e@f.org: 3}}]"
    )
    found = h.findings(manifest(body))
    assert len(found) == 3
    assert len({f.fingerprint for f in found}) == 3
    assert all(f.location.pointer == "/assessments/0/x-notes" for f in found)


def test_schema_errors_do_not_quote_what_the_redacting_rules_find(tmp_path: Path) -> None:
    (tmp_path / "hrpolicy.yaml").write_text(
        manifest(
            "assessments:\n  - {id: a, type: hria, date: 2026-01-01, status: draft, jane.doe@ngo.org: x}\n"
        ),
        encoding="utf-8",
    )
    proc = run_cli("check", "--today", "2026-11-28", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 2
    assert "jane.doe" not in proc.stdout + proc.stderr
    assert "unexpected key '[redacted]'" in proc.stderr


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=4096))
def test_the_builtin_hashes_are_hashlibs(data: bytes) -> None:
    # Fingerprints and cache keys must not change with the module that computes them.
    for ours, theirs in ((sha256, hashlib.sha256), (blake2b, hashlib.blake2b)):
        assert ours(data).hexdigest() == theirs(data).hexdigest()
        digest = ours(data[:7])
        digest.update(data[7:])
        assert digest.hexdigest() == theirs(data).hexdigest()


def cached_entries(tmp_path: Path, kind: str) -> list[Path]:
    return sorted((tmp_path / "cache" / "hrpolicy" / kind).glob("*.pickle"))


PLUGIN_RULE = rule(
    "HRDD-TST-001", "for_each: markets\nwhen: {country: {counted: VN}}\nmessage: x in {country}"
)
VN_RULE = rule("HRDD-TST-001", "for_each: markets\nwhen: {country: {equals: VN}}\nmessage: m")


def test_a_cached_pack_finds_what_the_files_find(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    files = {"t.yaml": rule_file(VN_RULE)}
    first = Harness(tmp_path / "a", files)
    assert len(cached_entries(tmp_path, "packs")) == 1
    again = Harness(tmp_path / "b", files)  # the same files elsewhere: another entry, another display path
    assert len(cached_entries(tmp_path, "packs")) == 2
    third = Harness(tmp_path / "a", rule_dirs=[tmp_path / "a" / "rules"])  # from the cache
    assert len(cached_entries(tmp_path, "packs")) == 2
    found = [[f.rule for f in h.findings(manifest(TWO_MARKETS))] for h in (first, again, third)]
    assert found == [["HRDD-TST-001"]] * 3
    assert third.session.pack.infos == first.session.pack.infos
    monkeypatch.setenv("HRPOLICY_NO_CACHE", "1")
    assert (
        Harness(tmp_path / "a", rule_dirs=[tmp_path / "a" / "rules"]).session.pack.infos
        == first.session.pack.infos
    )


def test_a_cached_pack_that_no_longer_compiles_is_reported_at_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_compiler import counting_plugin

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with_plugin = Harness(tmp_path, {"t.yaml": rule_file(PLUGIN_RULE)}, plugins=[counting_plugin([])])
    assert with_plugin.findings(manifest(TWO_MARKETS))
    assert cached_entries(tmp_path, "packs")
    with pytest.raises(RuleError) as info:  # the operator's plugin is gone: the file's line, not 1:1
        Harness(tmp_path, rule_dirs=[tmp_path / "rules"])
    assert "counted" in info.value.message
    assert info.value.line == 10


def test_a_hostile_cache_entry_is_never_unpickled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    files = {"t.yaml": rule_file(VN_RULE)}
    Harness(tmp_path, files)
    marker = tmp_path / "ran"

    class Touch:  # unpickling this would create the marker file
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return os.system, (f"touch {marker}",)

    import pickle

    def text(value: str) -> bytes:
        return pickle.SHORT_BINUNICODE + bytes([len(value)]) + value.encode()

    command = text(f"touch {marker}") + pickle.TUPLE1 + pickle.REDUCE + pickle.STOP
    forged = [
        pickle.dumps(Touch()),
        # os.system reached through a dotted name inside a module whose classes the pack is made of
        b"\x80\x04"
        + text("hrpolicy.language.pack")
        + text("contextlib.os.system")
        + pickle.STACK_GLOBAL
        + command,
        # a function (not a class) of such a module
        b"\x80\x04" + text("hrpolicy.language.tree") + text("walk") + pickle.STACK_GLOBAL + command,
    ]
    for blob in forged:
        for entry in cached_entries(tmp_path, "packs") + cached_entries(tmp_path, "countries"):
            entry.write_bytes(blob)
        h = Harness(tmp_path, rule_dirs=[tmp_path / "rules"])
        assert not marker.exists()
        assert [f.rule for f in h.findings(manifest(TWO_MARKETS))] == ["HRDD-TST-001"]


@given(
    st.text(
        st.one_of(
            st.characters(), st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=[])
        ),
        max_size=30,
    )
)
def test_the_first_surrogate_is_found_as_a_regular_expression_finds_it(text: str) -> None:
    import re

    from hrpolicy.load.events import first_surrogate

    found = re.search("[\ud800-\udfff]", text)
    assert first_surrogate(text) == (found.group() if found else None)


def test_a_text_may_hide_an_identifier_only_behind_these_characters() -> None:
    from hrpolicy.identifiers import _worth_a_look

    for hiding in ("a@b", "50%41", "&#64;", "a\\u0040b", "ａ＠ｂ", "a﹫b"):
        assert _worth_a_look(f"x {hiding} y"), hiding


def test_a_pack_that_changed_while_being_read_is_not_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hrpolicy.language import pack

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    write_pack(tmp_path / "rules", {"t.yaml": rule_file(VN_RULE)})
    path = tmp_path / "rules" / "t.yaml"
    original = path.read_text(encoding="utf-8")
    real = pack.load_checked

    def edited_meanwhile(*args: object, **kwargs: object) -> object:
        # An editor saves the file after the cache key was taken from its bytes, before it is read.
        path.write_text(original.replace("severity: high", "severity: low"), encoding="utf-8")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pack, "load_checked", edited_meanwhile)
    assert Harness(tmp_path / "a", rule_dirs=[tmp_path / "rules"]).session.pack.infos[0].severity == "low"
    assert not cached_entries(tmp_path, "packs")  # the bytes read are not those the key was taken from
    monkeypatch.setattr(pack, "load_checked", real)
    path.write_text(original, encoding="utf-8")
    assert Harness(tmp_path / "b", rule_dirs=[tmp_path / "rules"]).session.pack.infos[0].severity == "high"

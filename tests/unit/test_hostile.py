"""Attacks on the tool from a hostile or careless contributor (docs/security.md): each test is one way the
tool leaked, crashed, hung or passed silently, and fails on the code before the fix.

Confidential data never reaches an output; bad input is exit 2 with one line, never exit 3, a hang or a
pass; reports never replace what is not theirs; no output line can start a GitHub workflow command.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import time
from pathlib import Path

import pytest
from helpers import REPO, TODAY, manifest, rule, rule_file, run_cli, run_installed, write_pack

from hrpolicy import identifiers

T = ("--today", TODAY.isoformat())
ADDRESS = "jane.doe@ngo.org"
NUMBER = "+49 151 12345678"


def check(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    proc = run_cli("check", *args, *T, cwd=tmp_path, env=env)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def leaks(text: str, secret: str) -> bool:
    """Whether ``secret`` (or its distinctive part) can be read in ``text``, after normalising both."""
    seen = identifiers.normalise(text).replace(" ", "")
    wanted = identifiers.normalise(secret).replace(" ", "")
    core = wanted.split("@")[0] + "@" if "@" in wanted else wanted[-8:]
    return wanted in seen or core in seen


# ------------------------------------------------------------------------------- redaction everywhere


@pytest.mark.parametrize(
    "status",
    [
        f'"\\u00a0{ADDRESS}"',  # a no-break space before the address
        f'"\\t{ADDRESS}"',  # a leading tab
        '"' + "x" * 50 + f' {ADDRESS}"',  # long enough to be cut mid-address
        f'"{ADDRESS.replace("@", "＠")}"',  # a full-width at sign
        f'"{ADDRESS.replace("@", "%40")}"',  # percent-encoded
        f'"{NUMBER}"',
        '"0049 151 12345678"',
    ],
)
def test_schema_errors_never_show_an_identifier(tmp_path: Path, status: str) -> None:
    (tmp_path / "hrpolicy.yaml").write_text(
        manifest(f"markets: [{{country: DE, status: {status}}}]"), "utf-8"
    )
    proc = check(tmp_path, "--format", "json")
    assert proc.returncode == 2
    for secret in (ADDRESS, NUMBER):
        assert not leaks(proc.stdout + proc.stderr, secret), proc.stderr


def test_a_key_with_an_apostrophe_in_a_json_path_is_withheld(tmp_path: Path) -> None:
    text = manifest(f'markets: [{{country: DE, status: launched, "o\'{ADDRESS}": 1}}]')
    (tmp_path / "hrpolicy.yaml").write_text(text, "utf-8")
    proc = check(tmp_path)
    assert proc.returncode == 2
    assert not leaks(proc.stderr, ADDRESS)


@pytest.mark.parametrize(
    "body",
    [
        f"{ADDRESS}: 1\n{ADDRESS}: 2\n",  # duplicate keys are named in the error
        f'x-note: !!int "{NUMBER}"\n',  # a tagged value that is not what its tag says
        f"x-note: !{ADDRESS} x\n",  # an unknown tag
    ],
)
def test_errors_raised_while_reading_never_show_an_identifier(tmp_path: Path, body: str) -> None:
    (tmp_path / "hrpolicy.yaml").write_text(manifest() + body, "utf-8")
    proc = check(tmp_path)
    assert proc.returncode == 2
    assert not leaks(proc.stderr, ADDRESS)
    assert not leaks(proc.stderr, NUMBER)


def test_errors_about_the_base_manifest_never_show_an_identifier(tmp_path: Path) -> None:
    env = {"GIT_CEILING_DIRECTORIES": str(tmp_path.parent), "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}  # fmt: skip
    git = ["git", "-C", str(tmp_path)]
    subprocess.run([*git, "init", "-q"], check=True, env={**os.environ, **env})
    bad = manifest(f"markets: [{{country: DE, status: '{ADDRESS}'}}]")
    (tmp_path / "hrpolicy.yaml").write_text(bad, "utf-8")
    subprocess.run([*git, "add", "-A"], check=True, env={**os.environ, **env})
    subprocess.run([*git, "commit", "-qm", "base"], check=True, env={**os.environ, **env})
    (tmp_path / "hrpolicy.yaml").write_text(manifest(), "utf-8")
    proc = check(tmp_path, "--base", "HEAD", "--format", "json", env=env)
    assert proc.returncode == 0
    notices = [f["message"] for r in json.loads(proc.stdout)["results"] for f in r["findings"]]
    assert notices  # the invalid base is reported, one notice per change-aware rule ...
    assert all("as committed at HEAD is invalid" in m and "[redacted]" in m for m in notices)
    assert not leaks(proc.stdout + proc.stderr, ADDRESS)  # ... without the address it holds


def test_a_central_waiver_holding_an_identifier_is_an_error_never_shown_nor_cached(tmp_path: Path) -> None:
    pack = write_pack(
        tmp_path / "rules",
        {
            "t.yaml": rule_file(
                rule("HRDD-TST-001", "for_each: markets\nwhen: {country: {present: true}}\nmessage: x")
            ),
            "waivers.yaml": "waivers:\n  - {rule: HRDD-TST-001, reason: 'ask " + ADDRESS + "', approver: "
            "{role: gc}, expires: 2027-01-01}\n",
        },
    )
    (tmp_path / "hrpolicy.yaml").write_text(manifest("markets: [{country: DE, status: launched}]"), "utf-8")
    cache = tmp_path / "cache"
    proc = check(tmp_path, "--rules", str(pack), "--format", "json", env={"XDG_CACHE_HOME": str(cache)})
    assert proc.returncode == 2
    assert "personal identifier" in proc.stderr
    assert not leaks(proc.stdout + proc.stderr, ADDRESS)
    for entry in cache.rglob("*"):
        if entry.is_file():
            assert ADDRESS.encode() not in entry.read_bytes()


@pytest.mark.parametrize(
    "text",
    [
        "0049 151 12345678",
        "0532 123 45 67",
        "8 (495) 123-45-67",
        "138 0013 8000",
        "(11) 91234-5678",
        "1-202-555-0143",
        "+49.151.12345678",
        "wa.me/4915112345678",
        "https://t.me/+AbCdEf123",
        "jane＠ngo.org",
        "jane%40ngo.org",
    ],
)
def test_the_detector_knows_the_shapes_that_were_missed(text: str) -> None:
    assert identifiers.find(f"call {text} now"), text
    assert identifiers.shown(f"call {text} now") == "call [redacted] now"


@pytest.mark.parametrize(
    "text",
    [
        "count 12345678 users",
        "gps 48.856614, 2.352222",
        "v10.2.3 and 1.2.3.4",
        "2026-11-28 and 28.11.2026 and 2026-11-28T10:00:00Z",
        "epoch 1764288000 and 1764288000000",
        "Regulation (EU) 2016/679, Decree 53/2022/ND-CP, Law 116/2025/QH15",
        "ticket BHR-142-2026, range 75001-75020",
        "policy://gov-requests/user-data@v3 and map@2x.png",
    ],
)
def test_look_alikes_are_no_identifiers(text: str) -> None:
    assert identifiers.find(text) == []
    assert identifiers.shown(text) == text


def test_a_role_is_a_slug_so_a_name_does_not_fit(tmp_path: Path) -> None:
    waiver = "waivers: [{rule: HRDD-MKT-001, reason: r, approver: {role: Jane Doe}, expires: 2027-01-01}]"
    (tmp_path / "hrpolicy.yaml").write_text(manifest(waiver), "utf-8")
    proc = check(tmp_path)
    assert proc.returncode == 2
    assert "$.waivers[0].approver.role" in proc.stderr


# ------------------------------------------------------------------------------ crashes and hangs


def test_a_lone_surrogate_in_a_json_manifest_is_exit_2(tmp_path: Path) -> None:
    body = '{"schema_version": 1, "product": {"id": "p", "name": "P"}, "assessments": [{"id": "a", '
    body += '"type": "hria", "date": "2026-01-01", "status": "draft", "evidence": "x\\ud800y"}]}'
    (tmp_path / "hrpolicy.json").write_text(body, "utf-8")
    proc = check(tmp_path, "hrpolicy.json")
    assert proc.returncode == 2
    assert "lone surrogate" in proc.stderr
    assert proc.stderr.startswith("hrpolicy.json:1:")


def test_a_symlink_loop_named_like_a_manifest_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "svc").mkdir()
    os.symlink("hrpolicy.yaml", tmp_path / "svc" / "hrpolicy.yaml")
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "hrpolicy.yaml").write_text(manifest(), "utf-8")
    proc = check(tmp_path, ".")
    assert proc.returncode == 2
    assert proc.stderr == "svc/hrpolicy.yaml: refused: a loop of symbolic links\n"
    assert "2 manifests checked" in proc.stdout


def test_a_folder_whose_name_is_not_utf8_is_shown_escaped(tmp_path: Path) -> None:
    folder = os.fsdecode(bytes(tmp_path) + b"/bad\xff")
    os.mkdir(folder)
    Path(folder, "hrpolicy.yaml").write_text(manifest("markets: [{country: DE, status: launched}]"), "utf-8")
    text = check(tmp_path, ".")
    assert text.returncode == 1, text.stderr
    assert "bad\\xff/hrpolicy.yaml" in text.stdout
    data = json.loads(check(tmp_path, ".", "--format", "json").stdout)
    assert data["results"][0]["manifest"] == "bad\\xff/hrpolicy.yaml"


def test_a_fifo_named_like_a_manifest_is_refused_without_hanging(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "hrpolicy.yaml")
    start = time.monotonic()
    proc = check(tmp_path)
    assert time.monotonic() - start < 10
    assert proc.returncode == 2
    assert proc.stderr == "hrpolicy.yaml: refused: not a regular file\n"


@pytest.mark.parametrize(
    ("plugin", "message"),
    [
        ("raise SystemExit(0)\n", "SystemExit: 0"),
        ("raise RuntimeError('boom')\n", "RuntimeError: boom"),
        (
            "from hrpolicy import hookimpl\n\n@hookimpl\ndef hrpolicy_output_formatz():\n    return []\n",
            "hook",
        ),
    ],
)
def test_a_broken_plugin_is_exit_3_naming_it_and_never_a_pass(
    tmp_path: Path, plugin: str, message: str
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "badplug.py").write_text(plugin, "utf-8")
    dist = site / "badplug-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: badplug\nVersion: 1.0\n", "utf-8")
    (dist / "entry_points.txt").write_text("[hrpolicy]\nbad = badplug\n", "utf-8")
    (tmp_path / "hrpolicy.yaml").write_text(manifest(), "utf-8")
    env = {"PYTHONPATH": str(site), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    proc = run_installed("check", *T, cwd=tmp_path, env=env)
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.splitlines()[-1].startswith("hrpolicy: plugin 'bad': ")
    assert message in proc.stderr
    assert proc.stdout == ""


def test_rules_fmt_refuses_special_files_and_never_reads_a_huge_file_whole(tmp_path: Path) -> None:
    proc = run_cli("rules", "fmt", "/dev/zero", cwd=tmp_path)
    assert proc.returncode == 2
    assert "not a regular file" in proc.stderr
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as fh:
        fh.truncate(300 * 1024 * 1024)  # sparse: 300 MB that cost no disk
    proc = run_cli("rules", "fmt", str(huge), cwd=tmp_path)
    assert proc.returncode == 2
    assert "byte limit" in proc.stderr


def test_rules_test_is_linear_in_the_number_of_cases(tmp_path: Path) -> None:
    pack = write_pack(
        tmp_path / "rules",
        {
            "t.yaml": rule_file(
                rule("HRDD-TST-001", "for_each: markets\nwhen: {status: {equals: launched}}\nmessage: x")
            )
        },
    )
    (pack / "tests").mkdir()
    case = "  - {{name: c{n}, manifest: {{schema_version: 1, product: {{id: p, name: P}}, markets: [{{country: DE, status: {s}}}]}}, expect: {{HRDD-TST-001: {o}}}}}\n"  # noqa: E501
    cases = "".join(
        case.format(n=n, s="launched" if n % 2 else "planned", o="fail" if n % 2 else "pass")
        for n in range(4000)
    )
    (pack / "tests" / "many.yaml").write_text("cases:\n" + cases, "utf-8")
    start = time.monotonic()
    proc = run_cli("rules", "test", str(pack), *T, "--no-plugins", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-500:]
    assert time.monotonic() - start < 30  # quadratic took about 52 s; linear takes a few


# ------------------------------------------------------------------------------ files written and read


def test_a_report_never_replaces_a_special_file(tmp_path: Path) -> None:
    (tmp_path / "hrpolicy.yaml").write_text(manifest(), "utf-8")
    before = os.stat("/dev/null")
    proc = check(tmp_path, "--format", "json=/dev/null")
    assert proc.returncode == 0
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode)
    assert (before.st_ino, before.st_rdev) == (after.st_ino, after.st_rdev)


def test_a_report_is_written_through_a_symlink_not_over_it(tmp_path: Path) -> None:
    (tmp_path / "hrpolicy.yaml").write_text(manifest(), "utf-8")
    (tmp_path / "reports").mkdir()
    os.symlink("reports/real.json", tmp_path / "link.json")
    proc = check(tmp_path, "--format", "json=link.json")
    assert proc.returncode == 0
    assert (tmp_path / "link.json").is_symlink()
    assert json.loads((tmp_path / "reports" / "real.json").read_text("utf-8"))["schema_version"] == 1


def test_a_report_never_overwrites_the_manifest_being_checked(tmp_path: Path) -> None:
    text = manifest()
    (tmp_path / "hrpolicy.yaml").write_text(text, "utf-8")
    proc = check(tmp_path, "--format", "json=hrpolicy.yaml")
    assert proc.returncode == 2
    assert "a file this run reads" in proc.stderr
    assert (tmp_path / "hrpolicy.yaml").read_text("utf-8") == text


def test_a_report_that_fails_half_way_leaves_the_old_one_and_no_temporary_file(tmp_path: Path) -> None:
    # Reports are written as they are produced, into a temporary file renamed over the old report only
    # once complete.
    from hrpolicy.files import report_file

    def fail_half_way(path: str) -> None:
        with report_file(path) as fh:
            fh.write("half of a new rep")
            raise RuntimeError("the writer failed")

    old = tmp_path / "report.json"
    old.write_text("old report", "utf-8")
    with pytest.raises(RuntimeError):
        fail_half_way(str(old))
    assert old.read_text("utf-8") == "old report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]
    with report_file(str(old)) as fh:
        fh.write("new report …")
    assert old.read_text("utf-8") == "new report …"


def test_a_report_through_a_link_that_fails_half_way_leaves_the_target_as_it_was(tmp_path: Path) -> None:
    from hrpolicy.files import report_file

    def fail_half_way(path: str) -> None:
        with report_file(path) as fh:
            fh.write("half of a new rep")
            raise RuntimeError("the writer failed")

    (tmp_path / "real.json").write_text("old report", "utf-8")
    os.symlink("real.json", tmp_path / "link.json")
    with pytest.raises(RuntimeError):
        fail_half_way(str(tmp_path / "link.json"))
    assert (tmp_path / "real.json").read_text("utf-8") == "old report"
    with report_file(str(tmp_path / "link.json")) as fh:
        fh.write("new report")
    assert (tmp_path / "link.json").is_symlink()
    assert (tmp_path / "real.json").read_text("utf-8") == "new report"


def test_an_error_of_the_writer_itself_is_not_called_a_failure_to_write(tmp_path: Path) -> None:
    # Only writing, closing and renaming the report are "cannot write"; the writer's own OSError (a file
    # it reads) passes through as it is, so it is reported as what it is.
    from hrpolicy.errors import UsageError
    from hrpolicy.files import report_file

    def reads_a_missing_file(path: str) -> None:
        with report_file(path) as fh:
            fh.write("x")
            (tmp_path / "missing-template").read_text("utf-8")

    with pytest.raises(FileNotFoundError):
        reads_a_missing_file(str(tmp_path / "out.json"))
    assert sorted(p.name for p in tmp_path.iterdir()) == []

    class Full:
        def write(self, text: str) -> int:
            raise OSError(28, "No space left on device")

    def fills_the_disk(path: str) -> None:
        with report_file(path) as fh:
            fh._fh = Full()  # type: ignore[attr-defined]  # the file the writer sees, as a full disk
            fh.write("x")

    with pytest.raises(UsageError, match=r"cannot write .*No space left on device"):
        fills_the_disk(str(tmp_path / "out.json"))
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_dash_means_standard_output(tmp_path: Path) -> None:
    (tmp_path / "hrpolicy.yaml").write_text(manifest(), "utf-8")
    proc = check(tmp_path, "--format", "json=-")
    assert json.loads(proc.stdout)["schema_version"] == 1
    assert not (tmp_path / "-").exists()


@pytest.mark.parametrize("target", ["/etc/passwd", "../../outside.yaml"])
def test_a_manifest_that_resolves_outside_the_checked_root_is_refused_unread(
    tmp_path: Path, target: str
) -> None:
    (tmp_path / "outside.yaml").write_text("root:x:0:0:root:/root:/bin/bash\n", "utf-8")
    repo = tmp_path / "repo"
    (repo / "svc").mkdir(parents=True)
    os.symlink(target, repo / "svc" / "hrpolicy.yaml")
    for args in ((".",), ("svc",), ("svc/hrpolicy.yaml",)):
        proc = run_cli("check", *args, *T, cwd=repo)
        assert proc.returncode == 2
        assert (
            proc.stderr
            == "svc/hrpolicy.yaml: refused: it resolves to a file outside the directory being checked\n"
        )
        assert "root:" not in proc.stdout + proc.stderr


# ------------------------------------------------------------------------------------------ injection


def test_no_output_line_starts_a_workflow_command(tmp_path: Path) -> None:
    folder = tmp_path / "::error title=Pwned::All checks passed"
    folder.mkdir()
    (folder / "hrpolicy.yaml").write_text(manifest("markets: [{country: DE, status: launched}]"), "utf-8")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "hrpolicy.yaml").write_text("a: [", "utf-8")
    for fmt in ("text", "json"):
        proc = check(tmp_path, ".", "--format", fmt)
        for line in (proc.stdout + proc.stderr).splitlines():
            assert not line.startswith("::"), line
    proc = run_cli("rules", "test", str(REPO / "rules"), *T, cwd=tmp_path)
    assert not any(line.startswith("::") for line in proc.stdout.splitlines())


# ------------------------------------------------------------------------------------ smaller defects


@pytest.mark.parametrize("value", ["20261128", "2026-W48-6", "2026-11-28T00:00", "28.11.2026"])
def test_today_is_exactly_yyyy_mm_dd(tmp_path: Path, value: str) -> None:
    (tmp_path / "hrpolicy.yaml").write_text(manifest(), "utf-8")
    proc = run_cli("check", "--today", value, cwd=tmp_path)
    assert proc.returncode == 2
    assert "must be a date YYYY-MM-DD" in proc.stderr
    proc = run_cli("check", cwd=tmp_path, env={"HRPOLICY_TODAY": value})
    assert proc.returncode == 2


@pytest.mark.parametrize(
    ("value", "loaded"),
    [("0", True), ("false", True), ("", True), ("1", False), ("TRUE", False), ("yes", False)],
)
def test_only_a_true_value_disables_plugin_autoload(
    monkeypatch: pytest.MonkeyPatch, value: str, loaded: bool
) -> None:
    from hrpolicy import pluginmanager

    monkeypatch.setenv("HRPOLICY_DISABLE_PLUGIN_AUTOLOAD", value)
    asked: list[str] = []

    def entry_points(group: str = "hrpolicy") -> list[tuple[str, str]]:
        asked.append(group)
        return []

    monkeypatch.setattr(pluginmanager, "entry_points", entry_points)
    pluginmanager.get_plugin_manager()
    assert bool(asked) is loaded


def test_an_assessment_dated_at_the_end_of_the_calendar_is_not_expired(tmp_path: Path) -> None:
    body = (
        "markets: [{country: DE, status: launched}]\n"
        "assessments: [{id: a, type: hria, scope: {markets: [DE]}, date: 9999-12-31, status: approved}]\n"
    )
    (tmp_path / "hrpolicy.yaml").write_text(manifest(body), "utf-8")
    proc = check(tmp_path, "--format", "json")
    fresh = [f for f in json.loads(proc.stdout)["results"][0]["findings"] if f["rule"] == "HRDD-FRESH-001"]
    assert fresh == []
    assert "(none)" not in proc.stdout


def test_lint_reports_every_problem_inside_define(tmp_path: Path) -> None:
    pack = write_pack(
        tmp_path / "rules",
        {
            "t.yaml": rule_file(
                rule("HRDD-TST-001", "for_each: markets\nwhen: {use: loop_a}\nmessage: x"),
                define=(
                    "predicates:\n  loop_a: {use: loop_b}\n  loop_b: {use: loop_a}\n"
                    "  typo: {status: {equls: x}}\n"
                ),
            )
        },
    )
    proc = run_cli("rules", "lint", str(pack), cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stdout.splitlines()
    assert any("uses itself" in line for line in lines)
    assert any("unknown operator 'equls'" in line for line in lines)
    assert lines[-1].endswith("problems")


def test_an_exit_called_by_a_plugin_during_the_run_is_exit_3(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "exits.py").write_text(
        "from hrpolicy import hookimpl\n\n@hookimpl\ndef hrpolicy_country_facts(country, facts):\n"
        "    raise SystemExit(0)\n",
        "utf-8",
    )
    dist = site / "exits-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: exits\nVersion: 1.0\n", "utf-8")
    (dist / "entry_points.txt").write_text("[hrpolicy]\nexits = exits\n", "utf-8")
    (tmp_path / "hrpolicy.yaml").write_text(manifest("markets: [{country: DE, status: launched}]"), "utf-8")
    env = {"PYTHONPATH": str(site), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    proc = run_installed("check", *T, cwd=tmp_path, env=env)
    assert proc.returncode == 3
    assert "exit(0)" in proc.stderr

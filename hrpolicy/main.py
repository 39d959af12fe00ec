"""Command line: ``main(argv) -> int`` owns argparse and the one error handler.

Known errors (:class:`~hrpolicy.errors.HrpolicyError`) print one line and exit 2; Ctrl-C exits 130;
anything else is a bug: traceback plus a request to report it. Subcommand modules are imported only when
their command runs, so ``hrpolicy check`` loads nothing it does not use.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
from collections.abc import Sequence
from typing import Any

from hrpolicy import __version__
from hrpolicy.errors import HrpolicyError, PluginError, UsageError
from hrpolicy.model import FAIL_ON_CHOICES, ExitCode

SCHEMA_NAMES = ("manifest", "rules", "country-data", "pack")


DIRS_HELP = "rules directories (default: the built-in pack and plugin packs)"
#: The commands, in the order ``--help`` lists them.
COMMANDS = {
    "check": "evaluate manifests against the rules",
    "rules": "tools for the policy team: test, lint, docs, fmt",
    "explain": "a rule in plain language (what fires it, what clears it), or what a country's tier rests on",
    "report": "a portfolio report across products: html, markdown, csv, json",
    "collect": "fetch the manifests of many repositories for a report: github",
    "publish": "publish results where reviewers see them: github",
    "schema": "print a JSON Schema (for editors and CI)",
    "init": "write a commented starter hrpolicy.yaml",
}


def _columns() -> int:
    """The terminal's width as ``shutil.get_terminal_size`` finds it: ``$COLUMNS`` when positive, else the
    terminal of standard output, else 80."""
    try:
        if (columns := int(os.environ["COLUMNS"])) > 0:
            return columns
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


class _Formatter(argparse.HelpFormatter):
    """argparse's help formatter, given the width. Left to find it, it imports shutil, and with it zlib,
    bz2 and lzma, whenever an argument is added: on every run, though help is seldom printed."""

    def __init__(
        self, prog: str, indent_increment: int = 2, max_help_position: int = 24, width: int | None = None
    ):
        super().__init__(
            prog, indent_increment, max_help_position, _columns() - 2 if width is None else width
        )


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser (and its subcommands' parsers) with :class:`_Formatter`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The command line. Given ``argv`` naming a command, only that command's parser is built; otherwise
    (no command, an unknown one, or ``--help`` before it) every command is listed. A pre-commit hook pays
    for one command's parser, not all of them."""
    first = next((i for i, a in enumerate(argv) if not a.startswith("-")), None) if argv is not None else None
    named = argv[first] if argv is not None and first is not None else None
    if named not in COMMANDS or any(a.startswith("-") for a in (argv or ())[:first]):
        named = None  # an option before the command (--help, or --he as argparse reads it) sees them all

    parser = _Parser(
        prog="hrpolicy",
        description="Human-rights due diligence checks for ICT product manifests (hrpolicy.yaml).",
    )
    parser.add_argument("--version", action="version", version=f"hrpolicy {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    adders = {
        "check": _add_check,
        "rules": lambda p: _add_rules(
            p.add_subparsers(dest="rules_command", metavar="COMMAND", required=True)
        ),
        "explain": _add_explain,
        "report": _add_report,
        "collect": lambda p: _add_collect(
            p.add_subparsers(dest="collect_command", metavar="SOURCE", required=True)
        ),
        "publish": lambda p: _add_publish(
            p.add_subparsers(dest="publish_command", metavar="TARGET", required=True)
        ),
        "schema": lambda p: p.add_argument("name", choices=SCHEMA_NAMES),
        "init": _add_init,
    }
    for name, text in COMMANDS.items():
        if named in (None, name):
            adders[name](sub.add_parser(name, help=text))
    return parser


def _add_explain(explain: argparse.ArgumentParser) -> None:
    explain.add_argument("rule_id", metavar="RULE-ID", nargs="?", help="the rule to explain")
    explain.add_argument(
        "--country",
        metavar="CODE",
        help="explain a country instead (ISO 3166-1 alpha-2): tier, rating source and edition, laws",
    )
    explain.add_argument("--rules", action="append", default=[], metavar="DIR", help=DIRS_HELP)
    _today(explain, "date on which laws are judged in force, with --country")
    _no_plugins(explain)


def _add_init(init: argparse.ArgumentParser) -> None:
    init.add_argument("path", nargs="?", default="hrpolicy.yaml", help="where to write it ('-' for stdout)")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")


def _formats(parser: argparse.ArgumentParser, names: str, extra: str = "") -> None:
    parser.add_argument(
        "--format",
        action="append",
        default=[],
        metavar="NAME[=FILE]",
        dest="formats",
        help=f"output format: {names}, or one added by a plugin; repeatable, each to stdout or FILE{extra}",
    )


def _today(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--today", metavar="YYYY-MM-DD", help=f"{what} (also HRPOLICY_TODAY)")


def _no_plugins(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-plugins",
        action="store_true",
        help="do not load third-party plugins (also HRPOLICY_DISABLE_PLUGIN_AUTOLOAD=1)",
    )


def _add_publish(targets: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    github = targets.add_parser(
        "github", help="check run with annotations, step summary and outputs, from GitHub Actions (PyGithub)"
    )
    _add_check(github, formats=False)
    github.add_argument("--results", metavar="FILE", help="publish this JSON report instead of evaluating")
    github.add_argument("--name", default="hrpolicy", help="check run name (default: hrpolicy)")
    github.add_argument(
        "--comment", action="store_true", help="also keep one sticky comment on the pull request"
    )
    github.add_argument(
        "--sarif", metavar="FILE", help="also write SARIF for github/codeql-action/upload-sarif"
    )


def _add_report(report: argparse.ArgumentParser) -> None:
    report.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="manifests, or directories searched for them (a collect --out DIR)",
    )
    report.add_argument(
        "--results", action="append", default=[], metavar="FILE", help="JSON reports written by check in CI"
    )
    _formats(report, "html, markdown, csv, json (default: markdown)")
    report.add_argument(
        "--evidence-for",
        action="append",
        default=[],
        metavar="PRODUCT",
        help="record the evidence trail of this product (id) for an assessor's case study; repeatable",
    )
    report.add_argument("--rules", action="append", default=[], metavar="DIR", help=DIRS_HELP)
    report.add_argument("--jobs", type=int, default=0, metavar="N", help="worker processes (default: CPUs)")
    _today(report, "the report date: what is in date, expiring or overdue")
    _no_plugins(report)


def _add_collect(sources: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    github = sources.add_parser(
        "github", help="fetch hrpolicy.yaml from every repository of an organisation (PyGithub)"
    )
    github.add_argument("--org", required=True, help="the organisation")
    github.add_argument("--topic", action="append", default=[], help="only repositories with this topic")
    github.add_argument("--out", required=True, metavar="DIR", help="where the manifests are written")
    github.add_argument("--include-archived", action="store_true", help="also archived repositories")


def _add_check(check: argparse.ArgumentParser, *, formats: bool = True) -> None:
    check.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="manifest files, or directories searched for hrpolicy.yaml/.yml/.json "
        "(default: ./hrpolicy.yaml)",
    )
    check.add_argument(
        "--rules",
        action="append",
        default=[],
        metavar="DIR",
        help="rules directory (repeatable; replaces the built-in and plugin packs, unless its pack.yaml "
        "extends them)",
    )
    if formats:
        _formats(check, "text (default), json", " (text goes to stdout when all go to files)")
    check.add_argument(
        "--fail-on",
        choices=FAIL_ON_CHOICES,
        default="high",
        help="exit 1 when an unwaived finding is at or above this severity (default: high)",
    )
    _today(check, "evaluation date, for reproducible results")
    check.add_argument(
        "--base",
        metavar="REF",
        help="git ref whose version of each manifest is the base for change-aware rules",
    )
    check.add_argument("--jobs", "-j", type=int, default=1, metavar="N", help="worker processes (default 1)")
    _no_plugins(check)
    if formats:
        check.add_argument("--verbose", "-v", action="store_true", help="also print remediation text")
        check.add_argument(
            "--evidence",
            action="store_true",
            help="record the evidence trail (each rule's outcome on each item, and what cleared it) in the "
            "JSON report (schema_version 2)",
        )


def _add_rules(rules_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rtest = rules_sub.add_parser("test", help="run the rules' test cases (DIR/tests/*.yaml)")
    rtest.add_argument("dirs", nargs="*", metavar="DIR", help=DIRS_HELP)
    _formats(rtest, "text (default), json, junit")
    _today(rtest, "evaluation date for cases and test files that give none")
    _no_plugins(rtest)
    lint = rules_sub.add_parser("lint", help="check rule files: schema and semantics, with file:line:col")
    lint.add_argument("dirs", nargs="*", metavar="DIR", help=DIRS_HELP)
    _formats(lint, "text (default), json")
    _no_plugins(lint)
    docs = rules_sub.add_parser("docs", help="write a Markdown catalogue of the rules")
    docs.add_argument("dirs", nargs="*", metavar="DIR", help=DIRS_HELP)
    docs.add_argument("--output", "-o", metavar="FILE", help="write to FILE (atomically) instead of stdout")
    _no_plugins(docs)
    fmt = rules_sub.add_parser("fmt", help="normalise rule files, keeping comments and key order")
    fmt.add_argument("paths", nargs="*", metavar="FILE|DIR", help="rule files, or directories of them")
    fmt.add_argument(
        "--check",
        action="store_true",
        help="name each file that would change and show the change as a diff; exit 1 if any; write nothing",
    )
    fmt.add_argument(
        "--diff",
        action="store_true",
        help="show what would change as a unified diff; exit 1 if any; write nothing",
    )


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv).parse_args(argv)
    try:
        return _dispatch(args)
    except HrpolicyError as exc:
        sys.stderr.write(f"hrpolicy: error: {exc}\n")
        return ExitCode.USAGE
    except PluginError as exc:
        if exc.__cause__ is not None:
            import traceback

            traceback.print_exception(exc.__cause__, file=sys.stderr)
        sys.stderr.write(f"hrpolicy: {exc} (a bug in that plugin: the run is not a pass)\n")
        return ExitCode.INTERNAL
    except SystemExit as exc:  # only plugin code can exit while a command runs: never let it pass the run
        sys.stderr.write(f"hrpolicy: internal error: something called exit({exc.code!r}) during the run\n")
        return ExitCode.INTERNAL
    except KeyboardInterrupt:
        sys.stderr.write("hrpolicy: interrupted\n")
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        return ExitCode.OK


def parse_today(value: str | None) -> datetime.date:
    """``--today`` or ``HRPOLICY_TODAY`` (exactly YYYY-MM-DD), else the current date."""
    value = value or os.environ.get("HRPOLICY_TODAY") or None
    if value is None:
        return datetime.date.today()
    from hrpolicy.values import as_date

    parsed = as_date(value)
    if parsed is None:
        raise UsageError(f"--today/HRPOLICY_TODAY must be a date YYYY-MM-DD, not {value!r}")
    return parsed


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "check":
        from hrpolicy.commands import check

        return check.run(
            args.paths,
            rules=args.rules,
            formats=args.formats,
            fail_on=args.fail_on,
            today=parse_today(args.today),
            base=args.base,
            jobs=args.jobs,
            autoload=not args.no_plugins,
            verbose=args.verbose,
            evidence=args.evidence,
        )
    if args.command == "rules":
        return _dispatch_rules(args)
    if args.command == "publish":
        from hrpolicy.commands import publish_github

        return publish_github.run(
            args.paths,
            today=parse_today(args.today),
            rules=args.rules,
            fail_on=args.fail_on,
            base=args.base,
            jobs=args.jobs,
            autoload=not args.no_plugins,
            results=args.results,
            name=args.name,
            comment=args.comment,
            sarif=args.sarif,
        )
    if args.command == "report":
        from hrpolicy.commands import report

        return report.run(
            args.paths,
            results=args.results,
            formats=args.formats,
            evidence_for=args.evidence_for,
            rules=args.rules,
            jobs=args.jobs,
            today=parse_today(args.today),
            autoload=not args.no_plugins,
        )
    if args.command == "collect":
        from hrpolicy.commands import collect_github

        return collect_github.run(
            args.org,
            topics=args.topic,
            out=args.out,
            include_archived=args.include_archived,
            stdout=sys.stdout,
            stderr=sys.stderr,
        )
    if args.command == "explain":
        if (args.rule_id is None) == (args.country is None):
            raise UsageError("explain takes a RULE-ID or --country CODE (one of them)")
        if args.country is not None:
            from hrpolicy.commands import explain_country

            return explain_country.run(
                args.country,
                dirs=args.rules,
                autoload=not args.no_plugins,
                today=parse_today(args.today),
                stdout=sys.stdout,
            )
        from hrpolicy.commands import explain

        return explain.run(args.rule_id, dirs=args.rules, autoload=not args.no_plugins, stdout=sys.stdout)
    if args.command == "schema":
        from hrpolicy.commands import schema

        return schema.run(args.name, sys.stdout)
    from hrpolicy.commands import init

    return init.run(args.path, force=args.force, stdout=sys.stdout)


def _dispatch_rules(args: argparse.Namespace) -> int:
    if args.rules_command == "fmt":
        from hrpolicy.commands import rules_fmt

        return rules_fmt.run(
            args.paths, check=args.check, diff=args.diff, stdout=sys.stdout, stderr=sys.stderr
        )
    autoload = not args.no_plugins
    if args.rules_command == "test":
        from hrpolicy.commands import rules_test

        return rules_test.run(
            args.dirs,
            formats=args.formats,
            today=parse_today(args.today),
            autoload=autoload,
            stdout=sys.stdout,
        )
    if args.rules_command == "lint":
        from hrpolicy.commands import rules_lint

        return rules_lint.run(args.dirs, formats=args.formats, autoload=autoload, stdout=sys.stdout)
    from hrpolicy.commands import rules_docs

    return rules_docs.run(args.dirs, output=args.output, autoload=autoload, stdout=sys.stdout)


def console_main() -> None:
    """Entry point of the ``hrpolicy`` console script and ``python -m hrpolicy``."""
    try:
        code = main()
    except KeyboardInterrupt:
        code = ExitCode.INTERRUPTED
    except Exception:
        import traceback

        traceback.print_exc()
        sys.stderr.write(
            f"hrpolicy {__version__}: unexpected error; please report it with the traceback above.\n"
        )
        code = ExitCode.INTERNAL
    raise SystemExit(code)

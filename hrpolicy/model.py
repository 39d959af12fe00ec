"""Typed results and the small value types plugins exchange with the engine.

Results are immutable: the engine and the policy-team tools produce them, output formats read them, nobody
mutates them. ``check`` gives a :class:`RunResult`, ``rules test`` a :class:`TestRun`, ``rules lint`` a
:class:`LintResult`. The value types a plugin hands over (Operator, ManifestLoader, OutputFormat,
OutputOptions) are immutable NamedTuples: as typed, and several times cheaper to create on the CLI's
start-up path.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import FrozenInstanceError, dataclass
from typing import IO, TYPE_CHECKING, Any, ClassVar, NamedTuple, Protocol

if TYPE_CHECKING:
    from hrpolicy.load.document import Document

#: Severities a rule can have, most severe first. ``notice`` is below them all: reported, never failing.
SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low")
NOTICE = "notice"
SEVERITY_RANK: Mapping[str, int] = {"critical": 4, "high": 3, "medium": 2, "low": 1, NOTICE: 0}
#: ``--fail-on`` values: a finding at or above this severity (and not waived) fails the run.
FAIL_ON_CHOICES: tuple[str, ...] = (*SEVERITIES, "never")


class ExitCode:
    """Process exit codes, part of the command-line contract."""

    #: No unwaived finding at or above ``--fail-on``.
    OK = 0
    #: Findings at or above ``--fail-on``.
    FINDINGS = 1
    #: Usage error, unreadable or invalid manifest or rule file.
    USAGE = 2
    #: An internal error: a bug in hrpolicy or in a plugin (traceback printed), never caused by input.
    INTERNAL = 3
    #: Interrupted (Ctrl-C).
    INTERRUPTED = 130


class Frozen:
    """Base of the result types below: immutable, compared, hashed, shown and pickled by their fields.

    Each subclass is a dataclass (``dataclasses.replace``, ``fields`` and ``asdict`` work on it) that
    writes its ``__init__`` and gets the rest here, instead of ``@dataclass(frozen=True, slots=True)``:
    that compiles generated source for every class at every start, about 1 ms a class, and a pre-commit
    hook imports these on every commit. ``tests/unit/test_model.py`` holds them to the dataclass behaviour.
    """

    __slots__ = ()
    __dataclass_fields__: ClassVar[dict[str, Any]]

    def _set(self, values: Mapping[str, Any]) -> None:
        """Set every field from ``values`` (the ``locals()`` of ``__init__``); only ``__init__`` calls it."""
        for name in self.__dataclass_fields__:
            object.__setattr__(self, name, values[name])

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__dataclass_fields__)

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__dataclass_fields__)
        return f"{type(self).__qualname__}({fields})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Frozen) or other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __reduce__(self) -> tuple[type, tuple[Any, ...]]:
        return type(self), self._values()


if TYPE_CHECKING:
    record = dataclass(init=False, repr=False, eq=False)  # what type checkers need to see: the fields
else:

    def record(cls):
        """Make ``cls`` a dataclass of its annotated fields without generating a method: frozen as far
        as :mod:`dataclasses` can tell (so a frozen dataclass may extend it), with the defaults its
        ``__init__`` gives."""
        cls = dataclass(init=False, repr=False, eq=False)(cls)
        code = cls.__init__.__code__
        names = code.co_varnames[1 : code.co_argcount]
        for name, default in zip(reversed(names), reversed(cls.__init__.__defaults__ or ()), strict=False):
            cls.__dataclass_fields__[name].default = default
        cls.__dataclass_params__.frozen = True
        return cls


@record
class Location(Frozen):
    """Where a finding points: the manifest file, 1-based line and column, and the item's JSON pointer."""

    __slots__ = ("column", "line", "path", "pointer")

    path: str
    line: int
    column: int
    pointer: str

    def __init__(self, path: str, line: int, column: int, pointer: str) -> None:
        self._set(locals())


@record
class AppliedWaiver(Frozen):
    """A waiver that matched a finding. ``status`` is ``active`` or ``expired`` (then the finding counts)."""

    __slots__ = ("approver_role", "expires", "reason", "rule", "source", "status", "ticket")

    rule: str
    reason: str
    approver_role: str
    expires: str
    status: str
    ticket: str | None
    source: str

    def __init__(
        self,
        rule: str,
        reason: str,
        approver_role: str,
        expires: str,
        status: str,
        ticket: str | None = None,
        source: str = "",
    ) -> None:
        self._set(locals())


@record
class Finding(Frozen):
    """One violation (or notice) of one rule for one item of one manifest."""

    __slots__ = ("fingerprint", "location", "message", "remediation", "rule", "severity", "waiver")

    rule: str
    severity: str
    message: str
    remediation: str
    location: Location
    fingerprint: str
    waiver: AppliedWaiver | None

    def __init__(
        self,
        rule: str,
        severity: str,
        message: str,
        remediation: str,
        location: Location,
        fingerprint: str,
        waiver: AppliedWaiver | None = None,
    ) -> None:
        self._set(locals())

    @property
    def waived(self) -> bool:
        return self.waiver is not None and self.waiver.status == "active"

    @property
    def counts(self) -> bool:
        """True when the finding can fail a run: not a notice and not waived."""
        return self.severity != NOTICE and not self.waived


@record
class Reference(Frozen):
    """A provision a rule rests on: framework plus section, e.g. ``UNGP`` / ``17-19``."""

    __slots__ = ("framework", "note", "section")

    framework: str
    section: str
    note: str | None

    def __init__(self, framework: str, section: str, note: str | None = None) -> None:
        self._set(locals())


@record
class RuleInfo(Frozen):
    """The descriptive part of a rule (what reports, docs and ``explain`` show)."""

    __slots__ = (
        "id",
        "override",
        "rationale",
        "redact",
        "references",
        "remediation",
        "severity",
        "severity_in_high_risk",
        "source",
        "tags",
        "title",
        "waivable",
    )

    id: str
    title: str
    severity: str
    severity_in_high_risk: str | None
    rationale: str
    remediation: str
    references: tuple[Reference, ...]
    tags: tuple[str, ...]
    waivable: bool
    redact: bool
    source: str
    #: How a pack.yaml changed the rule, with its reason ("severity high -> medium (pack.yaml:4): ..."), or
    #: None.
    override: str | None

    def __init__(
        self,
        id: str,
        title: str,
        severity: str,
        severity_in_high_risk: str | None,
        rationale: str,
        remediation: str,
        references: tuple[Reference, ...],
        tags: tuple[str, ...],
        waivable: bool,
        redact: bool,
        source: str,
        override: str | None = None,
    ) -> None:
        self._set(locals())


@record
class ErrorRecord(Frozen):
    """An input that could not be evaluated (exit 2)."""

    __slots__ = ("column", "line", "message", "path")

    path: str
    message: str
    line: int | None
    column: int | None

    def __init__(self, path: str, message: str, line: int | None = None, column: int | None = None) -> None:
        self._set(locals())

    def __str__(self) -> str:
        from hrpolicy.errors import one_line, where

        return f"{where(self.path, self.line, self.column)}: {one_line(self.message)}"


@record
class ManifestResult(Frozen):
    """The findings for one manifest, sorted by location then rule."""

    __slots__ = ("findings", "manifest", "product", "trail")

    manifest: str
    product: str | None
    findings: tuple[Finding, ...]
    #: The evidence trail, when asked for (``check --evidence``): every rule's outcome on every item
    #: (``not_applicable``, ``passed``, ``finding``, ``waived``) with what cleared it. Dicts: rule,
    #: pointer, outcome, cleared_by.
    trail: tuple[dict[str, Any], ...]

    def __init__(
        self,
        manifest: str,
        product: str | None,
        findings: tuple[Finding, ...],
        trail: tuple[dict[str, Any], ...] = (),
    ) -> None:
        self._set(locals())


@record
class RatingSource(Frozen):
    """A country rating source behind the tiers of a run (``tiers.sources`` of the country data)."""

    __slots__ = ("edition_date", "id", "name", "publisher")

    id: str
    name: str
    publisher: str | None
    edition_date: str | None

    def __init__(self, id: str, name: str, publisher: str | None, edition_date: str | None) -> None:
        self._set(locals())


@record
class RunResult(Frozen):
    """Everything one ``check`` run produced. Owns the exit code."""

    __slots__ = (
        "combine",
        "errors",
        "evaluated_on",
        "evidence",
        "fail_on",
        "manifests",
        "rating_sources",
        "results",
        "rules",
        "version",
    )

    version: str
    rules: tuple[RuleInfo, ...]
    evaluated_on: datetime.date
    results: tuple[ManifestResult, ...]
    errors: tuple[ErrorRecord, ...]
    fail_on: str
    #: Manifest files the run tried (evaluated or rejected); rule-pack errors are not manifests.
    manifests: int
    #: The rating sources that set country tiers, in order of preference, and how they combine.
    rating_sources: tuple[RatingSource, ...]
    combine: str
    #: Whether the run recorded the evidence trail (``check --evidence``): its JSON report is version 2.
    evidence: bool

    def __init__(
        self,
        version: str,
        rules: tuple[RuleInfo, ...],
        evaluated_on: datetime.date,
        results: tuple[ManifestResult, ...],
        errors: tuple[ErrorRecord, ...] = (),
        fail_on: str = "high",
        manifests: int = 0,
        rating_sources: tuple[RatingSource, ...] = (),
        combine: str = "first",
        evidence: bool = False,
    ) -> None:
        self._set(locals())

    def findings(self) -> list[Finding]:
        return [f for r in self.results for f in r.findings]

    def by_severity(self) -> dict[str, int]:
        """Findings that count (not waived, not notices) by severity, most severe first; zeros left out."""
        tally: dict[str, int] = {}
        for f in self.findings():
            if f.counts:
                tally[f.severity] = tally.get(f.severity, 0) + 1
        return {sev: tally[sev] for sev in SEVERITIES if sev in tally}

    @property
    def exit_code(self) -> int:
        if self.errors:
            return ExitCode.USAGE
        if self.fail_on == "never":
            return ExitCode.OK
        threshold = SEVERITY_RANK[self.fail_on]
        failing = any(f.counts and SEVERITY_RANK[f.severity] >= threshold for f in self.findings())
        return ExitCode.FINDINGS if failing else ExitCode.OK


class EvalContext(Protocol):
    """What an operator may look at besides its two operands."""

    today: datetime.date


#: ``test(value, argument, context) -> bool``. ``value`` is ``None`` when the path is absent or null.
OperatorTest = Callable[[Any, Any, EvalContext], bool]


class Operator(NamedTuple):
    """A condition operator, e.g. ``equals`` or ``not_older_than_days``.

    ``prepare`` turns a literal argument into a fast form once, at compile time (a frozenset, a compiled
    RE2 pattern); it raises ``ValueError`` with a one-line message for an unusable argument. Arguments
    that are references are prepared at evaluation time.
    """

    name: str
    test: OperatorTest
    doc: str
    prepare: Callable[[Any], Any] | None = None
    #: How ``explain`` phrases it: ``"{path} is one of {arg}"``.
    phrase: str = "{path} {name} {arg}"


class ManifestLoader(NamedTuple):
    """Turns a file's bytes into a ``Document`` (data plus line marks) for files with one of ``suffixes``."""

    suffixes: tuple[str, ...]
    load: Callable[[bytes, str], Document]


class CaseResult(NamedTuple):
    """One expectation of one rule test case (``rules test``)."""

    file: str
    line: int
    case: str
    rule: str
    outcome: str  # the expected outcome: fail, pass or waived
    ok: bool
    detail: str  # why it failed ("" when ok)


class TestRun(NamedTuple):
    """Everything one ``rules test`` run produced."""

    results: tuple[CaseResult, ...]
    errors: tuple[ErrorRecord, ...]
    #: Rule id -> the outcomes its cases exercised ("fail", "pass", "waived").
    coverage: Mapping[str, frozenset[str]]

    @property
    def ok(self) -> bool:
        return not self.errors and all(r.ok for r in self.results)

    @property
    def exit_code(self) -> int:
        return ExitCode.OK if self.ok else ExitCode.FINDINGS


TestRun.__test__ = False  # type: ignore[attr-defined]  # not a pytest test class, whatever its name


class LintResult(NamedTuple):
    """Everything one ``rules lint`` run found: the rule files checked and every problem, in file order."""

    files: int
    problems: tuple[ErrorRecord, ...]

    @property
    def exit_code(self) -> int:
        return ExitCode.USAGE if self.problems else ExitCode.OK


class OutputOptions(NamedTuple):
    """What a writer may need besides the result."""

    color: bool = False
    verbose: bool = False


Writer = Callable[[Any, IO[str], OutputOptions], None]
"""``write(result, stream, options)``: renders a finished result; never evaluates, never mutates it."""

#: The kinds of result a format can write, with the result type each kind hands to the writer.
RESULT_KINDS: Mapping[str, type] = {"check": RunResult, "rules-test": TestRun, "rules-lint": LintResult}


class OutputFormat(NamedTuple):
    """A named report format (``text``, ``json``, ``junit``, ...) and a writer per kind of result it serves.

    ``writers`` maps a kind of :data:`RESULT_KINDS` to ``write(result, stream, options)``: ``check`` gets a
    :class:`RunResult`, ``rules-test`` a :class:`TestRun`, ``rules-lint`` a :class:`LintResult`. One format
    module can so serve every command that reports; a command offers the formats that write its kind.
    """

    name: str
    description: str
    writers: Mapping[str, Writer]
    #: File suffix suggested when written to a file.
    suffix: str = ".txt"


__all__ = [
    "FAIL_ON_CHOICES",
    "NOTICE",
    "RESULT_KINDS",
    "SEVERITIES",
    "SEVERITY_RANK",
    "AppliedWaiver",
    "CaseResult",
    "ErrorRecord",
    "EvalContext",
    "ExitCode",
    "Finding",
    "LintResult",
    "Location",
    "ManifestLoader",
    "ManifestResult",
    "Operator",
    "OperatorTest",
    "OutputFormat",
    "OutputOptions",
    "Reference",
    "RuleInfo",
    "RunResult",
    "TestRun",
    "Writer",
]

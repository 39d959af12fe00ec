"""The checks a compiled schema is made of: their protocol, and the checks that need nothing from the schema
document (the true and false schemas, several checks as one, nested error paths, the scalar keywords such
as ``multipleOf`` and the sizes, the ``anyOf``/``oneOf`` choice). :mod:`hrpolicy.validate.schemacheck`
assembles them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hrpolicy.validate.jsonvalues import equal
from hrpolicy.validate.messages import Path, show

# A compiled check returns None when the instance is valid (no allocation on the hot path), else a fresh
# list of (path relative to the checked node, message); parents prefix their key only on failure.
Errors = list[tuple[Path, str]]
Check = Callable[[Any], "Errors | None"]
Test = Callable[[Any], "str | None"]


def ok(instance: Any) -> None:
    return None


def nothing(instance: Any) -> Errors:
    return [((), f"False schema does not allow {show(instance)}")]


def all_checks(checks: list[Check]) -> Check:
    checks = [c for c in checks if c is not ok]
    if len(checks) <= 1:
        return checks[0] if checks else ok

    def all_of(instance: Any) -> Errors | None:
        out = None
        for check in checks:
            if errors := check(instance):
                out = errors if out is None else out + errors
        return out

    return all_of


def nest(out: Errors | None, key: Any, errors: Errors) -> Errors:
    nested = [((key, *path), message) for path, message in errors]
    return nested if out is None else out + nested


def scalar_checks(kind: Callable[[Any], bool], tests: list[Test]) -> list[Check]:
    # Keywords that look at one scalar (minLength, pattern, minimum, ...) share one type test.
    def scalar(instance: Any) -> Errors | None:
        if not kind(instance):
            return None
        return [((), m) for test in tests if (m := test(instance)) is not None] or None

    def single(instance: Any) -> Errors | None:
        return [((), m)] if kind(instance) and (m := test(instance)) is not None else None

    test = tests[0] if tests else ok
    return [] if not tests else [single] if len(tests) == 1 else [scalar]


def multiple_test(factor: Any) -> Test:
    def test(x: Any) -> str | None:
        if isinstance(factor, float):  # the same float arithmetic as jsonschema, so the two agree
            try:
                failed = int(x / factor) != x / factor
            except ValueError:  # NaN is a multiple of nothing
                failed = True
            except OverflowError:
                from fractions import Fraction

                failed = (Fraction(x) / Fraction(factor)).denominator != 1
        else:
            failed = bool(x % factor)
        return f"{show(x)} is not a multiple of {factor}" if failed else None

    return test


def size_problem(x: Any, low: int, high: int | None, short: str, long: str) -> str | None:
    if len(x) < low:
        return f"{show(x)} {'should be non-empty' if low == 1 else short}"
    if high is not None and len(x) > high:
        return f"{show(x)} {long if high else 'is expected to be empty'}"
    return None


def has_value(key: str | None, allowed: list[Any]) -> Callable[[Any], bool]:
    def test(instance: Any) -> bool:
        if key is not None:  # a discriminating property: only an object that has it can contradict it
            if not isinstance(instance, dict) or key not in instance:
                return True
            instance = instance[key]
        return any(equal(instance, a) for a in allowed)

    return test


def bound_test(bound: Any, fails: Callable[[Any, Any], bool], text: str) -> Test:
    return lambda x: f"{show(x)} {text} {bound!r}" if fails(x, bound) else None


def any_or_one_of(branches: list[Check], shapes: list[Callable[[Any], bool]], exactly_one: bool) -> Check:
    def either(instance: Any) -> Errors | None:
        failures = []
        for branch in branches:
            if errors := branch(instance):
                failures.append(errors)
            elif not exactly_one:
                return None
        if len(failures) == len(branches) - 1:
            return None
        if len(failures) < len(branches):
            return [((), f"{show(instance)} is valid under more than one of the given schemas")]
        # Explain the one branch the instance was evidently meant for (e.g. the non-null branch of a
        # nullable value); when that is ambiguous, one branch's errors would mislead, so say so once.
        candidates = [errors for errors, shape in zip(failures, shapes, strict=True) if shape(instance)]
        if len(candidates) == 1:
            return candidates[0]
        return [((), f"{show(instance)} is not valid under any of the given schemas")]

    return either

"""Built-in condition operators. Each is ``test(value, argument, context) -> bool``.

``value`` is ``None`` when the path is absent or null. Every operator is false on a missing value except
the ones about absence (``missing``, ``exists: false``, ``present: false``), the negations
(``not_equals``, ``not_in``, ``not_contains``), ``subset_of`` (nothing is a subset of anything) and the
``length_*`` operators, which count a missing list as empty (``length_lt: 1`` holds for it).
Dates are ISO ``YYYY-MM-DD`` strings or dates; ``today`` is the evaluation date (``--today``).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from hrpolicy import hookimpl, identifiers
from hrpolicy.model import EvalContext, Operator
from hrpolicy.values import as_date, as_list, compile_regex, is_present, regex_union


def _set_of(arg: Any) -> Any:
    items = as_list(arg)
    try:
        return frozenset(items)
    except TypeError:
        return items


def _ordered(a: Any, b: Any) -> tuple[Any, Any] | None:
    """Comparable pair: dates with dates (ISO strings become dates), numbers with numbers, text with text."""
    if isinstance(a, datetime.date) or isinstance(b, datetime.date):
        da, db = as_date(a), as_date(b)
        return None if da is None or db is None else (da, db)
    if isinstance(a, bool) or isinstance(b, bool):
        return None
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a, b
    if isinstance(a, str) and isinstance(b, str):
        da, db = as_date(a), as_date(b)
        return (da, db) if da is not None and db is not None else (a, b)
    return None


def _compare(check: Callable[[Any, Any], bool]) -> Callable[[Any, Any, EvalContext], bool]:
    def test(value: Any, arg: Any, ctx: EvalContext) -> bool:
        pair = _ordered(value, arg)
        return pair is not None and check(*pair)

    return test


def _length(check: Callable[[int, int], bool]) -> Callable[[Any, Any, EvalContext], bool]:
    def test(value: Any, arg: Any, ctx: EvalContext) -> bool:
        n = len(value) if isinstance(value, (list, str, dict)) else 0
        return isinstance(arg, int) and not isinstance(arg, bool) and check(n, arg)

    return test


def _count(unit: str) -> Callable[[Any], int]:
    """``prepare`` for a count argument: a literal like ``"1"`` or ``true`` would silently never match."""

    def prepare(arg: Any) -> int:
        if isinstance(arg, bool) or not isinstance(arg, int) or arg < 0:
            raise ValueError(f"needs a whole number of {unit} >= 0, not {arg!r}")
        return arg

    return prepare


_days = _count("days")
_months = _count("months")
_elements = _count("elements")


def _bool(arg: Any) -> bool:
    if not isinstance(arg, bool):
        raise ValueError(f"takes true or false, not {arg!r}")
    return arg


def _date_test(check: Callable[[datetime.date, int, datetime.date], bool]) -> Callable[..., bool]:
    def test(value: Any, arg: Any, ctx: EvalContext) -> bool:
        d = as_date(value)
        if d is None or isinstance(arg, bool) or not isinstance(arg, int):
            return False
        try:
            return check(d, arg, ctx.today)
        except (OverflowError, ValueError):  # beyond the calendar's range: never true
            return False

    return test


def _months_before(today: datetime.date, months: int) -> datetime.date:
    total = today.year * 12 + today.month - 1 - months
    year, month = divmod(total, 12)
    # The month's last day is the day before the first of the next month (calendar would import locale).
    following = datetime.date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    day = min(today.day, (following - datetime.timedelta(days=1)).day)
    return datetime.date(year, month + 1, day)


def _matches(value: Any, pattern: Any, ctx: EvalContext) -> bool:
    return isinstance(value, str) and pattern.search(value) is not None


def _matches_any(value: Any, patterns: Any, ctx: EvalContext) -> bool:
    return isinstance(value, str) and any(p.search(value) is not None for p in patterns)


def _eq(value: Any, arg: Any, ctx: EvalContext | None = None) -> bool:
    if type(value) is str and type(arg) is str:  # most comparisons: decided at once
        return value == arg
    if isinstance(value, datetime.date) or isinstance(arg, datetime.date):
        return as_date(value) == as_date(arg) is not None
    if value is None:
        return False  # a missing value equals nothing, not even another missing value
    # True == 1 in Python; in a rule, true and 1 are different answers.
    return bool(value == arg) and isinstance(value, bool) == isinstance(arg, bool)


def _in(value: Any, arg: Any, ctx: EvalContext) -> bool:
    return value is not None and _member(value, arg)


def _contains(value: Any, arg: Any, ctx: EvalContext) -> bool:
    if isinstance(value, list):
        return _member(arg, value)
    if isinstance(value, str) and isinstance(arg, str):
        return arg in value
    return False


def _member(element: Any, collection: Any) -> bool:
    """``element in collection`` with rule equality: ``true`` is not ``1`` (Python says it is), and an
    unhashable element (a mapping or list from the manifest) is simply not in a prepared frozenset."""
    if type(element) is str:
        return element in collection
    if isinstance(element, bool) or (type(element) in (int, float) and element in (0, 1)):
        return any(_eq(element, c) for c in collection)
    try:
        return element in collection
    except TypeError:
        return False


def _contains_any(value: Any, arg: Any, ctx: EvalContext) -> bool:
    return isinstance(value, list) and any(_member(v, arg) for v in value)


def _contains_all(value: Any, arg: Any, ctx: EvalContext) -> bool:
    return isinstance(value, list) and all(_member(a, value) for a in arg)


def _subset_of(value: Any, arg: Any, ctx: EvalContext) -> bool:
    return all(_member(v, arg) for v in as_list(value))


def _identifier_kinds(arg: Any) -> frozenset[str]:
    """``any`` or a list of kinds (``email``, ``phone``, ``messenger``)."""
    kinds = identifiers.KINDS if arg == "any" else as_list(arg)
    unknown = [k for k in kinds if k not in identifiers.KINDS]
    if not kinds or unknown:
        raise ValueError(f"takes any or a list of {', '.join(identifiers.KINDS)}, not {arg!r}")
    return frozenset(kinds)


def _personal_identifier(value: Any, kinds: Any, ctx: EvalContext) -> bool:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)  # +4915112345678 unquoted is a YAML number
    return isinstance(value, str) and identifiers.has_identifier(value, kinds)


OPERATORS: tuple[Operator, ...] = (
    Operator("equals", _eq, "value equals the argument", phrase="{path} is {arg}"),
    Operator(
        "not_equals",
        lambda v, a, c: not _eq(v, a),
        "value differs from the argument (true when the value is missing)",
        phrase="{path} is not {arg}",
    ),
    Operator(
        "in", _in, "value is one of the argument list", prepare=_set_of, phrase="{path} is one of {arg}"
    ),
    Operator(
        "not_in",
        lambda v, a, c: not _in(v, a, c),
        "value is not one of the list (true when missing)",
        prepare=_set_of,
        phrase="{path} is not one of {arg}",
    ),
    Operator(
        "contains",
        _contains,
        "the list value has the argument as an element (text: as a substring)",
        phrase="{path} includes {arg}",
    ),
    Operator(
        "not_contains",
        lambda v, a, c: not _contains(v, a, c),
        "the list value lacks the argument",
        phrase="{path} does not include {arg}",
    ),
    Operator(
        "contains_any",
        _contains_any,
        "the list value shares at least one element with the argument",
        prepare=_set_of,
        phrase="{path} includes any of {arg}",
    ),
    Operator(
        "contains_all",
        _contains_all,
        "the list value includes every element of the argument",
        prepare=as_list,
        phrase="{path} includes all of {arg}",
    ),
    Operator(
        "subset_of",
        _subset_of,
        "every element of the list value is in the argument",
        prepare=_set_of,
        phrase="every element of {path} is in {arg}",
    ),
    Operator(
        "exists",
        lambda v, a, c: (v is not None) is a,
        "true: the key is there and not null",
        prepare=_bool,
        phrase="{path} is given",
    ),
    Operator(
        "missing",
        lambda v, a, c: (v is None) is a,
        "true: the key is absent or null",
        prepare=_bool,
        phrase="{path} is missing",
    ),
    Operator(
        "present",
        lambda v, a, c: is_present(v) is a,
        "true: there and not null, empty text, empty list or empty mapping (false is an answer)",
        prepare=_bool,
        phrase="{path} is filled in",
    ),
    Operator(
        "matches",
        _matches,
        "text value matches the RE2 regular expression (search)",
        prepare=compile_regex,
        phrase="{path} matches {arg}",
    ),
    Operator(
        "matches_any",
        _matches_any,
        "text value matches any of the RE2 regular expressions",
        prepare=regex_union,
        phrase="{path} matches any of {arg}",
    ),
    Operator(
        "personal_identifier",
        _personal_identifier,
        "text holds an e-mail address, phone number or messenger link (any, or a list of those kinds)",
        prepare=_identifier_kinds,
        phrase="{path} holds a personal identifier ({arg})",
    ),
    Operator("gt", _compare(lambda a, b: a > b), "greater than (numbers, dates)", phrase="{path} > {arg}"),
    Operator("gte", _compare(lambda a, b: a >= b), "greater than or equal", phrase="{path} >= {arg}"),
    Operator("lt", _compare(lambda a, b: a < b), "less than (numbers, dates)", phrase="{path} < {arg}"),
    Operator("lte", _compare(lambda a, b: a <= b), "less than or equal", phrase="{path} <= {arg}"),
    Operator(
        "length_eq",
        _length(lambda n, a: n == a),
        "number of elements (or characters) equals",
        prepare=_elements,
        phrase="{path} has exactly {arg} entries",
    ),
    Operator(
        "length_gt",
        _length(lambda n, a: n > a),
        "more elements than",
        prepare=_elements,
        phrase="{path} has more than {arg}",
    ),
    Operator(
        "length_gte",
        _length(lambda n, a: n >= a),
        "at least this many elements",
        prepare=_elements,
        phrase="{path} has at least {arg} entries",
    ),
    Operator(
        "length_lt",
        _length(lambda n, a: n < a),
        "fewer elements than",
        prepare=_elements,
        phrase="{path} has fewer than {arg}",
    ),
    Operator(
        "length_lte",
        _length(lambda n, a: n <= a),
        "at most this many elements",
        prepare=_elements,
        phrase="{path} has at most {arg} entries",
    ),
    Operator(
        "not_older_than_days",
        _date_test(lambda d, n, t: t - datetime.timedelta(days=n) <= d <= t),
        "date is today or within the N days before (a future date is not recent)",
        prepare=_days,
        phrase="{path} is at most {arg} days old",
    ),
    Operator(
        "older_than_days",
        _date_test(lambda d, n, t: d < t - datetime.timedelta(days=n)),
        "date is more than N days before today",
        prepare=_days,
        phrase="{path} is more than {arg} days old",
    ),
    Operator(
        "within_next_days",
        _date_test(lambda d, n, t: t <= d <= t + datetime.timedelta(days=n)),
        "date is today or within the next N days",
        prepare=_days,
        phrase="{path} falls within the next {arg} days",
    ),
    Operator(
        "older_than_months",
        _date_test(lambda d, n, t: d < _months_before(t, n)),
        "date is more than N calendar months before today",
        prepare=_months,
        phrase="{path} is more than {arg} months old",
    ),
)


@hookimpl
def hrpolicy_condition_operators() -> tuple[Operator, ...]:
    return OPERATORS

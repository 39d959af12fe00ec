"""Every built-in condition operator (plugins/operators.py), called the way the compiler calls it:
``prepare`` once on the literal argument, then ``test(value, prepared, ctx)``."""

from __future__ import annotations

import calendar
import datetime
from typing import Any

import pytest
from hrpolicy.plugins.operators import OPERATORS
from hypothesis import given, settings
from hypothesis import strategies as st

OPS = {op.name: op for op in OPERATORS}
D = datetime.date
TODAY = D(2026, 11, 28)


class Ctx:
    def __init__(self, today: datetime.date = TODAY):
        self.today = today


def run(name: str, value: Any, arg: Any, today: datetime.date = TODAY) -> bool:
    op = OPS[name]
    prepared = op.prepare(arg) if op.prepare is not None else arg
    result = op.test(value, prepared, Ctx(today))
    assert isinstance(result, bool), f"{name} returned {result!r}, not a bool"
    return result


# (operator, value, argument, expected). The value None stands for a missing or null field.
CASES: list[tuple[str, Any, Any, bool]] = [
    # equals: true is not 1, a date equals its ISO text, missing equals nothing
    ("equals", "approved", "approved", True),
    ("equals", "approved", "draft", False),
    ("equals", True, True, True),
    ("equals", True, 1, False),
    ("equals", 1, True, False),
    ("equals", False, 0, False),
    ("equals", 0, False, False),
    ("equals", 1, 1, True),
    ("equals", 1, 1.0, True),
    ("equals", D(2026, 1, 5), "2026-01-05", True),
    ("equals", "2026-01-05", D(2026, 1, 5), True),
    ("equals", D(2026, 1, 5), "2026-01-06", False),
    ("equals", D(2026, 1, 5), "not a date", False),
    ("equals", "2026-01-05", "2026-01-05", True),
    ("equals", None, "x", False),
    ("equals", ["a", "b"], ["a", "b"], True),
    ("equals", "all", ["all"], False),
    # not_equals: true on a missing value
    ("not_equals", None, "x", True),
    ("not_equals", "x", "x", False),
    ("not_equals", "x", "y", True),
    ("not_equals", True, 1, True),
    ("not_equals", D(2026, 1, 5), "2026-01-05", False),
    # in / not_in
    ("in", "beta", ["planned", "beta", "launched"], True),
    ("in", "withdrawn", ["planned", "beta", "launched"], False),
    ("in", None, ["planned"], False),
    ("in", "VN", "VN", True),  # a scalar argument is a one-element list
    ("in", "V", "VN", False),  # ... never a substring test
    ("in", ["planned"], ["planned"], False),  # an unhashable value is never a member
    ("in", {"a": 1}, [{"a": 1}], True),  # unhashable elements in the argument compare by equality
    ("not_in", None, ["planned"], True),
    ("not_in", "beta", ["planned", "beta"], False),
    ("not_in", "exiting", ["planned", "beta"], True),
    # contains: list element, or substring of text
    ("contains", ["VN", "DE"], "VN", True),
    ("contains", ["VN", "DE"], "V", False),
    ("contains", "vault://hria/vn", "hria", True),
    ("contains", "vault://hria/vn", "dpia", False),
    ("contains", None, "VN", False),
    ("contains", {"VN": 1}, "VN", False),
    ("contains", 123, "1", False),
    ("not_contains", ["VN"], "DE", True),
    ("not_contains", ["VN"], "VN", False),
    ("not_contains", None, "VN", True),
    ("not_contains", "abc", "b", False),
    # contains_any / contains_all
    ("contains_any", ["personal", "content"], ["biometric", "content"], True),
    ("contains_any", ["personal"], ["biometric", "content"], False),
    ("contains_any", [], ["biometric"], False),
    ("contains_any", None, ["biometric"], False),
    ("contains_any", "content", ["content"], False),  # text is not a list
    ("contains_any", [{"kind": "x"}, "content"], ["content"], True),  # mappings in the value: no crash
    ("contains_any", [{"kind": "x"}], ["content"], False),
    ("contains_all", ["a", "b", "c"], ["a", "c"], True),
    ("contains_all", ["a", "b"], ["a", "c"], False),
    ("contains_all", ["a"], [], True),
    ("contains_all", None, ["a"], False),
    # subset_of: a missing list is the empty set, a subset of anything
    ("subset_of", ["vi", "en"], ["en", "vi", "de"], True),
    ("subset_of", ["vi", "tr"], ["en", "vi"], False),
    ("subset_of", [], ["en"], True),
    ("subset_of", None, ["en"], True),
    ("subset_of", "en", ["en", "vi"], True),
    ("subset_of", [["en"]], ["en"], False),  # unhashable elements: no crash
    ("subset_of", [{"a": 1}], ["en"], False),
    # exists / missing / present
    ("exists", False, True, True),
    ("exists", None, True, False),
    ("exists", None, False, True),
    ("exists", "", True, True),
    ("missing", None, True, True),
    ("missing", 0, True, False),
    ("missing", "x", False, True),
    ("present", False, True, True),  # false is an answer
    ("present", 0, True, True),
    ("present", "x", True, True),
    ("present", [], True, False),  # an empty list is not
    ("present", {}, True, False),
    ("present", "", True, False),
    ("present", None, True, False),
    ("present", None, False, True),
    ("present", [], False, True),
    ("present", ["x"], False, False),
    # matches / matches_any (RE2, search semantics)
    ("matches", "jane@example.org", r"[^@\s]+@[^@\s]+\.[a-z]+", True),
    ("matches", "no address here", r"[^@\s]+@[^@\s]+\.[a-z]+", False),
    ("matches", "abc", "^b", False),
    ("matches", "abc", "b", True),
    ("matches", None, "x", False),
    ("matches", 5, "5", False),
    ("matches", ["x"], "x", False),
    ("matches_any", "+44 20 7946 0958", [r"@", r"\+[0-9][0-9 ]{7,}"], True),
    ("matches_any", "nothing", [r"@", r"\+[0-9]"], False),
    ("matches_any", "a@b", "@", True),  # one pattern alone is a list of one
    # personal_identifier: the engine's detector; numbers are scanned as text; kinds can be narrowed
    ("personal_identifier", "mail jane.doe@ngo.org", "any", True),
    ("personal_identifier", "call +44 20 7946 0958", ["email"], False),
    ("personal_identifier", "call +44 20 7946 0958", ["phone"], True),
    ("personal_identifier", 4915112345678, "any", True),
    ("personal_identifier", "wa.me/4915112345678", ["messenger"], True),
    ("personal_identifier", "policy://gov-requests/user-data@v3", "any", False),
    ("personal_identifier", "snapshot 1764288000", "any", False),
    ("personal_identifier", None, "any", False),
    ("matches_any", None, ["x"], False),
    # gt / gte / lt / lte: numbers with numbers, dates with dates (ISO text counts), else false
    ("gt", 7, 6, True),
    ("gt", 6, 6, False),
    ("gte", 6, 6, True),
    ("gte", 6.5, 6, True),
    ("lt", 5, 6, True),
    ("lt", 6, 6, False),
    ("lte", 6, 6, True),
    ("lte", 7, 6, False),
    ("gt", "2026-12-01", D(2026, 11, 28), True),
    ("gt", D(2026, 12, 1), "2026-11-28", True),
    ("lt", "2026-12-01", D(2026, 11, 28), False),
    ("gte", D(2026, 11, 28), "2026-11-28", True),
    ("lte", "2026-11-28", "2026-11-28", True),
    ("lt", "2026-02-01", "2026-10-01", True),
    ("gt", "b", "a", True),  # text with text
    ("gt", 7, "6", False),  # mixed types never compare
    ("lt", "6", 7, False),
    ("gt", D(2026, 1, 1), 5, False),
    ("gt", D(2026, 1, 1), "soon", False),
    ("gt", 2, True, False),  # booleans are not numbers
    ("lt", False, 1, False),
    ("gt", None, 1, False),
    ("lte", None, 1, False),
    ("gte", [1], 1, False),
    # length_*: lists, text, mappings; a missing value counts as empty
    ("length_eq", ["a", "b"], 2, True),
    ("length_eq", ["a"], 2, False),
    ("length_eq", "abc", 3, True),
    ("length_eq", {"a": 1}, 1, True),
    ("length_eq", None, 0, True),
    ("length_gt", ["a", "b"], 1, True),
    ("length_gt", ["a"], 1, False),
    ("length_gte", ["a"], 1, True),
    ("length_gte", [], 1, False),
    ("length_gte", None, 1, False),
    ("length_lt", [], 1, True),
    ("length_lt", ["a"], 1, False),
    ("length_lte", ["a", "b"], 2, True),
    ("length_lte", ["a", "b", "c"], 2, False),
    ("length_gte", 12345, 1, False),  # a number has no length
    # not_older_than_days (today 2026-11-28): the boundary day and today are in date; the future is not
    ("not_older_than_days", "2025-11-28", 365, True),
    ("not_older_than_days", "2025-11-27", 365, False),
    ("not_older_than_days", D(2025, 11, 28), 365, True),
    ("not_older_than_days", "2027-06-01", 365, False),
    ("not_older_than_days", "2026-11-29", 365, False),
    ("not_older_than_days", "2030-01-01", 365, False),
    ("not_older_than_days", "2026-11-28", 0, True),
    ("not_older_than_days", "2026-11-27", 0, False),
    ("not_older_than_days", None, 365, False),
    ("not_older_than_days", "yesterday", 365, False),
    ("not_older_than_days", "2026-02-30", 365, False),
    ("older_than_days", "2025-11-27", 365, True),
    ("older_than_days", "2025-11-28", 365, False),
    ("older_than_days", None, 365, False),
    ("older_than_days", "2027-01-01", 0, False),
    # within_next_days: today .. today + N, both ends included; the past is not within
    ("within_next_days", "2026-11-28", 30, True),
    ("within_next_days", "2026-12-28", 30, True),
    ("within_next_days", "2026-12-29", 30, False),
    ("within_next_days", "2026-11-27", 30, False),
    ("within_next_days", None, 30, False),
    # older_than_months: calendar months
    ("older_than_months", "2025-11-27", 12, True),
    ("older_than_months", "2025-11-28", 12, False),
    ("older_than_months", "2026-10-27", 1, True),
    ("older_than_months", "2026-10-28", 1, False),
    ("older_than_months", None, 1, False),
]


@pytest.mark.parametrize(("name", "value", "arg", "expected"), CASES)
def test_operator(name: str, value: Any, arg: Any, expected: bool) -> None:
    assert run(name, value, arg) is expected


def test_every_builtin_operator_is_covered() -> None:
    assert {name for name, *_ in CASES} == set(OPS)


def test_operator_names_are_unique() -> None:
    assert len(OPS) == len(OPERATORS)


@pytest.mark.parametrize(
    ("today", "value", "months", "expected"),
    [
        # 2026-03-31 minus one month is 2026-02-28 (no 31 February): the 28th is not older, the 27th is.
        (D(2026, 3, 31), "2026-02-28", 1, False),
        (D(2026, 3, 31), "2026-02-27", 1, True),
        (D(2026, 3, 31), "2026-03-01", 1, False),
        # leap year: 2024-03-31 minus one month is 2024-02-29
        (D(2024, 3, 31), "2024-02-29", 1, False),
        (D(2024, 3, 31), "2024-02-28", 1, True),
        # twelve months before 2024-02-29 is 2023-02-28
        (D(2024, 2, 29), "2023-02-28", 12, False),
        (D(2024, 2, 29), "2023-02-27", 12, True),
        # across the turn of the year
        (D(2026, 1, 15), "2025-12-15", 1, False),
        (D(2026, 1, 15), "2025-12-14", 1, True),
        (D(2026, 1, 15), "2024-12-14", 13, True),
        (D(2026, 1, 15), "2024-12-15", 13, False),
        # zero months: older than today
        (D(2026, 3, 31), "2026-03-30", 0, True),
        (D(2026, 3, 31), "2026-03-31", 0, False),
    ],
)
def test_older_than_months_at_month_ends(
    today: datetime.date, value: str, months: int, expected: bool
) -> None:
    assert run("older_than_months", value, months, today=today) is expected


@settings(max_examples=300, deadline=None)
@given(
    today=st.dates(min_value=D(1900, 1, 1), max_value=D(2200, 12, 31)),
    value=st.dates(min_value=D(1800, 1, 1), max_value=D(2200, 12, 31)),
    months=st.integers(min_value=0, max_value=1200),
)
def test_older_than_months_agrees_with_the_calendar(
    today: datetime.date, value: datetime.date, months: int
) -> None:
    # The same date worked out with the standard library's calendar: the same day, months earlier, or
    # that month's last day when it is shorter.
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    limit = D(year, month + 1, min(today.day, calendar.monthrange(year, month + 1)[1]))
    assert run("older_than_months", value.isoformat(), months, today=today) is (value < limit)


def test_date_operators_use_the_context_date_not_the_clock() -> None:
    assert run("not_older_than_days", "2000-01-10", 10, today=D(2000, 1, 20)) is True
    assert run("not_older_than_days", "2000-01-09", 10, today=D(2000, 1, 20)) is False
    assert run("within_next_days", "2000-01-25", 5, today=D(2000, 1, 20)) is True
    assert run("older_than_days", "2000-01-09", 10, today=D(2000, 1, 20)) is True


@pytest.mark.parametrize(
    "name", ["not_older_than_days", "older_than_days", "within_next_days", "older_than_months"]
)
@pytest.mark.parametrize("arg", [-1, "30", 1.5, True, None])
def test_day_and_month_operators_reject_bad_literal_arguments(name: str, arg: Any) -> None:
    unit = "months" if name.endswith("months") else "days"
    with pytest.raises(ValueError, match=f"whole number of {unit}"):
        OPS[name].prepare(arg)


LENGTHS = ["length_eq", "length_gt", "length_gte", "length_lt", "length_lte"]


@pytest.mark.parametrize("name", LENGTHS)
@pytest.mark.parametrize("arg", ["1", -1, 1.0, True, None, [1]])
def test_length_operators_reject_bad_literal_arguments(name: str, arg: Any) -> None:
    # `length_gte: "1"` would otherwise be a rule that silently never fires.
    with pytest.raises(ValueError, match="whole number of elements"):
        OPS[name].prepare(arg)


@pytest.mark.parametrize("name", LENGTHS)
def test_length_operators_are_false_for_a_bad_runtime_argument(name: str) -> None:
    for arg in ("1", True, None):
        assert OPS[name].test(["a"], arg, Ctx()) is False


@pytest.mark.parametrize(
    "name", ["not_older_than_days", "older_than_days", "within_next_days", "older_than_months"]
)
def test_date_operators_are_false_for_a_bad_runtime_argument(name: str) -> None:
    # Arguments that are references are not prepared at compile time; the test itself must cope.
    for arg in (None, "30", True):
        assert OPS[name].test("2026-11-28", arg, Ctx()) is False


@pytest.mark.parametrize("name", ["exists", "missing", "present"])
@pytest.mark.parametrize("arg", ["yes", 1, None])
def test_presence_operators_take_only_booleans(name: str, arg: Any) -> None:
    with pytest.raises(ValueError, match="true or false"):
        OPS[name].prepare(arg)


@pytest.mark.parametrize("pattern", [r"(a)\1", r"(?=a)b", r"(?<=a)b", "(unclosed"])
def test_patterns_re2_rejects_fail_in_prepare(pattern: str, capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ValueError, match="RE2 rejects") as info:
        OPS["matches"].prepare(pattern)
    message = str(info.value)
    assert "\n" not in message
    assert ": b'" not in message
    assert ': b"' not in message
    with pytest.raises(ValueError, match="RE2 rejects"):
        OPS["matches_any"].prepare(["ok", pattern])
    # The RE2 library must not log its own complaint to stderr: the user gets one line, from us.
    assert capfd.readouterr().err == ""


def test_matches_takes_only_text_patterns() -> None:
    with pytest.raises(ValueError, match="takes a regular expression string"):
        OPS["matches"].prepare(5)


def test_regex_is_linear_time() -> None:
    # A pattern that backtracking engines take exponential time on; RE2 answers at once.
    import time

    start = time.perf_counter()
    assert run("matches", "a" * 5000 + "!", r"^(a+)+$") is False
    assert time.perf_counter() - start < 1.0


def test_prepared_sets_are_reused_not_rebuilt() -> None:
    prepared = OPS["in"].prepare(["a", "b"])
    assert isinstance(prepared, frozenset)
    assert OPS["in"].test("a", prepared, Ctx()) is True

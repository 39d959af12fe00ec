"""A small JSON Schema (2020-12 subset) compiler for the pre-commit hot path.

``compile_schema`` turns a schema into nested closures once; validating is then a few plain function calls
per instance node, 10-25 times faster than jsonschema, and importing this module costs only ``re`` and
``datetime`` (importing jsonschema alone takes ~88 ms). A keyword outside the supported subset is a
compile-time ``ValueError``, so a shipped schema can never silently rely on a check that is not made.
jsonschema stays the test oracle (tests/unit/test_schemacheck.py).

Every error is reported, not just the first, as a ``Violation`` with the instance path it is about.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

Path = tuple[str | int, ...]
FormatCheck = Callable[[str], "str | None"]
"""Checks a string; returns a one-line error message, or None when the string is valid."""

# A compiled check returns None when the instance is valid (no allocation on the hot path), else a fresh
# list of (path relative to the checked node, message); parents prefix their key only on failure.
_Errors = list[tuple[Path, str]]
_Check = Callable[[Any], "_Errors | None"]
_Test = Callable[[Any], "str | None"]


@dataclass(frozen=True, slots=True)
class Violation:
    path: Path
    message: str

    def __str__(self) -> str:
        return f"{json_path(self.path)}: {self.message}"


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_WORDS = {  # then/else are read through "if"
    "annotation": "$schema $id $defs definitions $comment title description examples default deprecated "
    "readOnly writeOnly markdownDescription then else",
    "keyword": "$ref type enum const allOf anyOf oneOf not if minLength maxLength pattern format minimum "
    "maximum exclusiveMinimum exclusiveMaximum multipleOf items minItems maxItems uniqueItems contains",
    "object": "properties patternProperties additionalProperties propertyNames required minProperties "
    "maxProperties dependentRequired",
}
_OBJECT_KEYWORDS = _WORDS["object"].split()
_KNOWN = frozenset(" ".join(_WORDS.values()).split())
_CLASSES: dict[str, type] = {"string": str, "object": dict, "array": list, "boolean": bool}
_CLASSES["null"] = type(None)
_BOUNDS: list[tuple[str, Callable[[Any, Any], bool], str]] = [
    ("minimum", lambda x, b: x < b, "is less than the minimum of"),
    ("maximum", lambda x, b: x > b, "is greater than the maximum of"),
    ("exclusiveMinimum", lambda x, b: x <= b, "is less than or equal to the minimum of"),
    ("exclusiveMaximum", lambda x, b: x >= b, "is greater than or equal to the maximum of"),
]


def json_path(path: Path) -> str:
    """``("markets", 0, "country")`` -> ``$.markets[0].country``; other keys as ``$['x-y']``."""
    out = ["$"]
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            out.append(f"[{part}]")
        elif isinstance(part, str) and _IDENT.fullmatch(part):
            out.append(f".{part}")
        else:
            out.append("['" + _printable(str(part).replace("\\", "\\\\").replace("'", "\\'")) + "']")
    return "".join(out)


def _printable(text: str) -> str:
    # Keys and values come from possibly hostile files: one line per message, no terminal escapes.
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def _repr(x: Any, budget: int) -> str:
    # Bounded in work as well as length; loader subclasses (of dict, str, ...) print as the plain type.
    if isinstance(x, str):
        return str.__repr__(x[:budget]) + ("..." if len(x) > budget else "")
    if isinstance(x, (dict, list)):
        parts: list[str] = []
        for k, v in x.items() if isinstance(x, dict) else enumerate(x):
            if sum(map(len, parts)) > budget:
                parts.append("...")
                break
            parts.append(
                f"{_repr(k, budget)}: {_repr(v, budget)}" if isinstance(x, dict) else _repr(v, budget)
            )
        return ("{%s}" if isinstance(x, dict) else "[%s]") % ", ".join(parts)
    try:
        if isinstance(x, bool) or not isinstance(x, (int, float)):
            return repr(x)
        return int.__repr__(x) if isinstance(x, int) else float.__repr__(x)
    except ValueError:  # an integer too long to print
        return "<huge number>"


def _show(x: Any, limit: int = 60) -> str:
    text = _printable(_repr(x, limit))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _hint(word: Any, candidates: list[str]) -> str:
    if not isinstance(word, str) or not candidates:
        return ""
    close = [c for c in candidates if c.casefold() == word.casefold()]
    if not close:
        import difflib  # only on the error path: validating never needs it

        close = difflib.get_close_matches(word, candidates, n=1)
    return f" (did you mean {_show(close[0])}?)" if close else ""


def _equal(a: Any, b: Any) -> bool:
    # JSON equality as jsonschema defines it: true is not 1, 1 is 1.0, containers compare deeply.
    if a is b:
        return True
    if isinstance(a, str) or isinstance(b, str):
        return bool(a == b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=False))
    if isinstance(a, dict) and isinstance(b, dict):
        return len(a) == len(b) and all(k in b and _equal(v, b[k]) for k, v in a.items())
    return not (isinstance(a, bool) or isinstance(b, bool)) and bool(a == b)


def _freeze(x: Any) -> Any:
    # A hashable key with the equality of _equal, so finding duplicates is linear.
    if isinstance(x, list):
        return (2, tuple(map(_freeze, x)))
    if isinstance(x, dict):
        return (3, frozenset((k, _freeze(v)) for k, v in x.items()))
    return x if isinstance(x, str) else (0, x) if isinstance(x, bool) or x is None else (1, x)


def _check_date(text: str) -> str | None:
    if _DATE.fullmatch(text):
        try:
            date(int(text[:4]), int(text[5:7]), int(text[8:]))
            return None
        except ValueError:
            pass
    return f"{_show(text)} is not a valid date (YYYY-MM-DD)"


def _check_uri(text: str) -> str | None:
    return None if _SCHEME.match(text) else f"{_show(text)} is not a URI (it needs a scheme such as 'https:')"


_BUILTIN_FORMATS: dict[str, FormatCheck] = {"date": _check_date, "uri": _check_uri}


def _type_test(types: list[str]) -> Callable[[Any], bool]:
    classes = tuple(_CLASSES[t] for t in types if t in _CLASSES)
    number, integer = "number" in types, "integer" in types
    if not number and not integer:
        # A bound type method is a C call: cheaper than a Python lambda on every node.
        return classes[0].__instancecheck__ if len(classes) == 1 else lambda x: isinstance(x, classes)

    def test(x: Any) -> bool:
        if isinstance(x, classes):
            return True
        if isinstance(x, bool):
            return False
        if isinstance(x, float):  # an integral float like 1.0 is an integer, as in jsonschema
            return number or x.is_integer()
        return isinstance(x, int)

    return test


def _ok(instance: Any) -> None:
    return None


def _nothing(instance: Any) -> _Errors:
    return [((), f"False schema does not allow {_show(instance)}")]


def _all(checks: list[_Check]) -> _Check:
    checks = [c for c in checks if c is not _ok]
    if len(checks) <= 1:
        return checks[0] if checks else _ok

    def all_of(instance: Any) -> _Errors | None:
        out = None
        for check in checks:
            if errors := check(instance):
                out = errors if out is None else out + errors
        return out

    return all_of


def _nest(out: _Errors | None, key: Any, errors: _Errors) -> _Errors:
    nested = [((key, *path), message) for path, message in errors]
    return nested if out is None else out + nested


def _scalar(kind: Callable[[Any], bool], tests: list[_Test]) -> list[_Check]:
    # Keywords that look at one scalar (minLength, pattern, minimum, ...) share one type test.
    def scalar(instance: Any) -> _Errors | None:
        if not kind(instance):
            return None
        return [((), m) for test in tests if (m := test(instance)) is not None] or None

    def single(instance: Any) -> _Errors | None:
        return [((), m)] if kind(instance) and (m := test(instance)) is not None else None

    test = tests[0] if tests else _ok
    return [] if not tests else [single] if len(tests) == 1 else [scalar]


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _multiple(factor: Any) -> _Test:
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
        return f"{_show(x)} is not a multiple of {factor}" if failed else None

    return test


def _size(x: Any, low: int, high: int | None, short: str, long: str) -> str | None:
    if len(x) < low:
        return f"{_show(x)} {'should be non-empty' if low == 1 else short}"
    if high is not None and len(x) > high:
        return f"{_show(x)} {long if high else 'is expected to be empty'}"
    return None


class _Compiler:
    def __init__(self, root: Any, formats: Mapping[str, FormatCheck]):
        self.root = root
        self.formats = {**_BUILTIN_FORMATS, **formats}
        self.done: dict[str, _Check] = {}
        self.active: dict[str, list[_Check]] = {}  # refs being compiled: recursion goes through a cell

    def fail(self, message: str, at: str) -> ValueError:
        return ValueError(f"{message} at {at}")

    def resolve(self, ref: Any, at: str) -> Any:
        if not isinstance(ref, str) or not (ref == "#" or ref.startswith("#/")):
            raise self.fail(f"unsupported $ref {ref!r} (only local '#/...' references)", at)
        node = self.root
        for part in ref[2:].split("/") if ref != "#" else ():
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, Mapping) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise self.fail(f"unresolvable $ref {ref!r}", at)
        return node

    def ref(self, ref: Any, at: str) -> _Check:
        # Each target compiles once, when first referenced. Only a recursive reference needs the
        # indirection of a cell, filled in when its target is finished; others call the target directly.
        if ref in self.done:
            return self.done[ref]
        if ref in self.active:
            cell = self.active[ref]
            return lambda instance: cell[0](instance)
        target = self.resolve(ref, at)
        self.active[ref] = cell = [_ok]
        cell[0] = self.done[ref] = self.compile(target, ref)
        del self.active[ref]
        return cell[0]

    def compile(self, schema: Any, at: str) -> _Check:
        if isinstance(schema, bool):
            return _ok if schema else _nothing
        if not isinstance(schema, Mapping):
            raise self.fail(f"a schema must be an object or a boolean, not {_show(schema)}", at)
        for key in schema:
            if key not in _KNOWN and not str(key).startswith("x-"):
                raise self.fail(f"unsupported JSON Schema keyword {key!r}", at)
        for defs in ("$defs", "definitions"):  # compiled even when unused, to reject what they contain
            for name in schema.get(defs, ()):
                self.ref(f"{at}/{defs}/{_escape(name)}", at)
        checks = [self.ref(schema["$ref"], at)] if "$ref" in schema else []
        for part in (self.values, self.strings, self.numbers, self.objects, self.arrays, self.logic):
            checks += part(schema, at)
        rest = _all(checks)
        if "type" not in schema:
            return rest
        types = [schema["type"]] if isinstance(schema["type"], str) else list(schema["type"])
        if not types or any(t not in _CLASSES and t not in ("number", "integer") for t in types):
            raise self.fail(f"unknown type in {schema['type']!r}", at)
        test, names, only_type = _type_test(types), ", ".join(repr(t) for t in types), rest is _ok

        def typed(instance: Any) -> _Errors | None:
            # A value of the wrong type gets one clear error instead of every keyword's complaint.
            if test(instance):
                return None if only_type else rest(instance)
            return [((), f"{_show(instance)} is not of type {names}")]

        return typed

    def values(self, schema: Mapping[str, Any], at: str) -> list[_Check]:
        checks: list[_Check] = []
        if "enum" in schema:
            values = list(schema["enum"])
            strings = frozenset(v for v in values if isinstance(v, str))
            mixed, hints = len(strings) < len(values), sorted(strings)
            shown = ", ".join(_show(v, 30) for v in values[:8])
            shown += f", ... ({len(values) - 8} more)" if len(values) > 8 else ""

            def enum(x: Any) -> _Errors | None:
                if (isinstance(x, str) and x in strings) or (mixed and any(_equal(x, v) for v in values)):
                    return None
                return [((), f"{_show(x)} is not one of [{shown}]{_hint(x, hints)}")]

            checks.append(enum)
        if "const" in schema:
            const = schema["const"]

            def const_(x: Any) -> _Errors | None:
                return None if _equal(x, const) else [((), f"{_show(const)} was expected, not {_show(x)}")]

            checks.append(const_)
        return checks

    def strings(self, schema: Mapping[str, Any], at: str) -> list[_Check]:
        tests: list[_Test] = []
        if "minLength" in schema or "maxLength" in schema:
            low, high = schema.get("minLength", 0), schema.get("maxLength")
            tests.append(lambda s: _size(s, low, high, "is too short", "is too long"))
        if "pattern" in schema:
            search, shown = _regex(schema["pattern"], at).search, _show(schema["pattern"])
            tests.append(lambda s: None if search(s) else f"{_show(s)} does not match {shown}")
        if "format" in schema:
            if schema["format"] not in self.formats:
                raise self.fail(f"unknown format {schema['format']!r}", at)
            check = self.formats[schema["format"]]
            tests.append(lambda s: None if (m := check(s)) is None else _printable(m))
        return _scalar(str.__instancecheck__, tests)

    def numbers(self, schema: Mapping[str, Any], at: str) -> list[_Check]:
        tests: list[_Test] = []
        tests += [_bound(schema[key], fails, text) for key, fails, text in _BOUNDS if key in schema]
        if "multipleOf" in schema:
            tests.append(_multiple(schema["multipleOf"]))
        return _scalar(_is_number, tests)

    def objects(self, schema: Mapping[str, Any], at: str) -> list[_Check]:
        if not any(k in schema for k in _OBJECT_KEYWORDS):
            return []
        declared = schema.get("properties", {})
        patterns = [
            (_regex(p, at).search, self.compile(v, f"{at}/patternProperties/{_escape(p)}"))
            for p, v in schema.get("patternProperties", {}).items()
        ]
        # Which patterns match a declared key is known now; only undeclared keys need a search later.
        props = {
            k: _all([self.compile(v, f"{at}/properties/{_escape(k)}"), *(c for s, c in patterns if s(k))])
            for k, v in declared.items()
        }
        extra = schema.get("additionalProperties", True)
        extra_check = self.compile(extra, f"{at}/additionalProperties") if extra is not False else None
        names = self.compile(schema.get("propertyNames", True), f"{at}/propertyNames")
        required, needed = list(schema.get("required", ())), frozenset(schema.get("required", ()))
        low, high = schema.get("minProperties", 0), schema.get("maxProperties")
        dependent = [(k, list(v)) for k, v in schema.get("dependentRequired", {}).items()]
        props_get, hints = props.get, sorted(declared)

        def undeclared(key: Any, value: Any) -> _Errors | None:
            out, matched = None, False
            for search, check in patterns if isinstance(key, str) else ():
                if search(key):
                    matched = True
                    if errors := check(value):
                        out = errors if out is None else out + errors
            if matched:
                return out
            if extra_check is not None:
                return extra_check(value)
            return [((), f"unexpected key {_show(key)}{_hint(key, hints)}")]

        def problems(instance: dict[Any, Any]) -> _Errors:
            found = [f"{_show(k)} is a required property" for k in required if k not in instance]
            found += [m for m in [_size(instance, low, high, *_PROPERTY_COUNT)] if m]
            for key, needs in dependent:
                if key in instance:
                    found += [
                        f"{_show(n)} is a dependency of {_show(key)}" for n in needs if n not in instance
                    ]
            return [((), m) for m in found]

        def objects(instance: Any) -> _Errors | None:
            if not isinstance(instance, dict):
                return None
            out = None
            for key, value in instance.items():
                check = props_get(key)
                if errors := check(value) if check is not None else undeclared(key, value):
                    out = _nest(out, key, errors)
                if names is not _ok and (errors := names(key)):
                    out = _nest(out, key, errors)
            if needed <= instance.keys() and low <= len(instance) and high is None and not dependent:
                return out
            return (out or []) + problems(instance) or None

        return [objects]

    def arrays(self, schema: Mapping[str, Any], at: str) -> list[_Check]:
        if not any(k in schema for k in ("items", "minItems", "maxItems", "uniqueItems", "contains")):
            return []
        if isinstance(schema.get("items"), list):
            raise self.fail("'items' must be one schema (the tuple form is not supported)", at)
        items = self.compile(schema.get("items", True), f"{at}/items")
        contains = self.compile(schema["contains"], f"{at}/contains") if "contains" in schema else None
        low, high, unique = (
            schema.get("minItems", 0),
            schema.get("maxItems"),
            schema.get("uniqueItems") is True,
        )

        def arrays(instance: Any) -> _Errors | None:
            if not isinstance(instance, list):
                return None
            out = None
            if items is not _ok:
                for index, value in enumerate(instance):
                    if errors := items(value):
                        out = _nest(out, index, errors)
            if unique and not _all_unique(instance):
                seen: dict[Any, int] = {}
                for index, value in enumerate(instance):
                    if (first := seen.setdefault(_freeze(value), index)) != index:
                        out = _nest(out, index, [((), f"{_show(value)} is a duplicate of item {first}")])
            if message := _size(instance, low, high, "is too short", "is too long"):
                out = (out or []) + [((), message)]
            if contains is not None and all(contains(v) for v in instance):
                message = f"{_show(instance)} does not contain items matching the given schema"
                out = (out or []) + [((), message)]
            return out

        return [arrays]

    def logic(self, schema: Mapping[str, Any], at: str) -> list[_Check]:
        checks = [self.compile(s, f"{at}/allOf/{i}") for i, s in enumerate(schema.get("allOf", ()))]
        for key in ("anyOf", "oneOf"):
            if key in schema:
                branches = [self.compile(s, f"{at}/{key}/{i}") for i, s in enumerate(schema[key])]
                shapes = [self.shape(s, at, 0) for s in schema[key]]
                checks.append(_either(branches, shapes, exactly_one=key == "oneOf"))
        if "not" in schema:
            negated, shown = self.compile(schema["not"], f"{at}/not"), _show(schema["not"])
            checks.append(
                lambda x: None if negated(x) else [((), f"{_show(x)} should not be valid under {shown}")]
            )
        if "if" in schema:
            test = self.compile(schema["if"], f"{at}/if")
            then = self.compile(schema.get("then", True), f"{at}/then")
            other = self.compile(schema.get("else", True), f"{at}/else")
            checks.append(lambda x: other(x) if test(x) else then(x))
        return checks

    def shape(self, schema: Any, at: str, depth: int) -> Callable[[Any], bool]:
        """Whether an instance has the discriminating shape (type, const, enum) of an anyOf/oneOf branch."""
        if not isinstance(schema, Mapping) or depth > 8:
            return lambda x: schema is not False
        tests: list[Callable[[Any], bool]] = []
        if "type" in schema:
            tests.append(_type_test([schema["type"]] if isinstance(schema["type"], str) else schema["type"]))
        for key, prop in [(None, schema), *schema.get("properties", {}).items()]:
            if isinstance(prop, Mapping) and ("const" in prop or "enum" in prop):
                allowed = [prop["const"]] if "const" in prop else list(prop["enum"])
                tests.append(_has_value(key, allowed))
        if "$ref" in schema:
            tests.append(self.shape(self.resolve(schema["$ref"], at), at, depth + 1))
        return lambda x: all(test(x) for test in tests)


_PROPERTY_COUNT = ("does not have enough properties", "has too many properties")


def _all_unique(items: list[Any]) -> bool:
    try:  # a set is exact for hashable items, except that true == 1 merges: _freeze decides those
        if len(set(items)) == len(items):
            return True
    except TypeError:  # objects or arrays among the items
        pass
    return len({_freeze(v) for v in items}) == len(items)


def _has_value(key: str | None, allowed: list[Any]) -> Callable[[Any], bool]:
    def test(instance: Any) -> bool:
        if key is not None:  # a discriminating property: only an object that has it can contradict it
            if not isinstance(instance, dict) or key not in instance:
                return True
            instance = instance[key]
        return any(_equal(instance, a) for a in allowed)

    return test


def _bound(bound: Any, fails: Callable[[Any, Any], bool], text: str) -> _Test:
    return lambda x: f"{_show(x)} {text} {bound!r}" if fails(x, bound) else None


def _either(branches: list[_Check], shapes: list[Callable[[Any], bool]], exactly_one: bool) -> _Check:
    def either(instance: Any) -> _Errors | None:
        failures = []
        for branch in branches:
            if errors := branch(instance):
                failures.append(errors)
            elif not exactly_one:
                return None
        if len(failures) == len(branches) - 1:
            return None
        if len(failures) < len(branches):
            return [((), f"{_show(instance)} is valid under more than one of the given schemas")]
        # Explain the one branch the instance was evidently meant for (e.g. the non-null branch of a
        # nullable value); when that is ambiguous, one branch's errors would mislead, so say so once.
        candidates = [errors for errors, shape in zip(failures, shapes, strict=True) if shape(instance)]
        if len(candidates) == 1:
            return candidates[0]
        return [((), f"{_show(instance)} is not valid under any of the given schemas")]

    return either


def _escape(name: Any) -> str:
    return str(name).replace("~", "~0").replace("/", "~1")


def _ecma_anchors(pattern: str) -> str:
    """JSON Schema patterns are ECMA-262: ``$`` (no multiline flag) matches only at the very end. Python's
    ``$`` also matches before a final newline, which would let ``"acme\\n"`` pass ``^[a-z]+$`` and reach
    a report as two lines. Rewrite ``$`` outside character classes as ``\\Z``."""
    out: list[str] = []
    escaped = in_class = False
    for ch in pattern:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "[":
            in_class = True
        elif ch == "]":
            in_class = False
        elif ch == "$" and not in_class:
            out.append("\\Z")
            continue
        out.append(ch)
    return "".join(out)


def _regex(pattern: Any, at: str) -> re.Pattern[str]:
    try:
        return re.compile(_ecma_anchors(pattern) if isinstance(pattern, str) else pattern)
    except (re.error, TypeError) as error:
        raise ValueError(f"invalid regular expression {pattern!r} ({error}) at {at}") from None


def compile_schema(
    schema: Mapping[str, Any], formats: Mapping[str, FormatCheck] | None = None
) -> Callable[[Any], list[Violation]]:
    """Compile ``schema`` once into a validator returning every violation (an empty list when valid).

    ``formats`` maps extra ``format`` names to checks; ``date`` and ``uri`` are built in. Raises ValueError
    for an unsupported keyword, an unknown format, a bad regular expression or an unresolvable ``$ref``.
    """
    root = _Compiler(schema, formats or {}).ref("#", "#")

    def validate(instance: Any) -> list[Violation]:
        errors = root(instance)
        return [Violation(path, message) for path, message in errors] if errors else []

    return validate

"""A small JSON Schema (2020-12 subset) compiler for the pre-commit hot path.

``compile_schema`` turns a schema into nested closures once; validating is then a few plain function calls
per instance node, 10-25 times faster than jsonschema, and importing this module costs only ``re`` and
``datetime`` (importing jsonschema alone takes ~88 ms). A keyword outside the supported subset is a
compile-time ``ValueError``, so a shipped schema can never silently rely on a check that is not made.
jsonschema stays the test oracle (tests/unit/test_schemacheck.py).

Every error is reported, not just the first, as a ``Violation`` with the instance path it is about. This
module reads the schema; the checks it assembles are in :mod:`hrpolicy.validate.keywords`, the wording of
violations in :mod:`hrpolicy.validate.messages`, and JSON's own types, equality, patterns and formats in
:mod:`hrpolicy.validate.jsonvalues`.
"""

from __future__ import annotations

import _thread
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from hrpolicy.validate.jsonvalues import (
    BUILTIN_FORMATS,
    TYPE_CLASSES,
    FormatCheck,
    all_unique,
    equal,
    freeze,
    is_number,
    regex,
    type_test,
)
from hrpolicy.validate.keywords import (
    Check,
    Errors,
    Test,
    all_checks,
    any_or_one_of,
    bound_test,
    has_value,
    multiple_test,
    nest,
    nothing,
    ok,
    scalar_checks,
    size_problem,
)
from hrpolicy.validate.messages import Violation, hint, json_path, printable, show

__all__ = ["FormatCheck", "Violation", "compile_schema", "json_path"]

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
_BOUNDS: list[tuple[str, Callable[[Any, Any], bool], str]] = [
    ("minimum", lambda x, b: x < b, "is less than the minimum of"),
    ("maximum", lambda x, b: x > b, "is greater than the maximum of"),
    ("exclusiveMinimum", lambda x, b: x <= b, "is less than or equal to the minimum of"),
    ("exclusiveMaximum", lambda x, b: x >= b, "is greater than or equal to the maximum of"),
]


class _Compiler:
    def __init__(self, root: Any, formats: Mapping[str, FormatCheck], lazy: bool = False):
        self.root = root
        self.lazy = lazy
        self.lock = _thread.allocate_lock()  # lazy parts compile while validating, maybe in several threads
        self.formats = {**BUILTIN_FORMATS, **formats}
        self.done: dict[str, Check] = {}
        self.active: dict[str, list[Check]] = {}  # refs being compiled: recursion goes through a cell

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

    def ref(self, ref: Any, at: str) -> Check:
        # Each target compiles once, when first referenced. Only a recursive reference needs the
        # indirection of a cell, filled in when its target is finished; others call the target directly.
        if ref in self.done:
            return self.done[ref]
        if ref in self.active:
            cell = self.active[ref]
            return lambda instance: cell[0](instance)
        target = self.resolve(ref, at)
        self.active[ref] = cell = [ok]
        try:
            cell[0] = self.done[ref] = self.compile(target, ref)
        finally:
            del self.active[ref]
        return cell[0]

    def compile(self, schema: Any, at: str) -> Check:
        if isinstance(schema, bool):
            return ok if schema else nothing
        if not isinstance(schema, Mapping):
            raise self.fail(f"a schema must be an object or a boolean, not {show(schema)}", at)
        for key in schema:
            if key not in _KNOWN and not str(key).startswith("x-"):
                raise self.fail(f"unsupported JSON Schema keyword {key!r}", at)
        for defs in ("$defs", "definitions") if not self.lazy else ():
            for name in schema.get(defs, ()):  # compiled even when unused, to reject what they contain
                self.ref(f"{at}/{defs}/{_escape(name)}", at)
        checks = [self.ref(schema["$ref"], at)] if "$ref" in schema else []
        for part in (self.values, self.strings, self.numbers, self.objects, self.arrays, self.logic):
            checks += part(schema, at)
        rest = all_checks(checks)
        if "type" not in schema:
            return rest
        types = [schema["type"]] if isinstance(schema["type"], str) else list(schema["type"])
        if not types or any(t not in TYPE_CLASSES and t not in ("number", "integer") for t in types):
            raise self.fail(f"unknown type in {schema['type']!r}", at)
        test, names, only_type = type_test(types), ", ".join(repr(t) for t in types), rest is ok

        def typed(instance: Any) -> Errors | None:
            # A value of the wrong type gets one clear error instead of every keyword's complaint.
            if test(instance):
                return None if only_type else rest(instance)
            return [((), f"{show(instance)} is not of type {names}")]

        return typed

    def values(self, schema: Mapping[str, Any], at: str) -> list[Check]:
        checks: list[Check] = []
        if "enum" in schema:
            values = list(schema["enum"])
            strings = frozenset(v for v in values if isinstance(v, str))
            mixed, hints = len(strings) < len(values), sorted(strings)

            def enum(x: Any) -> Errors | None:
                if (isinstance(x, str) and x in strings) or (mixed and any(equal(x, v) for v in values)):
                    return None
                # Worded only for an error: showing a value searches it for personal identifiers.
                shown = ", ".join(show(v, 30) for v in values[:8])
                shown += f", ... ({len(values) - 8} more)" if len(values) > 8 else ""
                return [((), f"{show(x)} is not one of [{shown}]{hint(x, hints)}")]

            checks.append(enum)
        if "const" in schema:
            const = schema["const"]

            def const_(x: Any) -> Errors | None:
                return None if equal(x, const) else [((), f"{show(const)} was expected, not {show(x)}")]

            checks.append(const_)
        return checks

    def strings(self, schema: Mapping[str, Any], at: str) -> list[Check]:
        tests: list[Test] = []
        if "minLength" in schema or "maxLength" in schema:
            low, high = schema.get("minLength", 0), schema.get("maxLength")
            tests.append(lambda s: size_problem(s, low, high, "is too short", "is too long"))
        if "pattern" in schema:
            pattern, search = schema["pattern"], regex(schema["pattern"], at).search
            tests.append(lambda s: None if search(s) else f"{show(s)} does not match {show(pattern)}")
        if "format" in schema:
            if schema["format"] not in self.formats:
                raise self.fail(f"unknown format {schema['format']!r}", at)
            check = self.formats[schema["format"]]
            tests.append(lambda s: None if (m := check(s)) is None else printable(m))
        return scalar_checks(str.__instancecheck__, tests)

    def numbers(self, schema: Mapping[str, Any], at: str) -> list[Check]:
        tests: list[Test] = []
        tests += [bound_test(schema[key], fails, text) for key, fails, text in _BOUNDS if key in schema]
        if "multipleOf" in schema:
            tests.append(multiple_test(schema["multipleOf"]))
        return scalar_checks(is_number, tests)

    def objects(self, schema: Mapping[str, Any], at: str) -> list[Check]:
        if not any(k in schema for k in _OBJECT_KEYWORDS):
            return []
        declared = schema.get("properties", {})
        patterns = [
            (regex(p, at).search, self.compile(v, f"{at}/patternProperties/{_escape(p)}"))
            for p, v in schema.get("patternProperties", {}).items()
        ]

        def prop(key: str, schema: Any) -> Check:
            # Which patterns match a declared key is known now; only undeclared keys need a search later.
            checks = [self.compile(schema, f"{at}/properties/{_escape(key)}")]
            return all_checks(checks + [c for s, c in patterns if s(key)])

        def on_first_use(key: str, schema: Any) -> Check:
            def check(instance: Any) -> Errors | None:
                with self.lock:  # validators are shared: another thread may be compiling this part
                    compiled = props[key]
                    if compiled is check:
                        compiled = props[key] = prop(key, schema)  # from now on called directly
                return compiled(instance)

            return check

        props = {k: (on_first_use if self.lazy else prop)(k, v) for k, v in declared.items()}
        extra = schema.get("additionalProperties", True)
        extra_check = self.compile(extra, f"{at}/additionalProperties") if extra is not False else None
        names = self.compile(schema.get("propertyNames", True), f"{at}/propertyNames")
        required, needed = list(schema.get("required", ())), frozenset(schema.get("required", ()))
        low, high = schema.get("minProperties", 0), schema.get("maxProperties")
        dependent = [(k, list(v)) for k, v in schema.get("dependentRequired", {}).items()]
        props_get = props.get
        undeclared = _undeclared_check(patterns, extra_check, sorted(declared))
        problems = _object_problems(required, low, high, dependent)

        def objects(instance: Any) -> Errors | None:
            if not isinstance(instance, dict):
                return None
            out = None
            for key, value in instance.items():
                check = props_get(key)
                if errors := check(value) if check is not None else undeclared(key, value):
                    out = nest(out, key, errors)
                if names is not ok and (errors := names(key)):
                    out = nest(out, key, errors)
            if needed <= instance.keys() and low <= len(instance) and high is None and not dependent:
                return out
            return (out or []) + problems(instance) or None

        return [objects]

    def arrays(self, schema: Mapping[str, Any], at: str) -> list[Check]:
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

        def arrays(instance: Any) -> Errors | None:
            if not isinstance(instance, list):
                return None
            out = None
            if items is not ok:
                for index, value in enumerate(instance):
                    if errors := items(value):
                        out = nest(out, index, errors)
            if unique and not all_unique(instance):
                seen: dict[Any, int] = {}
                for index, value in enumerate(instance):
                    if (first := seen.setdefault(freeze(value), index)) != index:
                        out = nest(out, index, [((), f"{show(value)} is a duplicate of item {first}")])
            if message := size_problem(instance, low, high, "is too short", "is too long"):
                out = (out or []) + [((), message)]
            if contains is not None and all(contains(v) for v in instance):
                message = f"{show(instance)} does not contain items matching the given schema"
                out = (out or []) + [((), message)]
            return out

        return [arrays]

    def logic(self, schema: Mapping[str, Any], at: str) -> list[Check]:
        checks = [self.compile(s, f"{at}/allOf/{i}") for i, s in enumerate(schema.get("allOf", ()))]
        for key in ("anyOf", "oneOf"):
            if key in schema:
                branches = [self.compile(s, f"{at}/{key}/{i}") for i, s in enumerate(schema[key])]
                shapes = [self.shape(s, at, 0) for s in schema[key]]
                checks.append(any_or_one_of(branches, shapes, exactly_one=key == "oneOf"))
        if "not" in schema:
            negated, banned = self.compile(schema["not"], f"{at}/not"), schema["not"]
            checks.append(
                lambda x: (
                    None if negated(x) else [((), f"{show(x)} should not be valid under {show(banned)}")]
                )
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
            tests.append(type_test([schema["type"]] if isinstance(schema["type"], str) else schema["type"]))
        for key, prop in [(None, schema), *schema.get("properties", {}).items()]:
            if isinstance(prop, Mapping) and ("const" in prop or "enum" in prop):
                allowed = [prop["const"]] if "const" in prop else list(prop["enum"])
                tests.append(has_value(key, allowed))
        if "$ref" in schema:
            tests.append(self.shape(self.resolve(schema["$ref"], at), at, depth + 1))
        return lambda x: all(test(x) for test in tests)


_PROPERTY_COUNT = ("does not have enough properties", "has too many properties")


def _escape(name: Any) -> str:
    return str(name).replace("~", "~0").replace("/", "~1")


def compile_schema(
    schema: Mapping[str, Any], formats: Mapping[str, FormatCheck] | None = None, *, lazy: bool = False
) -> Callable[[Any], list[Violation]]:
    """Compile ``schema`` once into a validator returning every violation (an empty list when valid).

    ``formats`` maps extra ``format`` names to checks; ``date`` and ``uri`` are built in. Raises ValueError
    for an unsupported keyword, an unknown format, a bad regular expression or an unresolvable ``$ref``.

    With ``lazy``, each property's schema is compiled when an instance first has that property, so that a
    run compiles only the parts its files use (a hook run checks one manifest); a problem in the schema
    then surfaces when that part is first used. Only the shipped schemas are compiled lazily, and the
    tests compile each of them whole.
    """
    root = _Compiler(schema, formats or {}, lazy).ref("#", "#")

    def validate(instance: Any) -> list[Violation]:
        errors = root(instance)
        return [Violation(path, message) for path, message in errors] if errors else []

    return validate


def _undeclared_check(
    patterns: Sequence[tuple[Callable[[str], Any], Check]], extra: Check | None, hints: list[str]
) -> Callable[[Any, Any], Errors | None]:
    """The check of a key ``properties`` does not declare: the patternProperties it matches, else
    additionalProperties, else an unexpected-key error with a did-you-mean hint."""

    def undeclared(key: Any, value: Any) -> Errors | None:
        out, matched = None, False
        for search, check in patterns if isinstance(key, str) else ():
            if search(key):
                matched = True
                if errors := check(value):
                    out = errors if out is None else out + errors
        if matched:
            return out
        if extra is not None:
            return extra(value)
        return [((), f"unexpected key {show(key)}{hint(key, hints)}")]

    return undeclared


def _object_problems(
    required: list[str], low: int, high: int | None, dependent: list[tuple[str, list[str]]]
) -> Callable[[dict[Any, Any]], Errors]:
    """The checks of a mapping as a whole: required keys, property counts, dependentRequired."""

    def problems(instance: dict[Any, Any]) -> Errors:
        found = [f"{show(k)} is a required property" for k in required if k not in instance]
        found += [m for m in [size_problem(instance, low, high, *_PROPERTY_COUNT)] if m]
        for key, needs in dependent:
            if key in instance:
                found += [f"{show(n)} is a dependency of {show(key)}" for n in needs if n not in instance]
        return [((), m) for m in found]

    return problems

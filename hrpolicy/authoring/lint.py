"""``rules lint``: every problem of a rule pack, each with the rule file's line and column.

Three passes: each file against the rules schema (all violations), the compiler in collect-all mode
(unknown operators, references, predicates, template fields, regexes RE2 rejects, duplicate ids and
definitions), and a path check: every path a rule reads is resolved against the manifest schema in its
context (the item of ``for_each``, the element of a quantifier), so ``in: at_risk_groups`` inside an
assessment rule, or a typo like ``scope.market``, is reported instead of silently matching nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from hrpolicy.errors import HrpolicyError, RuleError
from hrpolicy.language.pack import _compile_pack, display_path, rule_files
from hrpolicy.language.templates import TEMPLATE_HEADS
from hrpolicy.load.yaml import Document, load_file, pointer_join
from hrpolicy.model import ErrorRecord, Operator
from hrpolicy.validate.schemacheck import Violation
from hrpolicy.validate.schemas import load_schema, validate, validator

ANY: Any = object()  # a value whose shape is unknown (a let, a computed value): not checked further


class Node:
    """A place in the manifest schema, with a label for messages (``an entry of markets``)."""

    __slots__ = ("label", "schema")

    def __init__(self, schema: Any, label: str):
        self.schema = schema
        self.label = label


class SchemaNav:
    def __init__(self, root: Mapping[str, Any]):
        self.root = root

    def _resolve(self, schema: Any) -> list[Mapping[str, Any]]:
        """The schema and the branches it may take ($ref, allOf/anyOf/oneOf, if/then/else)."""
        out: list[Mapping[str, Any]] = []
        todo = [schema]
        while todo:
            s = todo.pop()
            if not isinstance(s, dict):
                continue
            if "$ref" in s:
                target: Any = self.root
                for part in s["$ref"].lstrip("#/").split("/"):
                    target = target.get(part, {}) if part else target
                todo.append(target)
            out.append(s)
            for key in ("allOf", "anyOf", "oneOf"):
                todo.extend(s.get(key, []))
            todo.extend(s[k] for k in ("then", "else") if k in s)
        return out

    def child(self, node: Node, key: str) -> Node | None:
        if key.startswith("x-"):
            return Node(ANY, node.label)
        found = []
        open_object = False
        for s in self._resolve(node.schema):
            if key in s.get("properties", {}):
                found.append(s["properties"][key])
            elif (
                s.get("type") == "object"
                and "properties" not in s
                and s.get("additionalProperties") is not False
            ):
                open_object = True
            elif isinstance(s.get("additionalProperties"), dict):
                found.append(s["additionalProperties"])
        if found:
            return Node({"anyOf": found} if len(found) > 1 else found[0], f"`{key}` of {node.label}")
        return Node(ANY, node.label) if open_object else None

    def items(self, node: Node) -> Node:
        found = [s["items"] for s in self._resolve(node.schema) if isinstance(s.get("items"), dict)]
        if not found:
            return Node(ANY, node.label)
        return Node({"anyOf": found} if len(found) > 1 else found[0], f"an entry of {node.label}")

    def keys(self, node: Node) -> list[str]:
        return sorted({k for s in self._resolve(node.schema) for k in s.get("properties", {})})


class PathLinter:
    def __init__(
        self,
        nav: SchemaNav,
        defines: Mapping[str, Mapping[str, Any]],
        facts: Iterable[str],
        dataset: Iterable[str],
    ):
        self.nav = nav
        self.defines = defines
        self.facts = set(facts)
        self.dataset = set(dataset)
        self.root = Node(nav.root, "the manifest")
        self.problems: list[RuleError] = []
        self._checked_predicates: set[tuple[str, int]] = set()

    # ----------------------------------------------------------------------------------------- walking

    def rule(self, doc: Document, spec: Mapping[str, Any], ptr: str) -> None:
        bodies = (
            [(b, f"{ptr}/cases/{i}") for i, b in enumerate(spec["cases"])]
            if "cases" in spec
            else [(spec, ptr)]
        )
        for body, at in bodies:
            env = self._body_env(doc, body, at)
            for i, esc in enumerate(spec.get("escalate") or ()):
                self.condition(doc, esc.get("when"), f"{ptr}/escalate/{i}/when", env["item"], env)

    def _body_env(self, doc: Document, body: Mapping[str, Any], ptr: str) -> dict[str, Node]:
        each = body.get("for_each")
        if each is None:
            item = self.root
        elif isinstance(each, dict):
            self._strings_under(doc, each.get("strings_under"), f"{ptr}/for_each/strings_under")
            item = Node({"type": "string"}, "a text value")
        else:
            # The base manifest has the manifest's schema: `$base.markets` iterates over entries of markets.
            top = {"item": self.root, "manifest": self.root, "base": self.root}
            item = self.nav.items(self.source(doc, each, f"{ptr}/for_each", self.root, top))
        env = {"item": item, "manifest": self.root, "base": self.root}
        for name in body.get("let") or {}:
            env[name] = Node(ANY, name)
        if "country" in body:
            self.value(doc, body["country"], f"{ptr}/country", item, env)
        for name, spec in (body.get("let") or {}).items():
            self.value(doc, spec, f"{ptr}/let/{name}", item, env)
        for key in ("when", "require"):
            if key in body:
                self.condition(doc, body[key], f"{ptr}/{key}", item, env)
        if "notice" in body:
            self.condition(doc, body["notice"].get("when"), f"{ptr}/notice/when", item, env)
            self.template(doc, body["notice"].get("message"), f"{ptr}/notice/message", env)
        self.template(doc, body.get("message"), f"{ptr}/message", env)
        for i, path in enumerate(body.get("at") or ()):
            self.walk(doc, self.root, path, f"{ptr}/at/{i}")
        return env

    def _strings_under(self, doc: Document, keys: Any, ptr: str) -> None:
        """Each key names one top-level key of the manifest (not a dotted path): a typo scans nothing."""
        for i, key in enumerate(keys if isinstance(keys, list) else ()):
            if isinstance(key, str) and self.nav.child(self.root, key) is None:
                self._problem(
                    doc,
                    pointer_join(ptr, i),
                    f"`{key}` is not a top-level key of the manifest; "
                    f"the manifest has {', '.join(self.nav.keys(self.root))}",
                )

    def condition(self, doc: Document, node: Any, ptr: str, cur: Node, env: dict[str, Node]) -> None:
        if not isinstance(node, dict):
            return
        for key, spec in node.items():
            at = pointer_join(ptr, key)
            if key in ("all_of", "any_of"):
                for i, c in enumerate(spec if isinstance(spec, list) else []):
                    self.condition(doc, c, pointer_join(at, i), cur, env)
            elif key == "not":
                self.condition(doc, spec, at, cur, env)
            elif key in ("any", "all", "none") and isinstance(spec, dict):
                element = self.nav.items(self.source(doc, spec.get("in"), f"{at}/in", cur, env))
                inner = {**env, spec["as"]: element} if isinstance(spec.get("as"), str) else env
                self.condition(doc, spec.get("where"), f"{at}/where", element, inner)
            elif key == "use":
                for name in spec if isinstance(spec, list) else [spec]:
                    self._predicate(doc, name, at, cur, env)
            else:
                self.path(doc, key, at, cur, env)
                for op, arg in spec.items() if isinstance(spec, dict) else ():
                    self.value(doc, arg, pointer_join(at, op), cur, env)

    def _predicate(self, doc: Document, name: Any, ptr: str, cur: Node, env: dict[str, Node]) -> None:
        spec = self.defines.get("predicates", {}).get(name) if isinstance(name, str) else None
        key = (str(name), id(cur.schema))
        if spec is None or key in self._checked_predicates:
            return
        self._checked_predicates.add(key)
        before = len(self.problems)
        # Checked where it is used, against that element; problems point at the use site and name it.
        self.condition(
            doc, spec, ptr, cur, {k: v for k, v in env.items() if k in ("item", "manifest", "base")}
        )
        for i in range(before, len(self.problems)):
            p = self.problems[i]
            self.problems[i] = RuleError(f"in predicate {name!r}: {p.message}", p.path, p.line, p.column)

    # ------------------------------------------------------------------------------------- references

    def source(self, doc: Document, node: Any, ptr: str, cur: Node, env: dict[str, Node]) -> Node:
        if isinstance(node, str) and not node.startswith("$"):
            at_top = self.walk(doc, self.root, node, ptr, report=False)
            if at_top is None and cur is not self.root and self.walk(doc, cur, node, ptr, report=False):
                self._problem(
                    doc,
                    ptr,
                    f"`{node}` is read from the top of the manifest, which has none; "
                    f"to go through {cur.label}'s own list write `$item.{node}` (or an `as` name)",
                )
                return Node(ANY, node)
            return self.walk(doc, self.root, node, ptr) or Node(ANY, node)
        return self.value(doc, node, ptr, cur, env)

    def value(self, doc: Document, node: Any, ptr: str, cur: Node, env: dict[str, Node]) -> Node:
        if isinstance(node, str) and node.startswith("$"):
            return self.path(doc, node, ptr, cur, env) or Node(ANY, node)
        if isinstance(node, list):
            for i, v in enumerate(node):
                self.value(doc, v, pointer_join(ptr, i), cur, env)
        elif isinstance(node, dict) and "literal" not in node:
            for fn in ("collect", "find"):
                if fn in node:
                    src_key = "from" if fn == "collect" else "find"
                    element = self.nav.items(
                        self.source(doc, node.get(src_key), pointer_join(ptr, src_key), cur, env)
                    )
                    inner = {**env, node["as"]: element} if isinstance(node.get("as"), str) else env
                    if fn == "collect" and isinstance(node["collect"], str):
                        self.path(doc, node["collect"], pointer_join(ptr, "collect"), element, inner)
                    self.condition(doc, node.get("where"), pointer_join(ptr, "where"), element, inner)
                    return element if fn == "find" else Node(ANY, "collected values")
            if "if" in node:
                self.condition(doc, node["if"], pointer_join(ptr, "if"), cur, env)
            for key in ("worst_of", "otherwise", "then", "else", "add_days", "country_facts"):
                if key in node:
                    self.value(doc, node[key], pointer_join(ptr, key), cur, env)
        return Node(ANY, "a value")

    def path(self, doc: Document, key: str, ptr: str, cur: Node, env: dict[str, Node]) -> Node | None:
        if not key.startswith("$"):
            return self.walk(doc, cur, key, ptr)
        head, _, rest = key[1:].partition(".")
        if head in ("lists", "values", "patterns", "today"):
            return Node(ANY, head)  # names are the compiler's business
        if head == "country":
            return self._known(doc, rest, self.facts, "country fact", ptr)
        if head == "dataset":
            return self._known(doc, rest, self.dataset, "dataset field", ptr)
        base = env.get(head)
        if base is None:
            return Node(ANY, head)  # unknown names are reported by the compiler
        return self.walk(doc, base, rest, ptr) if rest else base

    def _known(self, doc: Document, rest: str, known: set[str], what: str, ptr: str) -> Node:
        name = rest.split(".", 1)[0]
        if name and known and name not in known:
            self._problem(doc, ptr, f"unknown {what} {name!r} (known: {', '.join(sorted(known))})")
        return Node(ANY, what)

    def walk(self, doc: Document, node: Node, path: str, ptr: str, *, report: bool = True) -> Node | None:
        current = node
        for part in path.split("."):
            if current.schema is ANY:
                return current
            nxt = self.nav.child(current, part)
            if nxt is None:
                if not report:
                    return None
                keys = self.nav.keys(current)
                hint = f"; {current.label} has {', '.join(keys)}" if keys else ""
                self._problem(doc, ptr, f"path `{path}` does not exist in {current.label}{hint}")
                return None
            current = nxt
        return current

    def template(self, doc: Document, text: Any, ptr: str, env: dict[str, Node]) -> None:
        if not isinstance(text, str):
            return
        import re

        for m in re.finditer(
            r"\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_-]+)*)\}", text.replace("{{", "").replace("}}", "")
        ):
            head = m.group(1).split(".", 1)[0]
            if head in TEMPLATE_HEADS or head in env:
                self.path(doc, "$" + m.group(1), ptr, env["item"], env)

    def _problem(self, doc: Document, ptr: str, message: str) -> None:
        line, col = doc.position(ptr)
        self.problems.append(RuleError(message, doc.path, line, col))


# Fields that only describe a rule: a problem there leaves its logic safe to compile and check.
DESCRIPTIVE = frozenset({"title", "rationale", "references", "remediation", "tags"})


def _descriptive(v: Violation) -> bool:
    if len(v.path) >= 3:
        return v.path[2] in DESCRIPTIVE
    return any(v.message == f"{key!r} is a required property" for key in DESCRIPTIVE)


def lint(
    dirs: Sequence[Path], operators: Mapping[str, Operator], facts: Iterable[str], dataset: Iterable[str]
) -> list[ErrorRecord]:
    """Every problem of the rule files in ``dirs``, in file order."""
    problems: list[RuleError] = []
    docs: list[Document] = []
    skip: set[tuple[str, int]] = set()
    check_rules = validator("rules")
    for path in rule_files(dirs):
        try:
            doc = load_file(path, display=display_path(path))
        except HrpolicyError as exc:
            problems.append(RuleError(exc.message, exc.path, exc.line, exc.column))
            continue
        errors = validate(doc, "rules")
        problems.extend(RuleError(e.message, e.path, e.line, e.column) for e in errors)
        if not errors:
            docs.append(doc)
            continue
        # A malformed rule is skipped; the file's other rules are still compiled and checked. A problem
        # outside the rules list (define, top level) leaves nothing safe to compile in that file.
        bad = check_rules(doc.data)
        if all(len(v.path) >= 2 and v.path[0] == "rules" and isinstance(v.path[1], int) for v in bad):
            skip.update((doc.path, int(v.path[1])) for v in bad if not _descriptive(v))
            docs.append(doc)
    pack = _compile_pack(docs, operators, tuple(dirs), problems, frozenset(skip))
    checker = PathLinter(SchemaNav(load_schema("manifest")), pack.defines, facts, dataset)
    for doc in docs:
        for i, spec in enumerate(doc.data.get("rules") or ()):
            if (doc.path, i) not in skip:
                checker.rule(doc, spec, f"/rules/{i}")
    problems.extend(checker.problems)
    seen: set[str] = set()
    records = []
    for p in sorted(problems, key=lambda p: (p.path or "", p.line or 0, p.column or 0, p.message)):
        if str(p) not in seen:
            seen.add(str(p))
            records.append(ErrorRecord(p.path or "rules", p.message, p.line, p.column))
    return records

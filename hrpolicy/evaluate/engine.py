"""Evaluates a compiled :class:`RulePack` against one manifest: compiled rules x manifest -> raw findings.

The engine never prints. It yields :class:`RawFinding` objects (a finding plus what waivers match on);
:mod:`hrpolicy.evaluate.waivers` turns them into the final :class:`~hrpolicy.model.Finding` list.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from hrpolicy.evaluate.countries import CountryTable
from hrpolicy.files import sha256
from hrpolicy.language.context import PENDING, Ctx, country_of
from hrpolicy.language.pack import CompiledBody, CompiledRule, RulePack
from hrpolicy.load.document import pointer_join
from hrpolicy.model import NOTICE, SEVERITY_RANK
from hrpolicy.values import flatten

ACTIVE_STATUSES = ("planned", "beta", "launched")
#: Fields that together identify a list element without an ``id`` (in this order) for fingerprints.
IDENTITY_FIELDS = ("country", "rule", "name", "type", "kind", "target", "customer_type")
#: Waiver scope key -> the field of that manifest list's elements it names them by (manifest schema,
#: ``waivers[].scope``): partners by name and entities by type, the others by their id or country.
SCOPE_KEYS = {
    "markets": "country",
    "data_stores": "id",
    "features": "id",
    "assessments": "id",
    "partners": "name",
    "entities": "type",
    "enforcement_playbooks": "id",
}
#: Top-level lists whose elements are in a country of their own: a waiver's ``countries`` scope covers
#: findings about them (not product-wide findings that only take their severity from a country).
COUNTRY_BOUND = frozenset({"markets", "data_stores", "partners", "entities", "sales_reviews"})


#: Fields of a matched element that say what it is, who approved it and where its evidence is kept (an
#: opaque reference, never the evidence): what the evidence trail shows of it.
EVIDENCE_FIELDS = ("id", "type", "kind", "status", "date", "approver", "evidence", "url", "decision",
                   "customer_type", "country", "cadence_months")  # fmt: skip


class TrailEntry(NamedTuple):
    """One rule's outcome on one item: ``not_applicable``, ``passed`` (with what cleared it), ``finding``
    (with its fingerprint; the waivers may turn it into ``waived``)."""

    rule: str
    pointer: str
    outcome: str
    fingerprint: str = ""
    cleared_by: tuple[dict[str, Any], ...] = ()
    #: Which of a rule's ``cases`` (0 for a rule with one body).
    case: int = 0


def review_records(manifest: Any) -> frozenset[int]:
    """Identities of the manifest's records of reviews: its assessments, transparency reports and sales
    reviews. Only these can clear a requirement in the evidence trail (a feature or market matched on the
    way is what was reviewed; an entry of the base manifest is not this manifest's evidence)."""
    if not isinstance(manifest, dict):
        return frozenset()
    transparency = manifest.get("transparency")
    lists = [
        manifest.get("assessments"),
        manifest.get("sales_reviews"),
        transparency.get("reports") if isinstance(transparency, dict) else None,
    ]
    return frozenset(id(el) for lst in lists if isinstance(lst, list) for el in lst if isinstance(el, dict))


def evidence_of(elements: Iterable[Any], records: frozenset[int]) -> tuple[dict[str, Any], ...]:
    """What the evidence trail shows of the elements that cleared a rule: each review record once, in
    the order they matched, with the fields that identify and attest it."""
    seen: set[int] = set()
    out = []
    for el in elements:
        if id(el) not in records or id(el) in seen:
            continue
        seen.add(id(el))
        shown = {k: el[k] for k in EVIDENCE_FIELDS if el.get(k) is not None}
        if isinstance(shown.get("approver"), dict):
            shown["approver"] = {"role": shown["approver"].get("role")}
        if shown:
            out.append(shown)
    return tuple(out)


class RawFinding(NamedTuple):
    rule: str
    severity: str
    message: str
    pointer: str
    fingerprint: str
    #: (collection, identifier) pairs a waiver scope can match: ("markets", "VN"), ("countries", "VN"), ...
    subjects: frozenset[tuple[str, str]]
    notice: bool = False


def evaluate(
    pack: RulePack,
    manifest: Any,
    *,
    manifest_path: str,
    base: Any,
    today: datetime.date,
    countries: CountryTable,
    waivers: Sequence[Mapping[str, Any]] = (),
    trail: list[TrailEntry] | None = None,
) -> list[RawFinding]:
    """All findings (and notices) of every rule for one validated manifest. ``waivers``: those in effect
    for it (its own and the central ones for its product), as rules see them in ``$waivers``. With
    ``trail``, every rule's outcome on every item is appended to it, with what cleared it."""
    ctx = Ctx(
        manifest=manifest,
        base=base,
        today=today,
        dataset=countries.dataset,
        scopes=countries.scopes_reached(manifest),
        waivers=list(waivers),
        facts_of=countries.facts,
        worst_of=countries.worst,
        value_defs=pack.values,
    )
    # Fingerprints name the product, not the file path: the same finding keeps its fingerprint whichever
    # directory the check runs from.
    product = manifest.get("product") if isinstance(manifest, dict) else None
    owner = str(product.get("id")) if isinstance(product, dict) else manifest_path
    out: list[RawFinding] = []
    records = review_records(manifest) if trail is not None else frozenset()
    scopes = _market_scopes(countries, manifest)
    for rule in pack.rules:
        for case, body in enumerate(rule.bodies):
            out.extend(_run_body(rule, case, body, ctx, manifest, owner, countries, trail, records, scopes))
    return out


class _Items(NamedTuple):
    """A body's items. Pointers are made only where needed (a finding, the trail), from ``source_pointer``
    and the index, or taken from ``pointers`` (texts); ``tags`` tell texts at one pointer apart."""

    items: list[Any]
    source_pointer: str | None = None
    pointers: list[str] | None = None
    tags: list[str | None] | None = None

    def pointer(self, index: int) -> str | None:
        if self.pointers is not None:
            return self.pointers[index]
        return None if self.source_pointer is None else f"{self.source_pointer}/{index}"


def _items(body: CompiledBody, ctx: Ctx, manifest: Any) -> _Items:
    if body.strings_under is not None:
        found = [
            text
            for key in body.strings_under
            for text in _strings(
                manifest.get(key) if isinstance(manifest, dict) else None, pointer_join("", key)
            )
        ]
        return _Items([t[0] for t in found], None, [t[1] for t in found], [t[2] for t in found])
    if body.source is None:
        return _Items([manifest])
    items = body.source(ctx)
    # A list not of this manifest ($base.markets, a computed list) has no location of its own: its items'
    # identity comes from the elements themselves.
    return _Items(items if isinstance(items, list) else [], body.source_pointer)


def _strings(value: Any, pointer: str) -> Iterator[tuple[str, str, str | None]]:
    """Every text under ``value``: strings, mapping keys and numbers (``+4915112345678`` is a number in
    YAML 1.2). A key is reported at its mapping's pointer, so a finding about a key never carries it; its
    position in the mapping (never its text) tells findings on different keys apart."""
    if isinstance(value, str):
        yield value, pointer, None
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield str(value), pointer, None
    elif isinstance(value, dict):
        for n, (k, v) in enumerate(value.items()):
            yield str(k), pointer, f"key#{n}"
            yield from _strings(v, pointer_join(pointer, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, pointer_join(pointer, i))


def _run_body(
    rule: CompiledRule,
    case: int,
    body: CompiledBody,
    ctx: Ctx,
    manifest: Any,
    path: str,
    countries: CountryTable,
    trail: list[TrailEntry] | None = None,
    records: frozenset[int] = frozenset(),
    scopes: Mapping[int, list[str]] | None = None,
) -> Iterator[RawFinding]:
    info = rule.info
    lets = tuple(body.lets)
    # A rule scanning every text (strings_under) has one entry per manifest in the trail, not one per
    # text: a text's place would show the mapping keys on its way.
    per_text = body.strings_under is not None
    found_any = False
    product_scopes = ctx.vars["scopes"]
    # A market reaches the scopes of what is offered there (its own customers and features).
    own_scopes = scopes if scopes and body.source_pointer == "/markets" else None
    ctx.find_country = functools.partial(_find_country, body, countries)
    items = _items(body, ctx, manifest)
    for index, item in enumerate(items.items):
        ctx.cur = item
        ctx.vars["item"] = item
        if own_scopes is not None:
            ctx.vars["scopes"] = own_scopes.get(id(item), product_scopes)
        ctx.vars["country"] = PENDING
        if ctx.item_values:  # a fresh dict only when the last item computed something
            ctx.item_values = {}
        for name in lets:
            ctx.vars.pop(name, None)
        if body.when is not None and not body.when(ctx):
            if trail is not None and not per_text:
                trail.append(
                    TrailEntry(info.id, _place(body, items, index, manifest), "not_applicable", case=case)
                )
            continue
        cleared: list[Any] | None = None
        if trail is None:
            passed = body.require is not None and body.require(ctx)
        else:
            ctx.trail = []
            try:
                passed = body.require is not None and body.require(ctx)
            finally:
                cleared, ctx.trail = ctx.trail, None
        if passed:
            if trail is not None and not per_text:
                # The item's place: its pointer, else where a finding about it would point.
                cleared_by = evidence_of(cleared or (), records)
                trail.append(
                    TrailEntry(info.id, _place(body, items, index, manifest), "passed", "", cleared_by, case)
                )
            if body.notice is not None and body.notice[0](ctx):
                message = body.notice[1](ctx)
                where, own = _place(body, items, index, manifest), _own(body, items, index, manifest)
                yield _raw(info.id, NOTICE, message, where, path, manifest, case, True, own)
            continue
        where, own = _place(body, items, index, manifest), _own(body, items, index, manifest)
        raw = _raw(info.id, _severity(rule, ctx), body.message(ctx), where, path, manifest, case, False, own)
        found_any = True
        if trail is not None:
            trail.append(TrailEntry(info.id, "" if per_text else where, "finding", raw.fingerprint, (), case))
        yield raw
    if trail is not None and per_text and not found_any:
        trail.append(TrailEntry(info.id, "", "passed", case=case))
    ctx.cur = manifest
    ctx.vars["item"] = manifest
    ctx.vars["country"] = None
    ctx.vars["scopes"] = product_scopes
    ctx.find_country = None


def _place(body: CompiledBody, items: _Items, index: int, manifest: Any) -> str:
    """Where a finding about an item points: its pointer, else the first ``at:`` path that exists."""
    pointer = items.pointer(index)
    return pointer if pointer is not None else _at(body, manifest)


def _market_scopes(countries: CountryTable, manifest: Any) -> dict[int, list[str]]:
    """The scope words each market element reaches that records its own customers, capabilities or
    features (by the element's identity; computed once per manifest)."""
    markets = manifest.get("markets") if isinstance(manifest, dict) else None
    return {
        id(m): countries.scopes_reached(manifest, m)
        for m in markets or ()
        if isinstance(m, dict) and any(key in m for key in ("customers", "capabilities", "features"))
    }


def _own(body: CompiledBody, items: _Items, index: int, manifest: Any) -> str | None:
    """What tells a finding's item apart when its pointer alone does not: a text's place among the keys
    of its mapping, or the identity of an item that is not in this manifest (``$base.markets``)."""
    tag = items.tags[index] if items.tags is not None else None
    pointer = items.pointer(index)
    if tag is not None:
        return f"{pointer}#{tag}"
    item = items.items[index]
    if pointer is not None or item is manifest:
        return None
    return f"{body.label}[{_base_key(item) or index}]"


def _severity(rule: CompiledRule, ctx: Ctx) -> str:
    """A finding's severity: the rule's, raised in a high-risk country and by its escalations."""
    info = rule.info
    severity = info.severity
    facts = country_of(ctx)
    if info.severity_in_high_risk and facts is not None and facts["tier"] == "high":
        severity = info.severity_in_high_risk
    for test, raised in rule.escalate:
        if SEVERITY_RANK[raised] > SEVERITY_RANK[severity] and test(ctx):
            severity = raised
    return severity


def _find_country(body: CompiledBody, countries: CountryTable, ctx: Ctx) -> Any:
    """The current item's country facts (``$country``), found on first use: many items are left out by
    ``when`` before their country matters. Values computed on the way are set aside: they saw no country
    yet, so the item computes them again if it needs them."""
    saved_values, saved_cur = ctx.item_values, ctx.cur
    item = ctx.cur = ctx.vars["item"]
    ctx.vars["country"] = None  # a country: expression must not see the previous item's country
    ctx.item_values = {}
    try:
        code = _item_country(body, ctx, item)
    finally:
        ctx.item_values, ctx.cur = saved_values, saved_cur
    facts = ctx.vars["country"] = countries.facts(code) if code else countries.unknown()
    return facts


def _item_country(body: CompiledBody, ctx: Ctx, item: Any) -> str | None:
    if body.country is not None:
        value = body.country(ctx)
        if isinstance(value, list):
            return ctx.worst_of(flatten(value))
        return value if isinstance(value, str) else None
    if isinstance(item, dict) and isinstance(item.get("country"), str):
        return str(item["country"])
    return _riskiest_active(ctx)


def _riskiest_active(ctx: Ctx) -> str | None:
    """Default item country for items without one: the riskiest planned/beta/launched market."""
    cached = ctx.values.get("\0riskiest_active")
    if cached is None:
        markets = ctx.vars["manifest"].get("markets") if isinstance(ctx.vars["manifest"], dict) else None
        codes = [
            m["country"]
            for m in markets or ()
            if isinstance(m, dict)
            and m.get("status") in ACTIVE_STATUSES
            and isinstance(m.get("country"), str)
        ]
        cached = ctx.values["\0riskiest_active"] = ctx.worst_of(codes) or ""
    return cached or None


def _at(body: CompiledBody, manifest: Any) -> str:
    """Location of a finding without an item pointer: the first ``at:`` path that exists, else the root."""
    for parts in body.at:
        node, present = manifest, True
        for p in parts:
            # A key written with an empty value (`network_shutdown_policy: null`) is the most precise place
            # to point at, so presence, not a value, is what counts.
            if not (isinstance(node, dict) and p in node):
                present = False
                break
            node = node[p]
        if present:
            return "".join(pointer_join("", p) for p in parts)
    return ""


def _raw(
    rule_id: str,
    severity: str,
    message: str,
    pointer: str,
    path: str,
    manifest: Any,
    case: int,
    notice: bool,
    own: str | None = None,
) -> RawFinding:
    # The fingerprint is built from the rule, the file and the identities of the items on the pointer's
    # path (ids, or identifying fields such as country and name), never from line numbers or messages,
    # so it stays stable when lines move; it is a hash, so it shows none of that text.
    identity = _identity(manifest, pointer)
    subjects = _scope_subjects(manifest, pointer)
    steps = own if own is not None else "/".join(f"{c}[{k}]" if k is not None else c for c, k in identity)
    parts = [rule_id, path, steps]
    if case:
        parts.append(f"case{case}")
    if notice:
        parts.append(NOTICE)
    fingerprint = sha256("\0".join(parts).encode()).hexdigest()[:32]
    return RawFinding(rule_id, severity, message, pointer, fingerprint, frozenset(subjects), notice)


def _scope_subjects(manifest: Any, pointer: str) -> set[tuple[str, str]]:
    """What a waiver ``scope`` can name the finding by: its top-level list element (``("partners",
    "LocalCo")``) and, for an element in a country of its own, that country (``("countries", "VN")``)."""
    parts = pointer.split("/", 3)[1:3]
    if len(parts) != 2 or not parts[1].isdigit():
        return set()
    items = manifest.get(parts[0]) if isinstance(manifest, dict) else None
    index = int(parts[1])
    element = items[index] if isinstance(items, list) and index < len(items) else None
    if not isinstance(element, dict):
        return set()
    subjects: set[tuple[str, str]] = set()
    value = element.get(SCOPE_KEYS[parts[0]]) if parts[0] in SCOPE_KEYS else None
    if isinstance(value, str):
        subjects.add((parts[0], value))
    country = element.get("country") if parts[0] in COUNTRY_BOUND else None
    if isinstance(country, str):
        subjects.add(("countries", country))
    return subjects


def _identity(manifest: Any, pointer: str) -> list[tuple[str, str | None]]:
    """The pointer with list indexes replaced by the element's id (or country): stable when lines move or
    entries are reordered. ``/markets/3`` -> ``[("markets", "VN")]``."""
    steps: list[tuple[str, str | None]] = []
    node = manifest
    parts = pointer.split("/")[1:] if pointer else []
    i = 0
    while i < len(parts):
        key = parts[i].replace("~1", "/").replace("~0", "~")
        node = node.get(key) if isinstance(node, dict) else None
        ident: str | None = None
        if isinstance(node, list) and i + 1 < len(parts) and parts[i + 1].isdigit():
            index = int(parts[i + 1])
            ident = _element_key(node, index)
            node = node[index] if index < len(node) else None
            i += 1
        steps.append((key, ident))
        i += 1
    return steps


def _element_key(items: list[Any], index: int) -> str:
    """An element's identity in its list: its ``id``, else every identifying field it has (a partner is
    its country and name: one field alone would merge two partners in one country), else its index.
    Elements that still look alike are numbered in list order."""
    key = _base_key(items[index]) if index < len(items) else None
    if key is None:
        return str(index)
    alike = [j for j, other in enumerate(items) if _base_key(other) == key]
    return key if len(alike) == 1 else f"{key}#{alike.index(index) + 1}"


def _base_key(element: Any) -> str | None:
    if not isinstance(element, dict):
        return None
    if _is_key(element.get("id")):
        return f"id={element['id']}"
    parts = [f"{k}={element[k]}" for k in IDENTITY_FIELDS if _is_key(element.get(k))]
    return ",".join(parts) or None


def _is_key(value: Any) -> bool:
    return isinstance(value, (str, int)) and not isinstance(value, bool)

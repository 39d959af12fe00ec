"""Country facts as rules see them through ``$country``: tier, risk, max assessment age, laws, groups.

The facts come from country data files merged in order (the embedded data first, then plugin files, then a
``country-data.yaml`` in a rules directory), then from the ``hrpolicy_country_facts`` hook.

Tiers come from rating sources: Freedom on the Net (``fotn``) where it rates the country, else Freedom in
the World (``fiw``); ``tiers.sources`` and ``tiers.combine`` choose another order or the worse of the two.
Not Free -> ``high``, Partly Free -> ``elevated``, Free -> ``low``, rated by no source -> ``unassessed``
(whose ``risk`` is configurable, ``elevated`` by default). Every country's facts say which source and edition
set its tier.

Scopes: the laws' ``applies_to`` words are defined in the data's ``scopes`` section by the manifest facts
(service types, customers, capabilities, sectors, feature tags, data categories) that put a product within
them; :meth:`CountryTable.scopes_reached` gives the words a manifest reaches (``$scopes`` in rules).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from hrpolicy.load.document import Document, pointer_join
from hrpolicy.model import RatingSource
from hrpolicy.validate import codes

TIER_ORDER = {"high": 3, "elevated": 2, "low": 1}
STATUS_LABEL = {"not_free": "Not Free", "partly_free": "Partly Free", "free": "Free"}
#: Rating sources a country block can carry, and what to call them when the data names no edition.
SOURCE_NAMES = {"fotn": "Freedom on the Net", "fiw": "Freedom in the World"}
DEFAULT_TIERS: Mapping[str, Any] = {
    "sources": ["fotn", "fiw"],
    "combine": "first",
    "by_status": {"not_free": "high", "partly_free": "elevated", "free": "low"},
    "unassessed_risk": "elevated",
    "max_age_days": {"high": 365, "elevated": 730, "low": 1095, "unassessed": 730},
}
#: ``scopes.*.reached_by`` key -> where its values are in a manifest: (list, field of its elements) or
#: (object, list field).
REACHED_BY: Mapping[str, tuple[str, str]] = {
    "service_types": ("product", "service_types"),
    "customers": ("product", "customers"),
    "capabilities": ("product", "capabilities"),
    "sectors": ("product", "sectors"),
    "feature_tags": ("features", "tags"),
    "data_categories": ("data_stores", "data_categories"),
}


#: Product facts a market can record for itself (``markets[].customers``, ``markets[].capabilities``).
MARKET_OWN = frozenset({"customers", "capabilities"})


def merge_data(layers: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Merge country data files: later layers win per source, per scope word, per country and per field,
    one level deep. A layer's ``dataset`` section is the older name of ``sources.fotn``."""
    merged: dict[str, Any] = {"sources": {}, "tiers": {}, "groups": {}, "scopes": {}, "countries": {}}
    for layer in layers:
        sources = [("fotn", layer.get("dataset") or {}), *(layer.get("sources") or {}).items()]
        for sid, block in sources:
            if block:
                merged["sources"][sid] = {**merged["sources"].get(sid, {}), **block}
        for section in ("groups", "scopes"):
            merged[section].update(layer.get(section) or {})
        for key, value in (layer.get("tiers") or {}).items():
            if isinstance(value, dict):
                merged["tiers"][key] = {**merged["tiers"].get(key, {}), **value}
            else:
                merged["tiers"][key] = value
        for code, entry in (layer.get("countries") or {}).items():
            merged["countries"][code] = {**merged["countries"].get(code, {}), **(entry or {})}
    return merged


def scope_problems(
    docs: Iterable[Document], merged: Mapping[str, Any], allowed: Mapping[str, Any]
) -> Iterator[tuple[Document, str, str]]:
    """(file, JSON pointer, problem) for every ``applies_to`` word no ``scopes`` entry defines and every
    ``reached_by`` value the manifest schema does not allow there (``allowed``: key -> allowed values)."""
    words = merged.get("scopes") or {}
    for doc in docs:
        data = doc.data if isinstance(doc.data, dict) else {}
        for word, spec in (data.get("scopes") or {}).items():
            for key, values in ((spec or {}).get("reached_by") or {}).items():
                for i, value in enumerate(values or ()):
                    if value not in allowed.get(key, ()):
                        ptr = pointer_join(f"/scopes/{word}/reached_by/{key}", i)
                        known = ", ".join(sorted(allowed.get(key, ())))
                        yield doc, ptr, f"{value!r} is not a value of {key} in a manifest (one of: {known})"
        for code, entry in (data.get("countries") or {}).items():
            for section in ("localisation", "other_laws"):
                for n, law in enumerate((entry or {}).get(section) or ()):
                    for i, word in enumerate(law.get("applies_to") or ()):
                        if word not in words:
                            ptr = pointer_join(f"/countries/{code}/{section}/{n}/applies_to", i)
                            yield doc, ptr, f"scope word {word!r} is not defined under scopes"


class CountryTable:
    """Facts per country code, computed once per code and cached for the run."""

    def __init__(
        self,
        data: Mapping[str, Any],
        extra_facts: Callable[[str, Mapping[str, Any]], dict[str, Any]],
        extra_fact_names: Iterable[str] = (),
    ):
        tiers = {**DEFAULT_TIERS, **(data.get("tiers") or {})}
        self._order: tuple[str, ...] = tuple(tiers["sources"])
        #: How the sources combine: first (the first that rates a country) or worst (the riskiest tier).
        self.combine: str = tiers["combine"]
        self._by_status: Mapping[str, str] = {**DEFAULT_TIERS["by_status"], **tiers["by_status"]}
        self._max_age: Mapping[str, int] = {**DEFAULT_TIERS["max_age_days"], **tiers["max_age_days"]}
        self._unassessed_risk: str = tiers["unassessed_risk"]
        sources = data.get("sources") or {}
        listed = [{"id": sid, **(sources.get(sid) or {})} for sid in self._order]
        #: The rating sources of tiers.sources, in order: id -> the data's description of the source.
        self.sources: Mapping[str, Mapping[str, Any]] = {s["id"]: s for s in listed}
        #: ``$dataset``: the sources in tier order under ``sources``; the first source's own fields at
        #: the top (``$dataset.name``, ``$dataset.edition_date``).
        self.dataset: Mapping[str, Any] = {**listed[0], "sources": listed}
        self._names = {s["id"]: str(s.get("name") or SOURCE_NAMES[s["id"]]) for s in listed}
        self._countries: Mapping[str, Any] = data.get("countries") or {}
        self._groups: Mapping[str, Any] = data.get("groups") or {}
        self._scopes = {
            word: frozenset(
                (key, value) for key, values in (spec.get("reached_by") or {}).items() for value in values
            )
            for word, spec in (data.get("scopes") or {}).items()
        }
        self.scope_words: Mapping[str, Any] = data.get("scopes") or {}
        self._extra = extra_facts
        self._extra_names = frozenset(extra_fact_names)
        self._cache: dict[str, dict[str, Any]] = {}

    def fact_names(self) -> frozenset[str]:
        """Every fact a rule can read as ``$country.NAME``: those the country-data schema documents, plus
        those plugins declare."""
        from hrpolicy.validate.schemas import load_schema

        return frozenset(load_schema("country-data")["$defs"]["facts"]["properties"]) | self._extra_names

    def facts(self, code: str) -> dict[str, Any]:
        cached = self._cache.get(code)
        if cached is None:
            cached = self._cache[code] = self._extra(code, self._derive(code))
        return cached

    def unknown(self) -> dict[str, Any]:
        """Facts used when an item concerns no country at all (no markets, no scope): unassessed."""
        return self.facts("")

    def rating_sources(self) -> tuple[RatingSource, ...]:
        """The rating sources in tier order, as a report names them."""
        return tuple(
            RatingSource(sid, self._names[sid], block.get("publisher"), block.get("edition_date"))
            for sid, block in self.sources.items()
        )

    def fact_values(self) -> dict[str, frozenset[str]]:
        """Every value some country facts can take, for ``rules lint``: a literal outside them never
        matches."""
        statuses = frozenset(STATUS_LABEL)
        verified = frozenset({"fh_page", "press", "compilation", "override"})
        return {
            "tier": frozenset({*TIER_ORDER, "unassessed"}),
            "risk": frozenset(TIER_ORDER),
            "status": statuses | {"not_covered"},
            "status_label": frozenset(STATUS_LABEL.values()) | {"not rated"},
            "verified": verified,
            "source_id": frozenset(self._order),
            "source": frozenset(self._names.values()),
            "groups": frozenset(self._groups),
        }

    def entry(self, code: str) -> Mapping[str, Any]:
        """The merged data about one country (its rating rows, laws, notes), or an empty mapping."""
        return self._countries.get(code) or {}

    def codes(self) -> list[str]:
        """Every country code the data has an entry for, sorted."""
        return sorted(self._countries)

    def ratings(self, code: str) -> dict[str, dict[str, Any]]:
        """Each source's rating of the country (sources in tier order; unrated sources left out)."""
        entry = self._countries.get(code) or {}
        out: dict[str, dict[str, Any]] = {}
        for sid in self._order:
            block = entry.get(sid)
            if isinstance(block, dict) and block.get("status") in STATUS_LABEL:
                status = block["status"]
                out[sid] = {
                    "status": status,
                    "status_label": STATUS_LABEL[status],
                    "score": block.get("score"),
                    "verified": block.get("verified"),
                    "source": self._names[sid],
                    "tier": self._by_status[status],
                }
        return out

    def _derive(self, code: str) -> dict[str, Any]:
        entry = self._countries.get(code) or {}
        ratings = self.ratings(code) if code else {}
        chosen: str | None = next(iter(ratings), None)
        if self.combine == "worst" and ratings:
            chosen = max(ratings, key=lambda sid: (TIER_ORDER[ratings[sid]["tier"]], -self._order.index(sid)))
        rated = ratings[chosen] if chosen else None
        tier = rated["tier"] if rated else "unassessed"
        risk = tier if tier != "unassessed" else self._unassessed_risk
        laws = entry.get("localisation") or []
        return {
            "code": code or None,
            "name": entry.get("name") or (codes.country_name(code) if code else "no market") or code,
            "covered": rated is not None,
            "status": rated["status"] if rated else "not_covered",
            "status_label": rated["status_label"] if rated else "not rated",
            "score": rated["score"] if rated else None,
            "verified": rated["verified"] if rated else None,
            "source": rated["source"] if rated else None,
            "source_id": chosen,
            "rating": self._rating(code, rated, risk),
            "ratings": ratings,
            "tier": tier,
            "risk": risk,
            "max_age_days": self._max_age.get(tier, self._max_age.get(risk, 730)),
            "localisation": laws,
            "localisation_laws": [law.get("law") for law in laws if isinstance(law, dict)],
            "groups": sorted(g for g, members in self._groups.items() if code in (members or ())),
        }

    def _rating(self, code: str, rated: Mapping[str, Any] | None, risk: str) -> str:
        if rated is not None:
            return f"{rated['tier']} risk: {rated['status_label']} in {rated['source']}"
        if not code:
            return f"unassessed, treated as {risk} risk"
        names = " or ".join(self._names.values())
        return f"unassessed: not rated by {names} (treated as {risk} risk)"

    def scopes_reached(self, manifest: Any, market: Any = None) -> list[str]:
        """The scope words whose ``reached_by`` facts the manifest has, sorted. For a ``market``, its own
        ``customers`` and the tags of the ``features`` offered there stand in for the product-wide ones
        (when it records them), and so do its own ``capabilities``."""
        if not self._scopes or not isinstance(manifest, dict):
            return []
        offered = market.get("features") if isinstance(market, dict) else None
        have: set[tuple[str, str]] = set()
        for key, (where, field) in REACHED_BY.items():
            own = market.get(key) if isinstance(market, dict) and key in MARKET_OWN else None
            if isinstance(own, list):
                have.update((key, v) for v in own if isinstance(v, str))
                continue
            holder = manifest.get(where)
            elements = holder if isinstance(holder, list) else [holder]
            for element in elements:
                if not isinstance(element, dict):
                    continue
                if key == "feature_tags" and isinstance(offered, list) and element.get("id") not in offered:
                    continue
                values = element.get(field)
                if isinstance(values, list):
                    have.update((key, v) for v in values if isinstance(v, str))
        return sorted(word for word, pairs in self._scopes.items() if not pairs.isdisjoint(have))

    def worst(self, codes_: Iterable[object]) -> str | None:
        """The riskiest of the codes: highest risk, then assessed before unassessed, then lowest score."""
        best: tuple[Any, ...] | None = None
        best_code = None
        for code in codes_:
            if not isinstance(code, str):
                continue
            f = self.facts(code)
            score = f["score"] if isinstance(f["score"], (int, float)) else 101
            key = (TIER_ORDER.get(f["risk"], 2), f["tier"] != "unassessed", -score, code)
            if best is None or key > best:
                best, best_code = key, code
        return best_code

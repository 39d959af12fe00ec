"""Country facts as rules see them through ``$country``: tier, risk, max assessment age, laws, groups.

The facts come from country data files merged in order (the embedded Freedom on the Net data set first,
then plugin files, then a ``country-data.yaml`` in a rules directory), then from the
``hrpolicy_country_facts`` hook. Tiers: Not Free -> ``high``, Partly Free -> ``elevated``,
Free -> ``low``, not covered -> ``unassessed`` (whose ``risk`` is configurable, ``elevated`` by default).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from hrpolicy.validate import codes

TIER_ORDER = {"high": 3, "elevated": 2, "low": 1}
STATUS_LABEL = {"not_free": "Not Free", "partly_free": "Partly Free", "free": "Free"}
DEFAULT_TIERS: Mapping[str, Any] = {
    "by_status": {"not_free": "high", "partly_free": "elevated", "free": "low"},
    "unassessed_risk": "elevated",
    "max_age_days": {"high": 365, "elevated": 730, "low": 1095, "unassessed": 730},
}


def merge_data(layers: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Merge country data files: later layers win per country and per field, one level deep."""
    merged: dict[str, Any] = {"dataset": {}, "tiers": {}, "groups": {}, "countries": {}}
    for layer in layers:
        for section in ("dataset", "groups"):
            merged[section].update(layer.get(section) or {})
        for key, value in (layer.get("tiers") or {}).items():
            if isinstance(value, dict):
                merged["tiers"][key] = {**merged["tiers"].get(key, {}), **value}
            else:
                merged["tiers"][key] = value
        for code, entry in (layer.get("countries") or {}).items():
            merged["countries"][code] = {**merged["countries"].get(code, {}), **(entry or {})}
    return merged


class CountryTable:
    """Facts per country code, computed once per code and cached for the run."""

    def __init__(
        self,
        data: Mapping[str, Any],
        extra_facts: Callable[[str, Mapping[str, Any]], dict[str, Any]],
        extra_fact_names: Iterable[str] = (),
    ):
        self.dataset: Mapping[str, Any] = data.get("dataset") or {}
        tiers = {**DEFAULT_TIERS, **(data.get("tiers") or {})}
        self._by_status: Mapping[str, str] = {**DEFAULT_TIERS["by_status"], **tiers["by_status"]}
        self._max_age: Mapping[str, int] = {**DEFAULT_TIERS["max_age_days"], **tiers["max_age_days"]}
        self._unassessed_risk: str = tiers["unassessed_risk"]
        self._countries: Mapping[str, Any] = data.get("countries") or {}
        self._groups: Mapping[str, Any] = data.get("groups") or {}
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

    def _derive(self, code: str) -> dict[str, Any]:
        entry = self._countries.get(code) or {}
        fotn = entry.get("fotn") or None
        status = fotn.get("status") if fotn else None
        tier = self._by_status.get(status, "unassessed") if status else "unassessed"
        risk = tier if tier != "unassessed" else self._unassessed_risk
        laws = entry.get("localisation") or []
        return {
            "code": code or None,
            "name": entry.get("name") or (codes.country_name(code) if code else "no market") or code,
            "covered": fotn is not None,
            "status": status or "not_covered",
            "status_label": STATUS_LABEL.get(status or "", "not covered by the data set"),
            "score": fotn.get("score") if fotn else None,
            "verified": fotn.get("verified") if fotn else None,
            "tier": tier,
            "risk": risk,
            "max_age_days": self._max_age.get(tier, self._max_age.get(risk, 730)),
            "localisation": laws,
            "localisation_laws": [law.get("law") for law in laws if isinstance(law, dict)],
            "groups": sorted(g for g, members in self._groups.items() if code in (members or ())),
        }

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

"""``hrpolicy explain --country CODE``: what a country's tier rests on, and which laws the data knows.

For a reader who wants to check a finding: the tier and maximum assessment age, the rating source and
edition that set the tier (with its verification level and where the row was read), the other source's
rating, the groups, and the localisation and related laws with their scope words and whether they are in
force on the evaluation date. Everything printed passes through :func:`hrpolicy.authoring.describe.plain`.
"""

from __future__ import annotations

import datetime
import json
import textwrap
from collections.abc import Mapping, Sequence
from typing import IO, Any

from hrpolicy import api
from hrpolicy.authoring.describe import plain
from hrpolicy.errors import UsageError
from hrpolicy.validate import codes
from hrpolicy.values import as_date

WIDTH = 100
INDENT = 15


def run(code: str, *, dirs: Sequence[str], autoload: bool, today: datetime.date, stdout: IO[str]) -> int:
    problem = codes.country_problem(code)
    if problem is not None and codes.country_problem(code.upper()) is None:
        code = code.upper()
    elif problem is not None:
        raise UsageError(problem)
    table = api.open_session(dirs, autoload=autoload).countries
    facts = table.facts(code)
    entry = table.entry(code)
    out = _Writer(stdout)
    stdout.write(f"{plain(code)}: {plain(facts['name'])}\n")
    out.field("Tier:", f"{facts['tier']}; assessments may be {facts['max_age_days']} days old")
    if facts["tier"] == "unassessed":
        out.field("Treated as:", f"{facts['risk']} risk (tiers.unassessed_risk)")
    ratings: Mapping[str, Any] = facts["ratings"]
    if not ratings:
        names = " or ".join(str(s.get("name") or sid) for sid, s in table.sources.items())
        out.field("Set by:", f"no rating: not rated by {names}")
    for sid, rating in ratings.items():
        label = "Set by:" if sid == facts["source_id"] else "Also rated:"
        out.field(label, _rating(table.sources[sid], entry.get(sid) or {}, rating))
    if entry.get("note"):
        out.field("Note:", entry["note"])
    out.field("Groups:", ", ".join(facts["groups"]) or "none")
    _laws(out, entry, today)
    out.heading("As rules see it ($country.NAME):")
    for name, value in facts.items():
        if name not in _NOT_LISTED:
            out.item(f"{name}: {_shown(value)}")
    meanings = [
        f"{rating['verified']} in {rating['source']}: {meaning}"
        for sid, rating in ratings.items()
        if (meaning := (table.sources[sid].get("verification") or {}).get(rating["verified"]))
    ]
    if meanings:
        out.heading("What the verification levels mean:")
        for meaning in meanings:
            out.item(meaning)
    return 0


#: Facts too long to list; the sections above show them.
_NOT_LISTED = frozenset({"localisation", "ratings"})


def _shown(value: Any) -> str:
    """A fact as a rule would write it: strings bare, everything else as JSON (null, true, ["a", "b"])."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def _rating(source: Mapping[str, Any], row: Mapping[str, Any], rating: Mapping[str, Any]) -> str:
    edition = source.get("edition_date") or "undated"
    text = f"{rating['source']} ({source.get('publisher', 'publisher not named')}, edition {edition}): "
    text += f"{rating['status_label']}, score {rating['score']}/100, so {rating['tier']}. "
    text += f"Verified: {row.get('verified') or 'not stated'}."
    if row.get("source"):
        text += f" Read in: {row['source']}."
    if row.get("note"):
        text += f" {row['note']}"
    return text


def _laws(out: _Writer, entry: Mapping[str, Any], today: datetime.date) -> None:
    laws = entry.get("localisation") or []
    if laws:
        out.heading(
            "Localisation laws (HRDD-LOC-002 asks about those in force whose scope reaches the product):"
        )
        for law in laws:
            out.item(_law(law, today))
    elif entry.get("localisation_researched") is False or "localisation_researched" not in entry:
        out.field("Localisation:", 'not researched: no law listed means unknown, not "no law"')
    else:
        out.field("Localisation:", "researched; no duty to store data in the country is listed")
    other = entry.get("other_laws") or []
    if other:
        out.heading("Related laws (transfer, retention, access, representatives; not asked about):")
        for law in other:
            out.item(_law(law, today))


def _law(law: Mapping[str, Any], today: datetime.date) -> str:
    text = f"{law['law']}: {law['requirement']}"
    if law.get("kind"):
        text += f" Kind: {law['kind']}."
    text += (
        f" Applies to: {', '.join(law['applies_to'])}."
        if law.get("applies_to")
        else " Applies to: any product."
    )
    text += f" {_in_force(law, today)}. Confidence: {law['confidence']}"
    text += f"; {law['source']}." if law.get("source") else "."
    if law.get("note"):
        text += f" {law['note']}"
    return text


def _in_force(law: Mapping[str, Any], today: datetime.date) -> str:
    start, end = as_date(law.get("in_force_from")), as_date(law.get("in_force_until"))
    if start is not None and start > today:
        return f"Not yet in force on {today}: from {start}"
    if end is not None and end <= today:
        return f"No longer in force on {today}: until {end}"
    since = f" since {start}" if start is not None else ""
    until = f", until {end}" if end is not None else ""
    return f"In force on {today}{since}{until}"


class _Writer:
    def __init__(self, stdout: IO[str]):
        self.stdout = stdout

    def field(self, label: str, value: str) -> None:
        text = textwrap.fill(
            plain(value), WIDTH, initial_indent=f"{label:<{INDENT}}", subsequent_indent=" " * INDENT
        )
        self.stdout.write(text + "\n")

    def heading(self, text: str) -> None:
        self.stdout.write(f"\n{plain(text)}\n")

    def item(self, text: str) -> None:
        self.stdout.write(
            textwrap.fill(plain(text), WIDTH, initial_indent="- ", subsequent_indent="  ") + "\n"
        )

"""What a run's results may show: every string of a result that can hold manifest text goes through
:func:`hrpolicy.identifiers.shown` before any output sees it.

Messages were already built from withheld values (:func:`hrpolicy.language.templates.display` applies
``shown`` to each value before it is cut or escaped); this pass covers the rest, whatever a rule or an
error message put together: finding messages as a whole, JSON pointers segment by segment (a mapping key
can be an address), waiver reasons, approver roles and tickets, product ids, and every error message.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from typing import Any

from hrpolicy.identifiers import find, shown
from hrpolicy.load.document import Document, pointer_join
from hrpolicy.model import ErrorRecord, Finding, ManifestResult

#: Lists of the manifest whose entries name a country: their countries' phone formats are tried too.
COUNTRY_LISTS = ("markets", "data_stores", "entities", "partners", "sales_reviews")


def countries_of(manifest: Any) -> set[str]:
    """The country codes a (possibly invalid) manifest mentions in its lists."""
    found: set[str] = set()
    if not isinstance(manifest, dict):
        return found
    for key in COUNTRY_LISTS:
        entries = manifest.get(key)
        for entry in entries if isinstance(entries, list) else ():
            code = entry.get("country") if isinstance(entry, dict) else None
            if isinstance(code, str):
                found.add(code)
    return found


def pointer(text: str) -> str:
    """A JSON pointer with each segment shown (a segment can be a mapping key from the manifest)."""
    if not text:
        return text
    segments = text.split("/")
    out = []
    for segment in segments:
        raw = segment.replace("~1", "/").replace("~0", "~")
        safe = shown(raw)
        out.append(segment if safe == raw else safe.replace("~", "~0").replace("/", "~1"))
    return "/".join(out)


def finding(f: Finding) -> Finding:
    message = shown(f.message)
    where = pointer(f.location.pointer)
    waiver = f.waiver
    if waiver is not None:
        reason, role = shown(waiver.reason), shown(waiver.approver_role)
        ticket = shown(waiver.ticket) if waiver.ticket else waiver.ticket
        if (reason, role, ticket) != (waiver.reason, waiver.approver_role, waiver.ticket):
            waiver = dataclasses.replace(waiver, reason=reason, approver_role=role, ticket=ticket)
    if message == f.message and where == f.location.pointer and waiver is f.waiver:
        return f
    location = f.location if where == f.location.pointer else dataclasses.replace(f.location, pointer=where)
    return dataclasses.replace(f, message=message, location=location, waiver=waiver)


def result(r: ManifestResult) -> ManifestResult:
    findings = tuple(finding(f) for f in r.findings)
    product = shown(r.product) if r.product is not None else None
    trail = tuple({**shown_deep(entry), "pointer": pointer(entry["pointer"])} for entry in r.trail)
    return dataclasses.replace(r, findings=findings, product=product, trail=trail)


def shown_deep(value: Any) -> Any:
    """Every text of a value (a trail entry, the facts a report shows) as it may be shown: an evidence
    reference holding an e-mail address is withheld like any manifest text."""
    if isinstance(value, str):
        return shown(value)
    if isinstance(value, dict):
        return {k: shown_deep(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [shown_deep(v) for v in value]
    return value


def errors(records: Iterable[ErrorRecord]) -> list[ErrorRecord]:
    out = []
    for e in records:
        message = shown(e.message)
        out.append(e if message == e.message else dataclasses.replace(e, message=message))
    return out


def _texts(value: Any, pointer: str) -> Iterator[tuple[str, str]]:
    """(text, pointer) of every string, mapping key and number under ``value``."""
    if isinstance(value, str):
        yield value, pointer
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield str(value), pointer
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key), pointer
            yield from _texts(item, pointer_join(pointer, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _texts(item, pointer_join(pointer, index))


def identifier_errors(docs: Iterable[Document]) -> list[ErrorRecord]:
    """One error per text of ``docs`` that holds a personal identifier (never the text itself)."""
    out = []
    for doc in docs:
        for text, where in _texts(doc.data, ""):
            if find(text):
                problem = (
                    "this text holds what looks like a personal identifier (value withheld); keep contact "
                    "details out of waivers.yaml, in the access-controlled evidence store"
                )
                out.append(ErrorRecord(doc.path, problem, *doc.position(where)))
    return out

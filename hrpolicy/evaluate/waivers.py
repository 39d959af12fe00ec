"""Waivers: recorded, time-limited exceptions to a rule.

A waiver lives in the manifest (``waivers:``) or in a central ``waivers.yaml`` of a rules directory (the
same fields plus optional ``products: [ids]``). A waived finding is reported as waived, never dropped;
an expired waiver stops applying and the finding comes back with a note; a waiver expiring within
:data:`EXPIRY_NOTICE_DAYS` days and a manifest waiver that matches nothing produce notices. A waiver for an
unknown rule, or for a rule marked ``waivable: false``, is an error.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from hrpolicy.evaluate.engine import RawFinding
from hrpolicy.files import sha256
from hrpolicy.load.document import Document
from hrpolicy.model import NOTICE, AppliedWaiver, ErrorRecord, Finding, Location, RuleInfo

EXPIRY_NOTICE_DAYS = 30


class Waiver(NamedTuple):
    rule: str
    #: None: the whole rule for the manifest. A scope naming nothing known (only ``x-`` keys) covers nothing.
    scope: Mapping[str, tuple[str, ...]] | None
    reason: str
    approver_role: str
    expires: datetime.date
    ticket: str | None
    products: tuple[str, ...] | None
    location: Location
    central: bool

    def applies_to_product(self, product: str | None) -> bool:
        return self.products is None or product in self.products

    def covers(self, finding: RawFinding) -> bool:
        if finding.rule != self.rule:
            return False
        if self.scope is None:
            return True
        return any((kind, key) in finding.subjects for kind, keys in self.scope.items() for key in keys)

    def applied(self, today: datetime.date) -> AppliedWaiver:
        loc = self.location
        return AppliedWaiver(
            rule=self.rule,
            reason=self.reason,
            approver_role=self.approver_role,
            expires=self.expires.isoformat(),
            status="active" if self.expires >= today else "expired",
            ticket=self.ticket,
            source=f"{loc.path}:{loc.line}",
        )


def read_waivers(doc: Document, *, central: bool) -> list[Waiver]:
    """Waivers of an already schema-validated document (a manifest, or a central ``waivers.yaml``)."""
    out = []
    for i, w in enumerate((doc.data or {}).get("waivers") or ()):
        pointer = f"/waivers/{i}"
        line, col = doc.position(pointer)
        given = w.get("scope")
        scope = None if given is None else {k: tuple(v) for k, v in given.items() if not k.startswith("x-")}
        products = w.get("products")
        out.append(
            Waiver(
                rule=w["rule"],
                scope=scope,
                reason=w["reason"],
                approver_role=w["approver"]["role"],
                expires=datetime.date.fromisoformat(w["expires"]),
                ticket=w.get("ticket"),
                products=tuple(products) if products is not None else None,
                location=Location(doc.path, line, col, pointer),
                central=central,
            )
        )
    return out


def check_waivers(waivers: Iterable[Waiver], rules: Mapping[str, RuleInfo]) -> list[ErrorRecord]:
    """Errors for waivers of unknown or non-waivable rules."""
    errors = []
    for w in waivers:
        loc = w.location
        info = rules.get(w.rule)
        if info is None:
            errors.append(ErrorRecord(loc.path, f"waiver for unknown rule {w.rule}", loc.line, loc.column))
        elif not info.waivable:
            errors.append(ErrorRecord(loc.path, f"{w.rule} cannot be waived", loc.line, loc.column))
    return errors


def apply_waivers(
    raw: Sequence[RawFinding],
    waivers: Sequence[Waiver],
    *,
    rules: Mapping[str, RuleInfo],
    today: datetime.date,
    path: str,
    doc: Document,
) -> list[Finding]:
    """Final findings for one manifest: waived / expired-waiver annotations, waiver notices; sorted."""
    used: set[int] = set()
    findings: list[Finding] = []
    for r in raw:
        matches = [i for i, w in enumerate(waivers) if w.covers(r)] if not r.notice else []
        used.update(matches)
        applied = _applied([waivers[i] for i in matches], today)
        message = r.message
        if applied is not None and applied.status == "expired":
            message += f" (waiver expired on {applied.expires})"
        line, col = doc.position(r.pointer)
        info = rules.get(r.rule)
        findings.append(
            Finding(
                rule=r.rule,
                severity=r.severity,
                message=message,
                remediation=info.remediation if info else "",
                location=Location(path, line, col, r.pointer),
                fingerprint=r.fingerprint,
                waiver=applied,
            )
        )
    product = doc.data.get("product") if isinstance(doc.data, dict) else None
    owner = product.get("id") if isinstance(product, dict) else path
    findings.extend(_waiver_notices(waivers, used, today, path, str(owner)))
    findings.sort(key=lambda f: (f.location.line, f.location.column, f.rule, f.fingerprint))
    return findings


def _applied(matching: Sequence[Waiver], today: datetime.date) -> AppliedWaiver | None:
    """The waiver reported with a finding: an active one if any, else the latest expired one."""
    if not matching:
        return None
    candidates = [w.applied(today) for w in matching]
    active = [a for a in candidates if a.status == "active"]
    return active[0] if active else max(candidates, key=lambda a: a.expires)


def _waiver_notices(
    waivers: Sequence[Waiver], used: set[int], today: datetime.date, path: str, owner: str
) -> list[Finding]:
    """Notices for waivers expiring soon and for manifest waivers that match nothing."""
    notices = []
    for i, w in enumerate(waivers):
        days_left = (w.expires - today).days
        note = kind = None
        if 0 <= days_left <= EXPIRY_NOTICE_DAYS and i in used:
            kind = "expiring"
            expires = w.expires.isoformat()
            note = f"waiver for {w.rule} expires on {expires} (in {days_left} days); renew or resolve it"
        elif i not in used and not w.central:
            kind = "unused"
            note = f"waiver for {w.rule} matches no finding; remove it"
        if note:
            # Identified by what the waiver says, not where it sits, so reordering waivers changes nothing.
            scope = sorted((k, sorted(v)) for k, v in (w.scope or {}).items())
            key = f"{w.rule}\0{owner}\0{scope}\0{w.ticket}\0{w.expires}\0waiver-{kind}"
            fingerprint = sha256(key.encode()).hexdigest()[:32]
            loc = w.location
            notices.append(
                Finding(
                    w.rule, NOTICE, note, "", Location(path, loc.line, loc.column, loc.pointer), fingerprint
                )
            )
    return notices


def load_central(docs: Iterable[Document]) -> list[Waiver]:
    return [w for doc in docs for w in read_waivers(doc, central=True)]


def as_facts(waiver: Waiver) -> dict[str, Any]:
    """A waiver as rules see it in ``$waivers``: the shape of a manifest's waiver entry, whichever file it
    came from (a central one also says which products it is for)."""
    facts: dict[str, Any] = {
        "rule": waiver.rule,
        "scope": {k: list(v) for k, v in waiver.scope.items()} if waiver.scope is not None else None,
        "reason": waiver.reason,
        "approver": {"role": waiver.approver_role},
        "ticket": waiver.ticket,
        "expires": waiver.expires.isoformat(),
    }
    if waiver.central:
        facts["products"] = list(waiver.products) if waiver.products is not None else None
    return facts


def product_waivers(waivers: Iterable[Waiver], product: str | None) -> list[Waiver]:
    return [w for w in waivers if w.applies_to_product(product)]

"""The portfolio document as one self-contained HTML page (``hrpolicy report --format html=FILE``).

The page is rendered by Jinja2 from ``templates/report.html.j2`` with auto-escaping on and undefined names
an error, so every manifest string reaches the page escaped; nothing taken from the document is marked
safe. The stylesheet and script (``templates/report.css``, ``templates/report.js``) are inlined, and the
page's Content-Security-Policy allows exactly those two by their SHA-256 and nothing else: no network at
view time, and an injected script or style would not run even if one got through. Data the script needs
is a ``<script type="application/json">`` block written with ``tojson``.

Tables are rendered server-side (the page reads without JavaScript; the script only adds sorting and
filters); long ones are cut to :data:`hrpolicy.portfolio.view.ROWS` rows, saying how many more the CSV
and JSON reports have.

Imported only by ``hrpolicy report`` for this format: Jinja2 stays off every other path.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Mapping
from importlib import resources
from typing import IO, Any

import jinja2
from markupsafe import Markup

from hrpolicy.portfolio import view

TEMPLATE = "report.html.j2"


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("hrpolicy.portfolio", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default_for_string=True, default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = lambda n: f"{n:,}" if isinstance(n, int) else n
    env.filters["words"] = lambda s: str(s).replace("_", " ")
    env.globals.update(known=view.known, rank=view.rank)
    return env


@functools.lru_cache(maxsize=2)
def asset(name: str) -> str:
    """A file shipped next to the template, to inline: never one that could close its element early."""
    text = resources.files("hrpolicy.portfolio").joinpath("templates").joinpath(name).read_text("utf-8")
    assert "</" not in text, f"{name} must not contain '</'"
    return text


def csp_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def policy(style: str, script: str) -> str:
    """The Content-Security-Policy: the inline style and script by hash, images only as data: URLs."""
    return (
        f"default-src 'none'; script-src {csp_hash(script)}; style-src {csp_hash(style)}; img-src data:; "
        "base-uri 'none'; form-action 'none'"
    )


def render(doc: Mapping[str, Any]) -> str:
    out: list[str] = []
    _generate(doc, out.append)
    return "".join(out)


def write(doc: Mapping[str, Any], out: IO[str]) -> None:
    _generate(doc, out.write)


def _generate(doc: Mapping[str, Any], emit: Any) -> None:
    style, script = asset("report.css"), asset("report.js")
    context = view.page(doc)
    data = {
        "generated_on": doc["generated_on"],
        "rows_limit": view.ROWS,
        "order": {
            "dd": list(view.DD_STATES),
            "state": ["lapsed", "active", *view.REGISTER_STATES],
            "tier": list(view.TIERS),
            "severity": ["critical", "high", "medium", "low"],
            "worst": ["critical", "high", "medium", "low", "none"],
            "outcome": ["finding", "waived", "passed", "not_applicable"],
            "waived": ["open", "waived"],
        },
        "labels": view.FILTER_LABELS,
    }
    template = environment().get_template(TEMPLATE)
    for chunk in template.generate(
        doc=doc,
        csp=policy(style, script),
        style=Markup(style),  # package files, checked by asset(): not document text
        script=Markup(script),
        data=data,
        **context,
    ):
        emit(chunk)

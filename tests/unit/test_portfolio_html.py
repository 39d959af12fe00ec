"""The HTML portfolio page as markup: one file that loads nothing, a Content-Security-Policy that allows
exactly its inline script and style, every document string escaped, long tables cut with a line saying so,
and Jinja2 kept off the ``check`` path. (Its behaviour in a real browser: tests/acceptance.)"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from helpers import EXAMPLE, REPO
from portfolio_docs import PAYLOADS, companies, hostile, scaled

from hrpolicy.portfolio import html as page
from hrpolicy.portfolio import view

#: Every element the template writes; anything else in a page came from the document.
TEMPLATE_TAGS = {
    "html", "head", "meta", "link", "title", "style", "body", "header", "h1", "h2", "h3", "p", "nav", "a",
    "main", "section", "dl", "div", "dt", "dd", "strong", "details", "summary", "ul", "li", "code", "figure",
    "figcaption", "svg", "g", "text", "rect", "line", "table", "thead", "tbody", "tr", "th", "td", "span",
    "small", "abbr", "footer", "script",
}  # fmt: skip


class Page(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.styles: list[str] = []
        self.text: list[str] = []
        self._in: tuple[str, dict[str, str | None]] | None = None
        self.section = ""
        self.rows: dict[str, int] = {}
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag in ("script", "style"):
            self._in = (tag, a)
        if tag == "section":
            self.section = a.get("id") or ""
        if tag == "tr":
            self.rows[self.section] = self.rows.get(self.section, 0) + 1

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in and self._in[0] == "script":
            self.scripts.append((self._in[1], data))
        elif self._in and self._in[0] == "style":
            self.styles.append(data)
        else:
            self.text.append(data)


@pytest.fixture(scope="module")
def doc(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return companies(tmp_path_factory.mktemp("companies"))


def sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_the_page_is_one_file_that_loads_nothing(doc: dict[str, Any]) -> None:
    text = page.render(doc)
    parsed = Page(text)
    assert text.startswith("<!DOCTYPE html>")
    for tag, attrs in parsed.tags:
        assert "src" not in attrs, tag
        href = attrs.get("href")
        assert href is None or href.startswith("#") or href == "data:,", (tag, href)
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert "style" not in attrs, tag  # the CSP allows the one inline stylesheet only
    css = "".join(parsed.styles)
    assert "@import" not in css
    assert "url(" not in css
    assert "@font-face" not in css
    assert re.findall(r"https?://[^\s\"'<]+", text) == ["http://www.w3.org/2000/svg"] * 2  # xmlns only


def test_the_csp_allows_exactly_the_inline_script_and_style(doc: dict[str, Any]) -> None:
    parsed = Page(page.render(doc))
    (csp,) = [
        a["content"]
        for t, a in parsed.tags
        if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"
    ]
    code = [body for attrs, body in parsed.scripts if attrs.get("type") != "application/json"]
    assert len(code) == 1
    assert len(parsed.styles) == 1
    assert csp == (
        f"default-src 'none'; script-src {sha(code[0])}; style-src {sha(parsed.styles[0])}; img-src data:; "
        "base-uri 'none'; form-action 'none'"
    )
    # the meta tag comes before the style and script it governs
    names = [t for t, _ in parsed.tags]
    assert names.index("meta") < names.index("style") < names.index("script")


def test_every_document_string_is_escaped(doc: dict[str, Any]) -> None:
    text = page.render(hostile(doc))
    parsed = Page(text)
    assert {t for t, _ in parsed.tags} <= TEMPLATE_TAGS
    assert sum(1 for t, _ in parsed.tags if t == "script") == 2  # the data block and the page's own script
    assert not [t for t, _ in parsed.tags if t in ("img", "iframe", "object", "embed", "base", "form")]
    for tag, attrs in parsed.tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert not (attrs.get("href") or "#").lower().lstrip().startswith("javascript"), (tag, attrs)
    shown = "".join(parsed.text)
    for payload in PAYLOADS:
        assert payload in shown  # shown as text, exactly
    assert html.escape("<script>alert(1)</script>", quote=False) in text
    assert "{{ 7*7 }}" in shown  # not a template expression either
    # the hostile strings reached the sections that show manifest text
    for section in (
        "matrix",
        "countries",
        "register",
        "timeline",
        "waivers",
        "evidence",
        "products",
        "findings",
    ):
        assert f'<section id="{section}">' in text


def test_the_script_data_block_cannot_be_closed_early(doc: dict[str, Any]) -> None:
    parsed = Page(page.render(doc))
    (data,) = [body for attrs, body in parsed.scripts if attrs.get("type") == "application/json"]
    assert "<" not in data
    assert '"rows_limit": 200' in data


def test_long_tables_stop_at_the_limit_and_say_how_many_more(doc: dict[str, Any]) -> None:
    big = scaled(doc, 10_000)
    started = time.perf_counter()
    text = page.render(big)
    elapsed = time.perf_counter() - started
    parsed = Page(text)
    limit = view.ROWS
    assert parsed.rows["matrix"] == limit + 1  # and the header
    assert parsed.rows["register"] == limit + 1
    assert parsed.rows["products"] == limit + 1
    assert parsed.rows["findings"] == limit + 1
    assert parsed.rows["timeline"] == limit + 1
    assert "Showing 200 of 10,000 products" in text
    assert f"{len(big['register']) - limit:,} more are in the CSV and JSON reports" in text
    # the aggregates stay complete: the chart counts every market
    markets = sum(len(r["cells"]) for r in big["matrix"]["rows"])
    assert f"<dt>Markets</dt><dd>{markets:,}</dd>" in text
    assert sum(
        n for counts in view.tier_chart(big["matrix"]["rows"])["counts"].values() for n in counts.values()
    ) == (markets)
    size = len(text.encode())
    print(f"10,000 products: {size:,} bytes in {elapsed:.2f} s")
    assert size < 2_500_000
    assert elapsed < 15


def test_the_register_says_when_what_an_assessment_clears_was_not_recorded(doc: dict[str, Any]) -> None:
    text = page.render(doc)
    traced = [a for a in doc["register"] if a["clears"]]
    untraced = [a for a in doc["register"] if a["clears"] is None]
    assert traced
    assert untraced
    assert "not recorded: run with --evidence-for" in text
    assert ", ".join(traced[0]["clears"]) in text


def test_charts_cover_every_tier_and_twelve_months(doc: dict[str, Any]) -> None:
    months = view.month_chart(doc["timeline"], "2026-12-03")
    assert [b["month"] for b in months["bars"]][:2] == ["2026-12", "2027-01"]
    assert [b["month"] for b in months["bars"]][-1] == "2027-12"
    assert months["total"] == sum(len(m["items"]) for m in doc["timeline"])
    tiers = view.tier_chart(doc["matrix"]["rows"])
    assert tiers["tiers"] == ["high", "elevated", "low"]
    assert view.known("<x>", view.DD_STATES) == "other"
    empty = view.tier_chart([])
    assert empty["bars"] == []


def test_check_does_not_import_jinja2(tmp_path: Path) -> None:
    code = (
        "import sys; from hrpolicy.main import main; "
        f"main(['check', {str(EXAMPLE)!r}, '--today', '2026-11-28', '--format', 'json']); "
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('jinja2', 'markupsafe')); "
        "sys.stderr.write(repr(heavy))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=tmp_path
    )
    assert proc.stderr.strip().splitlines()[-1] == "[]"


def test_the_template_and_its_assets_are_package_data() -> None:
    pyproject = (REPO / "pyproject.toml").read_text("utf-8")
    assert '"hrpolicy.portfolio",' in pyproject
    assert '"hrpolicy.portfolio" = ["templates/*.j2", "templates/*.css", "templates/*.js"]' in pyproject
    for name in ("report.css", "report.js"):
        assert "</" not in page.asset(name)
    assert (REPO / "hrpolicy" / "portfolio" / "templates" / page.TEMPLATE).is_file()

"""``hrpolicy report --format html=FILE`` in a real headless browser (Debian's chromium and chromium-driver
through Selenium), loaded from a file:// URL: no console errors, no network request but the file itself,
sorting and filters that work, tables without JavaScript, and manifest text that cannot inject anything.

Without chromium or chromedriver these tests skip with the reason, unless CI is set: there, a missing
browser fails (.ci/run installs it)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import REPO, run_cli
from portfolio_docs import COMPANIES, TODAY, companies, hostile, scaled

from hrpolicy.portfolio import html as page

CHROMIUM = ("chromium", "/usr/bin/chromium")
CHROMEDRIVER = ("chromedriver", "/usr/bin/chromedriver")


def find(candidates: tuple[str, ...]) -> str | None:
    for name in candidates:
        found = shutil.which(name)
        if found:
            return found
    return None


def browser_or_skip(
    chromium: tuple[str, ...] = CHROMIUM, driver: tuple[str, ...] = CHROMEDRIVER
) -> tuple[str, str]:
    """The browser and its driver; a skip naming what is missing, or a failure under CI."""
    binary, service = find(chromium), find(driver)
    missing = [what for what, path in (("chromium", binary), ("chromedriver", service)) if path is None]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium (the test extra)")
    if missing:
        reason = f"{' and '.join(missing)} not installed (apt-get install chromium chromium-driver)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: CI must run the browser tests")
        pytest.skip(reason)
    assert binary is not None
    assert service is not None
    return binary, service


def start(javascript: bool = True) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver = browser_or_skip()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
    ):
        options.add_argument(arg)
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    chrome = webdriver.Chrome(service=Service(driver), options=options)
    # count alert() calls from the first script on (CDP scripts run outside the page's CSP)
    chrome.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument",
        {"source": "window.__alerts = []; window.alert = function (m) { window.__alerts.push(String(m)); };"},
    )
    return chrome


@pytest.fixture(scope="module")
def chrome() -> Iterator[Any]:
    driver = start()
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def doc(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return companies(tmp_path_factory.mktemp("companies"))


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example companies' report, written by the real command."""
    tmp = tmp_path_factory.mktemp("html")
    out = tmp / "portfolio.html"
    args = [*map(str, COMPANIES), str(REPO / "examples" / "acme-chat"), "--evidence-for", "nordlys-li"]
    proc = run_cli("report", *args, "--today", TODAY, "--jobs", "1", "--format", f"html={out}", cwd=tmp)
    assert proc.returncode == 0, proc.stderr
    return out


def load(chrome: Any, path: Path) -> tuple[list[dict[str, Any]], set[str]]:
    """Open ``path``; the browser's console entries and every URL requested while loading."""
    chrome.get_log("browser")
    chrome.get_log("performance")
    chrome.get(path.as_uri())
    from selenium.webdriver.support.wait import WebDriverWait

    WebDriverWait(chrome, 20).until(lambda c: c.execute_script("return document.readyState") == "complete")
    console = chrome.get_log("browser")
    urls = set()
    for entry in chrome.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.add(message["params"]["request"]["url"])
    return console, urls


def visible_rows(chrome: Any, section: str, index: int = 0) -> list[list[str]]:
    table = chrome.find_elements("css selector", f"#{section} table.data")[index]
    rows = table.find_elements("css selector", "tbody tr")
    return [[c.text for c in r.find_elements("css selector", "th, td")] for r in rows if r.is_displayed()]


def click_header(chrome: Any, section: str, title: str) -> None:
    button = chrome.find_element(
        "xpath", f"//section[@id='{section}']//th[normalize-space()='{title}']//button"
    )
    chrome.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()


def column(chrome: Any, section: str, n: int) -> list[str]:
    return [row[n] for row in visible_rows(chrome, section)]


def test_loads_with_no_console_errors_and_no_network(chrome: Any, report_file: Path) -> None:
    console, urls = load(chrome, report_file)
    assert [e for e in console if e["level"] in ("SEVERE", "WARNING")] == []
    assert urls == {report_file.as_uri()}
    assert chrome.execute_script("return document.documentElement.dataset.enhanced") == "true"
    assert chrome.execute_script("return window.__alerts") == []
    assert len(chrome.find_elements("css selector", "table.data")) >= 9


def test_the_csp_blocks_a_script_the_page_did_not_ship(chrome: Any, report_file: Path) -> None:
    load(chrome, report_file)
    chrome.execute_script(
        "var s = document.createElement('script'); s.textContent = 'window.__ran = true;';"
        "document.body.appendChild(s);"
    )
    assert chrome.execute_script("return window.__ran === true") is False
    assert any("Content Security Policy" in e["message"] for e in chrome.get_log("browser"))


def test_sorting_by_a_header_orders_numbers_and_dates_as_such(
    chrome: Any, report_file: Path, doc: Any
) -> None:
    load(chrome, report_file)
    click_header(chrome, "products", "Open")
    opens = [int(v) for v in column(chrome, "products", 3)]
    assert opens == sorted(p["open"] for p in doc["products"])
    assert opens != sorted(opens, key=str)  # 16 after 7: numbers, not text
    click_header(chrome, "products", "Open")
    assert [int(v) for v in column(chrome, "products", 3)] == sorted(opens, reverse=True)
    th = chrome.find_element("xpath", "//section[@id='products']//th[normalize-space()='Open']")
    assert th.get_attribute("aria-sort") == "descending"

    click_header(chrome, "register", "Date")
    dates = [d for d in column(chrome, "register", 4) if d != "–"]
    assert dates == sorted(dates)
    assert len(dates) > 5

    # states sort worst first, not alphabetically
    click_header(chrome, "rules", "Worst open")
    worst = column(chrome, "rules", 3)
    ranks = {"critical": 0, "high": 1, "medium": 2, "low": 3, "–": 4}
    assert [ranks[w] for w in worst] == sorted(ranks[w] for w in worst)


def test_filters_hide_rows_by_text_and_by_state(chrome: Any, report_file: Path, doc: Any) -> None:
    from selenium.webdriver.support.ui import Select

    load(chrome, report_file)
    box = chrome.find_element("css selector", "#products .filters input")
    box.send_keys("nordlys")
    names = [row[0] for row in visible_rows(chrome, "products")]
    assert sorted(names) == sorted(p["id"] for p in doc["products"] if "nordlys" in json.dumps(p))
    assert (
        chrome.find_element("css selector", "#products .filters output").text
        == f"2 of {len(doc['products'])} rows"
    )
    box.clear()
    box.send_keys("x")
    box.clear()

    matrix = Select(chrome.find_element("css selector", "#matrix .filters select[data-filter='dd']"))
    matrix.select_by_value("missing")
    shown = {row[0] for row in visible_rows(chrome, "matrix")}
    assert shown == {
        r["product"] for r in doc["matrix"]["rows"] if any(c["dd"] == "missing" for c in r["cells"].values())
    }
    assert 0 < len(shown) < len(doc["matrix"]["rows"])

    state = Select(chrome.find_element("css selector", "#register .filters select[data-filter='state']"))
    state.select_by_value("expired")
    assert len(visible_rows(chrome, "register")) == sum(a["state"] == "expired" for a in doc["register"])
    assert {row[6] for row in visible_rows(chrome, "register")} == {"expired"}

    tier = Select(chrome.find_element("css selector", "#countries .filters select[data-filter='tier']"))
    tier.select_by_value("high")
    assert len(visible_rows(chrome, "countries")) == sum(c["tier"] == "high" for c in doc["countries"])


def test_readable_without_javascript(report_file: Path, doc: Any) -> None:
    chrome = start(javascript=False)
    try:
        _, urls = load(chrome, report_file)
        assert urls == {report_file.as_uri()}
        assert chrome.find_element("tag name", "html").get_attribute("data-enhanced") is None
        assert chrome.find_elements("css selector", ".filters") == []
        rows = chrome.find_elements("css selector", "#matrix tbody tr")
        assert len(rows) == len(doc["matrix"]["rows"])
        assert all(r.is_displayed() for r in rows)
        assert len(chrome.find_elements("css selector", "#register tbody tr")) == len(doc["register"])
        assert "covered" in chrome.find_element("id", "matrix").text
    finally:
        chrome.quit()


def test_manifest_text_cannot_inject_anything(chrome: Any, doc: Any, tmp_path: Path) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    target = tmp_path / "hostile.html"
    target.write_text(page.render(hostile(doc)), "utf-8")
    console, urls = load(chrome, target)
    try:
        alert = chrome.switch_to.alert.text
    except NoAlertPresentException:
        alert = None
    assert alert is None
    assert chrome.execute_script("return window.__alerts") == []
    assert urls == {target.as_uri()}  # <img src=x> would be a request
    assert [e for e in console if e["level"] == "SEVERE"] == []  # not even a blocked inline script
    found = chrome.execute_script(
        """
        var bad = [];
        document.querySelectorAll('*').forEach(function (el) {
          for (var i = 0; i < el.attributes.length; i++) {
            if (/^on/i.test(el.attributes[i].name)) { bad.push(el.tagName + ' ' + el.attributes[i].name); }
          }
        });
        var banned = 'img, iframe, object, embed, base, form, svg script';
        document.querySelectorAll(banned).forEach(function (el) {
          bad.push(el.tagName);
        });
        document.querySelectorAll('a').forEach(function (a) {
          if (a.getAttribute('href').charAt(0) !== '#') { bad.push('a ' + a.getAttribute('href')); }
        });
        return {bad: bad, scripts: document.scripts.length, styles: document.querySelectorAll('style').length,
                hidden: getComputedStyle(document.body).display};
        """
    )
    assert found == {"bad": [], "scripts": 2, "styles": 1, "hidden": "block"}
    text = chrome.find_element("tag name", "body").text
    assert "<script>alert(1)</script>" in text
    assert '"><img src=x onerror=alert(1)>' in text
    # the enhancements still work over hostile text (filters built with textContent)
    box = chrome.find_element("css selector", "#products .filters input")
    box.send_keys("<img")
    assert 0 < len(visible_rows(chrome, "products")) <= len(doc["products"])
    assert chrome.execute_script("return window.__alerts") == []


def test_a_hostile_manifest_through_the_command(chrome: Any, tmp_path: Path) -> None:
    text = (REPO / "examples" / "acme-chat" / "hrpolicy.yaml").read_text("utf-8")
    name = '"><img src=x onerror=alert(1)></script><script>alert(2)</script>'
    text = text.replace("name: Acme Chat", f"name: {json.dumps(name)}", 1)
    text = text.replace("owner: team-messaging", f"owner: {json.dumps('javascript:alert(3)')}", 1)
    text = text.replace('evidence: "vault://hria/vn-2026"', 'evidence: "<script>alert(4)</script>"', 1)
    (tmp_path / "hrpolicy.yaml").write_text(text, "utf-8")
    out = tmp_path / "out.html"
    proc = run_cli(
        "report", str(tmp_path / "hrpolicy.yaml"), "--today", TODAY, "--jobs", "1",
        "--evidence-for", "acme-chat", "--format", f"html={out}", cwd=tmp_path,
    )  # fmt: skip
    assert "Traceback" not in proc.stderr, proc.stderr
    console, urls = load(chrome, out)
    assert urls == {out.as_uri()}
    assert [e for e in console if e["level"] == "SEVERE"] == []
    assert chrome.execute_script("return window.__alerts") == []
    assert chrome.execute_script("return document.querySelectorAll('img').length") == 0
    body = chrome.find_element("tag name", "body").text
    assert name in body
    assert "<script>alert(4)</script>" in body


def test_ten_thousand_products_stay_usable(chrome: Any, doc: Any, tmp_path: Path) -> None:
    target = tmp_path / "big.html"
    big = scaled(doc, 10_000)
    target.write_text(page.render(big), "utf-8")
    console, urls = load(chrome, target)
    assert [e for e in console if e["level"] == "SEVERE"] == []
    assert urls == {target.as_uri()}
    assert len(chrome.find_elements("css selector", "#matrix tbody tr")) == 200
    assert "9,800 more are in the CSV and JSON reports" in chrome.find_element("id", "matrix").text
    wanted = big["products"][137]["id"]
    chrome.find_element("css selector", "#products .filters input").send_keys(wanted)
    from selenium.webdriver.support.wait import WebDriverWait

    # a loaded machine may run the filter after send_keys returns: wait for it (up to 20 s)
    WebDriverWait(chrome, 20).until(lambda _: len(visible_rows(chrome, "products")) == 1)
    assert [row[0] for row in visible_rows(chrome, "products")] == [wanted]


def test_a_missing_browser_skips_locally_and_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    nowhere = ("/nonexistent/chromium",)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="chromium not installed"):
        browser_or_skip(chromium=nowhere)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the browser tests"):
        browser_or_skip(driver=nowhere)

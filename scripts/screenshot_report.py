"""Write docs/images/portfolio.png: the top of the HTML portfolio report of the example companies, as headless
Chromium shows it 1400 px wide (Debian's chromium and chromium-driver, through Selenium).

    .venv/bin/python scripts/screenshot_report.py [--out PATH] [--height PX]

The report is the documented one: ``hrpolicy report examples/companies/*.yaml examples/acme-chat
--today 2026-12-03 --evidence-for nordlys-li --format html=FILE``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TODAY = "2026-12-03"
WIDTH = 1400


def build(out: Path) -> None:
    from hrpolicy.main import main

    companies = sorted(str(p) for p in (ROOT / "examples" / "companies").glob("*.yaml"))
    args = [*companies, str(ROOT / "examples" / "acme-chat"), "--evidence-for", "nordlys-li"]
    code = main(["report", *args, "--today", TODAY, "--jobs", "1", "--format", f"html={out}"])
    if code != 0:
        raise SystemExit(f"hrpolicy report exited {code}")


def screenshot(page: Path, png: Path, height: int) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary = shutil.which("chromium") or "/usr/bin/chromium"
    driver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        f"--window-size={WIDTH},{height}",
    ):
        options.add_argument(arg)
    chrome = webdriver.Chrome(service=Service(driver), options=options)
    try:
        chrome.get(page.as_uri())
        png.parent.mkdir(parents=True, exist_ok=True)
        if not chrome.save_screenshot(str(png)):
            raise SystemExit("chromium could not take the screenshot")
    finally:
        chrome.quit()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images" / "portfolio.png")
    parser.add_argument("--height", type=int, default=1500, help="viewport height in pixels (default 1500)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "portfolio.html"
        build(page)
        screenshot(page, args.out, args.height)
    print(f"{args.out}: {args.out.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())

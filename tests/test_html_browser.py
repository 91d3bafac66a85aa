"""The HTML report as a person sees it: Debian's chromium, headless, driven by Playwright.

No console errors, no network requests (the page is self-contained and its CSP allows
nothing to load), the filters narrow the table, sorting works, print and narrow layouts
render. Screenshots are saved under test-artifacts/.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.slow


@pytest.fixture
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed (.ci/run installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


def visible_rows(page: Any) -> list[Any]:
    return page.locator("#all-findings tbody tr:not(.hidden)").all()


def test_report_in_a_real_browser(demo_audit: Any, browser: Any, artifacts_dir: Path) -> None:
    _, out, _ = demo_audit
    document = json.loads((out / "report.json").read_text())
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    requests: list[str] = []
    page.on(
        "console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    url = (out / "report.html").as_uri()
    page.goto(url)
    page.wait_for_load_state("load")

    assert problems == []  # a CSP violation or script error would show here
    assert requests == [url]  # nothing else loaded: no fonts, scripts, images
    assert page.locator(".scorecard .card").count() == 6
    total = len(document["findings"])
    assert len(visible_rows(page)) == total
    assert page.locator("#filter-count").inner_text() == f"{total} of {total} findings shown"

    # Filter by severity, then by practice, then by text.
    page.select_option("#filter-severity", "critical")
    critical = document["summary"]["by_severity"]["critical"]
    assert critical > 0 and len(visible_rows(page)) == critical
    page.select_option("#filter-severity", "")
    page.select_option("#filter-practice", "2")
    assert len(visible_rows(page)) == document["summary"]["by_practice"]["2"]
    page.select_option("#filter-practice", "")
    page.fill("#filter-text", "convert.sh")
    rows = visible_rows(page)
    assert rows and all("convert.sh" in r.inner_text() for r in rows)
    page.fill("#filter-text", "")

    # Sort by severity: ascending puts the least severe first, descending critical first.
    header = page.locator("#all-findings thead th").nth(0)
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    first = page.locator("#all-findings tbody tr").first
    assert first.get_attribute("data-severity") in ("info", "low")
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "descending"
    assert page.locator("#all-findings tbody tr").first.get_attribute("data-severity") == (
        "critical"
    )
    # Sort by location text.
    page.locator("#all-findings thead th").nth(4).locator("button").click()
    in_order = page.evaluate(
        """() => {
            const cells = [...document.querySelectorAll('#all-findings tbody td:nth-child(5)')];
            const texts = cells.map(c => c.textContent);
            return texts.every((t, i) => i === 0 || texts[i - 1].localeCompare(t) <= 0);
        }"""
    )
    assert in_order

    page.screenshot(path=str(artifacts_dir / "report-desktop.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    assert page.locator("#all-findings thead").is_hidden()
    page.screenshot(path=str(artifacts_dir / "report-narrow.png"), full_page=True)

    page.emulate_media(media="print")
    assert page.locator(".filters").is_hidden()
    page.pdf(path=str(artifacts_dir / "report-print.pdf"))
    assert (artifacts_dir / "report-print.pdf").stat().st_size > 10_000
    assert problems == []

"""The HTML report as a person sees it: Debian's chromium, headless, driven by Playwright.

No console errors, no network requests (the page is self-contained and its CSP allows
nothing to load), the filters narrow the table, sorting works, print and narrow layouts
render. Screenshots are saved under test-artifacts/.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT

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


def watched_page(browser: Any) -> tuple[Any, list[str], list[str]]:
    """A desktop-sized page, with the console errors and warnings it logs and every
    request it makes collected (a CSP violation shows as a console error)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    requests: list[str] = []
    page.on(
        "console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    return page, problems, requests


def visible_rows(page: Any) -> list[Any]:
    return page.locator("#all-findings tbody tr:not(.hidden)").all()


def test_report_in_a_real_browser(demo_audit: Any, browser: Any, artifacts_dir: Path) -> None:
    _, out, _ = demo_audit
    document = json.loads((out / "report.json").read_text())
    page, problems, requests = watched_page(browser)
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


def _stored_runs(tmp_path: Path, run_cli: Any) -> tuple[str, Path]:
    """A store with four audits of the demo repository as its inventory changes: keys
    deleted (leaks fixed), an allowlist added (a hygiene finding fixed)."""
    from fastaudit import demo

    repo = demo.build(tmp_path / "example-service")
    inventory = demo.write_inventory(repo, tmp_path / "inventory.json")
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    base = json.loads(inventory.read_text())
    for as_of, deleted in (
        ("2026-04-30", ()),
        ("2026-05-31", ("k-legacy",)),
        ("2026-06-15", ("k-legacy", "k-staging-old")),
        ("2026-06-30", ("k-legacy", "k-staging-old")),
    ):
        keys = [
            {**k, "deleted_at": as_of} if k["id"] in deleted and not k.get("deleted_at") else k
            for k in base["keys"]
        ]
        base = {**base, "keys": keys}
        inventory.write_text(json.dumps(base))
        result = run_cli(
            "audit",
            str(repo.path),
            "--inventory",
            str(inventory),
            "--as-of",
            as_of,
            "--db",
            url,
            "--json",
            str(tmp_path / "report.json"),
            "--html",
            str(tmp_path / "report.html"),
        )
        assert result.code in (0, 1), result.err
    return url, tmp_path


def test_trends_page_in_a_real_browser(
    tmp_path: Path, run_cli: Any, browser: Any, artifacts_dir: Path
) -> None:
    url, out = _stored_runs(tmp_path, run_cli)
    page_path, json_path = out / "trends.html", out / "trends.json"
    result = run_cli("trends", "--db", url, "--html", str(page_path), "--json", str(json_path))
    assert result.code == 0, result.err
    document = json.loads(json_path.read_text())
    runs = document["runs"]
    assert len(runs) == 4 and sum(r["fixed"] for r in runs) > 0

    page, problems, requests = watched_page(browser)
    page.goto(page_path.as_uri())
    page.wait_for_load_state("load")
    assert problems == [] and requests == [page_path.as_uri()]

    def drawn(chart: str, series: str, x: str) -> str | None:
        mark = page.locator(f'#{chart} svg [data-series="{series}"][data-x="{x}"]')
        assert mark.count() == 1, (chart, series, x)
        value: str | None = mark.get_attribute("data-value")
        if value not in ("0", ""):  # a zero-length bar has nothing to see
            assert mark.is_visible(), (chart, series, x)
        return value

    # Every point and bar the browser shows carries the JSON's number.
    for run in runs:
        for severity, count in run["open"].items():
            assert drawn("trends-open", severity, run["as_of"]) == str(count)
        for series in ("new", "fixed", "reopened"):
            assert drawn("trends-flow", series, run["as_of"]) == str(run[series])
    for severity, figures in document["time_to_fix"].items():
        value = drawn("trends-ttf", "mean", severity)
        expected = figures["mean_days"]
        assert value == ("" if expected is None else f"{expected:g}")
    for key in document["key_lifecycle"]:
        assert drawn("trends-keys", "lifetime", key["id"]) == str(key["age_days"])
    # The table beside each chart has the same numbers.
    table = page.locator("#trends-open table.chart-table tbody tr")
    assert table.count() == len(runs)
    last = table.nth(len(runs) - 1).locator("td").all_inner_texts()
    assert last[0] == runs[-1]["as_of"] and last[-1] == str(runs[-1]["open_total"])
    # Titles and axis labels are part of each drawing.
    for chart in ("trends-open", "trends-flow", "trends-ttf", "trends-sla", "trends-keys"):
        assert page.locator(f"#{chart} svg title").text_content()
    assert "open findings" in (page.locator("#trends-open svg").text_content() or "")
    page.screenshot(path=str(artifacts_dir / "trends-desktop.png"), full_page=True)

    # A phone: the page never scrolls sideways; each chart scrolls inside its own
    # keyboard-focusable box instead, at a size whose labels can be read.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    boxes = page.evaluate(
        "() => [...document.querySelectorAll('.chart-drawing')]"
        ".map(d => [d.getBoundingClientRect().right, d.tabIndex, d.getAttribute('role')])"
    )
    assert boxes and all(
        right <= 390 and tab == 0 and role == "region" for right, tab, role in boxes
    )
    smallest = page.evaluate(
        "() => Math.min(...[...document.querySelectorAll('svg.chart-svg text')]"
        ".map(t => t.getBoundingClientRect().height).filter(h => h > 0))"
    )
    assert smallest >= 9  # pixels on the screen, not SVG units
    page.screenshot(path=str(artifacts_dir / "trends-narrow.png"), full_page=True)
    page.emulate_media(media="print")
    page.pdf(path=str(artifacts_dir / "trends-print.pdf"))
    assert problems == []


def test_audit_report_with_a_store_has_trends_and_lifecycles(
    tmp_path: Path, run_cli: Any, browser: Any, artifacts_dir: Path
) -> None:
    _, out = _stored_runs(tmp_path, run_cli)
    document = json.loads((out / "report.json").read_text())
    assert len(document["trends"]["runs"]) == 4
    page, problems, requests = watched_page(browser)
    page.goto((out / "report.html").as_uri())
    assert requests == [(out / "report.html").as_uri()]
    assert page.locator("#trends #trends-open svg").is_visible()
    for key in document["key_lifecycle"]:
        mark = page.locator(f'#key-lifecycle [data-series="lifetime"][data-x="{key["id"]}"]')
        assert mark.get_attribute("data-value") == str(key["age_days"])
    overlaps = [o for key in document["key_lifecycle"] for o in key["overlaps"]]
    assert overlaps, "the example inventory has a rotation in progress"
    assert page.locator('#key-lifecycle [data-series="overlap"]').count() == len(overlaps)
    assert problems == []
    page.locator("#lifecycle").screenshot(path=str(artifacts_dir / "report-lifecycle.png"))


AXE_JS = Path(
    os.environ.get("FASTAUDIT_AXE_JS", REPO_ROOT / ".ci/npm/node_modules/axe-core/axe.min.js")
)


def axe_problems(browser: Any, url: str, width: int) -> list[str]:
    """axe-core's serious and critical violations on the page at `url`, `width` px wide.
    The page's CSP rightly forbids foreign scripts, so the context bypasses it to inject
    axe; the page itself is what axe judges."""
    if not AXE_JS.exists():
        pytest.fail(f"axe-core is not installed at {AXE_JS} (.ci/run installs it with npm)")
    context = browser.new_context(
        viewport={"width": width, "height": 900 if width > 600 else 844}, bypass_csp=True
    )
    try:
        page = context.new_page()
        page.goto(url)
        page.wait_for_load_state("load")
        page.add_script_tag(path=str(AXE_JS))
        result = page.evaluate("async () => await axe.run(document)")
    finally:
        context.close()
    return [
        f"{v['id']} ({v['impact']}, {len(v['nodes'])} nodes): {v['nodes'][0]['target']}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_the_demo_report_acts_first_and_passes_axe_core(
    tmp_path: Path, run_cli: Any, browser: Any, artifacts_dir: Path
) -> None:
    """What a security lead meets first: the list of what to do, each item linking to
    its finding, then the scorecard; the demo's earlier runs show something fixed; no
    serious or critical axe-core violation on the report or the trends page, on a
    desktop or a phone."""
    out = tmp_path / "demo"
    made = run_cli("demo", "--out", str(out))
    assert made.code == 0, made.err
    report_url = (out / "report.html").as_uri()
    trends = out / "trends.html"
    drawn = run_cli(
        "trends", "--db", f"sqlite:///{out / 'audit-store.sqlite3'}", "--html", str(trends)
    )
    assert drawn.code == 0, drawn.err
    for url in (report_url, trends.as_uri()):
        for width in (1280, 390):
            assert axe_problems(browser, url, width) == [], (url, width)

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(report_url)
    headings = page.locator("main > section > h2").all_inner_texts()
    assert headings[:2] == ["What to do now", "Best practices scorecard"]
    assert headings.index("Trends") > headings.index("All findings")
    items = page.locator("#todo li")
    assert items.count() >= 3
    assert items.first.get_attribute("data-severity") == "critical"
    assert "Rotate the 2 leaked keys that Tools.FAST still accepts" in items.first.inner_text()
    # Every link of the list lands on a finding card.
    for link in page.locator("#todo a").all():
        target = link.get_attribute("href")
        assert target and page.locator(f"article.group{target}").count() == 1
    first_card = page.locator("article.group").first.bounding_box()
    assert first_card is not None and first_card["y"] < 4000  # was below every chart
    # Evidence in words, one remediation box per card, rotation steps once.
    cards = page.locator("article.group")
    for index in range(cards.count()):
        card = cards.nth(index)
        assert card.locator(".remedy").count() == 1
        assert card.locator(".remedy ol").count() <= 1
        text = card.inner_text()
        assert "null" not in text and '["' not in text
    # The demo's story: something was fixed in the earlier runs, so time to fix has numbers.
    assert page.locator("#trends-flow").count() == 1
    fixed = page.locator("#trends-flow svg [data-series='fixed']").evaluate_all(
        "marks => marks.map(m => Number(m.dataset.value || 0))"
    )
    assert sum(fixed) > 0
    assert page.locator("#trends-ttf svg").count() == 1
    page.screenshot(path=str(artifacts_dir / "demo-report-1280.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(artifacts_dir / "demo-report-390.png"))
    page.close()

"""The HTML impact report, opened in a real browser (headless Chromium driven by selenium).

The report must stand alone: it is mailed and archived, so it may fetch nothing, and it
must read well on a phone and on paper. These tests open it the way a reader would and
look: the charts are drawn, the console is quiet, no request leaves the page, a phone
needs no sideways scrolling, and a screenshot is kept in ``tests/artifacts/`` for people
to look at. Debian's ``chromium`` and ``chromium-driver`` provide the browser; ``.ci/run``
installs them, and without them the browser tests are skipped with that reason.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from bot.report.html import render_html
from bot.report.model import SUPPRESSED, Figure, Report, TrendPoint

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1024, "height": 900}
NETWORK_SCHEMES = {"http", "https", "ws", "wss", "ftp"}


def _figure(key: str, label: str, value: float | None, display: str, unit: str = "count") -> Figure:
    return Figure(key=key, label=label, unit=unit, value=value, display=display)  # type: ignore[arg-type]


def _hidden(key: str, label: str, unit: str = "count") -> Figure:
    return _figure(key, label, None, SUPPRESSED, unit)


def sample_report() -> Report:
    """A year of a mid-sized programme, with a few figures and months suppressed."""
    months = [f"2026-{number:02d}" for number in range(1, 13)]
    people = [41, 38, 52, 60, None, 47, 33, 29, 58, 71, 66, None]
    follow_ups = [30, 27, 40, 44, None, 35, 21, None, 43, 55, 49, None]
    rate = [0.21, 0.25, None, 0.31, None, 0.28, 0.3, None, 0.33, 0.36, 0.34, None]
    trend = tuple(
        TrendPoint(month=month, values={"people": p, "follow_ups_sent": f, "not_now_rate": r})
        for month, p, f, r in zip(months, people, follow_ups, rate, strict=True)
    )
    funnel = (
        _figure("cases_logged", "Rejections logged", 1204, "1,204"),
        _figure("follow_ups_sent", "Follow-ups sent", 812, "812"),
        _figure("answers_received", "Answers received", 356, "356"),
        _figure("later_conversations", "Later conversations", 131, "131"),
        _figure("interviews", "Interviews from a kept contact", 27, "27"),
        _hidden("offers", "Offers from a kept contact"),
    )
    figures = (
        _figure("people", "People who used the coach", 518, "518", "people"),
        *funnel[:3],
        _figure("feedback_recorded", "Feedback recorded", 244, "244"),
        _figure("check_ins_done", "Check-ins done", 1630, "1,630"),
        _figure("check_ins_skipped", "Check-ins skipped or snoozed", 402, "402"),
        _figure("referrals", "Referrals from a kept contact", 12, "12"),
        funnel[4],
        funnel[5],
        _figure("days_to_follow_up", "Median days from rejection to follow-up", 2.5,
                "2.5 days", "days"),
        _figure("not_now_rate", "“No” became “not now”", 0.3, "30%", "rate"),
    )
    return Report(
        scope="All workspaces", since="2026-01", until="2026-12",
        generated_at="2027-01-04T09:30:00+00:00", figures=figures, funnel=funnel,
        trend=trend, notes=("Counts are per calendar month; a person may appear in several.",),
    )


# -- the page itself, no browser needed ------------------------------------------------


def test_page_asks_for_nothing_from_anywhere() -> None:
    page = render_html(sample_report())
    assert "default-src 'none'; style-src 'unsafe-inline'; img-src data:" in page
    # the only URL in the page is the SVG namespace, which is a name, not a request
    urls = set(re.findall(r"(?:https?:)?//[\w.-]+[^\s\"'<>)]*", page))
    assert urls == {"http://www.w3.org/2000/svg"}
    assert not re.search(r"<(script|link|img|iframe|object|embed)\b(?![^>]*data:,)", page)
    assert "@import" not in page and "url(" not in page


def test_every_report_text_is_escaped() -> None:
    hostile = '<script>alert("x")</script> & co'
    report = sample_report()
    report = replace(
        report,
        scope=hostile,
        figures=(_figure("people", hostile, 7, hostile),),
        funnel=(_figure("cases", hostile, 9, "9"), _hidden("offers", hostile)),
        trend=(TrendPoint(month=hostile, values={hostile: 3}),),
        notes=(hostile,),
    )
    page = render_html(report)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in page


def test_a_suppressed_figure_is_never_shown_as_zero() -> None:
    report = sample_report()
    only_hidden = replace(report, figures=(_hidden("offers", "Offers"),),
                          funnel=(_hidden("offers", "Offers"),),
                          trend=(TrendPoint(month="2026-05", values={"offers": None}),))
    page = render_html(only_hidden)
    assert page.count(SUPPRESSED) >= 4  # the card, the funnel, the month, the note
    assert not re.search(r">\s*0%?\s*<", page)


# -- in the browser ---------------------------------------------------------------------


@dataclass
class OpenedPage:
    """The report as Chromium loaded it, with the logs collected while it loaded."""

    driver: Any
    url: str
    console: list[dict[str, Any]]
    #: (the document that asked, the URL asked for) for every request the browser made
    network: list[tuple[str, str]]


def _chromium(user_data_dir: Path) -> Any:
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={user_data_dir}",
                 f"--window-size={DESKTOP['width']},{DESKTOP['height']}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))


@pytest.fixture(scope="module")
def opened(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenedPage]:
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("Chromium is not installed (apt-get install chromium chromium-driver); "
                    ".ci/run installs it")
    folder = tmp_path_factory.mktemp("report")
    page = folder / "report.html"
    page.write_text(render_html(sample_report()), encoding="utf-8")
    driver = _chromium(folder / "profile")
    try:
        driver.get_log("performance")  # drop what the browser did before the page opened
        driver.get(page.as_uri())
        requests = [
            (params["documentURL"], params["request"]["url"])
            for entry in driver.get_log("performance")
            if (message := json.loads(entry["message"])["message"])["method"]
            == "Network.requestWillBeSent" and (params := message["params"])
        ]
        yield OpenedPage(driver, page.as_uri(), driver.get_log("browser"), requests)
    finally:
        driver.quit()


def _resize(driver: Any, size: dict[str, int], *, mobile: bool) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {**size, "deviceScaleFactor": 1, "mobile": mobile})


def _screenshot(driver: Any, size: dict[str, int], *, mobile: bool, name: str) -> Path:
    """The whole page, top to bottom, at this width."""
    _resize(driver, size, mobile=mobile)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    _resize(driver, {"width": size["width"], "height": height}, mobile=mobile)
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    return path


def test_the_charts_render(opened: OpenedPage) -> None:
    charts = opened.driver.execute_script(
        """return [...document.querySelectorAll('svg')].map(svg => {
             const box = svg.getBoundingClientRect();
             return {role: svg.getAttribute('role'), title: svg.querySelector('title')?.textContent,
                     width: box.width, height: box.height,
                     shapes: svg.querySelectorAll('rect').length};
           })"""
    )
    assert len(charts) == 4  # the funnel and three monthly series
    for chart in charts:
        assert chart["role"] == "img" and chart["title"]
        assert chart["width"] > 100 and chart["height"] > 50 and chart["shapes"] > 0
    funnel_text = opened.driver.execute_script(
        "return document.querySelector('section.funnel svg').textContent")
    assert "Rejections logged" in funnel_text and "1,204" in funnel_text
    assert SUPPRESSED in funnel_text  # the hidden offers step is marked, not drawn as 0


def test_the_console_stays_quiet(opened: OpenedPage) -> None:
    assert [entry for entry in opened.console if entry["level"] in ("SEVERE", "WARNING")] == []


def test_nothing_is_fetched(opened: OpenedPage) -> None:
    # Chromium's own start page may still be loading chrome:// resources; the report asks
    # for nothing but itself, and nothing at all leaves for the network.
    assert [url for document, url in opened.network if document == opened.url] == [opened.url]
    assert [url for _, url in opened.network if urlsplit(url).scheme in NETWORK_SCHEMES] == []
    resources = opened.driver.execute_script(
        "return performance.getEntriesByType('resource').map(entry => entry.name)")
    assert resources == []


def test_a_phone_reads_it_without_sideways_scrolling(opened: OpenedPage) -> None:
    _resize(opened.driver, PHONE, mobile=True)
    widths = opened.driver.execute_script(
        "return [window.innerWidth, document.documentElement.scrollWidth,"
        " document.body.scrollWidth]")
    assert widths[0] == PHONE["width"]
    assert max(widths[1:]) <= PHONE["width"]
    phone = _screenshot(opened.driver, PHONE, mobile=True, name="report-phone.png")
    desktop = _screenshot(opened.driver, DESKTOP, mobile=False, name="report.png")
    assert phone.stat().st_size > 10_000 and desktop.stat().st_size > 10_000


def test_the_page_forbids_any_request(opened: OpenedPage) -> None:
    """The Content-Security-Policy is in force: an image from anywhere would be refused."""
    refused = opened.driver.execute_async_script(
        """const done = arguments[arguments.length - 1];
           document.addEventListener('securitypolicyviolation',
                                     event => done(event.effectiveDirective));
           const probe = new Image();
           probe.src = 'http://127.0.0.1:9/probe.png';"""
    )
    assert refused == "img-src"

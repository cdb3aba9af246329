"""`nudgebot report`: a database built through the real core, the real CLI, and the page opened in headless Chromium."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bot.core import open_core
from bot.models import (
    Community,
    DeliveryResult,
    DeliveryStatus,
    MessageEvent,
    Platform,
    Principal,
    ReviewAction,
)
from bot.report.gather import iso_weeks_between
from bot.settings import load_settings

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# A display name that would load an image from the network if the report did not escape it.
HOSTILE_NAME = '<b>Mallory</b><img src="http://127.0.0.1:9/pixel.png">'
START = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)  # a Monday: ISO week 2026-W41

# (days after START, author, text, mentioned user): three ISO weeks, four 5.5.x clauses, a hostile run.
MESSAGES = [
    (0, "u-ann", "text Jess on 07700 900461 about the tickets", ""),
    (0, "u-bob", "the whole series is on 123movies", ""),
    (1, "u-mal", "@sam nobody likes you", "u-sam"),
    (2, "u-mal", "you are pathetic, honestly", "u-sam"),
    (3, "u-mal", "everyone hates you here", "u-sam"),
    (7, "u-cat", "anyone want pills for the social? dm me", ""),
    (8, "u-ann", "her number is 07700 900462", ""),
    (8, "u-dee", "Training is at 7pm on Tuesday, bring water", ""),
    (15, "u-bob", "no copyright intended, all rights to the artist", ""),
]
NAMES = {"u-ann": "Ann", "u-bob": "Bob", "u-mal": HOSTILE_NAME, "u-cat": "Cat", "u-dee": "Dee"}


class _Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


async def _build_database(path: Path) -> dict[str, int]:
    """Moderate MESSAGES through the real core; returns what the report should then show."""
    clock = _Clock()
    core = await open_core(replace(load_settings(env_file=None, environ={}), db_path=path), clock=clock)
    try:
        await core.store.save_community(Community(platform=Platform.DISCORD, community_id="g1",
                                                  name="Test <Society> & Co"), START)
        incident_ids = []
        for number, (days, author, text, target) in enumerate(MESSAGES):
            clock.now = START + timedelta(days=days, minutes=number)
            outcome = await core.moderator.handle(MessageEvent(
                platform=Platform.DISCORD, community_id="g1", channel_id="c1", message_id=f"m{number}",
                author_id=author, author_name=NAMES[author], text=text, created_at=clock.now,
                targets=(target,) if target else ()))
            if outcome.nudge is not None:
                refused = author == "u-cat"
                await core.moderator.report_delivery(outcome.nudge.incident_id, DeliveryResult(
                    DeliveryStatus.REFUSED if refused else DeliveryStatus.DELIVERED, "50007" if refused else ""))
            if outcome.incident_id is not None:
                incident_ids.append(outcome.incident_id)
        # Ann says her second phone-number incident was a mistake; the committee dismisses it.
        mistaken = incident_ids[-2]
        await core.moderator.member_feedback(mistaken, "u-ann", "mistake", "it was my own number")
        committee = Principal(platform=Platform.DISCORD, community_id="g1", user_id="u-chair", is_committee=True)
        await core.review.transition(committee, mistaken, ReviewAction.DISMISS, "her own number")
        stats = await core.store.stats(Platform.DISCORD, "g1")
    finally:
        await core.close()
    return {"weeks": len(stats.weeks), "rules": len(stats.top_rules), "incidents": stats.total,
            "delivery_parts": sum(1 for s in ("delivered", "pending", "refused", "failed") if stats.delivery.get(s))}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """A database built through the core, and the report `nudgebot report` wrote from it (in its own process:
    the subprocess smoke test for `report`)."""
    tmp = tmp_path_factory.mktemp("report")
    expected = asyncio.run(_build_database(tmp / "incidents.db"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUDGEBOT_", "DISCORD_", "SLACK_"))}
    result = subprocess.run([sys.executable, "-m", "bot", "report", "--db", str(tmp / "incidents.db"),
                             "--out", str(tmp / "report.html")], cwd=tmp, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"{expected['incidents']} incidents" in result.stdout
    return tmp / "report.html", expected


def test_the_database_covers_what_the_charts_need(report):
    _, expected = report
    assert expected["weeks"] == 3 and expected["rules"] >= 5 and expected["delivery_parts"] == 2


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_the_page_is_self_contained_and_escapes_the_database(report):
    path, _ = report
    page = path.read_text(encoding="utf-8")
    parser = _Collector()
    parser.feed(page)
    tags = [tag for tag, _ in parser.tags]
    assert "script" not in tags and "img" not in tags and "link" not in tags
    assert not [a for _, attrs in parser.tags for k, a in attrs.items() if k in ("src", "href") and a]
    assert "&lt;b&gt;Mallory&lt;/b&gt;" in page
    assert "Test &lt;Society&gt; &amp; Co" in page
    assert "07700 900461" not in page  # excerpts are masked


def test_an_empty_database_gives_a_report_without_charts_data(tmp_path, nudgebot_cmd, clean_env, cli):
    db = tmp_path / "empty.db"
    # The subprocess smoke test for `db` (the module's `report` fixture is the one for `report`).
    assert subprocess.run([*nudgebot_cmd, "db", "upgrade", "--db", str(db)], env=clean_env,
                          capture_output=True, timeout=60).returncode == 0
    result = cli("report", "--db", db, "--out", tmp_path / "r.html")
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "No incidents in this period" in page and "Nothing is waiting for the committee" in page


def test_a_missing_database_is_a_clear_error(tmp_path, cli):
    result = cli("report", "--db", tmp_path / "nope.db", "--out", tmp_path / "r.html")
    assert result.returncode == 1
    assert "no incident database" in result.stderr
    assert not (tmp_path / "nope.db").exists() and not (tmp_path / "r.html").exists()


def test_since_and_until_narrow_the_period(report, tmp_path, cli):
    path, _ = report
    db = path.parent / "incidents.db"
    week2 = (START + timedelta(days=7)).date().isoformat()
    week2_end = (START + timedelta(days=12)).date().isoformat()
    result = cli("report", "--db", db, "--out", tmp_path / "w2.html", "--since", week2, "--until", week2_end)
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "w2.html").read_text(encoding="utf-8")
    weekly = page[page.index('id="chart-weekly"'):page.index("</svg>", page.index('id="chart-weekly"'))]
    assert re.findall(r'class="bar" data-label="([^"]+)" data-total="(\d+)"', weekly) == [("2026-W42", "2")]
    bad = cli("report", "--db", db, "--since", "last tuesday")
    assert bad.returncode == 2 and "not a date" in bad.stderr


def test_iso_weeks_cross_the_new_year():
    assert iso_weeks_between("2026-W52", "2027-W02") == ["2026-W52", "2026-W53", "2027-W01", "2027-W02"]


def _chromium_or_skip() -> None:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("CI is set but /usr/bin/chromium is missing: .ci/run installs Debian's chromium")
        pytest.skip("/usr/bin/chromium is not installed (apt-get install chromium); CI always runs this test")


def test_the_charts_render_in_headless_chromium(report):
    _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    path, expected = report
    problems: list[str] = []
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                    if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(path.resolve().as_uri(), wait_until="load")

            for chart in ("#chart-weekly", "#chart-rules", "#chart-delivery"):
                box = page.locator(chart).bounding_box()
                assert box and box["width"] > 300 and box["height"] > 30, chart
                assert page.locator(f"{chart} > title").text_content(), f"{chart} has no title"
            assert page.locator("#chart-weekly g.bar").count() == expected["weeks"]
            assert page.locator("#chart-rules g.bar").count() == expected["rules"]
            assert page.locator("#chart-delivery rect.segment").count() == expected["delivery_parts"]
            sizes = page.eval_on_selector_all(
                "svg.chart.wide rect.segment", "els => els.map(e => { const b = e.getBoundingClientRect(); "
                                          "return [b.width, b.height]; })")
            assert sizes and all(w > 0 and h > 0 for w, h in sizes)
            # The weekly bars add up to the incidents (each incident here breaches one clause).
            totals = page.eval_on_selector_all("#chart-weekly g.bar", "els => els.map(e => +e.dataset.total)")
            assert sum(totals) == expected["incidents"]
            # The hostile display name is shown as text, not turned into markup.
            assert "<b>Mallory</b>" in page.locator("table.open").inner_text()
            assert page.locator("table.open b").count() == 0

            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        finally:
            browser.close()
    assert problems == []
    assert requests == [path.resolve().as_uri()], "the report tried to fetch something"
    assert (ARTIFACTS / "report.png").stat().st_size > 10_000


def test_chart_scales_and_empty_charts():
    from bot.report.charts import Segment, horizontal_bars, nice_ceiling, proportion_bar, stacked_columns

    assert [nice_ceiling(v) for v in (0, 1, 3, 7, 10, 11, 180)] == [1, 1, 5, 10, 10, 20, 200]
    assert "No incidents in this period" in stacked_columns("c", "t", "d", [])
    assert "Nothing to show" in horizontal_bars("c", "t", "d", [])
    assert "No nudges" in proportion_bar("c", "t", "d", [Segment("delivered", 0, "#000")])
    # A label from the database is escaped inside the SVG too.
    svg = stacked_columns("c", "t", "d", [("<w>", [Segment("5.5.1 & co", 2, "#000")])])
    assert "&lt;w&gt;" in svg and "5.5.1 &amp; co" in svg and "<w>" not in svg


@pytest.mark.parametrize("width", [1280, 390])
def test_the_report_is_readable_on_a_desktop_and_a_phone(report, width):
    _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    path, _ = report
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.goto(path.resolve().as_uri(), wait_until="load")
            # Nothing makes the page itself wider than the screen: a wide table scrolls in its box.
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            # A rule id sits on one line: it wraps between ids, never mid-word.
            lines = page.eval_on_selector_all("span.id", "els => els.map(e => e.getClientRects().length)")
            assert lines and set(lines) == {1}
            # The chart drawn for this width is the one shown: the desktop drawing on a desktop, the compact one
            # on a phone, each with every bar the other has.
            shown = page.eval_on_selector_all("svg.chart", "els => els.filter(e => e.getBoundingClientRect()"
                                              ".width > 0).map(e => e.id)")
            suffix = "-compact" if width < 640 else ""
            assert shown == [f"chart-{name}{suffix}" for name in ("weekly", "rules", "delivery")], shown
            for name in ("weekly", "rules"):
                assert (page.locator(f"#chart-{name} g.bar").count()
                        == page.locator(f"#chart-{name}-compact g.bar").count() > 0)
            # It fits its box at full size: no chart scrolls sideways, and its text is inside the drawing.
            overflow = page.eval_on_selector_all(".chart-box", "els => els.map(e => e.scrollWidth - e.clientWidth)")
            assert overflow and max(overflow) <= 0, overflow
            spill = page.eval_on_selector_all(
                "svg.chart text", "els => els.filter(e => e.getBoundingClientRect().width > 0).map(e => { "
                "const s = e.closest('svg').getBoundingClientRect(), b = e.getBoundingClientRect(); "
                "return Math.max(s.left - b.left, b.right - s.right); })")
            assert spill and max(spill) <= 1, max(spill)
            # Chart labels are drawn at a legible size (at least 10 CSS pixels high).
            heights = page.eval_on_selector_all("svg.chart text", "els => els.filter(e => "
                                                "e.getBoundingClientRect().width > 0).map(e => e.getBBox().height "
                                                "* e.getScreenCTM().a)")
            assert heights and min(heights) >= 10, min(heights)
            # The cards, headings and every cell of the incident and escalation tables are on screen, without
            # scrolling sideways: on a phone those tables stack, one labelled card per row.
            right = page.eval_on_selector_all(".card, h1, h2, p.lead, table.stack td", "els => els.map(e => "
                                              "e.getBoundingClientRect().right)")
            assert max(right) <= width
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"report-{width}px.png"), full_page=True)
        finally:
            browser.close()
    assert (ARTIFACTS / f"report-{width}px.png").stat().st_size > 10_000


def test_the_demo_report_is_dated_by_the_real_clock(tmp_path, cli):
    # In-process: the demo's subprocess smoke test is tests/demo/test_demo.py's `demo_run`.
    before = datetime.now(UTC).replace(second=0, microsecond=0)
    result = cli("demo", "--db", tmp_path / "d.db", "--report", tmp_path / "r.html", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    generated = datetime.strptime(re.search(r"Generated (\d{4}-\d\d-\d\d \d\d:\d\d) UTC", page).group(1),
                                  "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    assert before <= generated <= datetime.now(UTC)

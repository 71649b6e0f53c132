"""The e-billboards in a real headless Chromium, on the demo's screens: the slideshow plays and
advances at 1920×1080 and 1080×1920 with nothing overflowing, keeps playing from its service worker's
cache once the network is gone and the page reloaded, and picks up a message an editor adds (with
the live preview) when the network returns. axe-core runs on the slideshow and the editor.

The slideshow runs under its real CSP (no bypass); axe needs one, so it runs in a context of its own.
Screenshots go to ``MANGXANH_TEST_ARTIFACTS`` when set (to look at them), else to the test's folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.web.test_browser import browser, server  # noqa: F401 - fixtures
from tests.web.test_browser_case_flow import _artifacts, _log_in
from tests.web.test_browser_portal import HOSTILE, _axe_violations, _no_script_ran

pytestmark = pytest.mark.browser
LANDSCAPE = {"width": 1920, "height": 1080}
PORTRAIT = {"width": 1080, "height": 1920}
LOBBY, SCHOOL = "sanh-chung-cu-cau-giay", "truong-thcs-hanh-lang"


def _feed(page: Any, code: str) -> dict[str, Any]:
    feed: dict[str, Any] = page.evaluate(
        "async (url) => (await fetch(url, {cache: 'no-store'})).json()", f"/api/v1/billboards/{code}/feed")
    return feed


def _shown(page: Any) -> dict[str, Any]:
    """The slide on screen: its message, its title, and whether everything in it fits the display."""
    shown: dict[str, Any] = page.evaluate("""() => {
      const stage = document.querySelector('[data-billboard]');
      const visible = [...document.querySelectorAll('.slide')].filter(s => !s.hidden);
      const slide = visible[0];
      const box = slide.getBoundingClientRect();
      const inside = [...slide.children].filter(c => !c.hidden).every(c => {
        const r = c.getBoundingClientRect(); return r.top >= box.top - 1 && r.bottom <= box.bottom + 1
          && r.left >= box.left - 1 && r.right <= box.right + 1; });
      const root = document.documentElement, title = slide.querySelector('.slide-title');
      return {id: stage.dataset.showing, visible: visible.length, title: title.textContent,
              fits: inside && slide.scrollHeight <= slide.clientHeight + 1
                && slide.scrollWidth <= slide.clientWidth + 1,
              page: root.scrollWidth <= innerWidth && root.scrollHeight <= innerHeight,
              titlePx: parseFloat(getComputedStyle(title).fontSize),
              bodyPx: parseFloat(getComputedStyle(slide.querySelector('.slide-body')).fontSize)};
    }""")
    return shown


def _play_through(page: Any, feed: dict[str, Any], out: Path, name: str) -> set[str]:
    """Advance the page's clock slide by slide over every message playing now; each must fit its display."""
    seconds = {str(m["id"]): m["seconds"] for m in feed["messages"]}
    seen: list[str] = []
    for turn in range(len(feed["showing_now"]) + 1):
        shown = _shown(page)
        assert shown["visible"] == 1 and shown["fits"] and shown["page"], shown
        assert shown["bodyPx"] >= 40 and shown["titlePx"] >= 60, "legible from across a lobby"
        seen.append(shown["id"])
        if turn == 0:
            page.screenshot(path=str(out / f"{name}.png"))
        page.clock.run_for(seconds.get(shown["id"], 30) * 1000 + 200)
    assert seen[0] != seen[1], "the slideshow advances"
    return set(seen)


def _open_slideshow(chromium: Any, base: str, code: str, viewport: dict[str, int]) -> tuple[Any, Any, list[str]]:
    context = chromium.new_context(viewport=viewport)
    page = context.new_page()
    problems: list[str] = []
    # Chromium asks every site for /favicon.ico, which this one has none of.
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error"
            and not msg.location.get("url", "").endswith("/favicon.ico") else None)
    page.clock.install()
    page.goto(f"{base}/bang-tin/{code}")
    page.wait_for_selector("[data-billboard][data-feed-version][data-offline-ready=yes]")
    return context, page, problems


def test_the_slideshow_plays_in_both_orientations_and_offline(
    server: tuple[str, dict[str, str]], browser: Any, tmp_path: Path,  # noqa: F811 - fixtures
) -> None:
    base, logins = server
    out = _artifacts(tmp_path)
    portrait, page, problems = _open_slideshow(browser, base, SCHOOL, PORTRAIT)
    feed = _feed(page, SCHOOL)
    assert len(feed["showing_now"]) >= 5
    assert _play_through(page, feed, out, "billboard-portrait") == {str(i) for i in feed["showing_now"]}
    assert problems == [], problems  # no script or style refused by the CSP, no failed request
    portrait.close()

    context, page, problems = _open_slideshow(browser, base, LOBBY, LANDSCAPE)
    feed = _feed(page, LOBBY)
    assert "Nghĩ trước khi đăng" not in [m["title"] for m in feed["messages"]]  # the school's own message
    assert _play_through(page, feed, out, "billboard-landscape") == {str(i) for i in feed["showing_now"]}
    assert page.locator("[data-offline]").is_hidden()

    # The network goes away and the display restarts: the worker's copies play on.
    context.set_offline(True)
    page.reload()
    page.wait_for_selector("[data-billboard][data-network=offline]")
    assert page.locator("[data-offline]").is_visible()
    assert page.get_attribute("[data-billboard]", "data-feed-version") == feed["version"]
    offline_seen = _play_through(page, feed, out, "billboard-landscape-offline")
    assert offline_seen == {str(i) for i in feed["showing_now"]}

    # Meanwhile an editor adds a message, with the live preview; the display picks it up once back online.
    editor = browser.new_context(viewport={"width": 1400, "height": 1000}, bypass_csp=True).new_page()
    _log_in(editor, base, "lanhdao", logins["lanhdao"])
    editor.click("nav a[href='/billboards']")
    editor.click("main a[href='/billboards/new']")
    assert _axe_violations(editor) == [], "editor"
    editor.fill("input[name=title]", f"Bầu cử trực tuyến? {HOSTILE}")
    editor.fill("textarea[name=body]", "Không có “bầu cử trực tuyến” nào đòi mã OTP. Đó là lừa đảo.")
    editor.check("input[name=theme][value=red]")
    editor.check(f"input[name=screens][value={LOBBY}]")
    for frame in ("landscape", "portrait"):
        preview = editor.locator(f".billboard-previews .stage.{frame} .slide")
        assert preview.locator(".slide-title").inner_text() == f"Bầu cử trực tuyến? {HOSTILE}"
        assert "theme-red" in (preview.get_attribute("class") or "")
    assert editor.locator("[data-count-for=body]").inner_text() == "59/280"
    _no_script_ran(editor)
    editor.screenshot(path=str(out / "billboard-editor.png"), full_page=True)
    editor.click("form[data-billboard-form] button[type=submit]")
    editor.wait_for_url(f"{base}/billboards")
    assert editor.locator(".flash.success").inner_text() == "Đã đưa thông điệp lên các màn hình."
    assert _axe_violations(editor) == [], "list"

    context.set_offline(False)
    page.clock.run_for(61_000)  # the next look at the feed, if the "online" event did not bring it already
    page.wait_for_selector("[data-billboard][data-network=online]")
    # Looked at every 2 s (a message may be on screen for as little as 5 s), over two whole rounds.
    for _step in range(sum(m["seconds"] for m in feed["messages"]) + 120):
        page.clock.run_for(2_000)
        shown = _shown(page)
        if shown["title"] == f"Bầu cử trực tuyến? {HOSTILE}":
            break
    else:
        pytest.fail("the new message never played")
    assert shown["fits"] and shown["page"], shown
    _no_script_ran(page)
    assert page.locator("[data-offline]").is_hidden()
    page.screenshot(path=str(out / "billboard-landscape-new.png"))
    context.close()


def test_the_slideshow_passes_axe_at_both_sizes(
    server: tuple[str, dict[str, str]], browser: Any,  # noqa: F811 - fixtures
) -> None:
    base, _logins = server
    for code, viewport in ((LOBBY, LANDSCAPE), (SCHOOL, PORTRAIT)):
        context = browser.new_context(viewport=viewport, bypass_csp=True)
        page = context.new_page()
        page.goto(f"{base}/bang-tin/{code}")
        page.wait_for_selector("[data-billboard][data-feed-version]")
        assert _axe_violations(page) == [], code
        context.close()

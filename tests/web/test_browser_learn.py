"""The learning area in a real headless Chromium: library, an article and the checker on a phone,
axe-core on each page, a hostile draft shown as text, and the kinder wording copied.

Screenshots go to ``MANGXANH_TEST_ARTIFACTS`` when set (to look at them), else to the test's folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.test_browser import browser, server  # noqa: F401 - fixtures
from tests.web.test_browser_case_flow import _artifacts
from tests.web.test_browser_portal import HOSTILE, PHONE, _axe_violations, _no_script_ran

pytestmark = pytest.mark.browser


def test_library_article_and_checker_on_a_phone(
    server: tuple[str, dict[str, str]], browser: object, tmp_path: Path,  # noqa: F811 - fixtures
) -> None:
    base, _logins = server
    out = _artifacts(tmp_path)
    context = browser.new_context(viewport=PHONE, bypass_csp=True)  # type: ignore[attr-defined]
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page = context.new_page()
    page.goto(f"{base}/hoc")
    assert _axe_violations(page) == [], "library"
    page.fill("#q", "lua dao")
    page.click("form[role=search] button")
    assert page.locator("ul.articles li").first.inner_text().startswith("Nhận biết lừa đảo trực tuyến")
    page.screenshot(path=str(out / "learn-library.png"), full_page=True)
    page.goto(f"{base}/hoc/bai/dieu-4-to-chuc-ca-nhan")
    assert _axe_violations(page) == [], "article"
    page.screenshot(path=str(out / "learn-article.png"), full_page=True)
    page.goto(f"{base}/hoc/can-nhac")
    assert _axe_violations(page) == [], "checker"
    page.fill("#draft", f"{HOSTILE} đm, câm mồm đi, đồ mất dạy! Số của nó 0912 345 678")
    page.click("form button[type=submit]")
    page.wait_for_selector(".check-result")
    _no_script_ran(page)
    assert "Vi phạm quy định" in page.locator(".risk").inner_text()
    assert page.locator(".marked mark").count() >= 2 and page.locator(".diff del").count() >= 1
    assert "xxxx xxx x78" in page.input_value("#kinder")
    assert int(page.evaluate("document.documentElement.scrollWidth")) <= PHONE["width"]
    assert _axe_violations(page) == [], "checker with a result"
    page.click("[data-copy=kinder]")
    assert "thiếu lịch sự" in page.evaluate("navigator.clipboard.readText()")
    page.screenshot(path=str(out / "learn-checker.png"), full_page=True)
    context.close()

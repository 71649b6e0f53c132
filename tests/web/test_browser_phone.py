"""The console on a phone and after logging out, in a real headless Chromium.

Screenshots go to ``MANGXANH_TEST_ARTIFACTS`` when set (to look at them), else to the test's folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.test_browser import browser, server  # noqa: F401 - fixtures
from tests.web.test_browser_case_flow import _artifacts, _log_in

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def _page_width(page: object) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))  # type: ignore[attr-defined]


def test_queue_and_case_page_fit_a_phone_without_sideways_scrolling(
    server: tuple[str, dict[str, str]], browser: object, tmp_path: Path,  # noqa: F811 - fixtures
) -> None:
    base, logins = server
    out = _artifacts(tmp_path)
    page = browser.new_context(viewport=PHONE).new_page()  # type: ignore[attr-defined]
    _log_in(page, base, "chuyenvien", logins["chuyenvien"])
    assert _page_width(page) <= PHONE["width"], "queue"
    page.screenshot(path=str(out / "phone-queue.png"))
    page.locator("table.queue tbody tr").first.locator("td.case-link a").click()
    page.wait_for_url(f"{base}/cases/*")
    assert _page_width(page) <= PHONE["width"], "case page"
    page.screenshot(path=str(out / "phone-case.png"), full_page=True)
    nav = page.locator("header.topbar nav a", has_text="Hàng đợi hồ sơ")
    assert nav.bounding_box()["height"] < 40  # type: ignore[index]  # one line, not a word per line


def test_after_logout_back_shows_the_login_page_not_the_cached_queue(
    server: tuple[str, dict[str, str]], browser: object,  # noqa: F811 - fixtures
) -> None:
    base, logins = server
    page = browser.new_context().new_page()  # type: ignore[attr-defined]
    _log_in(page, base, "chuyenvien", logins["chuyenvien"])
    assert page.locator("table.queue").count() == 1
    page.click("text=Đăng xuất")
    page.wait_for_url(f"{base}/login*")
    page.go_back()
    page.wait_for_load_state()
    assert "/login" in page.url and page.locator("table.queue").count() == 0
    skip = page.locator("a.skip-link")
    assert skip.bounding_box()["x"] < 0  # type: ignore[index]  # out of sight until focused
    skip.focus()  # then it shows, with its focus ring
    assert skip.bounding_box()["x"] >= 0  # type: ignore[index]
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"


def test_the_browser_s_validation_bubbles_speak_vietnamese(
    server: tuple[str, dict[str, str]], browser: object,  # noqa: F811 - fixtures
) -> None:
    base, logins = server
    page = browser.new_context().new_page()  # type: ignore[attr-defined]
    _log_in(page, base, "chuyenvien", logins["chuyenvien"])
    page.locator("table.queue tbody tr").first.locator("td.case-link a").click()
    page.wait_for_url(f"{base}/cases/*")
    page.click("form.merge-form button[type=submit]")  # the main case's number is required
    field = "form.merge-form input[name=into]"
    assert page.eval_on_selector(field, "e => e.validationMessage") == "Vui lòng nhập thông tin này."
    page.fill(field, "abc")
    page.click("form.merge-form button[type=submit]")
    assert page.eval_on_selector(field, "e => e.validationMessage") == "Giá trị chưa đúng định dạng yêu cầu."


def test_rules_are_saved_with_a_reason_compared_and_restored_and_the_queue_sorts_by_its_headers(
    server: tuple[str, dict[str, str]], browser: object, tmp_path: Path,  # noqa: F811 - fixtures
) -> None:
    base, logins = server
    out = _artifacts(tmp_path)
    page = browser.new_context().new_page()  # type: ignore[attr-defined]
    _log_in(page, base, "lanhdao", logins["lanhdao"])
    page.locator("table.queue thead th a.sort").nth(1).click()  # the Deadline header
    page.wait_for_url(f"{base}/cases?order=deadline")
    assert page.locator("table.queue thead th[aria-sort=ascending]").count() == 1

    page.goto(f"{base}/rules")
    text = page.input_value("textarea[name=text]")
    page.fill("textarea[name=text]", text.replace("priority: 100", "priority: 99", 1))
    page.click("button[value=save]")  # no reason given: refused, in Vietnamese, nothing saved
    assert "phải có ghi chú mới lưu được bộ quy tắc" in page.locator(".flash.error").inner_text()
    page.fill("input[name=note]", "Thử hạ mức ưu tiên tối đa")
    page.click("button[value=save]")
    page.wait_for_url(f"{base}/rules")
    assert page.locator("tr.rules-version", has_text="Thử hạ mức ưu tiên tối đa").count() == 1
    page.goto(f"{base}/rules/versions/0")
    assert page.locator("pre.diff .diff-add", has_text="priority: 100").count() >= 1
    assert page.locator("pre.diff .diff-remove", has_text="priority: 99").count() >= 1
    page.screenshot(path=str(out / "rules-diff.png"), full_page=True)
    page.fill("form.restore-form input[name=note]", "Trở lại bộ quy tắc mặc định")
    page.click("form.restore-form button[type=submit]")
    page.wait_for_url(f"{base}/rules")
    assert "Đã khôi phục phiên bản 0 thành phiên bản" in page.locator(".flash.success").inner_text()
    assert page.input_value("textarea[name=text]") == text


"""A contest in a real headless Chromium: a teacher creates it, two pupils take it on phones, one
answers everything, the other loses the connection, comes back, then runs out of time and is
handed in at the deadline by the server; results, certificate and ranking follow.

Screenshots go to ``MANGXANH_TEST_ARTIFACTS`` when set (to look at them), else to the test's folder.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.web.test_browser import browser, server  # noqa: F401 - fixtures
from tests.web.test_browser_case_flow import _artifacts
from tests.web.test_browser_portal import HOSTILE, PHONE, _axe_violations, _no_script_ran

pytestmark = pytest.mark.browser
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
SECONDS_ALLOWED = 15


def _local(delta: timedelta) -> str:
    return (datetime.now(HANOI) + delta).strftime("%Y-%m-%dT%H:%M")


def _create_contest(chromium: object, base: str, password: str, out: Path) -> str:
    page = chromium.new_page()  # type: ignore[attr-defined]
    page.goto(f"{base}/login")
    page.fill("input[name=username]", "giaovien")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/cuoc-thi")
    page.click("text=Tạo cuộc thi")
    page.fill("input[name=title]", f"Lớp 8A1 thi ứng xử văn minh {HOSTILE}")
    page.fill("input[name=school]", "Trường THCS Cầu Giấy")
    page.fill("input[name=district]", "Cầu Giấy")
    page.fill("textarea[name=classes]", "8A1\n8A2")
    page.locator("input[name=opens]").first.fill(_local(timedelta(minutes=-2)))
    page.locator("input[name=closes]").first.fill(_local(timedelta(hours=1)))
    page.locator("input[name=minutes]").first.fill("0,25")
    page.locator("input[name=questions]").first.fill("3")
    for row in (1, 2):
        page.locator("input[name=minutes]").nth(row).fill("")
        page.locator("input[name=questions]").nth(row).fill("")
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(f"{base}/cuoc-thi/*")
    _no_script_ran(page)
    page.screenshot(path=str(out / "contest-console.png"), full_page=True)
    address = page.locator("main a[href^='/thi/']").first.get_attribute("href")
    assert address
    page.close()
    return address


def _register_and_start(chromium: object, base: str, address: str, name: str, phone: str, out: Path) -> object:
    context = chromium.new_context(viewport=PHONE, bypass_csp=True)  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(f"{base}{address}")
    assert _axe_violations(page) == [], "contest page"
    page.fill("#full_name", name)
    page.fill("#birth_date", "05/09/2012")
    page.select_option("#unit_id", index=1)
    page.select_option("#class_name", "8A1")
    page.fill("#phone", phone)
    page.click("form.register button[type=submit]")
    page.wait_for_selector("form.start-round")
    page.fill("#guess-1", "2")
    page.click("form.start-round button[type=submit]")
    page.wait_for_url(f"{base}/thi/bai/*")
    page.wait_for_function("document.querySelector('[data-clock]').textContent.includes(':')")
    return page


def _answer(page: object, letter_index: int) -> None:
    before = page.locator("[data-progress]").inner_text()  # type: ignore[attr-defined]
    page.locator("[data-choices] input").nth(letter_index).check()  # type: ignore[attr-defined]
    page.click("button[value=answer]")  # type: ignore[attr-defined]
    page.wait_for_function(  # type: ignore[attr-defined]
        "before => !document.querySelector('[data-progress]') || "
        "document.querySelector('[data-progress]').textContent !== before", arg=before)


def test_two_pupils_take_a_teachers_contest_and_the_one_out_of_time_is_handed_in_at_the_deadline(
    server: tuple[str, dict[str, str]], browser: object, tmp_path: Path,  # noqa: F811 - fixtures
) -> None:
    base, logins = server
    out = _artifacts(tmp_path)
    address = _create_contest(browser, base, logins["giaovien"], out)

    lan = _register_and_start(browser, base, address, "Nguyễn Lan Anh", "0912345678", out)
    minh = _register_and_start(browser, base, address, "Trần Đức Minh", "0987654321", out)
    assert _axe_violations(lan) == [], "question page"
    lan.screenshot(path=str(out / "contest-question.png"), full_page=True)
    assert int(lan.evaluate("document.documentElement.scrollWidth")) <= PHONE["width"]
    # Lan answers all three: the last answer hands her attempt in.
    for _ in range(3):
        if "/ket-qua" in lan.url:
            break
        _answer(lan, 1)
    lan.wait_for_url(f"{base}/thi/bai/*/ket-qua")
    assert "/3 câu đúng" in lan.locator(".risk").inner_text()
    assert _axe_violations(lan) == [], "result page"
    lan.screenshot(path=str(out / "contest-result.png"), full_page=True)

    # Minh answers one, loses the connection while answering the second, and gets it back.
    _answer(minh, 0)
    minh.context.set_offline(True)
    minh.locator("[data-choices] input").nth(2).check()
    minh.click("button[value=answer]")
    minh.wait_for_selector("[data-connection]:not([hidden])")
    assert "Mất kết nối" in minh.locator("[data-connection]").inner_text()
    minh.screenshot(path=str(out / "contest-offline.png"), full_page=True)
    minh.context.set_offline(False)
    minh.wait_for_function("document.querySelector('[data-progress]').textContent.startsWith('Câu 3/')")
    # Then he waits: the clock runs out and the server hands in what he answered, at the deadline.
    minh.wait_for_url(f"{base}/thi/bai/*/ket-qua", timeout=(SECONDS_ALLOWED + 15) * 1000)
    assert "Đã hết giờ" in minh.locator("main").inner_text()
    code = minh.locator("a[href^='/thi/chung-nhan/']").last.inner_text().rsplit(" ", 1)[-1]
    verify = minh.context.new_page()
    verify.goto(f"{base}/thi/chung-nhan/{code}")
    facts = verify.locator("dl.facts").inner_text()
    # Finished at the deadline, never later: his time is exactly the time allowed.
    assert "Trần Đức Minh" in facts and f"{SECONDS_ALLOWED} giây" in facts
    pdf = verify.request.get(f"{base}/thi/chung-nhan/{code}/giay-chung-nhan.pdf")
    assert pdf.ok and pdf.body().startswith(b"%PDF")

    teacher = browser.new_page()  # type: ignore[attr-defined]
    teacher.goto(f"{base}/login")
    teacher.fill("input[name=username]", "giaovien")
    teacher.fill("input[name=password]", logins["giaovien"])
    teacher.click("button[type=submit]")
    teacher.wait_for_url(f"{base}/cuoc-thi")
    teacher.locator("table.queue a").first.click()
    rows = [r.split("\t") for r in teacher.locator("table.queue").first.inner_text().splitlines()[1:]]
    assert sorted(r[1] for r in rows) == ["Nguyễn Lan Anh", "Trần Đức Minh"]
    # Both guessed exactly (two finished): more correct answers first, then the shorter time.
    order = [(-int(r[4]), int(r[5]), float(r[6].split()[0].replace(",", "."))) for r in rows]
    assert order == sorted(order) and [int(r[0]) for r in rows] == [1, 2]
    teacher.screenshot(path=str(out / "contest-ranking.png"), full_page=True)

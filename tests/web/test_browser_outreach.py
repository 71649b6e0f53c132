"""A rumour answered from the trends, in a real headless Chromium: the topic page of the demo's Hồ Gươm rumour
→ the case decided → the correction drafted from the topic → approved by the supervisor → published, and the
case showing the action done; then the demo's answer with its spread and a campaign's partners.

Screenshots go to ``MANGXANH_TEST_ARTIFACTS`` when set, else to the test's own folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.test_browser import browser, server  # noqa: F401 - fixtures
from tests.web.test_browser_case_flow import _artifacts, _log_in

pytestmark = pytest.mark.browser
TOPIC = "/trends/topic?term=ho%20guom&day=2026-11-27"


def test_topic_to_draft_to_approval_to_the_action_on_the_case(
    server: tuple[str, dict[str, str]], browser: object, tmp_path: Path,  # noqa: F811 - fixtures
) -> None:
    base, logins = server
    out = _artifacts(tmp_path)
    analyst = browser.new_context().new_page()  # type: ignore[attr-defined]
    _log_in(analyst, base, "chuyenvien", logins["chuyenvien"])
    analyst.goto(base + TOPIC)
    row = analyst.locator("tr.topic-item", has_text="ngắm hồ lần cuối")
    assert row.locator("a.draft-correction").count() == 1  # a false-information case: it can be answered
    row.locator("td a", has_text="hồ sơ").first.click()
    analyst.wait_for_url(f"{base}/cases/*")
    case_url = analyst.url
    analyst.select_option("select[name=category]", "FALSE_INFO")
    analyst.select_option("select[name=legal_basis]", "decree-147-2024|")
    analyst.select_option("form.decision-form select[name=action]", "publish_correction")
    analyst.fill("textarea[name=facts]", "Video khẳng định Hồ Gươm sắp bị lấp để xây ga tàu điện ngầm.")
    analyst.fill("textarea[name=note]", "Thông tin sai sự thật gây hoang mang; đã có thông tin cải chính chính thức.")
    analyst.click("form.decision-form button[type=submit]")
    assert analyst.locator(".flash.success").inner_text() == "Đã ghi nhận quyết định."

    analyst.goto(base + TOPIC)
    analyst.locator("tr.topic-item", has_text="ngắm hồ lần cuối").locator("a.draft-correction").click()
    analyst.wait_for_url(f"{base}/answers/new*")
    assert analyst.locator("select[name=correction]").input_value() == "HN-2026-113"
    post = analyst.locator("textarea[name=post]").input_value()
    assert "https://mrb.hanoi.gov.vn/tin-tuc/khong-lap-ho-guom-xay-ga-c9" in post and "sai sự thật" in post
    analyst.screenshot(path=str(out / "answer-1-draft.png"), full_page=True)
    analyst.click("form.answer-form button[type=submit]")
    analyst.wait_for_url(f"{base}/answers/*")
    answer_url = analyst.url
    assert "Đang chờ lãnh đạo phòng phê duyệt." in analyst.locator("main").inner_text()
    assert analyst.locator("button", has_text="Phê duyệt").count() == 0  # four eyes

    supervisor = browser.new_context().new_page()  # type: ignore[attr-defined]
    _log_in(supervisor, base, "lanhdao", logins["lanhdao"])
    supervisor.goto(answer_url)
    supervisor.click("text=Phê duyệt bài cải chính và thông báo")
    assert supervisor.locator(".flash.success").inner_text() == "Đã phê duyệt bài cải chính và thông báo."
    supervisor.fill("form.publish-form input[name=url]", "https://www.facebook.com/thongtinhanoi/posts/9300002")
    supervisor.click("form.publish-form button[type=submit]")
    assert "Kết quả lan tỏa" in supervisor.locator("section.spread").inner_text()
    supervisor.screenshot(path=str(out / "answer-2-published.png"), full_page=True)

    supervisor.goto(case_url)
    rows = supervisor.locator("table.actions tr.action")
    states = {rows.nth(i).locator("td").first.inner_text().split("\n")[0]: rows.nth(i).locator("td.state").inner_text()
              for i in range(rows.count())}
    assert states["Đăng tải thông tin cải chính"].startswith("Đã thực hiện")
    assert states["Đề nghị các trang đối tác chia sẻ thông tin cải chính"].startswith("Đã gửi")
    history = supervisor.locator("section.history").inner_text()
    assert "Phê duyệt biện pháp" in history
    supervisor.screenshot(path=str(out / "answer-3-case.png"), full_page=True)


def test_the_demo_answer_spread_and_a_campaign(
    server: tuple[str, dict[str, str]], browser: object, tmp_path: Path,  # noqa: F811 - fixtures
) -> None:
    base, logins = server
    out = _artifacts(tmp_path)
    page = browser.new_context().new_page()  # type: ignore[attr-defined]
    _log_in(page, base, "lanhdao", logins["lanhdao"])
    page.goto(f"{base}/answers/1")
    spread = page.locator("section.spread")
    assert spread.locator("dd.pages-shared").inner_text() == "2"
    assert spread.locator("dd.time-to-correction").inner_text() == "25,9 giờ"
    assert spread.locator("tr.partner-share").count() == 2
    page.screenshot(path=str(out / "answer-demo-spread.png"), full_page=True)
    page.goto(f"{base}/partners")
    assert page.locator("tr.partner").count() == 3
    page.goto(f"{base}/campaigns")
    page.locator("tr.campaign a").first.click()
    assert "2 trên 3 trang đối tác đã đăng" in page.locator("p.summary").inner_text()
    assert page.locator("tr.campaign-partner.not-posted").count() == 1
    page.screenshot(path=str(out / "campaign.png"), full_page=True)

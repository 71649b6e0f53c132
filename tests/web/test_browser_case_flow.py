"""A case from the queue to the content removed, in a real headless Chromium: an analyst takes it,
decides and drafts the takedown; a supervisor approves and issues the letter; the letter is
downloaded (the DOCX reopened, the PDF rendered to an image); the platform's answer closes it.

The screenshots and the rendered letter are written to ``MANGXANH_TEST_ARTIFACTS`` when set
(to look at them), else to the test's own folder.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document

from tests.web.test_browser import browser, server  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


def _artifacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("MANGXANH_TEST_ARTIFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _log_in(page: object, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login")  # type: ignore[attr-defined]
    page.fill("input[name=username]", username)  # type: ignore[attr-defined]
    page.fill("input[name=password]", password)  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url(f"{base}/cases")  # type: ignore[attr-defined]


def test_a_takedown_from_the_queue_to_the_content_removed(
    server: tuple[str, dict[str, str]], browser: object, tmp_path: Path,  # noqa: F811 - fixtures
) -> None:
    base, logins = server
    out = _artifacts(tmp_path)
    analyst = browser.new_context(accept_downloads=True).new_page()  # type: ignore[attr-defined]
    _log_in(analyst, base, "chuyenvien", logins["chuyenvien"])
    analyst.goto(f"{base}/cases?category=HATE_DISCRIM")
    analyst.locator("table.queue tbody tr").first.locator("a").click()
    analyst.wait_for_url(f"{base}/cases/*")
    case_url = analyst.url

    analyst.click("text=Nhận xử lý hồ sơ")
    assert analyst.locator("dd.assignee").inner_text() == "Chuyên viên Nguyễn Thu Hà"
    analyst.select_option("select[name=category]", "HATE_DISCRIM")
    analyst.select_option("select[name=legal_basis]", "decision-874-2021|Điều 4")
    analyst.select_option("form.decision-form select[name=action]", "request_takedown")
    analyst.fill("textarea[name=facts]", "Bài đăng công khai gọi người các tỉnh khác bằng từ miệt thị.")
    analyst.fill("textarea[name=note]", "Kỳ thị vùng miền, trái Điều 4 Bộ Quy tắc ứng xử; đề nghị gỡ bỏ.")
    analyst.click("form.decision-form button[type=submit]")
    assert analyst.locator(".flash.success").inner_text() == "Đã ghi nhận quyết định."
    assert "Điều 4" in analyst.locator("div.decision dd.basis").first.inner_text()

    analyst.select_option("form.draft-action select[name=kind]", "request_takedown")
    analyst.fill("form.draft-action input[name=recipient]", "Ban quản trị trang tin điện tử Tin Nóng")
    analyst.click("form.draft-action button[type=submit]")
    row = analyst.locator("table.actions tr.action").first
    assert "chờ phê duyệt" in row.locator("td.state").inner_text()
    assert row.locator("button", has_text="Phê duyệt").count() == 0  # four eyes: not the drafter's to approve
    analyst.screenshot(path=str(out / "flow-1-analyst-drafted.png"), full_page=True)

    supervisor = browser.new_context(accept_downloads=True).new_page()  # type: ignore[attr-defined]
    _log_in(supervisor, base, "lanhdao", logins["lanhdao"])
    supervisor.goto(case_url)
    supervisor.locator("table.actions tr.action").first.locator("button", has_text="Phê duyệt").click()
    supervisor.locator("table.actions tr.action").first.locator("button", has_text="Phát hành công văn").click()
    row = supervisor.locator("table.actions tr.action").first
    assert "Đã gửi" in row.locator("td.state").inner_text()
    assert "còn 23 giờ" in row.locator("td.deadline").inner_text()
    with supervisor.expect_download() as pdf_download:
        row.locator("a", has_text="PDF").click()
    with supervisor.expect_download() as docx_download:
        row.locator("a", has_text="DOCX").click()
    pdf, docx = out / "flow-letter.pdf", out / "flow-letter.docx"
    pdf_download.value.save_as(str(pdf))
    docx_download.value.save_as(str(docx))

    document = Document(io.BytesIO(docx.read_bytes()))
    paragraphs = "\n".join(p.text for p in document.paragraphs)
    cells = [p.text for table in document.tables for r in table.rows for c in r.cells for p in c.paragraphs]
    assert "Kính gửi: Ban quản trị trang tin điện tử Tin Nóng." in paragraphs
    assert any(cell.startswith("Số: ") and cell.endswith("/SKHCN-TTĐT") for cell in cells)
    assert "V/v đề nghị ngăn chặn, gỡ bỏ thông tin vi phạm pháp luật" in cells
    assert any("Điều 4" in text for text in (paragraphs, *cells))
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(out / "flow-letter")],
                       check=True, timeout=60)
        rendered = out / "flow-letter-1.png"
        assert rendered.stat().st_size > 10_000  # a page with text on it, not a blank

    supervisor.locator("form.answer-form select[name=answer]").select_option("done")
    supervisor.fill("form.answer-form input[name=note]", "Nền tảng đã gỡ bài viết lúc 09:30.")
    supervisor.locator("form.answer-form button[type=submit]").click()
    row = supervisor.locator("table.actions tr.action").first
    assert "Đã thực hiện" in row.locator("td.state").inner_text()
    history = supervisor.locator("section.history").inner_text()
    steps = ("Ghi nhận quyết định", "Đề xuất biện pháp", "Phê duyệt biện pháp", "Phát hành công văn, đã gửi biện pháp")
    for label in steps:
        assert label in history, label
    assert "Lịch sử toàn vẹn" in supervisor.locator("p.chain").inner_text()
    supervisor.screenshot(path=str(out / "flow-2-supervisor-done.png"), full_page=True)


def test_the_queue_is_searched_worked_with_keys_and_in_bulk(
    server: tuple[str, dict[str, str]], browser: object, tmp_path: Path,  # noqa: F811 - fixtures
) -> None:
    base, logins = server
    out = _artifacts(tmp_path)
    page = browser.new_context().new_page()  # type: ignore[attr-defined]
    _log_in(page, base, "lanhdao", logins["lanhdao"])
    page.fill("input[name=q]", "ha noi")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(f"{base}/cases?*q=ha+noi*")
    found = page.locator("table.queue tbody tr")
    assert found.count() >= 1
    page.fill("form.save-filter input[name=name]", "Hà Nội")
    page.click("form.save-filter button[type=submit]")
    assert page.locator("nav.saved-filters a", has_text="Hà Nội").count() == 1
    page.screenshot(path=str(out / "queue-search.png"), full_page=True)

    page.goto(f"{base}/cases")
    rows = page.locator("table.queue tbody tr")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    assert rows.nth(0).get_attribute("class").endswith("current")  # type: ignore[union-attr]
    page.keyboard.press("j")
    second = rows.nth(1).get_attribute("data-case")
    page.keyboard.press("o")
    page.wait_for_url(f"{base}/cases/{second}")
    page.go_back()
    page.keyboard.press("j")
    first = rows.nth(0).get_attribute("data-case")
    page.keyboard.press("a")  # takes the case
    page.wait_for_url(f"{base}/cases/{first}")
    assert page.locator("dd.assignee").inner_text() == "Lãnh đạo phòng Trần Minh Đức"

    page.goto(f"{base}/cases")
    ids = [rows.nth(i).get_attribute("data-case") for i in (2, 3)]
    for i in (2, 3):
        rows.nth(i).locator("input[type=checkbox]").check()
    page.check("form.bulk input[value=assign]")
    page.select_option("form.bulk select[name=assignee]", label="Chuyên viên Nguyễn Thu Hà")
    page.click("form.bulk button[type=submit]")
    assert f"Đã thực hiện cho 2 hồ sơ: #{ids[0]}, #{ids[1]}." in page.locator(".flash.success").inner_text()
    page.screenshot(path=str(out / "queue-bulk.png"), full_page=True)

"""The citizens' portal in a real headless Chromium: a report from the form to the case and back to its
reporter, the child-abuse path, quick exit, answers kept through a reload, hostile text shown as text,
and axe-core on every public page (no WCAG 2.1 A or AA violation).

Screenshots go to ``MANGXANH_TEST_ARTIFACTS`` when set (to look at them), else to the test's folder.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.web.test_browser import browser, server  # noqa: F401 - fixtures
from tests.web.test_browser_case_flow import _artifacts, _log_in

pytestmark = pytest.mark.browser
AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
PHONE = {"width": 390, "height": 844}
HOSTILE = "<img src=x onerror=\"window.__pwned=1\"><script>window.__pwned=2</script>"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _axe_violations(page: object) -> list[str]:
    page.evaluate(AXE)  # type: ignore[attr-defined]
    found = page.evaluate(  # type: ignore[attr-defined]
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations"
        ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))", WCAG_AA)
    return list(found)


def _no_script_ran(page: object) -> None:
    assert page.evaluate("window.__pwned === undefined")  # type: ignore[attr-defined]


def test_a_report_from_the_phone_to_the_case_and_its_outcome(
    server: tuple[str, dict[str, str]], browser: object, tmp_path: Path,  # noqa: F811 - fixtures
) -> None:
    base, logins = server
    out = _artifacts(tmp_path)
    # bypass_csp only lets the test inject axe-core; the pages' own CSP is what every other test sees.
    context = browser.new_context(viewport=PHONE, bypass_csp=True)  # type: ignore[attr-defined]
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{base}/phan-anh")
    assert _axe_violations(page) == [], "report form"
    assert int(page.evaluate("document.documentElement.scrollWidth")) <= PHONE["width"]
    page.screenshot(path=str(out / "portal-form.png"), full_page=True)

    # The link first; the page reported is this server's own, so the fetch really reads it.
    page.fill("#links", f"{base}/bao-cao-o-dau?utm_source=zalo")
    page.check("#choice-scam")
    page.wait_for_function("document.querySelector('[data-autosave-state]').textContent.length > 0")
    code = page.input_value("[data-report-code]")
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", code), "autosave gave the draft its code"
    page.fill("#description", HOSTILE)
    page.reload()  # a reload loses nothing: the answers come back from this device
    assert page.input_value("#links").startswith(base) and page.is_checked("#choice-scam")
    assert page.input_value("#description") == HOSTILE
    page.click("button[value=send]")
    page.wait_for_url(f"{base}/phan-anh/da-gui")
    assert page.locator("[data-sent-code]").inner_text() == code
    assert page.locator(".qr svg").count() == 1
    assert _axe_violations(page) == [], "sent page"
    page.screenshot(path=str(out / "portal-sent.png"), full_page=True)

    page.goto(f"{base}/tra-cuu?ma={code}")
    assert page.locator("#stage-title").inner_text().endswith("Đã tiếp nhận")
    assert page.locator(".user-text").first.inner_text() == HOSTILE  # shown as the text it is
    _no_script_ran(page)
    assert _axe_violations(page) == [], "status page"
    page.screenshot(path=str(out / "portal-status.png"), full_page=True)

    # Staff: the case holds the fetched page as evidence and the report, escaped.
    staff = browser.new_context().new_page()  # type: ignore[attr-defined]
    _log_in(staff, base, "chuyenvien", logins["chuyenvien"])
    for _ in range(50):
        staff.goto(f"{base}/cases?q=bao+cao+o+dau")
        if staff.locator("table.queue tbody tr td.case-link a").count():
            break
        staff.wait_for_timeout(200)
    staff.locator("table.queue tbody tr td.case-link a").first.click()
    staff.wait_for_url(f"{base}/cases/*")
    assert "Phản ánh ở đâu?" in staff.locator("section.item").inner_text()  # the page was read
    staff.click("p.citizen-reports a")
    staff.wait_for_url(f"{base}/cases/*/reports")
    assert HOSTILE in staff.locator("section.citizen-report").inner_text()
    _no_script_ran(staff)
    staff.screenshot(path=str(out / "console-case-reports.png"), full_page=True)
    staff.select_option("select[name=outcome]", "not_violation")
    staff.click("text=Lưu nội dung trả lời")
    staff.wait_for_url(f"{base}/cases/*/reports")

    page.goto(f"{base}/tra-cuu?ma={code}")
    assert page.locator("#stage-title").inner_text().endswith("Không vi phạm")
    assert "113" in page.locator("body").inner_text()  # where else to turn
    assert _axe_violations(page) == [], "status page with an outcome"
    assert dialogs == []


def test_child_abuse_path_quick_exit_and_every_other_public_page(
    server: tuple[str, dict[str, str]], browser: object, tmp_path: Path,  # noqa: F811 - fixtures
) -> None:
    base, _logins = server
    context = browser.new_context(bypass_csp=True)  # type: ignore[attr-defined]
    context.route("https://www.google.com.vn/**", lambda route: route.fulfill(body="<title>neutral</title>",
                                                                             content_type="text/html"))
    page = context.new_page()
    for path in ("/bao-cao-o-dau", "/tra-cuu", "/tra-cuu?ma=KHONG-CO-MA"):
        page.goto(f"{base}{path}")
        assert _axe_violations(page) == [], path
    page.goto(f"{base}/bao-cao-o-dau")
    page.goto(f"{base}/phan-anh")
    page.check("#choice-child_abuse")
    assert page.locator("[data-screenshots]").is_hidden()
    page.fill("#links", "https://video-xau.example/clip/9")
    page.click("button[value=send]")
    page.wait_for_url(f"{base}/phan-anh/da-gui")
    page.goto(f"{base}/phan-anh")
    page.click("[data-quick-exit]")
    page.wait_for_url("https://www.google.com.vn/")
    page.go_back()
    page.wait_for_load_state()
    assert page.url != f"{base}/phan-anh", "quick exit leaves no way Back to the portal page"
    # Keyboard alone: the skip link, then the quick exit, are the first things Tab reaches.
    page.goto(f"{base}/phan-anh")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    # The form's error state (sent without JavaScript's help: nothing chosen).
    page.goto(f"{base}/phan-anh")
    page.evaluate("document.querySelectorAll('[required]').forEach(e => e.removeAttribute('required'))")
    page.click("button[value=send]")
    assert page.locator("#form-error").count() == 1
    assert _axe_violations(page) == [], "form with an error"

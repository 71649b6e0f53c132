"""The console in a real headless Chromium, against a real server on the demo content."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import missing_service
from tests.domains.test_source_runner import site  # noqa: F401 - fixture
from tests.live_server import free_port, mangxanh_run

pytestmark = pytest.mark.browser
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """`mangxanh db upgrade`, `demo load` and `run`, as `make run` does, in a scratch folder."""
    home = tmp_path_factory.mktemp("browser")
    # Private fetches allowed: the feed the sources test adds is served on loopback. One server process:
    # the pages behave the same with two (tests/web/test_concurrency.py and the documented-commands test
    # run the default of two), and a second process only costs start-up time and CPU Chromium needs.
    env = {**os.environ, "MANGXANH_VAR_DIR": str(home / "var"), "MANGXANH_PORT": str(free_port()),
           "MANGXANH_DATABASE_URL": f"sqlite:///{home / 'var' / 'mangxanh.db'}", "MANGXANH_ALLOW_PRIVATE_FETCH": "1",
           "MANGXANH_WEB_WORKERS": "1"}
    env.pop("MANGXANH_REDIS_URL", None)
    for args in (["db", "upgrade"], ["demo", "load"]):
        subprocess.run([sys.executable, "-m", "mangxanh.cli", *args], env=env, cwd=home, check=True,
                       capture_output=True, timeout=120)
    logins = {line.split("\t")[0]: line.split("\t")[1]
              for line in (home / "var" / "demo-logins.txt").read_text(encoding="utf-8").splitlines()}
    with mangxanh_run(cwd=home, env=env) as base:
        yield base, logins


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    executable = os.environ.get("MANGXANH_TEST_CHROMIUM") or shutil.which("chromium") or ""
    if not executable or not Path(executable).exists():
        missing_service("Chromium (install Debian's chromium or set MANGXANH_TEST_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def test_analyst_decides_the_top_case(server: tuple[str, dict[str, str]], browser: object) -> None:
    base, logins = server
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{base}/cases")
    assert page.url.startswith(f"{base}/login")

    page.fill("input[name=username]", "chuyenvien")
    page.fill("input[name=password]", "sai mật khẩu")
    page.click("button[type=submit]")
    assert page.locator(".flash.error").inner_text() == "Sai tên đăng nhập hoặc mật khẩu."

    page.fill("input[name=username]", "chuyenvien")
    page.fill("input[name=password]", logins["chuyenvien"])
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/cases")
    assert page.locator("h1").inner_text().startswith("Hàng đợi hồ sơ")

    # The queue is sorted by priority: the first row is the top case.
    page.locator("table.queue tbody tr").first.locator("a").click()
    page.wait_for_url(f"{base}/cases/*")
    marks = page.locator("blockquote.item-text mark.span")
    assert marks.count() >= 1 and marks.first.inner_text().strip()

    category = page.locator("select[name=category] option:checked").inner_text()
    basis = page.locator(f'select[name=legal_basis] optgroup[label="{category}"] option').first
    page.select_option("select[name=legal_basis]", basis.get_attribute("value"))
    page.select_option("select[name=action]", "request_takedown")
    page.fill("textarea[name=facts]", "Bình luận công khai dưới bài đăng, xúc phạm người khác.")
    page.fill("textarea[name=note]", "Bình luận có nội dung vi phạm, đề nghị nền tảng gỡ bỏ.")
    page.click("form.decision-form button[type=submit]")

    assert page.locator(".flash.success").inner_text() == "Đã ghi nhận quyết định."
    assert page.locator("dd.status").get_attribute("data-status") == "decided"
    history = page.locator("section.history tbody tr.event-decision")
    assert history.count() == 1
    assert "Chuyên viên Nguyễn Thu Hà" in history.inner_text()
    assert "đề nghị nền tảng gỡ bỏ" in history.inner_text()
    assert "Lịch sử toàn vẹn" in page.locator("p.chain").inner_text()
    page.close()


def test_admin_adds_a_feed_and_runs_it(
    server: tuple[str, dict[str, str]], browser: object, site: str,  # noqa: F811
) -> None:
    base, logins = server
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{base}/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", logins["admin"])
    page.click("button[type=submit]")
    page.goto(f"{base}/sources")
    assert page.locator("h1").inner_text().startswith("Nguồn tin")

    page.fill("input[name=name]", "Tin Hà Nội (RSS)")
    page.select_option("select[name=kind]", "rss")
    page.fill("input[name=url]", f"{site}/feed.xml")
    page.fill("input[name=interval_min]", "30")
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(f"{base}/sources/*")
    assert page.locator(".flash.success").inner_text() == "Đã thêm nguồn tin."

    page.click("text=Chạy ngay")
    assert page.locator(".flash.success").inner_text().startswith("Đã chạy xong:")
    assert "Thành công" in page.locator("table.queue").last.inner_text()
    page.goto(f"{base}/sources")
    row = page.locator("table.sources tbody tr", has_text="Tin Hà Nội (RSS)")
    assert "Đang hoạt động" in row.inner_text()
    page.close()

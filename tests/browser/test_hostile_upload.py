"""Hostile uploads in real Chromium: commune and file names made of HTML/markdown show literally and inject
nothing into the DOM (no <script>, <img>, link or bold; no alert() ran); bombs and broken files end, within
seconds and with the server's memory bounded, in the app's own message; the upload size limit follows
NTM_MAX_UPLOAD_MB. The AppTest side is tests/test_safe_rendering.py and tests/test_upload_limit.py."""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import pytest
from _support_isolation import XSS_PROBE_JS, rss_mb, server_with_env, table_cells, tagged_workbook, upload
from browserkit import RUN_TIMEOUT_MS, VIEWPORT, assert_no_error, screenshot, wait_for_app

from ntm_data.dataset import load_dataset
from ntm_data.i18n import t
from ntm_data.model import ReadError

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the hostile corpus and builders
import hostile  # noqa: E402
from test_safe_rendering import FILE_NAME, HOSTILE_NAMES, hostile_workbook  # noqa: E402

try:
    from playwright.sync_api import expect
except ImportError:  # conftest skips (or fails in CI) before this matters
    expect = None

pytestmark = pytest.mark.browser

# What markup in a name would have produced in the DOM had it been rendered.
INJECTED_JS = """() => ({
  scripts: Array.from(document.querySelectorAll('script')).filter(s => s.textContent.includes('alert(1)')).length,
  images: document.querySelectorAll('img[src="x"], img[onerror]').length,
  links: document.querySelectorAll('a[href="http://e"], a[href="http://e/"]').length,
  bold: Array.from(document.querySelectorAll('strong, b')).filter(b => b.textContent.trim() === 'x').length,
  probe: window.__xss || [],
})"""
# One of each kind: every limit, the reader's own refusals, a file that is not a workbook.
HOSTILE_CASES = ("zip_bomb", "lying_zip_bomb", "xml_bomb", "million_rows", "far_away_cell", "many_parts",
                 "encrypted", "truncated", "png_image", "thousands_of_columns")
MAX_SECONDS = 30  # one refused upload, file transfer and rerun included, on a busy 2-core machine
MAX_SERVER_MB = 1500


def probe_page(browser):
    context = browser.new_context(viewport=VIEWPORT, locale="vi-VN")
    context.set_default_timeout(RUN_TIMEOUT_MS)
    context.add_init_script(XSS_PROBE_JS)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    return context, page, dialogs


def assert_nothing_injected(page, dialogs: list[str], where: str) -> None:
    found = page.evaluate(INJECTED_JS)
    assert found == {"scripts": 0, "images": 0, "links": 0, "bold": 0, "probe": []}, (where, found)
    assert not dialogs, (where, dialogs)


def go_to(page, page_id: str) -> None:
    label = t(f"ui.page.{page_id}", "vi")
    page.get_by_test_id("stSidebar").get_by_test_id("stPageLink-NavLink").filter(has_text=label).first.click()
    expect(page.get_by_test_id("stMain").get_by_role(
        "heading", level=1, name=t(f"ui.page.{page_id}.title", "vi"), exact=True)).to_be_visible()
    wait_for_app(page)


def test_markup_in_names_shows_literally(browser, server, request):
    context, page, dialogs = probe_page(browser)
    mark = server.log_mark()
    try:
        page.goto(f"{server.url}/data?criterion=15")  # the hostile communes all miss criterion 15
        wait_for_app(page)
        upload(page, FILE_NAME, hostile_workbook())  # waits for the file name, shown literally, in the sidebar
        assert_nothing_injected(page, dialogs, "data")
        screenshot(page, request.node.name, "data")
        for page_id in ("data", "lagging_communes", "scorecard"):
            if page_id != "data":
                go_to(page, page_id)
            missing = [name for name in HOSTILE_NAMES if name not in table_cells(page)]
            assert not missing, f"{page_id}: not shown verbatim in the table: {missing}"
            assert_nothing_injected(page, dialogs, page_id)
            screenshot(page, request.node.name, page_id)
        go_to(page, "commune_profile")
        box = page.get_by_test_id("stMain").get_by_test_id("stSelectbox").first
        shown = box.inner_text() + box.locator("input").input_value()
        assert any(name in shown for name in HOSTILE_NAMES), shown  # the picker shows the name as text
        assert_nothing_injected(page, dialogs, "commune_profile")
        screenshot(page, request.node.name, "commune_profile")
        assert_no_error(page, server, mark)
    finally:
        context.close()


def expected_message(name: str) -> str:
    with pytest.raises(ReadError) as info:
        load_dataset(getattr(hostile, name)(), name=f"{name}.xlsx")
    return info.value.message("vi")


def test_hostile_files_end_in_the_app_message(browser, server, request):
    """Each file in turn on one page: the app's message for it within seconds, the previous data kept,
    no traceback in the server log, the server's resident memory bounded."""
    context, page, dialogs = probe_page(browser)
    mark = server.log_mark()
    timings = {}
    try:
        page.goto(f"{server.url}/data")
        wait_for_app(page)
        for name in HOSTILE_CASES:
            message = expected_message(name)
            began = time.perf_counter()
            upload(page, f"{name}.xlsx", getattr(hostile, name)(), alert=message)
            timings[name] = time.perf_counter() - began
            assert timings[name] < MAX_SECONDS, f"{name}: {timings[name]:.1f} s"
            assert_no_error(page, server, mark)
            expect(page.get_by_test_id("stSidebar").get_by_text(
                t("ui.frame.source_upload", "vi", name=f"{name}.xlsx"))).to_have_count(0)
        screenshot(page, request.node.name, "last_refusal")
        current, peak = rss_mb(server.process.pid)
        assert peak < MAX_SERVER_MB, f"server peak RSS {peak:.0f} MB (now {current:.0f} MB); timings {timings}"
        assert_nothing_injected(page, dialogs, "after hostile files")
    finally:
        context.close()


def test_upload_size_limit_follows_the_environment(browser, request):
    """NTM_MAX_UPLOAD_MB=0.1: 200 KB is refused for its size with the app's message (the bytes are not even
    a workbook, so the size was checked first); a real 15 KB workbook is read on the same server."""
    data, ds = tagged_workbook("S", 8, seed=804)
    assert len(data) < 100_000
    with tempfile.TemporaryDirectory(prefix="ntm_browser_limit_") as tmp, \
            server_with_env(Path(tmp), NTM_MAX_UPLOAD_MB="0.1") as limited:
        context = browser.new_context(viewport=VIEWPORT, locale="vi-VN")
        context.set_default_timeout(RUN_TIMEOUT_MS)
        page = context.new_page()
        try:
            page.goto(f"{limited.url}/data")
            wait_for_app(page)
            refusal = t("issue.limit.upload_size", "vi", size_mb="0.2", max_mb="0.1")
            upload(page, "lon.xlsx", b"\0" * 200_000, alert=refusal)
            screenshot(page, request.node.name, "refused")
            upload(page, "nho.xlsx", data)
            go_to(page, "overview")
            expect(page.get_by_test_id("stMetricValue").filter(has_text=str(len(ds.communes))).first).to_be_visible()
            assert_no_error(page, limited, 0)
        finally:
            context.close()

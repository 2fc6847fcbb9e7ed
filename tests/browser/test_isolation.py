"""Session isolation in real Chromium: two browser sessions on one server upload different workbooks and
each sees only its own unsaved upload, on every page they visit; a third session still sees the sample;
going back to the sample in one session leaves the other's upload in place."""
from __future__ import annotations

import pytest
from _support_isolation import metric, tagged_workbook, tags, upload
from browserkit import RUN_TIMEOUT_MS, VIEWPORT, assert_no_error, screenshot, wait_for_app

from ntm_data import analytics
from ntm_data.i18n import t

try:
    from playwright.sync_api import expect
except ImportError:  # conftest skips (or fails in CI) before this matters
    expect = None

pytestmark = pytest.mark.browser

PAGES = ("overview", "lagging_communes", "scorecard", "data")


def go_to(page, page_id: str, lang: str = "vi") -> None:
    label = t(f"ui.page.{page_id}", lang)
    page.get_by_test_id("stSidebar").get_by_test_id("stPageLink-NavLink").filter(has_text=label).first.click()
    expect(page.get_by_test_id("stMain").get_by_role(
        "heading", level=1, name=t(f"ui.page.{page_id}.title", lang), exact=True)).to_be_visible()
    wait_for_app(page)


def new_page(browser):
    context = browser.new_context(viewport=VIEWPORT, locale="vi-VN")
    context.set_default_timeout(RUN_TIMEOUT_MS)
    return context, context.new_page()


def lagging_criterion(ds) -> str:
    """The criterion with the most lagging communes (so the lagging page lists some of them)."""
    return max((c.number for c in ds.criteria_set.criteria),
               key=lambda n: (len(analytics.lagging_communes(ds, n)), -int(n)))


def test_two_sessions_each_see_only_their_own_upload(browser, server, request):
    (data_a, ds_a), (data_b, ds_b) = tagged_workbook("A", 9, seed=801), tagged_workbook("B", 12, seed=802)
    sessions = {"A": (data_a, ds_a), "B": (data_b, ds_b)}
    mark = server.log_mark()
    contexts = {}
    try:
        pages = {}
        for letter, (_, ds) in sessions.items():
            contexts[letter], pages[letter] = new_page(browser)
            # The criterion in the link is kept by the session, so the lagging page shows its communes.
            pages[letter].goto(f"{server.url}/data?criterion={lagging_criterion(ds)}")
            wait_for_app(pages[letter])
        # Interleaved: A uploads, then B, then each looks around.
        for letter, (data, _) in sessions.items():
            upload(pages[letter], f"phien_{letter}.xlsx", data)
        for page_id in PAGES:
            for letter, (_, ds) in sessions.items():
                page = pages[letter]
                go_to(page, page_id)
                other = "B" if letter == "A" else "A"
                seen = tags(page)
                assert other not in seen, f"session {letter} shows session {other}'s communes on {page_id}"
                if page_id in ("lagging_communes", "scorecard", "data"):
                    assert seen == {letter}, f"session {letter} does not show its own communes on {page_id}"
                if page_id == "overview":
                    assert metric(page, "ui.kpi.communes") == str(len(ds.communes))
                screenshot(page, request.node.name, f"{letter}_{page_id}")

        # A third session has never uploaded: it sees the sample, and nobody's upload was saved.
        contexts["C"], third = new_page(browser)
        third.goto(server.url)
        wait_for_app(third)
        assert tags(third) == set()
        expect(third.get_by_test_id("stSidebar").get_by_text(
            t("ui.frame.source_upload", "vi", name="phien_A.xlsx"))).to_have_count(0)
        screenshot(third, request.node.name, "C_fresh")

        # A goes back to the sample; B's upload is untouched.
        pages["A"].get_by_test_id("stSidebar").get_by_role("button", name=t("ui.frame.use_sample", "vi")).click()
        wait_for_app(pages["A"])
        go_to(pages["A"], "scorecard")
        assert tags(pages["A"]) == set()
        pages["B"].reload()  # a reload keeps nothing server-side unless saved: B starts a new session
        wait_for_app(pages["B"])
        assert tags(pages["B"]) == set()
        for page in (*pages.values(), third):
            assert_no_error(page, server, mark)
    finally:
        for context in contexts.values():
            context.close()


def test_a_rejected_upload_in_one_session_does_not_touch_the_other(browser, server, request):
    data, ds = tagged_workbook("D", 10, seed=803)
    mark = server.log_mark()
    ctx_ok, ok = new_page(browser)
    ctx_bad, bad = new_page(browser)
    try:
        for page in (ok, bad):
            page.goto(f"{server.url}/data")
            wait_for_app(page)
        upload(ok, "phien_D.xlsx", data)
        upload(bad, "hong.xlsx", b"PK\x03\x04 not really a workbook", alert="hong.xlsx")
        assert tags(bad) == set()
        go_to(ok, "overview")
        assert metric(ok, "ui.kpi.communes") == str(len(ds.communes))
        screenshot(bad, request.node.name, "rejected")
        screenshot(ok, request.node.name, "kept")
        assert_no_error(ok, server, mark)
    finally:
        ctx_ok.close()
        ctx_bad.close()

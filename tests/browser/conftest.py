"""Real-browser fixtures: Debian's Chromium driven by Playwright against `streamlit run dashboard.py`.

The browser tests run after every other test. Without Chromium (or Playwright) they are skipped with a
loud message outside CI and fail in CI (CI=true), so CI cannot pass without them.
"""
from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from browserkit import (
    CHROMIUM_ARGS,
    EXPECT_TIMEOUT_MS,
    RUN_TIMEOUT_MS,
    VIEWPORT,
    Server,
    chromium_path,
    in_ci,
    missing_reason,
    start_server,
)

BROWSER_DIR = Path(__file__).resolve().parent
LOUD = "!" * 12
_REASON = pytest.StashKey[str]()


def _is_browser_test(item: pytest.Item) -> bool:
    return BROWSER_DIR in Path(str(item.path)).resolve().parents


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Move the browser tests last and mark them `browser`; without Chromium skip them (outside CI)."""
    browser = [item for item in items if _is_browser_test(item)]
    if not browser:
        return
    items[:] = [item for item in items if not _is_browser_test(item)] + browser
    reason = missing_reason()
    if reason is not None:
        config.stash[_REASON] = reason
    for item in browser:
        item.add_marker(pytest.mark.browser)
        if reason is not None and not in_ci():
            item.add_marker(pytest.mark.skip(reason=f"{LOUD} BROWSER TESTS SKIPPED: {reason} {LOUD}"))


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    reason = config.stash.get(_REASON, None)
    if reason is not None:
        outcome = "FAILED: CI=true requires them" if in_ci() else "SKIPPED"
        terminalreporter.write_sep("!", f"REAL-BROWSER TESTS {outcome}: {reason}", red=True, bold=True)


@pytest.fixture(scope="session")
def chromium() -> str:
    """The Chromium executable; fails the test in CI when there is none."""
    reason = missing_reason()
    if reason is not None:
        if in_ci():
            pytest.fail(f"browser tests must run in CI (CI=true): {reason}", pytrace=False)
        pytest.skip(f"{LOUD} BROWSER TESTS SKIPPED: {reason} {LOUD}")
    return chromium_path() or ""


@pytest.fixture(scope="session")
def server(chromium: str) -> Iterator[Server]:
    """The app server shared by the workflow tests (each test opens its own session)."""
    with tempfile.TemporaryDirectory(prefix="ntm_browser_") as tmp:
        running = start_server(Path(tmp))
        try:
            yield running
        finally:
            running.stop()


@pytest.fixture
def fresh_server(chromium: str) -> Iterator[Server]:
    """A server nobody has visited yet, for cold deep links."""
    with tempfile.TemporaryDirectory(prefix="ntm_browser_cold_") as tmp:
        running = start_server(Path(tmp))
        try:
            yield running
        finally:
            running.stop()


@pytest.fixture(scope="session")
def browser(chromium: str):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as pw:
        # Playwright gives each launch a fresh temporary --user-data-dir: nothing leaks in from an earlier run.
        launched = pw.chromium.launch(executable_path=chromium, args=list(CHROMIUM_ARGS))
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser):
    """A new browser context per test (so a new Streamlit session), downloads allowed."""
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True, locale="vi-VN")
    context.set_default_timeout(RUN_TIMEOUT_MS)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()

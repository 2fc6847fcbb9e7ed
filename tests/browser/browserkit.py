"""Helpers for the real-browser tests: start `streamlit run dashboard.py` on a free loopback port, wait
for Streamlit to finish a run, fail on any error box, read st.dataframe cells, keep full-page screenshots."""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ntm_data.i18n import LANGUAGES, t

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
HEALTH_TIMEOUT_S = 60  # a cold start imports pandas, plotly and Streamlit: 5-15 s on a busy 2-core machine
RUN_TIMEOUT_MS = 60_000  # one script run; the first page of a session reads the four sample workbooks
EXPECT_TIMEOUT_MS = 20_000  # Playwright's 5 s default is too short on a busy 2-core machine
VIEWPORT = {"width": 1440, "height": 900}  # a common laptop / meeting-room projector resolution
MAX_SHOT_HEIGHT = 8000  # px; taller pages are cut (a screenshot is for a person to look at)
# Debian's Chromium as root in a container without network: --no-sandbox or it refuses to start as root;
# the background-networking flags or it floods refused connections.
CHROMIUM_ARGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--disable-extensions", "--disable-default-apps",
)
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def chromium_path() -> str | None:
    """NTM_CHROMIUM if set, else the first Chromium on PATH (Debian's package installs /usr/bin/chromium)."""
    explicit = os.environ.get("NTM_CHROMIUM", "").strip()
    if explicit:
        return explicit if Path(explicit).exists() else None
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


def missing_reason() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -r requirements-dev.txt)"
    if chromium_path() is None:
        return "no Chromium found (apt-get install chromium fonts-dejavu-core, or set NTM_CHROMIUM)"
    return None


# ---- the Streamlit server ------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A running `streamlit run dashboard.py`; `log` holds its stdout and stderr."""

    url: str
    process: subprocess.Popen
    log: Path
    data_dir: Path

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def log_mark(self) -> int:
        return len(self.log_text())

    def tracebacks(self, since: int = 0) -> str:
        """The log after character `since` when it holds a traceback (Streamlit logs every uncaught one)."""
        text = self.log_text()[since:]
        return text if "Traceback (most recent call last)" in text else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_server(tmp: Path) -> Server:
    """Start the app on a free loopback port with a fresh snapshot store (NTM_DATA_DIR in `tmp`) and wait
    until /_stcore/health answers "ok". NTM_RAISE_ERRORS=1 turns a failing page body into an exception box."""
    port = free_port()
    data_dir = tmp / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    log = tmp / "streamlit.log"
    env = {**os.environ, "NTM_DATA_DIR": str(data_dir), "NTM_RAISE_ERRORS": "1", "PYTHONUNBUFFERED": "1"}
    env.pop("NTM_DATABASE_URL", None)  # never touch a real store
    command = [
        sys.executable, "-m", "streamlit", "run", "dashboard.py",
        "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
        # Tests see the whole exception in the page (production shows none) and never reload mid-run.
        "--client.showErrorDetails", "full", "--server.fileWatcherType", "none", "--server.runOnSave", "false",
    ]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    server = Server(url=f"http://127.0.0.1:{port}", process=process, log=log, data_dir=data_dir)
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n{server.log_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    server.stop()
    raise RuntimeError(f"no answer on /_stcore/health in {HEALTH_TIMEOUT_S} s:\n{server.log_text()[-3000:]}")


# ---- waiting and checking ------------------------------------------------------------------------------
ERROR_TEXTS = tuple(t("ui.error.unexpected", lang) for lang in LANGUAGES)
DATAFRAMES_READY_JS = """() => Array.from(document.querySelectorAll('[data-testid="stDataFrame"]'))
  .every(df => df.querySelector('table[role="grid"] thead tr'))"""
CHARTS_READY_JS = """() => Array.from(document.querySelectorAll('[data-testid="stPlotlyChart"]'))
  .every(chart => chart.querySelector('.main-svg'))"""


def wait_for_app(page, server: Server | None = None, log_mark: int | None = None) -> None:
    """Wait until Streamlit finished the current run and drew everything (no skeleton or spinner, every
    table and chart rendered), then `assert_no_error`."""
    from playwright.sync_api import expect

    page.wait_for_timeout(200)  # let a click's rerun request reach the server before reading the state
    app = page.get_by_test_id("stApp")
    expect(app).to_have_attribute("data-test-connection-state", "CONNECTED", timeout=RUN_TIMEOUT_MS)
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=RUN_TIMEOUT_MS)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=RUN_TIMEOUT_MS)
    expect(page.get_by_test_id("stSpinner")).to_have_count(0, timeout=RUN_TIMEOUT_MS)
    page.wait_for_function(DATAFRAMES_READY_JS, timeout=RUN_TIMEOUT_MS)
    page.wait_for_function(CHARTS_READY_JS, timeout=RUN_TIMEOUT_MS)
    assert_no_error(page, server, log_mark)


def assert_no_error(page, server: Server | None = None, log_mark: int | None = None) -> None:
    """No exception box, no traceback text, no 'something went wrong' message; with `server` and
    `log_mark`, no traceback in the server log since the mark either."""
    exceptions = page.get_by_test_id("stException")
    if exceptions.count():
        raise AssertionError(f"exception box on {page.url}:\n{exceptions.first.inner_text()[:3000]}")
    text = page.get_by_test_id("stApp").inner_text()
    assert "Traceback" not in text, f"traceback text on {page.url}:\n{text[:3000]}"
    for message in ERROR_TEXTS:
        assert message not in text, f"the app's error message is shown on {page.url}"
    if server is not None and log_mark is not None:
        logged = server.tracebacks(log_mark)
        assert not logged, f"the server logged an exception while showing {page.url}:\n{logged[-3000:]}"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")[:120]


def screenshot(page, test_name: str, step: str) -> Path:
    """A full-page screenshot to artifacts/screenshots/<test>-<step>.png. Streamlit scrolls inside its
    main and sidebar panes, so the viewport is stretched to their content height for the shot."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{_slug(test_name)}-{_slug(step)}.png"
    height = page.evaluate("""() => Math.max(window.innerHeight, ...['stMain', 'stSidebarContent']
        .map(id => document.querySelector(`[data-testid="${id}"]`)).filter(Boolean).map(el => el.scrollHeight))""")
    original = page.viewport_size or VIEWPORT
    page.set_viewport_size({"width": original["width"], "height": min(int(height) + 40, MAX_SHOT_HEIGHT)})
    try:
        page.wait_for_timeout(400)  # tables and charts lay themselves out again for the new size
        page.screenshot(path=str(path), full_page=True)
    finally:
        page.set_viewport_size(original)
    return path


# ---- reading what is on screen ---------------------------------------------------------------------------
TABLES_JS = """() => Array.from(document.querySelectorAll('[data-testid="stDataFrame"]')).map(df =>
  Array.from(df.querySelectorAll('table[role="grid"] tr')).map(tr => Array.from(tr.children).map(c => c.textContent)))"""


def tables(page) -> list[list[dict[str, str]]]:
    """Every st.dataframe on screen, in page order, as rows of {header: cell text}. The cells are drawn on
    a canvas, so they are read from the grid's accessibility table, which holds the rows in view (about
    ten for an auto-height table)."""
    out = []
    for rows in page.evaluate(TABLES_JS):
        header, body = (rows[0], rows[1:]) if rows else ([], [])
        out.append([dict(zip(header, row, strict=False)) for row in body])
    return out


ROWS_JS = """(index) => {
  const df = document.querySelectorAll('[data-testid="stDataFrame"]')[index];
  const rows = Array.from(df.querySelectorAll('table[role="grid"] tr'));
  return rows.map(tr => [tr.getAttribute('aria-rowindex'), Array.from(tr.children).map(c => c.textContent)]);
}"""
SCROLL_JS = """(index) => {
  const scroller = document.querySelectorAll('[data-testid="stDataFrame"]')[index].querySelector('.dvn-scroller');
  const before = scroller.scrollTop;
  scroller.scrollTop = before + Math.max(scroller.clientHeight - 80, 40);
  return scroller.scrollTop !== before;
}"""


def all_rows(page, index: int) -> list[dict[str, str]]:
    """Every row of the `index`-th st.dataframe, scrolling the grid so that it renders them all."""
    seen: dict[int, list[str]] = {}
    header: list[str] = []

    def read() -> frozenset[str]:
        nonlocal header
        rows = page.evaluate(ROWS_JS, index)
        for row_index, cells in rows:
            if row_index == "1":
                header = cells
            else:
                seen[int(row_index)] = cells
        return frozenset(row_index for row_index, _ in rows)

    shown = read()
    for _ in range(200):  # at most 200 screens of rows
        if not page.evaluate(SCROLL_JS, index):
            break
        for _ in range(40):  # the grid redraws its accessibility rows a moment after a scroll
            page.wait_for_timeout(100)
            if read() != shown:
                break
        shown = read()
    return [dict(zip(header, seen[i], strict=False)) for i in sorted(seen)]


def eventually(check, page, timeout_ms: int = 15_000) -> None:
    """Run `check()` until it passes: the grid redraws its accessibility rows a moment after the data
    changes, so a table read right after a rerun can still hold the previous rows."""
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        try:
            check()
            return
        except (AssertionError, KeyError, IndexError, StopIteration, ValueError):
            if time.monotonic() > deadline:
                raise
            page.wait_for_timeout(250)


def metrics(page) -> dict[str, str]:
    """Every st.metric on screen: label -> value text."""
    pairs = page.evaluate("""() => Array.from(document.querySelectorAll('[data-testid="stMetric"]')).map(m => [
        m.querySelector('[data-testid="stMetricLabel"]')?.innerText.trim(),
        m.querySelector('[data-testid="stMetricValue"]')?.innerText.trim()])""")
    return {label: value for label, value in pairs}


def number(text: str) -> float:
    """The first number in `text` ('7.5', '7,5', '1.234,5', '1,234.5', '52 %', '17,7/19') as a float,
    whichever decimal mark the UI uses. With one kind of mark it is read as the decimal mark (the figures
    compared here are under 1,000)."""
    found = re.search(r"[-+]?\d[\d.,]*", text.replace("\u2212", "-"))
    if found is None:
        raise ValueError(f"no number in {text!r}")
    cleaned = found.group().rstrip(".,")
    if "," in cleaned and "." in cleaned:
        decimal = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
        cleaned = cleaned.replace("." if decimal == "," else ",", "")
    return float(cleaned.replace(",", "."))

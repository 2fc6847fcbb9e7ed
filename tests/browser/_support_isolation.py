"""Helpers for the isolation and hostile-upload browser tests (no fixtures here; conftest.py's are reused):
a server started with extra environment, an upload as a user does it, and per-session workbooks whose
commune names carry a tag so that one session's data is recognisable in another's page."""
from __future__ import annotations

import io
import os
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from browserkit import TABLES_JS, Server, start_server, wait_for_app

from ntm_data import synthetic
from ntm_data.dataset import load_dataset
from ntm_data.i18n import t
from ntm_data.model import Dataset

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TAG = re.compile(r"Phiên([A-Z])\b")
# Any alert()/confirm()/prompt() call or dialog is counted; an <img onerror> or <script> that ran would
# call alert(1) and raise the count.
XSS_PROBE_JS = """
window.__xss = [];
for (const name of ['alert', 'confirm', 'prompt']) {
  window[name] = (...args) => { window.__xss.push(name + ':' + args.join(',')); };
}
"""


@contextmanager
def server_with_env(tmp: Path, **env: str) -> Iterator[Server]:
    """browserkit.start_server with extra environment variables for the app (e.g. NTM_MAX_UPLOAD_MB): they
    are set only while the process starts, which copies os.environ."""
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        server = start_server(tmp)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    try:
        yield server
    finally:
        server.stop()


def tagged_workbook(letter: str, n_communes: int, seed: int) -> tuple[bytes, Dataset]:
    """A district whose every commune name ends in "Phiên<letter>", and the Dataset ntm_data reads from it."""
    names = [f"{name} Phiên{letter}" for name in synthetic.HUU_LUNG_COMMUNES]
    model = synthetic.make_district(seed=seed, n_communes=n_communes, names=names, district=f"Huyện {letter}",
                                    years=(2025,))
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        synthetic.write_summary(model, 2025, buffer)
    data = buffer.getvalue()
    return data, load_dataset(data, name=f"phien_{letter}.xlsx")


def upload(page, name: str, data: bytes, *, lang: str = "vi", alert: str | None = None) -> None:
    """Drop the file on the uploader (the first one: the data page's, else the sidebar's) and wait for the
    run that reads it: until the sidebar names the file as the data in view, or, with `alert`, until an
    alert box containing that text is shown (a refused file)."""
    from playwright.sync_api import expect

    page.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(
        files=[{"name": name, "mimeType": XLSX_MIME, "buffer": data}])
    if alert is None:
        expect(page.get_by_test_id("stSidebar").get_by_text(t("ui.frame.source_upload", lang, name=name),
                                                            exact=True)).to_be_visible()
    else:
        expect(page.get_by_test_id("stAlert").filter(has_text=alert).first).to_be_visible()
    wait_for_app(page)


def shown_text(page) -> str:
    """The page text and every visible table cell (tables are drawn on a canvas)."""
    cells = page.evaluate(TABLES_JS)
    return page.get_by_test_id("stApp").inner_text() + "\n" + "\n".join(
        c for table in cells for row in table for c in row)


def tags(page) -> set[str]:
    return set(TAG.findall(shown_text(page)))


def table_cells(page) -> set[str]:
    return {c for table in page.evaluate(TABLES_JS) for row in table for c in row}


def metric(page, key: str, lang: str = "vi") -> str | None:
    pairs = page.evaluate("""() => Array.from(document.querySelectorAll('[data-testid="stMetric"]')).map(m => [
        m.querySelector('[data-testid="stMetricLabel"]')?.innerText.trim(),
        m.querySelector('[data-testid="stMetricValue"]')?.innerText.trim()])""")
    return dict(pairs).get(t(key, lang))


def rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident set of a process in MB, from /proc."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields.get("VmRSS", 0.0), fields.get("VmHWM", 0.0)

"""Helpers for the AppTest suites (tests/test_app_*.py): start the app, read what it shows, ask the CLI."""
from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD = str(ROOT / "dashboard.py")  # absolute: AppTest resolves relative paths against the test file
SAMPLE = ROOT / "sample_data"
TIMEOUT = 30  # AppTest's own default (3 s) is too short on a 2-core CI machine


def start(page: str | None = None, **query: str | list[str]) -> AppTest:
    """A fresh session opened on `page` (None: the overview) with `query` in the URL, after its first run:
    the same as following a shared link on a server that has not seen this session."""
    at = AppTest.from_file(DASHBOARD, default_timeout=TIMEOUT)
    at.query_params.update(query)
    if page is not None:
        at.switch_page(f"pages/{page}.py")
    return at.run()


def go(at: AppTest, page: str) -> AppTest:
    """Switch an existing session to another page (as the sidebar menu does)."""
    at.switch_page(DASHBOARD if page == "overview" else f"pages/{page}.py")
    return at.run()


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def summarize(path: Path, *extra: str) -> dict[str, Any]:
    """`python -m ntm_data summarize FILE --format json`, run in-process (the figures pages must agree with)."""
    from ntm_data.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["summarize", str(path), "--format", "json", *extra]) == 0
    return json.loads(out.getvalue())


def summary_frame(summary: dict[str, Any]) -> pd.DataFrame:
    """One row per commune of a summarize JSON: name, criteria_met, target/recognized year, one column per
    criterion status."""
    rows = [{"name": c["name"], "criteria_met": c["criteria_met"], "target_year": c["target_year"],
             "recognized_year": c["recognized_year"], **c["criteria"]} for c in summary["communes"]]
    return pd.DataFrame(rows)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def plotly_specs(at: AppTest) -> list[dict[str, Any]]:
    """Plotly charts come back as unknown elements; their figure JSON is in proto.spec."""
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def array(value: Any) -> list[Any]:
    """A plotly JSON array as a list: plotly 6+ writes numeric arrays as {"dtype", "bdata" (base64)}."""
    if isinstance(value, dict) and "bdata" in value:
        import base64

        import numpy as np

        data = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        return data.reshape(value["shape"]).tolist() if "shape" in value else data.tolist()
    return list(value)


def frame_with(at: AppTest, column: str) -> pd.DataFrame:
    """The first dataframe shown that has `column` (a translated header)."""
    for df in at.dataframe:
        value = df.value
        frame = value.data if hasattr(value, "data") else value  # a Styler comes back for coloured tables
        if column in frame.columns:
            return frame
    raise AssertionError(f"no table with column {column!r}: {[list(d.value.columns) for d in at.dataframe]}")


def plain(markdown: str) -> str:
    """What the user reads: markdown backslash escapes (of workbook text and file names) removed."""
    return re.sub(r"\\(.)", r"\1", str(markdown))


def texts(elements: Any) -> list[str]:
    return [plain(e.value) for e in elements]


def displayed_with(at: AppTest, column: str) -> pd.DataFrame:
    """The first table that has `column`, as the user reads it: the text of every cell (numbers formatted in
    the UI language, '—' for missing), from the Styler display values sent with the table."""
    from streamlit import dataframe_util

    for df in at.dataframe:
        raw = df.value
        frame = raw.data if hasattr(raw, "data") else raw
        if column in frame.columns:
            shown = dataframe_util.convert_arrow_bytes_to_pandas_df(df.proto.arrow_data.styler.display_values)
            shown.columns = frame.columns
            return shown
    raise AssertionError(f"no table with column {column!r}")

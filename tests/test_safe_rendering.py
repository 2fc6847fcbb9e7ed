"""Workbook text is never rendered as markdown or HTML (AppTest): communes named `<script>`, `**x**`, a
markdown link, a spreadsheet formula and an `<img onerror>` appear literally in tables and select boxes,
and wherever a markdown-rendering element (text, caption, alert, heading, label, help) shows them they
arrive backslash-escaped. The real-browser side is in tests/browser/test_hostile_upload.py."""
from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest
from app_support import go, no_exception, plain, start
from google.protobuf.json_format import MessageToDict
from workbooks import all_met, summary_workbook, to_bytes

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HOSTILE_NAMES = (
    "<script>alert(1)</script>",
    "**x**",
    "[link](http://e)",
    "=cmd|' /C calc'!A0",
    "<img src=x onerror=alert(1)>",
)
PLAIN_NAME = "Vân Nham"
# The file name is shown in captions and messages (markdown), so it carries markup too.
FILE_NAME = "<img src=x onerror=alert(1)> **x** [link](http://e).xlsx"
# What each name would look like if it reached a markdown/HTML renderer unescaped.
# A markdown-special character preceded by a backslash is shown literally, so only unescaped ones count.
UNESCAPED = tuple(re.compile(p) for p in (
    r"(?<!\\)<\s*/?\s*(?:script|img)", r"(?<!\\)\*\*x", r"(?<!\\)\[link", r"(?<!\\)\]\(http", r"cmd\|'",
))
# Proto fields Streamlit shows as plain text (or that are not shown): selectbox/multiselect options are
# drawn as text, query strings are URL-encoded, plotly specs are checked separately, arrow data is bytes.
PLAIN_FIELDS = {"options", "default", "rawValues", "rawValue", "queryString", "id", "formId", "pageScriptHash",
                "page", "icon", "spec", "data", "url", "key", "value"}
PLAIN_TYPES = {"selectbox", "multiselect", "dataframe", "arrow_data_frame", "download_button"}
PAGES = ("overview", "lagging_criteria", "lagging_communes", "scorecard", "commune_profile", "timeline",
         "compare", "data")


def hostile_workbook() -> bytes:
    """A district summary whose first five communes carry the hostile names (stored as text, as a
    leading apostrophe does in Excel), each with criteria 15 and 17 not met, then one ordinary commune."""
    communes = [{"name": f"x{i}", "marks": all_met(c15="Chưa đạt", c17="Chưa đạt")}
                for i in range(len(HOSTILE_NAMES))]
    communes.append({"name": PLAIN_NAME, "marks": all_met()})
    wb = openpyxl.load_workbook(io.BytesIO(summary_workbook(communes)))
    for (cell,) in wb["Tổng hợp"].iter_rows(min_col=2, max_col=2):
        if isinstance(cell.value, str) and re.fullmatch(r"x\d", cell.value):
            cell.value = HOSTILE_NAMES[int(cell.value[1:])]
            cell.data_type = "s"
    return to_bytes(wb)


@pytest.fixture(autouse=True)
def _env(monkeypatch, tmp_path):
    monkeypatch.setenv("NTM_RAISE_ERRORS", "1")
    monkeypatch.setenv("NTM_DATA_DIR", str(tmp_path))


@pytest.fixture(scope="module")
def workbook() -> bytes:
    return hostile_workbook()


def opened(workbook: bytes, page: str):
    at = start(None if page == "overview" else page)
    at.file_uploader(key="w_upload").set_value((FILE_NAME, workbook, XLSX))
    at.run()
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    return at


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, inner in value.items():
            if key not in PLAIN_FIELDS:
                yield from _strings(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for inner in value:
            yield from _strings(inner, path)


def markup_texts(at) -> list[tuple[str, str]]:
    """(element type.field, text) of every string in the element tree that Streamlit may render as
    markdown: bodies of markdown/caption/alerts/headings, widget labels and help, metric labels, expander
    and tab labels, radio options; plain-text fields (PLAIN_FIELDS, PLAIN_TYPES) are left out."""
    found = []
    for node in at._tree:
        proto = getattr(node, "proto", None)
        kind = getattr(node, "type", type(node).__name__)
        if proto is None or kind in PLAIN_TYPES:
            continue
        found += list(_strings(MessageToDict(proto), str(kind)))
    return found


def assert_nothing_unescaped(at) -> None:
    for where, text in markup_texts(at):
        for pattern in UNESCAPED:
            assert not pattern.search(text), f"{where} renders workbook text as markup: {text!r}"
    for spec in (el.proto.spec for el in at.get("plotly_chart")):
        assert "<script" not in spec and "<img" not in spec, "a chart label carries raw HTML"


def frame_cells(at) -> set[str]:
    cells: set[str] = set()
    for df in at.dataframe:
        value = df.value
        frame = value.data if hasattr(value, "data") else value  # a Styler for coloured tables
        cells |= {str(v) for v in frame.to_numpy().ravel()}
    return cells


def test_the_file_name_is_shown_escaped(workbook):
    at = opened(workbook, "data")
    shown = [(where, text) for where, text in markup_texts(at) if FILE_NAME in plain(text)]
    assert shown, "the uploaded file's name is shown nowhere"
    assert_nothing_unescaped(at)


def test_the_reader_keeps_the_names_verbatim(workbook):
    from ntm_data.dataset import load_dataset

    ds = load_dataset(workbook, name="ten.xlsx")
    assert list(ds.communes["name"]) == [*HOSTILE_NAMES, PLAIN_NAME]


@pytest.mark.parametrize("page", PAGES)
def test_no_markdown_element_renders_workbook_text(workbook, page):
    at = opened(workbook, page)
    assert_nothing_unescaped(at)


@pytest.mark.parametrize("page, setup", [
    ("lagging_communes", {"w_criterion": "15"}),
    ("scorecard", {}),
    ("data", {}),
])
def test_names_appear_literally_in_tables(workbook, page, setup):
    at = opened(workbook, page)
    for key, value in setup.items():
        at.selectbox(key=key).set_value(value).run()
        no_exception(at)
    cells = frame_cells(at)
    missing = [name for name in HOSTILE_NAMES if name not in cells]
    assert not missing, f"{page}: not shown verbatim: {missing}"
    assert_nothing_unescaped(at)


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_commune_profile_shows_the_name_literally(workbook, name):
    from ntm_data.dataset import load_dataset

    communes = load_dataset(workbook, name="ten.xlsx").communes
    commune_id = communes.index[communes["name"] == name][0]
    at = opened(workbook, "commune_profile")
    box = at.selectbox(key="w_commune")
    assert set(HOSTILE_NAMES) <= set(box.options)  # select box options are drawn as plain text
    box.set_value(commune_id).run()
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    assert at.selectbox(key="w_commune").value == commune_id
    assert at.selectbox(key="w_commune").format_func(commune_id) == name  # the picker shows it verbatim
    assert_nothing_unescaped(at)
    # Where a markdown element names the commune, it is escaped, and unescaping gives the name back.
    for where, text in markup_texts(at):
        if name in plain(text):
            assert text != name and "\\" in text, (where, text)


def test_a_switch_back_to_overview_keeps_everything_escaped(workbook):
    at = opened(workbook, "lagging_communes")
    for page in ("commune_profile", "overview", "scorecard"):
        go(at, page)
        no_exception(at)
        assert_nothing_unescaped(at)


def test_excel_download_keeps_a_formula_name_as_text():
    """A table download must not turn `=cmd|...` into a live formula (CSV/formula injection)."""
    import pandas as pd

    from ntm_data.exports.tables import table_xlsx

    frame = pd.DataFrame({"name": list(HOSTILE_NAMES), "criteria_met": range(len(HOSTILE_NAMES))})
    data = table_xlsx(frame, title="Xã", sheet_name="Xã", lang="vi")
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    texts = {cell.value: cell.data_type for row in ws.iter_rows() for cell in row if isinstance(cell.value, str)}
    for name in HOSTILE_NAMES:
        assert texts.get(name) == "s", (name, texts.get(name))

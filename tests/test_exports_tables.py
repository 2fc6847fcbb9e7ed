"""One formatted table as .xlsx: title, frozen bold header, autofilter, widths, formula-safe text, status fills."""
from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest

from ntm_data.exports import STATUS_COLORS, table_xlsx
from ntm_data.exports.styles import STATUS_ORDER, hex_to_rgb
from ntm_data.exports.tables import safe_sheet_name


def open_sheet(data: bytes):
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert len(wb.sheetnames) == 1
    return wb.active


def test_status_colors_contract():
    assert set(STATUS_COLORS) == {"met", "not_met", "unknown"} == set(STATUS_ORDER)
    assert all(len(hex_to_rgb(c)) == 3 for c in STATUS_COLORS.values())


def test_layout_header_filter_freeze_and_types():
    frame = pd.DataFrame({
        "Tên xã": ["Vân Nham", "Sơn Hồng"],
        "Số tiêu chí đạt": [11, 19],
        "Tỷ lệ BHYT (%)": [88.5, float("nan")],
        "Tiêu chí chưa đạt": [("15", "17"), ()],
        "Năm phấn đấu": pd.array([2025, None], dtype="Int64"),
    })
    ws = open_sheet(table_xlsx(frame, title="Danh sách xã", sheet_name="Xã"))
    assert ws.title == "Xã"
    assert ws["A1"].value == "Danh sách xã" and ws["A1"].font.b
    assert [c.value for c in ws[3]] == list(frame.columns)
    assert all(c.font.b for c in ws[3])
    assert ws.freeze_panes == "A4"
    assert ws.auto_filter.ref == "A3:E5"
    assert [c.value for c in ws[4]] == ["Vân Nham", 11, 88.5, "15, 17", 2025]
    assert [c.value for c in ws[5]] == ["Sơn Hồng", 19, None, None, None]
    assert ws["B4"].data_type == "n" and ws["B4"].number_format == "#,##0"
    assert ws.column_dimensions["A"].width >= len("Vân Nham")


@pytest.mark.parametrize("text", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", '=HYPERLINK("http://x")'])
def test_formula_like_text_is_written_as_text(text):
    ws = open_sheet(table_xlsx(pd.DataFrame({"Ghi chú": [text]}), title=text, sheet_name="S"))
    for cell in (ws["A1"], ws["A4"]):
        assert cell.value == text and cell.data_type == "s"
    assert ws["A4"].quotePrefix


def test_status_columns_are_filled_and_translated():
    frame = pd.DataFrame({"Tên xã": ["A", "B", "C"], "TC15": ["met", "not_met", "unknown"]})
    ws = open_sheet(table_xlsx(frame, title="T", sheet_name="S", status_columns=["TC15"], lang="en"))
    assert [ws[f"B{r}"].value for r in (4, 5, 6)] == ["Met", "Not met", "Unknown"]
    for r, key in zip((4, 5, 6), ("met", "not_met", "unknown"), strict=True):
        assert ws[f"B{r}"].fill.fgColor.rgb[-6:] == STATUS_COLORS[key].lstrip("#").upper()


def test_named_index_becomes_a_column():
    frame = pd.DataFrame({"name": ["Vân Nham"]}, index=pd.Index(["06280"], name="commune_id"))
    ws = open_sheet(table_xlsx(frame, title="T", sheet_name="S"))
    assert [c.value for c in ws[3]] == ["commune_id", "name"]
    assert ws["A4"].value == "06280" and ws["A4"].data_type == "s"


@pytest.mark.parametrize("name, expected", [
    ("Chưa đạt TC15", "Chưa đạt TC15"),
    ("a/b:c*d?[e]", "a b c d  e"),
    ("x" * 40, "x" * 31),
    ("", "Sheet"),
])
def test_safe_sheet_names(name, expected):
    assert safe_sheet_name(name) == expected


def test_sheet_names_are_unique():
    used: set[str] = set()
    names = [safe_sheet_name("Tổng quan", used) for _ in range(3)]
    assert names == ["Tổng quan", "Tổng quan (2)", "Tổng quan (3)"]


def test_empty_frame():
    ws = open_sheet(table_xlsx(pd.DataFrame(columns=["Tên xã", "Giá trị"]), title="T", sheet_name="S"))
    assert [c.value for c in ws[3]] == ["Tên xã", "Giá trị"] and ws.max_row == 3

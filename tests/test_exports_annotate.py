"""The annotated copy: problem cells filled and commented in the user's own workbook, plus a list sheet."""
from __future__ import annotations

import io

import openpyxl
import pytest
from workbooks import all_met, legacy_xls, summary_workbook, to_bytes

from ntm_data.dataset import load_dataset
from ntm_data.exports import annotated_copy
from ntm_data.exports.styles import SEVERITY_COLORS
from ntm_data.model import Issue, ReadError, Severity


def open_book(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def rgb(cell) -> str:
    return "#" + cell.fill.fgColor.rgb[-6:].upper()


@pytest.fixture(scope="module")
def upload() -> bytes:
    """A district summary with problems: an unreadable mark, a bad year."""
    communes = [
        {"name": "Vân Nham", "marks": all_met(c15="Chưa đạt", c17="???"), "target": "năm sau", "group": "II"},
        {"name": "Sơn Hồng", "marks": all_met(c3="abc"), "group": "II"},
        {"name": "Hòa Lạc", "marks": all_met(), "recognized": 2021, "group": "I"},
    ]
    return summary_workbook(communes)


def test_every_issue_cell_is_filled_and_commented(upload):
    ds = load_dataset(upload)
    located = [i for i in ds.issues if i.sheet and i.cell]
    assert len(located) >= 3
    wb = open_book(annotated_copy(upload, ds.issues))
    for issue in located:
        cell = wb[issue.sheet][issue.cell]
        assert cell.comment is not None, issue
        assert issue.message("vi") in cell.comment.text
        assert rgb(cell) in {SEVERITY_COLORS["error"].upper(), SEVERITY_COLORS["warning"].upper()}
    # untouched cells keep their values; the user's sheets are all still there, in order
    assert wb.sheetnames[:2] == ["Hướng dẫn", "Tổng hợp"]
    assert wb["Tổng hợp"]["B10"].value == "Vân Nham"


def test_list_sheet_links_every_issue(upload):
    ds = load_dataset(upload)
    wb = open_book(annotated_copy(upload, ds.issues))
    ws = wb["Danh sách lỗi"]
    assert wb.active.title == "Danh sách lỗi"
    assert ws["A4"].value == "STT" and ws["E4"].value == "Nội dung"
    listed = list(ws.iter_rows(min_row=5, values_only=True))
    assert len(listed) == len(ds.issues)
    by_cell = {(r[2], r[3]): r[4] for r in listed}
    for issue in ds.issues:
        assert by_cell[(issue.sheet, issue.cell)] == issue.message("vi")
    first = ds.issues[0]
    assert ws["D5"].hyperlink.location == f"'{first.sheet}'!{first.cell}"


def test_merged_cells_issues_without_cell_and_several_per_cell():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Tổng hợp"
    ws["A1"] = "BIỂU TỔNG HỢP"
    ws.merge_cells("A1:F1")
    ws["C4"] = "=1+1"
    ws["D5"] = "x"
    ws["D5"].comment = openpyxl.comments.Comment("ghi chú cũ", "xã")
    issues = [
        Issue(Severity.WARNING, "unknown_mark", "Tổng hợp", "C1", {"value": "x", "criterion": "3"}),
        Issue(Severity.ERROR, "bad_year", "Tổng hợp", "D5", {"value": "abc"}),
        Issue(Severity.WARNING, "unknown_mark", "Tổng hợp", "D5", {"value": "abc", "criterion": "4"}),
        Issue(Severity.ERROR, "no_table", None, None, {"name": "x.xlsx"}),
        Issue(Severity.WARNING, "unknown_mark", "Không có", "A1", {"value": "?", "criterion": "1"}),
    ]
    out = open_book(annotated_copy(to_bytes(wb), issues, lang="en"))
    ws = out["Tổng hợp"]
    assert ws["A1"].comment is not None  # C1 lies in the merged title A1:F1
    assert rgb(ws["A1"]) == SEVERITY_COLORS["warning"].upper()
    text = ws["D5"].comment.text
    assert issues[1].message("en") in text and issues[2].message("en") in text and "ghi chú cũ" in text
    assert rgb(ws["D5"]) == SEVERITY_COLORS["error"].upper()  # the worst severity wins
    assert ws["C4"].value == "=1+1"  # the user's formula is kept
    listed = list(out["Problems"].iter_rows(min_row=5, values_only=True))
    assert len(listed) == 5
    assert listed[3][3] == "(whole file)" and listed[3][4] == issues[3].message("en")
    assert listed[4][3] == "(whole file)"  # a sheet the workbook does not have


def test_messages_starting_with_equals_stay_text():
    wb = openpyxl.Workbook()
    wb.active.title = "S"
    issue = Issue(Severity.WARNING, "unknown_mark", "S", "B2", {"value": "=cmd|' /C calc'!A0", "criterion": "1"})
    out = open_book(annotated_copy(to_bytes(wb), [issue]))
    ws = out["Danh sách lỗi"]
    assert ws["E5"].data_type == "s" and ws["E5"].value == issue.message("vi")


def test_legacy_xls_is_converted_and_annotated():
    rows = [["BIỂU TỔNG HỢP NĂM 2023"], [], ["STT", "Tên xã", "TC1"], [1, "Vân Nham", "Đạt"], [2, "Sơn Hồng", "abc"]]
    data = legacy_xls(rows, merges=[(0, 0, 0, 2)])
    issue = Issue(Severity.WARNING, "unknown_mark", "Tổng hợp", "C5", {"value": "abc", "criterion": "1"})
    out = open_book(annotated_copy(data, [issue]))
    ws = out["Tổng hợp"]
    assert ws["B4"].value == "Vân Nham" and ws["C5"].value == "abc"
    assert "A1:C1" in {str(r) for r in ws.merged_cells.ranges}
    assert issue.message("vi") in ws["C5"].comment.text
    assert ".xls" in out["Danh sách lỗi"]["A2"].value


@pytest.mark.parametrize("data", [b"", b"not a workbook at all", b"PK\x03\x04broken zip"])
def test_unusable_bytes_raise_read_error(data):
    with pytest.raises(ReadError):
        annotated_copy(data, [])

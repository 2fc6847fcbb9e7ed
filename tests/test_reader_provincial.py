"""A provincial sheet: province rows (I, II), numbered district rows with no marks of their own, then the
communes of each district; "Dự kiến năm đạt chuẩn" as the target-year header. District rows are groups,
never communes, and name the district of the communes below them."""
from __future__ import annotations

import openpyxl
import pytest

from ntm_data.dataset import load_dataset
from tests.workbooks import to_bytes

MET, NOT = "Đạt", "Chưa đạt"


def provincial_workbook(district_row_marks: str | None = None) -> bytes:
    """Rows 1-3 title; header rows 5-6 (STT | Đơn vị | 19 criteria merged over row 5 | Số tiêu chí đạt |
    Năm được công nhận đạt chuẩn | Dự kiến năm đạt chuẩn); data from row 7. `district_row_marks`: what a
    district row holds in the criteria columns (None: blank; "count": how many of its communes met it)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "TH tỉnh"
    ws["A1"] = "UBND TỈNH LẠNG SƠN"
    ws["A3"] = "TỔNG HỢP KẾT QUẢ THỰC HIỆN TIÊU CHÍ XÃ NÔNG THÔN MỚI NĂM 2023"
    ws.append([])
    ws["A5"], ws["B5"], ws["C5"] = "STT", "Đơn vị", "Kết quả thực hiện các tiêu chí"
    ws.merge_cells("C5:U5")
    for j in range(19):
        ws.cell(6, 3 + j, f"TC {j + 1}")
    ws["V5"], ws["W5"], ws["X5"] = "Số tiêu chí đạt", "Năm được công nhận đạt chuẩn", "Dự kiến năm đạt chuẩn"
    for col in ("A", "B", "V", "W", "X"):
        ws.merge_cells(f"{col}5:{col}6")
    rows = [
        ("I", "Huyện Hữu Lũng", None),
        (1, "Thị trấn Hữu Lũng", [MET] * 19),
        (2, "Xã Vân Nham", [MET] * 14 + [NOT] + [MET] * 4),
        ("II", "Thành phố Lạng Sơn", None),
        (1, "Xã Mai Pha", [MET] * 19),
    ]
    r = 7
    district_number = 0
    for stt, name, marks in rows:
        if marks is None:
            district_number += 1
            ws.cell(r, 1, district_number)  # numbered like a commune row
            ws.cell(r, 2, name)
            if district_row_marks == "count":
                for j in range(19):
                    ws.cell(r, 3 + j, 2)
        else:
            ws.cell(r, 1, stt)
            ws.cell(r, 2, name)
            for j, mark in enumerate(marks):
                ws.cell(r, 3 + j, mark)
            ws.cell(r, 22, marks.count(MET))
            if marks.count(MET) == 19:
                ws.cell(r, 23, 2021)
            else:
                ws.cell(r, 24, 2025)
        r += 1
    return to_bytes(wb)


@pytest.mark.parametrize("district_row_marks", [None, "count"])
def test_district_rows_are_groups_not_communes(district_row_marks: str | None) -> None:
    ds = load_dataset(provincial_workbook(district_row_marks), name="tinh.xlsx")
    assert list(ds.communes["name"]) == ["Hữu Lũng", "Vân Nham", "Mai Pha"]
    assert list(ds.communes["district"]) == ["Huyện Hữu Lũng", "Huyện Hữu Lũng", "Thành phố Lạng Sơn"]
    assert list(ds.criteria_met) == [19, 18, 19]


def test_expected_year_header_is_the_target_year() -> None:
    ds = load_dataset(provincial_workbook(), name="tinh.xlsx")
    assert list(ds.communes["target_year"].astype("Float64").fillna(0)) == [0, 2025, 0]
    assert list(ds.communes["recognized_year"].astype("Float64").fillna(0)) == [2021, 0, 2021]

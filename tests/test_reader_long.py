"""Layout d: the long table, one row per commune x criterion or sub-indicator."""
import openpyxl
import pandas as pd
import pytest

from ntm_data import load_dataset
from tests.workbooks import to_bytes


@pytest.fixture(scope="module")
def ds():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Dữ liệu"
    ws.append(["DANH SÁCH CÁC TIÊU CHÍ CHƯA ĐẠT, THÁNG 6/2024"])
    ws.append(["STT", "Tên xã", "Vùng", "Tiêu chí/Chỉ tiêu", "Giá trị", "Đánh giá", "Năm phấn đấu"])
    ws.append([1, "Xã Vân Nham", "TDMNPB", "15.1", "93,5%", "Chưa đạt", 2025])
    ws.append([2, None, None, "TC17", None, "Chưa đạt", "26/5/2026"])
    ws.append([3, None, None, "Tiêu chí 18", None, "Đạt", None])
    ws.append([4, "Hữu Liên", "TDMNPB", "15.1", 0.965, None, None])
    ws.append([5, "Hữu Liên", None, "10", 45, "Đạt", None])
    ws.append([6, "Hữu Liên", None, "Y tế", None, "Đạtt", None])
    ws.append([7, "Hữu Liên", None, "15.3", "abc", None, None])
    return load_dataset(to_bytes(wb))


def test_communes_and_target_years(ds):
    assert ds.layout == "long"
    assert str(ds.period) == "2024-06"
    assert list(ds.communes.index) == ["vân nham", "hữu liên"]
    assert ds.communes["target_year"].tolist()[0] == 2026  # the latest target of its rows
    assert ds.communes["row"].tolist() == [3, 6]
    assert ds.communes["profile"].tolist() == ["tdmnpb", "tdmnpb"]


@pytest.mark.parametrize(("commune", "number", "status", "source", "cell"), [
    ("vân nham", "15", "not_met", "derived", None),
    ("vân nham", "17", "not_met", "sheet", "F4"),
    ("vân nham", "18", "met", "sheet", "F5"),
    ("hữu liên", "10", "met", "sheet", "F7"),
    ("hữu liên", "15", "unknown", "none", None),  # "Đạtt" unreadable, values incomplete
])
def test_criteria(ds, commune, number, status, source, cell):
    row = ds.criteria.set_index(["commune_id", "criterion"]).loc[(commune, number)]
    # No cell: the column's own missing value (None in an object column, NaN in a pandas "str" one).
    assert (row["status"], row["source"], None if pd.isna(row["cell"]) else row["cell"]) == (status, source, cell)


def test_values(ds):
    ind = ds.indicators.set_index(["commune_id", "indicator"])
    assert ind.loc[("vân nham", "15.1"), "value"] == pytest.approx(93.5)
    assert ind.loc[("hữu liên", "15.1"), "value"] == pytest.approx(96.5)
    assert ind.loc[("hữu liên", "10"), "value"] == 45.0
    assert ind.loc[("hữu liên", "10"), "status"] == "met"


def test_issues_point_at_cells(ds):
    assert sorted((i.code, i.cell) for i in ds.issues) == [("bad_number", "E9"), ("unknown_mark", "F8")]


def test_namesakes_in_two_districts_stay_apart():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["STT", "Huyện", "Xã", "Chỉ tiêu", "Giá trị", "Đánh giá"])
    ws.append([1, "Hữu Lũng", "Tân Lập", "TC1", None, "Đạt"])
    ws.append([2, "Chi Lăng", "Tân Lập", "TC1", None, "Chưa đạt"])
    ws.append([3, "Chi Lăng", "Quang Lang", "TC1", None, "Đạt"])
    ws.append([4, "Hữu Lũng", "Tân Lập", "15.1", "96", None])
    ds = load_dataset(to_bytes(wb))
    assert list(ds.communes.index) == ["hữu lũng/tân lập", "chi lăng/tân lập", "quang lang"]
    assert ds.status_matrix["1"].tolist() == ["met", "not_met", "met"]
    assert ds.indicators["commune_id"].tolist() == ["hữu lũng/tân lập"]

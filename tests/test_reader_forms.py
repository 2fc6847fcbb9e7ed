"""Layout c: one self-assessment form per commune; the commune is named in the title."""
import openpyxl
import pandas as pd
import pytest

from ntm_data import load_dataset
from tests.workbooks import form_sheet, to_bytes

BLOCKS = [
    (1, "Quy hoạch", [("1.1. Có quy hoạch chung xây dựng xã", "Đạt", "Đạt", None)], "Đạt"),
    (15, "Y tế", [("15.1. Tỷ lệ người dân tham gia BHYT", "≥95%", "96,5%", "Đạt"),
                  ("15.2. Xã đạt tiêu chí quốc gia về y tế", "Đạt", "Đạt", "Đạt"),
                  ("15.3. Tỷ lệ trẻ em dưới 5 tuổi bị suy dinh dưỡng thể thấp còi", "≤24%", 0.25, "Chưa đạt"),
                  ("15.4. Tỷ lệ dân số có sổ khám chữa bệnh điện tử", "≥50%", "55%", "Đạt")], None),
    (17, "Môi trường và an toàn thực phẩm", [("Tỷ lệ hộ được sử dụng nước sạch", "≥ 90%", "92%", None),
                                             ("Tỷ lệ cơ sở sản xuất đảm bảo môi trường", "100%", "100%", None)],
     "Chưa đạt"),
    (18, "Hệ thống chính trị và tiếp cận pháp luật", [("18.1. Cán bộ, công chức đạt chuẩn", "Đạt", "Đạt", "Đạt"),
                                                      ("18.2. Có đủ các tổ chức", "Đạt", "Đạt", "Đạtt")], None),
]


@pytest.fixture(scope="module")
def ds():
    wb = openpyxl.Workbook()
    wb.active.title = "Hướng dẫn"
    wb.active["A1"] = "Mỗi xã một trang; cột F ghi Đạt/Chưa đạt"
    form_sheet(wb, "Xã Sơn Hồng", "BẢNG TỰ ĐÁNH GIÁ KẾT QUẢ THỰC HIỆN BỘ TIÊU CHÍ QUỐC GIA VỀ XÃ NÔNG THÔN MỚI "
               "NĂM 2022 CỦA XÃ SƠN HỒNG, HUYỆN HƯƠNG SƠN", BLOCKS)
    form_sheet(wb, "VanNham", "BẢNG TỰ ĐÁNH GIÁ XÃ VÂN NHAM - HUYỆN HỮU LŨNG", BLOCKS[:2])
    form_sheet(wb, "Xã Mẹt", None, BLOCKS[:1])
    form_sheet(wb, "Sheet5", None, BLOCKS[:1])
    return load_dataset(to_bytes(wb))


def _crit(ds, commune, number):
    return ds.criteria.set_index(["commune_id", "criterion"]).loc[(commune, number)]


def test_one_commune_per_sheet_named_from_title(ds):
    assert ds.layout == "per_commune"
    assert ds.communes["name"].tolist() == ["Sơn Hồng", "Vân Nham", "Mẹt", "Sheet5"]
    assert ds.communes["district"].tolist() == ["Hương Sơn", "Hữu Lũng", None, None]
    assert ds.communes["sheet"].tolist() == ["Xã Sơn Hồng", "VanNham", "Xã Mẹt", "Sheet5"]
    assert str(ds.period) == "2022"


def test_sheet_name_fallback_warns_only_without_prefix(ds):
    (issue,) = [i for i in ds.issues if i.code == "commune_name_from_sheet"]
    assert issue.sheet == "Sheet5"


@pytest.mark.parametrize(("number", "status", "cell"), [
    ("1", "met", "F7"),  # single-row criterion: its row's mark
    ("15", "not_met", "F8:F11"),  # one mark per sub-indicator, one of them Chưa đạt
    ("17", "not_met", "F12"),  # mark merged over the block
    ("2", "unknown", None),  # not in the form
])
def test_criterion_marks(ds, number, status, cell):
    row = _crit(ds, "sơn hồng", number)
    # No cell: the column's own missing value (None in an object column, NaN in a pandas "str" one).
    assert (row["status"], None if pd.isna(row["cell"]) else row["cell"]) == (status, cell)


def test_unreadable_indicator_mark_leaves_criterion_to_values(ds):
    assert _crit(ds, "sơn hồng", "18")["source"] != "sheet"
    (issue,) = [i for i in ds.issues if i.code == "unknown_mark"]
    assert (issue.sheet, issue.cell) == ("Xã Sơn Hồng", "F15")


def test_form_values(ds):
    ind = ds.indicators[ds.indicators["commune_id"] == "sơn hồng"].set_index("indicator")
    assert ind.loc["15.1", "value"] == pytest.approx(96.5)
    assert ind.loc["15.3", "value"] == pytest.approx(25.0)  # 0.25 in a per-cent cell
    assert ind.loc["15.3", "status"] == "not_met" and ind.loc["15.3", "cell"] == "E10"
    assert ind.loc["15.2", "value"] == 1.0
    # Unnumbered rows take the catalogue's order within their criterion.
    assert ind.loc["17.1", "value"] == pytest.approx(92.0) and ind.loc["17.2", "value"] == pytest.approx(100.0)


def test_forms_beside_a_district_table_add_their_values():
    import io

    from tests.workbooks import all_met, summary_workbook

    data = summary_workbook([dict(name="Sơn Hồng", marks=all_met(c15="Đạt")), dict(name="Hà", marks=all_met())],
                            instructions_sheet=False)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    form_sheet(wb, "Xã Sơn Hồng", "BẢNG TỰ ĐÁNH GIÁ XÃ SƠN HỒNG", BLOCKS[:2])
    ds = load_dataset(to_bytes(wb))
    assert ds.layout == "summary" and list(ds.communes.index) == ["sơn hồng", "hà"]
    row = _crit(ds, "sơn hồng", "15")
    assert (row["status"], row["sheet"]) == ("met", "Tổng hợp")  # the district table's mark comes first
    ind = ds.indicators.set_index(["commune_id", "indicator"])
    assert ind.loc[("sơn hồng", "15.1"), "sheet"] == "Xã Sơn Hồng"


def test_code_region_and_reported_count_from_the_form():
    wb = openpyxl.Workbook()
    where = form_sheet(wb, "Vân Nham", "BẢNG TỰ ĐÁNH GIÁ XÃ VÂN NHAM", BLOCKS,
                       subtitle="(Mã xã: 06298; vùng: Trung du và miền núi phía Bắc)",
                       footer="Tổng số tiêu chí đạt: 3/19 tiêu chí")
    ds = load_dataset(to_bytes(wb))
    assert list(ds.communes.index) == ["06298"]
    assert ds.communes.loc["06298", ["code", "region", "profile"]].tolist() == ["06298", "tdmnpb", "tdmnpb"]
    # 15.3 = 25 % is above the tdmnpb ceiling of 24 %, so the sheet's Chưa đạt agrees with the value.
    assert ds.indicators.set_index("indicator").at["15.3", "threshold"] == 24.0
    (issue,) = [i for i in ds.issues if i.code != "unknown_mark"]  # "Đạtt" in F15 is the other one
    footer = where["footer"]
    assert issue.code == "criteria_met_mismatch" and issue.cell == f"A{footer}"
    assert f"F7:F{footer - 1}" in issue.message("vi")  # only criterion 1 is marked Đạt

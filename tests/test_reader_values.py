"""Layout b: one row per commune with sub-indicator values (numbers typed every which way)."""
import numpy as np
import openpyxl
import pytest

from ntm_data import load_dataset
from tests.workbooks import all_met, summary_workbook, to_bytes, values_workbook

HEADERS = [
    "15.1. Tỷ lệ người dân tham gia BHYT (%)",  # D
    "Đánh giá",  # E: status of 15.1
    "15.2. Xã đạt tiêu chí quốc gia về y tế",  # F
    "15.3 Tỷ lệ trẻ em dưới 5 tuổi bị suy dinh dưỡng thể thấp còi (%)",  # G
    "15.4. Tỷ lệ dân số có sổ khám chữa bệnh điện tử (%)",  # H
    "TC15",  # I: criterion status column
    "3.1 Tỷ lệ diện tích đất sản xuất nông nghiệp được tưới (%)",  # J
    "17.12 Tỷ lệ chất thải nhựa được thu gom",  # K: not in the catalogue
]
ROWS = [  # sheet rows 5.. (title A1, header row 4 because of the Vùng column in C)
    dict(name="Vân Nham", region="TDMNPB", values=["95,2%", "Đạt", "Đạt", "20,5", "55", None, 0.85, "Chưa đạt"]),
    dict(name="Hữu Liên", region="TDMNPB", values=[0.93, None, "Đạt", "20,5", "55", "Đạt", 0.9, None]),
    dict(name="Sơn Hồng", region="ĐBSH", values=[96, None, "Có", 10, "80 %", None, "abc", None]),
    dict(name="Mẹt", region=None, values=["1.234,5", None, "Đạt", 10, 80, None, "-", None]),
]


@pytest.fixture(scope="module")
def ds():
    return load_dataset(values_workbook(ROWS, HEADERS, extra={"region": "Vùng"}))


def _value(ds, commune, code):
    return ds.indicators.set_index(["commune_id", "indicator"]).loc[(commune, code)]


def test_layout_and_columns(ds):
    assert ds.layout == "values"
    assert set(ds.indicators["indicator"]) == {"15.1", "15.2", "15.3", "15.4", "3.1", "17.12"}
    assert ds.communes["profile"].tolist() == ["tdmnpb", "tdmnpb", "dbsh", None]


@pytest.mark.parametrize(("commune", "code", "value", "status", "cell"), [
    ("vân nham", "15.1", 95.2, "met", "D4"),  # "95,2%" and an explicit Đạt
    ("hữu liên", "15.1", 0.93, "not_met", "D5"),  # mixed column: 0.93 next to 96 is not a fraction
    ("sơn hồng", "15.2", 1.0, "met", "F6"),  # "Có" for a yes/no indicator
    ("vân nham", "15.3", 20.5, "met", "G4"),  # lower is better, 24 for tdmnpb
    ("sơn hồng", "15.3", 10.0, "met", "G6"),  # dbsh ceiling 16.5
    ("mẹt", "15.3", 10.0, "unknown", "G7"),  # no region: no threshold
    ("sơn hồng", "15.4", 80.0, "met", "H6"),  # "80 %"
    ("vân nham", "3.1", 85.0, "met", "J4"),  # fraction column 0.85 -> 85
    ("hữu liên", "3.1", 90.0, "met", "J5"),
])
def test_values_and_statuses(ds, commune, code, value, status, cell):
    row = _value(ds, commune, code)
    assert row["value"] == pytest.approx(value)
    assert row["status"] == status
    assert row["cell"] == cell


def test_unreadable_and_dash_values(ds):
    assert np.isnan(_value(ds, "sơn hồng", "3.1")["value"])  # "abc" -> warning
    assert np.isnan(_value(ds, "mẹt", "3.1")["value"])  # "-" -> no value, no warning
    (bad,) = [i for i in ds.issues if i.code == "bad_number"]
    assert bad.cell == "J6"
    assert bad.message("vi") == "Ô J6: giá trị “abc” của chỉ tiêu 3.1 không phải là số; ghi một số, ví dụ 95,2."


def test_percent_out_of_range_is_flagged_not_used(ds):
    assert np.isnan(_value(ds, "mẹt", "15.1")["value"])  # "1.234,5" read as 1234.5: not a per-cent
    (issue,) = [i for i in ds.issues if i.code == "value_out_of_range"]
    assert issue.cell == "D7" and "1234,5" in issue.message("vi")


def test_uncatalogued_indicator_with_text_mark(ds):
    row = _value(ds, "vân nham", "17.12")
    assert row["status"] == "not_met" and np.isnan(row["threshold"])
    assert ds.status_matrix.at["vân nham", "17"] == "not_met"  # any failure fails the criterion
    assert ds.status_matrix.at["hữu liên", "17"] == "unknown"


@pytest.mark.parametrize(("commune", "status", "source"), [
    ("vân nham", "met", "derived"),  # TC15 blank: derived from 15.1-15.4
    ("hữu liên", "met", "sheet"),  # TC15 says Đạt although 15.1 fails -> warning
    ("sơn hồng", "met", "derived"),
    ("mẹt", "unknown", "none"),  # 15.3 has no threshold without a region
])
def test_criterion_15(ds, commune, status, source):
    row = ds.criteria.set_index(["commune_id", "criterion"]).loc[(commune, "15")]
    assert (row["status"], row["source"]) == (status, source)


def test_criterion_3_needs_every_indicator(ds):
    assert ds.status_matrix.at["vân nham", "3"] == "unknown"  # 3.2 missing


def test_mark_contradiction_warning_names_both_cells(ds):
    (issue,) = [i for i in ds.issues if i.code.startswith("mark_met_but")]
    assert issue.cell == "I5"
    assert "D5" in issue.message("vi") and "0,93" in issue.message("vi")


def test_fraction_column_converted():
    rows = [dict(name=f"Xã {n}", values=[v]) for n, v in enumerate([0.952, 0.9, 1.0])]
    ds = load_dataset(values_workbook(rows, ["15.1 Tỷ lệ BHYT"]))
    assert ds.indicators["value"].tolist() == pytest.approx([95.2, 90.0, 100.0])
    assert ds.indicators["status"].tolist() == ["met", "not_met", "met"]


def test_dot_thousands_in_number_indicator():
    ds = load_dataset(values_workbook([dict(name="Hà", values=["5.000", "45,5"])],
                                      ["17.4 Đất cây xanh (m²/người)", "10. Thu nhập bình quân (triệu đồng)"]))
    assert ds.indicators.set_index("indicator")["value"].to_dict() == {"17.4": 5000.0, "10": 45.5}


def test_values_sheet_adds_to_summary_sheet():
    data = summary_workbook([dict(name="Vân Nham", marks=all_met(c15=None)), dict(name="Hà", marks=all_met())],
                            instructions_sheet=False)
    wb = openpyxl.load_workbook(__import__("io").BytesIO(data))
    ws = wb.create_sheet("Chỉ tiêu")
    ws.append(["STT", "Xã", "15.1 Tỷ lệ BHYT (%)"])
    ws.append([1, "Xã Vân Nham", "96,1"])
    ws.append([2, "Xã Lạ", "90"])
    ds = load_dataset(to_bytes(wb))
    assert ds.layout == "summary" and list(ds.communes.index) == ["vân nham", "hà"]
    assert _value(ds, "vân nham", "15.1")["value"] == pytest.approx(96.1)
    assert _value(ds, "vân nham", "15.1")["sheet"] == "Chỉ tiêu"
    (issue,) = [i for i in ds.issues if i.code == "commune_not_in_main_table"]
    assert (issue.sheet, issue.cell) == ("Chỉ tiêu", "B3")


def test_values_sheet_matched_by_name_when_main_table_has_codes():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "TH"
    ws.append(["STT", "Mã xã", "Tên xã", *[f"TC{n}" for n in range(1, 20)]])
    ws.append([1, "04567", "Vân Nham", *["Đạt"] * 19])
    values = wb.create_sheet("Chỉ tiêu")
    values.append(["STT", "Tên xã", "15.1 Tỷ lệ BHYT (%)"])
    values.append([1, "xã vân nham", 97])
    ds = load_dataset(to_bytes(wb))
    assert list(ds.communes.index) == ["04567"]
    assert _value(ds, "04567", "15.1")["value"] == 97.0
    assert not ds.issues


def test_name_without_accents_matches_only_a_unique_commune():
    data = summary_workbook([dict(name="Sơn Hà", marks=all_met()), dict(name="Sơn Hạ", marks=all_met()),
                             dict(name="Vân Nham", marks=all_met())], instructions_sheet=False)
    wb = openpyxl.load_workbook(__import__("io").BytesIO(data))
    ws = wb.create_sheet("Chỉ tiêu")
    ws.append(["STT", "Tên xã", "15.1 Tỷ lệ BHYT (%)"])
    ws.append([1, "Son Ha", 97])
    ws.append([2, "Van Nham", 96])
    ds = load_dataset(to_bytes(wb))
    assert list(ds.communes.index) == ["sơn hà", "sơn hạ", "vân nham"]  # never a 4th commune
    assert _value(ds, "vân nham", "15.1")["value"] == 96.0  # unique once folded
    assert set(ds.indicators["commune_id"]) == {"vân nham"}
    (issue,) = ds.issues
    assert (issue.code, issue.sheet, issue.cell) == ("ambiguous_commune", "Chỉ tiêu", "B2")
    assert "“Sơn Hà”" in issue.message("vi") and "“Sơn Hạ”" in issue.message("vi")

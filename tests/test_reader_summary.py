"""Layout a: the district summary sheet of criterion marks, read end to end through load_dataset."""
import datetime

import openpyxl
import pandas as pd
import pytest

from ntm_data import load_dataset
from ntm_data.catalogue import get_criteria_set
from ntm_data.model import ReadError, Severity
from tests.workbooks import all_met, crit_col, nfd, summary_workbook, to_bytes, unrelated_workbook


def _issues(ds, code):
    return [i for i in ds.issues if i.code == code]


@pytest.fixture(scope="module")
def district():
    communes = [
        dict(name="Xã Hữu Liên", marks=all_met(), met=19, recognized="2019 (QĐ 123/QĐ-UBND)", group="I",
             region="Trung du và miền núi phía Bắc"),
        dict(name=nfd("  Xã  Vân   Nham "), group="II", met=17, target="26/5/2025", region="TDMNPB",
             marks=all_met(c15="Chưa đạt", c17="Cơ bản đạt")),
        dict(name="Thị trấn Mẹt", group="II", met=14, target=datetime.datetime(2026, 12, 31),
             marks=all_met(c3="x", c4="X", c5="✓", c6="✔", c7=1, c8="1", c9="đạt", c10="Không đạt",
                           c11=None, c12="-", c13=0, c14="abc", c16=" chưa đạt ")),
        dict(name="Sơn Hồng", group="II", met=18, marks=all_met(c19="Chưa đạt"), region="Vùng lạ"),
    ]
    data = summary_workbook(communes)
    return load_dataset(data, name="huu_lung.xlsx"), communes


def test_reads_every_commune_in_order_and_skips_group_totals_notes(district):
    ds, _ = district
    assert list(ds.communes["name"]) == ["Hữu Liên", "Vân Nham", "Mẹt", "Sơn Hồng"]
    assert list(ds.communes.index) == ["hữu liên", "vân nham", "mẹt", "sơn hồng"]
    assert list(ds.communes["sheet"]) == ["Tổng hợp"] * 4
    assert list(ds.communes["row"]) == [10, 12, 13, 14]  # group row II at 11, totals at 15
    assert ds.layout == "summary"
    assert ds.source_name == "huu_lung.xlsx"


def test_title_period_and_criteria_set(district):
    ds, _ = district
    assert ds.title.startswith("BÁO CÁO KẾT QUẢ THỰC HIỆN")
    assert str(ds.period) == "2023"
    assert ds.criteria_set.id == "qd318"
    assert ds.detected_criteria_set == "qd318"


@pytest.mark.parametrize(("commune", "criterion", "status"), [
    ("hữu liên", "1", "met"), ("hữu liên", "19", "met"),
    ("vân nham", "15", "not_met"), ("vân nham", "17", "not_met"), ("vân nham", "16", "met"),
    ("mẹt", "3", "met"), ("mẹt", "4", "met"), ("mẹt", "5", "met"), ("mẹt", "6", "met"), ("mẹt", "7", "met"),
    ("mẹt", "8", "met"), ("mẹt", "9", "met"), ("mẹt", "10", "not_met"), ("mẹt", "11", "not_met"),
    ("mẹt", "12", "not_met"), ("mẹt", "13", "not_met"), ("mẹt", "14", "unknown"), ("mẹt", "16", "not_met"),
    ("sơn hồng", "19", "not_met"),
])
def test_mark_spellings(district, commune, criterion, status):
    ds, _ = district
    assert ds.status_matrix.at[commune, criterion] == status


def test_criteria_frame_points_at_cells(district):
    ds, communes = district
    crit = ds.criteria.set_index(["commune_id", "criterion"])
    row = communes[1]["_row"]
    assert crit.loc[("vân nham", "15"), "cell"] == f"{crit_col(15)}{row}"
    assert crit.loc[("vân nham", "15"), "source"] == "sheet"
    assert crit.loc[("mẹt", "14"), "source"] == "none"  # unreadable mark, no values to derive from
    assert len(ds.criteria) == 4 * 19


def test_counts_and_years(district):
    ds, _ = district
    assert ds.criteria_met.to_dict() == {"hữu liên": 19, "vân nham": 17, "mẹt": 13, "sơn hồng": 18}
    assert ds.at_standard.to_dict() == {"hữu liên": True, "vân nham": False, "mẹt": False, "sơn hồng": False}
    assert ds.communes["recognized_year"].tolist() == [2019, pd.NA, pd.NA, pd.NA]
    assert ds.communes["target_year"].tolist() == [pd.NA, 2025, 2026, pd.NA]
    assert str(ds.communes["target_year"].dtype) == "Int64"


def test_regions_become_profiles(district):
    ds, _ = district
    assert ds.communes["region"].tolist() == ["tdmnpb", "tdmnpb", None, None]
    assert ds.communes["profile"].tolist() == ["tdmnpb", "tdmnpb", None, None]
    (unknown,) = _issues(ds, "unknown_region")
    assert unknown.cell == "C14" and "Vùng lạ" in unknown.message("vi")


def test_unknown_mark_warning_names_cell_and_criterion(district):
    ds, communes = district
    (issue,) = _issues(ds, "unknown_mark")
    assert issue.severity == Severity.WARNING
    assert issue.sheet == "Tổng hợp"
    assert issue.cell == f"{crit_col(14)}{communes[2]['_row']}"
    assert issue.message("vi") == f"Ô {issue.cell}: không hiểu giá trị “abc” của tiêu chí 14; ghi “Đạt” hoặc “Chưa đạt”."
    assert "criterion 14" in issue.message("en")


def test_count_column_mismatch_names_cell_and_mark_range(district):
    ds, communes = district
    (issue,) = _issues(ds, "criteria_met_mismatch")  # Mẹt says 14, has 13 marks met (and one unreadable)
    row = communes[2]["_row"]
    assert issue.cell == f"W{row}"
    assert f"D{row}:V{row}" in issue.message("vi")
    assert "14" in issue.message("en") and "13" in issue.message("en")


def test_no_other_issues(district):
    ds, _ = district
    assert sorted(i.code for i in ds.issues) == ["criteria_met_mismatch", "unknown_mark", "unknown_region"]


def _one_row_header(rows, header, title="TỔNG HỢP KẾT QUẢ NĂM 2022"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "TH"
    ws.append([title])
    ws.append(header)
    for r in rows:
        ws.append(r)
    return to_bytes(wb)


@pytest.mark.parametrize("names", [
    [f"TC{n}" for n in range(1, 20)],
    [f"TC {n}" for n in range(1, 20)],
    [f"Tiêu chí {n}" for n in range(1, 20)],
    [f"Tiêu chí số {n}" for n in range(1, 20)],
    [c.name_vi for c in get_criteria_set("qd318").criteria],
    [f"{c.number}. {c.name_vi}" for c in get_criteria_set("qd318").criteria],
])
def test_criterion_header_spellings(names):
    data = _one_row_header([[1, "Hà", *(["Đạt"] * 18), "Chưa đạt"]], ["STT", "Tên xã", *names])
    ds = load_dataset(data)
    assert ds.status_matrix.loc["hà"].tolist() == ["met"] * 18 + ["not_met"]
    assert ds.criteria.set_index(["commune_id", "criterion"]).at[("hà", "19"), "cell"] == "U3"


def test_code_beats_name_and_namesakes_stay_apart():
    header = ["STT", "Mã xã", "Huyện", "Tên xã", *[f"TC{n}" for n in range(1, 20)]]
    rows = [
        [1, "04567", "Hữu Lũng", "Hà", *["Đạt"] * 19],
        [2, "04568", "Hữu Lũng", "Hạ", *["Chưa đạt"] * 19],
        [3, 4569, "Chi Lăng", "Tân Lập", *["Đạt"] * 19],
        [4, None, "Chi Lăng", "Quang Lang", *["Đạt"] * 19],
        [5, None, "Hữu Lũng", "Quang Lang", *["Chưa đạt"] * 19],
    ]
    ds = load_dataset(_one_row_header(rows, header))
    assert list(ds.communes.index) == ["04567", "04568", "4569", "chi lăng/quang lang", "hữu lũng/quang lang"]
    assert ds.communes["name"].tolist() == ["Hà", "Hạ", "Tân Lập", "Quang Lang", "Quang Lang"]
    assert ds.criteria_met.tolist() == [19, 0, 19, 19, 0]
    assert not ds.issues


def test_same_commune_twice_is_an_error_naming_both_rows():
    header = ["STT", "Tên xã", *[f"TC{n}" for n in range(1, 20)]]
    rows = [[1, "Vân Nham", *["Đạt"] * 19], [2, "Hà", *["Đạt"] * 19], [3, "xã vân nham", *["Chưa đạt"] * 19]]
    ds = load_dataset(_one_row_header(rows, header))
    assert ds.communes["name"].tolist() == ["Vân Nham", "Hà"]
    assert ds.criteria_met["vân nham"] == 19  # the first row wins
    (issue,) = ds.errors
    assert issue.code == "duplicate_commune" and issue.cell == "B5"
    assert "TH!B3" in issue.message("vi") and "TH!B5" in issue.message("vi")


def test_tcvn3_name_is_decoded_and_reported():
    header = ["STT", "Tên xã", *[f"TC{n}" for n in range(1, 20)]]
    ds = load_dataset(_one_row_header([[1, "B¶o Th¾ng", *["Đạt"] * 19], [2, "Vân Nham", *["Đạt"] * 19]], header))
    assert ds.communes["name"].tolist() == ["Bảo Thắng", "Vân Nham"]  # "Vân Nham" is not decoded
    (issue,) = ds.issues
    assert issue.code == "tcvn3_name" and issue.cell == "B3"
    assert "“B¶o Th¾ng”" in issue.message("vi") and "“Bảo Thắng”" in issue.message("vi")


def test_sheet_typed_in_tcvn3_is_read_through_the_chart():
    from ntm_data.tcvn3 import encode_tcvn3

    header = [encode_tcvn3(t) for t in ["STT", "Tên xã", *[f"Tiêu chí {n}" for n in range(1, 20)]]]
    rows = [[1, encode_tcvn3("Bảo Thắng"), *[encode_tcvn3("Đạt")] * 18, encode_tcvn3("Chưa đạt")],
            [2, encode_tcvn3("Vân Nham"), *[encode_tcvn3("Đạt")] * 19]]
    ds = load_dataset(_one_row_header(rows, header, title=encode_tcvn3("BÁO CÁO KẾT QUẢ NĂM 2019")))
    assert ds.communes["name"].tolist() == ["Bảo Thắng", "Vân Nham"]
    assert ds.criteria_met.tolist() == [18, 19] and str(ds.period) == "2019"
    (issue,) = ds.issues
    assert (issue.code, issue.sheet) == ("tcvn3_sheet", "TH")


def test_group_rows_name_districts():
    header = ["STT", "Tên xã", *[f"TC{n}" for n in range(1, 20)]]
    rows = [["I", "Huyện Hữu Lũng"], [1, "Vân Nham", *["Đạt"] * 19], ["II", "Huyện Chi Lăng"],
            [1, "Quang Lang", *["Đạt"] * 19], [None, "Cộng", *[1] * 19]]
    ds = load_dataset(_one_row_header(rows, header))
    assert ds.communes["district"].tolist() == ["Huyện Hữu Lũng", "Huyện Chi Lăng"]
    assert list(ds.communes.index) == ["vân nham", "quang lang"]


def test_explicit_criteria_set_beats_the_title():
    data = summary_workbook([dict(name="Hà", marks=all_met())])
    ds = load_dataset(data, criteria_set="qd1980")
    assert ds.criteria_set.id == "qd1980" and ds.detected_criteria_set == "qd318"


def test_unrelated_table_is_a_read_error():
    with pytest.raises(ReadError) as info:
        load_dataset(unrelated_workbook())
    assert info.value.issue.code == "no_table"


def test_thirty_communes_read_fast():
    import time

    communes = [dict(name=f"Xã {i}", marks=all_met(c15="Chưa đạt"), met=18) for i in range(30)]
    data = summary_workbook(communes)
    load_dataset(data)  # warm caches (catalogue)
    start = time.perf_counter()
    ds = load_dataset(data)
    assert time.perf_counter() - start < 0.5
    assert len(ds.communes) == 30 and not ds.issues


@pytest.mark.parametrize(("data", "code"), [
    (b"", "file_empty"),
    (b"PK\x03\x04 truncated zip", "corrupt_workbook"),
    (b"Ten xa,TC1\nHa,Dat\n", "not_a_workbook"),
])
def test_unusable_bytes_raise_read_error(data, code):
    with pytest.raises(ReadError) as info:
        load_dataset(data)
    assert info.value.issue.code == code


def test_only_instructions_is_a_read_error():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Hướng dẫn"
    for line in ["HƯỚNG DẪN", "Cột B: Tên xã", "Cột C..U: Tiêu chí 1..19, ghi Đạt/Chưa đạt", "Tự đánh giá"]:
        ws.append([line])
    with pytest.raises(ReadError) as info:
        load_dataset(to_bytes(wb))
    assert info.value.issue.code == "no_table"
    assert "Tên xã" in info.value.message("vi")


def test_hidden_stale_copy_is_ignored():
    header = ["STT", "Tên xã", *[f"TC{n}" for n in range(1, 20)]]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Mới"
    ws.append(header)
    ws.append([1, "Hà", *["Đạt"] * 19])
    old = wb.create_sheet("Cũ")
    old.sheet_state = "hidden"
    old.append(header + ["Ghi chú"])
    old.append([1, "Hà", *["Chưa đạt"] * 19])
    old.append([2, "Hạ", *["Chưa đạt"] * 19])
    ds = load_dataset(to_bytes(wb))
    assert list(ds.communes.index) == ["hà"] and ds.criteria_met["hà"] == 19


def test_legacy_xls_summary_with_merged_headers():
    from tests.workbooks import legacy_xls

    rows = [
        ["BÁO CÁO KẾT QUẢ THỰC HIỆN NĂM 2019 (Quyết định 1980/QĐ-TTg)"],
        [],
        ["STT", "Tên xã", "Kết quả thực hiện các tiêu chí", *[None] * 18, "Số tiêu chí đạt"],
        [None, None, *range(1, 20), None],
        [1, "Xã Bảo Thắng", *["Đạt"] * 18, "Chưa đạt", 18],
        [2, "Xã Hà", *["x"] * 19, 19],
    ]
    merges = [(0, 0, 0, 21), (2, 3, 0, 0), (2, 3, 1, 1), (2, 2, 2, 20), (2, 3, 21, 21)]
    ds = load_dataset(legacy_xls(rows, merges=merges), name="bao_cao.xls")
    assert ds.criteria_set.id == "qd1980" and str(ds.period) == "2019"
    assert ds.communes["name"].tolist() == ["Bảo Thắng", "Hà"]
    assert ds.criteria_met.tolist() == [18, 19]
    assert ds.criteria.set_index(["commune_id", "criterion"]).at[("bảo thắng", "19"), "cell"] == "U5"
    assert not ds.issues


def test_three_row_header_with_names_under_numbers_and_missing_columns():
    cs = get_criteria_set("qd318")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "TH"
    ws["A1"] = "TÌNH HÌNH THỰC HIỆN 6 THÁNG ĐẦU NĂM 2024"
    ws["A3"], ws["B3"], ws["C3"] = "STT", "Tên xã", "Kết quả thực hiện các tiêu chí"
    ws.merge_cells("A3:A5")
    ws.merge_cells("B3:B5")
    ws.merge_cells("C3:S3")  # 17 criteria only: 18 and 19 have no column
    for i, crit in enumerate(cs.criteria[:17]):
        ws.cell(4, 3 + i, i + 1)
        ws.cell(5, 3 + i, crit.name_vi)
    ws.append([1, "Xã Hà", *["Đạt"] * 16, "Chưa đạt"])
    ds = load_dataset(to_bytes(wb))
    assert str(ds.period) == "2024-06"
    assert ds.status_matrix.loc["hà"].tolist() == ["met"] * 16 + ["not_met", "unknown", "unknown"]
    (issue,) = ds.issues
    assert issue.code == "missing_criterion_columns" and "18, 19" in issue.message("vi")


def test_error_and_formula_cells_are_unknown_with_an_issue():
    import io

    data = summary_workbook([dict(name="Hà", marks=all_met()), dict(name="Hạ", marks=all_met())],
                            groups=False, instructions_sheet=False)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb["Tổng hợp"]
    ws["D9"] = '=IF(1>0,"Đạt","Chưa đạt")'
    ws["E10"] = "#N/A"
    ws["E10"].data_type = "e"
    ds = load_dataset(to_bytes(wb))
    crit = ds.criteria.set_index(["commune_id", "criterion"])
    assert crit.loc[("hà", "1"), ["status", "cell"]].tolist() == ["unknown", "D9"]
    assert crit.loc[("hạ", "2"), ["status", "cell"]].tolist() == ["unknown", "E10"]
    codes = {(i.code, i.cell) for i in ds.issues}
    assert ("formula_without_value", "D9") in codes and ("unknown_mark", "E10") in codes
    formula = next(i for i in ds.issues if i.code == "formula_without_value")
    assert "Excel" in formula.message("vi") and "#N/A" in next(i for i in ds.issues if i.cell == "E10").message("en")


def test_region_named_in_the_title_applies_to_communes_without_one():
    data = summary_workbook(
        [dict(name="Hà", marks=all_met()), dict(name="Hạ", marks=all_met(), region="Đồng bằng sông Hồng")],
        subtitle="Huyện Hữu Lũng, tỉnh Lạng Sơn (vùng Trung du và miền núi phía Bắc)")
    ds = load_dataset(data)
    assert ds.communes["region"].tolist() == ["tdmnpb", "dbsh"]


def test_one_sheet_per_district():
    header = ["STT", "Tên xã", *[f"TC{n}" for n in range(1, 20)]]
    wb = openpyxl.Workbook()
    first = wb.active
    first.title = "Hữu Lũng"
    for row in (header, [1, "Tân Lập", *["Đạt"] * 19], [2, "Vân Nham", *["Đạt"] * 19],
                [3, "Hữu Liên", *["Đạt"] * 19]):
        first.append(row)
    second = wb.create_sheet("Chi Lăng")
    for row in (header, [1, "Tân Lập", *["Chưa đạt"] * 19], [2, "Quang Lang", *["Đạt"] * 19],
                [3, "Chi Lăng", *["Đạt"] * 19]):
        second.append(row)
    ds = load_dataset(to_bytes(wb))
    assert len(ds.communes) == 6 and not ds.errors
    assert ds.communes["district"].tolist() == ["Hữu Lũng"] * 3 + ["Chi Lăng"] * 3
    assert ds.criteria_met["hữu lũng/tân lập"] == 19 and ds.criteria_met["chi lăng/tân lập"] == 0
    assert ds.criteria_met["vân nham"] == 19  # names found once keep their plain id


def test_yearly_copies_are_not_districts():
    header = ["STT", "Tên xã", *[f"TC{n}" for n in range(1, 20)]]
    wb = openpyxl.Workbook()
    first = wb.active
    first.title = "2024"
    for row in (header, [1, "Hà", *["Đạt"] * 19], [2, "Hạ", *["Đạt"] * 19]):
        first.append(row)
    second = wb.create_sheet("2023")
    for row in (header, [1, "Hà", *["Chưa đạt"] * 19], [2, "Hạ", *["Chưa đạt"] * 19]):
        second.append(row)
    ds = load_dataset(to_bytes(wb))
    assert list(ds.communes.index) == ["hà", "hạ"] and ds.communes["district"].isna().all()


def test_totals_subtotals_blank_names_and_notes():
    header = ["STT", "Tên xã", *[f"TC{n}" for n in range(1, 20)], "Ghi chú"]
    rows = [
        [None, "Tổng cộng", *[2] * 19],  # totals right under the header (row 3)
        ["I", "Các xã đã đạt chuẩn"],
        [1, "Hà", *["Đạt"] * 19],
        [None, "Cộng nhóm I", *[1] * 19],
        ["II", "Các xã chưa đạt chuẩn"],
        [2, "Hạ", *["Đạt"] * 18, "Chưa đạt"],
        [3, None, *["Đạt"] * 19],  # a row with marks but no name (row 9)
        [],
        ["Ghi chú: số liệu đến 30/11"],
        [None, None, None, "Người lập biểu"],
        [4, "Không phải xã", *["Đạt"] * 19],  # below the notes: not read
    ]
    ds = load_dataset(_one_row_header(rows, header))
    assert list(ds.communes.index) == ["hà", "hạ"]
    assert ds.communes["row"].tolist() == [5, 8]
    (issue,) = ds.issues
    assert (issue.code, issue.cell) == ("missing_name", "B9")
    assert "9" in issue.message("vi")


def test_ten_criteria_of_qd51_detected_from_the_subtitle():
    data = summary_workbook([dict(name="Hà", marks=["Đạt"] * 9 + ["Chưa đạt"])], criteria_count=10,
                            title="BÁO CÁO KẾT QUẢ NĂM 2026",
                            subtitle="(theo Quyết định số 51/2025/QĐ-TTg ngày 29/12/2025)")
    ds = load_dataset(data)
    assert (ds.criteria_set.id, ds.detected_criteria_set, str(ds.period)) == ("qd51", "qd51", "2026")
    assert ds.status_matrix.loc["hà"].tolist() == ["met"] * 9 + ["not_met"]
    assert not ds.issues

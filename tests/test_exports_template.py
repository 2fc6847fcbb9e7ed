"""The fill-in template: layout, dropdowns and validation, instructions, and the round trip through the reader."""
from __future__ import annotations

import io

import openpyxl
import pytest
from factories import make_dataset

from ntm_data.catalogue import get_criteria_set
from ntm_data.dataset import load_dataset
from ntm_data.exports import blank_template
from ntm_data.exports.template import indicator_header, template_columns

HEADER_ROW = 3


def open_book(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def validations_by_column(ws) -> dict[str, list]:
    """Header text -> the data validations covering that column's first data cell."""
    header = {c.column_letter: c.value for c in ws[HEADER_ROW]}
    out: dict[str, list] = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            if rng.min_row == HEADER_ROW + 1:
                for col in range(rng.min_col, rng.max_col + 1):
                    letter = openpyxl.utils.get_column_letter(col)
                    out.setdefault(header[letter], []).append(dv)
    return out


@pytest.mark.parametrize("set_id, criteria", [("qd318", 19), ("qd51", 10)])
def test_layout_the_reader_expects(set_id, criteria):
    wb = open_book(blank_template(set_id))
    assert wb.sheetnames == ["Tổng hợp", "Hướng dẫn", "DanhMuc"]
    assert wb["DanhMuc"].sheet_state == "hidden"
    ws = wb["Tổng hợp"]
    cset = get_criteria_set(set_id)
    assert cset.decision in ws["A1"].value and str(cset.period_start) <= ws["A1"].value[-4:] <= str(cset.period_end)
    header = [c.value for c in ws[HEADER_ROW]]
    assert header[:7] == ["STT", "Mã xã", "Tên xã", "Huyện", "Vùng", "Dân số", "Số hộ"]
    assert header[7:7 + criteria] == [f"TC{n}" for n in range(1, criteria + 1)]
    assert header[-3:] == ["Năm đạt chuẩn", "Năm phấn đấu đạt chuẩn", "Ghi chú"]
    assert header == template_columns(cset)
    assert ws.freeze_panes == "D4"


def test_dropdowns_and_numeric_validation():
    ws = open_book(blank_template("qd318"))["Tổng hợp"]
    rules = validations_by_column(ws)
    cset = get_criteria_set("qd318")
    for n in range(1, 20):
        (dv,) = rules[f"TC{n}"]
        assert dv.type == "list" and dv.formula1 == "DS_TrangThai"
    percent = [i for i in cset.indicators if i.kind == "percent"]
    assert percent
    for ind in percent:
        (dv,) = rules[indicator_header(ind)]
        assert (dv.type, dv.operator or "between", dv.formula1, dv.formula2) == ("decimal", "between", "0", "100")
    yes_no = next(i for i in cset.indicators if i.kind == "yes_no")
    assert rules[indicator_header(yes_no)][0].formula1 == "DS_TrangThai"
    for name in ("Năm đạt chuẩn", "Năm phấn đấu đạt chuẩn"):
        (dv,) = rules[name]
        assert dv.type == "whole" and (dv.operator or "between") == "between"
    assert rules["Vùng"][0].formula1 == "DS_Vung"
    assert min(r.max_row for r in rules["TC1"][0].sqref.ranges) >= HEADER_ROW + 100


def test_lists_behind_defined_names():
    wb = open_book(blank_template("qd318"))
    assert wb.defined_names["DS_TrangThai"].attr_text == "DanhMuc!$A$1:$A$3"
    assert [wb["DanhMuc"][f"A{i}"].value for i in (1, 2, 3)] == ["Đạt", "Chưa đạt", "Chưa rõ"]
    regions = [c.value for c in wb["DanhMuc"]["B"] if c.value]
    assert "Trung du và miền núi phía Bắc" in regions and len(regions) == len(get_criteria_set("qd318").profiles)


def test_instructions_in_vietnamese():
    ws = open_book(blank_template("qd318", lang="en"))["Hướng dẫn"]
    text = "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    assert "HƯỚNG DẪN ĐIỀN BIỂU MẪU" in text and "Chưa đạt" in text
    assert "HOW TO FILL IN THIS TEMPLATE" in text  # English too when the UI is English
    assert "TC15" in text and "15. Y tế" in text


def filled_blank(set_id: str) -> bytes:
    """A blank template filled in by hand (openpyxl), as a commune office would."""
    wb = open_book(blank_template(set_id))
    ws = wb["Tổng hợp"]
    header = [c.value for c in ws[HEADER_ROW]]
    col = {h: i + 1 for i, h in enumerate(header)}
    cset = get_criteria_set(set_id)
    communes = [("Vân Nham", "Hữu Lũng", {"15", "17"}, 2023), ("Sơn Hồng", "Hương Sơn", set(), None),
                ("Thị trấn Hữu Lũng", "Hữu Lũng", {"3"}, 2026)]
    for i, (name, dist, failing, target) in enumerate(communes):
        r = HEADER_ROW + 1 + i
        ws.cell(r, col["STT"], i + 1)
        ws.cell(r, col["Tên xã"], name)
        ws.cell(r, col["Huyện"], dist)
        ws.cell(r, col["Vùng"], cset.profiles[0].name_vi)
        ws.cell(r, col["Dân số"], 8000)
        for c in cset.criteria:
            ws.cell(r, col[f"TC{c.number}"], "Chưa đạt" if c.number in failing else "Đạt")
        if target:
            ws.cell(r, col["Năm phấn đấu đạt chuẩn"], target)
    if set_id == "qd318":
        ws.cell(HEADER_ROW + 1, col[indicator_header(cset.indicator("15.1"))], 88.5)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("set_id", ["qd318", "qd51"])
def test_filled_blank_template_reads_back_without_errors(set_id):
    ds = load_dataset(filled_blank(set_id))
    assert ds.errors == ()
    assert ds.criteria_set.id == set_id
    assert list(ds.communes["name"]) == ["Vân Nham", "Sơn Hồng", "Hữu Lũng"]
    assert list(ds.communes["district"]) == ["Hữu Lũng", "Hương Sơn", "Hữu Lũng"]
    matrix = ds.status_matrix
    first = ds.communes.index[0]
    if set_id == "qd318":
        assert set(matrix.columns[matrix.loc[first] == "not_met"]) == {"15", "17"}
        value = ds.indicators.loc[(ds.indicators["commune_id"] == first) & (ds.indicators["indicator"] == "15.1"),
                                  "value"]
        assert value.iloc[0] == pytest.approx(88.5)
    assert (matrix.iloc[1] == "met").all()
    assert ds.communes["target_year"].tolist()[0] == 2023


def test_prefilled_template_round_trips():
    rows = [
        {"name": "Vân Nham", "code": "06280", "district": "Hữu Lũng", "region": "tdmnpb", "not_met": ["15", "17"],
         "population": 8000, "households": 2000, "target_year": 2026, "values": {"15.1": 88.5, "17.1": 70.0}},
        {"name": "Hòa Lạc", "code": "06281", "district": "Hữu Lũng", "region": "tdmnpb", "recognized_year": 2021,
         "values": {"15.2": 1.0}},
        {"name": "Yên Bình", "code": "06282", "district": "Hữu Lũng", "region": "dbkk", "marks": "1111111111111111?10"},
    ]
    original = make_dataset(rows, period=2024)
    data = blank_template("qd318", dataset=original)
    ds = load_dataset(data)
    # the one unknown mark is written "Chưa rõ" (a blank would read as not met) and read back as an
    # explicit unknown: no issue at all
    assert ds.issues == ()
    assert open_book(data)["Tổng hợp"]["X6"].value == "Chưa rõ"
    criterion_17 = ds.criteria[(ds.criteria["commune_id"] == "06282") & (ds.criteria["criterion"] == "17")].iloc[0]
    assert (criterion_17["status"], criterion_17["source"], criterion_17["cell"]) == ("unknown", "none", "X6")
    assert ds.period is not None and ds.period.year == 2024
    assert list(ds.communes["name"]) == ["Vân Nham", "Hòa Lạc", "Yên Bình"]
    assert list(ds.communes["code"]) == ["06280", "06281", "06282"]
    assert list(ds.communes["region"]) == ["tdmnpb", "tdmnpb", "dbkk"]
    by_name = ds.communes.reset_index().set_index("name")
    assert by_name.loc["Vân Nham", "population"] == 8000
    assert by_name.loc["Hòa Lạc", "recognized_year"] == 2021
    got = ds.status_matrix.set_axis(ds.communes["name"].to_list())
    want = original.status_matrix.set_axis(original.communes["name"].to_list())
    assert got.equals(want)  # including the unknown mark
    values = ds.indicators.dropna(subset=["value"]).set_index("indicator")["value"].to_dict()
    assert values["15.1"] == pytest.approx(88.5) and values["17.1"] == pytest.approx(70.0)
    assert values["15.2"] == 1.0


def test_code_column_is_text_so_leading_zeros_survive():
    ws = open_book(blank_template("qd318"))["Tổng hợp"]
    assert ws.column_dimensions["B"].number_format == "@"


@pytest.mark.parametrize("word, status", [("Đạt", "met"), ("Chưa đạt", "not_met"), ("Chưa rõ", "unknown")])
def test_every_dropdown_word_reads_back_as_its_status(word, status):
    from ntm_data.exports.template import DROPDOWN_WORDS
    from ntm_data.text import parse_mark

    assert word in DROPDOWN_WORDS
    assert parse_mark(word) == status

"""Workbook bytes/path -> grids, and the unusable files that must raise one clear ReadError."""
import openpyxl
import pytest

from ntm_data.model import ReadError
from ntm_data.workbook import cell_name, column_letter, read_workbook
from tests.workbooks import empty_workbook, encrypted_workbook, legacy_xls, to_bytes


@pytest.mark.parametrize(("col", "letters"), [(0, "A"), (25, "Z"), (26, "AA"), (27, "AB"), (701, "ZZ"), (702, "AAA")])
def test_column_letter(col, letters):
    assert column_letter(col) == letters


def test_cell_name():
    assert cell_name(11, 5) == "F12"


def _merged_book() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Tổng hợp"
    ws["C3"] = "Kết quả thực hiện các tiêu chí"
    ws.merge_cells("C3:F3")
    ws["A3"] = "Tên xã"
    ws.merge_cells("A3:A4")
    ws["B5"] = 95.2
    wb.create_sheet("Hướng dẫn")["A1"] = "ghi chú"
    return to_bytes(wb)


def test_read_workbook_fills_merged_ranges_from_bytes():
    grids = read_workbook(_merged_book())
    assert [g.name for g in grids] == ["Tổng hợp", "Hướng dẫn"]
    g = grids[0]
    assert g.value(2, 2) == g.value(2, 5) == "Kết quả thực hiện các tiêu chí"  # F3 filled, beyond the data
    assert g.value(3, 0) == "Tên xã"
    assert g.value(4, 1) == 95.2
    assert g.value(0, 0) == ""  # grid starts at A1 even though data starts lower
    assert (2, 2, 2, 5) in g.merged


def test_read_workbook_from_path(tmp_path):
    path = tmp_path / "book.xlsx"
    path.write_bytes(_merged_book())
    assert read_workbook(path)[0].value(4, 1) == 95.2
    assert read_workbook(str(path))[0].name == "Tổng hợp"


def test_read_legacy_xls_with_merges():
    data = legacy_xls([["Tên xã", "x"], ["Kết quả", None, None]], merges=[(1, 1, 0, 2)])
    g = read_workbook(data)[0]
    assert g.name == "Tổng hợp"
    assert [g.value(1, c) for c in range(3)] == ["Kết quả"] * 3


@pytest.mark.parametrize(("data", "code"), [
    (b"", "file_empty"),
    (b"hello, this is a text file", "not_a_workbook"),
    (b"%PDF-1.4 fake pdf", "not_a_workbook"),
    (_merged_book()[:700], "corrupt_workbook"),
    (encrypted_workbook(), "encrypted_workbook"),
    (empty_workbook(), "empty_workbook"),
])
def test_unusable_files_raise_read_error(data, code):
    with pytest.raises(ReadError) as info:
        read_workbook(data)
    assert info.value.issue.code == code
    assert info.value.message("vi") and info.value.message("en")
    assert "{" not in info.value.message("vi")


def test_missing_path_raises_read_error(tmp_path):
    with pytest.raises(ReadError) as info:
        read_workbook(tmp_path / "nope.xlsx")
    assert info.value.issue.code == "file_not_found"


def test_error_cells_and_formulas_without_results_are_kept_visible():
    from ntm_data.workbook import FormulaText

    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "x"
    ws["B2"] = "#DIV/0!"
    ws["B2"].data_type = "e"
    ws["C3"] = '=IF(1>0,"Đạt","Chưa đạt")'  # openpyxl saves no result
    g = read_workbook(to_bytes(wb))[0]
    assert g.value(1, 1) == "#DIV/0!"
    assert isinstance(g.value(2, 2), FormulaText) and g.value(2, 2) == '=IF(1>0,"Đạt","Chưa đạt")'


def test_word_document_renamed_is_not_a_workbook():
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(ReadError) as info:
        read_workbook(buf.getvalue())
    assert info.value.issue.code == "not_a_workbook"


def test_limits_are_applied_before_parsing(monkeypatch):
    monkeypatch.setenv("NTM_MAX_UPLOAD_MB", "0.001")  # about 1 kB
    import importlib

    import ntm_data.limits as limits

    importlib.reload(limits)
    try:
        monkeypatch.setattr("ntm_data.workbook.checked", limits.checked)
        with pytest.raises(ReadError) as info:
            read_workbook(_merged_book())
        assert info.value.issue.code.startswith("limit.")
    finally:
        monkeypatch.delenv("NTM_MAX_UPLOAD_MB")
        importlib.reload(limits)


def test_parsed_sheets_are_held_to_the_grid_limits(monkeypatch):
    """.xls and .ods are not looked into by the byte checks: each parsed sheet's size is checked before
    its grid is copied into Python lists."""
    from functools import partial

    from ntm_data.limits import Limits, check_grid_size

    monkeypatch.setattr("ntm_data.workbook.check_grid_size", partial(check_grid_size, limits=Limits(max_columns=2)))
    with pytest.raises(ReadError) as info:
        read_workbook(legacy_xls([["Tên xã", "TC1", "TC2"]]))
    assert info.value.issue.code == "limit.columns" and info.value.issue.sheet == "Tổng hợp"

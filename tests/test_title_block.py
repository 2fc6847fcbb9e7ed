"""The title block names who reports and on what area: the issuing body, the district of a sheet without
a Huyện column, and the grouping the meeting outputs put in their own title blocks."""
from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader

from ntm_data import load_dataset
from ntm_data.exports import brief_pdf, report_xlsx
from ntm_data.reader import proper_name, title_areas
from tests.workbooks import all_met, form_sheet, to_bytes

SAMPLES = sorted((Path(__file__).resolve().parent.parent / "sample_data").glob("huu_lung_*.xlsx"))


@pytest.mark.parametrize(("lines", "body", "districts", "provinces", "grouping"), [
    (["UBND HUYỆN HỮU LŨNG", "BAN CHỈ ĐẠO CÁC CTMTQG", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "BIỂU TỔNG HỢP NĂM 2022"],
     "UBND HUYỆN HỮU LŨNG\nBAN CHỈ ĐẠO CÁC CTMTQG", ("Huyện Hữu Lũng",), (), "Huyện Hữu Lũng"),
    (["ỦY BAN NHÂN DÂN HUYỆN HỮU LŨNG"], "ỦY BAN NHÂN DÂN HUYỆN HỮU LŨNG", ("Huyện Hữu Lũng",), (), "Huyện Hữu Lũng"),
    (["BCĐ CÁC CTMTQG TỈNH LẠNG SƠN"], "BCĐ CÁC CTMTQG TỈNH LẠNG SƠN", (), ("Tỉnh Lạng Sơn",), "Tỉnh Lạng Sơn"),
    (["UBND TỈNH HÀ TĨNH"], "UBND TỈNH HÀ TĨNH", (), ("Tỉnh Hà Tĩnh",), "Tỉnh Hà Tĩnh"),
    (["BCĐ CÁC CTMTQG TỈNH LẠNG SƠN", "KẾT QUẢ CÁC XÃ TRÊN ĐỊA BÀN HUYỆN ĐÌNH LẬP NĂM 2023"],
     "BCĐ CÁC CTMTQG TỈNH LẠNG SƠN", ("Huyện Đình Lập",), ("Tỉnh Lạng Sơn",), "Huyện Đình Lập"),
    (["(Mã xã: 06298; vùng: Trung du và miền núi phía Bắc; huyện Hữu Lũng, tỉnh Lạng Sơn)"],
     None, ("Huyện Hữu Lũng",), ("Tỉnh Lạng Sơn",), "Huyện Hữu Lũng"),
    (["UBND THÀNH PHỐ HÀ NỘI", "KẾT QUẢ QUẬN 9 VÀ HUYỆN NĂM CĂN"], "UBND THÀNH PHỐ HÀ NỘI",
     ("Quận 9", "Huyện Năm Căn"), ("Thành phố Hà Nội",), None),
    (["UBND THỊ XÃ SƠN TÂY", "BÁO CÁO NĂM 2024"], "UBND THỊ XÃ SƠN TÂY", ("Thị xã Sơn Tây",), (), "Thị xã Sơn Tây"),
    (["TỔNG HỢP TOÀN HUYỆN NĂM 2022", "các xã trong huyện chưa đạt"], None, (), (), None),
])
def test_title_areas(lines, body, districts, provinces, grouping):
    areas = title_areas(lines)
    assert (areas.issuing_body, areas.districts, areas.provinces, areas.grouping_name) == (
        body, districts, provinces, grouping)


def test_proper_name_is_nfc_and_title_cased():
    import unicodedata
    assert proper_name(unicodedata.normalize("NFD", "HỮU LŨNG")) == "Hữu Lũng"
    assert proper_name("CƯ M'GAR") == "Cư M'gar"


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_sample_files_name_the_district(path):
    ds = load_dataset(path)
    assert set(ds.communes["district"]) == {"Hữu Lũng"}
    assert ds.grouping_name == "Huyện Hữu Lũng"


def test_sample_issuing_body():
    ds = load_dataset(SAMPLES[0])
    assert ds.issuing_body == "UBND HUYỆN HỮU LŨNG\nBAN CHỈ ĐẠO CÁC CTMTQG"


def test_a_district_column_is_never_overwritten():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["UBND TỈNH LẠNG SƠN"])
    ws.append(["BÁO CÁO KẾT QUẢ NĂM 2023 - HUYỆN HỮU LŨNG"])
    ws.append(["STT", "Tên xã", "Huyện", *[f"TC{n}" for n in range(1, 20)]])
    ws.append([1, "Hà", "Chi Lăng", *all_met()])
    ws.append([2, "Hạ", None, *all_met()])
    ds = load_dataset(to_bytes(wb))
    assert ds.communes["district"].tolist() == ["Chi Lăng", None]
    assert ds.issuing_body == "UBND TỈNH LẠNG SƠN" and ds.grouping_name == "Huyện Hữu Lũng"


def test_forms_of_two_districts_keep_their_own():
    blocks = [(1, "Quy hoạch", [("1.1. Có quy hoạch", "Đạt", "Đạt", None)], "Đạt")]
    wb = openpyxl.Workbook()
    form_sheet(wb, "Sơn Hồng", "BẢNG TỰ ĐÁNH GIÁ NĂM 2022 CỦA XÃ SƠN HỒNG, HUYỆN HƯƠNG SƠN", blocks)
    form_sheet(wb, "Vân Nham", "BẢNG TỰ ĐÁNH GIÁ NĂM 2022 XÃ VÂN NHAM - HUYỆN HỮU LŨNG", blocks)
    del wb["Sheet"]
    ds = load_dataset(to_bytes(wb))
    assert ds.communes["district"].tolist() == ["Hương Sơn", "Hữu Lũng"]  # each form's own title
    assert ds.grouping_name is None


def _province_sheet() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["BCĐ CÁC CTMTQG TỈNH LẠNG SƠN", None, None, None, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"])
    ws.append(["TỔNG HỢP KẾT QUẢ XÃ NÔNG THÔN MỚI NĂM 2024"])
    ws.append(["STT", "Tên xã", *[f"TC{n}" for n in range(1, 20)]])
    ws.append([1, "Hà", *all_met()])
    ws.append([2, "Hạ", *all_met(c15="Chưa đạt")])
    return to_bytes(wb)


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages[:1])


def test_brief_title_block_uses_the_sheets_issuing_body():
    text = _pdf_text(brief_pdf(load_dataset(SAMPLES[0]), current_year=2022))
    assert "UBND HUYỆN HỮU LŨNG" in text and "BAN CHỈ ĐẠO CÁC CTMTQG" in text
    assert "Hữu Lũng, ngày" in text


def test_brief_and_report_of_a_province_sheet():
    ds = load_dataset(_province_sheet())
    assert ds.communes["district"].isna().all()
    assert (ds.issuing_body, ds.grouping_name) == ("BCĐ CÁC CTMTQG TỈNH LẠNG SƠN", "Tỉnh Lạng Sơn")
    text = _pdf_text(brief_pdf(ds, current_year=2024))
    assert "BCĐ CÁC CTMTQG TỈNH LẠNG SƠN" in text and "Lạng Sơn, ngày" in text and "Tỉnh Lạng Sơn" in text
    ws = openpyxl.load_workbook(io.BytesIO(report_xlsx(ds, current_year=2024))).worksheets[0]
    facts = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(3, 11)}
    assert facts["Cơ quan báo cáo"] == "BCĐ CÁC CTMTQG TỈNH LẠNG SƠN"
    assert facts["Địa bàn"] == "Tỉnh Lạng Sơn"


def test_report_scope_keeps_the_titles_own_kind_of_area():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["UBND THỊ XÃ SƠN TÂY"])
    ws.append(["TỔNG HỢP KẾT QUẢ NĂM 2024"])
    ws.append(["STT", "Tên xã", *[f"TC{n}" for n in range(1, 20)]])
    ws.append([1, "Cổ Đông", *all_met()])
    ds = load_dataset(to_bytes(wb))
    assert ds.communes["district"].tolist() == ["Sơn Tây"]
    sheet = openpyxl.load_workbook(io.BytesIO(report_xlsx(ds, current_year=2024))).worksheets[0]
    facts = {sheet.cell(r, 1).value: sheet.cell(r, 2).value for r in range(3, 11)}
    assert facts["Địa bàn"] == "Thị xã Sơn Tây"

"""The Excel meeting report: sheets, title block, KPIs, status fills, lagging communes, timeline."""
from __future__ import annotations

import io

import openpyxl
import pytest
from factories import make_dataset

from ntm_data import analytics
from ntm_data.exports import STATUS_COLORS, report_xlsx
from ntm_data.i18n import t
from ntm_data.model import Dataset

FORMULA_NAME = '=HYPERLINK("http://x","y")'


def district(period: int = 2024, older: bool = False) -> Dataset:
    """Five communes in two districts; `older` gives the same communes two criteria poorer (for history)."""
    k = 2 if older else 0
    rows = [
        {"name": "Vân Nham", "code": "06280", "district": "Hữu Lũng", "region": "tdmnpb", "not_met": ["15", "17"],
         "target_year": 2023, "population": 8000, "households": 2000,
         "values": {"15.1": (88.5, 95.0), "17.1": (60.0, 90.0)}},
        {"name": "Sơn Hồng", "district": "Hương Sơn", "region": "btb", "met": 11 - k, "target_year": 2026},
        {"name": "Hòa Lạc", "district": "Hữu Lũng", "region": "tdmnpb", "recognized_year": 2021},
        {"name": FORMULA_NAME, "district": "Hữu Lũng", "marks": "1111111111111111?10", "target_year": 2025},
        {"name": "Đức Thuận", "district": "Hương Sơn", "not_met": ["15", "17"] if older else ["17"], "target_year": 2027,
         "households": 1500, "values": {"17.1": (85.0, 90.0)}},
    ]
    return make_dataset(rows, period=period, source_name="huu_lung.xlsx")


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return district()


@pytest.fixture(scope="module")
def book(ds: Dataset) -> openpyxl.Workbook:
    data = report_xlsx(ds, history=[district(2022, older=True), ds], current_year=2024)
    return openpyxl.load_workbook(io.BytesIO(data))


def rows_of(ws, header_row: int) -> list[dict[str, object]]:
    """The table under `header_row` as dicts keyed by header text (stops at the first empty row)."""
    header = [c.value for c in ws[header_row]]
    out = []
    for row in ws.iter_rows(min_row=header_row + 1, values_only=True):
        if all(v is None for v in row):
            break
        out.append({h: v for h, v in zip(header, row, strict=False) if h is not None})
    return out


def fill_of(cell) -> str:
    return "#" + cell.fill.fgColor.rgb[-6:].upper()


def test_sheet_names_vietnamese(book):
    assert book.sheetnames[:3] == ["Tổng quan", "Bảng tiêu chí", "Theo tiêu chí"]
    assert "Chưa đạt TC15" in book.sheetnames and "Chưa đạt TC17" in book.sheetnames
    assert book.sheetnames[-1] == "Lộ trình"


def test_overview_title_block_and_kpis(book, ds):
    ws = book["Tổng quan"]
    cells = {row[0]: row[1] for row in ws.iter_rows(values_only=True) if row[0] is not None}
    assert cells["Kỳ báo cáo"] == "2024"
    assert "318/QĐ-TTg" in cells["Bộ tiêu chí"]
    assert cells["Địa bàn"] == "2 huyện: Hữu Lũng, Hương Sơn"
    assert cells["Bộ lọc"].startswith("Không")
    p = analytics.district_progress(ds)
    assert cells["Tổng số xã"] == 5 == p.communes
    assert cells["Số xã đạt chuẩn (đạt tất cả tiêu chí)"] == p.at_standard == 1
    assert cells["Bình quân số tiêu chí đạt/xã (trên 19)"] == pytest.approx(round(p.average_met, 2))
    assert cells["Số xã quá năm phấn đấu chưa đạt chuẩn (tính đến 2024)"] == 1
    buckets = analytics.criteria_buckets(ds)
    for label, count in zip(buckets["bucket"], buckets["communes"], strict=True):
        assert cells[str(label)] == count


def test_scorecard_fills_match_statuses(book, ds):
    ws = book["Bảng tiêu chí"]
    assert ws.freeze_panes == "D5"
    assert ws.auto_filter.ref.startswith("A4:")
    header = [c.value for c in ws[4]]
    first = header.index("TC1")
    assert header[first:first + 19] == [f"TC{n}" for n in range(1, 20)]
    matrix = ds.status_matrix
    names = ds.communes["name"]
    checked = 0
    for row in ws.iter_rows(min_row=5, max_row=4 + len(ds.communes)):
        commune = names[names == row[2].value].index[0]
        for j in range(19):
            status = matrix.loc[commune, str(j + 1)]
            cell = row[first + j]
            assert fill_of(cell) == STATUS_COLORS[status].upper()
            assert cell.value == t(f"export.status.{status}", "vi")
            checked += 1
    assert checked == 5 * 19
    # sorted by criteria met, most first; criterion names in the header comments
    met = [r[4].value for r in ws.iter_rows(min_row=5, max_row=9)]
    assert met == sorted(met, reverse=True)
    assert ws.cell(4, first + 15).comment.text == "15. Y tế"
    # the legend row shows the three colours
    assert [fill_of(ws.cell(2, c)) for c in (2, 3, 4)] == [STATUS_COLORS[k].upper() for k in ("met", "not_met", "unknown")]


def test_user_text_starting_with_equals_stays_text(book):
    ws = book["Bảng tiêu chí"]
    hits = [c for row in ws.iter_rows(min_row=5) for c in row if c.value == FORMULA_NAME]
    assert hits and all(c.data_type == "s" for c in hits)
    assert hits[0].quotePrefix


def test_lagging_sheet_has_values_thresholds_and_gaps(book):
    ws = book["Chưa đạt TC15"]
    assert ws["A1"].value == "Các xã chưa đạt tiêu chí 15 – Y tế (2 xã)"
    assert ws.freeze_panes == "A4"
    rows = {r["Tên xã"]: r for r in rows_of(ws, 3)}
    assert set(rows) == {"Vân Nham", "Sơn Hồng"}
    row = rows["Vân Nham"]
    assert row["Chỉ tiêu"] == "15.1"
    assert row["Giá trị"] == 88.5 and row["Ngưỡng đạt"] == 95 and row["Còn thiếu"] == pytest.approx(6.5)
    assert row["Số người còn thiếu"] == 520  # 6.5 % of 8000 people
    assert row["Ghi chú ngưỡng"] == "Ngưỡng chưa xác minh với văn bản gốc"  # 15.1 is unverified (domain §2)
    assert rows["Sơn Hồng"]["Chỉ tiêu"] is None
    assert rows["Sơn Hồng"]["Nội dung chỉ tiêu"] == "(không có chỉ tiêu chưa đạt trong số liệu)"
    assert rows["Sơn Hồng"]["Giá trị"] is None
    ws17 = book["Chưa đạt TC17"]
    rows = {r["Tên xã"]: r for r in rows_of(ws17, 3)}
    assert set(rows) == {"Vân Nham", "Đức Thuận", "Sơn Hồng"}  # the "?" mark is unknown, not listed
    assert rows["Đức Thuận"]["Còn thiếu"] == pytest.approx(5) and rows["Đức Thuận"]["Số hộ còn thiếu"] == 75
    assert book["Chưa đạt TC19"].cell(4, 2).value == FORMULA_NAME


def test_timeline_marks_overdue_and_at_risk(book):
    ws = book["Lộ trình"]
    rows = {r["Tên xã"]: r for r in rows_of(ws, 4)}
    assert "Hòa Lạc" not in rows  # at the standard
    assert rows["Vân Nham"]["Tình trạng"] == "Quá hạn"
    assert rows["Vân Nham"]["Tiêu chí chưa đạt"] == "TC15, TC17"
    assert rows["Sơn Hồng"]["Tình trạng"] == "Có nguy cơ chậm"
    assert rows["Sơn Hồng"]["Tốc độ (tiêu chí/năm)"] == pytest.approx(1.0)
    assert rows["Đức Thuận"]["Tình trạng"] == "Trong kế hoạch"
    first = [r["Tình trạng"] for r in rows_of(ws, 4)][0]
    assert first == "Quá hạn"


def test_filters_are_applied_and_stated(ds):
    data = report_xlsx(ds, filters={"district": ["Hương Sơn"]}, current_year=2024)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    cells = {row[0]: row[1] for row in wb["Tổng quan"].iter_rows(values_only=True) if row[0] is not None}
    assert cells["Địa bàn"] == "Huyện Hương Sơn"
    assert cells["Bộ lọc"] == "Huyện: Hương Sơn"
    assert cells["Tổng số xã"] == 2
    names = [r[2].value for r in wb["Bảng tiêu chí"].iter_rows(min_row=5)]
    assert sorted(names) == ["Sơn Hồng", "Đức Thuận"]
    assert "Lộ trình" in wb.sheetnames


def test_english_headers_and_chosen_criteria(ds):
    data = report_xlsx(ds, lang="en", criteria=["17"], current_year=2024)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Overview", "Scorecard", "By criterion", "Not met C17", "Timeline"]
    header = [c.value for c in wb["Scorecard"][4]]
    assert header[:4] == ["No.", "Code", "Commune", "District"]
    assert wb["Scorecard"].cell(5, 6).value in {"Met", "Not met", "Unknown"}
    notes = wb["Timeline"]["A2"].value
    assert "two snapshots" in notes  # no history given


def test_column_widths_are_set(book):
    ws = book["Bảng tiêu chí"]
    assert ws.column_dimensions["C"].width >= len("Vân Nham")
    assert ws.column_dimensions["F"].width >= 9


def test_empty_selection_still_gives_every_base_sheet(ds):
    wb = openpyxl.load_workbook(io.BytesIO(report_xlsx(ds, filters={"district": ["Không có"]})))
    assert wb.sheetnames == ["Tổng quan", "Bảng tiêu chí", "Theo tiêu chí", "Lộ trình"]
    cells = {row[0]: row[1] for row in wb["Tổng quan"].iter_rows(values_only=True) if row[0] is not None}
    assert cells["Tổng số xã"] == 0


def test_ten_criteria_set():
    ds10 = make_dataset([{"name": "Vân Nham", "met": 7, "target_year": 2027},
                         {"name": "Hà Linh", "marks": "11111111?0"}], criteria_set="qd51", period=2026)
    wb = openpyxl.load_workbook(io.BytesIO(report_xlsx(ds10)))
    header = [c.value for c in wb["Bảng tiêu chí"][4]]
    assert header[5:15] == [f"TC{n}" for n in range(1, 11)] and header[4] == "Số tiêu chí đạt (/10)"
    assert "Chưa đạt TC10" in wb.sheetnames


def test_overview_and_criteria_sheets_carry_charts(ds):
    import zipfile

    with zipfile.ZipFile(io.BytesIO(report_xlsx(ds))) as archive:
        charts = sorted(n for n in archive.namelist() if n.startswith("xl/charts/chart"))
        assert len(charts) == 2
        stacked = archive.read(charts[1]).decode()
    assert 'grouping val="stacked"' in stacked
    for color in STATUS_COLORS.values():
        assert color.lstrip("#").upper() in stacked


def test_region_filter_is_stated_by_name(ds):
    wb = openpyxl.load_workbook(io.BytesIO(report_xlsx(ds, filters={"region": ["tdmnpb"]})))
    cells = {row[0]: row[1] for row in wb["Tổng quan"].iter_rows(values_only=True) if row[0] is not None}
    assert cells["Bộ lọc"] == "Vùng: Trung du và miền núi phía Bắc"
    assert cells["Tổng số xã"] == 2  # Vân Nham and Hòa Lạc


def national_lagging(communes: int = 1200) -> Dataset:
    """`communes` communes in ten districts, every one missing criterion 15 (a national-scale count)."""
    return make_dataset([{"name": f"Xã {i}", "district": f"Huyện {i % 10}", "not_met": ["15"]}
                         for i in range(communes)], period=2024)


def test_lagging_title_counts_with_a_thousands_mark():
    ds = national_lagging()
    for lang, count in (("vi", "1.200"), ("en", "1,200")):
        wb = openpyxl.load_workbook(io.BytesIO(report_xlsx(ds, lang=lang, current_year=2024)))
        title = wb[wb.sheetnames[[n.endswith("15") for n in wb.sheetnames].index(True)]]["A1"].value
        assert title.endswith(f"({count} xã)" if lang == "vi" else f"({count} communes)"), title


@pytest.mark.parametrize("value, lang, text", [(7, "vi", "7"), (1200, "vi", "1.200"), (1200, "en", "1,200"),
                                               (10_000_000, "vi", "10.000.000")])
def test_count_text(value, lang, text):
    from ntm_data.i18n import count_text

    assert count_text(value, lang) == text

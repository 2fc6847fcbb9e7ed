"""Which criteria set judges a sheet: the one passed, else the one the sheet names, else the one in force in
the report period's year (≤2020 QĐ 1980, 2021-2025 QĐ 318, ≥2026 QĐ 51), else QĐ 318."""
import openpyxl
import pytest

from ntm_data import load_dataset
from ntm_data.dataset import set_for_year
from tests.workbooks import to_bytes


def _sheet(title: str | None, criteria: int = 19, subtitle: str | None = None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "TH"
    ws.append([title])
    ws.append([subtitle])
    ws.append(["STT", "Tên xã", *[f"TC{n}" for n in range(1, criteria + 1)]])
    ws.append([1, "Vân Nham", *["Đạt"] * criteria])
    ws.append([2, "Hữu Liên", *["Chưa đạt", *["Đạt"] * (criteria - 1)]])
    return to_bytes(wb)


@pytest.mark.parametrize(("year", "expected"), [
    (None, "qd318"), (2016, "qd1980"), (2020, "qd1980"), (2021, "qd318"), (2025, "qd318"), (2026, "qd51"),
    (2030, "qd51"),
])
def test_set_for_year(year, expected):
    assert set_for_year(year) == expected


@pytest.mark.parametrize(("title", "criteria", "expected"), [
    ("TỔNG HỢP KẾT QUẢ XÃ NÔNG THÔN MỚI NĂM 2019", 19, "qd1980"),
    ("TỔNG HỢP KẾT QUẢ XÃ NÔNG THÔN MỚI NĂM 2020", 19, "qd1980"),
    ("TỔNG HỢP KẾT QUẢ XÃ NÔNG THÔN MỚI NĂM 2023", 19, "qd318"),
    ("TỔNG HỢP KẾT QUẢ XÃ NÔNG THÔN MỚI 6 THÁNG ĐẦU NĂM 2026", 10, "qd51"),
    ("TỔNG HỢP KẾT QUẢ XÃ NÔNG THÔN MỚI", 19, "qd318"),  # no period: the default
])
def test_sheet_naming_no_decision_is_judged_by_its_years_set(title, criteria, expected):
    ds = load_dataset(_sheet(title, criteria))
    assert ds.criteria_set.id == expected
    assert ds.detected_criteria_set is None  # what the sheet says: nothing
    assert len(ds.status_matrix.columns) == criteria
    assert ds.criteria_met.tolist() == [criteria, criteria - 1]
    assert ds.errors == ()


def test_a_named_decision_beats_the_year():
    ds = load_dataset(_sheet("TỔNG HỢP KẾT QUẢ NĂM 2026", subtitle="(theo Quyết định 318/QĐ-TTg)"))
    assert (ds.criteria_set.id, ds.detected_criteria_set) == ("qd318", "qd318")


def test_a_passed_set_beats_the_year():
    ds = load_dataset(_sheet("TỔNG HỢP KẾT QUẢ NĂM 2019"), criteria_set="qd318")
    assert ds.criteria_set.id == "qd318" and ds.detected_criteria_set is None


def test_the_year_set_judges_values_with_its_own_thresholds():
    """A 2019 sheet of 15.1 values is judged on QĐ 1980's 85 %, not QĐ 318's figure."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["SỐ LIỆU CHỈ TIÊU NĂM 2019"])
    ws.append(["STT", "Tên xã", "Vùng", "15.1. Tỷ lệ người dân tham gia BHYT (%)"])
    ws.append([1, "Vân Nham", "TDMNPB", "86%"])
    ds = load_dataset(to_bytes(wb))
    assert ds.criteria_set.id == "qd1980"
    row = ds.indicators.iloc[0]
    assert (row["threshold"], row["status"]) == (85.0, "met")

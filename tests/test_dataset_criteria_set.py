"""Which criteria set judges a sheet: the one passed, else the one the sheet names, else the one in force in
the report period's year (≤2020 QĐ 1980, 2021-2025 QĐ 318, ≥2026 QĐ 51), else QĐ 318."""
import io

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


@pytest.fixture
def reads(monkeypatch):
    """The criteria set ids the table was read with, in order."""
    from ntm_data import dataset

    seen: list[str] = []
    real = dataset.read_tables

    def counting(grids, criteria_set):
        seen.append(criteria_set.id)
        return real(grids, criteria_set)

    monkeypatch.setattr(dataset, "read_tables", counting)
    return seen


@pytest.mark.parametrize(("title", "criteria", "expected"), [
    ("TỔNG HỢP KẾT QUẢ XÃ NÔNG THÔN MỚI NĂM 2019", 19, ["qd1980"]),
    ("TỔNG HỢP KẾT QUẢ XÃ NÔNG THÔN MỚI NĂM 2023", 19, ["qd318"]),
    ("TỔNG HỢP KẾT QUẢ XÃ NÔNG THÔN MỚI 6 THÁNG ĐẦU NĂM 2026", 10, ["qd51"]),
    ("TỔNG HỢP KẾT QUẢ XÃ NÔNG THÔN MỚI", 19, ["qd318"]),
])
def test_the_table_is_read_once_when_the_title_names_the_year(reads, title, criteria, expected):
    assert load_dataset(_sheet(title, criteria)).criteria_set.id == expected[0]
    assert reads == expected


def test_a_wrong_guess_from_another_sheet_is_corrected_by_the_tables_title(reads):
    """A notes sheet speaks of 2019 first; the table's own title says 2023: QĐ 318 judges it."""
    wb = openpyxl.load_workbook(io.BytesIO(_sheet("TỔNG HỢP KẾT QUẢ XÃ NÔNG THÔN MỚI NĂM 2023")))
    notes = wb.create_sheet("Ghi chú", 0)
    notes.append(["Báo cáo bổ sung năm 2019"])
    ds = load_dataset(to_bytes(wb))
    assert (ds.criteria_set.id, ds.period.year) == ("qd318", 2023)
    assert reads == ["qd1980", "qd318"]
    assert ds.criteria_met.tolist() == [19, 18]

"""Cell names built column-wise from letters and row numbers match workbook.cell_name, cell by cell."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ntm_data.layouts.common import cell_grid, cells
from ntm_data.workbook import cell_name

ROWS = [0, 8, 9, 10, 98, 99, 999, 1_000, 12_344, 99_999, 1_048_575]
COLS = [0, 1, 25, 26, 27, 51, 52, 701, 702, 16_383]


def test_pairs():
    rows = np.array(ROWS * 2)
    cols = np.array((COLS + COLS[:1]) * 2)
    assert list(cells("Sheet", rows, cols)) == [cell_name(r, c) for r, c in zip(rows, cols, strict=True)]


@pytest.mark.parametrize("order", ["C", "F"])
def test_grid(order):
    names = list(cell_grid(ROWS, COLS, order))
    pairs = [(r, c) for r in ROWS for c in COLS] if order == "C" else [(r, c) for c in COLS for r in ROWS]
    assert names == [cell_name(r, c) for r, c in pairs]


def test_empty_and_dtype():
    assert len(cells("Sheet", np.array([], dtype=int), np.array([], dtype=int))) == 0
    assert len(cell_grid([], [1, 2])) == 0
    assert str(cell_grid([3], [4]).dtype) == "str"
    assert cell_grid([3], [4])[0] == "E4"


def test_values_frame_lists_sub_indicator_by_sub_indicator_with_exact_cells():
    """One block for all value columns: per-cents as text, fractions, 'Đạt' typed for a value, 'Chưa rõ',
    an unreadable value and one out of range, each with its own cell; frames keep their contract."""
    from ntm_data.catalogue import get_criteria_set
    from ntm_data.layouts.common import VALUE_COLUMNS
    from ntm_data.reader import read_tables
    from ntm_data.workbook import read_workbook
    from tests.workbooks import values_workbook

    headers = ["1.1. Quy hoạch (%)", "17.1. Tỷ lệ hộ sử dụng nước sạch (%)", "15.1. Tỷ lệ tham gia BHYT (%)"]
    rows_ = [
        {"name": "Xã Vân Nham", "values": ["95,2%", 0.952, "Đạt"]},
        {"name": "Hà", "values": [180, 0.5, "Chưa rõ"]},
        {"name": "Sơn Hà", "values": ["abc", 1.0, "90"]},
    ]
    read = read_tables(read_workbook(values_workbook(rows_, headers)), get_criteria_set("qd318"))
    values = read.values
    assert list(values.columns) == VALUE_COLUMNS
    assert values["indicator"].tolist() == ["1.1"] * 3 + ["17.1"] * 3 + ["15.1"] * 3
    assert values["cell"].tolist() == ["C4", "C5", "C6", "D4", "D5", "D6", "E4", "E5", "E6"]
    got = dict(zip(zip(values["commune_id"], values["indicator"], strict=True), values["value"], strict=True))
    assert got[("vân nham", "1.1")] == pytest.approx(95.2)
    assert got[("vân nham", "17.1")] == pytest.approx(95.2)  # a column of fractions: 0.952 is 95.2 %
    assert got[("hà", "17.1")] == pytest.approx(50.0)
    assert got[("sơn hà", "15.1")] == pytest.approx(90.0)
    assert np.isnan(got[("hà", "1.1")]) and np.isnan(got[("sơn hà", "1.1")])
    marks = dict(zip(values["cell"], values["mark"], strict=True))
    assert marks["E4"] == "met" and pd.isna(marks["E5"])
    assert values["mark_cell"].isna().all()
    issues = [(i.code, i.cell) for i in read.issues]
    assert ("value_out_of_range", "C5") in issues and ("bad_number", "C6") in issues
    assert not any(cell in ("E5", "E4") for _, cell in issues)  # 'Chưa rõ' and 'Đạt' are not errors

"""The reader hands evaluation integer codes: commune, criterion, sub-indicator, sheet (and mark) columns
are categoricals built from row positions, and stay categorical when several tables' rows are joined."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ntm_data.catalogue import get_criteria_set
from ntm_data.codes import codes
from ntm_data.reader import _concat, read_tables
from ntm_data.workbook import read_workbook
from tests.workbooks import values_workbook

HEADERS = ["1.1. Quy hoạch (%)", "17.1. Tỷ lệ hộ sử dụng nước sạch (%)"]
ROWS = [
    {"name": "Xã Vân Nham", "values": ["95,2%", 0.952]},
    {"name": "Hà", "values": [180, "Đạt"]},
    {"name": "Sơn Hà", "values": ["abc", 1.0]},
]


def _read():
    return read_tables(read_workbook(values_workbook(ROWS, HEADERS)), get_criteria_set("qd318"))


@pytest.mark.parametrize("column", ["commune_id", "indicator", "criterion", "sheet", "mark"])
def test_value_columns_are_categorical(column):
    values = _read().values
    assert isinstance(values[column].dtype, pd.CategoricalDtype)


def test_commune_codes_follow_the_rows_read():
    read = _read()
    got, uniques = codes(read.values["commune_id"])
    assert [uniques[c] for c in got] == read.communes["commune_id"].tolist() * 2
    assert read.values["indicator"].tolist() == ["1.1"] * 3 + ["17.1"] * 3
    assert read.values["criterion"].tolist() == ["1"] * 3 + ["17"] * 3
    assert read.values["mark"].tolist()[4] == "met" and read.values["mark"].isna().sum() == 5


def _frame(ids: list[str | None], categorical: bool) -> pd.DataFrame:
    column = pd.Series(ids, dtype="category" if categorical else object)
    return pd.DataFrame({"commune_id": column, "cell": [f"A{i}" for i in range(len(ids))]})


@pytest.mark.parametrize(("first", "second"), [(True, True), (True, False), (False, True)])
def test_concat_unites_categories_or_falls_back(first, second):
    a, b = _frame(["x", "y", None], first), _frame(["z", "x"], second)
    joined = _concat([a, b])
    assert joined["commune_id"].tolist()[:2] + joined["commune_id"].tolist()[3:] == ["x", "y", "z", "x"]
    assert pd.isna(joined["commune_id"].iloc[2])
    assert joined["cell"].tolist() == ["A0", "A1", "A2", "A0", "A1"]
    assert isinstance(joined["commune_id"].dtype, pd.CategoricalDtype) == (first and second)
    got, uniques = codes(joined["commune_id"])
    assert got[2] == -1 and uniques[got[0]] == uniques[got[4]] == "x"
    assert isinstance(joined.index, pd.RangeIndex) and np.array_equal(joined.index, np.arange(5))


def test_concat_of_one_non_empty_table_is_that_table():
    a = _frame(["x"], True)
    assert _concat([a, _frame([], False)])["commune_id"].tolist() == ["x"]
    assert isinstance(_concat([a, _frame([], False)])["commune_id"].dtype, pd.CategoricalDtype)

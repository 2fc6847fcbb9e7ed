"""The reader's fast paths give exactly what the plain ones give: cell names over changing row sets, blocks
of cells over runs of columns (short rows included), the name-pattern scan, NFC with stray spaces, and the
collector pause around load_dataset, year texts searched as typed, the ids lookup that finds the communes
themselves, each sheet's first commune row, codes and districts kept as objects."""
from __future__ import annotations

import gc
import threading

import numpy as np
import pandas as pd
import pytest

from ntm_data.catalogue import get_criteria_set
from ntm_data.dataset import _collector_paused, load_dataset
from ntm_data.evaluate import _lookup
from ntm_data.layouts import rows as rows_module
from ntm_data.layouts.common import DISTRICT_NAME, block, cell_grid
from ntm_data.model import ReadError
from ntm_data.reader import _workbook_areas
from ntm_data.text import (
    matching_indices,
    nfc,
    nfc_all,
    parse_number,
    parse_number_all,
    parse_year,
    parse_year_all,
)
from ntm_data.workbook import SheetGrid, cell_name


@pytest.mark.parametrize("row_sets", [
    ([0, 9, 99], [1, 10, 100]),  # same length, other rows: the kept digit codes must not be reused
    ([5, 6, 7], [5, 6, 7], [5, 6]),
    ([1_048_575, 0], [99_999, 9]),
])
def test_cell_names_follow_each_row_set(row_sets):
    for rows in row_sets:
        assert list(cell_grid(np.array(rows), [0, 26, 702], "F")) == [cell_name(r, c) for c in (0, 26, 702)
                                                                         for r in rows]


def _plain_block(grid: SheetGrid, rows: list[int], cols: list[int]) -> list[list[object]]:
    return [[grid.value(r, c) for c in cols] for r in rows]


@pytest.mark.parametrize("cols", [[0, 1, 2, 3], [1, 2, 3], [2, 3], [0, 2, 3], [3], [1, 2, 3, 4, 5]])
@pytest.mark.parametrize("short_row", [False, True])
def test_block_matches_cell_by_cell(cols, short_row):
    grid_rows = [[1.0, "Xã A", "Đạt", "95,2%"], [2.0, "Xã B", None, 3], ["", "", "", ""], [4.0, "Xã D", "x", True]]
    if short_row:
        grid_rows[1] = [2.0, "Xã B"]  # a row shorter than the widest one: "" beyond its end
    grid = SheetGrid("S", grid_rows)
    picked = [0, 1, 3]
    out = block(grid, picked, cols)
    assert out.shape == (3, len(cols)) and out.dtype == object
    plain = _plain_block(grid, picked, cols)
    assert out.tolist() == plain
    assert [[type(v) for v in row] for row in out.tolist()] == [[type(v) for v in row] for row in plain]


def test_name_patterns_scanned_together_match_each_pattern():
    texts = ["tong cong", "i. huyen a", "a) xa b", "cac xa dat", "huyen huu lung", "tp. lang son", "tan lap",
             "thanh pho x", "luy ke", "", "xa da dat chuan", "ii - x", "minh phu", "quan 1", "tong"]
    one_by_one = [i for i, t in enumerate(texts)
                  if rows_module._TOTALS.match(t) or rows_module._GROUP.match(t) or DISTRICT_NAME.match(t)]
    assert matching_indices(rows_module._TOTALS_GROUP_DISTRICT, texts) == one_by_one


@pytest.mark.parametrize("texts", [
    ["Minh Phú", "Hồng Thọ"],
    [" Minh Phú", "Hồng Thọ"],
    ["Minh Phú ", "Hồng Thọ"],
    ["Minh  Phú", "Hồng Thọ"],
    ["Minh Phú", " Hồng Thọ "],
    ["Minh Phú", "Hồng Thọ "],
    ["", " ", "A"],
])
def test_nfc_all_collapses_spaces_only_where_there_are_some(texts):
    assert nfc_all(texts) == [nfc(t) for t in texts]


def test_collector_paused_restores_state_and_nests():
    was = gc.isenabled()
    try:
        gc.enable()
        with _collector_paused():
            assert not gc.isenabled()
            with _collector_paused():
                assert not gc.isenabled()
            assert not gc.isenabled()
        assert gc.isenabled()
        gc.disable()  # an application that runs without the collector keeps it off
        with _collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()


def test_collector_back_on_after_a_failed_load_and_across_threads(tmp_path):
    was = gc.isenabled()
    gc.enable()
    try:
        bad = tmp_path / "bad.xlsx"
        bad.write_bytes(b"not a workbook")
        with pytest.raises(ReadError):
            load_dataset(bad)
        assert gc.isenabled()
        start, errors = threading.Barrier(4), []

        def hold() -> None:
            try:
                start.wait()
                for _ in range(50):
                    with _collector_paused():
                        pass
            except Exception as exc:  # pragma: no cover
                errors.append(exc)

        threads = [threading.Thread(target=hold) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors and gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()


@pytest.mark.parametrize("values", [
    ["8.149", "10.537", "1.234,5", "95,2%", "", "-", "abc", "45 triệu đồng", "1,234,567", "0.952"],  # texts only
    ["8.149", 4292.0, "", None, True, "95,2%"],  # mixed cells
    [],
])
def test_parse_number_all_matches_parse_number(values):
    assert np.array_equal(parse_number_all(values), np.array([parse_number(v) for v in values], dtype=float),
                          equal_nan=True)


@pytest.mark.parametrize("values", [
    ["2024 (QĐ 360/QĐ-UBND)", "Đạt năm 2021", "1999", 2022.0],  # printable: searched as typed
    ["2024 (QĐ 360/QĐ-UBND)", "20\u200b24", "2024\u200b5", "năm\u00a02023"],  # a format character: through nfc()
    ["٢٠٢٤", "2024 (QĐ 1/QĐ-UBND)", "x 2100 y"],  # digits of another script: Python's regex
])
def test_parse_year_all_matches_parse_year(values):
    assert parse_year_all(values) == [parse_year(v) for v in values]


@pytest.mark.parametrize(("uniques", "expected"), [
    (["b", "a", "c"], [1, 0, 2, -1]),  # other order: looked up
    (["a", "b", "c"], [0, 1, 2, -1]),  # the keys themselves: the codes are the positions
    (["a", "b"], [0, 1, -1, -1]),
])
def test_lookup_positions_in_keys(uniques, expected):
    codes = np.array([0, 1, 2, -1])[: len(uniques)].tolist() + [-1] * (4 - len(uniques))
    found = _lookup(np.array(codes, dtype=np.intp), pd.Index(uniques, dtype=object), pd.Index(["a", "b", "c"], dtype=object))
    assert found.tolist() == expected


def test_workbook_areas_read_above_each_sheets_first_commune():
    def sheet(name: str, district: str) -> SheetGrid:
        return SheetGrid(name, [[f"UBND HUYỆN {district}"], ["BÁO CÁO KẾT QUẢ"], ["STT"], [1.0], [2.0]])

    grids = (sheet("A", "HỮU LŨNG"), sheet("B", "CHI LĂNG"))
    communes = pd.DataFrame({"sheet": ["B", "A", "B", None], "row": [5, 4, 4, 1]})
    areas = _workbook_areas(grids, communes, "A")
    assert areas.districts == ("Huyện Chi Lăng", "Huyện Hữu Lũng")  # sheets in reading order of the communes
    assert areas.issuing_body is None  # two different bodies


def test_summary_codes_and_districts_are_objects_with_none():
    grid = SheetGrid("S", [
        ["STT", "Mã xã", "Tên xã", "Huyện", "1. Quy hoạch", "2. Giao thông", "3. Thủy lợi"],
        [1.0, "00116", "Yên Hiệp", "Đức Thắng", "x", "x", ""],
        [2.0, "", "Minh Phú", "", "x", "", "x"],
    ])
    criteria_set = get_criteria_set("qd318")
    table = rows_module.find_row_tables(grid, criteria_set)[0]
    communes = rows_module.read_row_table(table, criteria_set).communes
    assert communes["code"].dtype == object and communes["code"].tolist() == ["00116", None]
    assert communes["district"].dtype == object and communes["district"].tolist() == ["Đức Thắng", None]

"""What every layout reader produces (a TableRead of tidy frames) and the helpers they share."""
from __future__ import annotations

import operator
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ntm_data.model import Issue, Severity
from ntm_data.text import commune_key, fold, has_percent_sign, is_blank, nfc, parse_mark, parse_number
from ntm_data.workbook import FormulaText, SheetGrid, column_letter

# Frames a layout reader fills; dataset.load_dataset merges them and evaluate.py judges them.
RAW_COMMUNE_COLUMNS = [
    "commune_id", "name", "code", "district", "region_text", "region_cell", "population", "households",
    "target_year", "recognized_year", "sheet", "row", "name_cell", "reported_met", "reported_met_cell",
    "mark_range",
]
MARK_COLUMNS = ["commune_id", "criterion", "mark", "raw", "sheet", "cell"]
VALUE_COLUMNS = ["commune_id", "indicator", "criterion", "value", "mark", "sheet", "cell", "mark_cell"]


@dataclass(frozen=True)
class TableRead:
    """One table read from one sheet: communes (RAW_COMMUNE_COLUMNS, one row per commune read, in sheet
    order), criterion marks (MARK_COLUMNS; `mark` "met"/"not_met", "unknown" for an explicit "Chưa rõ",
    None when unreadable), sub-indicator values (VALUE_COLUMNS; `mark` the sheet's own "met"/"not_met"
    for that value or None) and issues."""

    sheet: str
    layout: str
    communes: pd.DataFrame
    marks: pd.DataFrame
    values: pd.DataFrame
    issues: list[Issue] = field(default_factory=list)
    score: float = 0.0


def empty_frame(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def make_issue(severity: Severity, code: str, sheet: str | None, cell: str | None, **params: Any) -> Issue:
    """An Issue whose message can name its own sheet and cell ({sheet}, {cell} placeholders)."""
    return Issue(severity, code, sheet, cell, {"sheet": sheet or "", "cell": cell or "", **params})


def warn(code: str, sheet: str | None, cell: str | None = None, **params: Any) -> Issue:
    return make_issue(Severity.WARNING, code, sheet, cell, **params)


def error(code: str, sheet: str | None, cell: str | None = None, **params: Any) -> Issue:
    return make_issue(Severity.ERROR, code, sheet, cell, **params)


def unreadable(code: str, sheet: str | None, cell: str | None, value: object, **params: Any) -> Issue:
    """The warning for a cell whose content cannot be used; a formula saved without its result gets
    its own advice (open the file in Excel and save it), whatever the column."""
    if isinstance(value, FormulaText):
        return warn("formula_without_value", sheet, cell, formula=str(value))
    return warn(code, sheet, cell, value=display(value), **params)


def out_of_range(sheet: str | None, cell: str, value: float, indicator: str) -> Issue:
    """A per-cent outside 0-100 (180, -3): a typing slip the sheet must fix; the value is not used."""
    return warn("value_out_of_range", sheet, cell, value=f"{value:g}".replace(".", ","), indicator=indicator)


def display(value: object) -> str:
    """A cell value as the user typed it, for messages."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return nfc(value)


_STOP = re.compile(
    r"^(\*?\s*ghi chu|\*?\s*chu thich|nguoi lap|nguoi tong hop|noi nhan|tm\.?\s|t/m|kt\.?\s|k/t|chu tich"
    r"|pho chu tich|truong ban|truong phong|thu truong|xac nhan|luu[: ]|nguon[: ]|ngay \.|ngay \d|\(ky"
    r"|lap bieu|giam doc|ban chi dao|(\S+ )?, ngay)"
)


def body_rows(grid: SheetGrid, start: int) -> Iterator[tuple[int, list[Any], Any]]:
    """The body of a table from row `start`: (row index, cells, first non-blank value) per row. Blank rows
    are skipped and the body ends at the notes and signatures below it ("Người lập biểu", "Ghi chú", ...)."""
    for r in range(start, grid.height):
        row = grid.rows[r]
        first = next((v for v in row if not is_blank(v)), None)
        if first is None:
            continue
        if is_stop_text(first):
            return
        yield r, row, first


def is_stop_text(value: object) -> bool:
    """True for the first text of a notes or signature block below a table."""
    return isinstance(value, str) and bool(_STOP.match(fold(value)))


def cells(sheet: str, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Cell names for every (row, col) pair of 0-based arrays: "F12"."""
    row_list = np.asarray(rows, dtype=int).tolist()
    col_list = np.asarray(cols, dtype=int).tolist()
    letters = {c: column_letter(c) for c in set(col_list)}
    out = np.empty(len(row_list), dtype=object)
    out[:] = [f"{letters[c]}{r + 1}" for r, c in zip(row_list, col_list, strict=True)]
    return out


def object_frame(columns: dict[str, Any], length: int) -> pd.DataFrame:
    """A DataFrame whose text columns stay plain object arrays: letting pandas convert 200,000 cell
    names to its Arrow string type costs more than reading them. Floats stay floats; scalars repeat."""
    data = {}
    for name, value in columns.items():
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            data[name] = value
        elif isinstance(value, np.ndarray | list | pd.Series):
            array = np.empty(length, dtype=object)
            array[:] = value.to_numpy(dtype=object) if isinstance(value, pd.Series) else value
            data[name] = pd.Series(array, dtype=object)
        else:
            data[name] = pd.Series(np.full(length, value, dtype=object), dtype=object)
    return pd.DataFrame(data)


def block(grid: SheetGrid, rows: list[int], cols: list[int]) -> np.ndarray:
    """The values of grid rows x cols as a 2-D object array ("" outside the sheet)."""
    out = np.empty((len(rows), len(cols)), dtype=object)
    if not len(rows) or not len(cols):
        return out
    sheet_rows = grid.rows
    try:
        if len(cols) == 1:
            c = cols[0]
            out[:, 0] = [sheet_rows[r][c] for r in rows]
        else:
            get = operator.itemgetter(*cols)
            out[:] = [get(sheet_rows[r]) for r in rows]
    except IndexError:  # a row shorter than the widest one
        for i, r in enumerate(rows):
            row = sheet_rows[r]
            out[i] = [row[c] if c < len(row) else "" for c in cols]
    return out


def map_unique(values: np.ndarray, func: Any) -> np.ndarray:
    """func applied once per distinct value (cells repeat a lot: "Đạt" x 10,000), same shape back."""
    flat = values.ravel()
    if not len(flat):
        return np.empty(values.shape, dtype=object)
    codes, uniques = pd.factorize(pd.Series(flat, dtype=object), use_na_sentinel=False)
    mapped = np.empty(len(uniques), dtype=object)
    mapped[:] = [func(u) for u in uniques]
    return mapped[codes].reshape(values.shape)


def parse_marks(values: np.ndarray) -> np.ndarray:
    """Object array of "met" / "not_met" / "unknown" (explicit: "Chưa rõ") / None (unreadable)."""
    return map_unique(values, parse_mark)


def parse_numbers(values: np.ndarray, *, percent: bool) -> tuple[np.ndarray, np.ndarray]:
    """(float values, unreadable mask) for one value column; a percent column whose plain numbers
    are all at most 1 holds fractions (0.952 = 95.2 %), which become per-cents."""
    numbers = map_unique(values, parse_number).astype(float)
    blank = map_unique(values, _no_value).astype(bool)
    if percent:
        plain = ~map_unique(values, has_percent_sign).astype(bool) & ~np.isnan(numbers)
        if plain.any() and np.nanmax(np.abs(numbers[plain])) <= 1.0:
            numbers = np.where(plain, numbers * 100.0, numbers)
    return numbers, np.isnan(numbers) & ~blank


def _no_value(value: object) -> bool:
    return is_blank(value) or (isinstance(value, str) and value.strip() in ("-", "--", "---", "…", "..."))


def group_district(text: str) -> str | None:
    """'I. Huyện Hữu Lũng' -> 'Huyện Hữu Lũng' when a group row names a district, else None."""
    stripped = re.sub(r"^\s*([IVXLC]+|[A-Z]|\d{1,2})\s*[.)/:\-–]\s*", "", nfc(text))
    if re.match(r"^(huyen|quan|thi xa|thanh pho|tp\.?)\s", fold(stripped)):
        return stripped
    return None


def commune_ids(communes: pd.DataFrame) -> pd.Series:
    """commune_id per row: the commune code when present, else commune_key(name). Names that repeat
    within different districts are qualified by the district ("hữu lũng/tân lập") so that namesakes in
    two districts stay two communes."""
    keys = communes["name"].astype(object).map(str.casefold)  # == commune_key of the raw name
    ids = communes["code"].where(communes["code"].notna(), keys)
    no_code = communes["code"].isna()
    district = pd.Series(map_unique(communes["district"].fillna("").to_numpy(dtype=object), commune_key),
                         index=communes.index)
    spread = pd.DataFrame({"key": keys, "district": district})[no_code].groupby("key")["district"].nunique()
    namesakes = no_code & keys.isin(spread[spread > 1].index)
    ids = ids.where(~namesakes, district + "/" + keys)
    return ids.astype(object)

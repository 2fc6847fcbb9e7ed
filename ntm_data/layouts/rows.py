"""Row-per-commune tables: the district summary of criterion marks (layout a) and the sheet of
sub-indicator values (layout b). Finds the header band, classifies columns, reads the commune rows."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ntm_data.layouts.common import (
    MARK_COLUMNS,
    RAW_COMMUNE_COLUMNS,
    VALUE_COLUMNS,
    TableRead,
    block,
    body_rows,
    cells,
    commune_ids,
    display,
    empty_frame,
    group_district,
    map_unique,
    object_frame,
    out_of_range,
    parse_marks,
    parse_numbers,
    unreadable,
    warn,
)
from ntm_data.layouts.headers import (
    COLUMN_MARKER,
    ColumnRole,
    bare_int,
    classify_column,
    is_name_header,
)
from ntm_data.layouts.long import long_columns, read_long
from ntm_data.tcvn3 import decode_tcvn3, looks_like_tcvn3
from ntm_data.text import (
    UNKNOWN_MARK,
    fold,
    is_blank,
    mark_key,
    nfc,
    parse_mark,
    parse_number,
    parse_year,
    strip_commune_prefix,
)
from ntm_data.workbook import SheetGrid, column_letter

HEADER_SCAN_ROWS = 60  # the title block of a real sheet is under 15 rows; notes sheets can be longer
MAX_HEADER_DEPTH = 4  # headers are merged over 2-3 rows, plus a row of column numbers

_TOTALS = re.compile(
    r"^(tong cong|tong so|tong\b|cong\b|toan (huyen|tinh|thi xa|thanh pho|quan)|binh quan|trung binh"
    r"|ty le|so xa|luy ke)"
)
_GROUP = re.compile(r"^([ivxlc]+|[a-h])\s*[.)/:\-–]\s*\S|^(cac xa|nhom xa|xa da dat|xa chua dat|xa dat)")
_ROMAN = re.compile(r"^([IVXLC]+|[A-H])\.?$")


@dataclass(frozen=True)
class RowTable:
    """Where a row-per-commune table sits: header rows top..bottom, data from `data_start`."""

    sheet: SheetGrid
    top: int
    bottom: int
    data_start: int
    name_col: int
    columns: tuple[ColumnRole, ...]
    layout: str  # "summary" | "values" | "long"

    def of_role(self, role: str) -> list[ColumnRole]:
        return [c for c in self.columns if c.role == role]

    def first(self, role: str) -> int | None:
        found = self.of_role(role)
        return found[0].col if found else None

    @property
    def score(self) -> float:
        keyed = sum(1 for c in self.columns if c.role in ("criterion", "indicator"))
        meta = sum(1 for c in self.columns if c.role not in ("criterion", "indicator", "ignore", "indicator_status"))
        return 3.0 * keyed + meta


def _header_like(row: list[Any]) -> bool:
    """A row that can belong to a header band: text labels and small column numbers, no marks/values."""
    filled = [v for v in row if not is_blank(v)]
    if not filled:
        return False
    for v in filled:
        if isinstance(v, str):
            if parse_mark(v) == "met" and fold(v) not in ("dat",):  # "Đạt" may head a status column
                return False
        elif isinstance(v, bool) or not isinstance(v, int | float) or not float(v).is_integer() or v > 99:
            return False  # dates, times, fractions and large numbers are data
    return True


def _distinct(values: list[Any]) -> set[str]:
    return {nfc(v) for v in values if not is_blank(v)}


def _band(grid: SheetGrid, row: int, col: int) -> tuple[int, int, int]:
    """(top, bottom, data_start) of the header band whose name header is at (row, col)."""
    text = grid.value(row, col)
    bottom = row
    while bottom + 1 < grid.height and bottom - row < MAX_HEADER_DEPTH - 1:
        below = grid.value(bottom + 1, col)
        if below == text or (is_blank(below) and _header_like(grid.rows[bottom + 1])):
            bottom += 1
        else:
            break
    data_start = bottom + 1
    marker = grid.value(data_start, col)
    if not is_blank(marker) and COLUMN_MARKER.match(nfc(marker)):
        data_start += 1  # a row of column numbers "(1) (2) (3)" under the header
    top = row
    for _ in range(2):  # a parent header row above an unmerged name header
        above = top - 1
        if above < 0 or not is_blank(grid.value(above, col)):
            break
        cells_above = grid.rows[above]
        if len(_distinct(cells_above)) < 2 or not _header_like(cells_above):
            break
        top = above
    return top, bottom, data_start


def _classify(grid: SheetGrid, top: int, bottom: int, name_col: int, criteria_set: Any) -> tuple[ColumnRole, ...]:
    width = max((len(grid.rows[r]) for r in range(top, bottom + 1)), default=0)
    criteria_count = len(criteria_set.criteria)
    many_ints = {
        r for r in range(top, bottom + 1)
        if sum(1 for v in grid.rows[r] if (n := bare_int(v)) is not None and 1 <= n <= criteria_count) >= 3
    }
    columns: list[ColumnRole] = []
    seen: set[tuple[str, str | None]] = set()
    for col in range(width):
        pieces: list[str] = []
        bare_ok = False
        for r in range(top, bottom + 1):
            value = grid.value(r, col)
            if is_blank(value):
                continue
            text = display(value)
            if text not in pieces:
                pieces.append(text)
            bare_ok = bare_ok or (r in many_ints and bare_int(value) is not None)
        if col == name_col:
            role = ColumnRole(col, "name", None, " | ".join(pieces))
        else:
            role = classify_column(col, pieces, criteria_set, bare_ok=bare_ok)
            if role.role == "status_orphan":
                prev = columns[-1] if columns else None
                role = (ColumnRole(col, "indicator_status", prev.key, role.label)
                        if prev is not None and prev.role == "indicator" else ColumnRole(col, "ignore", None, role.label))
            if role.role == "name" or (role.role, role.key) in seen:
                role = ColumnRole(col, "ignore", None, role.label)
        if role.role != "ignore":
            seen.add((role.role, role.key))
        columns.append(role)
    return tuple(columns)


SAMPLE_ROWS = 50  # data rows looked at to tell a criterion's value column from its mark column


def _numeric_criteria_as_values(grid: SheetGrid, data_start: int, columns: tuple[ColumnRole, ...],
                                criteria_set: Any) -> tuple[ColumnRole, ...]:
    """A column headed by a criterion measured by one value ("10. Thu nhập (triệu đồng)") that holds
    numbers rather than marks is that value, not a mark."""
    out = []
    for column in columns:
        if column.role == "criterion" and criteria_set.indicator(column.key) is not None:
            sample = [grid.value(r, column.col) for r in range(data_start, min(grid.height, data_start + SAMPLE_ROWS))]
            numbers = [parse_number(v) for v in sample if not is_blank(v)]
            if numbers and sum(1 for x in numbers if x == x and x not in (0.0, 1.0)) > len(numbers) / 2:
                column = ColumnRole(column.col, "indicator", column.key, column.label)
        out.append(column)
    return tuple(out)


def find_row_tables(grid: SheetGrid, criteria_set: Any) -> list[RowTable]:
    """Every candidate row-per-commune table in a sheet (one per name-column header found)."""
    found: list[RowTable] = []
    for r in range(min(grid.height, HEADER_SCAN_ROWS)):
        row = grid.rows[r]
        for c, value in enumerate(row):
            if isinstance(value, str) and is_name_header(value) and grid.value(r - 1, c) != value:
                top, bottom, data_start = _band(grid, r, c)
                columns = _numeric_criteria_as_values(grid, data_start, _classify(grid, top, bottom, c, criteria_set),
                                                      criteria_set)
                criteria = sum(1 for x in columns if x.role == "criterion")
                indicators = sum(1 for x in columns if x.role == "indicator")
                if criteria >= 3:
                    layout = "summary"
                elif indicators or criteria:
                    layout = "values"
                else:
                    long = long_columns(grid, top, bottom, c)
                    if long is None:
                        continue
                    columns, layout = long, "long"
                found.append(RowTable(grid, top, bottom, data_start, c, columns, layout))
                break
    return found


def _commune_rows(table: RowTable) -> tuple[list[int], list[str | None], list[Any]]:
    """Data rows holding a commune, the district a group row above each names, and issues."""
    grid = table.sheet
    stt = table.first("stt")
    keyed = [c.col for c in table.columns if c.role in ("criterion", "indicator", "indicator_status")]
    first_keyed = keyed[0] if keyed else None
    rows: list[int] = []
    groups: list[str | None] = []
    issues: list[Any] = []
    group: str | None = None
    for r, _row, first in body_rows(grid, table.data_start):
        name = grid.value(r, table.name_col)
        if is_blank(name) or not isinstance(name, str):
            if any(not is_blank(grid.value(r, c)) for c in keyed) and not isinstance(first, str):
                issues.append(warn("missing_name", grid.name, f"{column_letter(table.name_col)}{r + 1}", row=r + 1))
            elif isinstance(first, str) and _GROUP.match(fold(first)):
                group = group_district(first) or group
            continue
        folded = fold(name)
        stt_value = grid.value(r, stt) if stt is not None else ""
        if _TOTALS.match(folded) and (is_blank(stt_value) or _TOTALS.match(fold(stt_value))):
            continue
        merged_across = first_keyed is not None and grid.value(r, first_keyed) == name
        roman = isinstance(stt_value, str) and bool(_ROMAN.match(stt_value.strip()))
        if merged_across or roman or _GROUP.match(folded):
            if _TOTALS.match(folded):
                continue
            group = group_district(name) or (group_district(f"I. {name}") if roman else None) or group
            continue
        rows.append(r)
        groups.append(group)
    return rows, groups, issues


def read_row_table(table: RowTable, criteria_set: Any) -> TableRead:
    """Read the communes, marks and values of a row-per-commune table (see TableRead)."""
    grid = table.sheet
    sheet = grid.name
    if table.layout == "long":
        communes, marks, values, issues = read_long(table, criteria_set)
        score = 3.0 * (marks["criterion"].nunique() + values["indicator"].nunique()) + 0.01 * len(communes)
        return TableRead(sheet, "long", communes, marks, values, issues, score)
    rows, groups, issues = _commune_rows(table)
    row_array = np.array(rows, dtype=int)
    n = len(rows)

    def column(role: str) -> np.ndarray | None:
        col = table.first(role)
        return None if col is None else block(grid, rows, [col])[:, 0]

    names_raw = block(grid, rows, [table.name_col])[:, 0]
    name_cells = cells(sheet, row_array, np.full(n, table.name_col))
    legacy = map_unique(names_raw, looks_like_tcvn3).astype(bool)
    if legacy.any():
        # A name typed in the .VnTime font is read as the Unicode it stands for, so that the commune
        # matches itself in other snapshots; it is still reported. Only names that are TCVN3 on their
        # own are decoded: "Vân Nham" would decode to "Võn Nham" and must stay as typed.
        names_raw = names_raw.copy()
        for i in np.flatnonzero(legacy):
            decoded = nfc(decode_tcvn3(names_raw[i]))
            issues.append(warn("tcvn3_name", sheet, name_cells[i], name=display(names_raw[i]), decoded=decoded))
            names_raw[i] = decoded
    names = np.array([_commune_name(v) for v in names_raw], dtype=object)

    codes_raw = column("code")
    codes = (map_unique(codes_raw, _code) if codes_raw is not None else np.full(n, None, dtype=object))
    district_raw = column("district")
    districts = (map_unique(district_raw, lambda v: None if is_blank(v) else nfc(v))
                 if district_raw is not None else np.array(groups, dtype=object))
    if district_raw is not None:
        districts = np.where(pd.isna(districts.astype(object)), np.array(groups, dtype=object), districts)
    region_raw = column("region")
    regions = (map_unique(region_raw, lambda v: None if is_blank(v) else nfc(v))
               if region_raw is not None else np.full(n, None, dtype=object))

    communes = pd.DataFrame({
        "commune_id": None,
        "name": names,
        "code": codes,
        "district": districts,
        "region_text": regions,
        "region_cell": (cells(sheet, row_array, np.full(n, table.first("region")))
                        if region_raw is not None else None),
        "population": _numbers(column("population"), n),
        "households": _numbers(column("households"), n),
        "target_year": _years(table, "target_year", rows, issues),
        "recognized_year": _years(table, "recognized_year", rows, issues),
        "sheet": sheet,
        "row": row_array + 1,
        "name_cell": name_cells,
        "reported_met": np.nan,
        "reported_met_cell": None,
        "mark_range": None,
    })
    communes["commune_id"] = commune_ids(communes)

    if table.layout == "summary":
        present = {c.key for c in table.of_role("criterion")}
        missing = [c.number for c in criteria_set.criteria if c.number not in present]
        if missing:
            first_row = table.top + 1
            issues.append(warn("missing_criterion_columns", sheet, f"A{first_row}", criteria=", ".join(missing)))
    marks = _marks(table, rows, communes, issues)
    values = _values(table, rows, communes, criteria_set, issues)
    met_col = table.first("criteria_met")
    crit_cols = [c.col for c in table.of_role("criterion")]
    if met_col is not None and crit_cols:
        raw = block(grid, rows, [met_col])[:, 0]
        communes["reported_met"] = map_unique(raw, _reported_count).astype(float)
        communes["reported_met_cell"] = cells(sheet, row_array, np.full(n, met_col))
        lo, hi = column_letter(min(crit_cols)), column_letter(max(crit_cols))
        communes["mark_range"] = [f"{lo}{r + 1}:{hi}{r + 1}" for r in rows]
    return TableRead(sheet, table.layout, communes[RAW_COMMUNE_COLUMNS], marks, values, issues, table.score + 0.01 * n)


def _commune_name(value: object) -> str:
    return strip_commune_prefix(value)


def _code(value: object) -> str | None:
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return nfc(value)


def _reported_count(value: object) -> float:
    if isinstance(value, str) and "/" in value:  # "15/19"
        value = value.split("/")[0]
    return parse_number(value)


def _numbers(values: np.ndarray | None, n: int) -> np.ndarray:
    if values is None:
        return np.full(n, np.nan)
    return map_unique(values, parse_number).astype(float)


def _years(table: RowTable, role: str, rows: list[int], issues: list[Any]) -> pd.Series:
    col = table.first(role)
    if col is None:
        return pd.Series([pd.NA] * len(rows), dtype="Int64")
    raw = block(table.sheet, rows, [col])[:, 0]
    years = map_unique(raw, parse_year)
    bad = np.flatnonzero([y is None and not is_blank(v) and parse_mark(v) is None for y, v in zip(years, raw, strict=True)])
    names = cells(table.sheet.name, np.array(rows, dtype=int), np.full(len(rows), col))
    for i in bad:
        issues.append(warn("bad_year", table.sheet.name, names[i], value=display(raw[i])))
    return pd.Series(years, dtype="Int64")


def _marks(table: RowTable, rows: list[int], communes: pd.DataFrame, issues: list[Any]) -> pd.DataFrame:
    crit = table.of_role("criterion")
    if not crit or not rows:
        return empty_frame(MARK_COLUMNS)
    sheet = table.sheet.name
    cols = [c.col for c in crit]
    raw = block(table.sheet, rows, cols)
    marks = parse_marks(raw)
    n, k = raw.shape
    row_idx = np.repeat(np.array(rows, dtype=int), k)
    col_idx = np.tile(np.array(cols, dtype=int), n)
    frame = object_frame({
        "commune_id": np.repeat(communes["commune_id"].to_numpy(dtype=object), k),
        "criterion": np.tile(np.array([c.key for c in crit], dtype=object), n),
        "mark": marks.ravel(),
        "raw": raw.ravel(),
        "sheet": sheet,
        "cell": cells(sheet, row_idx, col_idx),
    }, n * k)
    if table.layout != "summary":
        # Beside sub-indicator values an empty status cell means "not assessed": derive it instead.
        frame = frame[~map_unique(raw, is_blank).astype(bool).ravel()]
    unread = frame[frame["mark"].isna()]
    for cell, value, criterion in zip(unread["cell"], unread["raw"], unread["criterion"], strict=True):
        issues.append(unreadable("unknown_mark", sheet, cell, value, criterion=criterion))
    return frame[MARK_COLUMNS]


def _values(table: RowTable, rows: list[int], communes: pd.DataFrame, criteria_set: Any, issues: list[Any]) -> pd.DataFrame:
    value_cols = table.of_role("indicator")
    if not value_cols or not rows:
        return empty_frame(VALUE_COLUMNS)
    sheet = table.sheet.name
    status_of = {c.key: c.col for c in table.of_role("indicator_status")}
    row_array = np.array(rows, dtype=int)
    ids = communes["commune_id"].to_numpy()
    parts = []
    for column in value_cols:
        code = column.key
        indicator = criteria_set.indicator(code)
        kind = indicator.kind if indicator is not None else ("percent" if _says_percent(column.label) else "number")
        raw = block(table.sheet, rows, [column.col])[:, 0]
        text_marks = map_unique(raw, _text_mark)
        # "Chưa rõ" / "?" typed for a value: no value and no warning (the status stays unknown).
        said_unknown = text_marks == UNKNOWN_MARK
        text_marks = np.where(said_unknown, None, text_marks)
        if kind == "yes_no":
            numbers = np.array([{"met": 1.0, "not_met": 0.0}.get(m, np.nan) for m in text_marks])
            plain, _ = parse_numbers(raw, percent=False)
            numbers = np.where(np.isnan(numbers), plain, numbers)
            bad = np.isnan(numbers) & ~map_unique(raw, is_blank).astype(bool) & ~said_unknown
            mark = np.full(len(rows), None, dtype=object)
        else:
            numbers, bad = parse_numbers(raw, percent=kind == "percent")
            mark = np.where(np.isnan(numbers), text_marks, None)  # "Đạt" typed in a value column
            bad &= pd.isna(mark) & ~said_unknown
        value_cells = cells(sheet, row_array, np.full(len(rows), column.col))
        for i in np.flatnonzero(bad):
            issues.append(unreadable("bad_number", sheet, value_cells[i], raw[i], indicator=code))
        if kind == "percent":
            for i in np.flatnonzero((numbers > 100.0) | (numbers < 0.0)):
                issues.append(out_of_range(sheet, value_cells[i], numbers[i], code))
            numbers = np.where((numbers > 100.0) | (numbers < 0.0), np.nan, numbers)
        mark_cells = np.full(len(rows), None, dtype=object)
        status_col = status_of.get(code)
        if status_col is not None:
            status_raw = block(table.sheet, rows, [status_col])[:, 0]
            status = map_unique(status_raw, lambda v: "blank" if is_blank(v) else parse_mark(v))
            status_cells = cells(sheet, row_array, np.full(len(rows), status_col))
            for i in np.flatnonzero(pd.isna(status)):
                issues.append(unreadable("unknown_indicator_mark", sheet, status_cells[i], status_raw[i],
                                         indicator=code))
            given = np.isin(status, ["met", "not_met"])
            mark = np.where(given, status, mark)
            mark_cells = np.where(given, status_cells, mark_cells)
        parts.append(object_frame({
            "commune_id": ids,
            "indicator": code,
            "criterion": code.split(".")[0],
            "value": numbers.astype(float),
            "mark": mark,
            "sheet": sheet,
            "cell": value_cells,
            "mark_cell": mark_cells,
        }, len(rows)))
    return pd.concat(parts, ignore_index=True)[VALUE_COLUMNS]


def _text_mark(value: object) -> str | None:
    """A mark typed in a value column ("Đạt"); "-" or a bare 0/1 there is not a mark."""
    if not isinstance(value, str) or mark_key(value) in _NOT_MARKS_IN_VALUES:
        return None
    return parse_mark(value)


_NOT_MARKS_IN_VALUES = frozenset({"", "-", "--", "---", "0", "1", "0.0", "1.0"})


def _says_percent(label: str) -> bool:
    folded = fold(label)
    return "%" in label or "ty le" in folded

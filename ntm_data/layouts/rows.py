"""Row-per-commune tables: the district summary of criterion marks (layout a) and the sheet of
sub-indicator values (layout b). Finds the header band, classifies columns, reads the commune rows."""
from __future__ import annotations

import re
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ntm_data.layouts.common import (
    DISTRICT_NAME,
    MARK_COLUMNS,
    STOP_TEXT,
    VALUE_COLUMNS,
    TableRead,
    block,
    categorical,
    cell_grid,
    cells,
    coded,
    commune_ids,
    display,
    empty_frame,
    factorize,
    filled,
    group_district,
    map_unique,
    map_unique_all,
    no_value,
    object_frame,
    text_array,
    unreadable,
    warn,
)
from ntm_data.layouts.common import out_of_range as out_of_range_issue
from ntm_data.layouts.headers import (
    COLUMN_MARKER,
    ColumnRole,
    bare_int,
    classify_column,
    is_name_header,
)
from ntm_data.layouts.long import long_columns, read_long
from ntm_data.tcvn3 import _EVIDENCE as TCVN3_EVIDENCE
from ntm_data.tcvn3 import decode_tcvn3, looks_like_tcvn3
from ntm_data.text import (
    UNKNOWN_MARK,
    fold,
    fold_all,
    has_percent_sign,
    is_blank,
    mark_keys,
    matching_indices,
    nfc,
    nfc_all,
    nfc_fold_all,
    nfc_or_none_all,
    parse_mark,
    parse_mark_all,
    parse_mark_key,
    parse_number,
    parse_number_all,
    parse_year_all,
    strip_commune_prefix_all,
)
from ntm_data.workbook import SheetGrid, cell_name, column_letter

HEADER_SCAN_ROWS = 60  # the title block of a real sheet is under 15 rows; notes sheets can be longer
MAX_HEADER_DEPTH = 4  # headers are merged over 2-3 rows, plus a row of column numbers

_TOTALS = re.compile(
    r"^(tong cong|tong so|tong\b|cong\b|toan (huyen|tinh|thi xa|thanh pho|quan)|binh quan|trung binh"
    r"|ty le|so xa|luy ke)"
)
_GROUP = re.compile(r"^([ivxlc]+|[a-h])\s*[.)/:\-–]\s*\S|^(cac xa|nhom xa|xa da dat|xa chua dat|xa dat)")
_ROMAN = re.compile(r"^([IVXLC]+|[A-H])\.?$")
# A name that may head or total rows rather than name a commune: _TOTALS, _GROUP or DISTRICT_NAME, in one scan.
_TOTALS_GROUP_DISTRICT = re.compile("|".join(f"(?:{p.pattern})" for p in (_TOTALS, _GROUP, DISTRICT_NAME)))


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


class _RowCells:
    """The cells of the commune rows in every classified column, read in one pass over the rows (object
    array); columns are taken from it one by one or as a 2-D block."""

    def __init__(self, table: RowTable, rows: list[int]) -> None:
        cols = sorted({c.col for c in table.columns if c.role != "ignore"} | {table.name_col})
        if cols[-1] - cols[0] < 2 * len(cols) + 16:  # the run of columns they span reads faster than a pick
            cols = list(range(cols[0], cols[-1] + 1))
        self._at = {c: i for i, c in enumerate(cols)}
        self._cells = block(table.sheet, rows, cols)

    def block(self, cols: list[int]) -> np.ndarray:
        at = [self._at[c] for c in cols]
        if at and at == list(range(at[0], at[0] + len(at))):  # a run of columns: a slice copies faster
            return np.ascontiguousarray(self._cells[:, at[0]:at[0] + len(at)])
        return self._cells.take(at, axis=1)

    def column(self, col: int) -> np.ndarray:
        return self._cells[:, self._at[col]]


def _first_filled(row: list[Any]) -> Any:
    return next((v for v in row if not is_blank(v)), None)


def _column(body: list[list[Any]], col: int) -> list[Any]:
    """grid.value(r, col) for each row of `body`."""
    if col < min(map(len, body), default=0):
        return list(map(itemgetter(col), body))
    return [row[col] if col < len(row) else "" for row in body]


def _commune_rows(table: RowTable) -> tuple[list[int], list[str | None], list[Any], tuple[list[str], list[str]]]:
    """Data rows holding a commune, the district a group row above each names (a row naming a district
    is one), issues, and nfc() and fold() of each commune row's name.

    The rows are those of body_rows(); only rows that may be something else than a commune (no name,
    a totals or group label, a name merged across the marks, a Roman STT) are looked at one by one."""
    grid = table.sheet
    start = table.data_start
    body = grid.rows[start:]
    stt = table.first("stt")
    keyed = [c.col for c in table.columns if c.role in ("criterion", "indicator", "indicator_status")]
    first_keyed = keyed[0] if keyed else None
    name_col = table.name_col
    # The first filled cell of each row (most rows start with a number or a text: no call for those).
    firsts = [v if row and (((v := row[0]).__class__ is str and v.strip()) or (v.__class__ is float and v == v))
              else _first_filled(row) for row in body]
    names = _column(body, name_col)
    if set(map(type, names)) == {str}:
        named = list(map(bool, map(str.strip, names)))
    else:
        named = [isinstance(v, str) and bool(v.strip()) for v in names]
    # nfc() and fold() of each name, "" for a row without one (nfc_fold_all takes each text on its own).
    normal_names, folded_names = nfc_fold_all(names if all(named) else
                                              [v if ok else "" for v, ok in zip(names, named, strict=True)])
    # Where a body ends: the first row whose first text starts the notes or signatures below the table.
    text_at = [i for i, v in enumerate(firsts) if v.__class__ is str or (v.__class__ is not float and isinstance(v, str))]
    other_at = [i for i in text_at if firsts[i] is not names[i] or not named[i]]
    first_folds = dict(zip(other_at, fold_all([firsts[i] for i in other_at]), strict=True))
    stops = matching_indices(STOP_TEXT, [first_folds[i] if i in first_folds else folded_names[i] for i in text_at])
    end = text_at[stops[0]] if stops else len(body)
    del folded_names[end:]
    special = {i for i in range(end) if not named[i]}
    special.update(matching_indices(_TOTALS_GROUP_DISTRICT, folded_names))
    if first_keyed is not None:
        same = np.fromiter(_column(body[:end], first_keyed), dtype=object, count=end) == np.fromiter(
            names[:end], dtype=object, count=end)
        special.update(np.flatnonzero(same).tolist())
    stts = _column(body[:end], stt) if stt is not None else [""] * end
    # STT numbers (1, 2, 3) are never Roman: only texts are looked at
    stt_texts = [v.strip() if v.__class__ is str else v.strip() if isinstance(v, str) else "" for v in stts]
    if "\n" in "".join(stt_texts):  # a line break inside an STT cell: look at each one
        special.update(i for i, t in enumerate(stt_texts) if _ROMAN.match(t))
    else:
        special.update(matching_indices(_ROMAN, stt_texts))

    # Only the special rows are looked at one by one (in order: a group row sets the district of the
    # rows below it); every other row with a filled cell is a commune row.
    issues: list[Any] = []
    group: str | None = None
    kept_special: list[int] = []
    event_at: list[int] = []  # where the group changes, and to what
    event_group: list[str | None] = []
    body_rows = _BodyRows(firsts, names, named, folded_names, stts, keyed)
    for i in sorted(special):
        if firsts[i] is None:
            continue
        before = group
        is_commune, group = _special_row(i, table, start, body_rows, group, issues)
        if is_commune:
            kept_special.append(i)
        if group is not before:
            event_at.append(i)
            event_group.append(group)
    keep = np.fromiter((f is not None for f in firsts[:end]), dtype=bool, count=end)
    if special:
        keep[list(special)] = False
        keep[kept_special] = True
    at = np.flatnonzero(keep)
    rows = (at + start).tolist()
    if event_at:
        which = np.searchsorted(np.array(event_at), at, side="left") - 1  # the last change above each row
        groups = np.array(event_group + [None], dtype=object)[which].tolist()
    else:
        groups = [None] * len(rows)
    return rows, groups, issues, ([normal_names[i] for i in at.tolist()], [folded_names[i] for i in at.tolist()])


def _special_row(i: int, table: RowTable, start: int, rows: _BodyRows, group: str | None,
                 issues: list[Any]) -> tuple[bool, str | None]:
    """(is a commune row, the district in effect below it) for body row i, one that may be something
    else than a commune: a group or district row names the district of the rows below it; a row with
    marks but no name is reported."""
    grid = table.sheet
    keyed = rows.keyed
    first_keyed = keyed[0] if keyed else None
    first = rows.firsts[i]
    r = start + i
    name = rows.names[i]
    if not rows.named[i]:
        if any(not is_blank(grid.value(r, c)) for c in keyed) and not isinstance(first, str):
            issues.append(warn("missing_name", grid.name, f"{column_letter(table.name_col)}{r + 1}", row=r + 1))
        elif isinstance(first, str) and _GROUP.match(fold(first)):
            group = group_district(first) or group
        return False, group
    folded = rows.folded_names[i]
    stt_value = rows.stts[i]
    if _TOTALS.match(folded) and (is_blank(stt_value) or _TOTALS.match(fold(stt_value))):
        return False, group
    merged_across = first_keyed is not None and grid.value(r, first_keyed) == name
    roman = isinstance(stt_value, str) and bool(_ROMAN.match(stt_value.strip()))
    if merged_across or roman or _GROUP.match(folded) or DISTRICT_NAME.match(folded):
        if not _TOTALS.match(folded):
            group = group_district(name) or (group_district(f"I. {name}") if roman else None) or group
        return False, group
    return True, group


@dataclass(frozen=True)
class _BodyRows:
    """Per body row: first filled cell, name cell, whether named, folded name, STT cell; keyed columns."""

    firsts: list[Any]
    names: list[Any]
    named: list[bool]
    folded_names: list[str]
    stts: list[Any]
    keyed: list[int]


def read_row_table(table: RowTable, criteria_set: Any) -> TableRead:
    """Read the communes, marks and values of a row-per-commune table (see TableRead)."""
    grid = table.sheet
    sheet = grid.name
    if table.layout == "long":
        communes, marks, values, issues = read_long(table, criteria_set)
        score = 3.0 * (marks["criterion"].nunique() + values["indicator"].nunique()) + 0.01 * len(communes)
        return TableRead(sheet, "long", communes, marks, values, issues, score)
    rows, groups, issues, normal_names = _commune_rows(table)
    row_array = np.array(rows, dtype=np.int64)
    n = len(rows)
    sheet_cells = _RowCells(table, rows)

    def column(role: str) -> np.ndarray | None:
        col = table.first(role)
        return None if col is None else sheet_cells.column(col)

    names_raw = sheet_cells.column(table.name_col)
    name_cells = cell_grid(row_array, [table.name_col])
    legacy = _legacy_names(names_raw)
    if legacy.any():
        # A name typed in the .VnTime font is read as the Unicode it stands for, so that the commune
        # matches itself in other snapshots; it is still reported. Only names that are TCVN3 on their
        # own are decoded: "Vân Nham" would decode to "Võn Nham" and must stay as typed.
        names_raw = names_raw.copy()
        for i in np.flatnonzero(legacy):
            decoded = nfc(decode_tcvn3(names_raw[i]))
            issues.append(warn("tcvn3_name", sheet, name_cells[i], name=display(names_raw[i]), decoded=decoded))
            names_raw[i] = decoded
    names = np.empty(n, dtype=object)
    names[:] = strip_commune_prefix_all(names_raw, None if legacy.any() else normal_names)

    codes_raw = column("code")
    codes = _codes(codes_raw) if codes_raw is not None else filled(n, None)
    district_raw = column("district")
    districts = (map_unique_all(district_raw, nfc_or_none_all)
                 if district_raw is not None else np.array(groups, dtype=object))
    if district_raw is not None:
        districts = np.where(pd.isna(districts.astype(object)), np.array(groups, dtype=object), districts)
    region_raw = column("region")
    regions = (map_unique_all(region_raw, nfc_or_none_all)
               if region_raw is not None else filled(n, None))

    communes = pd.DataFrame({
        "commune_id": None,
        "name": text_array(names),
        # Objects with None when missing, as the Dataset keeps them (no round trip through pandas "str").
        "code": pd.Series(codes, dtype=object),
        "district": pd.Series(districts, dtype=object),
        "region_text": text_array(regions),
        "region_cell": (cell_grid(row_array, [table.first("region")])
                        if region_raw is not None else None),
        "population": _numbers(column("population"), n),
        "households": _numbers(column("households"), n),
        "target_year": _years(table, "target_year", rows, sheet_cells, issues),
        "recognized_year": _years(table, "recognized_year", rows, sheet_cells, issues),
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
    id_codes, id_values = coded(communes["commune_id"].to_numpy(dtype=object))
    ids = (id_codes, pd.CategoricalDtype(pd.Index(id_values, dtype=object)))  # coded once for marks and values
    marks = _marks(table, rows, sheet_cells, ids, issues)
    values = _values(table, rows, sheet_cells, ids, criteria_set, issues)
    met_col = table.first("criteria_met")
    crit_cols = [c.col for c in table.of_role("criterion")]
    if met_col is not None and crit_cols:
        raw = sheet_cells.column(met_col)
        communes["reported_met"] = map_unique(raw, _reported_count).astype(float)
        communes["reported_met_cell"] = cell_grid(row_array, [met_col])
        first_cells = pa.array(cell_grid(row_array, [min(crit_cols)]))
        last_cells = pa.array(cell_grid(row_array, [max(crit_cols)]))
        communes["mark_range"] = pd.array(pc.binary_join_element_wise(first_cells, last_cells,
                                                                                  pa.scalar(":", first_cells.type)), dtype="str")
    mark_keys_read = [c.key for c in table.of_role("criterion")]
    value_keys_read = [c.key for c in table.of_role("indicator")]
    distinct_keys = (len(set(mark_keys_read)) == len(mark_keys_read)
                     and len(set(value_keys_read)) == len(value_keys_read))
    return TableRead(sheet, table.layout, communes, marks, values, issues,
                     table.score + 0.01 * n, distinct_keys)


# Characters that only a TCVN3 (.VnTime) text read as Latin-1 holds: a name without one is not TCVN3.
_TCVN3_EVIDENCE = re.compile("[" + re.escape("".join(sorted(TCVN3_EVIDENCE))) + "]")


def _legacy_names(names_raw: np.ndarray) -> np.ndarray:
    """looks_like_tcvn3 per name, asked only when some name holds a TCVN3-only character."""
    try:
        joined = "\n".join(names_raw)  # commune names are texts
    except TypeError:
        joined = "\n".join(v for v in names_raw if isinstance(v, str))
    if not _TCVN3_EVIDENCE.search(joined):
        return np.zeros(len(names_raw), dtype=bool)
    return map_unique(names_raw, looks_like_tcvn3).astype(bool)


def _codes(raw: np.ndarray) -> np.ndarray:
    """_code per cell; texts (the usual "00116") are normalised together."""
    if set(map(type, raw)) != {str}:
        out = map_unique(raw, lambda v: None if isinstance(v, str) else _code(v))
        text_at = [i for i, v in enumerate(raw) if isinstance(v, str) and v.strip()]
        if text_at:
            out[text_at] = nfc_all(raw[text_at])
        return out
    out = np.empty(len(raw), dtype=object)
    out[:] = nfc_all(raw)
    for i in np.flatnonzero(out == "").tolist():  # nfc() is empty for blank text (and a lone control character)
        if not raw[i].strip():
            out[i] = None
    return out


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
    if set(map(type, values)) <= {float}:  # numbers as calamine gives them
        return values.astype(float)
    codes, uniques = factorize(values)
    return parse_number_all(uniques)[codes]


def _years(table: RowTable, role: str, rows: list[int], sheet_cells: _RowCells, issues: list[Any]) -> pd.Series:
    col = table.first(role)
    if col is None:
        return pd.Series([pd.NA] * len(rows), dtype="Int64")
    raw = sheet_cells.column(col)
    codes, uniques = factorize(raw)
    parsed = parse_year_all(uniques)
    bad = np.array([y is None and not is_blank(v) and parse_mark(v) is None for y, v in zip(parsed, uniques, strict=True)],
                   dtype=bool)[codes]
    for i in np.flatnonzero(bad):
        issues.append(warn("bad_year", table.sheet.name, cell_name(rows[i], col), value=display(raw[i])))
    missing = np.array([y is None for y in parsed], dtype=bool)
    years = np.array([0 if y is None else y for y in parsed], dtype=np.int64)
    return pd.Series(pd.arrays.IntegerArray(years[codes], missing[codes]))


def _marks(table: RowTable, rows: list[int], sheet_cells: _RowCells, ids: tuple[np.ndarray, pd.CategoricalDtype],
           issues: list[Any]) -> pd.DataFrame:
    """MARK_COLUMNS, commune by commune (criteria in column order); cells as a pandas "str" column. `ids`: each
    row's commune_id code and their categorical dtype."""
    crit = table.of_role("criterion")
    if not crit or not rows:
        return empty_frame(MARK_COLUMNS)
    sheet = table.sheet.name
    cols = [c.col for c in crit]
    raw = sheet_cells.block(cols)
    n, k = raw.shape
    flat = raw.ravel()
    codes, uniques = factorize(flat)
    parsed = parse_mark_all(uniques)
    # The mark as a categorical over _MARKS built from the distinct cells' codes (None: unreadable).
    mark_codes = np.array([_MARKS.index(p) if p in _MARKS else -1 for p in parsed], dtype=np.int8)[codes]
    keys = np.array([c.key for c in crit], dtype=object)
    unread = np.flatnonzero(np.array([m is None for m in parsed], dtype=bool)[codes])
    for i in unread.tolist():
        issues.append(unreadable("unknown_mark", sheet, cell_name(rows[i // k], cols[i % k]), flat[i],
                                 criterion=keys[i % k]))
    id_codes, id_values = ids
    key_codes, key_values = coded(keys)
    commune_codes, criterion_codes, cell_names = np.repeat(id_codes, k), np.tile(key_codes, n), cell_grid(rows, cols, "C")
    if table.layout != "summary":
        # Beside sub-indicator values an empty status cell means "not assessed": derive it instead.
        kept = np.flatnonzero(~np.array([is_blank(u) for u in uniques], dtype=bool)[codes])
        if len(kept) < n * k:
            commune_codes, criterion_codes, mark_codes = commune_codes[kept], criterion_codes[kept], mark_codes[kept]
            flat, cell_names = flat[kept], cell_names.take(kept)
    return object_frame({
        "commune_id": categorical(commune_codes, id_values),
        "criterion": categorical(criterion_codes, key_values),
        "mark": categorical(mark_codes, _MARKS),
        "raw": flat,
        "sheet": categorical(np.zeros(len(flat), dtype=np.int8), [sheet]),
        "cell": cell_names,
    }, len(flat))


def _values(table: RowTable, rows: list[int], sheet_cells: _RowCells, ids: tuple[np.ndarray, pd.CategoricalDtype],
            criteria_set: Any, issues: list[Any]) -> pd.DataFrame:
    """VALUE_COLUMNS, sub-indicator by sub-indicator (communes in row order): every value column read as
    one block, each distinct cell content parsed once. Cells as a pandas "str" column."""
    value_cols = table.of_role("indicator")
    if not value_cols or not rows:
        return empty_frame(VALUE_COLUMNS)
    sheet = table.sheet.name
    grid = table.sheet
    n, m = len(rows), len(value_cols)
    col_index = [c.col for c in value_cols]
    codes = [c.key for c in value_cols]
    kinds = []
    for column in value_cols:
        indicator = criteria_set.indicator(column.key)
        kinds.append(indicator.kind if indicator is not None else ("percent" if _says_percent(column.label) else "number"))
    yes_no = np.array([k == "yes_no" for k in kinds])
    percent = np.array([k == "percent" for k in kinds])

    # Everything below is (sub-indicator, commune): the frame lists sub-indicator by sub-indicator.
    # Cells are hashed in sheet order (row by row, as they lie in memory), then looked at column-wise.
    raw = sheet_cells.block(col_index)
    at, uniques = factorize(raw.ravel())
    at = np.ascontiguousarray(at.reshape(n, m).T)  # so that what is gathered through it is C-ordered too
    number, blank, no_value_at, percent_sign, text_mark = _distinct_values(uniques)
    # "Chưa rõ" / "?" typed for a value: no value and no warning (the status stays unknown).
    said_unknown = np.array([t == UNKNOWN_MARK for t in text_mark], dtype=bool)
    text_mark = np.where(said_unknown, None, np.array(text_mark, dtype=object))
    is_nan = np.isnan(number)
    # Number and percent columns: "Đạt" typed for a value is its mark; anything else unreadable is reported.
    plain_mark = np.where(is_nan, text_mark, None)
    plain_bad = is_nan & ~no_value_at & pd.isna(plain_mark) & ~said_unknown
    values = number[at]
    # (sub-indicator, commune) arrays; marks typed for values are rare, unreadable values rarer. Marks as
    # codes into _VALUE_MARKS (-1: none), so that the frame's `mark` is a categorical built from them.
    plain_code = np.array([_VALUE_MARKS.index(t) if t in _VALUE_MARKS else -1 for t in plain_mark], dtype=np.int8)
    marks = plain_code[at] if (plain_code >= 0).any() else np.full((m, n), -1, dtype=np.int8)
    bad = plain_bad[at] if plain_bad.any() else np.zeros((m, n), dtype=bool)
    if yes_no.any():
        said = np.array([{"met": 1.0, "not_met": 0.0}.get(t, np.nan) for t in text_mark])
        yes_value = np.where(np.isnan(said), number, said)
        yes_bad = np.isnan(yes_value) & ~blank & ~said_unknown
        values[yes_no] = yes_value[at[yes_no]]
        marks[yes_no] = -1
        bad[yes_no] = yes_bad[at[yes_no]]
    outside = np.zeros((m, n), dtype=bool)
    if percent.any():
        # A per-cent column whose plain numbers are all at most 1 holds fractions (0.952 = 95.2 %).
        plain_at = ~percent_sign & ~is_nan
        part = values[percent]
        plain = plain_at[at[percent]]
        largest = np.where(plain, np.abs(part), -np.inf).max(axis=1)
        fractions = plain.any(axis=1) & (largest <= 1.0)
        if fractions.any():
            rows_of = np.flatnonzero(percent)[fractions]
            values[rows_of] = np.where(plain[fractions], part[fractions] * 100.0, part[fractions])
        outside[percent] = (values[percent] > 100.0) | (values[percent] < 0.0)

    mark_cells = filled(m * n, None).reshape(m, n)
    status_of = {c.key: c.col for c in table.of_role("indicator_status")}
    status_bad = np.zeros((m, n), dtype=bool)
    with_status = [j for j, code in enumerate(codes) if code in status_of]
    status_cols = [status_of[codes[j]] for j in with_status]
    if with_status:
        status = map_unique(sheet_cells.block(status_cols).T, lambda v: "blank" if is_blank(v) else parse_mark(v))
        status_bad[with_status] = pd.isna(status)
        given = np.isin(status, ["met", "not_met"])
        sub = marks[with_status]
        sub[given] = np.where(status[given] == _VALUE_MARKS[0], 0, 1)
        marks[with_status] = sub
        given_at = np.nonzero(given)
        sub_cells = mark_cells[with_status]
        sub_cells[given_at] = np.asarray(cells(sheet, np.asarray(rows)[given_at[1]],
                                               np.asarray(status_cols)[given_at[0]]), dtype=object)
        mark_cells[with_status] = sub_cells

    # Issues column by column, as the sheet reads: unreadable values, per-cents out of range, unreadable marks.
    for j in np.flatnonzero(bad.any(axis=1) | outside.any(axis=1) | status_bad.any(axis=1)).tolist():
        code = codes[j]
        for i in np.flatnonzero(bad[j]).tolist():
            issues.append(unreadable("bad_number", sheet, cell_name(rows[i], col_index[j]), raw[i, j],
                                     indicator=code))
        for i in np.flatnonzero(outside[j]).tolist():
            issues.append(out_of_range_issue(sheet, cell_name(rows[i], col_index[j]), values[j, i], code))
        if status_bad[j].any():
            status_col = status_of[code]
            for i in np.flatnonzero(status_bad[j]).tolist():
                issues.append(unreadable("unknown_indicator_mark", sheet, cell_name(rows[i], status_col),
                                         grid.value(rows[i], status_col), indicator=code))
    values[outside] = np.nan

    id_codes, id_values = ids
    indicator_codes, indicator_values = coded(codes)
    criterion_codes, criterion_values = coded([c.split(".")[0] for c in codes])
    return object_frame({
        "commune_id": categorical(np.tile(id_codes, m), id_values),
        "indicator": categorical(np.repeat(indicator_codes, n), indicator_values),
        "criterion": categorical(np.repeat(criterion_codes, n), criterion_values),
        "value": values.ravel(),
        "mark": categorical(marks.ravel(), _VALUE_MARKS),
        "sheet": categorical(np.zeros(n * m, dtype=np.int8), [sheet]),
        "cell": cell_grid(rows, col_index, "F"),
        "mark_cell": mark_cells.ravel(),
    }, n * m)


_MARKS = ("met", "not_met", UNKNOWN_MARK)  # a criterion mark; an unreadable one is missing
_VALUE_MARKS = ("met", "not_met")  # the marks a value row can carry (an explicit "Chưa rõ" is no mark)


def _distinct_values(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str | None]]:
    """For distinct value cells: (parse_number, is_blank, no_value, has_percent_sign, the mark typed in a
    value column). Numbers as calamine gives them need none of these calls."""
    count = len(values)
    number = parse_number_all(values)
    blank = np.isnan(number)
    no_value_at = blank.copy()
    percent_sign = np.zeros(count, dtype=bool)
    text_mark: list[str | None] = [None] * count
    others = [i for i, v in enumerate(values) if v.__class__ is not float]
    texts = [i for i in others if values[i].__class__ is str]
    stripped = [values[i].strip() for i in texts]
    blank[texts] = [not t for t in stripped]
    no_value_at[texts] = [not t or t in _DASHES for t in stripped]
    percent_sign[texts] = ["%" in values[i] for i in texts]
    for i in others:
        if values[i].__class__ is not str:  # a date, a bool, a formula without its value
            v = values[i]
            blank[i], no_value_at[i], percent_sign[i] = is_blank(v), no_value(v), has_percent_sign(v)
    for i, mark in zip(others, _text_marks([values[i] for i in others]), strict=True):
        text_mark[i] = mark
    return number, blank, no_value_at, percent_sign, text_mark


_DASHES = frozenset({"-", "--", "---", "…", "..."})  # common.no_value's dashes


def _text_marks(values: list[Any]) -> list[str | None]:
    """The mark typed in a value column ("Đạt") per value; "-" or a bare 0/1 there is not a mark."""
    at = [i for i, v in enumerate(values) if isinstance(v, str)]
    out: list[str | None] = [None] * len(values)
    for i, key in zip(at, mark_keys([values[i] for i in at]), strict=True):
        out[i] = None if key in _NOT_MARKS_IN_VALUES else parse_mark_key(key)
    return out


_NOT_MARKS_IN_VALUES = frozenset({"", "-", "--", "---", "0", "1", "0.0", "1.0"})


def _says_percent(label: str) -> bool:
    folded = fold(label)
    return "%" in label or "ty le" in folded

"""What every layout reader produces (a TableRead of tidy frames) and the helpers they share."""
from __future__ import annotations

import operator
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ntm_data.model import Issue, Severity
from ntm_data.text import (
    fold,
    has_percent_sign,
    is_blank,
    nfc,
    parse_mark,
    parse_number,
    strip_commune_prefix_all,
)
from ntm_data.workbook import FormulaText, SheetGrid, column_letter

try:  # rows of Python lists into a 2-D object array in one C loop (pandas' own list-of-rows constructor)
    from pandas._libs.lib import to_object_array as _to_object_array
except ImportError:  # pragma: no cover
    _to_object_array = None

try:  # pandas >= 3.0: a frame from ready column arrays, without consolidating them
    from pandas.api.internals import create_dataframe_from_blocks as _from_blocks
except ImportError:  # pragma: no cover
    _from_blocks = None

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
    distinct_keys: bool = False  # each (commune row, criterion/sub-indicator) read from one cell only


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


STOP_TEXT = _STOP  # matched against fold() of a row's first text


def is_stop_text(value: object) -> bool:
    """True for the first text of a notes or signature block below a table."""
    return isinstance(value, str) and bool(_STOP.match(fold(value)))


def cells(sheet: str, rows: np.ndarray, cols: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Cell names for every (row, col) pair of 0-based arrays: "F12", as a pandas "str" array (indexing it
    gives Python str). `sheet` is not part of the name."""
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    if not len(rows):
        return pd.array([], dtype="str")
    wanted, col_at = np.unique(cols, return_inverse=True)
    letters, letter_lengths = _letter_codes(wanted)
    digits, digit_lengths = _digit_codes(rows)
    return _cell_texts(letters[col_at], letter_lengths[col_at], digits, digit_lengths)


def cell_grid(rows: np.ndarray | list[int], cols: np.ndarray | list[int], order: str = "C") -> pd.api.extensions.ExtensionArray:
    """Cell names of the grid rows x cols (0-based), flattened like a (rows, cols) array in `order`
    ("C": row by row, "F": column by column), as a pandas "str" array."""
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    if not len(rows) or not len(cols):
        return pd.array([], dtype="str")
    letters, letter_lengths = _letter_codes(cols)
    digits, digit_lengths = _digit_codes(rows)
    n, k = len(rows), len(cols)
    # Each view (see _cell_texts) splits into a part that depends on the row alone and, in its first word,
    # a part that depends on the column alone (its letters and their count; bits disjoint from the row's):
    # per letter count, one add over the grid for word 0 and one broadcast copy for word 1.
    views = np.empty((n, k, 2) if order == "C" else (k, n, 2), dtype=np.uint64)
    grid = views if order == "C" else views.transpose(1, 0, 2)  # (row, col, word) either way
    col_word0 = letter_lengths | (letters << np.uint64(32))
    for count in np.unique(letter_lengths).tolist():
        shift = np.uint64(8 * count)
        moved = digits << shift  # the digits after `count` letters, text bytes 0-7
        row_word0 = digit_lengths | (moved << np.uint64(32))
        row_word1 = (moved >> np.uint64(32)) | ((digits >> (np.uint64(64) - shift)) << np.uint64(32))
        at = np.flatnonzero(letter_lengths == count)
        if len(at) == k:
            np.add(row_word0[:, None], col_word0[None, :], out=grid[:, :, 0])
            grid[:, :, 1] = row_word1[:, None]
        else:
            grid[:, at, 0] = row_word0[:, None] + col_word0[None, at]
            grid[:, at, 1] = row_word1[:, None]
    array = pa.Array.from_buffers(pa.string_view(), n * k, [None, pa.py_buffer(views)])
    return pd.array(array.cast(pa.string()), dtype="str")


# A cell name is at most 10 bytes ("XFD1048576"), so it fits inline in an Arrow string view (4 bytes of
# length, 12 of text): the names are built as integers, the ASCII of their letters and digits, with no
# Python string per cell, then cast to an ordinary Arrow string array.


def _letter_codes(cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each column's letters as a little-endian integer of their ASCII bytes, and their count."""
    names = [column_letter(int(c)).encode("ascii") for c in cols]
    return (np.array([int.from_bytes(x, "little") for x in names], dtype=np.uint64),
            np.array([len(x) for x in names], dtype=np.uint64))


def _digit_codes(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each 1-based row number's digits as a little-endian integer of their ASCII bytes, and their count.
    A table's cell names are built column by column over the same rows: the last rows' codes are kept."""
    global _DIGITS
    cached = _DIGITS
    if cached is not None and np.array_equal(cached[0], rows):
        return cached[1], cached[2]
    numbers = (rows + 1).astype(np.uint64)
    lengths = np.searchsorted(_POW10[1:], numbers, side="right").astype(np.uint64) + np.uint64(1)
    width = int(lengths.max())
    codes = np.zeros(len(numbers), dtype=np.uint64)
    for p in range(width):  # the p-th character of the number written on `width` digits (leading zeros)
        codes |= (numbers // _POW10[width - 1 - p] % np.uint64(10) + np.uint64(48)) << np.uint64(8 * p)
    codes >>= (np.uint64(width) - lengths) * np.uint64(8)  # drop the leading zeros' bytes
    codes.flags.writeable = lengths.flags.writeable = False  # shared with later calls: read only
    _DIGITS = (rows.copy(), codes, lengths)
    return codes, lengths


_POW10 = 10 ** np.arange(20, dtype=np.uint64)
_DIGITS: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # (rows, codes, lengths) of the last call


def _cell_texts(letters: np.ndarray, letter_lengths: np.ndarray, digits: np.ndarray,
                digit_lengths: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Letters followed by digits (broadcast together) as a pandas "str" array."""
    shift = letter_lengths * np.uint64(8)
    low = letters | (digits << shift)  # text bytes 0-7
    high = digits >> (np.uint64(64) - shift)  # text bytes 8-11 (letters are 1-3 bytes, so shift < 64)
    length = letter_lengths + digit_lengths
    views = np.empty((*np.broadcast_shapes(low.shape, length.shape), 2), dtype=np.uint64)
    views[..., 0] = length | (low << np.uint64(32))
    views[..., 1] = (low >> np.uint64(32)) | (high << np.uint64(32))
    count = views.size // 2
    array = pa.Array.from_buffers(pa.string_view(), count, [None, pa.py_buffer(views)])
    return pd.array(array.cast(pa.string()), dtype="str")


def filled(length: int, value: Any) -> np.ndarray:
    """An object array of `length` times `value` (np.full converts a text fill value once per cell)."""
    out = np.empty(length, dtype=object)
    out.fill(value)
    return out


def text_array(values: np.ndarray | list[Any]) -> Any:
    """Texts (None for missing) as a pandas "str" array, as pandas would infer it from them, without the
    inference; anything else stays as it is."""
    try:
        array = pa.array(values, pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return values
    if array.null_count == len(array):  # no text at all: pandas keeps an object column of None
        return values
    return pd.array(array, dtype="str")


def categorical(codes: np.ndarray, uniques: Any) -> pd.Categorical:
    """A categorical over distinct values (object categories) from integer codes (-1: missing): the reader
    knows each row's commune, criterion, sub-indicator and sheet by position, so consumers get codes
    instead of hashing 570,000 texts. `uniques` may be a ready CategoricalDtype (the ids shared by a table's
    marks and values: 10,000 categories are checked once)."""
    dtype = uniques if isinstance(uniques, pd.CategoricalDtype) else pd.CategoricalDtype(
        pd.Index(np.asarray(uniques, dtype=object), dtype=object))
    return pd.Categorical.from_codes(codes, dtype=dtype, validate=False)


def coded(values: np.ndarray | list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct values) of a short object array (ids, column keys), missing values coded -1. The
    codes are in the smallest integer type a categorical over the values keeps (int8 up to 127 values), so
    that repeating them over 570,000 rows moves 1-2 bytes per row, not 8."""
    found, uniques = pd.factorize(np.asarray(values, dtype=object))
    size = len(uniques)
    small = np.int8 if size < 127 else np.int16 if size < 32_767 else np.int32 if size < 2**31 - 1 else np.int64
    return found.astype(small), np.asarray(uniques, dtype=object)


def object_frame(columns: dict[str, Any], length: int) -> pd.DataFrame:
    """A DataFrame whose text columns stay plain object arrays: letting pandas convert 200,000 cell
    names to its Arrow string type costs more than reading them. Floats stay floats; scalars repeat;
    pandas arrays (the "str" cell names) are kept as they are. Each column is its own block, so that
    570,000-row object columns are not copied into one 2-D block."""
    arrays: list[Any] = []
    for value in columns.values():
        if isinstance(value, np.ndarray) and value.dtype.kind in "fO" and value.shape == (length,):
            arrays.append(value)
        elif isinstance(value, pd.api.extensions.ExtensionArray):
            arrays.append(value)
        elif isinstance(value, np.ndarray | list | pd.Series):
            array = np.empty(length, dtype=object)
            array[:] = value.to_numpy(dtype=object) if isinstance(value, pd.Series) else value
            arrays.append(array)
        else:
            arrays.append(filled(length, value))
    if _from_blocks is None:
        return pd.DataFrame({name: pd.Series(a, dtype=a.dtype, copy=False) for name, a in zip(columns, arrays,
                                                                                              strict=True)})
    blocks = [(a if isinstance(a, pd.api.extensions.ExtensionArray) else a.reshape(1, length), np.array([i]))
              for i, a in enumerate(arrays)]
    return _from_blocks(blocks, index=pd.RangeIndex(length), columns=pd.Index(list(columns), dtype=object))


def block(grid: SheetGrid, rows: list[int], cols: list[int]) -> np.ndarray:
    """The values of grid rows x cols as a 2-D object array ("" outside the sheet)."""
    out = np.empty((len(rows), len(cols)), dtype=object)
    if not len(rows) or not len(cols):
        return out
    sheet_rows = grid.rows
    try:
        if len(cols) > 1 and _to_object_array is not None and list(cols) == list(range(cols[0], cols[0] + len(cols))):
            # A run of columns: pandas copies whole rows into a 2-D object array in one C loop; the run is a
            # slice of it (no copy when it is every column).
            lo, hi = cols[0], cols[0] + len(cols)
            picked = [sheet_rows[r] for r in rows]
            if picked and min(map(len, picked)) >= hi and all(map(list.__instancecheck__, picked)):
                whole = _to_object_array(picked)
                return whole if lo == 0 and hi == whole.shape[1] else np.ascontiguousarray(whole[:, lo:hi])
        if len(cols) == 1:
            c = cols[0]
            out[:, 0] = [sheet_rows[r][c] for r in rows]
        elif list(cols) == list(range(cols[0], cols[0] + len(cols))):  # a run of columns: slice each row
            lo, hi = cols[0], cols[0] + len(cols)
            picked = [sheet_rows[r][lo:hi] for r in rows]
            if min(map(len, picked)) < hi - lo:
                raise IndexError(hi)
            out = np.fromiter(chain.from_iterable(picked), dtype=object, count=out.size).reshape(out.shape)
        else:
            get = operator.itemgetter(*cols)
            picked = map(get, map(sheet_rows.__getitem__, rows))
            out = np.fromiter(chain.from_iterable(picked), dtype=object, count=out.size).reshape(out.shape)
    except IndexError:  # a row shorter than the widest one
        out = np.empty((len(rows), len(cols)), dtype=object)
        for i, r in enumerate(rows):
            row = sheet_rows[r]
            out[i] = [row[c] if c < len(row) else "" for c in cols]
    return out


def map_unique(values: np.ndarray, func: Any) -> np.ndarray:
    """func applied once per distinct value (cells repeat a lot: "Đạt" x 10,000), same shape back."""
    return map_unique_all(values, lambda uniques: [func(u) for u in uniques])


def factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct values) of a 1-D object array, as map_unique sees them: every missing value
    (None, NaN) is one value, NaN."""
    # A small starting table: cells repeat (a few thousand distinct texts and numbers in 570,000 cells).
    codes, uniques = pd.factorize(values.astype(object, copy=False), size_hint=min(len(values), 4096))
    missing = codes < 0
    if missing.any():
        uniques = np.append(uniques.astype(object), np.array([np.nan], dtype=object))
        codes = np.where(missing, len(uniques) - 1, codes)
    return codes, uniques


def map_unique_all(values: np.ndarray, func_many: Any) -> np.ndarray:
    """func_many (a list function such as text.parse_number_all) over the distinct values, same shape back."""
    if not values.size:
        return np.empty(values.shape, dtype=object)
    codes, uniques = factorize(values.ravel())
    mapped = np.empty(len(uniques), dtype=object)
    mapped[:] = list(func_many(uniques))
    return mapped[codes].reshape(values.shape)


def parse_marks(values: np.ndarray) -> np.ndarray:
    """Object array of "met" / "not_met" / "unknown" (explicit: "Chưa rõ") / None (unreadable)."""
    return map_unique(values, parse_mark)


def parse_numbers(values: np.ndarray, *, percent: bool) -> tuple[np.ndarray, np.ndarray]:
    """(float values, unreadable mask) for one value column; a percent column whose plain numbers
    are all at most 1 holds fractions (0.952 = 95.2 %), which become per-cents."""
    numbers = map_unique(values, parse_number).astype(float)
    blank = map_unique(values, no_value).astype(bool)
    if percent:
        plain = ~map_unique(values, has_percent_sign).astype(bool) & ~np.isnan(numbers)
        if plain.any() and np.nanmax(np.abs(numbers[plain])) <= 1.0:
            numbers = np.where(plain, numbers * 100.0, numbers)
    return numbers, np.isnan(numbers) & ~blank


def no_value(value: object) -> bool:
    """A cell that holds no value: blank or a dash ("-", "…")."""
    return is_blank(value) or (isinstance(value, str) and value.strip() in ("-", "--", "---", "…", "..."))


# A folded name that starts with a district-level unit ("huyen huu lung", "thanh pho lang son"): a commune is
# never called so, so a row with such a name heads the communes below it.
DISTRICT_NAME = re.compile(r"^(huyen|quan|thi xa|thanh pho|tp\.?)\s")


def group_district(text: str) -> str | None:
    """'I. Huyện Hữu Lũng' -> 'Huyện Hữu Lũng' when a group row names a district, else None."""
    stripped = re.sub(r"^\s*([IVXLC]+|[A-Z]|\d{1,2})\s*[.)/:\-–]\s*", "", nfc(text))
    if DISTRICT_NAME.match(fold(stripped)):
        return stripped
    return None


def commune_ids(communes: pd.DataFrame) -> pd.Series:
    """commune_id per row: the commune code when present, else commune_key(name). Names that repeat
    within different districts are qualified by the district ("hữu lũng/tân lập") so that namesakes in
    two districts stay two communes."""
    codes = communes["code"].to_numpy(dtype=object)
    if not pd.isna(codes).any():  # every commune has its code
        return pd.Series(codes, index=communes.index, dtype=object)
    keys = pd.Series(casefold_all(communes["name"].astype(object).tolist()), index=communes.index, dtype=object)
    ids = communes["code"].astype(object).where(communes["code"].notna(), keys)
    no_code = communes["code"].isna()
    # A key is a namesake when the communes without a code that carry it lie in more than one district.
    rows = np.flatnonzero(no_code.to_numpy())
    key_codes, distinct_keys = pd.factorize(keys.to_numpy()[rows])
    if len(distinct_keys) == len(rows):  # no name repeats: no namesakes, and no district keys to build
        return ids.astype(object)
    district = pd.Series(map_unique_all(communes["district"].fillna("").to_numpy(dtype=object), commune_keys),
                         index=communes.index)
    district_codes, districts = pd.factorize(district.to_numpy(dtype=object)[rows])
    pairs = np.unique(key_codes.astype(np.int64) * (len(districts) + 1) + district_codes)
    spread = np.bincount(pairs // (len(districts) + 1), minlength=int(key_codes.max(initial=-1)) + 1)
    namesakes = np.zeros(len(communes), dtype=bool)
    namesakes[rows] = spread[key_codes] > 1
    namesakes = pd.Series(namesakes, index=communes.index)
    if namesakes.any():
        ids = ids.where(~namesakes, district + "/" + keys)
    return ids.astype(object)


def commune_keys(values: Any) -> list[str]:
    """[commune_key(v) for v in values]."""
    return casefold_all(strip_commune_prefix_all(values))


def casefold_all(names: list[str]) -> list[str]:
    """[n.casefold() for n in names] (== commune_key of an already stripped name), in one pass over the
    joined names: case folding maps each character on its own."""
    joined = "\n".join(names)
    if joined.count("\n") == len(names) - 1:
        folded = joined.casefold().split("\n")
        if len(folded) == len(names):
            return folded
    return [n.casefold() for n in names]

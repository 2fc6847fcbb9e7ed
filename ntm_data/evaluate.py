"""Evaluation: criterion and sub-indicator statuses from the sheet's own marks and from values against
the catalogue's thresholds, with warnings where the two disagree. Vectorised over communes."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ntm_data.codes import codes as text_codes
from ntm_data.layouts.common import warn
from ntm_data.model import CRITERIA_COLUMNS, INDICATOR_COLUMNS, STATUS_LABELS, Issue, Status

try:  # pandas >= 3.0: a frame from ready column arrays, without consolidating them
    from pandas.api.internals import create_dataframe_from_blocks as _from_blocks
except ImportError:  # pragma: no cover
    _from_blocks = None

MET, NOT_MET, UNKNOWN = Status.MET.value, Status.NOT_MET.value, Status.UNKNOWN.value
# Status codes (int8) index STATUS_LABELS: 0 met, 1 not_met, 2 unknown; a mark's index in (MET, NOT_MET)
# is therefore its status code.
_MET, _NOT_MET, _UNKNOWN = (STATUS_LABELS.index(s) for s in (MET, NOT_MET, UNKNOWN))
_I8 = np.arange(len(STATUS_LABELS), dtype=np.int8)  # status codes as int8 scalars: np.where keeps int8
SOURCE_LABELS = ("sheet", "derived", "none")
_STATUS_DTYPE = pd.CategoricalDtype(list(STATUS_LABELS))
_SOURCE_DTYPE = pd.CategoricalDtype(list(SOURCE_LABELS))


@dataclass(frozen=True)
class Evaluation:
    """criteria: CRITERIA_COLUMNS, one row per commune x criterion of the set (communes order, then
    catalogue order); indicators: INDICATOR_COLUMNS, one row per value read; issues: disagreements.
    commune_id, criterion, status, source, indicator and the indicators' sheet are categorical (commune_id's
    categories are the communes index, so its codes are commune positions); cell keeps the reader's dtype
    and so does the criteria's sheet (a missing one is that dtype's missing value: NaN in a "str" or
    categorical column, None in an object one)."""

    criteria: pd.DataFrame
    indicators: pd.DataFrame
    issues: tuple[Issue, ...]


def _fmt(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def _in_use(code: np.ndarray, uniques: pd.Index) -> tuple[np.ndarray, pd.Index]:
    """(code, uniques) without the distinct values no row uses (a categorical's spare categories), so
    that the frames list only what was read, whatever the reader's dtype."""
    used = np.bincount(code + 1, minlength=len(uniques) + 1)[1:] > 0
    if used.all():
        return code, uniques
    remap = np.full(len(uniques) + 1, -1, dtype=np.intp)
    remap[:-1][used] = np.arange(int(used.sum()))
    return remap[code], uniques[used]


def _label_codes(column: pd.Series, labels: tuple[str, ...]) -> np.ndarray:
    """Index in `labels` of each value (-1 for any other value or a missing one)."""
    codes, uniques = text_codes(column)
    lut = np.array([labels.index(u) if isinstance(u, str) and u in labels else -1 for u in uniques] + [-1], dtype=np.int8)
    return lut[codes]


def _lookup(codes: np.ndarray, uniques: pd.Index, keys: pd.Index) -> np.ndarray:
    """Position in `keys` (compared as text) of each coded value; -1 when absent or missing."""
    if len(uniques) == len(keys) and uniques.equals(keys):  # the reader's ids are the communes, in order
        return codes
    texts = uniques if uniques.inferred_type == "string" else pd.Index([str(u) for u in uniques], dtype=object)
    where = np.append(keys.get_indexer(texts), -1).astype(np.intp)
    return where[codes]


def _first(keys: np.ndarray, size: int) -> np.ndarray | None:
    """bool mask of each key's first occurrence (keys in 0..size-1), or None when every key is unique."""
    if not len(keys):
        return None
    if size <= 8 * len(keys) + 1024 and np.bincount(keys, minlength=size).max() <= 1:
        return None
    return ~pd.Series(keys).duplicated().to_numpy()


def _frame(columns: dict[str, Any]) -> pd.DataFrame:
    """pd.DataFrame(columns) for same-length columns on a RangeIndex (Series, numpy or pandas arrays), each
    column its own block: pandas would copy the 570,000-row float columns into one 2-D block."""
    length = len(next(iter(columns.values())))
    arrays = [c.array if isinstance(c, pd.Series) and not isinstance(c.dtype, np.dtype)
              else np.asarray(c) for c in columns.values()]
    if _from_blocks is None or any(isinstance(a, np.ndarray) and a.dtype == object for a in arrays):
        return pd.DataFrame(columns)
    blocks = [(a if isinstance(a, pd.api.extensions.ExtensionArray) else a.reshape(1, length), np.array([i]))
              for i, a in enumerate(arrays)]
    return _from_blocks(blocks, index=pd.RangeIndex(length), columns=pd.Index(list(columns)))


def _categorical(codes: np.ndarray, dtype: pd.CategoricalDtype | pd.Index) -> pd.Series:
    """A categorical column from codes (-1: missing) over a dtype or distinct values (unique)."""
    if not isinstance(dtype, pd.CategoricalDtype):
        dtype = pd.CategoricalDtype(dtype)
    return pd.Series(pd.Categorical.from_codes(codes, dtype=dtype, validate=False))


def _take(column: pd.Series, rows: np.ndarray) -> pd.Series:
    """column's values at `rows` (-1: missing). When `rows` is every row in order (each commune x criterion
    marked once, in grid order) the column itself, in its own dtype; a pandas "str" column (the reader's
    cell names) or a categorical (its sheet names) stays one, missing where rows is -1 (no Python object
    per row); otherwise an object column with None."""
    if len(rows) == len(column) and (rows == np.arange(len(rows))).all():
        return column.reset_index(drop=True)
    if isinstance(column.dtype, pd.StringDtype) and len(column):
        return pd.Series(column.array.take(rows, allow_fill=True))
    if isinstance(column.dtype, pd.CategoricalDtype) and len(column):  # through the codes, missing where -1
        code = column.cat.codes.to_numpy()
        taken = np.where(rows >= 0, code.take(np.maximum(rows, 0), mode="clip"), -1).astype(code.dtype, copy=False)
        return pd.Series(pd.Categorical.from_codes(taken, dtype=column.dtype, validate=False))
    source = column.to_numpy(dtype=object)
    if not len(source):
        return pd.Series(np.full(len(rows), None, dtype=object), dtype=object)
    out = source.take(np.maximum(rows, 0))
    out[rows < 0] = None
    return pd.Series(out, dtype=object)


def _id_column(column: pd.Series, pos: np.ndarray, ids: pd.CategoricalDtype) -> pd.Series:
    """The commune_id column as a categorical over the communes index (codes = positions); ids that are
    not communes of the table keep their value as extra categories."""
    stray = np.flatnonzero(pos < 0)
    stray = stray[column.take(stray).notna().to_numpy()]
    if not len(stray):
        return _categorical(pos, ids)
    extra_codes, extra = pd.factorize(column.take(stray).astype(object).map(str))
    codes = pos.copy()
    codes[stray] = len(ids.categories) + extra_codes
    return _categorical(codes, ids.categories.astype(object).append(pd.Index(extra, dtype=object)))


# ---------------------------------------------------------------------------------------------------------
# Sub-indicator values


@dataclass(frozen=True)
class _Judged:
    """Per value row (positional arrays): commune position, indicator/criterion codes, the frame to keep."""

    frame: pd.DataFrame  # INDICATOR_COLUMNS
    pos: np.ndarray  # commune position, -1 when not a commune of the table
    code: np.ndarray  # indicator code (index in `codes`), -1 when missing
    codes: pd.Index  # distinct indicator codes
    kj: np.ndarray  # criterion position in the set, -1 when not one of its criteria
    status: np.ndarray  # int8 status code
    by_threshold: np.ndarray  # int8 status code from the value alone
    verified: np.ndarray  # bool: the threshold used is verified


def _threshold_table(codes: pd.Index, profiles: pd.Index, used: np.ndarray, criteria_set: Any,
                     year: int | None) -> np.ndarray:
    """(len(codes)+1) * (len(profiles)+1) rows of (threshold or NaN, verified, lower is better), filled
    for the `used` (indicator, profile) pairs only; code 0 is "no indicator", profile 0 "no profile"."""
    width = len(profiles) + 1
    table = np.zeros(((len(codes) + 1) * width, 3), dtype=float)
    table[:, 0] = np.nan
    for j in np.flatnonzero(used):
        c, p = divmod(int(j), width)
        indicator = criteria_set.indicator(str(codes[c - 1])) if c else None
        key_profile = str(profiles[p - 1]) if p else ""
        # Special communes (dbkk, atk) are judged on another profile's thresholds.
        resolved = criteria_set.threshold_profile(key_profile) if key_profile else None
        threshold = indicator.threshold_for(resolved, year) if indicator is not None else None
        table[j] = (
            threshold.value if threshold is not None else np.nan,
            bool(threshold is not None and threshold.verified),
            indicator is not None and indicator.kind != "yes_no" and indicator.direction == "lower",
        )
    return table


def _judge(values: pd.DataFrame, pos: np.ndarray, profiles: pd.Series, criteria_set: Any, year: int | None,
           ids: pd.CategoricalDtype, issues: list[Issue]) -> _Judged:
    """Statuses of every value row (see evaluate_indicators); `pos` the commune position of each row,
    `profiles` the threshold profile key per commune position."""
    values = values.reset_index(drop=True)
    code, codes = _in_use(*text_codes(values["indicator"]))
    criterion_code, criterion_values = _in_use(*text_codes(values["criterion"]))
    kj = _lookup(criterion_code, criterion_values, pd.Index([c.number for c in criteria_set.criteria], dtype=object))
    profile_code, profile_keys = text_codes(profiles.reset_index(drop=True))
    blank = np.append(np.array([not str(p) for p in profile_keys], dtype=bool), True)  # "" is no profile
    row_profile = np.append(np.where(blank[profile_code], -1, profile_code), -1)[pos]
    pair = code + 1  # (code + 1) * (profiles + 1) + (row_profile + 1), in place: no 570,000-row temporaries
    pair *= len(profile_keys) + 1
    pair += row_profile
    pair += 1
    used = np.zeros((len(codes) + 1) * (len(profile_keys) + 1), dtype=bool)
    used[pair] = True
    table = _threshold_table(codes, profile_keys, used, criteria_set, year)
    value = values["value"].to_numpy(dtype=float, na_value=np.nan)
    threshold, verified, lower = table[:, 0][pair], table[:, 1].astype(bool)[pair], table[:, 2].astype(bool)[pair]
    known = ~np.isnan(value) & ~np.isnan(threshold)
    with np.errstate(invalid="ignore"):
        passes = np.where(lower, value <= threshold, value >= threshold)
    by_threshold = np.where(known, np.where(passes, _I8[_MET], _I8[_NOT_MET]), _I8[_UNKNOWN])
    mark = _label_codes(values["mark"], (MET, NOT_MET))
    has_mark = mark >= 0
    status = np.where(has_mark, mark, by_threshold).astype(np.int8, copy=False)
    frame = _frame({
        "commune_id": _id_column(values["commune_id"], pos, ids),
        "indicator": _categorical(code, codes),
        "criterion": _categorical(criterion_code, criterion_values),
        "value": value,
        "status": _categorical(status, _STATUS_DTYPE),
        "threshold": threshold,
        "sheet": _categorical(*_in_use(*text_codes(values["sheet"]))),  # one or a few sheet names
        "cell": values["cell"],
    })
    clash = np.flatnonzero(has_mark & known & (status != by_threshold))
    if len(clash):
        rows = zip(values["sheet"].take(clash).tolist(), values["mark_cell"].take(clash).tolist(),
                   values["indicator"].take(clash).tolist(), status[clash].tolist(),
                   values["cell"].take(clash).tolist(), value[clash].tolist(), threshold[clash].tolist(), strict=True)
        for sheet, mark_cell, indicator, mark, cell, number, limit in rows:
            issues.append(warn("indicator_mark_contradicts_value", sheet, mark_cell, indicator=indicator,
                               mark=_mark_word(mark), value_cell=cell, value=_fmt(number), threshold=_fmt(limit)))
    return _Judged(frame, pos, code, codes, kj, status, by_threshold, verified)


def evaluate_indicators(values: pd.DataFrame, profiles: pd.Series, criteria_set: Any,
                        year: int | None) -> tuple[pd.DataFrame, list[Issue]]:
    """values (layouts.common.VALUE_COLUMNS) + profiles (Series commune_id -> threshold profile key)
    -> (INDICATOR_COLUMNS frame plus `by_threshold` status, `verified` and `mark_cell`, issues).

    status = the sheet's own mark for the value when given, else value vs threshold, else unknown."""
    ids = profiles.index
    code, uniques = text_codes(values["commune_id"].reset_index(drop=True))
    issues: list[Issue] = []
    judged = _judge(values, _lookup(code, uniques, ids), profiles, criteria_set, year, pd.CategoricalDtype(ids), issues)
    frame = judged.frame.assign(by_threshold=np.asarray(STATUS_LABELS, dtype=object)[judged.by_threshold],
                                verified=judged.verified, mark_cell=values["mark_cell"].to_numpy())
    return frame, issues


def _mark_word(status: int) -> str:
    return "Đạt" if status == _MET else "Chưa đạt"


# ---------------------------------------------------------------------------------------------------------
# Criteria


def evaluate(criteria_set: Any, communes: pd.DataFrame, marks: pd.DataFrame, values: pd.DataFrame,
             year: int | None) -> Evaluation:
    """Judge every commune against every criterion of `criteria_set`.

    communes: index commune_id, column `profile` (threshold profile key or None).
    marks: commune_id, criterion, mark ("met"/"not_met"/"unknown" explicit/None unreadable), sheet, cell.
           An unknown or unreadable mark's cell is kept on a criterion that stays unknown.
    values: layouts.common.VALUE_COLUMNS.
    Text columns may be object, str or category. A criterion's status is the sheet's mark when given;
    otherwise derived from its catalogued sub-indicators (met when there is at least one, all have values
    and all pass; not_met when any fails; unknown otherwise, never silently not_met)."""
    numbers = [c.number for c in criteria_set.criteria]
    ids = communes.index
    id_dtype = pd.CategoricalDtype(ids)  # categories = the communes index: codes are commune positions
    keys = pd.Index(ids.to_numpy(dtype=object), dtype=object)  # object-to-object lookups hash fastest
    criterion_keys = pd.Index(numbers, dtype=object)
    n, k = len(ids), len(numbers)
    issues: list[Issue] = []
    values = values.reset_index(drop=True)
    marks = marks.reset_index(drop=True)
    vcode, vids = text_codes(values["commune_id"])
    judged = _judge(values, _lookup(vcode, vids, keys), communes["profile"], criteria_set, year, id_dtype, issues)
    derived, by_values = _derived(judged, criteria_set, n, numbers)

    mcode, mids = text_codes(marks["commune_id"])
    mpos = _lookup(mcode, mids, keys)
    ccode, cvalues = text_codes(marks["criterion"])
    mkj = _lookup(ccode, cvalues, criterion_keys)
    flat = mpos * k + mkj
    on_grid = (mpos >= 0) & (mkj >= 0)
    said = _label_codes(marks["mark"], (MET, NOT_MET))
    given = said >= 0
    # The first mark read for a commune x criterion wins.
    rows = _first_rows(flat, given & on_grid, n * k)
    mark = np.full(n * k, -1, dtype=np.int8)
    mark[flat[rows]] = said[rows]
    source_row = np.full(n * k, -1, dtype=np.intp)
    source_row[flat[rows]] = rows
    has_mark = mark >= 0
    # An unreadable mark ("abc", "#N/A", a formula without its result) or an explicit "Chưa rõ" leaves the
    # criterion unknown unless its values decide it; the unknown still points at the cell to fix.
    rows = _first_rows(flat, ~given & on_grid, n * k)
    rows = rows[~has_mark[flat[rows]] & (derived[flat[rows]] == _UNKNOWN)]
    source_row[flat[rows]] = rows
    status = np.where(has_mark, mark, derived).astype(np.int8)
    source = np.where(has_mark, 0, np.where(derived != _UNKNOWN, 1, 2)).astype(np.int8)
    criteria = _frame({
        "commune_id": _categorical(np.repeat(np.arange(n), k), id_dtype),
        "criterion": _categorical(np.tile(np.arange(k), n), criterion_keys),
        "status": _categorical(status, _STATUS_DTYPE),
        "source": _categorical(source, _SOURCE_DTYPE),
        "sheet": _take(marks["sheet"], source_row),
        "cell": _take(marks["cell"], source_row),
    })
    clash = np.flatnonzero(has_mark & (by_values != _UNKNOWN) & (mark != by_values))
    issues += _contradictions(clash, mark, criteria, judged, k, numbers, values)
    issues += _count_mismatches(communes, mpos, said == _MET)
    return Evaluation(_columns(criteria, CRITERIA_COLUMNS), _columns(judged.frame, INDICATOR_COLUMNS), tuple(issues))


def _columns(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """frame[columns], or the frame itself when those are its columns already."""
    return frame if list(frame.columns) == columns else frame[columns]


def _first_rows(flat: np.ndarray, mask: np.ndarray, size: int) -> np.ndarray:
    """Row numbers where `mask` holds, keeping the first row of each flat position."""
    rows = np.flatnonzero(mask)
    first = _first(flat[rows], size)
    return rows if first is None else rows[first]


def _derived(judged: _Judged, criteria_set: Any, n: int, numbers: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per flat (commune, criterion) position: the status code derived from sub-indicator statuses, and
    the threshold-only status (`by_values`) used to check the sheet's own marks. A commune x indicator
    read twice counts once (its first row)."""
    k = len(numbers)
    size = n * k
    derived = np.full(size, _UNKNOWN, dtype=np.int8)
    by_values = np.full(size, _UNKNOWN, dtype=np.int8)
    if not len(judged.pos):
        return derived, by_values
    catalogued = {i.code for i in criteria_set.indicators}
    counts: dict[str, int] = {}
    for i in criteria_set.indicators:
        counts[i.criterion] = counts.get(i.criterion, 0) + 1
    expected = np.tile(np.array([counts.get(num, 0) for num in numbers]), n)
    in_catalogue = np.append(np.array([str(c) in catalogued for c in judged.codes], dtype=bool), False)[judged.code]
    width = len(judged.codes) + 1
    listed = judged.pos >= 0
    rows: np.ndarray | None = None  # the rows that count; None: every row (the usual case, no copies)
    if listed.all():
        key = judged.pos * width
        key += judged.code
        key += 1
        first = _first(key, n * width)
        if first is not None:
            rows = np.flatnonzero(first)
    else:
        rows = np.flatnonzero(listed)
        first = _first(judged.pos[rows] * width + judged.code[rows] + 1, n * width)
        rows = rows if first is None else rows[first]
    on_grid = judged.kj >= 0 if rows is None else judged.kj[rows] >= 0
    if not on_grid.all():
        rows = np.flatnonzero(on_grid) if rows is None else rows[on_grid]

    def pick(array: np.ndarray) -> np.ndarray:
        return array if rows is None else array[rows]

    pos = (pick(judged.pos) * k + pick(judged.kj)) * 3
    # Per row a class: 0 a catalogued sub-indicator met, 1 not met (catalogued or not), 2 neither.
    # The class through a table: row (catalogued, status code) -> class, as int8 (no 570,000-row int64 temporaries).
    classes = np.full((2, len(STATUS_LABELS)), 2, dtype=np.int8)
    classes[:, _NOT_MET] = 1
    classes[1, _MET] = 0
    catalogued_base = pick(in_catalogue).astype(np.int8) * np.int8(len(STATUS_LABELS))
    complete = expected > 0
    for target, column in ((derived, pick(judged.status)), (by_values, pick(judged.by_threshold))):
        cls = classes.ravel().take(catalogued_base + column)
        tally = np.bincount(pos + cls, minlength=size * 3).reshape(size, 3)
        target[complete & (tally[:, 0] == expected)] = _MET
        target[tally[:, 1] > 0] = _NOT_MET
    return derived, by_values


def _contradictions(clash: np.ndarray, mark: np.ndarray, criteria: pd.DataFrame, judged: _Judged, k: int,
                    numbers: list[str], values: pd.DataFrame) -> list[Issue]:
    """The sheet says Đạt but a value fails its threshold (named: the first failing value read), or Chưa
    đạt while every value passes (all the passing values' cells). clash: flat criteria positions where
    the mark and the values disagree."""
    if not len(clash):
        return []
    on_grid = (judged.pos >= 0) & (judged.kj >= 0)
    flat = np.where(on_grid, judged.pos * k + judged.kj, -1)
    mark_sheets = criteria["sheet"].take(clash).tolist()
    mark_cells = criteria["cell"].take(clash).tolist()
    said_met = clash[mark[clash] == _MET]
    failing = np.flatnonzero(on_grid & (judged.by_threshold == _NOT_MET) & np.isin(flat, said_met))
    failing = failing[~pd.Series(flat[failing]).duplicated().to_numpy()]
    first_failing = dict(zip(flat[failing].tolist(), failing.tolist(), strict=True))
    passing = np.flatnonzero(on_grid & (judged.by_threshold == _MET) & np.isin(flat, clash[mark[clash] == _NOT_MET]))
    passing_cells: dict[int, list[str]] = {}
    for f, cell in zip(flat[passing].tolist(), values["cell"].take(passing).tolist(), strict=True):
        passing_cells.setdefault(f, []).append(str(cell))
    frame = judged.frame
    issues: list[Issue] = []
    for f, sheet, cell in zip(clash.tolist(), mark_sheets, mark_cells, strict=True):
        r = first_failing.get(f)
        if mark[f] != _MET or r is None:
            continue
        issues.append(warn("mark_met_but_value_fails" if judged.verified[r] else "mark_met_but_value_fails_unverified",
                           sheet, cell, criterion=numbers[f % k], indicator=values["indicator"].iat[r],
                           value_cell=values["cell"].iat[r], value=_fmt(frame["value"].iat[r]),
                           threshold=_fmt(frame["threshold"].iat[r])))
    for f, sheet, cell in zip(clash.tolist(), mark_sheets, mark_cells, strict=True):
        if mark[f] == _NOT_MET and f in passing_cells:
            issues.append(warn("mark_not_met_but_values_pass", sheet, cell, criterion=numbers[f % k],
                               value_cells=", ".join(passing_cells[f])))
    return issues


def _count_mismatches(communes: pd.DataFrame, pos: np.ndarray, said_met: np.ndarray) -> list[Issue]:
    """A "Số tiêu chí đạt" cell that disagrees with the number of Đạt marks on its row.
    pos: commune position of each mark row (-1 when not a commune); said_met: the mark is Đạt."""
    if "reported_met" not in communes or not len(pos):
        return []
    reported = pd.to_numeric(communes["reported_met"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if np.isnan(reported).all():
        return []
    counted = np.bincount(pos[said_met & (pos >= 0)], minlength=len(communes))
    off = np.flatnonzero(~np.isnan(reported) & (reported != counted))
    if not len(off):
        return []
    sheet, cell, span = (communes[c].take(off).tolist() for c in ("sheet", "reported_met_cell", "mark_range"))
    return [
        warn("criteria_met_mismatch", sheet[j], cell[j], reported=_fmt(reported[i]), counted=int(counted[i]),
             range=span[j])
        for j, i in enumerate(off.tolist())
    ]

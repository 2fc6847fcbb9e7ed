"""Analytics over a Dataset: progress KPIs, buckets, lagging criteria and communes, gaps, trends, comparisons.

Every function is pure (never mutates its input) and vectorised over communes. Frames returned carry
`commune_id` as a column (except `scorecard`, indexed by it) and a fresh RangeIndex. Names are sorted the
Vietnamese way: by `ntm_data.text.fold(name)`, then by the name itself (so "Hà" and "Hạ" stay apart).
Catalogue names are given in both languages (`name_vi`, `name_en`); the UI picks one.

Frames' text columns may be object, pandas "str" or category (results are the same): they are read as
integer codes (a category's own, or one factorize: ntm_data.codes), the criteria frame in the evaluator's
grid order is reshaped rather than pivoted, and a function that needs one criterion's, one sub-indicator's
or one commune's value rows reads only those.

Speed: arrays derived from a Dataset (status codes, value rows, name order) are cached per Dataset object
and freed with it, so repeated calls on the same object cost a few ms at 10,000 communes; a first call
derives only what it needs (under 50 ms nationally, see docs/benchmark.md). Keep one object alive across
reruns (st.cache_resource). Check with `python -m ntm_data.bench`.
"""
from __future__ import annotations

import functools
import math
import re
import unicodedata
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from ntm_data.codes import codes as text_codes
from ntm_data.model import Dataset, Period, Status
from ntm_data.text import _COMBINING, fold, nfc  # _COMBINING: the same marks fold() deletes

MET, NOT_MET, UNKNOWN = Status.MET.value, Status.NOT_MET.value, Status.UNKNOWN.value

# Bands of "criteria met" that reports quote (domain README §1: 19 · 15–18 · 10–14 · 5–9 · under 5).
# The 10-criteria set (QĐ 51/2025) keeps the same shape scaled to 10, with 8 as its floor.
BUCKETS: dict[int, list[tuple[int, int]]] = {
    19: [(19, 19), (15, 18), (10, 14), (5, 9), (0, 4)],
    10: [(10, 10), (8, 9), (5, 7), (3, 4), (0, 2)],
}
# The 2021–2025 target is "no commune under 15 of 19 criteria"; 8 of 10 is the same share rounded up.
FLOORS: dict[int, int] = {19: 15, 10: 8}

PopulationBase = Literal["population", "households"]


# ---- results -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Progress:
    """Headline figures of one dataset. Shares are 0..1; with no communes, shares and averages are 0.0."""

    communes: int
    at_standard: int
    at_standard_share: float
    average_met: float
    criteria_total: int
    under_floor: int  # communes meeting fewer than `floor` criteria
    floor: int  # 15 for a 19-criteria set, 8 for a 10-criteria set
    recognized: int  # communes with a recognized_year


@dataclass(frozen=True)
class CommuneProfile:
    """Everything known about one commune.

    commune:    the communes row as a dict (missing values as None), plus "commune_id".
    criteria:   one row per criterion in catalogue order: criterion, name_vi, name_en, status, source,
                sheet, cell, blocking (tuple of the criterion's sub-indicator codes that are not met).
    indicators: one row per sub-indicator value read, catalogue order: indicator, criterion, name_vi,
                name_en, unit, value, threshold, status, verified (bool|None), direction, gap.
    missing:    criterion numbers not met (not_met or unknown), catalogue order.
    """

    commune: dict[str, Any]
    criteria: pd.DataFrame
    indicators: pd.DataFrame
    criteria_met: int
    at_standard: bool
    target_year: int | None
    recognized_year: int | None
    missing: tuple[str, ...] = ()
    commune_id: str = ""


@dataclass(frozen=True)
class Comparison:
    """What changed between two snapshots of the same area (see `compare_snapshots`)."""

    old_period: str | None
    new_period: str | None
    changes: pd.DataFrame
    newly_at_standard: pd.DataFrame
    dropped_from_standard: pd.DataFrame
    movers: pd.DataFrame
    revised_values: pd.DataFrame
    added_communes: tuple[str, ...]
    removed_communes: tuple[str, ...]


# ---- small shared rules ------------------------------------------------------------------------------
def criteria_total(ds: Dataset) -> int:
    """N, the size of the dataset's criteria set (19 or 10)."""
    return len(ds.criteria_set.criteria)


def floor_for(n: int) -> int:
    """The minimum number of criteria every commune should meet for a set of `n` criteria."""
    return FLOORS.get(n, math.ceil(n * 15 / 19))


def buckets_for(n: int) -> list[tuple[int, int]]:
    """(low, high) bands of criteria met, best first. Known set sizes use BUCKETS; any other size is
    cut at n, the floor, ~10/19 and ~5/19 of n (empty bands dropped)."""
    if n in BUCKETS:
        return list(BUCKETS[n])
    edges = [n, floor_for(n), round(n * 10 / 19), round(n * 5 / 19), 0]
    bands = [(n, n)]
    for low, high in zip(edges[1:], [e - 1 for e in edges[:-1]], strict=True):
        if low <= high and low < bands[-1][0]:
            bands.append((low, min(high, bands[-1][0] - 1)))
    return bands


def bucket_label(low: int, high: int) -> str:
    """"19" for a single value, "<5" for a band from 0, else "15–18" (en dash)."""
    if low == high:
        return str(low)
    if low == 0:
        return f"<{high + 1}"
    return f"{low}–{high}"


_PUNCT = re.compile(r"[^\w\s]")


def population_base(name_vi: str) -> PopulationBase | None:
    """Which head count a "share of ..." sub-indicator is a share of, from its Vietnamese name.

    Rule: fold the name, drop punctuation and a leading "tỷ lệ"; the subject that follows decides.
    "hộ ..." -> "households" (17.1, 17.7, 9.2), unless it goes on "và cơ sở ..." (a mixed base, 17.9);
    "người dân ...", "dân số ...", "người ..." -> "population" (15.1, 15.4), unless the base is an age
    band ("... trong độ tuổi lao động": 12 employment). Anything else (15.3 "trẻ em ...", roads) -> None.
    """
    text = " ".join(_PUNCT.sub(" ", fold(name_vi)).split())
    if text.startswith("ty le "):
        text = text[len("ty le "):]
    padded = f" {text} "
    if text.startswith("ho "):
        return None if " va co so " in padded else "households"
    if text.startswith(("nguoi ", "dan so ")):
        return None if " tuoi " in padded else "population"
    return None


# ---- private helpers ---------------------------------------------------------------------------------
_LABELS = np.array([NOT_MET, UNKNOWN, MET], dtype=object)  # index = status code (also the sort rank)
_CODE_NOT_MET, _CODE_UNKNOWN, _CODE_MET = 0, 1, 2


@dataclass(frozen=True)
class _Codes:
    """A dataset's criterion statuses as small integers, by commune position x criterion (catalogue order)."""

    numbers: tuple[str, ...]  # criterion numbers, catalogue order (the status_matrix columns)
    codes: np.ndarray  # int8, 0 not_met, 1 unknown, 2 met
    met: np.ndarray  # int64, criteria met per commune

    @property
    def total(self) -> int:
        return len(self.numbers)


@dataclass(frozen=True)
class _Values:
    """A dataset's sub-indicator rows as arrays. Rows of communes not in `communes` are dropped, and a
    commune x code read twice keeps its first row."""

    pos: np.ndarray  # commune position (integer arrays of any width)
    code: np.ndarray  # index into `meta`
    criterion: np.ndarray  # index into `criteria`
    criteria: tuple[str, ...]  # distinct criterion numbers of the rows
    status: np.ndarray  # int8 status code
    value: np.ndarray  # float
    threshold: np.ndarray  # float
    meta: pd.DataFrame  # one row per distinct code, see _indicator_meta


# Derived arrays are cached per object and dropped when it is garbage-collected: a Dataset is immutable,
# and folding 10,000 names (~40 ms) or hashing 200,000 value rows would otherwise dominate every call.
_CODES: dict[int, _Codes] = {}
_VALUES: dict[int, _Values] = {}
_NAME_RANKS: dict[int, np.ndarray] = {}
_METS: dict[int, np.ndarray] = {}  # criteria met per commune, for datasets whose _codes were not needed
_METAS: dict[int, dict[tuple[str, ...], pd.DataFrame]] = {}  # per criteria set: _indicator_meta by codes
_TEXTS: dict[int, dict[str, Any]] = {}  # communes text columns converted for output frames, by column
_VALUE_PARTS: dict[int, dict[tuple[str, str], _Values]] = {}  # one criterion's / code's / commune's rows
MAX_VALUE_PARTS = 16


def _cached(cache: dict[int, Any], owner: object, build: Any) -> Any:
    key = id(owner)
    hit = cache.get(key)
    if hit is None:
        hit = build()
        cache[key] = hit
        weakref.finalize(owner, cache.pop, key, None)
    return hit


# ---- dtype-agnostic text columns (object, pandas "str" or category: the frame contract allows each) ---------
def _eq(column: pd.Series, value: str) -> np.ndarray:
    """Boolean array: column == value (False where missing). Object columns compare as a numpy array
    (pandas' object Series comparison is 4x slower); category compares its integer codes."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        hit = int(column.cat.categories.get_indexer(pd.Index([value], dtype=object))[0])
        codes = column.cat.codes.to_numpy()
        return codes == hit if hit >= 0 else np.zeros(len(column), dtype=bool)
    if column.dtype == object:
        try:
            return np.asarray(column.to_numpy() == value, dtype=bool)
        except (TypeError, ValueError):  # e.g. pd.NA in an object column: let pandas handle it
            pass
    return _bools(column == value)


def _bools(result: Any) -> np.ndarray:
    if isinstance(result, np.ndarray):
        return result.astype(bool, copy=False)
    return pd.array(result).to_numpy(dtype=bool, na_value=False)


def _text_codes(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """(codes, uniques) of the values present, like pd.factorize (-1 where missing): a category's own
    codes (only categories in use are kept), else one factorize (ntm_data.codes)."""
    codes, uniques = text_codes(column)
    if not isinstance(column.dtype, pd.CategoricalDtype):
        return codes, pd.Index(uniques)
    codes = column.cat.codes.to_numpy()  # int8/16/32: indexes like intp, a quarter of the memory
    used = np.zeros(len(uniques) + 1, dtype=bool)
    used[codes] = True  # code -1 (missing) marks the last slot
    used = used[:-1]
    if used.all():
        return codes, uniques
    remap = np.full(len(uniques) + 1, -1, dtype=np.intp)
    remap[:-1][used] = np.arange(int(used.sum()))
    return remap[codes], pd.Index(uniques.to_numpy(dtype=object)[used], dtype=object)


def _lookup(uniques: pd.Index, labels: Sequence[Any]) -> np.ndarray:
    """Position of each label in `uniques` (-1 when absent), by value."""
    if not len(uniques):
        return np.full(len(labels), -1, dtype=np.intp)
    return uniques.get_indexer(labels if isinstance(labels, pd.Index) else pd.Index(list(labels), dtype=object))


def _row_positions(index: pd.Index, column: pd.Series) -> np.ndarray:
    """Position in `index` (the communes) of each row's commune id, -1 when absent."""
    n, m = len(index), len(column)
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes, categories = column.cat.codes.to_numpy(), column.cat.categories
        if len(categories) >= n and categories[:n].equals(index):  # the communes first: codes are positions
            return codes if len(categories) == n else np.where(codes < n, codes, -1)
        return np.append(index.get_indexer(categories), -1).astype(np.intp)[codes] if len(categories) else (
            np.full(m, -1, dtype=np.intp))
    codes, uniques = _text_codes(column)
    if not len(uniques):
        return np.full(m, -1, dtype=np.intp)
    return np.append(index.get_indexer(uniques), -1).astype(np.intp)[codes]


def _status_codes(statuses: pd.Series) -> np.ndarray:
    """int8 status code per row (0 not_met, 1 unknown, 2 met); anything but met/not_met is unknown."""
    if isinstance(statuses.dtype, pd.CategoricalDtype):
        labels = np.asarray(statuses.cat.categories, dtype=object)
        table = np.full(len(labels) + 1, _CODE_UNKNOWN, dtype=np.int8)  # the last slot: code -1 (missing)
        table[:-1][labels == MET] = _CODE_MET
        table[:-1][labels == NOT_MET] = _CODE_NOT_MET
        return table[statuses.cat.codes.to_numpy()]
    met, not_met = _eq(statuses, MET), _eq(statuses, NOT_MET)
    return np.where(met, _CODE_MET, np.where(not_met, _CODE_NOT_MET, _CODE_UNKNOWN)).astype(np.int8)


def _matches(column: pd.Series, labels: pd.Index, shape: tuple[int, int], repeat: bool) -> bool:
    """Whether the column, read as a (rows, cols) grid, holds labels[row] in every cell of a row
    (`repeat`) or labels[col] in every cell of a column."""
    expand = (slice(None), None) if repeat else (None, slice(None))
    k = len(labels)
    if isinstance(column.dtype, pd.CategoricalDtype):
        categories = column.cat.categories
        if len(categories) >= k and categories[:k].equals(labels):
            where = np.arange(k)  # the categories start with the labels (the evaluator's commune ids): no hashing
        else:
            where = _lookup(categories, labels)
        return bool((where >= 0).all() and (column.cat.codes.to_numpy().reshape(shape) == where[expand]).all())
    if column.dtype == object:
        try:
            return bool((column.to_numpy().reshape(shape) == labels.to_numpy(dtype=object)[expand]).all())
        except (TypeError, ValueError):
            pass
    codes, uniques = _text_codes(column)
    where = _lookup(uniques, labels)
    return bool((where >= 0).all() and (codes.reshape(shape) == where[expand]).all())


def _in_grid_order(criteria: pd.DataFrame, index: pd.Index, numbers: Sequence[str]) -> bool:
    """Whether the criteria frame lists every commune (communes order) x criterion (catalogue order)
    exactly once in that order, as the evaluator and Dataset.subset leave it."""
    n, k = len(index), len(numbers)
    return bool(k and len(criteria) == n * k and n
                and _matches(criteria["criterion"], pd.Index(list(numbers), dtype=object), (n, k), repeat=False)
                and _matches(criteria["commune_id"], index, (n, k), repeat=True))


def _criterion_numbers(ds: Dataset) -> tuple[str, ...]:
    return tuple(str(c.number) for c in ds.criteria_set.criteria)


def _status_grid(ds: Dataset, met_only: bool = False) -> np.ndarray:
    """(communes, criteria) int8 status codes from ds.criteria (a criterion row missing reads unknown;
    a commune x criterion listed twice keeps its first row); with `met_only`, a bool "met" grid."""
    criteria, index, numbers = ds.criteria, ds.communes.index, _criterion_numbers(ds)
    n, k = len(index), len(numbers)
    if _in_grid_order(criteria, index, numbers):  # a reshape, no hashing
        if met_only:
            return _eq(criteria["status"], MET).reshape(n, k)
        return _status_codes(criteria["status"]).reshape(n, k)
    pos = _row_positions(index, criteria["commune_id"])
    col_codes, col_uniques = _text_codes(criteria["criterion"])
    col = np.append(pd.Index(list(numbers), dtype=object).get_indexer(col_uniques) if len(col_uniques)
                    else np.zeros(0, dtype=np.intp), -1).astype(np.intp)[col_codes]
    rows = np.flatnonzero((pos >= 0) & (col >= 0))
    key = pos[rows].astype(np.int64) * max(k, 1) + col[rows]
    rows = rows[~pd.Series(key).duplicated().to_numpy()]
    grid = np.full((n, k), _CODE_UNKNOWN, dtype=np.int8)
    grid[pos[rows], col[rows]] = _status_codes(criteria["status"].take(rows))
    return grid == _CODE_MET if met_only else grid


def _codes(ds: Dataset) -> _Codes:
    def build() -> _Codes:
        grid = _status_grid(ds)
        return _Codes(_criterion_numbers(ds), grid, (grid == _CODE_MET).sum(axis=1).astype(np.int64))

    return _cached(_CODES, ds, build)


def _met_counts(ds: Dataset) -> np.ndarray:
    """int64 criteria met per commune: from the cached codes, else from a "met" grid alone (what the
    history functions need; a third cheaper than deriving every status)."""
    hit = _CODES.get(id(ds))
    if hit is not None:
        return hit.met
    return _cached(_METS, ds, lambda: _status_grid(ds, met_only=True).sum(axis=1).astype(np.int64))


def _first_rows(pos: np.ndarray, code: np.ndarray, n: int, width: int) -> np.ndarray | None:
    """Indices of the rows with a commune and a code (pos, code >= 0) whose pair was not seen on an earlier
    such row; None when that is every row (the usual case, checked without hashing)."""
    valid = (pos >= 0) & (code >= 0)
    every = bool(valid.all())
    key = pos.astype(np.int64) * width + code
    if not every:
        key = key[valid]
    unique = bool((key[1:] > key[:-1]).all())  # sorted by commune, then code
    if not unique and every:  # sorted by code, then commune (a values sheet read column after column)
        other = code.astype(np.int64) * n + pos
        unique = bool((other[1:] > other[:-1]).all())
    if not unique and n * width <= 8 * len(key) + 4096:
        unique = bool(np.bincount(key, minlength=n * width).max(initial=0) <= 1)
    rows = None if every else np.flatnonzero(valid)
    if unique:
        return rows
    first = ~pd.Series(key).duplicated().to_numpy()
    return np.flatnonzero(first) if rows is None else rows[first]


def _floats(column: pd.Series) -> np.ndarray:
    if column.dtype == np.float64:
        return column.to_numpy()  # no copy
    return column.to_numpy(dtype=float, na_value=np.nan)


def _build_values(ds: Dataset, rows: np.ndarray | None = None) -> _Values:
    """_Values of ds.indicators, or of the rows `rows` of it (all rows of the codes or communes wanted,
    so "first row per commune x code" picks the same rows)."""
    ind = ds.indicators

    def column(name: str) -> pd.Series:
        whole = ind[name]
        if rows is None:
            return whole
        if isinstance(whole.dtype, pd.CategoricalDtype):  # the codes taken, the categories shared
            return pd.Series(pd.Categorical.from_codes(whole.cat.codes.to_numpy()[rows], dtype=whole.dtype,
                                                       validate=False))
        return whole.take(rows)

    pos = _row_positions(ds.communes.index, column("commune_id"))
    code, codes = _text_codes(column("indicator"))
    criterion, criteria = _text_codes(column("criterion"))
    keep = _first_rows(pos, code, len(ds.communes), max(len(codes), 1))
    pick = (lambda a: a) if keep is None else (lambda a: a[keep])
    return _Values(
        pos=pick(pos),
        code=pick(code),
        criterion=pick(criterion),
        criteria=tuple(str(c) for c in criteria),
        status=pick(_status_codes(column("status"))),
        value=pick(_floats(column("value"))),
        threshold=pick(_floats(column("threshold"))),
        meta=_indicator_meta(ds, [str(c) for c in codes]),
    )


def _values(ds: Dataset) -> _Values:
    return _cached(_VALUES, ds, lambda: _build_values(ds))


def _values_where(ds: Dataset, column: str, value: str) -> _Values:
    """The cached _Values when there are, else those of the rows whose `column` equals `value` only (one
    criterion's, one sub-indicator's or one commune's rows: a few % of a values workbook's)."""
    hit = _VALUES.get(id(ds))
    if hit is not None:
        return hit
    parts = _cached(_VALUE_PARTS, ds, dict)
    part = parts.get((column, value))
    if part is None:
        rows = np.flatnonzero(_eq(ds.indicators[column], value))
        if not len(rows) and column != "commune_id" and len(ds.indicators):
            return _values(ds)  # e.g. criterion numbers stored as numbers: the general path decides
        part = _build_values(ds, rows)
        if len(parts) >= MAX_VALUE_PARTS:
            parts.pop(next(iter(parts)))
        parts[(column, value)] = part
    return part


def _fold_all(names: list[str]) -> list[str]:
    """[fold(n) for n in names], in one pass over the joined text when every name is already what nfc()
    returns (the Dataset contract: NFC, single spaces, printable): a few C-level passes, not 10,000 calls."""
    joined = "\n".join(names)
    # What nfc() would change: other white space and control characters are not printable; then double,
    # leading or trailing spaces; then the normal form itself.
    if (joined.count("\n") != max(len(names) - 1, 0) or not joined.replace("\n", "").isprintable()
            or "  " in joined or "\n " in joined or " \n" in joined or joined[:1] == " " or joined[-1:] == " "
            or not unicodedata.is_normalized("NFC", joined)):
        return [fold(n) for n in names]
    decomposed = unicodedata.normalize("NFKD", joined.replace("đ", "d").replace("Đ", "D"))
    if not decomposed.isascii():
        # fold() deletes the combining marks (_COMBINING). When they are the only non-ASCII characters
        # left (Vietnamese names always), dropping every non-ASCII character does the same, 10x faster.
        points = np.frombuffer(decomposed.encode("utf-32-le"), dtype=np.uint32)
        others = np.unique(points[points >= 128]).tolist()
        if all(_COMBINING.fullmatch(chr(c)) for c in others):
            decomposed = decomposed.encode("ascii", "ignore").decode("ascii")
        else:
            decomposed = _COMBINING.sub("", decomposed)
    folded = decomposed.lower().split("\n")
    return folded if len(folded) == len(names) else [fold(n) for n in names]


def _rank_names(raw: np.ndarray) -> np.ndarray:
    """int64 per name: its place when sorted by fold(name), then name, then position."""
    if pd.api.types.infer_dtype(raw, skipna=False) == "string":
        names = raw.tolist()  # every one a str: no per-name check
    else:
        names = [n if isinstance(n, str) else "" if n is None or n is pd.NA or n != n else str(n) for n in raw]
    folded = _fold_all(names)
    if "\0" in "".join(names):
        pairs = list(zip(folded, names, strict=True))
        order = np.array(sorted(range(len(pairs)), key=pairs.__getitem__), dtype=np.int64)
    else:
        # "fold\0name" sorts as the pair (fold, name) does: no text holds "\0", and it sorts first
        joined = np.array([f + "\0" + n for f, n in zip(folded, names, strict=True)], dtype=object)
        codes, _ = pd.factorize(joined, sort=True)
        order = np.argsort(codes, kind="stable").astype(np.int64)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank


def _name_rank(ds: Dataset) -> np.ndarray:
    """int64 by commune position: the commune's place when sorted by fold(name), then name (then position)."""
    return _cached(_NAME_RANKS, ds.communes, lambda: _rank_names(ds.communes["name"].to_numpy(dtype=object)))


def communes_by_name(ds: Dataset) -> pd.DataFrame:
    """ds.communes in Vietnamese-aware name order (accents folded, so "Đồng" sorts with "Do"). The order is
    kept per dataset, so a page's rerun folds no names again."""
    return ds.communes.iloc[np.argsort(_name_rank(ds), kind="stable")]


def _name_rank_of(ds: Dataset, pos: np.ndarray) -> np.ndarray:
    """Name ranks of the communes at `pos`, comparable among themselves (the order _name_rank gives).
    Before the whole dataset's order is known, a few communes are ranked among themselves only: folding
    a tenth of the names costs a tenth."""
    if id(ds.communes) in _NAME_RANKS or 3 * len(pos) >= len(ds.communes):
        return _name_rank(ds)[pos]
    unique, inverse = np.unique(pos, return_inverse=True)  # ascending positions: ties keep file order
    names = ds.communes["name"].array.take(unique)
    return _rank_names(np.asarray(names, dtype=object))[inverse.reshape(-1)]


def _integer_key(values: Any, ascending: bool) -> tuple[np.ndarray, int] | None:
    """(0-based int64 key, its size) with NaN last, when the values are whole numbers in a small range."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "iub":  # no NaN to place
        if not len(values):
            return np.zeros(0, dtype=np.int64), 1
        low, high = int(values.min()), int(values.max())
        if high - low > 1 << 20:
            return None
        key = (values.astype(np.int64) - low) if ascending else (high - values.astype(np.int64))
        return key, high - low + 1
    a = np.asarray(values, dtype=float)
    finite = a[~np.isnan(a)]
    if not len(finite):
        return np.zeros(len(a), dtype=np.int64), 1
    low, high = finite.min(), finite.max()
    if high - low > 1 << 20 or not (finite == np.round(finite)).all():
        return None
    key = (a - low) if ascending else (high - a)
    return np.where(np.isnan(a), high - low + 1, key).astype(np.int64), int(high - low) + 2


def _order(ds: Dataset, pos: np.ndarray, keys: Sequence[tuple[Any, bool]] = (), name_first: bool = False) -> np.ndarray:
    """Row order: by each (numeric array, ascending) key in turn, NaN last, then by commune name
    (or by name first, then the keys, with `name_first`); ties keep their order."""
    rank = _name_rank_of(ds, pos)
    m = len(pos)
    parts: list[tuple[np.ndarray, int]] | None = []
    for values, ascending in keys:
        part = _integer_key(values, ascending)
        if part is None:
            parts = None
            break
        parts.append(part)
    if parts is not None:  # one int64 key
        parts = [(rank, len(ds.communes)), *parts] if name_first else [*parts, (rank, len(ds.communes))]
        size = math.prod(size for _, size in parts)
        if size * max(m, 1) < 1 << 62:
            combined = np.zeros(m, dtype=np.int64)
            for part, width in parts:
                combined = combined * width + part
            if size <= 4 * m + 4096:  # a dense key: place each row in its slot, no sort
                slot = np.full(size, -1, dtype=np.intp)
                slot[combined] = np.arange(m)
                order = slot[slot >= 0]
                if len(order) == m:  # every key distinct, so this is the sorted order
                    return order
            return np.argsort(combined * max(m, 1) + np.arange(m))  # the row number last: any sort is stable
    columns = []
    for values, ascending in reversed(keys):
        a = np.asarray(values, dtype=float)
        a = a if ascending else -a
        columns.append(np.where(np.isnan(a), np.inf, a))
    columns = [*columns, rank] if name_first else [rank, *columns]
    return np.lexsort(columns) if columns else np.arange(0)


def _text_column(ds: Dataset, column: str, pos: np.ndarray) -> pd.Series:
    """ds.communes[column].take(pos) as a fresh Series; a text column (object, str or category holding
    strings, some missing) always gives pandas' "str" dtype, even when no row is taken, and is converted
    once per dataset, not per row taken. A column with no value at all keeps its dtype (None in object)."""
    series = ds.communes[column]
    if isinstance(series.dtype, pd.CategoricalDtype):  # as for an object column: "str" when the values are text
        categories = series.cat.categories
        if pd.api.types.infer_dtype(categories, skipna=True) == "string":
            codes = series.cat.codes.to_numpy()[pos]
            return pd.Series(pd.array(categories.to_numpy(dtype=object), dtype="str").take(codes, allow_fill=True))
    if series.dtype != object:
        return pd.Series(series.array.take(pos))
    memo = _cached(_TEXTS, ds.communes, dict)
    if column not in memo:
        values = series.to_numpy()
        text = pd.api.types.infer_dtype(values, skipna=True) == "string"  # not when no value at all
        memo[column] = pd.array(values, dtype="str") if text else None
    texts = memo[column]
    if texts is not None:
        return pd.Series(texts.take(pos))
    return pd.Series(series.array.take(pos))


def _frame(ds: Dataset, pos: np.ndarray, columns: Sequence[str] = ("name", "district"),
           more: dict[str, Any] | None = None) -> pd.DataFrame:
    """commune_id plus some communes columns for the communes at positions `pos`, then `more` columns."""
    data: dict[str, Any] = {"commune_id": pd.Series(ds.communes.index.array.take(pos))}
    for column in columns:
        data[column] = _text_column(ds, column, pos)
    columns = {**data, **(more or {})}  # arrays, not Series: no index to align
    return pd.DataFrame({k: v.array if isinstance(v, pd.Series) else v for k, v in columns.items()}, copy=False)


def _strings(values: Sequence[str], take: np.ndarray) -> pd.Series:
    """pandas' default string dtype, from a few distinct `values` picked by index: one cheap take
    instead of converting a long object array (~0.5 µs per element)."""
    return pd.Series(_string_array(tuple(values)).take(np.asarray(take, dtype=np.intp)))


@functools.lru_cache(maxsize=256)
def _string_array(values: tuple[str, ...]) -> Any:
    return pd.array(list(values), dtype="str")  # a few labels; building one costs more than taking from it


def _column(values: Any, dtype: Any = None) -> pd.Series:
    return pd.Series(values, dtype=dtype)


def _tuples(bits: np.ndarray, labels: Sequence[str]) -> np.ndarray:
    """Object array of tuples: for each bit mask, the labels whose bit is set (built once per pattern)."""
    if not len(bits):
        return np.empty(0, dtype=object)
    inverse, unique = pd.factorize(bits)
    table = np.empty(len(unique), dtype=object)
    for i, b in enumerate(unique.tolist()):  # one per distinct pattern
        table[i] = tuple(label for j, label in enumerate(labels) if (b >> j) & 1)
    return table[inverse.reshape(-1)]


def _missing(codes: _Codes, pos: np.ndarray) -> np.ndarray:
    """Object array of tuples: the criterion numbers each commune does not meet (not_met or unknown)."""
    weights = np.int64(1) << np.arange(codes.total, dtype=np.int64)
    bits = (codes.codes[pos] != _CODE_MET).astype(np.int64) @ weights
    return _tuples(bits, codes.numbers)


def _natural(code: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 10**6 for p in str(code).split("."))


def _indicator_meta(ds: Dataset, codes: Sequence[str]) -> pd.DataFrame:
    """One row per code: indicator, name_vi, name_en, unit, kind, direction from the catalogue (an unknown
    code such as 17.12: its code as names, unit "", kind "", direction "higher"), population base, and
    rank (catalogue order first, then unknown codes in natural order). Kept per criteria set (read-only)."""
    memo = _cached(_METAS, ds.criteria_set, dict)
    key = tuple(codes)
    if key not in memo:
        if len(memo) >= 64:
            memo.pop(next(iter(memo)))
        memo[key] = _catalogue_meta(ds.criteria_set, key)
    return memo[key]


def _catalogue_meta(cs: Any, codes: Sequence[str]) -> pd.DataFrame:
    known = {ind.code: i for i, ind in enumerate(cs.indicators)}
    rows = []
    for code in codes:  # one per distinct code
        ind = cs.indicator(code)
        if ind is None:
            rows.append((code, code, code, "", "", "higher"))
        else:
            rows.append((code, ind.name_vi, ind.name_en, ind.unit, ind.kind, ind.direction))
    meta = pd.DataFrame(rows, columns=["indicator", "name_vi", "name_en", "unit", "kind", "direction"],
                        dtype="str")
    ordered = sorted(range(len(rows)), key=lambda i: (known.get(rows[i][0], len(known)), _natural(rows[i][0])))
    rank = np.empty(len(rows), dtype=np.int64)
    rank[ordered] = np.arange(len(rows))
    meta["rank"] = rank
    meta["base"] = pd.Series(
        [population_base(r[1]) if r[4] == "percent" and r[5] == "higher" else None for r in rows], dtype=object)
    meta["lower"] = np.array([r[5] == "lower" for r in rows], dtype=bool)
    meta["yes_no"] = np.array([r[4] == "yes_no" for r in rows], dtype=bool)
    return meta


def _year(ds: Dataset) -> int | None:
    return ds.period.year if ds.period is not None else None


def _verified(ds: Dataset, meta: pd.DataFrame, code: np.ndarray, pos: np.ndarray, threshold: np.ndarray) -> np.ndarray:
    """Object array (True/False/None) per row: the catalogue's `verified` flag for the threshold that
    applies to the commune's profile and the dataset's year; None when the catalogue knows none or the
    row's threshold differs from it (a provincial override or a threshold typed in the sheet)."""
    profile_codes, profiles = pd.factorize(ds.communes["profile"])
    width = len(profiles) + 1
    combo = code.astype(np.int64) * width + (profile_codes[pos] + 1)
    size = len(meta) * width  # a few hundred sub-indicator x profile pairs: count them, no hashing
    seen = np.bincount(combo, minlength=size) > 0 if len(combo) else np.zeros(size, dtype=bool)
    unique = np.flatnonzero(seen)
    slot = np.cumsum(seen) - 1
    back = slot[combo]
    values = np.full(len(unique), np.nan)
    flags = np.zeros(len(unique), dtype=np.int8)  # 0 None, 1 False, 2 True
    year = _year(ds)
    codes = meta["indicator"].tolist()
    for k, c in enumerate(unique.tolist()):  # one per sub-indicator x profile: a handful
        profile = None if c % width == 0 else str(profiles[c % width - 1])
        found = ds.criteria_set.threshold(codes[c // width], profile, year)
        if found is not None:
            values[k], flags[k] = float(found.value), 2 if found.verified else 1
    outcome = np.where(_close(values[back], threshold), flags[back], 0)
    return np.array([None, False, True], dtype=object)[outcome]


def _gap(value: np.ndarray, threshold: np.ndarray, lower: np.ndarray, yes_no: np.ndarray) -> np.ndarray:
    """Points still needed (>0) in the sub-indicator's unit: threshold - value, or value - threshold when
    lower is better. NaN for yes/no sub-indicators, a missing number, or no shortfall."""
    raw = np.round(np.where(lower, value - threshold, threshold - value), 6)
    with np.errstate(invalid="ignore"):
        return np.where((raw > 0) & ~yes_no, raw, np.nan)


def _heads(gap: np.ndarray, heads: np.ndarray, applies: np.ndarray) -> pd.Series:
    """People (or households) still needed: ceil(gap % x heads), Int64; <NA> where it does not apply.
    Rounded to 6 decimals first so 3.9 % of 8,000 is 312, not 313 from float noise."""
    count = np.ceil(np.round(gap * heads / 100, 6))
    return pd.Series(pd.array(np.where(applies & ~np.isnan(count), count, np.nan), dtype="Int64"))


def _of_criterion(v: _Values, criterion: str) -> np.ndarray:
    """Boolean mask of the value rows that belong to `criterion`."""
    if criterion not in v.criteria:
        return np.zeros(len(v.pos), dtype=bool)
    return v.criterion == v.criteria.index(criterion)


def _blocking(ds: Dataset, v: _Values, criterion: str, pos: np.ndarray) -> np.ndarray:
    """Object array of tuples per commune position: the criterion's sub-indicators that are not met,
    in catalogue order (`v`: the dataset's value rows, or at least all of that criterion's)."""
    rows = np.flatnonzero((v.status == _CODE_NOT_MET) & _of_criterion(v, criterion))
    rank = v.meta["rank"].to_numpy()
    here = pd.unique(v.code[rows])  # the few codes involved, so a bit each fits in int64
    here = here[np.argsort(rank[here])]
    bit = np.zeros(len(v.meta), dtype=np.int64)
    bit[here] = np.int64(1) << np.arange(len(here), dtype=np.int64)
    bits = np.zeros(len(ds.communes), dtype=np.int64)
    np.bitwise_or.at(bits, v.pos[rows], bit[v.code[rows]])
    return _tuples(bits[pos], v.meta["indicator"].to_numpy(dtype=object)[here].tolist())


def _int64(series: pd.Series, pos: np.ndarray) -> pd.Series:
    return pd.Series(pd.array(series.array.take(pos), dtype="Int64"))


# ---- headline figures --------------------------------------------------------------------------------
def district_progress(ds: Dataset) -> Progress:
    """Headline KPIs of the whole dataset (filter first with `filter_dataset` for a part of it)."""
    return _progress(ds, _codes(ds).met)


def _progress(ds: Dataset, met: np.ndarray) -> Progress:
    total = criteria_total(ds)
    count = len(met)
    at = int((met == total).sum())
    floor = floor_for(total)
    return Progress(
        communes=count,
        at_standard=at,
        at_standard_share=at / count if count else 0.0,
        average_met=float(met.mean()) if count else 0.0,
        criteria_total=total,
        under_floor=int((met < floor).sum()),
        floor=floor,
        recognized=int(ds.communes["recognized_year"].notna().sum()),
    )


def criteria_buckets(ds: Dataset) -> pd.DataFrame:
    """Communes per band of criteria met, best band first.

    Output columns: bucket (label "19", "15–18", "<5"), low, high, communes (int), share (0..1)."""
    codes = _codes(ds)
    counts = np.bincount(codes.met, minlength=codes.total + 1)
    total = int(counts.sum())
    rows = [(bucket_label(lo, hi), lo, hi, int(counts[lo:hi + 1].sum())) for lo, hi in buckets_for(codes.total)]
    out = pd.DataFrame(rows, columns=["bucket", "low", "high", "communes"])
    out["share"] = out["communes"] / total if total else 0.0
    return out


def criteria_completion(ds: Dataset) -> pd.DataFrame:
    """One row per criterion in catalogue order.

    Output columns: criterion, name_vi, name_en, group_vi, group_en, met, not_met, unknown (ints),
    met_share (met / communes, 0..1; 0.0 with no communes)."""
    codes = _codes(ds)
    out = pd.DataFrame(
        [(c.number, c.name_vi, c.name_en, c.group_vi, c.group_en) for c in ds.criteria_set.criteria],
        columns=["criterion", "name_vi", "name_en", "group_vi", "group_en"],
    )
    for status, code in ((MET, _CODE_MET), (NOT_MET, _CODE_NOT_MET), (UNKNOWN, _CODE_UNKNOWN)):
        out[status] = (codes.codes == code).sum(axis=0).astype(int)
    total = len(codes.met)
    out["met_share"] = out[MET] / total if total else 0.0
    return out


def lagging_criteria(ds: Dataset) -> pd.DataFrame:
    """`criteria_completion` sorted by not_met (most first), then criterion number."""
    out = criteria_completion(ds)
    number = [_natural(c) for c in out["criterion"]]
    order = sorted(range(len(out)), key=lambda i: (-int(out[NOT_MET].iloc[i]), number[i]))
    return out.take(order).reset_index(drop=True)


def _value_rows(ds: Dataset, v: _Values, rows: np.ndarray, pos: np.ndarray) -> dict[str, Any]:
    """Columns describing value rows `rows` of `v` (commune positions `pos`): indicator,
    name_vi, name_en, unit, value, threshold, status, verified, direction, gap."""
    code = v.code[rows].astype(np.intp)  # once, not in every take below
    meta = v.meta
    value, threshold = v.value[rows], v.threshold[rows]
    lower = meta["lower"].to_numpy()[code]
    yes_no = meta["yes_no"].to_numpy()[code]
    columns: dict[str, Any] = {c: pd.Series(meta[c].array.take(code)) for c in ("indicator", "name_vi", "name_en", "unit")}
    columns["value"] = value
    columns["threshold"] = threshold
    columns["status"] = _strings(_LABELS, v.status[rows])
    columns["verified"] = _column(_verified(ds, meta, code, pos, threshold), dtype=object)
    columns["direction"] = pd.Series(meta["direction"].array.take(code))
    columns["gap"] = _gap(value, threshold, lower, yes_no)
    return columns


def indicator_spread(ds: Dataset, criterion: str) -> pd.DataFrame:
    """Every value read for the sub-indicators of one criterion, for strip/box charts.

    Output: one row per commune x sub-indicator with a value; columns commune_id, name, district,
    indicator, name_vi, name_en, unit, value, threshold, status, verified (bool|None: the catalogue's
    flag for the threshold used), direction, gap. Sorted by sub-indicator (catalogue order), then name."""
    criterion = str(criterion).strip()
    v = _values_where(ds, "criterion", criterion)
    rows = np.flatnonzero(_of_criterion(v, criterion) & ~np.isnan(v.value))
    rank = v.meta["rank"].to_numpy()[v.code[rows]]
    rows = rows[_order(ds, v.pos[rows], [(rank, True)])]
    pos = v.pos[rows]
    return _frame(ds, pos, more=_value_rows(ds, v, rows, pos))


# ---- who lags and by how much --------------------------------------------------------------------------
def lagging_communes(ds: Dataset, target: str, include_unknown: bool = False) -> pd.DataFrame:
    """Communes that do not meet one criterion ("15") or one sub-indicator ("15.1"), with what they lack.

    Rows: communes whose status for `target` is not_met (plus unknown ones when `include_unknown`; a
    commune with no value for a sub-indicator is unknown). A criterion measured by one value of the
    same code (10 Thu nhập) takes value/threshold/unit/gap from that value.
    Output columns: commune_id, name, district, status, value, threshold, unit, gap (in the unit, >0,
    NaN for yes/no or no value), gap_people / gap_households (Int64: ceil(gap % x population or
    households) for a percent sub-indicator that is a share of people or households, see
    `population_base`; <NA> otherwise, and for "lower is better" ones), blocking (criterion: tuple of
    its not-met sub-indicator codes; sub-indicator: ()), criteria_met, target_year (Int64).
    Sorted by status (not_met before unknown), gap (largest first, NaN last), then name.
    Raises KeyError when `target` is neither a criterion of the set nor a known or read sub-indicator."""
    target = str(target).strip()
    codes = _codes(ds)
    v = _values_where(ds, "indicator" if "." in target else "criterion", target)
    n = len(ds.communes)
    known = v.meta["indicator"].tolist()
    rows = np.flatnonzero(v.code == known.index(target)) if target in known else np.zeros(0, dtype=np.intp)
    value = np.full(n, np.nan)
    threshold = np.full(n, np.nan)
    value[v.pos[rows]] = v.value[rows]
    threshold[v.pos[rows]] = v.threshold[rows]
    is_criterion = "." not in target and target in codes.numbers
    has_value = target in known or ds.criteria_set.indicator(target) is not None
    if is_criterion:
        status = codes.codes[:, codes.numbers.index(target)]
    elif has_value:
        status = np.full(n, _CODE_UNKNOWN, dtype=np.int8)
        status[v.pos[rows]] = v.status[rows]
    else:
        raise KeyError(target)
    chosen = (status == _CODE_NOT_MET) | (include_unknown & (status == _CODE_UNKNOWN))
    pos = np.flatnonzero(chosen)
    if has_value:
        meta = _indicator_meta(ds, [target]).iloc[0]
        unit, kind, direction, base = meta["unit"], meta["kind"], meta["direction"], meta["base"]
    else:
        unit, kind, direction, base = "", "", "higher", None
    gap = _gap(value[pos], threshold[pos], np.full(len(pos), direction == "lower"),
               np.full(len(pos), kind == "yes_no"))
    order = _order(ds, pos, [(status[pos] == _CODE_UNKNOWN, True), (gap, False)])
    pos, gap = pos[order], gap[order]
    out = _frame(ds, pos)
    out["status"] = _strings(_LABELS, status[pos])
    out["value"] = value[pos]
    out["threshold"] = threshold[pos]
    out["unit"] = _strings([unit], np.zeros(len(pos), dtype=np.intp))
    out["gap"] = gap
    for column, heads in (("gap_people", "population"), ("gap_households", "households")):
        count = ds.communes[heads].to_numpy(dtype=float, na_value=np.nan)[pos]
        out[column] = _heads(gap, count, np.full(len(pos), base == heads))
    blocking = _blocking(ds, v, target, pos) if is_criterion else _tuples(np.zeros(len(pos), np.int64), [])
    out["blocking"] = _column(blocking, dtype=object)
    out["criteria_met"] = codes.met[pos]
    out["target_year"] = _int64(ds.communes["target_year"], pos)
    return out


def near_misses(ds: Dataset, max_missing: int = 2) -> pd.DataFrame:
    """Communes not at standard that miss only 1..max_missing criteria (not_met or unknown): the quick wins.

    Output columns: commune_id, name, district, missing_count, missing (tuple of criterion numbers,
    catalogue order), criteria_met, target_year (Int64). Sorted by missing_count, then name."""
    codes = _codes(ds)
    missing_count = codes.total - codes.met
    pos = np.flatnonzero((missing_count >= 1) & (missing_count <= max_missing))
    out = _frame(ds, pos)
    out["missing_count"] = missing_count[pos]
    out["missing"] = _column(_missing(codes, pos), dtype=object)
    out["criteria_met"] = codes.met[pos]
    out["target_year"] = _int64(ds.communes["target_year"], pos)
    return out.take(_order(ds, pos, [(missing_count[pos], True)])).reset_index(drop=True)


def scorecard(ds: Dataset, sort_by: str = "criteria_met", ascending: bool | None = None) -> pd.DataFrame:
    """The commune x criterion matrix for a review meeting.

    Output: index commune_id; columns name, district, criteria_met, then one column per criterion number
    (catalogue order) holding Status strings. sort_by: "criteria_met" (default most first), "name"
    (Vietnamese-aware, A first) or a criterion number (default not_met, unknown, then met); `ascending`
    overrides the first key's direction. Ties are broken by name. Raises ValueError on another key."""
    codes = _codes(ds)
    pos = np.arange(len(ds.communes))
    sort_by = str(sort_by).strip()
    if sort_by == "criteria_met":
        order = _order(ds, pos, [(codes.met, False if ascending is None else ascending)])
    elif sort_by == "name":
        order = _order(ds, pos)
        if ascending is False:
            order = order[::-1]
    elif sort_by in codes.numbers:
        key = codes.codes[:, codes.numbers.index(sort_by)]
        order = _order(ds, pos, [(key, True if ascending is None else ascending)])
    else:
        raise ValueError(f"sort_by: {sort_by!r} is not 'criteria_met', 'name' or a criterion number")
    # what ds.status_matrix holds, from the codes (the matrix itself may not be derived yet)
    out = pd.DataFrame(_LABELS[codes.codes], index=ds.communes.index,
                       columns=pd.Index(list(codes.numbers), dtype=object), dtype=object)
    out.insert(0, "criteria_met", codes.met)
    out.insert(0, "district", ds.communes["district"].array)
    out.insert(0, "name", ds.communes["name"].array)
    out.index.name = "commune_id"
    return out.take(order)


def group_scorecard(ds: Dataset, level: str = "district") -> pd.DataFrame:
    """Figures per group of communes (a communes column: "district", "region", "profile", ...).

    Output: one row per group, sorted by folded group name (communes without a group last, group None);
    columns group, communes, at_standard, at_standard_share, average_met, then one column per criterion
    number with the share of the group's communes meeting it (0..1). Raises ValueError on an unknown level."""
    if level not in ds.communes.columns:
        raise ValueError(f"level: {level!r} is not a communes column")
    codes = _codes(ds)
    group_codes, groups = pd.factorize(ds.communes[level])
    labels: list[Any] = [str(g) for g in groups]
    if (group_codes < 0).any():
        group_codes = np.where(group_codes < 0, len(labels), group_codes)
        labels.append(None)
    size = len(labels)
    communes = np.bincount(group_codes, minlength=size)
    out = pd.DataFrame({"group": pd.Series(labels, dtype=object)})
    out["communes"] = communes
    out["at_standard"] = np.bincount(group_codes, weights=codes.met == codes.total, minlength=size).astype(int)
    out["at_standard_share"] = out["at_standard"] / communes
    out["average_met"] = np.bincount(group_codes, weights=codes.met, minlength=size) / communes
    for j, number in enumerate(codes.numbers):
        out[number] = np.bincount(group_codes, weights=codes.codes[:, j] == _CODE_MET, minlength=size) / communes
    order = sorted(range(size), key=lambda i: (labels[i] is None, fold(labels[i] or ""), labels[i] or ""))
    return out.take(order).reset_index(drop=True)


def commune_profile(ds: Dataset, commune_id: str) -> CommuneProfile:
    """One commune's page: its row, its criteria with blocking sub-indicators, its values.

    Raises KeyError for an unknown commune_id. See CommuneProfile for the frames' columns.
    Reads only that commune's rows (one comparison per frame), not whole-dataset arrays."""
    if commune_id not in ds.communes.index:
        raise KeyError(commune_id)
    p = int(ds.communes.index.get_loc(commune_id))
    commune: dict[str, Any] = {"commune_id": commune_id}
    for key, value in ds.communes.iloc[p].items():
        if value is None or (np.ndim(value) == 0 and pd.isna(value)):
            commune[str(key)] = None
        else:
            commune[str(key)] = value.item() if isinstance(value, np.generic) else value

    numbers = list(_criterion_numbers(ds))
    crit = ds.criteria.take(np.flatnonzero(_eq(ds.criteria["commune_id"], commune_id)))
    crit = crit.drop_duplicates("criterion")  # the first row per criterion, as _codes reads it
    where = _lookup(pd.Index(crit["criterion"].to_numpy(dtype=object), dtype=object), numbers)
    cached = _CODES.get(id(ds))
    if cached is not None:
        status = cached.codes[p]
    else:
        status = np.append(_status_codes(crit["status"]), _CODE_UNKNOWN).astype(np.int8)[where]

    def cells(column: str, missing: Any) -> np.ndarray:
        values = np.append(crit[column].to_numpy(dtype=object), None)[where]  # where -1: None
        return np.where(pd.isna(values), missing, values)

    criteria = pd.DataFrame(
        [(c.number, c.name_vi, c.name_en) for c in ds.criteria_set.criteria], columns=["criterion", "name_vi", "name_en"]
    )
    criteria["status"] = _column(_LABELS[status])
    criteria["source"] = _column(cells("source", "none"))
    for column in ("sheet", "cell"):
        criteria[column] = _column(cells(column, None), dtype=object)

    v = _values_where(ds, "commune_id", commune_id)
    rows = np.flatnonzero(v.pos == p)
    rows = rows[np.argsort(v.meta["rank"].to_numpy()[v.code[rows]], kind="stable")]
    indicators = pd.DataFrame({"indicator": pd.Series(v.meta["indicator"].array.take(v.code[rows]))})
    indicators["criterion"] = _strings(v.criteria, v.criterion[rows])
    for column, values in _value_rows(ds, v, rows, np.full(len(rows), p)).items():
        if column != "indicator":
            indicators[column] = values
    failing: dict[str, list[str]] = {}
    for code, number, code_status in zip(indicators["indicator"], indicators["criterion"], v.status[rows], strict=True):
        if code_status == _CODE_NOT_MET:  # one commune's few values, already in catalogue order
            failing.setdefault(str(number), []).append(str(code))
    criteria["blocking"] = _column([tuple(failing.get(number, ())) for number in numbers], dtype=object)

    met = int((status == _CODE_MET).sum())
    return CommuneProfile(
        commune=commune,
        criteria=criteria,
        indicators=indicators,
        criteria_met=met,
        at_standard=met == len(numbers),
        target_year=commune.get("target_year"),
        recognized_year=commune.get("recognized_year"),
        missing=tuple(number for number, code in zip(numbers, status.tolist(), strict=True) if code != _CODE_MET),
        commune_id=commune_id,
    )


# ---- plans and time ------------------------------------------------------------------------------------
def target_year_table(ds: Dataset) -> pd.DataFrame:
    """Communes planned and recognized per year, for the roadmap chart.

    Output: index `year` (int, every year from the first to the last one seen); columns planned
    (target_year == year), recognized (recognized_year == year), planned_cumulative,
    recognized_cumulative (running sums). Empty frame with those columns when no year is known.

    The planned running sum counts a commune by its target year, or by its recognised year when the sheet
    gives no target (sheets drop the target once a commune is recognised), so the plan line covers every
    commune with a plan or a result instead of sitting below the actual line."""
    target_col = ds.communes["target_year"]
    target = target_col.dropna().astype(int).to_numpy()
    recognized = ds.communes["recognized_year"].dropna().astype(int).to_numpy()
    plan = target_col.fillna(ds.communes["recognized_year"]).dropna().astype(int).to_numpy()
    seen = np.concatenate([target, recognized])
    if not len(seen):
        years = np.array([], dtype=np.int64)
        planned = done = plan_sum = np.array([], dtype=np.int64)
    else:
        years = np.arange(seen.min(), seen.max() + 1, dtype=np.int64)
        planned = np.bincount(target - years[0], minlength=len(years)).astype(np.int64)
        done = np.bincount(recognized - years[0], minlength=len(years)).astype(np.int64)
        plan_sum = np.bincount(plan - years[0], minlength=len(years)).astype(np.int64).cumsum()
    return pd.DataFrame(
        {"planned": planned, "recognized": done, "planned_cumulative": plan_sum,
         "recognized_cumulative": done.cumsum()},
        index=pd.Index(years, name="year"),
    )


def overdue_communes(ds: Dataset, current_year: int) -> pd.DataFrame:
    """Communes whose target year has passed (target_year < current_year) and are not at standard.

    Output columns: commune_id, name, district, target_year (Int64), years_overdue (Int64), criteria_met,
    missing (tuple of criterion numbers). Sorted by target_year, criteria_met (fewest first), then name."""
    codes = _codes(ds)
    target = ds.communes["target_year"].to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        pos = np.flatnonzero((target < current_year) & (codes.met < codes.total))
    out = _frame(ds, pos)
    out["target_year"] = _int64(ds.communes["target_year"], pos)
    out["years_overdue"] = (current_year - out["target_year"]).astype("Int64")
    out["criteria_met"] = codes.met[pos]
    out["missing"] = _column(_missing(codes, pos), dtype=object)
    order = _order(ds, pos, [(target[pos], True), (codes.met[pos], True)])
    return out.take(order).reset_index(drop=True)


def _period_time(period: Period) -> float:
    """Years as a number: "2024" is the end of 2024 (2024.0), "2024-06" half a year earlier (2023.5)."""
    return period.year + ((period.month or 12) - 12) / 12


def _met_of(ds: Dataset, ids: pd.Index) -> np.ndarray:
    """Criteria met in `ds` for the communes `ids` (float, NaN where the commune is absent)."""
    met = _met_counts(ds).astype(float)
    if ds.communes.index.equals(ids):
        return met
    where = ds.communes.index.get_indexer(ids)
    return np.where(where >= 0, met[where], np.nan)


def at_risk_communes(history: Sequence[Dataset], current_year: int) -> pd.DataFrame:
    """Communes whose pace will not reach the standard by their target year.

    `history` holds snapshots of one area, oldest -> newest; snapshots without a period (they cannot be
    placed in time) or of another set size than the newest dated one are skipped. Pace = criteria
    gained per year between the first and the last snapshot the commune appears in (NaN when it appears
    in one only: no judgement). With missing = N - criteria_met in the newest snapshot and latest_year
    its period's year, a commune with a target year is at risk when missing > 0 and (pace <= 0, or
    missing / pace > target_year - latest_year). Overdue communes (target_year < current_year) are
    included and flagged.
    Output columns: commune_id, name, district, target_year (Int64), criteria_met, pace, projected_year
    (latest_year + missing / pace; NaN when pace <= 0), missing_count, overdue (bool).
    Sorted by target_year, criteria_met, then name."""
    dated = sorted((ds for ds in history if ds.period is not None), key=lambda ds: ds.period.sort_key)
    history = [ds for ds in dated if criteria_total(ds) == criteria_total(dated[-1])] if dated else []
    if not history:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in (
            "commune_id", "name", "district", "target_year", "criteria_met", "pace", "projected_year",
            "missing_count", "overdue")})
    latest = history[-1]
    ids = latest.communes.index
    met = np.column_stack([_met_of(ds, ids) for ds in history]) if len(ids) else np.zeros((0, len(history)))
    latest_met = _met_counts(latest)
    total = criteria_total(latest)
    present = ~np.isnan(met)
    rows = np.arange(len(ids))
    first = present.argmax(axis=1)
    last = len(history) - 1 - present[:, ::-1].argmax(axis=1)
    times = np.array([_period_time(ds.period) for ds in history])
    span = times[last] - times[first]
    with np.errstate(divide="ignore", invalid="ignore"):
        pace = np.where(span > 0, (met[rows, last] - met[rows, first]) / span, np.nan)
        missing = total - latest_met
        needed = missing / pace
    target = latest.communes["target_year"].to_numpy(dtype=float, na_value=np.nan)
    latest_year = latest.period.year
    with np.errstate(invalid="ignore"):
        risky = (missing > 0) & ~np.isnan(target) & ~np.isnan(pace) & (
            (pace <= 0) | (needed > target - latest_year))
    pos = np.flatnonzero(risky)
    out = _frame(latest, pos)
    out["target_year"] = _int64(latest.communes["target_year"], pos)
    out["criteria_met"] = latest_met[pos]
    out["pace"] = pace[pos]
    out["projected_year"] = np.where(pace[pos] > 0, latest_year + needed[pos], np.nan)
    out["missing_count"] = missing[pos]
    out["overdue"] = target[pos] < current_year
    order = _order(latest, pos, [(target[pos], True), (latest_met[pos], True)])
    return out.take(order).reset_index(drop=True)


def progress_trend(history: Sequence[Dataset]) -> pd.DataFrame:
    """One row per snapshot, in the order given (oldest first).

    Output columns: period (str; the source name when the snapshot has no period), communes,
    at_standard, at_standard_share, average_met, under_floor."""
    rows = []
    for ds in history:  # one per snapshot, not per commune
        p = _progress(ds, _met_counts(ds))  # the counts only: not every status code
        period = str(ds.period) if ds.period is not None else ds.source_name
        rows.append((period, p.communes, p.at_standard, p.at_standard_share, p.average_met, p.under_floor))
    columns = ["period", "communes", "at_standard", "at_standard_share", "average_met", "under_floor"]
    out = pd.DataFrame(rows, columns=columns)
    return out.astype({"communes": int, "at_standard": int, "at_standard_share": float, "average_met": float,
                       "under_floor": int})


def maintenance_watchlist(ds: Dataset) -> pd.DataFrame:
    """Recognized communes (recognized_year set) that no longer meet every criterion.

    Output columns: commune_id, name, district, recognized_year (Int64), missing (tuple of criterion
    numbers not met or unknown), missing_count. Sorted by missing_count (most first), then name."""
    codes = _codes(ds)
    recognized = ds.communes["recognized_year"].notna().to_numpy(dtype=bool)
    pos = np.flatnonzero(recognized & (codes.met < codes.total))
    out = _frame(ds, pos)
    out["recognized_year"] = _int64(ds.communes["recognized_year"], pos)
    out["missing"] = _column(_missing(codes, pos), dtype=object)
    out["missing_count"] = codes.total - codes.met[pos]
    return out.take(_order(ds, pos, [(out["missing_count"].to_numpy(), False)])).reset_index(drop=True)


# ---- two snapshots ----------------------------------------------------------------------------------------
def compare_snapshots(old: Dataset, new: Dataset) -> Comparison:
    """What changed from `old` to `new` (communes matched by commune_id; names taken from `new`).

    changes: one row per common commune x criterion (criteria of both sets) whose status changed;
        columns commune_id, name, criterion, old, new, change ("gained": became met, "lost": was met,
        "other": not_met <-> unknown); sorted by name, then criterion (catalogue order).
    newly_at_standard / dropped_from_standard: common communes that reached / lost the standard;
        columns commune_id, name, district; sorted by name.
    movers: common communes whose criteria_met changed; columns commune_id, name, old_met, new_met,
        delta; sorted by |delta| (largest first), then name.
    revised_values: only when both have the same period (a corrected re-issue): sub-indicator values
        that differ; columns commune_id, name, indicator, old, new (NaN when absent on one side);
        sorted by name, then sub-indicator.
    added_communes / removed_communes: commune_ids only in new / only in old, in file order."""
    fo, fn = _codes(old), _codes(new)
    same_index = old.communes.index.equals(new.communes.index)
    in_old = np.arange(len(new.communes)) if same_index else old.communes.index.get_indexer(new.communes.index)
    common = np.flatnonzero(in_old >= 0)  # positions in new
    common_old = in_old[common]
    shared = [number for number in fn.numbers if number in fo.numbers]
    cols_new = [fn.numbers.index(x) for x in shared]
    cols_old = [fo.numbers.index(x) for x in shared]
    oc = fo.codes[np.ix_(common_old, cols_old)]
    nc = fn.codes[np.ix_(common, cols_new)]
    r, c = np.nonzero(oc != nc)
    changed = np.zeros(len(common), dtype=bool)
    changed[r] = True
    if 3 * int(changed.sum()) >= len(new.communes):  # the movers are these communes again: rank all once
        _name_rank(new)
    order = np.lexsort((c, _name_rank_of(new, common[r])))  # by name, then criterion
    r, c = r[order], c[order]
    pos = common[r]
    before, after = oc[r, c], nc[r, c]
    changes = _frame(new, pos, ["name"])
    changes["criterion"] = _strings(shared, c)
    changes["old"] = _strings(_LABELS, before)
    changes["new"] = _strings(_LABELS, after)
    kind = np.where(after == _CODE_MET, 1, np.where(before == _CODE_MET, 2, 0))
    changes["change"] = _strings(["other", "gained", "lost"], kind)

    old_at = fo.met[common_old] == fo.total
    new_at = fn.met[common] == fn.total
    newly = common[~old_at & new_at]
    dropped = common[old_at & ~new_at]
    newly_frame = _frame(new, newly).take(_order(new, newly)).reset_index(drop=True)
    dropped_frame = _frame(new, dropped).take(_order(new, dropped)).reset_index(drop=True)

    delta_all = fn.met[common] - fo.met[common_old]
    moved = delta_all != 0
    mpos = common[moved]
    movers = _frame(new, mpos, ["name"])
    movers["old_met"] = fo.met[common_old][moved]
    movers["new_met"] = fn.met[common][moved]
    movers["delta"] = delta_all[moved]
    movers = movers.take(_order(new, mpos, [(np.abs(delta_all[moved]), False)])).reset_index(drop=True)

    return Comparison(
        old_period=str(old.period) if old.period is not None else None,
        new_period=str(new.period) if new.period is not None else None,
        changes=changes,
        newly_at_standard=newly_frame,
        dropped_from_standard=dropped_frame,
        movers=movers,
        revised_values=_revised_values(old, new) if old.period == new.period else _no_revisions(new),
        added_communes=tuple(str(i) for i in new.communes.index[in_old < 0]),
        removed_communes=tuple(str(i) for i in old.communes.index[new.communes.index.get_indexer(old.communes.index) < 0]),
    )


def _no_revisions(new: Dataset) -> pd.DataFrame:
    out = _frame(new, np.zeros(0, dtype=np.intp), ["name"])
    out["indicator"] = _strings([], np.zeros(0, dtype=np.intp))
    out["old"] = np.zeros(0)
    out["new"] = np.zeros(0)
    return out


def _close(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """np.isclose(a, b, rtol=0, atol=1e-9) with fewer temporaries."""
    with np.errstate(invalid="ignore"):
        return (a == b) | (np.abs(a - b) <= 1e-9)


def _revised_values(old: Dataset, new: Dataset) -> pd.DataFrame:
    """Sub-indicator values of common communes that differ between two issues of the same period.
    Columns commune_id, name, indicator, old, new; sorted by name, then sub-indicator."""
    a, b = _values(old), _values(new)
    labels = b.meta["indicator"].tolist()
    a_labels = a.meta["indicator"].tolist()
    seen = set(labels)
    labels += [c for c in a_labels if c not in seen]
    width = max(len(labels), 1)
    n = len(new.communes)
    a_code = a.code
    if a_labels != labels[:len(a_labels)]:
        a_code = _lookup(pd.Index(labels, dtype=object), a_labels)[a.code]
    if old.communes.index.equals(new.communes.index):  # every commune common, at the same position
        a_pos, a_value, b_pos, b_code, b_value = a.pos, a.value, b.pos, b.code, b.value
    else:
        to_new = new.communes.index.get_indexer(old.communes.index)  # old position -> new position or -1
        a_pos = to_new[a.pos]
        keep = a_pos >= 0
        a_pos, a_code, a_value = a_pos[keep], a_code[keep], a.value[keep]
        in_old = np.zeros(n, dtype=bool)
        in_old[to_new[to_new >= 0]] = True
        keep_b = in_old[b.pos]
        b_pos, b_code, b_value = b.pos[keep_b], b.code[keep_b], b.value[keep_b]
    if len(a_pos) == len(b_pos) and (a_pos is b_pos or (a_pos == b_pos).all()) and (
            a_code is b_code or (a_code == b_code).all()):
        # the same rows in the same order (a re-issued workbook): compare row by row
        same = (np.isnan(a_value) & np.isnan(b_value)) | _close(a_value, b_value)
        changed = np.flatnonzero(~same)
        pos, code, va, vb = a_pos[changed], a_code[changed], a_value[changed], b_value[changed]
    else:
        ka = a_pos.astype(np.int64) * width + a_code
        kb = b_pos.astype(np.int64) * width + b_code
        size = n * width
        if size <= 4 * (len(ka) + len(kb)) + (1 << 20):
            # one slot per commune x sub-indicator (keys are unique on each side): no hashing
            va, vb = np.full(size, np.nan), np.full(size, np.nan)
            has_a, has_b = np.zeros(size, dtype=bool), np.zeros(size, dtype=bool)
            va[ka], has_a[ka] = a_value, True
            vb[kb], has_b[kb] = b_value, True
            same = (np.isnan(va) & np.isnan(vb)) | _close(va, vb)
            keys = np.flatnonzero((has_a & ~same) | (has_b & ~has_a & ~np.isnan(vb)))
            va, vb = va[keys], vb[keys]
        else:  # a sparse key space: pair the rows by hash look-ups
            in_b = pd.Index(kb).get_indexer(ka)
            vb_paired = np.where(in_b >= 0, b_value[np.maximum(in_b, 0)] if len(kb) else np.nan, np.nan)
            same = (np.isnan(a_value) & np.isnan(vb_paired)) | _close(a_value, vb_paired)
            only_b = (pd.Index(ka).get_indexer(kb) < 0) & ~np.isnan(b_value)
            keys = np.concatenate([ka[~same], kb[only_b]])
            va = np.concatenate([a_value[~same], np.full(int(only_b.sum()), np.nan)])
            vb = np.concatenate([vb_paired[~same], b_value[only_b]])
        pos = (keys // width).astype(np.intp)
        code = (keys % width).astype(np.intp)
    rank = _indicator_meta(new, labels)["rank"].to_numpy()
    order = _order(new, pos, [(rank[code], True)], name_first=True)
    pos, code, va, vb = pos[order], code[order], va[order], vb[order]
    out = _frame(new, pos, ["name"])
    out["indicator"] = _strings(labels, code)
    out["old"] = va
    out["new"] = vb
    return out


_FILTERED: dict[int, dict[tuple[tuple[str, ...], tuple[str, ...]], Dataset]] = {}
# A meeting flips between a few districts; each entry holds one subset's frames.
MAX_FILTERS_PER_DATASET = 8


def _seed_from_parent(parent: Dataset, child: Dataset, keep: np.ndarray) -> None:
    """Give a subset the status codes and name order its parent already derived (rows `keep`, same order),
    so the first page after a filter change does not derive them again (about 35 ms nationally)."""
    if len(child.communes) != int(keep.sum()):  # a duplicated commune id: let the child derive its own
        return
    codes = _CODES.get(id(parent))
    if codes is not None:
        _cached(_CODES, child, lambda: _Codes(codes.numbers, codes.codes[keep], codes.met[keep]))
    rank = _NAME_RANKS.get(id(parent.communes))
    if rank is not None:
        order = np.argsort(rank[keep], kind="stable")
        sub = np.empty(len(order), dtype=np.int64)
        sub[order] = np.arange(len(order))
        _cached(_NAME_RANKS, child.communes, lambda: sub)


def filter_dataset(ds: Dataset, districts: Sequence[str] | None = None,
                   regions: Sequence[str] | None = None) -> Dataset:
    """The dataset restricted to some districts (matched NFC, case-insensitively) and/or region keys.
    None or an empty list means no filter on that column (no filter at all returns `ds` itself).
    Uses Dataset.subset; the same choice on the same Dataset object returns the same subset object,
    so the arrays cached for it are reused on the next rerun."""
    wanted = {nfc(d).casefold() for d in districts or ()}
    key = (tuple(sorted(wanted)), tuple(sorted({str(r) for r in regions or ()})))
    if not key[0] and not key[1]:
        return ds
    memo = _cached(_FILTERED, ds, dict)
    hit = memo.get(key)
    if hit is not None:
        return hit
    keep = np.ones(len(ds.communes), dtype=bool)
    if wanted:
        column = ds.communes["district"]
        matched = [d for d in pd.unique(column) if isinstance(d, str) and nfc(d).casefold() in wanted]
        keep &= column.isin(matched).to_numpy(dtype=bool)
    if key[1]:
        keep &= ds.communes["region"].isin(list(key[1])).to_numpy(dtype=bool)
    hit = ds.subset(ds.communes.index[keep])
    _seed_from_parent(ds, hit, keep)
    if len(memo) >= MAX_FILTERS_PER_DATASET:
        memo.pop(next(iter(memo)))
    memo[key] = hit
    return hit


# ---- per sub-indicator summary and one commune's history (used by the UI tables) ------------------------
def indicator_summary(spread: pd.DataFrame) -> pd.DataFrame:
    """Per sub-indicator of an `indicator_spread` frame: its threshold(s), how values spread around them,
    and how many communes meet / miss it.

    Input: indicator_spread (indicator, name_vi, name_en, unit, value, threshold, status, verified).
    Output: one row per sub-indicator, in input order; columns indicator, name_vi, name_en, unit,
    thresholds (tuple of the distinct thresholds, ascending: several regional profiles may differ),
    verified (bool, or None when no value had a catalogue threshold), min, median, max (of the values),
    met, not_met, unknown (commune counts, int)."""
    keys = ["indicator", "name_vi", "name_en", "unit"]
    columns = [*keys, "thresholds", "verified", "min", "median", "max", MET, NOT_MET, UNKNOWN]
    if spread.empty:
        return pd.DataFrame(columns=columns)
    groups = spread.groupby(keys, sort=False, dropna=False)
    counts = (groups["status"].value_counts().unstack(fill_value=0)
              .reindex(columns=[MET, NOT_MET, UNKNOWN], fill_value=0).astype(int))
    thresholds = groups["threshold"].agg(lambda s: tuple(sorted(float(v) for v in s.dropna().unique())))
    verified = groups["verified"].agg(lambda s: None if s.isna().all() else bool(s.dropna().all()))
    values = groups["value"].agg(["min", "median", "max"]).astype(float)
    out = pd.concat([thresholds.rename("thresholds"), verified.rename("verified"), values, counts], axis=1)
    return out.reset_index()[columns]


def commune_history(history: Sequence[Dataset], commune_id: str) -> pd.DataFrame:
    """One commune across snapshots (oldest first, as given): how many criteria it met and which it missed.

    Input: snapshots of the same area; a snapshot without the commune is skipped.
    Output columns: period (str: the snapshot's period, else its source name), criteria_met (int),
    at_standard (bool), missing (tuple of criterion numbers not met or unknown, catalogue order)."""
    rows = []
    for ds in history:  # a handful of snapshots; each look-up is one row of a cached matrix
        if commune_id not in ds.communes.index:
            continue
        statuses = ds.status_matrix.loc[commune_id]
        rows.append({
            "period": str(ds.period) if ds.period else ds.source_name,
            "criteria_met": int(ds.criteria_met.loc[commune_id]),
            "at_standard": bool(ds.at_standard.loc[commune_id]),
            "missing": tuple(str(n) for n in statuses.index[statuses != MET]),
        })
    out = pd.DataFrame(rows, columns=["period", "criteria_met", "at_standard", "missing"])
    return out.astype({"period": object, "criteria_met": int, "at_standard": bool})

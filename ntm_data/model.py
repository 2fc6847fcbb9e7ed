"""Core value types shared by every layer: statuses, issues, the read error and the Dataset."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from ntm_data import i18n


class Status(StrEnum):
    """A criterion's or sub-indicator's status. `unknown` is never silently `not_met`."""

    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Issue:
    """One problem found in a workbook, pointing at the cell to fix.

    `code` is a key under `issue.` in the locale catalogues; `params` fill its placeholders.
    """

    severity: Severity
    code: str
    sheet: str | None = None
    cell: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)

    def message(self, lang: str = "vi") -> str:
        return i18n.t(f"issue.{self.code}", lang, **dict(self.params))

    def as_dict(self, lang: str = "vi") -> dict[str, Any]:
        return {
            "severity": str(self.severity),
            "sheet": self.sheet,
            "cell": self.cell,
            "code": self.code,
            "message": self.message(lang),
        }


class ReadError(Exception):
    """The file cannot be used at all (not a workbook, empty, encrypted, no table). Carries one issue."""

    def __init__(self, issue: Issue):
        super().__init__(issue.message("en"))
        self.issue = issue

    def message(self, lang: str = "vi") -> str:
        return self.issue.message(lang)


@dataclass(frozen=True)
class Period:
    """The period a status sheet reports on: a year, or a year and month."""

    year: int
    month: int | None = None

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d}" if self.month else str(self.year)

    @classmethod
    def parse(cls, text: str) -> Period:
        """'2024' or '2024-06' -> Period; raises ValueError otherwise."""
        parts = str(text).strip().split("-")
        if len(parts) == 1:
            return cls(int(parts[0]))
        if len(parts) == 2:
            month = int(parts[1])
            if not 1 <= month <= 12:
                raise ValueError(text)
            return cls(int(parts[0]), month)
        raise ValueError(text)

    @property
    def sort_key(self) -> tuple[int, int]:
        return (self.year, self.month or 12)


STATUS_LABELS = (Status.MET.value, Status.NOT_MET.value, Status.UNKNOWN.value)  # index = evaluator status code

COMMUNE_COLUMNS = [
    "name", "code", "district", "region", "profile", "population", "households",
    "target_year", "recognized_year", "sheet", "row",
]
CRITERIA_COLUMNS = ["commune_id", "criterion", "status", "source", "sheet", "cell"]
INDICATOR_COLUMNS = ["commune_id", "indicator", "criterion", "value", "status", "threshold", "sheet", "cell"]


@dataclass(frozen=True)
class Dataset:
    """One status sheet read and evaluated against one criteria set. Treat every frame as read-only.

    communes:   index `commune_id` (str, stable key); columns COMMUNE_COLUMNS. `name` is NFC without the
                "Xã/Phường/Thị trấn" prefix; `region` is a region or commune-group key of the criteria
                set ("tdmnpb", "nhom1", ...) or None; `profile` is the threshold profile key (usually the
                region; special communes use another); population/households float or NaN;
                target_year/recognized_year nullable Int64; `sheet`/`row` where the commune was read.
    criteria:   long, one row per commune x criterion of the set; columns CRITERIA_COLUMNS.
                `criterion` is the criterion number as str ("1".."19"); `status` a Status value;
                `source` is "sheet" (the sheet's own mark), "derived" (from sub-indicator values)
                or "none" (unknown); sheet/cell where the mark was read, or None.
    indicators: long, one row per commune x sub-indicator value read; columns INDICATOR_COLUMNS.
                `value` float (per-cents are 0-100; yes/no is 1.0/0.0), NaN when unreadable;
                `status` a Status value against `threshold` (float or NaN when no threshold is known).
    Text columns may be object, pandas "str" or categorical: load_dataset() leaves commune_id, criterion,
    indicator, status and source categorical (commune_id's categories are the communes index, so its codes
    are commune positions; status categories are STATUS_LABELS) and sheet/cell as read. Compare values,
    not dtypes. Derived arrays, cached per dataset: status_codes, indicator_positions.
    """

    criteria_set: Any  # ntm_data.catalogue.CriteriaSet (Any avoids an import cycle)
    communes: pd.DataFrame
    criteria: pd.DataFrame
    indicators: pd.DataFrame
    issues: tuple[Issue, ...] = ()
    source_name: str = ""
    layout: str = ""  # "summary" | "values" | "per_commune" | "long"
    period: Period | None = None
    title: str | None = None
    detected_criteria_set: str | None = None
    issuing_body: str | None = None  # the title block's issuing body, lines joined by "\n"
    grouping_name: str | None = None  # the area the title names: "Huyện Hữu Lũng", "Tỉnh Lạng Sơn"

    @cached_property
    def status_codes(self) -> np.ndarray:
        """(communes x criteria of the set) int8 array of status codes indexing STATUS_LABELS (0 met,
        1 not_met, 2 unknown), rows in communes order, columns in catalogue order; a missing status or a
        criterion without a row reads unknown. Read-only; the cheapest way to the statuses."""
        order = [c.number for c in self.criteria_set.criteria]
        grid = _grid_codes(self.criteria, self.communes.index, order)
        if grid is None:
            keys = pd.DataFrame({c: self.criteria[c].to_numpy(dtype=object) for c in ("commune_id", "criterion")})
            pos = _positions(keys["commune_id"], self.communes.index)
            col = pd.Index(order, dtype=object).get_indexer(pd.Index([str(c) for c in keys["criterion"]], dtype=object))
            grid = np.full((len(self.communes), len(order)), _UNKNOWN_CODE, dtype=np.int8)
            ok = np.flatnonzero((pos >= 0) & (col >= 0))
            grid[pos[ok], col[ok]] = _status_codes(self.criteria["status"])[ok]
        grid.setflags(write=False)
        return grid

    @cached_property
    def status_matrix(self) -> pd.DataFrame:
        """Wide view: index commune_id (communes order), columns criterion numbers (catalogue order),
        values Status strings (object dtype)."""
        order = [c.number for c in self.criteria_set.criteria]
        labels = np.asarray(STATUS_LABELS, dtype=object)[self.status_codes]
        return pd.DataFrame(labels, index=self.communes.index, columns=pd.Index(order, dtype=object), dtype=object)

    @cached_property
    def indicator_positions(self) -> np.ndarray:
        """Position in `communes` of each `indicators` row (intp, -1 when not one of its communes):
        the categorical codes of commune_id as evaluate() leaves them, else one lookup per distinct id."""
        pos = _positions(self.indicators["commune_id"], self.communes.index)
        pos.setflags(write=False)
        return pos

    @cached_property
    def criteria_met(self) -> pd.Series:
        """Series indexed by commune_id: number of criteria met."""
        met = (self.status_codes == STATUS_LABELS.index(Status.MET.value)).sum(axis=1)
        return pd.Series(met.astype(int), index=self.communes.index)

    @cached_property
    def at_standard(self) -> pd.Series:
        """Series indexed by commune_id: True when every criterion of the set is met."""
        return self.criteria_met == len(self.criteria_set.criteria)

    @property
    def errors(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.severity == Severity.ERROR)

    @property
    def warnings(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.severity == Severity.WARNING)

    def subset(self, commune_ids: pd.Index | list[str]) -> Dataset:
        """The same dataset restricted to some communes (filters by district, region, ...)."""
        ids = pd.Index(commune_ids)
        return replace(
            self,
            communes=self.communes.loc[self.communes.index.intersection(ids, sort=False)],
            criteria=self.criteria[self.criteria["commune_id"].isin(ids)],
            indicators=self.indicators[self.indicators["commune_id"].isin(ids)],
        )


_UNKNOWN_CODE = STATUS_LABELS.index(Status.UNKNOWN.value)


def _positions(commune_ids: pd.Series, communes: pd.Index) -> np.ndarray:
    """Position in `communes` of each id (-1 when absent); a categorical maps its categories only."""
    if isinstance(commune_ids.dtype, pd.CategoricalDtype):
        codes, distinct = commune_ids.cat.codes.to_numpy(), commune_ids.cat.categories
    else:
        codes, distinct = pd.factorize(commune_ids)
    if not len(distinct):
        return np.full(len(commune_ids), -1, dtype=np.intp)
    where = np.append(communes.get_indexer(distinct), -1).astype(np.intp)
    return where[codes]


def _status_codes(status: pd.Series) -> np.ndarray:
    """int8 code per status value, indexing STATUS_LABELS; anything else (or missing) is unknown."""
    if isinstance(status.dtype, pd.CategoricalDtype):
        lut = np.array([STATUS_LABELS.index(c) if c in STATUS_LABELS else _UNKNOWN_CODE
                        for c in status.cat.categories] + [_UNKNOWN_CODE], dtype=np.int8)
        return lut[status.cat.codes.to_numpy()]
    codes = np.full(len(status), _UNKNOWN_CODE, dtype=np.int8)
    for code, label in enumerate(STATUS_LABELS):
        codes[(status == label).to_numpy(dtype=bool, na_value=False)] = code
    return codes


def _grid_codes(criteria: pd.DataFrame, communes: pd.Index, order: list[str]) -> Any:
    """The status codes as an (n communes, k criteria) int8 array when the criteria frame lists every
    commune (communes order) x criterion (`order`) exactly once in that order, as evaluate() and
    Dataset.subset() leave it; None otherwise (the caller places each row)."""
    n, k = len(communes), len(order)
    if not k or len(criteria) != n * k:
        return None
    if not (_positions(criteria["commune_id"], communes).reshape(n, k) == np.arange(n)[:, None]).all():
        return None
    numbers = criteria["criterion"]
    if isinstance(numbers.dtype, pd.CategoricalDtype):
        where = pd.Index(order, dtype=object).get_indexer(pd.Index([str(c) for c in numbers.cat.categories], dtype=object))
        same = (np.append(where, -1)[numbers.cat.codes.to_numpy()].reshape(n, k) == np.arange(k)).all()
    else:
        same = (numbers.to_numpy(dtype=object).reshape(n, k) == np.array(order, dtype=object)).all()
    return _status_codes(criteria["status"]).reshape(n, k) if same else None

"""load_dataset: a status workbook (path or bytes) -> an evaluated, immutable Dataset."""
from __future__ import annotations

import gc
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ntm_data import catalogue
from ntm_data.evaluate import evaluate
from ntm_data.layouts.common import warn
from ntm_data.model import COMMUNE_COLUMNS, Dataset, Issue, Period, ReadError, Severity
from ntm_data.reader import WorkbookRead, read_tables
from ntm_data.text import fold, parse_period
from ntm_data.workbook import read_workbook

_COLLECTOR_LOCK = threading.Lock()
_COLLECTOR = {"holds": 0, "was_enabled": False}


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a workbook is read and evaluated: a national sheet is
    some 10,000 fresh row lists of 20-80 cells that the collector would walk again and again as they age
    (25-75 ms of a 1 s read), and reading creates no reference cycles worth collecting meanwhile. Re-entrant
    and thread-safe (Streamlit sessions read in threads); the collector is left as it was found."""
    with _COLLECTOR_LOCK:
        if _COLLECTOR["holds"] == 0:
            _COLLECTOR["was_enabled"] = gc.isenabled()
            gc.disable()
        _COLLECTOR["holds"] += 1
    try:
        yield
    finally:
        with _COLLECTOR_LOCK:
            _COLLECTOR["holds"] -= 1
            if _COLLECTOR["holds"] == 0 and _COLLECTOR["was_enabled"]:
                gc.enable()


def _criteria_set(explicit: Any, context: str) -> tuple[Any, str | None]:
    detected = catalogue.detect_criteria_set(context) if context else None
    if explicit is not None:
        chosen = explicit if not isinstance(explicit, str) else catalogue.get_criteria_set(explicit)
    else:
        chosen = catalogue.get_criteria_set(detected or catalogue.DEFAULT_CRITERIA_SET)
    return chosen, detected


def set_for_year(year: int | None) -> str:
    """The national set in force in a report year, for a sheet that names none: ≤2020 QĐ 1980, 2021-2025
    QĐ 318, ≥2026 QĐ 51; with no year, the default (QĐ 318)."""
    if year is None:
        return catalogue.DEFAULT_CRITERIA_SET
    if year <= 2020:
        return "qd1980"
    return "qd318" if year <= 2025 else "qd51"


def _period(title: str | None, context: str) -> Period | None:
    for text in (title, context):
        found = parse_period(text) if text else None
        if found:
            return Period(*found)
    return None


_REGION_IN_TITLE = re.compile(r"\bvung\s*:?\s*([^;)\n,(]+)")


def sheet_region(title_block: str, criteria_set: Any) -> str | None:
    """The profile a title names for the whole sheet ("... tỉnh Lạng Sơn (vùng Trung du và miền núi phía
    Bắc)"), when exactly one is named."""
    found = {criteria_set.profile_for(m.group(1)) for m in _REGION_IN_TITLE.finditer(fold(title_block))}
    found.discard(None)
    return found.pop() if len(found) == 1 else None


def _none_for_missing(column: pd.Series) -> np.ndarray:
    return column.to_numpy(dtype=object, na_value=None)


def _communes(raw: pd.DataFrame, criteria_set: Any, issues: list[Issue], title_block: str = "") -> pd.DataFrame:
    """Raw commune rows -> the Dataset communes frame (index commune_id, COMMUNE_COLUMNS) plus the
    reading columns evaluation needs (reported_met, reported_met_cell, mark_range). A commune with no
    region of its own takes the one the title names for the whole sheet. name and sheet keep the
    reader's text dtype; code, district, region and profile are objects with None when missing."""
    raw = raw.reset_index(drop=True)
    texts = raw["region_text"]
    code, distinct = pd.factorize(texts)  # each distinct region text is looked up once
    region = np.array([criteria_set.profile_for(t) for t in distinct] + [None], dtype=object)[code]
    unknown = np.flatnonzero((code >= 0) & pd.isna(region))
    if (code < 0).any():
        whole_sheet = sheet_region(title_block, criteria_set)
        if whole_sheet is not None:
            region[code < 0] = whole_sheet
    for cell, sheet, text in zip(raw["region_cell"].take(unknown), raw["sheet"].take(unknown), texts.take(unknown),
                                 strict=True):
        issues.append(warn("unknown_region", sheet, cell, value=text))
    # `profile` keeps the commune's own profile (a special commune stays "dbkk"); evaluation follows
    # CriteriaSet.threshold_profile to the thresholds it uses.
    frame = pd.DataFrame({
        "name": raw["name"],
        "code": pd.Series(_none_for_missing(raw["code"]), dtype=object),
        "district": pd.Series(_none_for_missing(raw["district"]), dtype=object),
        "region": pd.Series(region, dtype=object),
        "profile": pd.Series(region.copy(), dtype=object),
        "population": pd.to_numeric(raw["population"], errors="coerce").astype(float),
        "households": pd.to_numeric(raw["households"], errors="coerce").astype(float),
        "target_year": pd.array(raw["target_year"], dtype="Int64"),
        "recognized_year": pd.array(raw["recognized_year"], dtype="Int64"),
        "sheet": raw["sheet"],
        "row": raw["row"].astype(int),
        "reported_met": pd.to_numeric(raw["reported_met"], errors="coerce").astype(float),
        "reported_met_cell": raw["reported_met_cell"],
        "mark_range": raw["mark_range"],
    })
    frame.index = pd.Index(raw["commune_id"].astype(str), name="commune_id")
    return frame


def _read(grids: Any, chosen: Any, by_year: bool) -> tuple[Any, WorkbookRead | None, Period | None]:
    """(set, tables, period) read with `chosen`; when `by_year` (the sheet names no decision) and its
    period's year calls for another set, the tables read again with that one."""
    read = read_tables(grids, chosen)
    if read is None:
        return chosen, None, None
    period = _period(read.title, read.title_block)
    wanted = set_for_year(period.year if period else None)
    if by_year and wanted != chosen.id:
        again = read_tables(grids, catalogue.get_criteria_set(wanted))
        if again is not None:
            return catalogue.get_criteria_set(wanted), again, _period(again.title, again.title_block)
    return chosen, read, period


def load_dataset(source: str | Path | bytes, *, name: str | None = None,
                 criteria_set: str | catalogue.CriteriaSet | None = None, year: int | None = None) -> Dataset:
    """Read a status workbook and evaluate it.

    source: a path or the file's bytes (.xlsx, .xlsm, .xls). criteria_set: an id ("qd318"), a
    CriteriaSet, or None to use the one named in the sheet's title/notes, else the one in force in the
    report period's year (set_for_year: ≤2020 qd1980, 2021-2025 qd318, ≥2026 qd51; no period: qd318). year: the
    evaluation year for yearly thresholds; defaults to the report period's year.
    Raises ReadError when the file is unusable or holds no recognisable table; every other problem
    is an Issue on the Dataset."""
    with _collector_paused():
        return _load(source, name, criteria_set, year)


def _load(source: str | Path | bytes, name: str | None, criteria_set: str | catalogue.CriteriaSet | None,
          year: int | None) -> Dataset:
    grids = read_workbook(source)
    source_name = name or (Path(source).name if isinstance(source, str | Path) else "")
    # Header matching needs a criteria set; detection only reads text, so detect first.
    from ntm_data.reader import context_text

    context = context_text(grids)
    chosen, detected = _criteria_set(criteria_set, context)
    by_year = criteria_set is None and detected is None
    read = None
    if by_year:
        # The sheet names no decision: it is judged by the set in force in its period's year, and its
        # headers are matched against that set's criteria. Guess the period from the title blocks' text
        # so that the table is read once; the guess stands when the table's own title agrees.
        guess = _period(None, context)
        guessed = catalogue.get_criteria_set(set_for_year(guess.year if guess else None))
        if guessed.id != chosen.id:
            read = read_tables(grids, guessed)
            period = _period(read.title, read.title_block) if read is not None else None
            if read is not None and set_for_year(period.year if period else None) == guessed.id:
                chosen = guessed
            else:
                read = None
    if read is None:
        chosen, read, period = _read(grids, chosen, by_year)
    if read is None:
        raise ReadError(Issue(Severity.ERROR, "no_table", params={"name": source_name}))
    issues: list[Issue] = list(read.issues)
    communes = _communes(read.communes, chosen, issues, read.title_block)
    evaluation = evaluate(chosen, communes, read.marks, read.values,
                          year if year is not None else (period.year if period else None))
    issues += evaluation.issues
    return Dataset(
        criteria_set=chosen,
        communes=communes[COMMUNE_COLUMNS],
        criteria=evaluation.criteria,
        indicators=evaluation.indicators,
        issues=tuple(issues),
        source_name=source_name,
        layout=read.layout,
        period=period,
        title=read.title,
        detected_criteria_set=detected,
        issuing_body=read.issuing_body,
        grouping_name=read.grouping_name,
    )

"""load_dataset: a status workbook (path or bytes) -> an evaluated, immutable Dataset."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from ntm_data import catalogue
from ntm_data.evaluate import evaluate
from ntm_data.layouts.common import warn
from ntm_data.model import COMMUNE_COLUMNS, Dataset, Issue, Period, ReadError, Severity
from ntm_data.reader import read_tables
from ntm_data.text import fold, parse_period
from ntm_data.workbook import read_workbook


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


def _communes(raw: pd.DataFrame, criteria_set: Any, issues: list[Issue], title_block: str = "") -> pd.DataFrame:
    """Raw commune rows -> the Dataset communes frame (index commune_id, COMMUNE_COLUMNS) plus the
    reading columns evaluation needs (reported_met, reported_met_cell, mark_range). A commune with no
    region of its own takes the one the title names for the whole sheet."""
    texts = raw["region_text"]
    lookup = {t: criteria_set.profile_for(t) for t in pd.unique(texts.dropna())}
    region = texts.map(lookup).astype(object)
    region = region.where(region.notna(), None)
    unknown = texts.notna() & region.isna()
    if texts.isna().any():
        whole_sheet = sheet_region(title_block, criteria_set)
        if whole_sheet is not None:
            region = region.where(texts.notna(), whole_sheet)
    for cell, sheet, text in zip(raw.loc[unknown, "region_cell"], raw.loc[unknown, "sheet"], texts[unknown], strict=True):
        issues.append(warn("unknown_region", sheet, cell, value=text))
    # `profile` keeps the commune's own profile (a special commune stays "dbkk"); evaluation follows
    # CriteriaSet.threshold_profile to the thresholds it uses.
    profile = region
    frame = pd.DataFrame({
        "name": raw["name"].astype(object),
        "code": raw["code"].astype(object).where(raw["code"].notna(), None),
        "district": raw["district"].astype(object).where(raw["district"].notna(), None),
        "region": region,
        "profile": profile.where(profile.notna(), None),
        "population": pd.to_numeric(raw["population"], errors="coerce").astype(float),
        "households": pd.to_numeric(raw["households"], errors="coerce").astype(float),
        "target_year": pd.array(raw["target_year"], dtype="Int64"),
        "recognized_year": pd.array(raw["recognized_year"], dtype="Int64"),
        "sheet": raw["sheet"].astype(object),
        "row": raw["row"].astype(int),
        "reported_met": pd.to_numeric(raw["reported_met"], errors="coerce").astype(float),
        "reported_met_cell": raw["reported_met_cell"].astype(object),
        "mark_range": raw["mark_range"].astype(object),
    })
    frame.index = pd.Index(raw["commune_id"].astype(str).to_numpy(), name="commune_id")
    return frame


def load_dataset(source: str | Path | bytes, *, name: str | None = None,
                 criteria_set: str | catalogue.CriteriaSet | None = None, year: int | None = None) -> Dataset:
    """Read a status workbook and evaluate it.

    source: a path or the file's bytes (.xlsx, .xlsm, .xls). criteria_set: an id ("qd318"), a
    CriteriaSet, or None to use the one named in the sheet's title/notes, else the one in force in the
    report period's year (set_for_year: ≤2020 qd1980, 2021-2025 qd318, ≥2026 qd51; no period: qd318). year: the
    evaluation year for yearly thresholds; defaults to the report period's year.
    Raises ReadError when the file is unusable or holds no recognisable table; every other problem
    is an Issue on the Dataset."""
    grids = read_workbook(source)
    source_name = name or (Path(source).name if isinstance(source, str | Path) else "")
    # Header matching needs a criteria set; detection only reads text, so detect first.
    from ntm_data.reader import context_text

    context = context_text(grids)
    chosen, detected = _criteria_set(criteria_set, context)
    read = read_tables(grids, chosen)
    if read is None:
        raise ReadError(Issue(Severity.ERROR, "no_table", params={"name": source_name}))
    period = _period(read.title, read.title_block)
    if criteria_set is None and detected is None:
        # The sheet names no decision: the set in force in its period's year. The table is read again
        # with that set (its headers are matched against the set's criteria) when it is not the default.
        by_year = set_for_year(period.year if period else None)
        if by_year != chosen.id:
            again = read_tables(grids, catalogue.get_criteria_set(by_year))
            if again is not None:
                chosen, read = catalogue.get_criteria_set(by_year), again
                period = _period(read.title, read.title_block)
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

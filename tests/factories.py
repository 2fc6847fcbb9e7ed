"""Build valid Datasets from compact Python tables, so tests need no Excel file.

    from tests.factories import make_dataset
    ds = make_dataset([
        {"name": "Sơn Hồng", "district": "Hương Sơn", "not_met": ["15", "17"], "target_year": 2025,
         "population": 8000, "values": {"15.1": 91.1, "17.1": (60, 90)}},
        {"name": "Vân Nham", "met": 11},                # criteria 1..11 met, 12..19 not met
        {"name": "Hà Linh", "marks": "1111111111111111?10"},  # one mark per criterion: 1/x met, 0/- not, ? unknown
        {"name": "Đức Thuận"},                          # everything met
    ], period=2024)

Frames follow ntm_data/model.py's Dataset docstring: communes indexed by commune_id with COMMUNE_COLUMNS
(population/households float, target/recognized years Int64), criteria with CRITERIA_COLUMNS (one row
per commune x criterion, statuses as Status string values), indicators with INDICATOR_COLUMNS.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ntm_data.catalogue import CriteriaSet, get_criteria_set
from ntm_data.model import (
    COMMUNE_COLUMNS,
    CRITERIA_COLUMNS,
    INDICATOR_COLUMNS,
    Dataset,
    Issue,
    Period,
    Status,
)
from ntm_data.text import fold

MET, NOT_MET, UNKNOWN = Status.MET.value, Status.NOT_MET.value, Status.UNKNOWN.value
_MARKS = {"1": MET, "x": MET, "X": MET, "0": NOT_MET, "-": NOT_MET, "?": UNKNOWN}
_STATUS_WORDS = {MET: MET, NOT_MET: NOT_MET, UNKNOWN: UNKNOWN, True: MET, False: NOT_MET, None: UNKNOWN}
FIRST_ROW = 5  # data starts under a title block and a two-row header, as in real sheets
FIRST_CRITERION_COLUMN = 4  # STT, Tên xã, Huyện, then criterion 1 in column D


def _column_letter(index: int) -> str:
    """1 -> "A", 27 -> "AA"."""
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def commune_id_for(name: str) -> str:
    """The default commune_id of a factory row: the folded name with dashes ("Sơn Hồng" -> "son-hong")."""
    return "-".join(fold(name).split())


def _statuses(row: Mapping[str, Any], numbers: Sequence[str]) -> list[str]:
    """Criterion statuses of one row, in catalogue order (see the module docstring for the forms)."""
    n = len(numbers)
    if "marks" in row:
        marks = row["marks"]
        if isinstance(marks, Mapping):
            unknown_keys = set(map(str, marks)) - set(numbers)
            if unknown_keys:
                raise ValueError(f"marks: criteria {sorted(unknown_keys)} are not in the set")
            given = {str(k): _STATUS_WORDS.get(v, v) for k, v in marks.items()}
            return [given.get(num, MET) for num in numbers]
        marks = str(marks).replace(" ", "")
        if len(marks) != n:
            raise ValueError(f"marks: {marks!r} has {len(marks)} marks, the set has {n} criteria")
        return [_MARKS[m] for m in marks]
    if "met" in row:
        k = int(row["met"])
        if not 0 <= k <= n:
            raise ValueError(f"met: {k} is outside 0..{n}")
        return [MET] * k + [NOT_MET] * (n - k)
    not_met = {str(x) for x in row.get("not_met", ())}
    unknown = {str(x) for x in row.get("unknown", ())}
    stray = (not_met | unknown) - set(numbers)
    if stray:
        raise ValueError(f"criteria {sorted(stray)} are not in the set")
    return [NOT_MET if num in not_met else UNKNOWN if num in unknown else MET for num in numbers]


def _indicator_record(cs: CriteriaSet, profile: str | None, year: int | None, code: str,
                      spec: Any) -> tuple[float, float, str]:
    """(value, threshold, status) from `value`, `(value, threshold)` or `(value, threshold, status)`.
    A missing threshold comes from the catalogue; a missing status is judged against the threshold
    (unknown without one or without a value)."""
    parts = tuple(spec) if isinstance(spec, (tuple, list)) else (spec,)
    value = np.nan if parts[0] is None else float(parts[0])
    indicator = cs.indicator(code)
    if len(parts) >= 2:
        threshold = np.nan if parts[1] is None else float(parts[1])
    else:
        found = cs.threshold(code, profile, year)
        threshold = float(found.value) if found is not None else np.nan
    if len(parts) >= 3:
        return value, threshold, _STATUS_WORDS.get(parts[2], parts[2])
    if np.isnan(value) or np.isnan(threshold):
        return value, threshold, UNKNOWN
    lower = indicator is not None and indicator.kind != "yes_no" and indicator.direction == "lower"
    passed = value <= threshold if lower else value >= threshold
    return value, threshold, MET if passed else NOT_MET


def make_dataset(
    rows: Iterable[Mapping[str, Any]],
    criteria_set: str | CriteriaSet = "qd318",
    indicators: Iterable[Sequence[Any]] = (),
    period: Period | int | str | None = None,
    *,
    source_name: str = "factory.xlsx",
    layout: str = "summary",
    issues: Sequence[Issue] = (),
    title: str | None = None,
    sheet: str = "Sheet1",
) -> Dataset:
    """A Dataset from one dict per commune.

    Row keys: name (required); id (default: commune_id_for(name)), code, district, region, profile
    (default: region), population, households, target_year, recognized_year; criterion statuses by
    one of marks (str with one mark per criterion, or {number: status}), met (first k met, the rest
    not met), not_met / unknown (lists of criterion numbers; the others met); default all met;
    values: {indicator code: value | (value, threshold) | (value, threshold, status)}.
    `indicators`: extra long rows (commune id or name, code, value[, threshold[, status]]).
    """
    cs = get_criteria_set(criteria_set)
    if period is not None and not isinstance(period, Period):
        period = Period.parse(str(period))
    year = period.year if period is not None else None
    numbers = [c.number for c in cs.criteria]

    communes, criteria, values = [], [], []
    ids: list[str] = []
    by_name: dict[str, str] = {}
    for i, row in enumerate(rows):
        name = str(row["name"])
        cid = str(row.get("id") or commune_id_for(name))
        if cid in ids:
            raise ValueError(f"duplicate commune_id {cid!r}; give the row an 'id'")
        ids.append(cid)
        by_name.setdefault(name, cid)
        excel_row = FIRST_ROW + i
        region = row.get("region")
        profile = row.get("profile", region)
        communes.append({
            "name": name,
            "code": row.get("code"),
            "district": row.get("district"),
            "region": region,
            "profile": profile,
            "population": row.get("population"),
            "households": row.get("households"),
            "target_year": row.get("target_year"),
            "recognized_year": row.get("recognized_year"),
            "sheet": sheet,
            "row": excel_row,
        })
        for j, (number, status) in enumerate(zip(numbers, _statuses(row, numbers), strict=True)):
            known = status != UNKNOWN
            criteria.append((cid, number, status, "sheet" if known else "none", sheet if known else None,
                             f"{_column_letter(FIRST_CRITERION_COLUMN + j)}{excel_row}" if known else None))
        for code, spec in dict(row.get("values", {})).items():
            values.append((cid, str(code), spec))
    for commune, code, *spec in indicators:
        cid = str(commune) if str(commune) in ids else by_name.get(str(commune))
        if cid is None:
            raise ValueError(f"indicators: unknown commune {commune!r}")
        values.append((cid, str(code), tuple(spec)))

    communes_frame = pd.DataFrame(communes, columns=COMMUNE_COLUMNS, index=pd.Index(ids, name="commune_id"))
    for col in ("population", "households"):
        communes_frame[col] = communes_frame[col].astype(float)
    for col in ("target_year", "recognized_year"):
        communes_frame[col] = communes_frame[col].astype("Int64")
    communes_frame["row"] = communes_frame["row"].astype(int)

    codes = sorted({code for _, code, _ in values}, key=lambda c: tuple(int(p) for p in c.split(".")))
    code_column = {code: _column_letter(FIRST_CRITERION_COLUMN + len(numbers) + k) for k, code in enumerate(codes)}
    position = {cid: FIRST_ROW + k for k, cid in enumerate(ids)}
    profiles = dict(zip(ids, (c["profile"] for c in communes), strict=True))
    indicator_rows = []
    for cid, code, spec in values:
        value, threshold, status = _indicator_record(cs, profiles[cid], year, code, spec)
        indicator_rows.append((cid, code, code.split(".")[0], value, status, threshold, sheet,
                               f"{code_column[code]}{position[cid]}"))
    indicators_frame = pd.DataFrame(indicator_rows, columns=INDICATOR_COLUMNS)
    indicators_frame = indicators_frame.astype({"value": float, "threshold": float})

    return Dataset(
        criteria_set=cs,
        communes=communes_frame,
        criteria=pd.DataFrame(criteria, columns=CRITERIA_COLUMNS),
        indicators=indicators_frame,
        issues=tuple(issues),
        source_name=source_name,
        layout=layout,
        period=period,
        title=title,
        detected_criteria_set=cs.id,
    )

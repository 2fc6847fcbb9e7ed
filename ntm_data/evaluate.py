"""Evaluation: criterion and sub-indicator statuses from the sheet's own marks and from values against
the catalogue's thresholds, with warnings where the two disagree. Vectorised over communes."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ntm_data.layouts.common import warn
from ntm_data.model import CRITERIA_COLUMNS, INDICATOR_COLUMNS, Issue, Status

MET, NOT_MET, UNKNOWN = Status.MET.value, Status.NOT_MET.value, Status.UNKNOWN.value


@dataclass(frozen=True)
class Evaluation:
    """criteria: CRITERIA_COLUMNS, one row per commune x criterion of the set (communes order, then
    catalogue order); indicators: INDICATOR_COLUMNS, one row per value read; issues: disagreements."""

    criteria: pd.DataFrame
    indicators: pd.DataFrame
    issues: tuple[Issue, ...]


def _fmt(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def _thresholds(values: pd.DataFrame, profiles: pd.Series, criteria_set: Any, year: int | None) -> pd.DataFrame:
    """Per value row: threshold (float/NaN), verified (bool), lower (bool: lower is better).
    Looked up once per distinct (indicator, profile) pair."""
    codes = values["indicator"].to_numpy(dtype=object)
    commune_profiles = profiles.astype(object).where(profiles.notna(), "")
    profile = commune_profiles.reindex(values["commune_id"]).to_numpy(dtype=object)
    profile = np.where(pd.isna(profile), "", profile)
    pair, uniques = pd.factorize(codes + "\x1f" + profile.astype(str).astype(object))
    looked_up = np.empty((len(uniques), 3), dtype=float)
    for j, key in enumerate(uniques):
        code, key_profile = str(key).split("\x1f")
        indicator = criteria_set.indicator(code)
        # Special communes (dbkk, atk) are judged on another profile's thresholds.
        resolved = criteria_set.threshold_profile(key_profile) if key_profile else None
        threshold = indicator.threshold_for(resolved, year) if indicator is not None else None
        looked_up[j] = (
            threshold.value if threshold is not None else np.nan,
            bool(threshold is not None and threshold.verified),
            indicator is not None and indicator.kind != "yes_no" and indicator.direction == "lower",
        )
    table = looked_up[pair] if len(pair) else np.empty((0, 3))
    return pd.DataFrame({"threshold": table[:, 0], "verified": table[:, 1].astype(bool),
                         "lower": table[:, 2].astype(bool)}, index=values.index)


def evaluate_indicators(values: pd.DataFrame, profiles: pd.Series, criteria_set: Any,
                        year: int | None) -> tuple[pd.DataFrame, list[Issue]]:
    """values (layouts.common.VALUE_COLUMNS) + profiles (Series commune_id -> threshold profile key)
    -> (INDICATOR_COLUMNS frame plus `by_threshold` status and `mark_cell`, issues).

    status = the sheet's own mark for the value when given, else value vs threshold, else unknown."""
    values = values.reset_index(drop=True)
    thr = _thresholds(values, profiles, criteria_set, year)
    value = values["value"].astype(float).to_numpy()
    threshold = thr["threshold"].to_numpy(dtype=float)
    lower = thr["lower"].to_numpy(dtype=bool)
    known = ~np.isnan(value) & ~np.isnan(threshold)
    passes = np.where(lower, value <= threshold, value >= threshold)
    by_threshold = np.where(known, np.where(passes, MET, NOT_MET), UNKNOWN)
    mark = values["mark"].to_numpy(dtype=object)
    has_mark = values["mark"].isin([MET, NOT_MET]).to_numpy()
    status = np.where(has_mark, mark, by_threshold)
    frame = pd.DataFrame({
        "commune_id": values["commune_id"].to_numpy(),
        "indicator": values["indicator"].to_numpy(),
        "criterion": values["criterion"].to_numpy(),
        "value": value,
        "status": status.astype(object),
        "threshold": threshold,
        "sheet": values["sheet"].to_numpy(),
        "cell": values["cell"].to_numpy(),
        "by_threshold": by_threshold.astype(object),
        "verified": thr["verified"].to_numpy(dtype=bool),
        "mark_cell": values["mark_cell"].to_numpy(),
    })
    issues: list[Issue] = []
    clash = frame[has_mark & known & (mark != by_threshold)]
    for row in clash.itertuples(index=False):
        issues.append(warn("indicator_mark_contradicts_value", row.sheet, row.mark_cell, **{
            "indicator": row.indicator, "mark": _mark_word(row.status), "value_cell": row.cell,
            "value": _fmt(row.value), "threshold": _fmt(row.threshold),
        }))
    return frame, issues


def _mark_word(status: str) -> str:
    return "Đạt" if status == MET else "Chưa đạt"


def evaluate(criteria_set: Any, communes: pd.DataFrame, marks: pd.DataFrame, values: pd.DataFrame,
             year: int | None) -> Evaluation:
    """Judge every commune against every criterion of `criteria_set`.

    communes: index commune_id, column `profile` (threshold profile key or None).
    marks: commune_id, criterion, mark ("met"/"not_met"/"unknown" explicit/None unreadable), sheet, cell.
           An unknown or unreadable mark's cell is kept on a criterion that stays unknown.
    values: layouts.common.VALUE_COLUMNS.
    A criterion's status is the sheet's mark when given; otherwise derived from its catalogued
    sub-indicators (met when there is at least one, all have values and all pass; not_met when any
    fails; unknown otherwise, never silently not_met)."""
    numbers = [c.number for c in criteria_set.criteria]
    ids = communes.index
    n, k = len(ids), len(numbers)
    criterion_index = pd.Index(numbers)
    indicators, issues = evaluate_indicators(values, communes["profile"], criteria_set, year)

    def positions(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Flat position commune * k + criterion of each row, and which rows are in the grid."""
        ci = ids.get_indexer(frame["commune_id"])
        kj = criterion_index.get_indexer(frame["criterion"].astype(str))
        ok = (ci >= 0) & (kj >= 0)
        return (ci * k + kj)[ok], ok

    derived, by_values = _derived(indicators, criteria_set, positions, n * k, numbers)
    given = marks[marks["mark"].isin([MET, NOT_MET])].drop_duplicates(["commune_id", "criterion"])
    pos, ok = positions(given)
    mark = np.full(n * k, None, dtype=object)
    sheet = np.full(n * k, None, dtype=object)
    cell = np.full(n * k, None, dtype=object)
    mark[pos] = given["mark"].to_numpy(dtype=object)[ok]
    sheet[pos] = given["sheet"].to_numpy(dtype=object)[ok]
    cell[pos] = given["cell"].to_numpy(dtype=object)[ok]
    has_mark = pd.notna(mark)
    # An unreadable mark ("abc", "#N/A", a formula without its result) or an explicit "Chưa rõ" leaves the
    # criterion unknown unless its values decide it; the unknown still points at the cell to fix.
    unread = marks[~marks["mark"].isin([MET, NOT_MET])].drop_duplicates(["commune_id", "criterion"])
    pos, ok = positions(unread)
    keep = ~has_mark[pos] & (derived[pos] == UNKNOWN)
    sheet[pos[keep]] = unread["sheet"].to_numpy(dtype=object)[ok][keep]
    cell[pos[keep]] = unread["cell"].to_numpy(dtype=object)[ok][keep]
    status = np.where(has_mark, mark, derived)
    source = np.where(has_mark, "sheet", np.where(derived != UNKNOWN, "derived", "none"))
    criteria = pd.DataFrame({
        "commune_id": pd.Series(np.repeat(ids.to_numpy(dtype=object), k), dtype=object),
        "criterion": pd.Series(np.tile(np.array(numbers, dtype=object), n), dtype=object),
        "status": pd.Series(status, dtype=object),
        "source": pd.Series(source, dtype=object),
        "sheet": pd.Series(sheet, dtype=object),
        "cell": pd.Series(cell, dtype=object),
    })
    clash = np.flatnonzero(has_mark & (by_values != UNKNOWN) & (mark != by_values))
    bad = criteria.iloc[clash].assign(mark=mark[clash], by_values=by_values[clash])
    issues += _contradictions(bad, indicators)
    issues += _count_mismatches(communes, marks)
    return Evaluation(criteria[CRITERIA_COLUMNS], indicators[INDICATOR_COLUMNS].reset_index(drop=True), tuple(issues))


def _derived(indicators: pd.DataFrame, criteria_set: Any, positions: Any, size: int,
             numbers: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per flat (commune, criterion) position: the status derived from sub-indicator statuses, and
    the threshold-only status (`by_values`) used to check the sheet's own marks."""
    derived = np.full(size, UNKNOWN, dtype=object)
    by_values = np.full(size, UNKNOWN, dtype=object)
    if indicators.empty:
        return derived, by_values
    catalogued = {i.code for i in criteria_set.indicators}
    counts: dict[str, int] = {}
    for i in criteria_set.indicators:
        counts[i.criterion] = counts.get(i.criterion, 0) + 1
    expected = np.tile(np.array([counts.get(num, 0) for num in numbers]), size // max(len(numbers), 1))
    ind = indicators.drop_duplicates(["commune_id", "indicator"])
    pos, ok = positions(ind)
    in_catalogue = ind["indicator"].isin(catalogued).to_numpy()[ok]
    status = ind["status"].to_numpy(dtype=object)[ok]
    by_threshold = ind["by_threshold"].to_numpy(dtype=object)[ok]

    def tally(flags: np.ndarray) -> np.ndarray:
        return np.bincount(pos, weights=flags.astype(float), minlength=size)

    complete = expected > 0
    for target, column in ((derived, status), (by_values, by_threshold)):
        met = tally((column == MET) & in_catalogue)
        failed = tally(column == NOT_MET)
        target[complete & (met == expected)] = MET
        target[failed > 0] = NOT_MET
    return derived, by_values


def _contradictions(bad: pd.DataFrame, indicators: pd.DataFrame) -> list[Issue]:
    """The sheet says Đạt but a value fails its threshold, or Chưa đạt while every value passes.
    bad: criteria rows (CRITERIA_COLUMNS + mark, by_values) where the mark and the values disagree."""
    if bad.empty:
        return []
    keys = ["commune_id", "criterion"]
    columns = [*keys, "indicator", "cell", "value", "threshold", "verified"]
    failing = indicators.loc[indicators["by_threshold"] == NOT_MET, columns].drop_duplicates(keys)
    said_no = bad.loc[bad["mark"] == NOT_MET, keys]
    passing_rows = indicators.loc[indicators["by_threshold"] == MET, [*keys, "cell"]].merge(said_no, on=keys)
    cells: dict[tuple[str, str], list[str]] = {}
    for cid, criterion, cell in zip(passing_rows["commune_id"], passing_rows["criterion"], passing_rows["cell"],
                                    strict=True):
        cells.setdefault((cid, criterion), []).append(str(cell))
    passing = pd.DataFrame([(cid, crit, ", ".join(c)) for (cid, crit), c in cells.items()],
                           columns=[*keys, "value_cells"])
    said_met = bad[bad["mark"] == MET].drop(columns="cell").rename(columns={"sheet": "mark_sheet"})
    said_met = said_met.merge(bad[[*keys, "cell"]].rename(columns={"cell": "mark_cell"}), on=keys)
    said_met = said_met.merge(failing, on=keys, how="inner")
    said_not_met = bad[bad["mark"] == NOT_MET].merge(passing, on=keys, how="inner")
    issues = [
        warn("mark_met_but_value_fails" if row.verified else "mark_met_but_value_fails_unverified",
             row.mark_sheet, row.mark_cell, criterion=row.criterion,
             indicator=row.indicator, value_cell=row.cell, value=_fmt(row.value), threshold=_fmt(row.threshold))
        for row in said_met.itertuples(index=False)
    ]
    issues += [
        warn("mark_not_met_but_values_pass", row.sheet, row.cell, criterion=row.criterion, value_cells=row.value_cells)
        for row in said_not_met.itertuples(index=False)
    ]
    return issues


def _count_mismatches(communes: pd.DataFrame, marks: pd.DataFrame) -> list[Issue]:
    """A "Số tiêu chí đạt" cell that disagrees with the number of Đạt marks on its row."""
    if "reported_met" not in communes or communes["reported_met"].isna().all() or marks.empty:
        return []
    counted = (marks["mark"] == MET).groupby(marks["commune_id"]).sum()
    reported = communes["reported_met"]
    counted = counted.reindex(communes.index).fillna(0).astype(int)
    off = reported.notna() & (reported != counted)
    return [
        warn("criteria_met_mismatch", communes.at[cid, "sheet"], communes.at[cid, "reported_met_cell"],
             reported=_fmt(reported[cid]), counted=int(counted[cid]), range=communes.at[cid, "mark_range"])
        for cid in communes.index[off]
    ]

"""Presentation helpers: number formats per language, translated tables, downloads, empty states."""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from ntm_data.i18n import t
from ntm_data.model import Status

STATUS_SYMBOLS = {Status.MET.value: "✓", Status.NOT_MET.value: "✗", Status.UNKNOWN.value: "?"}
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_MIME = "application/pdf"


def is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(isinstance(value, float) and math.isnan(value))
    except TypeError:
        return False


def fmt_number(value: Any, lang: str, digits: int = 1) -> str:
    """1234.5 -> '1.234,5' (vi) or '1,234.5' (en); whole numbers drop the decimals; missing -> '–'."""
    if is_missing(value):
        return "–"
    number = float(value)
    text = f"{number:,.0f}" if number == round(number) else f"{number:,.{digits}f}"
    if lang == "vi":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def fmt_share(share: Any, lang: str, digits: int = 1) -> str:
    """0.793 -> '79,3 %' (vi) / '79.3%' (en)."""
    if is_missing(share):
        return "–"
    text = fmt_number(round(float(share) * 100, digits), lang, digits)
    return f"{text} %" if lang == "vi" else f"{text}%"


def status_label(status: Any, lang: str) -> str:
    """'met' -> '✓ Đạt'; the symbol keeps the grid readable without colour (projectors, colour blindness)."""
    key = str(status) if str(status) in STATUS_SYMBOLS else Status.UNKNOWN.value
    return f"{STATUS_SYMBOLS[key]} {t(f'ui.status.{key}', lang)}"


def name_column(lang: str) -> str:
    return "name_en" if lang == "en" else "name_vi"


def criterion_label(criteria_set: Any, number: str, lang: str) -> str:
    """'15' -> '15. Y tế' (the catalogue name in the UI language)."""
    for criterion in criteria_set.criteria:
        if criterion.number == number:
            return f"{number}. {criterion.name_en if lang == 'en' else criterion.name_vi}"
    return str(number)


def indicator_label(criteria_set: Any, code: str, lang: str) -> str:
    """'15.1' -> '15.1 Tỷ lệ người dân tham gia bảo hiểm y tế'."""
    for criterion in criteria_set.criteria:
        for indicator in criterion.indicators:
            if indicator.code == code:
                return f"{code} {indicator.name_en if lang == 'en' else indicator.name_vi}"
    return str(code)


def join_codes(value: Any) -> str:
    """A tuple of criterion / indicator codes as '15, 17'; empty -> ''."""
    if isinstance(value, (tuple, list)):
        return ", ".join(str(v) for v in value)
    return "" if is_missing(value) else str(value)


def md(key: str, lang: str, **params: Any) -> str:
    """A catalogue string for a markdown-rendering element (caption, alert, heading, button label): the
    parameters come from workbooks and file names, so they are escaped; the templates hold no markdown."""
    return t(key, lang, **{k: md_escape(v) if isinstance(v, str) else v for k, v in params.items()})


def md_escape(text: Any) -> str:
    """Workbook text shown in a markdown-rendering element must not be read as markdown or HTML."""
    special = "\\`*_{}[]()#+-.!|<>~$:"
    return "".join(f"\\{ch}" if ch in special else ch for ch in str(text))


def display_frame(frame: pd.DataFrame, lang: str, columns: Sequence[str], *,
                  status_columns: Iterable[str] = (), code_columns: Iterable[str] = (),
                  headers: Mapping[str, str] | None = None) -> pd.DataFrame:
    """A copy of `frame` with only `columns`, statuses as '✓ Đạt', code tuples joined, and headers
    translated from `ui.col.<column>` (or `headers`)."""
    out = frame.loc[:, list(columns)].copy()
    for col in status_columns:
        if col in out:
            out[col] = out[col].map(lambda s: status_label(s, lang))
    for col in code_columns:
        if col in out:
            out[col] = out[col].map(join_codes)
    if "verified" in out:
        out["verified"] = out["verified"].map(
            lambda v: "–" if is_missing(v) else ("✓" if v else t("ui.unverified", lang)))
    for col in [c for c in out.columns if str(c).endswith("_share")]:
        out[col] = (out[col].astype(float) * 100).round(1)
    names = {c: (headers or {}).get(c) or t(f"ui.col.{c}", lang) for c in out.columns}
    return out.rename(columns=names)


ROW_HEIGHT = 36  # px; with the 18 px base font
MAX_ROWS_SHOWN = 25  # a longer table scrolls inside itself; shorter ones show whole (no scrolling on a projector)


def table_height(rows: int) -> int:
    return (min(max(rows, 1), MAX_ROWS_SHOWN) + 1) * ROW_HEIGHT + 3


def table(frame: pd.DataFrame, lang: str, columns: Sequence[str], *, key: str | None = None,
          height: int | None = None, **kwargs: Any) -> None:
    """st.dataframe of a translated copy (workbook text is never rendered as markdown there). Columns that
    hold nothing (a district column of a one-district sheet) are left out."""
    shown = display_frame(frame, lang, informative(frame, columns) if len(frame) else columns, **kwargs)
    status_headers = [t(f"ui.col.{c}", lang) for c in kwargs.get("status_columns", ())]
    status_headers = [h for h in status_headers if h in shown.columns]
    if status_headers:  # the same status colours as the charts and the Excel exports
        shown = shown.style.map(_status_fill, subset=status_headers)
    st.dataframe(shown, hide_index=True, width="stretch", height=height or table_height(len(frame)),
                 row_height=ROW_HEIGHT, key=key)


def _status_fill(label: Any) -> str:
    from ntm_data.exports.styles import STATUS_COLORS

    symbol = str(label)[:1]
    status = next((s for s, sym in STATUS_SYMBOLS.items() if sym == symbol), None)
    return f"background-color: {STATUS_COLORS[status]}" if status else ""


def empty_state(key: str, lang: str, **params: Any) -> None:
    """An empty result says what to do next, never just 'no data'."""
    st.info(md(key, lang, **params), icon=":material/info:")


def download_xlsx(frame: pd.DataFrame, lang: str, *, title: str, file_name: str, key: str,
                  status_columns: Sequence[str] = ()) -> None:
    """A formatted Excel download of one table (ntm_data.exports), without rerunning the page."""
    from ntm_data.exports.tables import table_xlsx

    data = table_xlsx(frame, title=title, sheet_name=title[:31], lang=lang, status_columns=status_columns)
    st.download_button(t("ui.download.xlsx", lang), data=data, file_name=file_name, mime=XLSX_MIME,
                       on_click="ignore", key=key, icon=":material/download:")


def kpi(container: Any, label: str, value: str, delta: str | None = None, *, help: str | None = None,
        delta_color: str = "normal") -> None:
    container.metric(label, value, delta=delta, help=help, border=True, delta_color=delta_color)


def indicator_summary(spread: pd.DataFrame) -> pd.DataFrame:
    """Per sub-indicator, how many communes meet / miss it and its threshold(s), for the table under the chart.

    Input: indicator_spread frame. Output columns: indicator, name_vi, name_en, unit, threshold (text; several
    profiles may have several), verified (bool or None), met, not_met, unknown.
    (Analytics gap: a grouped count like this belongs in ntm_data.analytics once it offers one.)"""
    keys = ["indicator", "name_vi", "name_en", "unit"]
    counts = (spread.groupby(keys, sort=False, dropna=False)["status"].value_counts().unstack(fill_value=0)
              .reindex(columns=[s.value for s in Status], fill_value=0))
    thresholds = spread.groupby(keys, sort=False, dropna=False)["threshold"].agg(
        lambda s: " / ".join(f"{v:g}" for v in s.dropna().unique()))
    verified = spread.groupby(keys, sort=False, dropna=False)["verified"].agg(
        lambda s: None if s.isna().all() else bool(s.dropna().all()))
    out = pd.concat([thresholds, verified, counts], axis=1).reset_index()
    return out[[*keys, "threshold", "verified", *[s.value for s in Status]]]


def indicator_codes(ds: Any, criterion: str) -> list[str]:
    """Sub-indicator codes of one criterion: the catalogue's first, then any others the sheet carries."""
    listed = [i.code for c in ds.criteria_set.criteria if c.number == criterion for i in c.indicators]
    read = ds.indicators.loc[ds.indicators["criterion"] == criterion, "indicator"].astype(str).unique()
    extra = sorted((c for c in read if c not in listed and c != criterion), key=_code_key)
    return [c for c in listed if c != criterion] + extra


def _code_key(code: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in str(code).split("."))


def need_text(lagging: pd.DataFrame, lang: str) -> pd.Series:
    """'cần thêm 312 người' / '45 more households' from gap_people / gap_households, else ''."""
    people = lagging.get("gap_people", pd.Series(pd.NA, index=lagging.index))
    households = lagging.get("gap_households", pd.Series(pd.NA, index=lagging.index))
    text = pd.Series("", index=lagging.index, dtype=object)
    has_households = households.notna()
    text[has_households] = [t("ui.need.households", lang, n=fmt_number(v, lang)) for v in households[has_households]]
    has_people = people.notna()
    text[has_people] = [t("ui.need.people", lang, n=fmt_number(v, lang)) for v in people[has_people]]
    return text


def scorecard_view(grid: pd.DataFrame, criteria_set: Any, lang: str) -> tuple[Any, dict[str, Any]]:
    """The scorecard frame as a Styler (✓ ✗ ? on status colours) and a column config with criterion names
    as tooltips. Input: analytics.scorecard frame (name, district, criteria_met, one column per criterion)."""
    from ntm_data.exports.styles import STATUS_COLORS

    numbers = [c.number for c in criteria_set.criteria if c.number in grid.columns]
    shown = grid[["name", "district", "criteria_met", *numbers]].copy()
    shown[numbers] = shown[numbers].apply(lambda col: col.map(lambda s: STATUS_SYMBOLS.get(str(s), "?")))
    fills = {symbol: STATUS_COLORS[status] for status, symbol in STATUS_SYMBOLS.items()}
    styled = shown.style.map(lambda v: f"background-color: {fills.get(v, '#ffffff')}; text-align: center",
                             subset=numbers)
    config: dict[str, Any] = {
        "name": st.column_config.TextColumn(t("ui.col.name", lang), pinned=True, width=150),
        "district": st.column_config.TextColumn(t("ui.col.district", lang), width=120),
        "criteria_met": st.column_config.NumberColumn(t("ui.col.criteria_met_short", lang), width=80,
                                                      help=t("ui.col.criteria_met", lang)),
    }
    for number in numbers:
        config[number] = st.column_config.TextColumn(number, help=criterion_label(criteria_set, number, lang),
                                                     width=36)
    if shown["district"].isna().all():
        config["district"] = None
    return styled, config


def group_table(groups: pd.DataFrame, criteria_set: Any, lang: str) -> pd.DataFrame:
    """analytics.group_scorecard with shares as whole per-cents and translated headers; criterion columns
    are headed "15 (%)"."""
    out = groups.copy()
    numbers = [c.number for c in criteria_set.criteria if c.number in out.columns]
    shares = [*numbers, *[c for c in out.columns if str(c).endswith("_share")]]
    out[shares] = (out[shares].astype(float) * 100).round(0)
    out["average_met"] = out["average_met"].round(1)
    return out.rename(columns={c: f"{c} (%)" if c in numbers else t(f"ui.col.{c}", lang) for c in out.columns})


def sort_key(names: pd.Series) -> pd.Series:
    """Vietnamese-aware order for a name column (accents folded, so 'Đồng' sorts with 'Do')."""
    from ntm_data.text import fold

    return names.astype(str).map(lambda n: fold(n).lower())


def commune_labels(communes: pd.DataFrame, *, with_district: bool) -> dict[str, str]:
    """commune_id -> 'Vân Nham' or 'Vân Nham (Hữu Lũng)' for pickers (plain text, never markdown)."""
    names = communes["name"].astype(str)
    if with_district:
        names = names + communes["district"].map(lambda d: f" ({d})" if isinstance(d, str) and d else "")
    return dict(zip(communes.index, names, strict=True))


def fmt_year(year: Any) -> str:
    return "–" if is_missing(year) else str(int(year))


def commune_history(history: Sequence[Any], commune_id: str) -> pd.DataFrame:
    """One row per snapshot holding the commune: period, criteria_met, at_standard (✓/✗ text), missing.

    (Analytics gap: a `commune_timeline(history, commune_id)` in ntm_data.analytics would own this.)"""
    rows = []
    for ds in history:
        if commune_id not in ds.communes.index:
            continue
        statuses = ds.status_matrix.loc[commune_id]
        rows.append({
            "period": str(ds.period) if ds.period else ds.source_name,
            "criteria_met": int(ds.criteria_met.loc[commune_id]),
            "at_standard": "✓" if bool(ds.at_standard.loc[commune_id]) else "✗",
            "missing": tuple(statuses.index[statuses != Status.MET.value]),
        })
    return pd.DataFrame(rows, columns=["period", "criteria_met", "at_standard", "missing"])


def changes_by_criterion(changes: pd.DataFrame, *, ds: Any, lang: str) -> pd.DataFrame:
    """Per criterion, the communes that newly met it and those that lost it (names joined), translated headers.

    Input: Comparison.changes (name, criterion, change)."""
    order = [c.number for c in ds.criteria_set.criteria]
    kept = changes[changes["change"].isin(["gained", "lost"])]
    names = kept.groupby(["criterion", "change"])["name"].agg(lambda s: ", ".join(sorted(map(str, s))))
    table_ = names.unstack("change").reindex(columns=["gained", "lost"]).astype(object).fillna("")
    table_ = table_.reindex([c for c in order if c in table_.index]).reset_index()
    table_["criterion"] = table_["criterion"].map(lambda n: criterion_label(ds.criteria_set, n, lang))
    return table_.rename(columns={"criterion": t("ui.col.criterion", lang), "gained": t("ui.compare.gained", lang),
                                  "lost": t("ui.compare.lost", lang)})


def region_names(criteria_set: Any, lang: str) -> dict[str, str]:
    """Profile / region key -> its name in the UI language ("tdmnpb" -> "Trung du và miền núi phía Bắc")."""
    return {p.key: (p.name_en if lang == "en" else p.name_vi) for p in criteria_set.profiles}


def preview_frame(ds: Any, lang: str) -> pd.DataFrame:
    """What was read, one row per commune: the communes frame (columns that hold something) and criteria met."""
    cols = ["name", "code", "district", "region", "population", "households", "target_year", "recognized_year",
            "sheet", "row"]
    out = ds.communes[[c for c in cols if c in ds.communes]].copy()
    names = region_names(ds.criteria_set, lang)
    out["region"] = out["region"].map(lambda r: names.get(r, r))
    out["criteria_met"] = ds.criteria_met
    return out.loc[:, [c for c in out.columns if not out[c].isna().all()]]


def informative(frame: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    """The `columns` of `frame` that hold something (a criterion target has no value, unit or gap)."""
    def filled(col: pd.Series) -> bool:
        text = col.map(lambda v: join_codes(v) if isinstance(v, (tuple, list)) else ("" if is_missing(v) else str(v)))
        return bool(text.str.strip().ne("").any())

    return [c for c in columns if c in frame and filled(frame[c])]


def unverified_threshold(criteria_set: Any, code: str) -> bool:
    """True when a sub-indicator's catalogue threshold is not verified against the legal text."""
    return any(not th.verified for c in criteria_set.criteria for i in c.indicators if i.code == code
               for th in i.thresholds)


def meeting_downloads(ds: Any, lang: str, *, filters: Mapping[str, Sequence[str]],
                      history: Sequence[Any]) -> None:
    """The meeting report (Excel) and brief (PDF) of the open data, built only when clicked (deferred)."""
    from ntm_data import exports

    label = str(ds.period) if ds.period else "ky"
    wanted = {k: list(v) for k, v in filters.items() if v} or None
    left, right = st.columns(2)
    left.download_button(
        t("ui.download.report", lang), lambda: exports.report_xlsx(ds, lang=lang, filters=wanted, history=history),
        file_name=f"bao_cao_hop_{label}.xlsx", mime=XLSX_MIME, on_click="ignore", key="download_report",
        icon=":material/table_view:")
    right.download_button(
        t("ui.download.brief", lang), lambda: exports.brief_pdf(ds, lang=lang, filters=wanted, history=history),
        file_name=f"tom_tat_{label}.pdf", mime=PDF_MIME, on_click="ignore", key="download_brief",
        icon=":material/picture_as_pdf:")

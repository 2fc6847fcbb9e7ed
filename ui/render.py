"""Presentation helpers: number formats per language, translated tables, downloads, empty states."""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from ntm_data import analytics
from ntm_data.i18n import t
from ntm_data.model import Status

STATUS_SYMBOLS = {Status.MET.value: "✓", Status.NOT_MET.value: "✗", Status.UNKNOWN.value: "?"}
MISSING = "—"  # a missing number or text in tables and cards (never "None" or "nan")
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
    """1234.5 -> '1.234,5' (vi) or '1,234.5' (en); whole numbers drop the decimals; missing -> '—'."""
    if is_missing(value):
        return MISSING
    number = float(value)
    text = f"{number:,.0f}" if number == round(number) else f"{number:,.{digits}f}"
    if lang == "vi":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def fmt_share(share: Any, lang: str, digits: int = 1) -> str:
    """0.793 -> '79,3 %' (vi) / '79.3%' (en)."""
    if is_missing(share):
        return MISSING
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


SHORT_NAME_CHARS = 24  # a criterion's short name in a list cell: "17 Môi trường", not the full legal name
_NAME_CUT = re.compile(r"\s+(?:và|and)\s+")


def short_criterion_name(name: str) -> str:
    """'Môi trường và an toàn thực phẩm' -> 'Môi trường': the name up to its first 'và'/'and' (unless a comma
    comes first: 'Văn hóa, giáo dục, y tế' stays whole), cut with '…' beyond SHORT_NAME_CHARS."""
    name = " ".join(str(name).split())
    head = _NAME_CUT.split(name, maxsplit=1)[0]
    if "," not in head:
        name = head
    if len(name) <= SHORT_NAME_CHARS:
        return name
    return name[:SHORT_NAME_CHARS].rsplit(" ", 1)[0].rstrip(" ,-") + "…"  # cut between words


def criteria_names(values: pd.Series, criteria_set: Any, lang: str) -> pd.Series:
    """Tuples of criterion numbers as '15 Y tế, 17 Môi trường' (short names in the UI language, from the
    catalogue); a number the catalogue does not know stays a number; an empty tuple -> ''."""
    names = {c.number: f"{c.number} {short_criterion_name(c.name_en if lang == 'en' else c.name_vi)}"
             for c in criteria_set.criteria}

    def label(value: Any) -> str:
        if isinstance(value, (tuple, list)):
            return ", ".join(names.get(str(v), str(v)) for v in value)
        return join_codes(value)

    return values.map(label)  # one short tuple per commune: a dict lookup each, no frame work


def criteria_names_column(width: int = 340) -> Any:
    """A 'missing criteria' column wide enough for about three named criteria; the rest shows on hover,
    so that the table still fits a 1280 px projector."""
    return st.column_config.TextColumn(width=width)


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


# Numbers that name something (a year, a sheet row, a snapshot number): no thousands mark, no decimals.
LABEL_NUMBER_COLUMNS = frozenset({"year", "target_year", "recognized_year", "projected_year", "row", "snapshot_id",
                                  "id"})


def header(column: str, lang: str, headers: Mapping[str, str] | None = None) -> str:
    """The translated heading of a frame column: `headers[column]`, else `ui.col.<column>`."""
    return (headers or {}).get(column) or t(f"ui.col.{column}", lang)


def display_frame(frame: pd.DataFrame, lang: str, columns: Sequence[str], *,
                  status_columns: Iterable[str] = (), code_columns: Iterable[str] = (),
                  headers: Mapping[str, str] | None = None) -> pd.DataFrame:
    """A copy of `frame` with only `columns`, statuses as '✓ Đạt', code tuples joined, threshold tuples as
    '95 / 90', shares as per-cents, and headers translated from `ui.col.<column>` (or `headers`).
    Numbers stay numbers (Excel downloads keep them; `number_styler` formats them on screen)."""
    out = frame.loc[:, list(columns)].copy()
    for col in status_columns:
        if col in out:
            out[col] = out[col].map(lambda s: status_label(s, lang))
    for col in code_columns:
        if col in out:
            out[col] = out[col].map(join_codes)
    if "thresholds" in out:
        out["thresholds"] = out["thresholds"].map(lambda v: fmt_numbers(v, lang))
    if "verified" in out:
        out["verified"] = out["verified"].map(
            lambda v: MISSING if is_missing(v) else ("✓" if v else t("ui.unverified", lang)))
    if "at_standard" in out and out["at_standard"].dtype == bool:
        out["at_standard"] = out["at_standard"].map(lambda v: "✓ " + t("ui.yes", lang) if v else "✗ " + t("ui.no", lang))
    for col in [c for c in out.columns if str(c).endswith("_share")]:
        out[col] = (out[col].astype(float) * 100).round(1)
    return out.rename(columns={c: header(c, lang, headers) for c in out.columns})


def number_styler(shown: pd.DataFrame, lang: str, label_columns: Iterable[str] = ()) -> Any:
    """A Styler that shows numbers in the UI language ('91,1' in Vietnamese, '91.1' in English), years and
    row numbers as typed ('2025'), and '—' for anything missing. The cells keep their numbers, so sorting
    a column in the table still sorts by value."""
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    labels = set(label_columns)
    gap_numbers = set(_gap_number_columns(shown, labels))
    formats: dict[Any, Any] = {}
    shown = shown.copy()
    for col in shown.columns:
        numeric = is_numeric_dtype(shown[col]) and not is_bool_dtype(shown[col])
        if col in labels:
            formats[col] = fmt_year
        elif numeric:
            formats[col] = lambda v: fmt_number(v, lang)
        else:
            formats[col] = lambda v: MISSING if is_missing(v) else str(v)
        if shown[col].isna().any():
            # Streamlit's grid draws an empty cell as a grey "None" whatever the Styler says, so a column
            # with gaps is sent as its display text; number texts are aligned so that they still sort by value.
            if col in gap_numbers:
                shown[col] = _number_text(shown[col], lang)
            else:
                shown[col] = shown[col].map(formats[col]).astype(object)
            formats[col] = str
    return shown.style.format(formats, na_rep=MISSING)


def _gap_number_columns(shown: pd.DataFrame, labels: set[Any]) -> list[Any]:
    """The number columns with gaps (not label numbers such as years): number_styler sends them as text."""
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    return [c for c in shown.columns if c not in labels and is_numeric_dtype(shown[c])
            and not is_bool_dtype(shown[c]) and shown[c].isna().any()]


def _number_text(column: pd.Series, lang: str) -> pd.Series:
    """A number column as text in the UI language, aligned so that it still sorts by value; '—' for missing."""
    return _as_text(column.astype(float), lambda u: _format_floats(u.astype(float), lang), "," if lang == "vi" else ".")


STYLER_MAX_ROWS = 300  # above this a pandas Styler costs seconds (Streamlit renders each cell in Python)


def _format_floats(uniques: np.ndarray, lang: str, digits: int = 1) -> list[str]:
    """fmt_number of each (non-missing) float, in one pass: f-strings, then the language's marks swapped."""
    texts = [f"{x:,.0f}" if x == round(x) else f"{x:,.{digits}f}" for x in uniques.tolist()]
    if lang == "vi" and texts:
        return "\n".join(texts).translate(_VI_MARKS).split("\n")
    return texts


_VI_MARKS = str.maketrans({",": ".", ".": ","})


def _as_text(column: pd.Series, format_uniques: Callable[[np.ndarray], list[str]],
             decimal_mark: str | None = None) -> pd.Series:
    """`column` as display text, each distinct value formatted once; missing -> '—'. With `decimal_mark`
    (a number column), the texts are aligned for sorting (sortable_numbers)."""
    try:
        codes, uniques = pd.factorize(column)
    except TypeError:  # unhashable cells (lists): one at a time
        return column.map(lambda v: MISSING if is_missing(v) else format_uniques(np.array([v], dtype=object))[0])
    texts = [*format_uniques(np.asarray(uniques)), MISSING]
    if decimal_mark is not None and not (np.asarray(uniques, dtype=float) < 0).any():
        texts = sortable_numbers(texts, decimal_mark)
    labels = np.array(texts, dtype=object)
    return pd.Series(labels[codes], index=column.index, dtype=object)  # code -1 (missing) picks MISSING


def sortable_numbers(texts: list[str], decimal_mark: str) -> list[str]:
    """Non-negative number texts ('7', '91,5', '1.234,5') and '—', padded on the left with spaces to one
    width of the whole part. The grid sorts a text column by the browser's collation (localeCompare), where
    a space comes before every mark and digit: aligned so, '    7' < '   91,5' < '1.234,5' sort by value, and
    '—' before them all. In a right-aligned column the spaces do not show. (Negative numbers are left as they
    are: no padding orders them.)"""
    wholes = [len(text.split(decimal_mark, 1)[0]) for text in texts]
    width = max(wholes, default=0)
    return [" " * (width - whole) + text for text, whole in zip(texts, wholes, strict=True)]


def plain_frame(shown: pd.DataFrame, lang: str, label_columns: Iterable[str] = ()) -> tuple[pd.DataFrame, dict[str, Any]]:
    """What number_styler shows, without a Styler, for large tables: (frame, column config). Columns of
    whole numbers below 1,000 (counts) or of label numbers (years, rows), without gaps, stay numbers shown
    as typed ('%d'), so they still sort by value; other number columns and any column with gaps become text
    in the UI language ('91,1' / '91.1', '7.229' / '7,229', '—' for missing), aligned so that the grid's text
    sort still orders non-negative numbers by value (sortable_numbers)."""
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    labels = set(label_columns)
    out: dict[Any, pd.Series] = {}
    config: dict[str, Any] = {}
    for col in shown.columns:
        series = shown[col]
        numeric = is_numeric_dtype(series) and not is_bool_dtype(series)
        gaps = bool(series.isna().any())
        if numeric:
            values = series.to_numpy(dtype=float, na_value=np.nan)
            whole = not gaps and bool(np.all(values == np.round(values)))
            if whole and (col in labels or np.abs(values).max(initial=0) < 1000):  # no thousands mark needed
                out[col] = series
                config[col] = st.column_config.NumberColumn(format="%d")
            else:
                if col in labels:
                    out[col] = _as_text(series, lambda u: [str(int(v)) for v in u.tolist()])
                else:
                    out[col] = _number_text(pd.Series(values, index=series.index), lang)
                config[col] = st.column_config.TextColumn(alignment="right")  # still reads as a number column
        elif gaps:
            out[col] = _as_text(series.astype(object), lambda u: [str(v) for v in u.tolist()])
        else:
            out[col] = series
    return pd.DataFrame(out, index=shown.index), config


def number_view(shown: pd.DataFrame, lang: str, label_columns: Iterable[str] = ()) -> tuple[Any, dict[str, Any]]:
    """(data, column config) for st.dataframe with numbers in the UI language: a Styler for small tables
    (numbers keep their value, so every column sorts by value), plain text columns for large ones."""
    if len(shown) <= STYLER_MAX_ROWS:
        labels = set(label_columns)
        # Number columns with gaps go as aligned text (number_styler): right-aligned, the padding does not show.
        right = {c: st.column_config.TextColumn(alignment="right") for c in _gap_number_columns(shown, labels)}
        return number_styler(shown, lang, labels), right
    return plain_frame(shown, lang, label_columns)


ROW_HEIGHT = 36  # px; with the 18 px base font
MAX_ROWS_SHOWN = 25  # a longer table scrolls inside itself; shorter ones show whole (no scrolling on a projector)


def table_height(rows: int) -> int:
    return (min(max(rows, 1), MAX_ROWS_SHOWN) + 1) * ROW_HEIGHT + 3


def table(frame: pd.DataFrame, lang: str, columns: Sequence[str], *, key: str | None = None,
          height: int | None = None, column_config: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
    """st.dataframe of a translated copy (workbook text is never rendered as markdown there), numbers in the
    UI language. Columns that hold nothing (a district column of a one-district sheet) are left out."""
    kept = informative(frame, columns) if len(frame) else list(columns)
    if "district" in kept and frame["district"].nunique(dropna=True) <= 1:
        kept.remove("district")  # one district's sheet: the same name on every row says nothing
    kwargs["headers"] = {**unit_headers(frame, kept, lang), **(kwargs.get("headers") or {})}
    if kwargs["headers"] and "unit" in kept:
        kept.remove("unit")  # the one unit now stands in the headers: one column less on a projector
    shown = display_frame(frame, lang, kept, **kwargs)
    labels = [header(c, lang, kwargs.get("headers")) for c in kept if c in LABEL_NUMBER_COLUMNS]
    data, config = number_view(shown, lang, labels)
    status_headers = [header(c, lang) for c in kwargs.get("status_columns", ())]
    status_headers = [h for h in status_headers if h in shown.columns]
    if status_headers and len(shown) <= STYLER_MAX_ROWS:  # the same status colours as the charts and Excel
        data = data.map(_status_fill, subset=status_headers)  # (large tables keep the ✓ ✗ ? symbols only)
    config.update({header(c, lang, kwargs.get("headers")): v for c, v in (column_config or {}).items()})
    st.dataframe(data, hide_index=True, width="stretch", height=height or table_height(len(frame)),
                 row_height=ROW_HEIGHT, key=key, column_config=config or None)


UNIT_COLUMNS = ("value", "threshold", "thresholds", "min", "median", "max")


def unit_headers(frame: pd.DataFrame, columns: Sequence[str], lang: str) -> dict[str, str]:
    """When every row has the same unit, headers that carry it ("Kết quả (%)") for the value columns among
    `columns`; otherwise {} (the unit column stays)."""
    if "unit" not in columns or "unit" not in frame:
        return {}
    units = frame["unit"].map(lambda u: "" if is_missing(u) else str(u).strip()).unique()
    if len(units) != 1 or not units[0]:
        return {}
    return {c: f"{t(f'ui.col.{c}', lang)} ({units[0]})" for c in UNIT_COLUMNS if c in columns}


def long_text_column(width: int = 300) -> Any:
    """A column for long catalogue names: a fixed width (px) so the figures beside it stay on screen; the
    full name shows on hover."""
    return st.column_config.TextColumn(width=width)


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
    """A formatted Excel download of one table (ntm_data.exports), without rerunning the page. Built only
    when clicked (deferred, as meeting_downloads), not on every run of the page."""
    from ntm_data.exports.tables import table_xlsx

    def build() -> bytes:
        return table_xlsx(frame, title=title, sheet_name=title[:31], lang=lang, status_columns=status_columns)

    st.download_button(t("ui.download.xlsx", lang), data=build, file_name=file_name, mime=XLSX_MIME,
                       on_click="ignore", key=key, icon=":material/download:")


KPI_WIDTH = 195  # px: five cards side by side at 1600 px, wrapping to 3 + 2 on a 1280 px projector


def kpi_row(count: int) -> list[Any]:
    """Places for `count` KPI cards. Up to four share one row of columns (they fit a 1280 px projector);
    more go in a wrapping row of fixed-width boxes, so a narrow screen moves cards to a second line
    instead of cutting their labels and values ("17,…")."""
    if count <= 4:
        return list(st.columns(count))
    row = st.container(horizontal=True, gap="small")
    return [row.container(width=KPI_WIDTH) for _ in range(count)]


def kpi(container: Any, label: str, value: str, delta: str | None = None, *, help: str | None = None,
        delta_color: str = "normal") -> None:
    """One KPI card. A change of zero ('+0', '+0,0 điểm %') is shown grey and without an arrow: Streamlit would
    draw it as a green rise."""
    unchanged = delta is not None and not any(ch in "123456789" for ch in delta)
    container.metric(label, value, delta=delta, help=help, border=True, delta_color="off" if unchanged else delta_color,
                     delta_arrow="off" if unchanged else "auto")


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
        # 130 + 64 + 19 x 29 px fits the 760 px a 1280 px projector leaves beside the sidebar, so the
        # criterion sorted on (often 17-19) is never scrolled out of sight.
        "name": st.column_config.TextColumn(t("ui.col.name", lang), pinned=True, width=130),
        "district": st.column_config.TextColumn(t("ui.col.district", lang), width=120),
        "criteria_met": st.column_config.NumberColumn(t("ui.scorecard.met_header", lang), width=64,
                                                      help=t("ui.col.criteria_met", lang)),
    }
    for number in numbers:
        config[number] = st.column_config.TextColumn(number, help=criterion_label(criteria_set, number, lang),
                                                     width=29)
    if shown["district"].nunique(dropna=True) <= 1:
        config["district"] = None
    return styled, config


def group_table(groups: pd.DataFrame, criteria_set: Any, lang: str) -> tuple[Any, dict[str, Any]]:
    """analytics.group_scorecard for st.dataframe, as (data, column config) of number_view: shares as whole
    per-cents in the UI language, translated headers; criterion columns are headed "15 (%)"."""
    out = groups.copy()
    numbers = [c.number for c in criteria_set.criteria if c.number in out.columns]
    shares = [*numbers, *[c for c in out.columns if str(c).endswith("_share")]]
    out[shares] = (out[shares].astype(float) * 100).round(0)
    out["average_met"] = out["average_met"].round(1)
    out = out.rename(columns={c: f"{c} (%)" if c in numbers else t(f"ui.col.{c}", lang) for c in out.columns})
    return number_view(out, lang)


def commune_labels(communes: pd.DataFrame, *, with_district: bool) -> dict[str, str]:
    """commune_id -> 'Vân Nham' or 'Vân Nham (Hữu Lũng)' for pickers (plain text, never markdown)."""
    names = communes["name"].astype(str)
    if with_district:
        names = names + communes["district"].map(lambda d: f" ({d})" if isinstance(d, str) and d else "")
    return dict(zip(communes.index, names, strict=True))


def fmt_year(year: Any) -> str:
    return MISSING if is_missing(year) else str(int(year))


def fmt_numbers(values: Any, lang: str) -> str:
    """(95.0, 90.0) -> '95 / 90'; several thresholds when regional profiles differ; empty -> '—'."""
    if not isinstance(values, (tuple, list)):
        return fmt_number(values, lang)
    return " / ".join(fmt_number(v, lang) for v in values) or MISSING


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
    return [c for c in columns if c in frame and _filled(frame[c])]


def _filled(column: pd.Series) -> bool:
    """True when some value is not missing, blank text or an empty tuple. Each distinct value is looked at
    once, and the look stops at the first filled one (usually the first)."""
    present = column.dropna()
    if present.empty:
        return False
    from pandas.api.types import is_object_dtype, is_string_dtype

    if not (is_object_dtype(present) or is_string_dtype(present) or isinstance(present.dtype, pd.CategoricalDtype)):
        return True  # numbers, dates, booleans: present is filled
    try:
        distinct = present.unique()
    except TypeError:  # unhashable cells (lists)
        distinct = present.to_numpy()
    return any(join_codes(v).strip() if isinstance(v, (tuple, list)) else str(v).strip() for v in distinct)


def unverified_threshold(criteria_set: Any, code: str) -> bool:
    """True when a sub-indicator's catalogue threshold is not verified against the legal text."""
    return any(not th.verified for c in criteria_set.criteria for i in c.indicators if i.code == code
               for th in i.thresholds)


def meeting_downloads(ds: Any, lang: str, *, filters: Mapping[str, Sequence[str]],
                      history: Sequence[Any] | Callable[[], Sequence[Any]]) -> None:
    """The meeting report (Excel) and brief (PDF) of the open data, built only when clicked (deferred).
    `history` may be a callable returning it, so that the earlier years are read only on a click."""
    def report() -> bytes:
        from ntm_data.exports import report_xlsx

        return report_xlsx(ds, lang=lang, filters=wanted, history=past())

    def brief() -> bytes:
        from ntm_data.exports import brief_pdf

        return brief_pdf(ds, lang=lang, filters=wanted, history=past())

    def past() -> Sequence[Any]:
        return history() if callable(history) else history

    label = str(ds.period) if ds.period else "ky"
    wanted = {k: list(v) for k, v in filters.items() if v} or None
    left, right = st.columns(2)
    left.download_button(
        t("ui.download.report", lang), report,
        file_name=f"bao_cao_hop_{label}.xlsx", mime=XLSX_MIME, on_click="ignore", key="download_report",
        icon=":material/table_view:")
    right.download_button(
        t("ui.download.brief", lang), brief,
        file_name=f"tom_tat_{label}.pdf", mime=PDF_MIME, on_click="ignore", key="download_brief",
        icon=":material/picture_as_pdf:")


def watchlist(ds: Any, lang: str, *, key: str) -> None:
    """The maintenance watchlist (recognised communes that now miss a criterion), shown on the overview and
    the timeline: recognition can be revoked, so a leader must see these wherever progress is discussed."""
    st.subheader(t("ui.overview.watchlist", lang))
    watch = analytics.maintenance_watchlist(ds)
    if watch.empty:
        empty_state("ui.overview.watchlist_empty", lang)
        return
    watch = watch.assign(missing=criteria_names(watch["missing"], ds.criteria_set, lang))
    table(watch, lang, ["name", "district", "recognized_year", "missing"], code_columns=["missing"], key=key,
          column_config={"missing": criteria_names_column()})

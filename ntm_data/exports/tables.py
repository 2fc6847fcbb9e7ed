"""Formatted Excel tables with xlsxwriter: title row, bold frozen header, autofilter, widths, formula-safe text."""
from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd
import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from ntm_data import i18n
from ntm_data.exports.styles import BORDER_COLOR, HEADER_COLOR, STATUS_COLORS, TITLE_COLOR

# User text is never turned into formulas, URLs or numbers: "=cmd" stays the text "=cmd".
WORKBOOK_OPTIONS: dict[str, Any] = {
    "in_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "nan_inf_to_errors": True,
}
# Text starting with one of these is what spreadsheet programs would treat as a formula when retyped.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
MIN_WIDTH, MAX_WIDTH = 6, 50


def new_workbook(buffer: io.BytesIO) -> Workbook:
    """An in-memory xlsxwriter workbook with formula-safe string handling."""
    return xlsxwriter.Workbook(buffer, WORKBOOK_OPTIONS)


@dataclass
class Formats:
    """The cell formats one workbook uses (xlsxwriter formats belong to a workbook)."""

    title: Any
    subtitle: Any
    label: Any
    header: Any
    text: Any
    text_quoted: Any
    integer: Any
    decimal: Any
    percent: Any
    wrap: Any
    code_text: Any
    status: dict[str, Any]

    def for_number(self, kind: str) -> Any:
        return {"integer": self.integer, "percent": self.percent}.get(kind, self.decimal)


def make_formats(workbook: Workbook) -> Formats:
    border = {"border": 1, "border_color": BORDER_COLOR, "valign": "vcenter"}
    return Formats(
        title=workbook.add_format({"bold": True, "font_size": 14, "font_color": TITLE_COLOR}),
        subtitle=workbook.add_format({"italic": True, "font_color": "#595959"}),
        label=workbook.add_format({"bold": True}),
        header=workbook.add_format(
            {**border, "bold": True, "bg_color": HEADER_COLOR, "text_wrap": True, "align": "center"}
        ),
        text=workbook.add_format(border),
        text_quoted=workbook.add_format({**border, "quote_prefix": True}),
        integer=workbook.add_format({**border, "num_format": "#,##0"}),
        decimal=workbook.add_format({**border, "num_format": "#,##0.0#"}),
        percent=workbook.add_format({**border, "num_format": "0.0%"}),
        wrap=workbook.add_format({**border, "text_wrap": True}),
        code_text=workbook.add_format({"num_format": "@"}),
        status={
            key: workbook.add_format({**border, "bg_color": color, "align": "center"})
            for key, color in STATUS_COLORS.items()
        },
    )


def safe_sheet_name(name: str, used: set[str] | None = None) -> str:
    """A valid, unique Excel sheet name (31 characters, no []:*?/\\); records it in `used`."""
    base = _BAD_SHEET_CHARS.sub(" ", str(name)).strip().strip("'") or "Sheet"
    base = base[:31]
    used = used if used is not None else set()
    candidate, n = base, 2
    while candidate.casefold() in {u.casefold() for u in used}:
        suffix = f" ({n})"
        candidate = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(candidate)
    return candidate


def is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def display_text(value: Any) -> str:
    """Text shown for a non-numeric value: tuples become '15, 17', missing becomes ''."""
    if is_missing(value):
        return ""
    if isinstance(value, (tuple, list, set, frozenset)):
        return ", ".join(str(v) for v in value)
    return str(value)


def write_text(ws: Worksheet, row: int, col: int, value: Any, fmts: Formats, fmt: Any = None) -> None:
    """Write `value` as a string cell; text that looks like a formula gets a quote prefix."""
    text = display_text(value)
    if not text:
        ws.write_blank(row, col, None, fmt if fmt is not None else fmts.text)
        return
    if text.startswith(FORMULA_PREFIXES) and fmt is None:
        fmt = fmts.text_quoted
    ws.write_string(row, col, text, fmt if fmt is not None else fmts.text)


def write_value(ws: Worksheet, row: int, col: int, value: Any, fmts: Formats, number_fmt: Any = None,
                text_fmt: Any = None) -> None:
    """Write one cell by type: numbers as numbers, dates as dates, everything else as safe text."""
    if is_missing(value):
        ws.write_blank(row, col, None, text_fmt if text_fmt is not None else fmts.text)
    elif isinstance(value, bool):
        ws.write_boolean(row, col, value, fmts.text)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if math.isinf(value):
            ws.write_string(row, col, str(value), fmts.text)
        else:
            ws.write_number(row, col, value, number_fmt if number_fmt is not None else fmts.decimal)
    elif isinstance(value, (datetime, date, pd.Timestamp)):
        ws.write_string(row, col, value.strftime("%d/%m/%Y"), fmts.text)
    else:
        write_text(ws, row, col, value, fmts, text_fmt)


def column_number_kind(series: pd.Series) -> str | None:
    """'integer' for whole-number columns, 'decimal' for other numeric columns, None for text."""
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        return None
    values = pd.to_numeric(series, errors="coerce").dropna()
    if values.empty or ((values % 1) == 0).all():
        return "integer"
    return "decimal"


def column_width(header: str, series: pd.Series | None) -> float:
    """A width that fits the header's longest word-run and the longest value of a sample."""
    width = max(len(part) for part in str(header).split("\n")) if header else 0
    width = min(width, 24)  # long headers wrap instead of widening
    if series is not None and len(series):
        sample = series.iloc[:1000]
        lengths = sample.map(lambda v: len(f"{v:,.2f}") if isinstance(v, float) and not math.isnan(v)
                             else len(display_text(v)))
        width = max(width, int(lengths.max()) if len(lengths) else 0)
    return float(min(max(width + 2, MIN_WIDTH), MAX_WIDTH))


def status_label(status: Any, lang: str) -> str:
    key = str(status) if str(status) in STATUS_COLORS else "unknown"
    return i18n.t(f"export.status.{key}", lang)


def write_table(
    ws: Worksheet,
    frame: pd.DataFrame,
    fmts: Formats,
    *,
    first_row: int,
    first_col: int = 0,
    lang: str = "vi",
    status_columns: Sequence[str] = (),
    number_formats: Mapping[str, str] | None = None,
    autofilter: bool = True,
    freeze: bool = True,
    set_widths: bool = True,
    header_height: float | None = None,
) -> int:
    """Write `frame` (header row at `first_row`, then one row per record) and return the next free row.

    `status_columns` hold Status values and are written as translated labels filled with the status colour;
    `number_formats` maps a column to "integer", "decimal" or "percent" (0..1 shown as %).
    """
    number_formats = dict(number_formats or {})
    columns = list(frame.columns)
    for j, name in enumerate(columns):
        ws.write_string(first_row, first_col + j, str(name), fmts.header)
    if header_height:
        ws.set_row(first_row, header_height)
    for j, name in enumerate(columns):
        col = first_col + j
        series = frame[name]
        if name in status_columns:
            for i, value in enumerate(series.tolist()):
                key = str(value) if str(value) in STATUS_COLORS else "unknown"
                ws.write_string(first_row + 1 + i, col, status_label(key, lang), fmts.status[key])
            continue
        kind = number_formats.get(name) or column_number_kind(series)
        number_fmt = fmts.for_number(kind) if kind else None
        for i, value in enumerate(series.tolist()):
            write_value(ws, first_row + 1 + i, col, value, fmts, number_fmt)
        if set_widths:
            ws.set_column(col, col, column_width(str(name), series))
    if set_widths:
        for name in status_columns:
            if name in columns:
                col = first_col + columns.index(name)
                ws.set_column(col, col, max(column_width(str(name), None), 10.0))
    last_row = first_row + len(frame)
    if autofilter and columns:
        ws.autofilter(first_row, first_col, max(last_row, first_row), first_col + len(columns) - 1)
    if freeze:
        ws.freeze_panes(first_row + 1, 0)
    return last_row + 1


def frame_for_export(frame: pd.DataFrame) -> pd.DataFrame:
    """A named index becomes ordinary leading column(s), so no key is lost in the sheet."""
    if any(name is not None for name in frame.index.names):
        return frame.reset_index()
    return frame


def table_xlsx(
    frame: pd.DataFrame,
    *,
    title: str,
    sheet_name: str,
    lang: str = "vi",
    status_columns: Sequence[str] = (),
    number_formats: Mapping[str, str] | None = None,
) -> bytes:
    """One formatted table as an .xlsx file: title in A1, header in row 3, data below, frozen and filtered."""
    frame = frame_for_export(frame)
    buffer = io.BytesIO()
    workbook = new_workbook(buffer)
    fmts = make_formats(workbook)
    ws = workbook.add_worksheet(safe_sheet_name(sheet_name))
    write_text(ws, 0, 0, title, fmts, fmts.title)
    write_table(ws, frame, fmts, first_row=2, lang=lang, status_columns=status_columns,
                number_formats=number_formats)
    workbook.close()
    return buffer.getvalue()

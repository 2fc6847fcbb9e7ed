"""The annotated copy: the user's own workbook with every problem cell filled and commented, plus a list sheet."""
from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils.cell import coordinate_from_string, get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from ntm_data import i18n
from ntm_data.exports.styles import HEADER_COLOR, SEVERITY_COLORS
from ntm_data.model import Issue, Severity
from ntm_data.text import nfc
from ntm_data.workbook import read_workbook

AUTHOR = "NTM Dashboard"
_CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # characters openpyxl refuses in a cell


@dataclass(frozen=True)
class Placed:
    """Where an issue was put: the sheet title and cell in the copy, or None when it has no cell there."""

    issue: Issue
    sheet: str | None
    cell: str | None


def _fill(color: str) -> PatternFill:
    rgb = "FF" + color.lstrip("#").upper()
    return PatternFill(fill_type="solid", start_color=rgb, end_color=rgb)


def _open(original: bytes) -> tuple[Workbook, bool]:
    """The user's workbook in openpyxl, or (for .xls/.ods) a values-only .xlsx rebuilt from the calamine grid.

    Returns (workbook, converted). Raises ReadError when the bytes are no usable workbook."""
    if original[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(original)) as archive:
                is_xlsx = "xl/workbook.xml" in archive.namelist()
        except zipfile.BadZipFile:
            is_xlsx = False
        if is_xlsx:
            try:
                return openpyxl.load_workbook(io.BytesIO(original), rich_text=True), False
            except Exception:  # noqa: BLE001 - fall back to the values grid, which names its own error
                pass
    grids = read_workbook(bytes(original))  # raises ReadError for encrypted / corrupt / not a workbook
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for grid in grids:
        ws = wb.create_sheet(grid.name[:31])
        for r, row in enumerate(grid.rows, start=1):
            for c, value in enumerate(row, start=1):
                if value == "" or value is None:
                    continue
                ws.cell(r, c, _ILLEGAL.sub("", value) if isinstance(value, str) else value)
        for r0, c0, r1, c1 in grid.merged:
            if (r0, c0) != (r1, c1):
                ws.merge_cells(start_row=r0 + 1, start_column=c0 + 1, end_row=r1 + 1, end_column=c1 + 1)
        if not grid.visible:
            ws.sheet_state = "hidden"
    return wb, True


def _find_sheet(wb: Workbook, name: str | None) -> Worksheet | None:
    if name is None:
        return wb.worksheets[0] if len(wb.worksheets) == 1 else None
    if name in wb.sheetnames:
        return wb[name]
    wanted = nfc(name).casefold()
    for ws in wb.worksheets:
        if nfc(ws.title).casefold() == wanted:
            return ws
    return None


def _anchor(ws: Worksheet, cell: str | None) -> str | None:
    """'$F$12' / 'F12:G13' -> 'F12'; a cell inside a merged range -> the range's top-left cell."""
    if not cell:
        return None
    m = _CELL.match(cell.strip())
    if not m:
        return None
    try:
        column, row = coordinate_from_string(f"{m.group(1).upper()}{m.group(2)}")
    except ValueError:
        return None
    coord = f"{column}{row}"
    for merged in ws.merged_cells.ranges:
        if coord in merged:
            return f"{get_column_letter(merged.min_col)}{merged.min_row}"
    return coord


def _severity_label(issue: Issue, lang: str) -> str:
    return i18n.t(f"export.annotate.severity_{issue.severity}", lang)


def place_issues(wb: Workbook, issues: Sequence[Issue], lang: str) -> list[Placed]:
    """Fill and comment each issue's cell (several issues on one cell share one comment)."""
    placed: list[Placed] = []
    by_cell: dict[tuple[str, str], list[Issue]] = {}
    for issue in issues:
        ws = _find_sheet(wb, issue.sheet)
        coord = _anchor(ws, issue.cell) if ws is not None else None
        if ws is None or coord is None:
            placed.append(Placed(issue, None, None))
            continue
        by_cell.setdefault((ws.title, coord), []).append(issue)
        placed.append(Placed(issue, ws.title, coord))
    for (title, coord), cell_issues in by_cell.items():
        cell = wb[title][coord]
        worst = Severity.ERROR if any(i.severity == Severity.ERROR for i in cell_issues) else Severity.WARNING
        cell.fill = _fill(SEVERITY_COLORS[str(worst)])
        lines = [f"[{_severity_label(i, lang)}] {i.message(lang)}" for i in cell_issues]
        if cell.comment is not None and cell.comment.text:
            lines.append(i18n.t("export.annotate.previous_comment", lang) + " " + cell.comment.text)
        text = "\n".join(lines)
        comment = Comment(text, AUTHOR)
        comment.width = 320
        comment.height = min(60 + 18 * sum(1 + len(line) // 45 for line in lines), 400)
        cell.comment = comment
    return placed


def _summary(wb: Workbook, placed: list[Placed], lang: str, converted: bool) -> Worksheet:
    """A sheet listing every issue (severity, sheet, cell, message), each located issue linked to its cell."""
    base = i18n.t("export.annotate.sheet", lang)[:31]
    title, n = base, 2
    while title in wb.sheetnames:
        title = f"{base[:27]} ({n})"
        n += 1
    ws = wb.create_sheet(title)
    ws["A1"] = i18n.t("export.annotate.title", lang, count=i18n.count_text(len(placed), lang))
    ws["A1"].font = Font(bold=True, size=13)
    ws["A2"] = i18n.t("export.annotate.converted" if converted else "export.annotate.help", lang)
    ws["A2"].font = Font(italic=True)
    header = [i18n.t(f"export.annotate.col_{k}", lang) for k in ("no", "severity", "sheet", "cell", "message")]
    for j, text in enumerate(header, start=1):
        cell = ws.cell(4, j, text)
        cell.font = Font(bold=True)
        cell.fill = _fill(HEADER_COLOR)
    for i, p in enumerate(placed, start=1):
        row = 4 + i
        ws.cell(row, 1, i)
        sev = ws.cell(row, 2, _severity_label(p.issue, lang))
        sev.fill = _fill(SEVERITY_COLORS[str(p.issue.severity)])
        # text cells: set data_type explicitly so "=..." in a sheet name or message is never a formula
        for col, value in ((3, p.sheet or p.issue.sheet or ""), (4, p.cell or p.issue.cell or ""),
                           (5, _ILLEGAL.sub("", p.issue.message(lang)))):
            cell = ws.cell(row, col)
            cell.value = value
            cell.data_type = "s"
        if p.sheet and p.cell:
            target = ws.cell(row, 4)
            quoted = p.sheet.replace("'", "''")
            target.hyperlink = Hyperlink(ref=target.coordinate, location=f"'{quoted}'!{p.cell}")
            target.font = Font(color="0563C1", underline="single")
        else:
            ws.cell(row, 4).value = i18n.t("export.annotate.no_cell", lang)
    ws.column_dimensions["A"].width = 6
    ws.column_dimensions["B"].width = 12
    ws.column_dimensions["C"].width = 22
    ws.column_dimensions["D"].width = 14
    ws.column_dimensions["E"].width = 100
    ws.freeze_panes = "A5"
    if placed:
        ws.auto_filter.ref = f"A4:E{4 + len(placed)}"
    return ws


def annotated_copy(original: bytes, issues: Sequence[Issue], lang: str = "vi") -> bytes:
    """The uploaded workbook (.xlsx/.xlsm kept as is; .xls/.ods converted to values-only .xlsx) with each
    issue's cell filled (error red, warning amber) and commented with its message, and a sheet listing
    every issue with a link to its cell. Raises ReadError when `original` is not a usable workbook."""
    wb, converted = _open(bytes(original))
    placed = place_issues(wb, issues, lang)
    summary = _summary(wb, placed, lang, converted)
    wb.active = wb.worksheets.index(summary)
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = ws is summary
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()

"""Workbook bytes or path -> one cell grid per sheet (python-calamine), merged ranges filled."""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import python_calamine as calamine

from ntm_data.limits import WorkbookStats, check_grid_size, checked, column_letters
from ntm_data.model import Issue, ReadError, Severity

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls, and the container of an encrypted .xlsx
_ZIP_MAGIC = b"PK\x03\x04"
# An encrypted .xlsx is an OLE container whose directory names this stream (UTF-16LE).
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")


@dataclass(frozen=True)
class SheetGrid:
    """One sheet as rows of cell values from A1 ("" for an empty cell). Every cell of a merged range
    holds the range's top-left value, so a header merged over columns labels each of them.

    `merged` holds (first_row, first_col, last_row, last_col), 0-based inclusive, as calamine gives them.
    """

    name: str
    rows: list[list[object]]
    merged: tuple[tuple[int, int, int, int], ...] = ()
    visible: bool = True

    @property
    def height(self) -> int:
        return len(self.rows)

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def value(self, row: int, col: int) -> object:
        if 0 <= row < len(self.rows) and 0 <= col < len(self.rows[row]):
            return self.rows[row][col]
        return ""


def column_letter(col: int) -> str:
    """0-based column index -> Excel letters: 0 -> "A", 27 -> "AB"."""
    return column_letters(col + 1)


def cell_name(row: int, col: int) -> str:
    """0-based (row, col) -> "F12"."""
    return f"{column_letter(col)}{row + 1}"


def _unusable(code: str, **params: object) -> ReadError:
    return ReadError(Issue(Severity.ERROR, code, params=params))


class FormulaText(str):
    """A formula cell saved without its result (openpyxl and some exporters store none): calamine reads
    it as empty, so the grid holds the formula text instead and readers report the cell."""


def _special_cells(stats: WorkbookStats) -> dict[str, dict[tuple[int, int], object]]:
    """Per sheet name: cells calamine reads as empty but that hold something the user must hear about,
    as the limits pass found them in the sheet XML (.xlsx/.xlsm only): error values ("#DIV/0!", kept as
    text) and formulas saved without their result (FormulaText)."""
    found: dict[str, dict[tuple[int, int], object]] = {}
    for sheet in stats.sheets:
        if sheet.special and sheet.sheet is not None:
            found[sheet.sheet] = {(r, c): text if kind == "error" else FormulaText(f"={text}")
                                  for r, c, kind, text in sheet.special}
    return found


def _apply_special(rows: list[list[object]], cells: dict[tuple[int, int], object]) -> None:
    for (r, c), value in cells.items():
        while len(rows) <= r:  # calamine's grid ends at its last non-empty cell
            rows.append([""] * (len(rows[0]) if rows else 0))
        row = rows[r]
        if len(row) <= c:
            row.extend([""] * (c + 1 - len(row)))
        if row[c] in ("", None):
            row[c] = value


def _load(source: str | Path | bytes) -> tuple[calamine.CalamineWorkbook, WorkbookStats]:
    # Size, zip bombs, entity bombs and far-away cells are refused before calamine sees the bytes: a
    # crafted file can otherwise make it ask for gigabytes and abort the whole process.
    data, stats = checked(source)
    if not data:
        raise _unusable("file_empty")
    head = data[:8]
    if head == _OLE_MAGIC and _ENCRYPTED_STREAM in data:
        raise _unusable("encrypted_workbook")
    try:
        return calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)), stats
    except calamine.PasswordError:
        raise _unusable("encrypted_workbook") from None
    except Exception:  # calamine raises its own error types plus ValueError for odd input
        # A zip or OLE container that calamine cannot open is a damaged or truncated workbook, unless
        # it is whole and simply another kind of document (a .docx renamed .xlsx).
        if head.startswith(_ZIP_MAGIC) and _other_zip_document(data):
            raise _unusable("not_a_workbook") from None
        if head.startswith(_ZIP_MAGIC) or head == _OLE_MAGIC:
            raise _unusable("corrupt_workbook") from None
        raise _unusable("not_a_workbook") from None


def _other_zip_document(data: bytes) -> bool:
    """True for a readable zip that is not a spreadsheet (no xl/workbook.xml, no ODS content)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return False
    return bool(names) and "xl/workbook.xml" not in names and "content.xml" not in names


def _fill_merged(rows: list[list[object]], merged: list[tuple[tuple[int, int], tuple[int, int]]]) -> None:
    for (r0, c0), (r1, c1) in merged:
        if r0 >= len(rows):
            continue
        top_left = rows[r0][c0] if c0 < len(rows[r0]) else ""
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            row = rows[r]
            if len(row) <= c1:
                row.extend([""] * (c1 + 1 - len(row)))
            for c in range(c0, c1 + 1):
                row[c] = top_left


def read_workbook(source: str | Path | bytes) -> tuple[SheetGrid, ...]:
    """Every worksheet of an .xlsx/.xlsm/.xls/.ods file as a SheetGrid, in workbook order.

    Raises ReadError for a file that is empty, not a workbook, truncated or corrupt, encrypted, or has
    no cell with a value in any sheet.
    """
    book, stats = _load(source)
    special = _special_cells(stats)
    grids: list[SheetGrid] = []
    try:
        visible = {m.name: m.visible == calamine.SheetVisibleEnum.Visible for m in book.sheets_metadata}
        for name in book.sheet_names:
            try:
                sheet = book.get_sheet_by_name(name)
                end = sheet.end
                if end is not None:
                    check_grid_size(end[0] + 1, end[1] + 1, name, name)
                rows = sheet.to_python(skip_empty_area=False)
                merged = sheet.merged_cell_ranges or []
            except ReadError:
                raise
            except calamine.PasswordError:
                raise _unusable("encrypted_workbook") from None
            except Exception:
                raise _unusable("corrupt_workbook") from None
            if name in special:
                _apply_special(rows, special[name])
            _fill_merged(rows, merged)
            grids.append(SheetGrid(
                name=name,
                rows=rows,
                merged=tuple((r0, c0, r1, c1) for (r0, c0), (r1, c1) in merged),
                visible=visible.get(name, True),
            ))
    finally:
        book.close()
    if not any(any(v not in ("", None) for v in row) for g in grids for row in g.rows):
        raise _unusable("empty_workbook")
    return tuple(grids)

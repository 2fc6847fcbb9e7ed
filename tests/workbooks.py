"""Builders of realistic, messy NTM status workbooks (openpyxl), shared by the tests.

Each builder returns the .xlsx bytes. Row and column positions are documented so tests can assert
the exact cells issues point at.
"""
from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter

CRITERIA = [str(n) for n in range(1, 20)]


def to_bytes(wb: openpyxl.Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


# --- Layout a: district summary ------------------------------------------------------------------
# Sheet "Tổng hợp": rows 1-5 title block, header rows 6-8 (row 6: STT | Tên xã | Vùng | Kết quả thực
# hiện các tiêu chí (merged D6:V6) | Số tiêu chí đạt | Năm đạt chuẩn | Năm phấn đấu | Ghi chú; row 7:
# 1..19 in D..V, STT/Tên xã/... merged vertically over 6-7), row 8: column numbers (1)...(26).
# Data from row 9: group row "I. Các xã đã đạt chuẩn" (merged A..Z), communes, group II, totals row,
# then notes and signatures.
SUMMARY_FIRST_CRIT_COL = 4  # D
SUMMARY_COLUMNS = {"stt": 1, "name": 2, "region": 3, "met": 23, "recognized": 24, "target": 25, "notes": 26}


def crit_col(criterion: int) -> str:
    """Column letter of criterion `criterion` in the summary builder (1 -> D, 19 -> V)."""
    return get_column_letter(SUMMARY_FIRST_CRIT_COL + criterion - 1)


def summary_workbook(
    communes: Sequence[dict[str, Any]],
    *,
    title: str = "BÁO CÁO KẾT QUẢ THỰC HIỆN BỘ TIÊU CHÍ QUỐC GIA VỀ XÃ NÔNG THÔN MỚI NĂM 2023",
    subtitle: str = "(theo Quyết định 318/QĐ-TTg ngày 08/3/2022 của Thủ tướng Chính phủ)",
    groups: bool = True,
    instructions_sheet: bool = True,
    criteria_count: int = 19,
) -> bytes:
    """communes: dicts with name, marks (list of 19 cell values), and optional region, met (the
    "Số tiêu chí đạt" cell), recognized, target, notes, group ("I"/"II")."""
    wb = openpyxl.Workbook()
    if instructions_sheet:
        guide = wb.active
        guide.title = "Hướng dẫn"
        guide["A1"] = "HƯỚNG DẪN NHẬP SỐ LIỆU"
        guide["A2"] = "Cột B: Tên xã (không ghi chữ “Xã”)."
        guide["A3"] = "Các cột tiêu chí: ghi Đạt hoặc Chưa đạt."
        ws = wb.create_sheet("Tổng hợp")
    else:
        ws = wb.active
        ws.title = "Tổng hợp"
    last_crit = SUMMARY_FIRST_CRIT_COL + criteria_count - 1
    met_col, rec_col, tgt_col, notes_col = last_crit + 1, last_crit + 2, last_crit + 3, last_crit + 4
    last = get_column_letter(notes_col)
    ws["A1"] = "UBND HUYỆN HỮU LŨNG"
    ws["H1"] = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    ws["H2"] = "Độc lập - Tự do - Hạnh phúc"
    ws["A3"] = title
    ws.merge_cells(f"A3:{last}3")
    ws["A4"] = subtitle
    ws.merge_cells(f"A4:{last}4")
    # Header rows 6-7, numbering row 8.
    for col, text in ((1, "STT"), (2, "Tên xã"), (3, "Vùng"), (met_col, "Số tiêu chí đạt"),
                      (rec_col, "Năm đạt chuẩn NTM"), (tgt_col, "Năm phấn đấu đạt chuẩn"), (notes_col, "Ghi chú")):
        ws.cell(6, col, text)
        ws.merge_cells(start_row=6, start_column=col, end_row=7, end_column=col)
    ws.cell(6, SUMMARY_FIRST_CRIT_COL, "Kết quả thực hiện các tiêu chí")
    ws.merge_cells(start_row=6, start_column=SUMMARY_FIRST_CRIT_COL, end_row=6, end_column=last_crit)
    for i in range(criteria_count):
        ws.cell(7, SUMMARY_FIRST_CRIT_COL + i, i + 1)
    for col in range(1, notes_col + 1):
        ws.cell(8, col, f"({col})")
    row = 9
    current_group = None
    for i, commune in enumerate(communes, start=1):
        group = commune.get("group")
        if groups and group and group != current_group:
            label = {"I": "I. Các xã đã đạt chuẩn NTM", "II": "II. Các xã chưa đạt chuẩn NTM"}.get(group, group)
            ws.cell(row, 1, label)
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=notes_col)
            current_group = group
            row += 1
        ws.cell(row, 1, i)
        ws.cell(row, 2, commune["name"])
        if commune.get("region") is not None:
            ws.cell(row, 3, commune["region"])
        for j, mark in enumerate(commune["marks"]):
            if mark is not None:
                ws.cell(row, SUMMARY_FIRST_CRIT_COL + j, mark)
        for key, col in (("met", met_col), ("recognized", rec_col), ("target", tgt_col), ("notes", notes_col)):
            if commune.get(key) is not None:
                ws.cell(row, col, commune[key])
        commune["_row"] = row
        row += 1
    ws.cell(row, 1, "Tổng cộng")
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
    ws.cell(row, met_col, 123)
    row += 2
    ws.cell(row, 1, "Ghi chú: Tiêu chí 17 đánh giá theo Bộ tiêu chí giai đoạn 2021-2025.")
    ws.cell(row + 1, 8, "Hữu Lũng, ngày 15 tháng 12 năm 2023")
    ws.cell(row + 2, 8, "TM. ỦY BAN NHÂN DÂN")
    ws.cell(row + 3, 8, "CHỦ TỊCH")
    ws.cell(row + 6, 8, "Nguyễn Văn A")
    return to_bytes(wb)


def all_met(**overrides: Any) -> list[Any]:
    """19 "Đạt" marks with some positions (1-based criterion -> value) replaced."""
    marks: list[Any] = ["Đạt"] * 19
    for key, value in overrides.items():
        marks[int(key.lstrip("c")) - 1] = value
    return marks


# --- Layout b: sub-indicator values ---------------------------------------------------------------
def values_workbook(rows: Sequence[dict[str, Any]], headers: Sequence[str], *,
                    title: str = "SỐ LIỆU CÁC CHỈ TIÊU NĂM 2024", sheet: str = "Chỉ tiêu",
                    name_header: str = "Tên xã", extra: dict[str, str] | None = None) -> bytes:
    """Title in A1, header in row 3 (A: STT, B: name_header, then `extra` metadata headers, then
    `headers`), data from row 4. rows: dicts with name, values (list aligned with headers) and
    metadata keyed by the `extra` keys."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ws["A1"] = title
    extra = extra or {}
    head = ["STT", name_header, *extra.values(), *headers]
    for col, text in enumerate(head, start=1):
        ws.cell(3, col, text)
    for i, data in enumerate(rows, start=1):
        r = 3 + i
        ws.cell(r, 1, i)
        ws.cell(r, 2, data["name"])
        for j, key in enumerate(extra, start=3):
            if data.get(key) is not None:
                ws.cell(r, j, data[key])
        for j, value in enumerate(data["values"], start=3 + len(extra)):
            if value is not None:
                ws.cell(r, j, value)
    return to_bytes(wb)


# --- Broken and odd files ------------------------------------------------------------------------
def encrypted_workbook(password: str = "secret") -> bytes:
    """A real password-protected .xlsx (an OLE container holding EncryptedPackage)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    wb = openpyxl.Workbook()
    wb.active["A1"] = "Tên xã"
    out = io.BytesIO()
    OOXMLFile(io.BytesIO(to_bytes(wb))).encrypt(password, out)
    return out.getvalue()


def empty_workbook() -> bytes:
    wb = openpyxl.Workbook()
    wb.create_sheet("Sheet2")
    return to_bytes(wb)


def unrelated_workbook() -> bytes:
    """A workbook with a table that has nothing to do with NTM (a price list)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Mặt hàng", "Đơn giá", "Số lượng"])
    ws.append(["Gạo", 15000, 10])
    ws.append(["Muối", 5000, 2])
    return to_bytes(wb)


def legacy_xls(rows: Sequence[Sequence[Any]], *, sheet: str = "Tổng hợp",
               merges: Sequence[tuple[int, int, int, int]] = ()) -> bytes:
    """A legacy .xls (BIFF8) with rows from A1; merges as (r0, r1, c0, c1) 0-based inclusive, the
    value written in the top-left cell only."""
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet(sheet)
    merged_tl = {(r0, c0): (r1, c1) for r0, r1, c0, c1 in merges}
    covered = {(r, c) for r0, r1, c0, c1 in merges for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if (r, c) in merged_tl:
                r1, c1 = merged_tl[(r, c)]
                ws.write_merge(r, r1, c, c1, value)
            elif (r, c) not in covered and value is not None:
                ws.write(r, c, value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- Layout c: one self-assessment form per commune ----------------------------------------------
FORM_COLUMNS = {"tt": "A", "criterion": "B", "content": "C", "target": "D", "value": "E", "mark": "F"}


def form_sheet(wb: openpyxl.Workbook, sheet: str, title: str | None,
               blocks: Sequence[tuple[int, str, Sequence[tuple[str, str, Any, Any]], Any]], *,
               subtitle: str | None = None, footer: str | None = None) -> dict[str, int]:
    """Add one commune's form. Rows 1-2: national motto; row 3: `title`; header in row 5, column
    numbers in row 6, data from row 7. blocks: (criterion number, criterion name, indicator rows
    [(content, target, value, mark)], block_mark); when block_mark is not None the F cells of the
    block are merged and hold it. `subtitle` goes in row 4, `footer` (e.g. "Tổng số tiêu chí đạt: 17/19")
    in the row right after the table, merged A..F. Returns {"15.1": row, ...} keyed by content prefix
    or position, plus "criterion N" -> first row and "footer" -> its row."""
    ws = wb.create_sheet(sheet)
    ws["A1"] = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    ws["A2"] = "Độc lập - Tự do - Hạnh phúc"
    if title:
        ws["A3"] = title
        ws.merge_cells("A3:F3")
    if subtitle:
        ws["A4"] = subtitle
        ws.merge_cells("A4:F4")
    for col, text in zip("ABCDEF", ["TT", "Tên tiêu chí", "Nội dung tiêu chí", "Chỉ tiêu đạt chuẩn",
                                    "Kết quả thực hiện", "Tự đánh giá"], strict=True):
        ws[f"{col}5"] = text
        ws[f"{col}6"] = f"({'ABCDEF'.index(col) + 1})"
    row = 7
    where: dict[str, int] = {}
    for number, name, indicators, block_mark in blocks:
        first = row
        for k, (content, target, value, mark) in enumerate(indicators):
            if k == 0:
                ws[f"A{row}"] = number
                ws[f"B{row}"] = name
            ws[f"C{row}"] = content
            ws[f"D{row}"] = target
            if value is not None:
                ws[f"E{row}"] = value
            if mark is not None and block_mark is None:
                ws[f"F{row}"] = mark
            where[content.split(" ")[0].rstrip(".") or f"{number}.{k + 1}"] = row
            row += 1
        if len(indicators) > 1:
            ws.merge_cells(f"A{first}:A{row - 1}")
            ws.merge_cells(f"B{first}:B{row - 1}")
        if block_mark is not None:
            ws[f"F{first}"] = block_mark
            if row - 1 > first:
                ws.merge_cells(f"F{first}:F{row - 1}")
        where[f"criterion {number}"] = first
    if footer:
        ws[f"A{row}"] = footer
        ws.merge_cells(f"A{row}:F{row}")
        where["footer"] = row
        row += 1
    ws[f"A{row + 1}"] = "Ghi chú: số liệu đến ngày 30/11/2022."
    ws[f"D{row + 2}"] = "TM. ỦY BAN NHÂN DÂN XÃ"
    return where

"""Builders of hostile and broken inputs, one per case, each returning the file's bytes (all in memory).

The huge cases are small on the wire: the million-row sheet and the zip bomb are deflate streams
built from repeated flushed segments, so nothing large is written to disk or kept in the repository.
`CASES` lists every case with the outcome the app must reach (tests/test_hostile.py runs them).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import datetime as dt
import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import openpyxl
from workbooks import all_met, encrypted_workbook, summary_workbook, to_bytes, values_workbook

from ntm_data.tcvn3 import encode_tcvn3

MB = 1024 * 1024
COMMUNES = ["Vân Nham", "Hòa Sơn", "Minh Sơn", "Đồng Tân", "Yên Thịnh", "Hồ Sơn"]
# values_workbook layout: title A1, header row 3 (A STT, B Tên xã, C.. the headers), data from row 4.
VALUE_HEADERS = ["2.1", "15.1", "17.1"]


# --- Raw zip and xlsx parts -------------------------------------------------------------------------
@dataclass(frozen=True)
class RawPart:
    """A zip member given as its deflated bytes with the sizes and CRC to declare (which may lie)."""

    name: str
    compressed: bytes
    size: int
    crc: int
    method: int = zipfile.ZIP_DEFLATED


def deflated(name: str, data: bytes) -> RawPart:
    co = zlib.compressobj(6, zlib.DEFLATED, -15)
    return RawPart(name, co.compress(data) + co.flush(), len(data), zlib.crc32(data))


def raw_zip(parts: list[RawPart]) -> bytes:
    """A zip archive written by hand, so sizes and CRCs can be declared as given."""
    out = io.BytesIO()
    central = []
    for p in parts:
        name = p.name.encode("utf-8")
        offset = out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0x800, p.method, 0, 0x21,
                              p.crc & 0xFFFFFFFF, len(p.compressed), p.size, len(name), 0))
        out.write(name)
        out.write(p.compressed)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0x800, p.method, 0, 0x21,
                                   p.crc & 0xFFFFFFFF, len(p.compressed), p.size, len(name), 0, 0, 0, 0, 0,
                                   offset) + name)
    start = out.tell()
    directory = b"".join(central)
    out.write(directory)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(parts), len(parts), len(directory), start, 0))
    return out.getvalue()


_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    b'<Override PartName="/xl/worksheets/sheet1.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    b"</Types>"
)
_ROOT_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    b'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    b'<sheets><sheet name="T\xe1\xbb\x95ng h\xe1\xbb\xa3p" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    b'worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
SHEET_NAME = "Tổng hợp"  # the one sheet of minimal_xlsx
SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def minimal_xlsx(sheet: bytes | RawPart, *, extra: list[RawPart] = ()) -> bytes:
    """A one-sheet .xlsx ("Tổng hợp") whose worksheet part is `sheet` (XML bytes or a prepared part)."""
    part = sheet if isinstance(sheet, RawPart) else deflated("xl/worksheets/sheet1.xml", sheet)
    return raw_zip([
        deflated("[Content_Types].xml", _CONTENT_TYPES),
        deflated("_rels/.rels", _ROOT_RELS),
        deflated("xl/workbook.xml", _WORKBOOK),
        deflated("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS),
        part,
        *extra,
    ])


def inline_row(r: int, values: list[str]) -> bytes:
    cells = "".join(
        f'<c r="{openpyxl.utils.get_column_letter(i + 1)}{r}" t="inlineStr"><is><t>{v}</t></is></c>'
        for i, v in enumerate(values)
    )
    return f'<row r="{r}">{cells}</row>'.encode()


# --- Fast CRC of repeated blocks ----------------------------------------------------------------------
@cache
def _zlib_combine() -> Callable[[int, int, int], int] | None:
    path = ctypes.util.find_library("z")
    if not path:
        return None
    try:
        fn = ctypes.CDLL(path).crc32_combine
    except (OSError, AttributeError):
        return None
    fn.restype = ctypes.c_ulong
    fn.argtypes = [ctypes.c_ulong, ctypes.c_ulong, ctypes.c_long]
    return fn


def repeated_crc(block: bytes, times: int, crc: int = 0) -> int:
    """crc32 of `block` repeated `times` times, continuing from `crc` (fast via zlib's crc32_combine)."""
    combine = _zlib_combine()
    if combine is None:
        for _ in range(times):
            crc = zlib.crc32(block, crc)
        return crc
    one, length, acc, acc_len = zlib.crc32(block), len(block), None, 0
    unit, unit_len = one, length
    while times:
        if times & 1:
            acc = unit if acc is None else combine(acc, unit, unit_len)
            acc_len += unit_len
        unit, unit_len, times = combine(unit, unit, unit_len), unit_len * 2, times >> 1
    return crc if acc is None else combine(crc, acc, acc_len)


def repeated_part(name: str, head: bytes, block: bytes, times: int, tail: bytes, *,
                  declared: int | None = None) -> RawPart:
    """A deflated part head + block*times + tail, compressed once per distinct piece: after a full flush
    the compressor starts afresh, so one compressed block can be repeated. `declared` overrides the size
    written in the headers (a lying zip)."""
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = co.compress(head) + co.flush(zlib.Z_FULL_FLUSH)
    seg = co.compress(block) + co.flush(zlib.Z_FULL_FLUSH)
    last = co.compress(tail) + co.flush()
    size = len(head) + len(block) * times + len(tail)
    crc = zlib.crc32(tail, repeated_crc(block, times, zlib.crc32(head)))
    return RawPart(name, first + seg * times + last, size if declared is None else declared, crc)


# --- The cases ------------------------------------------------------------------------------------------
def summary(names: list[str] | None = None, **marks_by_name: list) -> bytes:
    names = names or COMMUNES
    return summary_workbook([{"name": n, "marks": marks_by_name.get(n, all_met())} for n in names])


def values(rows: list[tuple[str, list]]) -> bytes:
    return values_workbook([{"name": n, "values": v} for n, v in rows], VALUE_HEADERS)


def not_a_workbook() -> bytes:
    return "Đây là một tệp văn bản, không phải bảng tính.\n".encode()


def zero_bytes() -> bytes:
    return b""


def truncated() -> bytes:
    data = summary()
    return data[: len(data) // 2]


def encrypted() -> bytes:
    return encrypted_workbook("mat-khau")


def empty_sheets() -> bytes:
    wb = openpyxl.Workbook()
    wb.active.title = "Tổng hợp"
    wb.create_sheet("Trống")
    return to_bytes(wb)


def headers_only() -> bytes:
    return summary_workbook([])


def thousands_of_columns() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["STT", "Tên xã", *[f"TC{i % 19 + 1}" for i in range(3000)]])
    ws.append([1, "Vân Nham", *["Đạt"] * 3000])
    return to_bytes(wb)


def merged_cell_over_table() -> bytes:
    """Someone merged the whole table area: Excel keeps only the top-left value."""
    wb = openpyxl.load_workbook(io.BytesIO(summary()))
    ws = wb["Tổng hợp"]
    for rng in list(ws.merged_cells.ranges):
        ws.unmerge_cells(str(rng))
    ws.merge_cells("A1:Z40")
    return to_bytes(wb)


FORMULA_CELL = "D10"  # criterion 1 of the first commune (row 10 after group row 9)


def formulas_without_cached_values() -> bytes:
    """Marks computed by formulas, saved by a program that stores no results (openpyxl)."""
    wb = openpyxl.load_workbook(io.BytesIO(summary()))
    ws = wb["Tổng hợp"]
    ws[FORMULA_CELL] = '=IF(1>0,"Đạt","Chưa đạt")'
    return to_bytes(wb)


ERROR_CELLS = {"D10": "#DIV/0!", "E11": "#N/A", "F12": "#VALUE!", "G13": "#REF!"}


def error_cells() -> bytes:
    """Error values as Excel saves them (t="e")."""
    wb = openpyxl.load_workbook(io.BytesIO(summary()))
    ws = wb["Tổng hợp"]
    for ref, err in ERROR_CELLS.items():
        ws[ref] = err
        ws[ref].data_type = "e"
    return to_bytes(wb)


DATE_CELL = "D4"  # sub-indicator 15.1 of the first commune


def dates_where_numbers_belong() -> bytes:
    return values([("Vân Nham", [100, dt.datetime(2024, 5, 26), 95]), ("Hòa Sơn", [100, 96.5, 97])])


PERCENT_CELL, NEGATIVE_CELL = "D4", "C5"


def percent_above_100_and_negative() -> bytes:
    return values([("Vân Nham", [100, 180.0, 95]), ("Hòa Sơn", [-3, 96.5, 97])])


def duplicate_commune_conflicting() -> bytes:
    """Vân Nham twice: criteria 1-19 met in row 10, criterion 15 not met in row 16."""
    names = [*COMMUNES, "Vân Nham"]
    communes = [{"name": n, "marks": all_met()} for n in names]
    communes[-1]["marks"] = all_met(c15="Chưa đạt")
    return summary_workbook(communes)


def accent_fold_collision() -> bytes:
    """"Sơn Hà" and "Sơn Hạ" are two communes; a sheet of values names "Son Ha", which folds to both."""
    main = openpyxl.load_workbook(io.BytesIO(summary([*COMMUNES, "Sơn Hà", "Sơn Hạ"])))
    ws = main.create_sheet("Chỉ tiêu")
    ws["A1"] = "SỐ LIỆU CÁC CHỈ TIÊU NĂM 2024"
    for col, text in enumerate(["STT", "Tên xã", *VALUE_HEADERS], start=1):
        ws.cell(3, col, text)
    ws.append([1, "Son Ha", 100, 96, 97])
    return to_bytes(main)


TCVN3_NAMES = ["B¶o Th¾ng", "Hång Phong", "Yªn ThÞnh", encode_tcvn3("Đồng Tân")]


def tcvn3_names() -> bytes:
    return summary([*TCVN3_NAMES, "Vân Nham"])


MARKUP_NAMES = ["<script>alert(1)</script>", "**Vân** _Nham_", "[Hòa Sơn](javascript:alert(1))", "<b>Minh</b> Sơn"]


def html_and_markdown_names() -> bytes:
    return summary(MARKUP_NAMES)


FORMULA_NAMES = ["=HYPERLINK(\"http://x\",\"Vân Nham\")", "+84 Hòa Sơn", "-Minh Sơn", "@SUM(1)"]


def names_starting_with_equals() -> bytes:
    """Names that a spreadsheet would run as formulas, stored as text (as a leading apostrophe does)."""
    wb = openpyxl.load_workbook(io.BytesIO(summary(["x1", "x2", "x3", "x4"])))
    ws = wb["Tổng hợp"]
    for row in ws.iter_rows(min_col=2, max_col=2):
        cell = row[0]
        if isinstance(cell.value, str) and cell.value.startswith("x") and cell.value[1:].isdigit():
            cell.value = FORMULA_NAMES[int(cell.value[1:]) - 1]
            cell.data_type = "s"
    return to_bytes(wb)


MILLION = 1_000_000


def million_rows() -> bytes:
    """One sheet of 1,000,000 real rows (a number and a mark each) without a <dimension>: about 3 MB."""
    co = zlib.compressobj(1, zlib.DEFLATED, -15)
    pieces = [SHEET_HEAD + b"<sheetData>"]
    row = b'<row r="%d"><c r="A%d"><v>%d</v></c><c r="B%d"><v>1</v></c></row>'
    for start in range(1, MILLION + 1, 100_000):
        pieces.append(b"".join([row % (r, r, r, r) for r in range(start, min(start + 100_000, MILLION + 1))]))
    pieces.append(b"</sheetData></worksheet>")
    crc, size, out = 0, 0, []
    for piece in pieces:
        crc, size = zlib.crc32(piece, crc), size + len(piece)
        out.append(co.compress(piece))
    out.append(co.flush())
    return minimal_xlsx(RawPart("xl/worksheets/sheet1.xml", b"".join(out), size, crc))


def xml_bomb() -> bytes:
    """Billion laughs: ten nested entity levels that expand to 10^9 "lol"s."""
    levels = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    ]
    doctype = ("<!DOCTYPE worksheet [" + "".join(levels) + "]>").encode()
    sheet = (b'<?xml version="1.0" encoding="UTF-8"?>' + doctype +
             b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             + inline_row(1, ["Tên xã", "TC1"]) +
             b'<row r="2"><c r="A2" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>')
    return minimal_xlsx(sheet)


def external_entity() -> bytes:
    """XXE: an entity that reads a local file into a cell."""
    sheet = (b'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
             b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             b'<row r="1"><c r="A1" t="inlineStr"><is><t>&x;</t></is></c></row></sheetData></worksheet>')
    return minimal_xlsx(sheet)


ZIP_BOMB_BYTES = 2 * 1024 * MB


def zip_bomb() -> bytes:
    """A ~2 MB .xlsx whose worksheet inflates to 2 GB of blank space inside <sheetData>."""
    part = repeated_part("xl/worksheets/sheet1.xml", SHEET_HEAD + b"<sheetData>", b" " * MB,
                         ZIP_BOMB_BYTES // MB, b"</sheetData></worksheet>")
    return minimal_xlsx(part)


def lying_zip_bomb() -> bytes:
    """The same bomb declaring a 1 KB part, for readers that trust the stream over the header."""
    part = repeated_part("xl/worksheets/sheet1.xml", SHEET_HEAD + b"<sheetData>", b" " * MB, 1024,
                         b"</sheetData></worksheet>", declared=1000)
    return minimal_xlsx(part)


def many_parts() -> bytes:
    """10,050 tiny parts, just over the limit: an archive whose directory alone is costly to walk."""
    extra = [deflated(f"xl/media/p{i}.xml", b"<a/>") for i in range(10_050)]
    return minimal_xlsx(SHEET_HEAD + b"<sheetData/></worksheet>", extra=extra)


def far_away_cell() -> bytes:
    """One value in A1 and one in XFD1048576: a reader filling the grid from A1 needs 17 G cells."""
    sheet = (SHEET_HEAD + b"<sheetData>" + inline_row(1, ["Tên xã"]) +
             b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
             b"</sheetData></worksheet>")
    return minimal_xlsx(sheet)


def csv_named_xlsx() -> bytes:
    return ("STT,Tên xã,TC1,TC2\n1,Vân Nham,Đạt,Chưa đạt\n2,Hòa Sơn,Đạt,Đạt\n").encode("utf-8-sig")


def docx_named_xlsx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/'
                   'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                   'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
        z.writestr("word/document.xml", '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.'
                   'org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Báo cáo</w:t></w:r></w:p></w:body>'
                   '</w:document>')
    return buf.getvalue()


def png_image() -> bytes:
    """A valid 1x1 PNG."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def html_named_xls() -> bytes:
    """What many web systems export as "Excel": an HTML table saved with an .xls name."""
    return ('<html><head><meta charset="utf-8"></head><body><table><tr><th>Tên xã</th><th>TC1</th></tr>'
            '<tr><td>Vân Nham</td><td>Đạt</td></tr></table></body></html>').encode()


def chart_only() -> bytes:
    """A workbook whose only sheet is a chart sheet."""
    wb = openpyxl.Workbook()
    data = wb.active
    data.append(["Xã", "Số tiêu chí"])
    data.append(["Vân Nham", 17])
    chart = openpyxl.chart.BarChart()
    chart.add_data(openpyxl.chart.Reference(data, min_col=2, min_row=1, max_row=2), titles_from_data=True)
    sheet = wb.create_chartsheet("Biểu đồ")
    sheet.add_chart(chart)
    buf = io.BytesIO()
    wb.save(buf)
    wb = openpyxl.load_workbook(buf)
    del wb[wb.sheetnames[0]]
    return to_bytes(wb)


def title_block_only() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Tổng hợp"
    ws["A1"] = "UBND HUYỆN HỮU LŨNG"
    ws["F1"] = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    ws["F2"] = "Độc lập - Tự do - Hạnh phúc"
    ws["A4"] = "BÁO CÁO KẾT QUẢ THỰC HIỆN BỘ TIÊU CHÍ QUỐC GIA VỀ XÃ NÔNG THÔN MỚI NĂM 2024"
    return to_bytes(wb)


def protected_sheet() -> bytes:
    """Sheet protection (not encryption): the file opens without a password and must read normally."""
    wb = openpyxl.load_workbook(io.BytesIO(summary()))
    ws = wb["Tổng hợp"]
    ws.protection.sheet = True
    ws.protection.password = "khoa"
    wb.security = openpyxl.workbook.protection.WorkbookProtection(workbookPassword="khoa", lockStructure=True)
    return to_bytes(wb)


# "_x0000_" is how Excel escapes a NUL inside a cell's XML; readers turn it back into the character.
CONTROL_NAMES = ["Vân_x0000_Nham", "Hòa\tSơn", "Minh\u200bSơn", "Đồng Tân\u202e"]


def control_characters_in_names() -> bytes:
    """An escaped NUL, a tab, a zero-width space and a right-to-left override inside names."""
    return summary(CONTROL_NAMES)


LONG_NAME = "Vân Nham " * 3640  # 32,760 characters, near Excel's 32,767 limit for one cell


def very_long_name() -> bytes:
    return summary([LONG_NAME, *COMMUNES[1:]])

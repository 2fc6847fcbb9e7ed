"""ntm_data.limits: what an upload may not exceed, checked on the bytes before any parser runs."""
from __future__ import annotations

import io
import random
import time
import zipfile
import zlib

import openpyxl
import pytest
from hostile import (
    MB,
    SHEET_HEAD,
    SHEET_NAME,
    RawPart,
    deflated,
    external_entity,
    far_away_cell,
    inline_row,
    lying_zip_bomb,
    million_rows,
    minimal_xlsx,
    raw_zip,
    repeated_part,
    xml_bomb,
    zip_bomb,
)
from workbooks import all_met, summary_workbook

from ntm_data.limits import (
    DEFAULT_LIMITS,
    DEFAULT_MAX_UPLOAD_MB,
    Limits,
    check_workbook_bytes,
    column_number,
    read_checked,
    workbook_stats,
)
from ntm_data.model import ReadError, Severity

COMMUNES = [{"name": f"Xã {i}", "marks": all_met()} for i in range(30)]


@pytest.fixture(scope="module")
def normal() -> bytes:
    """A 30-commune district summary as openpyxl writes it."""
    return summary_workbook(COMMUNES)


def refused(data: bytes, limits: Limits = DEFAULT_LIMITS) -> ReadError:
    with pytest.raises(ReadError) as info:
        check_workbook_bytes(data, limits)
    issue = info.value.issue
    assert issue.severity == Severity.ERROR and issue.code.startswith("limit.")
    for lang in ("vi", "en"):
        text = info.value.message(lang)
        assert not text.startswith("issue.") and "{" not in text, text
    assert info.value.message("vi") != info.value.message("en")
    return info.value


def sheet_xml(rows: list[bytes], *, dimension: str | None = None, head: bytes = SHEET_HEAD) -> bytes:
    dim = f'<dimension ref="{dimension}"/>'.encode() if dimension else b""
    return head + dim + b"<sheetData>" + b"".join(rows) + b"</sheetData></worksheet>"


@pytest.mark.parametrize(("letters", "number"), [("A", 1), ("Z", 26), ("AA", 27), ("ZZ", 702), ("XFD", 16384)])
def test_column_number(letters, number):
    assert column_number(letters) == number == column_number(letters.encode())


def test_normal_workbook_passes_and_is_measured(normal):
    stats = workbook_stats(normal)
    assert stats.kind == "zip" and stats.size == len(normal) and stats.uncompressed > stats.size
    sheets = {s.sheet: s for s in stats.sheets}
    assert set(sheets) == {"Hướng dẫn", "Tổng hợp"}
    summary = sheets["Tổng hợp"]
    # 8 header rows + 30 communes + totals + notes and signatures (last row 47), 26 columns (A..Z).
    assert summary.rows == 47 and summary.columns == 26
    assert summary.cells == 47 * 26
    assert summary.part == "xl/worksheets/sheet2.xml"


def test_normal_workbook_is_checked_in_milliseconds(normal):
    check_workbook_bytes(normal)
    start = time.perf_counter()
    for _ in range(20):
        check_workbook_bytes(normal)
    assert (time.perf_counter() - start) / 20 < 0.05


def test_upload_size(normal):
    error = refused(normal, Limits(max_upload_bytes=1000))
    assert error.issue.code == "limit.upload_size"
    assert error.issue.params["max_mb"] == "0.0"


@pytest.mark.parametrize(("env", "expected_mb"), [("12", 12), ("0.5", 0.5), ("abc", DEFAULT_MAX_UPLOAD_MB),
                                                  ("-3", DEFAULT_MAX_UPLOAD_MB), ("inf", DEFAULT_MAX_UPLOAD_MB),
                                                  ("nan", DEFAULT_MAX_UPLOAD_MB), (None, DEFAULT_MAX_UPLOAD_MB)])
def test_upload_limit_from_environment(monkeypatch, env, expected_mb):
    if env is None:
        monkeypatch.delenv("NTM_MAX_UPLOAD_MB", raising=False)
    else:
        monkeypatch.setenv("NTM_MAX_UPLOAD_MB", env)
    assert Limits().max_upload_bytes == int(expected_mb * MB)


@pytest.mark.parametrize("data", [b"", b"hello", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600])
def test_non_zip_bytes_pass_to_the_reader(data):
    """Size is the only check for OLE (.xls, encrypted) and for bytes that are no zip at all."""
    check_workbook_bytes(data)


@pytest.mark.parametrize("data", [b"PK\x03\x04junk", b"PK\x05\x06", b"PK\x03\x04" + b"\0" * 100])
def test_zip_that_cannot_be_read_is_refused_as_corrupt(data):
    with pytest.raises(ReadError) as info:
        check_workbook_bytes(data)
    assert info.value.issue.code == "corrupt_workbook"


def test_truncated_workbook_is_refused_as_corrupt(normal):
    with pytest.raises(ReadError) as info:
        check_workbook_bytes(normal[: len(normal) // 2])
    assert info.value.issue.code == "corrupt_workbook"


def test_ole_is_refused_by_size_only():
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 5000
    assert workbook_stats(data).kind == "ole"
    assert refused(data, Limits(max_upload_bytes=1000)).issue.code == "limit.upload_size"


def test_zip_bomb_by_declared_size():
    error = refused(zip_bomb())
    assert error.issue.code == "limit.uncompressed_size"
    assert error.issue.params["size_mb"] == "2048.0"


def test_zip_bomb_by_ratio():
    """100 MB of blanks in 100 KB: under the size limit, far over the ratio."""
    part = repeated_part("xl/worksheets/sheet1.xml", SHEET_HEAD + b"<sheetData>", b" " * MB, 100,
                         b"</sheetData></worksheet>")
    error = refused(minimal_xlsx(part))
    assert error.issue.code == "limit.compression_ratio"
    assert error.issue.params["part"] == "xl/worksheets/sheet1.xml" and error.issue.params["ratio"] > 900


def test_zip_bomb_that_lies_about_its_size_is_stopped_after_one_chunk():
    start = time.perf_counter()
    error = refused(lying_zip_bomb())
    assert error.issue.code == "limit.zip_mismatch"
    assert time.perf_counter() - start < 0.5


def test_part_shorter_than_declared_is_refused():
    real = deflated("xl/worksheets/sheet1.xml", sheet_xml([inline_row(1, ["Tên xã"])]))
    short = RawPart(real.name, real.compressed, real.size + 10, real.crc)
    assert refused(minimal_xlsx(short)).issue.code == "limit.zip_mismatch"


def test_total_inflated_size_is_counted_across_parts():
    parts = [deflated(f"xl/media/blob{i}.bin", bytes(range(256)) * 4096) for i in range(3)]  # 1 MB each
    error = refused(minimal_xlsx(sheet_xml([]), extra=parts), Limits(max_uncompressed_bytes=2 * MB))
    assert error.issue.code == "limit.uncompressed_size"


@pytest.mark.parametrize("build", [xml_bomb, external_entity])
def test_entity_declarations_are_refused(build):
    error = refused(build())
    assert error.issue.code == "limit.xml_entities"
    assert error.issue.params["part"] == "xl/worksheets/sheet1.xml"


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_entity_declaration_in_utf16_part(encoding):
    text = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a [<!ENTITY b "c">]><sst/>'
    extra = [deflated("xl/sharedStrings.xml", text.encode(encoding))]
    assert refused(minimal_xlsx(sheet_xml([]), extra=extra)).issue.code == "limit.xml_entities"


def test_entity_declaration_split_across_chunks():
    """The DOCTYPE starts 3 bytes before the boundary of the inflater's first piece, after a long comment."""
    from ntm_data import limits

    filler = random.Random(7).randbytes(limits._PIECE).hex().encode()[: limits._PIECE - 3 - 5 - 4]
    pad = b"<!-- " + filler + b" -->"  # hex digits: compresses about 2:1, under the ratio limit
    extra = [deflated("xl/styles.xml", pad + b'<!DOCTYPE s [<!ENTITY a "b">]><styleSheet/>')]
    assert refused(minimal_xlsx(sheet_xml([]), extra=extra)).issue.code == "limit.xml_entities"


def test_entity_in_workbook_index_is_refused_before_it_is_used():
    book = b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY n "x">]><workbook><sheets/></workbook>'
    data = raw_zip([deflated("xl/workbook.xml", book), deflated("xl/worksheets/sheet1.xml", sheet_xml([]))])
    assert refused(data).issue.code == "limit.xml_entities"


def test_rows_limit_names_the_sheet():
    error = refused(million_rows())
    assert error.issue.code == "limit.rows" and error.issue.sheet == SHEET_NAME
    assert error.issue.params["where"] == SHEET_NAME


def test_far_away_cell_is_refused():
    error = refused(far_away_cell())
    assert error.issue.code in ("limit.rows", "limit.columns")


def test_column_limit_from_cell_references():
    rows = [inline_row(1, ["x"] * 800)]
    error = refused(minimal_xlsx(sheet_xml(rows)))
    assert error.issue.code == "limit.columns" and error.issue.params["columns"] == "800"


@pytest.mark.parametrize(("dimension", "code"), [
    ("A1:Z600000", "limit.rows"),
    ("A1:ZZZ2", "limit.columns"),
    ("A1:GR30000", "limit.cells"),  # 200 columns x 30,000 rows = 6 M
])
def test_declared_dimension_is_enough_to_refuse(dimension, code):
    data = minimal_xlsx(sheet_xml([inline_row(1, ["Tên xã"])], dimension=dimension))
    assert refused(data).issue.code == code


def test_cells_counted_without_dimension():
    rows = [inline_row(r, ["a", "b", "c", "d"]) for r in range(1, 301)]  # 1,200 cells
    data = minimal_xlsx(sheet_xml(rows))
    assert workbook_stats(data).sheets[0].cells >= 1200
    error = refused(data, Limits(max_cells=1000))
    assert error.issue.code == "limit.cells"


def test_cell_count_is_exact_across_chunk_boundaries():
    """A sheet of several inflater chunks: tags split by a boundary are counted once."""
    n = 20_000
    rows = [b'<row r="%d"><c r="A%d"><v>%d</v></c><c r="B%d"><v>1</v></c></row>' % (r, r, r, r)
            for r in range(1, n + 1)]
    data = minimal_xlsx(sheet_xml(rows))
    sheet = workbook_stats(data).sheets[0]
    assert sheet.rows == n and sheet.cells == 2 * n


def test_namespace_prefixed_sheet_is_counted():
    head = (b'<?xml version="1.0"?><x:worksheet '
            b'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
    rows = [b'<x:row r="%d"><x:c r="A%d"><x:v>1</x:v></x:c></x:row>' % (r, r) for r in range(1, 101)]
    body = head + b"<x:sheetData>" + b"".join(rows) + b"</x:sheetData></x:worksheet>"
    sheet = workbook_stats(minimal_xlsx(body)).sheets[0]
    assert sheet.rows == 100 and sheet.cells == 100


def test_out_of_order_far_row_is_found():
    """A crafted sheet with a deep row first and ordinary rows after it."""
    rows = [b'<row r="900000"><c r="B900000"><v>1</v></c></row>']
    rows += [inline_row(r, ["x"]) for r in range(1, 50)]
    assert refused(minimal_xlsx(sheet_xml(rows))).issue.code == "limit.rows"


def test_row_number_beyond_excel_is_found():
    rows = [inline_row(1, ["x"]), b'<row r="123456789"><c r="A123456789"><v>1</v></c></row>']
    error = refused(minimal_xlsx(sheet_xml(rows)))
    assert error.issue.code == "limit.rows" and error.issue.params["rows"] == "123,456,789"


def test_too_many_parts():
    extra = [deflated(f"xl/media/p{i}.xml", b"<a/>") for i in range(10)]
    error = refused(minimal_xlsx(sheet_xml([]), extra=extra), Limits(max_zip_members=8))
    assert error.issue.code == "limit.zip_members"


def test_unusual_compression_is_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>", compress_type=zipfile.ZIP_BZIP2)
    error = refused(buf.getvalue())
    assert error.issue.code == "limit.zip_feature" and error.issue.params["part"] == "[Content_Types].xml"


def test_stored_parts_are_checked_too():
    body = sheet_xml([], dimension="A1:ZZZ2")
    stored = RawPart("xl/worksheets/sheet1.xml", body, len(body), zlib.crc32(body), method=zipfile.ZIP_STORED)
    assert refused(minimal_xlsx(stored)).issue.code == "limit.columns"


def test_real_sample_workbooks_pass():
    from pathlib import Path

    samples = sorted(Path(__file__).resolve().parent.parent.joinpath("sample_data").glob("*.xlsx"))
    assert samples
    for path in samples:
        stats = workbook_stats(path.read_bytes())
        assert stats.sheets and all(s.cells > 0 for s in stats.sheets if s.rows)


def test_openpyxl_workbook_with_wide_table_passes():
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in range(50):
        ws.append([f"Xã {r}", *range(150)])
    buf = io.BytesIO()
    wb.save(buf)
    sheet = workbook_stats(buf.getvalue()).sheets[0]
    assert (sheet.rows, sheet.columns, sheet.cells) == (50, 151, 50 * 151)


def test_read_checked_from_path_and_bytes(tmp_path, normal):
    path = tmp_path / "ok.xlsx"
    path.write_bytes(normal)
    assert read_checked(path) == normal == read_checked(normal) == read_checked(bytearray(normal))
    with pytest.raises(ReadError) as info:
        read_checked(tmp_path / "missing.xlsx")
    assert info.value.issue.code == "file_not_found" and "missing.xlsx" in info.value.message("en")


def test_read_checked_refuses_a_big_file_before_reading_it(tmp_path, monkeypatch):
    path = tmp_path / "big.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\0" * 5000)
    monkeypatch.setattr(type(path), "read_bytes", lambda self: pytest.fail("read a refused file"))
    with pytest.raises(ReadError) as info:
        read_checked(path, Limits(max_upload_bytes=1000))
    assert info.value.issue.code == "limit.upload_size"


def test_read_checked_refuses_a_bomb_file(tmp_path):
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(xml_bomb())
    with pytest.raises(ReadError):
        read_checked(str(path))


# --- Cells python-calamine would place: the check must hold for any spelling, whatever the dimension says
def far_cell_sheet(far: bytes, *, dimension: str | None = "A1:B2") -> bytes:
    rows = [inline_row(1, ["Tên xã", "TC1"]), b'<row r="2">' + far + b"</row>"]
    return minimal_xlsx(sheet_xml(rows, dimension=dimension))


@pytest.mark.parametrize("far", [
    b'<c r="XFD1048576"><v>1</v></c>',  # the dimension lies
    b"<c r='XFD1048576'><v>1</v></c>",  # single quotes
    b'<c s="1" r="XFD1048576"><v>1</v></c>',  # r not first
    b'<c\n r="XFD1048576"><v>1</v></c>',  # odd whitespace
    b'<x:c r="XFD1048576"><v>1</v></x:c>',  # a namespace prefix calamine ignores
    b'<c r="A1048576"><v>1</v></c><c r="XFD2"><v>1</v></c>',  # far row and far column apart
    b"<c><v>1</v></c>" * 800,  # no references: calamine puts them side by side, 800 columns
])
@pytest.mark.parametrize("dimension", ["A1:B2", None])
def test_far_cells_are_found_however_written(far, dimension):
    assert refused(far_cell_sheet(far, dimension=dimension)).issue.code in (
        "limit.rows", "limit.columns", "limit.cells")


def test_lying_dimension_is_widened_to_the_real_table():
    """A dimension smaller than the table (some exporters never update it): measured, not refused."""
    rows = [inline_row(r, [f"x{c}" for c in range(40)]) for r in range(1, 301)]
    sheet = workbook_stats(minimal_xlsx(sheet_xml(rows, dimension="A1:B2"))).sheets[0]
    assert (sheet.rows, sheet.columns) == (300, 40)


def test_sheet_without_dimension_wider_below_its_head():
    rows = [inline_row(r, ["x"]) for r in range(1, 3000)] + [inline_row(3000, ["y"] * 30)]
    sheet = workbook_stats(minimal_xlsx(sheet_xml(rows))).sheets[0]
    assert (sheet.rows, sheet.columns) == (3000, 30)


def test_cells_without_references_are_placed_like_calamine():
    """Unreferenced cells follow the previous one; a row's end moves to column A of the next row."""
    rows = [b'<row r="1"><c r="C1"><v>1</v></c><c><v>2</v></c><c><v>3</v></c></row>',
            b"<row><c><v>4</v></c></row>"]
    sheet = workbook_stats(minimal_xlsx(sheet_xml(rows, dimension="A1:C1"))).sheets[0]
    assert (sheet.rows, sheet.columns) == (2, 5)


def test_error_cells_and_unsaved_formulas_are_noted_across_pieces():
    """A sheet of several inflater pieces, with special cells on either side of each piece boundary."""
    from ntm_data import limits

    filler = b'<c r="%s%d" t="inlineStr"><is><t>' + b"v" * 200 + b"</t></is></c>"
    rows, r, size = [], 0, 0
    while size < 3 * limits._PIECE:
        r += 1
        cells = b"".join(filler % (col.encode(), r) for col in "AB")
        if r % 5000 == 0:
            cells += b'<c r="C%d" t="e"><v>#DIV/0!</v></c><c r="D%d"><f>1+1</f></c>' % (r, r)
            cells += b'<c r="E%d" t="str"><f>2+2</f><v>4</v></c>' % r  # has its result: not noted
        rows.append(b'<row r="%d">' % r + cells + b"</row>")
        size += len(rows[-1])
    sheet = workbook_stats(minimal_xlsx(sheet_xml(rows, dimension=f"A1:E{r}"))).sheets[0]
    expected = []
    for row in range(5000, r + 1, 5000):
        expected += [(row - 1, 2, "error", "#DIV/0!"), (row - 1, 3, "formula", "1+1")]
    assert list(sheet.special) == expected and len(expected) >= 3


def test_entity_declaration_after_a_comment_that_looks_like_a_root():
    text = b'<?xml version="1.0"?><!-- <styleSheet> --><!DOCTYPE s [<!ENTITY a "b">]><styleSheet/>'
    extra = [deflated("xl/styles.xml", text)]
    assert refused(minimal_xlsx(sheet_xml([]), extra=extra)).issue.code == "limit.xml_entities"


def test_declaration_after_the_root_is_not_looked_for():
    """Only the prolog may declare entities; text after the root start (a comment here) is the parser's."""
    text = b'<?xml version="1.0"?><styleSheet><!-- <!DOCTYPE is not allowed here --></styleSheet>'
    check_workbook_bytes(minimal_xlsx(sheet_xml([]), extra=[deflated("xl/styles.xml", text)]))


def test_binary_part_is_not_taken_for_xml():
    image = b"\x89PNG\r\n\x1a\n" + b"<!" + bytes(range(256)) * 4
    check_workbook_bytes(minimal_xlsx(sheet_xml([]), extra=[deflated("xl/media/image1.png", image)]))


@pytest.mark.parametrize(("rows", "columns", "code"), [
    (500_001, 1, "limit.rows"), (1, 703, "limit.columns"), (10_000, 501, "limit.cells"), (500_000, 10, None)])
def test_check_grid_size(rows, columns, code):
    from ntm_data.limits import check_grid_size

    if code is None:
        check_grid_size(rows, columns, "Tổng hợp", "Tổng hợp")
        return
    with pytest.raises(ReadError) as info:
        check_grid_size(rows, columns, "Tổng hợp", "Tổng hợp")
    assert info.value.issue.code == code and info.value.issue.sheet == "Tổng hợp"


def test_limits_hold_for_any_placement_calamine_makes():
    """Differential check against python-calamine on random small sheets (cells in any order, with and
    without references, empty and self-closing cells and rows, lying dimensions): a sheet whose grid
    exceeds the limits is always refused before calamine builds it."""
    import python_calamine

    rng = random.Random(2026)

    def ref() -> str:
        return f' r="{"ABCDEFGHIJKLMNOPQRSTUVWXYZ"[rng.randrange(26)]}{rng.randint(1, 40)}"' if rng.random() < 0.7 else ""

    def cell() -> str:
        return rng.choice([f'<c{ref()} s="1"/>', f"<c{ref()}></c>", f"<c{ref()}><v>1</v></c>", f"<c{ref()}><v>2</v></c>"])

    for _ in range(150):
        rows = []
        for _ in range(rng.randint(1, 8)):
            r = f' r="{rng.randint(1, 40)}"' if rng.random() < 0.5 else ""
            cells = "".join(cell() for _ in range(rng.randint(0, 6)))
            rows.append(f"<row{r}/>" if rng.random() < 0.1 else f"<row{r}>{cells}</row>")
        dimension = rng.choice([None, "A1:B2", "A1:Z40", "C3"])
        data = minimal_xlsx(sheet_xml([row.encode() for row in rows], dimension=dimension))
        try:
            book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
            end = book.get_sheet_by_name(SHEET_NAME).end
        except python_calamine.CalamineError:
            continue
        height, width = (end[0] + 1, end[1] + 1) if end else (0, 0)
        limits = Limits(max_rows=rng.randint(10, 45), max_columns=rng.randint(10, 27), max_cells=rng.randint(100, 900))
        if height > limits.max_rows or width > limits.max_columns or height * width > limits.max_cells:
            refused(data, limits)
        elif dimension is None:  # otherwise the dimension may say more than calamine finds
            try:
                sheet = workbook_stats(data, limits).sheets[0]
            except ReadError:
                continue  # empty cells count too: stricter than calamine, never looser
            assert sheet.rows >= height and sheet.columns >= width


# --- The vectorised check (limits._unproven_cells / _proven): the same results as the regex alone
def both_ways(data: bytes, monkeypatch, limits: Limits = DEFAULT_LIMITS, block: int = 257, piece: int | None = None):
    """workbook_stats with the vectorised check on every scanned text (in blocks of `block` bytes, so
    that tags straddle block boundaries) and with the regex alone: the stats, or the refusal's issue."""
    from ntm_data import limits as module

    def run(vector_text: int):
        with monkeypatch.context() as patch:
            patch.setattr(module, "_VECTOR_TEXT", vector_text)
            patch.setattr(module, "_BLOCK", block)
            if piece:
                patch.setattr(module, "_PIECE", piece)
            try:
                return workbook_stats(data, limits)
            except ReadError as error:
                return error.issue

    fast, regex = run(0), run(1 << 60)
    assert fast == regex
    return fast


def grid_sheet(rows: int = 40, columns: int = 30, *, dimension: str | None = "auto", extra: bytes = b"",
               extra_row: int = 20, head: bytes = SHEET_HEAD) -> bytes:
    """A sheet of numbers as writers spell it (<c r="B7" s="1"><v>..</v></c>), `extra` cells appended to
    row `extra_row`; the dimension is the real one unless given."""
    from ntm_data.limits import column_letters

    body = []
    for r in range(1, rows + 1):
        cells = b"".join(b'<c r="%s%d" s="1"><v>%d</v></c>' % (column_letters(c).encode(), r, c)
                         for c in range(1, columns + 1))
        body.append(b'<row r="%d" spans="1:%d">' % (r, columns) + cells + (extra if r == extra_row else b"")
                    + b"</row>")
    if dimension == "auto":
        dimension = f"A1:{column_letters(columns)}{rows}"
    cols = b'<cols><col min="1" max="2" width="9"/></cols>'
    return minimal_xlsx(sheet_xml(body, dimension=dimension, head=head + cols))


@pytest.mark.parametrize(("extra", "expected"), [
    (b"", (40, 30)),
    (b'<c r="AD40"><v>1</v></c>', (40, 30)),  # the exact corner
    (b'<c r="AD41"><v>1</v></c>', (41, 30)),  # one row past it
    (b'<c r="AE40"><v>1</v></c>', (40, 31)),  # one column past it
    (b'<c r="AE41"/>', (41, 31)),  # both, self-closing
    (b'<c r="A9"/><c r="AD900"><v>1</v></c><c r="B9"/>', (900, 30)),  # out of order inside a normal row
    (b'<c r="ZZ5"><v>1</v></c>', (40, 702)),
    (b'<c r="a40"><v>1</v></c>', (40, 30)),  # lower case: calamine reads it; the regex places it
    (b'<c r="ae40"><v>1</v></c>', (40, 31)),
    (b'<c r="$AE$40"><v>1</v></c>', (40, 31)),  # "$": not proven, placed at AE40
    (b'<c r="A040"><v>1</v></c>', (40, 30)),  # leading zero: placed (row 40)
    (b'<c r="A0"><v>1</v></c>', (40, 30)),  # row 0
    (b'<c r="A45" ><v>1</v></c>', (45, 30)),  # space before ">"
    (b"<c r='A46'><v>1</v></c>", (46, 30)),  # single quotes
    (b'<c  r="A47"><v>1</v></c>', (47, 30)),  # two spaces
    (b'<c\tr="A48"><v>1</v></c>', (48, 30)),  # tab after "<c"
    (b'<c\nr="AF40"><v>1</v></c>', (40, 32)),  # newline after "<c"
    (b'<c s="1" r="A49"><v>1</v></c>', (49, 30)),  # r not first
    (b'<col min="1"/><cols/><color rgb="FF0000FF"/>', (40, 30)),  # not cells
    (b'<c r="A1"', (40, 30)),  # a tag cut short at the end of its row
])
def test_vectorised_check_places_what_the_regex_places(monkeypatch, extra, expected):
    stats = both_ways(grid_sheet(extra=extra), monkeypatch)
    sheet = stats.sheets[0]
    assert (sheet.rows, sheet.columns) == expected


@pytest.mark.parametrize(("extra", "code"), [
    (b'<c r="AAA40"><v>1</v></c>', "limit.columns"),  # three letters: column 703
    (b'<c r="XFD1048576"><v>1</v></c>', "limit.rows"),
    (b'<c r="A900000"/>', "limit.rows"),  # far row, self-closing, inside a normal row
    (b'<c r="B123456789012"><v>1</v></c>', "limit.rows"),  # 12 digits: more than the 8 bytes looked at
    (b"<c><v>1</v></c>" * 700, "limit.columns"),  # without r: placed one by one after the row's last cell
    (b"<c/>" * 700 + b"<c><v>1</v></c>", "limit.columns"),  # "<c/>" (several in 8 bytes) still moves right
    (b'<x:c r="A1"/>' + b"<x:c><x:v>1</x:v></x:c>" * 702, "limit.columns"),  # a namespace prefix
])
def test_vectorised_check_refuses_what_the_regex_refuses(monkeypatch, extra, code):
    assert both_ways(grid_sheet(extra=extra), monkeypatch).code == code


@pytest.mark.parametrize("dimension", [None, "A1:B2", "A1:AD40", "A1:C3", "A1:ZZ1", "AD40"])
def test_vectorised_check_with_any_dimension(monkeypatch, dimension):
    """Without one the corner comes from the sheet's head; a lying one is widened cell by cell."""
    stats = both_ways(grid_sheet(dimension=dimension, extra=b'<c r="AE7"><v>1</v></c>'), monkeypatch)
    assert (stats.sheets[0].rows, stats.sheets[0].columns) >= (40, 31)


def test_vectorised_check_with_three_letter_corner(monkeypatch):
    """Corner AAC12: three letters and four digits still fit the 8 bytes the check reads."""
    limits = Limits(max_columns=800, max_cells=10_000_000)
    stats = both_ways(grid_sheet(rows=12, columns=705, extra=b'<c r="AAC12"/>', extra_row=12), monkeypatch, limits)
    assert (stats.sheets[0].rows, stats.sheets[0].columns) == (12, 705)
    error = both_ways(grid_sheet(rows=12, columns=705, extra=b'<c r="AEA12"/>', extra_row=12), monkeypatch, limits)
    assert error.code == "limit.columns" and error.params["columns"] == "807"


@pytest.mark.parametrize("piece", [997, 4096])
def test_vectorised_check_across_piece_boundaries(monkeypatch, piece):
    """Pieces far shorter than a row: every tag is cut by some piece boundary somewhere."""
    stats = both_ways(grid_sheet(extra=b'<c r="AE12"/><c r="A41"/>', extra_row=12), monkeypatch, piece=piece)
    # AE12 widens the corner (and doubles its rows), so A41 falls inside it: out-of-order rows are only
    # bounded, the last row of each piece keeps the depth exact.
    assert (stats.sheets[0].rows, stats.sheets[0].columns) == (40, 31)
    error = both_ways(grid_sheet(extra=b'<c r="AD600000"/>', extra_row=12), monkeypatch, piece=piece)
    assert error.code == "limit.rows"


def test_vectorised_check_notes_special_cells(monkeypatch):
    extra = b'<c r="C20" t="e"><v>#N/A</v></c><c r="D20"><f>SUM(A1:A2)</f></c>'
    sheet = both_ways(grid_sheet(extra=extra), monkeypatch).sheets[0]
    assert sheet.special == ((19, 2, "error", "#N/A"), (19, 3, "formula", "SUM(A1:A2)"))


def test_unproven_cells_is_a_superset_of_the_regex_matches():
    """On random cell tags (any spelling, any corner) every "<c" the regex stops on is handed to it,
    and nothing but "<c" positions is."""
    from ntm_data.limits import _bounds, _unproven_cells, _within

    rng = random.Random(11)
    pieces = [b'<c r="', b"<c ", b"<c>", b"<c/>", b"<c\t", b"<col ", b"<x:c ", b'r="', b'"', b"'", b"$", b"0", b"1",
              b"9", b"A", b"Z", b"a", b"AB", b"ZZZ", b"12345", b"99999999", b" s=\"1\"", b"/>", b">", b"<v>1</v></c>"]
    for _ in range(300):
        text = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 120)))
        rows, columns = rng.choice([1, 9, 10, 99, 100, 12345, 999999]), rng.choice([1, 26, 27, 52, 702, 703, 16384])
        bounds = _bounds(rows, columns)
        if bounds is None:
            continue
        start = rng.randint(0, 3) if len(text) > 3 else 0
        end = rng.randint(start, len(text)) if text else 0
        if end - start < 2:
            continue
        _, unproven = _unproven_cells(text, start, end, bounds)
        matched = [m.start() for m in _within(rows, columns).finditer(text, start, end)]
        assert set(matched) <= set(unproven), (text, start, end, rows, columns)
        assert all(text.startswith(b"<c", pos) and start <= pos < end - 1 for pos in unproven)
        assert unproven == sorted(set(unproven))


def test_vectorised_check_agrees_with_the_regex_on_random_sheets(monkeypatch):
    """Random sheets of cells near a random corner, spelled in every way the regex treats apart."""
    from ntm_data.limits import column_letters

    rng = random.Random(5)

    def ref(rows: int, columns: int) -> str:
        column = column_letters(max(1, columns + rng.randint(-3, 2)))
        row = str(max(0, rows + rng.randint(-3, 2)))
        spelling = rng.random()
        if spelling < 0.05:
            return f" r='{column}{row}'"
        if spelling < 0.1:
            return f' r="{column.lower()}0{row}"'
        if spelling < 0.13:
            return ""
        return f' r="{column}{row}"'

    for _ in range(60):
        rows, columns = rng.randint(1, 120), rng.randint(1, 60)
        body = []
        for r in range(1, rng.randint(2, 30)):
            cells = "".join(rng.choice([f"<c{ref(rows, columns)}/>", f'<c{ref(rows, columns)} s="1"><v>1</v></c>',
                                        f'<c r="{column_letters(rng.randint(1, columns))}{r}"><v>2</v></c>'])
                            for _ in range(rng.randint(0, 12)))
            body.append(f'<row r="{r}">{cells}</row>'.encode())
        dimension = rng.choice([None, f"A1:{column_letters(columns)}{rows}", "A1:B2"])
        limits = Limits(max_rows=rng.randint(50, 200), max_columns=rng.randint(30, 80), max_cells=rng.randint(500, 9000))
        both_ways(minimal_xlsx(sheet_xml(body, dimension=dimension)), monkeypatch, limits, block=rng.choice([3, 64, 999]))

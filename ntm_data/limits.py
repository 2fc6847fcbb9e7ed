"""Safety limits checked on uploaded bytes before any parser sees them: size, zip bombs, XML entity bombs
and cell counts. Everything here reads the zip container itself, in bounded chunks, with no XML parser."""
from __future__ import annotations

import os
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from posixpath import dirname, join, normpath

from ntm_data.model import Issue, ReadError, Severity

MB = 1024 * 1024
DEFAULT_MAX_UPLOAD_MB = 50  # a province's status workbook is under 5 MB; ten times that is still a real file
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_CHUNK = 256 * 1024  # inflate this much at a time, so a bomb is stopped after at most one chunk too many
_HEAD = 64 * 1024  # the <dimension> element sits in the first few hundred bytes of a worksheet part
_SMALL_PART = MB  # parts smaller than this may compress at any ratio (empty styles, tiny XML)
_INDEX_PARTS = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")
_INDEX_MAX = 4 * MB  # the workbook index is read whole to name sheets; a real one is a few KB

# Markup that declares entities. Entity expansion ("billion laughs") needs a DOCTYPE, so a part with one
# is refused; Office never writes one. UTF-16 spellings are checked too, since XML may be UTF-16. Each
# chunk is first scanned for "!", which is one fast pass.
_DECLARATIONS = tuple(
    token.encode(enc) for token in ("<!DOCTYPE", "<!ENTITY") for enc in ("ascii", "utf-16-le", "utf-16-be")
)
_BANG = b"!"  # every token has one; memchr finds it at memory speed, and sheet XML rarely has any
# The root element, whose namespace prefix (<x:worksheet>) the cell and row tags share.
_ROOT = re.compile(rb"<([\w.-]+:)?(worksheet|chartsheet|dialogsheet)[\s>/]")
_DIMENSION = re.compile(rb'<(?:[\w.-]+:)?dimension\s+ref="\$?([A-Z]{1,3})\$?(\d{1,12})(?::\$?([A-Z]{1,3})\$?(\d{1,12}))?"')
# Coordinates far from A1 decide the dense grid a reader builds. Columns: every reference of two or
# three letters is looked at (few on ordinary sheets). Rows: writers put rows in ascending order, so the
# last row of a chunk is its deepest; a reference with more digits than that (out of order, as only a
# crafted file has) is searched for per digit count and then read exactly.
# The bare `r="` prefix is 6x faster to scan than `\sr="`; a stray match can only make the check stricter.
_WIDE_REF = re.compile(rb'r="([A-Z]{2,3})\d')
_DEEP_REFS = tuple((10 ** (d - 1), re.compile(rb'r="[A-Z]{0,3}(\d{%d,%d})"' % (d, top)))
                   for d, top in ((7, 12), (6, 6), (5, 5)))
_ROW_NUMBER = re.compile(rb"\d{1,12}")
_EDGE = 24  # bytes kept either side of a chunk boundary; longer than any token looked for


def _env_upload_bytes() -> int:
    """NTM_MAX_UPLOAD_MB (a positive number of megabytes, at most 100 GB), else DEFAULT_MAX_UPLOAD_MB."""
    try:
        value = float(os.environ.get("NTM_MAX_UPLOAD_MB", DEFAULT_MAX_UPLOAD_MB))
    except ValueError:
        value = DEFAULT_MAX_UPLOAD_MB
    return int((value if 0 < value <= 100_000 else DEFAULT_MAX_UPLOAD_MB) * MB)


@dataclass(frozen=True)
class Limits:
    """What an uploaded workbook may not exceed. Defaults fit a national sheet with room to spare."""

    max_upload_bytes: int = field(default_factory=_env_upload_bytes)
    # 8,000 communes x 60 columns of XML is about 100 MB; four times that before we refuse.
    max_uncompressed_bytes: int = 400 * MB
    # Deflate tops out near 1,030:1; real sheet XML compresses 5-30:1. Checked on parts over 1 MB.
    max_compression_ratio: float = 200.0
    # The dense grid a reader builds (rows x columns of a sheet's used range); 8,000 communes x 200
    # columns is 1.6 M.
    max_cells: int = 5_000_000
    # A long sheet of 8,000 communes x 57 sub-indicators has 456,000 rows.
    max_rows: int = 500_000
    # Column ZZ: one value and one mark per sub-indicator plus the criteria is about 200 columns.
    max_columns: int = 702
    max_zip_members: int = 10_000  # a workbook with one sheet per commune of a province has ~1,500


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class SheetSize:
    """What the checks measured for one worksheet part (cells/rows are the larger of declared and seen)."""

    part: str
    sheet: str | None
    cells: int
    rows: int
    columns: int


@dataclass(frozen=True)
class WorkbookStats:
    """What check_workbook_bytes measured; `kind` is "zip", "ole" or "other"."""

    kind: str
    size: int
    uncompressed: int = 0
    parts: int = 0
    sheets: tuple[SheetSize, ...] = ()


def _refuse(code: str, sheet: str | None = None, **params: object) -> ReadError:
    return ReadError(Issue(Severity.ERROR, f"limit.{code}", sheet=sheet, params=params))


def _mb(n: int) -> str:
    return f"{n / MB:.1f}"


def column_number(letters: bytes | str) -> int:
    """Excel column letters -> 1-based number: "A" -> 1, "ZZ" -> 702, "XFD" -> 16384."""
    number = 0
    for ch in letters if isinstance(letters, str) else letters.decode("ascii"):
        number = number * 26 + ord(ch) - 64
    return number


def check_workbook_bytes(data: bytes, limits: Limits = DEFAULT_LIMITS) -> None:
    """Raise ReadError(Issue("limit.<what>")) when `data` is too big or built to exhaust a parser.

    Run before python-calamine or openpyxl sees the bytes. Checks the upload size; for zip-based files
    (.xlsx, .xlsm, .ods) also the number of parts, the declared and the real inflated sizes and ratios,
    any DOCTYPE/ENTITY declaration in any part, and each worksheet's rows, columns and cells. Legacy
    OLE files (.xls, encrypted .xlsx) get the size check only, and other bytes pass through (telling
    "not a workbook" apart is the reader's job). A zip whose directory cannot be read is refused as the
    reader's corrupt_workbook: what cannot be checked is not handed on.
    """
    workbook_stats(data, limits)


def read_checked(source: str | Path | bytes, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The bytes of a path or bytes source after check_workbook_bytes passed on them. A file larger than
    the upload limit is refused from its size on disk, before it is read into memory. A missing path
    raises the reader's file_not_found."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    else:
        path = Path(source)
        if not path.is_file():
            raise ReadError(Issue(Severity.ERROR, "file_not_found", params={"name": str(path)}))
        size = path.stat().st_size
        if size > limits.max_upload_bytes:
            raise _refuse("upload_size", size_mb=_mb(size), max_mb=_mb(limits.max_upload_bytes))
        data = path.read_bytes()
    check_workbook_bytes(data, limits)
    return data


def workbook_stats(data: bytes, limits: Limits = DEFAULT_LIMITS) -> WorkbookStats:
    """check_workbook_bytes, returning what it measured (for tests and benchmarks)."""
    if not isinstance(data, bytes):
        data = bytes(data)
    size = len(data)
    if size > limits.max_upload_bytes:
        raise _refuse("upload_size", size_mb=_mb(size), max_mb=_mb(limits.max_upload_bytes))
    if not data.startswith(_ZIP_MAGIC):
        return WorkbookStats(kind="ole" if data[:4] == b"\xd0\xcf\x11\xe0" else "other", size=size)
    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, struct.error):
        raise ReadError(Issue(Severity.ERROR, "corrupt_workbook")) from None
    with archive:
        return _check_zip(data, archive, limits)


def _check_zip(data: bytes, archive: zipfile.ZipFile, limits: Limits) -> WorkbookStats:
    members = archive.infolist()
    if len(members) > limits.max_zip_members:
        raise _refuse("zip_members", count=f"{len(members):,}", max=f"{limits.max_zip_members:,}")
    declared = sum(m.file_size for m in members)
    if declared > limits.max_uncompressed_bytes:
        raise _refuse("uncompressed_size", size_mb=_mb(declared), max_mb=_mb(limits.max_uncompressed_bytes))
    for m in members:
        if m.file_size >= _SMALL_PART and m.file_size > limits.max_compression_ratio * max(m.compress_size, 1):
            raise _refuse(
                "compression_ratio", part=m.filename, ratio=round(m.file_size / max(m.compress_size, 1)),
                max_ratio=round(limits.max_compression_ratio),
            )
        if m.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or m.flag_bits & 0x1:
            raise _refuse("zip_feature", part=m.filename)
    # The workbook index first, so a worksheet refused later can be named by its sheet name.
    ordered = sorted(members, key=lambda m: m.filename not in _INDEX_PARTS)
    index: dict[str, bytes] = {}
    names: dict[str, str] | None = None
    sheets: list[SheetSize] = []
    total = 0
    for member in ordered:
        if names is None and member.filename not in _INDEX_PARTS:
            names = _sheet_names(index)
        scan = _PartScan(member.filename, limits, names or {})
        keep = member.filename in _INDEX_PARTS and member.file_size <= _INDEX_MAX
        kept: list[bytes] = []
        for chunk in _inflate(data, member):
            total += len(chunk)
            if total > limits.max_uncompressed_bytes:
                raise _refuse("uncompressed_size", size_mb=_mb(total), max_mb=_mb(limits.max_uncompressed_bytes))
            scan.feed(chunk)
            if keep:
                kept.append(chunk)
        if keep:
            index[member.filename] = b"".join(kept)
        sheet = scan.finish()
        if sheet is not None:
            sheets.append(sheet)
    return WorkbookStats(kind="zip", size=len(data), uncompressed=total, parts=len(members), sheets=tuple(sheets))


def _inflate(data: bytes, member: zipfile.ZipInfo):
    """Yield the member's real inflated bytes in chunks; refuse output beyond its declared size, since
    some readers trust the compressed stream rather than the header."""
    offset = member.header_offset
    header = data[offset:offset + 30]
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise _refuse("zip_mismatch", part=member.filename)
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    start = offset + 30 + name_len + extra_len
    raw = memoryview(data)[start:start + member.compress_size]
    if len(raw) < member.compress_size:
        raise _refuse("zip_mismatch", part=member.filename)
    if member.compress_type == zipfile.ZIP_STORED:
        if member.compress_size != member.file_size:
            raise _refuse("zip_mismatch", part=member.filename)
        for pos in range(0, len(raw), _CHUNK):
            yield bytes(raw[pos:pos + _CHUNK])
        return
    inflater = zlib.decompressobj(-15)
    produced = 0
    pos = 0
    pending = b""
    try:
        while True:
            if inflater.unconsumed_tail:
                chunk = inflater.decompress(inflater.unconsumed_tail, _CHUNK)
            elif pos < len(raw):
                pending = bytes(raw[pos:pos + _CHUNK])
                pos += len(pending)
                chunk = inflater.decompress(pending, _CHUNK)
            else:
                chunk = inflater.flush()
                if chunk:
                    produced += len(chunk)
                    if produced > member.file_size:
                        raise _refuse("zip_mismatch", part=member.filename)
                    yield chunk
                break
            produced += len(chunk)
            if produced > member.file_size:
                raise _refuse("zip_mismatch", part=member.filename)
            if chunk:
                yield chunk
            if inflater.eof:
                break
    except zlib.error:
        raise _refuse("zip_mismatch", part=member.filename) from None
    if produced != member.file_size:
        raise _refuse("zip_mismatch", part=member.filename)


class _PartScan:
    """Streaming checks on one part's inflated bytes: declarations, and for a worksheet its size."""

    def __init__(self, part: str, limits: Limits, names: dict[str, str]):
        self.part = part
        self.limits = limits
        self.listed = part in names or part.startswith("xl/worksheets/")
        self.sheet = names.get(part)
        self.pending: list[bytes] = []
        self.pending_len = 0
        self.worksheet: bool | None = None
        self.cell_tags: tuple[bytes, ...] = ()
        self.row_tags: tuple[bytes, ...] = ()
        self.row_ref = b""
        self.tail = b""
        self.cells = 0
        self.rows = 0
        self.max_row = 0
        self.max_col = 0
        self.dim_rows = 0
        self.dim_cols = 0

    def feed(self, chunk: bytes) -> None:
        # The bytes around the boundary with the previous chunk, where a split token is found.
        edge = self.tail + chunk[:_EDGE]
        if (_BANG in chunk or _BANG in edge) and any(
            token in chunk or token in edge for token in _DECLARATIONS
        ):
            raise _refuse("xml_entities", part=self.part)
        if self.worksheet is None:
            self.pending.append(chunk)
            self.pending_len += len(chunk)
            if self.pending_len >= _HEAD:
                self._decide()
        elif self.worksheet:
            self._count(chunk, edge, len(self.tail))
        self.tail = (self.tail + chunk)[-_EDGE:]

    def _decide(self) -> None:
        head = b"".join(self.pending)
        self.pending = []
        root = _ROOT.search(head[:_HEAD])
        # A part the workbook lists as a sheet is counted even if its root hides behind a long comment.
        self.worksheet = root.group(2) == b"worksheet" if root else self.listed
        if not self.worksheet:
            return
        prefix = b"<" + ((root.group(1) or b"") if root else b"")
        # "<c" and "<row" also match <col>, <cfRule>, <rowBreaks> (a few per sheet: stricter, never
        # looser) but catch every spelling of a cell or row tag (<c>, <c r=..>, <c\tr=..>).
        self.cell_tags = (prefix + b"c",)
        self.row_tags = (prefix + b"row",)
        self.row_ref = prefix + b'row r="'
        dim = _DIMENSION.search(head[:_HEAD])
        if dim:
            c0, r0, c1, r1 = dim.groups()
            c1, r1 = c1 or c0, r1 or r0
            self.dim_cols = abs(column_number(c1) - column_number(c0)) + 1
            self.dim_rows = abs(int(r1) - int(r0)) + 1
            # A reader's grid starts at A1 (skip_empty_area=False), so the far corner is what counts.
            self.max_col = max(column_number(c0), column_number(c1))
            self.max_row = max(int(r0), int(r1))
            self._check()
        self._count(head, b"", 0)

    def _count(self, chunk: bytes, edge: bytes, split: int) -> None:
        self.cells += sum(chunk.count(tag) + _spanning(edge, split, tag) for tag in self.cell_tags)
        self.rows += sum(chunk.count(tag) + _spanning(edge, split, tag) for tag in self.row_tags)
        last = chunk.rfind(self.row_ref)
        if last != -1:
            number = _ROW_NUMBER.match(chunk, last + len(self.row_ref))
            if number:
                self.max_row = max(self.max_row, int(number.group()))
        for text in (chunk, edge):
            wide = _WIDE_REF.findall(text)
            if wide:
                self.max_col = max(self.max_col, max(column_number(c) for c in set(wide)))
            for floor, pattern in _DEEP_REFS:
                if self.max_row >= floor * 10:
                    break
                if self.max_row < floor and pattern.search(text):
                    self.max_row = max(self.max_row, max(int(r) for r in set(pattern.findall(text))))
        self._check()

    def _check(self) -> None:
        limits, sheet = self.limits, self.sheet
        where = sheet or self.part  # the sheet's name when the workbook index gave it
        rows = max(self.rows, self.max_row)
        if rows > limits.max_rows:
            raise _refuse("rows", sheet=sheet, where=where, rows=f"{rows:,}", max_rows=f"{limits.max_rows:,}")
        if self.max_col > limits.max_columns:
            raise _refuse("columns", sheet=sheet, where=where, columns=f"{self.max_col:,}",
                          max_columns=f"{limits.max_columns:,}")
        cells = self._cells()
        if cells > limits.max_cells:
            raise _refuse("cells", sheet=sheet, where=where, cells=f"{cells:,}", max_cells=f"{limits.max_cells:,}")

    def _cells(self) -> int:
        return max(self.cells, self.dim_rows * self.dim_cols, self.max_row * self.max_col)

    def finish(self) -> SheetSize | None:
        if self.worksheet is None:
            self._decide()
        if not self.worksheet:
            return None
        return SheetSize(
            part=self.part, sheet=self.sheet, rows=max(self.rows, self.max_row, self.dim_rows),
            columns=max(self.max_col, self.dim_cols), cells=self._cells(),
        )


def _spanning(edge: bytes, split: int, tag: bytes) -> int:
    """Occurrences of `tag` in `edge` that cross position `split` (the chunk boundary)."""
    if not split:
        return 0
    count, start = 0, edge.find(tag)
    while start != -1:
        if start < split < start + len(tag):
            count += 1
        start = edge.find(tag, start + 1)
    return count


_SHEET_ENTRY = re.compile(rb"<(?:[\w.-]+:)?sheet\s[^>]*>")
_ATTR = re.compile(rb'([\w.:-]+)\s*=\s*"([^"]*)"')
_REL_ENTRY = re.compile(rb"<(?:[\w.-]+:)?Relationship\s[^>]*>")


def _sheet_names(index: dict[str, bytes]) -> dict[str, str]:
    """Worksheet part path -> sheet name, from the workbook index (already scanned for declarations)."""
    book, rels = index.get(_INDEX_PARTS[0], b""), index.get(_INDEX_PARTS[1], b"")
    targets: dict[str, str] = {}
    for entry in _REL_ENTRY.findall(rels):
        attrs = dict(_ATTR.findall(entry))
        if b"Id" in attrs and b"Target" in attrs:
            target = _unescape(attrs[b"Target"])
            path = target.lstrip("/") if target.startswith("/") else normpath(join(dirname(_INDEX_PARTS[0]), target))
            targets[_unescape(attrs[b"Id"])] = path
    names: dict[str, str] = {}
    for entry in _SHEET_ENTRY.findall(book):
        attrs = {k.split(b":")[-1]: v for k, v in _ATTR.findall(entry)}
        rid = attrs.get(b"id")
        if rid is not None and b"name" in attrs and _unescape(rid) in targets:
            names[targets[_unescape(rid)]] = _unescape(attrs[b"name"])
    return names


def _unescape(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace")
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&amp;", "&")):
        text = text.replace(entity, char)
    return text

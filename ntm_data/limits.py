"""Safety limits checked on uploaded bytes before any parser sees them: size, zip bombs, XML entity bombs
and far-away cells. One pass inflates each zip part once, in bounded pieces, with no XML parser; the same
pass notes the cells python-calamine reads as empty although they hold an error or an unsaved formula."""
from __future__ import annotations

import html
import os
import re
import struct
import sys
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from posixpath import dirname, join, normpath

import numpy as np

try:  # ISA-L inflates about 2.5x faster than zlib, with zlib's API
    from isal import isal_zlib as _zlib
except ImportError:  # pragma: no cover - isal ships wheels for every platform we run on
    import zlib as _zlib

from ntm_data.model import Issue, ReadError, Severity

MB = 1024 * 1024
DEFAULT_MAX_UPLOAD_MB = 50  # a province's status workbook is under 5 MB; ten times that is still a real file
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_INPUT = MB  # compressed bytes handed to the inflater at a time
_PIECE = 4 * MB  # inflated bytes per piece, so a bomb is stopped after at most one piece too many
_HEAD = 64 * 1024  # the root element and <dimension> sit in the first few hundred bytes of a worksheet
_SMALL_PART = MB  # parts smaller than this may compress at any ratio (empty styles, tiny XML)
_INDEX_PARTS = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")
_INDEX_MAX = 4 * MB  # the workbook index is read whole to name sheets; a real one is a few KB

# The root element, whose namespace prefix (<x:worksheet>) the cell tags share.
_ROOT = re.compile(rb"<([\w.-]+:)?(worksheet|chartsheet|dialogsheet)[\s>/]")
_DIMENSION = re.compile(rb'<dimension\s+ref="\$?([A-Z]{1,3})\$?(\d{1,12})(?::\$?([A-Z]{1,3})\$?(\d{1,12}))?"')
# python-calamine places a cell (<c>, any namespace prefix) at its r="B7" reference, or, without one, after
# the previous cell of its row; it builds a dense grid over the cells it placed, so one cell far away
# makes it allocate gigabytes and abort the whole process (SIGABRT; seen with python-calamine 0.9). The
# <dimension> every real writer emits may lie, so every cell is looked at: every "<c" is found with numpy
# and its r="REF" decoded with array operations, and only the tags not proven inside the dimension are
# handed to one regex, which stops on the rest (see _SheetScan). Calamine does refuse a part that
# inflates past its declared size by itself ("File is larger than its declared uncompressed size"),
# but the sizes are checked here too, since every part is inflated anyway.
_PREFIXED_CELL = re.compile(rb":c[\s/>]")
_ATTR = re.compile(rb"""([\w.:-]+)\s*=\s*("[^"]*"|'[^']*')""")
_REF = re.compile(rb"\$?([A-Za-z]{1,7})\$?(\d{1,12})")
_HEAD_REFS = re.compile(rb'<c r="([A-Z]{1,3})(\d{1,7})"')
_ROW_NUMBER = re.compile(rb"\d{1,12}")
# Row end tags, and row and cell start tags with their r attribute and whether they close themselves.
_WALK = re.compile(rb"""<(?:/(?:[\w.-]+:)?(row)\s*>|(?:[\w.-]+:)?(row|c)(?=[\s/>])"""
                   rb"""(?:[^>]*?\sr\s*=\s*["']([^"']*)["'])?[^>]*?(/?)>)""")
# Cells that python-calamine reads as empty: error values and formulas saved without their result.
_ERROR_CELL = re.compile(rb'<c r="([A-Z]{1,3})(\d{1,7})"[^>]*?\bt="e"[^>]*>(?:<f[^>]*/>|<f[^>]*>[^<]*</f>)?'
                         rb"<v>([^<]*)</v>")
_BARE_FORMULA = re.compile(rb'<c r="([A-Z]{1,3})(\d{1,7})"[^>]*>(?:<f[^>]*/>|<f[^>]*>([^<]*)</f>)'
                           rb"(?:<v\s*/>|<v></v>)?</c>")


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
    """One worksheet part: the far corner of the grid a reader builds from A1 (the declared dimension, or
    the farthest cell when that is farther: exact for rows written in order, as every writer does; a
    crafted sheet is only known to fit the limits), and its cells that python-calamine reads as empty:
    (row, col, "error", "#DIV/0!") or (row, col, "formula", "IF(...)"), 0-based."""

    part: str
    sheet: str | None
    cells: int
    rows: int
    columns: int
    special: tuple[tuple[int, int, str, str], ...] = ()


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


def column_letters(number: int) -> str:
    """1-based column number -> Excel letters: 1 -> "A", 702 -> "ZZ" ("" for 0)."""
    letters = ""
    while number > 0:
        number, rem = divmod(number - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def check_grid_size(rows: int, columns: int, sheet: str | None, where: str,
                    limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a grid from A1 to (rows, columns) that exceeds the row, column or cell limit. The reader
    also runs it on each parsed sheet, so that formats the byte checks cannot see into (.xls, .ods) are
    held to the same limits before their grid is copied into Python lists."""
    if rows > limits.max_rows:
        raise _refuse("rows", sheet=sheet, where=where, rows=f"{rows:,}", max_rows=f"{limits.max_rows:,}")
    if columns > limits.max_columns:
        raise _refuse("columns", sheet=sheet, where=where, columns=f"{columns:,}",
                      max_columns=f"{limits.max_columns:,}")
    if rows * columns > limits.max_cells:
        raise _refuse("cells", sheet=sheet, where=where, cells=f"{rows * columns:,}",
                      max_cells=f"{limits.max_cells:,}")


def check_workbook_bytes(data: bytes, limits: Limits = DEFAULT_LIMITS) -> None:
    """Raise ReadError(Issue("limit.<what>")) when `data` is too big or built to exhaust a parser.

    Run before python-calamine or openpyxl sees the bytes. Checks the upload size; for zip-based files
    (.xlsx, .xlsm, .ods) also the number of parts, the declared and the real inflated sizes and ratios,
    a DOCTYPE/ENTITY declaration before any part's root element, and each worksheet's rows, columns and
    cells. Legacy OLE files (.xls, encrypted .xlsx) get the size check only, and other bytes pass through
    (telling "not a workbook" apart is the reader's job). A zip whose directory cannot be read is refused
    as the reader's corrupt_workbook: what cannot be checked is not handed on.
    """
    workbook_stats(data, limits)


def read_checked(source: str | Path | bytes, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The bytes of a path or bytes source after check_workbook_bytes passed on them."""
    return checked(source, limits)[0]


def checked(source: str | Path | bytes, limits: Limits = DEFAULT_LIMITS) -> tuple[bytes, WorkbookStats]:
    """The bytes of a path or bytes source and what the checks measured on them. A file larger than the
    upload limit is refused from its size on disk, before it is read into memory. A missing path raises
    the reader's file_not_found."""
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
    return data, workbook_stats(data, limits)


def workbook_stats(data: bytes, limits: Limits = DEFAULT_LIMITS) -> WorkbookStats:
    """check_workbook_bytes, returning what it measured (for the reader, tests and benchmarks)."""
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
        listed = member.filename in (names or {}) or member.filename.startswith("xl/worksheets/")
        scan = _SheetScan(member.filename, (names or {}).get(member.filename), listed, limits)
        try:
            inflated = _scan_part(data, member, scan, total, limits)
            if scan.mode == "probe":
                scan = _SheetScan(member.filename, scan.sheet, listed, limits, "fast", (scan.rows, scan.columns))
                _scan_part(data, member, scan, total, limits)
        except _Unplaced:  # cells without a reference: place them one by one, as calamine does
            scan = _SheetScan(member.filename, scan.sheet, listed, limits, "walk")
            inflated = _scan_part(data, member, scan, total, limits)
        total += inflated
        if member.filename in _INDEX_PARTS and member.file_size <= _INDEX_MAX:
            index[member.filename] = b"".join(scan.kept)
        if scan.mode != "other":
            sheets.append(scan.size())
    return WorkbookStats(kind="zip", size=len(data), uncompressed=total, parts=len(members), sheets=tuple(sheets))


def _scan_part(data: bytes, member: zipfile.ZipInfo, scan: _SheetScan, total: int, limits: Limits) -> int:
    """Feed the member's inflated pieces to its prolog check and `scan`; return its inflated size."""
    prolog = _Prolog(member.filename)
    inflated = 0
    keep = member.filename in _INDEX_PARTS and member.file_size <= _INDEX_MAX
    for piece in _inflate(data, member):
        inflated += len(piece)
        if total + inflated > limits.max_uncompressed_bytes:
            raise _refuse("uncompressed_size", size_mb=_mb(total + inflated),
                          max_mb=_mb(limits.max_uncompressed_bytes))
        prolog.feed(piece)
        scan.feed(piece)
        if keep:
            scan.kept.append(piece)
    scan.feed(b"", final=True)
    return inflated


def _inflate(data: bytes, member: zipfile.ZipInfo):
    """Yield the member's real inflated bytes in pieces; refuse output beyond its declared size (some
    readers trust the stream rather than the header) or short of it."""
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
        for pos in range(0, len(raw), _PIECE):
            yield bytes(raw[pos:pos + _PIECE])
        return
    inflater = _zlib.decompressobj(-15)
    produced = 0
    pos = 0
    try:
        while not inflater.eof:
            if inflater.unconsumed_tail:
                piece = inflater.decompress(inflater.unconsumed_tail, _PIECE)
            elif pos < len(raw):
                piece = inflater.decompress(bytes(raw[pos:pos + _INPUT]), _PIECE)
                pos += _INPUT
            else:
                piece = inflater.flush()
                if not piece:
                    break
            produced += len(piece)
            if produced > member.file_size:
                raise _refuse("zip_mismatch", part=member.filename)
            if piece:
                yield piece
    except _zlib.error:
        raise _refuse("zip_mismatch", part=member.filename) from None
    if produced != member.file_size:
        raise _refuse("zip_mismatch", part=member.filename)


class _Prolog:
    """Refuses a part that declares a DOCTYPE or ENTITY, which XML allows only before the root element
    (entity expansion needs one; Office never writes one). Reads only up to the root's start tag, skipping
    comments and processing instructions; UTF-16 parts are decoded first."""

    def __init__(self, part: str):
        self.part = part
        self.done = False
        self.codec: str | None = None
        self.odd = b""  # a UTF-16 code unit split by a piece boundary
        self.text = b""  # not yet decided: starts at a "<" or inside a comment / instruction
        self.closing: bytes | None = None  # "-->" or "?>" while inside one

    def feed(self, piece: bytes) -> None:
        if self.done:
            return
        if self.codec is None:
            head = piece[:2]
            utf16 = head in (b"\xff\xfe", b"<\x00") and "utf-16-le" or head in (b"\xfe\xff", b"\x00<") and "utf-16-be"
            self.codec = utf16 or ""
        if self.codec:
            piece = self.odd + piece
            cut = len(piece) - len(piece) % 2
            piece, self.odd = piece[:cut].decode(self.codec, "replace").encode(), piece[cut:]
        text = self.text + piece
        pos = 0
        while True:
            if self.closing:
                end = text.find(self.closing, pos)
                if end == -1:
                    self.text = text[-2:]
                    return
                pos, self.closing = end + len(self.closing), None
            pos = text.find(b"<", pos)
            if pos == -1:
                self.text = b""
                return
            if len(text) - pos < 9:
                self.text = text[pos:]
                return
            if text.startswith(b"<!--", pos):
                self.closing, pos = b"-->", pos + 4
            elif text.startswith(b"<?", pos):
                self.closing, pos = b"?>", pos + 2
            elif text[pos:pos + 9].upper().startswith((b"<!DOCTYPE", b"<!ENTITY")):
                raise _refuse("xml_entities", part=self.part)
            else:  # the root element (or, in a binary part, any other "<")
                self.done, self.text = True, b""
                return


class _Unplaced(Exception):
    """A worksheet has cells without an r="REF": start again and place every cell in order."""


@lru_cache(maxsize=64)
def _within(rows: int, columns: int) -> re.Pattern[bytes]:
    """A regex finding every cell start tag except <c r="REF"> with REF inside A1:(columns, rows).
    Column alternatives of the corner's length come first (most cells of a wide sheet have them) and
    shorter numbers are matched possessively: about 1.5x faster than the plain spelling."""
    letters = column_letters(columns)
    cols = _up_to(letters, "A", "A", "Z") + ([f"[A-Z]{{1,{len(letters) - 1}}}+"] if len(letters) > 1 else [])
    digits = str(rows)
    shorter = [f"[1-9][0-9]{{0,{len(digits) - 2}}}+"] if len(digits) > 1 else []
    row_alts = [f'{alt}"' for alt in shorter + _up_to(digits, "1", "0", "9")]
    return re.compile(f'<c(?! r="(?:{"|".join(cols)})(?:{"|".join(row_alts)}))(?=[\\s/>])'.encode())


# --- The vectorised check: which "<c" tags are surely <c r="REF"> with REF inside the corner
_VECTOR_TEXT = 128 * 1024  # below this numpy's per-call cost outweighs the regex it saves
_BLOCK = 512 * 1024  # text looked at per array step: its temporaries stay in the CPU cache
_CELL_PREFIX = int.from_bytes(b'<c r="', "little")
_BYTE_01 = np.uint64(0x0101010101010101)


@lru_cache(maxsize=64)
def _bounds(rows: int, columns: int) -> tuple[np.uint64, np.uint64] | None:
    """The corner's letters and digits as big-endian numbers (so that numeric order is the order of
    equal-length strings), or None when a reference inside it may not fit the 8 bytes looked at (or the
    machine is big-endian: _proven reads flag bytes as little-endian words)."""
    letters, digits = column_letters(columns), str(rows)
    if not letters or rows < 1 or len(letters) + len(digits) + 1 > 8 or sys.byteorder != "little":
        return None
    return np.uint64(int.from_bytes(letters.encode(), "big")), np.uint64(int.from_bytes(digits.encode(), "big"))


def _unproven_cells(text: bytes, start: int, end: int, bounds: tuple[np.uint64, np.uint64]) -> tuple[bool, list[int]]:
    """Whether text[start:end] holds ":c" (a namespace-prefixed cell may), and, in order, every "<c"
    in it except those proven to start <c r="REF"> with REF inside the corner `bounds` (uppercase
    letters up to the corner's, digits up to its row without a leading zero, then the closing quote,
    all before `end`): tags _within's lookahead lets pass, so the regex still decides on all others."""
    data = np.frombuffer(text, np.uint8)
    size = min(_BLOCK, end - 1 - start) + 8
    flags, nexts = np.zeros(size, np.uint8), np.empty(size, np.bool_)
    first_checked, last_checked = 2, end - 14  # 2 bytes before "<c" and the reference's 8 are read
    colon = False
    unproven: list[np.ndarray] = []
    for lo in range(start, end - 1, _BLOCK):
        hi = min(lo + _BLOCK, end - 1)
        k = hi - lo
        # "<c" and ":c" (and the rare "8c", ">c") in one pass: those four bytes differ only in bits 1-2.
        hit = flags[:k].view(np.bool_)
        np.bitwise_and(data[lo:hi], 0xF9, out=flags[:k])
        np.equal(flags[:k], 0x38, out=hit)
        np.equal(data[lo + 1:hi + 1], 0x63, out=nexts[:k])
        np.logical_and(hit, nexts[:k], out=hit)
        flags[k:k + 8] = 0
        found = _set_bytes(flags[:k + 8 - k % 8].view(np.uint64))
        found += lo
        lead = data[found]
        colon = colon or bool((lead == 0x3A).any())
        tags = found[lead == 0x3C]
        if tags.size and (tags[0] < first_checked or tags[-1] > last_checked):
            inside = (tags >= first_checked) & (tags <= last_checked)
            inside[inside] = _proven(text, tags[inside], *bounds)
            unproven.append(tags[~inside])
        else:
            unproven.append(tags[~_proven(text, tags, *bounds)])
    return colon, np.concatenate(unproven).tolist() if unproven else []


def _set_bytes(words: np.ndarray) -> np.ndarray:
    """Offsets of the non-zero bytes of `words` (each byte 0 or 1), ascending: found a word at a time
    (tags are 8 bytes apart or more in any real sheet), much faster than byte by byte."""
    index = np.flatnonzero(words != 0)
    bits = words[index]
    low = bits & (np.uint64(0) - bits)
    if (bits != low).any():  # two in one word ("<c/><c/>"): take every byte
        return np.flatnonzero(words.view(np.uint8))
    return index * 8 + (np.bitwise_count(low - np.uint64(1)) >> np.uint8(3))


def _proven(text: bytes, tags: np.ndarray, letters_be: np.uint64, digits_be: np.uint64) -> np.ndarray:
    """For "<c" positions `tags` (each at least 2 bytes after the text's start and 14 before its end):
    True where the tag is surely inside the corner. The 8 bytes after '<c r="' are one 64-bit word,
    one flag byte per letter, digit and quote: the letters must be a non-empty prefix, the digits the
    rest up to the first quote, the first digit not "0"; right-aligned big-endian, letters and digits
    then compare as numbers."""
    if not tags.size:
        return np.zeros(0, np.bool_)
    record = np.ndarray((len(text) - 15,), "V16", text, 0, (1,))[tags - 2]  # 2 bytes, '<c r="', 8 bytes
    halves = record.view(np.uint64).reshape(-1, 2)
    word = np.ascontiguousarray(halves[:, 1])
    raw = word.view(np.uint8).reshape(-1, 8)
    shifted = raw - np.uint8(0x30)  # digits 0-9, capital letters 0x11-0x2A
    digit = (shifted < 10).view(np.uint64).ravel()
    letter = (shifted - np.uint8(0x11) < 26).view(np.uint64).ravel()
    zero = (shifted == 0).view(np.uint64).ravel()
    quote = (raw == 0x22).view(np.uint64).ravel()
    before = (quote - np.uint64(1)) & ~quote  # all bits of the bytes before the first quote
    letter &= before
    digit &= before
    letters = letter * np.uint64(0xFF)
    first_digit = letters + np.uint64(1)  # 0x01 in the byte after the last letter
    bad = ((letter | digit) ^ (before & _BYTE_01)) | (letters & first_digit) | (zero & first_digit)
    bad |= (halves[:, 0] >> np.uint64(16)) ^ _CELL_PREFIX
    ok = bad == 0
    # Now the reference is letters then digits; both parts must be non-empty (value 0 wraps round).
    column = word & letters
    row = (word & before) ^ column
    ok &= (column.byteswap() >> (64 - np.bitwise_count(letters))) - np.uint64(1) < letters_be
    ok &= (row.byteswap() >> (64 - np.bitwise_count(before))) - np.uint64(1) < digits_be
    return ok


def _up_to(target: str, first: str, low: str, high: str) -> list[str]:
    """Regex alternatives for the strings as long as `target` (chars low..high, the first from `first`)
    that sort at or before it: equal length makes that numeric order for digits and for column letters."""
    out = []
    for i, ch in enumerate(target):
        floor = first if i == 0 else low
        rest = len(target) - i - 1
        if ch > floor:
            out.append(f"{target[:i]}[{floor}-{chr(ord(ch) - 1)}]" + (f"[{low}-{high}]{{{rest}}}" if rest else ""))
    return [*out, target]


class _SheetScan:
    """One part's inflated pieces: for a worksheet, the far corner of the cells python-calamine would
    place and the cells it would read as empty although they hold an error or a formula.

    Modes, decided on the part's head: "fast" (a <dimension>, or the corner a "probe" pass found, bounds
    the sheet; array operations prove most cells inside it, and one regex stops on the others that are
    outside it or written unusually, which are then placed one by one), "probe" (no dimension: a first pass takes the head's widest column and the last row of each
    piece, then a "fast" pass checks every cell against them), "walk" (cells without references, or
    namespace-prefixed tags: every row and cell tag is followed) and "other" (not a worksheet).
    Pieces are cut after a row's end tag, so that no cell is split between two of them.
    """

    def __init__(self, part: str, sheet: str | None, listed: bool, limits: Limits, mode: str | None = None,
                 corner: tuple[int, int] = (0, 0)):
        self.part, self.sheet, self.listed, self.limits = part, sheet, listed, limits
        self.mode = mode
        self.kept: list[bytes] = []  # the whole part, for the workbook index
        self.decided = False
        self.carry = b""
        self.rows, self.columns = corner  # the far corner so far (declared or seen)
        self.corner = corner  # "fast": every cell outside A1:corner is stopped on and placed
        self.within = _within(*corner) if mode == "fast" else None
        self.row_index = self.col_index = 0  # "walk": where calamine places the next unreferenced cell
        self.in_data = False  # past <sheetData>
        self.special: dict[tuple[int, int], tuple[str, str]] = {}

    def feed(self, piece: bytes, final: bool = False) -> None:
        if self.mode == "other":
            return
        if not self.decided:
            piece = self.carry + piece
            self.carry = b""
            if len(piece) < _HEAD and not final:
                self.carry = piece
                return
            self._decide(piece)
            if self.mode == "other":
                return
        start = 0
        if self.carry:
            first = -1 if final else piece.find(b"row>")
            if first != -1 and len(self.carry) < _PIECE:  # join only the row split by the previous cut
                start = first + 4
                self._scan(self.carry + piece[:start], 0, len(self.carry) + start)
            elif len(self.carry) < _PIECE:
                piece = self.carry + piece
            else:  # a tag longer than a piece: no cell tag is, so its start was enough to check
                self._scan(self.carry, 0, len(self.carry))
            self.carry = b""
        cut = len(piece)
        if not final:
            last = piece.rfind(b"row>", start)
            cut = last + 4 if last != -1 else piece.rfind(b"<", start)
            cut = len(piece) if cut == -1 else cut
            self.carry = piece[cut:]
        if cut > start:
            self._scan(piece, start, cut)

    def _decide(self, text: bytes) -> None:
        self.decided = True
        if self.mode is not None:  # a second pass, told what to do
            return
        root = _ROOT.search(text, 0, _HEAD)
        if not (root.group(2) == b"worksheet" if root else self.listed):
            self.mode = "other"
        elif root and root.group(1):
            self.mode = "walk"
        elif dim := _DIMENSION.search(text, 0, _HEAD):
            c0, r0, c1, r1 = dim.groups()
            self.mode = "fast"
            self._place(max(int(r0), int(r1 or r0)), max(column_number(c0), column_number(c1 or c0)))
            self.corner = (self.rows, self.columns)
            self.within = _within(*self.corner)
        else:
            self.mode = "probe"
            refs = _HEAD_REFS.findall(text, 0, _HEAD)
            if refs:
                self._place(max(int(r) for _, r in refs), max(column_number(c) for c in {c for c, _ in refs}))

    def _scan(self, text: bytes, start: int, end: int) -> None:
        """Check text[start:end], which holds whole rows (or, in a giant row, whole tags)."""
        # Writers put rows in order, so a piece's last row is its deepest (cells out of order are still
        # stopped on by the "fast" regex): this keeps the measured size exact without reading every row.
        last = text.rfind(b'<row r="', start, end)
        if last != -1 and (row := _ROW_NUMBER.match(text, last + 8, end)):
            self._place(int(row[0]), 0)
        if self.mode == "probe":
            return
        self._special(text, start, end)
        if self.mode == "walk":
            self._walk(text, start, end)
            return
        bounds = _bounds(*self.corner) if end - start >= _VECTOR_TEXT else None
        if bounds is None:
            if text.find(b":", start, end) != -1 and _PREFIXED_CELL.search(text, start, end):
                raise _Unplaced
            while m := self.within.search(text, start, end):
                self._place_tag(text, m.start(), end)
                start = m.end()
            return
        colon, unproven = _unproven_cells(text, start, end, bounds)
        if colon and _PREFIXED_CELL.search(text, start, end):
            raise _Unplaced
        # The regex decides on every "<c" not proven inside the corner (it matches nowhere else), in
        # order, so a corner widened by one cell is used for the next, exactly as its own search would.
        for pos in unproven:
            if self.within.match(text, pos, end):
                self._place_tag(text, pos, end)

    def _special(self, text: bytes, start: int, end: int) -> None:
        """Note error cells and formulas saved without a result. Only <sheetData> is looked at, so that
        the letters and marks of the sheet's head and tail do not set off the searches below."""
        if not self.in_data:
            start = text.find(b"sheetData", start, end)
            if start == -1:
                return
            self.in_data = True
        # An error value starts with "#", a formula tag with "<f": without either byte nothing below can match.
        errors = text.find(b"#", start, end) != -1
        formulas = text.find(b"f", start, end) != -1
        if not (errors or formulas):
            return
        data_end = text.find(b"</sheetData", start, end)
        if data_end != -1:  # the last piece: look again, on the cells only
            end = data_end
            errors = errors and text.find(b"#", start, end) != -1
            formulas = formulas and text.find(b"f", start, end) != -1
        if errors and text.find(b't="e"', start, end) != -1:
            for m in _ERROR_CELL.finditer(text, start, end):
                self.special[(int(m[2]) - 1, column_number(m[1]) - 1)] = ("error", html.unescape(m[3].decode()))
        if formulas and text.find(b"<f", start, end) != -1:
            for m in _BARE_FORMULA.finditer(text, start, end):
                formula = html.unescape((m[3] or b"").decode("utf-8", "replace"))
                self.special[(int(m[2]) - 1, column_number(m[1]) - 1)] = ("formula", formula)

    def _place_tag(self, text: bytes, start: int, end: int) -> None:
        close = text.find(b">", start, end)
        attrs = dict(_ATTR.findall(text, start, close if close != -1 else end))
        if b"r" not in attrs:
            raise _Unplaced
        ref = _REF.fullmatch(attrs[b"r"][1:-1])
        if ref:  # calamine rejects the file on any other reference
            self._place(int(ref[2]), column_number(ref[1].upper()))
            if self.rows > self.corner[0] or self.columns > self.corner[1]:
                self._grow()

    def _grow(self) -> None:
        """Widen the "fast" corner to take in the cells placed beyond it: to the widest column placed (so
        the measured width stays exact) and to twice the deepest row while that fits the limits (so few
        regexes are built; each piece's last row keeps the measured depth exact). Cells already passed
        lie inside the old corner: if the new one cannot hold both, every cell is placed instead."""
        limits = self.limits
        rows, columns = max(self.corner[0], self.rows), max(self.corner[1], self.columns)
        if rows * columns > limits.max_cells:
            raise _Unplaced
        rows = max(rows, min(2 * rows, limits.max_rows, limits.max_cells // columns))
        self.corner = (rows, columns)
        self.within = _within(rows, columns)

    def _walk(self, text: bytes, start: int, end: int) -> None:
        """Calamine's own placement: a row's r sets the row, its end moves to column A of the next row,
        a cell's r sets its place (and the column, not the row, of the next unreferenced cell), and an
        unreferenced cell goes right of the previous one in the current row. Calamine
        expands self-closing tags, so a self-closing row ends at once and a self-closing cell (empty,
        so not placed) still moves the next cell right."""
        row_index, col_index, rows, columns = self.row_index, self.col_index, 0, 0
        for row_end, name, ref, empty in _WALK.findall(text, start, end):
            if name == b"c":
                row = row_index  # a referenced cell keeps its own row but leaves the current one as it is
                if ref and (place := _REF.fullmatch(ref)):
                    row, col_index = int(place[2]) - 1, column_number(place[1].upper()) - 1
                if not empty:
                    rows, columns = max(rows, row + 1), max(columns, col_index + 1)
                col_index += 1
                continue
            if name and ref.isdigit():
                row_index = int(ref) - 1
            if row_end or empty:
                row_index, col_index = row_index + 1, 0
        self.row_index, self.col_index = row_index, col_index
        self._place(rows, columns)

    def _place(self, row: int, column: int) -> None:
        if row > self.rows or column > self.columns:
            self.rows, self.columns = max(self.rows, row), max(self.columns, column)
            self._check()

    def _check(self) -> None:
        # The sheet's name when the workbook index gave it, else the part's.
        check_grid_size(self.rows, self.columns, self.sheet, self.sheet or self.part, self.limits)

    def size(self) -> SheetSize:
        special = tuple((r, c, kind, text) for (r, c), (kind, text) in sorted(self.special.items()))
        return SheetSize(part=self.part, sheet=self.sheet, rows=self.rows, columns=self.columns,
                         cells=self.rows * self.columns, special=special)


_SHEET_ENTRY = re.compile(rb"<(?:[\w.-]+:)?sheet\s[^>]*>")
_ATTR_DQ = re.compile(rb'([\w.:-]+)\s*=\s*"([^"]*)"')
_REL_ENTRY = re.compile(rb"<(?:[\w.-]+:)?Relationship\s[^>]*>")


def _sheet_names(index: dict[str, bytes]) -> dict[str, str]:
    """Worksheet part path -> sheet name, from the workbook index (already scanned for declarations)."""
    book, rels = index.get(_INDEX_PARTS[0], b""), index.get(_INDEX_PARTS[1], b"")
    targets: dict[str, str] = {}
    for entry in _REL_ENTRY.findall(rels):
        attrs = dict(_ATTR_DQ.findall(entry))
        if b"Id" in attrs and b"Target" in attrs:
            target = _unescape(attrs[b"Target"])
            path = target.lstrip("/") if target.startswith("/") else normpath(join(dirname(_INDEX_PARTS[0]), target))
            targets[_unescape(attrs[b"Id"])] = path
    names: dict[str, str] = {}
    for entry in _SHEET_ENTRY.findall(book):
        attrs = {k.split(b":")[-1]: v for k, v in _ATTR_DQ.findall(entry)}
        rid = attrs.get(b"id")
        if rid is not None and b"name" in attrs and _unescape(rid) in targets:
            names[targets[_unescape(rid)]] = _unescape(attrs[b"name"])
    return names


def _unescape(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace")
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&amp;", "&")):
        text = text.replace(entity, char)
    return text

"""Vietnamese cell text: NFC, accent folding, commune keys, and numbers, marks, years, periods as typed."""
from __future__ import annotations

import re
import unicodedata

# Administrative prefixes dropped from commune names; longest first so "Thị trấn" wins over "Thị".
_COMMUNE_PREFIXES = ("thi tran", "phuong", "xa", "tt.", "tt", "p.", "x.")


def nfc(text: object) -> str:
    """NFC-normalised text with collapsed white space (non-breaking spaces included), stripped, without
    control or format characters."""
    if text is None:
        return ""
    normal = unicodedata.normalize("NFC", str(text))
    if not normal.isprintable():
        # Control and format characters (NUL from "_x0000_", zero-width space, right-to-left override)
        # are invisible in Excel but make two names differ, or disguise one.
        normal = "".join(ch for ch in normal if ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cf"))
    # str.split() splits on every Unicode white space, the non-breaking space included.
    return " ".join(normal.split())


# Every combining mark of the Basic Multilingual Plane, deleted in one C-level str.translate call
# (fold runs once per distinct cell, tens of thousands of times on a national sheet).
_COMBINING = re.compile(
    "[" + "".join(re.escape(chr(cp)) for cp in range(0x300, 0x10000) if unicodedata.combining(chr(cp))) + "]"
)


def fold(text: object) -> str:
    """Lower-case, accent-free form for matching. đ/Đ are mapped by hand: NFKD does not decompose them."""
    decomposed = unicodedata.normalize("NFKD", nfc(text).replace("đ", "d").replace("Đ", "D"))
    if decomposed.isascii():
        return decomposed.lower()
    return _COMBINING.sub("", decomposed).lower()


def strip_commune_prefix(name: object) -> str:
    """'Xã  Sơn Hồng' -> 'Sơn Hồng' (NFC). Keeps the name whole if nothing would be left."""
    text = nfc(name)
    folded = fold(text)
    for prefix in _COMMUNE_PREFIXES:
        if folded.startswith(prefix + " ") or (prefix.endswith(".") and folded.startswith(prefix)):
            rest = text[len(prefix):].lstrip(" .")
            if rest:
                return rest
    return text


def commune_key(name: object) -> str:
    """Exact matching key for a commune name: NFC, no prefix, case-folded (accents kept: Hà != Hạ)."""
    return strip_commune_prefix(name).casefold()


# --- Parsing cell values typed by people -----------------------------------------------------------

_NUMBER_CLEAN = re.compile(r"[\s\u00a0%‰]+")
_DOT_THOUSANDS = re.compile(r"^[+-]?[1-9]\d{0,2}(\.\d{3})+$")  # "5.000", "1.234.567"
_COMMA_THOUSANDS = re.compile(r"^[+-]?[1-9]\d{0,2}(,\d{3}){2,}$")  # "1,234,567" (one comma is a decimal)
# A digit in a unit only right after a letter ("m2"): "45 triệu 500" is not a number with a unit.
_UNIT_SUFFIX = re.compile(r"^([+-]?\d[\d.,]*)\s+[^\W\d_](?:[^\d]|(?<=[^\W\d_])\d)*$")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def parse_number(value: object) -> float:
    """A number typed in any of the ways status sheets use, as float; NaN when it is not a number.

    Vietnamese sheets write a decimal comma ("95,2"), dot thousands ("5.000", "1.234,5"), a per-cent
    sign ("95,2%", "95.2 %"). A per-cent sign is dropped, not divided: "95,2%" -> 95.2.
    """
    if value is None or isinstance(value, bool):
        return float(value) if isinstance(value, bool) else float("nan")
    if isinstance(value, int | float):
        return float(value)
    text = nfc(value)
    unit = _UNIT_SUFFIX.match(text)
    if unit:  # "45 triệu đồng", "3,6 m2/người": the number before a unit written out
        text = unit.group(1)
    text = _NUMBER_CLEAN.sub("", text)
    if not text:
        return float("nan")
    if "," in text and "." in text:
        # The separator that comes last is the decimal one: "1.234,5" vs "1,234.5".
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif "," in text:
        text = text.replace(",", "") if _COMMA_THOUSANDS.match(text) else text.replace(",", ".")
    elif _DOT_THOUSANDS.match(text):
        text = text.replace(".", "")
    if not _PLAIN_NUMBER.match(text):
        return float("nan")
    return float(text)


def has_percent_sign(value: object) -> bool:
    """True for text such as "95,2%": its number is already a per-cent, never a fraction."""
    return isinstance(value, str) and "%" in value


# Folded spellings of a status mark. "Cơ bản đạt" ("nearly met") is not met: the standard is a gate.
_MET_MARKS = frozenset({
    "dat", "x", "\u2713", "\u2714", "\u2705", "1", "1.0", "co", "yes", "y", "met", "dat chuan", "da dat",
    "dat yeu cau", "hoan thanh", "da hoan thanh", "true", "d",  # "Đ": the short form in narrow columns
})
_NOT_MET_MARKS = frozenset({
    "", "-", "--", "---", "0", "0.0", "chua dat", "khong dat", "co ban dat", "cbd", "chua", "khong", "no",
    "n", "not met", "chua dat chuan", "chua hoan thanh", "false", "\u2717", "\u2718", "cd", "kd", "c.d",
})
# An explicit "not known" typed where a mark goes ("Chưa rõ" is what the fill-in template writes): the status
# stays unknown, with no warning; it is neither a typing slip nor "not met".
_UNKNOWN_MARKS = frozenset({
    "chua ro", "chua danh gia", "chua co so lieu", "?", "khong ro", "chua xac dinh",
})
UNKNOWN_MARK = "unknown"
_MARK_TRIM = re.compile(r"^[\s.:;,*()\[\]\"'“”]+|[\s.:;,*()\[\]\"'“”]+$")


def mark_key(value: object) -> str:
    """The folded, trimmed form of a mark cell, used to look marks up."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _MARK_TRIM.sub("", fold(value))


# A mark followed by a note: "Đạt (2019)", "Chưa đạt - phấn đấu 2025", "Đạt năm 2020".
_MARK_WITH_NOTE = re.compile(r"^(chua dat|khong dat|co ban dat|dat)\s*(?:[(\-–:,;]|nam\b)")


def parse_mark(value: object) -> str | None:
    """A status mark as "met" / "not_met" / "unknown"; None when it is not a mark we understand.

    Met: "Đạt", "đạt", "x", "X", "✓", "✔", 1. Not met: "Chưa đạt", "Không đạt", "Cơ bản đạt", blank, "-", 0.
    Unknown (an explicit mark, not an error): "Chưa rõ", "Chưa đánh giá", "Chưa có số liệu", "?".
    """
    if isinstance(value, float) and value != value:  # NaN: an empty cell
        return "not_met"
    key = mark_key(value)
    if key in _MET_MARKS:
        return "met"
    if key in _NOT_MET_MARKS:
        return "not_met"
    if key in _UNKNOWN_MARKS:
        return UNKNOWN_MARK
    noted = _MARK_WITH_NOTE.match(key)
    if noted:
        return "met" if noted.group(1) == "dat" else "not_met"
    return None


def is_blank(value: object) -> bool:
    """True for an empty cell (None, NaN, "" or white space)."""
    if value is None:
        return True
    if isinstance(value, float):
        return value != value
    return isinstance(value, str) and not value.strip()


_YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20\d\d|2100)(?!\d)")
_EXCEL_EPOCH_ORDINAL = 693594  # date(1899, 12, 30).toordinal(): Excel's serial day 0


def parse_year(value: object) -> int | None:
    """A year from a cell: 2019, 2019.0, "2019 (QĐ 123/QĐ-UBND)", "26/5/2022", a date, an Excel serial."""
    import datetime as _dt

    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, _dt.date | _dt.datetime):
        return value.year
    if isinstance(value, int | float):
        if value != value:
            return None
        if 1950 <= value <= 2100 and float(value).is_integer():
            return int(value)
        if 18264 <= value <= 73051:  # an Excel date serial between 1950 and 2100
            return _dt.date.fromordinal(_EXCEL_EPOCH_ORDINAL + int(value)).year
        return None
    match = _YEAR.search(nfc(value))
    return int(match.group(1)) if match else None


_MONTH_OF_YEAR = re.compile(r"thang\s*(\d{1,2})\s*(?:/|-|\.|nam)\s*(\d{4})")
_MONTHS_OF_YEAR = re.compile(r"(\d{1,2})\s*thang\s*(?:dau\s*)?(?:nam\s*)?(\d{4})")
_YEAR_WORD = re.compile(r"nam\s*(\d{4})(?!\s*[-–]\s*\d{4})")
_RANGE = re.compile(r"\d{4}\s*[-–]\s*\d{4}")
_SIGNING_DATE = re.compile(r"ngay\s*\d{1,2}\s*(?:thang|/|-|\.)\s*\d{1,2}\s*(?:nam|/|-|\.)\s*\d{4}")


def parse_period(text: object) -> tuple[int, int | None] | None:
    """(year, month or None) that a report title speaks of: "năm 2022" -> (2022, None), "6 tháng đầu năm
    2024" -> (2024, 6), "tháng 6/2024" -> (2024, 6). A programme range ("giai đoạn 2021-2025") is not a period."""
    # A signing date ("Hữu Lũng, ngày 20 tháng 11 năm 2025", "ngày 15/12/2023") is not the period.
    folded = _SIGNING_DATE.sub(" ", fold(text))
    for pattern in (_MONTH_OF_YEAR, _MONTHS_OF_YEAR):
        match = pattern.search(folded)
        if match and 1 <= int(match.group(1)) <= 12:
            return int(match.group(2)), int(match.group(1))
    for match in _YEAR_WORD.finditer(folded):
        if not folded[: match.start()].rstrip().endswith(("giai doan", "den")):
            return int(match.group(1)), None
    rest = _RANGE.sub(" ", folded)
    match = _YEAR.search(rest)
    return (int(match.group(1)), None) if match else None

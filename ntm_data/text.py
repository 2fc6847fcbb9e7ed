"""Vietnamese cell text: NFC, accent folding, commune keys, and numbers, marks, years, periods as typed."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

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
    return parse_mark_key(mark_key(value))


def parse_mark_key(key: str) -> str | None:
    """parse_mark of a cell whose mark_key is `key`."""
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


# --- The same, over many cells at once ------------------------------------------------------------
# A national sheet has 10,000 names and codes, and thousands of distinct value texts: each function below
# gives exactly [f(v) for v in values] for its one-value counterpart, in a few C-level passes over the
# joined texts (unicodedata, str methods, pyarrow.compute) instead of one Python call per value.


def _texts(values: Sequence[object]) -> list[str]:
    """str(v) per value as nfc() sees it ("" for None)."""
    return [v if v.__class__ is str else "" if v is None else str(v) for v in values]


def _clean(text: str) -> bool:
    """True when nfc() leaves an NFC text as it is: printable, single inner spaces, none at the ends."""
    return text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " "


_SPACE_RUN = re.compile(r"  |^ | $", re.MULTILINE)


def nfc_all(values: Sequence[object]) -> list[str]:
    """[nfc(v) for v in values]."""
    texts = _texts(values)
    if not texts:
        return []
    joined = "\n".join(texts)
    if joined.count("\n") != len(texts) - 1:  # a text with a line break of its own
        return [nfc(t) for t in texts]
    # NFC never joins across the line feed (a starter that composes with nothing), so it is per text.
    normal = unicodedata.normalize("NFC", joined)
    parts = normal.split("\n")
    if not normal.replace("\n", "").isprintable():
        return [p if _clean(p) else nfc(p) for p in parts]
    # Printable: only runs of spaces and spaces at either end are left to collapse, in the texts that have one
    # (substring tests find out whether any text has one much faster than the regular expression).
    if not ("  " in normal or "\n " in normal or " \n" in normal or normal[:1] == " " or normal[-1:] == " "):
        return parts
    spaces = np.fromiter((m.start() for m in _SPACE_RUN.finditer(normal)), dtype=np.int64)
    if len(spaces):
        starts = np.zeros(len(parts), dtype=np.int64)
        np.cumsum(np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))[:-1] + 1, out=starts[1:])
        for k in np.unique(np.searchsorted(starts, spaces, side="right") - 1).tolist():
            parts[k] = " ".join(parts[k].split())
    return parts


def nfc_or_none_all(values: Sequence[object]) -> list[str | None]:
    """[None if is_blank(v) else nfc(v) for v in values]: a text column (district, region) as the Dataset keeps it."""
    return [None if is_blank(v) else t for v, t in zip(values, nfc_all(values), strict=True)]


_NOT_ASCII_OR_COMBINING = re.compile("[^\x00-\x7f" + _COMBINING.pattern[1:-1] + "]")


def fold_all(values: Sequence[object]) -> list[str]:
    """[fold(v) for v in values]."""
    return nfc_fold_all(values)[1]


def nfc_fold_all(values: Sequence[object]) -> tuple[list[str], list[str]]:
    """([nfc(v) for v in values], [fold(v) for v in values])."""
    texts = nfc_all(values)
    return texts, _fold_nfc(texts)


def _fold_nfc(texts: list[str]) -> list[str]:
    """fold() of texts that are already what nfc() returns."""
    if not texts:
        return []
    joined = "\n".join(texts)  # nfc() leaves no line break inside a text
    decomposed = unicodedata.normalize("NFKD", joined.replace("đ", "d").replace("Đ", "D"))
    if not decomposed.isascii():
        if _NOT_ASCII_OR_COMBINING.search(decomposed):
            decomposed = _COMBINING.sub("", decomposed)
        else:  # the usual case: every other character is a combining mark, and encoding drops them all
            decomposed = decomposed.encode("ascii", "ignore").decode("ascii")
    folded = decomposed.lower().split("\n")
    return folded if len(folded) == len(texts) else [fold(t) for t in texts]


def matching_indices(pattern: re.Pattern[str], texts: Sequence[str]) -> list[int]:
    """Indices i where pattern.match(texts[i]), for texts without line breaks (nfc()/fold() output): one
    scan of the joined texts finds the candidates, each confirmed with the pattern itself. The pattern must
    not match a line break other than through \\s (kept within a line here): no \\W, \\D or [^...] that
    could, no \\A or \\Z."""
    if not texts:
        return []
    joined = "\n".join(texts)
    if joined.count("\n") != len(texts) - 1:
        return [i for i, t in enumerate(texts) if pattern.match(t)]
    # Each line is tried from the line break before it: re finds that literal fast, not position by position.
    positions = np.fromiter((m.start() for m in _line_pattern(pattern).finditer("\n" + joined)), dtype=np.int64)
    if not len(positions):
        return []
    starts = np.zeros(len(texts), dtype=np.int64)
    np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))[:-1] + 1, out=starts[1:])
    at = np.searchsorted(starts, positions, side="right") - 1
    return [i for i in at[starts[at] == positions].tolist() if pattern.match(texts[i])]


_LINE_PATTERNS: dict[tuple[str, int], re.Pattern[str]] = {}


def _line_pattern(pattern: re.Pattern[str]) -> re.Pattern[str]:
    key = (pattern.pattern, pattern.flags)
    if key not in _LINE_PATTERNS:
        # The line break, then the pattern with its start anchors dropped (not the ^ of a negated class) and
        # its white space kept within the line.
        body = re.sub(r"(?<![\[\\])\^", "", pattern.pattern).replace(r"\s", "[^\\S\\n]")
        _LINE_PATTERNS[key] = re.compile("\n(?:" + body + ")", pattern.flags | re.MULTILINE)
    return _LINE_PATTERNS[key]


def strip_commune_prefix_all(values: Sequence[object], normal: tuple[list[str], list[str]] | None = None) -> list[str]:
    """[strip_commune_prefix(v) for v in values]; `normal`, when given, is nfc_fold_all(values)."""
    texts, folded = nfc_fold_all(values) if normal is None else normal
    starts = _PREFIX_STARTS
    cut = _PREFIX_CUT
    return [(t[cut.get(f[:3]) or cut[f[:2]]:].lstrip(" .") or t) if f.startswith(starts) else t
            for t, f in zip(texts, folded, strict=True)]


# What strip_commune_prefix looks for at the start of the folded name. No two of these can start the same
# text, so the first one found is the only one: its length in the name is that of the prefix.
_PREFIX_STARTS = tuple(p if p.endswith(".") else p + " " for p in _COMMUNE_PREFIXES)


# The length of the prefix a folded name starts with (one of _PREFIX_STARTS): by its first 3, else 2 letters.
_PREFIX_CUT = {"tt.": 3, "th": len("thi tran"), "ph": len("phuong"), "xa": 2, "tt": 2, "p.": 2, "x.": 2}


# Number texts whose value needs no more than a separator swap: 95, 95,2, 95.2, 1.234.567, each with an
# optional trailing per-cent sign. Every other text goes through parse_number.
_SIMPLE_NUMBER = r"^[+-]?[0-9]+(?:[.,][0-9]+)?%?$"
_DOT_GROUPS = r"^[+-]?[1-9][0-9]{0,2}(?:\.[0-9]{3})+%?$"


def parse_number_all(values: Sequence[object]) -> np.ndarray:
    """float64 array of [parse_number(v) for v in values]."""
    out = np.full(len(values), np.nan)
    text_at: Sequence[int]
    if set(map(type, values)) == {str}:  # a column of texts ("8.149" inhabitants): no look at each value
        text_at = range(len(values))
        texts = nfc_all(list(values))
    else:
        text_at = []
        for i, v in enumerate(values):
            if v.__class__ is float:
                out[i] = v
            elif isinstance(v, str):
                text_at.append(i)
            else:
                out[i] = parse_number(v)
        if not text_at:
            return out
        texts = nfc_all([values[i] for i in text_at])
    array = pa.array(texts, pa.string())
    thousands = pc.match_substring_regex(array, _DOT_GROUPS)
    simple = pc.or_(pc.match_substring_regex(array, _SIMPLE_NUMBER), thousands)
    if not pc.any(simple).as_py():
        out[text_at] = [parse_number(t) for t in texts]
        return out
    cleaned = pc.replace_substring(array, "%", "")
    cleaned = pc.if_else(thousands, pc.replace_substring(cleaned, ".", ""), pc.replace_substring(cleaned, ",", "."))
    numbers = pc.cast(pc.if_else(simple, cleaned, None), pa.float64()).to_numpy(zero_copy_only=False)
    simple_mask = simple.to_numpy(zero_copy_only=False)
    positions = np.asarray(text_at)
    out[positions[simple_mask]] = numbers[simple_mask]
    for k in np.flatnonzero(~simple_mask):
        out[positions[k]] = parse_number(texts[k])
    return out


def mark_keys(values: Sequence[object]) -> list[str]:
    """[mark_key(v) for v in values]."""
    out: list[str] = []
    text_at: list[int] = []
    for i, v in enumerate(values):
        if isinstance(v, str):
            text_at.append(i)
            out.append("")
        else:
            out.append(mark_key(v))
    trim = _MARK_TRIM.sub
    for i, folded in zip(text_at, fold_all([values[i] for i in text_at]), strict=True):
        out[i] = trim("", folded)
    return out


def parse_mark_all(values: Sequence[object]) -> list[str | None]:
    """[parse_mark(v) for v in values]."""
    return [
        "not_met" if v.__class__ is float and v != v else parse_mark_key(key)
        for v, key in zip(values, mark_keys(values), strict=True)
    ]


def parse_year_all(values: Sequence[object]) -> list[int | None]:
    """[parse_year(v) for v in values]. Texts are searched together by pyarrow when every digit in them
    is an ASCII one (_YEAR's \\d also takes other scripts' digits, which RE2's [0-9] does not)."""
    out: list[int | None] = []
    text_at: list[int] = []
    for i, v in enumerate(values):
        if isinstance(v, str):
            text_at.append(i)
            out.append(None)
        else:
            out.append(parse_year(v))
    texts = [values[i] for i in text_at]
    if not texts:
        return out
    if not " ".join(texts).isprintable():
        # nfc() only drops control and format characters (which may join digits) and turns other white space
        # into spaces (never a digit, like any white space): texts without either are searched as they are.
        texts = nfc_all(texts)
    code_points = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
    other_digits = any(_ANY_DIGIT.match(chr(c)) for c in np.unique(code_points[code_points > 127]).tolist())
    if other_digits:
        years = [int(m.group(1)) if (m := _YEAR.search(t)) else None for t in texts]
    else:
        found = pc.extract_regex(pa.array(texts, pa.string()), _YEAR_RE2)
        year = pc.if_else(pc.is_valid(found), found.field("year"), pa.scalar(None, pa.string()))
        years = pc.cast(year, pa.int64()).to_pylist()
    for i, year in zip(text_at, years, strict=True):
        out[i] = year
    return out


_ANY_DIGIT = re.compile(r"\d")
_YEAR_RE2 = r"(?:^|[^0-9])(?P<year>19[5-9][0-9]|20[0-9][0-9]|2100)(?:[^0-9]|$)"  # _YEAR, for ASCII digits

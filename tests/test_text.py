"""Parsing cell values typed by people: numbers, marks, years, periods, TCVN3 detection; the functions
over many cells at once give exactly what their one-value counterparts give."""
import datetime as dt
import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ntm_data import text
from ntm_data.layouts import common, rows
from ntm_data.text import (
    commune_key,
    nfc,
    parse_mark,
    parse_number,
    parse_period,
    parse_year,
    strip_commune_prefix,
)
from ntm_data.workbook import FormulaText


@pytest.mark.parametrize(("raw", "expected"), [
    (95.2, 95.2),
    (0.952, 0.952),
    (7, 7.0),
    ("95,2%", 95.2),
    ("95.2 %", 95.2),
    ("95,2 %", 95.2),
    ("5.000", 5000.0),
    ("1.234.567", 1234567.0),
    ("1.234,5", 1234.5),
    ("1,234.5", 1234.5),
    ("1,5", 1.5),
    ("0.952", 0.952),
    ("0,5", 0.5),
    (" 12 ", 12.0),
    ("\u00a045\u00a0", 45.0),
    ("-3,5", -3.5),
    ("45 triệu đồng", 45.0),
    ("3,6 m2/người", 3.6),
    ("1.234,5 triệu", 1234.5),
    ("1,234,567", 1234567.0),
])
def test_parse_number(raw, expected):
    assert parse_number(raw) == pytest.approx(expected)


@pytest.mark.parametrize("raw", ["", None, "abc", "Đạt", "95,2,1%", "12a", "-", "1.2.3,4,5"])
def test_parse_number_unreadable_is_nan(raw):
    assert math.isnan(parse_number(raw))


@pytest.mark.parametrize(("raw", "expected"), [
    ("Đạt", "met"), ("đạt", "met"), ("ĐẠT", "met"), (" Đạt ", "met"), ("x", "met"), ("X", "met"),
    ("✓", "met"), ("✔", "met"), (1, "met"), ("1", "met"), (1.0, "met"), (True, "met"),
    ("Chưa đạt", "not_met"), ("chưa đạt", "not_met"), ("Không đạt", "not_met"), ("Cơ bản đạt", "not_met"),
    ("", "not_met"), (None, "not_met"), ("-", "not_met"), (0, "not_met"), ("0", "not_met"),
    (float("nan"), "not_met"),
    ("Đạt (2019)", "met"), ("Đạt năm 2020", "met"), ("Chưa đạt - phấn đấu 2025", "not_met"),
    ("Cơ bản đạt (còn 15.1)", "not_met"), ("Đạtt", None), ("Đạt được", None),
    ("Đ", "met"), ("CĐ", "not_met"), ("KĐ", "not_met"), ("Có", "met"), ("Không", "not_met"),
    ("abc", None), ("Đạt?", None), (2, None), ("95%", None),
    ("Chưa rõ", "unknown"), ("chưa rõ", "unknown"), ("Chưa đánh giá", "unknown"), ("Chưa có số liệu", "unknown"),
    ("?", "unknown"), (" ? ", "unknown"), ("(Chưa rõ)", "unknown"), ("Chưa rõ.", "unknown"),
])
def test_parse_mark(raw, expected):
    assert parse_mark(raw) == expected


def test_parse_mark_nfd_text():
    import unicodedata
    assert parse_mark(unicodedata.normalize("NFD", "Chưa đạt")) == "not_met"


@pytest.mark.parametrize(("raw", "expected"), [
    (2019, 2019), (2019.0, 2019), ("2019", 2019), ("2019 (QĐ 123/QĐ-UBND)", 2019), ("26/5/2022", 2022),
    (44707, 2022),  # Excel serial of 26/5/2022
    ("Năm 2025", 2025), ("abc", None), (None, None), ("", None), (12, None),
])
def test_parse_year(raw, expected):
    assert parse_year(raw) == expected


def test_parse_year_date_object():
    import datetime
    assert parse_year(datetime.datetime(2022, 5, 26)) == 2022


@pytest.mark.parametrize(("text", "expected"), [
    ("BÁO CÁO KẾT QUẢ THỰC HIỆN NĂM 2022", (2022, None)),
    ("Kết quả 6 tháng đầu năm 2024", (2024, 6)),
    ("Tình hình tháng 6/2024", (2024, 6)),
    ("tháng 9 năm 2023", (2023, 9)),
    ("Bộ tiêu chí giai đoạn 2021-2025, năm 2023", (2023, None)),
    ("Bộ tiêu chí giai đoạn 2021 - 2025", None),
    ("Không có năm", None),
    ("Hữu Lũng, ngày 20 tháng 11 năm 2025", None),  # a signing date is not a period
    ("Báo cáo năm 2024 (ngày 15/12/2024)", (2024, None)),
])
def test_parse_period(text, expected):
    assert parse_period(text) == expected


def test_names_are_nfc_without_prefix():
    import unicodedata
    raw = unicodedata.normalize("NFD", "  Xã  Hữu   Liên ")
    assert strip_commune_prefix(raw) == nfc("Hữu Liên")
    assert commune_key("Thị trấn Mẹt") == "mẹt"
    assert commune_key("Hà") != commune_key("Hạ")


@pytest.mark.parametrize(("raw", "expected"), [
    ("Vân\x00 Nham", "Vân Nham"),
    ("Vân\u200bNham", "VânNham"),
    ("\u202eNham Vân", "Nham Vân"),
    ("Hòa\tSơn\n", "Hòa Sơn"),
    ("Hòa\u00a0\u00a0Sơn", "Hòa Sơn"),
])
def test_nfc_drops_control_and_format_characters(raw, expected):
    assert nfc(raw) == expected


# --- Many cells at once ---------------------------------------------------------------------------

# Pieces that exercise every branch: prefixes, accents (NFC and NFD), đ, line breaks, non-breaking and
# zero-width spaces, per-cent signs, separators, units, a final sigma, a ligature, Unicode digits.
PIECES = [
    "0", "1", "5", "9", ".", ",", "%", "+", "-", " ", "  ", "\u00a0", "\n", "\t", "\u200b", "\x00",
    "Xã ", "xa", "Thị trấn ", "TT.", "tt ", "P.", "x.", "Phường ", "Đạt", "đ", "Chưa đạt", "Chưa rõ", "x",
    "a\u0301", "ạ", "Σ", "ﬁ", "İ", "\u00a8", "٣", "２", "m2", "triệu", "‰", "1.234", "2019", "2100", "1949", ";", "(QĐ 12)",
    "Tổng cộng", "I. ", "Huyện ", "Ghi chú", "ngày 5",
]
texts = st.lists(st.sampled_from(PIECES), max_size=6).map("".join)
cells = st.one_of(texts, st.floats(allow_nan=True, allow_infinity=False), st.none(), st.booleans(),
                  st.integers(-5, 3000), st.just(FormulaText("=A1")), st.just(dt.date(2021, 5, 26)))

FIXED = [None, "", " ", "Xã  Sơn Hồng", "Thị trấn Hữu Lũng", "TT.", "TT. Mẹt", "P.5", "x. Yên", "Phường 9",
         "Xã", "Sơn Hà", "Son Ha", "Sơn Hạ", "a\u0301b", "Yên\u00a0Thịnh", "ΑΣ", "95,2%", "1.234.567", "0.952",
         "1,234", "-3,5", "+7", "007", "45 triệu", "Đạt", "Chưa rõ", "(Đạt)", "2024 (QĐ 360/QĐ-UBND)", "2024\u200b5", "2024 ", "2100", "1949 (x)", "2024-2025", "26/5/2022",
         1.0, 0.0, 2021.0, 43000.0, float("nan"), True, 3, FormulaText("=B2"), dt.date(2021, 1, 1)]


def same_numbers(a: list[float], b: list[float]) -> bool:
    return all((x == y) or (math.isnan(x) and math.isnan(y)) for x, y in zip(a, b, strict=True))


def check(values: list[object]) -> None:
    assert text.nfc_all(values) == [text.nfc(v) for v in values]
    assert text.fold_all(values) == [text.fold(v) for v in values]
    assert text.nfc_or_none_all(values) == [None if text.is_blank(v) else text.nfc(v) for v in values]
    assert text.strip_commune_prefix_all(values) == [text.strip_commune_prefix(v) for v in values]
    assert common.commune_keys(values) == [commune_key(v) for v in values]
    assert text.mark_keys(values) == [text.mark_key(v) for v in values]
    assert text.parse_mark_all(values) == [text.parse_mark(v) for v in values]
    assert text.parse_year_all(values) == [text.parse_year(v) for v in values]
    assert same_numbers(list(text.parse_number_all(values)), [text.parse_number(v) for v in values])
    folded = [t for t in text.fold_all(values)]
    for pattern in (rows._TOTALS, rows._GROUP, common.STOP_TEXT):
        assert text.matching_indices(pattern, folded) == [i for i, t in enumerate(folded) if pattern.match(t)]


def test_fixed_values():
    check(FIXED)


def test_empty():
    check([])


@settings(max_examples=150, deadline=None)
@given(st.lists(cells, max_size=40))
def test_random_values(values):
    check(values)


@pytest.mark.parametrize("pattern", [re.compile(r"^a\s*b"), re.compile(r"^(x|y)\b"), re.compile(r"[^c]d$")])
def test_matching_indices_keeps_each_text_on_its_own(pattern):
    texts_ = ["a", "b", "a b", "ab", "x", "xy", "y z", "cd", "dd", "d", ""]
    assert text.matching_indices(pattern, texts_) == [i for i, t in enumerate(texts_) if pattern.match(t)]

"""ntm_data.tcvn3: legacy TCVN3 (.VnTime) text is detected with few false positives and decoded."""
from __future__ import annotations

import unicodedata

import pytest

from ntm_data.tcvn3 import TCVN3_TO_UNICODE, column_is_tcvn3, decode_tcvn3, encode_tcvn3, looks_like_tcvn3

# Real commune, ward and district names from across the country (Unicode, NFC).
REAL_NAMES = [
    "Bảo Thắng", "Hồng Phong", "Yên Thịnh", "Vân Nham", "Hòa Sơn", "Minh Sơn", "Đồng Tân", "Hồ Sơn",
    "Sơn Hồng", "Hương Sơn", "Hữu Lũng", "Mường Khương", "Bát Xát", "Điện Biên Phủ", "Quỳnh Lưu",
    "Nghĩa Đàn", "Thạch Hà", "Cẩm Xuyên", "Kỳ Anh", "Đức Thọ", "Vũ Quang", "Lộc Hà", "Nghi Xuân",
    "Can Lộc", "Tân Thành", "Yên Lạc", "Vĩnh Tường", "Tam Đảo", "Phúc Yên", "Ứng Hòa", "Mỹ Đức",
    "Thường Tín", "Phú Xuyên", "Quốc Oai", "Thạch Thất", "Đông Anh", "Sóc Sơn", "Gia Lâm",
    "Thủy Nguyên", "Kiến Thụy", "Tiên Lãng", "Vĩnh Bảo", "Ân Thi", "Khoái Châu", "Văn Giang",
    "Ý Yên", "Nghĩa Hưng", "Hải Hậu", "Giao Thủy", "Xuân Trường", "Trực Ninh", "Kim Sơn",
    "Gia Viễn", "Hoa Lư", "Yên Mô", "Ngọc Lặc", "Thường Xuân", "Quảng Xương", "Hoằng Hóa", "Hậu Lộc",
    "Nga Sơn", "Bá Thước", "Mường Lát", "Tương Dương", "Kỳ Sơn", "Quế Phong", "Diễn Châu",
    "Hướng Hóa", "Đakrông", "Triệu Phong", "Hải Lăng", "Phong Điền", "Quảng Điền", "A Lưới",
    "Điện Bàn", "Duy Xuyên", "Thăng Bình", "Tiên Phước", "Nghĩa Hành", "Mộ Đức", "Đức Phổ",
    "Hoài Nhơn", "Tuy Phước", "Đồng Xuân", "Krông Búk", "Ea Súp", "Cư M'gar", "Đắk Mil", "Chư Prông",
    "Bảo Lộc", "Đơn Dương", "Củ Chi", "Cần Giờ", "Tân Uyên", "Xuyên Mộc", "Long Điền",
    "Cần Đước", "Chợ Gạo", "Mỏ Cày", "Trà Cú", "Cầu Kè", "Lấp Vò", "Châu Thành", "Thới Lai",
    "Phụng Hiệp", "Mỹ Xuyên", "Ngã Năm", "Hồng Dân", "Năm Căn", "Ngọc Hiển", "Kiên Lương", "Hòn Đất",
    "Xã Nghĩa Thuận", "Thị trấn Nông Cống", "Phường Quyết Thắng", "Tứ Kỳ", "Thanh Miện",
]
UPPER_NAMES = ["BẢO THẮNG", "HỒNG PHONG", "ĐIỆN BIÊN PHỦ", "QUỲNH LƯU", "ỨNG HÒA", "ĐỒNG THÁP"]


@pytest.mark.parametrize(("legacy", "unicode"), [
    ("B¶o Th¾ng", "Bảo Thắng"),
    ("Hång Phong", "Hồng Phong"),
    ("Yªn ThÞnh", "Yên Thịnh"),
    ("§iÖn Biªn Phñ", "Điện Biên Phủ"),
    ("M\xadêng Kh\xad¬ng", "Mường Khương"),
    ("B¸t X¸t", "Bát Xát"),
    ("Hµ Néi", "Hà Nội"),
    ("Qu¶ng Ng·i", "Quảng Ngãi"),
    ("§¾k L¾k", "Đắk Lắk"),
    ("B¶O TH¾NG", "BẢO THẮNG"),  # .VnTimeH, the capitals font: same codes, capital glyphs
    ("X· V©n Nham, huyÖn H÷u Lòng", "Xã Vân Nham, huyện Hữu Lũng"),
])
def test_decode_known_names(legacy, unicode):
    assert looks_like_tcvn3(legacy)
    assert decode_tcvn3(legacy) == unicode
    assert unicodedata.is_normalized("NFC", decode_tcvn3(legacy))


# In TCVN3 these names use only letters that Unicode text has too ("Kỳ Anh" is "Kú Anh"): no single
# name proves its encoding, so they are not detected alone (a sheet of them is judged by the others).
AMBIGUOUS = {"Kỳ Anh", "Vũ Quang", "Can Lộc", "Quốc Oai", "Kiến Thụy", "Trực Ninh", "Gia Viễn", "Quế Phong",
             "Ea Súp", "Thới Lai"}


@pytest.mark.parametrize("name", REAL_NAMES + UPPER_NAMES)
def test_real_names_round_trip_and_are_detected(name):
    legacy = encode_tcvn3(name)
    assert all(ord(ch) < 0x100 for ch in legacy), legacy  # what a .VnTime cell holds
    assert decode_tcvn3(legacy) == name
    assert looks_like_tcvn3(legacy) == (name not in AMBIGUOUS), legacy


def test_most_real_names_are_detected():
    assert len(AMBIGUOUS) / len(REAL_NAMES) < 0.1


@pytest.mark.parametrize("name", REAL_NAMES + UPPER_NAMES)
def test_unicode_names_are_not_tcvn3(name):
    assert not looks_like_tcvn3(name)
    assert not looks_like_tcvn3(unicodedata.normalize("NFD", name))


@pytest.mark.parametrize("text", [
    "", "STT", "TC1", "Nho Quan", "Di Linh", "Ninh Giang", "Ten xa", "Ghi chu", "Tong cong", "Dat", "Chua dat", "15.1", "2024", "x", "X",
    "Tân Hòa", "Hòa An", "Lâm Thao", "Cà Mau", "Tô Hiệu",  # Unicode using only Latin-1 letters
    "m²", "25°C", "Nº 5", "A · B", "±5%", "½", "© 2024", "«Đạt»", "2×3", "ª", "Café", "naïve",
    "Müller", "São Paulo", "Ñandú", "Straße", "Ærø", "¿Qué?", "§ 3", "¶ 2", "µg/l",
    "Số tiêu chí đạt", "Năm phấn đấu đạt chuẩn", "Kết quả thực hiện các tiêu chí",
])
def test_no_false_positives(text):
    assert not looks_like_tcvn3(text)


@pytest.mark.parametrize("value", [None, 3, 2.5, b"B\xb6o"])
def test_non_text_is_not_tcvn3(value):
    assert not looks_like_tcvn3(value)


def test_chart_covers_every_high_byte_once():
    assert sorted(TCVN3_TO_UNICODE) == [chr(b) for b in range(0xA1, 0x100)]
    assert len(set(TCVN3_TO_UNICODE.values())) == len(TCVN3_TO_UNICODE)
    # Every lower-case letter: 12 vowels x 5 tones, and ă â ê ô ơ ư đ.
    lower = {ch for ch in TCVN3_TO_UNICODE.values() if ch.islower()}
    assert len(lower) == 12 * 5 + 7
    assert set("ĂÂÊÔƠƯĐăâêôơưđ") <= set(TCVN3_TO_UNICODE.values())


@pytest.mark.parametrize(("code", "letter"), [
    (0xA7, "Đ"), (0xAE, "đ"), (0xB5, "à"), (0xB6, "ả"), (0xB8, "á"), (0xB9, "ạ"), (0xBE, "ắ"), (0xC6, "ặ"),
    (0xCA, "ấ"), (0xCB, "ậ"), (0xD0, "é"), (0xD5, "ế"), (0xD6, "ệ"), (0xDD, "í"), (0xDE, "ị"), (0xE3, "ó"),
    (0xE5, "ồ"), (0xE8, "ố"), (0xE9, "ộ"), (0xED, "ớ"), (0xF3, "ú"), (0xF8, "ứ"), (0xFD, "ý"), (0xFE, "ỵ"),
])
def test_chart_positions(code, letter):
    assert TCVN3_TO_UNICODE[chr(code)] == letter


def test_text_outside_the_chart_is_kept():
    assert decode_tcvn3("Hång Phong (2024) – 95%") == "Hồng Phong (2024) – 95%"


def test_spacing_tone_marks_compose():
    assert decode_tcvn3("A±p") == "Ảp"
    assert decode_tcvn3(encode_tcvn3("Ấp Bắc")) == "Ấp Bắc"


@pytest.mark.parametrize(("texts", "expected"), [
    ([encode_tcvn3(n) for n in REAL_NAMES], True),
    (["Kú Anh", "Vò Quang", "B¶o Th¾ng", None, 3], True),  # the ambiguous ones ride with the rest
    (["Kú Anh", "Vò Quang"], False),  # nothing proves TCVN3
    (REAL_NAMES, False),
    (["B¶o Th¾ng", "Kỳ Anh"], False),  # a Unicode-only letter: a mixed column is not decoded wholesale
    ([], False),
])
def test_column_is_tcvn3(texts, expected):
    assert column_is_tcvn3(texts) is expected

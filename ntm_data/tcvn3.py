"""Legacy TCVN3 (.VnTime) text: detect it among Unicode cell text and decode it to Unicode Vietnamese."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# TCVN 5712:1993 code chart, bytes 0xA1-0xFF. The .VnTime fonts (VN3) use these positions; the capitals
# with a tone mark in the gaps (0xAF, 0xBA, 0xBF, 0xC0-0xC5, 0xCD, 0xD9-0xDB, 0xE0, 0xF0, 0xFF) come from
# the full chart (VN1) and are kept because some files use them. 0xB0-0xB4 are the five tone marks as
# spacing characters, decoded to combining marks. Bytes 0x80-0x9F (VN1 capitals) are left alone: in
# Unicode cell text they arrive as Windows-1252 punctuation (“ ” – …) that Unicode files use too.
# A byte arrives in a cell as the Latin-1 character with the same number (0xB6 -> "¶").
_CHART = (
    "\u0102\u00c2\u00ca\u00d4\u01a0\u01af\u0110"  # A1-A7  Ă Â Ê Ô Ơ Ư Đ
    "\u0103\u00e2\u00ea\u00f4\u01a1\u01b0\u0111\u1eb0"  # A8-AF  ă â ê ô ơ ư đ Ằ
    "\u0300\u0309\u0303\u0301\u0323\u00e0\u1ea3\u00e3"  # B0-B7  ` ̉ ~ ´ . à ả ã
    "\u00e1\u1ea1\u1eb2\u1eb1\u1eb3\u1eb5\u1eaf\u1eb4"  # B8-BF  á ạ Ẳ ằ ẳ ẵ ắ Ẵ
    "\u1eae\u1ea6\u1ea8\u1eaa\u1ea4\u1ec0\u1eb7\u1ea7"  # C0-C7  Ắ Ầ Ẩ Ẫ Ấ Ề ặ ầ
    "\u1ea9\u1eab\u1ea5\u1ead\u00e8\u1ec2\u1ebb\u1ebd"  # C8-CF  ẩ ẫ ấ ậ è Ể ẻ ẽ
    "\u00e9\u1eb9\u1ec1\u1ec3\u1ec5\u1ebf\u1ec7\u00ec"  # D0-D7  é ẹ ề ể ễ ế ệ ì
    "\u1ec9\u1ec4\u1ebe\u1ed2\u0129\u00ed\u1ecb\u00f2"  # D8-DF  ỉ Ễ Ế Ồ ĩ í ị ò
    "\u1ed4\u1ecf\u00f5\u00f3\u1ecd\u1ed3\u1ed5\u1ed7"  # E0-E7  Ổ ỏ õ ó ọ ồ ổ ỗ
    "\u1ed1\u1ed9\u1edd\u1edf\u1ee1\u1edb\u1ee3\u00f9"  # E8-EF  ố ộ ờ ở ỡ ớ ợ ù
    "\u1ed6\u1ee7\u0169\u00fa\u1ee5\u1eeb\u1eed\u1eef"  # F0-F7  Ỗ ủ ũ ú ụ ừ ử ữ
    "\u1ee9\u1ef1\u1ef3\u1ef7\u1ef9\u00fd\u1ef5\u1ed0"  # F8-FF  ứ ự ỳ ỷ ỹ ý ỵ Ố
)
TCVN3_TO_UNICODE: dict[str, str] = {chr(0xA1 + i): ch for i, ch in enumerate(_CHART)}
_ENCODE: dict[str, str] = {uni: code for code, uni in TCVN3_TO_UNICODE.items() if not unicodedata.combining(uni)}
_ENCODE_TONE: dict[str, str] = {uni: code for code, uni in TCVN3_TO_UNICODE.items() if unicodedata.combining(uni)}
_TRANSLATE = str.maketrans(TCVN3_TO_UNICODE)

# Latin-1 letters that Unicode Vietnamese uses itself: seeing only these proves nothing ("Hòa" is valid
# Unicode, and also TCVN3 for "Hũa"). Every other character of the chart is evidence of TCVN3.
_UNICODE_VIETNAMESE_LATIN1 = frozenset("àáâãèéêìíòóôõùúýÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ")
_EVIDENCE = frozenset(TCVN3_TO_UNICODE) - _UNICODE_VIETNAMESE_LATIN1
# Letters only Unicode Vietnamese has (ă đ ĩ ũ ơ ư, the U+1EA0 block, combining marks): TCVN3 text read
# as Latin-1 cannot contain them, so a string with one is Unicode.
_UNICODE_ONLY = re.compile("[\u0100-\u024f\u0300-\u036f\u1e00-\u1eff]")
_TOKEN = re.compile("[A-Za-z0-9\u00a1-\u00ff]+")
_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")
# A syllable (tone marks removed, lower case): consonants, one vowel nucleus Vietnamese allows, a final
# consonant. Onsets and finals are loose so that minority place names pass ("Krông", "Đắk", "Mil").
_NUCLEI = (
    "a ă â e ê i o ô ơ u ư y ai ao au ay âu ây eo êu ia iê iu oa oă oe oi ôi ơi ua uâ uê ui uô uơ uy ưa "
    "ưi ươ ưu yê iêu oai oao oay oeo uây uôi uya uyê uyu ươi ươu yêu"
).split()
_SYLLABLE = re.compile(
    "[bcdđfghjklmnpqrstvwxz']{0,4}"
    f"({'|'.join(sorted(_NUCLEI, key=len, reverse=True))})"
    "(ch|ng|nh|c|k|l|m|n|p|t)?"
)


def _syllable_ok(word: str) -> bool:
    """True when a decoded word is one well-formed syllable with at most one tone mark."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    if sum(ch in _TONES for ch in decomposed) > 1:
        return False
    base = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONES))
    match = _SYLLABLE.fullmatch(base)
    if not match:
        return False
    nucleus, final = match.groups()
    # ă and â never end a syllable ("ăn", "cân"), which rules out "Nº" and "ª" read as TCVN3.
    return not (nucleus[-1] in "ăâ" and not final)


def looks_like_tcvn3(text: object) -> bool:
    """True when `text` reads as Vietnamese typed in the TCVN3 (.VnTime) font: "B¶o Th¾ng", "Yªn ThÞnh".

    Needs a character that only TCVN3 explains (¶, ¾, ª, Þ, ...) inside a word, and three in four such
    words must decode to a well-formed Vietnamese syllable. Text with any Unicode-only Vietnamese letter, plain
    ASCII, and symbols such as "m²", "25°C", "Nº 5", "A · B" are not TCVN3.
    """
    if not isinstance(text, str) or not text or _UNICODE_ONLY.search(text):
        return False
    # A lone symbol ("A · B", "ª") is no word: only words with a plain letter besides count.
    words = [
        w for w in _TOKEN.findall(text)
        if any(ch in _EVIDENCE for ch in w) and any(ch.isascii() and ch.isalpha() for ch in w)
    ]
    if not words:
        return False
    # "§" (Đ) opening a word is a sign on its own: "§akr«ng" is Đakrông, one word of two syllables.
    good = sum(_syllable_ok(_decode_word(w)) or (w[0] == "\u00a7" and len(w) > 2) for w in words)
    return good * 4 >= len(words) * 3


def column_is_tcvn3(texts: Iterable[object]) -> bool:
    """True when a column of names (or any texts) is TCVN3 as a whole: at least one looks like TCVN3 and
    none contains a letter only Unicode has. Then every name should be decoded, including the ones that
    prove nothing alone ("Kú Anh" is "Kỳ Anh")."""
    found = False
    for text in texts:
        if not isinstance(text, str):
            continue
        if _UNICODE_ONLY.search(text):
            return False
        found = found or looks_like_tcvn3(text)
    return found


def _decode_word(word: str) -> str:
    decoded = unicodedata.normalize("NFC", word.translate(_TRANSLATE))
    ascii_letters = [ch for ch in word if ch.isascii() and ch.isalpha()]
    # .VnTimeH (the capitals font) shares the codes of .VnTime: "B¶O" is "BẢO", so a word whose plain
    # letters are all capitals is decoded in capitals.
    capitals = all(ch.isupper() for ch in ascii_letters)
    if capitals and (len(ascii_letters) > 1 or (ascii_letters and word[0] != ascii_letters[0])):
        return decoded.upper()
    return decoded


def decode_tcvn3(text: str) -> str:
    """TCVN3 text read as Latin-1 -> Unicode Vietnamese (NFC): "B¶o Th¾ng" -> "Bảo Thắng".

    Decodes unconditionally: call looks_like_tcvn3 first. Characters outside the chart are kept.
    """
    return _TOKEN.sub(lambda m: _decode_word(m.group(0)), text)


def encode_tcvn3(text: str) -> str:
    """Unicode Vietnamese -> TCVN3 as it appears in a cell (the inverse of decode_tcvn3), for tests and
    for building legacy inputs. Letters the chart lacks (most capitals with a tone mark) are written as
    their base capital plus the spacing tone mark, as .VnTime typists did."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in _ENCODE:
            out.append(_ENCODE[ch])
            continue
        decomposed = unicodedata.normalize("NFD", ch)
        tones = [c for c in decomposed if c in _TONES]
        if not tones:
            out.append(ch)
            continue
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
        out.append(_ENCODE.get(base, base) + _ENCODE_TONE[tones[0]])
    return "".join(out)

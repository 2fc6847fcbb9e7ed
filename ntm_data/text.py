"""Vietnamese text normalisation: NFC, accent folding and commune-name keys, for matching sheet text."""
from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
# Administrative prefixes dropped from commune names; longest first so "Thị trấn" wins over "Thị".
_COMMUNE_PREFIXES = ("thi tran", "phuong", "xa", "tt.", "tt", "p.", "x.")


def nfc(text: object) -> str:
    """NFC-normalised text with collapsed white space (non-breaking spaces included), stripped."""
    if text is None:
        return ""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", str(text)).replace("\u00a0", " ")).strip()


def fold(text: object) -> str:
    """Lower-case, accent-free form for matching. đ/Đ are mapped by hand: NFKD does not decompose them."""
    decomposed = unicodedata.normalize("NFKD", nfc(text).replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


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

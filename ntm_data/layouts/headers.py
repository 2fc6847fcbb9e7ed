"""Header recognition: what a status-sheet column holds, from the header text above it."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ntm_data.text import fold, nfc

# Column roles: "criterion" holds a criterion's mark, "indicator" a sub-indicator's value,
# "indicator_status" a sub-indicator's own mark; "name", "code", "district", "region", "population",
# "households", "recognized_year", "target_year", "criteria_met", "stt", "notes" are commune facts.


@dataclass(frozen=True)
class ColumnRole:
    """One classified column: its 0-based index, role, criterion/indicator key and header text."""

    col: int
    role: str
    key: str | None
    label: str


def _clean(folded: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[\"'“”:;*]", " ", folded)).strip()


_NAME = re.compile(
    r"^(ten )?(xa|phuong|don vi|dia phuong|don vi hanh chinh|don vi cap xa|xa/thi tran|xa, thi tran"
    r"|xa/phuong/thi tran|xa, phuong, thi tran|xa, phuong|xa/phuong|xa \(phuong, thi tran\)"
    r"|xa \(thi tran\)|xa, thi tran, phuong)( \(.*\))?$"
)
_META_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("stt", re.compile(r"^(stt|tt|so tt|so thu tu|s tt)$")),
    ("code", re.compile(r"^(ma|ma so|ma xa|ma don vi|ma dvhc|ma hanh chinh|ma don vi hanh chinh)( \(.*\))?$")),
    ("criteria_met", re.compile(r"^(tong )?(so )?(luong )?(tieu chi|tc) (da )?dat( chuan)?( \(.*\))?$"
                                r"|^so (tieu chi|tc) (da )?dat|^tong so (tieu chi|tc) (da )?dat")),
    ("ignore", re.compile(r"(tieu chi|tc) chua dat|so (tieu chi|tc) con lai")),
    ("ignore", re.compile(r"nang cao|kieu mau")),  # advanced/model-commune years are not the standard's
    ("target_year", re.compile(r"phan dau|ke hoach (dat|hoan thanh)|du kien (nam )?(dat|hoan thanh)|lo trinh"
                               r"|nam du kien|thoi gian (du kien|hoan thanh)|muc tieu dat")),
    ("recognized_year", re.compile(r"(nam|thoi gian|quyet dinh) (duoc )?(cong nhan|dat chuan)|nam dat ntm"
                                   r"|^da dat chuan|^nam dat$|^cong nhan")),
    ("population", re.compile(r"^(tong )?(dan so|so dan|so nhan khau|nhan khau)\b")),
    ("households", re.compile(r"^(tong )?so ho( dan)?\b|^ho dan$")),
    ("region", re.compile(r"^(vung|vung mien|vung kinh te|xa nhom|nhom xa|phan nhom|loai xa|nhom)( .*)?$"
                          r"|^thuoc vung")),
    ("district", re.compile(r"^(ten )?(huyen|quan|thi xa|thanh pho|don vi cap huyen|quan/huyen|huyen/thi xa"
                            r"|huyen, thi xa|huyen, thi xa, thanh pho|cum|cum xa|dia ban)( .*)?$")),
    ("notes", re.compile(r"^(ghi chu|chu thich)")),
)
_STATUS_WORD = re.compile(
    r"^(danh gia|tu danh gia|ket qua danh gia|dat/chua dat|dat / chua dat|dat hay chua dat|muc do dat"
    r"|xep loai|tinh trang|trang thai|danh gia muc do dat|dat|ket qua tu danh gia)( \(.*\))?$"
)
_VALUE_WORD = re.compile(r"^(gia tri|ket qua|ket qua thuc hien|so lieu|thuc hien|thuc trang|ty le)\b")
_INDICATOR = re.compile(r"^(?:chi tieu|ct|tc|tieu chi)?\s*(?:so\s*)?(\d{1,2})\.(\d{1,2})(?![\d,])")
_CRITERION = re.compile(r"^(?:(?:danh gia|ket qua)\s+)?(?:tc|tieu chi)\s*(?:so\s*)?(\d{1,2})(?![\d.]\d)")
_NUMBERED_NAME = re.compile(r"^(\d{1,2})\s*[.)\-:–]\s*[a-z]")
_BARE_INT = re.compile(r"^\(?(\d{1,2})\)?$")
COLUMN_MARKER = re.compile(r"^\(?(\d{1,2}|[a-e])\)?$")


def is_name_header(text: object) -> bool:
    """True for the header of the commune-name column: "Tên xã", "Xã", "Đơn vị", "Tên xã, thị trấn"."""
    if text.__class__ is str:  # title cells merged across a sheet repeat one text dozens of times
        return _is_name_text(text)
    return bool(_NAME.match(_clean(fold(text))))


@lru_cache(maxsize=4096)
def _is_name_text(text: str) -> bool:
    return bool(_NAME.match(_clean(fold(text))))


def meta_role(text: object) -> str | None:
    """The commune-fact role a header names ("code", "district", "target_year", ...) or None."""
    folded = _clean(fold(text))
    if _NAME.match(folded):
        return "name"
    for role, pattern in _META_PATTERNS:
        if pattern.search(folded):
            return role
    return None


def bare_int(text: object) -> int | None:
    """12 for a header that is only a number ("12", "(12)", 12)."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return int(text) if float(text).is_integer() and 0 < text < 100 else None
    match = _BARE_INT.match(nfc(text))
    return int(match.group(1)) if match else None


def indicator_code(text: object, criteria_set: Any) -> str | None:
    """'15.1' for "15.1. Tỷ lệ người dân tham gia BHYT (%)" (by number, else by catalogue name)."""
    if isinstance(text, int | float):
        return None
    folded = _clean(fold(text))
    match = _INDICATOR.match(folded)
    numbers = {c.number for c in criteria_set.criteria}
    if match:
        criterion, sub = match.group(1).lstrip("0"), match.group(2)
        return f"{criterion}.{sub}" if criterion in numbers else None
    if len(folded) < 6:
        return None
    return criteria_set.match_indicator(nfc(text))


def criterion_number(text: object, criteria_set: Any, *, bare_ok: bool) -> str | None:
    """'15' for "TC15", "Tiêu chí số 15", "15. Y tế", "Y tế" (catalogue name), or a bare 15 when the
    header context says the numbers are criteria (bare_ok)."""
    numbers = {c.number for c in criteria_set.criteria}
    number = bare_int(text)
    if number is not None:
        return str(number) if bare_ok and str(number) in numbers else None
    folded = _clean(fold(text))
    match = _CRITERION.match(folded) or _NUMBERED_NAME.match(folded)
    if match:
        found = match.group(1).lstrip("0")
        return found if found in numbers else None
    if len(folded) < 4 or "tieu chi" == folded or folded.startswith(("ket qua thuc hien", "cac tieu chi")):
        return None
    return criteria_set.match_criterion(nfc(text))


def classify_column(col: int, pieces: list[str], criteria_set: Any, *, bare_ok: bool) -> ColumnRole:
    """Classify one column from its header pieces (top to bottom, merged parents first)."""
    label = " | ".join(pieces)
    if not pieces:
        return ColumnRole(col, "ignore", None, label)
    bottom = _clean(fold(pieces[-1]))
    parents_say_criteria = any("tieu chi" in fold(p) or re.search(r"\btc\b", fold(p)) for p in pieces[:-1])
    if _STATUS_WORD.match(bottom) and len(pieces) > 1:
        for piece in reversed(pieces[:-1]):
            code = indicator_code(piece, criteria_set)
            if code:
                return ColumnRole(col, "indicator_status", code, label)
            number = criterion_number(piece, criteria_set, bare_ok=False)
            if number:
                return ColumnRole(col, "criterion", number, label)
        return ColumnRole(col, "status_orphan", None, label)
    if _STATUS_WORD.match(bottom):
        return ColumnRole(col, "status_orphan", None, label)
    value_word = bool(_VALUE_WORD.match(bottom)) and len(pieces) > 1
    for depth, piece in enumerate(reversed(pieces)):
        code = indicator_code(piece, criteria_set)
        if code:
            return ColumnRole(col, "indicator", code, label)
        role = meta_role(piece)
        if role and not (depth > 0 and role in ("stt", "ignore", "notes")):
            return ColumnRole(col, role, None, label)
        number = criterion_number(piece, criteria_set, bare_ok=bare_ok or (depth == 0 and parents_say_criteria))
        if number:
            if value_word and depth > 0:
                direct = [i.code for i in criteria_set.criterion(number).indicators if i.code == number]
                return ColumnRole(col, "indicator", direct[0], label) if direct else ColumnRole(col, "ignore", None, label)
            return ColumnRole(col, "criterion", number, label)
    return ColumnRole(col, "ignore", None, label)

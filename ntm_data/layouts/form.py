"""Layout c: one sheet per commune, the commune's self-assessment form (TT · Tên tiêu chí · Nội dung ·
Chỉ tiêu · Kết quả thực hiện · Tự đánh giá). The commune is named in the title ("... XÃ SƠN HỒNG")."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from ntm_data.layouts.common import (
    MARK_COLUMNS,
    RAW_COMMUNE_COLUMNS,
    VALUE_COLUMNS,
    TableRead,
    body_rows,
    empty_frame,
    out_of_range,
    unreadable,
    warn,
)
from ntm_data.layouts.headers import bare_int, indicator_code
from ntm_data.text import (
    UNKNOWN_MARK,
    fold,
    has_percent_sign,
    is_blank,
    nfc,
    parse_mark,
    parse_number,
    strip_commune_prefix,
)
from ntm_data.workbook import SheetGrid, cell_name, column_letter

HEADER_SCAN_ROWS = 30
_ROLE_PATTERNS = (
    ("mark", re.compile(r"^(tu danh gia|ket qua tu danh gia|danh gia|ket qua danh gia|xa tu danh gia"
                        r"|muc do dat|dat/chua dat|tu danh gia muc do dat)\b")),
    ("tt", re.compile(r"^(s?tt|so tt)$")),
    ("criterion", re.compile(r"^(ten tieu chi|tieu chi)$")),
    ("content", re.compile(r"^(noi dung|noi dung tieu chi|chi tieu|ten chi tieu|noi dung chi tieu)$")),
    ("target", re.compile(r"^(chi tieu (chung|dat chuan|theo|cua|quy dinh|phai dat)|yeu cau|muc (chi tieu|yeu cau)"
                          r"|chi tieu$)")),
    ("value", re.compile(r"^(ket qua thuc hien|ket qua|hien trang|thuc hien|thuc trang|ket qua dat duoc"
                         r"|ket qua thuc hien (den|nam))")),
)
# "XÃ SƠN HỒNG" in a title; the words after a commune that end its name.
_COMMUNE_IN_TITLE = re.compile(r"(?:^|[\s(,:-])(XÃ|Xã|xã|PHƯỜNG|Phường|THỊ TRẤN|Thị trấn)\s+")
_NAME_END = re.compile(
    r"\s*(?:[,;:()\-–]|\s(?:huyện|HUYỆN|tỉnh|TỈNH|năm|NĂM|giai đoạn|GIAI ĐOẠN|theo|THEO|thị xã|THỊ XÃ|thành phố"
    r"|THÀNH PHỐ|đến|ĐẾN)\b).*$"
)
_NOT_A_NAME = ("nong thon", "dat chuan", "nang cao", "kieu mau", "ntm", "thuoc", "cua", "hoi chu nghia")
_DISTRICT_IN_TITLE = re.compile(r"(HUYỆN|Huyện|huyện|THỊ XÃ|Thị xã|THÀNH PHỐ|Thành phố)\s+([^,;:()\-–\n]+)")


@dataclass(frozen=True)
class Form:
    """Where a self-assessment form sits in a sheet: header row, data from `data_start`, column map."""

    sheet: SheetGrid
    header: int
    data_start: int
    columns: dict[str, int]


def _role(text: object) -> str | None:
    if text.__class__ is str:  # title cells merged across a sheet repeat one text dozens of times
        return _text_role(text)
    return _fold_role(text)


@lru_cache(maxsize=4096)
def _text_role(text: str) -> str | None:
    return _fold_role(text)


def _fold_role(text: object) -> str | None:
    folded = re.sub(r"\s+", " ", fold(text)).strip(" :*")
    for role, pattern in _ROLE_PATTERNS:
        if pattern.match(folded):
            return role
    return None


def find_form(grid: SheetGrid) -> Form | None:
    """The self-assessment form in a sheet, or None: a header row naming criteria and a self-assessment."""
    for r in range(min(grid.height, HEADER_SCAN_ROWS)):
        columns: dict[str, int] = {}
        for c, value in enumerate(grid.rows[r]):
            if isinstance(value, str) and value.strip():
                role = _role(value)
                if role and role not in columns:
                    columns[role] = c
        if "mark" in columns and ("criterion" in columns or "content" in columns) and (
            "tt" in columns or "criterion" in columns
        ):
            data_start = r + 1
            # Sub-header rows (merged parents: "Chỉ tiêu" over "Chung | Vùng") and a column-number row.
            while data_start < grid.height and data_start <= r + 2 and _is_sub_header(grid.rows[data_start]):
                for c, value in enumerate(grid.rows[data_start]):
                    role = _role(value) if isinstance(value, str) else None
                    if role and role not in columns:
                        columns[role] = c
                data_start += 1
            return Form(grid, r, data_start, columns)
    return None


def _is_sub_header(row: list[Any]) -> bool:
    filled = [v for v in row if not is_blank(v)]
    if not filled:
        return False
    numbered = all(bare_int(v) is not None or (isinstance(v, str) and re.fullmatch(r"\(?[0-9a-zA-Z]{1,2}\)?", v.strip()))
                   for v in filled)
    return numbered or all(isinstance(v, str) and _role(v) is not None for v in filled)


def commune_from_title(grid: SheetGrid, before_row: int) -> tuple[str | None, str | None, str | None]:
    """(commune name, district, cell of the title) named in the rows above the form."""
    for r in range(min(before_row, HEADER_SCAN_ROWS)):
        for c, value in enumerate(grid.rows[r]):
            if not isinstance(value, str):
                continue
            text = nfc(value)
            if fold(text).startswith("cong hoa"):
                continue
            for match in _COMMUNE_IN_TITLE.finditer(text):
                name = _NAME_END.sub("", text[match.end():]).strip(" .")
                if not name or fold(name).startswith(_NOT_A_NAME) or len(name) > 40:
                    continue
                if name.isupper():
                    name = name.title()
                district = _DISTRICT_IN_TITLE.search(text)
                district_name = None
                if district:
                    district_name = _NAME_END.sub("", district.group(2)).strip(" .")
                    district_name = district_name.title() if district_name.isupper() else district_name
                return name, district_name, cell_name(r, c)
    return None, None, None


def read_form(form: Form, criteria_set: Any) -> TableRead:
    """One commune's marks and values from its self-assessment form."""
    grid = form.sheet
    sheet = grid.name
    issues: list[Any] = []
    name, district, title_cell = commune_from_title(grid, form.header)
    if name is None:
        name = strip_commune_prefix(sheet)
        if name == nfc(sheet):  # "Xã Mẹt" names a commune; "SonHong" or "Sheet3" may not
            issues.append(warn("commune_name_from_sheet", sheet, None, name=name))
    name = strip_commune_prefix(name)
    commune_code, region = _code_and_region(grid, form.header)
    commune_id = commune_code or name.casefold()
    last_row = form.data_start
    cols = form.columns
    reported: tuple[float, str] | None = None
    numbers = {c.number for c in criteria_set.criteria}
    blocks: dict[str, list[dict[str, Any]]] = {}
    current: str | None = None
    for r, row, first in body_rows(grid, form.data_start):
        if isinstance(first, str) and _FORM_END.match(fold(first)):
            count = _REPORTED.search(fold(first))
            if count and reported is None:
                reported = (float(count.group(1)), cell_name(r, row.index(first)))
            continue
        tt = grid.value(r, cols["tt"]) if "tt" in cols else ""
        if isinstance(tt, float) and not tt.is_integer():
            tt = repr(tt)  # 2.1 typed as a number
        crit_text = grid.value(r, cols["criterion"]) if "criterion" in cols else ""
        content = grid.value(r, cols["content"]) if "content" in cols else ""
        number = _criterion_of(tt, crit_text, criteria_set, numbers)
        code = indicator_code(tt, criteria_set) if isinstance(tt, str) else None
        code = code or (indicator_code(content, criteria_set) if isinstance(content, str) else None)
        if code and number is None:
            number = code.split(".")[0]
        if number is not None:
            current = number
        if current is None:
            continue
        last_row = r
        blocks.setdefault(current, []).append({
            "row": r, "code": code if code and code.split(".")[0] == current else None,
            "content": "" if is_blank(content) or content == crit_text else nfc(content),
            "value": grid.value(r, cols["value"]) if "value" in cols else "",
            "mark": grid.value(r, cols["mark"]),
        })
    marks, values = _block_records(blocks, form, criteria_set, commune_id, issues)
    mark_letter = column_letter(cols["mark"])
    communes = pd.DataFrame([{
        "commune_id": commune_id, "name": name, "code": commune_code, "district": district,
        "region_text": region[0] if region else None, "region_cell": region[1] if region else None,
        "population": np.nan, "households": np.nan, "target_year": pd.NA,
        "recognized_year": pd.NA, "sheet": sheet, "row": form.header + 1, "name_cell": title_cell,
        "reported_met": reported[0] if reported else np.nan, "reported_met_cell": reported[1] if reported else None,
        "mark_range": f"{mark_letter}{form.data_start + 1}:{mark_letter}{last_row + 1}" if reported else None,
    }], columns=RAW_COMMUNE_COLUMNS)
    score = 1.0 * len(blocks)  # below a district table, which then takes the forms' values
    return TableRead(sheet, "per_commune", communes, marks, values, issues, score)


_FORM_END = re.compile(r"^(tong so (tieu chi|tc)|so (tieu chi|tc) (da )?dat|(cac )?(tieu chi|tc) chua dat"
                       r"|ket luan|tong cong|xep loai)")
_REPORTED = re.compile(r"(?:tieu chi|tc) (?:da )?dat\s*:?\s*(\d{1,2})\b")
_CODE_IN_TITLE = re.compile(r"\bma (?:xa|don vi|dvhc)\s*:?\s*(\d{3,6})\b")
_REGION_IN_TITLE = re.compile(r"(?:vung|xa nhom|nhom xa)\s*:\s*([^;)\n]+)")


def _code_and_region(grid: SheetGrid, before_row: int) -> tuple[str | None, tuple[str, str] | None]:
    """The commune code and region a form's title block states ("(Mã xã: 06298; vùng: Trung du ...)")."""
    code = region = None
    for r in range(min(before_row, HEADER_SCAN_ROWS)):
        for c, value in enumerate(grid.rows[r]):
            if not isinstance(value, str) or (code and region):
                continue
            folded = fold(value)
            found = _CODE_IN_TITLE.search(folded)
            code = code or (found.group(1) if found else None)
            found = _REGION_IN_TITLE.search(folded)
            if found and region is None:
                # Cut the original text at the same offsets when folding kept one character per
                # character (it does for Vietnamese letters); else keep the folded words.
                text = nfc(value) if len(nfc(value)) == len(folded) else folded
                region = (text[found.start(1):found.end(1)].strip(" ."), cell_name(r, c))
    return code, region


def _criterion_of(tt: object, crit_text: object, criteria_set: Any, numbers: set[str]) -> str | None:
    number = bare_int(tt)
    if number is not None and str(number) in numbers:
        return str(number)
    if isinstance(tt, str) and re.fullmatch(r"\s*\d{1,2}\s*\.?\s*", tt) and tt.strip(" .") in numbers:
        return tt.strip(" .")
    if isinstance(crit_text, str) and crit_text.strip():
        text = re.sub(r"^\s*(tiêu chí|tc)\s*(số)?\s*\d{1,2}\s*[.:\-–]?\s*", "", nfc(crit_text), flags=re.IGNORECASE)
        found = criteria_set.match_criterion(crit_text) or criteria_set.match_criterion(text)
        if found:
            return found
    return None


def _merged_span(form: Form, row: int) -> tuple[int, int] | None:
    col = form.columns["mark"]
    for r0, c0, r1, c1 in form.sheet.merged:
        if c0 <= col <= c1 and r0 <= row <= r1 and r1 > r0:
            return r0, r1
    return None


def _block_records(blocks: dict[str, list[dict[str, Any]]], form: Form, criteria_set: Any, commune_id: str,
                   issues: list[Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    sheet = form.sheet.name
    mark_col = form.columns["mark"]
    value_col = form.columns.get("value")
    mark_rows: list[dict[str, Any]] = []
    value_rows: list[dict[str, Any]] = []
    for number, rows in blocks.items():
        criterion = criteria_set.criterion(number)
        catalogued = [i.code for i in criterion.indicators] if criterion is not None else []
        indicator_rows = [r for r in rows if r["content"] or r["code"]]
        head_rows = [r for r in rows if not (r["content"] or r["code"])]
        parsed = []
        for r in rows:
            m = None if is_blank(r["mark"]) else parse_mark(r["mark"])
            if m is None and not is_blank(r["mark"]):
                issues.append(unreadable("unknown_mark", sheet, cell_name(r["row"], mark_col), r["mark"],
                                         criterion=number))
            parsed.append(None if m == UNKNOWN_MARK else m)  # "Chưa rõ": no mark, no warning
        mark_of = {r["row"]: m for r, m in zip(rows, parsed, strict=True)}
        span = _merged_span(form, rows[0]["row"])
        whole_block = span is not None and span[0] <= rows[0]["row"] and span[1] >= rows[-1]["row"]
        criterion_mark: tuple[str, str] | None = None
        if head_rows and mark_of[head_rows[0]["row"]] is not None:
            criterion_mark = (mark_of[head_rows[0]["row"]], cell_name(head_rows[0]["row"], mark_col))
        elif whole_block and mark_of[rows[0]["row"]] is not None:
            criterion_mark = (mark_of[rows[0]["row"]], cell_name(span[0], mark_col))
        elif len(indicator_rows) == 1 and mark_of[indicator_rows[0]["row"]] is not None:
            criterion_mark = (mark_of[indicator_rows[0]["row"]], cell_name(indicator_rows[0]["row"], mark_col))
        elif indicator_rows and all(mark_of[r["row"]] is not None for r in indicator_rows):
            status = "met" if all(mark_of[r["row"]] == "met" for r in indicator_rows) else "not_met"
            first, last = indicator_rows[0]["row"], indicator_rows[-1]["row"]
            criterion_mark = (status, f"{cell_name(first, mark_col)}:{cell_name(last, mark_col)}")
        if criterion_mark is not None:
            mark_rows.append({"commune_id": commune_id, "criterion": number, "mark": criterion_mark[0],
                              "raw": criterion_mark[0], "sheet": sheet, "cell": criterion_mark[1]})
        for k, r in enumerate(indicator_rows):
            code = r["code"] or (catalogued[k] if k < len(catalogued) else
                                 (number if len(indicator_rows) == 1 and not catalogued else f"{number}.{k + 1}"))
            indicator = criteria_set.indicator(code)
            kind = indicator.kind if indicator is not None else "number"
            value = _form_value(r["value"], kind)
            if indicator is None and not r["code"] and np.isnan(value):
                continue  # "Đạt các chỉ tiêu của tiêu chí 4": the criterion's own row, not a sub-indicator
            if kind == "percent" and (value > 100.0 or value < 0.0):
                issues.append(out_of_range(sheet, cell_name(r["row"], value_col), value, code))
                value = float("nan")
            own_mark = None if whole_block else mark_of[r["row"]]
            if np.isnan(value) and not is_blank(r["value"]) and kind != "yes_no":
                text_mark = parse_mark(r["value"]) if isinstance(r["value"], str) else None
                if text_mark is None:
                    issues.append(unreadable("bad_number", sheet, cell_name(r["row"], value_col), r["value"],
                                             indicator=code))
                own_mark = own_mark or (None if text_mark == UNKNOWN_MARK else text_mark)
            if value_col is None or (is_blank(r["value"]) and own_mark is None):
                continue
            value_rows.append({
                "commune_id": commune_id, "indicator": code, "criterion": number, "value": value,
                "mark": own_mark, "sheet": sheet, "cell": cell_name(r["row"], value_col),
                "mark_cell": None if own_mark is None else cell_name(r["row"], mark_col),
            })
    marks = pd.DataFrame(mark_rows, columns=MARK_COLUMNS) if mark_rows else empty_frame(MARK_COLUMNS)
    values = pd.DataFrame(value_rows, columns=VALUE_COLUMNS) if value_rows else empty_frame(VALUE_COLUMNS)
    return marks, values


def _form_value(value: object, kind: str) -> float:
    if kind == "yes_no":
        mark = parse_mark(value) if not is_blank(value) else None
        return {"met": 1.0, "not_met": 0.0}.get(mark or "", parse_number(value))
    number = parse_number(value)
    if kind == "percent" and isinstance(value, float) and not has_percent_sign(value) and 0 < number <= 1:
        number *= 100.0  # a cell formatted as a per-cent holds the fraction
    return number

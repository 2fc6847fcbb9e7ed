"""Layout d: the long table, one row per commune x criterion or sub-indicator (Xã · Tiêu chí/Chỉ tiêu ·
Giá trị · Đánh giá · Năm phấn đấu)."""
from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from ntm_data.layouts.common import (
    MARK_COLUMNS,
    RAW_COMMUNE_COLUMNS,
    VALUE_COLUMNS,
    body_rows,
    commune_ids,
    display,
    empty_frame,
    out_of_range,
    unreadable,
)
from ntm_data.layouts.headers import ColumnRole, bare_int, criterion_number, indicator_code, meta_role
from ntm_data.text import (
    UNKNOWN_MARK,
    fold,
    has_percent_sign,
    is_blank,
    nfc,
    parse_mark,
    parse_number,
    parse_year,
    strip_commune_prefix,
)
from ntm_data.workbook import SheetGrid, cell_name

_ITEM = re.compile(r"^(ma )?(tieu chi|chi tieu|tc|ct)( ?[/,] ?(chi tieu|tieu chi))?( so)?$|^(ten )?(tieu chi|chi tieu)$"
                   r"|^noi dung( tieu chi| chi tieu)?$|^ma (tieu chi|chi tieu)$")
_VALUE = re.compile(r"^(gia tri|ket qua|ket qua thuc hien|so lieu|thuc hien|hien trang|thuc trang)\b")
_STATUS = re.compile(r"^(danh gia|tu danh gia|ket qua danh gia|dat/chua dat|tinh trang|trang thai|muc do dat)\b")


def long_columns(grid: SheetGrid, top: int, bottom: int, name_col: int) -> tuple[ColumnRole, ...] | None:
    """Columns of a long table (roles item/value/status plus commune facts), or None if it is not one."""
    width = max(len(grid.rows[r]) for r in range(top, bottom + 1))
    roles: list[ColumnRole] = []
    found: set[str] = set()
    for col in range(width):
        pieces = [display(grid.value(r, col)) for r in range(top, bottom + 1) if not is_blank(grid.value(r, col))]
        label = " | ".join(dict.fromkeys(pieces))
        bottom_text = re.sub(r"\s+", " ", fold(pieces[-1])).strip(" :") if pieces else ""
        role = "ignore"
        if col == name_col:
            role = "name"
        elif _ITEM.match(bottom_text):
            role = "item"
        elif _STATUS.match(bottom_text):
            role = "status"
        elif _VALUE.match(bottom_text):
            role = "value"
        elif pieces:
            role = meta_role(pieces[-1]) or "ignore"
        if role in found and role != "ignore":
            role = "ignore"
        found.add(role)
        roles.append(ColumnRole(col, role, None, label))
    if "item" in found and ({"value", "status"} & found):
        return tuple(roles)
    return None


def read_long(table: Any, criteria_set: Any) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[Any]]:
    """(raw communes, marks, values, issues) of a long table. Rows of one commune may be scattered; a
    blank name continues the commune above (a name merged down or written once per block)."""
    grid: SheetGrid = table.sheet
    sheet = grid.name
    col = {c.role: c.col for c in table.columns if c.role != "ignore"}
    issues: list[Any] = []
    communes: dict[str, dict[str, Any]] = {}
    marks: list[dict[str, Any]] = []
    values: list[dict[str, Any]] = []
    current: str | None = None
    for r, _row, _first in body_rows(grid, table.data_start):
        raw_name = grid.value(r, col["name"])
        if isinstance(raw_name, str) and raw_name.strip():
            name = strip_commune_prefix(raw_name)
            code_raw = grid.value(r, col["code"]) if "code" in col else ""
            code = None if is_blank(code_raw) else display(code_raw)
            district = _text(grid.value(r, col["district"])) if "district" in col else None
            # Read by code, else by district and name: namesakes in two districts stay two communes.
            current = code or f"{(district or '').casefold()}/{name.casefold()}"
            if current not in communes:
                communes[current] = {
                    "commune_id": current, "name": name, "code": code,
                    "district": district,
                    "region_text": _text(grid.value(r, col["region"])) if "region" in col else None,
                    "region_cell": cell_name(r, col["region"]) if "region" in col else None,
                    "population": np.nan, "households": np.nan, "target_year": None, "recognized_year": None,
                    "sheet": sheet, "row": r + 1, "name_cell": cell_name(r, col["name"]),
                    "reported_met": np.nan, "reported_met_cell": None, "mark_range": None,
                }
        if current is None:
            continue
        item = grid.value(r, col["item"])
        code = indicator_code(item, criteria_set) if isinstance(item, str) else None
        number = None if code else criterion_number(item, criteria_set, bare_ok=True)
        if number is None and code is None and isinstance(item, str) and bare_int(item) is None:
            number = criteria_set.match_criterion(item)
        if code is None and number is None:
            continue
        status_raw = grid.value(r, col["status"]) if "status" in col else ""
        mark = None if is_blank(status_raw) else parse_mark(status_raw)
        if mark is None and not is_blank(status_raw):
            issues.append(unreadable("unknown_mark", sheet, cell_name(r, col["status"]), status_raw,
                                     criterion=code or number))
        if "target_year" in col:
            target = parse_year(grid.value(r, col["target_year"]))
            known = communes[current]["target_year"]
            if target is not None and (known is None or target > known):
                communes[current]["target_year"] = target
        value_raw = grid.value(r, col["value"]) if "value" in col else ""
        if number is not None:
            if mark is not None:
                marks.append({"commune_id": current, "criterion": number, "mark": mark, "raw": status_raw,
                              "sheet": sheet, "cell": cell_name(r, col["status"])})
            if criteria_set.indicator(number) is None or is_blank(value_raw):
                continue
            code = number  # a criterion measured by one value (10 Thu nhập)
        indicator = criteria_set.indicator(code)
        kind = indicator.kind if indicator is not None else "number"
        value = parse_number(value_raw)
        if kind == "yes_no" and isinstance(value_raw, str) and not is_blank(value_raw):
            value = {"met": 1.0, "not_met": 0.0}.get(parse_mark(value_raw) or "", value)
        elif kind == "percent" and isinstance(value_raw, float) and not has_percent_sign(value_raw) and 0 < value <= 1:
            value *= 100.0
        if kind == "percent" and (value > 100.0 or value < 0.0):
            issues.append(out_of_range(sheet, cell_name(r, col.get("value", col["item"])), value, code))
            value = float("nan")
        if np.isnan(value) and not is_blank(value_raw) and "value" in col:
            text_mark = parse_mark(value_raw) if isinstance(value_raw, str) else None
            if text_mark is None:
                issues.append(unreadable("bad_number", sheet, cell_name(r, col["value"]), value_raw, indicator=code))
            mark = mark or text_mark
        if mark == UNKNOWN_MARK:  # "Chưa rõ": the value has no mark of its own
            mark = None
        values.append({
            "commune_id": current, "indicator": code, "criterion": code.split(".")[0], "value": value,
            "mark": mark, "sheet": sheet, "cell": cell_name(r, col.get("value", col["item"])),
            "mark_cell": None if mark is None or "status" not in col else cell_name(r, col["status"]),
        })
    frame = pd.DataFrame(list(communes.values()), columns=RAW_COMMUNE_COLUMNS)
    final = dict(zip(frame["commune_id"], commune_ids(frame), strict=True)) if len(frame) else {}
    frame["commune_id"] = frame["commune_id"].map(final)
    for record in (*marks, *values):
        record["commune_id"] = final[record["commune_id"]]
    frame["target_year"] = pd.array(frame["target_year"].tolist(), dtype="Int64")
    frame["recognized_year"] = pd.array([pd.NA] * len(frame), dtype="Int64")
    mark_frame = pd.DataFrame(marks, columns=MARK_COLUMNS) if marks else empty_frame(MARK_COLUMNS)
    value_frame = pd.DataFrame(values, columns=VALUE_COLUMNS) if values else empty_frame(VALUE_COLUMNS)
    return frame, mark_frame, value_frame, issues


def _text(value: object) -> str | None:
    return None if is_blank(value) else nfc(value)

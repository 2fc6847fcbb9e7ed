"""Table detection over all sheets of a workbook: pick the tables, read them, merge them into one read."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from ntm_data.layouts.common import (
    MARK_COLUMNS,
    RAW_COMMUNE_COLUMNS,
    VALUE_COLUMNS,
    TableRead,
    commune_ids,
    empty_frame,
    error,
    warn,
)
from ntm_data.layouts.form import find_form, read_form
from ntm_data.layouts.rows import find_row_tables, read_row_table
from ntm_data.model import Issue
from ntm_data.tcvn3 import column_is_tcvn3, decode_tcvn3
from ntm_data.text import commune_key, fold, nfc
from ntm_data.workbook import SheetGrid

TITLE_ROWS = 15  # rows above a table that hold the title block
_TITLE_WORDS = ("bao cao", "ket qua", "tong hop", "bieu", "danh sach", "bang", "tinh hinh", "thuc trang", "thong ke")
_NOT_TITLE = ("cong hoa xa hoi", "doc lap - tu do", "doc lap – tu do", "doc lap-tu do")


@dataclass(frozen=True)
class WorkbookRead:
    """Everything read from a workbook before evaluation: frames as in layouts.common.TableRead,
    communes in reading order (ids unique), the layout and sheet of the main table, its title."""

    communes: pd.DataFrame
    marks: pd.DataFrame
    values: pd.DataFrame
    issues: list[Issue] = field(default_factory=list)
    layout: str = ""
    sheet: str = ""
    title: str | None = None
    title_block: str = ""
    context_text: str = ""
    issuing_body: str | None = None
    grouping_name: str | None = None


def context_text(grids: tuple[SheetGrid, ...]) -> str:
    """The text of every sheet's title block and notes (top and bottom rows), for detecting the
    criteria set and the period."""
    parts: list[str] = []
    for grid in grids:
        for rows in (grid.rows[:TITLE_ROWS], grid.rows[-TITLE_ROWS:] if grid.height > TITLE_ROWS else []):
            for row in rows:
                seen: set[str] = set()
                for v in row:
                    if isinstance(v, str) and v.strip() and v not in seen:
                        seen.add(v)
                        parts.append(nfc(v))
    return "\n".join(parts)


def sheet_title(grid: SheetGrid, before_row: int) -> str | None:
    """The report title above a table: the first title-like line of the title block."""
    for row in grid.rows[: min(before_row, TITLE_ROWS)]:
        for v in row:
            if isinstance(v, str) and v.strip():
                folded = fold(v)
                if folded.startswith(_NOT_TITLE):
                    continue
                if any(w in folded for w in _TITLE_WORDS):
                    return nfc(v)
    return None


# The issuing body heads the title block: "UBND HUYỆN HỮU LŨNG" over "BAN CHỈ ĐẠO CÁC CTMTQG".
_BODY_STARTS = ("ubnd", "uy ban nhan dan", "bcd", "ban chi dao", "van phong dieu phoi", "vp dieu phoi",
                "so nong nghiep", "phong nong nghiep", "ban quan ly", "hdnd", "hoi dong nhan dan")
BODY_LINES = 3
# An area named in a title: "HUYỆN HỮU LŨNG", "huyện Hữu Lũng, tỉnh Lạng Sơn", "Quận 9", "thị xã Sơn Tây".
# The name is read in a look-ahead, so that "QUẬN 9 VÀ HUYỆN CẦN GIỜ" yields both areas.
_AREA = re.compile(r"(?<![^\W_])(huyện|quận|thị xã|thành phố|tỉnh)\s+(?=([^\W_][\w'’-]*(?:[ \t]+[\w'’-]+){0,5}))",
                   re.IGNORECASE)
# Words that end an area's name (lower-case NFC: "Hà Tĩnh" is a name, "tỉnh" is not): the next area,
# a year ("năm 2022", while "Năm Căn" is a name), the rest of a title.
_NAME_ENDS = {"tỉnh", "thành", "huyện", "quận", "thị", "năm", "giai", "đến", "theo", "về", "của", "vùng", "ngày",
              "tháng", "tp", "tp.", "trên", "trong", "và", "nông", "xã", "đạt", "tại", "báo", "kết", "-", "–"}
# Centrally governed cities are provinces, other "thành phố" are district-level.
_CENTRAL_CITIES = {"ha noi", "ho chi minh", "hai phong", "da nang", "can tho", "hue"}


@dataclass(frozen=True)
class TitleAreas:
    """What a title block says about who reports and on what area: the issuing body's lines (NFC, as
    typed) and the district-level and provincial areas named, as proper names ("Hữu Lũng")."""

    issuing_body: str | None
    districts: tuple[str, ...]
    provinces: tuple[str, ...]

    @property
    def grouping_name(self) -> str | None:
        """"Huyện Hữu Lũng" when exactly one district-level area is named, else "Tỉnh Lạng Sơn" when
        exactly one province is, else None."""
        if len(self.districts) == 1:
            return self.districts[0]
        if not self.districts and len(self.provinces) == 1:
            return self.provinces[0]
        return None


def proper_name(text: str) -> str:
    """'HỮU LŨNG' -> 'Hữu Lũng' (NFC; each word capitalised, so "M'gar" keeps its lower-case g)."""
    return " ".join(w[:1].upper() + w[1:].lower() for w in nfc(text).split())


def title_lines(grid: SheetGrid, before_row: int) -> list[str]:
    """Distinct texts of the rows above a table (at most TITLE_ROWS), NFC, in reading order."""
    lines: list[str] = []
    for row in grid.rows[: min(before_row, TITLE_ROWS)]:
        for v in row:
            if isinstance(v, str) and v.strip() and nfc(v) not in lines:
                lines.append(nfc(v))
    return lines


def title_areas(lines: list[str]) -> TitleAreas:
    """The issuing body (its lines at the head of the block, joined by a line break) and the areas named."""
    body: list[str] = []
    for line in lines:
        folded = fold(line)
        if folded.startswith(_BODY_STARTS) and len(body) < BODY_LINES:
            body.append(line)
        elif body and not folded.startswith(_NOT_TITLE):
            break
    districts: list[str] = []
    provinces: list[str] = []
    for line in lines:
        for match in _AREA.finditer(line):
            words = match.group(2).split()
            kept: list[str] = []
            for k, word in enumerate(words):
                lower = word.lower()
                if lower in _NAME_ENDS and (lower != "năm" or k + 1 >= len(words) or words[k + 1][:1].isdigit()):
                    break
                if word[:1].isdigit() and (kept or fold(match.group(1)) != "quan"):
                    break  # "HUYỆN HỮU LŨNG 2022"; only a quận is named by a number ("Quận 9")
                kept.append(word.rstrip(".,;:"))
                if word[-1:] in ",;:":
                    break
            if not kept or not (kept[0][:1].isupper() or kept[0][:1].isdigit()):
                continue  # "các xã trong huyện", "toàn huyện năm 2022": no name
            kind, name = fold(match.group(1)), proper_name(" ".join(kept))
            label = f"{match.group(1)[:1].upper()}{match.group(1)[1:].lower()} {name}"
            if kind == "tinh" or (kind == "thanh pho" and fold(name) in _CENTRAL_CITIES):
                if label not in provinces:
                    provinces.append(label)
            elif label not in districts:
                districts.append(label)
    return TitleAreas("\n".join(body) or None, tuple(districts), tuple(provinces))


def area_name(label: str) -> str:
    """'Huyện Hữu Lũng' -> 'Hữu Lũng', 'Tỉnh Lạng Sơn' -> 'Lạng Sơn' (the form the Huyện column uses)."""
    for kind in ("Huyện ", "Quận ", "Thị xã ", "Thành phố ", "Tỉnh "):
        if label.startswith(kind):
            return label[len(kind):]
    return label


def _workbook_areas(grids: tuple[SheetGrid, ...], communes: pd.DataFrame, main_sheet: str) -> TitleAreas:
    """The areas named in the title blocks of every sheet that holds communes (a workbook of commune
    forms names the district on each form); the issuing body of the main sheet, kept only when every
    such sheet names the same one."""
    by_name = {g.name: g for g in grids}
    found: dict[str, TitleAreas] = {}
    # Each sheet's first commune row (sheets in reading order; a commune without a sheet is in none).
    sheet_codes, sheets = pd.factorize(communes["sheet"])
    first_rows = np.full(len(sheets), np.iinfo(np.int64).max, dtype=np.int64)
    listed = sheet_codes >= 0
    np.minimum.at(first_rows, sheet_codes[listed], communes["row"].to_numpy(dtype=np.int64)[listed])
    for sheet, first_row in zip(sheets, first_rows.tolist(), strict=True):
        if sheet in by_name:
            found[sheet] = title_areas(title_lines(by_name[sheet], first_row))
    if not found:
        return TitleAreas(None, (), ())
    main = found.get(main_sheet) or next(iter(found.values()))
    bodies = {a.issuing_body for a in found.values()}
    districts = tuple(dict.fromkeys(d for a in found.values() for d in a.districts))
    provinces = tuple(dict.fromkeys(p for a in found.values() for p in a.provinces))
    return TitleAreas(main.issuing_body if len(bodies) == 1 else None, districts, provinces)


def read_tables(grids: tuple[SheetGrid, ...], criteria_set: Any) -> WorkbookRead | None:
    """Find and read the status tables of a workbook; None when no sheet has a recognisable table.

    The best-scoring table is the main one. Other sheets' tables either add communes (no commune in
    common: a workbook split by district) or add marks/values to communes already read (a summary
    sheet plus a sheet of sub-indicator values)."""
    grids, legacy_issues = _decode_legacy_sheets(grids)
    reads: list[TableRead] = []
    for grid in grids:
        candidates = [read_row_table(t, criteria_set) for t in find_row_tables(grid, criteria_set)]
        form = find_form(grid)
        if form is not None:
            candidates.append(read_form(form, criteria_set))
        candidates = [c for c in candidates if len(c.communes) and (len(c.marks) or len(c.values))]
        if candidates:
            reads.append(max(candidates, key=lambda c: c.score))
    if not reads:
        return None
    # A hidden sheet is often a stale copy or a lookup list: use it only when no visible sheet has a table.
    visible = {g.name for g in grids if g.visible}
    if any(r.sheet in visible for r in reads):
        reads = [r for r in reads if r.sheet in visible]
    reads.sort(key=lambda r: (-r.score))
    reads = _split_by_district(reads)
    main = reads[0]
    communes, marks, values = main.communes, main.marks, main.values
    issues = legacy_issues + list(main.issues)
    communes, dup_issues = _dedupe(communes)
    issues += dup_issues
    # One row-per-commune table whose communes are all distinct holds one mark per (commune, criterion)
    # and one value per (commune, sub-indicator): nothing to de-duplicate in 570,000 value rows.
    distinct = len(reads) == 1 and not dup_issues and main.distinct_keys
    for extra in reads[1:]:
        issues += extra.issues
        known = set(communes["commune_id"])
        extra, name_issues = _match_by_name(extra, communes)
        issues += name_issues
        extra_ids = set(extra.communes["commune_id"])
        if not known & extra_ids:
            communes = pd.concat([communes, extra.communes], ignore_index=True)
            communes, dup_issues = _dedupe(communes)
            issues += dup_issues
            marks = _concat([marks, extra.marks])
            values = _concat([values, extra.values])
            continue
        for cid, cell in zip(extra.communes["commune_id"], extra.communes["name_cell"], strict=True):
            if cid not in known:
                name = extra.communes.loc[extra.communes["commune_id"] == cid, "name"].iloc[0]
                issues.append(warn("commune_not_in_main_table", extra.sheet, cell, name=name, main_sheet=main.sheet))
        marks = _concat([marks, extra.marks[extra.marks["commune_id"].isin(known)]])
        values = _concat([values, extra.values[extra.values["commune_id"].isin(known)]])
    if not distinct:
        marks = marks.drop_duplicates(["commune_id", "criterion"], keep="first")
        values = values.drop_duplicates(["commune_id", "indicator"], keep="first")
    marks = marks if len(marks) else empty_frame(MARK_COLUMNS)
    values = values if len(values) else empty_frame(VALUE_COLUMNS)
    grid = next(g for g in grids if g.name == main.sheet)
    first_row = int(main.communes["row"].min()) if len(main.communes) else grid.height
    areas = _workbook_areas(grids, communes, main.sheet)
    if communes["district"].isna().all() and len(areas.districts) == 1:
        # No Huyện column and no district group rows: the title block names the one district.
        communes = communes.assign(district=area_name(areas.districts[0]))
    return WorkbookRead(
        communes=_columns(communes, RAW_COMMUNE_COLUMNS),
        marks=_columns(marks, MARK_COLUMNS),
        values=_columns(values, VALUE_COLUMNS),
        issues=issues,
        layout=main.layout,
        sheet=main.sheet,
        title=sheet_title(grid, first_row),
        title_block="\n".join(nfc(v) for row in grid.rows[: min(first_row, TITLE_ROWS)] for v in row
                               if isinstance(v, str) and v.strip()),
        context_text=context_text(grids),
        issuing_body=areas.issuing_body,
        grouping_name=areas.grouping_name,
    )


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Rows of several tables' marks or values, one after the other. Columns categorical in every
    table stay categorical (categories united, codes remapped) so evaluation still gets codes."""
    kept = [f for f in frames if len(f)] or frames[:1]
    if len(kept) == 1:
        return kept[0].reset_index(drop=True)
    out = pd.concat(kept, ignore_index=True)
    for name in out.columns:
        columns = [f[name] for f in kept]
        if all(isinstance(c.dtype, pd.CategoricalDtype) for c in columns):
            try:
                out[name] = union_categoricals(columns, ignore_order=True)
            except TypeError:  # categories of different dtypes: keep what concat made of them
                pass
    return out


def _columns(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """frame[columns] with a fresh 0..n-1 index, without copying a frame that has both already."""
    if list(frame.columns) != columns:
        frame = frame[columns]
    if not (isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0 and frame.index.step == 1):
        frame = frame.reset_index(drop=True)
    return frame


NAMESAKE_SHARE = 0.2  # sheets of one district each share few names; yearly copies share all of them


def _split_by_district(reads: list[TableRead]) -> list[TableRead]:
    """A workbook with one sheet per district: tables of the main table's layout whose commune names
    barely overlap. The sheet name becomes the district of communes without one, and a name found in
    two sheets (Tân Lập in two districts) gets district-qualified ids, so namesakes stay apart."""
    main = reads[0]
    same = [r for r in reads if r.layout == main.layout and r.layout in ("summary", "values")]
    if len(same) < 2:
        return reads
    names = [set(r.communes["name"].astype(object).map(str.casefold)) for r in same]
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            shared = len(a & b)
            if shared >= min(len(a), len(b)) or shared > max(1.0, NAMESAKE_SHARE * min(len(a), len(b))):
                return reads
    filled = [
        r.communes.assign(district=r.communes["district"].astype(object).where(r.communes["district"].notna(), r.sheet))
        if r.communes["district"].isna().all() else r.communes
        for r in same
    ]
    combined = pd.concat(filled, ignore_index=True)
    new_ids = commune_ids(combined).to_numpy(dtype=object)
    out: dict[int, TableRead] = {}
    start = 0
    for r, communes in zip(same, filled, strict=True):
        ids = new_ids[start:start + len(communes)]
        start += len(communes)
        remap = dict(zip(communes["commune_id"], ids, strict=True))

        def renamed(frame: pd.DataFrame, remap: dict = remap) -> pd.DataFrame:
            return frame.assign(commune_id=frame["commune_id"].map(lambda c: remap.get(c, c)))

        out[id(r)] = replace(r, communes=communes.assign(commune_id=ids), marks=renamed(r.marks),
                             values=renamed(r.values))
    return [out.get(id(r), r) for r in reads]


TCVN3_SAMPLE = 300  # texts looked at to decide that a whole sheet is typed in the .VnTime font


def _decode_legacy_sheets(grids: tuple[SheetGrid, ...]) -> tuple[tuple[SheetGrid, ...], list[Issue]]:
    """Sheets typed entirely in the pre-Unicode TCVN3 (.VnTime) font ("Tªn x·" for "Tên xã") are read
    through the TCVN3 chart, with one warning per sheet. A sheet counts as TCVN3 when its first texts
    (title, headers, first rows) hold TCVN3 words and no letter that only Unicode has."""
    out: list[SheetGrid] = []
    issues: list[Issue] = []
    for grid in grids:
        sample = []
        for row in grid.rows:
            sample += [v for v in row if isinstance(v, str) and v.strip()]
            if len(sample) >= TCVN3_SAMPLE:
                break
        if not column_is_tcvn3(sample):
            out.append(grid)
            continue
        rows = [[decode_tcvn3(v) if isinstance(v, str) else v for v in row] for row in grid.rows]
        out.append(replace(grid, rows=rows))
        issues.append(warn("tcvn3_sheet", grid.name, None))
    return tuple(out), issues


def _match_by_name(extra: TableRead, communes: pd.DataFrame) -> tuple[TableRead, list[Issue]]:
    """Give another sheet's communes the ids of the main table when only their names agree (the main
    table keys communes by code, a values sheet or a form only names them). An exact name (NFC, any
    case) first; else a name typed without accents when it folds to exactly one commune. One that folds
    to several (Son Ha: Sơn Hà or Sơn Hạ?) is never guessed: an issue names the candidates, the row is
    dropped."""
    names = communes["name"].astype(object)
    exact = names.map(str.casefold)
    unique = exact[~exact.duplicated(keep=False)]
    by_name = dict(zip(unique, communes.loc[unique.index, "commune_id"], strict=True))
    by_fold: dict[str, list[tuple[str, str]]] = {}
    for cid, name in zip(communes["commune_id"], names, strict=True):
        by_fold.setdefault(fold(name), []).append((cid, name))
    known = set(communes["commune_id"])
    district_of = dict(zip(communes["commune_id"], communes["district"], strict=True))

    def same_place(main_id: str, district: object) -> bool:  # a namesake in another district is not it
        other = district_of.get(main_id)
        return pd.isna(district) or pd.isna(other) or commune_key(district) == commune_key(other)

    remap: dict[str, str] = {}
    dropped: set[str] = set()
    issues: list[Issue] = []
    for cid, name, cell, district in zip(extra.communes["commune_id"], extra.communes["name"],
                                         extra.communes["name_cell"], extra.communes["district"], strict=True):
        if cid in known:
            continue
        if name.casefold() in by_name:
            if same_place(by_name[name.casefold()], district):
                remap[cid] = by_name[name.casefold()]
            continue
        candidates = [c for c in by_fold.get(fold(name), []) if same_place(c[0], district)]
        if len(candidates) == 1:
            remap[cid] = candidates[0][0]
        elif len(candidates) > 1:
            dropped.add(cid)
            issues.append(warn("ambiguous_commune", extra.sheet, cell, name=name,
                               candidates=", ".join(f"“{n}”" for _, n in candidates)))
    if not remap and not dropped:
        return extra, issues

    def renamed(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame[~frame["commune_id"].isin(dropped)]
        return frame.assign(commune_id=frame["commune_id"].map(lambda c: remap.get(c, c)))

    return replace(extra, communes=renamed(extra.communes), marks=renamed(extra.marks),
                   values=renamed(extra.values)), issues


def _dedupe(communes: pd.DataFrame) -> tuple[pd.DataFrame, list[Issue]]:
    """Keep the first row of a commune read twice (its marks come first too, so drop_duplicates on
    marks keeps them); an error names both rows."""
    dup = communes["commune_id"].duplicated(keep="first")
    issues: list[Issue] = []
    if dup.any():
        first = communes[~dup].set_index("commune_id")
        for _, row in communes[dup].iterrows():
            earlier = first.loc[row["commune_id"]]
            issues.append(error(
                "duplicate_commune", row["sheet"], row["name_cell"], name=row["name"],
                first=f"{earlier['sheet']}!{earlier['name_cell']}", second=f"{row['sheet']}!{row['name_cell']}",
            ))
    return communes[~dup], issues

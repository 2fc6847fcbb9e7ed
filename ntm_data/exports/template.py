"""The fill-in template: a district summary sheet the reader reads back, with dropdowns and validation."""
from __future__ import annotations

import io
from datetime import date

import pandas as pd
from xlsxwriter.worksheet import Worksheet

from ntm_data import i18n
from ntm_data.catalogue import CriteriaSet, Indicator, get_criteria_set
from ntm_data.exports.tables import Formats, make_formats, new_workbook, write_text, write_value
from ntm_data.model import Dataset, Status

# Cell words the reader understands; the template is filled in by commune offices, so always Vietnamese.
STATUS_WORDS = {Status.MET.value: "Đạt", Status.NOT_MET.value: "Chưa đạt"}
# A prefilled unknown status is written as this word, never left blank: a blank mark reads as "not met",
# and an unknown must never silently become not met. The reader reads it back as an explicit unknown.
UNKNOWN_WORD = "Chưa rõ"
# What the status dropdowns offer: met, not met, and an explicit "not known yet" (never a blank).
DROPDOWN_WORDS = (*STATUS_WORDS.values(), UNKNOWN_WORD)
LIST_SHEET = "DanhMuc"
STATUS_LIST_NAME = "DS_TrangThai"
REGION_LIST_NAME = "DS_Vung"
HEADER_ROW = 2  # 0-based: title in row 1, header in row 3
BLANK_ROWS = 100  # rows with validation in an empty template
EXTRA_ROWS = 30  # validated rows below a prefilled commune list, for communes the office adds
YEAR_MIN, YEAR_MAX = 2010, 2040
BASE_COLUMNS = ("STT", "Mã xã", "Tên xã", "Huyện", "Vùng", "Dân số", "Số hộ")
TAIL_COLUMNS = ("Năm đạt chuẩn", "Năm phấn đấu đạt chuẩn", "Ghi chú")


def indicator_header(ind: Indicator) -> str:
    """'15.1. Tỷ lệ người dân tham gia bảo hiểm y tế (%)'. A criterion measured by one value (code '10')
    is titled by its name only, so the header is not mistaken for the criterion's status column."""
    unit = f" ({ind.unit})" if ind.unit else ""
    if "." not in ind.code:
        return f"{ind.name_vi}{unit}"
    return f"{ind.code}. {ind.name_vi}{unit}"


def template_columns(cset: CriteriaSet) -> list[str]:
    """Header texts of the summary sheet, in order."""
    return [
        *BASE_COLUMNS,
        *(f"TC{c.number}" for c in cset.criteria),
        *(indicator_header(ind) for ind in cset.indicators),
        *TAIL_COLUMNS,
    ]


def template_year(cset: CriteriaSet, dataset: Dataset | None, year: int | None) -> int:
    if year is not None:
        return year
    if dataset is not None and dataset.period is not None:
        return dataset.period.year
    return min(max(date.today().year, cset.period_start), cset.period_end)


def template_title(cset: CriteriaSet, year: int) -> str:
    return i18n.t("export.template.title", "vi", decision=cset.decision, year=year)


def prefill(cset: CriteriaSet, dataset: Dataset) -> pd.DataFrame:
    """The dataset's communes as template rows: columns = template_columns(cset), text/number cells.

    Statuses become "Đạt"/"Chưa đạt" (unknown: "Chưa rõ"); yes/no values become "Đạt"/"Chưa đạt"."""
    communes = dataset.communes
    profiles = {p.key: p.name_vi for p in cset.profiles}
    out = pd.DataFrame(index=communes.index)
    out["STT"] = range(1, len(communes) + 1)
    out["Mã xã"] = communes["code"]
    out["Tên xã"] = communes["name"]
    out["Huyện"] = communes["district"]
    out["Vùng"] = communes["region"].map(lambda key: profiles.get(key, key) if isinstance(key, str) else None)
    out["Dân số"] = communes["population"]
    out["Số hộ"] = communes["households"]
    matrix = dataset.status_matrix
    for c in cset.criteria:
        column = matrix[c.number] if c.number in matrix.columns else pd.Series(Status.UNKNOWN.value, index=out.index)
        out[f"TC{c.number}"] = column.map(lambda s: STATUS_WORDS.get(s, UNKNOWN_WORD))
    values = dataset.indicators.pivot_table(index="commune_id", columns="indicator", values="value", aggfunc="last")
    for ind in cset.indicators:
        column = values[ind.code].reindex(out.index) if ind.code in values.columns else pd.Series(float("nan"), index=out.index)
        if ind.kind == "yes_no":
            column = column.map(lambda v: None if pd.isna(v) else ("Đạt" if v >= 1 else "Chưa đạt"))
        out[indicator_header(ind)] = column
    out["Năm đạt chuẩn"] = communes["recognized_year"]
    out["Năm phấn đấu đạt chuẩn"] = communes["target_year"]
    out["Ghi chú"] = None
    return out.reset_index(drop=True)


def _write_lists(workbook, cset: CriteriaSet) -> None:
    """Dropdown lists on a hidden sheet behind defined names (a list typed into the rule caps at 255 chars)."""
    ws = workbook.add_worksheet(LIST_SHEET)
    statuses = list(DROPDOWN_WORDS)
    regions = [p.name_vi for p in cset.profiles] or [""]
    for i, word in enumerate(statuses):
        ws.write_string(i, 0, word)
    for i, name in enumerate(regions):
        ws.write_string(i, 1, name)
    workbook.define_name(STATUS_LIST_NAME, f"={LIST_SHEET}!$A$1:$A${len(statuses)}")
    workbook.define_name(REGION_LIST_NAME, f"={LIST_SHEET}!$B$1:$B${len(regions)}")
    ws.hide()


def _validate(ws: Worksheet, cset: CriteriaSet, columns: list[str], first: int, last: int) -> None:
    """Dropdowns on statuses and regions, 0-100 on per-cents, whole years, non-negative counts."""
    def col(name: str) -> int:
        return columns.index(name)

    status_rule = {
        "validate": "list", "source": f"={STATUS_LIST_NAME}",
        "error_title": i18n.t("export.template.error_title", "vi"),
        "error_message": i18n.t("export.template.error_status", "vi"),
    }
    for c in cset.criteria:
        j = col(f"TC{c.number}")
        ws.data_validation(first, j, last, j, {
            **status_rule,
            "input_title": f"TC{c.number}"[:32],
            "input_message": f"{c.number}. {c.name_vi}"[:255],
        })
    for ind in cset.indicators:
        j = col(indicator_header(ind))
        hint = {"input_title": ind.code[:32], "input_message": ind.name_vi[:255]}
        if ind.kind == "yes_no":
            ws.data_validation(first, j, last, j, {**status_rule, **hint})
        elif ind.kind == "percent":
            ws.data_validation(first, j, last, j, {
                "validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 100, **hint,
                "error_title": i18n.t("export.template.error_title", "vi"),
                "error_message": i18n.t("export.template.error_percent", "vi"),
            })
        else:
            ws.data_validation(first, j, last, j, {
                "validate": "decimal", "criteria": ">=", "value": 0, **hint,
                "error_title": i18n.t("export.template.error_title", "vi"),
                "error_message": i18n.t("export.template.error_number", "vi"),
            })
    if cset.profiles:
        j = col("Vùng")
        ws.data_validation(first, j, last, j, {"validate": "list", "source": f"={REGION_LIST_NAME}"})
    for name in ("Dân số", "Số hộ"):
        j = col(name)
        ws.data_validation(first, j, last, j, {
            "validate": "integer", "criteria": ">=", "value": 0,
            "error_title": i18n.t("export.template.error_title", "vi"),
            "error_message": i18n.t("export.template.error_number", "vi"),
        })
    for name in ("Năm đạt chuẩn", "Năm phấn đấu đạt chuẩn"):
        j = col(name)
        ws.data_validation(first, j, last, j, {
            "validate": "integer", "criteria": "between", "minimum": YEAR_MIN, "maximum": YEAR_MAX,
            "error_title": i18n.t("export.template.error_title", "vi"),
            "error_message": i18n.t("export.template.error_year", "vi", low=YEAR_MIN, high=YEAR_MAX),
        })


def _write_summary(ws: Worksheet, fmts: Formats, cset: CriteriaSet, rows: pd.DataFrame | None, year: int) -> None:
    columns = template_columns(cset)
    write_text(ws, 0, 0, template_title(cset, year), fmts, fmts.title)
    for j, name in enumerate(columns):
        ws.write_string(HEADER_ROW, j, name, fmts.header)
    ws.set_row(HEADER_ROW, 75)
    first = HEADER_ROW + 1
    count = 0
    if rows is not None and len(rows):
        count = len(rows)
        integer_columns = {"STT", "Dân số", "Số hộ", "Năm đạt chuẩn", "Năm phấn đấu đạt chuẩn"}
        for j, name in enumerate(columns):
            number_fmt = fmts.integer if name in integer_columns else fmts.decimal
            for i, value in enumerate(rows[name].tolist()):
                if name == "Mã xã" and isinstance(value, float) and value.is_integer():
                    value = str(int(value))
                write_value(ws, first + i, j, value, fmts, number_fmt)
    last = first + (count + EXTRA_ROWS if count else BLANK_ROWS) - 1
    _validate(ws, cset, columns, first, last)
    widths = {"STT": 5, "Mã xã": 9, "Tên xã": 22, "Huyện": 16, "Vùng": 24, "Dân số": 10, "Số hộ": 9,
              "Năm đạt chuẩn": 10, "Năm phấn đấu đạt chuẩn": 11, "Ghi chú": 30}
    for j, name in enumerate(columns):
        # codes keep their leading zeros when typed in ("06253"): the column is formatted as text
        ws.set_column(j, j, widths.get(name, 9 if name.startswith("TC") else 14),
                      fmts.code_text if name == "Mã xã" else None)
    ws.freeze_panes(first, 3)
    ws.autofilter(HEADER_ROW, 0, last, len(columns) - 1)


def _write_instructions(ws: Worksheet, fmts: Formats, cset: CriteriaSet, year: int, lang: str) -> None:
    """Instructions in Vietnamese (always: the template goes to commune offices), in English too for lang=en."""
    ws.set_column(0, 0, 14)
    ws.set_column(1, 1, 100)
    row = 0
    languages = ["vi"] + (["en"] if lang == "en" else [])
    for language in languages:
        write_text(ws, row, 0, i18n.t("export.template.instructions_title", language), fmts, fmts.title)
        row += 1
        write_text(ws, row, 0, i18n.t("export.template.instructions_set", language,
                                      set_name=cset.name_vi if language == "vi" else cset.name_en,
                                      decision=cset.decision, year=year), fmts, fmts.label)
        row += 2
        for step in range(1, 8):
            ws.write_string(row, 0, f"{step}.")
            ws.write_string(row, 1, i18n.t(f"export.template.step{step}", language))
            row += 1
        row += 1
    header = [i18n.t("export.template.col_column", lang), i18n.t("export.template.col_meaning", lang)]
    ws.write_string(row, 0, header[0], fmts.header)
    ws.write_string(row, 1, header[1], fmts.header)
    row += 1
    for c in cset.criteria:
        ws.write_string(row, 0, f"TC{c.number}", fmts.text)
        ws.write_string(row, 1, f"{c.number}. {c.name_vi}" + (f" ({c.name_en})" if lang == "en" else ""), fmts.wrap)
        row += 1
    for ind in cset.indicators:
        kind = i18n.t(f"export.template.kind_{ind.kind}", lang)
        ws.write_string(row, 0, ind.code, fmts.text)
        ws.write_string(row, 1, f"{indicator_header(ind)} — {kind}", fmts.wrap)
        row += 1


def blank_template(criteria_set: str, lang: str = "vi", dataset: Dataset | None = None, *,
                   year: int | None = None) -> bytes:
    """An .xlsx fill-in template for `criteria_set` (id, alias, CriteriaSet or catalogue path).

    With `dataset`, the commune list (names, codes, district, region, statuses, values, years) is prefilled
    from it; otherwise the rows are empty with validation on BLANK_ROWS rows."""
    cset = get_criteria_set(criteria_set)
    year = template_year(cset, dataset, year)
    rows = prefill(cset, dataset) if dataset is not None and len(dataset.communes) else None
    buffer = io.BytesIO()
    workbook = new_workbook(buffer)
    fmts = make_formats(workbook)
    summary = workbook.add_worksheet(i18n.t("export.template.sheet_summary", "vi"))
    instructions = workbook.add_worksheet(i18n.t("export.template.sheet_instructions", "vi"))
    _write_lists(workbook, cset)
    _write_summary(summary, fmts, cset, rows, year)
    _write_instructions(instructions, fmts, cset, year, lang)
    summary.activate()
    workbook.close()
    return buffer.getvalue()

"""The PDF meeting brief (A4 landscape, fpdf2 + DejaVu Sans from matplotlib's package, matplotlib charts)."""
from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

import matplotlib
import pandas as pd
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace
from matplotlib.figure import Figure

from ntm_data import analytics
from ntm_data.exports.report import (
    ReportContext,
    build_context,
    lagging_rows,
    missing_criteria,
    timeline_frame,
)
from ntm_data.exports.styles import HEADER_COLOR, STATUS_COLORS, STATUS_ORDER, TITLE_COLOR, hex_to_rgb
from ntm_data.i18n import count_text
from ntm_data.model import Dataset
from ntm_data.reader import area_name

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FONT = "DejaVu"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}
MAX_ROWS = 30  # rows per commune table in the brief; the Excel report has them all
MARGIN = 12.0


class BriefPDF(FPDF):
    """A4 landscape with the DejaVu family registered and a page-number footer."""

    def __init__(self, footer_text: str):
        super().__init__(orientation="L", unit="mm", format="A4")
        self.footer_text = footer_text
        for style, filename in FONT_FILES.items():
            self.add_font(FONT, style, str(FONT_DIR / filename))
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=14)
        self.alias_nb_pages()

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(FONT, "I", 7.5)
        self.set_text_color(110, 110, 110)
        self.cell(0, 5, f"{self.footer_text} · {self.page_no()}/{{nb}}", align="R")
        self.set_text_color(0, 0, 0)

    @property
    def content_width(self) -> float:
        return self.w - self.l_margin - self.r_margin

    def ensure_space(self, height: float) -> None:
        """Start a new page unless `height` mm still fit (keeps a heading with its table)."""
        if self.get_y() + height > self.h - self.b_margin:
            self.add_page()


# ---- charts -----------------------------------------------------------------------------------------
def _png(fig: Figure) -> io.BytesIO:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=150)
    buffer.seek(0)
    return buffer


def _figure(width_mm: float, height_mm: float) -> Figure:
    """A figure of the exact size it takes on the page, so point sizes are true on paper."""
    return Figure(figsize=(width_mm / 25.4, height_mm / 25.4), layout="constrained", facecolor="white")


def buckets_chart(ctx: ReportContext, width_mm: float = 118, height_mm: float = 72) -> io.BytesIO:
    """Bar chart: communes per bucket of criteria met, best bucket first, counts on the bars."""
    b = analytics.criteria_buckets(ctx.ds)
    fig = _figure(width_mm, height_mm)
    ax = fig.subplots()
    colors = [STATUS_COLORS["met"]] + ["#5B9BD5"] * (len(b) - 1)
    bars = ax.bar(b["bucket"].astype(str), b["communes"].astype(int), color=colors[: len(b)])
    ax.bar_label(bars, padding=2, fontsize=9)
    ax.set_xlabel(ctx.t("export.brief.chart_buckets_x"), fontsize=9)
    ax.set_ylabel(ctx.t("export.col.communes"), fontsize=9)
    ax.set_title(ctx.t("export.section.buckets"), fontsize=10, fontweight="bold")
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_ylim(0, max(int(b["communes"].max()) if len(b) else 0, 1) * 1.18)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.tick_params(labelsize=9)
    return _png(fig)


def completion_chart(ctx: ReportContext, width_mm: float = 150, height_mm: float = 95) -> io.BytesIO:
    """Horizontal stacked bars per criterion: communes met / not met / unknown, in the status colours."""
    c = analytics.criteria_completion(ctx.ds)
    names = c["name_en" if ctx.lang == "en" else "name_vi"].astype(str)
    labels = [f"{n}. {name[:34]}{'…' if len(name) > 34 else ''}" for n, name in zip(c["criterion"], names, strict=True)]
    fig = _figure(width_mm, height_mm)
    label_size = 7.5 if len(c) <= 20 else 6
    ax = fig.subplots()
    left = pd.Series(0.0, index=c.index)
    for key in STATUS_ORDER:
        values = c[key].astype(float)
        ax.barh(labels, values, left=left, color=STATUS_COLORS[key], label=ctx.t(f"export.status.{key}"),
                edgecolor="white", linewidth=0.4)
        left = left + values
    ax.invert_yaxis()
    ax.set_title(ctx.t("export.report.criteria_title"), fontsize=10, fontweight="bold")
    ax.set_xlabel(ctx.t("export.col.communes"), fontsize=8)
    ax.tick_params(labelsize=label_size)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.spines[["top", "right"]].set_visible(False)
    fig.legend(fontsize=7.5, ncols=3, loc="outside lower center", frameon=False)
    return _png(fig)


# ---- blocks -----------------------------------------------------------------------------------------
def _default_body(ctx: ReportContext) -> str:
    districts = [d for d in pd.unique(ctx.ds.communes["district"].dropna()) if str(d).strip()]
    if len(districts) == 1:
        return ctx.t("export.brief.body_district", name=str(districts[0]).upper())
    if ctx.ds.grouping_name:  # "Tỉnh Lạng Sơn": UBND TỈNH LẠNG SƠN
        return f"UBND {ctx.ds.grouping_name.upper()}\n{ctx.t('export.brief.body_generic')}"
    return ctx.t("export.brief.body_generic")


def _place(ctx: ReportContext) -> str:
    districts = [d for d in pd.unique(ctx.ds.communes["district"].dropna()) if str(d).strip()]
    if len(districts) == 1:
        return str(districts[0])
    return area_name(ctx.ds.grouping_name) if ctx.ds.grouping_name else "……"  # "Tỉnh Lạng Sơn" -> "Lạng Sơn"


def _title_block(pdf: BriefPDF, ctx: ReportContext, issuing_body: str | None) -> None:
    """Issuing body (left) and national motto with place and date (right), as on an administrative report."""
    top = pdf.get_y()
    left_w, right_w = 110.0, 140.0
    right_x = pdf.w - pdf.r_margin - right_w
    body = issuing_body or ctx.ds.issuing_body or _default_body(ctx)
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    pdf.set_xy(pdf.l_margin, top)
    for i, line in enumerate(lines):
        pdf.set_font(FONT, "B" if i == len(lines) - 1 else "", 10.5)
        pdf.cell(left_w, 5.5, line.upper(), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    rule_y = pdf.get_y() + 0.6
    pdf.line(pdf.l_margin + left_w / 2 - 15, rule_y, pdf.l_margin + left_w / 2 + 15, rule_y)
    pdf.set_xy(pdf.l_margin, rule_y + 1.5)
    pdf.set_font(FONT, "", 10)
    pdf.cell(left_w, 5.5, ctx.t("export.brief.number_line"), align="C")
    left_bottom = pdf.get_y() + 5.5

    pdf.set_xy(right_x, top)
    pdf.set_font(FONT, "B", 10.5)
    pdf.cell(right_w, 5.5, ctx.t("export.brief.nation"), align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FONT, "B", 11)
    pdf.cell(right_w, 5.5, ctx.t("export.brief.motto"), align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    motto_w = pdf.get_string_width(ctx.t("export.brief.motto"))
    rule_y = pdf.get_y() + 0.6
    pdf.line(right_x + (right_w - motto_w) / 2, rule_y, right_x + (right_w + motto_w) / 2, rule_y)
    pdf.set_xy(right_x, rule_y + 1.5)
    today = date.today()
    pdf.set_font(FONT, "I", 10)
    pdf.cell(right_w, 5.5, ctx.t("export.brief.date_line", place=_place(ctx), day=today.day,
                                 month=today.month, year=today.year), align="C")
    pdf.set_y(max(left_bottom, pdf.get_y() + 5.5) + 5)

    pdf.set_font(FONT, "B", 14)
    pdf.set_text_color(*hex_to_rgb(TITLE_COLOR))
    pdf.cell(0, 7, ctx.t("export.brief.title"), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(FONT, "B", 11)
    pdf.cell(0, 6, ctx.t("export.brief.subtitle", period=ctx.period()), align="C",
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 9)
    facts = " · ".join([
        f"{ctx.t('export.label.scope')}: {ctx.scope()}",
        f"{ctx.t('export.label.criteria_set')}: {ctx.criteria_set_text()}",
        f"{ctx.t('export.label.filters')}: {ctx.filters_text()}",
    ])
    pdf.multi_cell(0, 4.6, facts, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)


def _kpi_boxes(pdf: BriefPDF, ctx: ReportContext) -> None:
    p = analytics.district_progress(ctx.ds)
    overdue = len(analytics.overdue_communes(ctx.ds, ctx.current_year))
    lang = ctx.lang
    boxes = [
        (count_text(p.communes, lang), ctx.t("export.kpi.communes")),
        (f"{count_text(p.at_standard, lang)} ({_pct(p.at_standard_share, lang)})", ctx.t("export.kpi.at_standard")),
        (_num(p.average_met, lang), ctx.t("export.kpi.average_met", total=p.criteria_total)),
        (count_text(p.under_floor, lang), ctx.t("export.kpi.under_floor", floor=p.floor)),
        (count_text(p.recognized, lang), ctx.t("export.kpi.recognized")),
        (count_text(overdue, lang), ctx.t("export.kpi.overdue", year=ctx.current_year)),
    ]
    gap = 3.0
    width = (pdf.content_width - gap * (len(boxes) - 1)) / len(boxes)
    height = 21.0
    pdf.ensure_space(height + 2)
    top = pdf.get_y()
    for i, (value, label) in enumerate(boxes):
        x = pdf.l_margin + i * (width + gap)
        pdf.set_fill_color(*hex_to_rgb(HEADER_COLOR))
        pdf.rect(x, top, width, height, style="F")
        pdf.set_xy(x, top + 1.5)
        pdf.set_font(FONT, "B", 15)
        pdf.set_text_color(*hex_to_rgb(TITLE_COLOR))
        pdf.cell(width, 8, value, align="C")
        pdf.set_text_color(0, 0, 0)
        pdf.set_xy(x + 1.5, top + 10)
        pdf.set_font(FONT, "", 7.5)
        pdf.multi_cell(width - 3, 3.4, label, align="C")
    pdf.set_y(top + height + 3)


def _pct(share: float, lang: str) -> str:
    return _num(100 * share, lang, 1) + "%"


def _num(value: float | None, lang: str, digits: int = 2) -> str:
    """Vietnamese decimal comma ('16,42') or English point; integers without decimals; '' for missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    value = float(value)
    text = f"{value:.0f}" if value.is_integer() else f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if lang == "vi" else text


def _heading(pdf: BriefPDF, text: str, room: float = 30, size: float = 11.5) -> None:
    pdf.ensure_space(room)
    pdf.ln(1.5)
    pdf.set_font(FONT, "B", size)
    pdf.set_text_color(*hex_to_rgb(TITLE_COLOR))
    pdf.multi_cell(0, 6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(FONT, "", 9)


def _note(pdf: BriefPDF, text: str) -> None:
    pdf.set_font(FONT, "I", 8.5)
    pdf.multi_cell(0, 4.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 9)


def _table(pdf: BriefPDF, header: Sequence[str], rows: Sequence[Sequence[object]], widths: Sequence[float],
           aligns: Sequence[str], fills: Sequence[Sequence[str | None]] | None = None,
           min_row_height: float | None = None, drop: Sequence[int] = ()) -> None:
    """A bordered table whose header repeats on each page; `fills` gives a hex colour per cell (or None).
    Columns in `drop` are left out and their width goes to column 1 (the name)."""
    if drop:
        keep = [j for j in range(len(header)) if j not in drop]
        widths = [w + (sum(widths[d] for d in drop) if j == 1 else 0) for j, w in enumerate(widths)]
        header, widths, aligns = [header[j] for j in keep], [widths[j] for j in keep], [aligns[j] for j in keep]
        rows = [[r[j] for j in keep] for r in rows]
        fills = [[f[j] for j in keep] for f in fills] if fills else None
    pdf.set_font(FONT, "", 8.5)
    pdf.set_fill_color(255, 255, 255)
    heading = FontFace(family=FONT, emphasis="BOLD", fill_color=hex_to_rgb(HEADER_COLOR))
    with pdf.table(col_widths=tuple(widths), width=sum(widths), align="LEFT", line_height=4.6,
                   headings_style=heading, text_align=tuple(aligns), padding=(0.8, 1.2),
                   min_row_height=min_row_height) as table:
        head = table.row()
        for text in header:
            head.cell(str(text), align="CENTER")
        for i, values in enumerate(rows):
            row = table.row()
            for j, value in enumerate(values):
                color = fills[i][j] if fills else None
                style = FontFace(fill_color=hex_to_rgb(color)) if color else None
                row.cell("" if value is None else str(value), style=style)
    pdf.ln(2)


def _lagging_criteria(pdf: BriefPDF, ctx: ReportContext) -> None:
    lag = analytics.lagging_criteria(ctx.ds)
    lag = lag[lag["not_met"] > 0]
    _heading(pdf, ctx.t("export.brief.lagging_criteria", count=count_text(len(lag), ctx.lang)))
    if lag.empty:
        _note(pdf, ctx.t("export.brief.none_lagging"))
        return
    name_col = "name_en" if ctx.lang == "en" else "name_vi"
    rows = [
        (f"TC{r.criterion}", getattr(r, name_col), count_text(r.not_met, ctx.lang), count_text(r.met, ctx.lang), count_text(r.unknown, ctx.lang),
         _pct(float(r.met_share), ctx.lang))
        for r in lag.head(MAX_ROWS).itertuples(index=False)
    ]
    header = [ctx.t("export.col.criterion"), ctx.t("export.col.criterion_name"),
              *(ctx.t("export.brief.col_status", status=ctx.t(f"export.status.{k}")) for k in ("not_met", "met", "unknown")),
              ctx.t("export.col.met_share")]
    fills = [[None, None, STATUS_COLORS["not_met"], None, None, None] for _ in rows]
    _table(pdf, header, rows, (22, 120, 30, 30, 30, 30), ("CENTER", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
           fills)


def _lagging_communes(pdf: BriefPDF, ctx: ReportContext, criterion: str, index: str) -> None:
    rows = lagging_rows(ctx, criterion)
    count = rows["commune_id"].nunique()
    _heading(pdf, ctx.t("export.brief.lagging_communes", index=index, number=criterion,
                        name=ctx.criterion_name(criterion), count=count_text(count, ctx.lang)), size=10.5)
    if rows.empty:
        _note(pdf, ctx.t("export.value.no_lagging"))
        return
    if rows["indicator"].isna().all():  # no failing sub-indicator known: a compact list
        _note(pdf, ctx.t("export.value.no_indicator_data"))
        header = [ctx.t("export.col.no"), ctx.t("export.col.commune"), ctx.t("export.col.district"),
                  ctx.t("export.col.criteria_met", total=ctx.set_size), ctx.t("export.col.target_year")]
        body = [(i, r.name, r.district or "", int(r.criteria_met), "" if pd.isna(r.target_year) else int(r.target_year))
                for i, r in enumerate(rows.head(MAX_ROWS).itertuples(index=False), start=1)]
        _table(pdf, header, body, (11, 60, 50, 35, 35), ("CENTER", "LEFT", "LEFT", "CENTER", "CENTER"),
               drop=_no_district(ctx))
        if count > MAX_ROWS:
            _note(pdf, ctx.t("export.brief.more_rows", count=count_text(count - MAX_ROWS, ctx.lang)))
        return
    numbers = rows["commune_id"].factorize()[0] + 1
    shown = rows[numbers <= MAX_ROWS]
    body = []
    for no, r in zip(numbers, shown.itertuples(index=False), strict=False):
        people = _people_text(r.gap_people, r.gap_households, ctx)
        indicator = (f"{r.indicator} {ctx.indicator_name(r.indicator)}".strip() if r.indicator
                     else ctx.t("export.value.no_indicator_data"))
        unit = r.unit if isinstance(r.unit, str) else ""
        threshold = _with_unit(r.threshold, unit, ctx.lang) + ("*" if r.threshold_unverified else "")
        body.append((no, r.name, r.district or "", indicator, _with_unit(r.value, unit, ctx.lang),
                     threshold, _with_unit(r.gap, unit, ctx.lang), people,
                     "" if pd.isna(r.target_year) else int(r.target_year)))
    header = [ctx.t("export.col.no"), ctx.t("export.col.commune"), ctx.t("export.col.district"),
              ctx.t("export.col.indicator"), ctx.t("export.col.value"), ctx.t("export.col.threshold"),
              ctx.t("export.col.gap"), ctx.t("export.brief.col_people"), ctx.t("export.col.target_year")]
    _table(pdf, header, body, (11, 36, 30, 80, 20, 20, 20, 30, 26),
           ("CENTER", "LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "CENTER"), drop=_no_district(ctx))
    if count > MAX_ROWS:
        _note(pdf, ctx.t("export.brief.more_rows", count=count_text(count - MAX_ROWS, ctx.lang)))
    if shown["threshold_unverified"].any():
        _note(pdf, ctx.t("export.brief.unverified_note"))


def _with_unit(value: object, unit: str, lang: str) -> str:
    text = _num(value if not isinstance(value, str) else None, lang)  # type: ignore[arg-type]
    if not text:
        return ""
    return f"{text}%" if unit == "%" else text


def _people_text(people: object, households: object, ctx: ReportContext) -> str:
    parts = []
    if people is not None and not pd.isna(people):
        parts.append(ctx.t("export.brief.people", count=count_text(people, ctx.lang)))
    if households is not None and not pd.isna(households):
        parts.append(ctx.t("export.brief.households", count=count_text(households, ctx.lang)))
    return "; ".join(parts)


def _timeline(pdf: BriefPDF, ctx: ReportContext) -> None:
    frame = timeline_frame(ctx)
    missing = missing_criteria(ctx.ds)
    overdue = frame[frame["standing"] == "overdue"]
    _heading(pdf, ctx.t("export.brief.overdue", year=ctx.current_year, count=count_text(len(overdue), ctx.lang)))
    header = [ctx.t("export.col.no"), ctx.t("export.col.commune"), ctx.t("export.col.district"),
              ctx.t("export.col.target_year"), ctx.t("export.col.criteria_met", total=ctx.set_size),
              ctx.t("export.col.missing")]
    widths = (11, 40, 36, 30, 30, 126)
    aligns = ("CENTER", "LEFT", "LEFT", "CENTER", "CENTER", "LEFT")
    if overdue.empty:
        _note(pdf, ctx.t("export.brief.none_overdue"))
    else:
        rows = [(i, r.name, r.district or "", int(r.target_year), int(r.criteria_met),
                 _missing_text(missing.get(r.commune_id, ())))
                for i, r in enumerate(overdue.head(MAX_ROWS).itertuples(index=False), start=1)]
        _table(pdf, header, rows, widths, aligns, drop=_no_district(ctx))
        if len(overdue) > MAX_ROWS:
            _note(pdf, ctx.t("export.brief.more_rows", count=count_text(len(overdue) - MAX_ROWS, ctx.lang)))
    at_risk = frame[frame["standing"] == "at_risk"]
    _heading(pdf, ctx.t("export.brief.at_risk", count=count_text(len(at_risk), ctx.lang)))
    if not ctx.has_trend:
        _note(pdf, ctx.t("export.report.timeline_no_history"))
        return
    if at_risk.empty:
        _note(pdf, ctx.t("export.brief.none_at_risk"))
        return
    header = [*header[:5], ctx.t("export.col.pace"), ctx.t("export.col.projected_year")]
    rows = [(i, r.name, r.district or "", int(r.target_year), int(r.criteria_met), _num(r.pace, ctx.lang),
             "" if pd.isna(r.projected_year) else f"{r.projected_year:.0f}")
            for i, r in enumerate(at_risk.head(MAX_ROWS).itertuples(index=False), start=1)]
    _table(pdf, header, rows, (11, 50, 40, 30, 30, 40, 40), ("CENTER", "LEFT", "LEFT", "CENTER", "CENTER",
                                                              "RIGHT", "CENTER"), drop=_no_district(ctx))
    if len(at_risk) > MAX_ROWS:
        _note(pdf, ctx.t("export.brief.more_rows", count=count_text(len(at_risk) - MAX_ROWS, ctx.lang)))


def _no_district(ctx: ReportContext) -> tuple[int, ...]:
    """Leave out the district column (index 2) when no commune has a district."""
    return () if ctx.ds.communes["district"].notna().any() else (2,)


def _missing_text(missing: object) -> str:
    return ", ".join(f"TC{m}" for m in missing) if isinstance(missing, (tuple, list)) else ""


def _conclusions(pdf: BriefPDF, ctx: ReportContext) -> None:
    """Dotted lines for the chair's conclusions, an empty assignments table and the signature block."""
    _heading(pdf, ctx.t("export.brief.conclusions"), room=105)
    pdf.set_font(FONT, "B", 9.5)
    pdf.cell(0, 6, ctx.t("export.brief.conclusions_label"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_draw_color(150, 150, 150)
    pdf.set_dash_pattern(dash=0.6, gap=1.2)
    for _ in range(4):
        y = pdf.get_y() + 6.5
        pdf.line(pdf.l_margin, y, pdf.w - pdf.r_margin, y)
        pdf.set_y(y)
    pdf.set_dash_pattern()
    pdf.set_draw_color(0, 0, 0)
    pdf.ln(4)
    pdf.set_font(FONT, "B", 9.5)
    pdf.cell(0, 6, ctx.t("export.brief.assignments_label"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    header = [ctx.t("export.col.no"), ctx.t("export.brief.col_task"), ctx.t("export.brief.col_lead"),
              ctx.t("export.brief.col_support"), ctx.t("export.brief.col_deadline")]
    rows = [(i, "", "", "", "") for i in range(1, 6)]
    _table(pdf, header, rows, (11, 120, 50, 50, 42), ("CENTER", "LEFT", "LEFT", "LEFT", "CENTER"),
           min_row_height=9)
    pdf.ensure_space(28)
    pdf.ln(2)
    x = pdf.w - pdf.r_margin - 90
    pdf.set_x(x)
    pdf.set_font(FONT, "B", 10)
    pdf.cell(90, 5.5, ctx.t("export.brief.signer"), align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FONT, "I", 9)
    pdf.cell(90, 5, ctx.t("export.brief.signature"), align="C")


def brief_pdf(ds: Dataset, *, lang: str = "vi", issuing_body: str | None = None,
              filters: Mapping[str, Sequence[str]] | None = None, history: Sequence[Dataset] = (),
              current_year: int | None = None, criteria: Sequence[str] = ("15", "17")) -> bytes:
    """The meeting brief as PDF bytes: title block, KPIs, buckets and criteria charts, lagging criteria,
    lagging communes with gaps for `criteria` (when the set has none of them: its two most lagging
    criteria), overdue and at-risk communes, space for conclusions.

    `issuing_body` is one or more lines ("UBND HUYỆN HỮU LŨNG\\nBAN CHỈ ĐẠO CÁC CTMTQG"); by default the
    sheet's own (Dataset.issuing_body), else it is derived from the district or the title's grouping."""
    ctx = build_context(ds, lang=lang, filters=filters, history=history, current_year=current_year)
    pdf = BriefPDF(ctx.t("export.brief.footer", date=date.today().strftime("%d/%m/%Y")))
    pdf.set_title(ctx.t("export.brief.title"))
    pdf.set_creator("NTM Dashboard")
    pdf.set_lang(ctx.lang)
    pdf.add_page()
    _title_block(pdf, ctx, issuing_body)
    _kpi_boxes(pdf, ctx)
    top = pdf.get_y()
    room = pdf.h - pdf.b_margin - top
    if room < 70:
        pdf.add_page()
        top, room = pdf.get_y(), pdf.h - pdf.b_margin - pdf.get_y()
    chart_h = min(room - 2, 100.0)
    left_w, right_w = 112.0, pdf.content_width - 118.0
    left_h = min(chart_h, 75.0)
    pdf.image(buckets_chart(ctx, left_w, left_h), x=pdf.l_margin, y=top, w=left_w, h=left_h)
    pdf.image(completion_chart(ctx, right_w, chart_h), x=pdf.l_margin + 118, y=top, w=right_w, h=chart_h)
    pdf.set_y(top + chart_h + 2)
    pdf.add_page()
    _lagging_criteria(pdf, ctx)
    known = {c.number for c in ctx.ds.criteria_set.criteria}
    chosen = [str(c) for c in criteria if str(c) in known]
    if not chosen:  # e.g. the default 15/17 with a 10-criteria set: take the two most lagging criteria
        lag = analytics.lagging_criteria(ctx.ds)
        chosen = lag.loc[lag["not_met"] > 0, "criterion"].astype(str).head(2).tolist()
    if chosen:
        _heading(pdf, ctx.t("export.brief.lagging_section"))
    for i, number in enumerate(chosen, start=1):
        _lagging_communes(pdf, ctx, number, f"2.{i}")
    _timeline(pdf, ctx)
    _conclusions(pdf, ctx)
    return bytes(pdf.output())

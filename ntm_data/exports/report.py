"""The Excel meeting report: overview, criteria, colour-filled scorecard, lagging communes per criterion, timeline."""
from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from xlsxwriter.worksheet import Worksheet

from ntm_data import analytics, i18n
from ntm_data.exports.styles import STATUS_COLORS
from ntm_data.exports.tables import (
    Formats,
    column_width,
    make_formats,
    new_workbook,
    safe_sheet_name,
    status_label,
    write_table,
    write_text,
)
from ntm_data.i18n import count_text
from ntm_data.model import Dataset, Status

DISTRICT_KEYS = ("district", "districts")
REGION_KEYS = ("region", "regions")


# ---- context shared by the report and the brief ----------------------------------------------------
@dataclass(frozen=True)
class ReportContext:
    """The filtered data and the facts every output's title block states."""

    ds: Dataset
    history: tuple[Dataset, ...]
    current_year: int
    filters: tuple[tuple[str, tuple[str, ...]], ...]
    lang: str

    def t(self, key: str, **params: object) -> str:
        return i18n.t(key, self.lang, **params)

    @property
    def has_trend(self) -> bool:
        """True when the history allows a pace: two or more snapshots, all dated, all of one set size."""
        sizes = {len(h.criteria_set.criteria) for h in self.history}
        return len(self.history) >= 2 and all(h.period is not None for h in self.history) and len(sizes) == 1

    @property
    def set_size(self) -> int:
        return len(self.ds.criteria_set.criteria)

    def criterion_name(self, number: str) -> str:
        c = self.ds.criteria_set.criterion(number)
        return "" if c is None else (c.name_en if self.lang == "en" else c.name_vi)

    def indicator_name(self, code: str) -> str:
        ind = self.ds.criteria_set.indicator(code)
        return "" if ind is None else (ind.name_en if self.lang == "en" else ind.name_vi)

    def region_name(self, key: str) -> str:
        profile = self.ds.criteria_set.profile(key)
        if profile is None:
            return key
        return profile.name_en if self.lang == "en" else profile.name_vi

    def scope(self) -> str:
        """'Huyện Hữu Lũng' / '3 huyện: A, B, C' / the sheet title when no district is known."""
        districts = [d for d in pd.unique(self.ds.communes["district"].dropna()) if str(d).strip()]
        grouping = self.ds.grouping_name  # the area the title names: "Huyện Hữu Lũng", "Quận 9", "Tỉnh Lạng Sơn"
        if len(districts) == 1:
            if grouping and grouping.endswith(f" {districts[0]}"):
                return grouping
            return self.t("export.scope.one", name=districts[0])
        if districts:
            shown = ", ".join(map(str, districts[:12])) + (", …" if len(districts) > 12 else "")
            return self.t("export.scope.many", count=len(districts), names=shown)
        return grouping or self.t("export.scope.unknown")

    def period(self) -> str:
        return str(self.ds.period) if self.ds.period else self.t("export.value.none")

    def criteria_set_text(self) -> str:
        cset = self.ds.criteria_set
        name = cset.name_en if self.lang == "en" else cset.name_vi
        return f"{name} ({cset.decision})"

    def filters_text(self) -> str:
        if not self.filters:
            return self.t("export.value.no_filters")
        parts = []
        for key, values in self.filters:
            label = self.t(f"export.filter.{key}") if key in ("district", "region") else key
            if key == "region":  # region keys ("tdmnpb") are shown by their names
                values = tuple(self.region_name(v) for v in values)
            parts.append(f"{label}: {', '.join(values)}")
        return "; ".join(parts)


def _normalise_filters(filters: Mapping[str, Sequence[str]] | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    out = []
    for key, values in (filters or {}).items():
        if isinstance(values, str):
            values = [values]
        values = tuple(str(v) for v in (values or ()) if str(v).strip())
        if not values:
            continue
        key = "district" if key in DISTRICT_KEYS else "region" if key in REGION_KEYS else str(key)
        out.append((key, values))
    return tuple(out)


def _apply(ds: Dataset, filters: tuple[tuple[str, tuple[str, ...]], ...]) -> Dataset:
    given = dict(filters)
    if "district" not in given and "region" not in given:
        return ds
    return analytics.filter_dataset(ds, districts=given.get("district"), regions=given.get("region"))


def build_context(ds: Dataset, *, lang: str, filters: Mapping[str, Sequence[str]] | None,
                  history: Sequence[Dataset], current_year: int | None) -> ReportContext:
    """Apply the district/region filters to the dataset and its history (idempotent when the caller already
    filtered); the history ends with the current dataset."""
    normalised = _normalise_filters(filters)
    current = _apply(ds, normalised)
    past = [_apply(h, normalised) for h in history if h is not ds]
    if past and ds.period is not None and past[-1].period == ds.period:
        past = past[:-1]
    year = current_year or (ds.period.year if ds.period else date.today().year)
    return ReportContext(current, tuple(past) + (current,), int(year), normalised,
                         lang if lang in ("vi", "en") else "vi")


# ---- frames the sheets show -------------------------------------------------------------------------
def _missing_text(missing: object) -> str:
    if isinstance(missing, (tuple, list)):
        return ", ".join(f"TC{m}" for m in missing)
    return ""


def missing_criteria(ds: Dataset) -> pd.Series:
    """Series indexed by commune_id: tuple of criterion numbers not met (unknown included), catalogue order."""
    flags = (ds.status_matrix != Status.MET.value).stack()
    pairs = flags[flags].reset_index()
    pairs.columns = ["commune_id", "criterion", "flag"]
    grouped = pairs.groupby("commune_id", sort=False)["criterion"].agg(tuple)
    return grouped.reindex(ds.communes.index).map(lambda v: v if isinstance(v, tuple) else ())


def kpi_frame(ctx: ReportContext) -> pd.DataFrame:
    """Two columns (indicator, value): the meeting's headline figures."""
    p = analytics.district_progress(ctx.ds)
    overdue = analytics.overdue_communes(ctx.ds, ctx.current_year)
    rows = [
        (ctx.t("export.kpi.communes"), p.communes),
        (ctx.t("export.kpi.at_standard"), p.at_standard),
        (ctx.t("export.kpi.at_standard_share"), round(100 * p.at_standard_share, 1)),
        (ctx.t("export.kpi.average_met", total=p.criteria_total), round(p.average_met, 2)),
        (ctx.t("export.kpi.under_floor", floor=p.floor), p.under_floor),
        (ctx.t("export.kpi.recognized"), p.recognized),
        (ctx.t("export.kpi.overdue", year=ctx.current_year), len(overdue)),
    ]
    return pd.DataFrame(rows, columns=[ctx.t("export.col.kpi"), ctx.t("export.col.value")])


def buckets_frame(ctx: ReportContext) -> pd.DataFrame:
    b = analytics.criteria_buckets(ctx.ds)
    total = max(int(b["communes"].sum()), 1)
    return pd.DataFrame({
        ctx.t("export.col.bucket"): b["bucket"].astype(str),
        ctx.t("export.col.communes"): b["communes"].astype(int),
        ctx.t("export.col.share"): b["communes"] / total,
    })


def completion_frame(ctx: ReportContext) -> pd.DataFrame:
    c = analytics.criteria_completion(ctx.ds)
    en = ctx.lang == "en"
    return pd.DataFrame({
        ctx.t("export.col.criterion"): "TC" + c["criterion"].astype(str),
        ctx.t("export.col.criterion_name"): c["name_en" if en else "name_vi"],
        ctx.t("export.col.group"): c["group_en" if en else "group_vi"],
        ctx.t("export.col.met"): c["met"].astype(int),
        ctx.t("export.col.not_met"): c["not_met"].astype(int),
        ctx.t("export.col.unknown"): c["unknown"].astype(int),
        ctx.t("export.col.met_share"): c["met_share"].astype(float),
    })


def lagging_rows(ctx: ReportContext, criterion: str) -> pd.DataFrame:
    """Communes not meeting `criterion`, one row per failing sub-indicator (value, threshold, gap), or one
    row for the criterion itself when no failing sub-indicator is known.

    Columns: commune_id, name, district, criteria_met, target_year, indicator, value, threshold, unit, gap,
    gap_people, gap_households, threshold_unverified (bool: the catalogue marks that threshold unverified)."""
    communes = analytics.lagging_communes(ctx.ds, criterion)
    keep = ["commune_id", "name", "district", "criteria_met", "target_year"]
    if communes.empty:
        return pd.DataFrame(columns=[*keep, "indicator", "value", "threshold", "unit", "gap", "gap_people",
                                     "gap_households", "threshold_unverified"])
    codes = [ind.code for ind in ctx.ds.criteria_set.indicators if ind.criterion == criterion]
    seen = ctx.ds.indicators.loc[ctx.ds.indicators["criterion"] == criterion, "indicator"].unique().tolist()
    codes += sorted((c for c in seen if c not in codes), key=_code_key)
    ind = ctx.ds.indicators
    failing = set(ind.loc[ind["status"] == Status.NOT_MET.value, "indicator"])
    parts = []
    for code in (c for c in codes if c in failing):
        rows = analytics.lagging_communes(ctx.ds, code)
        rows = rows[rows["commune_id"].isin(communes["commune_id"])]
        if not rows.empty:
            parts.append(rows.assign(indicator=code, order=codes.index(code)))
    detail = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["commune_id", "indicator"])
    missing = communes.loc[~communes["commune_id"].isin(detail["commune_id"])]
    plain = missing.assign(indicator=None, order=-1)
    value_cols = ["value", "threshold", "unit", "gap", "gap_people", "gap_households"]
    frame = pd.concat([plain, detail], ignore_index=True)
    for col in value_cols:
        if col not in frame.columns:
            frame[col] = None
    base = communes[keep].reset_index(drop=True).reset_index(names="commune_order")
    frame = frame[["commune_id", "indicator", "order", *value_cols]].merge(base, on="commune_id", how="left")
    frame = frame.sort_values(["commune_order", "order"], kind="stable")
    # the catalogue's flag for each threshold used: an unverified threshold must be shown as such
    spread = analytics.indicator_spread(ctx.ds, criterion)
    flags = spread[["commune_id", "indicator", "verified"]].drop_duplicates(["commune_id", "indicator"])
    frame = frame.merge(flags, on=["commune_id", "indicator"], how="left")
    unverified = frame["verified"].map(lambda v: isinstance(v, bool | np.bool_) and not v).astype(bool)
    frame["threshold_unverified"] = unverified & pd.to_numeric(frame["threshold"], errors="coerce").notna()
    return frame[[*keep, "indicator", *value_cols, "threshold_unverified"]].reset_index(drop=True)


def _code_key(code: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in str(code).split("."))


def timeline_frame(ctx: ReportContext) -> pd.DataFrame:
    """Every commune not at the standard with its target year and standing: overdue, at risk, on track or
    no target year; overdue first. Columns: commune_id, name, district, criteria_met, missing, target_year,
    standing (key), pace, projected_year (whole year the pace reaches the standard in; NaN for no pace)."""
    ds = ctx.ds
    communes = ds.communes
    base = pd.DataFrame({
        "commune_id": communes.index,
        "name": communes["name"].to_numpy(),
        "district": communes["district"].to_numpy(),
        "criteria_met": ds.criteria_met.reindex(communes.index).to_numpy(),
        "target_year": communes["target_year"].to_numpy(),
    })
    base["missing"] = missing_criteria(ds).reindex(communes.index).to_numpy()
    base = base[~ds.at_standard.reindex(communes.index).to_numpy()]
    overdue = set(analytics.overdue_communes(ds, ctx.current_year)["commune_id"])
    risk = pd.DataFrame(columns=["commune_id", "pace", "projected_year"])
    if ctx.has_trend:
        risk = analytics.at_risk_communes(list(ctx.history), ctx.current_year)[["commune_id", "pace", "projected_year"]]
        # the year in which the standard would be reached: 2026.3 means during 2027
        risk = risk.assign(projected_year=np.ceil(pd.to_numeric(risk["projected_year"], errors="coerce") - 1e-9))
    base = base.merge(risk, on="commune_id", how="left")
    at_risk = set(risk["commune_id"])
    has_target = base["target_year"].notna()
    base["standing"] = "on_track"
    base.loc[~has_target, "standing"] = "no_target"
    base.loc[base["commune_id"].isin(at_risk) & has_target, "standing"] = "at_risk"
    base.loc[base["commune_id"].isin(overdue), "standing"] = "overdue"
    rank = base["standing"].map({"overdue": 0, "at_risk": 1, "on_track": 2, "no_target": 3})
    base = base.assign(rank=rank).sort_values(["rank", "target_year", "criteria_met", "name"],
                                              ascending=[True, True, False, True], kind="stable")
    return base.drop(columns="rank").reset_index(drop=True)


# ---- sheets ----------------------------------------------------------------------------------------
def _title_block(ws: Worksheet, fmts: Formats, ctx: ReportContext, title: str) -> int:
    """Title and the facts of the report (scope, period, set, filters, source, date); returns next row."""
    write_text(ws, 0, 0, title, fmts, fmts.title)
    body = " – ".join(line.strip() for line in (ctx.ds.issuing_body or "").splitlines() if line.strip())
    facts = [
        *([("export.label.issuing_body", body)] if body else []),
        ("export.label.scope", ctx.scope()),
        ("export.label.period", ctx.period()),
        ("export.label.criteria_set", ctx.criteria_set_text()),
        ("export.label.filters", ctx.filters_text()),
        ("export.label.source", ctx.ds.source_name or ctx.t("export.value.none")),
        ("export.label.generated", date.today().strftime("%d/%m/%Y")),
    ]
    for i, (key, value) in enumerate(facts):
        ws.write_string(2 + i, 0, ctx.t(key), fmts.label)
        write_text(ws, 2 + i, 1, value, fmts, fmts.subtitle)
    return 2 + len(facts) + 1


def _overview(workbook, fmts: Formats, ctx: ReportContext, name: str) -> None:
    ws = workbook.add_worksheet(name)
    row = _title_block(ws, fmts, ctx, ctx.t("export.report.title"))
    ws.write_string(row, 0, ctx.t("export.section.kpis"), fmts.label)
    kpis = kpi_frame(ctx)
    row = write_table(ws, kpis, fmts, first_row=row + 1, autofilter=False, freeze=False, set_widths=False)
    ws.write_string(row + 1, 0, ctx.t("export.section.buckets"), fmts.label)
    buckets = buckets_frame(ctx)
    share = ctx.t("export.col.share")
    first = row + 2
    write_table(ws, buckets, fmts, first_row=first, autofilter=False, freeze=False, set_widths=False,
                number_formats={share: "percent"})
    if len(buckets):
        chart = workbook.add_chart({"type": "column"})
        chart.add_series({
            "name": ctx.t("export.col.communes"),
            "categories": [name, first + 1, 0, first + len(buckets), 0],
            "values": [name, first + 1, 1, first + len(buckets), 1],
            "fill": {"color": "#5B9BD5"},
            "data_labels": {"value": True},
        })
        chart.set_title({"name": ctx.t("export.section.buckets"), "name_font": {"size": 11}})
        chart.set_x_axis({"name": ctx.t("export.col.bucket")})
        chart.set_legend({"none": True})
        ws.insert_chart(2, 4, chart, {"x_scale": 1.1, "y_scale": 1.1})
    ws.set_column(0, 0, 46)
    ws.set_column(1, 1, 18)
    ws.set_column(2, 2, 12)


def _criteria_sheet(workbook, fmts: Formats, ctx: ReportContext, name: str) -> None:
    ws = workbook.add_worksheet(name)
    write_text(ws, 0, 0, ctx.t("export.report.criteria_title"), fmts, fmts.title)
    frame = completion_frame(ctx)
    write_table(ws, frame, fmts, first_row=2, number_formats={ctx.t("export.col.met_share"): "percent"})
    if len(frame):  # stacked bars met / not met / unknown per criterion, in the status colours
        chart = workbook.add_chart({"type": "bar", "subtype": "stacked"})
        last = 2 + len(frame)
        for j, key in enumerate(("met", "not_met", "unknown")):
            chart.add_series({
                "name": [name, 2, 3 + j],
                "categories": [name, 3, 0, last, 0],
                "values": [name, 3, 3 + j, last, 3 + j],
                "fill": {"color": STATUS_COLORS[key]},
                "gap": 40,
            })
        chart.set_title({"name": ctx.t("export.report.criteria_title"), "name_font": {"size": 11}})
        chart.set_y_axis({"reverse": True})
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": 620, "height": 120 + 22 * len(frame)})
        ws.insert_chart(2, len(frame.columns) + 1, chart)


def _scorecard_sheet(workbook, fmts: Formats, ctx: ReportContext, name: str) -> None:
    """One row per commune, one column per criterion whose cell is filled with its status colour."""
    ws = workbook.add_worksheet(name)
    write_text(ws, 0, 0, ctx.t("export.report.scorecard_title"), fmts, fmts.title)
    # legend: the three colours with their labels
    ws.write_string(1, 0, ctx.t("export.label.legend"), fmts.label)
    for j, key in enumerate(STATUS_COLORS):
        ws.write_string(1, 1 + j, status_label(key, ctx.lang), fmts.status[key])
    card = analytics.scorecard(ctx.ds)
    numbers = [c.number for c in ctx.ds.criteria_set.criteria]
    communes = ctx.ds.communes.reindex(card.index)
    frame = pd.DataFrame({
        ctx.t("export.col.no"): range(1, len(card) + 1),
        ctx.t("export.col.code"): communes["code"].to_numpy(),
        ctx.t("export.col.commune"): card["name"].to_numpy(),
        ctx.t("export.col.district"): card["district"].to_numpy(),
        ctx.t("export.col.criteria_met", total=ctx.set_size): card["criteria_met"].to_numpy(),
    })
    headers = [f"TC{n}" for n in numbers]
    for n, header in zip(numbers, headers, strict=True):
        frame[header] = card[n].to_numpy() if n in card.columns else Status.UNKNOWN.value
    frame[ctx.t("export.col.target_year")] = communes["target_year"].to_numpy()
    frame[ctx.t("export.col.recognized_year")] = communes["recognized_year"].to_numpy()
    header_row = 3
    write_table(ws, frame, fmts, first_row=header_row, lang=ctx.lang, status_columns=headers)
    first_status = 5
    for j, n in enumerate(numbers):
        ws.write_comment(header_row, first_status + j, f"{n}. {ctx.criterion_name(n)}",
                         {"x_scale": 1.5, "y_scale": 0.6})
    ws.set_column(first_status, first_status + len(numbers) - 1, 9)
    ws.freeze_panes(header_row + 1, 3)


def _lagging_sheet(workbook, fmts: Formats, ctx: ReportContext, criterion: str, used: set[str]) -> None:
    ws = workbook.add_worksheet(safe_sheet_name(ctx.t("export.report.sheet_lagging", number=criterion), used))
    rows = lagging_rows(ctx, criterion)
    write_text(ws, 0, 0, ctx.t("export.report.lagging_title", number=criterion,
                               name=ctx.criterion_name(criterion),
                               count=count_text(rows["commune_id"].nunique(), ctx.lang)),
               fmts, fmts.title)
    frame = pd.DataFrame({
        ctx.t("export.col.no"): rows["commune_id"].factorize()[0] + 1,
        ctx.t("export.col.commune"): rows["name"],
        ctx.t("export.col.district"): rows["district"],
        ctx.t("export.col.criteria_met", total=ctx.set_size): rows["criteria_met"],
        ctx.t("export.col.indicator"): rows["indicator"],
        ctx.t("export.col.indicator_name"): rows["indicator"].map(
            lambda c: ctx.indicator_name(c) if isinstance(c, str) and c else ctx.t("export.value.no_indicator_data")),
        ctx.t("export.col.value"): pd.to_numeric(rows["value"], errors="coerce"),
        ctx.t("export.col.threshold"): pd.to_numeric(rows["threshold"], errors="coerce"),
        ctx.t("export.col.threshold_note"): rows["threshold_unverified"].map(
            lambda flag: ctx.t("export.value.unverified") if flag else ""),
        ctx.t("export.col.unit"): rows["unit"],
        ctx.t("export.col.gap"): pd.to_numeric(rows["gap"], errors="coerce"),
        ctx.t("export.col.gap_people"): rows["gap_people"],
        ctx.t("export.col.gap_households"): rows["gap_households"],
        ctx.t("export.col.target_year"): rows["target_year"],
    })
    decimals = {ctx.t(f"export.col.{k}"): "decimal" for k in ("value", "threshold", "gap")}
    write_table(ws, frame, fmts, first_row=2, lang=ctx.lang, number_formats=decimals)
    ws.set_column(5, 5, 48)
    if frame.empty:
        ws.write_string(3, 0, ctx.t("export.value.no_lagging"), fmts.subtitle)


def _timeline_sheet(workbook, fmts: Formats, ctx: ReportContext, name: str) -> None:
    ws = workbook.add_worksheet(name)
    write_text(ws, 0, 0, ctx.t("export.report.timeline_title", year=ctx.current_year), fmts, fmts.title)
    note = "export.report.timeline_note" if ctx.has_trend else "export.report.timeline_no_history"
    ws.write_string(1, 0, ctx.t(note), fmts.subtitle)
    rows = timeline_frame(ctx)
    frame = pd.DataFrame({
        ctx.t("export.col.no"): range(1, len(rows) + 1),
        ctx.t("export.col.commune"): rows["name"],
        ctx.t("export.col.district"): rows["district"],
        ctx.t("export.col.criteria_met", total=ctx.set_size): rows["criteria_met"],
        ctx.t("export.col.missing"): rows["missing"].map(_missing_text),
        ctx.t("export.col.target_year"): rows["target_year"],
        ctx.t("export.col.standing"): rows["standing"].map(lambda s: ctx.t(f"export.standing.{s}")),
        ctx.t("export.col.pace"): pd.to_numeric(rows["pace"], errors="coerce"),
        ctx.t("export.col.projected_year"): pd.to_numeric(rows["projected_year"], errors="coerce"),
    })
    write_table(ws, frame, fmts, first_row=3, lang=ctx.lang,
                number_formats={ctx.t("export.col.pace"): "decimal",
                                ctx.t("export.col.projected_year"): "integer"})
    ws.set_column(4, 4, 30)
    # the plan by year, to the right of the commune table
    years = analytics.target_year_table(ctx.ds).reset_index()
    if not years.empty:
        col = len(frame.columns) + 1
        ws.write_string(2, col, ctx.t("export.section.by_year"), fmts.label)
        plan = pd.DataFrame({
            ctx.t("export.col.year"): years["year"].astype(int),
            ctx.t("export.col.planned"): years["planned"].astype(int),
            ctx.t("export.col.recognized"): years["recognized"].astype(int),
            ctx.t("export.col.planned_cumulative"): years["planned_cumulative"].astype(int),
            ctx.t("export.col.recognized_cumulative"): years["recognized_cumulative"].astype(int),
        })
        write_table(ws, plan, fmts, first_row=3, first_col=col, autofilter=False, freeze=False)
        for j, header in enumerate(plan.columns):
            ws.set_column(col + j, col + j, column_width(header, None))
    ws.freeze_panes(4, 0)


def report_xlsx(ds: Dataset, *, lang: str = "vi", filters: Mapping[str, Sequence[str]] | None = None,
                history: Sequence[Dataset] = (), current_year: int | None = None,
                criteria: Sequence[str] | None = None) -> bytes:
    """The meeting report as .xlsx bytes.

    `filters` ({"district": [...], "region": [...]}) are applied and stated in the title block; `history`
    (oldest first, may end with `ds`) gives the at-risk column; `criteria` chooses the lagging-commune
    sheets (default: every criterion some commune does not meet, most lagging first)."""
    ctx = build_context(ds, lang=lang, filters=filters, history=history, current_year=current_year)
    if criteria is None:
        lag = analytics.lagging_criteria(ctx.ds)
        criteria = lag.loc[lag["not_met"] > 0, "criterion"].astype(str).tolist()
    known = {c.number for c in ctx.ds.criteria_set.criteria}
    chosen = [str(c) for c in criteria if str(c) in known]
    buffer = io.BytesIO()
    workbook = new_workbook(buffer)
    fmts = make_formats(workbook)
    used: set[str] = set()
    _overview(workbook, fmts, ctx, safe_sheet_name(ctx.t("export.report.sheet_overview"), used))
    _scorecard_sheet(workbook, fmts, ctx, safe_sheet_name(ctx.t("export.report.sheet_scorecard"), used))
    _criteria_sheet(workbook, fmts, ctx, safe_sheet_name(ctx.t("export.report.sheet_criteria"), used))
    for number in chosen:
        _lagging_sheet(workbook, fmts, ctx, number, used)
    _timeline_sheet(workbook, fmts, ctx, safe_sheet_name(ctx.t("export.report.sheet_timeline"), used))
    workbook.set_properties({"title": ctx.t("export.report.title"), "comments": "NTM Dashboard"})
    workbook.close()
    return buffer.getvalue()



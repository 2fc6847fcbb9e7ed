"""Plotly chart builders. Statuses use ONE colour map everywhere (ntm_data.exports.styles, shared with Excel/PDF)."""
from __future__ import annotations

import html
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from ntm_data.exports.styles import STATUS_COLORS, STATUS_ORDER
from ntm_data.i18n import t
from ui.render import fmt_number, name_column

FONT_SIZE = 18  # readable on a projector from the back of the room
TEXT_COLOR = "#262730"  # near-black: grey tick labels wash out on a projector
PLANNED_COLOR = "#9DC3E6"
ACTUAL_COLOR = "#1F4E79"
THRESHOLD_COLOR = "#000000"
MAX_NAMED_POINTS = 12  # more commune names beside the points of one sub-indicator overlap
MAX_STRIP_POINTS = 3000  # above this a point per commune is unreadable and slow: a box per sub-indicator


def safe(text: Any) -> str:
    """Plotly renders a few HTML tags in labels; workbook text must show as typed."""
    return html.escape(str(text), quote=False)


def _layout(fig: go.Figure, lang: str, *, height: int = 420, legend: bool = True) -> go.Figure:
    fig.update_layout(
        separators=",." if lang == "vi" else ".,",  # decimal comma and thousands dot in Vietnamese
        template="plotly_white",
        font={"size": FONT_SIZE, "color": TEXT_COLOR},
        height=height,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        showlegend=legend,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "traceorder": "normal"},
        plot_bgcolor="white",
    )
    fig.update_xaxes(gridcolor="#e5e5e5")
    fig.update_yaxes(gridcolor="#e5e5e5")
    return fig


def show(fig: go.Figure, key: str) -> None:
    """Draw a figure as built here: Streamlit's own chart theme would replace our 18 px dark labels with
    its smaller grey ones."""
    import streamlit as st

    st.plotly_chart(fig, key=key, theme=None, config={"displaylogo": False})


def criteria_status_bars(completion: pd.DataFrame, lang: str) -> go.Figure:
    """Stacked horizontal bars: communes met / not met / unknown per criterion.

    Input: criteria_completion frame (criterion, name_vi, name_en, met, not_met, unknown)."""
    names = name_column(lang)
    labels = [safe(f"{c}. {n}") for c, n in zip(completion["criterion"], completion[names], strict=True)]
    fig = go.Figure()
    for status in STATUS_ORDER:
        fig.add_bar(y=labels, x=completion[status], orientation="h", name=t(f"ui.status.{status}", lang),
                    marker_color=STATUS_COLORS[status], text=completion[status].where(completion[status] > 0),
                    textposition="inside", textangle=0, insidetextanchor="middle",
                    hovertemplate="%{y}: %{x}<extra>" + t(f"ui.status.{status}", lang) + "</extra>")
    fig.update_layout(barmode="stack")
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(title=t("ui.chart.communes", lang))
    return _layout(fig, lang, height=max(320, 34 * len(labels) + 80))


def bucket_bars(buckets: pd.DataFrame, lang: str) -> go.Figure:
    """Communes per bucket of criteria met (best bucket first). Input: bucket, communes."""
    labels = [str(b) for b in buckets["bucket"]]
    shades = ["#1F4E79", "#2E75B6", "#9DC3E6", "#F4B183", "#C55A11"]
    fig = go.Figure(go.Bar(x=labels, y=buckets["communes"], text=buckets["communes"], textposition="outside",
                           cliponaxis=False,
                           marker_color=shades[: len(labels)] + shades[-1:] * max(0, len(labels) - len(shades)),
                           hovertemplate="%{x}: %{y}<extra></extra>"))
    fig.update_xaxes(type="category", title=t("ui.chart.criteria_met", lang), tickangle=0)
    fig.update_yaxes(title=t("ui.chart.communes", lang), rangemode="tozero",
                     range=[0, max(1, int(buckets["communes"].max())) * 1.15])
    return _layout(fig, lang, height=380, legend=False)


def trend_lines(trend: pd.DataFrame, lang: str) -> go.Figure:
    """Average criteria met (left axis) and communes at the standard (bars, right axis) per snapshot.

    Input: progress_trend frame (period, communes, at_standard, average_met)."""
    periods = [str(p) for p in trend["period"]]
    fig = go.Figure()
    fig.add_bar(x=periods, y=trend["at_standard"], name=t("ui.chart.at_standard", lang),
                marker={"color": STATUS_COLORS["met"], "opacity": 0.6}, yaxis="y2", text=trend["at_standard"],
                textposition="inside", insidetextanchor="start", textangle=0,
                insidetextfont={"color": TEXT_COLOR})
    fig.add_scatter(x=periods, y=trend["average_met"], name=t("ui.chart.average_met", lang),
                    mode="lines+markers+text", text=[fmt_number(v, lang) for v in trend["average_met"]],
                    textposition="top center", cliponaxis=False, line={"color": ACTUAL_COLOR, "width": 3})
    top = float(trend["average_met"].max()) if len(trend) else 1.0
    # Both series carry their figures as labels and the legend names them, so the axes need no titles and
    # the bars' own axis no ticks: two titled axes leave no room for the plot in half a projector screen.
    fig.update_layout(yaxis={"range": [0, top * 1.2]},
                      yaxis2={"overlaying": "y", "side": "right", "rangemode": "tozero", "showgrid": False,
                              "showticklabels": False,
                              "range": [0, max(1, float(trend["at_standard"].max() if len(trend) else 1)) * 1.5]})
    fig.update_xaxes(type="category")
    return _layout(fig, lang, height=360)


def indicator_strip(spread: pd.DataFrame, lang: str) -> go.Figure:
    """One point per commune and sub-indicator, coloured by status, with the threshold as a black dash; above
    MAX_STRIP_POINTS values, one box per sub-indicator instead (indicator_boxes).

    Input: indicator_spread frame (name, indicator, value, threshold, status, unit)."""
    if int(spread["value"].notna().sum()) > MAX_STRIP_POINTS:
        return indicator_boxes(spread, lang)
    fig = go.Figure()
    for status in STATUS_ORDER:
        part = spread[spread["status"] == status]
        if part.empty:
            continue
        fig.add_scatter(x=part["indicator"].astype(str), y=part["value"], mode="markers",
                        name=t(f"ui.status.{status}", lang),
                        marker={"color": STATUS_COLORS[status], "size": 13, "line": {"width": 1, "color": "#555"}},
                        text=[safe(n) for n in part["name"]],
                        hovertemplate="%{text}: %{y}<extra>%{x}</extra>")
        if status == "not_met" and len(part) <= MAX_NAMED_POINTS:  # who is below the line, readable at once
            # Names alternate right / left by value, so two communes with close values do not overprint.
            rank = part["value"].rank(method="first").astype(int).to_numpy()
            fig.data[-1].update(mode="markers+text", textfont={"size": 15},
                                textposition=["middle right" if r % 2 else "middle left" for r in rank])
    return _thresholds_and_axes(fig, spread, lang)


def indicator_boxes(spread: pd.DataFrame, lang: str) -> go.Figure:
    """Per sub-indicator, the spread of the communes' values as a box (quartiles, whiskers to the lowest and
    highest value) and the threshold as a black dash: the shape of thousands of communes at a glance, sent
    as five figures per sub-indicator instead of a point per commune.

    Input: indicator_spread frame (indicator, value, threshold, status, unit)."""
    values = spread.dropna(subset=["value"]).assign(indicator=lambda f: f["indicator"].astype(str))
    stats = values.groupby("indicator", sort=False)["value"].quantile([0.0, 0.25, 0.5, 0.75, 1.0]).unstack()
    counts = values.groupby("indicator", sort=False)["status"].agg(
        communes="size", not_met=lambda s: int((s == "not_met").sum()))
    stats = stats.join(counts)
    labels = [t("ui2.chart.box_hover", lang, communes=fmt_number(n, lang), not_met=fmt_number(m, lang))
              for n, m in zip(stats["communes"], stats["not_met"], strict=True)]
    fig = go.Figure(go.Box(
        x=list(stats.index), q1=stats[0.25], median=stats[0.5], q3=stats[0.75], lowerfence=stats[0.0],
        upperfence=stats[1.0], name=t("ui2.chart.box", lang), boxpoints=False, text=labels, hoverinfo="y+text",
        marker_color=ACTUAL_COLOR, fillcolor="rgba(157, 195, 230, 0.6)", line={"width": 2}))
    return _thresholds_and_axes(fig, spread, lang)


def _thresholds_and_axes(fig: go.Figure, spread: pd.DataFrame, lang: str) -> go.Figure:
    marks = spread.dropna(subset=["threshold"]).drop_duplicates(["indicator", "threshold"])
    if not marks.empty:
        fig.add_scatter(x=marks["indicator"].astype(str), y=marks["threshold"], mode="markers",
                        name=t("ui.chart.threshold", lang),
                        marker={"symbol": "line-ew-open", "size": 40, "color": THRESHOLD_COLOR,
                                "line": {"width": 3}},
                        hovertemplate="%{x}: %{y}<extra>" + t("ui.chart.threshold", lang) + "</extra>")
    fig.update_xaxes(type="category", title=t("ui.chart.indicator", lang))
    units = [u for u in spread["unit"].dropna().astype(str).unique() if u.strip()]
    unit = f" ({units[0]})" if len(units) == 1 else ""
    fig.update_yaxes(title=t("ui.chart.value", lang) + unit)
    return _layout(fig, lang, height=480)


def target_year_chart(table: pd.DataFrame, lang: str) -> go.Figure:
    """Communes planned / recognised per year (bars) and both cumulated (lines).

    Input: target_year_table frame (year, planned, recognized, planned_cumulative, recognized_cumulative)."""
    frame = table.reset_index() if "year" not in table.columns else table
    years = [str(int(y)) for y in frame["year"]]
    fig = go.Figure()
    fig.add_bar(x=years, y=frame["planned"], name=t("ui.chart.planned", lang), marker_color=PLANNED_COLOR)
    fig.add_bar(x=years, y=frame["recognized"], name=t("ui.chart.recognized", lang),
                marker_color=STATUS_COLORS["met"])
    fig.add_scatter(x=years, y=frame["planned_cumulative"], name=t("ui.chart.planned_cumulative", lang),
                    mode="lines+markers", line={"color": PLANNED_COLOR, "width": 3, "dash": "dash"})
    fig.add_scatter(x=years, y=frame["recognized_cumulative"], name=t("ui.chart.recognized_cumulative", lang),
                    mode="lines+markers", line={"color": ACTUAL_COLOR, "width": 3})
    fig.update_layout(barmode="group")
    fig.update_xaxes(type="category", title=t("ui.chart.year", lang))
    fig.update_yaxes(title=t("ui.chart.communes", lang), rangemode="tozero")
    return _layout(fig, lang, height=400)


def movers_bars(movers: pd.DataFrame, lang: str, limit: int = 15) -> go.Figure:
    """Largest changes in criteria met between two snapshots. Input: name, delta."""
    top = movers.head(limit).iloc[::-1]
    colors = [STATUS_COLORS["met"] if d > 0 else STATUS_COLORS["not_met"] for d in top["delta"]]
    fig = go.Figure(go.Bar(x=top["delta"], y=[safe(n) for n in top["name"]], orientation="h",
                           marker_color=colors, text=[f"{d:+d}" for d in top["delta"]], textposition="outside",
                           hovertemplate="%{y}: %{x:+d}<extra></extra>"))
    fig.update_xaxes(title=t("ui.chart.delta", lang), zeroline=True, zerolinecolor="#555", dtick=1,
                     tickformat="d")  # a count of criteria: no 0,5 ticks
    fig.update_yaxes(type="category")
    return _layout(fig, lang, height=max(300, 32 * len(top) + 80), legend=False)

"""Overview (Tổng quan): the entry page. Run with `streamlit run dashboard.py`."""
from __future__ import annotations

import streamlit as st

from ntm_data import analytics
from ui import charts, frame, render
from ui.frame import PageContext


def body(ctx: PageContext) -> None:
    ds, lang = ctx.ds, ctx.lang
    now = analytics.district_progress(ds)
    before = analytics.district_progress(ctx.previous) if ctx.previous is not None else None
    if before is not None:
        st.caption(ctx.md("ui.overview.compared_with", period=str(ctx.previous.period or ctx.previous.source_name)))

    def delta(new: float, old: float | None, digits: int = 0) -> str | None:
        return None if old is None else f"{new - old:+.{digits}f}".replace(".", "," if lang == "vi" else ".")

    cols = render.kpi_row(5)
    render.kpi(cols[0], ctx.t("ui.kpi.communes"), render.fmt_number(now.communes, lang),
               delta(now.communes, before and before.communes), delta_color="off")
    render.kpi(cols[1], ctx.t("ui.kpi.at_standard"), render.fmt_number(now.at_standard, lang),
               delta(now.at_standard, before and before.at_standard),
               help=ctx.t("ui.kpi.at_standard_help", total=now.criteria_total))
    share_delta = delta(now.at_standard_share * 100, before and before.at_standard_share * 100, 1)
    render.kpi(cols[2], ctx.t("ui.kpi.at_standard_share"), render.fmt_share(now.at_standard_share, lang),
               share_delta and ctx.t("ui.kpi.points", value=share_delta))  # a change of a share: points
    render.kpi(cols[3], ctx.t("ui.kpi.average_met"), f"{render.fmt_number(now.average_met, lang)}/{now.criteria_total}",
               delta(now.average_met, before and before.average_met, 1),
               help=ctx.t("ui.kpi.average_met_help", total=now.criteria_total))
    render.kpi(cols[4], ctx.t("ui.kpi.under_floor", floor=now.floor), render.fmt_number(now.under_floor, lang),
               delta(now.under_floor, before and before.under_floor), delta_color="inverse",
               help=ctx.t("ui.kpi.under_floor_help", floor=now.floor))

    # Two small charts side by side, the 19-bar chart full width: in a column its labels are cut at 1280 px.
    left, right = st.columns(2)
    left.subheader(ctx.t("ui.overview.buckets"))
    with left:
        charts.show(charts.bucket_bars(analytics.criteria_buckets(ds), lang), key="buckets")
    right.subheader(ctx.t("ui.overview.trend"))
    with right:
        if len(ctx.history) > 1:
            charts.show(charts.trend_lines(analytics.progress_trend(ctx.history), lang), key="trend")
        else:
            render.empty_state("ui.profile.no_history", lang)
    st.subheader(ctx.t("ui.overview.completion"))
    charts.show(charts.criteria_status_bars(analytics.criteria_completion(ds), lang), key="completion")

    st.subheader(ctx.t("ui.overview.outputs"))
    render.meeting_downloads(ctx.full, lang, filters=frame.filter_choices(), history=ctx.history)

    render.watchlist(ds, lang, key="watchlist")


frame.run("overview", body)

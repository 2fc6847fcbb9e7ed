"""Overview (Tổng quan): the entry page. Run with `streamlit run dashboard.py`."""
from __future__ import annotations

import streamlit as st

if __name__ == "__main__":  # Streamlit runs every page, this one included, as __main__
    from ntm_data import analytics
    from ui import frame, render
    from ui.frame import PageContext
else:
    # `streamlit run dashboard.py` finds `app` and serves it: the same pages, plus a warm-up at server start
    # that reads the sample while the first browser is still loading Streamlit's front end (ui/startup.py).
    from ui.startup import lifespan

    app = st.App(__file__, lifespan=lifespan)

# Only what the first figures need is imported above: plotly (ui.charts) and the exports are imported when
# the charts and downloads are drawn, after the KPI cards have been sent to the browser.


def kpis(ctx: PageContext, now: analytics.Progress, before: analytics.Progress | None) -> None:
    """The five KPI cards; with `before` (the previous snapshot's progress) each shows its change."""
    lang = ctx.lang

    def delta(new: float, old: float | None, digits: int = 0) -> str | None:
        return None if old is None else f"{new - old:+.{digits}f}".replace(".", "," if lang == "vi" else ".")

    if before is not None:
        st.caption(ctx.md("ui.overview.compared_with", period=str(ctx.previous.period or ctx.previous.source_name)))
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


def previous_progress(ctx: PageContext) -> analytics.Progress | None:
    return analytics.district_progress(ctx.previous) if ctx.previous is not None else None


def body(ctx: PageContext) -> None:
    ds, lang = ctx.ds, ctx.lang
    now = analytics.district_progress(ds)
    kpi_slot = st.empty()
    if not ctx.history_ready:
        # A server's first run: the open year's cards first, alone, so that the browser draws them while the
        # earlier years are read (behind a spinner; seconds at national scale). Anything sent with them (a
        # chart still loading its code) would hold them back. Then the cards again, with their changes.
        with kpi_slot.container():
            kpis(ctx, now, None)
        ctx.history  # noqa: B018 - read now, after the cards
    with kpi_slot.container():
        kpis(ctx, now, previous_progress(ctx))

    # Everything the charts need is built before the first of them is sent: the browser loads a chart's code
    # (plotly) on first use and holds back what arrived with it, so the cards go out well ahead of it.
    from ui import charts

    buckets = charts.bucket_bars(analytics.criteria_buckets(ds), lang)
    trend = charts.trend_lines(analytics.progress_trend(ctx.history), lang) if len(ctx.history) > 1 else None
    completion = charts.criteria_status_bars(analytics.criteria_completion(ds), lang)

    # Two small charts side by side, the 19-bar chart full width: in a column its labels are cut at 1280 px.
    left, right = st.columns(2)
    left.subheader(ctx.t("ui.overview.buckets"))
    with left:
        charts.show(buckets, key="buckets")
    right.subheader(ctx.t("ui.overview.trend"))
    with right:
        if trend is not None:
            charts.show(trend, key="trend")
        else:
            render.empty_state("ui.profile.no_history", lang)
    st.subheader(ctx.t("ui.overview.completion"))
    charts.show(completion, key="completion")

    st.subheader(ctx.t("ui.overview.outputs"))
    render.meeting_downloads(ctx.full, lang, filters=frame.filter_choices(), history=lambda: ctx.history)

    render.watchlist(ds, lang, key="watchlist")


if __name__ == "__main__":
    frame.run("overview", body)

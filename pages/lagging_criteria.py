"""Lagging criteria (Tiêu chí chậm): criteria ranked by communes missing them, and one criterion's sub-indicators."""
from __future__ import annotations

import streamlit as st

from ntm_data import analytics
from ui import charts, frame, render, state
from ui.frame import PageContext


def body(ctx: PageContext) -> None:
    ds, lang = ctx.ds, ctx.lang
    ranked = analytics.lagging_criteria(ds)
    name = render.name_column(lang)
    st.subheader(ctx.t("ui.lagging_criteria.ranking"))
    render.table(ranked, lang, ["criterion", name, "not_met", "met", *["unknown"] * bool(ranked["unknown"].any()),
                                "met_share"],
                 headers={name: ctx.t("ui.col.criterion_name")}, key="ranking")

    numbers = list(ranked["criterion"])
    chosen = state.selectbox(st, state.CRITERION, ctx.t("ui.lagging_criteria.choose"), numbers,
                             lambda n: render.criterion_label(ds.criteria_set, n, lang))
    spread = analytics.indicator_spread(ds, chosen)
    st.subheader(ctx.md("ui.lagging_criteria.spread", criterion=render.criterion_label(ds.criteria_set, chosen, lang)))
    if spread.empty:
        render.empty_state("ui.lagging_criteria.no_values", lang)
        return
    charts.show(charts.indicator_strip(spread, lang), key="spread")
    if int(spread["value"].notna().sum()) > charts.MAX_STRIP_POINTS:  # drawn as boxes: say how to read them
        st.caption(ctx.t("ui2.lagging_criteria.box_note"))
    unverified = sorted(spread.loc[spread["verified"].eq(False), "indicator"].astype(str).unique())
    if unverified:
        st.warning(ctx.md("ui.lagging_criteria.unverified", codes=", ".join(unverified)), icon=":material/help:")
    summary = analytics.indicator_summary(spread)
    # Unverified thresholds are named in the warning above, so no column for them: the table fits a projector.
    columns = ["indicator", name, "not_met", "met", *["unknown"] * bool(summary["unknown"].any()), "unit",
               "thresholds", "min", "median"]
    render.table(summary, lang, columns, headers={name: ctx.t("ui.col.indicator_name")}, key="indicators",
                 column_config={name: render.long_text_column(220)})


frame.run("lagging_criteria", body)

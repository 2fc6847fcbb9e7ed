"""Timeline (Tiến độ): planned against actual years at the standard, overdue and at-risk communes."""
from __future__ import annotations

import datetime

import numpy as np
import streamlit as st

from ntm_data import analytics
from ui import charts, frame, render
from ui.frame import PageContext


def body(ctx: PageContext) -> None:
    ds, lang = ctx.ds, ctx.lang
    current_year = ds.period.year if ds.period else datetime.date.today().year
    st.caption(ctx.t("ui.timeline.as_of", year=current_year))

    st.subheader(ctx.t("ui.timeline.planned_vs_actual"))
    years = analytics.target_year_table(ds)
    if years.empty:
        render.empty_state("ui.timeline.no_years", lang)
    else:
        charts.show(charts.target_year_chart(years, lang), key="years")

    # Overdue and at-risk tables are stacked: side by side they truncate columns on a projector.
    st.subheader(ctx.t("ui.timeline.overdue"))
    overdue = analytics.overdue_communes(ds, current_year)
    if overdue.empty:
        render.empty_state("ui.timeline.overdue_none", lang)
    else:
        overdue = overdue.assign(missing=render.criteria_names(overdue["missing"], ds.criteria_set, lang))
        render.table(overdue, lang, ["name", "district", "target_year", "criteria_met", "missing"],
                     code_columns=["missing"], key="overdue", column_config={"missing": render.criteria_names_column()})
    st.subheader(ctx.t("ui.timeline.at_risk"))
    if len(ctx.history) < 2:
        render.empty_state("ui.timeline.at_risk_needs_history", lang)
    else:
        risky = analytics.at_risk_communes(ctx.history, current_year)
        if risky.empty:
            render.empty_state("ui.timeline.at_risk_none", lang)
        else:
            # A standard reached in "2026.4" is reached during 2027: round the projection up, never down.
            shown = risky.assign(pace=risky["pace"].round(1), projected_year=np.ceil(risky["projected_year"]))
            render.table(shown, lang, ["name", "district", "target_year", "criteria_met", "pace", "projected_year"],
                         key="at_risk")
            st.caption(ctx.t("ui.timeline.projection_note"))
    render.watchlist(ds, lang, key="watchlist")


frame.run("timeline", body)

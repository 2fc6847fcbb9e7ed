"""Commune profile (Hồ sơ xã): one commune's criteria and sub-indicators against thresholds, and its history."""
from __future__ import annotations

import streamlit as st

from ntm_data import analytics
from ui import frame, render, state
from ui.frame import PageContext


def body(ctx: PageContext) -> None:
    ds, lang = ctx.ds, ctx.lang
    communes = analytics.communes_by_name(ds)
    many_districts = communes["district"].nunique() > 1
    labels = render.commune_labels(communes, with_district=many_districts)
    commune_id = state.selectbox(st, state.COMMUNE, ctx.t("ui.profile.choose"), list(communes.index), labels.get)
    profile = analytics.commune_profile(ds, commune_id)
    total = len(ds.criteria_set.criteria)

    cols = render.kpi_row(4)
    render.kpi(cols[0], ctx.t("ui.profile.criteria_met"), f"{profile.criteria_met}/{total}")
    render.kpi(cols[1], ctx.t("ui.profile.at_standard"), ctx.t("ui.yes" if profile.at_standard else "ui.no"))
    render.kpi(cols[2], ctx.t("ui.col.target_year"), render.fmt_year(profile.target_year))
    render.kpi(cols[3], ctx.t("ui.col.recognized_year"), render.fmt_year(profile.recognized_year))

    name = render.name_column(lang)
    st.subheader(ctx.t("ui.profile.criteria"))
    render.table(profile.criteria, lang, ["criterion", name, "status", "blocking", "cell"],
                 status_columns=["status"], code_columns=["blocking"],
                 headers={name: ctx.t("ui.col.criterion_name")}, key="criteria")
    st.subheader(ctx.t("ui.profile.indicators"))
    if profile.indicators.empty:
        render.empty_state("ui.profile.no_indicators", lang)
    else:
        render.table(profile.indicators, lang, ["indicator", name, "value", "threshold", "unit", "status", "verified"],
                     status_columns=["status"], headers={name: ctx.t("ui.col.indicator_name")}, key="indicators",
                     column_config={name: render.long_text_column()})

    st.subheader(ctx.t("ui.profile.history"))
    history = analytics.commune_history(ctx.history, commune_id)
    if len(history) < 2:
        render.empty_state("ui.profile.no_history", lang)
    history = history.assign(missing=render.criteria_names(history["missing"], ctx.ds.criteria_set, lang))
    render.table(history, lang, ["period", "criteria_met", "at_standard", "missing"], code_columns=["missing"],
                 key="history", column_config={"missing": render.criteria_names_column(480)})


frame.run("commune_profile", body)

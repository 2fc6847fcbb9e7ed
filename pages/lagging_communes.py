"""Lagging communes (Xã chưa đạt theo tiêu chí): who misses a criterion or sub-indicator, by how much; near misses."""
from __future__ import annotations

import streamlit as st

from ntm_data import analytics
from ui import frame, render, state
from ui.frame import PageContext


def body(ctx: PageContext) -> None:
    ds, lang = ctx.ds, ctx.lang
    cset = ds.criteria_set
    left, right = st.columns(2)
    criterion = state.selectbox(left, state.CRITERION, ctx.t("ui.lagging_communes.criterion"),
                                [c.number for c in cset.criteria], lambda n: render.criterion_label(cset, n, lang))
    codes = render.indicator_codes(ds, criterion)
    indicator = state.selectbox(right, state.INDICATOR, ctx.t("ui.lagging_communes.indicator"), codes,
                                lambda c: render.indicator_label(cset, c, lang), allow_none=True,
                                placeholder=ctx.t("ui.lagging_communes.whole_criterion"))
    target = indicator or criterion
    label = render.indicator_label(cset, target, lang) if indicator else render.criterion_label(cset, target, lang)
    if indicator and render.unverified_threshold(cset, indicator):
        st.caption(ctx.md("ui.lagging_criteria.unverified", codes=indicator))
    elif not indicator and codes:
        st.caption(ctx.t("ui.lagging_communes.pick_indicator"))
    lagging = analytics.lagging_communes(ds, target)
    count = render.fmt_number(len(lagging), lang)  # "1.696 xã" at national scale
    st.subheader(ctx.md("ui.lagging_communes.heading", target=label, count=count))
    if lagging.empty:
        render.empty_state("ui.lagging_communes.none", lang, target=label)
    else:
        shown = lagging.assign(need=render.need_text(lagging, lang))
        columns = ["name", "district", "value", "threshold", "unit", "gap", "need", "blocking", "criteria_met",
                   "target_year"]
        columns = render.informative(shown, columns)
        render.table(shown, lang, columns, code_columns=["blocking"], key="lagging")
        render.download_xlsx(render.display_frame(shown, lang, columns, code_columns=["blocking"]), lang,
                             title=ctx.t("ui.lagging_communes.heading", target=label, count=count),
                             file_name=f"xa_chua_dat_{target}.xlsx", key="download_lagging")

    st.subheader(ctx.t("ui.lagging_communes.near_misses"))
    near = analytics.near_misses(ds, max_missing=2)
    if near.empty:
        render.empty_state("ui.lagging_communes.near_misses_none", lang)
    else:
        near = near.assign(missing=render.criteria_names(near["missing"], cset, lang))  # "15 Y tế, 17 Môi trường"
        columns = ["name", "district", "missing_count", "missing", "target_year"]
        render.table(near, lang, columns, code_columns=["missing"], key="near",
                     column_config={"missing": render.criteria_names_column()})
        render.download_xlsx(render.display_frame(near, lang, columns, code_columns=["missing"]), lang,
                             title=ctx.t("ui.lagging_communes.near_misses"), file_name="xa_gan_dat.xlsx",
                             key="download_near")


frame.run("lagging_communes", body)

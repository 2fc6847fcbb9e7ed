"""Scorecard (Bảng tổng hợp): communes x criteria, coloured met / not met / unknown, sortable, grouped when large."""
from __future__ import annotations

import streamlit as st

from ntm_data import analytics
from ui import frame, render
from ui.frame import PageContext

PAGE_SIZE = 50  # rows per page: 30 communes fit a projector screen, 50 keep scrolling short


def body(ctx: PageContext) -> None:
    ds, lang = ctx.ds, ctx.lang
    cset = ds.criteria_set
    districts = sorted(str(d) for d in ds.communes["district"].dropna().unique())
    if len(districts) > 1:
        st.subheader(ctx.t("ui.scorecard.by_group"))
        groups = analytics.group_scorecard(ds, level="district")
        shown, config = render.group_table(groups, ds.criteria_set, lang)
        st.dataframe(shown, hide_index=True, width="stretch", column_config=config or None, key="groups")
        drill = st.selectbox(ctx.t("ui.scorecard.drill"), [None, *districts], key="w_drill",
                             format_func=lambda d: ctx.t("ui.frame.all") if d is None else d)
        if drill is not None:
            ds = ds.subset(ds.communes.index[ds.communes["district"] == drill])

    options = ["criteria_met", "name", *[c.number for c in cset.criteria]]
    sort_by = st.selectbox(ctx.t("ui.scorecard.sort"), options, key="w_sort",
                           format_func=lambda o: ctx.t(f"ui.scorecard.sort_{o}") if o in options[:2]
                           else ctx.t("ui.scorecard.sort_criterion", criterion=render.criterion_label(cset, o, lang)))
    grid = analytics.scorecard(ds, sort_by=sort_by)
    pages = max(1, -(-len(grid) // PAGE_SIZE))
    if pages > 1:
        number = st.number_input(ctx.t("ui.scorecard.page", pages=pages), 1, pages, 1, key="w_page")
        grid = grid.iloc[(number - 1) * PAGE_SIZE: number * PAGE_SIZE]
    st.caption(ctx.t("ui.scorecard.legend"))
    styled, config = render.scorecard_view(grid, cset, lang)
    st.dataframe(styled, hide_index=True, width="stretch", column_config=config, row_height=render.ROW_HEIGHT,
                 height=(min(len(grid), 30) + 1) * render.ROW_HEIGHT + 3, key="grid")


frame.run("scorecard", body)

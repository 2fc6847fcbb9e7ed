"""Since last meeting (So sánh): what changed between any two snapshots."""
from __future__ import annotations

import streamlit as st

from ntm_data import analytics
from ui import charts, frame, render
from ui.frame import PageContext


def body(ctx: PageContext) -> None:
    lang = ctx.lang
    choices = frame.snapshot_choices(ctx)
    if len(choices) < 2:
        render.empty_state("ui.compare.needs_two", lang)
        return
    labels, history = [label for label, _ in choices], [ds for _, ds in choices]
    left, right = st.columns(2)
    old_i = left.selectbox(ctx.t("ui.compare.old"), range(len(history)), index=len(history) - 2,
                           format_func=labels.__getitem__, key="w_old")
    new_i = right.selectbox(ctx.t("ui.compare.new"), range(len(history)), index=len(history) - 1,
                            format_func=labels.__getitem__, key="w_new")
    if old_i == new_i:
        render.empty_state("ui.compare.same", lang)
        return
    result = analytics.compare_snapshots(history[old_i], history[new_i])

    cols = render.kpi_row(4)
    counts = [len(result.newly_at_standard), len(result.dropped_from_standard),
              int((result.changes["change"] == "gained").sum()), int((result.changes["change"] == "lost").sum())]
    keys = ["ui.compare.newly_at_standard", "ui.compare.dropped_short", "ui.compare.gained", "ui.compare.lost"]
    for col, key, count in zip(cols, keys, counts, strict=True):  # "3.074" at national scale
        render.kpi(col, ctx.t(key), render.fmt_number(count, lang))

    for title, frame_ in (("ui.compare.newly_at_standard", result.newly_at_standard),
                          ("ui.compare.dropped", result.dropped_from_standard)):
        if not frame_.empty:
            st.subheader(ctx.t(title))
            render.table(frame_, lang, ["name", "district"], key=title)

    st.subheader(ctx.t("ui.compare.by_criterion"))
    if result.changes.empty:
        render.empty_state("ui.compare.no_changes", lang)
    else:
        per_criterion = render.changes_by_criterion(result.changes, ds=history[new_i], lang=lang)
        per_criterion = per_criterion[render.informative(per_criterion, list(per_criterion.columns))]
        st.dataframe(per_criterion, hide_index=True, width="stretch", key="per_criterion")
        st.subheader(ctx.t("ui.compare.by_commune"))
        named = result.changes.assign(criterion=result.changes["criterion"].map(
            lambda n: render.criterion_label(history[new_i].criteria_set, n, lang)))
        render.table(named, lang, ["name", "criterion", "old", "new"], status_columns=["old", "new"],
                     key="changes")

    st.subheader(ctx.t("ui.compare.movers"))
    movers = result.movers[result.movers["delta"] != 0]
    if movers.empty:
        render.empty_state("ui.compare.no_movers", lang)
    else:
        charts.show(charts.movers_bars(movers, lang), key="movers")
    if not result.revised_values.empty:
        st.subheader(ctx.t("ui.compare.revised"))
        render.table(result.revised_values, lang, ["name", "indicator", "old", "new"], key="revised")


frame.run("compare", body)

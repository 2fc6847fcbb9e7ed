"""The Data page's validation report: issues filterable by severity and sheet, the annotated copy, and a
warning when the file leaves most criteria unknown."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from ntm_data import analytics, exports
from ntm_data.model import Dataset
from ui import render, state
from ui.frame import PageContext


def report(ctx: PageContext, ds: Dataset) -> None:
    """Issues of `ds` as a filterable table (severity, sheet, cell, message), then the unknown-share warning."""
    lang = ctx.lang
    issues = pd.DataFrame([i.as_dict(lang) for i in ds.issues],
                          columns=["severity", "sheet", "cell", "code", "message"])
    if issues.empty:
        st.success(ctx.t("ui.data.no_issues"), icon=":material/check_circle:")
    else:
        left, right = st.columns(2)
        severities = left.multiselect(ctx.t("ui.data.severity"), ["error", "warning"], key="w_severity",
                                      format_func=lambda s: ctx.t(f"ui.severity.{s}"),
                                      placeholder=ctx.t("ui.frame.all"))
        sheets = right.multiselect(ctx.t("ui.data.sheet"), sorted(issues["sheet"].dropna().unique()),
                                   key="w_sheet", placeholder=ctx.t("ui.frame.all"))
        shown = issues[issues["severity"].isin(severities or ["error", "warning"])]
        shown = shown[shown["sheet"].isin(sheets)] if sheets else shown
        shown = shown.assign(severity=shown["severity"].map(lambda s: ctx.t(f"ui.severity.{s}")))
        st.caption(ctx.t("ui.data.issue_counts", errors=render.fmt_number(len(ds.errors), lang),
                         warnings=render.fmt_number(len(ds.warnings), lang)))
        render.table(shown, lang, ["severity", "sheet", "cell", "message"], key="issues")
        if not ctx.is_sample and st.session_state.get(state.UPLOAD_BYTES) is not None:
            original = st.session_state[state.UPLOAD_BYTES]
            st.download_button(ctx.t("ui.download.annotated"),
                               lambda: exports.annotated_copy(original, ds.issues, lang=lang),
                               file_name=f"danh_dau_loi_{ds.source_name.rsplit('.', 1)[0]}.xlsx",
                               mime=render.XLSX_MIME, on_click="ignore", key="download_annotated",
                               icon=":material/rate_review:")

    completion = analytics.criteria_completion(ds)
    unknown = int(completion["unknown"].sum())
    if unknown * 2 > int(completion[["met", "not_met", "unknown"]].to_numpy().sum()):
        st.warning(ctx.t("ui.data.mostly_unknown", criteria=int((completion["unknown"] > 0).sum())),
                   icon=":material/help:")

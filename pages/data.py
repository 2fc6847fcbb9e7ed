"""Data (Dữ liệu): upload, validation report, preview, sample and template downloads, saved snapshots."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from ntm_data import exports
from ui import data, frame, render, snapshots, state
from ui.frame import PageContext


def body(ctx: PageContext) -> None:
    lang, ds = ctx.lang, ctx.full
    if ds is not None:
        st.subheader(ctx.t("ui.data.report"))
        st.caption(ctx.md("ui.data.read_summary", name=ds.source_name, communes=len(ds.communes),
                         period=str(ds.period or "–"), layout=ctx.t(f"ui.layout.{ds.layout or 'unknown'}"),
                         set=ds.criteria_set.name_en if lang == "en" else ds.criteria_set.name_vi))
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
            st.caption(ctx.t("ui.data.issue_counts", errors=len(ds.errors), warnings=len(ds.warnings)))
            render.table(shown, lang, ["severity", "sheet", "cell", "message"], key="issues")
            if not ctx.is_sample and st.session_state.get(state.UPLOAD_BYTES) is not None:
                original = st.session_state[state.UPLOAD_BYTES]
                st.download_button(ctx.t("ui.download.annotated"),
                                   lambda: exports.annotated_copy(original, ds.issues, lang=lang),
                                   file_name=f"danh_dau_loi_{ds.source_name.rsplit('.', 1)[0]}.xlsx",
                                   mime=render.XLSX_MIME, on_click="ignore", key="download_annotated",
                                   icon=":material/rate_review:")

        st.subheader(ctx.t("ui.data.preview"))
        preview = render.preview_frame(ds, lang)
        render.table(preview, lang, list(preview.columns), key="preview")

    st.subheader(ctx.t("ui.data.downloads"))
    cols = st.columns(3)
    for i, path in enumerate(data.sample_files()):
        cols[i % 3].download_button(ctx.md("ui.data.sample_file", name=path.name), path.read_bytes(),
                                    file_name=path.name, on_click="ignore", key=f"sample_{path.name}",
                                    icon=":material/download:")
    set_id = ds.criteria_set.id if ds is not None else "qd318"
    st.download_button(ctx.t("ui.data.template"), lambda: data.template(set_id, lang), file_name=f"mau_trong_{set_id}.xlsx",
                       mime=render.XLSX_MIME, on_click="ignore", key="template", icon=":material/table_view:")

    st.subheader(ctx.t("ui.data.snapshots"))
    snapshots.panel(ctx)


frame.run("data", body, needs_data=False)

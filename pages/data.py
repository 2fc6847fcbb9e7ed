"""Data (Dữ liệu): upload, validation report, preview, sample and template downloads, saved snapshots."""
from __future__ import annotations

import streamlit as st

from ui import data, frame, render, snapshots, validation
from ui.frame import PageContext


def body(ctx: PageContext) -> None:
    lang, ds = ctx.lang, ctx.full
    if ds is not None:
        st.subheader(ctx.t("ui.data.report"))
        st.caption(ctx.md("ui.data.read_summary", name=ds.source_name, communes=render.fmt_number(len(ds.communes), lang),
                         period=str(ds.period or render.MISSING), layout=ctx.t(f"ui.layout.{ds.layout or 'unknown'}"),
                         set=ds.criteria_set.name_en if lang == "en" else ds.criteria_set.name_vi))
        validation.report(ctx, ds)
        st.subheader(ctx.t("ui.data.preview"))
        preview = render.preview_frame(ds, lang)
        render.table(preview, lang, list(preview.columns), key="preview")

    st.subheader(ctx.t("ui.data.downloads"))
    row = st.container(horizontal=True)  # buttons wrap instead of cutting long file names on a projector
    for path in data.sample_files():
        row.download_button(ctx.md("ui.data.sample_file", name=path.name), path.read_bytes(),
                            file_name=path.name, on_click="ignore", key=f"sample_{path.name}",
                            icon=":material/download:")
    set_id = ds.criteria_set.id if ds is not None else "qd318"
    st.download_button(ctx.t("ui.data.template"), lambda: data.template(set_id, lang), file_name=f"mau_trong_{set_id}.xlsx",
                       mime=render.XLSX_MIME, on_click="ignore", key="template", icon=":material/table_view:")

    st.subheader(ctx.t("ui.data.snapshots"))
    snapshots.panel(ctx)


frame.run("data", body, needs_data=False)

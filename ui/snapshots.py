"""The saved-snapshots panel of the Data page: list, save and delete with confirmation (editors only), audit log."""
from __future__ import annotations

import logging

import pandas as pd
import streamlit as st

from ntm_data import access
from ntm_data.i18n import t
from ui import auth, data, frame, render, state
from ui.render import md

log = logging.getLogger(__name__)


def _table(infos: list, lang: str) -> None:
    rows = pd.DataFrame([i.as_dict() for i in infos],
                        columns=["id", "period", "criteria_set", "source_name", "saved_at", "saved_by", "communes",
                                 "at_standard", "average_met"])
    rows["saved_at"] = rows["saved_at"].str.slice(0, 16).str.replace("T", " ")
    rows["average_met"] = rows["average_met"].round(1)
    render.table(rows, lang, list(rows.columns), key="snapshots")


def _unreadable(lang: str) -> None:
    """A warning naming every snapshot the current reader cannot re-read (history() skips them), so that
    none silently disappears from comparisons and trends."""
    broken = data.unreadable_snapshots()
    if not broken:
        return
    lines = [md("ui.snapshots.unreadable_item", lang, period=u.info.period, id=u.info.id,
                name=u.info.source_name, message=u.message(lang)) for u in broken]
    st.warning("\n".join([t("ui.snapshots.unreadable", lang, count=len(broken)), "", *(f"- {line}" for line in lines)]),
               icon=":material/report:")


def _save(store, lang: str, user) -> None:
    from ntm_data.storage import DuplicateSnapshot, PeriodRequired

    if not access.can(user, "save"):  # checked again when it happens, not only when the button was drawn
        return
    actor = user.name
    ss = st.session_state
    period = ss.get("w_save_period") or None
    chosen = frame.criteria_set_arg()
    user_catalogue = chosen if isinstance(chosen, data.UserCatalogue) else None
    try:
        if user_catalogue is not None:  # its bytes are kept with the snapshot, so that it reloads the same
            info = store.save(ss[state.UPLOAD_BYTES], ss[state.UPLOAD_NAME], period=period, actor=actor,
                              catalogue=user_catalogue.data, catalogue_name=user_catalogue.name)
        else:
            info = store.save(ss[state.UPLOAD_BYTES], ss[state.UPLOAD_NAME], period=period, criteria_set=chosen,
                              actor=actor)
    except DuplicateSnapshot as dup:
        ss["snapshot_message"] = ("info", md("ui.snapshots.duplicate", lang, id=dup.existing.id,
                                             period=dup.existing.period))
    except PeriodRequired:
        ss["snapshot_message"] = ("warning", t("ui.snapshots.period_required", lang))
    except ValueError:
        ss["snapshot_message"] = ("warning", t("ui.snapshots.period_invalid", lang))
    else:
        ss["snapshot_message"] = ("success", md("ui.snapshots.saved", lang, id=info.id, period=info.period))


def _delete(store, lang: str, user, snapshot_id: int) -> None:
    if not access.can(user, "delete"):
        return
    store.delete(snapshot_id, actor=user.name)
    st.session_state["snapshot_message"] = ("success", t("ui.snapshots.deleted", lang, id=snapshot_id))
    st.session_state["w_confirm_delete"] = False


def panel(ctx: frame.PageContext) -> None:
    lang = ctx.lang
    try:
        store = data.store()
        infos = store.list()
    except Exception:
        if frame.raise_errors():
            raise
        log.exception("snapshot store unavailable")
        st.warning(ctx.t("ui.snapshots.unavailable"), icon=":material/cloud_off:")
        return
    kind, message = st.session_state.pop("snapshot_message", (None, None))
    if message:
        getattr(st, kind)(message)
    if infos:
        _table(infos, lang)
        _unreadable(lang)
    else:
        render.empty_state("ui.snapshots.none", lang)

    if not ctx.can("save"):
        st.caption(auth.denied(lang, "save"))
    elif ctx.is_sample or ctx.full is None:
        st.caption(ctx.t("ui.snapshots.upload_first"))
    else:
        left, right = st.columns([1, 2])
        if ctx.full.period is None:
            left.text_input(ctx.t("ui.snapshots.period"), key="w_save_period", placeholder="2025")
        right.button(ctx.md("ui.snapshots.save", name=ctx.source_name), key="save_snapshot",
                     on_click=_save, args=(store, lang, ctx.user), icon=":material/save:")
    if infos and ctx.can("delete"):
        labels = {i.id: f"#{i.id} · {i.period} · {i.source_name}" for i in infos}
        chosen = st.selectbox(ctx.t("ui.snapshots.choose_delete"), list(labels), format_func=labels.get,
                              index=None, key="w_delete_id", placeholder=ctx.t("ui.snapshots.choose_placeholder"))
        confirm = st.checkbox(ctx.t("ui.snapshots.confirm_delete"), key="w_confirm_delete",
                              disabled=chosen is None)
        st.button(ctx.t("ui.snapshots.delete"), type="primary", disabled=not (chosen and confirm),
                  key="delete_snapshot", on_click=_delete, args=(store, lang, ctx.user, chosen),
                  icon=":material/delete:")
    audit = store.audit()
    if audit:
        with st.expander(ctx.t("ui.snapshots.audit")):
            rows = pd.DataFrame([{"at": e.at.strftime("%Y-%m-%d %H:%M"), "actor": e.actor,
                                  "action": ctx.t(f"ui.snapshots.action_{e.action}"), "snapshot_id": e.snapshot_id,
                                  "period": e.period, "source_name": e.source_name} for e in audit])
            render.table(rows.iloc[::-1], lang, list(rows.columns), key="audit")

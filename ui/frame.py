"""The shared page frame: sidebar (language, menu, data source, criteria set, filters) and a guarded page body.

Every page file calls `frame.run(page_id, body)` first thing, so a cold deep link such as
/lagging_communes?criterion=15&lang=en renders that page, in that language, with that criterion.
"""
from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import streamlit as st

from ntm_data import access
from ntm_data.i18n import LANGUAGES, t
from ntm_data.model import Dataset, ReadError
from ui import auth, data, state
from ui.render import fmt_number, md

log = logging.getLogger(__name__)

# (page id, script path relative to dashboard.py, Material icon). Labels come from `ui.page.<id>`.
PAGES: tuple[tuple[str, str, str], ...] = (
    ("overview", "dashboard.py", ":material/dashboard:"),
    ("lagging_criteria", "pages/lagging_criteria.py", ":material/trending_down:"),
    ("lagging_communes", "pages/lagging_communes.py", ":material/format_list_numbered:"),
    ("scorecard", "pages/scorecard.py", ":material/grid_on:"),
    ("commune_profile", "pages/commune_profile.py", ":material/location_city:"),
    ("timeline", "pages/timeline.py", ":material/timeline:"),
    ("compare", "pages/compare.py", ":material/compare_arrows:"),
    ("data", "pages/data.py", ":material/upload_file:"),
)
UPLOAD_TYPES = ["xlsx", "xlsm", "xls"]
CATALOGUE_TYPES = ["yaml", "yml", "json"]
RAISE_ENV = "NTM_RAISE_ERRORS"  # tests set it so that a bug fails the test instead of showing a message box
LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}


@dataclass(frozen=True)
class PageContext:
    """What a page body needs. `ds` and `history` are filtered by the sidebar; `full` is not.

    `history` holds every snapshot of the open data, oldest first, the open one included (>= 1 item). It is
    read on first use (`load_history`), so that a page shows the open data's figures before the earlier
    years are read, and pages that do not need them never wait for them."""

    page: str
    lang: str
    ds: Dataset | None
    full: Dataset | None
    load_history: Callable[[], Sequence[Dataset]] | None = None  # the filtered history, read when asked
    history_cached: bool = True  # False when asking for `history` reads workbooks (seconds at national scale)
    is_sample: bool = True
    source_name: str = ""
    load_error: Any = None  # the ntm_data Issue of a rejected upload, if any
    user: Any = None  # ntm_data.access.User (LOCAL_USER in local mode)
    auth_mode: str = "local"
    extra: dict = field(default_factory=dict)

    def t(self, key: str, **params: Any) -> str:
        """Plain text (dataframes, charts, select options, Excel titles)."""
        return t(key, self.lang, **params)

    def md(self, key: str, **params: Any) -> str:
        """Text for a markdown-rendering element, with workbook-derived parameters escaped."""
        return md(key, self.lang, **params)

    def can(self, action: str) -> bool:
        """May the user do `action` ("upload", "save", "delete", ...)? See ntm_data.access."""
        return access.can(self.user, action)

    @cached_property
    def history(self) -> tuple[Dataset, ...]:
        """Every snapshot of the open data, oldest first (read once per server, then cached)."""
        if self.load_history is None:
            return (self.ds,) if self.ds is not None else ()
        return tuple(self.load_history())

    @property
    def history_ready(self) -> bool:
        """True when `history` is at hand without reading a workbook."""
        return self.history_cached or "history" in self.__dict__

    @property
    def previous(self) -> Dataset | None:
        """The snapshot before the open one, for 'change since last time'."""
        return self.history[-2] if len(self.history) > 1 else None


class SignInRequired(Exception):
    """Nobody is signed in (password or OIDC mode): the page shows the sign-in form only."""


def raise_errors() -> bool:
    return os.environ.get(RAISE_ENV, "") not in ("", "0")


def _copy_lang() -> None:
    state.put(state.LANG, st.session_state["w_lang"])


def _language_switch() -> str:
    current = state.lang()
    if st.session_state.get("w_lang") not in (None, current):
        del st.session_state["w_lang"]
    st.sidebar.segmented_control(
        t("ui.frame.language", current), list(LANGUAGES), default=current, key="w_lang",
        format_func=LANGUAGE_NAMES.get, on_change=_copy_lang, required=True,
    )
    return state.lang()


def _menu(container: Any, lang: str) -> None:
    params = state.url_params()
    for page_id, path, icon in PAGES:
        container.page_link(path, label=t(f"ui.page.{page_id}", lang), icon=icon, query_params=params)


def uploader_texts(lang: str) -> None:
    """Streamlit draws its uploaders' button ("Upload") and size line ("50MB per file • XLSX") in English
    whatever the page's language, and takes no parameter for them. One style block (st.html of styles alone
    takes no space) puts the catalogue's texts in their place."""
    max_mb = st.get_option("server.maxUploadSize")
    rules = [_text_swap('[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p',
                        t("ui.upload.browse", lang))]
    for scope, types in ((".st-key-w_upload", UPLOAD_TYPES), ('[class*="st-key-w_catalogue_"]', CATALOGUE_TYPES)):
        limit = t("ui.upload.limit", lang, max_mb=max_mb, types=", ".join(kind.upper() for kind in types))
        rules.append(_text_swap(f'{scope} [data-testid="stFileUploaderDropzoneInstructions"] span', limit))
    st.html("<style>\n" + "\n".join(rules) + "\n</style>")


def _text_swap(selector: str, text: str) -> str:
    """CSS that hides an element's own text and shows `text` instead, at the size Streamlit gives it (0.875rem)."""
    content = json.dumps(text, ensure_ascii=False).replace("<", "\\3c ")  # a CSS string that cannot end the block
    # Streamlit keeps the size line on one line and cuts it; a text longer than its English one wraps instead.
    return (f"{selector} {{font-size: 0; white-space: normal}}\n"
            f"{selector}::after {{content: {content}; font-size: 0.875rem; white-space: normal}}")


def upload_widget(container: Any, lang: str) -> None:
    """The workbook uploader. A new file is read once (with a spinner) and kept in the session, so it
    survives page switches; a file that cannot be read leaves the previous data in place."""
    uploaded = container.file_uploader(t("ui.upload.label", lang), type=UPLOAD_TYPES, key="w_upload",
                                       help=t("ui.upload.help", lang))
    ss = st.session_state
    if uploaded is None or uploaded.file_id == ss.get(state.UPLOAD_FILE_ID):
        return
    ss[state.UPLOAD_FILE_ID] = uploaded.file_id
    raw = uploaded.getvalue()
    with st.spinner(md("ui.upload.reading", lang, name=uploaded.name)):
        try:
            data.load(raw, uploaded.name, criteria_set_arg())
        except ReadError as error:
            ss[state.UPLOAD_ERROR], ss[state.UPLOAD_ERROR_FRESH] = (uploaded.name, error.issue), True
            return
        except Exception:
            if raise_errors():
                raise
            log.exception("reading %s failed", uploaded.name)
            ss[state.UPLOAD_ERROR], ss[state.UPLOAD_ERROR_FRESH] = (uploaded.name, None), True
            return
    ss[state.UPLOAD_BYTES], ss[state.UPLOAD_NAME] = raw, uploaded.name
    ss.pop(state.UPLOAD_ERROR, None)


def use_sample() -> None:
    for key in (state.UPLOAD_BYTES, state.UPLOAD_NAME, state.UPLOAD_ERROR, state.UPLOAD_ERROR_FRESH):
        st.session_state.pop(key, None)


def criteria_set_arg() -> str | data.UserCatalogue | None:
    """What the open data is evaluated with: the user's catalogue file if one is loaded, else the chosen
    built-in set's id, else None (detected from the sheet)."""
    ss = st.session_state
    if ss.get(state.CATALOGUE_BYTES) is not None:
        return data.UserCatalogue(ss[state.CATALOGUE_BYTES], ss[state.CATALOGUE_NAME])
    chosen = state.get(state.CRITERIA_SET)
    return None if chosen in (None, "", "auto") else chosen


def catalogue_key() -> str:
    return f"w_catalogue_{st.session_state.get(state.CATALOGUE_WIDGET, 0)}"


def remove_catalogue() -> None:
    ss = st.session_state
    for key in (state.CATALOGUE_BYTES, state.CATALOGUE_NAME, state.CATALOGUE_ERROR):
        ss.pop(key, None)
    ss[state.CATALOGUE_WIDGET] = ss.get(state.CATALOGUE_WIDGET, 0) + 1


def catalogue_widget(container: Any, lang: str) -> None:
    """The uploader of a user catalogue (.yaml/.yml/.json in the format of ntm_data.catalogue). A file that
    reads is kept in the session (it survives page switches); one that does not shows its message, in the
    UI language, while the uploader holds it, and leaves the previous choice in place."""
    from ntm_data.catalogue import CatalogueError

    uploaded = container.file_uploader(t("ui.catalogue.label", lang), type=CATALOGUE_TYPES, key=catalogue_key(),
                                       help=t("ui.catalogue.help", lang))
    ss = st.session_state
    if uploaded is None:
        ss.pop(state.CATALOGUE_ERROR, None)
        return
    if uploaded.file_id != ss.get(state.CATALOGUE_FILE_ID):
        ss[state.CATALOGUE_FILE_ID] = uploaded.file_id
        raw = uploaded.getvalue()
        try:
            data.catalogue(raw, uploaded.name)
        except CatalogueError as error:
            ss[state.CATALOGUE_ERROR] = error
        else:
            ss[state.CATALOGUE_BYTES], ss[state.CATALOGUE_NAME] = raw, uploaded.name
            ss.pop(state.CATALOGUE_ERROR, None)
    error = ss.get(state.CATALOGUE_ERROR)
    if error is not None:
        message = " ".join(error.message(lang).split())  # a YAML parser's multi-line pointer, on one line
        container.error(md("ui.catalogue.rejected", lang, message=message), icon=":material/error:")


def _criteria_set_choice(container: Any, lang: str, ds: Dataset | None) -> None:
    from ntm_data.catalogue import DEFAULT_CRITERIA_SET, builtin_criteria_sets

    chosen_set = criteria_set_arg()
    if isinstance(chosen_set, data.UserCatalogue):  # the user's own set replaces the choice below
        cset = ds.criteria_set if ds is not None else chosen_set.criteria_set()
        container.caption(md("ui.catalogue.in_use", lang, name=cset.name_en if lang == "en" else cset.name_vi,
                             file=chosen_set.name))
        container.button(t("ui.catalogue.remove", lang), on_click=remove_catalogue, key="remove_catalogue",
                         icon=":material/close:")
        return
    sets = builtin_criteria_sets()

    def label(option: str) -> str:
        if option == "auto":
            return t("ui.frame.set_auto", lang)
        chosen = sets[option]
        return chosen.name_en if lang == "en" else chosen.name_vi

    chosen = state.selectbox(container, state.CRITERIA_SET, t("ui.frame.criteria_set", lang), ["auto", *sets],
                             label)
    detected = ds.detected_criteria_set if ds is not None else None
    if chosen != "auto" and detected and detected != chosen and detected in sets:
        container.warning(md("ui.frame.set_mismatch", lang, detected=label(detected), chosen=label(chosen)))
    if ds is not None and chosen == "auto":
        detected = ds.detected_criteria_set
        key = "ui.frame.set_detected" if detected else "ui.frame.set_default"
        used = sets.get(detected or DEFAULT_CRITERIA_SET)
        container.caption(md(key, lang, name=(used.name_en if lang == "en" else used.name_vi) if used else ""))


def _filters(lang: str, ds: Dataset) -> None:
    communes = ds.communes
    districts = sorted(str(d) for d in communes["district"].dropna().unique())
    if districts:
        state.multiselect(st.sidebar, state.DISTRICTS, t("ui.frame.districts", lang), districts,
                          placeholder=t("ui.frame.all", lang))
    regions = sorted(str(r) for r in communes["region"].dropna().unique())
    if regions:
        from ui.render import region_names

        names = region_names(ds.criteria_set, lang)
        state.multiselect(st.sidebar, state.REGIONS, t("ui.frame.regions", lang), regions,
                          format_func=lambda r: names.get(r, r), placeholder=t("ui.frame.all", lang))


@dataclass(frozen=True)
class OpenData:
    """The open dataset, how to read its history (oldest first, the open one included), and where it is from."""

    ds: Dataset | None
    load_history: Callable[[], list[Dataset]]
    history_cached: bool
    is_sample: bool
    source_name: str


def _sample_history(ds: Dataset, criteria_set: str | data.UserCatalogue | None) -> list[Dataset]:
    """The sample's yearly files up to the open one's period, oldest first (the open one included)."""
    history = data.load_sample_history(criteria_set)
    history = [d for d in history if d.period is None or ds.period is None or d.period.sort_key <= ds.period.sort_key]
    return [d if d.source_name != ds.source_name else ds for d in history] or [ds]


def _upload_history(ds: Dataset) -> list[Dataset]:
    try:
        saved = data.saved_history(ds.criteria_set.id)
    except Exception:
        if raise_errors():
            raise
        log.exception("snapshot store unavailable")
        saved = []
    return data.merge_history(saved, ds)


def _open_data(lang: str) -> OpenData:
    """The open data from the session's choice: the upload, else the sample's latest year. Only the open
    workbook is read here; the history is read when a page asks for it (PageContext.history)."""
    ss = st.session_state
    criteria_set = criteria_set_arg()
    if ss.get(state.UPLOAD_BYTES) is not None:
        name = ss[state.UPLOAD_NAME]
        try:
            ds = data.load(ss[state.UPLOAD_BYTES], name, criteria_set)
        except ReadError as error:  # e.g. the user forced a criteria set the sheet cannot be read with
            use_sample()
            ss[state.UPLOAD_ERROR], ss[state.UPLOAD_ERROR_FRESH] = (name, error.issue), True
        else:
            return OpenData(ds, lambda: _upload_history(ds), False, False, name)
    if not (data.SAMPLE_DIR / data.DEFAULT_SAMPLE).exists():
        return OpenData(None, list, True, True, "")
    ds = data.load_sample(criteria_set)
    if (ss.get(state.UPLOAD_ERROR) or ("",))[0] == data.DEFAULT_SAMPLE:  # the sample reads again
        ss.pop(state.UPLOAD_ERROR, None)
    return OpenData(ds, lambda: _sample_history(ds, criteria_set), data.sample_history_ready(criteria_set), True,
                    data.DEFAULT_SAMPLE)


def _history_reader(opened: OpenData, lang: str, filters: dict[str, list[str]],
                    page_id: str) -> Callable[[], list[Dataset]]:
    """PageContext.load_history: the open data's history with the sidebar filters of this run, read behind
    a spinner when it takes a read (the first page of a server that needs the earlier years)."""
    def read() -> list[Dataset]:
        if opened.history_cached:
            history = opened.load_history()
        else:
            waiting = "ui2.overview.trend_waiting" if page_id == "overview" else "ui2.history.loading"
            with st.spinner(t(waiting, lang)):
                history = opened.load_history()
        return [_filtered(d, filters) for d in history]

    return read


def filter_choices() -> dict[str, list[str]]:
    """The sidebar filters as {"district": [...], "region": [...]} (empty lists: no filter), for exports."""
    return {"district": list(state.get(state.DISTRICTS)), "region": list(state.get(state.REGIONS))}


def filtered(ds: Dataset) -> Dataset:
    """`ds` restricted by the sidebar's district and region filters."""
    return _filtered(ds, filter_choices())


def _filtered(ds: Dataset, filters: dict[str, list[str]]) -> Dataset:
    districts, regions = filters["district"], filters["region"]
    if not districts and not regions:
        return ds
    from ntm_data.analytics import filter_dataset

    return filter_dataset(ds, districts=list(districts) or None, regions=list(regions) or None)


def _source_banner(ctx: PageContext) -> None:
    # A rejected upload is reported where it happened and on the Data page, not on every page after.
    fresh = st.session_state.pop(state.UPLOAD_ERROR_FRESH, False)
    if ctx.load_error is not None and (fresh or ctx.page == "data" or ctx.ds is None):
        name, issue = ctx.load_error
        message = issue.message(ctx.lang) if issue is not None else ctx.t("ui.error.read_failed")
        st.error(ctx.md("ui.upload.rejected", name=name, message=message), icon=":material/error:")
    if ctx.ds is None:
        return
    if ctx.is_sample:
        st.warning(ctx.md("ui.frame.sample_banner", name=ctx.source_name), icon=":material/science:")
    errors = len(ctx.full.errors) if ctx.full is not None else 0
    if errors and ctx.page != "data":
        st.warning(ctx.t("ui.frame.has_errors", count=fmt_number(errors, ctx.lang)), icon=":material/warning:")


def page(page_id: str) -> PageContext:
    """Draw the frame for `page_id` and return the page's context (language, data, history); `finish(ctx)`
    must follow the page body."""
    state.init_from_url()
    lang = state.lang()
    st.set_page_config(page_title=f"{t(f'ui.page.{page_id}', lang)} · {t('ui.app.title', lang)}",
                       page_icon=":material/agriculture:", layout="wide", initial_sidebar_state="expanded")
    st.sidebar.title(t("ui.app.title", lang))
    lang = _language_switch()
    user, mode = auth.current_user()
    if user is None:
        st.title(t(f"ui.page.{page_id}.title", lang))
        auth.sign_in(lang, mode)
        raise SignInRequired
    menu_slot = st.sidebar.empty()  # filled last, so that its links carry the final choices
    st.sidebar.divider()
    st.sidebar.subheader(t("ui.frame.data", lang))
    st.title(t(f"ui.page.{page_id}.title", lang))
    # On the Data page the uploader is the page's main element; elsewhere it sits in the sidebar.
    if access.can(user, "upload"):
        uploader_texts(lang)
        upload_widget(st if page_id == "data" else st.sidebar, lang)
        if page_id == "data":  # read before the data, which is evaluated with it; the sidebar names it
            catalogue_widget(st, lang)
    elif page_id == "data":
        st.caption(auth.denied(lang, "upload"))
    source_slot, set_slot = st.sidebar.container(), st.sidebar.container()  # filled once the data is open
    opened = OpenData(None, list, True, True, "")
    try:
        opened = _open_data(lang)
    except ReadError as error:  # a broken sample file (or a set it cannot be read with) must not take the app down
        st.session_state[state.UPLOAD_ERROR] = (data.DEFAULT_SAMPLE, error.issue)
        st.session_state[state.UPLOAD_ERROR_FRESH] = True
    ds, is_sample, source_name = opened.ds, opened.is_sample, opened.source_name
    if ds is not None:
        label = "ui.frame.source_sample" if is_sample else "ui.frame.source_upload"
        source_slot.caption(md(label, lang, name=source_name))
        if not is_sample:
            source_slot.button(t("ui.frame.use_sample", lang), on_click=use_sample, key="use_sample",
                               icon=":material/restart_alt:")
    _criteria_set_choice(set_slot, lang, ds)
    shown = ds
    if ds is not None:
        st.sidebar.subheader(t("ui.frame.filters", lang))
        _filters(lang, ds)
        shown = filtered(ds)
    ctx = PageContext(page=page_id, lang=lang, ds=shown, full=ds,
                      load_history=_history_reader(opened, lang, filter_choices(), page_id),
                      history_cached=opened.history_cached, is_sample=is_sample, source_name=source_name,
                      load_error=st.session_state.get(state.UPLOAD_ERROR), user=user, auth_mode=mode,
                      extra={"menu": menu_slot})
    st.sidebar.divider()
    auth.sidebar_status(lang, user, mode)
    _source_banner(ctx)
    return ctx


def snapshot_choices(ctx: PageContext) -> list[tuple[str, Dataset]]:
    """(label, filtered dataset) of every snapshot a user can compare, oldest first. For an upload: each save
    in the store (so that a revision of the same period can be compared) and the open file if not saved."""
    if ctx.is_sample or ctx.full is None:
        return [(str(d.period) if d.period else d.source_name, d) for d in ctx.history]
    try:
        saved = data.saved_snapshots(ctx.full.criteria_set.id)
    except Exception:
        if raise_errors():
            raise
        log.exception("snapshot store unavailable")
        saved = []
    choices = [(f"{info.period} · #{info.id} · {info.source_name}", filtered(ds)) for info, ds in saved]
    open_sha = data.digest(st.session_state.get(state.UPLOAD_BYTES) or b"")
    if all(info.sha256 != open_sha for info, _ in saved):
        label = t("ui.compare.open_file", ctx.lang, period=str(ctx.ds.period or "–"), name=ctx.source_name)
        choices.append((label, ctx.ds))
    return choices


def finish(ctx: PageContext) -> None:
    """After the body has made its choices: mirror them in the URL and draw the menu with them."""
    state.write_url()
    with ctx.extra["menu"].container():
        _menu(st, ctx.lang)


def run(page_id: str, body: Callable[[PageContext], None], *, needs_data: bool = True) -> None:
    """Draw the frame, then the page body, then the menu. A body that fails shows a friendly message, not a
    traceback (set NTM_RAISE_ERRORS=1 to let it raise, as the tests do)."""
    try:
        ctx = page(page_id)
    except SignInRequired:  # the sign-in form is all this run shows
        return
    except Exception:  # the frame itself failed (a reader bug on the open file): still no traceback
        if raise_errors():
            raise
        log.exception("frame of %s failed", page_id)
        st.error(t("ui.error.unexpected", state.lang()), icon=":material/error:")
        st.button(t("ui.frame.use_sample", state.lang()), on_click=use_sample, key="use_sample_after_error")
        _menu(st.sidebar, state.lang())
        return
    if not ctx.history_ready:  # the body may read the earlier years for seconds: the menu must work meanwhile
        with ctx.extra["menu"].container():
            _menu(st, ctx.lang)
    try:
        _body(ctx, body, needs_data)
    finally:
        finish(ctx)


def _body(ctx: PageContext, body: Callable[[PageContext], None], needs_data: bool) -> None:
    page_id = ctx.page
    if needs_data and (ctx.ds is None or ctx.ds.communes.empty):
        key = "ui.empty.no_data" if ctx.full is None or ctx.full.communes.empty else "ui.empty.filtered_out"
        st.info(ctx.t(key), icon=":material/info:")
        st.page_link("pages/data.py", label=ctx.t("ui.page.data"), icon=":material/upload_file:")
        return
    try:
        body(ctx)
    except Exception:
        if raise_errors():
            raise
        log.exception("page %s failed", page_id)
        st.error(ctx.t("ui.error.unexpected"), icon=":material/error:")

"""Session keys that survive page switches, and their mirror in the URL (st.query_params).

Widget state in Streamlit is tied to the page that drew the widget, so every shareable choice lives in
a plain session key (below) and widgets use their own `w_`-prefixed key, copied back by a callback.
The URL is read once per session (a browser reload or a shared link starts a new session) and written
on every run, so the address bar always holds a link to the current view.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

from ntm_data.i18n import DEFAULT_LANGUAGE, LANGUAGES


@dataclass(frozen=True)
class Shared:
    """One shareable choice: its session key, URL parameter, default and whether it holds a list."""

    key: str
    param: str
    default: Any
    many: bool = False


LANG = Shared("lang", "lang", DEFAULT_LANGUAGE)
CRITERIA_SET = Shared("criteria_set", "set", "auto")
DISTRICTS = Shared("districts", "district", (), many=True)
REGIONS = Shared("regions", "region", (), many=True)
CRITERION = Shared("criterion", "criterion", None)
INDICATOR = Shared("indicator", "indicator", None)
COMMUNE = Shared("commune", "commune", None)
SHARED = (LANG, CRITERIA_SET, DISTRICTS, REGIONS, CRITERION, INDICATOR, COMMUNE)

# Plain (not shareable) session keys: the uploaded workbook survives page switches through these.
UPLOAD_BYTES = "upload_bytes"
UPLOAD_NAME = "upload_name"
UPLOAD_FILE_ID = "upload_file_id"
UPLOAD_ERROR = "upload_error"  # (file name, Issue or None) of the last rejected file
UPLOAD_ERROR_FRESH = "upload_error_fresh"  # True until the rejection has been shown once
# A user catalogue file (a province's own criteria set) replaces the built-in set while it is loaded.
CATALOGUE_BYTES = "catalogue_bytes"
CATALOGUE_NAME = "catalogue_name"
CATALOGUE_FILE_ID = "catalogue_file_id"
CATALOGUE_ERROR = "catalogue_error"  # the CatalogueError of the file the uploader holds, if rejected
CATALOGUE_WIDGET = "catalogue_widget"  # bumped on removal: a fresh (empty) uploader widget
_URL_READ = "_url_read"

MAX_PARAM_CHARS = 200  # a commune id or criterion code is short; longer URL values are ignored


def init_from_url() -> None:
    """Seed the shared keys from the URL once per session; later runs keep the session's values."""
    ss = st.session_state
    if ss.get(_URL_READ):
        return
    qp = st.query_params
    for item in SHARED:
        if item.many:
            values = tuple(v for v in qp.get_all(item.param) if v and len(v) <= MAX_PARAM_CHARS)
            ss[item.key] = values or item.default
        else:
            value = qp.get(item.param)
            ss[item.key] = value if value and len(value) <= MAX_PARAM_CHARS else item.default
    if ss[LANG.key] not in LANGUAGES:
        ss[LANG.key] = DEFAULT_LANGUAGE
    ss[_URL_READ] = True


def get(item: Shared) -> Any:
    return st.session_state.get(item.key, item.default)


def put(item: Shared, value: Any) -> None:
    st.session_state[item.key] = tuple(value) if item.many else value


def lang() -> str:
    return get(LANG)


def url_params() -> dict[str, str | list[str]]:
    """The shared choices that differ from their default, as query parameters."""
    params: dict[str, str | list[str]] = {}
    for item in SHARED:
        value = get(item)
        if value in (None, "", ()) or value == item.default:
            continue
        params[item.param] = list(value) if item.many else str(value)
    return params


def write_url() -> None:
    """Mirror the shared choices into the address bar (only when they changed, to spare the browser)."""
    wanted = url_params()
    current = {k: (st.query_params.get_all(k) if isinstance(v, list) else st.query_params.get(k))
               for k, v in wanted.items()}
    if current != wanted or set(st.query_params.keys()) != set(wanted):
        st.query_params.from_dict(wanted)


def _copy(widget_key: str, item: Shared) -> None:
    put(item, st.session_state[widget_key])


def widget_key(item: Shared) -> str:
    """The widget key of a shared picker. It carries the language (except the default one) because the
    browser keeps a keyed selectbox's option labels: a new key redraws them in the new language."""
    current = lang()
    return f"w_{item.key}" if current == LANG.default else f"w_{item.key}@{current}"


def _prepare(item: Shared, options: Sequence[Any]) -> Any:
    """The session value restricted to what the widget can show; resets a stale widget state."""
    value = get(item)
    if item.many:
        value = tuple(v for v in value if v in options)
    elif value not in options:
        value = None
    key = widget_key(item)
    held = st.session_state.get(key)
    if key in st.session_state and (tuple(held) if item.many else held) != value:
        del st.session_state[key]
    put(item, value if (item.many or value is not None) else item.default)
    return value


def selectbox(container: Any, item: Shared, label: str, options: Sequence[Any],
              format_func: Callable[[Any], str] = str, *, allow_none: bool = False,
              placeholder: str | None = None) -> Any:
    """A selectbox bound to a shared key. Without `allow_none` the first option is chosen by default."""
    options = list(options)
    value = _prepare(item, options)
    if value is None and not allow_none and options:
        value = options[0]
        put(item, value)
    index = options.index(value) if value in options else None
    chosen = container.selectbox(
        label, options, index=index, format_func=format_func, key=widget_key(item),
        on_change=_copy, args=(widget_key(item), item), placeholder=placeholder,
    )
    put(item, chosen if chosen is not None else item.default)
    return chosen


def multiselect(container: Any, item: Shared, label: str, options: Sequence[Any],
                format_func: Callable[[Any], str] = str, *, placeholder: str | None = None) -> tuple:
    """A multiselect bound to a shared list key; an empty choice means "all"."""
    options = list(options)
    value = _prepare(item, options)
    chosen = container.multiselect(
        label, options, default=list(value), format_func=format_func, key=widget_key(item),
        on_change=_copy, args=(widget_key(item), item), placeholder=placeholder,
    )
    put(item, tuple(chosen))
    return tuple(chosen)

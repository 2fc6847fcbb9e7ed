"""Who is using the app: the sign-in gate and the user's rights (ntm_data.access; docs/access.md).

Local mode (no [auth] in .streamlit/secrets.toml) needs no sign-in and gives every right; password mode
asks for a name and password; OIDC mode uses st.login.
"""
from __future__ import annotations

import logging
from typing import Any

import streamlit as st

from ntm_data import access
from ntm_data.access import User
from ntm_data.i18n import t
from ui.render import md

log = logging.getLogger(__name__)
USER_KEY = "signed_in_user"  # session key of the password-mode user


def secrets_config() -> dict[str, Any]:
    """The secrets as a plain dict; {} without a secrets.toml (local mode)."""
    try:
        return st.secrets.to_dict()
    except Exception:  # no secrets.toml, or one Streamlit cannot read: stay in local mode
        return {}


def _sign_out() -> None:
    st.session_state.pop(USER_KEY, None)


def current_user() -> tuple[User | None, str]:
    """(the user, or None when nobody is signed in; the auth mode)."""
    config = secrets_config()
    mode = access.auth_mode(config)
    if mode == "local":
        return access.LOCAL_USER, mode
    if mode == "oidc":
        claims = st.user.to_dict() if st.user.is_logged_in else None
        return access.oidc_user(config, claims), mode
    return st.session_state.get(USER_KEY), mode


def sign_in(lang: str, mode: str) -> None:
    """The sign-in form in the main area (the page body is not drawn until someone signs in)."""
    st.info(t(f"access.mode.{mode}", lang), icon=":material/lock:")
    if mode == "oidc":
        if st.user.is_logged_in:  # signed in with the provider, but not let in here
            name = str(st.user.to_dict().get("email") or st.user.to_dict().get("name") or "")
            st.error(md("access.not_allowed_in", lang, name=name))
            st.button(t("access.sign_out", lang), on_click=st.logout, key="sign_out")
        else:
            st.button(t("access.sign_in", lang), on_click=st.login, key="sign_in", type="primary")
        return
    with st.form("sign_in_form"):
        name = st.text_input(t("access.user_name", lang), key="w_sign_in_name")
        password = st.text_input(t("access.password", lang), type="password", key="w_sign_in_password")
        submitted = st.form_submit_button(t("access.sign_in", lang), type="primary")
    if submitted:
        user = access.authenticate(secrets_config(), name, password)
        if user is None:
            log.info("failed sign-in for %r", name)
            st.error(t("access.wrong_password", lang))
        else:
            st.session_state[USER_KEY] = user
            st.rerun()


def sidebar_status(lang: str, user: User, mode: str) -> None:
    """Who is signed in (and a sign-out button), or the local-mode note."""
    if mode == "local":
        st.sidebar.caption(t("access.mode.local", lang))
        return
    st.sidebar.caption(md("access.signed_in_as", lang, name=user.name, role=t(f"access.role.{user.role}", lang)))
    st.sidebar.button(t("access.sign_out", lang), key="sign_out",
                      on_click=st.logout if mode == "oidc" else _sign_out)


def denied(lang: str, action: str) -> str:
    return t("access.denied", lang, action=t(f"access.action.{action}", lang))

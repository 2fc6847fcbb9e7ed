"""Sign-in and rights in the app (AppTest): password mode asks for a name and password; a viewer reads and
downloads but cannot upload, save or delete; local mode needs no sign-in."""
from __future__ import annotations

import pytest
from app_support import DASHBOARD, SAMPLE, TIMEOUT, go, no_exception, texts
from streamlit.testing.v1 import AppTest

from ntm_data.access import hash_password
from ntm_data.i18n import t

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _env(monkeypatch, tmp_path):
    monkeypatch.setenv("NTM_RAISE_ERRORS", "1")
    monkeypatch.setenv("NTM_DATA_DIR", str(tmp_path))


@pytest.fixture(scope="module")
def secrets():
    digest = hash_password("mat khau dai")
    return {"auth": {"users": {"lan": {"role": "editor", "password_hash": digest},
                               "xem": {"role": "viewer", "password_hash": digest}}}}


def open_app(secrets, page: str | None = None) -> AppTest:
    at = AppTest.from_file(DASHBOARD, default_timeout=TIMEOUT)
    at.secrets.update(secrets)
    if page:
        at.switch_page(f"pages/{page}.py")
    return at.run()


def sign_in(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input(key="w_sign_in_name").input(name)
    at.text_input(key="w_sign_in_password").input(password)
    at.button[0].click()  # the form's submit button
    return at.run()


def test_password_mode_shows_only_the_sign_in_form(secrets):
    at = open_app(secrets, "lagging_communes")
    no_exception(at)
    assert not at.sidebar.get("page_link") and not at.metric and not at.dataframe
    assert texts(at.info) == [t("access.mode.password", "vi")]
    sign_in(at, "lan", "sai mat khau")
    assert texts(at.error) == [t("access.wrong_password", "vi")]
    assert not at.sidebar.get("page_link")


def test_viewer_reads_but_cannot_upload_or_save(secrets):
    at = sign_in(open_app(secrets), "xem", "mat khau dai")
    no_exception(at)
    assert at.metric and len(at.sidebar.get("page_link")) == 8
    assert t("access.signed_in_as", "vi", name="xem", role="xem") in texts(at.sidebar.caption)
    assert not at.get("file_uploader")
    go(at, "data")
    assert t("access.denied", "vi", action=t("access.action.upload", "vi")) in texts(at.caption)
    assert t("access.denied", "vi", action=t("access.action.save", "vi")) in texts(at.caption)
    assert not [b for b in at.button if b.key in ("save_snapshot", "delete_snapshot")]
    at.button(key="sign_out").click().run()
    assert not at.sidebar.get("page_link")  # back to the sign-in form


def test_editor_uploads_and_saves_under_their_name(secrets):
    at = sign_in(open_app(secrets, "data"), "lan", "mat khau dai")
    path = SAMPLE / "huu_lung_2025.xlsx"
    at.file_uploader(key="w_upload").set_value((path.name, path.read_bytes(), XLSX))
    at.run()
    at.button(key="save_snapshot").click().run()
    no_exception(at)
    assert any("Đã lưu kỳ 2025" in s for s in texts(at.success))
    saved = [df.value for df in at.dataframe if "Người lưu" in df.value.columns][0]
    assert list(saved["Người lưu"]) == ["lan"]


def test_local_mode_needs_no_sign_in():
    at = AppTest.from_file(DASHBOARD, default_timeout=TIMEOUT).run()
    assert t("access.mode.local", "vi") in texts(at.sidebar.caption)
    assert at.get("file_uploader")

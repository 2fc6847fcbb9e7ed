"""The upload size limit end to end (AppTest): a file over the app's limit (NTM_MAX_UPLOAD_MB, default 50)
is refused with the app's own message before any parser sees it, and the previous data stays usable.

AppTest does not apply Streamlit's server.maxUploadSize (the browser and server do; see
tests/browser/test_hostile_upload.py for a server started with a small NTM_MAX_UPLOAD_MB)."""
from __future__ import annotations

import tomllib

import pytest
from app_support import ROOT, go, metrics, no_exception, start, texts

from ntm_data import limits
from ntm_data.i18n import t

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _env(monkeypatch, tmp_path):
    monkeypatch.setenv("NTM_RAISE_ERRORS", "1")
    monkeypatch.setenv("NTM_DATA_DIR", str(tmp_path))


def test_streamlit_accepts_every_file_the_app_would_accept():
    """Streamlit refuses a larger file itself, in English, before the app sees it: its limit must not be
    below the app's default, or a valid upload would be refused by the wrong party."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    streamlit_bytes = config["server"]["maxUploadSize"] * 1024 * 1024  # Streamlit counts MB as MiB
    assert streamlit_bytes >= limits.DEFAULT_MAX_UPLOAD_MB * limits.MB


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_file_over_the_app_limit_is_refused_with_the_app_message(lang):
    """One byte over the limit, bytes that are not even a workbook: the size is what is reported, so the
    check ran before the reader (which would have said "not a workbook")."""
    limit = limits.DEFAULT_LIMITS.max_upload_bytes
    at = start("data", lang=lang)
    before = metrics(start(lang=lang))
    at.file_uploader(key="w_upload").set_value(("qua_lon.xlsx", b"\0" * (limit + 1), XLSX)).run()
    no_exception(at)
    expected = t("issue.limit.upload_size", lang, size_mb=f"{(limit + 1) / limits.MB:.1f}",
                 max_mb=f"{limit / limits.MB:.1f}")
    errors = texts(at.error)
    assert any(expected in e for e in errors), errors
    sample = "Sample data" if lang == "en" else "Dữ liệu mẫu"
    assert any(sample in w for w in texts(at.warning))  # the sample stays open
    assert metrics(go(at, "overview")) == before


def test_a_file_at_the_limit_reaches_the_reader():
    """Exactly at the limit is allowed: the reader then says what is wrong with the bytes themselves."""
    limit = limits.DEFAULT_LIMITS.max_upload_bytes
    at = start("data", lang="en")
    at.file_uploader(key="w_upload").set_value(("dung_han.xlsx", b"\0" * limit, XLSX)).run()
    no_exception(at)
    errors = texts(at.error)
    assert errors and not any("too large" in e for e in errors), errors

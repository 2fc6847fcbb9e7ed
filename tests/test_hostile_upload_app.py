"""The whole hostile corpus (tests/hostile.py) through the app's uploader (AppTest): every unusable file ends
in the reader's message in an error box, within seconds, never an exception, and the sample stays open;
every usable one replaces the sample. The real-browser run of a representative ten is in
tests/browser/test_hostile_upload.py."""
from __future__ import annotations

import time

import pytest
from app_support import no_exception, start, texts
from test_hostile import CASES

from ntm_data.dataset import load_dataset
from ntm_data.i18n import t
from ntm_data.model import ReadError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_SECONDS = 8.0  # one upload's script run, reading included, on a busy 2-core machine


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """One session for the whole corpus, as a user trying file after file (its own empty store)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NTM_RAISE_ERRORS", "1")
        patch.setenv("NTM_DATA_DIR", str(tmp_path_factory.mktemp("store")))
        yield start("data", lang="en")


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_upload_ends_in_a_clear_outcome(session, name):
    case = CASES[name]
    data = case.build()
    file_name = f"{name}.xlsx"
    at = session
    began = time.perf_counter()
    at.file_uploader(key="w_upload").set_value((file_name, data, XLSX)).run()
    elapsed = time.perf_counter() - began
    no_exception(at)
    assert elapsed < MAX_SECONDS, f"{name}: {elapsed:.1f} s"
    errors = texts(at.error)
    source = t("ui.frame.source_upload", "en", name=file_name)
    if case.errors:
        with pytest.raises(ReadError) as info:
            load_dataset(data, name=file_name)
        assert any(info.value.message("en") in e for e in errors), (name, errors)
        assert not any(source in c for c in texts(at.sidebar.caption) + texts(at.sidebar.markdown))
    else:
        assert not any(name in e for e in errors), (name, errors)
        assert any(source in c for c in texts(at.sidebar.caption) + texts(at.sidebar.markdown)), name

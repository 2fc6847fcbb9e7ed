"""A user's own catalogue file in the app (AppTest): the data is evaluated with it, its name shows, it can be
removed, a broken file shows the catalogue's message in the UI language, and a snapshot saved with it keeps
its bytes. Also: saved snapshots the reader can no longer read are listed on the Data page."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from app_support import SAMPLE, frame_with, go, no_exception, start, texts

from ntm_data.storage import SnapshotStore

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
VALUES_FILE = SAMPLE / "huu_lung_chi_tieu_2025.xlsx"  # 17.1 values, which the national set gives no threshold
CATALOGUE = SAMPLE / "catalogue_tinh_mau.yaml"  # adds 17.1 thresholds (55 % in the mountain region)
UPLOADER = "w_catalogue_0"


@pytest.fixture(autouse=True)
def _env(monkeypatch, tmp_path):
    monkeypatch.setenv("NTM_RAISE_ERRORS", "1")
    monkeypatch.setenv("NTM_DATA_DIR", str(tmp_path))


def upload_workbook(at, path=VALUES_FILE):
    at.file_uploader(key="w_upload").set_value((path.name, path.read_bytes(), XLSX))
    return at.run()


def upload_catalogue(at, name: str, data: bytes, key: str = UPLOADER):
    at.file_uploader(key=key).set_value((name, data, "application/x-yaml"))
    return at.run()


def lagging_17_1(at) -> int:
    """Communes listed as missing sub-indicator 17.1 on the lagging-communes page."""
    go(at, "lagging_communes")
    at.selectbox(key="w_criterion").set_value("17").run()
    at.selectbox(key="w_indicator").set_value("17.1").run()
    no_exception(at)
    try:
        return len(frame_with(at, "Xã"))
    except AssertionError:  # no table: nobody listed (statuses unknown without a threshold)
        return 0


def test_a_province_catalogue_changes_the_evaluation_and_can_be_removed():
    at = upload_workbook(start("data"))
    assert lagging_17_1(at) == 0  # the national set has no 17.1 threshold: every status unknown
    upload_catalogue(go(at, "data"), CATALOGUE.name, CATALOGUE.read_bytes())  # the Data page holds the uploader
    no_exception(at)
    assert not at.error, texts(at.error)
    captions = texts(at.sidebar.caption)
    assert any("tỉnh Mẫu" in c and CATALOGUE.name in c for c in captions), captions
    assert lagging_17_1(at) == 6  # 55 % in the mountain region: 19 met, 6 not met
    # The catalogue survives page switches, and its name still shows there.
    go(at, "data")
    assert any("tỉnh Mẫu" in c for c in texts(at.sidebar.caption))
    assert any("Bộ tiêu chí xã nông thôn mới tỉnh Mẫu" in c for c in texts(at.caption))
    at.button(key="remove_catalogue").click().run()
    no_exception(at)
    assert not any("tỉnh Mẫu" in c for c in texts(at.sidebar.caption) + texts(at.caption))
    assert lagging_17_1(at) == 0


@pytest.mark.parametrize("lang, expected", [("vi", "tệp không đúng cú pháp YAML"), ("en", "not valid YAML")])
def test_a_broken_catalogue_shows_its_message_and_keeps_the_set(lang, expected):
    at = start("data", lang=lang)
    upload_catalogue(at, "hong.yaml", b"id: [unclosed\n  name_vi: x\n")
    no_exception(at)
    errors = texts(at.error)
    assert any("hong.yaml" in e and expected in e for e in errors), errors
    assert not any("Traceback" in e for e in errors)
    assert at.session_state["criteria_set"] == "auto" and "catalogue_bytes" not in at.session_state


def test_a_catalogue_missing_a_field_names_it_in_vietnamese():
    at = start("data")
    upload_catalogue(at, "thieu.json", b'{"id": "x", "name_vi": "X"}')
    errors = texts(at.error)
    assert errors and all("Traceback" not in e for e in errors)
    assert any("thieu.json" in e and "Không dùng được tệp bộ tiêu chí" in e for e in errors), errors


def test_a_snapshot_saved_with_a_user_catalogue_keeps_its_bytes():
    at = upload_workbook(start("data"))
    upload_catalogue(at, CATALOGUE.name, CATALOGUE.read_bytes())
    at.button(key="save_snapshot").click().run()
    no_exception(at)
    assert any("Đã lưu kỳ 2025" in s for s in texts(at.success)), texts(at.success)
    assert list(frame_with(at, "Bộ tiêu chí")["Bộ tiêu chí"]) == ["tinh_mau_2023"]
    with SnapshotStore() as store:  # the store the app opens (NTM_DATA_DIR)
        (info,) = store.list()
        assert store.catalogue_file(info.id) == (CATALOGUE.read_bytes(), CATALOGUE.name)
        reloaded = store.load(info.id)
    statuses = reloaded.indicators.loc[reloaded.indicators["indicator"] == "17.1", "status"]
    assert statuses.astype(str).value_counts().to_dict() == {"met": 19, "not_met": 6}  # any dtype (categorical)


@pytest.mark.parametrize("lang, heading, item", [
    ("vi", "không đọc lại được", "Kỳ 2024 (số 1, tệp huu_lung_2024.xlsx)"),
    ("en", "cannot be read again", "Period 2024 (no. 1, file huu_lung_2024.xlsx)"),
])
def test_unreadable_snapshots_are_listed_on_the_data_page(lang, heading, item):
    store = SnapshotStore()  # the store the app opens (NTM_DATA_DIR)
    for year in (2024, 2025):
        path = SAMPLE / f"huu_lung_{year}.xlsx"
        store.save(path.read_bytes(), path.name)
    with store.engine.begin() as conn:  # the stored bytes of 2024 no longer read (e.g. a reader change)
        conn.execute(sa.text("UPDATE snapshot_files SET content = :c WHERE snapshot_id = 1"), {"c": b"not a workbook"})
    store.close()
    at = start("data", lang=lang)
    no_exception(at)
    warnings = texts(at.warning)
    shown = [w for w in warnings if heading in w]
    assert len(shown) == 1, warnings
    assert item in shown[0] and "2025" not in shown[0].split(heading, 1)[1]
    assert len(frame_with(at, "Kỳ" if lang == "vi" else "Period")) == 2  # still listed in the table

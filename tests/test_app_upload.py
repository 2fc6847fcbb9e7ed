"""Uploads (AppTest): a good workbook replaces the sample on every page; a broken one shows the validation
message in the UI language, never an exception; snapshots are saved, compared and deleted."""
from __future__ import annotations

import io
import warnings

import pytest
from app_support import (
    SAMPLE,
    frame_with,
    go,
    metrics,
    no_exception,
    start,
    summarize,
    summary_frame,
    texts,
)

from ntm_data.dataset import load_dataset
from ntm_data.model import ReadError
from ui.render import fmt_number

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
VALUES_FILE = SAMPLE / "huu_lung_chi_tieu_2025.xlsx"
PAGES = ["lagging_criteria", "lagging_communes", "scorecard", "commune_profile", "timeline", "compare", "data"]


@pytest.fixture(autouse=True)
def _env(monkeypatch, tmp_path):
    monkeypatch.setenv("NTM_RAISE_ERRORS", "1")
    monkeypatch.setenv("NTM_DATA_DIR", str(tmp_path))


def upload(at, name: str, data: bytes):
    at.file_uploader(key="w_upload").set_value((name, data, XLSX))
    return at.run()


def province_workbook() -> bytes:
    """120 communes in 3 districts and 2 profiles, from the seeded synthetic model."""
    from ntm_data import synthetic

    model = synthetic.make_country(seed=7, n_communes=120, n_districts=3, n_provinces=2, years=(2024, 2025))
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        synthetic.write_summary(model, 2025, buffer)
    return buffer.getvalue()


def test_upload_replaces_sample_and_figures_agree_with_summarize():
    expected = summary_frame(summarize(VALUES_FILE))
    at = upload(start(), VALUES_FILE.name, VALUES_FILE.read_bytes())
    no_exception(at)
    assert not any("Dữ liệu mẫu" in w for w in texts(at.warning))
    assert any(VALUES_FILE.name in c for c in texts(at.sidebar.caption))
    shown = metrics(at)
    assert shown["Số xã"] == str(len(expected))
    assert shown["Xã đạt chuẩn NTM"] == str(int((expected["criteria_met"] == 19).sum()))
    assert shown["Bình quân tiêu chí/xã"] == fmt_number(expected["criteria_met"].mean(), "vi") + "/19"
    # The upload survives a page switch, and every page renders on it.
    for page in PAGES:
        go(at, page)
        no_exception(at)
        assert not at.error, texts(at.error)
    go(at, "lagging_communes")
    at.selectbox(key="w_criterion").set_value("15").run()
    assert sorted(frame_with(at, "Xã")["Xã"]) == sorted(expected.loc[expected["15"] == "not_met", "name"])
    at.button(key="use_sample").click().run()  # back to the sample, on the same page
    assert any("Dữ liệu mẫu" in w for w in texts(at.warning))
    assert at.selectbox(key="w_criterion").value == "15"


@pytest.mark.parametrize("lang, name, data", [
    ("vi", "rong.xlsx", b""),
    ("vi", "ghi_chu.xlsx", b"not a workbook at all"),
    ("en", "cut.xlsx", b"PK\x03\x04truncated"),
])
def test_broken_upload_shows_the_validation_message(lang, name, data):
    with pytest.raises(ReadError) as error:
        load_dataset(data, name=name)
    at = upload(start("data", lang=lang), name, data)
    no_exception(at)
    assert any(error.value.message(lang) in e for e in texts(at.error)), texts(at.error)
    assert any(("Sample data" if lang == "en" else "Dữ liệu mẫu") in w for w in texts(at.warning))
    assert metrics(go(at, "overview"))  # the sample stays usable, and the rejection is not repeated there
    assert not at.error


def test_filters_and_grouped_scorecard_on_a_province_workbook():
    at = upload(start(), "tinh.xlsx", province_workbook())
    no_exception(at)
    assert metrics(at)["Số xã"] == "120"
    at.multiselect(key="w_districts").set_value(["Tân Hưng"]).run()
    assert metrics(at)["Số xã"] == "29"
    assert at.query_params["district"] == "Tân Hưng"  # AppTest shows a single value as str
    at.multiselect(key="w_districts").set_value([]).run()
    go(at, "scorecard")
    no_exception(at)
    groups = frame_with(at, "Huyện / nhóm")
    assert sorted(groups["Huyện / nhóm"]) == ["Sơn Quang", "Tân Hưng", "Tây Mỹ"]
    assert len(frame_with(at, "criteria_met")) == 50  # paged: 120 communes, 50 a page
    at.selectbox(key="w_drill").set_value("Tân Hưng").run()
    assert len(frame_with(at, "criteria_met")) == 29


def test_save_compare_and_delete_snapshots():
    at = start("data")
    for year in (2024, 2025):
        path = SAMPLE / f"huu_lung_{year}.xlsx"
        upload(at, path.name, path.read_bytes())
        at.button(key="save_snapshot").click().run()
        no_exception(at)
        assert any(f"Đã lưu kỳ {year}" in s for s in texts(at.success)), texts(at.success)
    saved = frame_with(at, "Kỳ")
    assert list(saved["Kỳ"]) == ["2024", "2025"]
    assert list(saved["Người lưu"]) == ["local", "local"]  # local mode: the one user of this machine
    at.button(key="save_snapshot").click().run()  # the same file again
    assert any("đã được lưu" in i for i in texts(at.info))

    go(at, "compare")  # an upload's snapshots come from the store: each save, the open file among them
    no_exception(at)
    options = at.selectbox(key="w_old").options
    assert [o.split(" · ")[0] for o in options] == ["2024", "2025"]
    assert all("#" in o for o in options)
    newly = metrics(at)["Xã mới đạt chuẩn"]
    assert newly == metrics(start("compare"))["Xã mới đạt chuẩn"]  # same files as the sample history

    go(at, "data")
    first = int(saved["Số"].iloc[0])
    at.selectbox(key="w_delete_id").set_value(first).run()
    assert at.button(key="delete_snapshot").disabled  # not confirmed yet
    at.checkbox(key="w_confirm_delete").check().run()
    at.button(key="delete_snapshot").click().run()
    no_exception(at)
    assert list(frame_with(at, "Kỳ")["Kỳ"]) == ["2025"]
    log = frame_with(at, "Thao tác")
    assert list(log["Thao tác"]) == ["xóa", "lưu", "lưu"] and set(log["Người thực hiện"]) == {"local"}


def test_file_name_is_never_rendered_as_markdown():
    at = upload(start("data"), "**đậm** [link](http://x).xlsx", b"")
    no_exception(at)
    raw = [e.value for e in at.error]
    assert any("\\*\\*đậm\\*\\* \\[link\\]\\(http\\:" in r for r in raw), raw


def test_a_failing_page_shows_a_friendly_message(monkeypatch):
    from ntm_data import analytics
    from ntm_data.i18n import t

    def broken(_ds):
        raise RuntimeError("boom")

    monkeypatch.setenv("NTM_RAISE_ERRORS", "0")
    monkeypatch.setattr(analytics, "lagging_criteria", broken)
    at = start("lagging_criteria")
    assert not at.exception
    assert t("ui.error.unexpected", "vi") in texts(at.error)
    assert len(at.sidebar.get("page_link")) == 8  # the menu still works


def messy_workbook() -> bytes:
    """The sample district with stray marks ("??": unknown to the reader) in some criterion cells."""
    from ntm_data import synthetic

    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        synthetic.write_summary(synthetic.make_district(), 2025, buffer,
                                messiness=synthetic.Messiness(met_marks=("Đạt", "??")))
    return buffer.getvalue()


def test_validation_report_lists_issues_with_sheet_and_cell_and_filters():
    data = messy_workbook()
    ds = load_dataset(data, name="ban_nhap.xlsx")
    assert ds.warnings  # the premise
    at = upload(start("data"), "ban_nhap.xlsx", data)
    no_exception(at)
    report = frame_with(at, "Nội dung")
    assert len(report) == len(ds.issues)
    first = ds.issues[0]
    assert (report["Trang tính"].iloc[0], report["Ô"].iloc[0], report["Nội dung"].iloc[0]) == (
        first.sheet, first.cell, first.message("vi"))
    assert "Tệp gốc có đánh dấu lỗi (Excel)" in [b.proto.label for b in at.get("download_button")]
    at.multiselect(key="w_severity").set_value(["error"]).run()
    assert len(frame_with(at, "Nội dung")) == len(ds.errors)
    # An unreadable mark is "unknown" (never silently "not met"), and the scorecard shows it as such.
    go(at, "scorecard")
    grid = frame_with(at, "criteria_met")
    assert (grid == "?").to_numpy().sum() == int((ds.criteria["status"] == "unknown").sum())


def test_a_failing_reader_shows_a_friendly_message(monkeypatch):
    from ntm_data.i18n import t
    from ui import data

    def broken(*_args, **_kwargs):
        raise RuntimeError("reader bug")

    monkeypatch.setenv("NTM_RAISE_ERRORS", "0")
    monkeypatch.setattr(data, "load", broken)  # the reader of the open workbook
    at = start("scorecard")
    assert not at.exception
    assert t("ui.error.unexpected", "vi") in texts(at.error)
    assert len(at.sidebar.get("page_link")) == 8


@pytest.mark.parametrize("lang, population, warning", [("vi", "7.419", "chưa rõ"), ("en", "7,419", "unknown")])
def test_values_file_on_data_page_reads_in_the_ui_language(lang, population, warning):
    from app_support import displayed_with

    at = upload(start("data", lang=lang), VALUES_FILE.name, VALUES_FILE.read_bytes())
    no_exception(at)
    column = "Dân số" if lang == "vi" else "Population"
    preview = displayed_with(at, column)
    assert population in set(preview[column])  # Yên Thịnh's 7419 people, with the language's thousands mark
    assert any(warning in w for w in texts(at.warning))  # most criteria unknown: the page says why

"""Every page on the bundled sample data (AppTest, started from dashboard.py): the figures shown must agree
with `python -m ntm_data summarize` on the same file."""
from __future__ import annotations

import re

import pytest
from app_support import (
    SAMPLE,
    array,
    displayed_with,
    frame_with,
    go,
    metrics,
    no_exception,
    plain,
    plotly_specs,
    start,
    summarize,
    summary_frame,
    texts,
)
from streamlit.proto.Metric_pb2 import Metric as MetricProto

from ntm_data import analytics, load_dataset
from ui.render import fmt_number, fmt_share

PAGES = ["lagging_criteria", "lagging_communes", "scorecard", "commune_profile", "timeline", "compare", "data"]
NUMBERS = [str(n) for n in range(1, 20)]


@pytest.fixture(autouse=True)
def _env(monkeypatch, tmp_path):
    monkeypatch.setenv("NTM_RAISE_ERRORS", "1")  # a bug must fail the test, not hide in a message box
    monkeypatch.setenv("NTM_DATA_DIR", str(tmp_path))  # an empty snapshot store per test


@pytest.fixture(scope="module")
def now():
    return summary_frame(summarize(SAMPLE / "huu_lung_2025.xlsx"))


@pytest.fixture(scope="module")
def before():
    return summary_frame(summarize(SAMPLE / "huu_lung_2024.xlsx"))


@pytest.fixture(scope="module")
def overview():
    return start()


def test_overview_opens_on_labelled_sample(overview):
    no_exception(overview)
    assert texts(overview.title)[0] == "Tổng quan xây dựng nông thôn mới"
    assert any("Dữ liệu mẫu" in w for w in texts(overview.warning))
    labels = [plain(b.proto.label) for b in overview.get("download_button")]
    assert labels == ["Báo cáo họp (Excel)", "Bản tóm tắt (PDF)"]


def test_overview_kpis_agree_with_summarize(overview, now):
    at_standard = int((now["criteria_met"] == 19).sum())
    shown = metrics(overview)
    assert shown == {
        "Số xã": str(len(now)),
        "Xã đạt chuẩn NTM": str(at_standard),
        "Tỷ lệ xã đạt chuẩn": fmt_share(at_standard / len(now), "vi"),
        "Bình quân tiêu chí/xã": fmt_number(now["criteria_met"].mean(), "vi") + "/19",
        "Xã dưới 15 tiêu chí": str(int((now["criteria_met"] < 15).sum())),
    }


def test_overview_deltas_are_change_since_previous_year(overview, now, before):
    deltas = {m.label: m.delta for m in overview.metric}
    change = int((now["criteria_met"] == 19).sum() - (before["criteria_met"] == 19).sum())
    assert deltas["Xã đạt chuẩn NTM"] == f"{change:+d}"
    share = ((now["criteria_met"] == 19).mean() - (before["criteria_met"] == 19).mean()) * 100
    assert deltas["Tỷ lệ xã đạt chuẩn"] == f"{share:+.1f} điểm %".replace(".", ",")  # percentage points
    assert any("2024" in c for c in texts(overview.caption))


def test_overview_shows_no_change_grey_and_without_an_arrow(overview, now, before):
    cards = {m.label: m.proto for m in overview.metric}
    assert len(now) == len(before) and cards["Số xã"].delta == "+0"  # the sample keeps its 25 communes
    assert (cards["Số xã"].direction, cards["Số xã"].color) == (MetricProto.NONE, MetricProto.GRAY)
    risen = cards["Xã đạt chuẩn NTM"]
    assert risen.delta.startswith("+") and risen.delta != "+0"
    assert (risen.direction, risen.color) == (MetricProto.UP, MetricProto.GREEN)


def test_overview_charts_agree_with_summarize(overview, now):
    buckets, trend, completion = plotly_specs(overview)
    met = now["criteria_met"]
    expected = [int((met == 19).sum()), int(met.between(15, 18).sum()), int(met.between(10, 14).sum()),
                int(met.between(5, 9).sum()), int((met < 5).sum())]
    assert array(buckets["data"][0]["y"]) == expected
    assert array(trend["data"][0]["x"]) == ["2022", "2023", "2024", "2025"]
    not_met = next(d for d in completion["data"] if d["name"] == "Chưa đạt")
    assert array(not_met["x"]) == [int((now[n] == "not_met").sum()) for n in NUMBERS]


def test_lagging_criteria_ranked_by_communes_missing(now):
    at = start("lagging_criteria")
    no_exception(at)
    ranking = frame_with(at, "Số xã chưa đạt")
    counts = {n: int((now[n] == "not_met").sum()) for n in NUMBERS}
    assert list(ranking["Số xã chưa đạt"]) == sorted(counts.values(), reverse=True)
    assert dict(zip(ranking["Tiêu chí"], ranking["Số xã chưa đạt"], strict=True)) == counts
    assert at.selectbox(key="w_criterion").value == ranking["Tiêu chí"].iloc[0]  # the most lagging first


def test_lagging_criteria_marks_unverified_threshold():
    at = start("lagging_criteria", criterion="15")
    no_exception(at)
    assert len(plotly_specs(at)) == 1
    assert any("15.1" in w and "chưa được xác minh" in w for w in texts(at.warning))


def test_lagging_communes_lists_who_misses_criterion(now):
    at = start("lagging_communes", criterion="15")
    no_exception(at)
    missing = now.loc[now["15"] == "not_met", "name"]
    listed = frame_with(at, "Xã")
    assert sorted(listed["Xã"]) == sorted(missing)
    assert texts(at.subheader)[0] == f"{len(missing)} xã chưa đạt 15. Y tế"
    assert len(at.get("download_button")) >= 1


def test_counts_read_with_a_thousands_mark_at_national_scale(tmp_path, monkeypatch):
    from ntm_data import synthetic
    from ui import data

    model = synthetic.make_country(7, n_communes=4400, n_districts=310, n_provinces=40, years=(2024, 2025))
    sample = tmp_path / "sample"
    sample.mkdir()
    for year in (2024, 2025):
        synthetic.write_summary(model, year, sample / f"huu_lung_{year}.xlsx")
    monkeypatch.setattr(data, "SAMPLE_DIR", sample)
    before, now = (load_dataset(sample / f"huu_lung_{year}.xlsx") for year in (2024, 2025))

    def vi(count: int) -> str:
        assert count >= 1000, count
        return f"{count // 1000}.{count % 1000:03d}"

    lagging = len(analytics.lagging_communes(now, "17"))
    at = start("lagging_communes", criterion="17")
    no_exception(at)
    assert texts(at.subheader)[0].startswith(f"{vi(lagging)} xã chưa đạt 17.")
    gained = int((analytics.compare_snapshots(before, now).changes["change"] == "gained").sum())
    at = go(at, "compare")
    no_exception(at)
    assert metrics(at)["Lượt tiêu chí mới đạt"] == vi(gained)
    at = go(at, "data")
    no_exception(at)
    assert any(f"{vi(len(now.communes))} xã" in c for c in texts(at.caption))


def test_lagging_communes_by_sub_indicator_gives_people_needed():
    summary = summarize(SAMPLE / "huu_lung_2025.xlsx")
    below = sorted(c["name"] for c in summary["communes"] if c["indicators"].get("15.1", 100) < 95)
    at = start("lagging_communes", criterion="15", indicator="15.1")
    no_exception(at)
    listed = frame_with(at, "Cần thêm")
    assert sorted(listed["Xã"]) == below
    assert all(re.fullmatch(r"cần thêm [\d.]+ người", n) for n in listed["Cần thêm"])


def test_near_misses_are_communes_missing_one_or_two(now):
    at = start("lagging_communes")
    near = frame_with(at, "Số tiêu chí còn thiếu")
    assert sorted(near["Xã"]) == sorted(now.loc[now["criteria_met"].between(17, 18), "name"])


def test_scorecard_grid_agrees_with_summarize(now):
    at = start("scorecard")
    no_exception(at)
    grid = frame_with(at, "criteria_met")
    assert len(grid) == len(now)
    assert list(grid["criteria_met"]) == sorted(now["criteria_met"], reverse=True)
    symbols = {"met": "✓", "not_met": "✗", "unknown": "?"}
    row = now.iloc[0]
    shown = grid.set_index("name").loc[row["name"]]
    assert [shown[n] for n in NUMBERS] == [symbols[row[n]] for n in NUMBERS]


def test_scorecard_sorts_by_one_criterion():
    at = start("scorecard")
    at.selectbox(key="w_sort").set_value("15").run()
    grid = frame_with(at, "criteria_met")
    assert grid["15"].iloc[0] == "✗"


def test_commune_profile_deep_link(now):
    summary = summarize(SAMPLE / "huu_lung_2025.xlsx")
    commune = next(c for c in summary["communes"] if c["criteria_met"] < 19)
    at = start("commune_profile", commune=commune["code"])
    no_exception(at)
    assert at.selectbox(key="w_commune").value == commune["code"]
    assert metrics(at)["Số tiêu chí đạt"] == f"{commune['criteria_met']}/19"
    criteria = frame_with(at, "Đánh giá")
    assert list(criteria["Đánh giá"].str.contains("Chưa đạt")) == [
        commune["criteria"][n] == "not_met" for n in NUMBERS]
    history = frame_with(at, "Kỳ")
    assert list(history["Kỳ"]) == ["2022", "2023", "2024", "2025"]


def test_timeline_overdue_communes(now):
    at = start("timeline")
    no_exception(at)
    overdue = now[(now["target_year"].fillna(9999) < 2025) & (now["criteria_met"] < 19)]
    if overdue.empty:
        assert any("quá hạn" in i for i in texts(at.info))
    else:
        assert sorted(frame_with(at, "Năm phấn đấu")["Xã"]) == sorted(overdue["name"])
    assert len(plotly_specs(at)) == 1


@pytest.mark.parametrize("page", ["overview", "timeline"])
def test_maintenance_watchlist_on_overview_and_timeline(page):
    """Recognised communes that now miss a criterion (Hữu Liên lost 17 in the sample) show on both pages."""
    expected = analytics.maintenance_watchlist(load_dataset(SAMPLE / "huu_lung_2025.xlsx"))
    at = start(None if page == "overview" else page)
    no_exception(at)
    assert "Xã đã đạt chuẩn nhưng nay còn tiêu chí chưa đạt (cần duy trì)" in texts(at.subheader)
    shown = frame_with(at, "Năm đạt chuẩn")
    assert sorted(shown["Xã"]) == sorted(expected["name"]) and "Hữu Liên" in set(shown["Xã"])


def test_compare_newly_at_standard(now, before):
    at = start("compare")
    no_exception(at)
    assert at.selectbox(key="w_old").value == 2 and at.selectbox(key="w_new").value == 3
    newly = set(now.loc[now["criteria_met"] == 19, "name"]) - set(before.loc[before["criteria_met"] == 19, "name"])
    assert metrics(at)["Xã mới đạt chuẩn"] == str(len(newly))


def test_data_page_report_preview_and_downloads(now):
    at = start("data")
    no_exception(at)
    assert any("Không phát hiện lỗi" in s for s in texts(at.success))
    assert len(frame_with(at, "Số tiêu chí đạt")) == len(now)
    labels = [plain(b.proto.label) for b in at.get("download_button")]
    assert "Biểu mẫu trống để nhập số liệu" in labels
    assert "Tệp mẫu huu_lung_2025.xlsx" in labels


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_page_renders_in_both_languages(lang):
    at = start(lang=lang)
    for page in PAGES:
        go(at, page)
        no_exception(at)
        assert not at.error, texts(at.error)
        assert texts(at.title)[0]


@pytest.mark.parametrize("lang, value, need, gap", [
    ("vi", "Kết quả (%)", "Cần thêm", "Còn thiếu (điểm)"),
    ("en", "Value (%)", "Still needed", "Gap (points)"),
])
def test_lagging_sub_indicator_numbers_read_in_the_ui_language(lang, value, need, gap):
    summary = summarize(SAMPLE / "huu_lung_2025.xlsx")
    values = {c["name"]: c["indicators"]["15.1"] for c in summary["communes"] if c["indicators"].get("15.1", 100) < 95}
    at = start("lagging_communes", criterion="15", indicator="15.1", lang=lang)
    no_exception(at)
    shown = displayed_with(at, value).set_index("Xã" if lang == "vi" else "Commune")
    assert dict(shown[value]) == {n: fmt_number(v, lang) for n, v in values.items()}
    sample = next(v for v in values.values() if v != int(v))
    assert (f"{sample:.1f}".replace(".", ",") if lang == "vi" else f"{sample:.1f}") in set(shown[value])
    wrong_mark = "." if lang == "vi" else ","  # gaps are under 1,000 points: any mark is the decimal one
    assert not any(wrong_mark in g for g in shown[gap])
    assert "None" not in shown.to_string() and "nan" not in shown.to_string()
    assert all(n.startswith("cần thêm") if lang == "vi" else n.endswith("needed") for n in shown[need])


def test_missing_numbers_show_a_dash_not_none():
    at = start("lagging_communes")
    near = displayed_with(at, "Năm phấn đấu")
    assert "None" not in set(near["Năm phấn đấu"])
    assert all(y == "—" or re.fullmatch(r"20\d\d", y) for y in near["Năm phấn đấu"])  # years keep no '.'


def _named(cell: str) -> set[str]:
    """The criterion numbers in a '15 Y tế, 17 Môi trường' cell (each one followed by its name)."""
    parts = [p.strip() for p in cell.split(",") if p.strip()]
    assert all(re.fullmatch(r"\d+ \D.*", p) for p in parts), cell
    return {p.split(" ", 1)[0] for p in parts}


@pytest.mark.parametrize("lang, column, name", [("vi", "Tiêu chí chưa đạt", "Y tế"),
                                                ("en", "Criteria not met", "Health")])
def test_near_misses_name_the_missing_criteria(now, lang, column, name):
    at = start("lagging_communes", lang=lang)
    near = frame_with(at, column)
    by_name = now.set_index("name")
    for commune, cell in zip(near[near.columns[0]], near[column], strict=True):
        expected = {n for n in NUMBERS if by_name.loc[commune, n] != "met"}
        assert _named(cell) == expected
    if any("15" in _named(c) for c in near[column]):
        assert any(f"15 {name}" in c for c in near[column])


def test_overdue_and_history_name_the_missing_criteria(now):
    at = start("timeline")
    overdue = now[(now["target_year"].fillna(9999) < 2025) & (now["criteria_met"] < 19)]
    if not overdue.empty:
        shown = frame_with(at, "Tiêu chí chưa đạt")
        assert all(_named(c) for c in shown["Tiêu chí chưa đạt"])
    commune = now.loc[now["criteria_met"] < 19].iloc[0]
    summary = summarize(SAMPLE / "huu_lung_2025.xlsx")
    code = next(c["code"] for c in summary["communes"] if c["name"] == commune["name"])
    at = start("commune_profile", commune=code)
    history = frame_with(at, "Kỳ")
    assert _named(history["Tiêu chí chưa đạt"].iloc[-1]) == {n for n in NUMBERS if commune[n] != "met"}


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_data_page_header_is_translated(lang):
    """The validation and preview tables of the Data page: no column header left in code or in English on
    the Vietnamese page ("Sheet" was)."""
    at = start("data", lang=lang)
    no_exception(at)
    from ntm_data.i18n import t

    headers = [str(c) for df in at.dataframe for c in (df.value.data if hasattr(df.value, "data") else df.value).columns]
    assert t("ui.col.sheet", lang) in headers
    assert not [h for h in headers if re.fullmatch(r"[a-z_]+", h)], headers  # no raw column names
    if lang == "vi":
        assert "Sheet" not in headers and "Trang tính" in headers

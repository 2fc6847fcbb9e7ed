"""Pure presentation helpers of the app (ui.render, ui.charts): number formats, escaping, one status colour map."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ntm_data.exports.styles import STATUS_COLORS
from ui import charts, render


@pytest.mark.parametrize("value, lang, digits, expected", [
    (1234.5, "vi", 1, "1.234,5"),
    (1234.5, "en", 1, "1,234.5"),
    (17.0, "vi", 1, "17"),
    (16.28, "vi", 1, "16,3"),
    (float("nan"), "vi", 1, "—"),
    (None, "en", 1, "—"),
    (pd.NA, "en", 1, "—"),
])
def test_fmt_number(value, lang, digits, expected):
    assert render.fmt_number(value, lang, digits) == expected


@pytest.mark.parametrize("share, lang, expected", [
    (0.793, "vi", "79,3 %"),
    (0.793, "en", "79.3%"),
    (0.52, "vi", "52 %"),
    (1.0, "en", "100%"),
])
def test_fmt_share(share, lang, expected):
    assert render.fmt_share(share, lang) == expected


@pytest.mark.parametrize("text, expected", [
    ("Vân Nham", "Vân Nham"),
    ("**x**", "\\*\\*x\\*\\*"),
    ("[a](http://e)", "\\[a\\]\\(http\\://e\\)"),
    ("<b>", "\\<b\\>"),
    (":red[x]", "\\:red\\[x\\]"),
])
def test_md_escape(text, expected):
    assert render.md_escape(text) == expected


def test_md_escapes_parameters_only():
    assert render.md("ui.upload.rejected", "en", name="a_b.xlsx", message="*") == "Cannot use a\\_b\\.xlsx: \\*"


def test_need_text_prefers_households_then_people():
    lagging = pd.DataFrame({"gap_people": pd.array([312, None, 5], dtype="Int64"),
                            "gap_households": pd.array([None, 45, 2], dtype="Int64")})
    assert list(render.need_text(lagging, "vi")) == ["cần thêm 312 người", "cần thêm 45 hộ", "cần thêm 5 người"]
    assert list(render.need_text(lagging, "en"))[1] == "45 more households needed"


def test_informative_drops_empty_columns():
    frame = pd.DataFrame({"a": [1, 2], "b": [None, None], "c": ["", " "], "d": [(), ()], "e": [(), ("15.1",)]})
    assert render.informative(frame, ["a", "b", "c", "d", "e"]) == ["a", "e"]


@pytest.mark.parametrize("status, label", [("met", "✓ Đạt"), ("not_met", "✗ Chưa đạt"), ("unknown", "? Chưa rõ"),
                                           ("garbage", "? Chưa rõ")])
def test_status_label(status, label):
    assert render.status_label(status, "vi") == label


def test_charts_use_the_one_status_colour_map():
    completion = pd.DataFrame({"criterion": ["1", "2"], "name_vi": ["A", "B"], "name_en": ["A", "B"],
                               "met": [3, 1], "not_met": [0, 2], "unknown": [1, 1]})
    fig = charts.criteria_status_bars(completion, "en")
    assert [trace.marker.color for trace in fig.data] == [STATUS_COLORS[s] for s in ("met", "not_met", "unknown")]
    assert [trace.name for trace in fig.data] == ["Met", "Not met", "Unknown"]
    spread = pd.DataFrame({"name": ["<b>X</b>", "Y"], "indicator": ["15.1", "15.1"], "value": [90.0, 97.0],
                           "threshold": [95.0, 95.0], "status": ["not_met", "met"], "unit": ["%", "%"]})
    fig = charts.indicator_strip(spread, "vi")
    colours = {trace.name: trace.marker.color for trace in fig.data}
    assert colours["Đạt"] == STATUS_COLORS["met"] and colours["Chưa đạt"] == STATUS_COLORS["not_met"]
    assert "&lt;b&gt;X&lt;/b&gt;" in fig.data[0].text + fig.data[1].text  # workbook text is not HTML in plotly


def _snap(period: str | None, name: str = "f.xlsx", set_id: str = "qd318"):
    from types import SimpleNamespace

    from ntm_data.model import Period

    return SimpleNamespace(period=Period.parse(period) if period else None, source_name=name,
                           criteria_set=SimpleNamespace(id=set_id))


@pytest.mark.parametrize("saved, current, expected", [
    ([], "2025", ["2025*"]),
    (["2023", "2024"], "2025", ["2023", "2024", "2025*"]),
    (["2024", "2025"], "2025", ["2024", "2025*"]),          # the open file replaces its period's save
    (["2023", "2024", "2025"], "2024", ["2023", "2024*"]),  # later periods are left out
    (["2024-06", "2023"], "2024-12", ["2023", "2024-06", "2024-12*"]),
    (["2023"], None, ["2023", "None*"]),
])
def test_merge_history(saved, current, expected):
    from ui.data import merge_history

    open_file = _snap(current, "open.xlsx")
    merged = merge_history([_snap(p) for p in saved] + [_snap("2022", set_id="qd51")], open_file)
    assert [f"{d.period}{'*' if d is open_file else ''}" for d in merged] == expected


def test_blank_template_download_is_a_workbook():
    from ui.data import template

    assert template("qd318", "vi")[:2] == b"PK"


@pytest.mark.parametrize("lang, expected", [
    ("vi", {"Kết quả": ["91,1", "7", "1.234,5"], "Ngưỡng đạt": ["95", " —", " 0,5"],
            "Năm phấn đấu": ["2025", "—", "2027"], "Xã": ["A", "—", "C"]}),
    ("en", {"Value": ["91.1", "7", "1,234.5"], "Threshold": ["95", " —", " 0.5"],
            "Target year": ["2025", "—", "2027"], "Commune": ["A", "—", "C"]}),
])
def test_number_styler_formats_in_the_ui_language(lang, expected):
    frame = pd.DataFrame({"name": ["A", None, "C"], "value": [91.1, 7.0, 1234.5], "threshold": [95, None, 0.5],
                          "target_year": pd.array([2025, None, 2027], dtype="Int64")})
    shown = render.display_frame(frame, lang, ["name", "value", "threshold", "target_year"])
    styler = render.number_styler(shown, lang, [render.header("target_year", lang)])
    assert styler.data[render.header("value", lang)].dtype == float  # a full column still sorts by value
    assert styler.data[render.header("threshold", lang)].tolist() == expected[render.header("threshold", lang)]
    cells = styler._translate(False, False)["body"]
    texts = {col: [row[i + 1]["display_value"] for row in cells] for i, col in enumerate(shown.columns)}
    assert texts == expected


@pytest.mark.parametrize("values, lang, expected", [
    ((95.0,), "vi", "95"), ((90.0, 95.5), "vi", "90 / 95,5"), ((), "en", "—"), (2.5, "en", "2.5"),
])
def test_fmt_numbers(values, lang, expected):
    assert render.fmt_numbers(values, lang) == expected


@pytest.mark.parametrize("units, columns, expected", [
    (["%", "%"], ["name", "value", "threshold", "unit"], {"value": "Kết quả (%)", "threshold": "Ngưỡng đạt (%)"}),
    (["%", "hộ"], ["name", "value", "unit"], {}),          # mixed units: the unit column stays
    (["", ""], ["value", "unit"], {}),
    (["%", "%"], ["name", "value"], {}),                   # no unit column asked for
])
def test_unit_headers(units, columns, expected):
    frame = pd.DataFrame({"name": ["A", "B"], "value": [1.0, 2.0], "threshold": [3.0, 3.0], "unit": units})
    assert render.unit_headers(frame, columns, "vi") == expected


def test_movers_chart_has_whole_number_ticks_and_trend_has_no_axis_titles():
    fig = charts.movers_bars(pd.DataFrame({"name": ["A", "B"], "delta": [3, 1]}), "vi")
    assert fig.layout.xaxis.dtick == 1
    trend = pd.DataFrame({"period": ["2024", "2025"], "communes": [25, 25], "at_standard": [12, 13],
                          "average_met": [17.2, 17.7]})
    fig = charts.trend_lines(trend, "vi")
    assert fig.layout.yaxis.title.text is None and list(fig.data[0].text) == [12, 13]
    assert fig.layout.font.size == charts.FONT_SIZE and fig.layout.separators == ",."


@pytest.mark.parametrize("name, expected", [
    ("Y tế", "Y tế"),
    ("Môi trường và an toàn thực phẩm", "Môi trường"),
    ("Environment and food safety", "Environment"),
    ("Văn hóa, giáo dục, y tế", "Văn hóa, giáo dục, y tế"),  # a comma before any 'và': the name stays whole
    ("Cơ sở hạ tầng thương mại nông thôn", "Cơ sở hạ tầng thương…"),  # cut between words
])
def test_short_criterion_name(name, expected):
    assert render.short_criterion_name(name) == expected
    assert len(render.short_criterion_name(name)) <= render.SHORT_NAME_CHARS + 1


@pytest.mark.parametrize("lang, expected", [
    ("vi", ["15 Y tế, 17 Môi trường", "", "2 Giao thông, 99"]),
    ("en", ["15 Health, 17 Environment", "", "2 Transport, 99"]),
])
def test_criteria_names_in_the_ui_language(lang, expected):
    from ntm_data.catalogue import get_criteria_set

    values = pd.Series([("15", "17"), (), ("2", "99")], dtype=object)  # 99: not in the set, stays a number
    assert list(render.criteria_names(values, get_criteria_set("qd318"), lang)) == expected


@pytest.mark.parametrize("lang, value, gap, year", [
    ("vi", ["   91,1", "    7", "1.234,5", "    —"], ["—", "2,5", "—", "0"], ["2025", "—", "2027", "2027"]),
    ("en", ["   91.1", "    7", "1,234.5", "    —"], ["—", "2.5", "—", "0"], ["2025", "—", "2027", "2027"]),
])
def test_plain_frame_formats_large_tables_without_a_styler(lang, value, gap, year):
    shown = pd.DataFrame({"value": [91.1, 7.0, 1234.5, None], "gap": [None, 2.5, None, 0.0],
                          "met": pd.array([3, 19, 0, 7], dtype="int32"), "year": pd.array([2025, None, 2027, 2027],
                                                                                          dtype="Int64"),
                          "name": ["A", None, "C", "D"], "district": pd.Series(["X", "Y", "X", "Y"], dtype="category"),
                          "population": [7229, 512, 12000, 3]})
    out, config = render.plain_frame(shown, lang, ["year"])
    assert out["population"].tolist() == ([" 7.229", "   512", "12.000", "     3"] if lang == "vi"
                                          else [" 7,229", "   512", "12,000", "     3"])
    assert out["value"].tolist() == value and out["gap"].tolist() == gap and out["year"].tolist() == year
    assert out["name"].tolist() == ["A", "—", "C", "D"]
    assert out["met"].tolist() == [3, 19, 0, 7]  # whole numbers still sort by value
    assert config["met"]["type_config"]["format"] == "%d"
    assert {c for c, v in config.items() if v.get("alignment") == "right"} == {"value", "gap", "year", "population"}
    assert out["district"].tolist() == ["X", "Y", "X", "Y"]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_large_table_number_texts_sort_by_value(lang):
    """The grid sorts a text column by the browser's collation, which orders space, comma, full stop and
    digits as their code points do: so the texts, sorted as strings, must come in the order of the values."""
    rng = np.random.default_rng(7)
    values = np.concatenate([rng.uniform(0, 20000, 400).round(1), rng.integers(0, 1000, 100), [0.0, 5.0, 5.5, 10000.0]])
    out, _config = render.plain_frame(pd.DataFrame({"value": values}), lang)
    texts = out["value"].tolist()
    mark = "," if lang == "vi" else "."
    assert len({len(t.split(mark)[0]) for t in texts}) == 1  # the whole parts line up
    assert [values[texts.index(t)] for t in sorted(texts)] == sorted(values)


def test_negative_numbers_are_not_padded():
    out, _config = render.plain_frame(pd.DataFrame({"delta": [-1.5, 12.5] * 200}), "vi")
    assert out["delta"].tolist()[:2] == ["-1,5", "12,5"]


def test_number_view_uses_a_styler_only_for_small_tables():
    small = pd.DataFrame({"value": [1.5] * render.STYLER_MAX_ROWS})
    large = pd.DataFrame({"value": [1.5] * (render.STYLER_MAX_ROWS + 1)})
    assert hasattr(render.number_view(small, "vi")[0], "data")  # a Styler
    data, _config = render.number_view(large, "vi")
    assert isinstance(data, pd.DataFrame) and set(data["value"]) == {"1,5"}
    gaps = pd.DataFrame({"value": [9.5, None, 85.25], "year": pd.array([2025, None, 2026], dtype="Int64")})
    styler, config = render.number_view(gaps, "vi", ["year"])
    assert styler.data["value"].tolist() == [" 9,5", " —", "85,2"]  # aligned text: sorts by value, "—" first
    assert set(config) == {"value"} and config["value"]["alignment"] == "right"


@pytest.mark.parametrize("values, expected", [
    ([None, None], False), (["", "  "], False), ([(), ()], False), ([[], ["15"]], True), ([(), ("15.1",)], True),
    ([None, "x"], True), ([0.0, None], True), (pd.Series(["", "a"], dtype="category"), True),
])
def test_filled_column(values, expected):
    assert render._filled(pd.Series(values, dtype=object) if isinstance(values, list) else values) is expected


def test_large_spread_is_drawn_as_boxes():
    n = charts.MAX_STRIP_POINTS + 1
    spread = pd.DataFrame({"name": ["x"] * n, "indicator": ["15.1", "15.2"] * (n // 2) + ["15.1"] * (n % 2),
                           "value": [float(i % 100) for i in range(n)], "threshold": 95.0,
                           "status": ["met", "not_met"] * (n // 2) + ["met"] * (n % 2), "unit": "%"})
    fig = charts.indicator_strip(spread, "en")
    box, marks = fig.data
    assert box.type == "box" and list(box.x) == ["15.1", "15.2"]  # five figures per sub-indicator, not n points
    assert list(box.lowerfence) == [0.0, 1.0] and list(box.upperfence) == [98.0, 99.0]
    assert box.text[1] == f"{n // 2:,} communes, {n // 2:,} not met"
    assert list(marks.y) == [95.0, 95.0]

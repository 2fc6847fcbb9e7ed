"""ntm_data.analytics on datasets built with tests/factories.py: exact figures, orders and frames."""
from __future__ import annotations

import math
import unicodedata

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from ntm_data import analytics as a
from ntm_data.model import COMMUNE_COLUMNS, CRITERIA_COLUMNS, INDICATOR_COLUMNS, Period
from tests.factories import commune_id_for, make_dataset

ALL_19 = [str(i) for i in range(1, 20)]


def _met_rows(counts, **extra):
    """One commune per count, named C00, C01, ... meeting the first `count` criteria."""
    return [{"name": f"C{i:02d}", "met": k, **extra} for i, k in enumerate(counts)]


def _frame(columns: dict, dtypes: dict | None = None) -> pd.DataFrame:
    out = pd.DataFrame(columns)
    return out.astype(dtypes) if dtypes else out


def _tuples(*values) -> pd.Series:
    return pd.Series(list(values), dtype=object)


# ---- factory -------------------------------------------------------------------------------------------
def test_factory_builds_frames_as_the_dataset_docstring_describes():
    ds = make_dataset([
        {"name": "Sơn Hồng", "district": "Hương Sơn", "region": "btb", "population": 8000, "households": 2000,
         "target_year": 2025, "not_met": ["15", "17"], "unknown": ["19"], "values": {"15.1": 91.1}},
        {"name": "Vân Nham", "district": "Hữu Lũng", "recognized_year": 2022, "marks": "x" * 18 + "0"},
    ], period=2024)
    assert list(ds.communes.columns) == COMMUNE_COLUMNS
    assert ds.communes.index.name == "commune_id"
    assert list(ds.communes.index) == ["son-hong", "van-nham"]
    assert str(ds.communes["target_year"].dtype) == "Int64"
    assert str(ds.communes["recognized_year"].dtype) == "Int64"
    assert ds.communes["population"].dtype == float
    assert ds.communes.loc["son-hong", "profile"] == "btb"
    assert list(ds.criteria.columns) == CRITERIA_COLUMNS
    assert len(ds.criteria) == 2 * 19
    assert set(ds.criteria["status"]) == {"met", "not_met", "unknown"}
    unknown = ds.criteria[(ds.criteria["commune_id"] == "son-hong") & (ds.criteria["criterion"] == "19")].iloc[0]
    assert (unknown["status"], unknown["source"], pd.isna(unknown["cell"])) == ("unknown", "none", True)
    first = ds.criteria.iloc[0]
    assert (first["criterion"], first["status"], first["source"], first["sheet"], first["cell"]) == (
        "1", "met", "sheet", "Sheet1", "D5")
    assert list(ds.indicators.columns) == INDICATOR_COLUMNS
    row = ds.indicators.iloc[0]
    assert (row["indicator"], row["criterion"], row["value"], row["threshold"], row["status"]) == (
        "15.1", "15", 91.1, 95.0, "not_met")
    assert ds.period == Period(2024)
    assert ds.criteria_met.tolist() == [16, 18]


@pytest.mark.parametrize("spec, expected", [
    ({"met": 3}, ["met"] * 3 + ["not_met"] * 16),
    ({"marks": "1x?0-" + "1" * 14}, ["met", "met", "unknown", "not_met", "not_met"] + ["met"] * 14),
    ({"marks": {"2": "not_met", 5: "unknown"}}, ["met", "not_met", "met", "met", "unknown"] + ["met"] * 14),
    ({"not_met": [1], "unknown": ["19"]}, ["not_met"] + ["met"] * 17 + ["unknown"]),
    ({}, ["met"] * 19),
])
def test_factory_mark_forms(spec, expected):
    ds = make_dataset([{"name": "A", **spec}])
    assert ds.status_matrix.loc["a"].tolist() == expected


@pytest.mark.parametrize("code, spec, expected", [
    ("15.1", 91.1, (91.1, 95.0, "not_met")),  # threshold from the catalogue, status judged
    ("15.1", (96, None), (96.0, None, "unknown")),  # no threshold: unknown
    ("15.3", (12.5, 24), (12.5, 24.0, "met")),  # 15.3 is "lower is better"
    ("15.3", (30, 24, "met"), (30.0, 24.0, "met")),  # an explicit status wins (the sheet's own mark)
    ("15.1", (None, 95), (None, 95.0, "unknown")),  # unreadable value
])
def test_factory_value_forms(code, spec, expected):
    row = make_dataset([{"name": "A", "values": {code: spec}}]).indicators.iloc[0]
    got = tuple(None if isinstance(x, float) and math.isnan(x) else x for x in (row["value"], row["threshold"]))
    assert (*got, row["status"]) == expected


def test_factory_long_indicator_rows_and_errors():
    ds = make_dataset([{"name": "Sơn Hồng"}, {"name": "B", "id": "b1"}],
                      indicators=[("Sơn Hồng", "17.12", 40, 100), ("b1", "15.2", 1)])
    assert ds.indicators[["commune_id", "indicator", "criterion", "status"]].values.tolist() == [
        ["son-hong", "17.12", "17", "not_met"], ["b1", "15.2", "15", "met"]]
    with pytest.raises(ValueError, match="duplicate"):
        make_dataset([{"name": "A"}, {"name": "a"}])
    with pytest.raises(ValueError, match="19 criteria"):
        make_dataset([{"name": "A", "marks": "111"}])
    with pytest.raises(ValueError, match="not in the set"):
        make_dataset([{"name": "A", "not_met": ["20"]}])
    assert commune_id_for("Thị trấn Đức  Thọ") == "thi-tran-duc-tho"


# ---- headline figures and buckets -----------------------------------------------------------------------
@pytest.mark.parametrize("set_id, counts, progress, buckets", [
    ("qd318", [19, 19, 18, 15, 14, 10, 9, 5, 4, 0],
     a.Progress(communes=10, at_standard=2, at_standard_share=0.2, average_met=11.3, criteria_total=19,
                under_floor=6, floor=15, recognized=3),
     [("19", 19, 19, 2), ("15–18", 15, 18, 2), ("10–14", 10, 14, 2), ("5–9", 5, 9, 2), ("<5", 0, 4, 2)]),
    ("qd318", [19, 19, 19, 19],
     a.Progress(4, 4, 1.0, 19.0, 19, 0, 15, 3),
     [("19", 19, 19, 4), ("15–18", 15, 18, 0), ("10–14", 10, 14, 0), ("5–9", 5, 9, 0), ("<5", 0, 4, 0)]),
    ("qd51", [10, 9, 8, 7, 5, 4, 3, 2, 0],
     a.Progress(communes=9, at_standard=1, at_standard_share=1 / 9, average_met=48 / 9, criteria_total=10,
                under_floor=6, floor=8, recognized=3),
     [("10", 10, 10, 1), ("8–9", 8, 9, 2), ("5–7", 5, 7, 2), ("3–4", 3, 4, 2), ("<3", 0, 2, 2)]),
])
def test_progress_and_buckets(set_id, counts, progress, buckets):
    rows = _met_rows(counts)
    for row in rows[:3]:
        row["recognized_year"] = 2020
    ds = make_dataset(rows, criteria_set=set_id)
    got = a.district_progress(ds)
    assert got.__dict__ == pytest.approx(progress.__dict__)
    total = len(counts)
    expected = _frame({
        "bucket": [b[0] for b in buckets], "low": [b[1] for b in buckets], "high": [b[2] for b in buckets],
        "communes": [b[3] for b in buckets], "share": [b[3] / total for b in buckets],
    })
    assert_frame_equal(a.criteria_buckets(ds), expected, check_dtype=False)


@pytest.mark.parametrize("n, floor, bands", [
    (19, 15, [(19, 19), (15, 18), (10, 14), (5, 9), (0, 4)]),
    (10, 8, [(10, 10), (8, 9), (5, 7), (3, 4), (0, 2)]),
    (17, 14, [(17, 17), (14, 16), (9, 13), (4, 8), (0, 3)]),  # QĐ 1980-like custom set sizes still work
])
def test_floor_and_bucket_bands(n, floor, bands):
    assert a.floor_for(n) == floor
    assert a.buckets_for(n) == bands


@pytest.mark.parametrize("low, high, label", [(19, 19, "19"), (15, 18, "15–18"), (0, 4, "<5"), (0, 2, "<3")])
def test_bucket_label(low, high, label):
    assert a.bucket_label(low, high) == label


# ---- criteria completion and lagging criteria ------------------------------------------------------------
def _completion_dataset():
    return make_dataset([
        {"name": "A", "not_met": ["15", "17", "9"]},
        {"name": "B", "not_met": ["15", "17", "10"], "unknown": ["19"]},
        {"name": "C", "not_met": ["15", "17"], "unknown": ["19"]},
        {"name": "D"},
    ])


def test_criteria_completion_counts_in_catalogue_order():
    out = a.criteria_completion(_completion_dataset())
    assert list(out.columns) == ["criterion", "name_vi", "name_en", "group_vi", "group_en", "met", "not_met",
                                 "unknown", "met_share"]
    assert out["criterion"].tolist() == ALL_19
    by = out.set_index("criterion")
    assert by.loc["15", ["met", "not_met", "unknown"]].tolist() == [1, 3, 0]
    assert by.loc["19", ["met", "not_met", "unknown"]].tolist() == [2, 0, 2]
    assert by.loc["15", "met_share"] == 0.25
    assert by.loc["1", "met_share"] == 1.0
    assert by.loc["15", "name_vi"] == "Y tế"
    assert by.loc["15", "group_vi"] == "Văn hóa - Xã hội - Môi trường"


def test_lagging_criteria_sorted_by_not_met_then_number():
    out = a.lagging_criteria(_completion_dataset())
    # 9 and 10 tie at one commune each: numeric order puts 9 first (a string sort would not)
    assert out["criterion"].tolist()[:4] == ["15", "17", "9", "10"]
    assert out["not_met"].tolist()[:5] == [3, 3, 1, 1, 0]
    assert out["criterion"].tolist()[4:] == [c for c in ALL_19 if c not in {"15", "17", "9", "10"}]


# ---- population base rule --------------------------------------------------------------------------------
@pytest.mark.parametrize("name, base", [
    ("Tỷ lệ người dân tham gia bảo hiểm y tế (áp dụng đạt cho cả nam và nữ)", "population"),  # 15.1
    ("Tỷ lệ dân số có sổ khám chữa bệnh điện tử", "population"),  # 15.4
    ("Tỷ lệ hộ được sử dụng nước sạch", "households"),  # 17.1
    ("Tỷ lệ hộ có nhà tiêu, nhà tắm, thiết bị chứa nước sinh hoạt hợp vệ sinh và đảm bảo 3 sạch", "households"),
    ("Tỷ lệ hộ có nhà ở đạt chuẩn", "households"),  # 9.2 (QĐ 1980)
    ("TỶ LỆ HỘ  có nhà ở đạt chuẩn", "households"),
    (unicodedata.normalize("NFD", "Tỷ lệ người dân tham gia bảo hiểm y tế"), "population"),
    ("Tỷ lệ hộ gia đình và cơ sở sản xuất, kinh doanh thực phẩm tuân thủ các quy định", None),  # mixed base
    ("Tỷ lệ người có việc làm trên dân số trong độ tuổi lao động", None),  # base is working age
    ("Tỷ lệ trẻ em dưới 5 tuổi bị suy dinh dưỡng thể thấp còi", None),
    ("Tỷ lệ đường xã được nhựa hóa", None),
    ("Thu nhập bình quân đầu người", None),
])
def test_population_base(name, base):
    assert a.population_base(name) == base


# ---- sub-indicator spread ----------------------------------------------------------------------------------
def _health_dataset():
    return make_dataset([
        {"name": "Sơn Hồng", "district": "Hương Sơn", "region": "tdmnpb", "population": 8000, "households": 2000,
         "target_year": 2025, "not_met": ["15", "17"],
         "values": {"15.1": 91.1, "15.2": 0, "15.3": 30, "17.1": (60, 90), "17.12": (40, 100)}},
        {"name": "Ân Thi", "district": "Hương Sơn", "region": "tdmnpb", "population": 10000, "households": 2500,
         "target_year": 2024, "not_met": ["15"], "values": {"15.1": 80, "15.2": 1, "15.3": 20, "17.1": (95, 90)}},
        {"name": "Vân Nham", "district": "Hữu Lũng", "region": "dbsh", "population": None, "households": 1000,
         "not_met": ["15", "17"], "values": {"15.1": (70, 90), "15.4": 75, "17.1": (85.5, 90)}},
        {"name": "Đức Thuận", "district": "Hữu Lũng", "region": "dbsh", "population": 5000,
         "values": {"15.1": 96, "15.3": (10, None)}},
        {"name": "Bắc Sơn", "district": "Hữu Lũng", "unknown": ["15"]},
    ], period=2024)


def test_indicator_spread_rows_names_verified_and_gap():
    out = a.indicator_spread(_health_dataset(), "15")
    assert list(out.columns) == ["commune_id", "name", "district", "indicator", "name_vi", "name_en", "unit", "value",
                                 "threshold", "status", "verified", "direction", "gap"]
    assert list(zip(out["indicator"], out["name"], strict=True)) == [
        ("15.1", "Ân Thi"), ("15.1", "Đức Thuận"), ("15.1", "Sơn Hồng"), ("15.1", "Vân Nham"),
        ("15.2", "Ân Thi"), ("15.2", "Sơn Hồng"),
        ("15.3", "Ân Thi"), ("15.3", "Đức Thuận"), ("15.3", "Sơn Hồng"),
        ("15.4", "Vân Nham"),
    ]
    # 15.1's 95 % is flagged unverified in the catalogue; Vân Nham's sheet typed its own 90 (no flag);
    # 15.3 uses the verified regional thresholds; Đức Thuận has no threshold for 15.3.
    assert out["verified"].tolist() == [False, False, False, None, True, True, True, None, True, True]
    assert out["threshold"].tolist()[:4] == [95.0, 95.0, 95.0, 90.0]
    assert out["status"].tolist() == ["not_met", "met", "not_met", "not_met", "met", "not_met", "met", "unknown",
                                      "not_met", "met"]
    assert out["gap"].tolist()[:4] == pytest.approx([15.0, np.nan, 3.9, 20.0], nan_ok=True)
    assert out["gap"].iloc[8] == 6.0  # 15.3 lower is better: 30 vs 24 -> 6 points to cut
    assert np.isnan(out["gap"].iloc[5])  # yes/no: no gap figure
    assert out["direction"].tolist()[6:9] == ["lower"] * 3
    assert out["unit"].iloc[0] == "%"
    assert out["name_vi"].iloc[0].startswith("Tỷ lệ người dân tham gia bảo hiểm y tế")


def test_indicator_spread_keeps_codes_the_catalogue_lacks():
    out = a.indicator_spread(_health_dataset(), "17")
    assert list(zip(out["indicator"], out["name"], strict=True)) == [
        ("17.1", "Ân Thi"), ("17.1", "Sơn Hồng"), ("17.1", "Vân Nham"), ("17.12", "Sơn Hồng")]
    unknown = out.iloc[3]
    assert (unknown["name_vi"], unknown["name_en"], unknown["unit"], unknown["verified"]) == ("17.12", "17.12", "", None)
    assert a.indicator_spread(_health_dataset(), "5").empty


# ---- lagging communes and gaps ----------------------------------------------------------------------------------
LAGGING_COLUMNS = ["commune_id", "name", "district", "status", "value", "threshold", "unit", "gap", "gap_people",
                   "gap_households", "blocking", "criteria_met", "target_year"]


def test_lagging_communes_on_health_insurance_gives_people_still_needed():
    out = a.lagging_communes(_health_dataset(), "15.1")
    expected = _frame({
        "commune_id": ["van-nham", "an-thi", "son-hong"],
        "name": ["Vân Nham", "Ân Thi", "Sơn Hồng"],
        "district": ["Hữu Lũng", "Hương Sơn", "Hương Sơn"],
        "status": ["not_met"] * 3,
        "value": [70.0, 80.0, 91.1],
        "threshold": [90.0, 95.0, 95.0],
        "unit": ["%"] * 3,
        "gap": [20.0, 15.0, 3.9],
        # 8,000 people at 91.1 % against 95 %: 3.9 points -> 312 people; Vân Nham has no population figure
        "gap_people": pd.array([None, 1500, 312], dtype="Int64"),
        "gap_households": pd.array([None, None, None], dtype="Int64"),
        "blocking": _tuples((), (), ()),
        "criteria_met": [17, 18, 17],
        "target_year": pd.array([None, 2024, 2025], dtype="Int64"),
    })
    assert_frame_equal(out, expected)


@pytest.mark.parametrize("target, include_unknown, ids, gaps, people, households", [
    ("15.1", True, ["van-nham", "an-thi", "son-hong", "bac-son"], [20.0, 15.0, 3.9, None], [None, 1500, 312, None],
     [None] * 4),
    ("17.1", False, ["son-hong", "van-nham"], [30.0, 4.5], [None, None], [600, 45]),  # shares of households
    ("15.3", False, ["son-hong"], [6.0], [None], [None]),  # lower is better: points to cut, no head count
    ("15.2", False, ["son-hong"], [None], [None], [None]),  # yes/no: no gap
    ("17.12", False, ["son-hong"], [60.0], [None], [None]),  # unknown to the catalogue: still listed
])
def test_lagging_communes_gaps_table(target, include_unknown, ids, gaps, people, households):
    out = a.lagging_communes(_health_dataset(), target, include_unknown=include_unknown)
    assert list(out.columns) == LAGGING_COLUMNS
    assert out["commune_id"].tolist() == ids
    assert out["gap"].tolist() == pytest.approx([np.nan if g is None else g for g in gaps], nan_ok=True)
    assert out["gap_people"].tolist() == [pd.NA if p is None else p for p in people]
    assert out["gap_households"].tolist() == [pd.NA if h is None else h for h in households]


def test_lagging_communes_with_unknown_lists_unknown_last():
    out = a.lagging_communes(_health_dataset(), "15.1", include_unknown=True)
    assert out["status"].tolist() == ["not_met", "not_met", "not_met", "unknown"]
    assert np.isnan(out["value"].iloc[3])


def test_lagging_communes_for_a_criterion_names_blocking_indicators():
    out = a.lagging_communes(_health_dataset(), "15")
    # no value for the criterion itself: gap NaN, so the order is by name (Vietnamese: Â after A, before B)
    assert out["name"].tolist() == ["Ân Thi", "Sơn Hồng", "Vân Nham"]
    assert out["blocking"].tolist() == [("15.1",), ("15.1", "15.2", "15.3"), ("15.1",)]
    assert out["gap"].isna().all()
    with_unknown = a.lagging_communes(_health_dataset(), "15", include_unknown=True)
    assert with_unknown["name"].tolist() == ["Ân Thi", "Sơn Hồng", "Vân Nham", "Bắc Sơn"]
    assert with_unknown["status"].tolist()[-1] == "unknown"


def test_lagging_communes_for_a_single_value_criterion_takes_its_value():
    ds = make_dataset([
        {"name": "A", "region": "tdmnpb", "not_met": ["10"], "values": {"10": 35}},
        {"name": "B", "region": "tdmnpb", "not_met": ["10"], "values": {"10": 38.5}},
        {"name": "C", "region": "tdmnpb", "values": {"10": 41}},
    ], period=2022)  # QĐ 318's income figure (39, TDMNPB) is known for 2022 only
    out = a.lagging_communes(ds, "10")
    assert out["commune_id"].tolist() == ["a", "b"]
    assert out["gap"].tolist() == [4.0, 0.5]  # million đồng per person per year still needed
    assert out["unit"].tolist() == ["triệu đồng/người/năm"] * 2
    assert out["gap_people"].isna().all()


def test_lagging_communes_unknown_target():
    with pytest.raises(KeyError):
        a.lagging_communes(_health_dataset(), "99.9")
    assert a.lagging_communes(_health_dataset(), "2.1").empty  # in the catalogue, just not read


# ---- near misses ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("set_id, max_missing, expected", [
    ("qd318", 2, [("b", 1, ("15",)), ("a", 2, ("15", "17")), ("e", 2, ("3", "19"))]),
    ("qd318", 1, [("b", 1, ("15",))]),
    ("qd318", 3, [("b", 1, ("15",)), ("a", 2, ("15", "17")), ("e", 2, ("3", "19")), ("c", 3, ("1", "2", "3"))]),
    ("qd51", 2, [("b", 1, ("5",)), ("a", 2, ("5", "7")), ("e", 2, ("3", "9"))]),
])
def test_near_misses(set_id, max_missing, expected):
    if set_id == "qd318":
        rows = [{"name": "A", "not_met": ["15", "17"]}, {"name": "B", "not_met": ["15"]},
                {"name": "C", "not_met": ["1", "2", "3"]}, {"name": "D"},
                {"name": "E", "not_met": ["3"], "unknown": ["19"], "target_year": 2026}]
    else:
        rows = [{"name": "A", "not_met": ["5", "7"]}, {"name": "B", "not_met": ["5"]},
                {"name": "C", "not_met": ["1", "2", "3"]}, {"name": "D"},
                {"name": "E", "not_met": ["3"], "unknown": ["9"], "target_year": 2026}]
    out = a.near_misses(make_dataset(rows, criteria_set=set_id), max_missing=max_missing)
    assert list(out.columns) == ["commune_id", "name", "district", "missing_count", "missing", "criteria_met",
                                 "target_year"]
    assert list(zip(out["commune_id"], out["missing_count"], out["missing"], strict=True)) == expected


# ---- scorecards -------------------------------------------------------------------------------------------
def _names_dataset():
    return make_dataset([
        {"name": "Dương Quang", "district": "Gia Lâm", "met": 19},
        {"name": "Hạ Linh", "id": "ha-linh-2", "district": "Gia Lâm", "not_met": ["15"]},
        {"name": "Đông Sơn", "district": "Gia Lâm", "not_met": ["15", "17"]},
        {"name": "Hà Linh", "district": "Đông Anh", "unknown": ["15"]},
        {"name": "Zô", "district": "Đông Anh", "not_met": ["1"], "unknown": ["19"]},
        {"name": "An Bình", "district": None, "met": 10},
    ])


@pytest.mark.parametrize("sort_by, ascending, names", [
    ("criteria_met", None, ["Dương Quang", "Hà Linh", "Hạ Linh", "Đông Sơn", "Zô", "An Bình"]),
    ("criteria_met", True, ["An Bình", "Đông Sơn", "Zô", "Hà Linh", "Hạ Linh", "Dương Quang"]),
    # folded: "an binh" < "dong son" < "duong quang" < "ha linh" == "ha linh" (then Hà before Hạ) < "zo"
    ("name", None, ["An Bình", "Đông Sơn", "Dương Quang", "Hà Linh", "Hạ Linh", "Zô"]),
    ("name", False, ["Zô", "Hạ Linh", "Hà Linh", "Dương Quang", "Đông Sơn", "An Bình"]),
    ("15", None, ["An Bình", "Đông Sơn", "Hạ Linh", "Hà Linh", "Dương Quang", "Zô"]),
    ("15", False, ["Dương Quang", "Zô", "Hà Linh", "An Bình", "Đông Sơn", "Hạ Linh"]),
])
def test_scorecard_sort_orders(sort_by, ascending, names):
    out = a.scorecard(_names_dataset(), sort_by=sort_by, ascending=ascending)
    assert out["name"].tolist() == names


def test_scorecard_shape_and_values():
    out = a.scorecard(_names_dataset())
    assert out.index.name == "commune_id"
    assert list(out.columns) == ["name", "district", "criteria_met", *ALL_19]
    assert out.loc["ha-linh", "15"] == "unknown"
    assert out.loc["dong-son", ["15", "17", "16"]].tolist() == ["not_met", "not_met", "met"]
    assert out.loc["zo", "criteria_met"] == 17
    with pytest.raises(ValueError):
        a.scorecard(_names_dataset(), sort_by="20")


def test_group_scorecard_by_district():
    ds = _names_dataset()
    out = a.group_scorecard(ds)
    assert list(out.columns[:5]) == ["group", "communes", "at_standard", "at_standard_share", "average_met"]
    assert list(out.columns[5:]) == ALL_19
    head = out[["group", "communes", "at_standard", "at_standard_share", "average_met", "15", "1", "19"]]
    expected = _frame({
        "group": pd.Series(["Đông Anh", "Gia Lâm", None], dtype=object),  # folded: "dong anh" < "gia lam"; none last
        "communes": [2, 3, 1],
        "at_standard": [0, 1, 0],
        "at_standard_share": [0.0, 1 / 3, 0.0],
        "average_met": [17.5, 18.0, 10.0],
        "15": [0.5, 1 / 3, 0.0],
        "1": [0.5, 1.0, 1.0],
        "19": [0.5, 1.0, 0.0],
    })
    assert_frame_equal(head, expected, check_dtype=False)
    assert a.group_scorecard(ds, "region")["communes"].tolist() == [6]
    with pytest.raises(ValueError):
        a.group_scorecard(ds, "province")


# ---- one commune ------------------------------------------------------------------------------------------
def test_commune_profile():
    profile = a.commune_profile(_health_dataset(), "son-hong")
    assert profile.commune["name"] == "Sơn Hồng"
    assert profile.commune["population"] == 8000.0
    assert profile.commune["code"] is None
    assert (profile.criteria_met, profile.at_standard, profile.target_year, profile.recognized_year) == (
        17, False, 2025, None)
    assert profile.missing == ("15", "17")
    crit = profile.criteria.set_index("criterion")
    assert list(profile.criteria.columns) == ["criterion", "name_vi", "name_en", "status", "source", "sheet", "cell",
                                              "blocking"]
    assert crit.loc["15", "blocking"] == ("15.1", "15.2", "15.3")
    assert crit.loc["17", "blocking"] == ("17.1", "17.12")
    assert crit.loc["1", "blocking"] == ()
    assert crit.loc["15", ["status", "source", "cell"]].tolist() == ["not_met", "sheet", "R5"]
    assert profile.indicators["indicator"].tolist() == ["15.1", "15.2", "15.3", "17.1", "17.12"]
    assert profile.indicators["criterion"].tolist() == ["15", "15", "15", "17", "17"]
    assert profile.indicators["verified"].tolist() == [False, True, True, None, None]
    assert profile.indicators["gap"].tolist() == pytest.approx([3.9, np.nan, 6.0, 30.0, 60.0], nan_ok=True)


def test_commune_profile_unknown_status_and_missing_commune():
    profile = a.commune_profile(_health_dataset(), "bac-son")
    crit = profile.criteria.set_index("criterion")
    assert crit.loc["15", ["status", "source", "sheet", "cell"]].tolist() == ["unknown", "none", None, None]
    assert profile.indicators.empty
    with pytest.raises(KeyError):
        a.commune_profile(_health_dataset(), "nowhere")


# ---- plans, pace and history ------------------------------------------------------------------------------
def test_target_year_table_fills_years_and_sums():
    ds = make_dataset([
        {"name": "A", "target_year": 2022, "recognized_year": 2022},
        {"name": "B", "target_year": 2022, "met": 18},
        {"name": "C", "target_year": 2025, "met": 12},
        {"name": "D", "recognized_year": 2019},
        {"name": "E", "met": 3},
    ])
    expected = pd.DataFrame(
        {"planned": [0, 0, 0, 2, 0, 0, 1], "recognized": [1, 0, 0, 1, 0, 0, 0],
         # D has no target but was recognised in 2019: the plan line counts it from then on
         "planned_cumulative": [1, 1, 1, 3, 3, 3, 4], "recognized_cumulative": [1, 1, 1, 2, 2, 2, 2]},
        index=pd.Index(range(2019, 2026), name="year"),
    )
    assert_frame_equal(a.target_year_table(ds), expected, check_dtype=False, check_index_type=False)
    empty = a.target_year_table(make_dataset([{"name": "A"}]))
    assert empty.empty and list(empty.columns) == list(expected.columns)


def _plans_dataset():
    return make_dataset([
        {"name": "Late", "target_year": 2023, "met": 17},
        {"name": "Later", "target_year": 2024, "met": 12},
        {"name": "Done", "target_year": 2024},
        {"name": "Due", "target_year": 2025, "met": 18},
        {"name": "Open", "met": 10},
    ])


@pytest.mark.parametrize("current_year, expected", [
    (2025, [("late", 2023, 2, 17, ("18", "19")), ("later", 2024, 1, 12, ("13", "14", "15", "16", "17", "18", "19"))]),
    (2024, [("late", 2023, 1, 17, ("18", "19"))]),
    (2023, []),
    (2026, [("late", 2023, 3, 17, ("18", "19")), ("later", 2024, 2, 12, ("13", "14", "15", "16", "17", "18", "19")),
            ("due", 2025, 1, 18, ("19",))]),
])
def test_overdue_communes(current_year, expected):
    out = a.overdue_communes(_plans_dataset(), current_year)
    assert list(out.columns) == ["commune_id", "name", "district", "target_year", "years_overdue", "criteria_met",
                                 "missing"]
    assert list(zip(out["commune_id"], out["target_year"], out["years_overdue"], out["criteria_met"], out["missing"],
                    strict=True)) == expected


def _history():
    """Three yearly snapshots; pace = criteria gained per year between a commune's first and last one."""
    spec = {  # name: (target_year, met 2022, met 2023, met 2024); None = absent that year
        "Alpha": (2026, 10, 12, 14),  # pace 2, 5 missing -> 2.5 years > 2 left: at risk, projected 2026.5
        "Bravo": (2025, 12, 15, 18),  # pace 3, 1 missing: fine
        "Charlie": (2027, 14, 14, 14),  # no progress: at risk
        "Delta": (2026, None, 10, 13),  # pace 3, 6 missing -> exactly 2 years: not at risk
        "Echo": (2026, None, None, 5),  # one snapshot: no pace, no judgement
        "Foxtrot": (2024, 17, 18, 19),  # at standard
        "Golf": (2023, 16, 17, 17),  # pace 0.5, 2 missing, target passed: at risk and overdue
        "Hotel": (None, 3, 3, 3),  # no target year
    }
    history = []
    for k, year in enumerate((2022, 2023, 2024)):
        rows = [{"name": name, "target_year": plan[0], "met": plan[1 + k]}
                for name, plan in spec.items() if plan[1 + k] is not None]
        history.append(make_dataset(rows, period=year))
    return history


def test_at_risk_communes_with_three_snapshots():
    out = a.at_risk_communes(_history(), current_year=2025)
    expected = _frame({
        "commune_id": ["golf", "alpha", "charlie"],
        "name": ["Golf", "Alpha", "Charlie"],
        "district": pd.Series([None, None, None], dtype=object),
        "target_year": pd.array([2023, 2026, 2027], dtype="Int64"),
        "criteria_met": [17, 14, 14],
        "pace": [0.5, 2.0, 0.0],
        "projected_year": [2028.0, 2026.5, np.nan],
        "missing_count": [2, 5, 5],
        "overdue": [True, False, False],
    })
    assert_frame_equal(out, expected, check_dtype=False)


def test_at_risk_skips_snapshots_it_cannot_place_in_time():
    undated = make_dataset([{"name": "A", "met": 3, "target_year": 2025}])
    assert a.at_risk_communes([undated, undated], 2025).empty
    assert a.at_risk_communes([], 2025).empty
    history = _history()
    other_set = make_dataset([{"name": "Alpha", "met": 1, "target_year": 2026}], criteria_set="qd51", period=2023)
    out = a.at_risk_communes([history[0], undated, other_set, history[1], history[2]], 2025)
    assert out["commune_id"].tolist() == ["golf", "alpha", "charlie"]


def test_at_risk_with_monthly_periods_uses_fractions_of_a_year():
    first = make_dataset([{"name": "A", "met": 14, "target_year": 2025}], period="2024-06")
    last = make_dataset([{"name": "A", "met": 15, "target_year": 2025}], period="2024-12")
    out = a.at_risk_communes([first, last], 2025)
    assert out["pace"].tolist() == [2.0]  # one criterion in half a year
    assert out["projected_year"].tolist() == [2026.0]  # 4 missing at 2 a year from 2024


def test_progress_trend():
    out = a.progress_trend(_history())
    expected = _frame({
        "period": ["2022", "2023", "2024"],
        "communes": [6, 7, 8],
        "at_standard": [0, 0, 1],
        "at_standard_share": [0.0, 0.0, 1 / 8],
        "average_met": [72 / 6, 89 / 7, 103 / 8],
        "under_floor": [4, 4, 5],
    })
    assert_frame_equal(out, expected, check_dtype=False)


def test_maintenance_watchlist():
    ds = make_dataset([
        {"name": "Kept", "recognized_year": 2020},
        {"name": "Slipped", "recognized_year": 2019, "not_met": ["17"]},
        {"name": "Fell", "recognized_year": 2021, "not_met": ["15", "17"], "unknown": ["19"]},
        {"name": "Never", "not_met": ["1"]},
    ])
    out = a.maintenance_watchlist(ds)
    expected = _frame({
        "commune_id": ["fell", "slipped"],
        "name": ["Fell", "Slipped"],
        "district": pd.Series([None, None], dtype=object),
        "recognized_year": pd.array([2021, 2019], dtype="Int64"),
        "missing": _tuples(("15", "17", "19"), ("17",)),
        "missing_count": [3, 1],
    })
    assert_frame_equal(out, expected, check_dtype=False)


# ---- comparing snapshots -------------------------------------------------------------------------------------
def _pair(new_period=2024):
    old = make_dataset([
        {"name": "Xuân", "district": "Gia Lâm", "not_met": ["15", "17"], "values": {"15.1": 91.1, "17.1": (80, 90)}},
        {"name": "Yên", "district": "Gia Lâm", "values": {"15.1": 96}},
        {"name": "Zô", "district": "Đông Anh", "unknown": ["19"], "values": {"15.1": 95}},
        {"name": "Gone", "district": "Đông Anh", "met": 5},
    ], period=2024)
    new = make_dataset([
        {"name": "Xuân", "district": "Gia Lâm", "values": {"15.1": 95.5, "17.1": (80, 90), "15.4": 60}},
        {"name": "Yên", "district": "Gia Lâm", "not_met": ["18"], "values": {"15.1": 96}},
        {"name": "Zô", "district": "Đông Anh", "not_met": ["19"], "values": {"15.1": 95}},
        {"name": "New", "district": "Đông Anh", "met": 7},
    ], period=new_period)
    return old, new


def test_compare_snapshots():
    old, new = _pair()
    cmp = a.compare_snapshots(old, new)
    assert (cmp.old_period, cmp.new_period) == ("2024", "2024")
    assert_frame_equal(cmp.changes, _frame({
        "commune_id": ["xuan", "xuan", "yen", "zo"],
        "name": ["Xuân", "Xuân", "Yên", "Zô"],
        "criterion": ["15", "17", "18", "19"],
        "old": ["not_met", "not_met", "met", "unknown"],
        "new": ["met", "met", "not_met", "not_met"],
        "change": ["gained", "gained", "lost", "other"],
    }))
    assert_frame_equal(cmp.newly_at_standard, _frame({"commune_id": ["xuan"], "name": ["Xuân"], "district": ["Gia Lâm"]}))
    assert_frame_equal(cmp.dropped_from_standard,
                       _frame({"commune_id": ["yen"], "name": ["Yên"], "district": ["Gia Lâm"]}))
    assert_frame_equal(cmp.movers, _frame({
        "commune_id": ["xuan", "yen"], "name": ["Xuân", "Yên"], "old_met": [17, 19], "new_met": [19, 18],
        "delta": [2, -1]}), check_dtype=False)
    # same period: a corrected re-issue, so changed values are listed (15.4 is new in the second issue)
    assert_frame_equal(cmp.revised_values, _frame({
        "commune_id": ["xuan", "xuan"], "name": ["Xuân", "Xuân"], "indicator": ["15.1", "15.4"],
        "old": [91.1, np.nan], "new": [95.5, 60.0]}))
    assert cmp.added_communes == ("new",)
    assert cmp.removed_communes == ("gone",)


def test_compare_snapshots_of_different_periods_has_no_revisions():
    old, new = _pair(new_period=2025)
    cmp = a.compare_snapshots(old, new)
    assert cmp.new_period == "2025"
    assert cmp.revised_values.empty
    assert list(cmp.revised_values.columns) == ["commune_id", "name", "indicator", "old", "new"]
    assert len(cmp.changes) == 4


def test_movers_sorted_by_size_of_change():
    old = make_dataset(_met_rows([10, 10, 10, 10]))
    new = make_dataset(_met_rows([11, 7, 10, 14]))
    movers = a.compare_snapshots(old, new).movers
    assert list(zip(movers["commune_id"], movers["delta"], strict=True)) == [("c03", 4), ("c01", -3), ("c00", 1)]


# ---- filtering ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("districts, regions, ids", [
    (None, None, ["dong-son", "hoa-binh", "an-phu", "xa-le"]),
    ([], [], ["dong-son", "hoa-binh", "an-phu", "xa-le"]),
    (["Gia Lâm"], None, ["dong-son", "hoa-binh"]),
    ([unicodedata.normalize("NFD", "gia lâm"), "Đông Anh"], None, ["dong-son", "hoa-binh", "an-phu"]),
    (None, ["dbsh"], ["dong-son", "an-phu"]),
    (["Gia Lâm"], ["dbsh"], ["dong-son"]),
    (["Nowhere"], None, []),
])
def test_filter_dataset(districts, regions, ids):
    ds = make_dataset([
        {"name": "Đông Sơn", "district": "Gia Lâm", "region": "dbsh", "values": {"15.1": 96}},
        {"name": "Hòa Bình", "district": "Gia Lâm", "region": "tdmnpb"},
        {"name": "An Phú", "district": "Đông Anh", "region": "dbsh", "values": {"15.1": 90}},
        {"name": "Xa Lề", "district": None},
    ])
    out = a.filter_dataset(ds, districts=districts, regions=regions)
    assert list(out.communes.index) == ids
    assert set(out.criteria["commune_id"]) == set(ids)
    assert set(out.indicators["commune_id"]) <= set(ids)
    assert a.district_progress(out).communes == len(ids)
    assert a.filter_dataset(ds, districts=districts, regions=regions) is out  # same choice, same object


# ---- purity and a cross-check against a naive computation -----------------------------------------------------
def test_functions_do_not_mutate_their_input():
    ds = _health_dataset()
    before = (ds.communes.copy(), ds.criteria.copy(), ds.indicators.copy())
    a.district_progress(ds), a.criteria_buckets(ds), a.lagging_criteria(ds), a.indicator_spread(ds, "15")
    a.lagging_communes(ds, "15"), a.lagging_communes(ds, "15.1", True), a.near_misses(ds), a.scorecard(ds, "name")
    a.group_scorecard(ds), a.commune_profile(ds, "son-hong"), a.target_year_table(ds), a.overdue_communes(ds, 2030)
    a.maintenance_watchlist(ds), a.compare_snapshots(ds, ds), a.filter_dataset(ds, ["Hữu Lũng"])
    assert_frame_equal(ds.communes, before[0])
    assert_frame_equal(ds.criteria, before[1])
    assert_frame_equal(ds.indicators, before[2])


def test_vectorised_results_match_a_naive_loop_on_random_data():
    rng = np.random.default_rng(7)
    marks = rng.choice(list("10?"), size=(60, 19), p=[0.8, 0.15, 0.05])
    rows = [{"name": f"Xã {rng.choice(['Hà', 'Hạ', 'Đông', 'Dương', 'An', 'Ân'])} {i}", "marks": "".join(m),
             "recognized_year": 2020 if i % 3 == 0 else None, "target_year": int(rng.integers(2020, 2028))}
            for i, m in enumerate(marks)]
    ds = make_dataset(rows)
    met = {commune_id_for(r["name"]): r["marks"].count("1") for r in rows}
    missing = {commune_id_for(r["name"]): tuple(str(j + 1) for j, m in enumerate(r["marks"]) if m != "1") for r in rows}
    sc = a.scorecard(ds)
    assert sc["criteria_met"].to_dict() == met
    assert sc["criteria_met"].is_monotonic_decreasing
    near = a.near_misses(ds, max_missing=3)
    assert {cid: m for cid, m in zip(near["commune_id"], near["missing"], strict=True)} == {
        cid: m for cid, m in missing.items() if 1 <= len(m) <= 3}
    watch = a.maintenance_watchlist(ds)
    assert set(watch["commune_id"]) == {commune_id_for(r["name"]) for r in rows
                                        if r["recognized_year"] and r["marks"].count("1") < 19}
    overdue = a.overdue_communes(ds, 2025)
    assert dict(zip(overdue["commune_id"], overdue["missing"], strict=True)) == {
        commune_id_for(r["name"]): missing[commune_id_for(r["name"])] for r in rows
        if r["target_year"] < 2025 and missing[commune_id_for(r["name"])]}
    completion = a.criteria_completion(ds).set_index("criterion")
    for j, number in enumerate(ALL_19):
        column = marks[:, j]
        assert completion.loc[number, ["met", "not_met", "unknown"]].tolist() == [
            int((column == "1").sum()), int((column == "0").sum()), int((column == "?").sum())]


# ---- the 10-criteria set (QĐ 51/2025) ------------------------------------------------------------------------
def test_ten_criteria_set_equivalents():
    ds = make_dataset([
        {"name": "Nhóm Một", "district": "A", "region": "nhom1", "target_year": 2027, "not_met": ["5"]},
        {"name": "Nhóm Hai", "district": "A", "region": "nhom2", "target_year": 2026, "met": 7},
        {"name": "Nhóm Ba", "district": "B", "region": "nhom3", "recognized_year": 2026, "unknown": ["10"]},
        {"name": "Đạt", "district": "B", "region": "nhom1"},
    ], criteria_set="qd51", period=2026)
    ten = [str(i) for i in range(1, 11)]
    assert list(a.scorecard(ds).columns) == ["name", "district", "criteria_met", *ten]
    assert a.scorecard(ds)["name"].tolist() == ["Đạt", "Nhóm Ba", "Nhóm Một", "Nhóm Hai"]
    assert a.district_progress(ds) == a.Progress(4, 1, 0.25, 35 / 4, 10, 1, 8, 1)
    assert a.criteria_buckets(ds)["communes"].tolist() == [1, 2, 1, 0, 0]
    assert a.lagging_criteria(ds)["criterion"].tolist()[:4] == ["5", "8", "9", "10"]  # one each: by number
    lagging = a.lagging_communes(ds, "5")
    assert lagging["commune_id"].tolist() == ["nhom-mot"]
    assert lagging["blocking"].tolist() == [()]
    assert a.overdue_communes(ds, 2027)["missing"].tolist() == [("8", "9", "10")]
    assert a.maintenance_watchlist(ds)["missing"].tolist() == [("10",)]
    groups = a.group_scorecard(ds, "region")
    assert groups["group"].tolist() == ["nhom1", "nhom2", "nhom3"]
    assert groups["at_standard"].tolist() == [1, 0, 0]
    assert list(groups.columns[5:]) == ten


def test_derived_arrays_are_cached_per_dataset_and_freed_with_it():
    import gc

    gc.collect()
    caches = (a._CODES, a._VALUES, a._VALUE_PARTS, a._NAME_RANKS, a._TEXTS)
    before = tuple(len(c) for c in caches)
    ds = _health_dataset()
    ds.communes["district"] = ds.communes["district"].astype(object)  # output text converted once (_TEXTS)
    a.lagging_communes(ds, "15")  # status codes, criterion 15's value rows only, name order, output names
    assert tuple(len(c) for c in caches) == tuple(n + d for n, d in zip(before, (1, 0, 1, 1, 1), strict=True))
    part = a._values_where(ds, "criterion", "15")
    assert a._values_where(ds, "criterion", "15") is part  # a second call reuses the rows
    a.compare_snapshots(ds, ds)  # every value row
    assert len(a._VALUES) == before[1] + 1
    assert a._values_where(ds, "criterion", "15") is a._values(ds)  # the whole set serves every part
    first = a._codes(ds)
    assert a._codes(ds) is first  # a second call reuses the arrays
    del ds, first, part
    gc.collect()
    assert tuple(len(c) for c in caches) == before

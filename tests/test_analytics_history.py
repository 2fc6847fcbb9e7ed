"""ntm_data.analytics.indicator_summary and commune_history: table-driven cases on factory datasets."""
from __future__ import annotations

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from ntm_data import analytics as a
from tests.factories import make_dataset


def _spread(rows: list[dict], criterion: str = "15") -> pd.DataFrame:
    return a.indicator_spread(make_dataset(rows, period=2025), criterion)


@pytest.mark.parametrize("values, expected", [
    # 15.1 values -> (thresholds, min, median, max, met, not_met)
    ([91.1, 97.0, 95.0], ((95.0,), 91.1, 95.0, 97.0, 2, 1)),
    ([80.0], ((95.0,), 80.0, 80.0, 80.0, 0, 1)),
    ([95.0, 99.5], ((95.0,), 95.0, 97.25, 99.5, 2, 0)),
])
def test_indicator_summary_counts_and_spread(values, expected):
    spread = _spread([{"name": f"X{i}", "values": {"15.1": v}} for i, v in enumerate(values)])
    out = a.indicator_summary(spread)
    row = out.set_index("indicator").loc["15.1"]
    thresholds, low, median, high, met, not_met = expected
    assert (row["thresholds"], row["min"], row["median"], row["max"]) == (thresholds, low, median, high)
    assert (row["met"], row["not_met"], row["unknown"]) == (met, not_met, 0)
    assert row["unit"] == "%"
    assert out["verified"].tolist() == [False]  # the catalogue flags 15.1's threshold as not checked against the legal text


def test_indicator_summary_keeps_catalogue_order_and_columns():
    spread = _spread([{"name": "A", "values": {"15.2": 1, "15.1": 96.0}}, {"name": "B", "values": {"15.1": 90.0}}])
    out = a.indicator_summary(spread)
    assert list(out.columns) == ["indicator", "name_vi", "name_en", "unit", "thresholds", "verified", "min",
                                 "median", "max", "met", "not_met", "unknown"]
    assert list(out["indicator"]) == ["15.1", "15.2"]
    assert list(out["met"] + out["not_met"] + out["unknown"]) == [2, 1]


def test_indicator_summary_of_nothing_is_an_empty_frame_with_the_columns():
    out = a.indicator_summary(_spread([{"name": "A"}]))
    assert out.empty and "thresholds" in out.columns and "median" in out.columns


def _history():
    return [
        make_dataset([{"name": "Vân Nham", "met": 15}, {"name": "Hà Linh"}], period=2023),
        make_dataset([{"name": "Hà Linh"}], period=2024),  # Vân Nham absent from this snapshot
        make_dataset([{"name": "Vân Nham", "not_met": ["17"], "unknown": ["19"]}, {"name": "Hà Linh"}], period=2025),
    ]


@pytest.mark.parametrize("commune_id, expected", [
    ("van-nham", [("2023", 15, False, ("16", "17", "18", "19")), ("2025", 17, False, ("17", "19"))]),
    ("ha-linh", [("2023", 19, True, ()), ("2024", 19, True, ()), ("2025", 19, True, ())]),
    ("nowhere", []),
])
def test_commune_history(commune_id, expected):
    out = a.commune_history(_history(), commune_id)
    wanted = pd.DataFrame(expected, columns=["period", "criteria_met", "at_standard", "missing"])
    wanted = wanted.astype({"period": object, "criteria_met": int, "at_standard": bool})
    assert_frame_equal(out, wanted)


def test_commune_history_names_an_undated_snapshot_by_its_source():
    ds = make_dataset([{"name": "Vân Nham"}])
    assert list(a.commune_history([ds], "van-nham")["period"]) == [ds.source_name]

"""Evaluation: sheet marks first, then sub-indicator values against thresholds, never silently not_met."""
import numpy as np
import pandas as pd
import pytest

from ntm_data.catalogue import get_criteria_set
from ntm_data.evaluate import evaluate
from ntm_data.model import CRITERIA_COLUMNS, INDICATOR_COLUMNS

CS = get_criteria_set("qd318")
# Criterion 15 under QĐ 318: 15.1 >= 95 (unverified), 15.2 yes/no, 15.3 <= 24 for tdmnpb (lower is
# better, regional), 15.4 >= 50 for tdmnpb. Criterion 10: income >= 39 for tdmnpb from 2022.
GOOD_15 = {"15.1": 96.0, "15.2": 1.0, "15.3": 20.0, "15.4": 60.0}


def _communes(profiles, reported=None):
    ids = list(profiles)
    return pd.DataFrame({
        "profile": [profiles[i] for i in ids],
        "sheet": "TH",
        "reported_met": [np.nan if reported is None else reported.get(i, np.nan) for i in ids],
        "reported_met_cell": [f"W{n}" for n in range(2, len(ids) + 2)],
        "mark_range": [f"D{n}:V{n}" for n in range(2, len(ids) + 2)],
    }, index=pd.Index(ids, name="commune_id"))


def _values(rows):
    """rows: (commune, indicator, value, mark or None, cell)."""
    return pd.DataFrame([
        {"commune_id": c, "indicator": i, "criterion": i.split(".")[0], "value": v, "mark": m, "sheet": "TH",
         "cell": cell, "mark_cell": None if m is None else f"M{cell}"}
        for c, i, v, m, cell in rows
    ], columns=["commune_id", "indicator", "criterion", "value", "mark", "sheet", "cell", "mark_cell"])


def _marks(rows):
    return pd.DataFrame([{"commune_id": c, "criterion": k, "mark": m, "raw": m, "sheet": "TH", "cell": cell}
                         for c, k, m, cell in rows], columns=["commune_id", "criterion", "mark", "raw", "sheet", "cell"])


def _value_rows(commune, values, row):
    return [(commune, code, v, None, f"{chr(70 + k)}{row}") for k, (code, v) in enumerate(values.items())]


@pytest.mark.parametrize(("profile", "values", "status", "source"), [
    ("tdmnpb", GOOD_15, "met", "derived"),
    ("tdmnpb", {**GOOD_15, "15.3": 30.0}, "not_met", "derived"),  # stunting above the ceiling
    ("tdmnpb", {**GOOD_15, "15.1": 90.0}, "not_met", "derived"),  # fails an unverified threshold too
    ("tdmnpb", {**GOOD_15, "15.2": 0.0}, "not_met", "derived"),
    ("tdmnpb", {k: v for k, v in GOOD_15.items() if k != "15.4"}, "unknown", "none"),  # a value missing
    ("tdmnpb", {**GOOD_15, "15.4": np.nan}, "unknown", "none"),  # unreadable value
    (None, GOOD_15, "unknown", "none"),  # no profile: 15.3 has only regional thresholds
    ("dbkk", GOOD_15, "met", "derived"),  # special communes use the tdmnpb thresholds
    ("dbsh", {**GOOD_15, "15.3": 20.0, "15.4": 75.0}, "not_met", "derived"),  # dbsh ceiling 16.5
    (None, {"15.1": 90.0}, "not_met", "derived"),  # one failure is enough, even with gaps
])
def test_derived_criterion_status(profile, values, status, source):
    communes = _communes({"a": profile})
    ev = evaluate(CS, communes, _marks([]), _values(_value_rows("a", values, 5)), 2023)
    row = ev.criteria.set_index(["commune_id", "criterion"]).loc[("a", "15")]
    assert (row["status"], row["source"]) == (status, source)
    assert row["cell"] is None


def test_every_commune_gets_every_criterion_and_columns_are_exact():
    ev = evaluate(CS, _communes({"a": None, "b": None}), _marks([]), _values([]), None)
    assert list(ev.criteria.columns) == CRITERIA_COLUMNS
    assert list(ev.indicators.columns) == INDICATOR_COLUMNS
    assert len(ev.criteria) == 2 * 19
    assert set(ev.criteria["status"]) == {"unknown"} and set(ev.criteria["source"]) == {"none"}
    assert ev.criteria["criterion"].tolist()[:3] == ["1", "2", "3"]


def test_criterion_without_catalogued_indicators_stays_unknown():
    values = _values([("a", "1.1", 100.0, None, "F2")])  # 1.1 is not in the catalogue
    ev = evaluate(CS, _communes({"a": "tdmnpb"}), _marks([]), values, 2023)
    assert ev.criteria.set_index(["commune_id", "criterion"]).at[("a", "1"), "status"] == "unknown"
    assert ev.indicators.iloc[0]["status"] == "unknown" and np.isnan(ev.indicators.iloc[0]["threshold"])


def test_sheet_mark_wins_and_contradiction_names_both_cells():
    values = _values(_value_rows("a", {**GOOD_15, "15.3": 30.0}, 5))
    marks = _marks([("a", "15", "met", "R5")])
    ev = evaluate(CS, _communes({"a": "tdmnpb"}), marks, values, 2023)
    row = ev.criteria.set_index(["commune_id", "criterion"]).loc[("a", "15")]
    assert (row["status"], row["source"], row["cell"]) == ("met", "sheet", "R5")
    (issue,) = ev.issues
    assert issue.code == "mark_met_but_value_fails" and issue.cell == "R5"
    assert issue.message("vi") == ("Ô R5: tiêu chí 15 ghi “Đạt” nhưng chỉ tiêu 15.3 ở ô H5 là 30, chưa đạt "
                                   "ngưỡng 24; kiểm tra lại giá trị hoặc kết quả đánh giá.")


def test_contradiction_with_unverified_threshold_says_so():
    values = _values(_value_rows("a", {**GOOD_15, "15.1": 90.5}, 5))
    ev = evaluate(CS, _communes({"a": "tdmnpb"}), _marks([("a", "15", "met", "R5")]), values, 2023)
    (issue,) = ev.issues
    assert issue.code == "mark_met_but_value_fails_unverified"
    assert "F5" in issue.message("vi") and "90,5" in issue.message("vi") and "not yet verified" in issue.message("en")


def test_not_met_mark_while_all_values_pass_warns():
    values = _values(_value_rows("a", GOOD_15, 5))
    ev = evaluate(CS, _communes({"a": "tdmnpb"}), _marks([("a", "15", "not_met", "R5")]), values, 2023)
    assert ev.criteria.set_index(["commune_id", "criterion"]).at[("a", "15"), "status"] == "not_met"
    (issue,) = ev.issues
    assert issue.code == "mark_not_met_but_values_pass" and issue.cell == "R5"
    assert "F5, G5, H5, I5" in issue.message("vi")


def test_unreadable_mark_falls_back_to_values():
    values = _values(_value_rows("a", GOOD_15, 5))
    ev = evaluate(CS, _communes({"a": "tdmnpb"}), _marks([("a", "15", None, "R5")]), values, 2023)
    assert ev.criteria.set_index(["commune_id", "criterion"]).at[("a", "15"), "source"] == "derived"


# QĐ 318's 2022 income figure judges 2022 only: 2024 has no known threshold, so the value stays unknown.
@pytest.mark.parametrize(("year", "status"), [(2021, "unknown"), (2022, "met"), (2024, "unknown"), (None, "met")])
def test_yearly_threshold(year, status):
    values = _values([("a", "10", 40.0, None, "F5")])
    ev = evaluate(CS, _communes({"a": "tdmnpb"}), _marks([]), values, year)
    assert ev.indicators.iloc[0]["status"] == status
    assert ev.criteria.set_index(["commune_id", "criterion"]).at[("a", "10"), "status"] == status


def test_indicator_mark_beats_threshold_and_disagreement_warns():
    values = _values([("a", "15.1", 90.0, "met", "F5")])
    ev = evaluate(CS, _communes({"a": "tdmnpb"}), _marks([]), values, 2023)
    ind = ev.indicators.iloc[0]
    assert (ind["status"], ind["threshold"], ind["value"]) == ("met", 95.0, 90.0)
    (issue,) = ev.issues
    assert issue.code == "indicator_mark_contradicts_value" and issue.cell == "MF5"


def test_reported_count_mismatch_names_cell_and_range():
    marks = _marks([("a", str(n), "met", f"X{n}") for n in range(1, 18)] + [("a", "18", "not_met", "X18")]
                   + [("b", str(n), "met", f"Y{n}") for n in range(1, 20)])
    ev = evaluate(CS, _communes({"a": None, "b": None}, reported={"a": 18, "b": 19}), marks, _values([]), None)
    (issue,) = ev.issues
    assert issue.code == "criteria_met_mismatch" and issue.cell == "W2"
    assert "D2:V2" in issue.message("vi") and "18" in issue.message("vi") and "17" in issue.message("vi")


def test_ten_thousand_communes_evaluate_quickly():
    import time

    n = 10_000
    ids = [f"c{i}" for i in range(n)]
    communes = _communes(dict.fromkeys(ids, "tdmnpb"))
    marks = pd.DataFrame({
        "commune_id": np.repeat(ids, 19), "criterion": np.tile([str(k) for k in range(1, 20)], n),
        "mark": np.where(np.arange(n * 19) % 7 == 0, "not_met", "met"), "raw": "Đạt", "sheet": "TH", "cell": "D5",
    })
    values = pd.DataFrame({
        "commune_id": np.repeat(ids, 4), "indicator": np.tile(list(GOOD_15), n),
        "criterion": "15", "value": np.tile(list(GOOD_15.values()), n), "mark": None, "sheet": "TH",
        "cell": "F5", "mark_cell": None,
    })
    start = time.perf_counter()
    ev = evaluate(CS, communes, marks, values, 2023)
    assert time.perf_counter() - start < 3.0  # about 0.3 s on an idle 2-core machine
    assert len(ev.criteria) == n * 19


# --- dtype-agnostic inputs and categorical outputs -------------------------------------------------------

def _messy():
    """Three communes; marks with a duplicate (first wins), an unreadable mark, an explicit unknown and a
    commune that is not in the table; values with a sheet mark that contradicts its value, a value read
    twice (first counts), a sub-indicator outside the catalogue and a stray commune id."""
    communes = _communes({"a": "tdmnpb", "b": "dbsh", "c": None}, reported={"a": 3, "b": 1})
    marks = _marks([
        ("a", "1", "met", "D5"), ("a", "2", "met", "E5"), ("a", "2", "not_met", "E6"), ("a", "3", "met", "F5"),
        ("a", "15", "met", "R5"), ("b", "1", None, "D6"), ("b", "15", "not_met", "R6"),
        ("c", "4", "unknown", "G7"), ("zz", "1", "met", "D9"),
    ])
    values = _values(_value_rows("a", {**GOOD_15, "15.3": 30.0}, 5)
                     + _value_rows("b", {**GOOD_15, "15.3": 15.0, "15.4": 75.0}, 6)
                     + [("c", "15.1", 90.0, None, "F7"), ("c", "15.1", 99.0, None, "F8"),
                        ("c", "1.1", 1.0, "not_met", "K7"), ("zz", "15.1", 50.0, "met", "F9")])
    return communes, marks, values


def _as(frame, dtype):
    """frame with every text column converted to `dtype` ("object", "str" or "category")."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column].dtype):
            out[column] = out[column].astype(dtype) if dtype != "object" else out[column].astype(object)
    return out


def _plain(frame):
    values = frame.astype(object)
    return values.where(values.notna(), None).to_numpy().tolist()


def _issues(ev):
    return [(i.code, i.sheet, i.cell, dict(i.params)) for i in ev.issues]


@pytest.mark.parametrize("dtype", ["object", "str", "category"])
def test_text_columns_of_any_dtype_give_the_same_evaluation(dtype):
    communes, marks, values = _messy()
    expected = evaluate(CS, communes, marks, values, 2023)
    got = evaluate(CS, _as(communes, dtype), _as(marks, dtype), _as(values, dtype), 2023)
    assert _plain(got.criteria) == _plain(expected.criteria)
    assert _plain(got.indicators) == _plain(expected.indicators)
    assert _issues(got) == _issues(expected)


def test_messy_marks_and_values_are_judged_as_read():
    communes, marks, values = _messy()
    ev = evaluate(CS, communes, marks, values, 2023)
    crit = ev.criteria.set_index(["commune_id", "criterion"])
    assert tuple(crit.loc[("a", "2"), ["status", "source", "cell"]]) == ("met", "sheet", "E5")  # first mark wins
    assert tuple(crit.loc[("b", "1"), ["status", "source", "cell"]]) == ("unknown", "none", "D6")  # unreadable
    assert tuple(crit.loc[("c", "4"), ["status", "source", "cell"]]) == ("unknown", "none", "G7")  # "Chưa rõ"
    assert tuple(crit.loc[("c", "15"), ["status", "source"]]) == ("not_met", "derived")  # 15.1 read twice: first
    assert tuple(crit.loc[("c", "1"), ["status", "source"]]) == ("not_met", "derived")  # 1.1 marked Chưa đạt
    assert crit.loc[("b", "15"), "status"] == "not_met"
    ind = ev.indicators
    assert ind["commune_id"].tolist() == ["a"] * 4 + ["b"] * 4 + ["c"] * 3 + ["zz"]  # a stray id keeps its value
    assert ind["status"].tolist()[8:] == ["not_met", "met", "not_met", "met"]
    assert [(code, cell) for code, _, cell, _ in _issues(ev)] == [
        ("indicator_mark_contradicts_value", "MF9"),  # the stray commune's own mark still checked
        ("mark_met_but_value_fails", "R5"),
        ("mark_not_met_but_values_pass", "R6"),
        ("criteria_met_mismatch", "W2"),  # a: 3 reported, 4 Đạt marks read on its row
        ("criteria_met_mismatch", "W3"),  # b: 1 reported, none read
    ]
    assert _issues(ev)[2][3]["value_cells"] == "F6, G6, H6, I6"
    assert _issues(ev)[3][3]["counted"] == 4


def test_frames_are_categorical_with_commune_positions_as_codes():
    communes, marks, values = _messy()
    ev = evaluate(CS, communes, marks, values, 2023)
    ids = ev.criteria["commune_id"]
    assert isinstance(ids.dtype, pd.CategoricalDtype) and list(ids.cat.categories) == ["a", "b", "c"]
    assert ids.cat.codes.tolist() == np.repeat([0, 1, 2], 19).tolist()
    assert list(ev.criteria["status"].cat.categories) == ["met", "not_met", "unknown"]
    assert ev.indicators["commune_id"].cat.codes.tolist()[:11] == [0] * 4 + [1] * 4 + [2] * 3
    assert ev.criteria["criterion"].astype(str).tolist()[:3] == ["1", "2", "3"]
    assert ev.criteria.index.equals(pd.RangeIndex(len(ev.criteria)))


def _column_of(kind, n):
    """Columns shaped as readers leave them: runs (one commune's marks side by side), a period (one
    table's ids down each value column), a constant, scattered values, with gaps."""
    ids = [f"x{i % 7}" for i in range(n)]
    shared = [f"c{j}" for j in range(9)]  # one object per value, repeated (as readers repeat an id)
    copies = ["".join(["c", str(j % 2)]) for j in range(n // 5 + 1)]  # equal values, distinct objects
    return {
        "shared_period": [shared[i % 9] for i in range(n)],
        "shared_runs": [shared[(i // 4) % 9] for i in range(n)],
        "copies_in_runs": [copies[i // 5] for i in range(n)],
        "runs": [f"c{i // 5}" for i in range(n)],
        "period": [f"c{i % 9}" for i in range(n)],
        "constant": ["TH"] * n,
        "scattered": ids[::-1],
        "gaps": [None if i % 3 else f"m{i % 2}" for i in range(n)],
        "broken_period": [f"c{i % 9}" for i in range(n - 1)] + ["other"],
        "nan_runs": [np.nan] * (n // 2) + ["a"] * (n - n // 2),
    }[kind]


@pytest.mark.parametrize("kind", ["runs", "period", "constant", "scattered", "gaps", "broken_period", "nan_runs",
                                  "shared_period", "shared_runs", "copies_in_runs"])
@pytest.mark.parametrize("dtype", ["object", "str", "category"])
@pytest.mark.parametrize("n", [0, 1, 5, 6000])
def test_codes_are_exact_whatever_the_shape_and_dtype(kind, dtype, n):
    from ntm_data.codes import codes as _factorize

    raw = _column_of(kind, n)
    column = pd.Series(raw, dtype=object).astype(dtype) if dtype != "object" else pd.Series(raw, dtype=object)
    codes, uniques = _factorize(column)
    decoded = [None if c < 0 else uniques[c] for c in codes]
    assert decoded == [None if pd.isna(v) else v for v in raw]
    used = sorted(set(codes.tolist()) - {-1})
    assert len({uniques[c] for c in used}) == len(used)  # one code per distinct value


def test_no_communes_and_stray_rows_only():
    communes = _communes({})
    marks = _marks([("zz", "1", "met", "D9")])
    ev = evaluate(CS, communes, marks, _values([("zz", "15.1", 99.0, None, "F9")]), 2023)
    assert ev.criteria.empty and list(ev.criteria.columns) == CRITERIA_COLUMNS
    assert ev.indicators["commune_id"].tolist() == ["zz"] and ev.indicators["status"].tolist() == ["met"]

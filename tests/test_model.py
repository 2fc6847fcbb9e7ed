"""Dataset's derived views: status codes, the status matrix, criteria met and indicator positions, the same
whether the frames are the evaluator's (categorical, grid order) or built by hand (object, any order)."""
import numpy as np
import pandas as pd
import pytest

from ntm_data.catalogue import get_criteria_set
from ntm_data.model import STATUS_LABELS, Dataset

CS = get_criteria_set("qd51")  # 10 criteria
NUMBERS = [c.number for c in CS.criteria]
IDS = ["a", "b", "c"]
# a meets everything, b fails 2 and does not know 3, c meets 1 and 2 only.
STATUS = {"a": ["met"] * 10, "b": ["met", "not_met", "unknown", *["met"] * 7], "c": ["met", "met", *["unknown"] * 8]}


def _dataset(dtype: str, shuffle: bool) -> Dataset:
    rows = [(cid, n, STATUS[cid][j]) for cid in IDS for j, n in enumerate(NUMBERS)]
    criteria = pd.DataFrame(rows, columns=["commune_id", "criterion", "status"]).assign(source="sheet", sheet="TH",
                                                                                         cell="D5")
    if dtype == "category":
        criteria = criteria.astype({"commune_id": pd.CategoricalDtype(IDS), "criterion": pd.CategoricalDtype(NUMBERS),
                                    "status": pd.CategoricalDtype(list(STATUS_LABELS))})
    else:
        criteria = criteria.astype({c: dtype for c in ("commune_id", "criterion", "status")})
    if shuffle:
        criteria = criteria.sample(frac=1.0, random_state=3)
    indicators = pd.DataFrame({"commune_id": ["c", "a", "zz", "c"], "indicator": "1.1", "criterion": "1", "value": 1.0,
                               "status": "met", "threshold": np.nan, "sheet": "TH", "cell": "F5"})
    if dtype == "category":
        indicators["commune_id"] = pd.Categorical(indicators["commune_id"], categories=[*IDS, "zz"])
    communes = pd.DataFrame({"name": ["A", "B", "C"]}, index=pd.Index(IDS, name="commune_id"))
    return Dataset(criteria_set=CS, communes=communes, criteria=criteria, indicators=indicators)


@pytest.mark.parametrize("dtype", ["object", "str", "category"])
@pytest.mark.parametrize("shuffle", [False, True])
def test_status_views_whatever_the_frames_dtype_and_order(dtype, shuffle):
    ds = _dataset(dtype, shuffle)
    assert ds.status_matrix.to_numpy().tolist() == [STATUS[c] for c in IDS]
    assert list(ds.status_matrix.columns) == NUMBERS and list(ds.status_matrix.index) == IDS
    assert ds.status_codes.dtype == np.int8 and ds.status_codes[1, :3].tolist() == [0, 1, 2]
    assert not ds.status_codes.flags.writeable
    assert ds.criteria_met.tolist() == [10, 8, 2] and ds.at_standard.tolist() == [True, False, False]
    assert ds.indicator_positions.tolist() == [2, 0, -1, 2]


@pytest.mark.parametrize("dtype", ["object", "category"])
def test_subset_keeps_views_right(dtype):
    sub = _dataset(dtype, False).subset(["c", "a"])
    assert list(sub.communes.index) == ["a", "c"]
    assert sub.status_matrix.to_numpy().tolist() == [STATUS["a"], STATUS["c"]]
    assert sub.criteria_met.tolist() == [10, 2]
    assert sub.indicator_positions.tolist() == [1, 0, 1]


def test_a_missing_criterion_row_reads_unknown():
    ds = _dataset("object", False)
    ds = Dataset(criteria_set=CS, communes=ds.communes, criteria=ds.criteria.iloc[1:], indicators=ds.indicators)
    assert ds.status_matrix.iat[0, 0] == "unknown" and ds.criteria_met.tolist() == [9, 8, 2]

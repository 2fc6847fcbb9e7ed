"""ntm_data.analytics gives the same results whatever the frames' text dtypes (object, "str", category) and
row order (the evaluator's grid order, sub-indicator blocks, shuffled rows): the fast paths equal the general one."""
from __future__ import annotations

import dataclasses
import functools
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from ntm_data import analytics as a
from ntm_data.model import Dataset
from ntm_data.text import fold
from tests.factories import make_dataset

NAMES = ["Sơn Hồng", "Ân Thi", "Vân Nham", "Đức Thuận", "An Hải", "Ấn Hải", "Hoà An", "Hòa An", "Yên Lãng", "Bắc Sơn",
         "Tân Lập", "Tân Lập"]  # accents that fold alike, and one name twice
CODES = ("15.1", "15.4", "17.1", "17.7")
TEXT_DTYPES = ["object", "str", "category"]


@functools.cache
def _base(n: int = 80, seed: int = 0, period: int = 2024) -> Dataset:
    """n communes with random marks and four sub-indicator values each, value rows in sub-indicator blocks
    (as a values sheet is read: one column after another), so the row-run and repeated-block paths run."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        marks = "".join(rng.choice(list("1110?"), size=19))
        rows.append({
            "id": f"c{(i * 37) % n:04d}",  # ids not in name order
            "name": f"{NAMES[i % len(NAMES)]} {i // len(NAMES)}" if i % 5 else NAMES[i % len(NAMES)],
            "district": f"Huyện {i % 7}" if i % 11 else None, "region": ["tdmnpb", "dbsh"][i % 2],
            "population": float(1000 + 37 * i), "households": float(300 + 11 * i),
            "target_year": 2023 + i % 4 if i % 9 else None, "recognized_year": 2022 if i % 13 == 0 else None,
            "marks": marks,
            "values": {"15.1": round(float(rng.uniform(80, 100)), 1), "15.4": round(float(rng.uniform(50, 90)), 1),
                       "17.1": (round(float(rng.uniform(60, 100)), 1), 90), "17.7": float(rng.integers(0, 2))},
        })
    ds = make_dataset(rows, period=period, layout="values")
    ind = ds.indicators.sort_values("indicator", kind="stable").reset_index(drop=True)
    return dataclasses.replace(ds, indicators=ind)


def _shuffled(ds: Dataset) -> Dataset:
    """The same content in another row order: criteria shuffled, value rows commune by commune."""
    criteria = ds.criteria.sample(frac=1.0, random_state=3).reset_index(drop=True)
    order = np.lexsort((ds.indicators["indicator"].to_numpy(dtype=object),
                        ds.communes.index.get_indexer(ds.indicators["commune_id"])))
    return dataclasses.replace(ds, criteria=criteria, indicators=ds.indicators.take(order).reset_index(drop=True))


def _as_dtype(ds: Dataset, dtype: str) -> Dataset:
    """The criteria and indicators frames with every text column as `dtype`; for category the commune ids'
    categories list the communes first, then an id no row uses (as the evaluator builds them)."""
    def convert(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        for column in out.columns:
            if column in ("value", "threshold"):
                continue
            if dtype == "category" and column == "commune_id":
                categories = pd.Index([*ds.communes.index.astype(object), "zz-unused"], dtype=object)
                out[column] = pd.Categorical(out[column].astype(object), categories=categories)
            else:
                out[column] = out[column].astype(object).astype(dtype)
        return out

    return dataclasses.replace(ds, criteria=convert(ds.criteria), indicators=convert(ds.indicators))


def _results(ds: Dataset, history: list[Dataset], other: Dataset) -> dict[str, Any]:
    ids = [str(ds.communes.index[k]) for k in (0, 7, len(ds.communes) - 1)]
    calls = {
        "progress": lambda: a.district_progress(ds),
        "buckets": lambda: a.criteria_buckets(ds),
        "completion": lambda: a.criteria_completion(ds),
        "lagging_criteria": lambda: a.lagging_criteria(ds),
        "near_misses": lambda: a.near_misses(ds, 3),
        "scorecard": lambda: a.scorecard(ds),
        "scorecard name": lambda: a.scorecard(ds, "name"),
        "scorecard 17": lambda: a.scorecard(ds, "17", ascending=False),
        "group district": lambda: a.group_scorecard(ds, "district"),
        "group region": lambda: a.group_scorecard(ds, "region"),
        "target years": lambda: a.target_year_table(ds),
        "overdue": lambda: a.overdue_communes(ds, 2025),
        "watchlist": lambda: a.maintenance_watchlist(ds),
        "trend": lambda: a.progress_trend(history),
        "at risk": lambda: a.at_risk_communes(history, 2025),
        "compare": lambda: a.compare_snapshots(other, ds),
        "compare back": lambda: a.compare_snapshots(ds, other),
        "filter": lambda: a.near_misses(a.filter_dataset(ds, districts=["Huyện 3"]), 5),
    }
    for criterion in ("15", "17", "1"):
        calls[f"spread {criterion}"] = lambda c=criterion: a.indicator_spread(ds, c)
    for target in ("15", "17", "10", "15.1", "17.7", "17.12", "99"):
        for unknown in (False, True):
            calls[f"lagging {target} {unknown}"] = lambda t=target, u=unknown: a.lagging_communes(ds, t, u)
    for commune_id in ids:
        calls[f"profile {commune_id}"] = lambda c=commune_id: a.commune_profile(ds, c)
    out: dict[str, Any] = {}
    for key, call in calls.items():
        try:
            out[key] = call()
        except (KeyError, ValueError) as exc:
            out[key] = repr(exc)
    return out


def _assert_same(want: Any, got: Any, where: str) -> None:
    if isinstance(want, pd.DataFrame):
        assert_frame_equal(got, want, obj=where)
    elif dataclasses.is_dataclass(want):
        for field in dataclasses.fields(want):
            _assert_same(getattr(want, field.name), getattr(got, field.name), f"{where}.{field.name}")
    else:
        assert type(got) is type(want) and got == want, where


@functools.cache
def _history() -> tuple[list[Dataset], Dataset]:
    """Two older snapshots (other marks, a commune fewer) and a re-issue of `_base()` with revised values."""
    ds = _base()
    older = [_base(seed=s, period=y) for s, y in ((5, 2022), (6, 2023))]
    older[0] = older[0].subset(older[0].communes.index[1:])
    values = ds.indicators["value"].to_numpy().copy()
    values[::17] += 2.5
    values[5::29] = np.nan
    reissue = dataclasses.replace(ds, indicators=ds.indicators.assign(value=values))
    return [*older, ds], reissue


def _all(ds: Dataset, convert: Any) -> dict[str, Any]:
    history, reissue = _history()
    return _results(convert(ds), [convert(d) for d in history], convert(reissue))


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    return _all(_base(), lambda d: _as_dtype(d, "object"))


@pytest.mark.parametrize("dtype", TEXT_DTYPES)
@pytest.mark.parametrize("shuffle", [False, True], ids=["grid order", "shuffled"])
def test_results_do_not_depend_on_text_dtype_or_row_order(reference, dtype, shuffle):
    ds = _base()
    got = _all(ds, lambda d: _as_dtype(_shuffled(d) if shuffle else d, dtype))
    assert got.keys() == reference.keys()
    for key, want in reference.items():
        _assert_same(want, got[key], f"{dtype}/{key}")


def test_reference_results_are_real():
    """The comparison above is not between empty tables."""
    out = _all(_base(), lambda d: d)
    assert len(out["lagging 15.1 False"]) > 0 and len(out["lagging 17 True"]) > 0
    assert len(out["spread 17"]) == 160 and len(out["compare"].revised_values) > 10
    assert out["lagging 99 False"] == "KeyError('99')"
    assert out["profile " + str(_base().communes.index[7])].indicators["indicator"].tolist() == list(CODES)


@pytest.mark.parametrize("dtype", TEXT_DTYPES)
def test_communes_text_columns_of_any_dtype_give_the_same_values(reference, dtype):
    def convert(ds: Dataset) -> Dataset:
        communes = ds.communes.copy()
        for column in ("name", "district", "region", "profile", "code", "sheet"):
            communes[column] = communes[column].astype(object).astype(dtype)
        return dataclasses.replace(ds, communes=communes)

    got = _all(_base(), convert)
    for key, want in reference.items():
        if isinstance(want, pd.DataFrame) and key.startswith("scorecard"):  # the communes columns as they are
            assert_frame_equal(got[key].astype(object), want.astype(object), obj=key)
        elif not key.startswith("profile"):  # the profile's commune dict holds the column's own scalars
            _assert_same(want, got[key], f"{dtype}/{key}")


@pytest.mark.parametrize("dtype", TEXT_DTYPES)
def test_subset_categories_not_in_use_are_not_read_as_values(dtype):
    """After Dataset.subset a categorical column keeps every category: a code no kept row has stays unknown."""
    ds = _as_dtype(_base(), dtype)
    extra = ds.indicators.iloc[[0]].assign(indicator="17.12", value=5.0)
    extra = extra.astype(ds.indicators.dtypes.to_dict()) if dtype != "category" else extra
    ds = dataclasses.replace(ds, indicators=pd.concat([ds.indicators, extra], ignore_index=True))
    part = ds.subset(ds.communes.index[1:])  # drops the one commune with a 17.12 value
    with pytest.raises(KeyError):
        a.lagging_communes(part, "17.12")
    assert len(a.lagging_communes(ds, "17.12", include_unknown=True)) == len(ds.communes) - 1


@pytest.mark.parametrize("dtype", TEXT_DTYPES)
def test_a_criterion_listed_twice_keeps_its_first_row(dtype):
    ds = _base(20)
    first = ds.criteria.iloc[[0]]
    flipped = first.assign(status="not_met" if first["status"].iloc[0] == "met" else "met", cell="ZZ1")
    ds = _as_dtype(dataclasses.replace(ds, criteria=pd.concat([ds.criteria, flipped], ignore_index=True)), dtype)
    commune_id = str(first["commune_id"].iloc[0])
    profile = a.commune_profile(ds, commune_id)
    assert profile.criteria["status"].iloc[0] == first["status"].iloc[0]
    assert profile.criteria["cell"].iloc[0] != "ZZ1"
    assert a.scorecard(ds).loc[commune_id, "1"] == first["status"].iloc[0]


@pytest.mark.parametrize("names", [
    NAMES, ["b", "a", "B", "á", "a", ""], [], ["Σ", "Xã ΣΑΣ", "e\u0301", "Ê"],
])
def test_name_order_is_folded_name_then_name_then_position(names):
    ds = make_dataset([{"name": f"x{i}", "id": f"c{i}"} for i in range(len(names))])
    communes = ds.communes.assign(name=pd.Series(names, index=ds.communes.index, dtype=object))
    ds = dataclasses.replace(ds, communes=communes)
    want = sorted(range(len(names)), key=lambda i: (fold(names[i]), names[i], i))
    assert np.argsort(a._name_rank(ds)).tolist() == want


@pytest.mark.parametrize("values, ascending", [
    ([3.0, np.nan, 1.0, 3.0], True), ([3.0, np.nan, 1.0, 3.0], False), ([0.5, 2.25, np.nan, 0.5], False),
    ([1e12, -1e12, 0.0, 5.0], True), (np.array([3, 1, 3, 2]), True), (np.array([3, 1, 3, 2], dtype=np.int8), False),
    (np.array([True, False, True, False]), True),
])
def test_order_keys_sort_nan_last_and_ties_by_name(values, ascending):
    ds = make_dataset([{"name": n} for n in ["Đ", "C", "B", "A"]])
    pos = np.arange(4)
    got = a._order(ds, pos, [(np.array(values), ascending)])
    key = [(np.isnan(v), (v if ascending else -v) if not np.isnan(v) else 0, ds.communes["name"].iloc[i])
           for i, v in enumerate(np.asarray(values, dtype=float))]
    assert got.tolist() == sorted(range(4), key=lambda i: (key[i][0], key[i][1], fold(key[i][2])))


def test_a_few_communes_ranked_alone_keep_the_whole_order():
    ds = dataclasses.replace(_base(), communes=_base().communes.copy())  # no order derived yet
    pos = np.array([7, 3, 7, 40, 12, 3, 66])  # repeated, unsorted, under a third of the communes
    alone = a._name_rank_of(ds, pos)
    assert id(ds.communes) not in a._NAME_RANKS  # ranked without the whole dataset's order
    whole = a._name_rank(ds)[pos]
    assert np.argsort(alone, kind="stable").tolist() == np.argsort(whole, kind="stable").tolist()
    assert a._name_rank_of(ds, pos).tolist() == whole.tolist()  # once known, the whole order serves


def test_communes_by_name_folds_accents():
    from types import SimpleNamespace

    communes = pd.DataFrame({"name": ["Đồng Tân", "Yên Bình", "Do Nhân", "An Lạc"]}, index=["a", "b", "c", "d"])
    ds = SimpleNamespace(communes=communes)
    assert list(a.communes_by_name(ds)["name"]) == ["An Lạc", "Do Nhân", "Đồng Tân", "Yên Bình"]

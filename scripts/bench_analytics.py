"""Time every ntm_data.analytics function on a synthetic province: python scripts/bench_analytics.py [communes].

A local check, not a test: the target is under 50 ms per call at 10,000 communes x 19 criteria (with the
Dataset's cached status matrix warm, as it is in the app after the first page).
"""
from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ntm_data import analytics as a  # noqa: E402
from ntm_data.catalogue import get_criteria_set  # noqa: E402
from ntm_data.model import COMMUNE_COLUMNS, Dataset, Period  # noqa: E402

_SYLLABLES = ["Sơn", "Hồng", "Hà", "Hạ", "Đông", "Tây", "Bình", "An", "Phú", "Lộc", "Thạnh", "Mỹ", "Đức", "Quảng"]


def synthetic(n: int, year: int = 2024, seed: int = 0, set_id: str = "qd318") -> Dataset:
    """A Dataset of `n` communes with random marks (about 85 % met) and the catalogue's sub-indicators."""
    rng = np.random.default_rng(seed)
    cs = get_criteria_set(set_id)
    ids = np.array([f"c{i:05d}" for i in range(n)], dtype=object)
    names = [" ".join(rng.choice(_SYLLABLES, 2)) + f" {i}" for i in range(n)]
    communes = pd.DataFrame({
        "name": names, "code": ids, "district": rng.choice([f"Huyện {s}" for s in _SYLLABLES], n),
        "region": "tdmnpb", "profile": "tdmnpb",
        "population": rng.integers(3000, 15000, n).astype(float),
        "households": rng.integers(800, 4000, n).astype(float),
        "target_year": pd.array(rng.choice([2022, 2023, 2024, 2025, 2026, 2027], n), dtype="Int64"),
        "recognized_year": pd.array(np.where(rng.random(n) < 0.5, rng.choice([2018, 2019, 2020], n), None),
                                    dtype="Int64"),
        "sheet": "Sheet1", "row": np.arange(n) + 5,
    }, index=pd.Index(ids, name="commune_id"), columns=COMMUNE_COLUMNS)
    numbers = [c.number for c in cs.criteria]
    statuses = rng.choice(["met", "not_met", "unknown"], (n, len(numbers)), p=[0.85, 0.12, 0.03])
    criteria = pd.DataFrame({
        "commune_id": np.repeat(ids, len(numbers)), "criterion": np.tile(numbers, n),
        "status": statuses.ravel(), "source": "sheet", "sheet": "Sheet1", "cell": None,
    })
    codes = [ind.code for ind in cs.indicators]
    values = rng.uniform(40, 100, (n, len(codes)))
    thresholds = np.tile([80.0] * len(codes), (n, 1))
    indicators = pd.DataFrame({
        "commune_id": np.repeat(ids, len(codes)), "indicator": np.tile(codes, n),
        "criterion": np.tile([c.split(".")[0] for c in codes], n), "value": values.ravel(),
        "status": np.where(values.ravel() >= 80, "met", "not_met"), "threshold": thresholds.ravel(),
        "sheet": "Sheet1", "cell": None,
    })
    return Dataset(criteria_set=cs, communes=communes, criteria=criteria, indicators=indicators,
                   period=Period(year))


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    ds = synthetic(n)
    older = [replace(synthetic(n, year=y, seed=y), communes=ds.communes) for y in (2022, 2023)]
    t0 = time.perf_counter()
    ds.status_matrix, ds.criteria_met, ds.at_standard  # noqa: B018 (warm the Dataset's own caches)
    for old in older:
        old.status_matrix, old.criteria_met, old.at_standard  # noqa: B018
    print(f"warm-up (status matrices, 3 snapshots): {(time.perf_counter() - t0) * 1000:.0f} ms")
    calls = {
        "district_progress": lambda: a.district_progress(ds),
        "criteria_buckets": lambda: a.criteria_buckets(ds),
        "criteria_completion": lambda: a.criteria_completion(ds),
        "lagging_criteria": lambda: a.lagging_criteria(ds),
        "indicator_spread(17)": lambda: a.indicator_spread(ds, "17"),
        "lagging_communes(15)": lambda: a.lagging_communes(ds, "15"),
        "lagging_communes(15.1)": lambda: a.lagging_communes(ds, "15.1", include_unknown=True),
        "near_misses": lambda: a.near_misses(ds),
        "scorecard": lambda: a.scorecard(ds),
        "scorecard(name)": lambda: a.scorecard(ds, "name"),
        "group_scorecard": lambda: a.group_scorecard(ds),
        "commune_profile": lambda: a.commune_profile(ds, "c00042"),
        "target_year_table": lambda: a.target_year_table(ds),
        "overdue_communes": lambda: a.overdue_communes(ds, 2025),
        "at_risk_communes(3)": lambda: a.at_risk_communes([*older, ds], 2025),
        "progress_trend(3)": lambda: a.progress_trend([*older, ds]),
        "maintenance_watchlist": lambda: a.maintenance_watchlist(ds),
        "compare_snapshots": lambda: a.compare_snapshots(older[-1], ds),
        "filter_dataset": lambda: a.filter_dataset(ds, ["Huyện Sơn"]),
    }
    print(f"{'function':28} {'first ms':>9} {'best of 5 ms':>13}  ({n} communes)")
    for label, call in calls.items():
        t = time.perf_counter()
        call()
        first = (time.perf_counter() - t) * 1000
        best = min(_timed(call) for _ in range(5))
        flag = "" if best < 50 else "  SLOW"
        print(f"{label:28} {first:9.1f} {best:13.1f}{flag}")


def _timed(call) -> float:
    t = time.perf_counter()
    call()
    return (time.perf_counter() - t) * 1000


if __name__ == "__main__":
    main()

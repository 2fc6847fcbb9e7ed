"""The national benchmark at toy size: every row of the table is there, the workbooks it reads are what the
reader expects, and the generate command writes them. No timing is asserted (the machine is shared)."""
from __future__ import annotations

import contextlib
import io

import numpy as np
import pandas as pd
import pytest

from ntm_data import bench, synthetic
from ntm_data.cli import main as cli_main
from ntm_data.commands.generate import parse_years
from ntm_data.dataset import load_dataset
from tests import workbooks

TINY = 300


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> list[bench.Row]:
    out = tmp_path_factory.mktemp("bench")
    return bench.run(TINY, out, skip_startup=True, read_repeats=1, analytics_repeats=1)


def test_table_has_every_row(table: list[bench.Row]) -> None:
    names = [r.measurement for r in table]
    for layout in ("summary (19 criteria)", "values (57 sub-indicators)"):
        for what in ("python-calamine raw parse (floor)", "pandas.read_excel(openpyxl) load",
                     "read + validate + evaluate", "speed-up over openpyxl load", "dataset"):
            assert f"{layout}: {what}" in names
    calls = [label for label, _call, _arg in _calls()]
    assert len(calls) >= 20
    assert [n.removeprefix("analytics: ") for n in names if n.startswith("analytics: ")] == calls
    from ui.frame import PAGES

    assert [n.removeprefix("page: ") for n in names if n.startswith("page: ") and "first run" not in n] == [
        page_id for page_id, _path, _icon in PAGES]
    for row in ("pages: largest bar chart", "pages: largest chart trace (any kind)", "pages: static st.table elements",
                "peak memory: worst stage",
                "interpreter + pandas + ntm_data imports (peak)", "machine", "national workbooks"):
        assert row in names
    assert "pages: exceptions" not in names, [r.figure for r in table if r.measurement == "pages: exceptions"]


def test_targets_carry_a_verdict(table: list[bench.Row]) -> None:
    for row in table:
        assert row.verdict in ("PASS", "MISS", "")
        assert bool(row.target) == bool(row.verdict), row
    assert next(r for r in table if r.measurement == "national workbooks").figure.startswith(f"{TINY} communes")


def test_format_table_prints_one_line_per_row(table: list[bench.Row]) -> None:
    text = bench.format_table(table)
    assert len(text.splitlines()) == len(table) + 2
    markdown = bench.format_table(table, markdown=True).splitlines()
    assert markdown[0].startswith("| Measurement | Figure | Target | Ratio | Verdict |")
    assert len(markdown) == len(table) + 2


def _calls() -> list:
    ds = load_dataset(_files().summary)
    return bench.analytics_calls([ds, ds], ds)


_FILES: dict[str, bench.NationalFiles] = {}


def _files() -> bench.NationalFiles:
    if "files" not in _FILES:
        import tempfile

        _FILES["files"] = bench.write_national(tempfile.mkdtemp(prefix="ntm-bench-test-"), 120, (2024, 2025))
    return _FILES["files"]


@pytest.mark.parametrize(("communes", "districts", "provinces"), [
    (10_000, 700, 63), (300, 21, 21), (1, 1, 1), (50, 4, 4),
])
def test_national_shape(communes: int, districts: int, provinces: int) -> None:
    assert bench.national_shape(communes) == (districts, provinces)


def test_values_workbook_holds_57_sub_indicators_per_commune() -> None:
    files = _files()
    ds = load_dataset(files.values)
    model = synthetic.make_country(bench.SEED, n_communes=120, n_districts=8, n_provinces=8, years=(2024, 2025))
    assert len(ds.communes) == 120
    per_commune = ds.indicators.groupby("commune_id")["indicator"].nunique()
    assert (per_commune == 57).all()
    assert sorted(ds.indicators["indicator"].unique()) == sorted(synthetic.FULL_INDICATOR_CODES)
    # the sheet's own marks are read for the 18 assessed criteria (income is judged by its value)
    matrix = ds.status_matrix.set_axis(ds.communes["code"].to_list())
    truth = model.marks[2025]
    codes = model.communes["code"].to_list()
    for k, number in enumerate(synthetic.CRITERION_NUMBERS):
        if number == "10":
            continue
        got = matrix.loc[codes, number].to_numpy() == "met"
        assert np.array_equal(got, truth[:, k]), number


def test_full_indicator_values_fail_a_sub_indicator_behind_every_unmet_criterion() -> None:
    model = synthetic.make_country(7, n_communes=200, n_districts=10, n_provinces=5, years=(2025,))
    _values, passes = synthetic.full_indicator_values(model, 2025)
    crit = np.array([synthetic.CRITERION_NUMBERS.index(c.split(".")[0]) for c in synthetic.FULL_INDICATOR_CODES])
    assert len(synthetic.FULL_INDICATOR_CODES) == 57
    for k in range(synthetic.N_CRITERIA):
        cols = crit == k
        unmet = ~model.marks[2025][:, k]
        assert (~passes[unmet][:, cols]).any(axis=1).all()


def test_summary_workbooks_read_back_every_commune() -> None:
    files = _files()
    assert [y for y, _p in files.summaries] == [2024, 2025]
    ds = load_dataset(files.summary)
    assert len(ds.communes) == 120 and len(ds.criteria) == 120 * 19
    assert ds.communes["district"].nunique() == files.districts


@pytest.mark.parametrize(("text", "years"), [
    ("2021..2025", (2021, 2022, 2023, 2024, 2025)), ("2024-2025", (2024, 2025)), ("2025,2022", (2022, 2025)),
    ("2023", (2023,)),
])
def test_parse_years(text: str, years: tuple[int, ...]) -> None:
    assert parse_years(text) == years


@pytest.mark.parametrize("text", ["", "20x", "2025..2021", "1800..1801", "2000..2099"])
def test_parse_years_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_years(text)


def test_generate_command_writes_the_files(tmp_path) -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli_main(["--lang", "en", "generate", "national", "--out", str(tmp_path), "--communes", "40",
                         "--years", "2024..2025"])
    assert code == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["national_summary_2024.xlsx", "national_summary_2025.xlsx", "national_values_2025.xlsx"]
    assert "Wrote 3 files" in out.getvalue() and "40 communes" in out.getvalue()


@pytest.mark.parametrize("argv", [["--years", "abc"], ["--communes", "0"]])
def test_generate_command_refuses_bad_input(tmp_path, capsys, argv: list[str]) -> None:
    assert cli_main(["generate", "national", "--out", str(tmp_path), *argv]) == 2
    assert capsys.readouterr().err.startswith("error: ")


def test_a_failing_stage_is_a_missed_row_not_a_lost_table(tmp_path, monkeypatch) -> None:
    real = bench.run_stage

    def crash(stage: str, **args: object) -> dict:
        if stage == "generate":
            return real(stage, **args)
        raise bench.StageFailed(f"stage {stage} failed (exit 1):\nTraceback ...\nKeyError: 'boom'")

    monkeypatch.setattr(bench, "run_stage", crash)
    rows = bench.run(30, tmp_path, skip_pages=True, skip_startup=True)
    failed = {r.measurement: r for r in rows if r.measurement.endswith(": failed")}
    assert set(failed) == {"imports: failed", "summary (19 criteria): read: failed",
                           "values (57 sub-indicators): read: failed", "analytics: failed"}
    assert all(r.verdict == "MISS" and r.figure == "KeyError: 'boom'" for r in failed.values())


def test_script_run_watch_times_the_request_to_the_end_of_the_run() -> None:
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    rerun, heartbeat = BackMsg(), BackMsg()
    rerun.rerun_script.query_string = ""
    heartbeat.app_heartbeat = True
    started, finished = ForwardMsg(), ForwardMsg()
    started.new_session.name = "x"
    finished.script_finished = ForwardMsg.FINISHED_SUCCESSFULLY
    watch = bench._ScriptRunWatch(t0=0.0)
    watch._sent("not a protobuf frame")
    watch._sent(heartbeat.SerializeToString())
    watch._received(started.SerializeToString())
    assert watch.request is None and watch.finished is None  # only the run request and its end count
    watch._sent(rerun.SerializeToString())
    watch._received(b"\xff\xfe garbage")
    assert watch.request is not None and watch.finished is None
    watch._received(finished.SerializeToString())
    first_end = watch.finished
    assert first_end is not None and first_end >= watch.request
    watch._received(finished.SerializeToString())  # a later run does not move the first one's end
    assert watch.finished == first_end


FIRST, RESTART = "one, first start: empty data directory", "one, restart: data directory kept"


def test_start_rows_judge_health_plus_one_page_run_and_show_the_browser_figure(tmp_path, monkeypatch) -> None:
    first = {"health": 0.8, "request": 1.9, "finished": 3.0, "page_run": 2.3, "first_overview": 4.4}
    warm = {**first, "page_run": 1.1}

    def best_start(sample, store, script, repeats, restart=False):
        if script != bench.DASHBOARD:
            return {**first, "first_overview": 2.2}  # the one-metric app
        return dict(warm if restart else first)

    monkeypatch.setattr(bench, "compile_app", lambda: None)
    monkeypatch.setattr(bench, "best_start", best_start)
    rows = {r.measurement: r for r in bench._start_rows((("one", tmp_path),), tmp_path / "store", None)}
    total = rows[f"start -> first overview = healthy server + one page run ({RESTART})"]
    assert (total.figure, total.verdict) == ("1.90 s", "PASS")
    cold = rows[f"start -> first overview = healthy server + one page run ({FIRST})"]
    assert (cold.figure, cold.verdict) == ("3.10 s", "MISS")  # 0.8 + 2.3 > 3 s
    drawn = rows[f"start -> first overview figure drawn in a cold headless Chromium ({RESTART})"]
    assert (drawn.figure, drawn.ratio, drawn.verdict) == ("4.40 s", "2.00x one-metric app", "")


def test_start_rows_without_a_browser_take_the_apptest_first_run(tmp_path, monkeypatch) -> None:
    none = {"health": 0.7, "request": None, "finished": None, "page_run": None, "first_overview": None}
    monkeypatch.setattr(bench, "compile_app", lambda: None)
    monkeypatch.setattr(bench, "best_start", lambda *args, **kwargs: dict(none))
    rows = bench._start_rows((("one", tmp_path),), tmp_path / "store", {"cold_overview": 1.5})
    names = [r.measurement for r in rows]
    assert f"first overview page run on the live server ({FIRST}, AppTest first run: no browser)" in names
    totals = [r for r in rows if r.measurement.startswith("start -> first overview = ")]
    assert [(r.figure, r.verdict) for r in totals] == [("2.20 s", "PASS")] * 2
    assert not any("Chromium (one" in n for n in names)


@pytest.mark.parametrize("restart", [False, True])
def test_a_first_start_finds_an_empty_data_directory_and_a_restart_the_one_filled_before(
        tmp_path, monkeypatch, restart: bool) -> None:
    store = tmp_path / "store"
    store.mkdir()
    (store / "left-over").write_text("from an earlier bench stage")
    seen: list[list[str]] = []

    def measure_start(sample, store_dir, script):
        seen.append(sorted(p.name for p in store_dir.iterdir()))
        (store_dir / "read-cache").mkdir(exist_ok=True)  # what a server start leaves behind
        return {"health": 1.0 + len(seen), "page_run": 3.0 - len(seen), "first_overview": None}

    monkeypatch.setattr(bench, "measure_start", measure_start)
    best = bench.best_start(tmp_path, store, bench.DASHBOARD, 3, restart=restart)
    if restart:  # one start to fill the directory, then three measured restarts that find it
        assert seen == [[], ["read-cache"], ["read-cache"], ["read-cache"]]
        assert best == {"health": 3.0, "page_run": -1.0, "first_overview": None}
    else:
        assert seen == [[], [], []]
        assert best == {"health": 2.0, "page_run": 0.0, "first_overview": None}


# ---- the shortcuts taken for national scale keep the exact results ------------------------------------
@pytest.mark.parametrize("names", [
    ["Hà Nội", "Đồng Tâm", "Ỷ La", "ÂU Cơ", ""], ["  x", "y"], ["a  b"], ["a\nb", "c"], ["x ", "y"], [" x"],
    ["a\tb"], ["a\xa0b"], ["ﬁ ligature"], ["x\u200by"], ["Σ", "Xã ΣΑΣ"], ["e\u0301"], ["Hoà", "Hòa"], [],
])
def test_fold_all_equals_fold_of_each_name(names: list[str]) -> None:
    from ntm_data.analytics import _fold_all
    from ntm_data.text import fold

    assert _fold_all(names) == [fold(n) for n in names]


def test_status_matrix_reshape_equals_the_pivot() -> None:
    import dataclasses

    ds = load_dataset(_files().summary)
    fast = ds.status_matrix
    shuffled = dataclasses.replace(ds, criteria=ds.criteria.sample(frac=1.0, random_state=1))  # pivot path
    slow = shuffled.status_matrix
    assert fast.equals(slow) and list(fast.columns) == [c.number for c in ds.criteria_set.criteria]
    assert fast.index.equals(ds.communes.index)
    assert {str(t) for t in fast.dtypes} == {str(t) for t in slow.dtypes} == {"object"}
    part = ds.subset(ds.communes.index[::3])
    assert part.status_matrix.equals(ds.status_matrix.iloc[::3])


@pytest.mark.parametrize("how", ["district", "region"])
def test_a_filtered_dataset_inherits_exactly_what_a_fresh_derivation_gives(how: str) -> None:
    import dataclasses

    from ntm_data import analytics

    ds = load_dataset(_files().summary)
    analytics.scorecard(ds)  # derives the parent's codes and name order
    value = ds.communes[how].dropna().iloc[0]
    seeded = analytics.filter_dataset(ds, **{f"{how}s": [value]})
    assert id(seeded) in analytics._CODES and id(seeded.communes) in analytics._NAME_RANKS  # seeded, not derived
    fresh = dataclasses.replace(seeded, communes=seeded.communes.copy(deep=False))  # derives its own
    for call in (analytics.scorecard, analytics.near_misses, analytics.district_progress,
                 lambda d: analytics.scorecard(d, sort_by="name"), lambda d: analytics.lagging_communes(d, "15")):
        got, want = call(seeded), call(fresh)
        assert got == want if not isinstance(got, pd.DataFrame) else got.equals(want)


def test_workbook_mode_times_any_workbook_against_the_floor(tmp_path, capsys) -> None:
    """`--workbook PATH` times reading a workbook the benchmark did not make, in-process and as commands."""
    path = tmp_path / "district.xlsx"
    path.write_bytes(workbooks.summary_workbook([dict(name="Xã Vân Nham", marks=workbooks.all_met(), met=19)]))
    bench.main(["--workbook", str(path), "--read-repeats", "1", "--skip-openpyxl"])
    names = [line.split("  ")[0] for line in capsys.readouterr().out.splitlines()]
    for what in ("python-calamine raw parse (floor)", "read + validate + evaluate", "dataset",
                 "process: python + calamine parse only", "process: python -m ntm_data summarize"):
        assert f"district.xlsx: {what}" in names
    assert not any(n.startswith("analytics") or n.startswith("page") for n in names)

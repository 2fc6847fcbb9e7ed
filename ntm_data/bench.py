"""The national-scale benchmark: `python -m ntm_data.bench` generates national workbooks, measures reading,
analytics, every page and the server's start, and prints one table of figures against the targets.

Every measured stage runs in a fresh child process (`--child STAGE`), so its peak memory (ru_maxrss) is its
own; ratios are taken between figures of the same run, since absolute seconds on a shared machine are not.
"""
from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import os
import platform
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD = ROOT / "dashboard.py"

NATIONAL_COMMUNES = 10_000  # about 10,035 communes before the 2025 merger (domain README §4)
COMMUNES_PER_DISTRICT = 10_000 / 700  # about 700 districts
MAX_PROVINCES = 63
DEFAULT_YEARS = (2021, 2022, 2023, 2024, 2025)
SEED = 2025

READ_REPEATS = 3  # best of 3 for the reads (the brief of issue 7)
RATIO_REPEATS = 7  # calamine parse and load_dataset in turn, in one process: best of 7 each
ANALYTICS_REPEATS = 5  # best of 5 for analytics
PAGE_TIMEOUT_S = 60  # AppTest's own 3 s is far too short for a national first run on 2 cores
SERVER_TIMEOUT_S = 180  # `streamlit run` to first overview, worst case on a busy machine
STAGE_TIMEOUT_S = 1800  # one child stage (the pages read five national workbooks, then run eight pages twice)

# Targets of issue 7.
MAX_LOAD_OVER_FLOOR = 1.5  # read + validate + evaluate, against python-calamine's raw parse
MIN_SPEEDUP_OVER_OPENPYXL = 4.0  # against pandas.read_excel(engine="openpyxl") merely loading the sheet
MAX_ANALYTICS_S = 0.050
MAX_PAGE_S = 1.5
MAX_PEAK_MB = 1024
MAX_START_S = 3.0
MAX_BARS = 100  # a chart never draws a bar per commune: anything above a handful of groups is unreadable


# ---- generating the national workbooks ---------------------------------------------------------------

@dataclass(frozen=True)
class NationalFiles:
    """What `write_national` wrote: one district-summary workbook per year (oldest first), the values
    workbook of the last year (57 sub-indicators) and its model's size."""

    out_dir: Path
    summaries: tuple[tuple[int, Path], ...]
    values: Path
    communes: int
    districts: int
    provinces: int

    @property
    def summary(self) -> Path:
        """The national workbook: the last year's district summary."""
        return self.summaries[-1][1]


def national_shape(communes: int) -> tuple[int, int]:
    """(districts, provinces) for a country of `communes`, in the national proportions."""
    districts = max(1, min(communes, round(communes / COMMUNES_PER_DISTRICT)))
    return districts, min(MAX_PROVINCES, districts)


def write_national(out_dir: str | Path, communes: int = NATIONAL_COMMUNES, years: Sequence[int] = DEFAULT_YEARS,
                   seed: int = SEED) -> NationalFiles:
    """Write national_summary_<year>.xlsx for each year and national_values_<last year>.xlsx into out_dir."""
    from ntm_data import synthetic

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    years = tuple(sorted(int(y) for y in years))
    districts, provinces = national_shape(communes)
    model = synthetic.make_country(seed, n_communes=communes, n_districts=districts, n_provinces=provinces,
                                   years=years)
    summaries = []
    for year in years:
        path = out / f"national_summary_{year}.xlsx"
        synthetic.write_summary(model, year, path)
        summaries.append((year, path))
    values = out / f"national_values_{years[-1]}.xlsx"
    synthetic.write_values_full(model, years[-1], values)
    return NationalFiles(out, tuple(summaries), values, communes, districts, provinces)


# ---- child stages --------------------------------------------------------------------------------------

def _peak_mb() -> float:
    # Linux reports KiB. A child starts with its parent's ru_maxrss (kept across fork and exec), so the
    # benchmark's own process stays small: it generates the workbooks in a child too, and imports no pandas.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _hwm_mb() -> float | None:
    """VmHWM of this process's own address space (a cross-check of ru_maxrss; Linux only)."""
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return None
    m = re.search(r"VmHWM:\s*(\d+) kB", text)
    return int(m.group(1)) / 1024 if m else None


def _best(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def _stage_generate(args: dict[str, Any]) -> dict[str, Any]:
    files = write_national(args["out_dir"], args["communes"], args["years"], args["seed"])
    return {"summaries": [(y, str(p)) for y, p in files.summaries], "values": str(files.values),
            "communes": files.communes, "districts": files.districts, "provinces": files.provinces}


def _stage_imports(_args: dict[str, Any]) -> dict[str, Any]:
    import pandas  # noqa: F401

    import ntm_data.dataset  # noqa: F401

    return {}


def _calamine_parse(path: str) -> int:
    """The floor: python-calamine's raw parse of every sheet; returns the rows it read."""
    import python_calamine

    book = python_calamine.CalamineWorkbook.from_path(path)
    return sum(len(book.get_sheet_by_name(n).to_python(skip_empty_area=False)) for n in book.sheet_names)


def _stage_floor(args: dict[str, Any]) -> dict[str, Any]:
    best, rows = _best(lambda: _calamine_parse(args["path"]), args["repeats"])
    return {"seconds": best, "rows": rows}


def _stage_ratio(args: dict[str, Any]) -> dict[str, Any]:
    """The floor and load_dataset timed in turn in one process, best of N each: two processes on a shared
    machine can differ by half (memory placement, neighbours), one process alternating cannot."""
    from ntm_data.dataset import load_dataset

    floor = load = float("inf")
    for _ in range(args["repeats"]):
        floor = min(floor, _best(lambda: _calamine_parse(args["path"]), 1)[0])
        load = min(load, _best(lambda: load_dataset(args["path"]), 1)[0])
    return {"floor": floor, "load": load}


def _stage_openpyxl(args: dict[str, Any]) -> dict[str, Any]:
    import pandas as pd

    best, frame = _best(lambda: pd.read_excel(args["path"], sheet_name=None, header=None, engine="openpyxl"),
                        args["repeats"])
    return {"seconds": best, "rows": sum(len(f) for f in frame.values())}


def _stage_command(args: dict[str, Any]) -> dict[str, Any]:
    """Wall seconds of whole processes, best of N: `python -m ntm_data summarize FILE` (output discarded)
    against a process that only imports python-calamine and parses every sheet (the floor, as a command)."""
    floor_code = ("import sys, python_calamine as c; b = c.CalamineWorkbook.from_path(sys.argv[1]); "
                  "[b.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in b.sheet_names]")
    commands = {"summarize": [sys.executable, "-m", "ntm_data", "summarize", args["path"]],
                "floor": [sys.executable, "-c", floor_code, args["path"]]}
    out = {}
    for label, cmd in commands.items():
        out[label], code = _best(lambda cmd=cmd: subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL,  # noqa: B023
                                                                 stderr=subprocess.DEVNULL).returncode, args["repeats"])
        if code != 0:
            raise RuntimeError(f"{label} exited {code} on {args['path']}")
    return out


def _stage_load(args: dict[str, Any]) -> dict[str, Any]:
    from ntm_data.dataset import load_dataset

    best, ds = _best(lambda: load_dataset(args["path"]), args["repeats"])
    return {"seconds": best, "communes": len(ds.communes), "criteria_rows": len(ds.criteria),
            "indicator_rows": len(ds.indicators), "issues": len(ds.issues), "layout": ds.layout}


def analytics_calls(history: Sequence[Any], values: Any) -> list[tuple[str, Callable[[Any], Any], Any]]:
    """(label, call, dataset) for every analytics function behind a page; `call(ds)` runs it on a dataset
    with no cached derivations. `history` holds the yearly national summaries, oldest first."""
    from ntm_data import analytics

    ds = history[-1]
    year = ds.period.year if ds.period else 2025
    district = str(ds.communes["district"].dropna().iloc[0])
    region = str(ds.communes["region"].dropna().iloc[0])
    first = str(ds.communes.index[0])
    some = ds.communes.index[::7]
    return [
        ("district_progress", analytics.district_progress, ds),
        ("criteria_buckets", analytics.criteria_buckets, ds),
        ("criteria_completion", analytics.criteria_completion, ds),
        ("lagging_criteria", analytics.lagging_criteria, ds),
        ("lagging_communes(15)", lambda d: analytics.lagging_communes(d, "15"), ds),
        ("near_misses", analytics.near_misses, ds),
        ("scorecard", analytics.scorecard, ds),
        ("group_scorecard(district)", lambda d: analytics.group_scorecard(d, level="district"), ds),
        ("commune_profile", lambda d: analytics.commune_profile(d, first), ds),
        ("target_year_table", analytics.target_year_table, ds),
        ("overdue_communes", lambda d: analytics.overdue_communes(d, year), ds),
        ("maintenance_watchlist", analytics.maintenance_watchlist, ds),
        ("filter_dataset(district)", lambda d: analytics.filter_dataset(d, districts=[district]), ds),
        ("filter_dataset(region)", lambda d: analytics.filter_dataset(d, regions=[region]), ds),
        ("Dataset.subset(1/7)", lambda d: d.subset(some), ds),
        ("Dataset.status_matrix", lambda d: d.status_matrix, ds),
        ("progress_trend(5 years)", lambda h: analytics.progress_trend(h), list(history)),
        ("at_risk_communes(5 years)", lambda h: analytics.at_risk_communes(h, year), list(history)),
        ("compare_snapshots", lambda h: analytics.compare_snapshots(h[-2], h[-1]), list(history)),
        ("values: indicator_spread(17)", lambda d: analytics.indicator_spread(d, "17"), values),
        ("values: lagging_communes(17.7)", lambda d: analytics.lagging_communes(d, "17.7"), values),
        ("values: commune_profile", lambda d: analytics.commune_profile(d, first), values),
        ("values: compare_snapshots", lambda d: analytics.compare_snapshots(d, d), values),
    ]


def _fresh(arg: Any) -> Any:
    """A copy of a dataset (or of each in a list) without cached derivations: a dataset the pages have not
    seen yet, as after a new upload or a filter change. The frames' data is shared, not copied."""
    if isinstance(arg, list):
        return [_fresh(d) for d in arg]
    # new frame objects over the same data: caches keyed by a frame (analytics' name order) miss too
    return dataclasses.replace(arg, communes=arg.communes.copy(deep=False), criteria=arg.criteria.copy(deep=False),
                               indicators=arg.indicators.copy(deep=False))


def _stage_analytics(args: dict[str, Any]) -> dict[str, Any]:
    from ntm_data.dataset import load_dataset

    history = [load_dataset(p) for p in args["history"]]
    values = load_dataset(args["values"])
    out = {}
    for label, call, arg in analytics_calls(history, values):
        cold = float("inf")
        for _ in range(args["repeats"]):
            fresh = _fresh(arg)
            t0 = time.perf_counter()
            call(fresh)
            cold = min(cold, time.perf_counter() - t0)
        warm, _ = _best(lambda call=call, arg=arg: call(arg), args["repeats"])  # noqa: B023
        out[label] = {"cold": cold, "warm": warm}
    return {"functions": out}


def _trace_length(values: Any) -> int:
    """Points in one plotly trace axis: a list, or plotly 6+'s {"dtype", "bdata", "shape"} encoding."""
    if isinstance(values, dict) and "bdata" in values:
        if "shape" in values:
            return int(str(values["shape"]).split(",")[0])
        import base64

        import numpy as np

        return len(np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]))
    return len(values) if isinstance(values, list) else 0


def _chart_sizes(at: Any) -> tuple[int, int]:
    """(most bars in one bar trace, most points in one trace of any kind) over the plotly charts shown."""
    bars = points = 0
    for el in at.get("plotly_chart"):
        for trace in json.loads(el.proto.spec).get("data", []):
            n = max(_trace_length(trace.get("x")), _trace_length(trace.get("y")))
            points = max(points, n)
            if trace.get("type") == "bar":
                bars = max(bars, n)
    return bars, points


def _stage_pages(args: dict[str, Any]) -> dict[str, Any]:
    os.environ["NTM_SAMPLE_DIR"] = args["sample_dir"]
    os.environ["NTM_DATA_DIR"] = args["store_dir"]
    os.environ.pop("NTM_DATABASE_URL", None)
    os.environ["NTM_RAISE_ERRORS"] = "1"
    # Only this child process drives the app: importing ntm_data.bench never imports streamlit.
    from streamlit.testing.v1 import AppTest  # noqa: TID251

    sys.path.insert(0, str(ROOT))
    from ui.frame import PAGES

    at = AppTest.from_file(str(DASHBOARD), default_timeout=PAGE_TIMEOUT_S)
    t0 = time.perf_counter()
    at.run()
    cold = time.perf_counter() - t0
    errors = [str(e.value) for e in at.exception]
    pages: dict[str, Any] = {}
    for page_id, path, _icon in PAGES:
        runs = []
        for _ in range(2):  # the first visit, then a rerun (a widget change)
            at.switch_page(str(ROOT / path))
            t0 = time.perf_counter()
            at.run()
            runs.append(time.perf_counter() - t0)
            errors += [f"{page_id}: {e.value}" for e in at.exception]
        bars, points = _chart_sizes(at)
        pages[page_id] = {"first": runs[0], "rerun": runs[1], "bars": bars, "points": points,
                          "dataframes": len(at.dataframe), "tables": len(at.table),
                          "metrics": len(at.metric)}
    return {"cold_overview": cold, "pages": pages, "errors": errors[:5]}


STAGES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "generate": _stage_generate, "imports": _stage_imports, "floor": _stage_floor, "ratio": _stage_ratio, "openpyxl": _stage_openpyxl, "load": _stage_load,
    "command": _stage_command,
    "analytics": _stage_analytics, "pages": _stage_pages,
}


def _child_main(stage: str, payload: str) -> int:
    result = STAGES[stage](json.loads(payload))
    result["peak_mb"] = _peak_mb()
    result["hwm_mb"] = _hwm_mb()
    print("BENCH-RESULT " + json.dumps(result))
    return 0


def run_stage(stage: str, **args: Any) -> dict[str, Any]:
    """Run one stage in a fresh interpreter and return its JSON result (with `peak_mb`)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    try:
        proc = subprocess.run([sys.executable, "-m", "ntm_data.bench", "--child", stage, json.dumps(args)],
                              capture_output=True, text=True, cwd=ROOT, env=env, timeout=STAGE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise StageFailed(f"stage {stage} took over {STAGE_TIMEOUT_S} s") from None
    for line in proc.stdout.splitlines():
        if line.startswith("BENCH-RESULT "):
            return json.loads(line[len("BENCH-RESULT "):])
    raise StageFailed(f"stage {stage} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")


# ---- the server's start ---------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _chromium() -> str | None:
    explicit = os.environ.get("NTM_CHROMIUM", "").strip()
    if explicit:
        return explicit if Path(explicit).exists() else None
    return next((found for name in ("chromium", "chromium-browser", "google-chrome") if (found := shutil.which(name))),
                None)


class _ScriptRunWatch:
    """Times one page run on the live server from the browser's websocket: from the browser's request to run
    the script (BackMsg rerun_script) to the server's report that the run finished (ForwardMsg script_finished)."""

    def __init__(self, t0: float):
        self.t0 = t0
        self.request: float | None = None
        self.finished: float | None = None

    def attach(self, ws: Any) -> None:
        ws.on("framesent", self._sent)
        ws.on("framereceived", self._received)

    def _kind(self, message: Any, payload: Any) -> str | None:
        if not isinstance(payload, bytes | bytearray):
            return None
        try:
            return message.FromString(bytes(payload)).WhichOneof("type")
        except Exception:  # not a Streamlit message: not ours to time
            return None

    def _sent(self, payload: Any) -> None:
        from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: TID251 - the benchmark watches the app

        if self.request is None and self._kind(BackMsg, payload) == "rerun_script":
            self.request = time.perf_counter() - self.t0

    def _received(self, payload: Any) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: TID251 - the benchmark watches the app

        if self.finished is None and self._kind(ForwardMsg, payload) == "script_finished":
            self.finished = time.perf_counter() - self.t0


def compile_app() -> None:
    """Write the bytecode of the app's own modules, as scripts/run.sh does before it starts the server (this
    matters where PYTHONDONTWRITEBYTECODE is set: every start would compile them again)."""
    import compileall

    for folder in ("ntm_data", "ui", "pages"):
        compileall.compile_dir(ROOT / folder, quiet=1)
    compileall.compile_file(DASHBOARD, quiet=1)


def measure_start(sample_dir: Path, store_dir: Path, script: Path = DASHBOARD) -> dict[str, Any]:
    """Seconds from `streamlit run dashboard.py` (or `script`) to a healthy server (`health`); then, in a
    headless Chromium opened at that moment (when Playwright and a Chromium are available, else None): the
    browser's request to run the page (`request`, once it has loaded Streamlit's front end), the end of that
    page run on the server (`finished`) and the first overview figure (st.metric) drawn (`first_overview`).
    `page_run` is finished - request: one page run on the live server."""
    browser = pw = None
    chromium = _chromium()
    if chromium:
        try:
            from playwright.sync_api import sync_playwright

            pw = sync_playwright().start()
            browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu",
                                                                         "--disable-dev-shm-usage"])
        except Exception:  # no usable browser: the health check alone is reported
            browser = None
    port = _free_port()
    env = {**os.environ, "NTM_SAMPLE_DIR": str(sample_dir), "NTM_DATA_DIR": str(store_dir)}
    env.pop("NTM_DATABASE_URL", None)
    cmd = [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless=true",
           f"--server.port={port}", "--server.address=127.0.0.1", "--browser.gatherUsageStats=false"]
    t0 = time.perf_counter()
    server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    health = first = None
    watch = _ScriptRunWatch(t0)
    try:
        url = f"http://127.0.0.1:{port}"
        while time.perf_counter() - t0 < SERVER_TIMEOUT_S and server.poll() is None:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        health = time.perf_counter() - t0
                        break
            except OSError:
                time.sleep(0.05)
        if health is not None and browser is not None:
            page = browser.new_page()
            page.on("websocket", watch.attach)
            page.goto(url)
            page.wait_for_selector('[data-testid="stMetric"]', timeout=SERVER_TIMEOUT_S * 1000)
            first = time.perf_counter() - t0
            while watch.finished is None and time.perf_counter() - t0 < SERVER_TIMEOUT_S:
                page.wait_for_timeout(20)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        if browser is not None:
            browser.close()
        if pw is not None:
            pw.stop()
    page_run = watch.finished - watch.request if watch.finished is not None and watch.request is not None else None
    return {"health": health, "first_overview": first, "request": watch.request, "finished": watch.finished,
            "page_run": page_run}


def best_start(sample_dir: Path, store_dir: Path, script: Path = DASHBOARD, repeats: int = 3,
               restart: bool = False) -> dict[str, Any]:
    """measure_start `repeats` times on fresh servers, each figure its best. A first start begins each time
    with an empty data directory (no snapshots, no read cache: a new installation); a restart keeps the data
    directory that one unmeasured start before it filled (the read cache holds the sample's workbooks)."""
    def empty() -> None:
        shutil.rmtree(store_dir, ignore_errors=True)
        store_dir.mkdir(parents=True, exist_ok=True)

    empty()
    if restart:
        measure_start(sample_dir, store_dir, script)
    runs = []
    for run in range(repeats):
        if run and not restart:
            empty()
        runs.append(measure_start(sample_dir, store_dir, script))
    return {key: min((r[key] for r in runs if r[key] is not None), default=None) for key in runs[0]}


# ---- the table -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    """One line of the benchmark table. verdict: "PASS", "MISS" or "" (a figure with no target)."""

    measurement: str
    figure: str
    target: str = ""
    ratio: str = ""
    verdict: str = ""


def _s(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def read_rows(name: str, floor: dict, openpyxl: dict | None, load: dict) -> list[Row]:
    over_floor = load["seconds"] / floor["seconds"]
    rows = [
        Row(f"{name}: python-calamine raw parse (floor)", _s(floor["seconds"]), "", "1.00x floor"),
        Row(f"{name}: read + validate + evaluate", _s(load["seconds"]), f"<= {MAX_LOAD_OVER_FLOOR}x floor",
            f"{over_floor:.2f}x floor", _verdict(over_floor <= MAX_LOAD_OVER_FLOOR)),
    ]
    if openpyxl is not None:
        speedup = openpyxl["seconds"] / load["seconds"]
        rows.insert(1, Row(f"{name}: pandas.read_excel(openpyxl) load", _s(openpyxl["seconds"]), "",
                           f"{openpyxl['seconds'] / floor['seconds']:.2f}x floor"))
        rows.append(Row(f"{name}: speed-up over openpyxl load", f"{speedup:.2f}x",
                        f">= {MIN_SPEEDUP_OVER_OPENPYXL:.0f}x", f"{speedup:.2f}x",
                        _verdict(speedup >= MIN_SPEEDUP_OVER_OPENPYXL)))
    rows.append(Row(f"{name}: dataset", f"{load['communes']} communes, {load['criteria_rows']} statuses, "
                    f"{load['indicator_rows']} values, {load['issues']} issues ({load['layout']})"))
    return rows


def command_rows(name: str, command: dict) -> list[Row]:
    """The summarize command as a user runs it (interpreter start, imports, read, JSON out), against a
    process that only parses the workbook with python-calamine. Informative: the targets are in-process."""
    return [
        Row(f"{name}: process: python + calamine parse only", _s(command["floor"]), "", "1.00x"),
        Row(f"{name}: process: python -m ntm_data summarize", _s(command["summarize"]), "",
            f"{command['summarize'] / command['floor']:.2f}x"),
    ]


def format_table(rows: Sequence[Row], markdown: bool = False) -> str:
    header = ("Measurement", "Figure", "Target", "Ratio", "Verdict")
    cells = [header] + [(r.measurement, r.figure, r.target, r.ratio, r.verdict) for r in rows]
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(c) + " |" for c in cells[1:]]
        return "\n".join(lines)
    widths = [max(len(c[i]) for c in cells) for i in range(len(header))]
    fmt = lambda c: "  ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)).rstrip()  # noqa: E731
    rule = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(header), rule, *(fmt(c) for c in cells[1:])])


def machine() -> str:
    """One line naming the machine: CPU model, cores, memory, Python, load average."""
    cpu = platform.processor() or platform.machine()
    try:
        text = Path("/proc/cpuinfo").read_text()
        cpu = re.search(r"model name\s*:\s*(.+)", text).group(1).strip()  # type: ignore[union-attr]
    except (OSError, AttributeError):
        pass
    mem = ""
    try:
        kib = int(re.search(r"MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
        mem = f", {kib / 1024 / 1024:.0f} GiB"
    except (OSError, AttributeError):
        pass
    load = ", load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()) if hasattr(os, "getloadavg") else ""
    return f"{cpu}, {os.cpu_count()} cores{mem}, Python {platform.python_version()}{load}"


# ---- the whole run ---------------------------------------------------------------------------------------

def _link_sample(files: NationalFiles, dest: Path, years: Sequence[int]) -> Path:
    """NTM_SAMPLE_DIR for the app: the summaries of `years` under the sample's names (see ui/data.py:
    huu_lung_<year>.xlsx, the last one the default file). Hard links, else copies."""
    dest.mkdir(parents=True, exist_ok=True)
    for year, path in files.summaries:
        if year not in years:
            continue
        target = dest / f"huu_lung_{year}.xlsx"
        if not target.exists():
            try:
                os.link(path, target)
            except OSError:
                shutil.copyfile(path, target)
    return dest


class StageFailed(RuntimeError):
    """A measured stage crashed or timed out: the table shows it as a missed row, the rest still runs."""


def _failed(stage: str, exc: Exception) -> Row:
    last = (str(exc).strip().splitlines() or ["?"])[-1]
    return Row(f"{stage}: failed", last[:200], "runs", "", "MISS")


def _read_rows(workbooks: Sequence[tuple[str, Path]], repeats: int, skip_openpyxl: bool,
               peaks: list[tuple[str, float]], say: Callable[[str], None]) -> list[Row]:
    rows: list[Row] = []
    for name, path in workbooks:
        say(f"reading {path.name}")
        try:
            floor = run_stage("floor", path=str(path), repeats=1)  # its peak memory; the time is from "ratio"
            openpyxl = None if skip_openpyxl else run_stage("openpyxl", path=str(path), repeats=repeats)
            load = run_stage("load", path=str(path), repeats=1)
            ratio = run_stage("ratio", path=str(path), repeats=RATIO_REPEATS)
            command = run_stage("command", path=str(path), repeats=repeats)
        except StageFailed as exc:
            rows.append(_failed(f"{name}: read", exc))
            continue
        rows += read_rows(name, {"seconds": ratio["floor"]}, openpyxl, {**load, "seconds": ratio["load"]})
        rows += command_rows(name, command)
        peaks += [(f"{name}: calamine parse", floor["peak_mb"]), (f"{name}: load_dataset", load["peak_mb"])]
        if openpyxl is not None:
            peaks.append((f"{name}: openpyxl load", openpyxl["peak_mb"]))
    return rows


def _analytics_rows(files: NationalFiles, repeats: int, peaks: list[tuple[str, float]]) -> list[Row]:
    try:
        result = run_stage("analytics", history=[str(p) for _y, p in files.summaries], values=str(files.values),
                           repeats=repeats)
    except StageFailed as exc:
        return [_failed("analytics", exc)]
    peaks.append(("analytics (5 summaries + values loaded)", result["peak_mb"]))
    return [Row(f"analytics: {label}", f"{_s(t['cold'])} (cached {_s(t['warm'])})",
                f"<= {MAX_ANALYTICS_S * 1000:.0f} ms", f"{t['cold'] / MAX_ANALYTICS_S:.2f}x target",
                _verdict(t["cold"] <= MAX_ANALYTICS_S))
            for label, t in result["functions"].items()]


def _page_rows(sample: Path, store: Path, peaks: list[tuple[str, float]]) -> tuple[list[Row], dict | None]:
    try:
        pages = run_stage("pages", sample_dir=str(sample), store_dir=str(store))
    except StageFailed as exc:
        return [_failed("pages", exc)], None
    peaks.append(("pages (AppTest, 5 summaries)", pages["peak_mb"]))
    rows = [Row("page: overview, first run of a session (reads 5 national summaries)", _s(pages["cold_overview"]),
                "", f"{pages['cold_overview'] / MAX_PAGE_S:.2f}x page target")]
    bars = tables = points = 0
    for page_id, p in pages["pages"].items():
        rows.append(Row(f"page: {page_id}", f"{_s(p['first'])} (rerun {_s(p['rerun'])}, "
                        f"{p['dataframes']} st.dataframe, {p['bars']} bars, {p['points']} points max)",
                        f"<= {MAX_PAGE_S} s", f"{p['first'] / MAX_PAGE_S:.2f}x target", _verdict(p["first"] <= MAX_PAGE_S)))
        bars, tables, points = max(bars, p["bars"]), tables + p["tables"], max(points, p["points"])
    rows.append(Row("pages: largest bar chart", f"{bars} bars", f"<= {MAX_BARS} bars", "", _verdict(bars <= MAX_BARS)))
    rows.append(Row("pages: largest chart trace (any kind)", f"{points} points"))
    rows.append(Row("pages: static st.table elements", str(tables), "0 (st.dataframe only)", "", _verdict(tables == 0)))
    if pages["errors"]:
        rows.append(Row("pages: exceptions", "; ".join(pages["errors"])[:300], "none", "", "MISS"))
    return rows, pages


# The least any Streamlit page costs to show its first figure: the server's start, Chromium loading
# Streamlit's front end and one st.metric. The app's own start-up is what it adds to this.
ONE_METRIC_APP = 'import streamlit as st\n\nst.metric("x", 1)\n'
START_REPEATS = 3  # best of 3 fresh servers: one start on a shared 2-core machine varies by a second


def _start_floor(base: Path) -> tuple[Row, float | None]:
    script = base / "one_metric_app" / "app.py"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(ONE_METRIC_APP, encoding="utf-8")
    try:
        start = best_start(script.parent, base / "one_metric_store", script, START_REPEATS)
    except Exception as exc:  # a browser or server that fails must not lose the rest of the table
        return _failed("start (one-metric app)", exc), None
    drawn = start["first_overview"]
    return Row("start -> first st.metric drawn, one-metric Streamlit app (floor: server + Chromium + front end)",
               _s(drawn), "", f"{drawn / MAX_START_S:.2f}x target" if drawn else ""), drawn


def _start_rows(samples: Sequence[tuple[str, Path]], store: Path, pages: dict | None) -> list[Row]:
    """Issue 7 defines start-up as the health check plus one page run; a real Chromium asks for that run once
    it has loaded Streamlit's front end, which the table also shows, with the figure drawn end to end."""
    compile_app()
    floor_row, floor = _start_floor(store.parent)
    rows: list[Row] = [floor_row]
    for (label, sample), restart in itertools.product(samples, (False, True)):
        label = f"{label}, {'restart: data directory kept' if restart else 'first start: empty data directory'}"
        try:
            start = best_start(sample, store, DASHBOARD, START_REPEATS, restart=restart)
        except Exception as exc:  # a browser or server that fails must not lose the rest of the table
            rows.append(_failed(f"start ({label})", exc))
            continue
        health, page_run, drawn = start["health"], start["page_run"], start["first_overview"]
        how = "browser request -> script finished"
        if page_run is None and pages is not None:
            page_run, how = pages["cold_overview"], "AppTest first run: no browser"
        total = health + page_run if health is not None and page_run is not None else None
        rows.append(Row(f"start -> healthy server ({label})", _s(health)))
        rows.append(Row(f"first overview page run on the live server ({label}, {how})", _s(page_run)))
        rows.append(Row(f"start -> first overview = healthy server + one page run ({label})", _s(total),
                        f"<= {MAX_START_S:.0f} s", f"{total / MAX_START_S:.2f}x target" if total else "",
                        _verdict(total is not None and total <= MAX_START_S)))
        if drawn is not None:
            rows.append(Row(f"start -> first overview figure drawn in a cold headless Chromium ({label})", _s(drawn),
                            "", f"{drawn / floor:.2f}x one-metric app" if floor else ""))
    return rows


def run(communes: int = NATIONAL_COMMUNES, out_dir: str | Path | None = None, *, skip_pages: bool = False,
        skip_startup: bool = False, skip_openpyxl: bool = False, read_repeats: int = READ_REPEATS,
        analytics_repeats: int = ANALYTICS_REPEATS, log: Callable[[str], None] | None = None) -> list[Row]:
    """Generate the national workbooks (into out_dir, else a temporary directory) and measure everything;
    returns the rows of the table. A stage that fails becomes a MISS row; the others still run."""
    say = log or (lambda _msg: None)
    tmp = tempfile.TemporaryDirectory(prefix="ntm-bench-") if out_dir is None else None
    base = Path(tmp.name if tmp else out_dir)  # type: ignore[arg-type]
    try:
        say("generating the national workbooks")
        t0 = time.perf_counter()
        made = run_stage("generate", out_dir=str(base / "workbooks"), communes=communes, years=list(DEFAULT_YEARS),
                         seed=SEED)
        files = NationalFiles(base / "workbooks", tuple((y, Path(p)) for y, p in made["summaries"]),
                              Path(made["values"]), made["communes"], made["districts"], made["provinces"])
        rows = [Row("machine", machine()),
                Row("national workbooks", f"{files.communes} communes, {files.districts} districts, "
                    f"{files.provinces} provinces, {len(files.summaries)} yearly summaries + 57-value sheet; "
                    f"summary {files.summary.stat().st_size / 1e6:.1f} MB, values "
                    f"{files.values.stat().st_size / 1e6:.1f} MB; generated in {time.perf_counter() - t0:.1f} s")]
        peaks: list[tuple[str, float]] = []
        try:
            imports = run_stage("imports")
            hwm = f" (VmHWM {imports['hwm_mb']:.0f} MB)" if imports.get("hwm_mb") else ""
            rows.append(Row("interpreter + pandas + ntm_data imports (peak)", f"{imports['peak_mb']:.0f} MB{hwm}"))
        except StageFailed as exc:
            rows.append(_failed("imports", exc))
        rows += _read_rows((("summary (19 criteria)", files.summary), ("values (57 sub-indicators)", files.values)),
                           read_repeats, skip_openpyxl, peaks, say)
        say("analytics")
        rows += _analytics_rows(files, analytics_repeats, peaks)
        store = base / "store"
        store.mkdir(exist_ok=True)
        years = [y for y, _p in files.summaries]
        sample_all = _link_sample(files, base / "ui_sample", years)
        pages = None
        if not skip_pages:
            say("pages")
            page_rows, pages = _page_rows(sample_all, store, peaks)
            rows += page_rows
        if not skip_startup:
            say("start-up")
            last = _link_sample(files, base / "ui_sample_last", years[-1:])
            rows += _start_rows((("5 yearly summaries", sample_all), ("last summary only", last)), store, pages)
        for label, mb in peaks:
            rows.append(Row(f"peak memory: {label}", f"{mb:.0f} MB", f"<= {MAX_PEAK_MB} MB", "", _verdict(mb <= MAX_PEAK_MB)))
        if peaks:
            worst = max(peaks, key=lambda p: p[1])
            rows.append(Row("peak memory: worst stage", f"{worst[1]:.0f} MB ({worst[0]})", f"<= {MAX_PEAK_MB} MB", "",
                            _verdict(worst[1] <= MAX_PEAK_MB)))
        return rows
    finally:
        if tmp is not None:
            tmp.cleanup()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ntm_data.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=NATIONAL_COMMUNES, help="communes in the country (10000)")
    parser.add_argument("--out-dir", default=None, help="keep the generated workbooks here (default: a temp dir)")
    parser.add_argument("--skip-pages", action="store_true", help="do not run the pages (AppTest)")
    parser.add_argument("--skip-startup", action="store_true", help="do not start a streamlit server")
    parser.add_argument("--skip-openpyxl", action="store_true", help="do not time the openpyxl baseline")
    parser.add_argument("--read-repeats", type=int, default=READ_REPEATS)
    parser.add_argument("--analytics-repeats", type=int, default=ANALYTICS_REPEATS)
    parser.add_argument("--workbook", action="append", default=[], metavar="PATH",
                        help="only time reading this workbook (any status sheet, not generated; repeatable)")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--json", default=None, metavar="PATH", help="also write the rows as JSON to PATH")
    parser.add_argument("--child", nargs=2, metavar=("STAGE", "JSON"), help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.child:
        return _child_main(*args.child)
    if args.communes < 1:
        print("error: --communes must be positive", file=sys.stderr)
        return 2
    say = lambda m: print(f"… {m}", file=sys.stderr)  # noqa: E731
    if args.workbook:
        peaks: list[tuple[str, float]] = []
        rows = [Row("machine", machine())]
        rows += _read_rows([(Path(p).name, Path(p)) for p in args.workbook], args.read_repeats, args.skip_openpyxl,
                           peaks, say)
        rows += [Row(f"peak memory: {label}", f"{mb:.0f} MB", f"<= {MAX_PEAK_MB} MB", "", _verdict(mb <= MAX_PEAK_MB))
                 for label, mb in peaks]
    else:
        rows = run(args.communes, args.out_dir, skip_pages=args.skip_pages, skip_startup=args.skip_startup,
                   skip_openpyxl=args.skip_openpyxl, read_repeats=args.read_repeats,
                   analytics_repeats=args.analytics_repeats, log=say)
    print(format_table(rows, markdown=args.markdown))
    if args.json:
        Path(args.json).write_text(json.dumps([dataclasses.asdict(r) for r in rows], ensure_ascii=False, indent=1))
    return 0 if all(r.verdict != "MISS" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

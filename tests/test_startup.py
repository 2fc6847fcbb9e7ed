"""Server start: `streamlit run dashboard.py` serves the app through st.App, whose lifespan reads the sample
in the background, so that the first overview finds it in the server-wide cache."""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from pathlib import Path

import pytest
from streamlit.web.server.app_discovery import discover_asgi_app

from ui import data, startup

ROOT = Path(__file__).resolve().parent.parent


def test_streamlit_run_finds_the_app_in_dashboard_py() -> None:
    found = discover_asgi_app(ROOT / "dashboard.py")
    assert found.is_asgi_app and found.app_name == "app"


@pytest.fixture
def counted_reads(reads: list[str]) -> list[str]:
    """Names of the workbooks actually read (not served from a cache), with empty caches to start from."""
    data._load.clear()
    data._HISTORY_READ.clear()
    yield reads
    data._load.clear()
    data._HISTORY_READ.clear()


def test_warm_up_reads_the_open_year_and_the_history_once(counted_reads: list[str]) -> None:
    startup.warm_up()
    years = [p.name for _year, p in data.sample_history_files()]
    assert sorted(counted_reads) == sorted(years)  # every yearly file, the open one included, read once
    assert data.sample_history_ready(None)
    # What the first overview asks for is now served from the cache: nothing is read again.
    ds = data.load_sample()
    history = data.load_sample_history()
    assert sorted(counted_reads) == sorted(years)
    assert ds.source_name == data.DEFAULT_SAMPLE and [d.source_name for d in history] == years


def test_the_history_reads_two_years_at_once_and_keeps_their_order(
        counted_reads: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import ntm_data.dataset

    real = ntm_data.dataset.load_dataset
    first_two = threading.Barrier(2, timeout=20)  # broken, and the reading failed, if the years were read one by one
    started: list[str] = []

    def meeting(source, *args, **kwargs):
        started.append(kwargs["name"])
        if len(started) <= 2:
            first_two.wait()
        return real(source, *args, **kwargs)

    monkeypatch.setattr(ntm_data.dataset, "load_dataset", meeting)
    history = data.load_sample_history()
    years = [p.name for _year, p in data.sample_history_files()]
    assert data.DEFAULT_SAMPLE in started[:2]  # the open year, which the pages wait for, is read first
    assert [d.source_name for d in history] == years and sorted(started) == sorted(years)


def test_a_restarted_server_reads_no_workbook_again(counted_reads: list[str]) -> None:
    startup.warm_up()
    first = data.load_sample()
    read_once = sorted(counted_reads)
    data._load.clear()  # what a new server process starts with: nothing in memory, the data directory kept
    data._HISTORY_READ.clear()
    startup.warm_up()
    assert sorted(counted_reads) == read_once  # every year came from the read cache
    again = data.load_sample()
    assert again is not first and again.communes.equals(first.communes) and again.issues == first.issues


def test_a_failing_warm_up_is_logged_and_leaves_the_reading_to_the_pages(
        counted_reads: list[str], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    def broken(*_args, **_kwargs):
        raise OSError("disk gone")

    monkeypatch.setattr(data, "load", broken)
    with caplog.at_level(logging.ERROR, logger="ui.startup"):
        startup.warm_up()  # must not raise: the server keeps starting
    assert "warm-up at server start failed" in caplog.text
    assert not data.sample_history_ready(None)


def test_lifespan_lets_the_server_answer_before_the_warm_up_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    release, entered = threading.Event(), threading.Event()

    def slow_warm_up() -> None:
        entered.set()
        release.wait(10)

    monkeypatch.setattr(startup, "warm_up", slow_warm_up)

    async def serve() -> float:
        t0 = time.perf_counter()
        async with startup.lifespan(None):
            return time.perf_counter() - t0

    try:
        waited = asyncio.run(serve())
        assert entered.wait(5)  # the warm-up runs beside the server...
        assert waited < 1  # ...which did not wait for it
    finally:
        release.set()

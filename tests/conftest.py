"""Shared pytest fixtures."""
from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from pg import Cluster, create_database, drop_database, reachable, server_bin_dir


@pytest.fixture(autouse=True)
def _own_read_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with an empty disk cache of readings (ntm_data.read_cache), so that what one test
    read never serves another, and nothing is written into the project's data/ directory."""
    monkeypatch.setenv("NTM_READ_CACHE_DIR", str(tmp_path_factory.mktemp("read-cache")))


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the workbooks really parsed during a test (ntm_data.dataset.load_dataset called), in order:
    what a cache served is not in it."""
    import ntm_data.dataset

    parsed: list[str] = []
    real = ntm_data.dataset.load_dataset

    def counting(source, *args, **kwargs):
        parsed.append(kwargs.get("name") or str(source))
        return real(source, *args, **kwargs)

    monkeypatch.setattr(ntm_data.dataset, "load_dataset", counting)
    return parsed


def _no_postgres(reason: str) -> None:
    """Outside CI a missing PostgreSQL skips its tests; in CI (CI=true) it fails them."""
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail(f"PostgreSQL required in CI: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL not available: {reason}")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """URL of a PostgreSQL server: NTM_TEST_PG_URL (started by scripts/start_postgres.sh), else a cluster
    this session starts itself when the server binaries are installed."""
    url = os.environ.get("NTM_TEST_PG_URL", "").strip()
    if url:
        if not reachable(url):
            _no_postgres(f"NTM_TEST_PG_URL={url} does not answer")
        yield url
        return
    bin_dir = server_bin_dir()
    if bin_dir is None:
        _no_postgres("no initdb/pg_ctl found and NTM_TEST_PG_URL unset")
    cluster = Cluster(bin_dir)
    try:
        url = cluster.start()
    except Exception as exc:  # noqa: BLE001 - any failure to start means "no PostgreSQL here"
        cluster.stop()
        _no_postgres(f"could not start a cluster: {exc}")
    try:
        yield url
    finally:
        cluster.stop()


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (SQLAlchemy URL), dropped afterwards."""
    url = create_database(pg_server)
    try:
        yield url
    finally:
        drop_database(pg_server, url)

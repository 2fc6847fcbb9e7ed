"""The disk cache of readings: a workbook read once is served again without parsing, and never wrongly."""
from __future__ import annotations

import logging
import os
from pathlib import Path

import pandas as pd
import pytest

from ntm_data import read_cache
from ntm_data.catalogue import get_criteria_set, load_catalogue_file
from ntm_data.model import ReadError
from ntm_data.read_cache import ReadCache
from ntm_data.storage import SnapshotStore

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data" / "huu_lung_2025.xlsx"
CATALOGUE = ROOT / "sample_data" / "catalogue_tinh_mau.yaml"
VALUES = ROOT / "sample_data" / "huu_lung_chi_tieu_2025.xlsx"


def assert_same(a, b) -> None:
    for frame in ("communes", "criteria", "indicators"):
        pd.testing.assert_frame_equal(getattr(a, frame), getattr(b, frame))
    for field in ("issues", "source_name", "layout", "period", "title", "detected_criteria_set",
                  "issuing_body", "grouping_name"):
        assert getattr(a, field) == getattr(b, field), field
    assert a.criteria_set == b.criteria_set


def test_a_second_reading_comes_from_disk_and_equals_the_first(tmp_path: Path, reads: list[str]) -> None:
    data = SAMPLE.read_bytes()
    first = ReadCache(tmp_path).read(data, name=SAMPLE.name)
    again = ReadCache(tmp_path).read(data, name=SAMPLE.name)  # another process: same directory
    assert reads == [SAMPLE.name]
    assert_same(first, again)
    assert again.criteria_set is get_criteria_set(first.criteria_set.id)  # the catalogue's own object
    assert len(list(tmp_path.glob("*.dataset"))) == 1


@pytest.mark.parametrize("change", ["bytes", "name", "criteria_set", "year", "program"])
def test_anything_the_reading_depends_on_gives_a_new_entry(
        tmp_path: Path, reads: list[str], change: str, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = ReadCache(tmp_path)
    base = {"data": SAMPLE.read_bytes(), "name": SAMPLE.name, "criteria_set": None, "year": None}
    cache.read(**base)
    changed = dict(base)
    if change == "bytes":
        changed["data"] = (ROOT / "sample_data" / "huu_lung_2024.xlsx").read_bytes()
    elif change == "name":
        changed["name"] = "ban_sao.xlsx"
    elif change == "criteria_set":
        changed["criteria_set"] = "qd1980"
    elif change == "year":
        changed["year"] = 2030
    else:
        monkeypatch.setattr(read_cache, "program_fingerprint", lambda: "a newer reader")
    ds = cache.read(**changed)
    assert len(reads) == 2
    if change == "name":
        assert ds.source_name == "ban_sao.xlsx"
    if change == "criteria_set":
        assert ds.criteria_set.id == "qd1980"


def test_an_id_and_its_alias_share_an_entry_and_a_user_catalogue_is_keyed_by_content(
        tmp_path: Path, reads: list[str]) -> None:
    cache, data = ReadCache(tmp_path), VALUES.read_bytes()
    cache.read(data, name=VALUES.name, criteria_set="qd318")
    cache.read(data, name=VALUES.name, criteria_set="318/QĐ-TTg")
    assert len(reads) == 1
    user = load_catalogue_file(CATALOGUE)
    first = cache.read(data, name=VALUES.name, criteria_set=user)
    again = cache.read(data, name=VALUES.name, criteria_set=load_catalogue_file(CATALOGUE.read_bytes(), "t.yaml"))
    assert len(reads) == 2
    assert_same(first, again)
    edited = tmp_path / "edited.yaml"
    edited.write_text(CATALOGUE.read_text(encoding="utf-8").replace("{value: 95,", "{value: 96,"), encoding="utf-8")
    cache.read(data, name=VALUES.name, criteria_set=str(edited))  # a path: read by content, not by name
    assert len(reads) == 3


def test_a_broken_entry_is_dropped_and_the_workbook_read_again(
        tmp_path: Path, reads: list[str], caplog: pytest.LogCaptureFixture) -> None:
    cache, data = ReadCache(tmp_path), SAMPLE.read_bytes()
    first = cache.read(data, name=SAMPLE.name)
    [entry] = tmp_path.glob("*.dataset")
    entry.write_bytes(entry.read_bytes()[:1000])  # a write cut short by a crash, or a foreign file
    with caplog.at_level(logging.WARNING, logger="ntm_data.read_cache"):
        again = cache.read(data, name=SAMPLE.name)
    assert "cannot be used" in caplog.text
    assert len(reads) == 2
    assert_same(first, again)
    assert cache.read(data, name=SAMPLE.name) is not None and len(reads) == 2  # the good entry was kept


def test_an_unwritable_directory_only_costs_the_cache(
        tmp_path: Path, reads: list[str], caplog: pytest.LogCaptureFixture) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    cache = ReadCache(blocked / "cache")
    with caplog.at_level(logging.WARNING, logger="ntm_data.read_cache"):
        ds = cache.read(SAMPLE.read_bytes(), name=SAMPLE.name)
        cache.read(SAMPLE.read_bytes(), name=SAMPLE.name)
    assert ds.communes.shape[0] > 0 and len(reads) == 2
    assert "could not keep" in caplog.text
    assert list(tmp_path.iterdir()) == [blocked]  # no temporary file left behind


def test_a_workbook_that_cannot_be_read_is_refused_each_time_and_not_kept(tmp_path: Path) -> None:
    cache = ReadCache(tmp_path)
    for _ in range(2):
        with pytest.raises(ReadError):
            cache.read(b"not a workbook", name="x.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_the_least_recently_used_entries_go_first(tmp_path: Path, reads: list[str]) -> None:
    years = [ROOT / "sample_data" / f"huu_lung_{year}.xlsx" for year in (2022, 2023, 2024)]
    cache = ReadCache(tmp_path, max_bytes=10**9)
    for path in years:
        cache.read(path.read_bytes(), name=path.name)
    entries = sorted(tmp_path.glob("*.dataset"), key=lambda p: p.stat().st_mtime_ns)
    for age, path in enumerate(entries):  # 2022 oldest, then 2023, 2024
        os.utime(path, ns=(10**9 * (age + 1), 10**9 * (age + 1)))
    cache.read(years[0].read_bytes(), name=years[0].name)  # 2022 used again: now the most recent
    sizes = {p: p.stat().st_size for p in tmp_path.glob("*.dataset")}
    cache.max_bytes = sum(sizes.values()) - 1  # one entry too many
    cache.evict()
    assert len(reads) == 3
    kept = {p.name for p in tmp_path.glob("*.dataset")}
    assert entries[1].name not in kept and {entries[0].name, entries[2].name} <= kept  # 2023 went


@pytest.mark.parametrize(("env", "expected"), [
    ({"NTM_READ_CACHE_DIR": "off"}, None),
    ({"NTM_READ_CACHE_DIR": "OFF", "NTM_DATA_DIR": "/srv/ntm"}, None),
    ({"NTM_READ_CACHE_DIR": "/var/cache/ntm"}, Path("/var/cache/ntm")),
    ({"NTM_DATA_DIR": "/srv/ntm"}, Path("/srv/ntm/read-cache")),
    ({}, ROOT / "data" / "read-cache"),
])
def test_where_the_cache_lives(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: Path | None) -> None:
    monkeypatch.delenv("NTM_READ_CACHE_DIR", raising=False)
    monkeypatch.delenv("NTM_DATA_DIR", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    cache = ReadCache.default()
    assert (cache.directory if cache else None) == expected


def test_turned_off_it_reads_every_time_and_writes_nothing(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, reads: list[str]) -> None:
    monkeypatch.setenv("NTM_READ_CACHE_DIR", "off")
    monkeypatch.setenv("NTM_DATA_DIR", str(tmp_path))
    for _ in range(2):
        read_cache.read(SAMPLE.read_bytes(), name=SAMPLE.name)
    assert len(reads) == 2 and list(tmp_path.iterdir()) == []


def test_the_fingerprint_follows_the_package_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "reader.py").write_text("A = 1\n")
    (tmp_path / "catalogues").mkdir()
    (tmp_path / "catalogues" / "qd318.yaml").write_text("id: qd318\n")
    monkeypatch.setattr(read_cache, "PACKAGE_DIR", tmp_path)
    fingerprint = read_cache.program_fingerprint.__wrapped__
    before = fingerprint()
    assert fingerprint() == before
    (tmp_path / "catalogues" / "qd318.yaml").write_text("id: qd318\nname_vi: x\n")
    assert fingerprint() != before
    (tmp_path / "notes.txt").write_text("not part of the program")
    after = fingerprint()
    (tmp_path / "notes.txt").write_text("changed")
    assert fingerprint() == after


def test_a_store_reopened_after_a_restart_reads_no_workbook_again(tmp_path: Path, reads: list[str]) -> None:
    url = f"sqlite:///{tmp_path / 'ntm.sqlite'}"
    with SnapshotStore(url) as store:
        for year in (2023, 2024):
            path = ROOT / "sample_data" / f"huu_lung_{year}.xlsx"
            store.save(path.read_bytes(), path.name)
        before = store.history()  # by the saved criteria set (the saves detected it): read once more
    parsed = len(reads)
    with SnapshotStore(url) as store:  # a new server process
        after = store.history()
    assert parsed == 4 and len(reads) == parsed
    assert [str(d.period) for d in after] == ["2023", "2024"]
    for a, b in zip(before, after, strict=True):
        assert_same(a, b)

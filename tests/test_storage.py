"""SnapshotStore on SQLite and on a real PostgreSQL: round trip, duplicates, revisions, atomic saves,
concurrent writers, a writer killed mid-save, and schema upgrades."""
from __future__ import annotations

import hashlib
import io
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import traceback
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from ntm_data import storage
from ntm_data.model import ReadError
from ntm_data.storage import DuplicateSnapshot, PeriodRequired, SnapshotNotFound, SnapshotStore

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ALL = frozenset(range(1, 20))


def status_workbook(title: str | None, communes: dict[str, set[int] | frozenset[int]], note: str = "") -> bytes:
    """A minimal district status sheet: title block, header STT | Tên xã | 1..19, one row per commune
    with "Đạt"/"Chưa đạt" per criterion. `note` changes the bytes without changing the content."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Tong hop"
    sheet.append(["UBND HUYỆN HỮU LŨNG"])
    sheet.append([title] if title else [None])
    sheet.append([])
    sheet.append(["STT", "Tên xã", *range(1, 20)])
    for number, (name, met) in enumerate(communes.items(), start=1):
        sheet.append([number, name, *("Đạt" if c in met else "Chưa đạt" for c in range(1, 20))])
    if note:
        sheet.append([])
        sheet.append([note])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def yearly(year: int, communes: dict[str, set[int] | frozenset[int]], note: str = "") -> bytes:
    return status_workbook(f"BÁO CÁO KẾT QUẢ XÂY DỰNG NÔNG THÔN MỚI NĂM {year}", communes, note)


BOOK_2022 = {"Vân Nham": set(range(1, 12)), "Minh Sơn": ALL, "Hồ Sơn": ALL - {17}}
BOOK_2023 = {"Vân Nham": set(range(1, 16)), "Minh Sơn": ALL, "Hồ Sơn": ALL}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store' / 'ntm.sqlite'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(db_url: str):
    with SnapshotStore(db_url) as s:
        yield s


def test_save_and_load_round_trip(store: SnapshotStore):
    data = yearly(2022, BOOK_2022)
    before = datetime.now(UTC)
    info = store.save(data, "tong_hop_2022.xlsx", actor="chuyên viên A")

    assert (info.period, info.source_name, info.saved_by) == ("2022", "tong_hop_2022.xlsx", "chuyên viên A")
    assert (info.communes, info.at_standard) == (3, 1)
    assert info.average_met == pytest.approx((11 + 19 + 18) / 3)
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert info.criteria_set and info.saved_at.tzinfo is not None
    assert before - timedelta(seconds=5) <= info.saved_at <= datetime.now(UTC) + timedelta(seconds=5)
    assert store.list() == [info]
    assert store.info(info.id) == info
    assert store.original_bytes(info.id) == data

    ds = store.load(info.id)
    assert str(ds.period) == "2022" and ds.source_name == "tong_hop_2022.xlsx"
    met = dict(zip(ds.communes["name"], ds.criteria_met.reindex(ds.communes.index), strict=True))
    assert met == {"Vân Nham": 11, "Minh Sơn": 19, "Hồ Sơn": 18}
    assert str(store.load_period("2022").period) == "2022"


def test_sqlite_store_uses_wal_and_waits_for_the_write_lock(tmp_path: Path):
    with SnapshotStore(str(tmp_path / "a" / "b.sqlite")) as s, s.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == storage.SQLITE_BUSY_TIMEOUT_MS


def test_the_same_file_twice_is_reported_not_duplicated(store: SnapshotStore):
    data = yearly(2022, BOOK_2022)
    first = store.save(data, "a.xlsx")
    with pytest.raises(DuplicateSnapshot) as caught:
        store.save(data, "renamed copy.xlsx", period="2023")
    assert caught.value.existing == first
    assert store.list() == [first]
    assert [e.action for e in store.audit()] == ["save"]


@pytest.mark.parametrize(("title", "period", "expected"), [
    ("KẾT QUẢ NĂM 2022", None, "2022"),
    ("KẾT QUẢ NĂM 2022", "2021", "2021"),  # an explicit period wins over the title
    (None, "2024-06", "2024-06"),
    (None, "2024-6", "2024-06"),
])
def test_period_explicit_then_title(store: SnapshotStore, title, period, expected):
    info = store.save(status_workbook(title, BOOK_2022), "x.xlsx", period=period)
    assert info.period == expected
    assert str(store.load(info.id).period) == expected


def test_no_period_anywhere_asks_for_one_and_saves_nothing(store: SnapshotStore):
    with pytest.raises(PeriodRequired):
        store.save(status_workbook("BÁO CÁO TỔNG HỢP", BOOK_2022), "x.xlsx")
    with pytest.raises(ValueError):
        store.save(yearly(2022, BOOK_2022), "x.xlsx", period="2024-13")
    assert store.list() == [] and store.audit() == []


def test_unreadable_file_propagates_read_error_and_saves_nothing(store: SnapshotStore):
    with pytest.raises(ReadError):
        store.save(b"this is not a workbook", "notes.xlsx", period="2022")
    assert store.list() == []


def test_periods_sorted_revisions_kept_newest_wins(store: SnapshotStore):
    a = store.save(yearly(2024, BOOK_2023), "2024.xlsx")
    b = store.save(yearly(2022, BOOK_2022), "2022.xlsx")
    c = store.save(yearly(2023, BOOK_2022), "2023-06.xlsx", period="2023-06")
    revised = {**BOOK_2022, "Vân Nham": set(range(1, 13))}
    d = store.save(yearly(2022, revised, note="sửa lại"), "2022 sửa.xlsx")  # a revision of 2022

    assert [i.id for i in store.list()] == [b.id, d.id, c.id, a.id]
    assert store.periods() == ["2022", "2023-06", "2024"]
    assert store.latest_for_period("2022") == d
    vn = store.load_period("2022")
    assert int(vn.criteria_met[vn.communes.index[vn.communes["name"] == "Vân Nham"][0]]) == 12
    history = store.history()
    assert [str(ds.period) for ds in history] == ["2022", "2023-06", "2024"]
    assert [ds.source_name for ds in history] == ["2022 sửa.xlsx", "2023-06.xlsx", "2024.xlsx"]
    assert store.history(criteria_set="no-such-set") == []
    assert len(store.history(criteria_set=a.criteria_set)) == 3
    with pytest.raises(SnapshotNotFound):
        store.load_period("2019")


def test_delete_removes_and_audits(store: SnapshotStore):
    keep = store.save(yearly(2022, BOOK_2022), "2022.xlsx", actor="an")
    gone = store.save(yearly(2023, BOOK_2023), "2023.xlsx", actor="bình")
    store.delete(gone.id, actor="chi")
    assert store.list() == [keep]
    with pytest.raises(SnapshotNotFound):
        store.original_bytes(gone.id)
    with pytest.raises(SnapshotNotFound):
        store.delete(gone.id)
    audit = store.audit()
    assert [(e.action, e.actor, e.snapshot_id, e.period, e.source_name) for e in audit] == [
        ("save", "an", keep.id, "2022", "2022.xlsx"),
        ("save", "bình", gone.id, "2023", "2023.xlsx"),
        ("delete", "chi", gone.id, "2023", "2023.xlsx"),
    ]
    # the deleted file can be saved again
    assert store.save(yearly(2023, BOOK_2023, note="again"), "2023.xlsx").period == "2023"


def _counts(store: SnapshotStore) -> tuple[int, int, int]:
    with store.engine.connect() as conn:
        return tuple(
            int(conn.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar())
            for t in ("snapshots", "snapshot_files", "audit")
        )


def test_failure_midway_leaves_store_exactly_as_it_was(store: SnapshotStore, monkeypatch):
    data = yearly(2022, BOOK_2022)
    earlier = store.save(data, "2022.xlsx")
    before = _counts(store)

    def broken(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(SnapshotStore, "_record_audit", staticmethod(broken))
    with pytest.raises(RuntimeError, match="disk full"):
        store.save(yearly(2023, BOOK_2023), "2023.xlsx")
    assert _counts(store) == before == (1, 1, 1)
    assert store.list() == [earlier]
    assert store.original_bytes(earlier.id) == data
    monkeypatch.undo()
    assert store.save(yearly(2023, BOOK_2023), "2023.xlsx").period == "2023"


def _save_in_child(url: str, data: bytes, name: str, barrier) -> None:
    barrier.wait(timeout=30)
    try:
        with SnapshotStore(url) as s:
            s.save(data, name)
    except BaseException:  # noqa: BLE001 - report any failure through the exit code
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(1)
    os._exit(0)


def test_two_processes_saving_at_once_both_land(db_url: str):
    # Both start on a database that does not exist yet: creating the schema must be race-free too.
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(2)
    books = [(yearly(2022, BOOK_2022), "2022.xlsx"), (yearly(2023, BOOK_2023), "2023.xlsx")]
    procs = [ctx.Process(target=_save_in_child, args=(db_url, d, n, barrier)) for d, n in books]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
    assert [p.exitcode for p in procs] == [0, 0]
    with SnapshotStore(db_url) as s:
        assert sorted(i.source_name for i in s.list()) == ["2022.xlsx", "2023.xlsx"]
        assert len(s.audit()) == 2


def test_processes_opening_a_new_sqlite_store_at_once_all_land(tmp_path: Path):
    """The first connection of each process switches the new file to WAL; SQLite refuses all but one at once
    ("database is locked", without waiting), so the switch is retried. Ten rounds: one in five children
    failed before the retry."""
    ctx = multiprocessing.get_context("fork")
    books = [(yearly(2022, BOOK_2022), "2022.xlsx"), (yearly(2023, BOOK_2023), "2023.xlsx")]
    for round_ in range(10):
        url = f"sqlite:///{tmp_path / f'round{round_}.sqlite'}"
        barrier = ctx.Barrier(2)
        procs = [ctx.Process(target=_save_in_child, args=(url, d, n, barrier)) for d, n in books]
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout=60)
        assert [p.exitcode for p in procs] == [0, 0], f"round {round_}"


KILLED_SAVE = textwrap.dedent("""
    import sys, time
    from ntm_data.storage import SnapshotStore

    def hang(*args, **kwargs):
        print("inside the transaction", flush=True)
        time.sleep(120)

    SnapshotStore._record_audit = staticmethod(hang)
    with open(sys.argv[2], "rb") as fh:
        SnapshotStore(sys.argv[1]).save(fh.read(), "killed.xlsx")
""")


def test_process_killed_mid_save_leaves_a_valid_store(db_url: str, tmp_path: Path):
    kept = yearly(2022, BOOK_2022)
    with SnapshotStore(db_url) as s:
        earlier = s.save(kept, "2022.xlsx")
    victim = yearly(2023, BOOK_2023)
    (tmp_path / "victim.xlsx").write_bytes(victim)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT),
                                                                     os.environ.get("PYTHONPATH")]))}
    child = subprocess.Popen([sys.executable, "-c", KILLED_SAVE, db_url, str(tmp_path / "victim.xlsx")],
                             stdout=subprocess.PIPE, text=True, env=env, cwd=PROJECT_ROOT)
    try:
        assert child.stdout.readline().strip() == "inside the transaction"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    with SnapshotStore(db_url) as s:
        if s.engine.dialect.name == "sqlite":
            with s.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        assert s.list() == [earlier]
        assert s.original_bytes(earlier.id) == kept
        assert _counts(s) == (1, 1, 1)
        # the store is not left locked: the same file saves now
        assert s.save(victim, "2023.xlsx").period == "2023"


def test_upgrading_a_v1_database_keeps_its_snapshots(db_url: str):
    data = yearly(2022, BOOK_2022)
    engine = storage._make_engine(storage.normalize_url(db_url))
    with engine.connect().execution_options(ntm_write=True) as conn, conn.begin():
        assert storage.migrate(conn, target=1) == 1
        conn.execute(sa.text(
            "INSERT INTO snapshots (period, period_year, period_month, grouping_level, criteria_set,"
            " source_name, sha256, saved_at, communes, at_standard, average_met)"
            " VALUES ('2022', 2022, NULL, 'district', 'qd318', 'old.xlsx', :sha, :at, 3, 1, 16.0)"),
            {"sha": hashlib.sha256(data).hexdigest(), "at": datetime(2023, 1, 5, 8, 30)})
        conn.execute(sa.text("INSERT INTO snapshot_files (snapshot_id, content) VALUES (1, :c)"), {"c": data})
    engine.dispose()

    with SnapshotStore(db_url) as s:
        with s.engine.connect() as conn:
            assert storage.schema_version(conn) == storage.SCHEMA_VERSION == 3
        [info] = s.list()
        assert (info.id, info.period, info.source_name, info.saved_by, info.communes) == (
            1, "2022", "old.xlsx", None, 3)
        assert info.saved_at == datetime(2023, 1, 5, 8, 30, tzinfo=UTC)
        assert s.original_bytes(1) == data
        assert [(e.action, e.actor, e.snapshot_id) for e in s.audit()] == [("save", None, 1)]
        assert s.load(1).communes["name"].tolist() == ["Vân Nham", "Minh Sơn", "Hồ Sơn"]
        with pytest.raises(DuplicateSnapshot):
            s.save(data, "again.xlsx")


def test_a_newer_database_is_refused_untouched(db_url: str):
    SnapshotStore(db_url).close()
    engine = storage._make_engine(storage.normalize_url(db_url))
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO schema_version (version, applied_at) VALUES (99, :at)"),
                     {"at": datetime(2030, 1, 1)})
    engine.dispose()
    with pytest.raises(storage.SchemaTooNew):
        SnapshotStore(db_url)


@pytest.mark.parametrize(("given", "expected"), [
    ("postgresql://u:p@db:5432/ntm", "postgresql+psycopg://u:p@db:5432/ntm"),
    ("postgres://u@db/ntm", "postgresql+psycopg://u@db/ntm"),
    ("postgresql+psycopg://u@db/ntm", "postgresql+psycopg://u@db/ntm"),
    ("sqlite:////srv/ntm.sqlite", "sqlite:////srv/ntm.sqlite"),
    ("/srv/data/ntm.sqlite", "sqlite:////srv/data/ntm.sqlite"),
])
def test_normalize_url(given, expected):
    assert storage.normalize_url(given) == expected


def test_default_location_and_overrides(monkeypatch, tmp_path: Path):
    monkeypatch.delenv("NTM_DATABASE_URL", raising=False)
    monkeypatch.delenv("NTM_DATA_DIR", raising=False)
    assert storage.default_url() == f"sqlite:///{PROJECT_ROOT / 'data' / 'ntm.sqlite'}"
    monkeypatch.setenv("NTM_DATA_DIR", str(tmp_path / "new" / "dir"))
    assert storage.default_url() == f"sqlite:///{tmp_path / 'new' / 'dir' / 'ntm.sqlite'}"
    with SnapshotStore() as s:  # created on first use, directories included
        assert s.list() == []
    assert (tmp_path / "new" / "dir" / "ntm.sqlite").is_file()
    monkeypatch.setenv("NTM_DATABASE_URL", "postgresql://x@h/db")
    assert storage.default_url() == "postgresql+psycopg://x@h/db"


# ---- unreadable snapshots and user catalogue files -----------------------------------------------------
CATALOGUE = PROJECT_ROOT / "sample_data" / "catalogue_tinh_mau.yaml"


def _values_2024() -> bytes:
    """15.1 values only: under the sample province catalogue 94 % fails (95), under QĐ 318 it passes (none)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["SỐ LIỆU CHỈ TIÊU NÔNG THÔN MỚI NĂM 2024"])
    sheet.append(["STT", "Tên xã", "Vùng", "15.1. Tỷ lệ người dân tham gia BHYT (%)"])
    sheet.append([1, "Vân Nham", "TDMNPB", "94%"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _corrupt(store: SnapshotStore, snapshot_id: int, content: bytes) -> None:
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE snapshot_files SET content = :c WHERE snapshot_id = :i"),
                     {"c": content, "i": snapshot_id})


def test_history_skips_a_snapshot_that_can_no_longer_be_read(store: SnapshotStore):
    first = store.save(yearly(2022, BOOK_2022), "2022.xlsx")
    second = store.save(yearly(2023, BOOK_2023), "2023.xlsx")
    assert store.unreadable() == []
    _corrupt(store, first.id, b"not a workbook any more")
    history = store.history()
    assert [str(ds.period) for ds in history] == ["2023"]
    [skipped] = store.unreadable()
    assert skipped.info == first and isinstance(skipped.error, ReadError)
    assert skipped.message("vi") != skipped.message("en")
    # nothing lost: the stored bytes, the row and the audit are untouched
    assert store.original_bytes(first.id) == b"not a workbook any more"
    assert [i.id for i in store.list()] == [first.id, second.id]
    assert _counts(store) == (2, 2, 2)
    with pytest.raises(ReadError):
        store.load(first.id)
    _corrupt(store, first.id, yearly(2022, BOOK_2022, note="repaired"))  # read again, nothing reported
    assert [str(ds.period) for ds in store.history()] == ["2022", "2023"] and store.unreadable() == []


@pytest.mark.parametrize("how", ["path", "bytes"])
def test_snapshot_saved_with_a_user_catalogue_reloads_with_it(store: SnapshotStore, how: str):
    data = _values_2024()
    if how == "path":
        info = store.save(data, "chi_tieu.xlsx", criteria_set=str(CATALOGUE))
    else:
        info = store.save(data, "chi_tieu.xlsx", catalogue=CATALOGUE.read_bytes(), catalogue_name="tinh.yaml")
    assert info.criteria_set == "tinh_mau_2023"
    stored = store.catalogue_file(info.id)
    assert stored is not None and stored[0] == CATALOGUE.read_bytes()
    assert stored[1] == ("catalogue_tinh_mau.yaml" if how == "path" else "tinh.yaml")
    ds = store.load(info.id)
    assert ds.criteria_set.id == "tinh_mau_2023"
    row = ds.indicators.iloc[0]
    assert (row["threshold"], row["status"]) == (95.0, "not_met")
    [again] = store.history()
    assert again.criteria_set.id == "tinh_mau_2023" and store.unreadable() == []


def test_built_in_sets_store_no_catalogue_and_a_bad_catalogue_saves_nothing(store: SnapshotStore):
    from ntm_data.catalogue import CatalogueError

    info = store.save(yearly(2022, BOOK_2022), "2022.xlsx")
    assert store.catalogue_file(info.id) is None
    with pytest.raises(CatalogueError):
        store.save(_values_2024(), "x.xlsx", catalogue=b"id: [broken", catalogue_name="bad.yaml")
    assert _counts(store) == (1, 1, 1)


def test_a_snapshot_whose_set_is_gone_is_skipped_not_fatal(store: SnapshotStore):
    """Saved before catalogue files were stored (v2): its set id no longer resolves."""
    data = yearly(2022, BOOK_2022)
    info = store.save(data, "2022.xlsx")
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE snapshots SET criteria_set = 'tinh_da_xoa' WHERE id = :i"), {"i": info.id})
    assert store.history() == []
    [skipped] = store.unreadable()
    assert skipped.info.criteria_set == "tinh_da_xoa" and "tinh_da_xoa" in skipped.message("vi")
    assert store.original_bytes(info.id) == data

"""Snapshot history: every saved status sheet (original bytes + summary figures) in SQLite or PostgreSQL."""
from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from ntm_data import read_cache
from ntm_data.catalogue import CatalogueError, CriteriaSet, load_catalogue_file
from ntm_data.model import Dataset, Period, ReadError
from ntm_data.parallel import read_each

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_PATH = PROJECT_ROOT / "data" / "ntm.sqlite"
DB_FILE_NAME = "ntm.sqlite"
# Another process may hold the write lock while it saves a provincial workbook (well under a second);
# wait for it rather than fail.
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Any fixed 64-bit number: it names the lock that serialises schema upgrades among app servers on PostgreSQL.
PG_MIGRATION_LOCK = 0x4E544D5F534348  # "NTM_SCH"
GROUPINGS = ("district", "province")


@dataclass(frozen=True)
class SnapshotInfo:
    """One saved upload: what it is, when and by whom it was saved, and its headline figures."""

    id: int
    period: str
    grouping: str | None
    criteria_set: str
    source_name: str
    sha256: str
    saved_at: datetime  # UTC, timezone-aware
    saved_by: str | None
    communes: int
    at_standard: int
    average_met: float

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "saved_at": self.saved_at.isoformat()}


@dataclass(frozen=True)
class AuditEntry:
    """One save or delete, kept even after the snapshot itself is deleted."""

    at: datetime  # UTC, timezone-aware
    actor: str | None
    action: str  # "save" | "delete"
    snapshot_id: int
    period: str
    source_name: str


class DuplicateSnapshot(Exception):
    """The same file (same SHA-256) is already saved; `existing` is that snapshot."""

    def __init__(self, existing: SnapshotInfo):
        super().__init__(f"already saved as snapshot {existing.id} ({existing.period}, {existing.source_name})")
        self.existing = existing


class PeriodRequired(ValueError):
    """The sheet's title names no period and none was given: the caller must ask the user for it."""

    def __init__(self, source_name: str):
        super().__init__(f"{source_name}: the sheet names no period (year); give it, e.g. --period 2024")
        self.source_name = source_name


class SnapshotNotFound(LookupError):
    """No snapshot with that id, or none for that period."""


class SchemaTooNew(RuntimeError):
    """The database was upgraded by a newer version of this program: refuse rather than touch it."""


# ---------------------------------------------------------------------------------------------------------
# Schema: each migration step is frozen once released; a new need is a new step appended to MIGRATIONS.

_schema_version = sa.Table(
    "schema_version", sa.MetaData(),
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("applied_at", sa.DateTime, nullable=False),
)


def _step1_snapshots(conn: Connection) -> None:
    """v1: snapshots (summary row) and snapshot_files (original bytes, kept apart so listing stays light)."""
    md = sa.MetaData()
    sa.Table(
        "snapshots", md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("period_year", sa.Integer, nullable=False),
        sa.Column("period_month", sa.Integer, nullable=True),
        sa.Column("grouping_level", sa.String(20), nullable=True),
        sa.Column("criteria_set", sa.String(64), nullable=False),
        sa.Column("source_name", sa.String(255), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("saved_at", sa.DateTime, nullable=False),
        sa.Column("communes", sa.Integer, nullable=False),
        sa.Column("at_standard", sa.Integer, nullable=False),
        sa.Column("average_met", sa.Float, nullable=False),
    )
    sa.Table(
        "snapshot_files", md,
        sa.Column("snapshot_id", sa.Integer, sa.ForeignKey("snapshots.id"), primary_key=True,
                  autoincrement=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
    )
    md.create_all(conn)


def _step2_audit(conn: Connection) -> None:
    """v2 (issue 8): who saved each snapshot, and an audit table of every save and delete."""
    conn.execute(sa.text("ALTER TABLE snapshots ADD COLUMN saved_by VARCHAR(200)"))
    md = sa.MetaData()
    sa.Table(
        "audit", md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("actor", sa.String(200), nullable=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("snapshot_id", sa.Integer, nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("source_name", sa.String(255), nullable=False),
    )
    md.create_all(conn)
    conn.execute(sa.text("CREATE INDEX ix_snapshots_period ON snapshots (period_year, period_month)"))
    # Saves made before the audit existed are recorded once, with an unknown actor, so history is complete.
    conn.execute(sa.text(
        "INSERT INTO audit (at, actor, action, snapshot_id, period, source_name) "
        "SELECT saved_at, NULL, 'save', id, period, source_name FROM snapshots"
    ))


def _step3_catalogue_files(conn: Connection) -> None:
    """v3: the user catalogue file a snapshot was read with (its bytes and name), kept beside the sheet's
    bytes so the snapshot reloads with it; NULL for a built-in set."""
    blob = sa.LargeBinary().compile(dialect=conn.dialect)
    conn.execute(sa.text(f"ALTER TABLE snapshot_files ADD COLUMN catalogue_content {blob}"))
    conn.execute(sa.text("ALTER TABLE snapshot_files ADD COLUMN catalogue_name VARCHAR(255)"))


MIGRATIONS: tuple[Callable[[Connection], None], ...] = (_step1_snapshots, _step2_audit, _step3_catalogue_files)
SCHEMA_VERSION = len(MIGRATIONS)

# The current schema, for queries (matches the result of every step above).
_md = sa.MetaData()
_snapshots = sa.Table(
    "snapshots", _md,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("period", sa.String(7)),
    sa.Column("period_year", sa.Integer),
    sa.Column("period_month", sa.Integer),
    sa.Column("grouping_level", sa.String(20)),
    sa.Column("criteria_set", sa.String(64)),
    sa.Column("source_name", sa.String(255)),
    sa.Column("sha256", sa.String(64)),
    sa.Column("saved_at", sa.DateTime),
    sa.Column("communes", sa.Integer),
    sa.Column("at_standard", sa.Integer),
    sa.Column("average_met", sa.Float),
    sa.Column("saved_by", sa.String(200)),
)
_files = sa.Table(
    "snapshot_files", _md,
    sa.Column("snapshot_id", sa.Integer, primary_key=True),
    sa.Column("content", sa.LargeBinary),
    sa.Column("catalogue_content", sa.LargeBinary),
    sa.Column("catalogue_name", sa.String(255)),
)
_audit = sa.Table(
    "audit", _md,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime),
    sa.Column("actor", sa.String(200)),
    sa.Column("action", sa.String(16)),
    sa.Column("snapshot_id", sa.Integer),
    sa.Column("period", sa.String(7)),
    sa.Column("source_name", sa.String(255)),
)
_INFO_COLUMNS = list(_snapshots.c)
# Oldest period first (Period.sort_key: a bare year sorts as its December), then the order of saving.
_PERIOD_ORDER = (
    _snapshots.c.period_year, sa.func.coalesce(_snapshots.c.period_month, 12),
    _snapshots.c.saved_at, _snapshots.c.id,
)


def schema_version(conn: Connection) -> int:
    """The schema version of an open database (0 when empty)."""
    if not sa.inspect(conn).has_table("schema_version"):
        return 0
    return int(conn.execute(sa.select(sa.func.max(_schema_version.c.version))).scalar() or 0)


def migrate(conn: Connection, target: int = SCHEMA_VERSION) -> int:
    """Apply the missing steps up to `target` inside the caller's (write-locked) transaction.
    Returns the version reached. A database newer than this code is refused rather than touched."""
    _schema_version.create(conn, checkfirst=True)
    current = schema_version(conn)
    if current > SCHEMA_VERSION:
        raise SchemaTooNew(f"database schema v{current} is newer than this program (v{SCHEMA_VERSION})")
    for version in range(current + 1, target + 1):
        MIGRATIONS[version - 1](conn)
        conn.execute(_schema_version.insert().values(version=version, applied_at=_utcnow()))
    return max(current, target)


# ---------------------------------------------------------------------------------------------------------
# Connections


def default_url() -> str:
    """NTM_DATABASE_URL if set, else the SQLite file in NTM_DATA_DIR, else DEFAULT_DB_PATH."""
    url = os.environ.get("NTM_DATABASE_URL", "").strip()
    if url:
        return normalize_url(url)
    data_dir = os.environ.get("NTM_DATA_DIR", "").strip()
    return normalize_url(str(Path(data_dir) / DB_FILE_NAME if data_dir else DEFAULT_DB_PATH))


def normalize_url(url_or_path: str) -> str:
    """A SQLAlchemy URL, a libpq-style postgres(ql):// URL (driven by psycopg 3) or a plain file path
    (an SQLite file) -> a SQLAlchemy URL string."""
    text = url_or_path.strip()
    if "://" not in text:
        return f"sqlite:///{Path(text).expanduser().resolve()}"
    for prefix in ("postgres://", "postgresql://"):
        if text.startswith(prefix):
            return "postgresql+psycopg://" + text[len(prefix):]
    return text


def _utcnow() -> datetime:
    """Naive UTC: both backends store a plain timestamp, read back as UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def _aware(value: datetime | str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _use_wal(cursor: Any) -> None:
    """WAL journal mode: readers never block the writer, nor it them. Retried until the busy timeout: when two
    processes open a new database at once, SQLite answers the switch with "database is locked" at once, without
    waiting on busy_timeout, while the other one holds its lock."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _make_engine(url: str) -> Engine:
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True)
    database = parsed.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transactions out of pysqlite's hands so that BEGIN covers DDL too and writers can ask for
        # BEGIN IMMEDIATE (the write lock up front, waiting busy_timeout for it, never failing midway).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        _use_wal(cursor)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("ntm_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


# ---------------------------------------------------------------------------------------------------------
# The store


def _read(data: bytes, name: str, criteria_set: str | CriteriaSet | None) -> Dataset:
    """Read with the current reader: a snapshot saved long ago benefits from every later fix (the read cache
    keys each reading by the program that made it, so a new reader reads the bytes again)."""
    return read_cache.read(data, name=name, criteria_set=criteria_set)


@dataclass(frozen=True)
class _Stored:
    """A snapshot as saved: its row, the workbook's bytes and the user catalogue file (bytes, name), if any."""

    info: SnapshotInfo
    data: bytes
    catalogue: tuple[bytes, str] | None


def _reading(stored: _Stored) -> Dataset:
    """The snapshot read again, with the catalogue it was saved with; `period` and `source_name` as saved."""
    info = stored.info
    cset = info.criteria_set if stored.catalogue is None else load_catalogue_file(*stored.catalogue)
    ds = _read(stored.data, info.source_name, cset)
    return replace(ds, period=Period.parse(info.period), source_name=info.source_name)


def _is_catalogue_path(ref: object) -> bool:
    return isinstance(ref, Path) or (isinstance(ref, str) and ref.lower().endswith((".yaml", ".yml", ".json")))


@dataclass(frozen=True)
class UnreadableSnapshot:
    """A saved snapshot that the current program can no longer read (its bytes stay stored, untouched).
    `error` is the English reason; `message(lang)` the user's language."""

    info: SnapshotInfo
    error: Exception

    def message(self, lang: str = "vi") -> str:
        message = getattr(self.error, "message", None)
        return message(lang) if callable(message) else str(self.error)


def infer_grouping(ds: Dataset) -> str | None:
    """"province" when the sheet spans several districts, "district" when it names one, else None."""
    if "district" not in ds.communes.columns:
        return None
    districts = ds.communes["district"].dropna().astype(str).str.strip()
    count = districts[districts != ""].nunique()
    return "province" if count > 1 else "district" if count == 1 else None


def _info(row: Any) -> SnapshotInfo:
    m = row._mapping
    return SnapshotInfo(
        id=int(m["id"]), period=m["period"], grouping=m["grouping_level"], criteria_set=m["criteria_set"],
        source_name=m["source_name"], sha256=m["sha256"], saved_at=_aware(m["saved_at"]),
        saved_by=m["saved_by"], communes=int(m["communes"]), at_standard=int(m["at_standard"]),
        average_met=float(m["average_met"]),
    )


class SnapshotStore:
    """Every saved upload, by period. Thread- and process-safe: each call is its own transaction.

    `url`: a SQLAlchemy URL, a postgresql:// URL or an SQLite file path; None -> default_url().
    The database is created and upgraded to SCHEMA_VERSION on first use."""

    def __init__(self, url: str | None = None):
        self.url = normalize_url(url) if url else default_url()
        self.engine = _make_engine(self.url)
        self._unreadable: tuple[UnreadableSnapshot, ...] = ()
        self._ensure_schema()

    # -- plumbing
    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> SnapshotStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction: all of it lands or none of it does."""
        with self.engine.connect().execution_options(ntm_write=True) as conn, conn.begin():
            yield conn

    @contextmanager
    def _read_tx(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def _ensure_schema(self) -> None:
        with self._read_tx() as conn:
            if schema_version(conn) == SCHEMA_VERSION:
                return
        with self._write() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_MIGRATION_LOCK})
            migrate(conn)

    # -- queries
    def list(self) -> list[SnapshotInfo]:
        """Every snapshot, oldest period first (saves of one period in the order they were made)."""
        with self._read_tx() as conn:
            rows = conn.execute(sa.select(*_INFO_COLUMNS).order_by(*_PERIOD_ORDER)).all()
        return [_info(r) for r in rows]

    def info(self, snapshot_id: int) -> SnapshotInfo:
        with self._read_tx() as conn:
            row = conn.execute(sa.select(*_INFO_COLUMNS).where(_snapshots.c.id == snapshot_id)).first()
        if row is None:
            raise SnapshotNotFound(f"no snapshot {snapshot_id}")
        return _info(row)

    def find(self, sha256: str) -> SnapshotInfo | None:
        with self._read_tx() as conn:
            return self._find(conn, sha256)

    @staticmethod
    def _find(conn: Connection, sha256: str) -> SnapshotInfo | None:
        row = conn.execute(sa.select(*_INFO_COLUMNS).where(_snapshots.c.sha256 == sha256)).first()
        return None if row is None else _info(row)

    def periods(self) -> list[str]:
        """Distinct periods, oldest first."""
        seen: dict[str, None] = {}
        for info in self.list():
            seen.setdefault(info.period, None)
        return list(seen)

    def latest_for_period(self, period: str) -> SnapshotInfo:
        """The newest save of `period` (a later save of the same period is a revision)."""
        key = str(Period.parse(period))
        matches = [i for i in self.list() if i.period == key]
        if not matches:
            raise SnapshotNotFound(f"no snapshot for period {key}")
        return matches[-1]

    def original_bytes(self, snapshot_id: int) -> bytes:
        with self._read_tx() as conn:
            content = conn.execute(
                sa.select(_files.c.content).where(_files.c.snapshot_id == snapshot_id)
            ).scalar()
        if content is None:
            raise SnapshotNotFound(f"no snapshot {snapshot_id}")
        return bytes(content)

    def catalogue_file(self, snapshot_id: int) -> tuple[bytes, str] | None:
        """(bytes, file name) of the user catalogue the snapshot was saved with; None for a built-in set."""
        with self._read_tx() as conn:
            row = conn.execute(sa.select(_files.c.catalogue_content, _files.c.catalogue_name)
                               .where(_files.c.snapshot_id == snapshot_id)).first()
        if row is None or row.catalogue_content is None:
            return None
        return bytes(row.catalogue_content), row.catalogue_name or "catalogue.yaml"

    def load(self, snapshot_id: int) -> Dataset:
        """The snapshot re-read from its stored bytes with the current reader, and with the user catalogue
        file it was saved with (if any); `period` and `source_name` are those saved.
        Raises ReadError / CatalogueError when the bytes or the catalogue can no longer be read."""
        return _reading(self._stored(snapshot_id))

    def _stored(self, snapshot_id: int) -> _Stored:
        """What reading a snapshot takes from the database (in the calling thread: SQLAlchemy gives an
        in-memory SQLite database one connection per thread, so another thread would find it empty)."""
        return _Stored(self.info(snapshot_id), self.original_bytes(snapshot_id), self.catalogue_file(snapshot_id))

    def load_period(self, period: str) -> Dataset:
        return self.load(self.latest_for_period(period).id)

    def history(self, criteria_set: str | None = None) -> list[Dataset]:
        """One dataset per period (its newest save), oldest -> newest; only `criteria_set` when given.

        A snapshot the current program can no longer read (ReadError, CatalogueError) is skipped, not
        fatal: unreadable() lists those this call skipped. Their stored bytes are never touched."""
        latest: dict[str, SnapshotInfo] = {}
        for info in self.list():
            if criteria_set is None or info.criteria_set == criteria_set:
                latest[info.period] = info  # list() is in saving order within a period: the last wins
        datasets: list[Dataset] = []
        skipped: list[UnreadableSnapshot] = []
        stored = [self._stored(info.id) for info in latest.values()]
        for item, reading in zip(stored, read_each(_reading, stored, (ReadError, CatalogueError)), strict=True):
            if isinstance(reading, Dataset):
                datasets.append(reading)
            else:
                skipped.append(UnreadableSnapshot(item.info, reading))
        self._unreadable = tuple(skipped)
        return datasets

    def unreadable(self) -> list[UnreadableSnapshot]:
        """The snapshots the last history() call skipped because they could not be read."""
        return list(self._unreadable)

    def audit(self) -> list[AuditEntry]:
        """Every save and delete, oldest first."""
        with self._read_tx() as conn:
            rows = conn.execute(sa.select(_audit).order_by(_audit.c.at, _audit.c.id)).all()
        return [
            AuditEntry(at=_aware(r.at), actor=r.actor, action=r.action, snapshot_id=int(r.snapshot_id),
                       period=r.period, source_name=r.source_name)
            for r in rows
        ]

    # -- changes
    def save(
        self, data: bytes, source_name: str, *, period: str | None = None, grouping: str | None = None,
        criteria_set: str | Path | None = None, actor: str | None = None,
        catalogue: bytes | None = None, catalogue_name: str | None = None,
    ) -> SnapshotInfo:
        """Read `data` (ReadError propagates, nothing saved) and keep it with its summary figures.

        criteria_set: a set id, a path to a user catalogue file, or None (detected). A user catalogue may
        also come as bytes (`catalogue`, named `catalogue_name`, e.g. an upload); its bytes are stored with
        the snapshot so that it reloads with the same catalogue (CatalogueError propagates, nothing saved).
        Period: `period` if given, else the one the sheet's title names, else PeriodRequired.
        Raises DuplicateSnapshot when the same bytes are already saved. One transaction."""
        data = bytes(data)
        if catalogue is None and _is_catalogue_path(criteria_set):
            path = Path(criteria_set)  # type: ignore[arg-type]
            try:
                catalogue, catalogue_name = path.read_bytes(), path.name
            except OSError:
                load_catalogue_file(path)  # raises the "cannot read the file" CatalogueError
        chosen: str | CriteriaSet | None = criteria_set  # type: ignore[assignment]
        if catalogue is not None:
            catalogue = bytes(catalogue)
            catalogue_name = catalogue_name or "catalogue.yaml"
            chosen = load_catalogue_file(catalogue, catalogue_name)
        sha = hashlib.sha256(data).hexdigest()
        existing = self.find(sha)
        if existing is not None:
            raise DuplicateSnapshot(existing)
        if grouping is not None and grouping not in GROUPINGS:
            raise ValueError(f"grouping must be one of {', '.join(GROUPINGS)}, not {grouping!r}")
        explicit = Period.parse(period) if period not in (None, "") else None
        ds = _read(data, source_name, chosen)
        resolved = explicit or ds.period
        if resolved is None:
            raise PeriodRequired(source_name)
        met = ds.criteria_met
        row = {
            "period": str(resolved), "period_year": resolved.year, "period_month": resolved.month,
            "grouping_level": grouping or infer_grouping(ds), "criteria_set": str(ds.criteria_set.id),
            "source_name": source_name, "sha256": sha, "saved_at": _utcnow(), "saved_by": actor,
            "communes": len(ds.communes), "at_standard": int(ds.at_standard.sum()),
            "average_met": float(met.mean()) if len(met) else 0.0,
        }
        try:
            with self._write() as conn:
                existing = self._find(conn, sha)
                if existing is not None:
                    raise DuplicateSnapshot(existing)
                snapshot_id = int(conn.execute(_snapshots.insert().values(**row)).inserted_primary_key[0])
                self._store_bytes(conn, snapshot_id, data, catalogue, catalogue_name)
                self._record_audit(conn, "save", snapshot_id, row["period"], source_name, actor, row["saved_at"])
        except sa.exc.IntegrityError:
            # Another process saved the same file between our check and our insert.
            existing = self.find(sha)
            if existing is None:
                raise
            raise DuplicateSnapshot(existing) from None
        return SnapshotInfo(
            id=snapshot_id, period=row["period"], grouping=row["grouping_level"],
            criteria_set=row["criteria_set"], source_name=source_name, sha256=sha,
            saved_at=_aware(row["saved_at"]), saved_by=actor, communes=row["communes"],
            at_standard=row["at_standard"], average_met=row["average_met"],
        )

    def delete(self, snapshot_id: int, *, actor: str | None = None) -> None:
        """Remove a snapshot and its bytes; the audit keeps who deleted what and when."""
        with self._write() as conn:
            row = conn.execute(sa.select(*_INFO_COLUMNS).where(_snapshots.c.id == snapshot_id)).first()
            if row is None:
                raise SnapshotNotFound(f"no snapshot {snapshot_id}")
            conn.execute(_files.delete().where(_files.c.snapshot_id == snapshot_id))
            conn.execute(_snapshots.delete().where(_snapshots.c.id == snapshot_id))
            self._record_audit(conn, "delete", snapshot_id, row.period, row.source_name, actor, _utcnow())

    @staticmethod
    def _store_bytes(conn: Connection, snapshot_id: int, data: bytes, catalogue: bytes | None = None,
                     catalogue_name: str | None = None) -> None:
        conn.execute(_files.insert().values(snapshot_id=snapshot_id, content=data, catalogue_content=catalogue,
                                            catalogue_name=catalogue_name if catalogue is not None else None))

    @staticmethod
    def _record_audit(
        conn: Connection, action: str, snapshot_id: int, period: str, source_name: str,
        actor: str | None, at: datetime,
    ) -> None:
        conn.execute(_audit.insert().values(
            at=at, actor=actor, action=action, snapshot_id=snapshot_id, period=period, source_name=source_name,
        ))

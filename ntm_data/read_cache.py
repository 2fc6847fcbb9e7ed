"""Workbooks already read, kept on disk by content: a restarted server opens the years it has read before
from here instead of parsing their Excel again (a national year: ~0.45 s to read, under 20 ms from here).

An entry is keyed by the workbook's SHA-256, its name, the criteria set asked for, the evaluation year and
the program that read it (every file of this package and the versions of the libraries the reader uses),
so a new reader or catalogue never serves an old reading. The cache only ever holds what it can rebuild:
a broken, foreign or unwritable entry is dropped and the workbook read again, and deleting the directory
at any time is safe. It lives in the data directory, beside the snapshot store, and is as trusted as it:
only this program writes its entries (pickles), and nothing a user sends is ever unpickled."""
from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import pickle
import sys
import tempfile
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from ntm_data import dataset
from ntm_data.catalogue import BUILTIN_IDS, CriteriaSet, get_criteria_set
from ntm_data.model import Dataset

PACKAGE_DIR = Path(__file__).resolve().parent
DIR_NAME = "read-cache"
SUFFIX = ".dataset"
MAX_BYTES = 2 * 1024**3  # ~80 national value workbooks or thousands of district ones; least recently used go first
OFF = frozenset({"off", "0", "no", "false", "none"})
READER_LIBRARIES = ("pandas", "numpy", "pyarrow", "python-calamine", "openpyxl", "xlrd", "pyyaml")
log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def program_fingerprint() -> str:
    """What a reading depends on besides the file: this package's code and data files, Python and the
    reader's libraries. Any change makes every earlier entry unreachable."""
    digest = hashlib.sha256(sys.version.encode())
    for library in READER_LIBRARIES:
        try:
            digest.update(f"{library}={metadata.version(library)};".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{library}=-;".encode())
    for path in sorted(p for p in PACKAGE_DIR.rglob("*") if p.suffix in {".py", ".yaml", ".yml", ".json"}):
        digest.update(str(path.relative_to(PACKAGE_DIR)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _set_key(criteria_set: str | CriteriaSet | None) -> str:
    """The criteria set by content: an id, an alias and a catalogue file's path are resolved first (the file
    may have changed since). A CriteriaSet is frozen dataclasses and tuples all the way down, so its repr is
    its content."""
    if criteria_set is None:
        return "detected"
    try:
        resolved = get_criteria_set(criteria_set)
    except Exception:  # noqa: BLE001 - load_dataset refuses it itself, in the user's words
        return f"ref:{criteria_set}"
    return hashlib.sha256(repr(resolved).encode()).hexdigest()


class _Pickler(pickle.Pickler):
    """Built-in criteria sets are written as their id and come back as the catalogue's own objects."""

    def persistent_id(self, obj: object) -> str | None:
        if isinstance(obj, CriteriaSet) and obj.id in BUILTIN_IDS and obj == get_criteria_set(obj.id):
            return obj.id
        return None


class _Unpickler(pickle.Unpickler):
    def persistent_load(self, pid: object) -> CriteriaSet:
        return get_criteria_set(str(pid))


class ReadCache:
    """Datasets on disk under `directory`, one file per reading, at most `max_bytes` in all."""

    def __init__(self, directory: str | Path, max_bytes: int = MAX_BYTES):
        self.directory = Path(directory)
        self.max_bytes = max_bytes

    @classmethod
    def default(cls) -> ReadCache | None:
        """NTM_READ_CACHE_DIR if set ("off" turns the cache off), else read-cache/ in NTM_DATA_DIR, else in the
        project's data/ directory (where the SQLite store lives by default)."""
        chosen = os.environ.get("NTM_READ_CACHE_DIR", "").strip()
        if chosen.lower() in OFF:
            return None
        if chosen:
            return cls(chosen)
        data_dir = os.environ.get("NTM_DATA_DIR", "").strip()
        return cls(Path(data_dir) / DIR_NAME if data_dir else PACKAGE_DIR.parent / "data" / DIR_NAME)

    def key(self, data: bytes, name: str, criteria_set: str | CriteriaSet | None, year: int | None) -> str:
        parts = (program_fingerprint(), hashlib.sha256(data).hexdigest(), name, _set_key(criteria_set), str(year))
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()

    def read(self, data: bytes, *, name: str, criteria_set: str | CriteriaSet | None = None,
             year: int | None = None) -> Dataset:
        """load_dataset(data, ...) as it was read before, else read now and kept. Raises what load_dataset
        raises (a workbook that cannot be read is not kept: it is read, and refused, again)."""
        key = self.key(data, name, criteria_set, year)
        found = self.get(key)
        if found is not None:
            return found
        ds = dataset.load_dataset(data, name=name, criteria_set=criteria_set, year=year)
        self.put(key, ds)
        return ds

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}{SUFFIX}"

    def get(self, key: str) -> Dataset | None:
        path = self._path(key)
        try:
            handle = path.open("rb")
        except OSError:  # not kept (or no cache directory to keep it in)
            return None
        with handle:
            try:
                ds = _Unpickler(handle).load()
            except Exception:  # noqa: BLE001 - truncated, foreign or unreadable: read the workbook again
                log.warning("read cache: %s cannot be used, dropped", path.name, exc_info=True)
                ds = None
        if not isinstance(ds, Dataset):
            _remove(path)
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # most recently used: the last to be evicted
        return ds

    def put(self, key: str, ds: Dataset) -> None:
        """Keep `ds` under `key` (written whole or not at all); a full or read-only disk only logs."""
        buffer = io.BytesIO()
        tmp: Path | None = None
        try:
            _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(ds)
            self.directory.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.directory, suffix=".tmp", delete=False) as handle:
                tmp = Path(handle.name)
                handle.write(buffer.getbuffer())
            os.replace(tmp, self._path(key))
        except Exception:  # noqa: BLE001 - the cache is an optimisation; the reading itself succeeded
            log.warning("read cache: could not keep %s", ds.source_name, exc_info=True)
            if tmp is not None:
                _remove(tmp)
            return
        self.evict()

    def evict(self) -> None:
        """Remove the least recently used entries until the rest fit in max_bytes."""
        entries = []
        for path in self.directory.glob(f"*{SUFFIX}"):
            try:
                stat = path.stat()
            except OSError:
                continue
            entries.append((stat.st_mtime_ns, stat.st_size, path))
        total = sum(size for _mtime, size, _path in entries)
        for _mtime, size, path in sorted(entries):
            if total <= self.max_bytes:
                break
            _remove(path)
            total -= size


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


def read(data: bytes, *, name: str, criteria_set: str | CriteriaSet | None = None,
         year: int | None = None) -> Dataset:
    """load_dataset through the default cache (ReadCache.default()), or directly when it is off."""
    cache = ReadCache.default()
    if cache is None:
        return dataset.load_dataset(data, name=name, criteria_set=criteria_set, year=year)
    return cache.read(data, name=name, criteria_set=criteria_set, year=year)

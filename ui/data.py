"""The cached boundary between Streamlit and ntm_data: loading workbooks, the sample files, the snapshot store."""
from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from ntm_data.catalogue import CriteriaSet
from ntm_data.model import Dataset
from ntm_data.parallel import read_each

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = Path(os.environ.get("NTM_SAMPLE_DIR") or ROOT / "sample_data")  # the env var serves tests and demos
DEFAULT_SAMPLE = "huu_lung_2025.xlsx"
# The yearly district summaries of the sample district make its history (oldest first).
SAMPLE_HISTORY = re.compile(r"huu_lung_(\d{4})\.xlsx")
log = logging.getLogger(__name__)
MAX_CACHED_WORKBOOKS = 8  # a session holds one upload plus the four sample years; more only wastes memory


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class UserCatalogue:
    """A catalogue file the user uploaded (a province's stricter set, QĐ 51/2025's sub-indicators)."""

    data: bytes
    name: str

    @property
    def key(self) -> str:
        """What caches are keyed on: the bytes' hash, not the (unhashable, rebuilt) CriteriaSet."""
        return f"catalogue:{digest(self.data)}"

    def criteria_set(self) -> CriteriaSet:
        return catalogue(self.data, self.name)


@st.cache_resource(max_entries=MAX_CACHED_WORKBOOKS, show_spinner=False)
def _catalogue(key: str, _data: bytes, name: str) -> CriteriaSet:
    from ntm_data.catalogue import load_catalogue_file

    return load_catalogue_file(_data, name)


def catalogue(data: bytes, name: str) -> CriteriaSet:
    """A user catalogue file (bytes) as a CriteriaSet, read once per content. Raises CatalogueError."""
    return _catalogue(digest(data), data, name)


@st.cache_resource(max_entries=MAX_CACHED_WORKBOOKS, show_spinner=False)
def _load(key: str, _data: bytes, name: str, criteria_set: str | None, year: int | None,
          _user: UserCatalogue | None = None) -> Dataset:
    # cache_resource, not cache_data: a Dataset is immutable by contract, and copying national-size
    # frames on every rerun would cost more than the page itself. `key` is the content hash; a user
    # catalogue stands in `criteria_set` by its key (the hash of its bytes).
    # Behind this server's memory, the data directory's read cache: a restart does not parse the Excel again.
    from ntm_data import read_cache

    chosen = _user.criteria_set() if _user is not None else criteria_set
    return read_cache.read(_data, name=name, criteria_set=chosen, year=year)


def load(data: bytes, name: str, criteria_set: str | UserCatalogue | None = None, year: int | None = None) -> Dataset:
    """Read one workbook (bytes) into a Dataset, once per content, name and criteria set (a built-in set
    id, a user catalogue, or None: detected).

    Raises ntm_data ReadError when the file cannot be used at all, CatalogueError for a broken catalogue."""
    if isinstance(criteria_set, UserCatalogue):
        return _load(digest(data), data, name, criteria_set.key, year, criteria_set)
    return _load(digest(data), data, name, criteria_set, year)


def sample_files() -> list[Path]:
    """Every workbook shipped in sample_data/, by name."""
    return sorted(p for p in SAMPLE_DIR.glob("*.xls*") if p.is_file())


def sample_history_files() -> list[tuple[int, Path]]:
    """(year, path) of the yearly sample summaries, oldest first."""
    found = [(int(m.group(1)), p) for p in SAMPLE_DIR.glob("huu_lung_*.xlsx") if (m := SAMPLE_HISTORY.fullmatch(p.name))]
    return sorted(found)


def load_sample(criteria_set: str | UserCatalogue | None = None) -> Dataset:
    path = SAMPLE_DIR / DEFAULT_SAMPLE
    return load(path.read_bytes(), path.name, criteria_set)


# Which (criteria set, files) histories this server has read: the overview draws its figures from the open
# year at once and reads the earlier years after, unless they are already here (then it draws all at once).
_HISTORY_READ: set[tuple[str, tuple[str, ...]]] = set()


def _history_key(criteria_set: str | UserCatalogue | None) -> tuple[str, tuple[str, ...]]:
    chosen = criteria_set.key if isinstance(criteria_set, UserCatalogue) else str(criteria_set)
    return chosen, tuple(p.name for _year, p in sample_history_files())


def load_sample_history(criteria_set: str | UserCatalogue | None = None) -> list[Dataset]:
    """The sample district's yearly snapshots, oldest first (each read once, then cached). An earlier year
    that cannot be read is left out of the history (and logged): the open year is what the pages show."""
    from ntm_data.model import ReadError

    paths = [path for _year, path in sample_history_files()]
    order = sorted(paths, key=lambda p: p.name != DEFAULT_SAMPLE)  # the open year first: a page waits for it
    read = read_each(lambda p: load(p.read_bytes(), p.name, criteria_set), order, ReadError)
    readings = dict(zip(order, read, strict=True))
    history = []
    for path in paths:
        if not isinstance(readings[path], ReadError):
            history.append(readings[path])
        elif path.name == DEFAULT_SAMPLE:
            raise readings[path]
        else:
            log.warning("sample history: %s cannot be read, left out", path.name)
    _HISTORY_READ.add(_history_key(criteria_set))
    return history


def sample_history_ready(criteria_set: str | UserCatalogue | None = None) -> bool:
    """True when load_sample_history(criteria_set) has run on this server (it returns from the cache)."""
    return _history_key(criteria_set) in _HISTORY_READ


@st.cache_resource(show_spinner=False)
def _store(url: str):
    from ntm_data.storage import SnapshotStore

    return SnapshotStore(url)


def store():
    """The snapshot store shared by every session of this server (NTM_DATABASE_URL / NTM_DATA_DIR,
    see ntm_data.storage.default_url). Raises when it cannot be opened; callers show a notice."""
    from ntm_data.storage import default_url

    return _store(default_url())


@st.cache_resource(max_entries=MAX_CACHED_WORKBOOKS, show_spinner=False)
def _saved_history(_store: object, url: str, snapshot_ids: tuple[int, ...], criteria_set: str) -> list[Dataset]:
    # Keyed by the ids saved: a save or delete changes the key, so the history is re-read only then.
    return _store.history(criteria_set=criteria_set)


def saved_history(criteria_set: str) -> list[Dataset]:
    """The store's snapshots of one criteria set (one per period, oldest first), read once per change."""
    snapshots = store()
    ids = tuple(info.id for info in snapshots.list() if info.criteria_set == criteria_set)
    return _saved_history(snapshots, snapshots.url, ids, criteria_set) if ids else []


def merge_history(saved: Sequence[Dataset], current: Dataset) -> list[Dataset]:
    """Saved snapshots of the current criteria set up to the open workbook's period, then the open workbook
    (oldest first). The open workbook replaces a saved snapshot of the same period (it is what the user is
    looking at); later periods are left out, so "the previous snapshot" is the one before the open one."""
    same_set = [d for d in saved if d.criteria_set.id == current.criteria_set.id and d.period is not None]
    if current.period is None:
        return [*sorted((d for d in same_set if d.source_name != current.source_name),
                        key=lambda d: d.period.sort_key), current]
    earlier = [d for d in same_set if d.period.sort_key < current.period.sort_key]
    return [*sorted(earlier, key=lambda d: d.period.sort_key), current]


@st.cache_data(max_entries=8, show_spinner=False)
def template(criteria_set: str, lang: str) -> bytes:
    """The blank fill-in workbook for a criteria set (built once per set and language)."""
    from ntm_data.exports.template import blank_template

    return blank_template(criteria_set, lang)


@st.cache_resource(max_entries=MAX_CACHED_WORKBOOKS, show_spinner=False)
def _saved_each(_store: object, url: str, snapshot_ids: tuple[int, ...]) -> list[Dataset | None]:
    from ntm_data.catalogue import CatalogueError
    from ntm_data.model import ReadError

    loaded: list[Dataset | None] = []
    for snapshot_id in snapshot_ids:  # one per saved file, not per commune
        try:
            loaded.append(_store.load(snapshot_id))
        except (ReadError, CatalogueError):  # listed on the Data page by unreadable_snapshots()
            loaded.append(None)
    return loaded


@st.cache_resource(max_entries=MAX_CACHED_WORKBOOKS, show_spinner=False)
def _unreadable(_store: object, url: str, snapshot_ids: tuple[int, ...]) -> list:
    _store.history()
    return _store.unreadable()


def unreadable_snapshots() -> list:
    """The store's snapshots that this program can no longer read (ntm_data.storage.UnreadableSnapshot:
    .info, .message(lang)), so that the Data page can say so instead of letting them vanish; checked once
    per change of the store."""
    snapshots = store()
    ids = tuple(info.id for info in snapshots.list())
    return _unreadable(snapshots, snapshots.url, ids) if ids else []


def saved_snapshots(criteria_set: str) -> list[tuple[object, Dataset]]:
    """Every save of one criteria set (revisions of a period included), oldest period first, with its
    SnapshotInfo; read once per change of the store."""
    snapshots = store()
    infos = [info for info in snapshots.list() if info.criteria_set == criteria_set]
    loaded = _saved_each(snapshots, snapshots.url, tuple(info.id for info in infos)) if infos else []
    return [(info, ds) for info, ds in zip(infos, loaded, strict=True) if ds is not None]

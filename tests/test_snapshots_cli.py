"""`python -m ntm_data snapshots add|list|delete` and `compare`: held-out yearly workbooks in, the right
periods, communes and criteria gained and lost out; exit 2 with one line on stderr for unusable input."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_storage import ALL, BOOK_2022, BOOK_2023, status_workbook, yearly

from ntm_data.cli import main
from ntm_data.storage import SnapshotStore

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BOOK_2024 = {"Vân Nham": set(range(1, 16)) | {17}, "Minh Sơn": ALL - {19}, "Hồ Sơn": ALL, "Tân Lập": ALL}


@pytest.fixture
def db(tmp_path: Path, monkeypatch) -> str:
    """A fresh store, named through NTM_DATABASE_URL as a deployment would."""
    url = f"sqlite:///{tmp_path / 'ntm.sqlite'}"
    monkeypatch.setenv("NTM_DATABASE_URL", url)
    return url


@pytest.fixture
def books(tmp_path: Path) -> dict[int, Path]:
    out = {}
    for year, book in ((2022, BOOK_2022), (2023, BOOK_2023), (2024, BOOK_2024)):
        out[year] = tmp_path / f"tong hop {year}.xlsx"
        out[year].write_bytes(yearly(year, book))
    return out


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["--lang", "vi", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_add_list_in_period_order(db, books, capsys):
    for year in (2024, 2022, 2023):  # added out of order
        code, out, err = run(capsys, "snapshots", "add", str(books[year]), "--actor", "văn phòng")
        assert (code, err) == (0, "")
        assert f"kỳ {year}" in out
    code, out, _ = run(capsys, "snapshots", "list", "--format", "json")
    rows = json.loads(out)
    assert [(r["period"], r["communes"], r["at_standard"], r["saved_by"]) for r in rows] == [
        ("2022", 3, 1, "văn phòng"), ("2023", 3, 2, "văn phòng"), ("2024", 4, 2, "văn phòng")]
    assert rows[0]["source_name"] == "tong hop 2022.xlsx" and len(rows[0]["sha256"]) == 64
    assert rows[2]["average_met"] == pytest.approx((16 + 18 + 19 + 19) / 4)
    code, out, _ = run(capsys, "--lang", "en", "snapshots", "list")
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["#", "Period", "Criteria"] and len(lines) == 4
    assert [line.split()[1] for line in lines[1:]] == ["2022", "2023", "2024"]


def test_same_file_twice_is_reported_once_stored(db, books, capsys):
    assert run(capsys, "snapshots", "add", str(books[2022]))[0] == 0
    code, out, err = run(capsys, "snapshots", "add", str(books[2022]), "--period", "2025")
    assert code == 0 and "đã được lưu" in out and "#1" in out and err == ""
    assert len(SnapshotStore(db).list()) == 1


@pytest.mark.parametrize(("content", "args", "needle"), [
    (status_workbook("BÁO CÁO TỔNG HỢP", BOOK_2022), [], "--period"),  # no year in the title: ask for it
    (yearly(2022, BOOK_2022), ["--period", "2022-13"], "2022-13"),
    (b"not a workbook at all", ["--period", "2022"], ""),
])
def test_add_unusable_input_exits_2_with_one_line(db, tmp_path, capsys, content, args, needle):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(content)
    code, out, err = run(capsys, "snapshots", "add", str(path), *args)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and needle in err
    assert SnapshotStore(db).list() == []


def test_add_missing_file_and_explicit_period(db, tmp_path, capsys):
    code, _, err = run(capsys, "snapshots", "add", str(tmp_path / "missing.xlsx"))
    assert code == 2 and len(err.strip().splitlines()) == 1
    path = tmp_path / "no title.xlsx"
    path.write_bytes(status_workbook(None, BOOK_2022))
    code, out, _ = run(capsys, "snapshots", "add", str(path), "--period", "2021-06", "--format", "json")
    assert code == 0 and json.loads(out)["snapshot"]["period"] == "2021-06"


def test_db_option_beats_environment(db, books, tmp_path, capsys):
    other = tmp_path / "other" / "store.sqlite"
    assert run(capsys, "snapshots", "add", str(books[2022]), "--db", str(other))[0] == 0
    assert other.is_file()
    assert SnapshotStore(db).list() == []
    assert [i.period for i in SnapshotStore(str(other)).list()] == ["2022"]
    code, out, _ = run(capsys, "snapshots", "list")
    assert (code, out.strip()) == (0, "Chưa có bản lưu nào.")


def _add_all(capsys, books):
    for year in (2022, 2023, 2024):
        assert run(capsys, "snapshots", "add", str(books[year]))[0] == 0


def test_compare_json_gives_gains_losses_and_standard_changes(db, books, capsys):
    _add_all(capsys, books)
    code, out, err = run(capsys, "compare", "2023", "2024", "--format", "json")
    assert (code, err) == (0, "")
    report = json.loads(out)
    assert (report["old"]["period"], report["new"]["period"]) == ("2023", "2024")
    assert [(r["name"], r["criteria"]) for r in report["gained"]] == [("Vân Nham", ["17"])]
    assert [(r["name"], r["criteria"]) for r in report["lost"]] == [("Minh Sơn", ["19"])]
    assert [r["name"] for r in report["dropped_from_standard"]] == ["Minh Sơn"]
    assert report["newly_at_standard"] == []
    assert [r["name"] for r in report["added_communes"]] == ["Tân Lập"]
    assert report["removed_communes"] == []
    assert [(r["name"], r["old_met"], r["new_met"], r["delta"]) for r in report["movers"]] == [
        ("Minh Sơn", 19, 18, -1), ("Vân Nham", 15, 16, 1)]
    assert {(c["name"], c["criterion"], c["old"], c["new"], c["change"]) for c in report["changes"]} == {
        ("Vân Nham", "17", "not_met", "met", "gained"), ("Minh Sơn", "19", "met", "not_met", "lost")}

    code, out, _ = run(capsys, "compare", "2022", "2023", "--format", "json")
    report = json.loads(out)
    assert [(r["name"], r["criteria"]) for r in report["gained"]] == [
        ("Hồ Sơn", ["17"]), ("Vân Nham", ["12", "13", "14", "15"])]
    assert [r["name"] for r in report["newly_at_standard"]] == ["Hồ Sơn"]
    assert report["lost"] == [] and report["dropped_from_standard"] == []


def test_compare_text_report(db, books, capsys):
    _add_all(capsys, books)
    code, out, _ = run(capsys, "compare", "2023", "2024")
    assert code == 0
    assert out.splitlines()[0] == "So sánh kỳ 2023 với kỳ 2024"
    assert "Xã không còn đạt chuẩn (1)\n  Minh Sơn" in out
    assert "Tiêu chí mới đạt (1)\n  Vân Nham: tiêu chí 17" in out
    assert "Tiêu chí không còn đạt (1)\n  Minh Sơn: tiêu chí 19" in out
    assert "Minh Sơn: 19 → 18 (-1)" in out
    assert "Xã chỉ có trong kỳ 2024 (1)\n  Tân Lập" in out


def test_compare_a_revised_period_uses_the_newest_save(db, books, tmp_path, capsys):
    _add_all(capsys, books)
    revised = tmp_path / "2023 sửa.xlsx"
    revised.write_bytes(yearly(2023, {**BOOK_2023, "Hồ Sơn": ALL - {5}}))
    assert run(capsys, "snapshots", "add", str(revised))[0] == 0
    report = json.loads(run(capsys, "compare", "2022", "2023", "--format", "json")[1])
    assert report["new"]["source_name"] == "2023 sửa.xlsx"
    assert [(r["name"], r["criteria"]) for r in report["lost"]] == [("Hồ Sơn", ["5"])]


@pytest.mark.parametrize(("old", "new", "needle"), [
    ("2022", "2019", "2019"),
    ("2022", "2023-06", "2023-06"),
    ("năm ngoái", "2023", "năm ngoái"),
])
def test_compare_unknown_period_exits_2_with_one_line(db, books, capsys, old, new, needle):
    _add_all(capsys, books)
    code, out, err = run(capsys, "compare", old, new)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and needle in err


def test_compare_unknown_period_lists_saved_ones(db, books, capsys):
    _add_all(capsys, books)
    err = run(capsys, "compare", "2021", "2024")[2]
    assert "2022, 2023, 2024" in err


def test_delete_asks_for_confirmation(db, books, capsys, monkeypatch):
    _add_all(capsys, books)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False, raising=False)
    code, _, err = run(capsys, "snapshots", "delete", "2")
    assert code == 1 and "--yes" in err
    assert len(SnapshotStore(db).list()) == 3

    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr("builtins.input", lambda prompt: "không")
    assert run(capsys, "snapshots", "delete", "2")[0] == 1
    assert len(SnapshotStore(db).list()) == 3
    monkeypatch.setattr("builtins.input", lambda prompt: "Có")
    code, out, _ = run(capsys, "snapshots", "delete", "2", "--actor", "trưởng phòng")
    assert code == 0 and "#2" in out

    code, _, _ = run(capsys, "snapshots", "delete", "3", "--yes")
    assert code == 0
    store = SnapshotStore(db)
    assert [i.period for i in store.list()] == ["2022"]
    assert [(e.action, e.snapshot_id, e.actor) for e in store.audit()][-2:] == [
        ("delete", 2, "trưởng phòng"), ("delete", 3, None)]
    code, _, err = run(capsys, "snapshots", "delete", "2", "--yes")
    assert code == 2 and len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_real_process_end_to_end(tmp_path, books):
    """As the held-out check runs it: separate processes, exit codes, JSON on stdout."""
    env = {**os.environ, "NTM_DATABASE_URL": str(tmp_path / "e2e.sqlite"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))}

    def cli(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "ntm_data", *argv], capture_output=True, text=True,
                              env=env, cwd=PROJECT_ROOT, timeout=120)

    assert cli("snapshots", "add", str(books[2022])).returncode == 0
    assert cli("snapshots", "add", str(books[2024])).returncode == 0
    listed = cli("snapshots", "list", "--format", "json")
    assert [r["period"] for r in json.loads(listed.stdout)] == ["2022", "2024"]
    compared = cli("compare", "2022", "2024", "--format", "json")
    assert compared.returncode == 0
    assert [r["name"] for r in json.loads(compared.stdout)["newly_at_standard"]] == ["Hồ Sơn"]


def test_unreachable_database_exits_2_without_the_password(capsys, tmp_path):
    code, out, err = run(capsys, "snapshots", "list", "--db", "postgresql://bob:secret@127.0.0.1:1/ntm")
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "secret" not in err and "127.0.0.1" in err


def test_compare_a_saved_period_with_a_new_file(db, books, capsys):
    """Before saving this year's sheet: what changed since the last meeting's saved period."""
    assert run(capsys, "snapshots", "add", str(books[2023]))[0] == 0
    code, out, _ = run(capsys, "compare", "2023", str(books[2024]), "--format", "json")
    report = json.loads(out)
    assert code == 0 and report["new"]["source_name"] == books[2024].name
    assert [(r["name"], r["criteria"]) for r in report["lost"]] == [("Minh Sơn", ["19"])]
    assert len(SnapshotStore(db).list()) == 1  # comparing does not save

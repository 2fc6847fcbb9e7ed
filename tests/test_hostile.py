"""Hostile and broken inputs: each ends, within seconds and bounded memory, in a ReadError whose message
says what to fix (vi and en), or in a Dataset whose issues point at the sheet and cell."""
from __future__ import annotations

import os
import resource
import subprocess
import sys
import textwrap
import time
import tracemalloc
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import hostile as h
import pytest

from ntm_data.dataset import load_dataset
from ntm_data.limits import check_workbook_bytes
from ntm_data.model import Dataset, ReadError, Severity

MAX_SECONDS = 5.0
MAX_PYTHON_MB = 300  # tracemalloc peak of the check and the read (Python objects)
# tracemalloc does not see python-calamine's own (Rust) memory; the process's peak resident size does.
MAX_PROCESS_MB = 1500


@dataclass(frozen=True)
class Case:
    """One bad input and the outcome it must reach.

    errors: the ReadError codes accepted (without "issue."); empty when a Dataset is expected.
    cells: (code or None for any code, sheet, cell) that the Dataset's issues must include.
    check: a further assertion on the Dataset.
    reader_gap: why the current reader fails this case (the case is then a strict xfail).
    """

    build: Callable[[], bytes]
    errors: frozenset[str] = frozenset()
    cells: tuple[tuple[str | None, str, str], ...] = ()
    check: Callable[[Dataset], None] | None = None
    reader_gap: str | None = None
    name: str = field(default="", compare=False)


def names_are(expected: list[str]) -> Callable[[Dataset], None]:
    def check(ds: Dataset) -> None:
        assert list(ds.communes["name"]) == expected

    return check


def statuses_unknown(cells: list[str]) -> Callable[[Dataset], None]:
    def check(ds: Dataset) -> None:
        rows = ds.criteria[ds.criteria["cell"].isin(cells)]
        assert len(rows) == len(cells) and set(rows["status"]) == {"unknown"}, rows

    return check


def no_control_characters(ds: Dataset) -> None:
    for name in ds.communes["name"]:
        assert not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name), repr(name)


def names_both_candidates(ds: Dataset) -> None:
    (issue,) = [i for i in ds.issues if i.cell == "B4"]
    for lang in ("vi", "en"):
        assert "Sơn Hà" in issue.message(lang) and "Sơn Hạ" in issue.message(lang)
    assert "Son Ha" not in set(ds.communes["name"])  # not invented as a ninth commune


def six_communes_no_errors(ds: Dataset) -> None:
    assert len(ds.communes) == 6 and not ds.errors


def errors(*codes: str) -> frozenset[str]:
    return frozenset(codes)


SUMMARY = "Tổng hợp"
VALUES = "Chỉ tiêu"
CASES = {
    "not_a_workbook": Case(h.not_a_workbook, errors("not_a_workbook")),
    "zero_bytes": Case(h.zero_bytes, errors("file_empty")),
    "truncated": Case(h.truncated, errors("corrupt_workbook")),
    "encrypted": Case(h.encrypted, errors("encrypted_workbook")),
    "empty_sheets": Case(h.empty_sheets, errors("empty_workbook")),
    "headers_only": Case(h.headers_only, errors("no_table", "no_communes")),
    "thousands_of_columns": Case(h.thousands_of_columns, errors("limit.columns")),
    "merged_cell_over_table": Case(h.merged_cell_over_table, errors("no_table")),
    "formulas_without_cached_values": Case(
        h.formulas_without_cached_values, cells=(("formula_without_value", SUMMARY, h.FORMULA_CELL),),
        check=statuses_unknown([h.FORMULA_CELL])),
    "error_cells": Case(
        h.error_cells, cells=tuple((None, SUMMARY, c) for c in h.ERROR_CELLS),
        check=statuses_unknown(list(h.ERROR_CELLS))),
    "dates_where_numbers_belong": Case(h.dates_where_numbers_belong, cells=(("bad_number", VALUES, h.DATE_CELL),)),
    "percent_above_100_and_negative": Case(
        h.percent_above_100_and_negative,
        cells=(("value_out_of_range", VALUES, h.PERCENT_CELL), ("value_out_of_range", VALUES, h.NEGATIVE_CELL))),
    "duplicate_commune_conflicting": Case(h.duplicate_commune_conflicting,
                                          cells=(("duplicate_commune", SUMMARY, "B15"),)),
    "accent_fold_collision": Case(h.accent_fold_collision, cells=(("ambiguous_commune", VALUES, "B4"),),
                                  check=names_both_candidates),
    "tcvn3_names": Case(h.tcvn3_names, cells=tuple(("tcvn3_name", SUMMARY, f"B{r}") for r in (9, 10, 11, 12))),
    "html_and_markdown_names": Case(h.html_and_markdown_names, check=names_are(h.MARKUP_NAMES)),
    "names_starting_with_equals": Case(h.names_starting_with_equals, check=names_are(h.FORMULA_NAMES)),
    "million_rows": Case(h.million_rows, errors("limit.rows", "limit.cells")),
    "xml_bomb": Case(h.xml_bomb, errors("limit.xml_entities")),
    "external_entity": Case(h.external_entity, errors("limit.xml_entities")),
    "zip_bomb": Case(h.zip_bomb, errors("limit.uncompressed_size", "limit.compression_ratio")),
    "lying_zip_bomb": Case(h.lying_zip_bomb, errors("limit.zip_mismatch")),
    "many_parts": Case(h.many_parts, errors("limit.zip_members")),
    "far_away_cell": Case(h.far_away_cell, errors("limit.rows", "limit.columns", "limit.cells")),
    "csv_named_xlsx": Case(h.csv_named_xlsx, errors("not_a_workbook")),
    "docx_named_xlsx": Case(h.docx_named_xlsx, errors("not_a_workbook")),
    "png_image": Case(h.png_image, errors("not_a_workbook")),
    "html_named_xls": Case(h.html_named_xls, errors("not_a_workbook")),
    "chart_only": Case(h.chart_only, errors("empty_workbook", "no_table")),
    "title_block_only": Case(h.title_block_only, errors("no_table")),
    "protected_sheet": Case(h.protected_sheet, check=six_communes_no_errors),
    "control_characters_in_names": Case(h.control_characters_in_names, check=no_control_characters),
    "very_long_name": Case(h.very_long_name, check=six_communes_no_errors),
}


def params() -> list:
    return [
        pytest.param(name, case, id=name,
                     marks=[pytest.mark.xfail(strict=True, reason=case.reader_gap)] if case.reader_gap else [])
        for name, case in CASES.items()
    ]


def read(data: bytes) -> Dataset:
    check_workbook_bytes(data)
    return load_dataset(data, name="upload.xlsx")


@pytest.mark.parametrize(("name", "case"), params())
def test_hostile_input(name, case, tmp_path, monkeypatch):
    data = case.build()
    monkeypatch.chdir(tmp_path)
    tracemalloc.start()
    start = time.perf_counter()
    try:
        outcome: Dataset | ReadError = read(data)
    except ReadError as exc:
        outcome = exc
    finally:
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    assert elapsed < MAX_SECONDS, f"{name} took {elapsed:.1f} s"
    assert peak < MAX_PYTHON_MB, f"{name} peaked at {peak:.0f} MB"
    process_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux
    assert process_peak < MAX_PROCESS_MB, f"{name}: process peak {process_peak:.0f} MB"
    assert list(tmp_path.iterdir()) == []  # nothing written anywhere

    if case.errors:
        assert isinstance(outcome, ReadError), f"{name}: expected ReadError {set(case.errors)}, got a Dataset"
        assert outcome.issue.code in case.errors, outcome.issue.code
        assert outcome.issue.severity == Severity.ERROR
        vi, en = outcome.message("vi"), outcome.message("en")
        for text in (vi, en):
            assert text and not text.startswith("issue.") and "{" not in text, text
        assert vi != en
        return
    assert isinstance(outcome, Dataset), f"{name}: expected a Dataset, got {outcome.issue.code}"
    found = {(i.code, i.sheet, i.cell) for i in outcome.issues}
    for code, sheet, cell in case.cells:
        assert any((code is None or c == code) and s == sheet and x == cell for c, s, x in found), (
            f"{name}: no issue at {sheet}!{cell}; issues: {sorted(found, key=str)}")
    for issue in outcome.issues:
        assert not issue.message("vi").startswith("issue.") and not issue.message("en").startswith("issue.")
    if case.check:
        case.check(outcome)


def test_corpus_is_large_enough():
    assert len(CASES) >= 25


def test_tcvn3_names_are_reported_not_the_unicode_one():
    ds = read(h.tcvn3_names())
    flagged = {i.cell for i in ds.issues if i.code.startswith("tcvn3")}
    assert flagged == {"B9", "B10", "B11", "B12"}


_SUBPROCESS = textwrap.dedent("""
    import resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))
    sys.path.insert(0, "tests")
    import hostile
    from ntm_data.dataset import load_dataset
    from ntm_data.model import ReadError
    try:
        load_dataset(getattr(hostile, sys.argv[1])())
        print("dataset")
    except ReadError as exc:
        print(exc.issue.code)
""")


# Handed straight to python-calamine, these would abort the whole process (a Rust allocation of 512 GB
# and 4 GB fails with SIGABRT) or end in a misleading "corrupt": load_dataset must check first itself.
_WITHOUT_CHECK = {
    "far_away_cell": {"limit.rows", "limit.columns", "limit.cells"},
    "zip_bomb": {"limit.uncompressed_size", "limit.compression_ratio"},
    "xml_bomb": {"limit.xml_entities"},
}


@pytest.mark.parametrize("name", list(_WITHOUT_CHECK))
def test_load_dataset_applies_the_limits_itself(name):
    """Run in a child capped at 3 GB of address space, so a regression cannot take pytest down."""
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run([sys.executable, "-c", _SUBPROCESS, name], cwd=root, capture_output=True,
                            text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(root)})
    assert result.stdout.strip() in _WITHOUT_CHECK[name], (
        f"exit {result.returncode}: {result.stdout.strip()} {result.stderr[-300:]}")

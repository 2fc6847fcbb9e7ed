"""The hostile corpus (tests/hostile.py) fed to `python -m ntm_data summarize`: every unusable file ends in
exit 2 and one clear line on stderr (no traceback), within seconds and bounded memory; usable ones exit 0.

A representative dozen run as real subprocesses (capped address space, wall clock timed); the rest of
the corpus runs in-process through ntm_data.cli.main, which is the same code path minus interpreter start.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_hostile import CASES

from ntm_data.cli import EXIT_UNUSABLE, main
from ntm_data.i18n import t

ROOT = Path(__file__).resolve().parent.parent
MAX_SECONDS = 10.0  # wall clock of one subprocess, interpreter and pandas import included (~2 s of it)
ADDRESS_SPACE = 3 * 2**30  # python-calamine reserves address space generously; a bomb needs far more
# The subprocess dozen: every limit, every "not a workbook" shape and the reader's own refusals.
SUBPROCESS_CASES = (
    "not_a_workbook", "zero_bytes", "truncated", "encrypted", "thousands_of_columns", "million_rows",
    "xml_bomb", "zip_bomb", "lying_zip_bomb", "many_parts", "far_away_cell", "html_named_xls",
)
# The file name each case is saved under (what an office would call it).
FILE_NAMES = {"html_named_xls": "bao_cao.xls", "csv_named_xlsx": "bao_cao.xlsx"}


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def write_case(name: str, tmp_path: Path) -> Path:
    path = tmp_path / FILE_NAMES.get(name, f"{name}.xlsx")
    path.write_bytes(CASES[name].build())
    return path


def run_cli(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess, float]:
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "ntm_data", *args], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}, preexec_fn=_cap_memory,
    )
    return result, time.perf_counter() - start


def assert_one_clear_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{stderr[-2000:]}"
    line = lines[0]
    assert line.startswith("error: ") and "Traceback" not in stderr, line
    assert "issue." not in line and "{" not in line, line  # a translated message, every parameter filled
    return line


def expected_message(name: str, lang: str = "vi") -> str:
    """The ReadError message the reader gives for this case (what the CLI must print)."""
    from ntm_data.dataset import load_dataset
    from ntm_data.model import ReadError

    try:
        load_dataset(CASES[name].build(), name=FILE_NAMES.get(name, f"{name}.xlsx"))
    except ReadError as exc:
        return exc.message(lang)
    raise AssertionError(f"{name} was read without error")


def test_subprocess_cases_are_refusals_from_the_corpus():
    assert set(SUBPROCESS_CASES) <= set(CASES)
    assert all(CASES[name].errors for name in SUBPROCESS_CASES)


@pytest.mark.parametrize("name", SUBPROCESS_CASES)
def test_summarize_subprocess_refuses_with_one_line(name, tmp_path):
    path = write_case(name, tmp_path)
    result, elapsed = run_cli("summarize", str(path))
    assert result.returncode == EXIT_UNUSABLE, (result.returncode, result.stderr[-2000:])
    line = assert_one_clear_line(result.stderr)
    assert result.stdout == ""
    assert elapsed < MAX_SECONDS, f"{name} took {elapsed:.1f} s"
    assert CASES[name].errors, name
    # The message is the reader's own, in Vietnamese by default (the code maps to one catalogue entry).
    codes = {f"issue.{code}" for code in CASES[name].errors}
    templates = [t(code, "vi").split("{")[0] for code in codes]
    assert any(template in line for template in templates), (line, templates)


def test_summarize_subprocess_speaks_english(tmp_path):
    path = write_case("zip_bomb", tmp_path)
    result, _ = run_cli("--lang", "en", "summarize", str(path))
    assert result.returncode == EXIT_UNUSABLE
    line = assert_one_clear_line(result.stderr)
    assert line.removeprefix("error: ") == expected_message("zip_bomb", "en")


@pytest.mark.parametrize("name", [n for n in CASES if n not in SUBPROCESS_CASES])
def test_summarize_in_process(name, tmp_path, capsys):
    case = CASES[name]
    path = write_case(name, tmp_path)
    start = time.perf_counter()
    code = main(["summarize", str(path)])
    elapsed = time.perf_counter() - start
    out, err = capsys.readouterr()
    assert elapsed < 5.0, f"{name} took {elapsed:.1f} s"
    assert "Traceback" not in out + err
    if case.errors:
        assert code == EXIT_UNUSABLE, (code, err)
        line = assert_one_clear_line(err)
        assert line.removeprefix("error: ").startswith(expected_message(name)), line
        assert out == ""
    else:
        assert code == 0, err
        summary = json.loads(out)
        assert summary["communes"], name


def test_upload_limit_is_configurable_and_checked_before_parsing(tmp_path):
    """NTM_MAX_UPLOAD_MB=0.1: 200 KB of anything is refused for its size, before the reader could call it
    "not a workbook"; the same bytes under the default limit reach the reader."""
    path = tmp_path / "lon.xlsx"
    path.write_bytes(b"x" * 200_000)
    small, _ = run_cli("--lang", "en", "summarize", str(path), env={"NTM_MAX_UPLOAD_MB": "0.1"})
    assert small.returncode == EXIT_UNUSABLE
    line = assert_one_clear_line(small.stderr)
    assert line.startswith("error: " + t("issue.limit.upload_size", "en").split("(")[0]), line
    assert "0.2 MB, at most 0.1 MB" in line
    default, _ = run_cli("--lang", "en", "summarize", str(path), env={"NTM_MAX_UPLOAD_MB": ""})
    assert default.returncode == EXIT_UNUSABLE
    default_line = assert_one_clear_line(default.stderr)
    assert default_line == "error: " + expected_text_not_a_workbook(path)


def expected_text_not_a_workbook(path: Path) -> str:
    from ntm_data.dataset import load_dataset
    from ntm_data.model import ReadError

    with pytest.raises(ReadError) as info:
        load_dataset(path)
    assert info.value.issue.code == "not_a_workbook"
    return info.value.message("en")

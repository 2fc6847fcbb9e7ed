"""`python -m ntm_data summarize`: the JSON contract, the text table, and exit 2 on unusable files."""
import json
import subprocess
import sys

import pytest

from ntm_data.cli import main
from tests.workbooks import all_met, empty_workbook, encrypted_workbook, summary_workbook, values_workbook


@pytest.fixture(scope="module")
def summary_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("wb") / "huu_lung.xlsx"
    path.write_bytes(summary_workbook([
        dict(name="Xã Vân Nham", marks=all_met(c15="Chưa đạt", c17="Chưa đạt"), met=17, target=2025, group="II"),
        dict(name="Hữu Liên", marks=all_met(), met=19, recognized="2019 (QĐ 123/QĐ-UBND)", group="I"),
        dict(name="Mẹt", marks=all_met(c4="abc"), met=19, group="II"),
    ]))
    return path


def _run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_contract(capsys, summary_file):
    code, out, err = _run(capsys, "summarize", str(summary_file))
    assert code == 0 and err == ""
    data = json.loads(out)
    assert data["criteria_set"] == "qd318" and data["criteria_total"] == 19
    assert [c["name"] for c in data["communes"]] == ["Vân Nham", "Hữu Liên", "Mẹt"]
    van_nham = data["communes"][0]
    assert set(van_nham) >= {"name", "district", "criteria", "criteria_met", "indicators", "target_year",
                             "recognized_year"}
    assert list(van_nham["criteria"]) == [str(n) for n in range(1, 20)]
    assert van_nham["criteria"]["15"] == "not_met" and van_nham["criteria"]["1"] == "met"
    assert van_nham["criteria_met"] == 17 and van_nham["target_year"] == 2025
    # no Huyện column: the district comes from the title block ("UBND HUYỆN HỮU LŨNG")
    assert van_nham["district"] == "Hữu Lũng" and van_nham["recognized_year"] is None
    assert data["communes"][1]["recognized_year"] == 2019
    assert data["communes"][2]["criteria"]["4"] == "unknown" and data["communes"][2]["criteria_met"] == 18
    (issue,) = [i for i in data["issues"] if i["cell"] == "G14"]
    assert issue == {"severity": "warning", "sheet": "Tổng hợp", "cell": "G14",
                     "message": "Ô G14: không hiểu giá trị “abc” của tiêu chí 4; ghi “Đạt” hoặc “Chưa đạt”."}


def test_json_values_are_per_cents_and_never_nan(capsys, tmp_path):
    path = tmp_path / "values.xlsx"
    path.write_bytes(values_workbook([dict(name="Hà", values=[0.952, "abc"]), dict(name="Hạ", values=[0.9, None])],
                                     ["15.1 Tỷ lệ BHYT (%)", "3.1 Tỷ lệ tưới (%)"]))
    code, out, _ = _run(capsys, "summarize", str(path))
    assert code == 0 and "NaN" not in out
    data = json.loads(out)
    assert data["communes"][0]["indicators"] == {"15.1": 95.2}
    assert data["communes"][1]["indicators"] == {"15.1": 90.0}
    assert [c["name"] for c in data["communes"]] == ["Hà", "Hạ"]


def test_criteria_set_option(capsys, summary_file):
    code, out, _ = _run(capsys, "summarize", str(summary_file), "--criteria-set", "qd1980")
    assert code == 0 and json.loads(out)["criteria_set"] == "qd1980"


def test_text_format(capsys, summary_file):
    code, out, _ = _run(capsys, "summarize", str(summary_file), "--format", "text")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("huu_lung.xlsx: 3 xã")
    row = next(line for line in lines if line.startswith("Vân Nham"))
    assert "17/19" in row and row.count("○") == 2 and "2025" in row
    assert any("G14" in line for line in lines)


def test_text_format_in_english(capsys, summary_file):
    code, out, _ = _run(capsys, "--lang", "en", "summarize", str(summary_file), "--format", "text")
    assert code == 0 and "3 communes" in out and "criterion 4" in out


@pytest.mark.parametrize(("content", "needle"), [
    (b"", "rỗng"),
    (b"not a workbook at all", "không phải là bảng tính"),
    (empty_workbook(), "không có dữ liệu"),
    (encrypted_workbook(), "mật khẩu"),
])
def test_unusable_files_exit_2_with_one_line(capsys, tmp_path, content, needle):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(content)
    code, out, err = _run(capsys, "summarize", str(path))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and needle in err and "Traceback" not in err


def test_missing_file_exit_2(capsys, tmp_path):
    code, _, err = _run(capsys, "summarize", str(tmp_path / "nope.xlsx"))
    assert code == 2 and err.count("\n") == 1


def test_real_command_line(summary_file, tmp_path):
    ok = subprocess.run([sys.executable, "-m", "ntm_data", "summarize", str(summary_file)],
                        capture_output=True, text=True, check=False)
    assert ok.returncode == 0 and json.loads(ok.stdout)["criteria_total"] == 19
    bad = tmp_path / "x.xlsx"
    bad.write_bytes(b"garbage")
    fail = subprocess.run([sys.executable, "-m", "ntm_data", "summarize", str(bad)],
                          capture_output=True, text=True, check=False)
    assert fail.returncode == 2 and "Traceback" not in fail.stderr and fail.stderr.count("\n") == 1


def test_a_command_imports_only_its_own_module(summary_file):
    """`summarize` must not pay for SQLAlchemy, storage or the exports (national-scale start-up, issue 7)."""
    code = ("import sys; from ntm_data.cli import main; main(['summarize', sys.argv[1]]); "
            "print(sorted(m for m in ('sqlalchemy', 'ntm_data.storage', 'ntm_data.commands.outputs', 'matplotlib') "
            "if m in sys.modules), file=sys.stderr)")
    run = subprocess.run([sys.executable, "-c", code, str(summary_file)], capture_output=True, text=True, check=False)
    assert run.returncode == 0 and json.loads(run.stdout)["criteria_total"] == 19
    assert run.stderr.strip() == "[]"


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("summarize", "snapshots", "compare", "hash-password", "report", "template", "brief", "annotate",
                    "generate"):
        assert command in out


def test_values_by_commune_keeps_reading_order_per_commune():
    import pandas as pd

    from ntm_data.commands.summarize import _values_by_commune

    indicators = pd.DataFrame({"commune_id": ["b", "a", "b", "x", "a"], "indicator": ["17.1", "15.1", "2.1", "1.1", "17.1"],
                               "value": [1.0, 95.2, float("nan"), 3.0, 0.1234567]})
    got = _values_by_commune(indicators, pd.Index(["a", "b", "c"]))
    assert got == [{"15.1": 95.2, "17.1": 0.123457}, {"17.1": 1.0}, {}]

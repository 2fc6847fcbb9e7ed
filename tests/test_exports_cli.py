"""`python -m ntm_data report|template|brief|annotate`: each command writes its output from a workbook."""
from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader
from test_exports_report import district
from workbooks import all_met, summary_workbook

from ntm_data.cli import main
from ntm_data.exports import blank_template


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory) -> tuple[Path, Path]:
    """The sample district written as a 2024 and a 2022 status sheet (the template layout)."""
    folder = tmp_path_factory.mktemp("cli")
    current, older = folder / "huyen_2024.xlsx", folder / "huyen_2022.xlsx"
    current.write_bytes(blank_template("qd318", dataset=district()))
    older.write_bytes(blank_template("qd318", dataset=district(2022, older=True)))
    return current, older


def test_report(workbooks, tmp_path, capsys):
    current, older = workbooks
    out = tmp_path / "report.xlsx"
    code = main(["report", str(current), "--out", str(out), "--history", str(older), "--district", "Hữu Lũng"])
    assert code == 0
    assert str(out) in capsys.readouterr().out
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[0] == "Tổng quan" and "Lộ trình" in wb.sheetnames
    cells = {r[0]: r[1] for r in wb["Tổng quan"].iter_rows(values_only=True) if r[0]}
    assert cells["Bộ lọc"] == "Huyện: Hữu Lũng" and cells["Tổng số xã"] == 3
    timeline = {r[1]: r[6] for r in wb["Lộ trình"].iter_rows(min_row=5, max_col=7, values_only=True) if r[1]}
    assert timeline["Vân Nham"] == "Quá hạn"


def test_report_in_english_by_default_name(workbooks, tmp_path):
    current, _ = workbooks
    copy = tmp_path / "d.xlsx"
    copy.write_bytes(current.read_bytes())
    assert main(["--lang", "en", "report", str(copy)]) == 0
    assert openpyxl.load_workbook(tmp_path / "d_bao_cao.xlsx").sheetnames[0] == "Overview"


def test_template(tmp_path):
    out = tmp_path / "template.xlsx"
    assert main(["template", "--criteria-set", "qd51", "--out", str(out)]) == 0
    ws = openpyxl.load_workbook(out)["Tổng hợp"]
    header = [c.value for c in ws[3]]
    assert header[7:17] == [f"TC{n}" for n in range(1, 11)]


def test_brief(workbooks, tmp_path):
    current, older = workbooks
    out = tmp_path / "brief.pdf"
    assert main(["brief", str(current), "--out", str(out), "--history", str(older), "--criteria", "15",
                 "--issuing-body", "UBND TỈNH LẠNG SƠN\\nSở Nông nghiệp và Môi trường"]) == 0
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(out.read_bytes())).pages)
    assert "UBND TỈNH LẠNG SƠN" in text and "SỞ NÔNG NGHIỆP VÀ MÔI TRƯỜNG" in text
    assert "Vân Nham" in text and "88,5%" in text


def test_annotate(tmp_path, capsys):
    upload = tmp_path / "xa_gui.xlsx"
    upload.write_bytes(summary_workbook([{"name": "Vân Nham", "marks": all_met(c17="???")},
                                         {"name": "Sơn Hồng", "marks": all_met()}]))
    assert main(["annotate", str(upload)]) == 0
    printed = capsys.readouterr().out
    assert "cảnh báo" in printed
    wb = openpyxl.load_workbook(tmp_path / "xa_gui_danh_dau.xlsx")
    commented = [c for row in wb["Tổng hợp"].iter_rows() for c in row if c.comment]
    assert commented and "???" in commented[0].comment.text
    assert "Danh sách lỗi" in wb.sheetnames


def test_unusable_file_exits_2_with_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"this is not a workbook")
    assert main(["report", str(bad), "--out", str(tmp_path / "r.xlsx")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err
    assert not (tmp_path / "r.xlsx").exists()

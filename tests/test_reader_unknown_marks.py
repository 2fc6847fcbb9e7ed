"""Explicit unknown marks ("Chưa rõ", "Chưa đánh giá", "Chưa có số liệu", "?") in every layout: the status
stays unknown, the cell is kept, and no issue is raised (they are not typing slips)."""
import openpyxl
import pytest

from ntm_data import load_dataset
from tests.workbooks import all_met, crit_col, form_sheet, summary_workbook, to_bytes, values_workbook

UNKNOWN_WORDS = ["Chưa rõ", "Chưa đánh giá", "Chưa có số liệu", "?"]


def _criterion(ds, commune, number):
    return ds.criteria.set_index(["commune_id", "criterion"]).loc[(commune, number)]


@pytest.mark.parametrize("word", [*UNKNOWN_WORDS, " chưa rõ. ", "CHƯA ĐÁNH GIÁ"])
def test_summary_sheet(word):
    data = summary_workbook([dict(name="Hà", marks=all_met(c15=word)), dict(name="Hạ", marks=all_met())],
                            groups=False)
    ds = load_dataset(data)
    assert ds.issues == ()
    row = _criterion(ds, "hà", "15")
    assert (row["status"], row["source"], row["cell"]) == ("unknown", "none", f"{crit_col(15)}9")
    assert ds.criteria_met.tolist() == [18, 19]


def test_unknown_mark_beside_values_lets_the_values_decide():
    headers = ["TC15", "15.1. Tỷ lệ người dân tham gia BHYT (%)", "Đánh giá", "15.2. Xã đạt tiêu chí quốc gia về y tế"]
    rows = [
        dict(name="Vân Nham", values=["Chưa rõ", "80%", "Chưa đánh giá", "?"]),  # 15.1 fails 95: not met
        dict(name="Hữu Liên", values=["?", "Chưa có số liệu", None, "Đạt"]),
    ]
    ds = load_dataset(values_workbook(rows, headers, title="SỐ LIỆU CÁC CHỈ TIÊU NĂM 2024 (VÙNG TDMNPB)"))
    assert ds.issues == ()
    ind = ds.indicators.set_index(["commune_id", "indicator"])
    assert ind.loc[("vân nham", "15.1"), "status"] == "not_met"  # "Chưa đánh giá" beside it: by threshold
    assert ind.loc[("vân nham", "15.2"), "status"] == "unknown"
    assert ind.loc[("hữu liên", "15.1"), "status"] == "unknown"
    assert ind.loc[("hữu liên", "15.2"), "status"] == "met"
    assert _criterion(ds, "vân nham", "15")[["status", "source"]].tolist() == ["not_met", "derived"]
    assert _criterion(ds, "hữu liên", "15")[["status", "source", "cell"]].tolist() == ["unknown", "none", "C5"]


def test_long_table():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["DANH SÁCH CÁC TIÊU CHÍ, NĂM 2024"])
    ws.append(["STT", "Tên xã", "Tiêu chí/Chỉ tiêu", "Giá trị", "Đánh giá"])
    ws.append([1, "Vân Nham", "TC17", None, "Chưa rõ"])
    ws.append([2, "Vân Nham", "15.2", "Chưa có số liệu", None])
    ws.append([3, "Vân Nham", "TC18", None, "Đạt"])
    ds = load_dataset(to_bytes(wb))
    assert ds.issues == ()
    assert _criterion(ds, "vân nham", "17")[["status", "source", "cell"]].tolist() == ["unknown", "none", "E3"]
    assert _criterion(ds, "vân nham", "18")["status"] == "met"
    assert _criterion(ds, "vân nham", "15")["status"] == "unknown"


def test_form():
    blocks = [
        (1, "Quy hoạch", [("1.1. Có quy hoạch chung xây dựng xã", "Đạt", "Đạt", None)], "Đạt"),
        (15, "Y tế", [("15.1. Tỷ lệ người dân tham gia BHYT", "≥95%", "Chưa có số liệu", "Chưa rõ"),
                      ("15.2. Xã đạt tiêu chí quốc gia về y tế", "Đạt", "Đạt", "?")], None),
        (17, "Môi trường và an toàn thực phẩm", [("17.1 Nước sạch", "≥ 90%", None, None)], "Chưa đánh giá"),
    ]
    wb = openpyxl.Workbook()
    form_sheet(wb, "Xã Sơn Hồng", "BẢNG TỰ ĐÁNH GIÁ NĂM 2022 CỦA XÃ SƠN HỒNG", blocks)
    del wb["Sheet"]
    ds = load_dataset(to_bytes(wb))
    assert ds.issues == ()
    assert _criterion(ds, "sơn hồng", "1")["status"] == "met"
    assert _criterion(ds, "sơn hồng", "15")["status"] == "unknown"
    assert _criterion(ds, "sơn hồng", "17")[["status", "source"]].tolist() == ["unknown", "none"]


def test_a_real_typing_slip_still_warns():
    ds = load_dataset(summary_workbook([dict(name="Hà", marks=all_met(c15="Chưa rỏ đạt"))], groups=False))
    assert [i.code for i in ds.issues] == ["unknown_mark"]

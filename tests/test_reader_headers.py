"""Header recognition: which column holds what, from the header text (table-driven)."""
import pytest

from ntm_data.catalogue import get_criteria_set
from ntm_data.layouts.headers import classify_column, is_name_header, meta_role

CS = get_criteria_set("qd318")


@pytest.mark.parametrize(("text", "expected"), [
    ("Tên xã", True), ("Xã", True), ("TÊN XÃ", True), ("Tên xã, thị trấn", True), ("Đơn vị", True),
    ("Xã/Phường/Thị trấn", True), ("Tên xã (phường, thị trấn)", True),
    ("Tên tiêu chí", False), ("Xã đạt chuẩn", False), ("Huyện", False),
])
def test_name_header(text, expected):
    assert is_name_header(text) is expected


@pytest.mark.parametrize(("text", "role"), [
    ("STT", "stt"), ("TT", "stt"), ("Mã xã", "code"), ("Huyện", "district"), ("Tên huyện", "district"),
    ("Vùng", "region"), ("Xã nhóm", "region"), ("Dân số (người)", "population"), ("Số hộ", "households"),
    ("Năm đạt chuẩn NTM", "recognized_year"), ("Năm được công nhận", "recognized_year"),
    ("Năm phấn đấu đạt chuẩn", "target_year"), ("Dự kiến đạt chuẩn", "target_year"),
    ("Năm đạt chuẩn nâng cao", "ignore"), ("Năm phấn đấu đạt NTM kiểu mẫu", "ignore"),
    ("Số tiêu chí đạt", "criteria_met"), ("Tổng số TC đạt", "criteria_met"), ("Tiêu chí chưa đạt", "ignore"),
    ("Ghi chú", "notes"), ("Tỉnh", None), ("Kết quả thực hiện các tiêu chí", None),
])
def test_meta_roles(text, role):
    assert meta_role(text) == role


@pytest.mark.parametrize(("pieces", "bare_ok", "role", "key"), [
    (["TC15"], False, "criterion", "15"),
    (["Tiêu chí số 15"], False, "criterion", "15"),
    (["15. Y tế"], False, "criterion", "15"),
    (["Y tế"], False, "criterion", "15"),
    (["Kết quả thực hiện các tiêu chí", "15"], False, "criterion", "15"),  # the parent says criteria
    (["15"], True, "criterion", "15"),
    (["15"], False, "ignore", None),  # a bare number alone is not a criterion
    (["20"], True, "ignore", None),  # no criterion 20 in QĐ 318
    (["15.1. Tỷ lệ người dân tham gia BHYT (%)"], False, "indicator", "15.1"),
    (["Tiêu chí 15. Y tế", "15.1"], False, "indicator", "15.1"),
    (["17.12 Khác"], False, "indicator", "17.12"),  # not catalogued, kept
    (["15.4. Tỷ lệ dân số có sổ khám chữa bệnh điện tử (%)"], False, "indicator", "15.4"),  # not "dân số"
    (["15.1 Tỷ lệ BHYT", "Đánh giá"], False, "indicator_status", "15.1"),
    (["TC15", "Đánh giá"], False, "criterion", "15"),
    (["Đánh giá TC15"], False, "criterion", "15"),
    (["Đánh giá"], False, "status_orphan", None),
    (["Mã xã"], False, "code", None),
])
def test_classify_column(pieces, bare_ok, role, key):
    column = classify_column(3, pieces, CS, bare_ok=bare_ok)
    assert (column.role, column.key) == (role, key)

"""Criteria catalogue: built-in sets, thresholds, header/region matching, set detection, user files."""

from __future__ import annotations

import json
import pickle
import unicodedata
from pathlib import Path

import pytest

from ntm_data.catalogue import (
    BUILTIN_IDS,
    DEFAULT_CRITERIA_SET,
    CatalogueError,
    CriteriaSet,
    Indicator,
    Threshold,
    builtin_criteria_sets,
    detect_criteria_set,
    get_criteria_set,
    load_catalogue_file,
)

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data" / "catalogue_tinh_mau.yaml"


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


@pytest.fixture(scope="module")
def qd318() -> CriteriaSet:
    return get_criteria_set("qd318")


@pytest.fixture(scope="module")
def qd1980() -> CriteriaSet:
    return get_criteria_set("qd1980")


@pytest.fixture(scope="module")
def qd51() -> CriteriaSet:
    return get_criteria_set("qd51")


# ---- built-in sets ------------------------------------------------------------------------------------
def test_builtin_sets_in_order_and_cached():
    sets = builtin_criteria_sets()
    assert tuple(sets) == BUILTIN_IDS
    assert DEFAULT_CRITERIA_SET == "qd318"
    assert builtin_criteria_sets()["qd318"] is sets["qd318"]


@pytest.mark.parametrize(
    ("set_id", "count", "start", "end", "n_profiles"),
    [("qd1980", 19, 2016, 2020, 7), ("qd318", 19, 2021, 2025, 9), ("qd51", 10, 2026, 2030, 3)],
)
def test_set_shape(set_id, count, start, end, n_profiles):
    s = get_criteria_set(set_id)
    assert [c.number for c in s.criteria] == [str(n) for n in range(1, count + 1)]
    assert (s.period_start, s.period_end, len(s.profiles)) == (start, end, n_profiles)


@pytest.mark.parametrize(
    ("set_id", "number", "name_vi", "group_vi"),
    [
        ("qd318", "3", "Thủy lợi và phòng, chống thiên tai", "Hạ tầng kinh tế - xã hội"),
        ("qd318", "11", "Nghèo đa chiều", "Kinh tế và tổ chức sản xuất"),
        ("qd318", "12", "Lao động", "Kinh tế và tổ chức sản xuất"),
        ("qd318", "13", "Tổ chức sản xuất và phát triển kinh tế nông thôn", "Kinh tế và tổ chức sản xuất"),
        ("qd318", "1", "Quy hoạch", "Quy hoạch"),
        ("qd318", "15", "Y tế", "Văn hóa - Xã hội - Môi trường"),
        ("qd318", "17", "Môi trường và an toàn thực phẩm", "Văn hóa - Xã hội - Môi trường"),
        ("qd318", "19", "Quốc phòng và An ninh", "Hệ thống chính trị"),
        ("qd1980", "3", "Thủy lợi", "Hạ tầng kinh tế - xã hội"),
        ("qd1980", "11", "Hộ nghèo", "Kinh tế và tổ chức sản xuất"),
        ("qd1980", "12", "Lao động có việc làm", "Kinh tế và tổ chức sản xuất"),
        ("qd1980", "13", "Tổ chức sản xuất", "Kinh tế và tổ chức sản xuất"),
        ("qd1980", "18", "Hệ thống chính trị và tiếp cận pháp luật", "Hệ thống chính trị"),
        ("qd51", "7", "Khoa học công nghệ và chuyển đổi số", ""),
        ("qd51", "10", "Tiếp cận pháp luật và an ninh, quốc phòng", ""),
    ],
)
def test_criterion_names_and_groups(set_id, number, name_vi, group_vi):
    c = get_criteria_set(set_id).criterion(number)
    assert (c.name_vi, c.group_vi) == (name_vi, group_vi)
    assert c.name_en and (c.group_en or not group_vi)


def test_group_sizes_318(qd318):
    groups = [c.group_vi for c in qd318.criteria]
    assert [groups.count(g) for g in dict.fromkeys(groups)] == [1, 8, 4, 4, 2]


def test_qd51_has_no_sub_indicators(qd51):
    assert qd51.indicators == ()
    assert [p.key for p in qd51.profiles] == ["nhom1", "nhom2", "nhom3"]


def test_indicators_in_catalogue_order(qd318):
    codes = [i.code for i in qd318.indicators]
    assert codes[:6] == ["2.1", "2.2", "2.3", "2.4", "3.1", "3.2"]
    assert [c for c in codes if c.startswith("17.")] == [f"17.{n}" for n in range(1, 12)]
    assert qd318.indicator("15.3").criterion == "15"
    assert qd318.indicator("17.12") is None and qd318.criterion("20") is None


@pytest.mark.parametrize("set_id", BUILTIN_IDS)
def test_every_threshold_has_source_and_verified(set_id):
    for ind in get_criteria_set(set_id).indicators:
        for t in ind.thresholds:
            assert t.source.startswith("QĐ ") and ind.code.split(".")[0] in t.source.split("chỉ tiêu")[-1]
            assert isinstance(t.verified, bool)


def test_unverified_thresholds_are_flagged(qd318, qd1980):
    assert qd318.threshold("15.1", "dbsh", 2023).verified is False
    assert qd318.threshold("15.1", "dbsh", 2023).value == 95
    assert qd1980.threshold("15.1", "dbsh", 2019).verified is True


def test_special_profiles_use_tdmnpb(qd318):
    assert {p.key: p.uses_thresholds_of for p in qd318.profiles if p.uses_thresholds_of} == {
        "dbkk": "tdmnpb",
        "atk": "tdmnpb",
    }


# ---- thresholds -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("set_id", "code", "profile", "year", "expected"),
    [
        ("qd318", "15.3", "tdmnpb", 2023, 24),
        ("qd318", "15.3", "dbsh", 2023, 16.5),
        ("qd318", "15.3", "tn", None, 26.5),
        ("qd318", "15.3", "dbscl", 2021, 19),
        ("qd318", "15.3", "dbkk", 2023, 24),  # special commune -> TDMNPB
        ("qd318", "15.3", "atk", 2023, 24),
        ("qd318", "15.3", None, 2023, None),  # no national figure for 15.3 in 318
        ("qd318", "15.4", "dbsh", 2024, 70),
        ("qd318", "15.4", "btb", 2024, None),
        ("qd318", "2.1", "tdmnpb", 2023, 100),
        ("qd318", "2.1", "dbsh", 2023, None),  # verified for TDMNPB only
        ("qd318", "2.4", "dbkk", 2023, 70),
        ("qd318", "3.1", "dnb", 2022, 80),
        ("qd318", "3.1", None, None, 80),
        ("qd318", "10", "tdmnpb", 2022, 39),
        ("qd318", "10", "tdmnpb", 2023, None),  # the 2022 figure does not carry forward (until_year)
        ("qd318", "10", "tdmnpb", 2025, None),
        ("qd318", "10", "tdmnpb", 2021, None),  # the 2022 figure does not reach back
        ("qd318", "10", "dbkk", None, 39),
        ("qd318", "10", "dbsh", 2022, None),
        ("qd318", "17.6", "dbsh", 2022, 1.0),  # yes/no: the pass mark is "Đạt" (unverified, as the list)
        ("qd318", "17.1", "dbsh", 2022, None),  # listed, no known threshold
        ("qd1980", "15.1", "tn", 2018, 85),
        ("qd1980", "15.3", "dbsh", 2018, 13.9),  # region's own beats "*"
        ("qd1980", "15.3", None, 2018, 21.8),  # "*" when no profile
        ("qd1980", "15.3", "unknown-region", 2018, 21.8),
        ("qd1980", "17.1", "tdmnpb", 2019, 90),
        ("qd1980", "17.1", "dhntb", 2019, 95),  # no own figure -> national
        ("qd1980", "10", "dnb", 2020, 59),
        ("qd1980", "10", "dhntb", None, 41),
        ("qd1980", "10", "dnb", 2019, None),
        ("qd1980", "10", "dnb", 2021, None),  # "đến năm 2020": that year only
        ("qd1980", "12", "btb", 2017, 90),
        ("qd1980", "9.2", "dbscl", 2017, 80),
    ],
)
def test_threshold_table(set_id, code, profile, year, expected):
    s = get_criteria_set(set_id)
    t = s.threshold(code, profile, year)
    assert (None if t is None else t.value) == expected


YEARLY = Indicator(
    code="10",
    criterion="10",
    name_vi="Thu nhập",
    name_en="Income",
    unit="triệu đồng/người/năm",
    kind="number",
    thresholds=(
        Threshold(30, "*", None, "s", True),
        Threshold(40, "*", 2022, "s", True),
        Threshold(45, "*", 2024, "s", True),
        Threshold(35, "tdmnpb", 2022, "s", True),
        Threshold(38, "tdmnpb", 2023, "s", False),
    ),
)


@pytest.mark.parametrize(
    ("profile", "year", "expected"),
    [
        (None, 2020, 30),  # no-year threshold always applies
        (None, 2022, 40),
        (None, 2023, 40),
        (None, 2024, 45),
        (None, None, 45),  # no year -> latest
        ("dbsh", 2025, 45),
        ("tdmnpb", 2021, 30),  # own thresholds not yet in force -> "*"
        ("tdmnpb", 2022, 35),
        ("tdmnpb", 2024, 38),  # own beats a later "*"
        ("tdmnpb", None, 38),
    ],
)
def test_threshold_for_year_keyed(profile, year, expected):
    assert YEARLY.threshold_for(profile, year).value == expected


BOUNDED = Indicator(
    code="10", criterion="10", name_vi="Thu nhập", name_en="Income", unit="triệu đồng/người/năm", kind="number",
    thresholds=(
        Threshold(39, "tdmnpb", 2022, "s", True, until_year=2022),
        Threshold(42, "tdmnpb", 2023, "s", True, until_year=2024),
        Threshold(30, "*", None, "s", True, until_year=2021),
    ),
)


@pytest.mark.parametrize(
    ("profile", "year", "expected"),
    [
        ("tdmnpb", 2022, 39),
        ("tdmnpb", 2023, 42),
        ("tdmnpb", 2024, 42),  # until_year is included
        ("tdmnpb", 2025, None),  # nothing in force: unknown, not the last known figure
        ("tdmnpb", 2021, 30),  # own not yet in force -> "*" still in force
        ("dbsh", 2021, 30),
        ("dbsh", 2022, None),
        ("tdmnpb", None, 42),  # no year known: the latest
    ],
)
def test_until_year_bounds_a_threshold(profile, year, expected):
    found = BOUNDED.threshold_for(profile, year)
    assert (None if found is None else found.value) == expected


def test_until_year_is_read_from_a_user_file(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text(EXT + "overrides:\n  '10': {thresholds: [{value: 41, applies_to: tdmnpb, from_year: 2023, "
                    "until_year: 2023, source: x, verified: true}]}\n", encoding="utf-8")
    cset = load_catalogue_file(path)
    assert [(t.value, t.from_year, t.until_year) for t in cset.indicator("10").thresholds] == [
        (39, 2022, 2022), (41, 2023, 2023)]
    assert cset.threshold("10", "tdmnpb", 2023).value == 41
    assert cset.threshold("10", "tdmnpb", 2024) is None


@pytest.mark.parametrize(
    ("code", "value", "expected"),
    [
        ("3.1", 80.0, True),
        ("3.1", 79.99, False),
        ("3.1", float("nan"), False),
        ("15.3", 24.0, True),  # at most 24
        ("15.3", 23.5, True),
        ("15.3", 24.1, False),
        ("15.2", 1.0, True),
        ("15.2", 0.0, False),
    ],
)
def test_passes_direction_aware(qd318, code, value, expected):
    ind = qd318.indicator(code)
    assert ind.passes(value, qd318.threshold(code, "tdmnpb", 2023)) is expected


def test_lower_direction_declared(qd318, qd1980):
    assert qd318.indicator("15.3").direction == "lower" and qd1980.indicator("15.3").direction == "lower"
    assert qd318.indicator("15.2").kind == "yes_no" and qd318.indicator("15.1").kind == "percent"


# ---- header matching --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("TC15", "15"),
        ("TC 15", "15"),
        ("tc15", "15"),
        ("  TC  15 ", "15"),
        ("Tiêu chí 15", "15"),
        (nfd("Tiêu chí 17"), "17"),
        ("Tiêu chí số 15", "15"),
        ("TIÊU CHÍ SỐ 9", "9"),
        ("Tieu chi 3", "3"),
        ("15", "15"),
        (15, "15"),
        (15.0, "15"),
        ("15. Y tế", "15"),
        ("15 - Y tế", "15"),
        ("Tiêu chí 15: Y tế", "15"),
        ("Y tế", "15"),
        (nfd("  Y   tế "), "15"),
        ("y te", "15"),
        ("Thủy lợi và phòng, chống thiên tai", "3"),
        ("Môi trường và an toàn thực phẩm", "17"),
        ("Health", "15"),
        ("15.1", None),
        ("15.1.", None),
        ("15,1", None),
        ("TC 15.1", None),
        ("20", None),
        ("2021", None),
        ("Tên xã", None),
        ("Số tiêu chí đạt", None),
        ("Tiêu chí chưa đạt", None),
        ("", None),
        (None, None),
    ],
)
def test_match_criterion(qd318, header, expected):
    assert qd318.match_criterion(header) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("15.1", "15.1"),
        ("15.1.", "15.1"),
        (" 15 . 1 ", "15.1"),
        ("15.1. Tỷ lệ người dân tham gia BHYT (%)", "15.1"),
        ("15.1 Tỷ lệ người dân tham gia BHYT", "15.1"),
        ("Chỉ tiêu 15.1", "15.1"),
        (nfd("Chỉ tiêu 15.1"), "15.1"),
        ("Chi tieu so 15.1", "15.1"),
        ("CT15.1", "15.1"),
        ("CT 17.6", "17.6"),
        ("17.10", "17.10"),
        ("17.12", "17.12"),  # unknown to the catalogue, kept
        ("17.12. Chỉ tiêu riêng", "17.12"),
        ("2.4", "2.4"),
        (nfd("Tỷ lệ dân số có sổ khám chữa bệnh điện tử"), "15.4"),
        ("Tỷ lệ dân số có sổ khám chữa bệnh điện tử (%)", "15.4"),
        ("TY LE DAN SO CO SO KHAM CHUA BENH DIEN TU", "15.4"),
        ("Thu nhập bình quân đầu người", "10"),
        ("Thu nhập bình quân đầu người (triệu đồng/người/năm)", "10"),
        ("20.1", None),  # 20 is not a criterion of 318
        ("95.2", None),
        ("15", None),
        ("TC15", None),
        ("Y tế", None),
        ("Tên xã", None),
        (None, None),
    ],
)
def test_match_indicator(qd318, header, expected):
    assert qd318.match_indicator(header) == expected


def test_match_indicator_respects_set_criteria(qd51):
    assert qd51.match_indicator("10.3") == "10.3"
    assert qd51.match_indicator("15.1") is None
    assert qd51.match_criterion("TC 10") == "10" and qd51.match_criterion("TC 15") is None


# ---- profiles ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Trung du và miền núi phía Bắc", "tdmnpb"),
        (nfd("Trung du và miền núi phía Bắc"), "tdmnpb"),
        ("Trung du, miền núi phía Bắc", "tdmnpb"),
        ("Trung du miền núi phía Bắc", "tdmnpb"),
        ("Vùng Trung du và miền núi phía Bắc", "tdmnpb"),
        ("trung du va mien nui phia bac", "tdmnpb"),
        ("Miền núi phía Bắc", "tdmnpb"),
        ("TDMNPB", "tdmnpb"),
        (" tdmnpb ", "tdmnpb"),
        ("TD&MNPB", "tdmnpb"),
        ("Đồng bằng sông Hồng", "dbsh"),
        ("DONG BANG SONG HONG", "dbsh"),
        ("ĐBSH", "dbsh"),
        ("DBSH", "dbsh"),
        ("Bắc Trung Bộ", "btb"),
        ("Duyên hải Nam Trung Bộ", "dhntb"),
        ("Tây Nguyên", "tn"),
        ("Đông Nam Bộ", "dnb"),
        ("Đồng bằng sông Cửu Long", "dbscl"),
        ("ĐBSCL", "dbscl"),
        ("Xã đặc biệt khó khăn", "dbkk"),
        (nfd("Xã đặc biệt khó khăn"), "dbkk"),
        ("xa dac biet kho khan", "dbkk"),
        ("ĐBKK", "dbkk"),
        ("Xã ĐBKK", "dbkk"),
        ("ATK", "atk"),
        ("Xã ATK", "atk"),
        ("Xã ĐBKK (bãi ngang)", "dbkk"),  # unique containment of a long alias
        ("Đồng bằng", None),
        ("Hà Nội", None),
        ("", None),
        (None, None),
    ],
)
def test_profile_for_318(qd318, text, expected):
    assert qd318.profile_for(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Xã nhóm 1", "nhom1"),
        ("Nhóm 2", "nhom2"),
        ("nhom 3", "nhom3"),
        ("Nhóm III", "nhom3"),
        (2, "nhom2"),
        (1.0, "nhom1"),
        ("Nhóm 4", None),
        ("TDMNPB", None),
    ],
)
def test_profile_for_51(qd51, text, expected):
    assert qd51.profile_for(text) == expected


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("dbkk", "tdmnpb"),
        ("atk", "tdmnpb"),
        ("tdmnpb", "tdmnpb"),
        ("dbsh", "dbsh"),
        (None, None),
        ("xyz", None),
    ],
)
def test_threshold_profile(qd318, key, expected):
    assert qd318.threshold_profile(key) == expected


def test_qd1980_has_no_special_profiles(qd1980):
    assert qd1980.profile_for("ĐBKK") is None and qd1980.profile_for("ĐBSCL") == "dbscl"


# ---- set references and detection --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("qd318", "qd318"),
        ("318", "qd318"),
        ("QĐ 318", "qd318"),
        (nfd("QĐ 318"), "qd318"),
        ("318/QĐ-TTg", "qd318"),
        ("Quyết định số 318/QĐ-TTg", "qd318"),
        ("1980", "qd1980"),
        ("QĐ 1980/QĐ-TTg", "qd1980"),
        ("51", "qd51"),
        ("51/2025/QĐ-TTg", "qd51"),
        ("QĐ 51/2025", "qd51"),
    ],
)
def test_get_criteria_set_refs(ref, expected):
    assert get_criteria_set(ref).id == expected


def test_get_criteria_set_passthrough_and_unknown(qd318):
    assert get_criteria_set(qd318) is qd318
    with pytest.raises(CatalogueError, match="unknown criteria set"):
        get_criteria_set("QĐ 999")


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (
            "BÁO CÁO KẾT QUẢ THỰC HIỆN BỘ TIÊU CHÍ QUỐC GIA VỀ XÃ NÔNG THÔN MỚI GIAI ĐOẠN 2021 - 2025 "
            "(theo Quyết định số 318/QĐ-TTg ngày 08/3/2022 của Thủ tướng Chính phủ)",
            "qd318",
        ),
        (nfd("Biểu tổng hợp kết quả thực hiện các tiêu chí theo QĐ 318/QĐ-TTg"), "qd318"),
        (
            "BIỂU TỔNG HỢP KẾT QUẢ XÂY DỰNG NTM GIAI ĐOẠN 2016-2020 (Bộ tiêu chí theo QĐ số 1980/QĐ-TTg)",
            "qd1980",
        ),
        ("Tự đánh giá theo Quyết định 1980/QĐ-TTg ngày 17/10/2016", "qd1980"),
        ("Kế hoạch xây dựng nông thôn mới giai đoạn 2026–2030", "qd51"),
        ("Bộ tiêu chí theo Quyết định số 51/2025/QĐ-TTg", "qd51"),
        ("Giai đoạn 2021-2025, thay thế bộ tiêu chí theo QĐ 1980/QĐ-TTg; áp dụng QĐ 318/QĐ-TTg", "qd318"),
        ("Tổng kết 2016-2020 và kế hoạch 2021-2025", None),  # two periods, tie
        ("Tổng hợp năm 2023: 3180 hộ", None),
        ("Bảng tổng hợp tình hình thực hiện", None),
        ("", None),
    ],
)
def test_detect_criteria_set(title, expected):
    assert detect_criteria_set(title) == expected


# ---- speed and pickling (sets travel through Streamlit's cache) ------------------------------------------
def test_matching_is_fast_and_set_pickles(qd318):
    import time

    headers = ["TC 15", "Tiêu chí 17", "15.1. Tỷ lệ", "Y tế", "Tên xã", "Ghi chú"] * 500
    start = time.perf_counter()
    for h in headers:
        qd318.match_criterion(h)
        qd318.match_indicator(h)
        qd318.profile_for(h)
    assert time.perf_counter() - start < 1.0
    clone = pickle.loads(pickle.dumps(qd318))
    assert clone == qd318 and clone.match_criterion("TC 15") == "15"


# ---- user catalogue files ---------------------------------------------------------------------------
def test_sample_province_file_extends_318():
    s = load_catalogue_file(SAMPLE)
    base = get_criteria_set("qd318")
    assert (s.id, s.base, len(s.criteria)) == ("tinh_mau_2023", "qd318", 19)
    t = s.threshold("15.1", "dbsh", 2023)
    assert (t.value, t.verified) == (95, True) and "UBND" in t.source
    assert [s.threshold("17.1", p, y).value for p, y in [("dbsh", 2023), ("dbsh", 2024), ("dbkk", 2024)]] == [
        60,
        65,
        55,
    ]
    assert s.threshold("17.1", "dbsh", 2022) is None
    assert s.threshold("15.3", "dbsh", 2023) == base.threshold("15.3", "dbsh", 2023)  # untouched
    assert s.indicator("17.12").thresholds[0].value == 30
    assert [i.code for i in s.criterion("17").indicators][-1] == "17.12"
    assert base.indicator("17.12") is None  # the built-in set is not changed
    assert get_criteria_set(str(SAMPLE)).id == "tinh_mau_2023"


def _load(text: str, name: str = "tinh.yaml") -> CriteriaSet:
    return load_catalogue_file(text.encode("utf-8"), name)


EXT = "id: tinh_x\nname_vi: Tỉnh X\nname_en: Province X\nextends: qd318\n"


def test_override_merges_by_profile_and_year():
    s = _load(
        EXT + "overrides:\n  '15.3':\n    thresholds:\n"
        "      - {value: 15, applies_to: dbsh, source: QĐ tỉnh, verified: true}\n"
    )
    assert s.threshold("15.3", "dbsh", 2023).value == 15
    assert s.threshold("15.3", "tn", 2023).value == 26.5  # other regions kept


def test_override_replace_drops_base_thresholds():
    s = _load(
        EXT + "overrides:\n  '15.3':\n    replace: true\n    thresholds:\n"
        "      - {value: 12, source: QĐ tỉnh, verified: true}\n"
    )
    assert [s.threshold("15.3", p, 2023).value for p in ("dbsh", "tn", "dbkk")] == [12, 12, 12]


def test_new_set_from_file_with_own_indicators(tmp_path):
    doc = {
        "id": "qd51_tinh",
        "name_vi": "QĐ 51 với chỉ tiêu của tỉnh",
        "name_en": "QĐ 51 with the province's sub-indicators",
        "extends": "qd51",
        "indicators": [
            {
                "criterion": "8",
                "code": "8.1",
                "name_vi": "Tỷ lệ hộ được sử dụng nước sạch",
                "name_en": "Clean water",
                "kind": "percent",
                "thresholds": [
                    {"value": 60, "applies_to": "nhom1", "source": "QĐ 51/2025/QĐ-TTg", "verified": False}
                ],
            }
        ],
    }
    path = tmp_path / "qd51_tinh.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    s = get_criteria_set(path)
    assert s.threshold("8.1", "nhom1", 2026).value == 60 and s.threshold("8.1", "nhom2", 2026) is None
    assert s.indicator("8.1").unit == "%"


def test_standalone_set_file():
    s = _load(
        """
id: bo_rieng
name_vi: Bộ riêng
name_en: Own set
decision: 1/QĐ-UBND
period_start: 2026
period_end: 2030
aliases: [Bộ riêng]
profiles:
  - {key: a, name_vi: Vùng A, name_en: Area A, aliases: [VA]}
  - {key: b, name_vi: Vùng B, name_en: Area B, uses_thresholds_of: a}
criteria:
  - number: "1"
    name_vi: Một
    name_en: One
    indicators:
      - code: "1.1"
        name_vi: Chỉ tiêu một
        name_en: Indicator one
        kind: number
        direction: lower
        unit: ha
        thresholds: [{value: 5, applies_to: a, source: QĐ 1, verified: true}]
"""
    )
    assert s.threshold("1.1", s.profile_for("Vùng B"), None).value == 5
    assert s.indicator("1.1").passes(4.0, s.threshold("1.1", "a", None)) is True
    assert s.base is None and s.criteria[0].group_vi == ""


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (EXT.replace("extends: qd318", "extends: qd999"), "extends: unknown built-in set"),
        (EXT.replace("id: tinh_x", "id: qd318"), "id: 'qd318' is a built-in set"),
        (EXT.replace("id: tinh_x", "id: tinh x"), "id: must be letters"),
        (EXT.replace("name_en: Province X\n", ""), "name_en: required field is missing"),
        (EXT + "colour: red\n", "colour: unknown field"),
        (EXT + "overrides:\n  '99.1': {thresholds: []}\n", "overrides.99.1: qd318 has no indicator"),
        (
            EXT + "overrides:\n  '15.1': {thresholds: [{value: 95, verified: true}]}\n",
            "overrides.15.1.thresholds[0].source: required field is missing",
        ),
        (
            EXT + "overrides:\n  '15.1': {thresholds: [{value: 95, source: x}]}\n",
            "overrides.15.1.thresholds[0].verified: required field is missing",
        ),
        (
            EXT + "overrides:\n  '15.1': {thresholds: [{value: '95%', source: x, verified: true}]}\n",
            "overrides.15.1.thresholds[0].value: must be a number",
        ),
        (
            EXT + "overrides:\n  '15.1': {thresholds: [{value: 95, source: x, verified: 'yes'}]}\n",
            "overrides.15.1.thresholds[0].verified: must be true or false",
        ),
        (
            EXT
            + "overrides:\n  '15.1': {thresholds: [{value: 95, applies_to: hanoi, source: x, verified: true}]}\n",
            "overrides.15.1.thresholds[0].applies_to: unknown profile 'hanoi'",
        ),
        (
            EXT
            + "overrides:\n  '15.1': {thresholds: [{value: 95, from_year: 22, source: x, verified: true}]}\n",
            "overrides.15.1.thresholds[0].from_year: must be a year",
        ),
        (
            EXT + "overrides:\n  '15.1': {thresholds: [{value: 95, from_year: 2024, until_year: 2023, source: x, "
            "verified: true}]}\n",
            "overrides.15.1.thresholds[0].until_year: must not be before from_year 2024",
        ),
        (
            EXT + "overrides:\n  '15.1': {thresholds: [{value: 95, until_year: '2023a', source: x, verified: true}]}\n",
            "overrides.15.1.thresholds[0].until_year: must be a year",
        ),
        (
            EXT + "overrides:\n  '15.1':\n    thresholds:\n      - {value: 95, source: x, verified: true}\n"
            "      - {value: 96, source: y, verified: true}\n",
            "overrides.15.1.thresholds[1]: duplicates",
        ),
        (
            EXT + "overrides:\n  '15.1': {thresholds: [], replace: maybe}\n",
            "overrides.15.1.replace: must be true",
        ),
        (
            EXT + "indicators:\n  - {criterion: '17', code: '17.1', name_vi: a, name_en: b, kind: percent}\n",
            "indicators[0].code: indicator 17.1 already exists",
        ),
        (
            EXT + "indicators:\n  - {criterion: '17', code: '18.1', name_vi: a, name_en: b, kind: percent}\n",
            "indicators[0].code: must be '17' or '17.N'",
        ),
        (
            EXT + "indicators:\n  - {criterion: '17', code: '17.20', name_vi: a, name_en: b, kind: ratio}\n",
            "indicators[0].kind: must be one of percent, yes_no, number",
        ),
        (
            EXT
            + "indicators:\n  - {criterion: '17', code: '17.20', name_vi: a, name_en: b, kind: yes_no, direction: lower}\n",
            "indicators[0].direction",
        ),
        (
            EXT + "indicators:\n  - {code: '17.20', name_vi: a, name_en: b, kind: percent}\n",
            "indicators[0].criterion: required field is missing",
        ),
        (
            EXT + "indicators:\n  - {criterion: '25', code: '25.1', name_vi: a, name_en: b, kind: percent}\n",
            "indicators[0].criterion: qd318 has no criterion '25'",
        ),
        (
            EXT + "profiles:\n  - {key: tdmnpb, name_vi: X, name_en: X}\n",
            "profiles[0].key: profile 'tdmnpb' already exists",
        ),
        (
            EXT
            + "profiles:\n  - {key: ven_bien, name_vi: Ven biển, name_en: Coast, uses_thresholds_of: nowhere}\n",
            "uses_thresholds_of",
        ),
        (
            "id: x\nname_vi: a\nname_en: b\ndecision: d\nperiod_start: 2026\nperiod_end: 2020\ncriteria: [{number: '1', name_vi: a, name_en: b}]\n",
            "period_end: 2020 is before period_start 2026",
        ),
        (
            "id: x\nname_vi: a\nname_en: b\ndecision: d\nperiod_start: 2026\nperiod_end: 2030\ncriteria: []\n",
            "criteria: must list at least one criterion",
        ),
        (
            "id: x\nname_vi: a\nname_en: b\ndecision: d\nperiod_start: 2026\nperiod_end: 2030\n"
            "criteria: [{number: '1', name_vi: a, name_en: b}, {number: '1', name_vi: c, name_en: d}]\n",
            "criteria[1].number: criterion 1 is defined twice",
        ),
        (
            "id: x\nname_vi: a\nname_en: b\ndecision: d\nperiod_start: 2026\nperiod_end: 2030\n"
            "profiles: [{key: a, name_vi: A, name_en: A, uses_thresholds_of: b}, {key: b, name_vi: B, name_en: B, uses_thresholds_of: a}]\n"
            "criteria: [{number: '1', name_vi: a, name_en: b}]\n",
            "profiles[0].uses_thresholds_of: forms a cycle",
        ),
        (
            "id: x\nname_vi: a\nname_en: b\ndecision: d\nperiod_start: 2026\nperiod_end: 2030\n"
            "profiles: [{key: a, name_vi: Vùng A, name_en: A, aliases: [VA]}, {key: b, name_vi: B, name_en: B, aliases: [va]}]\n"
            "criteria: [{number: '1', name_vi: a, name_en: b}]\n",
            "profiles[1].aliases[0]: 'va' also names profile 'a'",
        ),
        ("- just\n- a list\n", "must be a mapping"),
        ("id: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_user_files_name_file_and_field(text, fragment):
    with pytest.raises(CatalogueError) as info:
        _load(text)
    message = str(info.value)
    assert message.startswith("tinh.yaml: ") and fragment in message, message


@pytest.mark.parametrize(
    ("source", "code", "vi", "en"),
    [
        (
            EXT.replace("name_en: Province X\n", ""), "missing_field",
            "tinh.yaml, mục name_en: thiếu mục bắt buộc", "tinh.yaml, field name_en: required field is missing",
        ),
        (
            EXT + "overrides:\n  '15.1': {thresholds: [{value: '95%', source: x, verified: true}]}\n", "not_number",
            "tinh.yaml, mục overrides.15.1.thresholds[0].value: phải là một số (chỉ tiêu Đạt/Chưa đạt ghi 1 cho "
            "“Đạt”), đang ghi “95%”",
            "tinh.yaml, field overrides.15.1.thresholds[0].value: must be a number (use 1 for “Đạt” on yes/no "
            "indicators), got “95%”",
        ),
        (
            EXT + "overrides:\n  '15.1': {thresholds: [{value: 95, applies_to: hanoi, source: x, verified: true}]}\n",
            "unknown_profile", "không có vùng/nhóm “hanoi”", "unknown profile “hanoi”",
        ),
        (
            EXT + "overrides:\n  '99.1': {thresholds: []}\n", "no_base_indicator",
            "tinh.yaml, mục overrides.99.1: qd318 không có chỉ tiêu 99.1; hãy thêm chỉ tiêu này ở mục indicators",
            "tinh.yaml, field overrides.99.1: qd318 has no indicator 99.1; add it under indicators instead",
        ),
        ("id: [unclosed\n", "bad_syntax", "tinh.yaml: tệp không đúng cú pháp YAML", "tinh.yaml: not valid YAML"),
    ],
)
def test_catalogue_errors_in_the_users_language(source, code, vi, en):
    with pytest.raises(CatalogueError) as info:
        _load(source)
    error = info.value
    assert error.code == code and error.params["file"] == "tinh.yaml"
    assert vi in error.message("vi") and en in error.message("en")
    assert str(error).startswith("tinh.yaml: ")  # developers keep the English text
    assert "{" not in error.message("vi") and "catalogue." not in error.message("vi")


def test_catalogue_errors_outside_a_file_are_translated_too(tmp_path):
    with pytest.raises(CatalogueError) as info:
        get_criteria_set("qd999")
    assert info.value.code == "unknown_set"
    assert info.value.message("vi").startswith("không có bộ tiêu chí “qd999”; dùng một trong: qd1980, qd318, qd51")
    assert "unknown criteria set" in str(info.value)
    with pytest.raises(CatalogueError) as info:
        load_catalogue_file(tmp_path / "missing.yaml")
    assert info.value.message("vi").startswith("missing.yaml: không đọc được tệp")


def test_every_catalogue_error_code_has_both_languages():
    import ast

    from ntm_data import i18n

    tree = ast.parse((ROOT / "ntm_data" / "catalogue.py").read_text(encoding="utf-8"))
    codes = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            position = {"fail": 2, "CatalogueError": 1}.get(name)
            if position is not None and len(node.args) > position and isinstance(node.args[position], ast.Constant):
                codes.add(node.args[position].value)
    assert len(codes) >= 40 and {"missing_field", "not_number", "unknown_set", "until_before_from"} <= codes
    for code in codes | {"at_field", "in_file", "invalid"}:
        for lang in ("vi", "en"):
            assert f"catalogue.{code}" in i18n.catalogue(lang), (code, lang)


def test_bad_files_other_than_yaml_content(tmp_path):
    with pytest.raises(CatalogueError, match=r"^broken\.json: not valid JSON"):
        load_catalogue_file(b'{"id": ', "broken.json")
    with pytest.raises(CatalogueError, match="not UTF-8"):
        load_catalogue_file(b"id: \xd0\xf4ng Nai\n", "old.yaml")  # a legacy 8-bit file
    with pytest.raises(CatalogueError, match=r"^missing\.yaml: cannot read"):
        load_catalogue_file(tmp_path / "missing.yaml")


def test_examples_in_the_format_doc_load():
    """The two YAML examples in docs/catalogue_format.md are the ones users copy: they must work."""
    import re

    doc = (ROOT / "docs" / "catalogue_format.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", doc, flags=re.S)
    sets = [_load(block, "doc.yaml") for block in blocks]
    assert [s.id for s in sets] == ["dong_nai_2024", "qd51_tinh"]
    province, new_set = sets
    assert province.threshold("15.3", "tn", 2024).value == 12
    assert province.threshold("17.1", "dbsh", 2024).value == 65
    assert new_set.threshold("8.1", new_set.profile_for("Nhóm II"), 2026).value == 60


def test_user_file_by_path_is_cached_until_it_changes(tmp_path):
    path = tmp_path / "tinh.yaml"
    path.write_text(EXT, encoding="utf-8")
    first = get_criteria_set(str(path))
    assert get_criteria_set(path) is first
    path.write_text(EXT.replace("Province X", "Province Y") + "# edited\n", encoding="utf-8")
    assert get_criteria_set(path).name_en == "Province Y"

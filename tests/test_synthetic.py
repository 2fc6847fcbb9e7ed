"""ntm_data.synthetic: the seeded model's truth is consistent, and the written workbooks carry it (with the
messiness of real district sheets) in the layouts of the domain README, section 3."""
from __future__ import annotations

import io
import re
import time
import unicodedata
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from ntm_data import synthetic as syn

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = ROOT / "sample_data"
MET_MARKS = {"Đạt", "x", "X", 1, "✓"}
NOT_MET_MARKS = {"Chưa đạt", "Không đạt", "Cơ bản đạt", "-", 0, None}


@pytest.fixture(scope="module")
def model() -> syn.DistrictModel:
    return syn.make_district()


def _book(writer, model, year, **kw) -> tuple[openpyxl.Workbook, syn.WrittenSheet]:
    buf = io.BytesIO()
    written = writer(model, year, buf, **kw)
    return openpyxl.load_workbook(io.BytesIO(buf.getvalue())), written


@pytest.fixture(scope="module")
def summaries(model) -> dict[int, tuple[openpyxl.Workbook, syn.WrittenSheet]]:
    return {y: _book(syn.write_summary, model, y) for y in model.years}


def _number(v: object) -> float:
    """A value as typed back to a float: '91,5' / '95,2%' / '5.432' / 0.952 (fraction of 15.1)."""
    if isinstance(v, int | float):
        return float(v)
    text = str(v).strip().rstrip("%")
    if re.fullmatch(r"\d{1,3}(\.\d{3})+", text):
        text = text.replace(".", "")
    return float(text.replace(",", "."))


def _yes_no(v: object) -> float:
    return 1.0 if v == "Đạt" else 0.0 if v == "Chưa đạt" else _number(v)


def _met(v: object) -> bool:
    assert v in MET_MARKS or v in NOT_MET_MARKS, f"unexpected mark {v!r}"
    return v in MET_MARKS


# ------------------------------------------------------------------ the model


def test_model_is_deterministic_and_seed_dependent():
    a, b, c = syn.make_district(7), syn.make_district(7), syn.make_district(8)
    assert a.communes.equals(b.communes)
    for y in a.years:
        np.testing.assert_array_equal(a.marks[y], b.marks[y])
        np.testing.assert_array_equal(a.values[y], b.values[y])
    assert a.truth(2025) == b.truth(2025)
    assert any(not np.array_equal(a.marks[y], c.marks[y]) for y in a.years)


def test_sample_district_looks_like_huu_lung(model):
    c = model.communes
    assert 24 <= len(c) <= 28
    assert {"Vân Nham", "Yên Thịnh", "Hữu Liên", "Cai Kinh"} <= set(c["name"])
    assert c["code"].str.fullmatch(r"\d{5}").all() and c["code"].is_unique
    assert c["population"].between(3000, 12000).all()
    assert (c["households"] < c["population"] / 3).all()
    assert 1 <= (c["region_text"] == syn.SPECIAL_REGION_TEXT).sum() <= 8
    assert model.years == (2022, 2023, 2024, 2025)
    targets = c["target_year"].dropna()
    not_recognized = ~model.recognized(2025)
    assert c.loc[not_recognized, "target_year"].between(2022, 2027).all()
    assert (c.loc[not_recognized, "target_year"] < 2025).any(), "some targets should already be overdue"
    assert len(targets) == len(c)
    assert c["recognized_decision"].notna().any() and c["recognized_decision"].dropna().str.match(
        r"QĐ \d+/QĐ-UBND$").all()


def test_truth_is_internally_consistent(model):
    for y in model.years:
        truth = model.truth(y)
        assert list(truth) == list(model.communes["name"])
        for name, t in truth.items():
            assert t["criteria_met"] == sum(s == "met" for s in t["criteria"].values()), name
            assert set(t["criteria"]) == set(syn.CRITERION_NUMBERS)
            assert set(t["indicators"]) == set(syn.INDICATOR_CODES)
            if t["recognized_year"] is not None:
                assert t["recognized_year"] <= y and t["target_year"] is None
        # a criterion with generated sub-indicators is met exactly when all of them pass
        for num in {s.criterion for s in syn.INDICATORS}:
            cols = [j for j, s in enumerate(syn.INDICATORS) if s.criterion == num]
            k = syn.CRITERION_NUMBERS.index(num)
            np.testing.assert_array_equal(model.passes[y][:, cols].all(axis=1), model.marks[y][:, k])
        # partial ("Cơ bản đạt") marks are a kind of not met
        assert not (model.partial[y] & model.marks[y]).any()


@pytest.mark.parametrize("spec", syn.INDICATORS, ids=lambda s: s.code)
def test_values_pass_exactly_when_they_meet_the_threshold(model, spec):
    j = syn.INDICATOR_CODES.index(spec.code)
    for y in model.years:
        v = model.values[y][:, j]
        thr = spec.threshold_for("tdmnpb", y)
        expected = v >= thr if spec.higher_is_better else v <= thr
        np.testing.assert_array_equal(model.passes[y][:, j], expected)
        # failing values also fail the first-year threshold (income rises yearly; catalogues may hold 2022's)
        assert np.all(v[~model.passes[y][:, j]] < spec.threshold_for("tdmnpb", 2022)) if spec.higher_is_better \
            else np.all(v[~model.passes[y][:, j]] > spec.threshold)
        if spec.kind == "yes_no":
            assert set(np.unique(v)) <= {0.0, 1.0}
        else:
            assert np.all(np.round(v, 1) == v)


def test_bhyt_lags_in_the_field_range(model):
    j = syn.INDICATOR_CODES.index("15.1")
    v = np.concatenate([model.values[y][:, j] for y in model.years])
    assert v.min() >= 84.5 and v.max() <= 98.6
    assert (v < 95).sum() >= 5 and (v >= 95).sum() >= 5
    not_met = np.concatenate([(~model.marks[y]).sum(axis=0) for y in model.years]).reshape(4, 19).sum(axis=0)
    # 15 and 17 are the two most-lagging criteria, as in the field
    assert set(np.argsort(not_met)[-2:]) == {syn.CRITERION_NUMBERS.index("15"), syn.CRITERION_NUMBERS.index("17")}


def test_progress_is_mostly_monotone_with_the_planned_slips(model):
    years = model.years
    drops = set()
    for a, b in zip(years, years[1:], strict=False):
        for i, k in zip(*np.nonzero(model.marks[a] & ~model.marks[b]), strict=True):
            drops.add((int(i), syn.CRITERION_NUMBERS[k], b))
    planned = {(i, k, y) for i, k, y in model.events["maintenance"] + model.events["losses"]}
    assert drops == planned
    assert 1 <= len(model.events["losses"]) <= 2 and len(model.events["maintenance"]) == 1
    assert [model.criteria_met(y).mean() for y in years] == sorted(model.criteria_met(y).mean() for y in years)
    # the maintenance case: recognised before, now missing one criterion
    i, k, y0 = model.events["maintenance"][0]
    t = model.truth(2025)[model.communes["name"].iat[i]]
    assert t["recognized_year"] is not None and t["recognized_year"] < y0
    assert t["criteria_met"] == 18 and t["criteria"][k] == "not_met"


def test_van_nham_follows_the_2022_article(model):
    t = model.truth(2022)["Vân Nham"]
    assert t["criteria_met"] == 11
    assert {k for k, s in t["criteria"].items() if s == "not_met"} >= {"15", "17", "18"}
    vn = model.events["van_nham"]
    assert model.partial[2022][vn, syn.CRITERION_NUMBERS.index("18")]  # "cơ bản hoàn thành"
    assert t["indicators"]["15.1"] < 95
    failing_17 = {s.code for j, s in enumerate(syn.INDICATORS)
                  if s.criterion == "17" and not model.passes[2022][vn, j]}
    assert failing_17 == {"17.2", "17.6", "17.7", "17.8", "17.9", "17.11"}
    assert [model.truth(y)["Vân Nham"]["criteria_met"] for y in model.years] == [11, 14, 16, 17]


@pytest.mark.parametrize("n, years", [(10, (2024,)), (25, (2022, 2023)), (60, (2021, 2022, 2023, 2024, 2025))])
def test_make_district_sizes_and_years(n, years):
    m = syn.make_district(5, n_communes=n, years=years)
    assert m.n_communes == n and m.years == years and m.communes["name"].is_unique
    assert m.communes["name"].tolist()[: min(n, 25)] == list(syn.HUU_LUNG_COMMUNES[: min(n, 25)])
    for y in years:
        assert m.marks[y].shape == (n, 19) and m.values[y].shape == (n, len(syn.INDICATORS))
        assert len(m.truth(y)) == n
    with pytest.raises(ValueError):
        m.marks[years[0]][0, 0] = not m.marks[years[0]][0, 0]  # the truth is read-only


def test_truth_rejects_unknown_years_and_ambiguous_keys(model):
    with pytest.raises(KeyError):
        model.truth(2030)
    country = syn.make_country(3, n_communes=300, n_districts=10, n_provinces=2)
    with pytest.raises(ValueError):
        country.truth(2025)  # names repeat across districts
    assert len(country.truth(2025, key="code")) == 300


# ------------------------------------------------------------------ layout a: the district summary


def _header_cells(ws) -> dict[str, str]:
    return {str(c.value): c.coordinate for row in ws.iter_rows(min_row=8, max_row=10) for c in row if c.value}


@pytest.mark.parametrize("year, rows", [(2022, 3), (2023, 2), (2024, 2), (2025, 2)])
def test_summary_has_the_title_block_and_merged_header(summaries, year, rows):
    wb, w = summaries[year]
    ws = wb.worksheets[0]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert ws["A1"].value == "UBND HUYỆN HỮU LŨNG" and ws["A2"].value == "BAN CHỈ ĐẠO CÁC CTMTQG"
    texts = [c.value for row in ws.iter_rows(max_row=7) for c in row if isinstance(c.value, str)]
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in texts and "Độc lập - Tự do - Hạnh phúc" in texts
    assert f"BIỂU TỔNG HỢP KẾT QUẢ THỰC HIỆN BỘ TIÊU CHÍ QUỐC GIA VỀ XÃ NÔNG THÔN MỚI NĂM {year}" in texts
    assert "(Theo Quyết định số 318/QĐ-TTg ngày 08/3/2022 của Thủ tướng Chính phủ)" in texts
    last = 8 + rows - 1
    for col in ("A", "B", "C", "D", "E", "F", "Z", "AA", "AB", "AG"):
        assert f"{col}8:{col}{last}" in merged
    assert "G8:Y8" in merged and ws["G8"].value == "Kết quả thực hiện các tiêu chí"
    labels = [ws.cell(9, 7 + k).value for k in range(19)]
    assert labels in (list(range(1, 20)), [f"TC{k}" for k in range(1, 20)])
    assert (ws["G10"].value == "Quy hoạch") == (rows == 3)
    assert ws["Z8"].value == "Số tiêu chí đạt" and ws["AB8"].value == "Năm phấn đấu đạt chuẩn"
    assert w.header_rows == tuple(range(8, 8 + rows))
    assert ws.freeze_panes is not None and ws.column_dimensions["C"].width > 10
    assert ws["G8"].font.b and ws["G8"].border.left.style == "thin"


def test_summary_rows_carry_the_truth(model, summaries):
    for y, (wb, w) in summaries.items():
        ws = wb.worksheets[0]
        truth = model.truth(y, key="code")
        assert len(w.commune_rows) == model.n_communes
        frac = y == 2022
        for code, (_sheet, r) in w.commune_rows.items():
            t = truth[code]
            name = ws.cell(r, 3).value
            assert unicodedata.normalize("NFC", " ".join(name.split())).removeprefix("Xã ") == t["name"]
            assert ws.cell(r, 2).value == code
            marks = {num: _met(ws.cell(r, 7 + k).value) for k, num in enumerate(syn.CRITERION_NUMBERS)}
            assert marks == {k: s == "met" for k, s in t["criteria"].items()}, (y, code)
            for j, ind in enumerate(syn.SUMMARY_VALUE_CODES):
                got = ws.cell(r, 29 + j).value
                want = t["indicators"][ind]
                value = _number(got) * (100 if frac and ind == "15.1" else 1) if ind != "17.6" else _yes_no(got)
                assert value == pytest.approx(want, abs=1e-9), (y, code, ind, got)
            assert ws.cell(r, 28).value == t["target_year"]
            rec = ws.cell(r, 27).value
            assert (rec is None) == (t["recognized_year"] is None)
            if rec is not None:
                assert int(str(rec)[:4]) == t["recognized_year"]


def test_summary_groups_totals_and_signatures(model, summaries):
    wb, w = summaries[2024]
    ws = wb.worksheets[0]
    col_a = [c.value for c in ws["A"]]
    rec = int(model.recognized(2024).sum())
    assert f"I. Các xã đã đạt chuẩn NTM ({rec} xã)" in col_a
    assert f"II. Các xã chưa đạt chuẩn ({model.n_communes - rec} xã)" in col_a
    total = col_a.index("Tổng cộng") + 1
    assert [ws.cell(total, 7 + k).value for k in range(19)] == model.marks[2024].sum(axis=0).tolist()
    assert ws.cell(total, 5).value == model.communes["population"].sum()
    texts = {c.value for row in ws.iter_rows(min_row=total) for c in row if isinstance(c.value, str)}
    assert {"NGƯỜI LẬP BIỂU", "TRƯỞNG BAN"} <= texts
    # the first group row of 2023 is split: "I" in STT, the label in Tên xã
    ws23 = summaries[2023][0].worksheets[0]
    r = [c.value for c in ws23["A"]].index("I") + 1
    assert ws23.cell(r, 3).value == "Các xã đã đạt chuẩn NTM"


def test_summary_messy_features_are_present(model, summaries):
    # marks in many spellings across the years
    seen: set[object] = set()
    for wb, w in summaries.values():
        ws = wb.worksheets[0]
        for _sheet, r in w.commune_rows.values():
            seen.update(ws.cell(r, 7 + k).value for k in range(19))
    assert MET_MARKS <= seen and NOT_MET_MARKS <= seen
    # NFD names, stray spaces and "Xã " prefixes
    ws23, w23 = summaries[2023][0].worksheets[0], summaries[2023][1]
    names23 = [ws23.cell(r, 3).value for _s, r in w23.commune_rows.values()]
    assert w23.nfd_codes and sum(unicodedata.normalize("NFC", n) != n for n in names23) == len(w23.nfd_codes)
    assert any(n != n.strip() or "  " in n for n in names23)
    ws24, w24 = summaries[2024][0].worksheets[0], summaries[2024][1]
    assert all(ws24.cell(r, 3).value.startswith("Xã ") for _s, r in w24.commune_rows.values())
    # decimal commas (2023), per-cent text (2024), fractions of 15.1 (2022), numbers (2025)
    col = {y: [summaries[y][0].worksheets[0].cell(r, 29).value for _s, r in summaries[y][1].commune_rows.values()]
           for y in model.years}
    assert all(re.fullmatch(r"\d+(,\d)?", v) for v in col[2023]) and any("," in v for v in col[2023])
    assert all(re.fullmatch(r"\d+(,\d)?%", v) for v in col[2024])
    assert all(isinstance(v, float) and 0.8 < v <= 1 for v in col[2022])
    assert summaries[2022][0].worksheets[0].cell(next(iter(summaries[2022][1].commune_rows.values()))[1],
                                                29).number_format == "0.0%"
    assert all(isinstance(v, int | float) and v > 80 for v in col[2025])
    # exactly one "Số tiêu chí đạt" cell disagrees with the marks, in 2024
    assert [len(summaries[y][1].wrong_count_cells) for y in model.years] == [0, 0, 1, 0]
    code, cell, written, true = w24.wrong_count_cells[0]
    assert ws24[cell].value == written == true + 1 == model.truth(2024, key="code")[code]["criteria_met"] + 1
    # extra sheets: a leftover empty "Sheet2" (2023), a per-criterion table without communes (2025)
    assert summaries[2023][0].sheetnames[1:] == ["Sheet2"] and summaries[2023][1].sheets[1:] == ("Sheet2",)
    by_crit = summaries[2025][0]["TH theo tiêu chí"]
    assert [by_crit.cell(4 + k, 3).value for k in range(19)] == model.marks[2025].sum(axis=0).tolist()
    # a "(1) (2) ..." column-number row under the 2023 header, a grouped value header in 2025
    assert ws23["A10"].value == "(1)"
    ws25 = summaries[2025][0].worksheets[0]
    assert ws25["AC8"].value == "Một số chỉ tiêu chủ yếu" and "AC8:AF8" in {str(r) for r in ws25.merged_cells.ranges}


def test_clean_messiness_writes_plain_marks(model):
    wb, w = _book(syn.write_summary, model, 2025, messiness=syn.Messiness.clean())
    ws = wb.worksheets[0]
    marks = {ws.cell(r, 7 + k).value for _s, r in w.commune_rows.values() for k in range(19)}
    assert marks == {"Đạt", "Chưa đạt"} and not w.nfd_codes and not w.wrong_count_cells


# ------------------------------------------------------------------ layouts b, c, d


def test_values_layout(model):
    wb, w = _book(syn.write_values, model, 2025)
    ws = wb.worksheets[0]
    truth = model.truth(2025, key="code")
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert "C8:C9" in merged and ws["N8"].value == "Tiêu chí 15. Y tế"
    styles = {"comma": 0, "percent": 0, "number": 0, "dots": 0}
    for code, (_sheet, r) in w.commune_rows.items():
        t = truth[code]
        pop = ws.cell(r, 5).value
        assert _number(pop) == model.communes.set_index("code").at[code, "population"]
        styles["dots"] += "." in pop
        for ind in syn.INDICATOR_CODES:
            got = ws[f"{w.columns[ind]}{r}"].value
            assert _yes_no(got) == pytest.approx(t["indicators"][ind]), (code, ind, got)
            styles["comma"] += isinstance(got, str) and "," in got
            styles["percent"] += isinstance(got, str) and got.endswith("%")
            styles["number"] += isinstance(got, int | float)
        for num in ("15", "17"):
            got = ws[f"{w.columns[f'Đánh giá TC{num}']}{r}"].value
            assert got == ("Đạt" if t["criteria"][num] == "met" else "Chưa đạt")
    assert all(styles.values()), styles


def test_per_commune_layout(model):
    wb, w = _book(syn.write_per_commune, model, 2025)
    assert wb.sheetnames[0] == "Hướng dẫn" and 5 <= len(wb.sheetnames) <= 7
    assert "Vân Nham" in wb.sheetnames and any(s.startswith("Xã ") for s in wb.sheetnames)
    truth = model.truth(2025, key="code")
    maint = model.communes["code"].iat[model.events["maintenance"][0][0]]
    assert maint in w.communes
    for code, (sheet, first) in w.commune_rows.items():
        ws = wb[sheet]
        t = truth[code]
        assert ws["A4"].value.startswith("BẢNG TỰ ĐÁNH GIÁ KẾT QUẢ THỰC HIỆN BỘ TIÊU CHÍ NTM NĂM 2025 — XÃ ")
        assert [c.value for c in ws[7]] == ["TT", "Tên tiêu chí", "Nội dung tiêu chí", "Chỉ tiêu theo quy định",
                                            "Kết quả thực hiện", "Tự đánh giá"]
        seen_crit, seen_ind = {}, {}
        for row in ws.iter_rows(min_row=first):
            tt, status = row[0].value, row[5].value
            if isinstance(tt, int):
                assert row[0].font.b
                seen_crit[str(tt)] = "met" if status == "Đạt" else "not_met"
            elif isinstance(tt, str) and re.fullmatch(r"\d+\.\d+", tt):
                seen_ind[tt] = _yes_no(row[4].value)
        assert seen_crit == t["criteria"]
        assert seen_ind == pytest.approx({k: v for k, v in t["indicators"].items() if k != "10"})


def test_long_layout(model):
    wb, w = _book(syn.write_long, model, 2025)
    ws = wb.worksheets[0]
    assert [c.value for c in ws[4]] == ["Tên xã", "Tiêu chí/chỉ tiêu", "Giá trị", "Đánh giá", "Thời hạn"]
    merged = {str(r) for r in ws.merged_cells.ranges}
    truth = model.truth(2025, key="code")
    for code, (_sheet, first) in w.commune_rows.items():
        t = truth[code]
        block = [r for r in merged if r.startswith(f"A{first}:")]
        assert len(block) == 1
        assert unicodedata.normalize("NFC", ws.cell(first, 1).value).removeprefix("Xã ") == t["name"]
        end = int(block[0].split(":A")[1])
        for r in range(first, end + 1):
            label, value, status, deadline = (ws.cell(r, j).value for j in range(2, 6))
            m = re.match(r"(Tiêu chí|Chỉ tiêu) ([\d.]+):", label)
            kind, key = m.groups()
            if kind == "Tiêu chí":
                assert status == ("Đạt" if t["criteria"][key] == "met" else "Chưa đạt")
            if value is not None:
                assert _yes_no(value) == pytest.approx(t["indicators"][key])
            assert (deadline is None) == (status == "Đạt")
            if deadline:
                assert re.fullmatch(r"31/12/20(2[6-9])", deadline)


# ------------------------------------------------------------------ national scale


def test_make_country_spreads_communes_and_writes_province_columns():
    m = syn.make_country(11, n_communes=500, n_districts=40, n_provinces=10)
    c = m.communes
    assert len(c) == 500 and c["province"].nunique() == 10 and c["code"].is_unique
    assert not c.duplicated(["province", "district", "name"]).any()
    assert set(c["region_key"]) <= set(syn.REGION_KEYS)
    start = time.perf_counter()
    wb, w = _book(syn.write_summary, m, 2024)
    elapsed = time.perf_counter() - start
    ws = wb.worksheets[0]
    assert ws["D8"].value == "Huyện" and ws["E8"].value == "Tỉnh" and ws["A1"].value == "BỘ NÔNG NGHIỆP VÀ MÔI TRƯỜNG"
    code, (_s, r) = next(iter(w.commune_rows.items()))
    t = m.truth(2024, key="code")[code]
    assert ws.cell(r, 4).value == t["district"] and ws.cell(r, 5).value == t["province"]
    assert elapsed < 5, elapsed  # about 0.1 s per 100 rows; 10k rows take a few seconds


# ------------------------------------------------------------------ the committed sample files


def test_sample_files_are_small_and_match_the_generator(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("build", SAMPLE_DIR / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    rebuilt = build.build(tmp_path)
    assert len(rebuilt) == 7
    for path in rebuilt:
        committed = SAMPLE_DIR / path.name
        assert committed.exists(), f"{committed.name} missing: run .venv/bin/python sample_data/build.py"
        assert committed.stat().st_size < 200_000
        # compare content, not bytes: another xlsxwriter version may zip the same cells differently
        assert _content(committed) == _content(path), f"{committed.name} is stale: rebuild sample_data"


def _content(path: Path) -> list[tuple[str, list, list]]:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    out = []
    for name in wb.sheet_names:
        sheet = wb.get_sheet_by_name(name)
        out.append((name, sheet.to_python(skip_empty_area=False), sorted(map(str, sheet.merged_cell_ranges or []))))
    return out


# ------------------------------------------------------------------ read back through the reader

SAMPLE_FILES = {
    "huu_lung_2022.xlsx": ("summary", 2022),
    "huu_lung_2023.xlsx": ("summary", 2023),
    "huu_lung_2024.xlsx": ("summary", 2024),
    "huu_lung_2025.xlsx": ("summary", 2025),
    "huu_lung_chi_tieu_2025.xlsx": ("values", 2025),
    "huu_lung_tu_danh_gia_2025.xlsx": ("per_commune", 2025),
    "huu_lung_dang_dai_2025.xlsx": ("long", 2025),
}


def _reader_mismatches(ds, truth_by_code: dict, truth_by_name: dict, layout: str) -> list[str]:
    """Every difference between what load_dataset read and the model's truth, one line each."""
    out: list[str] = []
    ids = {}
    for cid, row in ds.communes.iterrows():
        t = (truth_by_code.get(row["code"])
             or truth_by_name.get((row["district"], unicodedata.normalize("NFC", str(row["name"]))))
             or truth_by_name.get(unicodedata.normalize("NFC", str(row["name"]))))
        if t is None:
            out.append(f"commune {row['name']!r} (row {row['row']}) is not in the truth")
            continue
        ids[cid] = t
        if row["name"] != t["name"]:
            out.append(f"{t['name']}: name read as {row['name']!r}")
        if row["district"] is not None and row["district"] != t["district"]:
            out.append(f"{t['name']}: district read as {row['district']!r}, expected {t['district']!r}")
        if layout == "summary":
            for col in ("target_year", "recognized_year"):
                got = None if row[col] is None or row[col] is np.nan or str(row[col]) == "<NA>" else int(row[col])
                if got != t[col]:
                    out.append(f"{t['name']}: {col} read {got}, expected {t[col]} (row {row['row']})")
    for rec in ds.criteria.itertuples():
        t = ids.get(rec.commune_id)
        if t is None:
            continue
        if rec.status == "unknown":
            if layout == "summary":
                out.append(f"{t['name']}: criterion {rec.criterion} unknown at {rec.cell}")
            continue
        if rec.status != t["criteria"][rec.criterion]:
            out.append(f"{t['name']}: criterion {rec.criterion} read {rec.status} ({rec.source}) at "
                       f"{rec.sheet}!{rec.cell}, expected {t['criteria'][rec.criterion]}")
    for rec in ds.indicators.itertuples():
        t = ids.get(rec.commune_id)
        if t is None or rec.indicator not in t["indicators"]:
            continue
        want = t["indicators"][rec.indicator]
        if not (rec.value == pytest.approx(want, abs=1e-6)):
            out.append(f"{t['name']}: {rec.indicator} read {rec.value} at {rec.sheet}!{rec.cell}, expected {want}")
    return out


@pytest.mark.parametrize("file_name", list(SAMPLE_FILES))
def test_reader_reads_the_sample_files_as_written(model, file_name):
    dataset = pytest.importorskip("ntm_data.dataset")
    layout, year = SAMPLE_FILES[file_name]
    ds = dataset.load_dataset(SAMPLE_DIR / file_name)
    truth_by_code = model.truth(year, key="code")
    truth_by_name = model.truth(year)
    expected = {"summary": model.n_communes, "values": model.n_communes, "long": model.n_communes,
                "per_commune": len(syn.pick_form_communes(model, year))}[layout]
    problems = _reader_mismatches(ds, truth_by_code, truth_by_name, layout)
    if len(ds.communes) != expected:
        problems.insert(0, f"read {len(ds.communes)} communes, expected {expected}")
    if ds.period is None or ds.period.year != year:
        problems.insert(0, f"period read {ds.period}, expected {year}")
    # a values sheet with "Đánh giá TC15/TC17" status columns may fairly be read as a summary too
    if ds.layout != layout and not (layout == "values" and ds.layout == "summary"):
        problems.insert(0, f"layout read {ds.layout!r}, expected {layout!r}")
    per_commune = len(syn.SUMMARY_VALUE_CODES) if layout == "summary" else len(syn.INDICATORS)
    if len(ds.indicators) != expected * per_commune:
        problems.append(f"read {len(ds.indicators)} sub-indicator values, expected {expected * per_commune}")
    planned: set[str | None] = set()
    if layout == "summary":
        written = syn.write_summary(model, year, io.BytesIO())
        planned = {cell for _code, cell, _w, _t in written.wrong_count_cells}
        warned = {i.cell for i in ds.issues if i.code == "criteria_met_mismatch"}
        problems += [f"no criteria_met_mismatch warning for {cell}" for cell in planned - warned]
    problems += [f"unexpected issue {i.code} at {i.sheet}!{i.cell}: {dict(i.params)}" for i in ds.issues
                 if not (i.code == "criteria_met_mismatch" and i.cell in planned)]
    assert not problems, "\n".join(problems[:40])


@pytest.mark.parametrize("writer, layout", [
    (syn.write_summary, "summary"),
    (syn.write_values, "values"),
    (syn.write_per_commune, "per_commune"),
    (syn.write_long, "long"),  # no codes: same-name communes of different districts stay apart
])
def test_reader_reads_a_national_sample(writer, layout):
    dataset = pytest.importorskip("ntm_data.dataset")
    m = syn.make_country(11, n_communes=500, n_districts=40, n_provinces=10)
    buf = io.BytesIO()
    written = writer(m, 2024, buf)
    ds = dataset.load_dataset(buf.getvalue(), name=f"national_{layout}.xlsx")
    truth = m.truth(2024, key="code")
    by_place = {(t["district"], t["name"]): t for t in truth.values()}
    problems = _reader_mismatches(ds, truth, by_place, layout)
    if len(ds.communes) != len(written.communes):
        problems.insert(0, f"read {len(ds.communes)} communes, expected {len(written.communes)}")
    planned = {cell for _code, cell, _w, _t in written.wrong_count_cells}
    problems += [f"unexpected issue {i.code} at {i.cell}" for i in ds.issues
                 if not (i.code == "criteria_met_mismatch" and i.cell in planned)]
    assert not problems, "\n".join(problems[:40])

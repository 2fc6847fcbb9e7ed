"""The PDF meeting brief: A4 landscape, Vietnamese text extractable with diacritics, figures, charts."""
from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from test_exports_report import FORMULA_NAME, district

from ntm_data import analytics
from ntm_data.exports import brief_pdf


@pytest.fixture(scope="module")
def reader() -> PdfReader:
    ds = district()
    data = brief_pdf(ds, history=[district(2022, older=True), ds], current_year=2024,
                     issuing_body="UBND huyện Hữu Lũng\nBan Chỉ đạo các CTMTQG")
    assert data.startswith(b"%PDF")
    return PdfReader(io.BytesIO(data))


@pytest.fixture(scope="module")
def text(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def test_a4_landscape_with_embedded_dejavu(reader):
    for page in reader.pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (842, 595)
    fonts = {str(f["/BaseFont"]) for page in reader.pages
             for f in page["/Resources"]["/Font"].get_object().values()}
    assert any("DejaVuSans" in f for f in fonts)
    assert all("Helvetica" not in f for f in fonts)


def test_administrative_title_block(text):
    for phrase in ("UBND HUYỆN HỮU LŨNG", "BAN CHỈ ĐẠO CÁC CTMTQG", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                   "Độc lập - Tự do - Hạnh phúc", "BÁO CÁO TÓM TẮT", "kỳ 2024", "318/QĐ-TTg"):
        assert phrase in text, phrase


def test_kpis_and_figures(text):
    p = analytics.district_progress(district())
    assert f"{p.at_standard} (20%)" in text
    assert f"{p.average_met:.2f}".replace(".", ",").rstrip("0") in text
    assert "Tổng số xã" in text and "Số xã đạt dưới 15 tiêu chí" in text


def test_commune_names_with_diacritics_and_gaps(text):
    for name in ("Vân Nham", "Sơn Hồng", "Đức Thuận"):
        assert name in text
    assert "Đạt (số xã)" in text and "Chưa đạt (số xã)" in text
    assert "Tiêu chí 15 – Y tế: 2 xã chưa đạt" in text
    assert "88,5%" in text and "95%*" in text and "6,5%" in text and "520 người" in text
    assert "Ngưỡng chưa được xác minh với văn bản gốc" in text
    assert "Tiêu chí 17 – Môi trường" in text


def test_overdue_at_risk_and_conclusions(text):
    assert "quá năm phấn đấu" in text and "(tính đến năm 2024): 1 xã" in text
    assert "nguy cơ không kịp năm phấn đấu: 2 xã" in text  # Sơn Hồng and the unchanged "=..." commune
    assert FORMULA_NAME in text
    assert "KẾT LUẬN VÀ PHÂN CÔNG NHIỆM VỤ" in text and "Đơn vị chủ trì" in text and "NGƯỜI CHỦ TRÌ" in text


def test_charts_are_embedded(reader):
    images = [img for page in reader.pages for img in page.images]
    assert len(images) >= 2
    assert all(img.image.width > 300 for img in images[:2])


def test_english_brief_without_history():
    data = brief_pdf(district(), lang="en", current_year=2024, criteria=("17",))
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "SOCIALIST REPUBLIC OF VIET NAM" in text and "MEETING BRIEF" in text
    assert "Criterion 17" in text and "Criterion 15" not in text
    assert "At least two snapshots" in text
    assert "Vân Nham" in text


def test_ten_criteria_set_lists_its_most_lagging_criteria():
    from factories import make_dataset

    ds10 = make_dataset([{"name": "Vân Nham", "met": 7, "target_year": 2027},
                         {"name": "Hà Linh", "marks": "11111111?0"}], criteria_set="qd51", period=2026)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(brief_pdf(ds10))).pages)
    assert "2.1. Tiêu chí 10" in text and "2.2. Tiêu chí 8" in text
    assert "Số xã đạt dưới 8 tiêu chí" in text


def test_counts_carry_a_thousands_mark():
    from test_exports_report import national_lagging

    pdf = PdfReader(io.BytesIO(brief_pdf(national_lagging(), current_year=2024)))
    words = "\n".join(page.extract_text() for page in pdf.pages)
    assert "15 – Y tế: 1.200 xã chưa đạt" in words
    assert "1.200 xã" in words and "1200 xã" not in words

"""The review-meeting workflow in headless Chromium against `streamlit run dashboard.py`.

Every expected figure is computed here from ntm_data on the same workbook the app shows, so a page that
raises or shows a wrong number fails. Each step leaves a full-page screenshot in artifacts/screenshots/.
"""
from __future__ import annotations

import io
import os
import re
from pathlib import Path

import openpyxl
import pytest
from browserkit import (
    ROOT,
    all_rows,
    assert_no_error,
    eventually,
    in_ci,
    metrics,
    number,
    screenshot,
    tables,
    wait_for_app,
)

from ntm_data import analytics, synthetic
from ntm_data.dataset import load_dataset
from ntm_data.i18n import t
from ntm_data.model import Dataset

try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import Page, expect
except ImportError:  # outside CI a missing Playwright skips loudly (see conftest); in CI it is an error
    if in_ci():
        raise
    pytest.skip("!!!!!!!!!!!! BROWSER TESTS SKIPPED: the playwright package is not installed !!!!!!!!!!!!",
                allow_module_level=True)

pytestmark = pytest.mark.browser

SAMPLE_DIR = Path(os.environ.get("NTM_SAMPLE_DIR") or ROOT / "sample_data")  # as ui.data finds it
SAMPLE = "huu_lung_2025.xlsx"  # the sample the app opens on (ui.data.DEFAULT_SAMPLE)
PAGE_IDS = ("overview", "lagging_criteria", "lagging_communes", "scorecard", "commune_profile", "timeline",
            "compare", "data")
UPLOAD_NAME = "chi_lang_2024_loi_dinh_dang.xlsx"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOWNLOAD_TIMEOUT_MS = 90_000  # the PDF brief is drawn (matplotlib) when clicked: seconds on a busy machine


# ---- expected figures, straight from ntm_data ------------------------------------------------------------
@pytest.fixture(scope="module")
def sample() -> Dataset:
    path = SAMPLE_DIR / SAMPLE
    if not path.exists():
        pytest.fail(f"the sample workbook {path} is missing: the app would open on nothing")
    return load_dataset(path)


@pytest.fixture(scope="module")
def sample_before() -> Dataset:
    return load_dataset(SAMPLE_DIR / "huu_lung_2024.xlsx")


def messy_workbook() -> bytes:
    """A district summary typed the way offices do: X / 1 / Đạt and - / 0 / blank marks, "TC1".."TC19"
    headers over a grouped value header, "95,2%" text values, "Xã " prefixes, decomposed Unicode and stray
    spaces in names, and one wrong "Số tiêu chí đạt" cell."""
    model = synthetic.make_district(seed=11, n_communes=14, names=[], district="Chi Lăng", province="Lạng Sơn",
                                    first_code=6300, years=(2023, 2024))
    mess = synthetic.Messiness(
        met_marks=("X", 1, "Đạt"), not_met_marks=("-", 0, None), partial_mark="Cơ bản đạt",
        number_style="percent_text", nfd_share=0.3, prefix_share=0.5, stray_space_share=0.2, wrong_count_rows=1,
        criteria_header="tc", grouped_value_header=True, group_rows_merged=True, header_fill="#FFF2CC",
    )
    buffer = io.BytesIO()
    synthetic.write_summary(model, 2024, buffer, messiness=mess)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def messy() -> tuple[bytes, Dataset]:
    data = messy_workbook()
    return data, load_dataset(data, name=UPLOAD_NAME)


# ---- what a user does -----------------------------------------------------------------------------------
def open_app(page: Page, url: str, request: pytest.FixtureRequest, step: str) -> None:
    page.goto(url)
    wait_for_app(page)
    screenshot(page, request.node.name, step)


def go_to(page: Page, page_id: str, lang: str, request: pytest.FixtureRequest, step: str | None = None, *,
          shot: bool = True) -> None:
    """Click the page's entry in the translated sidebar menu, wait for it to be drawn, take a screenshot."""
    label = t(f"ui.page.{page_id}", lang)
    page.get_by_test_id("stSidebar").get_by_test_id("stPageLink-NavLink").filter(has_text=label).first.click()
    title = page.get_by_test_id("stMain").get_by_role("heading", level=1, name=t(f"ui.page.{page_id}.title", lang), exact=True)
    expect(title).to_be_visible()
    wait_for_app(page)
    if shot:
        screenshot(page, request.node.name, step or page_id)


def selectbox(page: Page, label: str):
    """The selectbox labelled `label` (its <input> holds the chosen option's text)."""
    return page.get_by_test_id("stSelectbox").filter(
        has=page.get_by_test_id("stWidgetLabel").get_by_text(label, exact=True))


def choose(page: Page, label: str, option: str, *, exact: bool = True) -> None:
    """Pick `option` in the selectbox labelled `label`, as a user does: open it, type, click the match
    (with exact=False, the first option that starts with `option`, e.g. a commune name and its district)."""
    box = selectbox(page, label)
    box.locator("input").click()
    box.locator("input").fill(option)
    name = option if exact else re.compile(rf"^{re.escape(option)}\b")
    page.get_by_role("option", name=name, exact=exact or None).first.click()
    wait_for_app(page)


def set_language(page: Page, lang: str) -> None:
    names = {"vi": "Tiếng Việt", "en": "English"}
    choice = page.get_by_test_id("stSidebar").get_by_test_id("stButtonGroup").get_by_role("radio", name=names[lang])
    choice.click()
    wait_for_app(page)
    expect(choice).to_have_attribute("aria-checked", "true")
    expect(page.get_by_test_id("stSidebar").get_by_text(t("ui.frame.language", lang), exact=True)).to_be_visible()


def heading(page: Page, text: str) -> None:
    expect(page.get_by_test_id("stMain").get_by_role("heading", name=text, exact=True)).to_be_visible()


def criterion_label(ds: Dataset, number_: str, lang: str) -> str:
    """'15. Y tế' / '15. Health', the way the app labels a criterion (ui.render.criterion_label)."""
    criterion = ds.criteria_set.criterion(number_)
    return f"{number_}. {criterion.name_en if lang == 'en' else criterion.name_vi}"


def indicator_label(ds: Dataset, code: str, lang: str) -> str:
    indicator = ds.criteria_set.indicator(code)
    return f"{code} {indicator.name_en if lang == 'en' else indicator.name_vi}"


def downloaded(download) -> tuple[str, bytes]:
    """(suggested file name, bytes) of a finished download."""
    return download.suggested_filename, Path(download.path()).read_bytes()


# ---- checks of the figures on screen ------------------------------------------------------------------------
def check_overview_kpis(page: Page, ds: Dataset, lang: str) -> None:
    """The five headline figures equal analytics.district_progress of the open workbook."""
    progress = analytics.district_progress(ds)
    shown = metrics(page)
    expected = {
        t("ui.kpi.communes", lang): progress.communes,
        t("ui.kpi.at_standard", lang): progress.at_standard,
        t("ui.kpi.at_standard_share", lang): round(progress.at_standard_share * 100, 1),
        t("ui.kpi.average_met", lang, total=progress.criteria_total): round(progress.average_met, 1),
        t("ui.kpi.under_floor", lang, floor=progress.floor): progress.under_floor,
    }
    for label, value in expected.items():
        assert label in shown, f"KPI {label!r} missing; on screen: {shown}"
        assert number(shown[label]) == pytest.approx(value, abs=0.051), f"KPI {label!r}: {shown[label]} != {value}"
        if value != round(value):  # 17,7 in Vietnamese, 17.7 in English
            mark = "," if lang == "vi" else "."
            assert f"{int(value)}{mark}" in shown[label], f"KPI {label!r} in {lang}: {shown[label]!r}"


def check_lagging_table(page: Page, ds: Dataset, target: str, lang: str, with_gaps: bool) -> None:
    """The heading counts the communes missing `target`, and the table lists exactly them (with their gap)."""
    lagging = analytics.lagging_communes(ds, target)
    label = indicator_label(ds, target, lang) if "." in target else criterion_label(ds, target, lang)
    heading(page, t("ui.lagging_communes.heading", lang, target=label, count=len(lagging)))
    name_col, gap_col = t("ui.col.name", lang), t("ui.col.gap", lang)

    def check() -> None:
        rows = tables(page)[0]
        shown = [row[name_col] for row in rows]
        expected = list(lagging["name"])
        assert shown == expected[: len(shown)] and len(shown) >= min(len(expected), 8), (shown, expected)
        if with_gaps:
            gaps = {row[name_col]: number(row[gap_col]) for row in rows}
            for name, gap in zip(lagging["name"], lagging["gap"], strict=True):
                if name in gaps:
                    assert gaps[name] == pytest.approx(gap, abs=0.051), f"gap of {name}: {gaps[name]} != {gap}"

    eventually(check, page)


def check_ranking(page: Page, ds: Dataset) -> None:
    """The lagging-criteria ranking: criterion and communes missing it, in analytics.lagging_criteria order."""
    ranked = analytics.lagging_criteria(ds)
    rows = tables(page)[0]
    shown = [(row[t("ui.col.criterion", "vi")], number(row[t("ui.col.not_met", "vi")])) for row in rows]
    expected = list(zip(ranked["criterion"].astype(str), ranked["not_met"].astype(float), strict=True))
    assert shown == expected[: len(shown)] and shown, (shown, expected)


def check_overdue(page: Page, ds: Dataset) -> None:
    """The overdue communes (past their target year, not at the standard) of the timeline page."""
    overdue = analytics.overdue_communes(ds, ds.period.year)
    if overdue.empty:
        return
    names = [row[t("ui.col.name", "vi")] for row in tables(page)[0]]
    assert names == list(overdue["name"])[: len(names)] and names, (names, list(overdue["name"]))


STATUS_SYMBOLS = {"✓": "met", "✗": "not_met", "?": "unknown"}  # ui.render.STATUS_SYMBOLS


def check_scorecard(page: Page, ds: Dataset) -> None:
    """Every commune in analytics.scorecard order, and each status cell on screen equal to the dataset's."""
    rows = all_rows(page, len(tables(page)) - 1)  # the grid is the last table (a group table may come first)
    name_col = t("ui.col.name", "vi")
    expected = analytics.scorecard(ds)
    assert [row[name_col] for row in rows] == list(expected["name"])
    numbers = [c.number for c in ds.criteria_set.criteria]
    checked = 0
    for row, (_, want) in zip(rows, expected.iterrows(), strict=True):
        for number_ in numbers:
            cell = row.get(number_, "").strip()
            if cell:
                assert STATUS_SYMBOLS.get(cell[0]) == str(want[number_]), (row[name_col], number_, cell, want[number_])
                checked += 1
    assert checked >= 10 * len(rows), f"only {checked} status cells could be read"


# ---- the tests ------------------------------------------------------------------------------------------------
def test_overview_opens_on_sample_data(page: Page, server, sample: Dataset, request) -> None:
    mark = server.log_mark()
    open_app(page, server.url, request, "overview")
    heading(page, t("ui.page.overview.title", "vi"))
    expect(page.get_by_text(t("ui.frame.sample_banner", "vi", name=SAMPLE))).to_be_visible()
    check_overview_kpis(page, sample, "vi")
    assert_no_error(page, server, mark)


def test_every_page_on_sample_data(page: Page, server, sample: Dataset, sample_before: Dataset, request) -> None:
    mark = server.log_mark()
    open_app(page, server.url, request, "start")
    for page_id in PAGE_IDS:
        go_to(page, page_id, "vi", request)
        if page_id == "lagging_criteria":
            eventually(lambda: check_ranking(page, sample), page)
        elif page_id == "scorecard":
            eventually(lambda: check_scorecard(page, sample), page)
        elif page_id == "commune_profile":
            shown_name = selectbox(page, t("ui.profile.choose", "vi")).locator("input").input_value()
            ids = [i for i, name in sample.communes["name"].items() if name in shown_name]
            assert ids, f"the profile shows {shown_name!r}, not a commune of the sample"
            profile = analytics.commune_profile(sample, ids[0])
            total = len(sample.criteria_set.criteria)
            assert metrics(page)[t("ui.profile.criteria_met", "vi")] == f"{profile.criteria_met}/{total}"
        elif page_id == "compare":
            result = analytics.compare_snapshots(sample_before, sample)
            shown = metrics(page)
            assert number(shown[t("ui.compare.newly_at_standard", "vi")]) == len(result.newly_at_standard)
            assert number(shown[t("ui.compare.dropped_short", "vi")]) == len(result.dropped_from_standard)
        elif page_id == "timeline":
            heading(page, t("ui.timeline.overdue", "vi"))
            eventually(lambda: check_overdue(page, sample), page)
        elif page_id == "data":
            expect(page.get_by_text(f"{SAMPLE}", exact=False).first).to_be_visible()
            expect(page.get_by_text(re.compile(rf"\b{len(sample.communes)}\b")).first).to_be_visible()
    assert_no_error(page, server, mark)


def test_criterion_15_lagging_communes_and_profile(page: Page, server, sample: Dataset, request) -> None:
    mark = server.log_mark()
    open_app(page, server.url, request, "start")
    go_to(page, "lagging_communes", "vi", request, "lagging_communes")
    choose(page, t("ui.lagging_communes.criterion", "vi"), criterion_label(sample, "15", "vi"))
    check_lagging_table(page, sample, "15", "vi", with_gaps=False)
    screenshot(page, request.node.name, "criterion_15")
    assert "criterion=15" in page.url  # the address bar holds a link to this view

    choose(page, t("ui.lagging_communes.indicator", "vi"), indicator_label(sample, "15.1", "vi"))
    check_lagging_table(page, sample, "15.1", "vi", with_gaps=True)
    screenshot(page, request.node.name, "indicator_15_1")

    # The lagging table downloads as Excel with the same communes.
    name, content = download(page, t("ui.download.xlsx", "vi"))
    assert name.endswith(".xlsx"), name
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    cells = {str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None}
    lagging = analytics.lagging_communes(sample, "15.1")
    assert set(lagging["name"]) <= cells, set(lagging["name"]) - cells

    # Open the profile of the commune furthest from 15.1.
    worst = lagging.iloc[0]
    profile = analytics.commune_profile(sample, worst["commune_id"])
    go_to(page, "commune_profile", "vi", request, "commune_profile_default")
    choose(page, t("ui.profile.choose", "vi"), worst["name"], exact=False)
    screenshot(page, request.node.name, "commune_profile")
    shown = metrics(page)
    total = len(sample.criteria_set.criteria)
    assert shown[t("ui.profile.criteria_met", "vi")] == f"{profile.criteria_met}/{total}"
    def check_criteria() -> None:
        criteria_rows = all_rows(page, 0)
        numbers = [row[t("ui.col.criterion", "vi")] for row in criteria_rows]
        assert numbers == [c.number for c in sample.criteria_set.criteria], numbers
        for row, status in zip(criteria_rows, profile.criteria["status"], strict=True):
            assert t(f"ui.status.{status}", "vi") in row[t("ui.col.status", "vi")], (row, status)

    eventually(check_criteria, page)
    assert_no_error(page, server, mark)


UPLOADER_TEXTS_JS = """() => Array.from(document.querySelectorAll(
  '[data-testid="stFileUploaderDropzone"] button p, [data-testid="stFileUploaderDropzoneInstructions"] span'))
  .map(e => [getComputedStyle(e).fontSize, getComputedStyle(e, '::after').content])"""


def check_uploader_texts(page: Page, lang: str) -> None:
    """The sidebar uploader shows the catalogue's button and size texts (drawn over Streamlit's English)."""
    limit = t("ui.upload.limit", lang, max_mb=50, types="XLSX, XLSM, XLS")
    eventually(lambda: _assert_equal(page.evaluate(UPLOADER_TEXTS_JS),
                                     [["0px", f'"{t("ui.upload.browse", lang)}"'], ["0px", f'"{limit}"']]), page)


def _assert_equal(got: object, wanted: object) -> None:
    assert got == wanted, f"{got!r} != {wanted!r}"


def test_language_switch_and_back(page: Page, server, sample: Dataset, request) -> None:
    mark = server.log_mark()
    open_app(page, server.url, request, "vi")
    check_uploader_texts(page, "vi")
    set_language(page, "en")
    heading(page, t("ui.page.overview.title", "en"))
    check_overview_kpis(page, sample, "en")
    check_uploader_texts(page, "en")
    for page_id in PAGE_IDS:
        expect(page.get_by_test_id("stSidebar").get_by_test_id("stPageLink-NavLink")
               .filter(has_text=t(f"ui.page.{page_id}", "en"))).to_have_count(1)
    assert "lang=en" in page.url
    screenshot(page, request.node.name, "en_overview")
    # Every sidebar choice follows the language, not only the menu.
    criteria_set = selectbox(page, t("ui.frame.criteria_set", "en")).locator("input").input_value()
    assert criteria_set == t("ui.frame.set_auto", "en"), f"criteria-set choice still reads {criteria_set!r} in English"
    go_to(page, "lagging_criteria", "en", request, "en_lagging_criteria")  # the choice survives a page switch
    set_language(page, "vi")
    heading(page, t("ui.page.lagging_criteria.title", "vi"))
    go_to(page, "overview", "vi", request, "vi_again")
    check_overview_kpis(page, sample, "vi")
    assert "lang=" not in page.url
    assert_no_error(page, server, mark)


def test_upload_messy_workbook(page: Page, server, messy: tuple[bytes, Dataset], sample: Dataset, request) -> None:
    data, expected = messy
    mark = server.log_mark()
    open_app(page, server.url, request, "start")
    go_to(page, "data", "vi", request, "data_before")
    page.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(
        files=[{"name": UPLOAD_NAME, "mimeType": XLSX_MIME, "buffer": data}])
    # The file travels first, then the page reruns: wait for the sidebar to name it, then for the run to end.
    expect(page.get_by_test_id("stSidebar").get_by_text(t("ui.frame.source_upload", "vi", name=UPLOAD_NAME))).to_be_visible()
    wait_for_app(page)
    expect(page.get_by_text(re.compile(rf"{re.escape(UPLOAD_NAME)}\b.*\b{len(expected.communes)}\b")).first).to_be_visible()
    # The wrong "Số tiêu chí đạt" cell is reported with its cell address.
    for issue in expected.issues:
        if issue.cell:
            expect(page.get_by_text(issue.message("vi")).first).to_be_attached()
    screenshot(page, request.node.name, "data_after_upload")
    # The annotated copy of the upload carries each issue as a comment on its cell.
    name, content = download(page, t("ui.download.annotated", "vi"))
    annotated = openpyxl.load_workbook(io.BytesIO(content))
    for issue in expected.issues:
        if issue.sheet and issue.cell:
            comment = annotated[issue.sheet][issue.cell].comment
            assert comment is not None and issue.cell in comment.text, (name, issue.sheet, issue.cell)
    for page_id in PAGE_IDS:
        go_to(page, page_id, "vi", request, f"uploaded_{page_id}")
        if page_id == "overview":
            check_overview_kpis(page, expected, "vi")
            expect(page.get_by_text(t("ui.frame.sample_banner", "vi", name=SAMPLE))).to_have_count(0)
    go_to(page, "lagging_communes", "vi", request, "uploaded_lagging")
    choose(page, t("ui.lagging_communes.criterion", "vi"), criterion_label(expected, "15", "vi"))
    check_lagging_table(page, expected, "15", "vi", with_gaps=False)
    screenshot(page, request.node.name, "uploaded_criterion_15")

    # Back to the sample data in one click.
    page.get_by_test_id("stSidebar").get_by_role("button", name=t("ui.frame.use_sample", "vi")).click()
    wait_for_app(page)
    go_to(page, "overview", "vi", request, "back_to_sample")
    check_overview_kpis(page, sample, "vi")
    assert_no_error(page, server, mark)


def test_cold_deep_link(page: Page, fresh_server, sample: Dataset, request) -> None:
    """A link shared after a meeting opens that page, in that language, with that criterion, on a server
    that has served nothing yet."""
    mark = fresh_server.log_mark()
    page.goto(f"{fresh_server.url}/lagging_communes?criterion=15&indicator=15.1&lang=en")
    wait_for_app(page, fresh_server, mark)
    screenshot(page, request.node.name, "lagging_communes_15_1_en")
    heading(page, t("ui.page.lagging_communes.title", "en"))
    check_lagging_table(page, sample, "15.1", "en", with_gaps=True)
    expect(page.get_by_test_id("stSidebar").get_by_test_id("stPageLink-NavLink")
           .filter(has_text=t("ui.page.overview", "en"))).to_have_count(1)
    # Back home from the deep link keeps the language.
    go_to(page, "overview", "en", request, "overview_en")
    check_overview_kpis(page, sample, "en")

    # A link to one commune's profile opens on that commune.
    commune_id = analytics.lagging_communes(sample, "15.1")["commune_id"].iloc[0]
    profile = analytics.commune_profile(sample, commune_id)
    page.goto(f"{fresh_server.url}/commune_profile?commune={commune_id}&lang=en")
    wait_for_app(page, fresh_server, mark)
    screenshot(page, request.node.name, "commune_profile_en")
    assert selectbox(page, t("ui.profile.choose", "en")).locator("input").input_value().startswith(profile.commune["name"])
    total = len(sample.criteria_set.criteria)
    assert metrics(page)[t("ui.profile.criteria_met", "en")] == f"{profile.criteria_met}/{total}"
    assert_no_error(page, fresh_server, mark)


def download(page: Page, label: str) -> tuple[str, bytes]:
    """Click the download button labelled `label` and return (file name, bytes) of the file it gives."""
    button = page.get_by_test_id("stDownloadButton").filter(has_text=label).first
    expect(button).to_be_visible()
    try:
        with page.expect_download(timeout=DOWNLOAD_TIMEOUT_MS) as info:
            button.click()
    except PlaywrightError as error:
        raise AssertionError(f"the {label!r} button gave no file: {error}") from error
    return downloaded(info.value)


def test_downloads_report_brief_template(page: Page, server, sample: Dataset, request) -> None:
    """The Excel meeting report and the PDF brief (overview) and the blank template (Data page) download
    and hold the sample's figures."""
    import pypdf

    mark = server.log_mark()
    open_app(page, server.url, request, "overview")
    lagging_15 = analytics.lagging_communes(sample, "15")
    progress = analytics.district_progress(sample)

    # The meeting report: its overview, scorecard and one sheet per lagging criterion, 15 among them.
    name, content = download(page, t("ui.download.report", "vi"))
    assert name.endswith(".xlsx"), name
    report = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    wanted = {t("export.report.sheet_overview", "vi"), t("export.report.sheet_scorecard", "vi"),
              t("export.report.sheet_lagging", "vi", number="15")}
    assert wanted <= set(report.sheetnames), report.sheetnames
    cells = {str(v) for row in report[t("export.report.sheet_lagging", "vi", number="15")].iter_rows(values_only=True)
             for v in row if v is not None}
    assert set(lagging_15["name"]) <= cells, set(lagging_15["name"]) - cells

    # The PDF brief: title, headline figures and the communes missing criterion 15.
    name, content = download(page, t("ui.download.brief", "vi"))
    assert name.endswith(".pdf") and content.startswith(b"%PDF"), name
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(content)).pages)
    assert t("export.brief.title", "vi") in text
    assert str(progress.communes) in text and str(progress.at_standard) in text
    missing = [n for n in lagging_15["name"] if n not in text]
    assert not missing, f"the brief ({name}) does not name {missing}"

    # The blank template: the summary sheet with a column per criterion.
    go_to(page, "data", "vi", request, "data")
    name, content = download(page, t("ui.data.template", "vi"))
    template = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    header = {str(v) for row in template.worksheets[0].iter_rows(max_row=10, values_only=True) for v in row if v}
    assert {"Tên xã", "TC15"} <= header, header
    assert_no_error(page, server, mark)

"""Navigation and state (AppTest): cold deep links, the language switch, choices that survive page switches
and live in the URL, and the UI string catalogue."""
from __future__ import annotations

import re

import pytest
from app_support import ROOT, SAMPLE, go, metrics, no_exception, start, summarize, texts

from ntm_data.i18n import catalogue


@pytest.fixture(autouse=True)
def _env(monkeypatch, tmp_path):
    monkeypatch.setenv("NTM_RAISE_ERRORS", "1")
    monkeypatch.setenv("NTM_DATA_DIR", str(tmp_path))


def menu(at) -> list[tuple[str, str]]:
    return [(el.proto.label, el.proto.page) for el in at.sidebar.get("page_link")]


def test_cold_deep_link_renders_page_with_criterion_in_english():
    at = start("lagging_communes", criterion="15", lang="en")
    no_exception(at)
    assert texts(at.title)[0] == "Communes missing a criterion"
    assert at.selectbox(key="w_criterion@en").value == "15"
    assert texts(at.subheader)[0].endswith("communes not meeting 15. Health")
    assert [label for label, _ in menu(at)] == [
        "Overview", "Lagging criteria", "Lagging communes", "Scorecard", "Commune profile", "Timeline",
        "Since last meeting", "Data"]
    assert at.query_params == {"criterion": "15", "lang": "en"}


def test_unknown_url_values_are_ignored():
    at = start("lagging_communes", criterion="<b>99</b>", lang="xx", commune="nope")
    no_exception(at)
    assert texts(at.title)[0] == "Xã chưa đạt theo tiêu chí"
    assert at.selectbox(key="w_criterion").value == "1"


def test_language_switch_changes_labels_and_menu():
    at = start("scorecard")
    assert menu(at)[0][0] == "Tổng quan"
    at.segmented_control(key="w_lang").set_value("en").run()
    no_exception(at)
    assert texts(at.title)[0] == "Scorecard: communes × criteria"
    assert menu(at)[0][0] == "Overview"
    assert at.selectbox(key="w_sort").label == "Sort by"
    assert go(at, "timeline").title[0].value == "Timeline to the standard"  # the language survives switches
    assert at.query_params["lang"] == "en"


def test_chosen_criterion_and_commune_survive_page_switches():
    at = start("lagging_criteria")
    at.selectbox(key="w_criterion").set_value("17").run()
    assert at.query_params["criterion"] == "17"
    go(at, "lagging_communes")
    assert at.selectbox(key="w_criterion").value == "17"
    go(at, "commune_profile")
    commune = summarize(SAMPLE / "huu_lung_2025.xlsx")["communes"][3]["code"]
    at.selectbox(key="w_commune").set_value(commune).run()
    go(at, "overview")
    assert at.query_params["commune"] == commune
    go(at, "commune_profile")
    assert at.selectbox(key="w_commune").value == commune
    # The menu links carry the shared choices, so a link copied from any page keeps them.
    assert {link.proto.query_string for link in at.sidebar.get("page_link")} == {
        f"criterion=17&commune={commune}"}


def _ui_keys_in_code() -> set[str]:
    sources = [ROOT / "dashboard.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]
    found: set[str] = set()
    for path in sources:
        found |= set(re.findall(r"[\"'](ui\.[a-z_.]+[a-z_])[\"']", path.read_text(encoding="utf-8")))
    return found


def test_every_ui_string_exists_in_both_languages():
    vi, en = catalogue("vi"), catalogue("en")
    used = _ui_keys_in_code()
    assert used, "no ui.* key found in the code"
    assert sorted(k for k in used if k not in vi or k not in en) == []
    assert sorted(k for k in vi if k.startswith("ui.") and k not in en) == []
    assert sorted(k for k in en if k.startswith("ui.") and k not in vi) == []
    dynamic = [f"ui.page.{p}{suffix}" for p in ("overview", "lagging_criteria", "lagging_communes", "scorecard",
                                                 "commune_profile", "timeline", "compare", "data")
               for suffix in ("", ".title")]
    dynamic += [f"ui.status.{s}" for s in ("met", "not_met", "unknown")]
    dynamic += [f"ui.severity.{s}" for s in ("error", "warning")]
    dynamic += [f"ui.layout.{s}" for s in ("summary", "values", "per_commune", "long", "unknown")]
    dynamic += [f"ui.scorecard.sort_{s}" for s in ("criteria_met", "name")]
    dynamic += [f"ui.snapshots.action_{s}" for s in ("save", "delete")]
    assert [k for k in dynamic if k not in vi or k not in en] == []


@pytest.mark.parametrize("criteria_set, floor_label, warned", [
    ("qd1980", "Xã dưới 15 tiêu chí", True),
    ("qd51", "Xã dưới 8 tiêu chí", True),
    ("auto", "Xã dưới 15 tiêu chí", False),
])
def test_criteria_set_choice(criteria_set, floor_label, warned):
    at = start()
    at.selectbox(key="w_criteria_set").set_value(criteria_set).run()
    no_exception(at)
    assert floor_label in metrics(at)
    assert any("đang đánh giá theo" in w for w in texts(at.sidebar.warning)) == warned
    assert at.query_params.get("set") == (None if criteria_set == "auto" else criteria_set)


ENGLISH_TITLES = {
    "lagging_criteria": "Lagging criteria", "lagging_communes": "Communes missing a criterion",
    "scorecard": "Scorecard: communes × criteria", "commune_profile": "Commune profile",
    "timeline": "Timeline to the standard", "compare": "Since the last meeting", "data": "Data",
}


@pytest.mark.parametrize("page", sorted(ENGLISH_TITLES))
def test_cold_deep_link_to_every_page(page):
    at = start(page, lang="en")
    no_exception(at)
    assert texts(at.title)[0] == ENGLISH_TITLES[page]
    assert not at.error, texts(at.error)

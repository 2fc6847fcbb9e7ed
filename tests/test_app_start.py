"""Start-up order of the app: the open year's figures before the earlier years are read, and pages that do not
show the history never read it (AppTest on the bundled sample)."""
from __future__ import annotations

import pytest
from app_support import go, metrics, no_exception, plotly_specs, start, texts

from ntm_data.i18n import t
from ui import data


@pytest.fixture(autouse=True)
def _env(monkeypatch, tmp_path):
    monkeypatch.setenv("NTM_RAISE_ERRORS", "1")
    monkeypatch.setenv("NTM_DATA_DIR", str(tmp_path))


def _history_fails(monkeypatch) -> list[str]:
    """Make reading the earlier years fail (and record each attempt), as on a server that has not read them."""
    calls: list[str] = []

    def broken(*_args, **_kwargs):
        calls.append("read")
        raise RuntimeError("history read")

    monkeypatch.setattr(data, "_HISTORY_READ", set())
    monkeypatch.setattr(data, "load_sample_history", broken)
    return calls


@pytest.mark.parametrize("page", ["lagging_criteria", "lagging_communes", "scorecard", "data"])
def test_pages_without_history_never_read_it(monkeypatch, page):
    calls = _history_fails(monkeypatch)
    at = start(page)
    no_exception(at)
    assert calls == []
    assert len(at.sidebar.get("page_link")) == 8


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_overview_draws_the_open_year_before_reading_the_history(monkeypatch, lang):
    monkeypatch.setenv("NTM_RAISE_ERRORS", "0")
    calls = _history_fails(monkeypatch)
    at = start(lang=lang)
    assert calls == ["read"]  # read once, after the cards were drawn
    # The cards of the open year are on the page, without their changes; the charts come after the read.
    cards = metrics(at)
    assert cards[t("ui.kpi.communes", lang)] and all(m.delta in (None, "") for m in at.metric)
    assert plotly_specs(at) == []
    assert t("ui.error.unexpected", lang) in texts(at.error)  # the failed read is reported, not a traceback


def test_overview_then_history_pages_on_a_fresh_server(monkeypatch):
    monkeypatch.setattr(data, "_HISTORY_READ", set())
    at = start()
    no_exception(at)
    assert any(m.delta for m in at.metric)  # the cards were drawn again with the change since last year
    assert len(plotly_specs(at)) == 3  # buckets, trend, criteria
    assert data.sample_history_ready(None)
    go(at, "timeline")
    no_exception(at)
    assert t("ui.timeline.at_risk_needs_history", "vi") not in texts(at.info)

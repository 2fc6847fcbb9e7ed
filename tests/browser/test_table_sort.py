"""Large tables (over render.STYLER_MAX_ROWS rows) send their decimals as text in the UI language. Streamlit's
grid sorts a text column with the browser's String.prototype.localeCompare (its bundle: sortMode unset for
text columns): this checks, in the real Chromium and its collation, that our aligned texts sort by value."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ui import render

SORT_JS = "(texts) => texts.slice().sort((a, b) => a.localeCompare(b))"


@pytest.mark.parametrize("lang, locale", [("vi", "vi-VN"), ("en", "en-US"), ("vi", "en-US")])
def test_large_table_numbers_sort_by_value_in_chromium(browser, lang, locale):
    rng = np.random.default_rng(11)
    values = np.concatenate([rng.uniform(0, 20000, 300).round(1), rng.integers(0, 1000, 60).astype(float),
                             [0.0, 5.0, 5.5, 10000.0, np.nan, np.nan]])
    out, _config = render.plain_frame(pd.DataFrame({"value": values}), lang)
    texts = out["value"].tolist()
    context = browser.new_context(locale=locale)
    try:
        ordered = context.new_page().evaluate(SORT_JS, texts)
    finally:
        context.close()
    value_of = dict(zip(texts, values, strict=True))
    got = [value_of[t] for t in ordered]
    assert np.isnan(got[:2]).all()  # missing ("—") first when ascending, last when descending
    assert got[2:] == sorted(v for v in values if not np.isnan(v))

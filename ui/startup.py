"""Server start: read what the first overview shows while the browser is still loading Streamlit's front
end, so that the first leader to open the app does not wait for imports and the sample workbooks."""
from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

log = logging.getLogger(__name__)


def warm_up() -> None:
    """Import what the pages use and read the sample's years, two at a time and the open one first, into the
    server-wide cache (ui.data's st.cache_resource), exactly as the first overview asks for them; a session
    that asks meanwhile waits for the same read instead of doing it twice. Then draw one chart off screen,
    which makes plotly load its template, and load pandas' table styling: both cost a first page ~0.3 s."""
    try:
        from ui import data, frame, render  # noqa: F401 - pandas, pyarrow and ntm_data come with these

        if not (data.SAMPLE_DIR / data.DEFAULT_SAMPLE).exists():
            return
        data.load_sample_history()  # the open year first, beside the earliest year
        ds = data.load_sample()
        import pandas.io.formats.style  # noqa: F401 - the tables' Styler (and jinja2)

        from ntm_data import analytics
        from ui import charts

        charts.bucket_bars(analytics.criteria_buckets(ds), "vi")
    except Exception:  # the pages read the data themselves and show any error in the user's language
        log.exception("warm-up at server start failed")


@asynccontextmanager
async def lifespan(_app: Any) -> AsyncIterator[None]:
    """st.App lifespan: start the warm-up beside the server, which answers at once."""
    threading.Thread(target=warm_up, name="ntm-warm-up", daemon=True).start()
    yield

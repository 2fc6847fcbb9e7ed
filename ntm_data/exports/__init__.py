"""Meeting outputs: the Excel report, the fill-in template, the annotated copy and the PDF brief."""
from __future__ import annotations

from typing import Any

from ntm_data.exports.annotate import annotated_copy
from ntm_data.exports.report import report_xlsx
from ntm_data.exports.styles import STATUS_COLORS
from ntm_data.exports.tables import table_xlsx
from ntm_data.exports.template import blank_template

__all__ = ["STATUS_COLORS", "annotated_copy", "blank_template", "brief_pdf", "report_xlsx", "table_xlsx"]


def __getattr__(name: str) -> Any:
    """brief_pdf is imported on first use: it pulls in matplotlib and fpdf2, which pages that only need
    the colours or an Excel download should not pay for at start-up."""
    if name == "brief_pdf":
        from ntm_data.exports.brief import brief_pdf

        return brief_pdf
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""Meeting outputs: the Excel report, the fill-in template, the annotated copy and the PDF brief."""
from __future__ import annotations

import importlib
from typing import Any

# Each output is imported on first use: they pull in openpyxl, xlsxwriter, matplotlib and fpdf2, which a page
# that only needs the status colours (ntm_data.exports.styles) should not pay for at start-up.
_WHERE = {
    "STATUS_COLORS": "ntm_data.exports.styles",
    "annotated_copy": "ntm_data.exports.annotate",
    "blank_template": "ntm_data.exports.template",
    "brief_pdf": "ntm_data.exports.brief",
    "report_xlsx": "ntm_data.exports.report",
    "table_xlsx": "ntm_data.exports.tables",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

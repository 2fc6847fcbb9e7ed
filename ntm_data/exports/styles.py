"""The one colour map for statuses (met / not met / unknown) shared by Excel fills, PDF tables and UI charts."""
from __future__ import annotations

# Hex colours; strong enough for chart bars and light enough for black text on a filled cell.
STATUS_COLORS: dict[str, str] = {
    "met": "#63BE7B",
    "not_met": "#F8696B",
    "unknown": "#D9D9D9",
}

# Issue severities in the annotated copy (fills of the problem cells).
SEVERITY_COLORS: dict[str, str] = {
    "error": "#FF9999",
    "warning": "#FFE699",
}

HEADER_COLOR = "#DDEBF7"  # table header fill
TITLE_COLOR = "#1F4E78"   # title text
BORDER_COLOR = "#A6A6A6"

# Order in which statuses are listed (legends, stacked bars).
STATUS_ORDER: tuple[str, ...] = ("met", "not_met", "unknown")


def hex_to_rgb(color: str) -> tuple[int, int, int]:
    """'#63BE7B' -> (99, 190, 123), for fpdf2."""
    value = color.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)

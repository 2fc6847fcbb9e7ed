"""Rebuild every sample workbook in sample_data/ from the seeded synthetic model:
`.venv/bin/python sample_data/build.py` (deterministic: same bytes-level content on every run)."""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from ntm_data import synthetic  # noqa: E402

LAST_YEAR = 2025


def build(out_dir: Path = HERE) -> list[Path]:
    """Write the four yearly summaries and the 2025 values, per-commune and long workbooks; returns paths."""
    model = synthetic.make_district()
    written: list[Path] = []
    for year in model.years:
        path = out_dir / f"huu_lung_{year}.xlsx"
        synthetic.write_summary(model, year, path)
        written.append(path)
    for stem, writer in (("chi_tieu", synthetic.write_values), ("tu_danh_gia", synthetic.write_per_commune),
                         ("dang_dai", synthetic.write_long)):
        path = out_dir / f"huu_lung_{stem}_{LAST_YEAR}.xlsx"
        writer(model, LAST_YEAR, path)
        written.append(path)
    return written


if __name__ == "__main__":
    for p in build():
        print(f"{p.relative_to(HERE.parent)}  {p.stat().st_size / 1024:.1f} KB")

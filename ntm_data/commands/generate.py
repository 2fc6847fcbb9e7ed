"""`python -m ntm_data generate national --out DIR`: write the synthetic national workbooks the benchmark reads."""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from ntm_data.commands.summarize import _lang_from_argv
from ntm_data.i18n import t

_RANGE = re.compile(r"^\s*(\d{4})\s*(?:\.\.|-|–)\s*(\d{4})\s*$")
MAX_COMMUNES = 50_000  # five times the country: beyond that the files only test the disk


def parse_years(text: str) -> tuple[int, ...]:
    """'2021..2025' -> (2021, ..., 2025); '2022,2024' -> (2022, 2024). Raises ValueError otherwise."""
    m = _RANGE.match(text)
    if m:
        first, last = int(m.group(1)), int(m.group(2))
        years = tuple(range(first, last + 1))
    else:
        years = tuple(sorted({int(part) for part in text.split(",") if part.strip()}))
    if not years or len(years) > 30 or any(not 1990 <= y <= 2100 for y in years):
        raise ValueError(text)
    return years


def register(subparsers: Any) -> None:
    lang = _lang_from_argv()
    parser = subparsers.add_parser("generate", help=t("cli.generate.help", lang), description=t("cli.generate.help", lang))
    kinds = parser.add_subparsers(dest="kind", required=True)
    national = kinds.add_parser("national", help=t("cli.generate.national.help", lang),
                                description=t("cli.generate.national.help", lang))
    national.add_argument("--out", required=True, help=t("cli.generate.out", lang))
    national.add_argument("--communes", type=int, default=10_000, help=t("cli.generate.communes", lang))
    national.add_argument("--years", default="2021..2025", help=t("cli.generate.years", lang))
    national.add_argument("--seed", type=int, default=2025, help=t("cli.generate.seed", lang))
    national.set_defaults(func=run_national)


def run_national(args: argparse.Namespace) -> int:
    from ntm_data.bench import write_national

    lang = getattr(args, "lang", "vi")
    try:
        years = parse_years(args.years)
    except ValueError:
        raise ValueError(t("cli.generate.bad_years", lang, value=args.years)) from None
    if not 1 <= args.communes <= MAX_COMMUNES:
        raise ValueError(t("cli.generate.bad_communes", lang))
    files = write_national(Path(args.out), args.communes, years, args.seed)
    written = [p for _year, p in files.summaries] + [files.values]
    print(t("cli.generate.written", lang, count=len(written), dir=str(files.out_dir), communes=files.communes,
            districts=files.districts, provinces=files.provinces))
    for path in written:
        print(f"  {path}")
    sys.stdout.flush()
    return 0

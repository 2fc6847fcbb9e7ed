"""`python -m ntm_data summarize FILE`: each commune's criteria statuses as JSON or a readable table."""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
from typing import Any

import numpy as np
import pandas as pd

from ntm_data.dataset import load_dataset
from ntm_data.i18n import t
from ntm_data.model import Dataset

_SYMBOL = {"met": "●", "not_met": "○", "unknown": "?"}


def register(subparsers: Any) -> None:
    lang = _lang_from_argv()
    parser = subparsers.add_parser("summarize", help=t("cli.summarize.help", lang),
                                   description=t("cli.summarize.help", lang))
    parser.add_argument("file", help=t("cli.summarize.file", lang))
    parser.add_argument("--criteria-set", dest="criteria_set", default=None, help=t("cli.summarize.criteria_set", lang))
    parser.add_argument("--year", type=int, default=None, help=t("cli.summarize.year", lang))
    parser.add_argument("--format", choices=["json", "text"], default="json", help=t("cli.summarize.format", lang))
    parser.set_defaults(func=run)


def _lang_from_argv() -> str:
    argv = sys.argv[1:]
    if "--lang" in argv and argv.index("--lang") + 1 < len(argv):
        return argv[argv.index("--lang") + 1]
    return os.environ.get("NTM_LANG", "vi")


def run(args: argparse.Namespace) -> int:
    dataset = load_dataset(args.file, criteria_set=args.criteria_set, year=args.year)
    lang = getattr(args, "lang", "vi")
    if args.format == "text":
        sys.stdout.write(summary_text(dataset, lang))
    else:
        # Indented for a person at a terminal; compact (the C encoder, one write) when piped: a national
        # summary is 1.3 million JSON tokens, which the indenting encoder writes one by one.
        indent = 1 if sys.stdout.isatty() else None
        sys.stdout.write(json.dumps(summary(dataset, lang), ensure_ascii=False, indent=indent) + "\n")
    return 0


def _clean(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        value = value.item()
    return value


def summary(dataset: Dataset, lang: str = "vi") -> dict[str, Any]:
    """The summarize JSON contract: criteria_set, criteria_total, communes[...], issues[...]."""
    numbers = [c.number for c in dataset.criteria_set.criteria]
    # Column lists, not iterrows/.loc per commune: a national sheet has 10,000 communes (issue 7).
    statuses = dataset.status_matrix[numbers].to_numpy(dtype=object).tolist()
    met = dataset.criteria_met.to_numpy().tolist()
    c = dataset.communes
    by_commune = _values_by_commune(dataset.indicators, c.index)
    communes = [
        {
            "name": name,
            "district": _clean(district),
            "code": _clean(code),
            "criteria": dict(zip(numbers, map(str, row), strict=True)),
            "criteria_met": int(n_met),
            "indicators": indicators,
            "target_year": _clean(target),
            "recognized_year": _clean(recognized),
        }
        for indicators, name, district, code, row, n_met, target, recognized in zip(
            by_commune, c["name"].tolist(), c["district"].tolist(), c["code"].tolist(), statuses, met,
            c["target_year"].tolist(), c["recognized_year"].tolist(), strict=True)
    ]
    return {
        "criteria_set": dataset.criteria_set.id,
        "criteria_total": len(numbers),
        "period": str(dataset.period) if dataset.period else None,
        "layout": dataset.layout,
        "communes": communes,
        "issues": [
            {"severity": str(i.severity), "sheet": i.sheet, "cell": i.cell, "message": i.message(lang)}
            for i in dataset.issues
        ],
    }


def _values_by_commune(indicators: pd.DataFrame, commune_ids: pd.Index) -> list[dict[str, float]]:
    """Per commune (in `commune_ids` order): {indicator code: value} of the values read, in reading order.

    Grouped by integer position with one stable sort, then one dict per commune from list slices: a national
    values sheet has 570,000 values, too many for a Python loop over rows."""
    values = indicators[indicators["value"].notna()]
    position = commune_ids.get_indexer(values["commune_id"])
    keep = position >= 0
    position = position[keep]
    order = np.argsort(position, kind="stable")
    codes = values["indicator"].to_numpy(dtype=object)[keep][order].tolist()
    numbers = values["value"].to_numpy(dtype=float)[keep][order].round(6).tolist()
    bounds = np.searchsorted(position[order], np.arange(len(commune_ids) + 1)).tolist()
    return [dict(zip(codes[a:b], numbers[a:b], strict=True)) for a, b in zip(bounds, bounds[1:], strict=False)]


def summary_text(dataset: Dataset, lang: str = "vi") -> str:
    """A fixed-width table: one line per commune, one symbol per criterion, then the issues."""
    numbers = [c.number for c in dataset.criteria_set.criteria]
    matrix = dataset.status_matrix
    met = dataset.criteria_met
    names = dataset.communes["name"].astype(str)
    width = max([len(t("cli.summarize.col_commune", lang))] + [len(n) for n in names]) + 1
    has_district = dataset.communes["district"].notna().any()
    dwidth = max([len(t("cli.summarize.col_district", lang))] + [len(str(d)) for d in dataset.communes["district"].dropna()]) + 1
    lines = [t("cli.summarize.header", lang, source=dataset.source_name or "-", communes=len(names),
               criteria_set=dataset.criteria_set.id, total=len(numbers),
               period=str(dataset.period) if dataset.period else t("cli.summarize.no_period", lang)), ""]
    head = t("cli.summarize.col_commune", lang).ljust(width)
    if has_district:
        head += t("cli.summarize.col_district", lang).ljust(dwidth)
    head += " ".join(n.rjust(2) for n in numbers)
    head += f"  {t('cli.summarize.col_met', lang):>5}  {t('cli.summarize.col_target', lang)}"
    lines.append(head)
    c = dataset.communes
    for name, district, statuses, n_met, target in zip(
            c["name"].tolist(), c["district"].tolist(), matrix.to_numpy(dtype=object).tolist(),
            met.to_numpy().tolist(), c["target_year"].tolist(), strict=True):
        line = str(name).ljust(width)
        if has_district:
            line += str(district or "").ljust(dwidth)
        line += " ".join(_SYMBOL[str(s)].rjust(2) for s in statuses)
        line += f"  {int(n_met):>2}/{len(numbers):<2}  {'' if pd.isna(target) else int(target)}"
        lines.append(line)
    lines += ["", t("cli.summarize.legend", lang)]
    if dataset.issues:
        lines += ["", t("cli.summarize.issues", lang, count=len(dataset.issues))]
        for issue in dataset.issues:
            where = "!".join(p for p in (issue.sheet, issue.cell) if p)
            lines.append(f"- [{issue.severity}] {where}: {issue.message(lang)}" if where
                         else f"- [{issue.severity}] {issue.message(lang)}")
    return "\n".join(lines) + "\n"

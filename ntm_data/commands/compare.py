"""`python -m ntm_data compare P1 P2`: what changed between two saved periods ("since the last meeting")."""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from ntm_data.analytics import Comparison, compare_snapshots
from ntm_data.commands.snapshots import EXIT_OK, add_db_option, fail, format_number, open_store
from ntm_data.dataset import load_dataset
from ntm_data.i18n import t
from ntm_data.model import Dataset, Period
from ntm_data.storage import SnapshotNotFound, SnapshotStore

TOP_MOVERS = 10  # the text report lists the largest movers; JSON lists them all


class UnknownInput(Exception):
    """A period that is not saved, or not a period at all; carries the message to print."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "compare", help="compare two saved periods (or workbook files): criteria gained and lost per commune")
    parser.add_argument("old", help="earlier period (2022, 2023-06) or a workbook file")
    parser.add_argument("new", help="later period or a workbook file")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument("--top", type=int, default=TOP_MOVERS, help="movers shown in the text report")
    add_db_option(parser)
    parser.set_defaults(func=run_compare)


def resolve(arg: str, store: SnapshotStore | None, lang: str) -> Dataset:
    """A saved period (its newest save), or a workbook file when `arg` names one."""
    if Path(arg).is_file():
        return load_dataset(Path(arg).read_bytes(), name=Path(arg).name)
    try:
        period = str(Period.parse(arg))
    except ValueError:
        raise UnknownInput(t("storage.bad_period", lang, period=arg)) from None
    assert store is not None
    try:
        return store.load_period(period)
    except SnapshotNotFound:
        known = ", ".join(store.periods()) or t("storage.no_periods", lang)
        raise UnknownInput(t("storage.period_not_found", lang, period=period, known=known)) from None


def _plain(value: Any) -> Any:
    """JSON-safe scalar: NaN/NA -> None, numpy numbers -> int/float, tuples -> lists."""
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item"):
        return _plain(value.item())
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _by_commune(changes: pd.DataFrame, kind: str) -> list[dict[str, Any]]:
    """Changes of one kind grouped per commune: [{commune_id, name, criteria: [numbers]}], name order kept."""
    rows = changes[changes["change"] == kind]
    grouped = rows.groupby("commune_id", sort=False).agg(name=("name", "first"), criteria=("criterion", list))
    return [{"commune_id": str(cid), "name": r["name"], "criteria": [str(c) for c in r["criteria"]]}
            for cid, r in grouped.iterrows()]


def comparison_dict(cmp: Comparison, old: Dataset, new: Dataset) -> dict[str, Any]:
    """The JSON form of a comparison (documented in `snapshots`' report):
    old/new: {period, source_name, communes, at_standard};
    newly_at_standard / dropped_from_standard: [{commune_id, name, district}];
    gained / lost / other: [{commune_id, name, criteria: [numbers]}] (criteria newly met / no longer met /
    not_met <-> unknown); changes: [{commune_id, name, criterion, old, new, change}];
    movers: [{commune_id, name, old_met, new_met, delta}] largest |delta| first;
    revised_values: [{commune_id, name, indicator, old, new}] (same period only);
    added_communes / removed_communes: [{commune_id, name}]."""
    def side(ds: Dataset) -> dict[str, Any]:
        return {"period": str(ds.period) if ds.period is not None else None, "source_name": ds.source_name,
                "communes": len(ds.communes), "at_standard": int(ds.at_standard.sum())}

    def named(ids: tuple[str, ...], ds: Dataset) -> list[dict[str, Any]]:
        return [{"commune_id": i, "name": _plain(ds.communes.at[i, "name"])} for i in ids]

    return {
        "old": side(old),
        "new": side(new),
        "newly_at_standard": _records(cmp.newly_at_standard),
        "dropped_from_standard": _records(cmp.dropped_from_standard),
        "gained": _by_commune(cmp.changes, "gained"),
        "lost": _by_commune(cmp.changes, "lost"),
        "other": _by_commune(cmp.changes, "other"),
        "changes": _records(cmp.changes),
        "movers": _records(cmp.movers),
        "revised_values": _records(cmp.revised_values),
        "added_communes": named(cmp.added_communes, new),
        "removed_communes": named(cmp.removed_communes, old),
    }


def comparison_text(report: dict[str, Any], lang: str, top: int) -> str:
    """The comparison as a short plain-text report, section by section."""
    old, new = report["old"], report["new"]
    old_label = old["period"] or old["source_name"]
    new_label = new["period"] or new["source_name"]
    lines = [t("cli.snapshots.compare.heading", lang, old=old_label, new=new_label), ""]

    def section(key: str, items: list[str], **params: Any) -> None:
        lines.append(t(f"cli.snapshots.compare.{key}", lang, count=len(items), **params))
        lines.extend([f"  {item}" for item in items] or [t("cli.snapshots.compare.none", lang)])
        lines.append("")

    section("newly_at_standard", [r["name"] for r in report["newly_at_standard"]])
    section("dropped_from_standard", [r["name"] for r in report["dropped_from_standard"]])
    for key in ("gained", "lost"):
        section(key, [f"{r['name']}: " + t("cli.snapshots.compare.criteria", lang, numbers=", ".join(r["criteria"]))
                      for r in report[key]])
    if report["other"]:
        section("other", [f"{r['name']}: " + t("cli.snapshots.compare.criteria", lang, numbers=", ".join(r["criteria"]))
                          for r in report["other"]])
    movers = [f"{r['name']}: {r['old_met']} → {r['new_met']} ({r['delta']:+d})" for r in report["movers"][:top]]
    lines.append(t("cli.snapshots.compare.movers", lang))
    lines.extend([f"  {m}" for m in movers] or [t("cli.snapshots.compare.none", lang)])
    lines.append("")
    if report["revised_values"]:
        def value(v: float | None) -> str:
            return "–" if v is None else format_number(v, lang)
        section("revised", [f"{r['name']}, {r['indicator']}: {value(r['old'])} → {value(r['new'])}"
                            for r in report["revised_values"]])
    if report["added_communes"]:
        section("added", [r["name"] for r in report["added_communes"]], new=new_label)
    if report["removed_communes"]:
        section("removed", [r["name"] for r in report["removed_communes"]], old=old_label)
    return "\n".join(lines).rstrip()


def run_compare(args: argparse.Namespace) -> int:
    lang = args.lang
    needs_store = not (Path(args.old).is_file() and Path(args.new).is_file())
    store = open_store(args) if needs_store else None
    try:
        old = resolve(args.old, store, lang)
        new = resolve(args.new, store, lang)
    except UnknownInput as exc:
        return fail(str(exc))
    finally:
        if store is not None:
            store.close()
    report = comparison_dict(compare_snapshots(old, new), old, new)
    if args.format == "json":
        print(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        print(comparison_text(report, lang, args.top))
    sys.stdout.flush()
    return EXIT_OK

"""`python -m ntm_data snapshots add|list|delete`: keep every yearly status sheet in the snapshot store."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import sqlalchemy as sa

from ntm_data.i18n import t
from ntm_data.model import Period
from ntm_data.storage import (
    GROUPINGS,
    DuplicateSnapshot,
    PeriodRequired,
    SchemaTooNew,
    SnapshotInfo,
    SnapshotNotFound,
    SnapshotStore,
    default_url,
    normalize_url,
)
from ntm_data.text import fold

EXIT_OK = 0
EXIT_DECLINED = 1  # a delete that was not confirmed
EXIT_UNUSABLE = 2
CONFIRM_WORDS = {"y", "yes", "c", "co"}  # folded: "có" -> "co"


def fail(message: str) -> int:
    """One line on stderr, exit 2 (the command line's rule for unusable input)."""
    print(f"error: {message}", file=sys.stderr)
    return EXIT_UNUSABLE


def open_store(args: argparse.Namespace) -> SnapshotStore:
    """The store named by --db (or the default). A database that cannot be reached, or one from a newer
    program, is unusable input: ValueError with one translated line (exit 2 in cli.main)."""
    url = normalize_url(args.db) if args.db else default_url()
    try:
        return SnapshotStore(url)
    except SchemaTooNew as exc:
        raise ValueError(t("storage.newer_schema", args.lang)) from exc
    except (sa.exc.SQLAlchemyError, ImportError) as exc:
        shown = sa.engine.make_url(url).render_as_string(hide_password=True) if "://" in url else url
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise ValueError(t("storage.cannot_open", args.lang, url=shown, reason=reason)) from exc


def add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", metavar="URL",
        help="database URL or SQLite file (default: $NTM_DATABASE_URL, else data/ntm.sqlite or $NTM_DATA_DIR)",
    )


def format_number(value: float, lang: str) -> str:
    text = f"{value:.1f}"
    return text.replace(".", ",") if lang == "vi" else text


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("snapshots", help="save, list and delete snapshots (saved uploads)")
    commands = parser.add_subparsers(dest="snapshots_command", required=True)

    add = commands.add_parser("add", help="save a status workbook as a snapshot")
    add.add_argument("file", help="the workbook (.xlsx, .xls, ...)")
    add.add_argument("--period", help="2024 or 2024-06; default: read from the sheet's title")
    add.add_argument("--grouping", choices=GROUPINGS, help="level above the commune (default: inferred)")
    add.add_argument("--criteria-set", dest="criteria_set", help="criteria set id (default: detected)")
    add.add_argument("--actor", help="who saves it (kept in the audit)")
    add.add_argument("--format", choices=["text", "json"], default="text")
    add_db_option(add)
    add.set_defaults(func=run_add)

    listing = commands.add_parser("list", help="list saved snapshots, oldest period first")
    listing.add_argument("--format", choices=["text", "json"], default="text")
    add_db_option(listing)
    listing.set_defaults(func=run_list)

    delete = commands.add_parser("delete", help="delete a snapshot (asks for confirmation)")
    delete.add_argument("id", type=int, help="snapshot number (see `snapshots list`)")
    delete.add_argument("--yes", action="store_true", help="confirm without asking")
    delete.add_argument("--actor", help="who deletes it (kept in the audit)")
    add_db_option(delete)
    delete.set_defaults(func=run_delete)


def run_add(args: argparse.Namespace) -> int:
    lang = args.lang
    if args.period:
        try:
            Period.parse(args.period)
        except ValueError:
            return fail(t("storage.bad_period", lang, period=args.period))
    data = Path(args.file).read_bytes()  # OSError -> exit 2 in cli.main
    with open_store(args) as store:
        try:
            info = store.save(data, Path(args.file).name, period=args.period, grouping=args.grouping,
                              criteria_set=args.criteria_set, actor=args.actor)
        except PeriodRequired:
            return fail(t("storage.period_required", lang, name=Path(args.file).name) + " "
                        + t("cli.snapshots.period_hint", lang))
        except DuplicateSnapshot as dup:
            # Not an error: the file is in the store, as asked. Said plainly, exit 0.
            old = dup.existing
            if args.format == "json":
                print(json.dumps({"duplicate": True, "snapshot": old.as_dict()}, ensure_ascii=False))
            else:
                print(t("storage.duplicate", lang, id=old.id, period=old.period, source_name=old.source_name,
                        saved_at=old.saved_at.strftime("%Y-%m-%d %H:%M")))
            return EXIT_OK
    if args.format == "json":
        print(json.dumps({"duplicate": False, "snapshot": info.as_dict()}, ensure_ascii=False))
    else:
        print(t("cli.snapshots.saved", lang, id=info.id, period=info.period, communes=info.communes,
                at_standard=info.at_standard, average=format_number(info.average_met, lang)))
    return EXIT_OK


LIST_COLUMNS = ("id", "period", "criteria_set", "grouping", "communes", "at_standard", "average_met",
                "saved_at", "saved_by", "source_name")


def snapshot_table(infos: list[SnapshotInfo], lang: str) -> str:
    """A plain-text table of snapshots, one line each, columns LIST_COLUMNS."""
    def cell(info: SnapshotInfo, column: str) -> str:
        value = getattr(info, column)
        if column == "average_met":
            return format_number(value, lang)
        if column == "saved_at":
            return value.strftime("%Y-%m-%d %H:%M")
        if column == "grouping" and value:
            return t(f"storage.grouping.{value}", lang)
        return "" if value is None else str(value)

    rows = [[t(f"cli.snapshots.col.{c}", lang) for c in LIST_COLUMNS]]
    rows += [[cell(info, c) for c in LIST_COLUMNS] for info in infos]
    widths = [max(len(r[i]) for r in rows) for i in range(len(LIST_COLUMNS))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows)


def run_list(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        infos = store.list()
    if args.format == "json":
        print(json.dumps([i.as_dict() for i in infos], ensure_ascii=False, indent=1))
    elif not infos:
        print(t("cli.snapshots.empty", args.lang))
    else:
        print(snapshot_table(infos, args.lang))
    return EXIT_OK


def run_delete(args: argparse.Namespace) -> int:
    lang = args.lang
    with open_store(args) as store:
        try:
            info = store.info(args.id)
        except SnapshotNotFound:
            return fail(t("storage.not_found", lang, id=args.id))
        if not args.yes:
            if not sys.stdin.isatty():
                print(t("cli.snapshots.need_yes", lang, id=info.id), file=sys.stderr)
                return EXIT_DECLINED
            answer = input(t("cli.snapshots.confirm_delete", lang, id=info.id, period=info.period,
                             source_name=info.source_name))
            if fold(answer).strip().lower() not in CONFIRM_WORDS:
                print(t("cli.snapshots.cancelled", lang))
                return EXIT_DECLINED
        try:
            store.delete(info.id, actor=args.actor)
        except SnapshotNotFound:
            return fail(t("storage.not_found", lang, id=args.id))
    print(t("cli.snapshots.deleted", lang, id=info.id, period=info.period, source_name=info.source_name))
    return EXIT_OK

"""`python -m ntm_data report|template|brief|annotate`: write the meeting outputs from a status workbook."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from ntm_data.i18n import t
from ntm_data.model import Dataset

EXIT_OK = 0


def _lang_from_argv() -> str:
    argv = sys.argv[1:]
    if "--lang" in argv and argv.index("--lang") + 1 < len(argv):
        return argv[argv.index("--lang") + 1]
    return os.environ.get("NTM_LANG", "vi")


def _add_reading(parser: argparse.ArgumentParser, lang: str) -> None:
    parser.add_argument("file", help=t("export.cli.file", lang))
    parser.add_argument("--criteria-set", dest="criteria_set", default=None, help=t("export.cli.criteria_set", lang))
    parser.add_argument("--year", type=int, default=None, help=t("export.cli.year", lang))


def _add_scope(parser: argparse.ArgumentParser, lang: str) -> None:
    parser.add_argument("--district", action="append", default=[], help=t("export.cli.district", lang))
    parser.add_argument("--region", action="append", default=[], help=t("export.cli.region", lang))
    parser.add_argument("--history", nargs="+", default=[], metavar="FILE", help=t("export.cli.history", lang))
    parser.add_argument("--current-year", dest="current_year", type=int, default=None,
                        help=t("export.cli.current_year", lang))


def register(subparsers: Any) -> None:
    lang = _lang_from_argv()
    report = subparsers.add_parser("report", help=t("export.cli.report", lang), description=t("export.cli.report", lang))
    _add_reading(report, lang)
    _add_scope(report, lang)
    report.add_argument("--criteria", nargs="+", default=None, help=t("export.cli.criteria_report", lang))
    report.add_argument("--out", default=None, help=t("export.cli.out", lang))
    report.set_defaults(func=run_report)

    template = subparsers.add_parser("template", help=t("export.cli.template", lang),
                                     description=t("export.cli.template", lang))
    template.add_argument("--criteria-set", dest="criteria_set", default="qd318",
                          help=t("export.cli.criteria_set_template", lang))
    template.add_argument("--from", dest="source", default=None, metavar="FILE", help=t("export.cli.from", lang))
    template.add_argument("--year", type=int, default=None, help=t("export.cli.year_template", lang))
    template.add_argument("--out", default="template.xlsx", help=t("export.cli.out", lang))
    template.set_defaults(func=run_template)

    brief = subparsers.add_parser("brief", help=t("export.cli.brief", lang), description=t("export.cli.brief", lang))
    _add_reading(brief, lang)
    _add_scope(brief, lang)
    brief.add_argument("--criteria", nargs="+", default=["15", "17"], help=t("export.cli.criteria_brief", lang))
    brief.add_argument("--issuing-body", dest="issuing_body", default=None, help=t("export.cli.issuing_body", lang))
    brief.add_argument("--out", default=None, help=t("export.cli.out", lang))
    brief.set_defaults(func=run_brief)

    annotate = subparsers.add_parser("annotate", help=t("export.cli.annotate", lang),
                                     description=t("export.cli.annotate", lang))
    _add_reading(annotate, lang)
    annotate.add_argument("--out", default=None, help=t("export.cli.out", lang))
    annotate.set_defaults(func=run_annotate)


def _out(args: argparse.Namespace, suffix: str) -> Path:
    if args.out:
        return Path(args.out)
    return Path(args.file).with_name(Path(args.file).stem + suffix)


def _load(args: argparse.Namespace, path: str) -> Dataset:
    from ntm_data.dataset import load_dataset

    return load_dataset(path, criteria_set=args.criteria_set, year=args.year)


def _history(args: argparse.Namespace, current: Dataset) -> list[Dataset]:
    """Earlier snapshots, oldest first by period, ending with the current one."""
    past = [_load(args, path) for path in args.history]
    past = [ds for ds in past if ds.period is not None]
    past.sort(key=lambda ds: ds.period.sort_key)
    return [*past, current] if current.period is not None else []


def _filters(args: argparse.Namespace) -> dict[str, list[str]]:
    return {key: values for key, values in (("district", args.district), ("region", args.region)) if values}


def _write(path: Path, data: bytes, lang: str) -> None:
    path.write_bytes(data)
    print(t("export.cli.written", lang, path=str(path), size=len(data)))


def run_report(args: argparse.Namespace) -> int:
    from ntm_data.exports.report import report_xlsx

    lang = getattr(args, "lang", "vi")
    ds = _load(args, args.file)
    data = report_xlsx(ds, lang=lang, filters=_filters(args), history=_history(args, ds),
                       current_year=args.current_year, criteria=args.criteria)
    _write(_out(args, "_bao_cao.xlsx"), data, lang)
    return EXIT_OK


def run_template(args: argparse.Namespace) -> int:
    from ntm_data.exports.template import blank_template

    lang = getattr(args, "lang", "vi")
    dataset = None
    if args.source:
        from ntm_data.dataset import load_dataset

        dataset = load_dataset(args.source, criteria_set=args.criteria_set)
    _write(Path(args.out), blank_template(args.criteria_set, lang, dataset, year=args.year), lang)
    return EXIT_OK


def run_brief(args: argparse.Namespace) -> int:
    from ntm_data.exports.brief import brief_pdf

    lang = getattr(args, "lang", "vi")
    ds = _load(args, args.file)
    body = args.issuing_body.replace("\\n", "\n") if args.issuing_body else None
    data = brief_pdf(ds, lang=lang, issuing_body=body, filters=_filters(args), history=_history(args, ds),
                     current_year=args.current_year, criteria=args.criteria)
    _write(_out(args, "_tom_tat.pdf"), data, lang)
    return EXIT_OK


def run_annotate(args: argparse.Namespace) -> int:
    from ntm_data.exports.annotate import annotated_copy

    lang = getattr(args, "lang", "vi")
    original = Path(args.file).read_bytes()
    ds = _load(args, args.file)
    data = annotated_copy(original, ds.issues, lang)
    out = _out(args, "_danh_dau.xlsx")
    _write(out, data, lang)
    print(t("export.cli.annotated", lang, errors=len(ds.errors), warnings=len(ds.warnings)))
    return EXIT_OK

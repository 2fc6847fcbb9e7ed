"""The command line: `python -m ntm_data COMMAND ...`. Each command lives in ntm_data/commands/<name>.py
with `register(subparsers)`; this module only wires them and turns errors into exit codes."""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from ntm_data.model import ReadError

# One module per command family; each defines register(subparsers) and sets `func` on its parser.
COMMAND_MODULES = [
    "ntm_data.commands.summarize",
    "ntm_data.commands.snapshots",
    "ntm_data.commands.compare",
    "ntm_data.commands.access",
    "ntm_data.commands.outputs",
    "ntm_data.commands.generate",
]

EXIT_OK = 0
EXIT_UNUSABLE = 2  # the input file cannot be used: one clear line on stderr, no traceback


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ntm_data", description="NTM Dashboard tools")
    parser.add_argument(
        "--lang", choices=["vi", "en"], default=os.environ.get("NTM_LANG", "vi"),
        help="language of messages (default vi, or $NTM_LANG)",
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or EXIT_OK)
    except ReadError as exc:
        where = ", ".join(p for p in (exc.issue.sheet, exc.issue.cell) if p)
        print(f"error: {exc.message(args.lang)}" + (f" ({where})" if where else ""), file=sys.stderr)
        return EXIT_UNUSABLE
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE

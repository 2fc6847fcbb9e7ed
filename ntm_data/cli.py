"""The command line: `python -m ntm_data COMMAND ...`. Each command lives in ntm_data/commands/<name>.py
with `register(subparsers)`; this module only wires them and turns errors into exit codes."""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from ntm_data.model import ReadError

# Command -> the module that registers it (one module per command family; each defines
# register(subparsers) and sets `func` on its parser). A run imports only its command's module, so
# `summarize` starts without SQLAlchemy, matplotlib or the exports; help imports them all.
COMMANDS = {
    "summarize": "ntm_data.commands.summarize",
    "snapshots": "ntm_data.commands.snapshots",
    "compare": "ntm_data.commands.compare",
    "hash-password": "ntm_data.commands.access",
    "report": "ntm_data.commands.outputs",
    "template": "ntm_data.commands.outputs",
    "brief": "ntm_data.commands.outputs",
    "annotate": "ntm_data.commands.outputs",
    "generate": "ntm_data.commands.generate",
}
COMMAND_MODULES = list(dict.fromkeys(COMMANDS.values()))

EXIT_OK = 0
EXIT_UNUSABLE = 2  # the input file cannot be used: one clear line on stderr, no traceback


def _modules_for(argv: list[str]) -> list[str]:
    """The command modules a run needs: the named command's, or all of them (help, a typo)."""
    words = [a for i, a in enumerate(argv) if not a.startswith("-") and (i == 0 or argv[i - 1] != "--lang")]
    return [COMMANDS[words[0]]] if words and words[0] in COMMANDS else COMMAND_MODULES


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser for `argv` (default: all commands, as for --help)."""
    parser = argparse.ArgumentParser(prog="python -m ntm_data", description="NTM Dashboard tools")
    parser.add_argument(
        "--lang", choices=["vi", "en"], default=os.environ.get("NTM_LANG", "vi"),
        help="language of messages (default vi, or $NTM_LANG)",
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES if argv is None else _modules_for(argv):
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv)
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

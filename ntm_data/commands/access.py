"""`python -m ntm_data hash-password`: make a password hash for [auth.users] in .streamlit/secrets.toml."""
from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import Any

from ntm_data.access import hash_password
from ntm_data.i18n import t

EXIT_OK = 0
EXIT_MISMATCH = 1
MIN_PASSWORD_LENGTH = 8  # NIST SP 800-63B minimum for a password a person chooses


def _lang() -> str:
    argv = sys.argv[1:]
    if "--lang" in argv and argv.index("--lang") + 1 < len(argv):
        return argv[argv.index("--lang") + 1]
    return os.environ.get("NTM_LANG", "vi")


def register(subparsers: Any) -> None:
    lang = _lang()
    parser = subparsers.add_parser("hash-password", help=t("access.cli.help", lang),
                                   description=t("access.cli.help", lang))
    parser.add_argument("--stdin", action="store_true", help=t("access.cli.stdin", lang))
    parser.add_argument("--user", default=None, help=t("access.cli.user", lang))
    parser.add_argument("--role", choices=["viewer", "editor"], default="viewer", help=t("access.cli.role", lang))
    parser.set_defaults(func=run)


def _read_password(args: argparse.Namespace, lang: str) -> str | None:
    if args.stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(t("access.cli.prompt", lang))
    second = getpass.getpass(t("access.cli.prompt_again", lang))
    return first if first == second else None


def run(args: argparse.Namespace) -> int:
    lang = getattr(args, "lang", "vi")
    password = _read_password(args, lang)
    if password is None:
        print(t("access.cli.mismatch", lang), file=sys.stderr)
        return EXIT_MISMATCH
    if len(password) < MIN_PASSWORD_LENGTH:
        print(t("access.cli.too_short", lang, min=MIN_PASSWORD_LENGTH), file=sys.stderr)
        return EXIT_MISMATCH
    encoded = hash_password(password)
    if args.user:
        # A ready-to-paste table for .streamlit/secrets.toml; the name is quoted as a TOML key.
        key = args.user.replace("\\", "\\\\").replace('"', '\\"')
        print(f'[auth.users."{key}"]\nrole = "{args.role}"\npassword_hash = "{encoded}"')
    else:
        print(encoded)
    return EXIT_OK

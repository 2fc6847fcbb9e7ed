"""Merge UI/domain strings into the locale catalogues safely (several people may add keys at once).

Usage: python scripts/add_strings.py NEW.json   where NEW.json is {"vi": {key: text}, "en": {key: text}}
Keys are kept sorted so diffs stay readable; an existing key is overwritten by the new text.
"""
import fcntl
import json
import sys
from pathlib import Path

LOCALES = Path(__file__).resolve().parent.parent / "ntm_data" / "locales"


def main(path: str) -> None:
    new = json.loads(Path(path).read_text(encoding="utf-8"))
    with open(LOCALES / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for lang, entries in new.items():
            target = LOCALES / f"{lang}.json"
            current = json.loads(target.read_text(encoding="utf-8")) if target.exists() else {}
            current.update(entries)
            target.write_text(
                json.dumps(dict(sorted(current.items())), ensure_ascii=False, indent=1) + "\n",
                encoding="utf-8",
            )


if __name__ == "__main__":
    main(sys.argv[1])

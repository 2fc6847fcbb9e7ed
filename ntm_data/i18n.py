"""The string catalogue: one JSON file per language in ntm_data/locales, used by the UI and the domain."""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
_LOCALES = Path(__file__).with_name("locales")


@cache
def catalogue(lang: str) -> dict[str, str]:
    """Flat key -> text mapping for one language."""
    with open(_LOCALES / f"{lang}.json", encoding="utf-8") as fh:
        return json.load(fh)


def t(key: str, lang: str = DEFAULT_LANGUAGE, **params: object) -> str:
    """Translate `key` into `lang`, filling `{placeholders}`. A missing key falls back to Vietnamese,
    then to the key itself, so a gap shows up as a visible key rather than a crash."""
    lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    text = catalogue(lang).get(key) or catalogue(DEFAULT_LANGUAGE).get(key) or key
    try:
        return text.format(**params) if params else text
    except (KeyError, IndexError, ValueError):
        return text


def count_text(value: int, lang: str = DEFAULT_LANGUAGE) -> str:
    """A count with thousands grouped in the language's way: '3.000' in Vietnamese, '3,000' in English
    (national sheets count thousands of communes)."""
    text = f"{int(value):,}"
    return text.replace(",", ".") if lang == "vi" else text

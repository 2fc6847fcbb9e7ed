"""The criteria catalogue: versioned criteria sets loaded from data files (ntm_data/catalogues/*.yaml)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml

from ntm_data.text import fold

IndicatorKind = Literal["percent", "yes_no", "number"]
Direction = Literal["higher", "lower"]

BUILTIN_IDS = ("qd1980", "qd318", "qd51")
DEFAULT_CRITERIA_SET = "qd318"
CATALOGUE_DIR = Path(__file__).resolve().parent / "catalogues"
MAX_CATALOGUE_BYTES = 2_000_000  # a full set with 60 sub-indicators and 7 regions is about 40 kB
# libyaml's safe loader parses the built-in catalogues about 10x faster than the pure-Python one.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_KINDS = ("percent", "yes_no", "number")
_DIRECTIONS = ("higher", "lower")


class CatalogueError(ValueError):
    """A catalogue file is unusable; the message names the file, the field path and what to fix.

    str(exc) is English, for developers and logs; `message(lang)` is the same in the user's language,
    from `code` (a key under `catalogue.` in the locale catalogues) and `params` (its placeholders, with
    `file` and `path` naming the file and the field)."""

    def __init__(self, text: str, code: str = "invalid", params: Mapping[str, Any] | None = None):
        super().__init__(text)
        self.code = code
        self.params: dict[str, Any] = dict(params or {})
        self.params.setdefault("detail", text)

    def message(self, lang: str = "vi") -> str:
        from ntm_data import i18n

        problem = i18n.t(f"catalogue.{self.code}", lang, **self.params)
        file, path = self.params.get("file"), self.params.get("path")
        if file and path:
            return i18n.t("catalogue.at_field", lang, file=file, path=path, problem=problem)
        if file:
            return i18n.t("catalogue.in_file", lang, file=file, problem=problem)
        return problem


@dataclass(frozen=True)
class Threshold:
    """A pass mark for one sub-indicator. `applies_to` is a profile key or "*" (all profiles);
    `from_year` makes it apply from that year on and `until_year` up to that year included
    (yearly-changing thresholds such as income: the 2022 figure must not judge 2025)."""

    value: float
    applies_to: str = "*"
    from_year: int | None = None
    source: str = ""
    verified: bool = False
    until_year: int | None = None

    def applies_in(self, year: int | None) -> bool:
        """True when the threshold is in force in `year` (any threshold when the year is unknown)."""
        return year is None or ((self.from_year is None or self.from_year <= year)
                                and (self.until_year is None or year <= self.until_year))


@dataclass(frozen=True)
class Indicator:
    code: str  # "15.1"; for a criterion measured directly by one value (10 Thu nhập) the code is "10"
    criterion: str  # "15"
    name_vi: str
    name_en: str
    unit: str  # "%", "triệu đồng/người/năm", "" for yes/no
    kind: IndicatorKind
    direction: Direction = "higher"
    thresholds: tuple[Threshold, ...] = ()

    def threshold_for(self, profile: str | None, year: int | None) -> Threshold | None:
        """The threshold for a commune's profile and year: the profile's own beats "*", and among
        those in force in `year` (from_year <= year <= until_year, an absent bound is open) the latest
        `from_year` wins. None when no threshold is in force: the status is then unknown, never guessed.

        `profile` is a threshold profile key: resolve special profiles first with
        `CriteriaSet.threshold_profile` (or call `CriteriaSet.threshold`, which does both)."""
        own = [t for t in self.thresholds if profile is not None and t.applies_to == profile]
        for candidates in (own, [t for t in self.thresholds if t.applies_to == "*"]):
            usable = [t for t in candidates if t.applies_in(year)]
            if usable:
                return max(usable, key=lambda t: -math.inf if t.from_year is None else t.from_year)
        return None

    def passes(self, value: float, threshold: Threshold) -> bool:
        """True when `value` meets `threshold` in this indicator's direction (yes/no: value >= 1)."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return False
        if self.kind != "yes_no" and self.direction == "lower":
            return value <= threshold.value
        return value >= threshold.value


@dataclass(frozen=True)
class Criterion:
    number: str  # "1".."19" or "1".."10"
    name_vi: str
    name_en: str
    group_vi: str
    group_en: str
    indicators: tuple[Indicator, ...] = ()


@dataclass(frozen=True)
class Profile:
    """A region or commune group that thresholds are keyed by, with the spellings sheets use for it."""

    key: str  # "tdmnpb", "dbsh", ..., "nhom1"
    name_vi: str
    name_en: str
    aliases: tuple[str, ...] = ()
    uses_thresholds_of: str | None = None  # e.g. special communes use "tdmnpb"


@dataclass(frozen=True)
class CriteriaSet:
    id: str  # "qd1980", "qd318", "qd51" or a user catalogue's own id
    name_vi: str
    name_en: str
    decision: str  # "318/QĐ-TTg ngày 08/03/2022"
    period_start: int
    period_end: int
    criteria: tuple[Criterion, ...]
    profiles: tuple[Profile, ...] = ()
    aliases: tuple[str, ...] = field(default=())  # spellings in a sheet title that identify the set
    base: str | None = None  # the builtin id a user file `extends`, else None

    # ---- lookups ---------------------------------------------------------------------------------
    def criterion(self, number: str) -> Criterion | None:
        return self._criteria_by_number.get(str(number).strip())

    @cached_property
    def indicators(self) -> tuple[Indicator, ...]:
        """Every sub-indicator, in catalogue order (a read-only property, computed once)."""
        return tuple(ind for c in self.criteria for ind in c.indicators)

    def indicator(self, code: str) -> Indicator | None:
        return self._indicators_by_code.get(str(code).strip())

    def profile(self, key: str) -> Profile | None:
        return self._profiles_by_key.get(key)

    def profile_for(self, text: object) -> str | None:
        """Region / commune-group cell text -> profile key, by folded aliases; only a unique match.

        Exact match of the compacted text first ("Trung du, miền núi phía Bắc" = "TDMNPB" alias
        list), then a unique whole-word containment of a long alias ("Vùng ĐBSH (đồng bằng)")."""
        words = _profile_words(_cell_text(text))
        if not words:
            return None
        exact, contained = self._profile_lookup
        hit = exact.get(words.replace(" ", ""))
        if hit is not None:
            return hit or None  # "" marks an alias shared by two profiles
        padded = f" {words} "
        keys = {key for alias, key in contained if f" {alias} " in padded}
        return keys.pop() if len(keys) == 1 else None

    def threshold_profile(self, key: str | None) -> str | None:
        """The profile whose thresholds `key` uses: follows `uses_thresholds_of` (dbkk -> tdmnpb)."""
        seen: set[str] = set()
        while key is not None and key not in seen:
            profile = self._profiles_by_key.get(key)
            if profile is None:
                return None
            if profile.uses_thresholds_of is None:
                return key
            seen.add(key)
            key = profile.uses_thresholds_of
        return None

    def threshold(self, code: str, profile: str | None, year: int | None) -> Threshold | None:
        """Convenience: the threshold of sub-indicator `code` for a commune's profile (special
        profiles resolved) and year, or None when the catalogue does not know one."""
        ind = self.indicator(code)
        return None if ind is None else ind.threshold_for(self.threshold_profile(profile), year)

    def match_criterion(self, header: object) -> str | None:
        """A column header -> criterion number: "TC15", "Tiêu chí số 15", "15. Y tế", "Y tế" -> "15".

        A sub-indicator code ("15.1") is not a criterion and gives None."""
        folded = _header_text(header)
        if not folded:
            return None
        m = _CRITERION_RE.match(folded)
        if m:
            number = str(int(m.group(1)))
            return number if number in self._criteria_by_number else None
        return self._criterion_names.get(folded) or None

    def match_indicator(self, header: object) -> str | None:
        """A column header -> sub-indicator code: "15.1", "Chỉ tiêu 15.1", "CT15.1", "15.1. Tỷ lệ ...",
        or exactly an indicator's name. An N.M code the set does not list (17.12) is kept as long as
        N is one of the set's criteria, since user sheets carry sub-indicators we do not know."""
        folded = _header_text(header)
        if not folded:
            return None
        m = _INDICATOR_RE.match(folded)
        if m:
            number = str(int(m.group(1)))
            if number not in self._criteria_by_number:
                return None
            return f"{number}.{int(m.group(2))}"
        names = self._indicator_names
        hit = names.get(folded)
        if hit is None:
            bare = _TRAILING_UNIT_RE.sub("", folded).strip()
            hit = names.get(bare)
        return hit or None

    # ---- precomputed tables (built once per set, lazily; plain dicts so the set still pickles) ------
    @cached_property
    def _criteria_by_number(self) -> dict[str, Criterion]:
        return {c.number: c for c in self.criteria}

    @cached_property
    def _indicators_by_code(self) -> dict[str, Indicator]:
        return {ind.code: ind for ind in self.indicators}

    @cached_property
    def _profiles_by_key(self) -> dict[str, Profile]:
        return {p.key: p for p in self.profiles}

    @cached_property
    def _criterion_names(self) -> dict[str, str]:
        return _unique_lookup(
            (_header_text(name), c.number) for c in self.criteria for name in (c.name_vi, c.name_en)
        )

    @cached_property
    def _indicator_names(self) -> dict[str, str]:
        return _unique_lookup(
            (_header_text(name), ind.code) for ind in self.indicators for name in (ind.name_vi, ind.name_en)
        )

    @cached_property
    def _profile_lookup(self) -> tuple[dict[str, str], tuple[tuple[str, str], ...]]:
        pairs = [
            (_profile_words(spelling), p.key)
            for p in self.profiles
            for spelling in (p.key, p.name_vi, p.name_en, *p.aliases)
        ]
        exact = _unique_lookup((words.replace(" ", ""), key) for words, key in pairs if words)
        contained = tuple(sorted({(w, k) for w, k in pairs if len(w.replace(" ", "")) >= 4}))
        return exact, contained


# ---- text helpers for matching ---------------------------------------------------------------------
# "15.1" / "15,1" after a criterion number is a sub-indicator code, never the criterion.
_CRITERION_RE = re.compile(r"^(?:(?:tc|tieu chi)\s*(?:so\s*)?)?0*(\d{1,2})(?!\d)(?!\s*[.,]\s*\d)")
_INDICATOR_RE = re.compile(
    r"^(?:(?:ct|chi tieu|tc|tieu chi)\s*(?:so\s*)?)?0*(\d{1,2})\s*\.\s*(\d{1,2})(?!\d)\s*(?:[.:)\-–]+\s*|\s+|$)(.*)$"
)
_TRAILING_UNIT_RE = re.compile(r"\s*\([^()]*\)\s*$")
_PROFILE_STOPWORDS = {"vung", "va"}
_PROFILE_PUNCT = re.compile(r"[^\w\s]|_")


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _header_text(value: object) -> str:
    return fold(_cell_text(value)).strip(" :")


def _profile_words(text: object) -> str:
    """Folded words without punctuation and filler words ("vùng", "và"): 'trung du mien nui phia bac'."""
    words = _PROFILE_PUNCT.sub(" ", fold(text)).split()
    return " ".join(w for w in words if w not in _PROFILE_STOPWORDS)


def _unique_lookup(pairs: Any) -> dict[str, str]:
    """A text -> key dict in which a text claimed by two different keys maps to "" (ambiguous)."""
    table: dict[str, str] = {}
    for text, key in pairs:
        if not text:
            continue
        table[text] = key if table.get(text, key) == key else ""
    return table


def _compact(text: str) -> str:
    """Folded text without spaces, "quyết định (số)" -> "qd", dashes unified: for title matching."""
    folded = fold(text).replace("–", "-").replace("—", "-")
    folded = re.sub(r"quyet\s*dinh", "qd", folded)
    folded = re.sub(r"\bqd\s*so\b", "qd", folded)
    return re.sub(r"\s+", "", folded)


# ---- loading ---------------------------------------------------------------------------------------
class _Reader:
    """Validates one parsed catalogue document, naming the file and field path in every error."""

    def __init__(self, name: str):
        self.name = name or "<catalogue>"

    def fail(self, path: str, problem: str, error_code: str = "invalid", /, **params: Any) -> CatalogueError:
        """The error for field `path`: `problem` in English, `error_code`/`params` for the translated message."""
        return CatalogueError(f"{self.name}: {path}: {problem}", error_code,
                              {"file": self.name, "path": path, **{k: str(v) for k, v in params.items()}})

    def mapping(self, value: object, path: str, required: set[str], optional: set[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"must be a mapping (key: value), got {type(value).__name__}", "not_mapping",
                            got=type(value).__name__)
        unknown = sorted(str(k) for k in value if k not in required | optional)
        if unknown:
            allowed = ", ".join(sorted(required | optional))
            raise self.fail(
                f"{path}.{unknown[0]}" if path else unknown[0], f"unknown field; allowed: {allowed}",
                "unknown_field", allowed=allowed,
            )
        missing = sorted(required - set(value))
        if missing:
            raise self.fail(f"{path}.{missing[0]}" if path else missing[0], "required field is missing",
                            "missing_field")
        return value

    def text(self, value: object, path: str, *, allow_empty: bool = False) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self.fail(path, f"must be text, got {type(value).__name__}", "not_text", got=type(value).__name__)
        text = str(value).strip()
        if not text and not allow_empty:
            raise self.fail(path, "must not be empty", "empty")
        return text

    def year(self, value: object, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 1990 <= value <= 2100:
            raise self.fail(path, f"must be a year between 1990 and 2100, got {value!r}", "not_year", value=value)
        return value

    def number(self, value: object, path: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.fail(path, f"must be a number (use 1 for 'Đạt' on yes/no indicators), got {value!r}",
                            "not_number", value=value)
        return float(value)

    def flag(self, value: object, path: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(path, f"must be true or false, got {value!r}", "not_flag", value=value)
        return value

    def items(self, value: object, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(path, f"must be a list, got {type(value).__name__}", "not_list", got=type(value).__name__)
        return value

    def texts(self, value: object, path: str) -> tuple[str, ...]:
        return tuple(self.text(v, f"{path}[{i}]") for i, v in enumerate(self.items(value, path)))

    def choice(self, value: object, path: str, options: tuple[str, ...]) -> str:
        if value not in options:
            raise self.fail(path, f"must be one of {', '.join(options)}, got {value!r}", "not_choice",
                            options=", ".join(options), value=value)
        return str(value)

    # -- pieces --
    def profile(self, raw: object, path: str) -> Profile:
        d = self.mapping(raw, path, {"key", "name_vi", "name_en"}, {"aliases", "uses_thresholds_of"})
        key = self.text(d["key"], f"{path}.key")
        if not re.fullmatch(r"[a-z0-9_]+", key):
            raise self.fail(f"{path}.key", f"must be lower-case letters, digits or _, got {key!r}", "bad_profile_key",
                            key=key)
        uses = d.get("uses_thresholds_of")
        return Profile(
            key=key,
            name_vi=self.text(d["name_vi"], f"{path}.name_vi"),
            name_en=self.text(d["name_en"], f"{path}.name_en"),
            aliases=self.texts(d.get("aliases", []), f"{path}.aliases"),
            uses_thresholds_of=None if uses is None else self.text(uses, f"{path}.uses_thresholds_of"),
        )

    def threshold(self, raw: object, path: str, profiles: set[str]) -> Threshold:
        d = self.mapping(raw, path, {"value", "source", "verified"}, {"applies_to", "from_year", "until_year"})
        applies_to = self.text(d.get("applies_to", "*"), f"{path}.applies_to")
        if applies_to != "*" and applies_to not in profiles:
            known = ", ".join(sorted(profiles)) or "none defined"
            raise self.fail(
                f"{path}.applies_to", f'unknown profile {applies_to!r}; use "*" or one of: {known}',
                "unknown_profile", profile=applies_to, known=known,
            )
        year = d.get("from_year")
        until = d.get("until_year")
        from_year = None if year is None else self.year(year, f"{path}.from_year")
        until_year = None if until is None else self.year(until, f"{path}.until_year")
        if from_year is not None and until_year is not None and until_year < from_year:
            raise self.fail(f"{path}.until_year", f"must not be before from_year {from_year}, got {until_year}",
                            "until_before_from", from_year=from_year, until_year=until_year)
        return Threshold(
            value=self.number(d["value"], f"{path}.value"),
            applies_to=applies_to,
            from_year=from_year,
            source=self.text(d["source"], f"{path}.source"),
            verified=self.flag(d["verified"], f"{path}.verified"),
            until_year=until_year,
        )

    def thresholds(self, raw: object, path: str, profiles: set[str]) -> tuple[Threshold, ...]:
        result = tuple(
            self.threshold(t, f"{path}[{i}]", profiles) for i, t in enumerate(self.items(raw, path))
        )
        seen: dict[tuple[str, int | None], int] = {}
        for i, t in enumerate(result):
            key = (t.applies_to, t.from_year)
            if key in seen:
                raise self.fail(
                    f"{path}[{i}]",
                    f"duplicates {path}[{seen[key]}] (same applies_to {t.applies_to!r} and from_year {t.from_year})",
                    "duplicate_threshold", other=f"{path}[{seen[key]}]", applies_to=t.applies_to,
                    from_year=t.from_year if t.from_year is not None else "-",
                )
            seen[key] = i
        return result

    def indicator(self, raw: object, path: str, criterion: str | None, profiles: set[str]) -> Indicator:
        required = {"code", "name_vi", "name_en", "kind"}
        if criterion is None:
            required.add("criterion")
        d = self.mapping(raw, path, required, {"unit", "direction", "thresholds", "criterion"})
        code = self.text(d["code"], f"{path}.code")
        number = criterion if criterion is not None else self.text(d["criterion"], f"{path}.criterion")
        if "criterion" in d and self.text(d["criterion"], f"{path}.criterion") != number:
            raise self.fail(
                f"{path}.criterion", f"is {d['criterion']!r} but the indicator sits under criterion {number}",
                "criterion_mismatch", value=d["criterion"], number=number,
            )
        if not re.fullmatch(r"\d{1,2}(\.\d{1,2})?", code) or code.split(".")[0] != number:
            raise self.fail(
                f"{path}.code", f"must be '{number}' or '{number}.N' (criterion {number}), got {code!r}",
                "bad_indicator_code", number=number, code=code,
            )
        kind = self.choice(d["kind"], f"{path}.kind", _KINDS)
        direction = self.choice(d.get("direction", "higher"), f"{path}.direction", _DIRECTIONS)
        if kind == "yes_no" and direction != "higher":
            raise self.fail(
                f"{path}.direction", "a yes_no indicator is met by 'Đạt' (1): direction must be higher",
                "yes_no_direction",
            )
        return Indicator(
            code=code,
            criterion=number,
            name_vi=self.text(d["name_vi"], f"{path}.name_vi"),
            name_en=self.text(d["name_en"], f"{path}.name_en"),
            unit=self.text(d.get("unit", "%" if kind == "percent" else ""), f"{path}.unit", allow_empty=True),
            kind=kind,  # type: ignore[arg-type]
            direction=direction,  # type: ignore[arg-type]
            thresholds=self.thresholds(d.get("thresholds", []), f"{path}.thresholds", profiles),
        )

    def criterion(self, raw: object, path: str, profiles: set[str]) -> Criterion:
        d = self.mapping(raw, path, {"number", "name_vi", "name_en"}, {"group_vi", "group_en", "indicators"})
        number = self.text(d["number"], f"{path}.number")
        if not re.fullmatch(r"[1-9]\d?", number):
            raise self.fail(f"{path}.number", f'must be a criterion number such as "15", got {number!r}',
                            "bad_criterion_number", number=number)
        indicators = tuple(
            self.indicator(raw_ind, f"{path}.indicators[{i}]", number, profiles)
            for i, raw_ind in enumerate(self.items(d.get("indicators", []), f"{path}.indicators"))
        )
        return Criterion(
            number=number,
            name_vi=self.text(d["name_vi"], f"{path}.name_vi"),
            name_en=self.text(d["name_en"], f"{path}.name_en"),
            group_vi=self.text(d.get("group_vi", ""), f"{path}.group_vi", allow_empty=True),
            group_en=self.text(d.get("group_en", ""), f"{path}.group_en", allow_empty=True),
            indicators=indicators,
        )

    def check_profiles(self, profiles: tuple[Profile, ...], path: str, offset: int = 0) -> None:
        """Unique keys, known and acyclic `uses_thresholds_of`, no alias naming two profiles.

        `offset`: the first profiles come from an extended built-in set (already valid); paths count
        from the file's own list."""

        def at(i: int) -> str:
            return f"{path}[{i - offset}]"

        keys = [p.key for p in profiles]
        for i, p in enumerate(profiles):
            if keys.index(p.key) != i:
                raise self.fail(f"{at(i)}.key", f"profile {p.key!r} is defined twice", "profile_twice", key=p.key)
        for i, p in enumerate(profiles):
            if p.uses_thresholds_of is not None and p.uses_thresholds_of not in keys:
                raise self.fail(f"{at(i)}.uses_thresholds_of", f"unknown profile {p.uses_thresholds_of!r}",
                                "unknown_profile_ref", profile=p.uses_thresholds_of)
            seen, key = {p.key}, p.uses_thresholds_of
            while key is not None:
                if key in seen:
                    raise self.fail(f"{at(i)}.uses_thresholds_of", "forms a cycle", "profile_cycle")
                seen.add(key)
                key = profiles[keys.index(key)].uses_thresholds_of
        owner: dict[str, str] = {}
        for i, p in enumerate(profiles):
            for j, alias in enumerate((p.name_vi, *p.aliases)):
                compact = _profile_words(alias).replace(" ", "")
                if compact in owner and owner[compact] != p.key:
                    where = f"{at(i)}.aliases[{j - 1}]" if j else f"{at(i)}.name_vi"
                    raise self.fail(where, f"{alias!r} also names profile {owner[compact]!r}", "alias_clash",
                                    alias=alias, owner=owner[compact])
                owner[compact] = p.key

    def check_unique(self, criteria: tuple[Criterion, ...], path: str) -> None:
        numbers: dict[str, int] = {}
        codes: dict[str, str] = {}
        for i, c in enumerate(criteria):
            if c.number in numbers:
                raise self.fail(f"{path}[{i}].number", f"criterion {c.number} is defined twice", "criterion_twice",
                                number=c.number)
            numbers[c.number] = i
            for j, ind in enumerate(c.indicators):
                if ind.code in codes:
                    raise self.fail(
                        f"{path}[{i}].indicators[{j}].code", f"indicator {ind.code} is defined twice",
                        "indicator_twice", code=ind.code,
                    )
                codes[ind.code] = ind.code

    # -- whole documents --
    def criteria_set(self, raw: object) -> CriteriaSet:
        if isinstance(raw, dict) and "extends" in raw:
            return self.extension(raw)
        d = self.mapping(
            raw,
            "",
            {"id", "name_vi", "name_en", "decision", "period_start", "period_end", "criteria"},
            {"aliases", "profiles"},
        )
        set_id = self.set_id(d["id"])
        profiles = tuple(
            self.profile(p, f"profiles[{i}]")
            for i, p in enumerate(self.items(d.get("profiles", []), "profiles"))
        )
        self.check_profiles(profiles, "profiles")
        keys = {p.key for p in profiles}
        criteria = tuple(
            self.criterion(c, f"criteria[{i}]", keys)
            for i, c in enumerate(self.items(d["criteria"], "criteria"))
        )
        if not criteria:
            raise self.fail("criteria", "must list at least one criterion", "no_criteria")
        self.check_unique(criteria, "criteria")
        start, end = self.year(d["period_start"], "period_start"), self.year(d["period_end"], "period_end")
        if end < start:
            raise self.fail("period_end", f"{end} is before period_start {start}", "period_order", start=start, end=end)
        return CriteriaSet(
            id=set_id,
            name_vi=self.text(d["name_vi"], "name_vi"),
            name_en=self.text(d["name_en"], "name_en"),
            decision=self.text(d["decision"], "decision"),
            period_start=start,
            period_end=end,
            criteria=criteria,
            profiles=profiles,
            aliases=self.texts(d.get("aliases", []), "aliases"),
        )

    def set_id(self, value: object, *, builtin_ok: bool = True) -> str:
        set_id = self.text(value, "id")
        if not re.fullmatch(r"[A-Za-z0-9_\-]+", set_id):
            raise self.fail("id", f"must be letters, digits, _ or - (no spaces), got {set_id!r}", "bad_id", id=set_id)
        if not builtin_ok and set_id in BUILTIN_IDS:
            raise self.fail("id", f"{set_id!r} is a built-in set; give your catalogue its own id", "builtin_id",
                            id=set_id)
        return set_id

    def extension(self, d: dict[str, Any]) -> CriteriaSet:
        """`extends: qd318` + `overrides` (thresholds per indicator code) + extra `indicators`/`profiles`."""
        self.mapping(
            d,
            "",
            {"id", "name_vi", "name_en", "extends"},
            {"decision", "period_start", "period_end", "aliases", "profiles", "overrides", "indicators"},
        )
        base_ref = self.text(d["extends"], "extends")
        base_id = _builtin_id(base_ref)
        if base_id is None:
            raise self.fail(
                "extends", f"unknown built-in set {base_ref!r}; use one of {', '.join(BUILTIN_IDS)}",
                "unknown_base", ref=base_ref, options=", ".join(BUILTIN_IDS),
            )
        base = builtin_criteria_sets()[base_id]
        set_id = self.set_id(d["id"], builtin_ok=False)
        extra_profiles = tuple(
            self.profile(p, f"profiles[{i}]")
            for i, p in enumerate(self.items(d.get("profiles", []), "profiles"))
        )
        profiles = base.profiles + extra_profiles
        for i, p in enumerate(extra_profiles):
            if p.key in {b.key for b in base.profiles}:
                raise self.fail(f"profiles[{i}].key", f"profile {p.key!r} already exists in {base_id}",
                                "profile_exists", key=p.key, base=base_id)
        self.check_profiles(profiles, "profiles", offset=len(base.profiles))
        keys = {p.key for p in profiles}

        overrides = d.get("overrides", {}) or {}
        if not isinstance(overrides, dict):
            raise self.fail(
                "overrides", "must be a mapping of indicator code -> {thresholds: [...], replace: false}",
                "overrides_not_mapping",
            )
        new_thresholds: dict[str, tuple[Threshold, ...]] = {}
        for code, raw in overrides.items():
            path = f"overrides.{code}"
            ind = base.indicator(str(code))
            if ind is None:
                raise self.fail(
                    path, f"{base_id} has no indicator {code!r}; add it under `indicators` instead",
                    "no_base_indicator", base=base_id, code=code,
                )
            o = self.mapping(raw, path, {"thresholds"}, {"replace"})
            replace_all = self.flag(o.get("replace", False), f"{path}.replace")
            given = self.thresholds(o["thresholds"], f"{path}.thresholds", keys)
            given_keys = {(t.applies_to, t.from_year) for t in given}
            kept = (
                ()
                if replace_all
                else tuple(t for t in ind.thresholds if (t.applies_to, t.from_year) not in given_keys)
            )
            new_thresholds[ind.code] = kept + given

        extra: dict[str, list[Indicator]] = {}
        base_codes = {ind.code for ind in base.indicators}
        for i, raw in enumerate(self.items(d.get("indicators", []), "indicators")):
            path = f"indicators[{i}]"
            ind = self.indicator(raw, path, None, keys)
            if base.criterion(ind.criterion) is None:
                raise self.fail(f"{path}.criterion", f"{base_id} has no criterion {ind.criterion!r}",
                                "no_base_criterion", base=base_id, criterion=ind.criterion)
            if ind.code in base_codes or any(ind.code == e.code for v in extra.values() for e in v):
                raise self.fail(
                    f"{path}.code",
                    f"indicator {ind.code} already exists; change its thresholds under `overrides`",
                    "indicator_exists", code=ind.code,
                )
            extra.setdefault(ind.criterion, []).append(ind)

        criteria = tuple(
            Criterion(
                number=c.number,
                name_vi=c.name_vi,
                name_en=c.name_en,
                group_vi=c.group_vi,
                group_en=c.group_en,
                indicators=tuple(
                    replace(ind, thresholds=new_thresholds[ind.code]) if ind.code in new_thresholds else ind
                    for ind in c.indicators
                )
                + tuple(extra.get(c.number, ())),
            )
            for c in base.criteria
        )
        start = self.year(d.get("period_start", base.period_start), "period_start")
        end = self.year(d.get("period_end", base.period_end), "period_end")
        if end < start:
            raise self.fail("period_end", f"{end} is before period_start {start}", "period_order", start=start, end=end)
        return CriteriaSet(
            id=set_id,
            name_vi=self.text(d["name_vi"], "name_vi"),
            name_en=self.text(d["name_en"], "name_en"),
            decision=self.text(d.get("decision", base.decision), "decision"),
            period_start=start,
            period_end=end,
            criteria=criteria,
            profiles=profiles,
            aliases=self.texts(d.get("aliases", []), "aliases"),
            base=base_id,
        )


def _parse(data: bytes, name: str) -> object:
    if len(data) > MAX_CATALOGUE_BYTES:
        raise CatalogueError(
            f"{name}: file is larger than {MAX_CATALOGUE_BYTES // 1_000_000} MB; is it a catalogue?",
            "too_large", {"file": name, "mb": MAX_CATALOGUE_BYTES // 1_000_000},
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CatalogueError(
            f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8",
            "not_utf8", {"file": name, "byte": exc.start},
        ) from None
    try:
        if name.lower().endswith(".json"):
            return json.loads(text)
        return yaml.load(text, Loader=_YAML_LOADER)  # noqa: S506 (a safe loader, C when available)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        syntax = "JSON" if name.lower().endswith(".json") else "YAML"
        raise CatalogueError(f"{name}: not valid {syntax}: {exc}", "bad_syntax",
                             {"file": name, "format": syntax, "error": str(exc)}) from None


def load_catalogue_file(source: str | Path | bytes, name: str = "") -> CriteriaSet:
    """Read and validate one catalogue (.yaml/.yml/.json) from a path or from bytes (an upload).

    Raises CatalogueError naming the file, the field path and what to fix."""
    if isinstance(source, (bytes, bytearray)):
        data, name = bytes(source), name or "<catalogue>"
    else:
        path = Path(source)
        name = name or path.name
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CatalogueError(f"{name}: cannot read the file ({exc.strerror})", "unreadable_file",
                                 {"file": name, "reason": exc.strerror}) from None
    return _Reader(name).criteria_set(_parse(data, name))


@lru_cache(maxsize=1)
def _builtin_sets() -> tuple[CriteriaSet, ...]:
    sets = []
    for set_id in BUILTIN_IDS:
        criteria_set = load_catalogue_file(CATALOGUE_DIR / f"{set_id}.yaml")
        if criteria_set.id != set_id:
            raise CatalogueError(f"{set_id}.yaml: id: is {criteria_set.id!r}, expected {set_id!r}", "wrong_builtin_id",
                                 {"file": f"{set_id}.yaml", "path": "id", "id": criteria_set.id, "expected": set_id})
        sets.append(criteria_set)
    return tuple(sets)


def builtin_criteria_sets() -> dict[str, CriteriaSet]:
    """The national sets shipped with the package, in BUILTIN_IDS order (loaded once)."""
    return {s.id: s for s in _builtin_sets()}


@lru_cache(maxsize=1)
def _builtin_refs() -> dict[str, str]:
    """Compact spelling -> builtin id: ids, aliases, and the bare decision number ("318", "qd318")."""
    refs: dict[str, str] = {}
    for s in _builtin_sets():
        number = re.match(r"\s*([\d/]+)", s.decision)
        spellings = [s.id, s.name_vi, s.name_en, *s.aliases]
        if number:
            spellings += [number.group(1).strip("/"), number.group(1).split("/")[0]]
        for spelling in spellings:
            compact = _compact(spelling)
            refs.setdefault(compact, s.id)
            if compact.startswith("qd"):
                refs.setdefault(compact[2:], s.id)
    return refs


def _builtin_id(ref: str) -> str | None:
    if ref in BUILTIN_IDS:
        return ref
    compact = _compact(ref)
    refs = _builtin_refs()
    return refs.get(compact) or (refs.get(compact[2:]) if compact.startswith("qd") else None)


@lru_cache(maxsize=16)
def _load_cached(path: str, mtime_ns: int, size: int) -> CriteriaSet:
    """A user file parsed once per version (path, modification time, size): pages ask for it often."""
    return load_catalogue_file(path)


def get_criteria_set(ref: str | CriteriaSet) -> CriteriaSet:
    """A CriteriaSet from an id ("qd318"), an alias ("318", "QĐ 318", "318/QĐ-TTg"), a CriteriaSet
    (returned as is) or a path to a user catalogue file (.yaml/.yml/.json)."""
    if isinstance(ref, CriteriaSet):
        return ref
    if isinstance(ref, Path) or (isinstance(ref, str) and ref.lower().endswith((".yaml", ".yml", ".json"))):
        path = Path(ref)
        try:
            stat = path.stat()
        except OSError:
            return load_catalogue_file(path)  # raises the "cannot read" CatalogueError
        return _load_cached(str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    set_id = _builtin_id(str(ref))
    if set_id is None:
        raise CatalogueError(
            f"{ref!r}: unknown criteria set; use one of {', '.join(BUILTIN_IDS)} or a .yaml/.json file",
            "unknown_set", {"ref": str(ref), "options": ", ".join(BUILTIN_IDS)},
        )
    return builtin_criteria_sets()[set_id]


@lru_cache(maxsize=1)
def _detection_aliases() -> tuple[tuple[str, str], ...]:
    # Distinct spellings only: "QĐ 318" and "Quyết định 318" compact alike and must count once.
    pairs = {(_compact(alias), s.id): None for s in _builtin_sets() for alias in s.aliases}
    return tuple(pair for pair in pairs if len(pair[0]) >= 4)


def detect_criteria_set(text: str) -> str | None:
    """Sheet title / notes text -> builtin set id, by the sets' aliases ("318/QĐ-TTg", "2021-2025").

    The set with the most distinct aliases present wins; a tie (a title naming two periods) or no
    hit gives None. A number alias only counts when not part of a longer number ("3180")."""
    compact = _compact(text or "")
    if not compact:
        return None
    hits: dict[str, int] = {}
    for alias, set_id in _detection_aliases():
        start = compact.find(alias)
        while start != -1:
            before = compact[start - 1] if start else ""
            after = compact[start + len(alias) : start + len(alias) + 1]
            if not (alias[0].isdigit() and before.isdigit()) and not (
                alias[-1].isdigit() and after.isdigit()
            ):
                hits[set_id] = hits.get(set_id, 0) + 1
                break
            start = compact.find(alias, start + 1)
    if not hits:
        return None
    best = max(hits.values())
    winners = [s for s, n in hits.items() if n == best]
    return winners[0] if len(winners) == 1 else None

"""Synthetic NTM status data: a seeded model of communes' true marks and values, and writers for the four
sheet layouts (district summary, sub-indicator values, per-commune self-assessment forms, long table).

The model holds the truth; the writers render it the way district offices type it (mark spellings, decimal
commas, NFD names, a wrong "Số tiêu chí đạt" cell ...), so a reader can be tested against the truth.
Thresholds used here are the generator's own (QĐ 318 values where the domain README knows them, plausible
values elsewhere): they shape the synthetic values, they are not an official catalogue.
"""
from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, BinaryIO, Literal

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from ntm_data.model import Status

# --------------------------------------------------------------------------------------------------
# Static domain tables (QĐ 318/QĐ-TTg, Phụ lục I)
# --------------------------------------------------------------------------------------------------

# (number, full name, short name used in a third header row)
CRITERIA: tuple[tuple[str, str, str], ...] = (
    ("1", "Quy hoạch", "Quy hoạch"),
    ("2", "Giao thông", "Giao thông"),
    ("3", "Thủy lợi và phòng, chống thiên tai", "Thủy lợi"),
    ("4", "Điện", "Điện"),
    ("5", "Trường học", "Trường học"),
    ("6", "Cơ sở vật chất văn hóa", "CSVC văn hóa"),
    ("7", "Cơ sở hạ tầng thương mại nông thôn", "Thương mại"),
    ("8", "Thông tin và Truyền thông", "TT&TT"),
    ("9", "Nhà ở dân cư", "Nhà ở"),
    ("10", "Thu nhập", "Thu nhập"),
    ("11", "Nghèo đa chiều", "Nghèo đa chiều"),
    ("12", "Lao động", "Lao động"),
    ("13", "Tổ chức sản xuất và phát triển kinh tế nông thôn", "Tổ chức SX"),
    ("14", "Giáo dục và Đào tạo", "Giáo dục"),
    ("15", "Y tế", "Y tế"),
    ("16", "Văn hóa", "Văn hóa"),
    ("17", "Môi trường và an toàn thực phẩm", "Môi trường"),
    ("18", "Hệ thống chính trị và tiếp cận pháp luật", "HTCT"),
    ("19", "Quốc phòng và An ninh", "QP-AN"),
)
CRITERION_NUMBERS: tuple[str, ...] = tuple(c[0] for c in CRITERIA)
N_CRITERIA = len(CRITERIA)

# How hard each criterion is in the field (higher = met later). 15 (BHYT) and 17 (environment) lag
# everywhere; 18, 10 and 13 often; planning, power, ICT and defence are met early.
_DIFFICULTY = np.array([
    -1.7, 0.1, -0.8, -1.9, -0.4, 0.0, -0.2, -1.6, -0.9, 0.5,
    -0.5, -1.1, 0.5, -1.0, 1.0, -0.8, 1.15, 0.55, -1.8,
])

REGIONS: tuple[tuple[str, str], ...] = (
    ("tdmnpb", "Trung du và miền núi phía Bắc"),
    ("dbsh", "Đồng bằng sông Hồng"),
    ("btb", "Bắc Trung Bộ"),
    ("dhntb", "Duyên hải Nam Trung Bộ"),
    ("tn", "Tây Nguyên"),
    ("dnb", "Đông Nam Bộ"),
    ("dbscl", "Đồng bằng sông Cửu Long"),
)
REGION_KEYS: tuple[str, ...] = tuple(r[0] for r in REGIONS)
SPECIAL_REGION_TEXT = "Xã đặc biệt khó khăn"  # special communes use the tdmnpb thresholds (QĐ 318)

# The 63 provinces before the 2025 merger, by region (index into REGIONS).
PROVINCES: tuple[tuple[str, int], ...] = tuple(
    (name, region)
    for region, names in enumerate((
        ("Hà Giang", "Cao Bằng", "Bắc Kạn", "Tuyên Quang", "Lào Cai", "Điện Biên", "Lai Châu", "Sơn La",
         "Yên Bái", "Hòa Bình", "Thái Nguyên", "Lạng Sơn", "Phú Thọ", "Bắc Giang"),
        ("Hà Nội", "Hải Phòng", "Quảng Ninh", "Vĩnh Phúc", "Bắc Ninh", "Hải Dương", "Hưng Yên",
         "Thái Bình", "Hà Nam", "Nam Định", "Ninh Bình"),
        ("Thanh Hóa", "Nghệ An", "Hà Tĩnh", "Quảng Bình", "Quảng Trị", "Thừa Thiên Huế"),
        ("Đà Nẵng", "Quảng Nam", "Quảng Ngãi", "Bình Định", "Phú Yên", "Khánh Hòa", "Ninh Thuận",
         "Bình Thuận"),
        ("Kon Tum", "Gia Lai", "Đắk Lắk", "Đắk Nông", "Lâm Đồng"),
        ("TP. Hồ Chí Minh", "Bình Phước", "Tây Ninh", "Bình Dương", "Đồng Nai", "Bà Rịa - Vũng Tàu"),
        ("Long An", "Tiền Giang", "Bến Tre", "Trà Vinh", "Vĩnh Long", "Đồng Tháp", "An Giang",
         "Kiên Giang", "Cần Thơ", "Hậu Giang", "Sóc Trăng", "Bạc Liêu", "Cà Mau"),
    ))
    for name in names
)

# The sample district: communes of huyện Hữu Lũng, tỉnh Lạng Sơn (pre-2025), in commune-code order.
HUU_LUNG_COMMUNES: tuple[str, ...] = (
    "Yên Thịnh", "Hữu Liên", "Yên Bình", "Quyết Thắng", "Hòa Bình", "Yên Vượng", "Yên Sơn",
    "Minh Tiến", "Hòa Lạc", "Minh Sơn", "Minh Hòa", "Thiện Tân", "Hòa Sơn", "Đồng Tân", "Cai Kinh",
    "Vân Nham", "Đô Lương", "Hồ Sơn", "Thanh Sơn", "Đồng Tiến", "Sơn Hà", "Nhật Tiến", "Tân Thành",
    "Hòa Thắng", "Tân Lập",
)

IndicatorKind = Literal["percent", "yes_no", "number"]


@dataclass(frozen=True)
class IndicatorSpec:
    """One sub-indicator the generator produces values for.

    `threshold` is the tdmnpb pass mark; `region_thresholds` overrides it per region key; `yearly_step`
    raises it each year after `base_year` (income). `worst`/`best` bound plausible values.
    """

    code: str
    criterion: str
    name: str
    short: str  # header text in the summary and long layouts
    unit: str  # "%", "triệu đồng/người/năm", "m²/người", "" for yes/no
    kind: IndicatorKind
    threshold: float
    worst: float
    best: float
    higher_is_better: bool = True
    region_thresholds: Mapping[str, float] = field(default_factory=dict)
    yearly_step: float = 0.0
    base_year: int = 2022

    def threshold_for(self, region_key: str, year: int) -> float:
        base = self.region_thresholds.get(region_key, self.threshold)
        return base + self.yearly_step * max(0, year - self.base_year)

    def rule_text(self, region_key: str, year: int) -> str:
        """The 'Chỉ tiêu theo quy định' cell of a self-assessment form: '≥95%', '≤24%', 'Đạt'."""
        if self.kind == "yes_no":
            return "Đạt"
        thr = _vn_number(self.threshold_for(region_key, year))
        sign = "≥" if self.higher_is_better else "≤"
        if self.unit == "%":
            return "100%" if self.threshold >= 100 else f"{sign}{thr}%"
        return f"{sign}{thr} {self.unit}"


_INCOME_2022 = {"tdmnpb": 39.0, "dbsh": 54.0, "btb": 44.0, "dhntb": 45.0, "tn": 45.0, "dnb": 59.0,
                "dbscl": 51.0}  # only tdmnpb is known (domain README §2); the rest are synthetic

INDICATORS: tuple[IndicatorSpec, ...] = (
    IndicatorSpec("2.1", "2", "Tỷ lệ đường xã và đường từ trung tâm xã đến đường huyện được nhựa hóa hoặc bê "
                  "tông hóa, đảm bảo ô tô đi lại thuận tiện quanh năm", "Đường xã được nhựa/bê tông hóa",
                  "%", "percent", 100, 82, 100),
    IndicatorSpec("2.2", "2", "Tỷ lệ đường thôn, bản và đường liên thôn, bản ít nhất được cứng hóa, đảm bảo ô "
                  "tô đi lại thuận tiện quanh năm", "Đường thôn được cứng hóa", "%", "percent", 80, 55, 100),
    IndicatorSpec("2.3", "2", "Tỷ lệ đường ngõ, xóm sạch và đáp ứng yêu cầu đi lại thuận tiện quanh năm",
                  "Đường ngõ, xóm sạch", "%", "percent", 50, 28, 100),
    IndicatorSpec("2.4", "2", "Tỷ lệ đường trục chính nội đồng đảm bảo vận chuyển hàng hóa thuận tiện quanh "
                  "năm", "Đường trục chính nội đồng", "%", "percent", 70, 40, 100),
    IndicatorSpec("3.1", "3", "Tỷ lệ diện tích đất sản xuất nông nghiệp được tưới và tiêu nước chủ động",
                  "Đất SXNN được tưới, tiêu chủ động", "%", "percent", 80, 58, 98),
    IndicatorSpec("3.2", "3", "Đảm bảo yêu cầu chủ động về phòng chống thiên tai theo phương châm 4 tại chỗ",
                  "Phòng chống thiên tai 4 tại chỗ", "", "yes_no", 1, 0, 1),
    IndicatorSpec("10", "10", "Thu nhập bình quân đầu người khu vực nông thôn", "Thu nhập bình quân đầu người",
                  "triệu đồng/người/năm", "number", 39, 27, 72, region_thresholds=_INCOME_2022,
                  yearly_step=3.0),
    IndicatorSpec("15.1", "15", "Tỷ lệ người dân tham gia bảo hiểm y tế", "Tỷ lệ người dân tham gia BHYT",
                  "%", "percent", 95, 84.5, 98.6),
    IndicatorSpec("15.2", "15", "Xã đạt tiêu chí quốc gia về y tế", "Xã đạt tiêu chí quốc gia về y tế",
                  "", "yes_no", 1, 0, 1),
    IndicatorSpec("15.3", "15", "Tỷ lệ trẻ em dưới 5 tuổi bị suy dinh dưỡng thể thấp còi (chiều cao theo "
                  "tuổi)", "Tỷ lệ trẻ em dưới 5 tuổi suy dinh dưỡng thấp còi", "%", "percent", 24, 31, 11,
                  higher_is_better=False,
                  region_thresholds={"dbsh": 16.5, "btb": 25, "dhntb": 22, "tn": 26.5, "dnb": 14.5,
                                     "dbscl": 19}),
    IndicatorSpec("15.4", "15", "Tỷ lệ dân số có sổ khám chữa bệnh điện tử", "Tỷ lệ dân số có sổ KCB điện tử",
                  "%", "percent", 50, 22, 95, region_thresholds={"dbsh": 70}),
    IndicatorSpec("17.1", "17", "Tỷ lệ hộ được sử dụng nước sạch theo quy chuẩn", "Tỷ lệ hộ sử dụng nước sạch",
                  "%", "percent", 50, 30, 88),
    IndicatorSpec("17.2", "17", "Tỷ lệ cơ sở sản xuất - kinh doanh, nuôi trồng thủy sản, làng nghề đảm bảo quy "
                  "định về bảo vệ môi trường", "Cơ sở SX-KD đảm bảo quy định về BVMT", "%", "percent",
                  100, 72, 100),
    IndicatorSpec("17.3", "17", "Xây dựng cảnh quan, môi trường xanh - sạch - đẹp, an toàn; không để xảy ra tồn "
                  "đọng nước thải sinh hoạt tại các khu dân cư tập trung", "Cảnh quan xanh - sạch - đẹp",
                  "", "yes_no", 1, 0, 1),
    IndicatorSpec("17.4", "17", "Đất cây xanh sử dụng công cộng tại điểm dân cư nông thôn",
                  "Đất cây xanh công cộng", "m²/người", "number", 2, 0.6, 6.5),
    IndicatorSpec("17.5", "17", "Mai táng, hỏa táng phù hợp với quy định và theo quy hoạch",
                  "Mai táng theo quy hoạch", "", "yes_no", 1, 0, 1),
    IndicatorSpec("17.6", "17", "Chất thải rắn trên địa bàn và nước thải khu dân cư tập trung, cơ sở sản xuất - "
                  "kinh doanh được thu gom, xử lý theo quy định", "Chất thải rắn, nước thải được thu gom, xử lý",
                  "", "yes_no", 1, 0, 1),
    IndicatorSpec("17.7", "17", "Tỷ lệ hộ có nhà tiêu, nhà tắm, thiết bị chứa nước sinh hoạt hợp vệ sinh và đảm "
                  "bảo 3 sạch", "Tỷ lệ hộ đảm bảo 3 sạch", "%", "percent", 70, 42, 96),
    IndicatorSpec("17.8", "17", "Tỷ lệ cơ sở chăn nuôi đảm bảo các quy định về vệ sinh thú y, chăn nuôi và bảo "
                  "vệ môi trường", "Cơ sở chăn nuôi đảm bảo vệ sinh thú y, BVMT", "%", "percent", 70, 40, 97),
    IndicatorSpec("17.9", "17", "Tỷ lệ hộ gia đình và cơ sở sản xuất, kinh doanh thực phẩm tuân thủ các quy định "
                  "về đảm bảo an toàn thực phẩm", "Hộ, cơ sở tuân thủ quy định ATTP", "%", "percent",
                  100, 84, 100),
    IndicatorSpec("17.10", "17", "Tỷ lệ hộ gia đình thực hiện phân loại chất thải rắn tại nguồn",
                  "Hộ phân loại chất thải rắn tại nguồn", "%", "percent", 30, 8, 72),
    IndicatorSpec("17.11", "17", "Tỷ lệ chất thải nhựa phát sinh trên địa bàn được thu gom, tái sử dụng, tái "
                  "chế, xử lý theo quy định", "Chất thải nhựa được thu gom, xử lý", "%", "percent",
                  50, 18, 92),
)
INDICATOR_CODES: tuple[str, ...] = tuple(i.code for i in INDICATORS)
_IND_INDEX = {code: j for j, code in enumerate(INDICATOR_CODES)}
_CRIT_INDEX = {num: k for k, num in enumerate(CRITERION_NUMBERS)}
# Sub-indicator columns of the summary layout (the ones district offices track most).
SUMMARY_VALUE_CODES: tuple[str, ...] = ("15.1", "17.1", "17.6", "3.1")
# The sub-indicator that usually keeps a criterion from being met (15.1 BHYT for health).
_LAGGING_INDICATOR = {"15": "15.1"}

# --------------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------------


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.flags.writeable = False
    return a


@dataclass(frozen=True, eq=False)
class DistrictModel:
    """The truth behind a set of synthetic sheets: who meets what, each year.

    communes: one row per commune (positional index 0..n-1), columns code (5-digit str), name (NFC, no
              prefix), prefix ("Xã"), district, province, region_key, region_text (what the "Vùng" column
              shows: the region name or "Xã đặc biệt khó khăn"), special (bool), population, households,
              recognized_year (Int64, NA when never), recognized_decision (str or None), target_year (Int64).
    marks:    year -> bool array (n, 19), True = criterion met.
    partial:  year -> bool array (n, 19), not met but "Cơ bản đạt" (nearly met) as offices write it.
    values:   year -> float array (n, len(INDICATORS)): per-cents 0-100, yes/no 1.0/0.0, income, m²/người.
    passes:   year -> bool array, each value against the generator's own threshold.
    events:   named story events, for tests: "maintenance" -> ((commune index, criterion, from year), ...),
              "losses" -> same shape, "van_nham" -> commune index or -1.
    """

    seed: int
    years: tuple[int, ...]
    communes: pd.DataFrame
    marks: Mapping[int, np.ndarray]
    partial: Mapping[int, np.ndarray]
    values: Mapping[int, np.ndarray]
    passes: Mapping[int, np.ndarray]
    events: Mapping[str, Any]
    scope: Literal["district", "country"] = "district"
    district: str = "Hữu Lũng"
    province: str = "Lạng Sơn"

    @property
    def n_communes(self) -> int:
        return len(self.communes)

    @property
    def multi_district(self) -> bool:
        return self.scope == "country"

    def criteria_met(self, year: int) -> np.ndarray:
        """Number of criteria met per commune (int array, commune order)."""
        return self.marks[year].sum(axis=1)

    def recognized(self, year: int) -> np.ndarray:
        """True for communes recognised at the standard in or before `year` (they keep recognition even
        when a criterion slips: the maintenance case)."""
        ry = self.communes["recognized_year"].to_numpy(dtype="float64", na_value=np.nan)
        return ry <= year

    def shown_target_year(self, year: int) -> pd.Series:
        """The target year a `year` sheet shows: none for communes already recognised by then."""
        target = self.communes["target_year"].copy()
        target[self.recognized(year)] = pd.NA
        return target

    def criteria_frame(self, year: int) -> pd.DataFrame:
        """Index commune code, columns "1".."19", values Status strings."""
        st = np.where(self.marks[year], Status.MET.value, Status.NOT_MET.value)
        return pd.DataFrame(st, index=self.communes["code"].to_numpy(), columns=list(CRITERION_NUMBERS))

    def indicator_frame(self, year: int) -> pd.DataFrame:
        """Index commune code, columns indicator codes, values floats (per-cents 0-100, yes/no 1/0)."""
        return pd.DataFrame(self.values[year], index=self.communes["code"].to_numpy(),
                            columns=list(INDICATOR_CODES))

    def truth(self, year: int, key: Literal["name", "code"] = "name") -> dict[str, dict[str, Any]]:
        """What every sheet of `year` says, per commune, keyed by NFC name without prefix (or by code when
        names repeat, as nationally): {"code", "district", "province", "criteria": {"1": "met", ...},
        "criteria_met": int, "indicators": {"15.1": 91.2, ...}, "target_year": int|None (as shown that
        year), "recognized_year": int|None (only when recognised by that year), "region_text"}."""
        if year not in self.marks:
            raise KeyError(f"year {year} not in model years {self.years}")
        c = self.communes
        keys = c[key].tolist()
        if len(set(keys)) != len(keys):
            raise ValueError(f"commune {key}s are not unique; use key='code'")
        marks, values = self.marks[year], self.values[year]
        met = marks.sum(axis=1)
        rec = self.recognized(year)
        target = self.shown_target_year(year).astype("float64")  # NaN for none: fast scalar access
        status = np.where(marks, Status.MET.value, Status.NOT_MET.value)
        cols = {name: c[name].tolist() for name in ("code", "name", "district", "province", "region_text")}
        rec_year = c["recognized_year"].tolist()
        status_rows, value_rows, met_list = status.tolist(), values.tolist(), met.tolist()
        out: dict[str, dict[str, Any]] = {}
        for i, k in enumerate(keys):
            out[k] = {
                **{name: col[i] for name, col in cols.items()},
                "criteria": dict(zip(CRITERION_NUMBERS, status_rows[i], strict=True)),
                "criteria_met": int(met_list[i]),
                "indicators": dict(zip(INDICATOR_CODES, value_rows[i], strict=True)),
                "target_year": None if pd.isna(target.iat[i]) else int(target.iat[i]),
                "recognized_year": int(rec_year[i]) if rec[i] else None,
            }
        return out


def _region_thresholds(region_keys: np.ndarray, year: int) -> np.ndarray:
    """(n, n_indicators) thresholds for each commune's region (special communes pass 'tdmnpb')."""
    idx = pd.Index(REGION_KEYS).get_indexer(region_keys)
    table = np.array([[spec.threshold_for(r, year) for spec in INDICATORS] for r in REGION_KEYS])
    return table[idx]


def _simulate(
    rng: np.random.Generator,
    n: int,
    years: Sequence[int],
    region_keys: np.ndarray,
    special: np.ndarray,
    van_nham: int,
) -> tuple[dict, dict, dict, dict, np.ndarray, np.ndarray, dict]:
    """Vectorised core shared by make_district and make_country: latent progress -> marks -> values."""
    years = list(years)
    ty = len(years)
    ability = rng.normal(0.9, 0.75, n) - 0.35 * special
    gain = rng.uniform(0.08, 0.45, n)
    noise = rng.normal(0.0, 0.45, (n, N_CRITERIA))
    near = rng.uniform(0, 1, (n, N_CRITERIA))
    marks: dict[int, np.ndarray] = {}
    partial: dict[int, np.ndarray] = {}
    for t, y in enumerate(years):
        score = ability[:, None] + gain[:, None] * t + noise - _DIFFICULTY[None, :]
        marks[y] = score > 0
        partial[y] = (score <= 0) & (score > -0.35) & (near < 0.5)

    events: dict[str, Any] = {"maintenance": (), "losses": (), "van_nham": van_nham}
    if van_nham >= 0:
        # Vân Nham, as in the 26/5/2022 working-group article: 11/19 in 2022, criterion 18 "cơ bản hoàn
        # thành", 15 (BHYT) and 17 (environment) left for the mass organisations.
        story = [{"2", "6", "7", "10", "13", "15", "17", "18"}, {"6", "10", "13", "15", "17"},
                 {"10", "15", "17"}, {"15", "17"}]
        for t, y in enumerate(years):
            missing = story[min(t, len(story) - 1)]
            row = np.array([num not in missing for num in CRITERION_NUMBERS])
            marks[y][van_nham] = row
            partial[y][van_nham] = False
            if t == 0:
                partial[y][van_nham, _CRIT_INDEX["18"]] = True

    # Recognition: the first year every criterion is met; communes already full in the first year were
    # recognised earlier (2015 .. first year), under QĐ 1980 or in 2022.
    full = np.stack([marks[y].all(axis=1) for y in years])  # (ty, n)
    ever = full.any(axis=0)
    first = np.where(ever, full.argmax(axis=0), -1)
    recognized = np.full(n, np.nan)
    recognized[ever] = np.asarray(years)[first[ever]]
    early = ever & (first == 0)
    recognized[early] = rng.choice(np.arange(2015, years[0] + 1), early.sum())
    # once recognised, a commune stays full unless a story event below says otherwise
    for t, y in enumerate(years):
        keep = ever & (first <= t)
        marks[y][keep] = True
        partial[y][keep] = False

    # Story events: a recognised commune slipping on 15 or 17 (maintenance), communes losing one criterion.
    late_years = years[max(1, ty - 2):] if ty > 1 else []
    if late_years:
        cand = np.flatnonzero(ever & (first == 0) & (np.arange(n) != van_nham))
        n_maint = min(len(cand), max(1, round(0.03 * n)))
        maint = rng.choice(cand, n_maint, replace=False) if n_maint else np.array([], int)
        crit = rng.choice([_CRIT_INDEX["15"], _CRIT_INDEX["17"]], n_maint)
        start = rng.choice(len(late_years), n_maint)
        for c, k, s in zip(maint, crit, start, strict=True):
            for y in late_years[s:]:
                marks[y][c, k] = False
        events["maintenance"] = tuple(
            (int(c), CRITERION_NUMBERS[k], int(late_years[s])) for c, k, s in zip(maint, crit, start, strict=True)
        )
        loss_years = years[1:]
        cand = np.flatnonzero(~ever & (np.arange(n) != van_nham))
        n_loss = min(len(cand), max(1, round(0.06 * n)))
        losers = np.sort(rng.choice(cand, n_loss, replace=False)) if n_loss else np.array([], int)
        losses = []
        slip_order = [_CRIT_INDEX[x] for x in ("10", "13", "18", "6", "11", "2", "7")]
        for c in losers:
            s = int(rng.integers(len(loss_years)))
            y0 = loss_years[s]
            prev = marks[years[years.index(y0) - 1]][c]
            options = [k for k in slip_order if prev[k] and marks[y0][c, k]]
            options += [k for k in np.flatnonzero(prev & marks[y0][c]) if k not in options]
            if not options:
                continue
            k = int(options[0])
            for y in loss_years[s:]:
                marks[y][c, k] = False
                partial[y][c, k] = False
            losses.append((int(c), CRITERION_NUMBERS[k], int(y0)))
        events["losses"] = tuple(losses)

    # Target years: recognised communes aimed at (about) their recognition year; the others aim at
    # 2022-2027, near-complete communes sooner, and some targets have already passed (overdue).
    last = years[-1]
    target = np.full(n, np.nan)
    rec_new = ever & ~early
    target[rec_new] = np.maximum(years[0], recognized[rec_new] + rng.choice([-1, 0, 0, 1], rec_new.sum()))
    target[early] = recognized[early]
    never = ~ever
    met_last = marks[last].sum(axis=1)
    overdue = never & (rng.uniform(size=n) < 0.3)
    target[overdue] = rng.integers(years[0], last, overdue.sum()) if last > years[0] else years[0]
    rest = never & ~overdue
    target[rest] = np.clip(last + 1 + (19 - met_last[rest]) // 3 + rng.integers(-1, 1, rest.sum()),
                           last, last + 2)
    if van_nham >= 0:
        target[van_nham] = last + 1

    # Sub-indicator values: fixed quantiles per commune x indicator (stable over years, drifting up).
    n_ind = len(INDICATORS)
    q = rng.uniform(0, 1, (n, n_ind))
    u = rng.uniform(0, 1, (n, n_ind))
    ind_crit = np.array([_CRIT_INDEX[s.criterion] for s in INDICATORS])
    # one sub-indicator per commune x criterion always fails while the criterion is not met
    lagging = np.zeros((n, n_ind), bool)
    for num in dict.fromkeys(s.criterion for s in INDICATORS):  # ordered: rng draws must not follow hashing
        cols = np.flatnonzero(ind_crit == _CRIT_INDEX[num])
        if num in _LAGGING_INDICATOR:
            pick = np.where(rng.uniform(size=n) < 0.8, _IND_INDEX[_LAGGING_INDICATOR[num]],
                            rng.choice(cols, n))
        else:
            pick = rng.choice(cols, n)
        lagging[np.arange(n), pick] = True
    if van_nham >= 0:
        fail_codes = {"15.1", "17.2", "17.6", "17.7", "17.8", "17.9", "17.11", "2.3", "10"}
        u[van_nham] = [0.0 if s.code in fail_codes else 1.0 for s in INDICATORS]
        lagging[van_nham] = [s.code in ("15.1", "17.7", "2.3", "10") for s in INDICATORS]

    worst = np.array([s.worst for s in INDICATORS])
    best = np.array([s.best for s in INDICATORS])
    yes_no = np.array([s.kind == "yes_no" for s in INDICATORS])
    higher = np.array([s.higher_is_better for s in INDICATORS])
    values: dict[int, np.ndarray] = {}
    passes: dict[int, np.ndarray] = {}
    thr_base = _region_thresholds(region_keys, 0)  # year 0: no yearly step applied
    for t, y in enumerate(years):
        crit_met = marks[y][:, ind_crit]
        ok = crit_met | ~(lagging | (u < 0.35))
        thr = _region_thresholds(region_keys, y)
        qy = q + (1 - q) * (1 - 0.94**t)  # drifts up each year without piling up at the best value
        span_pass = np.where(higher, np.maximum(best, thr) - thr, thr - np.minimum(best, thr))
        gap = 0.15
        pass_v = np.where(higher, thr + qy * span_pass, thr - qy * span_pass)
        # failing values stay below the first year's threshold too, so a yearly-rising threshold (income)
        # read with only its first-year value still judges them as failing
        fail_lo = np.where(higher, np.minimum(worst, thr_base - 1), np.maximum(worst, thr_base + 1))
        fail_v = np.where(higher, fail_lo + qy * (thr_base - gap - fail_lo),
                          fail_lo - qy * (fail_lo - thr_base - gap))
        v = np.where(ok, pass_v, fail_v)
        v = np.where(yes_no, ok.astype(float), np.round(v, 1))
        values[y] = v
        passes[y] = np.where(higher, v >= thr, v <= thr)
    return marks, partial, values, passes, recognized, target, events


def _make_model(
    seed: int, years: Sequence[int], names: Sequence[str], districts: np.ndarray, provinces: np.ndarray,
    region_idx: np.ndarray, codes: np.ndarray, scope: Literal["district", "country"], district: str,
    province: str, special_share: float,
) -> DistrictModel:
    years = tuple(sorted(int(y) for y in years))
    if not years:
        raise ValueError("years must not be empty")
    rng = np.random.default_rng(seed)
    n = len(names)
    special = rng.uniform(size=n) < special_share
    region_keys = np.array(REGION_KEYS)[region_idx]
    region_text = np.where(special, SPECIAL_REGION_TEXT, np.array([r[1] for r in REGIONS])[region_idx])
    # special communes use the tdmnpb thresholds whatever their region (QĐ 318)
    threshold_keys = np.where(special, "tdmnpb", region_keys)
    names_arr = np.asarray(names, dtype=object)
    van_nham = int(np.flatnonzero(names_arr == "Vân Nham")[0]) if scope == "district" and (
        names_arr == "Vân Nham").any() else -1
    marks, partial, values, passes, recognized, target, events = _simulate(
        rng, n, years, threshold_keys, special, van_nham)
    population = np.round(rng.uniform(3000, 12000, n)).astype(int)
    households = np.round(population / rng.uniform(3.8, 4.6, n)).astype(int)
    has_decision = ~np.isnan(recognized) & (rng.uniform(size=n) < 0.6)
    decision_no = rng.integers(150, 2900, n)
    decisions = np.where(has_decision, [f"QĐ {d}/QĐ-UBND" for d in decision_no], None)
    communes = pd.DataFrame({
        "code": codes,
        "name": names_arr,
        "prefix": "Xã",
        "district": districts,
        "province": provinces,
        "region_key": region_keys,
        "region_text": region_text,
        "special": special,
        "population": population,
        "households": households,
        "recognized_year": pd.array(np.where(np.isnan(recognized), None, recognized), dtype="Int64"),
        "recognized_decision": decisions,
        "target_year": pd.array(np.where(np.isnan(target), None, target), dtype="Int64"),
    })
    def frozen_by_year(arrays: Mapping[int, np.ndarray]) -> Mapping[int, np.ndarray]:
        return MappingProxyType({y: _frozen(a) for y, a in arrays.items()})

    return DistrictModel(
        seed=seed, years=years, communes=communes, marks=frozen_by_year(marks),
        partial=frozen_by_year({y: a & ~marks[y] for y, a in partial.items()}),
        values=frozen_by_year(values), passes=frozen_by_year(passes),
        events=MappingProxyType(events), scope=scope, district=district, province=province,
    )


SAMPLE_SEED = 2  # the seed of sample_data/: 6 -> 13 communes at the standard, a maintenance case in 2024


def make_district(
    seed: int = SAMPLE_SEED,
    n_communes: int | None = None,
    years: Sequence[int] = (2022, 2023, 2024, 2025),
    *,
    names: Sequence[str] = HUU_LUNG_COMMUNES,
    district: str = "Hữu Lũng",
    province: str = "Lạng Sơn",
    region: str = "tdmnpb",
    first_code: int = 6253,
    special_share: float = 0.15,
) -> DistrictModel:
    """A seeded district (default: the 25 communes of Hữu Lũng, Lạng Sơn) observed in `years`.

    n_communes takes the first names (and synthesises more past the list). A commune named "Vân Nham"
    follows the story of the 2022 working-group article."""
    names = list(names)
    n = len(names) if n_communes is None else int(n_communes)
    if n < 1:
        raise ValueError("n_communes must be positive")
    if n > len(names):
        pool = _synth_names(np.random.default_rng(seed + 1), np.zeros(_N_COMBOS, int))
        names += [x for x in pool if x not in set(names)][: n - len(names)]
        if len(names) < n:
            raise ValueError(f"at most {len(names)} communes in one district")
    names = names[:n]
    codes = np.array([f"{first_code + 3 * i:05d}" for i in range(n)])
    return _make_model(seed, years, names, np.full(n, district, object), np.full(n, province, object),
                       np.full(n, REGION_KEYS.index(region)), codes, "district", district, province,
                       special_share)


_FIRST = ("Tân", "Phú", "An", "Bình", "Hòa", "Long", "Thạnh", "Phước", "Đông", "Tây", "Nam", "Bắc",
          "Trung", "Hưng", "Vĩnh", "Mỹ", "Quảng", "Đại", "Thanh", "Yên", "Minh", "Hồng", "Kim", "Xuân",
          "Cẩm", "Đức", "Thuận", "Hiệp", "Nghĩa", "Sơn")
_SECOND = ("Lợi", "Thành", "Hưng", "Phú", "An", "Lộc", "Thịnh", "Hòa", "Sơn", "Lâm", "Hải", "Tiến",
           "Phong", "Thắng", "Lập", "Hiệp", "Đông", "Trung", "Mỹ", "Thọ", "Khánh", "Quang", "Vinh",
           "Xuân", "Bình", "Tân")
_N_COMBOS = len(_FIRST) * len(_SECOND)  # 780: enough distinct names inside one district


def _synth_names(rng: np.random.Generator, group: np.ndarray) -> np.ndarray:
    """Two-syllable place names, distinct inside each group (district), repeated across groups as real
    commune names are (there are many "Tân Lập" in Vietnam)."""
    group = np.asarray(group)
    order = np.argsort(group, kind="stable")
    g = group[order]
    starts = np.r_[0, np.flatnonzero(np.diff(g)) + 1]
    rank = np.arange(len(g)) - np.repeat(starts, np.diff(np.r_[starts, len(g)]))
    offset = rng.integers(0, _N_COMBOS, int(g.max()) + 1 if len(g) else 1)
    combo = (offset[g] + rank * 7) % _N_COMBOS  # 7 is coprime with 780: distinct for rank < 780
    first = np.array(_FIRST, object)[combo // len(_SECOND)]
    second = np.array(_SECOND, object)[combo % len(_SECOND)]
    names = np.empty(len(g), object)
    names[order] = first + " " + second
    return names


def make_country(
    seed: int = 2025,
    n_communes: int = 10_000,
    n_districts: int = 700,
    n_provinces: int = 63,
    years: Sequence[int] = (2022, 2023, 2024, 2025),
) -> DistrictModel:
    """A national-scale model: communes spread over districts spread over (real) provinces, each with the
    region of its province. Same truth and writers as make_district; keys by code (names repeat)."""
    if not 1 <= n_provinces <= len(PROVINCES):
        raise ValueError(f"n_provinces must be 1..{len(PROVINCES)}")
    if not n_provinces <= n_districts <= n_communes:
        raise ValueError("need n_provinces <= n_districts <= n_communes")
    rng = np.random.default_rng(seed + 7)
    # every province gets a district and every district a commune, the rest spread at random
    district_province = np.sort(np.r_[np.arange(n_provinces), rng.integers(0, n_provinces, n_districts - n_provinces)])
    commune_district = np.sort(np.r_[np.arange(n_districts), rng.integers(0, n_districts, n_communes - n_districts)])
    district_names = _synth_names(rng, district_province)
    names = _synth_names(rng, commune_district)
    # fewer than 63 provinces: a spread of them (sorted, so the north comes first as in national lists)
    chosen = np.sort(rng.choice(len(PROVINCES), n_provinces, replace=False))
    prov = chosen[district_province[commune_district]]
    province_names = np.array([p[0] for p in PROVINCES], object)[prov]
    region_idx = np.array([p[1] for p in PROVINCES])[prov]
    codes = np.char.zfill(np.sort(rng.choice(np.arange(100, 99_999), n_communes, replace=False)).astype(str), 5)
    return _make_model(seed, years, names, district_names[commune_district], province_names, region_idx,
                       codes.astype(object), "country", "", "", 0.08)


# --------------------------------------------------------------------------------------------------
# Messiness: how a given year's office typed the sheet
# --------------------------------------------------------------------------------------------------

NumberStyle = Literal["number", "comma", "percent_text", "fraction"]


@dataclass(frozen=True)
class Messiness:
    """How a sheet is typed. The first mark of each tuple is the usual one (85 %), the rest are strays.

    number_style applies to the summary's value columns: numbers, "91,5" text, "95,2%" text, or (for 15.1
    only, as offices paste it from the insurance agency) a fraction 0.952 formatted as a per-cent.
    """

    met_marks: tuple[object, ...] = ("Đạt",)
    not_met_marks: tuple[object, ...] = ("Chưa đạt",)
    partial_mark: str | None = None  # written for nearly-met criteria ("Cơ bản đạt": counts as not met)
    number_style: NumberStyle = "number"
    nfd_share: float = 0.0  # commune names typed in decomposed Unicode
    prefix_share: float = 0.0  # "Xã " prefix before the name
    stray_space_share: float = 0.0  # leading/trailing/double spaces in names
    wrong_count_rows: int = 0  # "Số tiêu chí đạt" cells that disagree with the marks
    criteria_header: Literal["number", "tc"] = "number"  # 1..19 or "TC1".."TC19"
    short_names_row: bool = False  # a third header row with criteria short names
    column_numbers_row: bool = False  # a "(1) (2) (3) ..." row under the header
    grouped_value_header: bool = False  # "Một số chỉ tiêu chủ yếu" spanning the value columns
    group_rows_merged: bool = False  # "I. Các xã ..." merged across the left columns, else split in STT
    header_fill: str | None = None
    extra_sheet: Literal["none", "empty", "by_criterion"] = "none"  # a leftover "Sheet2" or a per-criterion table

    @classmethod
    def clean(cls) -> Messiness:
        return cls()


# One preset per year of a four-year series, spread so that every messy feature appears somewhere.
YEAR_MESSINESS: tuple[Messiness, ...] = (
    Messiness(met_marks=("x",), not_met_marks=(None,), partial_mark="Cơ bản đạt", number_style="fraction",
              prefix_share=0.5, short_names_row=True, group_rows_merged=True),
    Messiness(met_marks=("Đạt",), not_met_marks=("Chưa đạt", "Không đạt"), partial_mark="Cơ bản đạt",
              number_style="comma", nfd_share=0.3, stray_space_share=0.25, column_numbers_row=True,
              header_fill="#DDEBF7", extra_sheet="empty"),
    Messiness(met_marks=("X", 1), not_met_marks=("-", 0), number_style="percent_text", prefix_share=1.0,
              wrong_count_rows=1, criteria_header="tc", group_rows_merged=True),
    Messiness(met_marks=("✓", "Đạt", "X"), not_met_marks=(None, "-"), partial_mark="Cơ bản đạt",
              number_style="number", nfd_share=0.2, stray_space_share=0.15, grouped_value_header=True,
              header_fill="#FFF2CC", extra_sheet="by_criterion"),
)


def messiness_for(model: DistrictModel, year: int) -> Messiness:
    """The preset for `year`'s position in the model's series."""
    return YEAR_MESSINESS[model.years.index(year) % len(YEAR_MESSINESS)]


@dataclass(frozen=True)
class WrittenSheet:
    """What a writer put where, so tests can point at cells. Rows are 1-based Excel rows.

    commune_rows: commune code -> (sheet, row) of its row (summary/values) or first row (long);
    wrong_count_cells: (code, cell, written, true) for each deliberately wrong "Số tiêu chí đạt" cell;
    nfd_codes: communes whose name was written in NFD; columns: header label -> column letter (first sheet).
    """

    layout: str
    year: int
    sheets: tuple[str, ...]
    header_rows: tuple[int, ...]
    commune_rows: Mapping[str, tuple[str, int]]
    columns: Mapping[str, str]
    wrong_count_cells: tuple[tuple[str, str, int, int], ...] = ()
    nfd_codes: tuple[str, ...] = ()
    communes: tuple[str, ...] = ()  # codes written, in order


def _vn_number(v: float, decimals: int = 1) -> str:
    """91.5 -> '91,5', 100.0 -> '100', 5432 -> '5.432' (Vietnamese separators)."""
    if float(v).is_integer():
        return f"{int(v):,}".replace(",", ".")
    return f"{v:,.{decimals}f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def _pick(rng: np.random.Generator, options: tuple[object, ...], shape: tuple[int, ...]) -> np.ndarray:
    """Choose spellings: the first option 85 % of the time, the others share the rest."""
    opts = np.empty(len(options), object)
    opts[:] = list(options)
    if len(options) == 1:
        return np.full(shape, opts[0], object)
    p = np.r_[0.85, np.full(len(options) - 1, 0.15 / (len(options) - 1))]
    return opts[rng.choice(len(options), size=shape, p=p)]


def _messy_names(rng: np.random.Generator, names: np.ndarray, mess: Messiness) -> tuple[list[str], np.ndarray]:
    """Apply prefix, stray spaces and NFD to names; returns the written names and the NFD mask."""
    n = len(names)
    prefix = rng.uniform(size=n) < mess.prefix_share
    spaces = rng.uniform(size=n) < mess.stray_space_share
    has_marks = np.array([unicodedata.normalize("NFD", s) != s for s in names])
    nfd = (rng.uniform(size=n) < mess.nfd_share) & has_marks
    if mess.nfd_share > 0 and not nfd.any() and has_marks.any():
        nfd[np.flatnonzero(has_marks)[0]] = True
    space_kind = rng.integers(0, 3, n)
    out = []
    for i, name in enumerate(names):
        s = ("Xã " if prefix[i] else "") + name
        if spaces[i]:
            s = (" " + s, s + "  ", s.replace(" ", "  ", 1))[space_kind[i]]
        if nfd[i]:
            s = unicodedata.normalize("NFD", s)
        out.append(s)
    return out, nfd


def _decision_text(year: int, decision: object) -> object:
    if decision is None or pd.isna(decision):
        return int(year)
    return f"{int(year)} ({decision})"


class _Book:
    """An xlsxwriter workbook with the formats a district office uses (Times New Roman, borders, wrap)."""

    def __init__(self, target: str | Path | BinaryIO, header_fill: str | None = None):
        opts = {"in_memory": True}  # also gives fixed zip timestamps: rebuilt files are byte-identical
        self.wb = xlsxwriter.Workbook(target if not isinstance(target, Path) else str(target), opts)
        # a fixed creation date keeps rebuilt sample files byte-identical
        self.wb.set_properties({"created": datetime(2025, 12, 15, 8, 0, 0), "author": "Văn phòng Điều phối NTM"})
        base = {"font_name": "Times New Roman", "font_size": 11}
        f = self.wb.add_format
        self.plain = f(base)
        self.bold_c = f({**base, "bold": True, "align": "center"})
        self.ital_c = f({**base, "italic": True, "align": "center"})
        self.bold_u_c = f({**base, "bold": True, "underline": True, "align": "center"})
        self.title = f({**base, "bold": True, "font_size": 13, "align": "center", "valign": "vcenter",
                        "text_wrap": True})
        self.ital = f({**base, "italic": True})
        self.bold = f({**base, "bold": True})
        hdr = {**base, "bold": True, "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True}
        if header_fill:
            hdr["bg_color"] = header_fill
        self.header = f(hdr)
        self.num_row = f({**base, "italic": True, "border": 1, "align": "center", "font_size": 9})
        cell = {**base, "border": 1, "valign": "vcenter"}
        self.text = f({**cell, "text_wrap": True})
        self.center = f({**cell, "align": "center"})
        self.int = f({**cell, "num_format": "#,##0"})
        self.dec = f({**cell, "num_format": "0.0", "align": "center"})
        self.pct = f({**cell, "num_format": "0.0%", "align": "center"})
        self.group = f({**cell, "bold": True, "bg_color": "#F2F2F2"})
        self.group_c = f({**cell, "bold": True, "bg_color": "#F2F2F2", "align": "center"})
        self.total = f({**cell, "bold": True, "align": "center"})
        self.total_int = f({**cell, "bold": True, "num_format": "#,##0"})
        self.crit_row = f({**cell, "bold": True, "text_wrap": True})
        self.crit_row_c = f({**cell, "bold": True, "align": "center"})

    def close(self) -> None:
        self.wb.close()


def _open_target(path_or_buffer: str | Path | BinaryIO | None) -> str | Path | BinaryIO:
    return io.BytesIO() if path_or_buffer is None else path_or_buffer


def _title_block(ws: Any, b: _Book, width: int, left: tuple[str, str], title: str, subtitle: str,
                 place_date: str) -> int:
    """Issuer and national motto side by side, then the report title; returns the next free row (0-based)."""
    half = max(3, width // 3)
    ws.merge_range(0, 0, 0, half - 1, left[0], b.bold_c)
    ws.merge_range(1, 0, 1, half - 1, left[1], b.bold_u_c)
    ws.merge_range(0, half + 1, 0, width - 1, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", b.bold_c)
    ws.merge_range(1, half + 1, 1, width - 1, "Độc lập - Tự do - Hạnh phúc", b.bold_u_c)
    ws.merge_range(2, half + 1, 2, width - 1, place_date, b.ital_c)
    ws.merge_range(4, 0, 4, width - 1, title, b.title)
    ws.set_row(4, 34)
    ws.merge_range(5, 0, 5, width - 1, subtitle, b.ital_c)
    return 7


def _signature(ws: Any, b: _Book, row: int, width: int, notes: Sequence[str], signer_left: str,
               signer_right: tuple[str, str], names: tuple[str, str]) -> None:
    for i, note in enumerate(notes):
        ws.write(row + i, 1, note, b.ital if i else b.bold)
    r = row + len(notes) + 1
    mid = width // 2
    ws.merge_range(r, 0, r, mid - 1, signer_left, b.bold_c)
    ws.merge_range(r, mid, r, width - 1, signer_right[0], b.bold_c)
    ws.merge_range(r + 1, mid, r + 1, width - 1, signer_right[1], b.bold_c)
    ws.merge_range(r + 5, 0, r + 5, mid - 1, names[0], b.bold_c)
    ws.merge_range(r + 5, mid, r + 5, width - 1, names[1], b.bold_c)


def _issuer(model: DistrictModel) -> tuple[str, str]:
    if model.multi_district:
        return ("BỘ NÔNG NGHIỆP VÀ MÔI TRƯỜNG", "VĂN PHÒNG ĐIỀU PHỐI NTM TRUNG ƯƠNG")
    return (f"UBND HUYỆN {model.district.upper()}", "BAN CHỈ ĐẠO CÁC CTMTQG")


def _place(model: DistrictModel) -> str:
    return "Hà Nội" if model.multi_district else model.district


def _fmt_value(spec: IndicatorSpec, v: float, style: NumberStyle) -> object:
    """One value as typed in a given style (yes/no always 'Đạt'/'Chưa đạt')."""
    if spec.kind == "yes_no":
        return "Đạt" if v >= 1 else "Chưa đạt"
    if style == "comma":
        return _vn_number(v)
    if style == "percent_text":
        return _vn_number(v) + ("%" if spec.unit == "%" else "")
    return float(v)


# --------------------------------------------------------------------------------------------------
# Layout a: the district summary
# --------------------------------------------------------------------------------------------------


def write_summary(
    model: DistrictModel,
    year: int,
    path_or_buffer: str | Path | BinaryIO | None = None,
    *,
    messiness: Messiness | None = None,
) -> WrittenSheet:
    """Write the district summary sheet ("BIỂU TỔNG HỢP ...") for `year`: title block, 2-3 merged header
    rows, group rows I/II, one row per commune (marks 1..19, count, years, a few sub-indicator values,
    note), totals row, notes and signatures. A BytesIO (or None: a new one, discarded) is accepted."""
    if year not in model.marks:
        raise KeyError(f"year {year} not in model years {model.years}")
    mess = messiness_for(model, year) if messiness is None else messiness
    rng = np.random.default_rng([model.seed, year, 1])
    c = model.communes
    marks = model.marks[year]
    partial = model.partial[year]
    values = model.values[year]
    met_count = marks.sum(axis=1)
    rec = model.recognized(year)
    target = model.shown_target_year(year)

    left = ["STT", "Mã xã", "Tên xã"] + (["Huyện", "Tỉnh"] if model.multi_district else []) + [
        "Vùng", "Dân số (người)", "Số hộ"]
    value_specs = [INDICATORS[_IND_INDEX[code]] for code in SUMMARY_VALUE_CODES]
    value_labels = [f"{s.code}. {s.short} ({s.unit})" if s.unit else f"{s.code}. {s.short}" for s in value_specs]
    c_crit0 = len(left)
    c_count = c_crit0 + N_CRITERIA
    c_rec, c_target = c_count + 1, c_count + 2
    c_val0 = c_count + 3
    c_note = c_val0 + len(value_specs)
    width = c_note + 1
    h = 3 if mess.short_names_row else 2

    target_obj = _open_target(path_or_buffer)
    b = _Book(target_obj, mess.header_fill)
    sheet_name = f"Tong hop {year}" if model.years.index(year) % 2 else f"Biểu TH {year}"
    ws = b.wb.add_worksheet(sheet_name)
    r0 = _title_block(
        ws, b, width, _issuer(model),
        f"BIỂU TỔNG HỢP KẾT QUẢ THỰC HIỆN BỘ TIÊU CHÍ QUỐC GIA VỀ XÃ NÔNG THÔN MỚI NĂM {year}",
        "(Theo Quyết định số 318/QĐ-TTg ngày 08/3/2022 của Thủ tướng Chính phủ)",
        f"{_place(model)}, ngày {int(rng.integers(10, 28))} tháng 12 năm {year}",
    )
    scope_text = "toàn quốc" if model.multi_district else f"huyện {model.district}"
    ws.merge_range(r0 - 1, 0, r0 - 1, width - 1, f"(Kèm theo Báo cáo số {int(rng.integers(80, 400))}/BC-BCĐ "
                   f"của Ban Chỉ đạo các CTMTQG {scope_text})", b.ital_c)
    # header
    columns: dict[str, str] = {}
    for j, label in enumerate(left):
        ws.merge_range(r0, j, r0 + h - 1, j, label, b.header)
        columns[label] = xl_col_to_name(j)
    ws.merge_range(r0, c_crit0, r0, c_count - 1, "Kết quả thực hiện các tiêu chí", b.header)
    for k, (num, _full, short) in enumerate(CRITERIA):
        label: object = int(num) if mess.criteria_header == "number" else f"TC{num}"
        ws.write(r0 + 1, c_crit0 + k, label, b.header)
        if mess.short_names_row:
            ws.write(r0 + 2, c_crit0 + k, short, b.header)
        columns[f"TC{num}"] = xl_col_to_name(c_crit0 + k)
    for j, label in ((c_count, "Số tiêu chí đạt"), (c_rec, "Năm đạt chuẩn NTM"),
                     (c_target, "Năm phấn đấu đạt chuẩn")):
        ws.merge_range(r0, j, r0 + h - 1, j, label, b.header)
        columns[label] = xl_col_to_name(j)
    if mess.grouped_value_header:
        ws.merge_range(r0, c_val0, r0, c_note - 1, "Một số chỉ tiêu chủ yếu", b.header)
    for j, (spec, label) in enumerate(zip(value_specs, value_labels, strict=True)):
        top = r0 + 1 if mess.grouped_value_header else r0
        if top == r0 + h - 1:
            ws.write(top, c_val0 + j, label, b.header)
        else:
            ws.merge_range(top, c_val0 + j, r0 + h - 1, c_val0 + j, label, b.header)
        columns[spec.code] = xl_col_to_name(c_val0 + j)
    ws.merge_range(r0, c_note, r0 + h - 1, c_note, "Ghi chú", b.header)
    columns["Ghi chú"] = xl_col_to_name(c_note)
    header_rows = tuple(range(r0 + 1, r0 + h + 1))
    r = r0 + h
    if mess.column_numbers_row:
        ws.write_row(r, 0, [f"({j + 1})" for j in range(width)], b.num_row)
        r += 1

    # cell contents, built column-wise
    names, nfd = _messy_names(rng, c["name"].to_numpy(), mess)
    mark_cells = np.where(marks, _pick(rng, mess.met_marks, marks.shape), _pick(rng, mess.not_met_marks, marks.shape))
    if mess.partial_mark:
        mark_cells = np.where(partial, mess.partial_mark, mark_cells)
    count_cells = met_count.astype(int).copy()
    wrong: list[tuple[str, str, int, int]] = []
    if mess.wrong_count_rows:
        cand = np.flatnonzero(~rec & (met_count < N_CRITERIA - 1))
        for i in rng.choice(cand, min(len(cand), mess.wrong_count_rows), replace=False):
            count_cells[i] += 1
    rec_cells = [
        _decision_text(y, d) if ok else None
        for y, d, ok in zip(c["recognized_year"], c["recognized_decision"], rec, strict=True)
    ]
    target_cells = [None if pd.isna(t) else int(t) for t in target]
    value_cols = []
    for spec in value_specs:
        col = values[:, _IND_INDEX[spec.code]]
        if mess.number_style == "fraction":
            if spec.code == "15.1":
                value_cols.append(np.round(col / 100, 4).tolist())
            else:
                value_cols.append([_fmt_value(spec, v, "number") for v in col.tolist()])
        else:
            value_cols.append([_fmt_value(spec, v, mess.number_style) for v in col])
    notes = _summary_notes(model, year, marks, rec)

    # plain Python lists: per-cell pandas access would dominate the time at national scale
    codes = c["code"].tolist()
    place = list(zip(*(c[k].tolist() for k in (["district", "province"] if model.multi_district else [])
                       + ["region_text"]), strict=True))
    pop, hh = c["population"].tolist(), c["households"].tolist()
    mark_rows = mark_cells.tolist()
    count_list, met_list = count_cells.tolist(), met_count.tolist()
    order_rec = np.flatnonzero(rec)
    order_rest = np.flatnonzero(~rec)
    commune_rows: dict[str, tuple[str, int]] = {}
    stt = 0
    value_fmt = [b.pct if (mess.number_style == "fraction" and s.code == "15.1") else
                 (b.dec if mess.number_style == "number" and s.kind != "yes_no" else b.center) for s in value_specs]
    for roman, label, idx in (("I", "Các xã đã đạt chuẩn NTM", order_rec), ("II", "Các xã chưa đạt chuẩn", order_rest)):
        if mess.group_rows_merged:
            ws.merge_range(r, 0, r, c_crit0 - 1, f"{roman}. {label} ({len(idx)} xã)", b.group)
            for j in range(c_crit0, width):
                ws.write_blank(r, j, None, b.group)
        else:
            ws.write(r, 0, roman, b.group_c)
            ws.write(r, 1, None, b.group)
            ws.write(r, 2, label, b.group)
            for j in range(3, width):
                ws.write_blank(r, j, None, b.group)
        r += 1
        for i in idx:
            stt += 1
            ws.write_row(r, 0, [stt, codes[i]], b.center)
            ws.write_row(r, 2, [names[i], *place[i]], b.text)
            ws.write_row(r, c_crit0 - 2, [pop[i], hh[i]], b.int)
            ws.write_row(r, c_crit0, [*mark_rows[i], count_list[i], rec_cells[i], target_cells[i]], b.center)
            for j, col in enumerate(value_cols):
                ws.write(r, c_val0 + j, col[i], value_fmt[j])
            ws.write(r, c_note, notes[i], b.text)
            if count_list[i] != met_list[i]:
                wrong.append((codes[i], xl_rowcol_to_cell(r, c_count), count_list[i], met_list[i]))
            commune_rows[codes[i]] = (sheet_name, r + 1)
            r += 1
    # totals: literal numbers (no formulas: openpyxl-written or calamine-read files would show nothing)
    label_cols = c_crit0 - 2
    ws.merge_range(r, 0, r, label_cols - 1, "Tổng cộng", b.total)
    ws.write_number(r, label_cols, int(c["population"].sum()), b.total_int)
    ws.write_number(r, label_cols + 1, int(c["households"].sum()), b.total_int)
    for k in range(N_CRITERIA):
        ws.write_number(r, c_crit0 + k, int(marks[:, k].sum()), b.total)
    ws.write_number(r, c_count, round(float(met_count.mean()), 1), b.total)
    ws.write(r, c_rec, f"{int(rec.sum())} xã", b.total)
    for j in range(c_target, c_note):
        ws.write_blank(r, j, None, b.total)
    ws.write(r, c_note, f"Bình quân {_vn_number(round(float(met_count.mean()), 1))} tiêu chí/xã", b.text)
    total_row = r
    _signature(
        ws, b, total_row + 2, width,
        ["Ghi chú:",
         "- Hàng \"Tổng cộng\": cột tiêu chí là số xã đạt tiêu chí; cột \"Số tiêu chí đạt\" là bình quân/xã.",
         f"- Số liệu tỷ lệ tham gia BHYT do Bảo hiểm xã hội cung cấp đến 30/11/{year}.",
         "- Tiêu chí \"Cơ bản đạt\" chưa được tính là đạt."],
        "NGƯỜI LẬP BIỂU", ("TRƯỞNG BAN", "PHÓ CHỦ TỊCH UBND HUYỆN"), ("Nông Thị Thu Hà", "Hoàng Văn Thắng"),
    )
    # looks of an office file
    widths = {"STT": 5, "Mã xã": 8, "Tên xã": 17, "Huyện": 14, "Tỉnh": 14, "Vùng": 16,
              "Dân số (người)": 10, "Số hộ": 8}
    for j, label in enumerate(left):
        ws.set_column(j, j, widths[label])
    ws.set_column(c_crit0, c_count - 1, 6.5 if any(isinstance(m, str) and len(m) > 2 for m in
                                                   mess.met_marks + mess.not_met_marks) else 4.3)
    ws.set_column(c_count, c_target, 10)
    ws.set_column(c_val0, c_note - 1, 13)
    ws.set_column(c_note, c_note, 30)
    ws.set_row(r0, 30)
    ws.freeze_panes(r0 + h + (1 if mess.column_numbers_row else 0), 3)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(r0, r0 + h - 1)
    sheets = [sheet_name]
    if mess.extra_sheet == "empty":
        b.wb.add_worksheet("Sheet2")
        sheets.append("Sheet2")
    elif mess.extra_sheet == "by_criterion":
        sheets.append(_by_criterion_sheet(b, year, marks))
    b.close()
    return WrittenSheet(
        layout="summary", year=year, sheets=tuple(sheets), header_rows=header_rows,
        commune_rows=commune_rows, columns=columns, wrong_count_cells=tuple(wrong),
        nfd_codes=tuple(c["code"].to_numpy()[nfd]), communes=tuple(c["code"].to_numpy()[np.r_[order_rec, order_rest]]),
    )


def _by_criterion_sheet(b: _Book, year: int, marks: np.ndarray) -> str:
    """A second sheet offices often add: communes meeting each criterion (no commune rows)."""
    name = "TH theo tiêu chí"
    ws = b.wb.add_worksheet(name)
    ws.merge_range(0, 0, 0, 3, f"SỐ XÃ ĐẠT TỪNG TIÊU CHÍ NĂM {year}", b.title)
    ws.write_row(2, 0, ["STT", "Tiêu chí", "Số xã đạt", "Tỷ lệ (%)"], b.header)
    met = marks.sum(axis=0)
    for k, (num, full, _short) in enumerate(CRITERIA):
        ws.write_row(3 + k, 0, [int(num), full, int(met[k]), round(100 * float(met[k]) / len(marks), 1)], b.center)
    ws.set_column(1, 1, 44)
    ws.set_column(2, 3, 11)
    return name


def _summary_notes(model: DistrictModel, year: int, marks: np.ndarray, rec: np.ndarray) -> list[str]:
    """'Ghi chú' per commune: missing criteria, and the maintenance warning for a recognised commune."""
    crit = np.array(CRITERION_NUMBERS)
    out = []
    for i in range(len(marks)):
        missing = crit[~marks[i]]
        if rec[i] and len(missing):
            out.append(f"Đã đạt chuẩn năm {int(model.communes['recognized_year'].iat[i])}; "
                       f"TC {', '.join(missing)} chưa đảm bảo, cần duy trì")
        elif len(missing):
            out.append(f"Chưa đạt TC: {', '.join(missing)}")
        else:
            out.append("")
    return out


# --------------------------------------------------------------------------------------------------
# Layout b: sub-indicator values
# --------------------------------------------------------------------------------------------------

_VALUE_GROUPS = (("2", "Tiêu chí 2. Giao thông"), ("3", "Tiêu chí 3. Thủy lợi và phòng, chống thiên tai"),
                 ("10", "Tiêu chí 10. Thu nhập"), ("15", "Tiêu chí 15. Y tế"),
                 ("17", "Tiêu chí 17. Môi trường và an toàn thực phẩm"))
_ASSESSED = ("15", "17")  # criteria with a self-assessed status column in the values layout


def _values_header(ws: Any, b: Any, model: Any, year: int, rng: Any, width: int, left: Sequence[str],
                   groups: Sequence[tuple[int, int, str]], plan: Sequence[tuple[str, Any, str]], title: str,
                   indicator_key: Callable[[Any], str]) -> tuple[int, dict[str, str]]:
    """Title block and the two-row header of a sub-indicator values sheet (shared by the sample and the
    national writers). Returns the header's first row and the column letter of each indicator code or label."""
    r0 = _title_block(
        ws, b, width, _issuer(model), title,
        "(Theo Bộ tiêu chí quốc gia về xã nông thôn mới giai đoạn 2021 - 2025, Quyết định số 318/QĐ-TTg)",
        f"{_place(model)}, ngày {int(rng.integers(10, 28))} tháng 11 năm {year}",
    )
    columns: dict[str, str] = {}
    for j, label in enumerate(left):
        ws.merge_range(r0, j, r0 + 1, j, label, b.header)
        columns[label] = xl_col_to_name(j)
    for start, end, group_title in groups:
        if start == end:
            ws.write(r0, start, group_title, b.header)
        else:
            ws.merge_range(r0, start, r0, end, group_title, b.header)
    for j, (kind, key, label) in enumerate(plan):
        ws.write(r0 + 1, len(left) + j, label, b.header)
        columns[indicator_key(key) if kind == "ind" else label] = xl_col_to_name(len(left) + j)
    ws.merge_range(r0, width - 1, r0 + 1, width - 1, "Ghi chú", b.header)
    return r0, columns


def write_values(
    model: DistrictModel,
    year: int,
    path_or_buffer: str | Path | BinaryIO | None = None,
) -> WrittenSheet:
    """Write the sub-indicator values sheet: one row per commune, one column per known sub-indicator of
    QĐ 318 grouped under its criterion, values typed in mixed styles (numbers, "91,5", "95,2%", "Đạt"),
    population/households as "5.432" text, plus "Đánh giá TC15" / "Đánh giá TC17" status columns."""
    rng = np.random.default_rng([model.seed, year, 2])
    c = model.communes
    values = model.values[year]
    marks = model.marks[year]
    left = ["STT", "Mã xã", "Tên xã"] + (["Huyện", "Tỉnh"] if model.multi_district else []) + [
        "Vùng", "Dân số (người)", "Số hộ"]
    # column plan: (kind, payload, label)
    plan: list[tuple[str, str, str]] = []
    groups: list[tuple[int, int, str]] = []
    col = len(left)
    for num, title in _VALUE_GROUPS:
        start = col
        for spec in INDICATORS:
            if spec.criterion == num:
                unit = f" ({spec.unit})" if spec.unit else ""
                plan.append(("ind", spec.code, f"{spec.code}. {spec.name}{unit}"))
                col += 1
        if num in _ASSESSED:
            plan.append(("crit", num, f"Đánh giá TC{num}"))
            col += 1
        groups.append((start, col - 1, title))
    width = col + 1
    b = _Book(_open_target(path_or_buffer), "#E2EFDA")
    sheet_name = "Chi tieu"
    ws = b.wb.add_worksheet(sheet_name)
    r0, columns = _values_header(ws, b, model, year, rng, width, left, groups, plan,
                                 f"BIỂU TỔNG HỢP KẾT QUẢ THỰC HIỆN MỘT SỐ CHỈ TIÊU NÔNG THÔN MỚI NĂM {year}",
                                 lambda key: key)
    ws.set_row(r0 + 1, 120)
    r = r0 + 2
    names, nfd = _messy_names(rng, c["name"].to_numpy(), Messiness(prefix_share=0.3, stray_space_share=0.1))
    style = rng.choice(np.array(["number", "comma", "percent_text"], object), size=values.shape, p=[0.5, 0.3, 0.2])
    commune_rows: dict[str, tuple[str, int]] = {}
    codes = c["code"].tolist()
    place = list(zip(*(c[k].tolist() for k in (["district", "province"] if model.multi_district else [])
                       + ["region_text"]), strict=True))
    pop = [_vn_number(v) for v in c["population"].tolist()]
    hh = [_vn_number(v) for v in c["households"].tolist()]
    specs = [(INDICATORS[_IND_INDEX[key]], _IND_INDEX[key]) if kind == "ind" else (None, _CRIT_INDEX[key])
             for kind, key, _label in plan]
    value_rows, mark_rows, style_rows = values.tolist(), marks.tolist(), style.tolist()
    note_crit = [_CRIT_INDEX[num] for num in ("2", "3", "10", "15", "17")]
    for i in range(len(c)):
        v_i, m_i, s_i = value_rows[i], mark_rows[i], style_rows[i]
        cells = [_fmt_value(spec, v_i[j], s_i[j]) if spec is not None else ("Đạt" if m_i[j] else "Chưa đạt")
                 for spec, j in specs]
        missing = [CRITERION_NUMBERS[k] for k in note_crit if not m_i[k]]
        ws.write_row(r, 0, [i + 1, codes[i]], b.center)
        ws.write_row(r, 2, [names[i], *place[i]], b.text)
        ws.write_row(r, len(left) - 2, [pop[i], hh[i], *cells], b.center)
        ws.write(r, width - 1, f"Chưa đạt TC {', '.join(missing)}" if missing else None, b.text)
        commune_rows[codes[i]] = (sheet_name, r + 1)
        r += 1
    _signature(ws, b, r + 1, width, ["Ghi chú:", "- Tỷ lệ tính theo %; thu nhập tính theo triệu đồng/người/năm."],
               "NGƯỜI LẬP BIỂU", ("KT. TRƯỞNG PHÒNG", "PHÓ TRƯỞNG PHÒNG"), ("Lương Văn Minh", "Vi Thị Hằng"))
    ws.set_column(0, 0, 5)
    ws.set_column(1, 1, 8)
    ws.set_column(2, 2, 17)
    ws.set_column(3, len(left) - 1, 12)
    ws.set_column(len(left), width - 2, 11)
    ws.set_column(width - 1, width - 1, 24)
    ws.freeze_panes(r0 + 2, 3)
    ws.set_landscape()
    b.close()
    return WrittenSheet(layout="values", year=year, sheets=(sheet_name,), header_rows=(r0 + 1, r0 + 2),
                        commune_rows=commune_rows, columns=columns, nfd_codes=tuple(c["code"].to_numpy()[nfd]),
                        communes=tuple(c["code"]))


# --------------------------------------------------------------------------------------------------
# Layout c: one self-assessment form per commune
# --------------------------------------------------------------------------------------------------


def pick_form_communes(model: DistrictModel, year: int, n: int = 5) -> list[int]:
    """Communes for the per-commune workbook: Vân Nham if present, a maintenance case, then a spread of
    criteria counts (lowest, middle, a recognised one)."""
    chosen: list[int] = []
    vn = int(model.events.get("van_nham", -1))
    if vn >= 0:
        chosen.append(vn)
    for c, _k, y0 in model.events.get("maintenance", ()):
        if y0 <= year and c not in chosen:
            chosen.append(c)
            break
    met = model.criteria_met(year)
    order = np.argsort(met, kind="stable")
    for i in (order[0], order[len(order) // 2], order[-1], order[len(order) // 3], order[1]):
        if len(chosen) >= n:
            break
        if int(i) not in chosen:
            chosen.append(int(i))
    return chosen[:n]


def write_per_commune(
    model: DistrictModel,
    year: int,
    path_or_buffer: str | Path | BinaryIO | None = None,
    *,
    communes: Sequence[int] | None = None,
) -> WrittenSheet:
    """Write a workbook with a "Hướng dẫn" sheet then one self-assessment form per commune (TT · Tên tiêu
    chí · Nội dung tiêu chí · Chỉ tiêu theo quy định · Kết quả thực hiện · Tự đánh giá): a bold row per
    criterion with its status, then its known sub-indicators with values such as "91,2%"."""
    idx = pick_form_communes(model, year) if communes is None else list(communes)
    rng = np.random.default_rng([model.seed, year, 3])
    c = model.communes
    b = _Book(_open_target(path_or_buffer))
    guide = b.wb.add_worksheet("Hướng dẫn")
    lines = [
        "HƯỚNG DẪN TỰ ĐÁNH GIÁ",
        f"1. Mỗi xã điền vào một trang tính mang tên xã; số liệu tính đến ngày 30/11/{year}.",
        "2. Cột \"Kết quả thực hiện\": ghi số liệu (tỷ lệ % ghi dạng 91,2%) hoặc Đạt/Chưa đạt.",
        "3. Cột \"Tự đánh giá\": ghi \"Đạt\" hoặc \"Chưa đạt\" cho từng chỉ tiêu và từng tiêu chí.",
        "4. Tiêu chí chỉ đạt khi tất cả các chỉ tiêu của tiêu chí đều đạt.",
        "5. Gửi về Văn phòng Điều phối NTM huyện trước ngày 05/12 để tổng hợp.",
    ]
    for i, line in enumerate(lines):
        guide.write(i, 0, line, b.bold if i == 0 else b.plain)
    guide.set_column(0, 0, 100)
    thr_year = year
    sheets: list[str] = ["Hướng dẫn"]
    commune_rows: dict[str, tuple[str, int]] = {}
    columns = {"TT": "A", "Tên tiêu chí": "B", "Nội dung tiêu chí": "C", "Chỉ tiêu theo quy định": "D",
               "Kết quả thực hiện": "E", "Tự đánh giá": "F"}
    nfd_codes: list[str] = []
    for pos, i in enumerate(idx):
        name = c["name"].iat[i]
        sheet = name if pos % 2 == 0 else f"Xã {name}"
        if pos == 2:
            sheet = unicodedata.normalize("NFD", sheet)
            nfd_codes.append(c["code"].iat[i])
        sheet = sheet[:31]
        ws = b.wb.add_worksheet(sheet)
        sheets.append(sheet)
        region_key = "tdmnpb" if c["special"].iat[i] else c["region_key"].iat[i]
        ws.merge_range(0, 0, 0, 2, f"UBND XÃ {name.upper()}", b.bold_c)
        ws.merge_range(1, 0, 1, 2, "BAN QUẢN LÝ XÂY DỰNG NTM", b.bold_u_c)
        ws.merge_range(0, 3, 0, 5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", b.bold_c)
        ws.merge_range(1, 3, 1, 5, "Độc lập - Tự do - Hạnh phúc", b.bold_u_c)
        ws.merge_range(3, 0, 3, 5, f"BẢNG TỰ ĐÁNH GIÁ KẾT QUẢ THỰC HIỆN BỘ TIÊU CHÍ NTM NĂM {year} — "
                       f"XÃ {name.upper()}", b.title)
        ws.set_row(3, 36)
        ws.merge_range(4, 0, 4, 5, f"(Mã xã: {c['code'].iat[i]}; vùng: {c['region_text'].iat[i]}; "
                       f"huyện {c['district'].iat[i] or model.district}, tỉnh {c['province'].iat[i] or model.province})",
                       b.ital_c)
        r = 6
        ws.write_row(r, 0, list(columns), b.header)
        ws.set_row(r, 32)
        r += 1
        first_row = r
        for k, (num, full, _short) in enumerate(CRITERIA):
            met = bool(model.marks[year][i, k])
            specs = [s for s in INDICATORS if s.criterion == num]
            status = "Đạt" if met else "Chưa đạt"
            if specs and num != "10":
                ws.write_row(r, 0, [int(num), full, None, None, None, status], b.crit_row)
                r += 1
                for s in specs:
                    v = float(model.values[year][i, _IND_INDEX[s.code]])
                    ok = bool(model.passes[year][i, _IND_INDEX[s.code]])
                    shown = _form_value(s, v, rng)
                    ws.write_row(r, 0, [s.code, None, s.name, s.rule_text(region_key, thr_year), shown,
                                        "Đạt" if ok else "Chưa đạt"], b.text)
                    r += 1
            elif num == "10":
                s = INDICATORS[_IND_INDEX["10"]]
                v = float(model.values[year][i, _IND_INDEX["10"]])
                ws.write_row(r, 0, [int(num), full, s.name + " (triệu đồng/người/năm)",
                                    s.rule_text(region_key, thr_year), _vn_number(v), status], b.crit_row)
                r += 1
            else:
                ws.write_row(r, 0, [int(num), full, f"Đạt các chỉ tiêu của tiêu chí {num} theo quy định", "Đạt",
                                    status, status], b.crit_row)
                r += 1
        met_n = int(model.marks[year][i].sum())
        missing = [num for k, num in enumerate(CRITERION_NUMBERS) if not model.marks[year][i, k]]
        ws.merge_range(r, 0, r, 5, f"Tổng số tiêu chí đạt: {met_n}/19 tiêu chí", b.bold)
        ws.merge_range(r + 1, 0, r + 1, 5, "Các tiêu chí chưa đạt: " + (", ".join(missing) if missing else "không"),
                       b.plain)
        ws.merge_range(r + 3, 3, r + 3, 5, "TM. BAN QUẢN LÝ XÂY DỰNG NTM XÃ", b.bold_c)
        ws.merge_range(r + 4, 3, r + 4, 5, "TRƯỞNG BAN", b.bold_c)
        for j, w in enumerate((7, 22, 48, 16, 16, 12)):
            ws.set_column(j, j, w)
        ws.freeze_panes(first_row, 0)
        commune_rows[c["code"].iat[i]] = (sheet, first_row + 1)
    b.close()
    return WrittenSheet(layout="per_commune", year=year, sheets=tuple(sheets), header_rows=(7,),
                        commune_rows=commune_rows, columns=columns, nfd_codes=tuple(nfd_codes),
                        communes=tuple(c["code"].to_numpy()[idx]))


def _form_value(spec: IndicatorSpec, v: float, rng: np.random.Generator) -> object:
    if spec.kind == "yes_no":
        return "Đạt" if v >= 1 else "Chưa đạt"
    if spec.unit == "%":
        return _vn_number(v) + "%"
    return _vn_number(v) if rng.uniform() < 0.5 else float(v)


# --------------------------------------------------------------------------------------------------
# Layout d: the long table
# --------------------------------------------------------------------------------------------------


def write_long(
    model: DistrictModel,
    year: int,
    path_or_buffer: str | Path | BinaryIO | None = None,
) -> WrittenSheet:
    """Write the long table (Tên xã · Tiêu chí/chỉ tiêu · Giá trị · Đánh giá · Thời hạn): per commune, a
    row per criterion then its known sub-indicators; the commune name is merged down its block; items not
    met carry a deadline "31/12/<target year>"."""
    c = model.communes
    marks, values, passes = model.marks[year], model.values[year], model.passes[year]
    target = c["target_year"]
    b = _Book(_open_target(path_or_buffer), "#FCE4D6")
    sheet_name = "Theo doi"
    ws = b.wb.add_worksheet(sheet_name)
    extra = ["Huyện", "Tỉnh"] if model.multi_district else []
    header = ["Tên xã", *extra, "Tiêu chí/chỉ tiêu", "Giá trị", "Đánh giá", "Thời hạn"]
    width = len(header)
    ws.merge_range(0, 0, 0, width - 1, f"BẢNG THEO DÕI TIẾN ĐỘ THỰC HIỆN TIÊU CHÍ NÔNG THÔN MỚI NĂM {year}",
                   b.title)
    ws.merge_range(1, 0, 1, width - 1, f"Huyện {model.district}, tỉnh {model.province}" if not
                   model.multi_district else "Toàn quốc", b.ital_c)
    ws.write_row(3, 0, header, b.header)
    columns = {h: xl_col_to_name(j) for j, h in enumerate(header)}
    r = 4
    commune_rows: dict[str, tuple[str, int]] = {}
    items: list[tuple[str, str | None, str]] = []  # (criterion, indicator code, label)
    for num, full, _short in CRITERIA:
        items.append((num, None, f"Tiêu chí {num}: {full}"))
        for s in INDICATORS:
            if s.criterion == num and s.code != num:
                items.append((num, s.code, f"Chỉ tiêu {s.code}: {s.short}"))
            elif s.code == num:
                items[-1] = (num, s.code, f"Tiêu chí {num}: {full}")
    codes, names = c["code"].tolist(), c["name"].tolist()
    place = list(zip(c["district"].tolist(), c["province"].tolist(), strict=True)) if extra else [()] * len(c)
    target_list = target.astype("float64").tolist()
    # per item: (label, criterion column, indicator column or -1, shows a value)
    plan = [(label, _CRIT_INDEX[num], _IND_INDEX[code] if code is not None else -1, code == num)
            for num, code, label in items]
    mark_rows, pass_rows, value_rows = marks.tolist(), passes.tolist(), values.tolist()
    for i in range(len(c)):
        t = target_list[i]
        deadline = f"31/12/{int(t) if t == t and t > year else year + 1}"
        start = r
        m_i, p_i, v_i = mark_rows[i], pass_rows[i], value_rows[i]
        for label, k, j, is_criterion_value in plan:
            ok = m_i[k] if (j < 0 or is_criterion_value) else p_i[j]
            shown = None if j < 0 else _long_value(INDICATORS[j], v_i[j])
            ws.write_row(r, 1, [*place[i], label, shown, "Đạt" if ok else "Chưa đạt", None if ok else deadline],
                         b.text)
            r += 1
        ws.merge_range(start, 0, r - 1, 0, ("Xã " if i % 3 == 0 else "") + names[i], b.text)
        commune_rows[codes[i]] = (sheet_name, start + 1)
    ws.set_column(0, 0, 16)
    ws.set_column(1, len(extra), 14)
    ws.set_column(1 + len(extra), 1 + len(extra), 55)
    ws.set_column(2 + len(extra), width - 1, 12)
    ws.freeze_panes(4, 1)
    ws.autofilter(3, 0, r - 1, width - 1)
    b.close()
    return WrittenSheet(layout="long", year=year, sheets=(sheet_name,), header_rows=(4,),
                        commune_rows=commune_rows, columns=columns, communes=tuple(c["code"]))


def _long_value(spec: IndicatorSpec, v: float) -> object:
    if spec.kind == "yes_no":
        return "Đạt" if v >= 1 else "Chưa đạt"
    return _vn_number(v) + "%" if spec.unit == "%" else float(v)



# --------------------------------------------------------------------------------------------------
# Layout b at full width: every sub-indicator of QĐ 318 (national benchmark)
# --------------------------------------------------------------------------------------------------

# Sub-indicators per criterion, 57 in all as in QĐ 318 Phụ lục I. Codes the generator does not model
# (INDICATORS) are its own "N.M" placeholders with percentage values; a single-indicator criterion other
# than 10 is written "N.1" so that its column reads as a sub-indicator, not as the criterion's mark.
FULL_INDICATOR_COUNTS: tuple[tuple[str, int], ...] = (
    ("1", 2), ("2", 4), ("3", 2), ("4", 2), ("5", 1), ("6", 3), ("7", 1), ("8", 4), ("9", 2), ("10", 1),
    ("11", 1), ("12", 2), ("13", 5), ("14", 3), ("15", 4), ("16", 1), ("17", 11), ("18", 6), ("19", 2),
)
FULL_INDICATOR_CODES: tuple[str, ...] = tuple(
    "10" if num == "10" else f"{num}.{m}" for num, count in FULL_INDICATOR_COUNTS for m in range(1, count + 1)
)


def full_indicator_values(model: DistrictModel, year: int) -> tuple[np.ndarray, np.ndarray]:
    """(values, passes), each (n, 57) in FULL_INDICATOR_CODES order: the model's own values where it has
    them; elsewhere per-cents that pass (80-100) when the criterion is met, and otherwise with one failing
    sub-indicator per commune x criterion (40-79) plus stray failures."""
    rng = np.random.default_rng([model.seed, year, 57])
    n = model.n_communes
    marks = model.marks[year]
    crit = np.array([_CRIT_INDEX[code.split(".")[0]] for code in FULL_INDICATOR_CODES])
    known = np.array([_IND_INDEX.get(code, -1) for code in FULL_INDICATOR_CODES])
    met = marks[:, crit]
    fail = ~met & (rng.uniform(size=(n, len(crit))) < 0.3)
    for k in range(N_CRITERIA):  # at least one failing sub-indicator behind every criterion not met
        cols = np.flatnonzero(crit == k)
        pick = cols[rng.integers(0, len(cols), n)]
        fail[np.arange(n), pick] |= ~marks[:, k]
    values = np.where(fail, rng.uniform(40, 79.9, met.shape), rng.uniform(80, 100, met.shape)).round(1)
    passes = ~fail
    have = known >= 0
    values[:, have] = model.values[year][:, known[have]]
    passes[:, have] = model.passes[year][:, known[have]]
    return values, passes


def write_values_full(
    model: DistrictModel,
    year: int,
    path_or_buffer: str | Path | BinaryIO | None = None,
) -> WrittenSheet:
    """Write the sub-indicator values sheet with all 57 sub-indicators of QĐ 318 grouped under their
    criterion and an "Đánh giá TC<n>" status column closing each group (18: income is judged by its value):
    the widest sheet an office keeps (83 columns), used by the national benchmark. Values in mixed styles as write_values."""
    rng = np.random.default_rng([model.seed, year, 4])
    c = model.communes
    values, _passes = full_indicator_values(model, year)
    marks = model.marks[year]
    left = ["STT", "Mã xã", "Tên xã"] + (["Huyện", "Tỉnh"] if model.multi_district else []) + [
        "Vùng", "Dân số (người)", "Số hộ"]
    names_by_code = {s.code: f"{s.code}. {s.name}" + (f" ({s.unit})" if s.unit else "") for s in INDICATORS}
    plan: list[tuple[str, int, str]] = []  # (kind, index into values / marks, label)
    groups: list[tuple[int, int, str]] = []
    col = len(left)
    for k, (num, full, _short) in enumerate(CRITERIA):
        start = col
        for j, code in enumerate(FULL_INDICATOR_CODES):
            if code.split(".")[0] == num:
                plan.append(("ind", j, names_by_code.get(code, f"{code}. Chỉ tiêu {code} (%)")))
                col += 1
        if num != "10":  # income is judged by its value alone, as offices do (write_values too)
            plan.append(("crit", k, f"Đánh giá TC{num}"))
            col += 1
        groups.append((start, col - 1, f"Tiêu chí {num}. {full}"))
    width = col + 1
    b = _Book(_open_target(path_or_buffer), "#E2EFDA")
    sheet_name = "Chi tieu"
    ws = b.wb.add_worksheet(sheet_name)
    r0, columns = _values_header(ws, b, model, year, rng, width, left, groups, plan,
                                 f"BIỂU TỔNG HỢP KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU NÔNG THÔN MỚI NĂM {year}",
                                 lambda idx: FULL_INDICATOR_CODES[idx])
    r = r0 + 2
    names, nfd = _messy_names(rng, c["name"].to_numpy(), Messiness(prefix_share=0.3, stray_space_share=0.1))
    # numbers, "91,5" or "91,5%" text, as offices mix them; built column-wise, written row-wise
    style = rng.choice(3, size=values.shape, p=[0.6, 0.25, 0.15])
    vn = np.vectorize(_vn_number, otypes=[object])
    text = vn(values)
    cells = np.where(style == 0, values.astype(object), np.where(style == 1, text, text + "%"))
    known = {s.code: s for s in INDICATORS}
    for j, code in enumerate(FULL_INDICATOR_CODES):
        spec = known.get(code)
        if spec is not None and spec.kind == "yes_no":
            cells[:, j] = np.where(values[:, j] >= 1, "Đạt", "Chưa đạt")
        elif spec is not None and spec.unit != "%":
            cells[:, j] = np.where(style[:, j] == 2, text[:, j], cells[:, j])  # no "%" on a non-per-cent
    status = np.where(marks, "Đạt", "Chưa đạt")
    order = [(kind, idx) for kind, idx, _label in plan]
    ind_cols = [idx for kind, idx in order if kind == "ind"]
    row_cells = np.empty((len(c), len(order)), object)
    row_cells[:, [p for p, (kind, _i) in enumerate(order) if kind == "ind"]] = cells[:, ind_cols]
    crit_at = [(p, k) for p, (kind, k) in enumerate(order) if kind == "crit"]
    row_cells[:, [p for p, _k in crit_at]] = status[:, [k for _p, k in crit_at]]
    rows = row_cells.tolist()
    codes = c["code"].tolist()
    place = list(zip(*(c[k].tolist() for k in (["district", "province"] if model.multi_district else [])
                       + ["region_text"]), strict=True))
    pop = [_vn_number(v) for v in c["population"].tolist()]
    hh = [_vn_number(v) for v in c["households"].tolist()]
    commune_rows: dict[str, tuple[str, int]] = {}
    for i in range(len(c)):
        ws.write_row(r, 0, [i + 1, codes[i]], b.center)
        ws.write_row(r, 2, [names[i], *place[i]], b.text)
        ws.write_row(r, len(left) - 2, [pop[i], hh[i], *rows[i]], b.center)
        commune_rows[codes[i]] = (sheet_name, r + 1)
        r += 1
    ws.set_column(0, 0, 5)
    ws.set_column(2, 2, 17)
    ws.set_column(len(left), width - 2, 10)
    ws.freeze_panes(r0 + 2, 3)
    b.close()
    return WrittenSheet(layout="values", year=year, sheets=(sheet_name,), header_rows=(r0 + 1, r0 + 2),
                        commune_rows=commune_rows, columns=columns, nfd_codes=tuple(c["code"].to_numpy()[nfd]),
                        communes=tuple(c["code"]))

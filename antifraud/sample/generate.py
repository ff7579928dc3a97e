"""Synthetic cases, warnings and strike results for one city, as numpy columns.

Everything is drawn from one seeded generator in a fixed order, so a seed and an end
week give the same data every time. Categorical columns are small integer codes into
the lists below; times are int64 seconds since the history's first Monday 00:00 (local).
The planted stories of the weekly meeting (docs/sample.md) are applied here, after
the background has been drawn, so that they hold exactly whatever the seed.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

DAY = 86_400
MINUTE = 60

CASES_PER_YEAR = 4_500          # at scale 1, Xinxiang (6.25 M residents)
URBAN_FACTOR = 2.5              # urban districts and zones: 2–3x the rural per-capita rate
URBAN = {"410702", "410703", "410704", "410711", "410771", "410772", "410773"}

TYPES = ["刷单返利", "虚假贷款", "冒充电商物流客服", "虚假投资理财", "虚假征信", "冒充公检法",
         "虚假购物服务", "冒充领导熟人", "冒充军警购物", "网络游戏交易", "网络婚恋交友", "加盟代理", "其他"]
TYPE_SHARE = np.array([26.8, 18.0, 14.0, 10.5, 8.6, 6.3, 4.7, 4.2, 0.8, 2.5, 1.1, 1.0, 2.5])
INVEST = TYPES.index("虚假投资理财")
# log-normal loss per type: median yuan; one sigma. Tuned so that all cases together give
# median ≈ 30,000, mean ≈ 74,000, p90 ≈ 190,000 (DESIGN.md reference figures).
LOSS_MEDIAN = 1.05 * np.array([26_000, 16_000, 32_000, 89_000, 30_000, 75_000, 9_000, 55_000, 22_000,
                               6_000, 68_000, 45_000, 14_000], dtype=float)
LOSS_SIGMA = 1.2
MALE_SHARE = np.array([0.40, 0.62, 0.42, 0.52, 0.58, 0.44, 0.46, 0.36, 0.60, 0.78, 0.70, 0.55, 0.50])
AGE_BANDS = ["<18", "18-29", "30-44", "45-59", "60+"]
AGE_RANGES = [(12, 17), (18, 29), (30, 44), (45, 59), (60, 82)]
AGE_SHARE = np.array([
    [0.03, 0.46, 0.34, 0.13, 0.04],   # 刷单返利
    [0.00, 0.44, 0.40, 0.14, 0.02],   # 虚假贷款
    [0.02, 0.38, 0.36, 0.18, 0.06],   # 冒充电商物流客服
    [0.00, 0.13, 0.57, 0.22, 0.08],   # 虚假投资理财: mostly 30-44 (meeting story c)
    [0.00, 0.45, 0.41, 0.12, 0.02],   # 虚假征信
    [0.01, 0.18, 0.27, 0.30, 0.24],   # 冒充公检法
    [0.08, 0.44, 0.30, 0.14, 0.04],   # 虚假购物服务
    [0.00, 0.14, 0.38, 0.38, 0.10],   # 冒充领导熟人
    [0.00, 0.10, 0.42, 0.40, 0.08],   # 冒充军警购物
    [0.42, 0.45, 0.10, 0.03, 0.00],   # 网络游戏交易
    [0.00, 0.22, 0.43, 0.27, 0.08],   # 网络婚恋交友
    [0.00, 0.25, 0.50, 0.22, 0.03],   # 加盟代理
    [0.04, 0.28, 0.30, 0.24, 0.14],   # 其他
])
BANKS = ["工商银行", "农业银行", "中国银行", "建设银行", "邮储银行", "交通银行", "新乡农商银行", "中原银行"]
BANK_SHARE = np.array([0.18, 0.17, 0.10, 0.15, 0.14, 0.06, 0.12, 0.08])
SLOW_BANK = BANKS.index("新乡农商银行")          # story f
STATUSES = ["已立案", "已破案", "已撤案"]
GENDERS = ["男", "女"]

LEVELS = ["高", "中", "低"]
LEVEL_SHARE = np.array([0.10, 0.30, 0.60])
LIMIT_MINUTES = np.array([30, 120, 1440])
SOURCES = ["省反诈中心", "市反诈中心", "银行", "运营商", "公安部"]
SOURCE_SHARE = np.array([0.34, 0.22, 0.15, 0.24, 0.05])
METHODS = ["电话", "见面", "短信", "其他"]
RESULTS = ["劝阻成功", "已被骗", "无法联系", "误报", "处置中"]

# Report hour: quiet at night, peak 12–18 h.
REPORT_HOUR = np.array([0.3, 0.2, 0.15, 0.1, 0.1, 0.2, 0.5, 1.0, 2.0, 3.0, 3.6, 4.0,
                        4.8, 5.2, 5.4, 5.5, 5.4, 5.2, 4.8, 3.6, 2.8, 2.0, 1.2, 0.6])
WARNING_HOUR = np.array([0.6, 0.4, 0.3, 0.25, 0.25, 0.4, 0.8, 1.6, 2.6, 3.2, 3.4, 3.4,
                         3.2, 3.2, 3.4, 3.5, 3.5, 3.4, 3.2, 3.0, 2.8, 2.3, 1.6, 1.0])
WEEKDAY = np.array([1.10, 1.06, 1.02, 1.00, 1.00, 0.90, 0.86])
MONTH = np.array([1.08, 0.85, 0.95, 0.98, 1.00, 1.05, 1.02, 1.00, 0.97, 0.95, 1.08, 1.10])
YEARLY_TREND = 0.92             # cases fall ~8 % a year (older weeks are busier)

# The stories (MEETING.md), by bureau id.
HOTSPOT_BUREAU, HOTSPOT_TOWNSHIP = "410725", "城关镇"
HOTSPOT_COUNTS = [2, 3, 4, 6, 7, 9]           # the last six weeks
IMPROVING_BUREAU = "410783"                   # 长垣: 30-minute stop rate up every week
IMPROVING_RATES = np.linspace(0.30, 0.86, 7)  # the last seven weeks
POOR_BUREAU, POOR_RATE = "410727", 0.42       # 封丘, planted exactly in each of the last POOR_WEEKS
POOR_WEEKS = 4
CITY_FAST_RATE = 0.82                          # before the slow bank drags it to ~0.71
OVERDUE_BUREAU, OVERDUE_HIGH = "410781", 11   # 卫辉: overdue 高 warnings in the last week
INVEST_RAMP_WEEKS, INVEST_RAMP_TOP = 8, 2.3
MAX_DELAY_MINUTES = 360           # last transfer -> stop payment, longest


@dataclass(frozen=True)
class World:
    start: dt.date                  # Monday of the first week
    weeks: int
    scale: float
    units: pd.DataFrame             # bureau_id, bureau_name, population, ...
    stations: pd.DataFrame          # station_id, station_name, bureau_id, township, lon, lat

    @property
    def days(self) -> int:
        return self.weeks * 7

    @property
    def end_moment(self) -> int:
        """The export ran on the last Sunday at 23:41: nothing happens after it."""
        return (self.days - 1) * DAY + 23 * 3600 + 41 * MINUTE


def _choice(rng: np.random.Generator, p: np.ndarray, size: int) -> np.ndarray:
    return np.searchsorted(np.cumsum(p / p.sum()), rng.random(size), side="right").clip(0, len(p) - 1)


def _choice_rows(rng: np.random.Generator, probs: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """One draw per element from the distribution probs[rows[i]] (rows of a matrix)."""
    cum = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(len(rows))
    return (u[:, None] > cum[rows]).sum(axis=1).clip(0, probs.shape[1] - 1)


def _grouped_choice(rng: np.random.Generator, weights: list[np.ndarray], group: np.ndarray) -> np.ndarray:
    """Pick an index inside group g's weight vector, for every element; returns global indexes."""
    sizes = np.array([len(w) for w in weights])
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    keys = np.concatenate([g + np.cumsum(w / w.sum()) for g, w in enumerate(weights)])
    keys[np.cumsum(sizes) - 1] = np.arange(len(weights)) + 1.0     # guard against rounding
    idx = np.searchsorted(keys, group + rng.random(len(group)), side="right")
    return np.minimum(idx, offsets[group] + sizes[group] - 1)


def _lognormal(rng, median, sigma, size):
    return np.exp(np.log(median) + sigma * rng.standard_normal(size))


def _beta(rng, a, b, size):
    return rng.beta(a, b, size)


class Calendar:
    """Per-day factors: trend, season, weekday, and the type mix with its planted ramp."""

    def __init__(self, world: World):
        days = np.arange(world.days)
        dates = pd.date_range(world.start, periods=world.days, freq="D")
        years_back = (world.days - 1 - days) / 365.25
        factor = YEARLY_TREND ** (-years_back) * MONTH[dates.month - 1] * WEEKDAY[days % 7]
        self.day_factor = factor / factor.mean()
        self.week = days // 7
        self.types = np.tile(TYPE_SHARE / TYPE_SHARE.sum(), (world.days, 1))
        ramp_start = world.weeks - INVEST_RAMP_WEEKS
        ramp = np.clip((self.week - ramp_start + 1) / INVEST_RAMP_WEEKS, 0, 1)
        self.types[:, INVEST] *= 1 + (INVEST_RAMP_TOP - 1) * ramp
        self.dates = dates


def bureau_weights(world: World, rng: np.random.Generator) -> np.ndarray:
    urban = world.units["bureau_id"].isin(URBAN).to_numpy()
    weight = world.units["population"].to_numpy(float) * np.where(urban, URBAN_FACTOR, 1.0)
    weight *= _lognormal(rng, 1.0, 0.12, len(weight))
    return weight / weight.sum()


def station_tables(world: World, rng: np.random.Generator):
    """Per bureau: the global station indexes and how busy each one is (the seat busiest)."""
    bureau_ids = world.units["bureau_id"].tolist()
    members, weights = [], []
    sb = world.stations["bureau_id"].to_numpy()
    for b in bureau_ids:
        idx = np.flatnonzero(sb == b)
        if len(idx) == 0:
            raise ValueError(f"stations.csv 中没有 {b} 的派出所")
        w = _lognormal(rng, 1.0, 0.35, len(idx))
        w[0] *= 2.2
        members.append(idx)
        weights.append(w)
    return members, weights


def _time_of_day(rng, hour_weights, n):
    hour = _choice(rng, hour_weights, n)
    return hour * 3600 + rng.integers(0, 3600, n)


def _week_days(rng, n):
    """A day inside a week following the weekday pattern."""
    return _choice(rng, WEEKDAY, n)


def cases(world: World, rng: np.random.Generator) -> dict[str, np.ndarray]:
    cal = Calendar(world)
    nb = len(world.units)
    bw = bureau_weights(world, rng)
    members, st_weights = station_tables(world, rng)
    per_day = CASES_PER_YEAR * world.scale / 365.25 * cal.day_factor
    lam = per_day[:, None, None] * bw[None, :, None] * cal.types[:, None, :]
    counts = rng.poisson(lam).ravel()
    cell = np.repeat(np.arange(counts.size), counts)
    day, bureau, ftype = np.unravel_index(cell, lam.shape)
    station = members_pick(rng, members, st_weights, bureau)

    # Story a: the seat township of 原阳 rises for the last weeks, with exact counts.
    bureau_ids = world.units["bureau_id"].tolist()
    hb = bureau_ids.index(HOTSPOT_BUREAU)
    target = np.flatnonzero((world.stations["bureau_id"] == HOTSPOT_BUREAU).to_numpy()
                            & (world.stations["township"] == HOTSPOT_TOWNSHIP).to_numpy())[0]
    first = world.weeks - len(HOTSPOT_COUNTS)
    drop = (station == target) & (day // 7 >= first)
    day, bureau, ftype, station = day[~drop], bureau[~drop], ftype[~drop], station[~drop]
    planted = np.array([max(1, round(c * world.scale)) for c in HOTSPOT_COUNTS])
    p_day = np.repeat(np.arange(first, world.weeks) * 7, planted) + _week_days(rng, planted.sum())
    p_type = _choice_rows(rng, cal.types, p_day)
    day = np.concatenate([day, p_day])
    bureau = np.concatenate([bureau, np.full(planted.sum(), hb)])
    ftype = np.concatenate([ftype, p_type])
    station = np.concatenate([station, np.full(planted.sum(), target)])

    n = len(day)
    tod = _time_of_day(rng, REPORT_HOUR, n)
    reported = day * DAY + tod
    reported = np.where(reported > world.end_moment, reported - 3 * 3600, reported)
    order = np.lexsort((reported, bureau))
    day, bureau, ftype, station, reported = (a[order] for a in (day, bureau, ftype, station, reported))
    week = reported // (7 * DAY)
    age_weeks = world.weeks - 1 - week

    loss = _lognormal(rng, LOSS_MEDIAN[ftype], LOSS_SIGMA, n).clip(200, 12_000_000)
    rounding = rng.random(n)
    loss = np.where(rounding < 0.6, np.round(loss, -2), np.where(rounding < 0.95, np.round(loss), np.round(loss, 2)))
    loss = np.maximum(loss, 100.0)

    # Stop-payment: who got one, and how fast (minutes from last transfer to stop).
    has_stop = rng.random(n) < 0.42
    bank = _choice(rng, BANK_SHARE, n)
    bank_missing = rng.random(n) < 0.08
    p_fast = np.full(n, CITY_FAST_RATE)
    p_fast[bureau == bureau_ids.index(POOR_BUREAU)] = POOR_RATE + 0.03
    p_fast[bureau == bureau_ids.index(IMPROVING_BUREAU)] = 0.55
    p_fast[bank == SLOW_BANK] *= 0.35
    fast = rng.random(n) < p_fast
    missing = rng.random(n)
    has_transfer_time = np.where(has_stop, missing >= 0.04, rng.random(n) < 0.5)
    has_stop_time = has_stop & ((missing < 0.04) | (missing >= 0.08))

    ib = bureau_ids.index(IMPROVING_BUREAU)
    recent_ib = (bureau == ib) & (age_weeks < len(IMPROVING_RATES))
    recent_poor = (bureau == bureau_ids.index(POOR_BUREAU)) & (age_weeks < POOR_WEEKS)
    # More stop cases there, so that a weekly rate rests on more than one or two cases.
    boost = (recent_ib | recent_poor) & (rng.random(n) < 0.85)
    has_stop |= boost
    has_transfer_time |= boost
    has_stop_time |= boost
    # A stop can come up to MAX_DELAY after the report; for the planted bureaus, cases
    # reported that close to the export have no stop time yet, so the export cut-off
    # below cannot change a planted rate.
    pending = (recent_ib | recent_poor) & (reported > world.end_moment - MAX_DELAY_MINUTES * MINUTE)
    has_stop_time &= ~pending
    both = has_stop & has_transfer_time & has_stop_time
    _plant_rates(fast, both, week, recent_ib, world.weeks, IMPROVING_RATES, strictly_rising=True)
    _plant_rates(fast, both, week, recent_poor, world.weeks, np.full(POOR_WEEKS, POOR_RATE), strictly_rising=False)

    slow_bank = (bank == SLOW_BANK) & ~bank_missing
    delay = np.where(fast, _lognormal(rng, 13, 0.45, n).clip(3, 30),
                     np.where(slow_bank, 60 + _lognormal(rng, 45, 0.6, n), 31 + _lognormal(rng, 30, 0.8, n)))
    delay = np.minimum(delay, MAX_DELAY_MINUTES)
    delay = np.round(delay * MINUTE)
    lag_report = np.where(has_stop, delay * rng.uniform(0.15, 0.85, n),
                          _lognormal(rng, 150, 1.4, n) * MINUTE)
    last_transfer = reported - np.round(lag_report)
    stop_at = last_transfer + delay
    has_stop_time &= stop_at <= world.end_moment
    occurred = last_transfer - np.round(_lognormal(rng, 80, 1.2, n) * MINUTE)

    fast_share = np.where(fast, _beta(rng, 2.2, 2.8, n), _beta(rng, 1.1, 5.0, n))
    stopped = np.where(has_stop, np.round(loss * fast_share, 2), 0.0)
    frozen = np.where(has_stop & (rng.random(n) < 0.55), np.round((loss - stopped) * _beta(rng, 1.0, 7.0, n), 2), 0.0)
    # Returning stopped money takes weeks: recent cases have less of it so far.
    returned = np.where(has_stop & (rng.random(n) < 0.6 * np.minimum(1.0, (age_weeks + 1) / 5)),
                        np.round((stopped + frozen) * _beta(rng, 3.0, 2.0, n), 2), 0.0)

    # Older cases are more often solved; kept mild so the latest week is not an outlier.
    p_solved = 0.12 + 0.08 * np.minimum(1.0, age_weeks / 26)
    u = rng.random(n)
    status = np.where(u < 0.025, 2, np.where(u < 0.025 + p_solved, 1, 0))
    male = rng.random(n) < MALE_SHARE[ftype]
    age_band = _choice_rows(rng, AGE_SHARE, ftype)
    lo = np.array([r[0] for r in AGE_RANGES])[age_band]
    hi = np.array([r[1] for r in AGE_RANGES])[age_band]
    age = rng.integers(lo, hi + 1)
    has_coords = rng.random(n) < 0.88
    angle, radius = rng.uniform(0, 2 * np.pi, n), np.sqrt(rng.random(n))
    return {
        "n": n, "day": day, "week": week, "bureau": bureau, "station": station, "type": ftype,
        "reported": reported, "occurred": occurred,
        "last_transfer": last_transfer, "has_transfer_time": has_transfer_time,
        "stop_at": stop_at, "has_stop_time": has_stop_time,
        "loss": loss, "stopped": stopped, "frozen": frozen, "returned": returned,
        "status": status, "male": male, "age_band": age_band, "age": age,
        "bank": bank, "bank_missing": bank_missing,
        "has_coords": has_coords, "angle": angle, "radius": radius,
        "draw": rng.random((n, 4)),           # spare uniforms for the export's fake columns
    }


def members_pick(rng, members, weights, bureau):
    local = _grouped_choice(rng, weights, bureau)
    return np.concatenate(members)[local]


def _plant_rates(fast, both, week, mask, weeks, rates, strictly_rising):
    """Set `fast` among the cases with both times so each week's share follows `rates`.

    strictly_rising: every week's share beats the week before (story b). Otherwise the
    hits are spread so that the pooled share of all those weeks is as close to the
    rate as the counts allow (story d: the 28-day rate of 封丘).
    """
    first = weeks - len(rates)
    prev, seen, hit_total = -1.0, 0, 0
    for k, rate in enumerate(rates):
        idx = np.flatnonzero(mask & both & (week == first + k))
        if len(idx) == 0:
            continue
        if strictly_rising:
            hits = int(round(rate * len(idx)))
            if hits / len(idx) <= prev:
                hits = min(len(idx), int(np.floor(prev * len(idx))) + 1)
        else:
            seen += len(idx)
            hits = min(len(idx), max(0, int(round(rate * seen)) - hit_total))
        fast[idx] = False
        fast[idx[:hits]] = True
        prev, hit_total = hits / len(idx), hit_total + hits


def warnings(world: World, rng: np.random.Generator, per_case: float = 10.0) -> dict[str, np.ndarray]:
    cal = Calendar(world)
    bureau_ids = world.units["bureau_id"].tolist()
    nb = len(bureau_ids)
    bw = bureau_weights(world, rng)
    members, st_weights = station_tables(world, rng)
    per_day = per_case * CASES_PER_YEAR * world.scale / 365.25 * (0.5 + 0.5 * cal.day_factor)
    counts = rng.poisson(per_day[:, None] * bw[None, :]).ravel()
    cell = np.repeat(np.arange(counts.size), counts)
    day, bureau = np.unravel_index(cell, (world.days, nb))
    n = len(day)
    issued = day * DAY + _time_of_day(rng, WARNING_HOUR, n)
    issued = np.minimum(issued, world.end_moment)
    order = np.argsort(issued, kind="stable")
    day, bureau, issued = day[order], bureau[order], issued[order]
    issued[-1] = world.end_moment        # data_as_of: Sunday 23:41:00
    station = members_pick(rng, members, st_weights, bureau)
    ftype = _choice_rows(rng, cal.types, day)
    level = _choice(rng, LEVEL_SHARE, n)
    source = _choice(rng, SOURCE_SHARE, n)
    source = np.where((level == 0) & (rng.random(n) < 0.15), SOURCES.index("公安部"), source)
    method = np.where(level == 0, _choice(rng, np.array([0.55, 0.38, 0.03, 0.04]), n),
                      _choice(rng, np.array([0.72, 0.14, 0.10, 0.04]), n))

    # Each bureau has its own failure mix (the meeting compares them).
    fail_total = rng.uniform(0.02, 0.085, nb)
    fail_mix = rng.dirichlet([1.0, 6.0, 3.5, 1.2], nb)         # 已被骗 无法联系 误报 处置中
    fail_mix[:, 0] = 0.06                                        # 已被骗 stays rare everywhere
    fail_mix /= fail_mix.sum(axis=1, keepdims=True)
    probs = np.column_stack([1 - fail_total, fail_total[:, None] * fail_mix])
    result = _choice_rows(rng, probs, bureau)

    slowness = _lognormal(rng, 1.0, 0.25, nb)[bureau]
    sign_median = np.array([2.5, 8.0, 35.0])[level]
    # Most 低 feedback comes within hours, a tail runs past the 24 h limit.
    fb_median = np.array([7.5, 30.0, 90.0])[level]
    fb_sigma = np.array([0.65, 0.8, 1.3])[level]
    sign_delay = np.round(_lognormal(rng, sign_median, 0.85, n) * slowness * MINUTE).clip(10)
    fb_delay = np.round(_lognormal(rng, fb_median, fb_sigma, n) * slowness * MINUTE)
    signed = issued + sign_delay
    feedback = signed + fb_delay
    has_signed = rng.random(n) >= 0.004
    has_feedback = has_signed & (rng.random(n) >= 0.008) & (result != 4)

    # Story e: one bureau leaves many 高 warnings overdue in the last week.
    last = (day // 7 == world.weeks - 1)
    ob = (bureau == bureau_ids.index(OVERDUE_BUREAU)) & last
    want = max(1, round(OVERDUE_HIGH * world.scale))
    high = np.flatnonzero(ob & (level == 0))
    if len(high) < want + 3:
        extra = np.flatnonzero(ob & (level != 0))[: want + 3 - len(high)]
        level[extra] = 0
        high = np.flatnonzero(ob & (level == 0))
    late, on_time = high[:want], high[want:]
    has_signed[high] = True
    signed[high] = issued[high] + np.round(rng.uniform(2, 12, len(high)) * MINUTE)
    feedback[late] = issued[late] + np.round(rng.uniform(35, 240, len(late)) * MINUTE)
    has_feedback[late] = True
    has_feedback[late[::5]] = False                             # a few never answered at all
    feedback[on_time] = signed[on_time] + np.round(rng.uniform(3, 15, len(on_time)) * MINUTE)
    has_feedback[on_time] = True
    result[high] = np.where(result[high] == 4, 0, result[high])
    result[late[::5]] = 4

    # The export ran on Sunday 23:41: later sign/feedback times do not exist yet.
    has_signed &= signed <= world.end_moment
    pending = has_feedback & (feedback > world.end_moment)
    has_feedback &= ~pending
    result = np.where(pending, 4, result)
    has_feedback &= has_signed

    victimized = (result == 1) | ((result == 2) & (rng.random(n) < 0.01))
    avoided = np.where((result == 0) & (rng.random(n) < 0.45),
                       np.round(_lognormal(rng, 6_000, 1.2, n).clip(100, 3_000_000), -2), 0.0)
    return {"n": n, "day": day, "bureau": bureau, "station": station, "type": ftype,
            "issued": issued, "signed": signed, "has_signed": has_signed,
            "feedback": feedback, "has_feedback": has_feedback,
            "level": level, "source": source, "method": method, "result": result,
            "victimized": victimized, "avoided": avoided, "draw": rng.random((n, 2))}


def strikes(world: World, rng: np.random.Generator, case_week_counts: np.ndarray) -> dict[str, np.ndarray]:
    """Weekly strike results per bureau; case_week_counts is (weeks, bureaus)."""
    nb = case_week_counts.shape[1]
    effort = _lognormal(rng, 1.0, 0.3, nb)[None, :]
    smooth = 0.5 * case_week_counts + 0.5 * case_week_counts.mean(axis=0, keepdims=True)
    arrests = rng.poisson(0.38 * smooth * effort)
    gangs = rng.poisson(0.05 * world.scale * effort * np.ones_like(smooth))
    dens = rng.poisson(0.03 * world.scale * effort * np.ones_like(smooth))
    cards = rng.poisson(2.6 * smooth * effort)
    week, bureau = np.meshgrid(np.arange(world.weeks), np.arange(nb), indexing="ij")
    return {"week": week.ravel(), "bureau": bureau.ravel(), "arrests": arrests.ravel(),
            "gangs": gangs.ravel(), "dens": dens.ravel(), "cards_frozen": cards.ravel()}

"""Stationary worlds for calibration: nothing changes unless a change is planted.

`python -m antifraud sample --null` (and `antifraud calibrate`) draws the same columns
as `generate` — so `export` and `write` turn them into the same extracts — from a
different model: no planted meeting stories, no trend, no month seasonality, every
outcome a constant probability, every count Poisson at a constant rate per bureau:
≈95 cases and ≈850 warnings a week city-wide at scale 1, strike results weekly.

The weekday profile of the default generator is kept: it is the same every week, so a
week's total is still Poisson with a constant mean (a sum of Poisson days).

The extract is as if exported once every follow-up had happened: sign, feedback and
stop-payment times may lie after the last Sunday. The default generator cuts them at
the export moment (the real last week looks unfinished); here that would make the
last week differ from every other one, which is exactly what a null world must not do.

Options (`Spec`):
- `variation`: week-to-week variation, a gamma factor (mean 1, sd `variation`) per week
  multiplying every count rate of that week — cases, warnings, strike results.
  `scope="city"` (default) draws one factor per week for the whole city — holidays,
  weather, province-wide campaigns and platform outages move every bureau together — so
  each bureau's and station's series is overdispersed by it and the city's totals most
  of all; `scope="bureau"` draws one per week and bureau (local campaigns and backlogs):
  the same overdispersion per bureau, less in the city's totals, and bureaus that move
  apart (what moves a ranking). docs/significance.md says why city is the default.
- `plants`: changes on top of the null world, each a parameter set (which week, bureau,
  township, size): `CaseRise`, `OverdueRise`, `TownshipRise`.

Everything that stays fixed for a seed (bureau sizes, station weights, strike effort,
the gamma factors) is drawn by `structure` from its own stream, so a planted world and
the null world of the same seed share it, and the calibration harness can choose a
plant's bureau and township from it before generating.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from antifraud import periods
from antifraud.config import UsageError
from antifraud.sample import generate as g

CASES_PER_WEEK = 95.0          # city-wide at scale 1
WARNINGS_PER_WEEK = 850.0
# A week's warnings lean less on the weekday than its cases (the platform pushes daily).
WARNING_WEEKDAY = 0.5 + 0.5 * g.WEEKDAY / g.WEEKDAY.mean()

P_STOP = 0.42                  # cases with a stop-payment action
P_BOTH_TIMES = 0.92            # ... that carry both the last transfer and the stop time
P_TRANSFER_TIME = 0.5          # cases without a stop that still carry a transfer time
P_FAST = 0.71                  # stop within 30 minutes of the last transfer (both times known)
P_FROZEN = 0.55
P_RETURNED = 0.45
P_SOLVED = 0.16
P_WITHDRAWN = 0.025
# 劝阻成功 已被骗 无法联系 误报 处置中 (generate.RESULTS order)
RESULT_SHARE = np.array([0.95, 0.0025, 0.025, 0.015, 0.0075])
PENDING = g.RESULTS.index("处置中")   # never answered: no feedback time
OVERDUE_RATE = 0.05            # share of warnings answered after the level's limit, or never
SIGN_MEDIAN = np.array([2.5, 8.0, 35.0])      # minutes, by level (高 中 低)

ARRESTS_PER_CASE = 0.38        # per expected case of the bureau's week
CARDS_PER_CASE = 2.6
GANGS_PER_WEEK = 0.05          # per bureau at scale 1
DENS_PER_WEEK = 0.03


# ------------------------------------------------------------------ parameters

@dataclass(frozen=True)
class CaseRise:
    """City-wide rise of case rates by `factor` for `weeks` weeks from ISO week `start`."""
    start: str
    factor: float = 1.3
    weeks: int = 3


@dataclass(frozen=True)
class OverdueRise:
    """One bureau's overdue rate set to `rate` for `weeks` weeks from `start`."""
    start: str
    bureau_id: str
    rate: float = 0.15
    weeks: int = 3


@dataclass(frozen=True)
class TownshipRise:
    """One township's cases raised to `per_week` a week (Poisson mean, × scale) from `start`."""
    start: str
    bureau_id: str
    township: str
    per_week: float = 6.0
    weeks: int = 3


@dataclass(frozen=True)
class Spec:
    variation: float = 0.0                 # sd of the weekly gamma factor; 0 = pure Poisson
    scope: str = "city"                    # "city" | "bureau": who shares a week's factor
    plants: tuple = field(default_factory=tuple)

    def __post_init__(self):
        if self.variation < 0:
            raise UsageError("--variation 不能为负")
        if self.scope not in ("bureau", "city"):
            raise UsageError(f"--variation-scope 只能是 bureau 或 city（收到 {self.scope}）")


def parse_plant(text: str) -> CaseRise | OverdueRise | TownshipRise:
    """`cases:2026-W30[:1.3[:3]]`, `overdue:2026-W33:410702[:0.15[:3]]`,
    `township:2026-W36:410725:城关镇[:6[:3]]` (the command line's --plant)."""
    parts = [p.strip() for p in str(text).split(":")]
    kind, rest = parts[0], parts[1:]
    try:
        if kind == "cases" and 1 <= len(rest) <= 3:
            return CaseRise(rest[0], *([float(rest[1])] if len(rest) > 1 else []),
                            *([int(rest[2])] if len(rest) > 2 else []))
        if kind == "overdue" and 2 <= len(rest) <= 4:
            return OverdueRise(rest[0], rest[1], *([float(rest[2])] if len(rest) > 2 else []),
                               *([int(rest[3])] if len(rest) > 3 else []))
        if kind == "township" and 3 <= len(rest) <= 5:
            return TownshipRise(rest[0], rest[1], rest[2], *([float(rest[3])] if len(rest) > 3 else []),
                                *([int(rest[4])] if len(rest) > 4 else []))
    except ValueError:
        pass
    raise UsageError(f"无法识别的 --plant：{str(text)[:60]}（例：cases:2026-W30:1.3、"
                     "overdue:2026-W33:410702:0.15、township:2026-W36:410725:城关镇:6）")


def plant_weeks(world: g.World, plant) -> np.ndarray:
    """World week indexes the plant covers; a UsageError when they leave the history."""
    try:
        period = periods.parse(plant.start)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if period.kind != "week":
        raise UsageError(f"植入变化需要一个周，如 2026-W30（收到 {plant.start}）")
    first = (period.start - world.start).days // 7
    if plant.weeks < 1 or first < 0 or first + plant.weeks > world.weeks:
        raise UsageError(f"植入变化 {plant.start} 起 {plant.weeks} 周不在生成的历史之内")
    return np.arange(first, first + plant.weeks)


# ------------------------------------------------------------------ what a seed fixes

@dataclass
class Structure:
    bureau_share: np.ndarray       # (bureaus,) share of the city's cases and warnings
    members: list                  # per bureau: global station indexes
    station_weights: list          # per bureau: relative weight of each station
    effort: np.ndarray             # (bureaus,) strike effort factor
    factor: np.ndarray             # (weeks, bureaus) gamma factor of each week's rates

    def station_share(self) -> np.ndarray:
        """(stations,) share of its bureau's cases each station gets."""
        share = np.zeros(sum(len(m) for m in self.members))
        for idx, w in zip(self.members, self.station_weights):
            share[idx] = w / w.sum()
        return share


def structure(world: g.World, spec: Spec, rng: np.random.Generator) -> Structure:
    bureau_share = g.bureau_weights(world, rng)
    members, weights = g.station_tables(world, rng)
    effort = g._lognormal(rng, 1.0, 0.3, len(world.units))
    nb = len(world.units)
    if spec.variation > 0:
        shape = 1.0 / spec.variation ** 2
        cols = nb if spec.scope == "bureau" else 1
        draw = rng.gamma(shape, 1.0 / shape, size=(world.weeks, cols))
        factor = np.broadcast_to(draw, (world.weeks, nb)).copy()
    else:
        factor = np.ones((world.weeks, nb))
    return Structure(bureau_share, members, weights, effort, factor)


def expected_weekly(world: g.World, s: Structure) -> dict[str, np.ndarray]:
    """Expected weekly counts of the null world (before the gamma factor and plants)."""
    return {"cases": CASES_PER_WEEK * world.scale * s.bureau_share,
            "warnings": WARNINGS_PER_WEEK * world.scale * s.bureau_share,
            "station_cases": CASES_PER_WEEK * world.scale * s.bureau_share[world_station_bureau(world)]
            * s.station_share()}


def world_station_bureau(world: g.World) -> np.ndarray:
    """Bureau index of every station (stations.csv order)."""
    ids = world.units["bureau_id"].tolist()
    return np.array([ids.index(b) for b in world.stations["bureau_id"]])


def _bureau_index(world: g.World, bureau_id: str) -> int:
    ids = world.units["bureau_id"].tolist()
    if bureau_id not in ids:
        raise UsageError(f"植入变化的分县局不存在：{bureau_id}")
    return ids.index(bureau_id)


def _township_station(world: g.World, bureau_id: str, township: str) -> int:
    found = np.flatnonzero((world.stations["bureau_id"] == bureau_id).to_numpy()
                           & (world.stations["township"] == township).to_numpy())
    if len(found) != 1:
        raise UsageError(f"植入变化的乡镇街道不存在或不唯一：{bureau_id} {township}")
    return int(found[0])


# ------------------------------------------------------------------ the columns

def _weekday_share(profile: np.ndarray) -> np.ndarray:
    return profile / profile.sum()


def cases(world: g.World, s: Structure, spec: Spec, rng: np.random.Generator) -> dict[str, np.ndarray]:
    days = np.arange(world.days)
    week_of_day = days // 7
    types = g.TYPE_SHARE / g.TYPE_SHARE.sum()
    rise = np.ones(world.weeks)
    for plant in spec.plants:
        if isinstance(plant, CaseRise):
            rise[plant_weeks(world, plant)] *= plant.factor
    weekly = CASES_PER_WEEK * world.scale * s.bureau_share[None, :] * s.factor * rise[:, None]
    per_day = weekly[week_of_day] * _weekday_share(g.WEEKDAY)[days % 7][:, None]
    lam = per_day[:, :, None] * types[None, None, :]
    counts = rng.poisson(lam).ravel()
    cell = np.repeat(np.arange(counts.size), counts)
    day, bureau, ftype = np.unravel_index(cell, lam.shape)
    station = g.members_pick(rng, s.members, s.station_weights, bureau)

    # A township rise adds Poisson cases on top of the station's own: the sum is Poisson
    # with the planted mean.
    share = s.station_share()
    for plant in spec.plants:
        if not isinstance(plant, TownshipRise):
            continue
        b = _bureau_index(world, plant.bureau_id)
        st = _township_station(world, plant.bureau_id, plant.township)
        for w in plant_weeks(world, plant):
            base = weekly[w, b] * share[st]
            extra = int(rng.poisson(max(0.0, plant.per_week * world.scale - base)))
            p_day = w * 7 + _week_day(rng, extra)
            day = np.concatenate([day, p_day])
            bureau = np.concatenate([bureau, np.full(extra, b)])
            ftype = np.concatenate([ftype, g._choice(rng, types, extra)])
            station = np.concatenate([station, np.full(extra, st)])

    n = len(day)
    reported = day * g.DAY + g._time_of_day(rng, g.REPORT_HOUR, n)
    reported = np.where(reported > world.end_moment, reported - 3 * 3600, reported)
    order = np.lexsort((reported, bureau))
    day, bureau, ftype, station, reported = (a[order] for a in (day, bureau, ftype, station, reported))
    week = reported // (7 * g.DAY)

    loss = g._lognormal(rng, g.LOSS_MEDIAN[ftype], g.LOSS_SIGMA, n).clip(200, 12_000_000)
    rounding = rng.random(n)
    loss = np.where(rounding < 0.6, np.round(loss, -2), np.where(rounding < 0.95, np.round(loss), np.round(loss, 2)))
    loss = np.maximum(loss, 100.0)

    has_stop = rng.random(n) < P_STOP
    both = has_stop & (rng.random(n) < P_BOTH_TIMES)
    has_transfer_time = both | (~has_stop & (rng.random(n) < P_TRANSFER_TIME))
    has_stop_time = both
    fast = rng.random(n) < P_FAST
    bank = g._choice(rng, g.BANK_SHARE, n)
    bank_missing = rng.random(n) < 0.08
    delay = np.where(fast, g._lognormal(rng, 13, 0.45, n).clip(3, 30),
                     np.minimum(31 + g._lognormal(rng, 30, 0.8, n), g.MAX_DELAY_MINUTES))
    delay = np.round(delay * g.MINUTE)
    lag_report = np.where(has_stop, delay * rng.uniform(0.15, 0.85, n), g._lognormal(rng, 150, 1.4, n) * g.MINUTE)
    last_transfer = reported - np.round(lag_report)
    stop_at = last_transfer + delay
    occurred = last_transfer - np.round(g._lognormal(rng, 80, 1.2, n) * g.MINUTE)

    stopped_share = np.where(fast, rng.beta(2.2, 2.8, n), rng.beta(1.1, 5.0, n))
    stopped = np.where(has_stop, np.round(loss * stopped_share, 2), 0.0)
    frozen = np.where(has_stop & (rng.random(n) < P_FROZEN),
                      np.round((loss - stopped) * rng.beta(1.0, 7.0, n), 2), 0.0)
    returned = np.where(has_stop & (rng.random(n) < P_RETURNED),
                        np.round((stopped + frozen) * rng.beta(3.0, 2.0, n), 2), 0.0)
    u = rng.random(n)
    status = np.where(u < P_WITHDRAWN, 2, np.where(u < P_WITHDRAWN + P_SOLVED, 1, 0))
    male = rng.random(n) < g.MALE_SHARE[ftype]
    age_band = g._choice_rows(rng, g.AGE_SHARE, ftype)
    lo = np.array([r[0] for r in g.AGE_RANGES])[age_band]
    hi = np.array([r[1] for r in g.AGE_RANGES])[age_band]
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
        "draw": rng.random((n, 4)),
    }


def _week_day(rng: np.random.Generator, n: int) -> np.ndarray:
    return g._choice(rng, g.WEEKDAY, n)


def overdue_rates(world: g.World, spec: Spec) -> np.ndarray:
    """(weeks, bureaus) share of warnings answered late or never."""
    rate = np.full((world.weeks, len(world.units)), OVERDUE_RATE)
    for plant in spec.plants:
        if isinstance(plant, OverdueRise):
            rate[plant_weeks(world, plant), _bureau_index(world, plant.bureau_id)] = plant.rate
    return rate


def warnings(world: g.World, s: Structure, spec: Spec, rng: np.random.Generator) -> dict[str, np.ndarray]:
    nb = len(world.units)
    days = np.arange(world.days)
    weekly = WARNINGS_PER_WEEK * world.scale * s.bureau_share[None, :] * s.factor
    lam = weekly[days // 7] * _weekday_share(WARNING_WEEKDAY)[days % 7][:, None]
    counts = rng.poisson(lam).ravel()
    cell = np.repeat(np.arange(counts.size), counts)
    day, bureau = np.unravel_index(cell, (world.days, nb))
    n = len(day)
    issued = day * g.DAY + g._time_of_day(rng, g.WARNING_HOUR, n)
    issued = np.minimum(issued, world.end_moment)
    order = np.argsort(issued, kind="stable")
    day, bureau, issued = day[order], bureau[order], issued[order]
    if n:
        issued[-1] = world.end_moment        # data_as_of: Sunday 23:41:00, as the default export
    station = g.members_pick(rng, s.members, s.station_weights, bureau)
    types = g.TYPE_SHARE / g.TYPE_SHARE.sum()
    ftype = g._choice(rng, types, n)
    level = g._choice(rng, g.LEVEL_SHARE, n)
    source = g._choice(rng, g.SOURCE_SHARE, n)
    method = np.where(level == 0, g._choice(rng, np.array([0.55, 0.38, 0.03, 0.04]), n),
                      g._choice(rng, np.array([0.72, 0.14, 0.10, 0.04]), n))
    result = g._choice(rng, RESULT_SHARE, n)

    # Overdue is drawn, then the times are made to agree with it, so the rate is exactly
    # the parameter. Never-answered warnings (处置中) are overdue by definition; the others
    # are late with the probability that makes the total right.
    limit = g.LIMIT_MINUTES[level] * g.MINUTE
    pending = result == PENDING
    target = overdue_rates(world, spec)[day // 7, bureau]
    p_pending = RESULT_SHARE[PENDING]
    late = ~pending & (rng.random(n) < np.clip((target - p_pending) / (1 - p_pending), 0, 1))
    # signing does not depend on lateness, so a planted overdue rate leaves sign times alone
    sign = np.minimum(g._lognormal(rng, SIGN_MEDIAN[level], 0.85, n) * g.MINUTE, 0.5 * limit)
    sign = np.maximum(np.round(sign), 10)
    on_time = sign + (limit - sign) * rng.beta(1.2, 3.0, n)
    over = limit * (1 + g._lognormal(rng, 0.3, 0.9, n)) + g.MINUTE
    feedback = issued + np.round(np.where(late, over, np.minimum(on_time, limit)))
    signed = issued + sign
    has_signed = np.ones(n, dtype=bool)
    has_feedback = ~pending

    victimized = (result == 1) | ((result == 2) & (rng.random(n) < 0.01))
    avoided = np.where((result == 0) & (rng.random(n) < 0.45),
                       np.round(g._lognormal(rng, 6_000, 1.2, n).clip(100, 3_000_000), -2), 0.0)
    return {"n": n, "day": day, "bureau": bureau, "station": station, "type": ftype,
            "issued": issued, "signed": signed, "has_signed": has_signed,
            "feedback": feedback, "has_feedback": has_feedback,
            "level": level, "source": source, "method": method, "result": result,
            "victimized": victimized, "avoided": avoided, "draw": rng.random((n, 2))}


def strikes(world: g.World, s: Structure, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Weekly per bureau, from the bureau's expected cases (not this week's: a strike count
    that followed the week's cases would carry their noise and their plants)."""
    nb = len(world.units)
    expected = CASES_PER_WEEK * world.scale * s.bureau_share[None, :] * s.effort[None, :] * s.factor
    per_bureau = world.scale * s.effort[None, :] * s.factor
    arrests = rng.poisson(ARRESTS_PER_CASE * expected)
    gangs = rng.poisson(GANGS_PER_WEEK * per_bureau)
    dens = rng.poisson(DENS_PER_WEEK * per_bureau)
    cards = rng.poisson(CARDS_PER_CASE * expected)
    week, bureau = np.meshgrid(np.arange(world.weeks), np.arange(nb), indexing="ij")
    return {"week": week.ravel(), "bureau": bureau.ravel(), "arrests": arrests.ravel(),
            "gangs": gangs.ravel(), "dens": dens.ravel(), "cards_frozen": cards.ravel()}


def _streams(seed: int) -> list[np.random.Generator]:
    return [np.random.default_rng(x) for x in np.random.SeedSequence(seed).spawn(7)]


def seed_structure(world: g.World, spec: Spec, seed: int) -> Structure:
    """What `draw` will fix for this seed, without drawing the rest (to choose plants)."""
    return structure(world, spec, _streams(seed)[6])


def draw(world: g.World, spec: Spec, seed: int) -> tuple[Structure, dict, dict, dict, list]:
    """The world's columns for a seed: (structure, cases, warnings, strikes, export streams)."""
    for plant in spec.plants:
        plant_weeks(world, plant)          # fail before drawing anything
    streams = _streams(seed)
    s = structure(world, spec, streams[6])
    c = cases(world, s, spec, streams[0])
    w = warnings(world, s, spec, streams[1])
    k = strikes(world, s, streams[2])
    return s, c, w, k, streams[3:6]

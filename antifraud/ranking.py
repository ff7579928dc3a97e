"""分县局排名: fair, explained, stable scores and ranks from per-bureau measures.

Pure core: `rank(now, ...)` takes measures frames (one row per bureau, as
`measures.by_bureau` returns them) and returns the ranking frame. The thin fetchers
`rank_window`, `rank_period`, `rank_28d`, `rank_ytd` read the windows through
`antifraud.measures`. The method is explained in docs/ranking.md.
"""
from __future__ import annotations

import calendar
import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtr

import queries
from antifraud import config, measures, metrics, stats
from antifraud.config import UsageError
from antifraud.periods import Period
from antifraud import periods

# The ranking's one comparison metric: 万人发案 now against the same window last year.
YOY = "cases_per_10k_yoy_pct"
YOY_LABEL = "万人发案同比"

# Denominators whose records must carry a field the bureau itself records. Counting only
# the records that have it would let "not recording" beat "recording", so the ranking
# counts a record lacking the field as a failure (worst case), then applies the
# catalogue formula unchanged.
FAIR_NOTES = {
    "fast_stop_rate": "按有止付冻结的全部案件计，缺转账或止付时间的案件记为未在30分钟内止付",
    "victimized_after_rate": "未反馈的预警按预警后被骗计",
}
# The ranking's stricter versions carry their own names, so a briefing never shows one
# label with two different numbers (the catalogue's rate in the KPI table, this one here).
FAIR_LABELS = {
    "fast_stop_rate": "30分钟止付率(缺时间计未达标)",
    "victimized_after_rate": "预警后被骗率(未反馈计入)",
}
# The sample size behind a rate whose denominator is money: the number of cases.
AMOUNT_UNITS = {"loss": "cases"}


@dataclass(frozen=True)
class Item:
    dimension: str
    metric: str
    weight: float
    direction: int

    @property
    def label(self) -> str:
        if self.metric == YOY:
            return YOY_LABEL
        return FAIR_LABELS.get(self.metric, metrics.get(self.metric).label)


@dataclass(frozen=True)
class Config:
    items: tuple[Item, ...]
    dimensions: tuple[tuple[str, str, float], ...]   # (id, label, weight)
    min_cases: int = 5
    resamples: int = 200
    seed: int = 20261124
    interval: float = 0.95
    prior_weeks: int = 52
    min_prior: float = 5.0
    max_prior: float = 500.0
    gap_metrics: int = 2

    def dimension_label(self, dim: str) -> str:
        return {d: label for d, label, _ in self.dimensions}.get(dim, dim)


def load_config(section: dict | None = None) -> Config:
    """The [ranking] section of settings.toml, checked; UsageError names what is wrong."""
    sec = config.setting("ranking", {}) if section is None else section
    dims = sec.get("dimensions") or {"strike": {"label": "打击", "weight": 1.0},
                                     "prevention": {"label": "防范", "weight": 1.0},
                                     "stop": {"label": "止付冻结", "weight": 1.0}}
    dimensions = tuple((str(k), str(v.get("label", k)), float(v.get("weight", 1.0)))
                       for k, v in dims.items())
    items = []
    for raw in sec.get("metrics", []):
        name = str(raw.get("metric", ""))
        dim = str(raw.get("dimension", ""))
        if name != YOY and name not in metrics.ALL:
            raise UsageError(f"排名设置中的指标不在指标目录中：{name}")
        if dim not in dims:
            raise UsageError(f"排名设置中的维度未定义：{dim}（指标 {name}）")
        if name != YOY:
            m = metrics.get(name)
            if not (m.kind == "rate" or m.denominator == "population"):
                raise UsageError(f"指标 {name}（{m.label}）不是比率或万人率，不能用于排名")
        default_dir = -1 if name == YOY else metrics.get(name).direction
        direction = int(raw.get("direction", default_dir))
        if direction not in (-1, 1):
            raise UsageError(f"排名指标 {name} 的方向必须为 1 或 -1")
        weight = float(raw.get("weight", 1.0))
        if weight < 0:
            raise UsageError(f"排名指标 {name} 的权重不能为负")
        items.append(Item(dim, name, weight, direction))
    if not items:
        raise UsageError("排名设置中没有指标（[[ranking.metrics]]）")
    return Config(items=tuple(items), dimensions=dimensions,
                  min_cases=int(sec.get("min_cases", 5)), resamples=int(sec.get("resamples", 200)),
                  seed=int(sec.get("seed", 20261124)), interval=float(sec.get("interval", 0.95)),
                  prior_weeks=int(sec.get("prior_weeks", 52)),
                  min_prior=float(sec.get("min_prior", 5)), max_prior=float(sec.get("max_prior", 500)),
                  gap_metrics=int(sec.get("gap_metrics", 2)))


# ---------------------------------------------------------------------------------------
# Observed counts behind each metric
# ---------------------------------------------------------------------------------------

def fair_measures(frame: pd.DataFrame) -> pd.DataFrame:
    """Measures with missing records counted as failures (see FAIR_NOTES)."""
    out = frame.copy()
    for col in ("cases", "fast_stop_n", "warnings", "victimized_after", "feedback_missing"):
        if col not in out:
            out[col] = 0.0
    # every case where money was stopped or frozen needs both times; one lacking them
    # counts as slow (cases where nothing was stopped say nothing about stop speed)
    out["fast_stop_den"] = np.maximum(out.get("stop_cases", out["cases"]), out.get("fast_stop_den", 0))
    out["victimized_after"] = np.minimum(out["victimized_after"] + out["feedback_missing"], out["warnings"])
    return out


@dataclass
class Observed:
    model: str           # binomial | poisson
    x: np.ndarray        # events (may be fractional for money ratios)
    n: np.ndarray        # trials (binomial) or exposure in the metric's units (poisson)
    raw: np.ndarray      # the metric as the catalogue defines it (NaN where undefined)


def _col(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame:
        return np.zeros(len(frame))
    return pd.to_numeric(frame[name], errors="coerce").fillna(0).to_numpy(float)


def _values(metric: metrics.Metric, frame: pd.DataFrame) -> np.ndarray:
    """The catalogue's own formula, row by row, on just the measures it reads."""
    cols = [c for c in (metric.numerator, metric.denominator) if c]
    data = {c: (pd.to_numeric(frame[c], errors="coerce").to_numpy(float) if c in frame
                else np.full(len(frame), np.nan)) for c in cols}
    rows = ({c: data[c][i] for c in cols} for i in range(len(frame)))
    return np.array([np.nan if (v := metric.value(row)) is None else v for row in rows], dtype=float)


def observe(item_metric: str, now: pd.DataFrame, last_year: pd.DataFrame | None) -> Observed:
    fair = fair_measures(now)
    if item_metric == YOY:
        per10k = metrics.get("cases_per_10k")
        last = fair_measures(last_year.reindex(now.index)) if last_year is not None else None
        x = _col(fair, "cases")
        before = _col(last, "cases") if last is not None else np.zeros(len(fair))
        now_v, last_v = _values(per10k, fair), (_values(per10k, last) if last is not None
                                                 else np.full(len(fair), np.nan))
        raw = np.array([np.nan if (p := stats.pct_change(None if math.isnan(a) else a,
                                                          None if math.isnan(b) else b)) is None else p
                        for a, b in zip(now_v, last_v)])
        # with the population fixed, the share of the two years' cases that fell this year
        return Observed("binomial", x, x + before, raw)
    m = metrics.get(item_metric)
    raw = _values(m, fair)
    if m.denominator == "population":
        return Observed("poisson", _col(fair, m.numerator), _col(fair, "population") / m.scale, raw)
    if m.denominator in AMOUNT_UNITS:
        n = _col(fair, AMOUNT_UNITS[m.denominator])
        share = np.clip(np.nan_to_num(raw, nan=0.0), 0.0, 1.0)
        return Observed("binomial", share * n, n, raw)
    return Observed("binomial", _col(fair, m.numerator), _col(fair, m.denominator), raw)


# ---------------------------------------------------------------------------------------
# Empirical Bayes shrinkage
# ---------------------------------------------------------------------------------------

@dataclass
class Prior:
    k: float             # pseudo-count (trials, or expected events for poisson)
    tau: float           # sd of the true rates between bureaus, in the window's rate units
    spread: float        # sd of a typical bureau's observed rate around the city: true + chance
    base: float          # reference city rate per exposure unit (poisson only)
    scale: float         # window length / reference length (poisson only)


def estimate_prior(obs: Observed, cfg: Config, scale: float = 1.0) -> Prior | None:
    """Method of moments: observed spread between bureaus minus the spread chance alone gives."""
    ok = obs.n > 0
    if ok.sum() == 0:
        return None
    x, n = obs.x[ok], obs.n[ok]
    total_x, total_n = x.sum(), n.sum()
    p = total_x / total_n
    if obs.model == "binomial":
        unit_var = p * (1 - p)
        if unit_var <= 0:
            return None
        spread = (n * (x / n - p) ** 2).sum() / total_n
        tau2 = spread - unit_var * ok.sum() / total_n
        k = unit_var / tau2 - 1 if tau2 > 0 else math.inf
        k = float(np.clip(k, cfg.min_prior, cfg.max_prior))
        tau = math.sqrt(unit_var / (k + 1))
        typical_n = total_n / ok.sum() * scale          # a typical bureau's trials in the window
        return Prior(k, tau, math.sqrt(tau ** 2 + unit_var / typical_n), p, 1.0)
    if p <= 0:
        return None
    expected = p * n
    spread = (expected * (x / expected - 1) ** 2).sum() / expected.sum()
    relvar = spread - ok.sum() / expected.sum()
    k = 1 / relvar if relvar > 0 else math.inf
    k = float(np.clip(k, cfg.min_prior, cfg.max_prior))
    rate = p * scale                                    # city rate per exposure unit in the window
    tau = rate / math.sqrt(k)
    return Prior(k, tau, math.sqrt(tau ** 2 + rate / (total_n / ok.sum())), p, scale)


def _weights(obs: Observed, prior: Prior) -> np.ndarray:
    if obs.model == "binomial":
        return obs.n / (obs.n + prior.k)
    expected = prior.base * prior.scale * obs.n
    return expected / (expected + prior.k)


def _shrink(x: np.ndarray, n: np.ndarray, w: np.ndarray):
    """Shrunk rates and the city rate; x, n may carry a leading axis of resamples."""
    city = x.sum(axis=-1, keepdims=True) / max(float(n.sum()), 1e-300)
    with np.errstate(invalid="ignore", divide="ignore"):
        own = np.where(n > 0, x / np.where(n > 0, n, 1), city)
    return w * own + (1 - w) * city, city


def _score(shrunk, city, direction: int, spread: float):
    # Divided by the observed spread (true + chance), not the true spread alone: where
    # bureaus hardly differ in truth the shrunk values sit near the city and score near 50
    # instead of having their leftover noise blown up.
    return 100.0 * ndtr(direction * (shrunk - city) / spread)


# ---------------------------------------------------------------------------------------
# The ranking
# ---------------------------------------------------------------------------------------

@dataclass
class _Part:
    item: Item
    obs: Observed
    prior: Prior
    w: np.ndarray
    shrunk: np.ndarray
    city: float
    score: np.ndarray


def _parts(now, last_year, reference, reference_last_year, scale, cfg) -> list[_Part]:
    parts = []
    for item in cfg.items:
        obs = observe(item.metric, now, last_year)
        ref = observe(item.metric, reference, reference_last_year)
        prior = estimate_prior(ref, cfg, scale)
        if prior is None or not prior.spread > 0 or obs.n.sum() <= 0:
            continue      # no information for anyone in this window: the metric drops out
        w = _weights(obs, prior)
        shrunk, city = _shrink(obs.x, obs.n, w)
        parts.append(_Part(item, obs, prior, w, shrunk, float(city[0]),
                           _score(shrunk, city, item.direction, prior.spread)))
    return parts


def _combine(scores: dict[str, np.ndarray], cfg: Config):
    """Metric scores -> dimension scores and the overall score (weights renormalised)."""
    dims = {}
    for dim, _, _ in cfg.dimensions:
        pairs = [(s, it.weight) for it, s in ((it, scores.get(it.metric + "@" + it.dimension))
                                              for it in cfg.items if it.dimension == dim)
                 if s is not None and it.weight > 0]
        if pairs:
            dims[dim] = sum(s * w for s, w in pairs) / sum(w for _, w in pairs)
    used = [(dims[d], w) for d, _, w in cfg.dimensions if d in dims and w > 0]
    overall = sum(s * w for s, w in used) / sum(w for _, w in used) if used else None
    return dims, overall


def _ranks(score: np.ndarray) -> np.ndarray:
    """1 + number of strictly better scores (equal scores share the better rank)."""
    s = np.round(score, 1)
    return 1 + (s[..., None, :] > s[..., :, None]).sum(axis=-1)


def change_q(score_now: np.ndarray, score_before: np.ndarray, sims_now: np.ndarray,
             sims_before: np.ndarray) -> np.ndarray:
    """q-values of each bureau's score change between two periods: the difference against the
    spread of both periods' resampled scores (normal approximation), BH over the bureaus."""
    var = np.var(sims_now, axis=0) + np.var(sims_before, axis=0)
    diff = np.asarray(score_now, float) - np.asarray(score_before, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(var > 0, diff / np.sqrt(var), 0.0)
    p = 2 * ndtr(-np.abs(z))
    return np.array([1.0 if q is None else q for q in stats.bh(p.tolist())])


def _resample(parts: list[_Part], cfg: Config, n_bureaus: int, seed_offset: int = 0):
    rng = np.random.default_rng(cfg.seed + seed_offset)
    draws = max(int(cfg.resamples), 1)
    scores = {}
    for part in parts:
        obs = part.obs
        if obs.model == "binomial":
            trials = np.round(obs.n).astype(np.int64)
            p = np.clip(np.nan_to_num(part.shrunk, nan=part.city), 0, 1)
            x = rng.binomial(trials, p, size=(draws, n_bureaus)).astype(float)
            n = trials.astype(float)
        else:
            x = rng.poisson(np.clip(part.shrunk * obs.n, 0, None), size=(draws, n_bureaus)).astype(float)
            n = obs.n
        shrunk, city = _shrink(x, n, part.w)
        scores[part.item.metric + "@" + part.item.dimension] = _score(
            shrunk, city, part.item.direction, part.prior.spread)
    _, overall = _combine(scores, cfg)
    return overall


def _gap(i: int, parts: list[_Part], cfg: Config) -> str:
    pulls = []
    total_dim = sum(w for _, _, w in cfg.dimensions)
    for part in parts:
        it = part.item
        dim_items = [p.item.weight for p in parts if p.item.dimension == it.dimension]
        dim_weight = next(w for d, _, w in cfg.dimensions if d == it.dimension)
        share = it.weight / max(sum(dim_items), 1e-9) * dim_weight / max(total_dim, 1e-9)
        raw = part.obs.raw
        if math.isnan(raw[i]) or np.isnan(raw).all():
            continue
        median_raw = float(np.nanmedian(raw))
        if it.direction * (raw[i] - median_raw) >= 0:
            continue          # not worse than the median: nothing to explain
        pull = share * (part.score[i] - float(np.median(part.score)))
        if pull < 0:
            pulls.append((pull, it, raw[i], median_raw))
    pulls.sort(key=lambda t: t[0])
    words = [f"{it.label} {format_metric(it.metric, v)}，全市中位 {format_metric(it.metric, med)}"
             for _, it, v, med in pulls[:cfg.gap_metrics]]
    return "；".join(words) if words else "各项指标均不低于全市中位"


def format_metric(name: str, value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if name == YOY:
        return f"{value:+.2f}%"
    return metrics.get(name).format(value)


def score_table(now: pd.DataFrame, last_year=None, reference=None, reference_last_year=None,
                scale: float = 1.0, cfg: Config | None = None):
    """(frame of scores without ranks, parts) — the deterministic half of `rank`."""
    cfg = cfg or load_config()
    now = now.copy()
    ref = now if reference is None else reference.reindex(now.index).fillna(0)
    ref_ly = last_year if reference is None else reference_last_year
    parts = _parts(now, last_year, ref, ref_ly, scale if reference is not None else 1.0, cfg)
    scores = {p.item.metric + "@" + p.item.dimension: p.score for p in parts}
    dims, overall = _combine(scores, cfg)
    out = pd.DataFrame(index=now.index)
    out["bureau_name"] = now.get("bureau_name")
    out["district_name"] = now.get("district_name")
    out["score"] = np.round(overall, 1) if overall is not None else 50.0
    for dim, _, _ in cfg.dimensions:
        out[f"score_{dim}"] = np.round(dims[dim], 1) if dim in dims else np.nan
    for p in parts:
        out[p.item.metric] = p.obs.raw
        out[p.item.metric + "_shrunk"] = p.shrunk
    return out, parts, overall


def rank(now: pd.DataFrame, last_year: pd.DataFrame | None = None, *,
         prev: pd.DataFrame | None = None, prev_last_year: pd.DataFrame | None = None,
         reference: pd.DataFrame | None = None, reference_last_year: pd.DataFrame | None = None,
         scale: float = 1.0, cfg: Config | None = None) -> pd.DataFrame:
    """The ranking frame (DATA.md's `ranking` rows), best first.

    now/last_year/prev/prev_last_year/reference*: measures per bureau (index bureau_id).
    The prior (how far bureaus truly differ) comes from `reference` (default: `now`);
    `scale` is the window's length over the reference's, for per-capita rates.
    """
    cfg = cfg or load_config()
    out, parts, overall = score_table(now, last_year, reference, reference_last_year, scale, cfg)
    n_bureaus = len(out)
    point = out["score"].to_numpy(float)
    out["rank"] = _ranks(point)
    sims = None
    if parts and n_bureaus:
        sims = _resample(parts, cfg, n_bureaus)
        sim_ranks = _ranks(sims)
        tail = (1 - cfg.interval) / 2
        low = np.floor(np.quantile(sim_ranks, tail, axis=0, method="lower"))
        high = np.ceil(np.quantile(sim_ranks, 1 - tail, axis=0, method="higher"))
        # the shown range always holds the shown rank
        out["rank_low"] = np.minimum(low, out["rank"]).astype(int)
        out["rank_high"] = np.maximum(high, out["rank"]).astype(int)
    else:
        out["rank_low"], out["rank_high"] = 1, n_bureaus
    out["rank_change"] = pd.array([pd.NA] * n_bureaus, dtype="Int64")
    out["rank_change_notable"] = False
    out["rank_change_q"] = np.nan
    if prev is not None and _has_data(prev):
        before, prev_parts, _ = score_table(prev.reindex(now.index), prev_last_year, reference,
                                            reference_last_year, scale, cfg)
        prev_rank = _ranks(before["score"].to_numpy(float))
        out["rank_change"] = pd.array(prev_rank - out["rank"].to_numpy(), dtype="Int64")
        if sims is not None and prev_parts:
            q = change_q(point, before["score"].to_numpy(float), sims,
                         _resample(prev_parts, cfg, n_bureaus, seed_offset=1))
            out["rank_change_q"] = q
            # a move is worth talking about only when the scores moved beyond chance, with the false
            # discovery rate controlled over every bureau (the same discipline as the KPI changes)
            out["rank_change_notable"] = (q <= stats.q_level()) & (prev_rank != out["rank"].to_numpy())
    cases = _col(now, "cases")
    out["cases"] = cases.astype(int)
    out["small_sample"] = cases < cfg.min_cases
    out["gap"] = [_gap(i, parts, cfg) for i in range(n_bureaus)]
    for col, values in completeness(now).items():
        out[col] = values
    out = out.reset_index().rename(columns={"index": "bureau_id"})
    out = out.sort_values(["rank", "bureau_id"], kind="stable").reset_index(drop=True)
    order = ["bureau_id", "bureau_name", "district_name", "rank", "score", "rank_change",
             "rank_low", "rank_high"] + [f"score_{d}" for d, _, _ in cfg.dimensions]
    out = out[order + [c for c in out.columns if c not in order]]
    out.attrs["metrics"] = [p.item.metric for p in parts]
    out.attrs["dropped"] = [it.metric for it in cfg.items if it.metric not in out.attrs["metrics"]]
    out.attrs["priors"] = {p.item.metric: round(p.prior.k, 2) for p in parts}
    return out


def _has_data(frame: pd.DataFrame) -> bool:
    return bool(_col(frame, "cases").sum() + _col(frame, "warnings").sum() > 0)


def completeness(now: pd.DataFrame) -> dict[str, np.ndarray]:
    """How complete each bureau's records are: counts of records lacking a field."""
    stop_cases, both = _col(now, "stop_cases"), _col(now, "fast_stop_den")
    warnings, fb = _col(now, "warnings"), _col(now, "feedback_missing")
    stop_missing = np.maximum(stop_cases - both, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = 1 - (stop_missing + fb) / (stop_cases + warnings)
    return {"stop_time_missing": stop_missing.astype(int),
            "cases_without_stop_times": np.maximum(_col(now, "cases") - both, 0).astype(int),
            "feedback_missing": fb.astype(int),
            "sign_missing": _col(now, "signed_missing").astype(int),
            "completeness": np.round(share, 4)}


# ---------------------------------------------------------------------------------------
# Fetching windows
# ---------------------------------------------------------------------------------------

def _year_back(day: dt.date) -> dt.date:
    return day.replace(year=day.year - 1, day=min(day.day, calendar.monthrange(day.year - 1, day.month)[1]))


def city_filters(filters: measures.Filters | None) -> measures.Filters:
    # every bureau is listed so a district sees its place; a type filter still applies
    return measures.Filters(types=tuple(filters.types) if filters else ())


def rank_window(start: dt.date, end: dt.date, filters: measures.Filters | None = None, *,
                last_year: tuple[dt.date, dt.date] | None = None,
                prev: tuple[dt.date, dt.date] | None = None,
                cfg: Config | None = None, provisional: bool = False) -> pd.DataFrame:
    """Ranking for [start, end] (inclusive); rank_change against `prev` when given.

    Computed once per window, settings and database stamp (queries.memo): the resampled rank
    ranges take ~0.1 s, and the page, the wall, the briefing and every viewer ask for the same.
    """
    cfg = cfg or load_config()
    key = (start, end, city_filters(filters), last_year, prev, cfg, provisional)
    return queries.memo("ranking", key, lambda: _rank_window(start, end, filters, last_year=last_year, prev=prev,
                                                             cfg=cfg, provisional=provisional)).copy()


def _rank_window(start: dt.date, end: dt.date, filters: measures.Filters | None, *,
                 last_year: tuple[dt.date, dt.date] | None, prev: tuple[dt.date, dt.date] | None,
                 cfg: Config, provisional: bool) -> pd.DataFrame:
    f = city_filters(filters)
    ly = last_year or (_year_back(start), _year_back(end))
    days = (end - start).days + 1
    ref_start = end - dt.timedelta(days=max(days, 7 * cfg.prior_weeks) - 1)
    first = _first_day()
    if first is not None and ref_start < first:
        # weeks before the first data would read as weeks without cases and dilute the rates
        ref_start = min(first, start)
    ref = (ref_start, end)
    ref_days = (end - ref_start).days + 1
    spans = {"now": (start, end), "last_year": ly, "reference": ref,
             "reference_last_year": (_year_back(ref[0]), _year_back(ref[1]))}
    if prev:
        spans.update(prev=prev, prev_last_year=(_year_back(prev[0]), _year_back(prev[1])))
    frames = dict(zip(spans, measures.by_bureau_windows(list(spans.values()), f)))   # one read per table
    now = frames.pop("now")
    out = rank(now, **frames, scale=days / ref_days, cfg=cfg)
    out["provisional"] = provisional
    no_data = measures.data_span().state(start, end) == periods.NO_DATA
    if no_data:       # nothing to rank: a table of zeros would still name a first and a last
        out = out.iloc[0:0]
    out.attrs.update(start=start.isoformat(), end=end.isoformat(), provisional=provisional, no_data=no_data)
    return out


def _first_day() -> dt.date | None:
    return measures.data_span().first_day


def is_provisional(period: Period) -> bool:
    """A period that is not complete is ranked provisionally, never as final (DATA.md)."""
    return measures.data_span().of(period) != periods.COMPLETE


def _period(period: Period | str) -> Period:
    return periods.parse(period) if isinstance(period, str) else period


def rank_period(period: Period | str, filters: measures.Filters | None = None,
                cfg: Config | None = None) -> pd.DataFrame:
    """The week's (or month's) ranking; `provisional` is set while the period is incomplete."""
    p = _period(period)
    ly = p.last_year()
    return rank_window(p.start, p.end, filters, last_year=(ly.start, ly.end),
                       prev=(p.prev().start, p.prev().end), cfg=cfg, provisional=is_provisional(p))


def rank_28d(period: Period | str, filters: measures.Filters | None = None,
             cfg: Config | None = None) -> pd.DataFrame:
    """The last 28 days to the period's end, against the 28 days before."""
    p = _period(period)
    return rank_window(*p.last_28(), filters, prev=p.prev_28(), cfg=cfg, provisional=is_provisional(p))


def rank_ytd(period: Period | str, filters: measures.Filters | None = None,
             cfg: Config | None = None) -> pd.DataFrame:
    """Year to date, against the year to date at the end of the previous period."""
    p = _period(period)
    before = p.prev()
    prev = (before.ytd()) if before.end.year == p.end.year else None
    return rank_window(*p.ytd(), filters, last_year=p.ytd_last_year(), prev=prev, cfg=cfg,
                       provisional=is_provisional(p))


def report_sections(period: Period | str, filters: measures.Filters | None = None) -> dict[str, list[dict]]:
    """The report JSON's `ranking`, `ranking_28d` and `ranking_ytd` lists."""
    cfg = load_config()
    return {"ranking": to_records(rank_period(period, filters, cfg)),
            "ranking_28d": to_records(rank_28d(period, filters, cfg)),
            "ranking_ytd": to_records(rank_ytd(period, filters, cfg))}


JSON_FIELDS = ("bureau_id", "bureau_name", "rank", "score", "rank_change", "rank_low", "rank_high")


def to_records(frame: pd.DataFrame) -> list[dict]:
    """The ranking rows for the report's JSON: plain ints, floats, bools, strings, None."""
    rows = []
    for _, r in frame.iterrows():
        row = {}
        for col, v in r.items():
            if col.endswith("_shrunk"):
                continue
            if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
                row[col] = None
            elif isinstance(v, (np.bool_, bool)):
                row[col] = bool(v)
            elif isinstance(v, (np.integer, int)):
                row[col] = int(v)
            elif isinstance(v, (np.floating, float)):
                row[col] = round(float(v), 6)
            else:
                row[col] = str(v)
        rows.append(row)
    return rows


# ---------------------------------------------------------------------------------------
# Screen tables (Chinese headers); the page only places them
# ---------------------------------------------------------------------------------------

def rank_range(low, high) -> str:
    return f"{int(low)}" if int(low) == int(high) else f"{int(low)}–{int(high)}"


def change_text(value, notable: bool = True) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "—"
    value = int(value)
    if value == 0:
        return "持平"
    arrow = f"↑{value}" if value > 0 else f"↓{-value}"
    return arrow if notable else f"{arrow}（不显著）"


def screen_table(frame: pd.DataFrame, cfg: Config | None = None, mine: tuple[str, ...] = ()) -> pd.DataFrame:
    """The ranking as the meeting reads it: ranges, changes, dimension scores, gaps, marks."""
    cfg = cfg or load_config()
    out = pd.DataFrame({
        # a bureau with too few cases gets its range only, never an exact place
        "排名": ["—" if small else str(int(r)) for r, small in zip(frame["rank"], frame["small_sample"])],
        "排名区间": [rank_range(a, b) for a, b in zip(frame["rank_low"], frame["rank_high"])],
        "分县局": frame["bureau_name"].astype(str),
        "总分": frame["score"],
        "排名变化": [change_text(v, bool(n)) for v, n in zip(frame["rank_change"], frame["rank_change_notable"])],
    })
    for dim, label, _ in cfg.dimensions:
        out[label] = frame[f"score_{dim}"]
    out["发案数"] = frame["cases"].astype(int)
    out["样本"] = np.where(frame["small_sample"], "样本不足", "")
    out["差距（与全市中位比）"] = frame["gap"]
    if mine:
        out.insert(3, "本辖区", np.where(frame["bureau_id"].isin(mine), "★", ""))
    return out


def completeness_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Per bureau, how complete its records are (missing fields count against it in the scores)."""
    return pd.DataFrame({
        "分县局": frame["bureau_name"].astype(str),
        "有止付但缺时间": frame["stop_time_missing"],
        "案件缺止付时间": frame["cases_without_stop_times"],
        "预警未反馈": frame["feedback_missing"],
        "预警未签收": frame["sign_missing"],
        "记录完整率": frame["completeness"],
    })


RATE_LABELS = {m.label for m in metrics.ALL.values() if m.kind == "rate"} | set(FAIR_LABELS.values())


def metric_columns(frame: pd.DataFrame, cfg: Config | None = None) -> pd.DataFrame:
    """Each ranking metric as observed (the values behind the scores), Chinese headers."""
    cfg = cfg or load_config()
    out = pd.DataFrame({"分县局": frame["bureau_name"].astype(str)})
    for name in frame.attrs.get("metrics", [it.metric for it in cfg.items]):
        if name in frame:
            label = YOY_LABEL + "(%)" if name == YOY else FAIR_LABELS.get(name, metrics.get(name).label)
            out[label] = frame[name]
    return out

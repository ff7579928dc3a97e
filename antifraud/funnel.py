"""Figures of the ranking page: the funnel plot and the rank ranges.

Funnel plot: each bureau's rate against its denominator, with 95% and 99.8% limits.

A bureau outside the funnel differs from the city by more than chance at its volume,
without a league table. Limits are exact binomial (rates) or Poisson (per-10k) quantiles
around the city rate; for money ratios (止付冻结率, 挽损率) the number of cases stands in
for the denominator, as in the ranking (docs/ranking.md).
"""
from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from scipy import stats as sps

from antifraud import charts, metrics, ranking

LIMITS = ((0.95, "95%"), (0.998, "99.8%"))


def choices(cfg: ranking.Config | None = None) -> list[str]:
    """Metrics a funnel can show: the ranking's rates and per-10k rates (not the YoY comparison)."""
    cfg = cfg or ranking.load_config()
    names = [it.metric for it in cfg.items if it.metric != ranking.YOY]
    extra = [m.name for m in metrics.CATALOGUE if m.kind == "rate" or m.denominator == "population"]
    return list(dict.fromkeys(names + extra))


def axis_label(metric: str) -> str:
    m = metrics.get(metric)
    if m.denominator == "population":
        return "常住人口（万人）"
    if m.denominator in ranking.AMOUNT_UNITS:
        return "案件数"
    return {"cases": "案件数", "warnings": "预警数", "fast_stop_den": "案件数"}.get(m.denominator, "分母")


def _quantile(dist, q: float, smooth: bool) -> np.ndarray:
    """Spiegelhalter's interpolated quantile: smooth limits from a discrete distribution.

    Lines are drawn smoothed; a bureau is flagged only beyond the plain discrete quantile,
    so the best possible result at a tiny denominator is never called an outlier."""
    r = dist.ppf(q)
    if not smooth:
        return r
    upper, lower = dist.cdf(r), dist.cdf(r - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = np.where(upper > lower, (upper - q) / (upper - lower), 0.0)
    return np.maximum(r - alpha, 0.0)


def _bounds(model: str, p: float, n: np.ndarray, level: float, smooth: bool = True):
    tail = (1 - level) / 2
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        if model == "binomial":
            trials = np.maximum(np.round(n), 1)
            dist, size = sps.binom(trials, p), trials
        else:
            dist, size = sps.poisson(p * n), n
        return _quantile(dist, tail, smooth) / size, _quantile(dist, 1 - tail, smooth) / size


def points(measures: pd.DataFrame, metric: str) -> tuple[pd.DataFrame, float, str]:
    """(one row per bureau with rate, denominator and where it falls; city rate; model)."""
    obs = ranking.observe(metric, measures, None)
    ok = obs.n > 0
    city = float(obs.x[ok].sum() / obs.n[ok].sum()) if ok.any() and obs.n[ok].sum() > 0 else float("nan")
    out = pd.DataFrame({"bureau_id": measures.index.astype(str),
                        "bureau_name": measures.get("bureau_name", pd.Series(index=measures.index)).values,
                        "denominator": obs.n, "value": obs.raw})
    out["outside"] = ""
    if ok.any() and np.isfinite(city):
        rate = np.where(ok, obs.x / np.where(ok, obs.n, 1), np.nan)
        for level, name in LIMITS:
            lo, hi = _bounds(obs.model, city, obs.n, level, smooth=False)
            beyond = ok & ((rate < lo - 1e-12) | (rate > hi + 1e-12))
            out.loc[beyond, "outside"] = name
    # per-10k rates: the denominator is already in 10k persons (population / scale)
    return out[ok].reset_index(drop=True), city, obs.model


def limits(city: float, model: str, n_max: float, n_min: float = 1.0, steps: int = 160) -> pd.DataFrame:
    """Limit curves over a grid of denominators."""
    lo_n = max(n_min, 1.0 if model == "binomial" else 1e-3)
    grid = np.unique(np.geomspace(lo_n, max(n_max, lo_n * 2) * 1.1, steps))
    if model == "binomial":
        grid = np.unique(np.maximum(np.round(grid), 1))
    out = pd.DataFrame({"n": grid})
    for level, name in LIMITS:
        lo, hi = _bounds(model, city, grid, level)
        out[f"lo_{name}"], out[f"hi_{name}"] = lo, hi
    return out


def figure_of(parts: dict) -> go.Figure:
    """The figure of a `spec` (which it does not change: a kept spec draws again)."""
    return charts.figure(copy.deepcopy(parts["data"]), **copy.deepcopy(parts["layout"]))


def spec(measures: pd.DataFrame, metric: str, title: str | None = None) -> dict:
    """What the funnel plot draws — the traces and the layout — as plain lists and dicts."""
    m = metrics.get(metric)
    pts, city, model = points(measures, metric)
    percent = m.kind == "rate"
    k = 100.0 if percent else 1.0
    unit = "%" if percent else m.unit
    layout = dict(xaxis=dict(title=axis_label(metric)), yaxis=dict(title=f"{m.label}（{unit}）"))
    title = title or f"{m.label}漏斗图（全市 {m.format(city) if city == city else '—'}）"
    if pts.empty or not np.isfinite(city):
        return {"data": [], "layout": dict(title=title, height=460, annotations=[dict(
            text="本期无可用数据", showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5)], **layout)}
    lim = limits(city, model, float(pts["denominator"].max()), float(pts["denominator"].min()) * 0.8)
    data = []
    for (_, name), dash in zip(LIMITS, ("dash", "dot")):
        for side in ("lo", "hi"):
            data.append(dict(type="scatter", x=lim["n"].tolist(), y=(lim[f"{side}_{name}"] * k).tolist(), mode="lines",
                             line=dict(color=charts.GREY, dash=dash, width=1.5), name=f"{name} 控制限",
                             legendgroup=name, showlegend=side == "lo", hoverinfo="skip"))
    shape, notes = charts.hline(city * k, dict(color=charts.NOW, width=1.5), f"全市 {m.format(city)}", "top left")
    better = pts["value"] > city if m.direction >= 0 else pts["value"] < city
    colour = np.where(pts["outside"] == "", charts.NOW,
                      np.where(better, charts.GREEN, charts.RED) if m.direction else charts.NOW)
    size = np.where(pts["outside"] == "99.8%", 16, np.where(pts["outside"] == "95%", 12, 9))
    data.append(dict(
        type="scatter", x=pts["denominator"].tolist(), y=(pts["value"] * k).tolist(), mode="markers+text",
        text=pts["bureau_name"].tolist(), textposition="top center",
        marker=dict(color=colour.tolist(), size=size.tolist(), line=dict(width=0)), name="分县局",
        customdata=np.stack([pts["value"].map(m.format), pts["outside"].replace("", "限内")], axis=1).tolist(),
        hovertemplate="%{text}<br>" + m.label + " %{customdata[0]}<br>" + axis_label(metric)
                      + " %{x:,.1f}<br>%{customdata[1]}<extra></extra>"))
    layout["xaxis"]["type"] = "log" if pts["denominator"].max() / max(pts["denominator"].min(), 1e-9) > 20 else "linear"
    return {"data": data, "layout": dict(title=title, height=460, shapes=[shape], annotations=notes, **layout)}


def rank_ranges(frame: pd.DataFrame, title: str = "排名区间（重叠即不可区分）") -> go.Figure:
    """One bar per bureau from rank_low to rank_high, the rank as a dot; best at the top."""
    data = frame.sort_values(["rank", "bureau_id"])
    names = (data["bureau_name"].astype(str) + np.where(data["small_sample"], "（样本不足）", "")).tolist()
    traces = [dict(type="bar", y=names, x=(data["rank_high"] - data["rank_low"] + 0.6).tolist(),
                   base=(data["rank_low"] - 0.3).tolist(), orientation="h", marker=dict(color=charts.BEFORE),
                   customdata=np.stack([data["rank_low"], data["rank_high"]], axis=1).tolist(),
                   hovertemplate="%{y}: 第%{customdata[0]}–%{customdata[1]}名<extra></extra>"),
              dict(type="scatter", y=names, x=data["rank"].tolist(), mode="markers",
                   marker=dict(color=charts.NOW, size=10), hovertemplate="%{y}: 第%{x}名<extra></extra>")]
    return charts.figure(traces, title, max(320, 28 * len(data) + 90), showlegend=False,
                         xaxis=dict(title="名次", range=[0.4, len(data) + 0.6], dtick=1),
                         yaxis=dict(autorange="reversed", type="category"))

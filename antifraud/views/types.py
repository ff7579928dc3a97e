"""Builders for 诈骗类型: the type mix against two baselines, rising types, loss and victims per type."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from antifraud import config, metrics, significance, stats
from antifraud.periods import Period

AGE_BANDS = ("<18", "18-29", "30-44", "45-59", "60+", "未知")


def baseline_window(period: Period, weeks: int = 4) -> tuple[dt.date, dt.date]:
    """The `weeks` weeks just before the period (inclusive dates)."""
    return period.start - dt.timedelta(days=7 * weeks), period.start - dt.timedelta(days=1)


def mix(now: pd.DataFrame, last4: pd.DataFrame, last_year: pd.DataFrame, period_days: int,
        weeks: int = 4) -> pd.DataFrame:
    """Per type: cases now, the last `weeks` weeks scaled to the period's length, last year;
    shares of each window (descriptive: what is announced as rising is `rising`)."""
    def series(frame, col="cases"):
        if frame is None or frame.empty:
            return pd.Series(dtype=float)
        return frame.set_index("fraud_type")[col].astype(float)
    a, b, c = series(now), series(last4) * (period_days / (7 * weeks)), series(last_year)
    loss = series(now, "loss")
    out = pd.DataFrame({"cases": a, "baseline": b, "last_year": c, "loss": loss}).fillna(0.0)
    out.index.name = "fraud_type"
    for col, share in (("cases", "share"), ("baseline", "share_baseline"), ("last_year", "share_last_year")):
        total = out[col].sum()
        out[share] = out[col] / total if total else 0.0
    out["avg_loss"] = [metrics.get("avg_loss").value({"loss": l, "cases": n}) for l, n in zip(out.loss, out.cases)]
    out = out.reset_index().sort_values(["cases", "fraud_type"], ascending=[False, True])
    return out.reset_index(drop=True)


def rising(changes: pd.DataFrame) -> pd.DataFrame:
    """The types announced as rising (measures.type_changes: beyond chance, the false discovery
    rate controlled over every type), strongest first, with a one-line reason."""
    cols = ["诈骗类型", "本期发案", "说明", "q值"]
    if changes is None or changes.empty:
        return pd.DataFrame(columns=cols)
    r = changes[changes.flag == "rise"].sort_values(["q", "fraud_type"])
    return pd.DataFrame({"诈骗类型": r.fraud_type, "本期发案": r.cases.astype(int), "说明": r.reason,
                         "q值": [float(f"{q:.3g}") for q in r.q]})[cols].reset_index(drop=True)


def rising_rule() -> str:
    ks = "、".join(str(k) for k in significance.recent_weeks())
    return (f"近{ks}周发案高于此前{significance.baseline_weeks()}周水平（间隔{significance.guard_weeks()}周；"
            f"按月时与上月比），精确计数检验并按该类型自身的周间波动放宽，{stats.rule_text()}；"
            f"本期至少{int(config.setting('hotspots.min_cases', 3))}起。")


def mix_table(mixed: pd.DataFrame) -> pd.DataFrame:
    avg = metrics.get("avg_loss")
    return pd.DataFrame({
        "诈骗类型": mixed.fraud_type, "本期发案": mixed.cases.astype(int),
        "本期占比(%)": (mixed.share * 100).round(2), "前4周占比(%)": (mixed.share_baseline * 100).round(2),
        "去年同期发案": mixed.last_year.astype(int), "去年同期占比(%)": (mixed.share_last_year * 100).round(2),
        "损失(万元)": (mixed.loss / 10000).round(2),
        avg.label + "(万元)": [None if v is None else round(v / 10000, 2) for v in mixed.avg_loss],
    })


def shares_for_chart(mixed: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"fraud_type": mixed.fraud_type, "now": mixed.share * 100,
                         "baseline": mixed.share_baseline * 100, "last_year": mixed.share_last_year * 100})


def age_matrix(profile: pd.DataFrame, order: list[str] | None = None) -> pd.DataFrame:
    """fraud_type × age band counts."""
    if profile is None or profile.empty:
        return pd.DataFrame(columns=list(AGE_BANDS))
    m = profile.pivot_table(index="fraud_type", columns="victim_age_band", values="cases", aggfunc="sum", fill_value=0)
    cols = [b for b in AGE_BANDS if b in m.columns] + [b for b in m.columns if b not in AGE_BANDS]
    m = m.reindex(columns=cols, fill_value=0).astype(int)
    if order:
        m = m.reindex([t for t in order if t in m.index] + [t for t in m.index if t not in order])
    return m


def gender_shares(profile: pd.DataFrame, order: list[str] | None = None) -> pd.DataFrame:
    """fraud_type, 男, 女, 未知 as percentages of the type's cases."""
    if profile is None or profile.empty:
        return pd.DataFrame(columns=["fraud_type", "男", "女"])
    m = profile.pivot_table(index="fraud_type", columns="victim_gender", values="cases", aggfunc="sum", fill_value=0)
    cols = [g for g in ("男", "女", "未知") if g in m.columns] + [g for g in m.columns if g not in ("男", "女", "未知")]
    m = m.reindex(columns=cols, fill_value=0)
    m = (m.div(m.sum(axis=1), axis=0) * 100).round(1)
    if order:
        m = m.reindex([t for t in order if t in m.index] + [t for t in m.index if t not in order])
    return m.reset_index()

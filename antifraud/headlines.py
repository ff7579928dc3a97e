"""Headline sentences in Chinese, written from the KPIs (pure: dicts and frames in, strings out).

    sentences(kpis, type_shift=None, kind="week", state="complete", max_sentences=5) -> list[str]

`kpis` is `measures.kpis(...)` (the report-JSON shape). `type_shift` is a frame with one
row per fraud type and the columns `fraud_type`, `cases`, `loss` (this period) and
`cases_before`, `loss_before` (the previous period, the same one 环比 uses), e.g. from
`antifraud.views.overview.type_shift`. The report calls this with the same inputs, so
the wall and the briefing read the same sentences.

Rules (documented in docs/pages.md):
1. 发案 and 损失 with their 环比; "（显著）" when the change is significant (|z| ≥ warn_z;
   amounts have no test, so 损失 is never called significant). When 损失 rose, the type
   with the largest rise in loss is named ("主要来自…").
2. 同比 of 发案 and 损失, and the year-to-date count with its 同比.
3. 止付冻结率, 挽损率 and 30分钟止付率 (with its 环比 in percentage points when significant).
4. 预警数, 劝阻成功率 (its 环比 in points when significant), 超期率 and 预警后被骗率.
5. Fraud types whose cases rose significantly against the previous period ("a→b起").
A sentence whose numbers are all missing is left out.
"""
from __future__ import annotations

import math

from antifraud import config, metrics, periods, stats


def _word(pct: float | None) -> str | None:
    if pct is None or (isinstance(pct, float) and math.isnan(pct)):
        return None
    if abs(pct) < 0.05:
        return "持平"
    return f"{'上升' if pct > 0 else '下降'}{abs(pct):.1f}%"


def _sig(flag: str) -> str:
    return "（显著）" if flag else ""


def _fmt(name: str, value) -> str:
    return metrics.get(name).format(value)


def _change(k: dict, key: str, flag_key: str, label: str) -> str | None:
    w = _word(k.get(key))
    return f"{label}{w}{_sig(k.get(flag_key, ''))}" if w else None


def _points(k: dict, prev_key: str) -> str | None:
    """A rate's change in percentage points, only when significant."""
    now, before = k.get("value"), k.get(prev_key)
    if now is None or before is None or not k.get("flag"):
        return None
    diff = (now - before) * 100
    return f"环比{'上升' if diff > 0 else '下降'}{abs(diff):.2f}个百分点，显著"


def _main_type(type_shift) -> str | None:
    if type_shift is None or len(type_shift) == 0:
        return None
    rise = type_shift["loss"].astype(float) - type_shift["loss_before"].astype(float)
    if rise.max() <= 0:
        return None
    return str(type_shift.loc[rise.idxmax(), "fraud_type"])


def rising_types(type_shift, limit: int = 3, min_cases: int | None = None) -> list[tuple[str, int, int]]:
    """(type, before, now) for types whose cases rose significantly (Poisson z ≥ warn_z), largest z first.

    A type needs at least `min_cases` cases now (default settings hotspots.min_cases, 3):
    0 → 2 is "significant" by the Poisson test but not news.
    """
    if min_cases is None:
        min_cases = int(config.setting("hotspots.min_cases", 3))
    if type_shift is None or len(type_shift) == 0:
        return []
    out = []
    for row in type_shift.itertuples(index=False):
        now, before = int(row.cases or 0), int(row.cases_before or 0)
        z = stats.poisson_z(now, before)
        if now > before and now >= min_cases and stats.flag(z) == "rise":
            out.append((z, str(row.fraud_type), before, now))
    out.sort(key=lambda t: (-t[0], t[1]))
    return [(t, b, n) for _, t, b, n in out[:limit]]


def _rate_phrases(kpis: dict, names, prev_key: str) -> list[str]:
    """「止付冻结率21.74%（环比上升4.14个百分点，显著）」 for each rate that has a value."""
    out = []
    for name in names:
        k = kpis.get(name, {})
        if k.get("value") is not None:
            text = f"{metrics.get(name).label}{_fmt(name, k['value'])}"
            pts = _points(k, prev_key)
            out.append(f"{text}（{pts}）" if pts else text)
    return out


def sentences(kpis: dict, type_shift=None, kind: str = "week", state: str = periods.COMPLETE,
              max_sentences: int = 5) -> list[str]:
    """Three to five headline sentences for a period (see the module docstring for the rules).

    A period the data does not reach gets none (the page says why); a provisional one is named
    so, and its KPIs carry no changes to report (measures.kpis blanks them).
    """
    prev_key, change_key = ("prev_week", "wow_pct") if kind == "week" else ("prev_month", "mom_pct")
    word = "本周" if kind == "week" else "本月"
    if state == periods.NO_DATA:
        return []
    if state == periods.PROVISIONAL:
        word += "（临时数据）"
    out: list[str] = []
    c, loss = kpis.get("cases", {}), kpis.get("loss", {})

    if c.get("value") is not None:
        parts = [f"{word}发案{int(c['value'])}起"]
        ch = _change(c, change_key, "flag", "环比")
        if ch:
            parts[0] += f"，{ch}"
        if loss.get("value") is not None:
            lp = f"损失{_fmt('loss', loss['value'])}"
            ch = _change(loss, change_key, "flag", "环比")
            if ch:
                lp += f"，{ch}"
            main = _main_type(type_shift) if (loss.get(change_key) or 0) > 0 else None
            if main:
                lp += f"，主要来自{main}"
            parts.append(lp)
        out.append("；".join(parts) + "。")

    yoy = [x for x in (_change(c, "yoy_pct", "flag_yoy", "发案"), _change(loss, "yoy_pct", "flag_yoy", "损失")) if x]
    if yoy or c.get("ytd") is not None:
        s = ("与去年同期相比，" + "，".join(yoy)) if yoy else ""
        if c.get("ytd") is not None:
            ytd = f"年初以来累计发案{int(c['ytd'])}起"
            w = _word(c.get("ytd_yoy_pct"))
            if w:
                ytd += f"，同比{w}"
            s = f"{s}；{ytd}" if s else ytd
        out.append(s + "。")

    money = _rate_phrases(kpis, ("interception_rate", "recovery_rate", "fast_stop_rate"), prev_key)
    if money:
        out.append("，".join(money) + "。")

    w = kpis.get("warnings", {})
    if w.get("value"):
        parts = [f"预警{int(w['value'])}条"]
        parts += _rate_phrases(kpis, ("dissuasion_rate", "overdue_rate", "victimized_after_rate"), prev_key)
        out.append("，".join(parts) + "。")

    rising = rising_types(type_shift)
    if rising:
        out.append("上升明显的类型：" + "、".join(f"{t}（{b}→{n}起）" for t, b, n in rising) + "。")
    return out[:max_sentences]

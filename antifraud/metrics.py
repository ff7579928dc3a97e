"""The metric catalogue (DATA.md), defined once: name, label, unit, formula, direction.

Every metric is a ratio of additive *measures* (or a measure alone), so the same
definition works for one bureau, the whole city, a week or a year: sum the measures,
then divide. The UI, the report, the ranking and the tests all read this table.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    kind: str              # count | amount | rate | per_10k | minutes | yuan_per_case
    numerator: str         # measure name
    denominator: str | None = None
    scale: float = 1.0
    direction: int = 0     # +1: higher is better; -1: lower is better; 0: neutral
    test: str = "none"     # significance: poisson (counts) | proportion (rates) | compound (money) | none
    definition: str = ""
    headline: bool = False
    count_unit: str = "起"  # what one counted thing is called: 起 cases, 条 warnings, 人 arrests
    variance: str | None = None  # for compound: the measure holding the sum of squared amounts
    events: str | None = None    # for compound: the measure counting what the amounts belong to (cases)

    @property
    def unit(self) -> str:
        return self.count_unit if self.kind == "count" else UNITS[self.kind]

    def value(self, measures) -> float | None:
        """The metric from a mapping/Series of measures; None where undefined."""
        num = _get(measures, self.numerator)
        if self.denominator is None:
            return num
        den = _get(measures, self.denominator)
        if num is None or den is None or den == 0:
            return None
        return num / den * self.scale

    def format(self, value, wan: bool = True) -> str:
        return format_value(self.kind, value, wan, self.count_unit)


UNITS = {"count": "起", "amount": "万元", "rate": "%", "per_10k": "起/万人",
         "minutes": "分钟", "yuan_per_case": "万元", "number": ""}


def _get(measures, name):
    try:
        v = measures[name]
    except (KeyError, IndexError):
        return None
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return None
    return float(v)


def format_value(kind: str, value, wan: bool = True, count_unit: str = "起") -> str:
    """Screen formats: 万元 with two decimals, percent with two decimals."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if kind in ("amount", "yuan_per_case"):
        return f"{value / 10000:,.2f}万元" if wan else f"{value:,.2f}元"
    if kind == "rate":
        return f"{value * 100:.2f}%"
    if kind == "per_10k":
        return f"{value:.2f}"
    if kind == "minutes":
        return f"{value:.1f}分钟"
    if kind == "count":
        return f"{int(round(value)):,}{count_unit}" if abs(value - round(value)) < 1e-9 else f"{value:,.1f}"
    return f"{value:,.0f}"


CATALOGUE: tuple[Metric, ...] = (
    Metric("cases", "发案数", "count", "cases", direction=-1, test="poisson", headline=True,
           definition="按报案时间统计的电信网络诈骗案件数"),
    Metric("cases_per_10k", "万人发案", "per_10k", "cases", "population", 10000, -1, "poisson",
           "发案数 ÷ 常住人口 × 1万（人口为2020年七普数据，功能区为估计值）"),
    Metric("loss", "损失金额", "amount", "loss", direction=-1, headline=True, test="compound",
           variance="loss_sq", events="cases",
           definition="案件涉案（被骗）金额之和，单位万元；显著性按复合泊松方差（各案损失平方和）检验"),
    Metric("avg_loss", "案均损失", "yuan_per_case", "loss", "cases", direction=-1,
           definition="损失金额 ÷ 发案数"),
    Metric("stopped", "止付金额", "amount", "stopped", direction=+1, definition="止付金额之和"),
    Metric("frozen", "冻结金额", "amount", "frozen", direction=+1, definition="冻结金额之和"),
    Metric("returned", "返还金额", "amount", "returned", direction=+1, definition="返还（挽回）金额之和"),
    Metric("interception_rate", "止付冻结率", "rate", "intercepted", "loss", direction=+1,
           test="none", headline=True, definition="（止付金额 + 冻结金额）÷ 损失金额"),
    Metric("recovery_rate", "挽损率", "rate", "returned", "loss", direction=+1,
           definition="返还金额 ÷ 损失金额"),
    Metric("fast_stop_rate", "30分钟止付率", "rate", "fast_stop_n", "fast_stop_den", direction=+1,
           test="proportion", definition="最后转账至止付不超过30分钟的案件占同时有两个时间的案件之比"),
    Metric("solved_rate", "破案率", "rate", "solved", "cases", direction=+1, test="proportion",
           definition="状态为“已破案”的案件 ÷ 发案数"),
    Metric("warnings", "预警数", "count", "warnings", direction=0, test="poisson",
           definition="按下发时间统计的预警指令数", count_unit="条"),
    # not tested: 劝阻成功数 = 预警数 × 劝阻成功率, both tested; announcing it too would say one change twice
    Metric("dissuaded", "劝阻成功数", "count", "dissuaded", direction=+1, test="none",
           definition="劝阻结果为“劝阻成功”的预警数", count_unit="条"),
    Metric("dissuasion_rate", "劝阻成功率", "rate", "dissuaded", "warnings", direction=+1,
           test="proportion", headline=True, definition="劝阻成功数 ÷ 预警数"),
    Metric("overdue_rate", "超期率", "rate", "overdue", "warnings", direction=-1, test="proportion",
           definition="反馈晚于时限（高30分钟、中2小时、低24小时，可配置），或时限已过仍未反馈的预警 ÷ 预警数"),
    Metric("victimized_after_rate", "预警后被骗率", "rate", "victimized_after", "warnings",
           direction=-1, test="proportion", definition="劝阻后仍发案的预警 ÷ 预警数"),
    Metric("median_sign_minutes", "签收用时(中位)", "minutes", "median_sign_minutes", direction=-1,
           definition="签收时间 − 下发时间 的中位数（分钟）"),
    Metric("arrests", "抓获", "count", "arrests", direction=+1, test="poisson",
           definition="抓获（刑拘）人数之和", count_unit="人"),
    Metric("gangs", "打掉团伙", "count", "gangs", direction=+1, test="poisson", definition="打掉团伙数之和",
           count_unit="个"),
    Metric("dens", "捣毁窝点", "count", "dens", direction=+1, test="poisson", definition="捣毁窝点数之和",
           count_unit="个"),
    Metric("cards_frozen", "冻结卡数", "count", "cards_frozen", direction=+1, test="poisson",
           definition="冻结银行卡数之和", count_unit="张"),
)

BY_NAME = {m.name: m for m in CATALOGUE}

# Derived metrics used by the ranking; not in DATA.md's catalogue but defined the same way.
EXTRA: tuple[Metric, ...] = (
    Metric("arrests_per_10k", "万人抓获", "per_10k", "arrests", "population", 10000, +1, "none",
           "抓获人数 ÷ 常住人口 × 1万"),
    Metric("gangs_per_10k", "万人打掉团伙", "per_10k", "gangs", "population", 10000, +1, "none",
           "打掉团伙数 ÷ 常住人口 × 1万"),
    Metric("dens_per_10k", "万人捣毁窝点", "per_10k", "dens", "population", 10000, +1, "none",
           "捣毁窝点数 ÷ 常住人口 × 1万"),
)
ALL = {m.name: m for m in CATALOGUE + EXTRA}

# Additive measures the queries return (median_sign_minutes is the one non-additive).
MEASURES = ("cases", "loss", "stopped", "frozen", "returned", "intercepted", "solved",
            "fast_stop_n", "fast_stop_den", "stop_cases", "loss_sq", "warnings", "dissuaded", "overdue",
            "victimized_after", "feedback_missing", "signed_missing", "avoided_loss",
            "arrests", "gangs", "dens", "cards_frozen", "population")


def get(name: str) -> Metric:
    return ALL[name]


def values(measures) -> dict[str, float | None]:
    """Every catalogue metric from one row of measures."""
    return {m.name: m.value(measures) for m in CATALOGUE}


def table(measures: pd.DataFrame, names=None) -> pd.DataFrame:
    """Metrics for each row of a measures frame (e.g. one row per bureau): what `Metric.value`
    gives row by row, computed a column at a time (blank where undefined)."""
    chosen = [ALL[n] for n in names] if names else list(CATALOGUE)
    out = pd.DataFrame(index=measures.index)
    for m in chosen:
        values = _column(measures, m.numerator)
        if m.denominator is not None:
            den = _column(measures, m.denominator)
            values = values / den.where(den != 0) * m.scale
        # as a list of values and None would be: floats with NaN, or all None
        out[m.name] = [None] * len(values) if len(values) and values.isna().all() else values.to_numpy()
    return out


def _column(measures: pd.DataFrame, name: str) -> pd.Series:
    if name not in measures:
        return pd.Series(float("nan"), index=measures.index)
    return pd.to_numeric(measures[name], errors="coerce").astype(float)

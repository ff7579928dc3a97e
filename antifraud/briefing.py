"""The briefing (会商材料 / 月度通报) assembled once, from the dashboard's own queries.

`build(period, filters)` gathers every section into one `Briefing`; the md, json and
xlsx renderers only lay it out. Every figure comes from the same place the pages take
it from: `measures` (KPIs and per-bureau measures), `metrics` (definitions and
formats), `ranking`, `hotspots`, `headlines`. Nothing here recomputes a metric.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import pandas as pd

import queries
from antifraud import clock, config, headlines, hotspots, measures, metrics, periods, ranking, significance, stats
from antifraud import units as units_mod
from antifraud.measures import Filters
from antifraud.periods import Period
from antifraud.views import areas as area_views
from antifraud.views.overview import type_shift

# Labels of the non-metric columns of the briefing's tables (metric columns take the catalogue's).
COLUMN_LABELS = {
    "bureau_id": "单位代码", "bureau_name": "分县局", "district_name": "辖区", "station": "派出所",
    "township": "乡镇街道", "fraud_type": "诈骗类型", "rank": "名次", "score": "综合得分",
    "rank_change": "名次变化", "rank_low": "最好可能名次", "rank_high": "最差可能名次",
    "gap": "差距", "cases_prev": "上期发案", "cases_last_year": "去年同期发案",
    "change_pct": "环比(%)", "yoy_pct": "同比(%)", "z": "z值", "flag": "显著变化", "q": "q值", "p": "p值",
    "share": "占比", "overdue": "超期数", "overdue_high": "高级别超期",
    "victimized_after": "预警后被骗数", "loss_prev": "上期损失", "population": "常住人口",
    "metric": "指标", "label": "指标", "issued": "发布时数值", "current": "现数值",
    "difference": "变化", "issued_at": "发布时间", "issued_data_as_of": "发布时数据截至",
    "weeks_rising": "连续上升周数", "trend": "走势", "note": "说明", "reason": "依据",
    "baseline": "基线", "run": "连续上升周数", "place": "地点",
}

TYPE_FILTER_NOTE = "打击战果（抓获、团伙、窝点、冻结卡）不分诈骗类型，按类型筛选时仍为全部类型。"


def column_label(col: str) -> str:
    if col in metrics.ALL:
        return metrics.ALL[col].label
    return COLUMN_LABELS.get(col, col)


def column_kind(col: str) -> str | None:
    """Number format kind of a briefing column (metric kind, or a known plain column)."""
    if col in metrics.ALL:
        return metrics.ALL[col].kind
    if col in ("cases_prev", "cases_last_year", "overdue", "overdue_high", "victimized_after",
               "rank", "rank_low", "rank_high", "rank_change", "population", "run"):
        return "count"
    if col in ("loss_prev",):
        return "amount"
    if col in ("share",):
        return "rate"
    if col in ("change_pct", "yoy_pct"):
        return "pct"
    if col == "z":
        return "z"
    if col in ("q", "p"):
        return "q"
    if col == "baseline":
        return "per_10k"      # two decimals
    if col == "score":
        return "score"
    return None


@dataclass
class Briefing(periods.SpanView):
    period: Period
    filters: Filters
    districts: list[str]                     # district names of filters.bureaus ([] = whole city)
    bureau_names: list[str]
    span: periods.DataSpan                   # what the data covers (the period's state, data_as_of)
    no_data: bool                            # nothing to report: the data does not reach the period, or it is empty
    kpis: dict
    headlines: list[str] = field(default_factory=list)
    areas: pd.DataFrame = field(default_factory=pd.DataFrame)
    hotspots: pd.DataFrame = field(default_factory=pd.DataFrame)
    bureaus: pd.DataFrame = field(default_factory=pd.DataFrame)      # measures per bureau (yuan)
    interception: pd.DataFrame = field(default_factory=pd.DataFrame)
    warnings: pd.DataFrame = field(default_factory=pd.DataFrame)
    overdue: pd.DataFrame = field(default_factory=pd.DataFrame)               # overdue_warnings rows
    units: pd.DataFrame = field(default_factory=pd.DataFrame)                 # for names: renderers never query
    types: pd.DataFrame = field(default_factory=pd.DataFrame)
    ranking: pd.DataFrame = field(default_factory=pd.DataFrame)
    ranking_28d: pd.DataFrame = field(default_factory=pd.DataFrame)
    ranking_ytd: pd.DataFrame = field(default_factory=pd.DataFrame)
    alerts: list[str] = field(default_factory=list)
    tasks: object | None = None                                               # 督办: tasks.present.Section
    revisions: pd.DataFrame = field(default_factory=pd.DataFrame)
    generated_at: dt.datetime = field(default_factory=clock.stamp)
    notes: list[str] = field(default_factory=list)
    ranking_notes: list[str] = field(default_factory=list)

    @property
    def last_import(self) -> dt.datetime | None:
        return self.span.last_import_at

    @property
    def title(self) -> str:
        scope = "、".join(self.districts) if self.districts else str(config.setting("city.name", "全市"))
        doc = "电信网络诈骗研判会商材料" if self.kind == "week" else "电信网络诈骗月度通报"
        return f"{scope}{self.period.label}{doc}"

    @property
    def prev_label(self) -> str:
        return "上周" if self.kind == "week" else "上月"

    @property
    def now_label(self) -> str:
        return "本周" if self.kind == "week" else "本月"

    @property
    def change_key(self) -> str:
        return "wow_pct" if self.kind == "week" else "mom_pct"

    @property
    def prev_key(self) -> str:
        return "prev_week" if self.kind == "week" else "prev_month"

    @property
    def change_label(self) -> str:
        return "环比"


# ---------------------------------------------------------------- inputs: period and filters

def choose_period(week: str | None = None, month: str | None = None,
                  span: periods.DataSpan | None = None) -> Period:
    """--week / --month, or the latest complete week in the data (DataSpan.default_week).
    A malformed period is a UsageError."""
    text = week or month
    if text:
        try:
            period = periods.parse(text)
        except ValueError as exc:
            raise config.UsageError(str(exc)) from None
        if (week and period.kind != "week") or (month and period.kind != "month"):
            raise config.UsageError(f"周期格式不对：{text}（--week 用 2026-W47，--month 用 2026-11）")
        return period
    return (span or measures.data_span()).default_week()


def known_types() -> set[str]:
    """The canonical fraud types (ingest's list) and any type present in the data."""
    found = set(queries.run("fraud_types_present")["fraud_type"].dropna().astype(str))
    try:
        from antifraud.ingest.vocab import FRAUD_TYPES
        found |= set(FRAUD_TYPES)
    except ImportError:      # a bare install without ingest still reports on what it holds
        pass
    return found


def resolve_filters(districts=(), types=()) -> Filters:
    """District/bureau names (any alias) and fraud types -> Filters; unknown names are a UsageError."""
    units = queries.run("units")
    mapping = units_mod.alias_map(units)
    bureaus: list[str] = []
    for name in districts or ():
        bid = mapping.get(units_mod.clean_name(name))
        if bid is None:
            raise config.UsageError(f"未知的分县局或辖区：{str(name)[:40]}")
        if bid not in bureaus:
            bureaus.append(bid)
    chosen: list[str] = []
    if types:
        known = known_types()
        for t in types:
            t = units_mod.clean_name(t)
            if t not in known:
                raise config.UsageError(f"未知的诈骗类型：{t[:40]}")
            if t not in chosen:
                chosen.append(t)
    return Filters(bureaus=tuple(bureaus), types=tuple(chosen))


def district_names(filters: Filters) -> tuple[list[str], list[str]]:
    units = queries.run("units").set_index("bureau_id")
    ids = [b for b in filters.bureaus if b in units.index]
    return ([str(units.at[b, "district_name"]) for b in ids], [str(units.at[b, "bureau_name"]) for b in ids])


# ---------------------------------------------------------------- sections

def _params(start: dt.date, end: dt.date, filters: Filters) -> dict:
    return {"start": start, "end": end + dt.timedelta(days=1), **filters.params()}


def _names() -> pd.DataFrame:
    return queries.run("units")[["bureau_id", "bureau_name", "district_name"]]


def per_bureau(period: Period, filters: Filters) -> pd.DataFrame:
    """Measures (yuan) and every catalogue metric per bureau for the period: the pages' numbers."""
    frame = measures.by_bureau(period.start, period.end, filters, medians=True)
    table = metrics.table(frame)
    out = frame[["bureau_name", "district_name"]].join(
        frame[[c for c in metrics.MEASURES if c in frame and c not in table]]).join(table)
    return out.reset_index()


def interception_table(bureaus: pd.DataFrame) -> pd.DataFrame:
    cols = ["bureau_name", "cases", "loss", "stopped", "frozen", "interception_rate", "fast_stop_rate",
            "returned", "recovery_rate"]
    out = bureaus[["bureau_id"] + cols].copy()
    return out.sort_values(["interception_rate", "loss"], ascending=[True, False],
                           na_position="last").reset_index(drop=True)


def overdue_warnings(period: Period, filters: Filters) -> pd.DataFrame:
    """The 预警劝阻 page's overdue list (`overdue_warnings`, the centre's time limits)."""
    return queries.run("overdue_warnings", **_params(period.start, period.end, filters))


def warnings_table(bureaus: pd.DataFrame, overdue: pd.DataFrame) -> pd.DataFrame:
    high = overdue[overdue.level == "高"].groupby("bureau_id")["warning_id"].count()
    out = bureaus[["bureau_id", "bureau_name", "warnings", "dissuaded", "dissuasion_rate", "overdue",
                   "overdue_rate", "victimized_after", "victimized_after_rate",
                   "median_sign_minutes"]].copy()
    out.insert(6, "overdue_high", out.bureau_id.map(high).fillna(0).astype(int))
    for c in ("warnings", "dissuaded", "overdue", "victimized_after"):
        out[c] = out[c].fillna(0).astype(int)
    return out.sort_values(["overdue", "overdue_high", "warnings"], ascending=False).reset_index(drop=True)


def type_totals(period: Period, filters: Filters) -> dict[str, pd.DataFrame]:
    """The 本周态势 page's `type_totals` for this period, the previous one and last year."""
    chosen = {"now": period, "prev": period.prev(), "last_year": period.last_year()}
    return dict(zip(chosen, measures.type_totals([(p.start, p.end) for p in chosen.values()], filters)))


def types_table(totals: dict[str, pd.DataFrame], changes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Cases and loss per fraud type: now, previous period, last year; q and flag of the types'
    announced rises (significance.type_changes), as the 诈骗类型 page shows them."""
    out = type_shift(totals["now"], totals["prev"]).set_index("fraud_type")
    last = totals["last_year"].set_index("fraud_type")["cases"] if len(totals["last_year"]) else pd.Series(dtype=float)
    out = out.rename(columns={"cases_before": "cases_prev", "loss_before": "loss_prev"})
    out["cases_last_year"] = pd.to_numeric(last, errors="coerce").reindex(out.index).fillna(0)
    missing = last.index.difference(out.index)
    for t in missing:      # a type seen only last year still shows its fall
        out.loc[t, ["cases", "loss", "cases_prev", "loss_prev", "cases_last_year"]] = [0, 0, 0, 0, float(last[t])]
    for c in ("cases", "cases_prev", "cases_last_year"):
        out[c] = out[c].fillna(0).astype(int)
    total = out["cases"].sum()
    out["share"] = out["cases"] / total if total else float("nan")
    out["change_pct"] = [_r(stats.pct_change(a, b)) for a, b in zip(out.cases, out.cases_prev)]
    out["yoy_pct"] = [_r(stats.pct_change(a, b)) for a, b in zip(out.cases, out.cases_last_year)]
    found = (changes.set_index("fraud_type") if changes is not None and len(changes)
             else pd.DataFrame(columns=["q", "flag"]))
    out["q"] = [found["q"].get(t) if t in found.index else None for t in out.index]
    out["flag"] = [found["flag"].get(t, "") if t in found.index else "" for t in out.index]
    out = out.reset_index()
    cols = ["fraud_type", "cases", "share", "cases_prev", "change_pct", "cases_last_year", "yoy_pct",
            "q", "flag", "loss", "loss_prev"]
    return out.sort_values(["cases", "loss", "fraud_type"], ascending=[False, False, True])[cols].reset_index(drop=True)


def place_weeks(period: Period) -> tuple[dt.date, dt.date]:
    """The weeks the 高发区域 page reads from `area_weekly_places` (baselines and history included)."""
    return area_views.places_window(period, hotspots.history_weeks())


def areas_table(places: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Busiest stations: `hotspots.top_places`, as the 高发区域 page lists them."""
    n = int(config.setting("hotspots.top_n", 10))
    top = hotspots.top_places(places, period.start, period.end, level="station", n=n)
    top = top.rename(columns={"place": "station"})
    return top.merge(_names()[["bureau_id", "bureau_name"]], on="bureau_id", how="left")[
        ["bureau_id", "bureau_name", "station", "cases", "baseline", "change_pct"]]


def hotspots_table(places: pd.DataFrame, period: Period, span: periods.DataSpan) -> pd.DataFrame:
    """Emerging hot spots of the period's (last) week, as the 高发区域 page finds them. Each row
    names its township and the station with most cases there that week."""
    week = area_views.hot_week(period)
    found = hotspots.emerging(places, week.start, covered=area_views.week_covered(span))
    cols = ["bureau_id", "bureau_name", "township", "station", "level", "cases", "baseline", "run", "z",
            "p", "q", "reason"]
    if found.empty:
        return pd.DataFrame(columns=cols)
    found = found.merge(_names()[["bureau_id", "bureau_name"]], on="bureau_id", how="left")
    this = places.copy()
    this["week_start"] = pd.to_datetime(this["week_start"]).dt.date
    this = this[this.week_start == week.start].copy()
    for c in ("township", "station"):
        this[c] = this[c].fillna("（未注明）").astype(str)
    level = found["level"].iloc[0]
    other = "station" if level == "township" else "township"
    found[level] = found["place"]
    main = (this.groupby(["bureau_id", level, other])["cases"].sum().reset_index()
            .sort_values(["cases", other], ascending=[False, True]).drop_duplicates(["bureau_id", level]))
    found = found.merge(main[["bureau_id", level, other]], on=["bureau_id", level], how="left")
    return found[cols].reset_index(drop=True)


def ranking_tables(period: Period, filters: Filters) -> dict[str, pd.DataFrame]:
    """The ranking lists every bureau even in one bureau's briefing, so its place is visible."""
    return {"ranking": ranking.rank_period(period, filters).reset_index(drop=True),
            "ranking_28d": ranking.rank_28d(period, filters).reset_index(drop=True),
            "ranking_ytd": ranking.rank_ytd(period, filters).reset_index(drop=True)}


def headline_sentences(b: Briefing, totals: dict[str, pd.DataFrame], rising: pd.DataFrame) -> list[str]:
    """The wall's sentences: `headlines.sentences` over the same KPIs, type shift and rising types."""
    return list(headlines.sentences(b.kpis, type_shift(totals["now"], totals["prev"]), b.kind, b.state,
                                    rising=rising))


def alert_lines(b: Briefing) -> list[str]:
    """The announced KPI changes (the wall's opening slide), then emerging hot spots and overdue 高 warnings."""
    out = []
    for c in significance.significant_changes(b.kpis, b.kind):
        for comparison, words, q, flag, tone, level in c.parts:
            lvl = "极显著" if level == "alarm" else "显著"
            tone_word = {"good": "向好", "bad": "需关注"}.get(tone, "")
            arrow = "上升" if flag == "rise" else "下降"
            out.append(f"{c.label}{comparison}{arrow}{words.lstrip('+-')}（{lvl}，q={q:.3g}）{tone_word}".rstrip())
    if len(b.hotspots):
        for r in b.hotspots.head(5).itertuples(index=False):
            place = "".join(str(x) for x in (getattr(r, "bureau_name", ""), getattr(r, "township", ""),
                                             getattr(r, "station", "")) if x and str(x) != "nan")
            note = getattr(r, "note", None) or getattr(r, "reason", None)
            out.append(f"新出现热点：{place}" + (f"，{note}" if note else f"，本期{int(r.cases)}起"))
    if len(b.warnings) and b.warnings["overdue_high"].sum() > 0:
        w = b.warnings.sort_values(["overdue_high", "bureau_id"], ascending=[False, True])
        top = w.iloc[0]
        out.append(f"高级别预警超期{int(w.overdue_high.sum())}条，最多的是{top.bureau_name}（{int(top.overdue_high)}条）")
    victims = b.kpis["victimized_after_rate"]
    if b.kpis["warnings"]["value"] and victims["value"]:
        n = int(round(victims["value"] * b.kpis["warnings"]["value"]))
        out.append(f"预警后被骗{n}起")
    return out


def _r(v, digits=2):
    return None if v is None else round(v, digits)


def task_section(period: Period, filters: Filters, span: periods.DataSpan, b: Briefing):
    """「五、督办事项」 from the tasks' own store; a store that cannot be read is a note, never a lost briefing."""
    from antifraud.tasks import fetch as task_fetch, store as task_store
    try:
        return task_fetch.briefing_section(period, filters, lambda p: span.of(p) == periods.COMPLETE)
    except task_store.StoreError as exc:
        b.notes.append(f"督办事项未能读取：{exc}")
        return None


# ---------------------------------------------------------------- assembly

def build(period: Period, filters: Filters = Filters(), with_revisions: bool = True) -> Briefing:
    span = measures.data_span()
    districts, bureau_names = district_names(filters)
    kpis = measures.period_figures(period, filters, span).kpis
    counts = ("cases", "warnings", "arrests", "gangs", "dens", "cards_frozen")
    no_data = all(not kpis[c]["value"] for c in counts)
    b = Briefing(period=period, filters=filters, districts=districts, bureau_names=bureau_names,
                 span=span, no_data=no_data, kpis=kpis)
    b.bureaus = per_bureau(period, filters)
    b.interception = interception_table(b.bureaus)
    b.overdue = overdue_warnings(period, filters)
    b.units = queries.run("units")
    b.warnings = warnings_table(b.bureaus, b.overdue)
    totals = type_totals(period, filters)
    rising = measures.type_changes(period, filters, span)
    b.types = types_table(totals, rising)
    first, end = place_weeks(period)
    places = queries.run("area_weekly_places", start=first, end=end, **filters.params())
    b.areas = areas_table(places, period)
    b.hotspots = hotspots_table(places, period, span)
    for key, frame in ranking_tables(period, filters).items():
        setattr(b, key, frame)
    # the ranking counts missing records as failures; say so, or its rates look like a second figure
    b.ranking_notes = [f"排名口径：{metrics.get(name).label}{note}，故可能与指标表中的数值不同"
                       for name, note in getattr(ranking, "FAIR_NOTES", {}).items()]
    b.headlines = [] if no_data else headline_sentences(b, totals, rising)
    b.alerts = [] if no_data else alert_lines(b)
    if filters.types:
        b.notes.append(TYPE_FILTER_NOTE)
    b.tasks = task_section(period, filters, span, b)
    if with_revisions:
        from antifraud import archive
        b.revisions = archive.briefing_revisions(b)
    return b


# ---------------------------------------------------------------- json

def _plain(v):
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        v = v.item()
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return None
        return v
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    if isinstance(v, (dt.datetime, dt.date)):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


def records(frame: pd.DataFrame) -> list[dict]:
    if frame is None or frame.empty:
        return []
    return [{str(k): _plain(v) for k, v in row.items() if not str(k).endswith("_shrunk")}
            for row in frame.to_dict(orient="records")]


def to_json(b: Briefing) -> dict:
    """The report's JSON (DATA.md): rates are fractions, amounts yuan, counts integers."""
    out: dict = {b.kind: b.period.key, "start": b.period.start.isoformat(), "end": b.period.end.isoformat(),
                 "label": b.period.label, "provisional": bool(b.provisional), "districts": list(b.districts),
                 "types": list(b.filters.types),
                 "data_as_of": b.data_as_of.isoformat(timespec="seconds") if b.data_as_of else None,
                 "no_data": bool(b.no_data), "kpis": b.kpis,
                 "ranking": ranking.to_records(b.ranking), "ranking_28d": ranking.to_records(b.ranking_28d),
                 "ranking_ytd": ranking.to_records(b.ranking_ytd), "hotspots": records(b.hotspots),
                 "alerts": list(b.alerts), "headlines": list(b.headlines),
                 "areas": records(b.areas), "interception": records(b.interception),
                 "warnings_by_bureau": records(b.warnings), "fraud_types": records(b.types),
                 "overdue_warnings": records(b.overdue),
                 "tasks": list(b.tasks.records) if b.tasks is not None else [],
                 "revisions": records(b.revisions),
                 "generated_at": b.generated_at.isoformat(timespec="seconds"),
                 "marking": str(config.setting("marking.text", "") or "")}
    return out

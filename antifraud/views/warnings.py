"""Builders for 预警劝阻: warnings by level/source/result, per-bureau rates and times, overdue list."""
from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

import queries

from antifraud import config, metrics
from antifraud.views.common import district_names

TILES = ("warnings", "dissuasion_rate", "overdue_rate", "victimized_after_rate", "median_sign_minutes", "dissuaded")
LEVELS = ("高", "中", "低")
RESULTS = ("劝阻成功", "已被骗", "无法联系", "误报", "处置中")


def limits() -> dict[str, int]:
    """Overdue limits in minutes per level, as the database counted them (set from
    settings [warnings].limit_minutes at the last import); settings where the database has none."""
    raw = config.setting("warnings.limit_minutes", {}) or {}
    out = {"high": int(raw.get("高", 30)), "mid": int(raw.get("中", 120)), "low": int(raw.get("低", 1440))}
    built = queries.run("overdue_limits")
    for key in out:
        if not built.empty and pd.notna(built.at[0, key]):
            out[key] = int(built.at[0, key])
    return out


def crosstab(breakdown: pd.DataFrame, by: str) -> pd.DataFrame:
    """Warnings per `by` (level or source) × result, rows in the usual order, a 合计 column."""
    if breakdown is None or breakdown.empty:
        return pd.DataFrame(columns=[by, *RESULTS, "合计"])
    f = breakdown.copy()
    f[by] = f[by].fillna("（未注明）").astype(str)
    f["result"] = f["result"].fillna("（未注明）").astype(str)
    m = f.groupby([by, "result"])["warnings"].sum().unstack("result", fill_value=0)   # pivot_table, faster
    results = [r for r in RESULTS if r in m.columns] + [r for r in m.columns if r not in RESULTS]
    m = m.reindex(columns=results, fill_value=0).astype(int)
    m["合计"] = m.sum(axis=1)
    order = [lv for lv in LEVELS if lv in m.index] + sorted(i for i in m.index if i not in LEVELS) \
        if by == "level" else m.sort_values("合计", ascending=False).index.tolist()
    return m.loc[order].reset_index()


def bureau_table(by_bureau: pd.DataFrame, times: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Per bureau: warnings, dissuasion, overdue and post-warning victimisation; median sign/feedback minutes."""
    names = district_names(units)
    rates = metrics.table(by_bureau, ["dissuasion_rate", "overdue_rate", "victimized_after_rate"])
    t = times[times["bureau_id"].notna()].set_index("bureau_id") if times is not None and len(times) else pd.DataFrame()
    def col(name):
        return [None if t.empty or i not in t.index or pd.isna(t.at[i, name]) else round(float(t.at[i, name]), 1)
                for i in by_bureau.index]
    out = pd.DataFrame({
        "区县": [names.get(str(i), str(i)) for i in by_bureau.index],
        "预警数": by_bureau["warnings"].astype(int).values,
        "劝阻成功": by_bureau["dissuaded"].astype(int).values,
        metrics.get("dissuasion_rate").label + "(%)": (rates["dissuasion_rate"].astype(float) * 100).round(2).values,
        "超期数": by_bureau["overdue"].astype(int).values,
        metrics.get("overdue_rate").label + "(%)": (rates["overdue_rate"].astype(float) * 100).round(2).values,
        "预警后被骗": by_bureau["victimized_after"].astype(int).values,
        metrics.get("victimized_after_rate").label + "(%)":
            (rates["victimized_after_rate"].astype(float) * 100).round(2).values,
        metrics.get("median_sign_minutes").label + "(分钟)": col("median_sign_minutes"),
        "反馈用时(中位,分钟)": col("median_feedback_minutes"),
    })
    return out.sort_values(["超期数", "区县"], ascending=[False, True]).reset_index(drop=True)


# rows of the overdue list the page shows (高 first); the downloads hold the whole list
OVERDUE_SHOWN = 500


def overdue_table(frame: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """The overdue warnings with their times; 超时 = feedback minutes − limit (blank: no feedback yet)."""
    cols = ["预警编号", "区县", "派出所", "级别", "来源", "诈骗类型", "下发时间", "签收时间", "反馈时间",
            "签收用时(分钟)", "反馈用时(分钟)", "时限(分钟)", "超时(分钟)", "劝阻结果"]
    if frame is None or frame.empty:
        return pd.DataFrame(columns=cols)
    names = district_names(units)

    def when(s, missing):
        # pyarrow formats a column at once; pandas' strftime goes value by value (~10 ms per column)
        text = pd.Series(pc.strftime(pa.array(pd.to_datetime(s)), format="%m-%d %H:%M").to_pandas(),
                         index=s.index).astype("str")
        return text.where(s.notna(), missing)
    feedback = pd.to_numeric(frame["feedback_minutes"], errors="coerce")
    return pd.DataFrame({
        "预警编号": frame["warning_id"].astype(str), "区县": frame["bureau_id"].map(names).fillna(frame["bureau_id"]),
        "派出所": frame["station"].fillna("").astype(str), "级别": frame["level"].fillna("").astype(str),
        "来源": frame["source"].fillna("").astype(str), "诈骗类型": frame["fraud_type"].fillna("").astype(str),
        "下发时间": when(frame["issued_at"], ""), "签收时间": when(frame["signed_at"], "未签收"),
        "反馈时间": when(frame["feedback_at"], "未反馈"),
        "签收用时(分钟)": pd.to_numeric(frame["sign_minutes"], errors="coerce").round(0),
        "反馈用时(分钟)": feedback.round(0), "时限(分钟)": frame["limit_minutes"].astype(int),
        "超时(分钟)": (feedback - frame["limit_minutes"]).round(0),
        "劝阻结果": frame["result"].fillna("").astype(str),
    })[cols].reset_index(drop=True)


def overdue_by_bureau(frame: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Counts of the overdue list per bureau and level (for the bar chart)."""
    if frame is None or frame.empty:
        return pd.DataFrame(columns=["区县", *LEVELS, "合计"])
    names = district_names(units)
    f = frame.assign(区县=frame["bureau_id"].map(names).fillna(frame["bureau_id"]))
    m = f.groupby(["区县", "level"])["warning_id"].count().unstack("level", fill_value=0)   # pivot_table, faster
    m = m.reindex(columns=list(LEVELS), fill_value=0).astype(int)
    m["合计"] = m.sum(axis=1)
    return m.sort_values("合计", ascending=False).reset_index()


WALL_OVERDUE_COLUMNS = ("区县", "派出所", "诈骗类型", "下发时间", "反馈时间", "超时(分钟)", "劝阻结果")


def wall_overdue(table: pd.DataFrame, level: str = "高", n: int = 10) -> tuple[pd.DataFrame, str, int]:
    """The wall's overdue list: `level` warnings of `overdue_table`, the bureau with the most first
    (each by issue time), the first `n` rows; the one-line summary; how many rows were left out.

    超时 is blank in `overdue_table` while no feedback came; the wall says 未反馈 there instead.
    """
    if table is None or table.empty:
        return pd.DataFrame(columns=list(WALL_OVERDUE_COLUMNS)), "本期没有超期预警。", 0
    mine = table[table["级别"] == level]
    per = mine["区县"].value_counts()
    line = f"共{len(table)}条超期（{level}级{len(mine)}条）"
    if len(per):
        line += f"，其中{per.index[0]}{int(per.iloc[0])}条"
    rank = mine["区县"].map({b: i for i, b in enumerate(per.index)})
    # stable: overdue_table already lists each bureau's warnings by issue time
    ordered = mine.assign(_rank=rank).sort_values("_rank", kind="stable")
    shown = ordered.head(n)[list(WALL_OVERDUE_COLUMNS)].copy()
    late = shown["超时(分钟)"]
    shown["超时(分钟)"] = [f"{v:,.0f}" if pd.notna(v) else "未反馈" for v in late]
    return shown.reset_index(drop=True), line, max(0, len(mine) - n)

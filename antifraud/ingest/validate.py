"""One extract's string table → typed rows for the store, rejected rows with a reason, and
the labels nobody recognised. All of it in one DuckDB pass over the whole table.

Only the columns the vocabulary maps are carried past this point, so personal columns
(names, ID numbers, phones, card numbers, addresses, 简要案情) never reach the database,
the reject report or a message.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import duckdb
import pandas as pd
import pyarrow as pa

from antifraud import units as units_mod
from antifraud.ingest import values as V
from antifraud.ingest.read import Raw
from antifraud.ingest.vocab import FIELD_KIND, ID_FIELD, OTHER_TYPE, Layout, Vocab

MAX_AMOUNT = 10 ** 10        # 100亿元: beyond this a cell is a pasted number, not money
SKIP_FIRST_CELL = r"^(合\s*计|总\s*计|小\s*计)"
FOOTER = r"^(制表|填报|审核|导出|打印|统计人|统计时间|备注|注[:：]|说明|数据来源|单位[:：])"


@dataclass
class Parsed:
    frame: pd.DataFrame                  # one row per key, canonical columns
    rejects: pd.DataFrame                # row_number, reason, the file's kept columns
    rows_read: int                       # data rows (title, header, 合计 and blank rows excluded)
    rows_accepted: int                   # rows_read - rejected (duplicates included)
    duplicates: int = 0                  # accepted rows superseded by a later row with the same key
    unknown_labels: dict = field(default_factory=dict)


def _order(kind: str) -> list[str]:
    """Reason precedence: the id, the other must-have columns, then the rest in table order."""
    kinds = FIELD_KIND[kind]
    return sorted(kinds, key=lambda f: (not kinds[f].startswith("id"), not kinds[f].endswith("!")))


def parse(raw: Raw, layout: Layout, vocab: Vocab, units: pd.DataFrame, progress=None) -> Parsed:
    kind, columns = layout.kind, layout.columns
    labels = vocab.labels[kind]
    kept = sorted({0, *(i for i, _ in columns.values())} & set(range(len(raw.headers))))
    table = pa.table({f"c{i}": V.fold_column(raw.table.column(f"c{i}")) for i in kept}
                     | {"_row": raw.table.column("_row")})
    con = duckdb.connect()
    try:
        con.register("raw", table)
        con.register("_vmap", vocab.value_table())
        con.register("_ftype", vocab.fraud_type_table())
        alias = units_mod.alias_map(units)
        con.register("_alias", pd.DataFrame({"key": list(alias), "bureau_id": list(alias.values())}))
        sql, params, unknown_cols = _query(kind, columns, kept, labels, raw)
        con.execute(f"CREATE TEMP TABLE parsed AS {sql}", params)
        if progress:
            progress()
        return _split(con, kind, columns, labels, raw, unknown_cols)
    finally:
        con.close()


HIDDEN = "（含号码，已隐去）"


def _lookup(how: str, f: str, label: str):
    """(value, unknown label, error) over one distinct raw value `d.raw`, plus the join it needs.

    Labels, bureaus, ages and free text repeat a lot, so they are worked out once per
    distinct value and joined back, rather than once per row."""
    raw, shown = "d.raw", f"coalesce({V.text('d.raw')}, '{HIDDEN}')"
    if how == "bureau":
        return ("LEFT JOIN _alias m ON m.key = regexp_replace(d.raw, '\\s+', '', 'g')", "m.bureau_id", "NULL",
                f"CASE WHEN d.raw <> '' AND m.bureau_id IS NULL THEN '未知{label}「' || left({shown}, 30) || '」' END")
    if how == "text":
        return "", V.text(raw), "NULL", "NULL"
    if how == "fraud_type":
        return (f"LEFT JOIN _ftype m ON m.key = {V.key(raw)}",
                f"CASE WHEN d.raw = '' THEN '{OTHER_TYPE}' ELSE coalesce(m.value, '{OTHER_TYPE}') END",
                f"CASE WHEN d.raw <> '' AND m.value IS NULL THEN {shown} END", "NULL")
    group = {"bool": "bool", "age": "age_band"}.get(how, how.split(":")[-1])
    join = f"LEFT JOIN _vmap m ON m.grp = '{group}' AND m.key = {V.key(raw)}"
    if how == "bool":
        value = "CAST(m.value = 'true' AS BOOLEAN)"
    elif how == "age":
        value = f"coalesce({V.age_band(V.age_number(raw))}, m.value)"
    elif group == "gender":
        value = "m.value"
    else:
        value = f"coalesce(m.value, {V.text(raw)})"
    known = f"({value}) IS NULL" if how == "age" else "m.value IS NULL"
    return join, value, f"CASE WHEN d.raw <> '' AND {known} THEN {shown} END", "NULL"


def _query(kind, columns, kept, labels, raw):
    c = {f: f"c{i}" for f, (i, _) in columns.items()}
    first = [f"c{i}" for i in kept if i < 3] + ([c[ID_FIELD[kind]]] if ID_FIELD[kind] else [])
    others = [f"c{i}" for i in kept if i != 0]
    skip = " OR ".join(
        [_all_blank([f"c{i}" for i in kept])]
        + [f"(left({col}, 1) IN ('合', '总', '小') AND regexp_matches({col}, '{SKIP_FIRST_CELL}'))"
           for col in dict.fromkeys(first)]
        + [f"({_all_blank(others)} AND regexp_matches(c0, '{FOOTER}'))"])
    params = {}
    if ID_FIELD[kind]:
        # a header repeated on every printed page
        skip += f" OR {c[ID_FIELD[kind]]} = $header_id"
        params["header_id"] = _nfkc(raw.headers[columns[ID_FIELD[kind]][0]])

    ctes, joins, typed, errors, unknown = [], [], [], [], {}
    for f in _order(kind):
        if f not in columns:
            continue
        how, col, label = FIELD_KIND[kind][f], c[f], labels[f]
        required = how.endswith("!")
        how = how.rstrip("!")
        missing = f"WHEN {col} = '' THEN '缺少{label}' " if required else f"WHEN {col} = '' THEN NULL "
        if how == "id":
            typed.append(f"NULLIF({col}, '') AS v_{f}")
            errors.append(f"CASE {missing}END")
        elif how in ("time", "date"):
            typed.append(f"{V.timestamp(col)} AS v_{f}")
            errors.append(f"CASE {missing}WHEN v_{f} IS NULL THEN '{label}无法识别' END")
        elif how == "lon":
            typed.append(f"{V.coordinate(col, 73, 136)} AS v_{f}")
        elif how == "lat":
            typed.append(f"{V.coordinate(col, 3, 54)} AS v_{f}")
        elif how == "amount":
            typed.append(f"{V.amount(col, columns[f][1])} AS v_{f}")
            errors.append(f"CASE {missing}WHEN v_{f} IS NULL THEN '{label}无法识别' "
                          f"WHEN v_{f} < 0 THEN '{label}为负' WHEN v_{f} >= {MAX_AMOUNT} THEN '{label}过大' END")
        elif how == "count":
            typed.append(f"{V.count(col)} AS v_{f}")
            errors.append(f"CASE {missing}WHEN v_{f} IS NULL OR v_{f} <> floor(v_{f}) OR v_{f} >= 1e9 "
                          f"THEN '{label}无法识别' WHEN v_{f} < 0 THEN '{label}为负' END")
        else:
            join, value, label_sql, error = _lookup(how, f, label)
            ctes.append(f"l_{f} AS (SELECT d.raw, {value} AS v, {label_sql} AS u, {error} AS e "
                        f"FROM (SELECT DISTINCT {col} AS raw FROM kept) d {join})")
            joins.append(f"LEFT JOIN l_{f} ON l_{f}.raw = kept.{col}")
            typed.append(f"l_{f}.v AS v_{f}")
            if label_sql != "NULL":
                typed.append(f"l_{f}.u AS u_{f}")
                unknown[f] = label
            if error != "NULL" or required:
                typed.append(f"l_{f}.e AS e_{f}")
                errors.append(f"CASE {missing}ELSE e_{f} END")
    reason = f"coalesce({', '.join(errors)})" if errors else "NULL"
    ctes_sql = "".join(f", {cte}" for cte in ctes)
    sql = (f"WITH kept AS (SELECT * FROM raw WHERE NOT ({skip})){ctes_sql}, "
           f"typed AS (SELECT kept.*, {', '.join(typed)} FROM kept {' '.join(joins)}) "
           f"SELECT *, {reason} AS reason FROM typed")
    return sql, params, unknown


def _all_blank(cols: list[str]) -> str:
    return "(" + " AND ".join(f"{c} = ''" for c in cols) + ")" if cols else "true"


def _nfkc(text) -> str:
    return unicodedata.normalize("NFKC", str(text)).strip()


def _final(kind: str, f: str) -> str:
    how = FIELD_KIND[kind][f].rstrip("!")
    if how == "amount":
        # DOUBLE, not DECIMAL: the store casts to DECIMAL(18,2) itself, and pandas' view of
        # Arrow decimals is slow and width-guessing; cents below 10^10 yuan survive a double
        return f"CAST(round(v_{f}, 2) AS DOUBLE) AS {f}"
    if how == "count":
        return f"CAST(v_{f} AS INTEGER) AS {f}"
    if how == "date":
        return f"CAST(v_{f} AS DATE) AS {f}"
    return f"v_{f} AS {f}"


def _split(con, kind, columns, labels, raw, unknown_cols) -> Parsed:
    read, rejected = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE reason IS NOT NULL) FROM parsed").fetchall()[0]
    present = [f for f in FIELD_KIND[kind] if f in columns]
    keys = [ID_FIELD[kind]] if ID_FIELD[kind] else ["bureau_id", "date"]
    partition = ", ".join(f"v_{k}" for k in keys)
    # Arrow-backed pandas: no copy on the way out, and DuckDB scans it back without one
    frame = con.sql(
        f"SELECT {', '.join(_final(kind, f) for f in present)} FROM parsed WHERE reason IS NULL "
        f"QUALIFY row_number() OVER (PARTITION BY {partition} ORDER BY _row DESC) = 1"
    ).to_arrow_table().to_pandas(types_mapper=pd.ArrowDtype)
    accepted = read - rejected
    # the file's kept columns, in file order, under the file's own headers
    shown = sorted((i, f) for f, (i, _) in columns.items())
    id_field = ID_FIELD[kind]
    report_cols = ", ".join(
        (f"c{i}" if f == id_field else f"coalesce({V.text(f'c{i}')}, '') ") + f" AS col{i}"
        for i, f in shown)
    rejects = con.execute(
        f"SELECT _row AS row_number, reason{', ' + report_cols if report_cols else ''} "
        f"FROM parsed WHERE reason IS NOT NULL ORDER BY _row").df()
    rejects.columns = ["row_number", "reason"] + [str(raw.headers[i]).strip() for i, _ in shown]
    unknown = {}
    for f, label in unknown_cols.items():
        counts = con.execute(f"SELECT u_{f}, count(*) FROM parsed WHERE reason IS NULL AND u_{f} IS NOT NULL "
                             f"GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()
        if counts:
            unknown[label] = {str(k): int(n) for k, n in counts}
    return Parsed(frame, rejects, int(read), int(accepted), int(accepted - len(frame)), unknown)


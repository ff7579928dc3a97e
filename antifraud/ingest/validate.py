"""One extract's string table → typed rows for the store, rejected rows with a reason, and
the labels nobody recognised. DuckDB does the work in SQL over the whole table at once.

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
import pyarrow.compute as pc

from antifraud import units as units_mod
from antifraud.ingest import values as V
from antifraud.ingest.read import Raw
from antifraud.ingest.vocab import FIELD_KIND, ID_FIELD, OTHER_TYPE, Layout, Vocab

LOOKUPS = {"bureau", "text", "fraud_type", "enum:status", "enum:gender", "enum:level", "enum:method",
           "enum:result", "bool", "age"}
MAX_AMOUNT = 10 ** 10        # 100亿元: beyond this a cell is a pasted number, not money
SKIP_FIRST_CELL = r"^(合\s*计|总\s*计|小\s*计)"
FOOTER = r"^(制表|填报|审核|导出|打印|统计人|统计时间|备注|注[:：]|说明|数据来源|单位[:：])"


@dataclass
class Parsed:
    frame: pa.Table                      # one row per key, canonical columns in the schema's types
    rejects: pd.DataFrame                # row_number, reason, the file's kept columns
    rows_read: int                       # data rows (title, header, 合计 and blank rows excluded)
    rows_accepted: int                   # rows_read - rejected (duplicates included)
    duplicates: int = 0                  # accepted rows superseded by a later row with the same key
    unknown_labels: dict = field(default_factory=dict)


def _order(kind: str) -> list[str]:
    """Reason precedence: the id, the other must-have columns, then the rest in table order."""
    kinds = FIELD_KIND[kind]
    return sorted(kinds, key=lambda f: (not kinds[f].startswith("id"), not kinds[f].endswith("!")))


def parse(raw: Raw, layout: Layout, vocab: Vocab, units: pd.DataFrame) -> Parsed:
    kind, columns = layout.kind, layout.columns
    labels = vocab.labels[kind]
    kept = sorted({0, *(i for i, _ in columns.values())} & set(range(len(raw.headers))))
    con = duckdb.connect()
    try:
        con.register("_vmap", vocab.value_table())
        con.register("_ftype", vocab.fraud_type_table())
        alias = units_mod.alias_map(units)
        con.register("_alias", pd.DataFrame({"key": list(alias), "bureau_id": list(alias.values())}))
        source, looked_up = _source(con, raw.table, kind, columns, kept, labels)
        sql, params, unknown_cols = _query(kind, columns, kept, labels, raw, looked_up)
        checked = con.sql(f"WITH src AS ({source.format(rows='raw r')}) {sql}", params=params).to_arrow_table()
        con.register("checked", checked)
        return _split(con, checked, source, kind, columns, raw, unknown_cols)
    finally:
        con.close()


def _source(con, table: pa.Table, kind, columns, kept, labels):
    """SQL (with a `{rows}` slot for the raw rows it reads) giving `_row` and every kept
    column folded (full-width → half-width, trimmed, '-', '无', 'NULL'… made ''), plus
    `v_`/`u_`/`e_` (value, unknown label, error) of each looked-up column.

    Labels, bureaus, ages and free text repeat a lot: each distinct value is folded and
    worked out once, and the answers are joined back on the raw value. Other columns are
    folded in SQL when they are plain ASCII (the common case), else in Arrow first."""
    at = {i: f for f, (i, _) in columns.items() if FIELD_KIND[kind][f].rstrip("!") in LOOKUPS}
    arrays, select, joins, done = {"_row": table.column("_row")}, ["r._row"], [], {}
    for i in kept:
        column = table.column(f"c{i}")
        if i in at:
            f = at[i]
            done[f] = _lookup_table(con, column, f, FIELD_KIND[kind][f].rstrip("!"), labels[f])
            arrays[f"c{i}"] = column
            joins.append(f"LEFT JOIN _lk_{f} ON _lk_{f}.k = r.c{i}")
            select += [f"_lk_{f}.folded AS c{i}", f"_lk_{f}.v AS v_{f}", f"_lk_{f}.u AS u_{f}",
                       f"_lk_{f}.e AS e_{f}"]
        elif len(column) and pc.all(pc.string_is_ascii(column)).as_py() is not False:
            arrays[f"c{i}"] = column
            select.append(f"{V.blank_marks(V.trim(f'r.c{i}'))} AS c{i}")
        else:
            arrays[f"c{i}"] = V.fold_column(column)
            select.append(f"r.c{i} AS c{i}")
    con.register("raw", pa.table(arrays))
    return f"SELECT {', '.join(select)} FROM {{rows}} {' '.join(joins)}", done


def _lookup_table(con, column, f: str, how: str, label: str):
    """Register `_lk_<f>`: raw value k → folded value, v, u, e; say which of u, e it can set."""
    distinct = pc.unique(column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column)
    if pa.types.is_dictionary(distinct.type):
        distinct = distinct.cast(pa.string())
    folded = V.fold_column(pa.chunked_array([distinct], pa.string())).combine_chunks()
    if pa.types.is_dictionary(folded.type):
        folded = folded.cast(pa.string())
    con.register("d", pa.table({"k": distinct, "raw": folded}))
    join, value, label_sql, error, params = _lookup(how, label)
    sql = f"SELECT d.k, d.raw AS folded, {value} AS v, {label_sql} AS u, {error} AS e FROM d {join}"
    answers = con.sql(sql, params={k: v for k, v in params.items() if f"${k}" in sql}).to_arrow_table()
    con.unregister("d")
    con.register(f"_lk_{f}", answers)
    return label_sql != "NULL", error != "NULL"


HIDDEN = "（含号码，已隐去）"


def _lookup(how: str, label: str):
    """(join, value, unknown label, error, parameters) for one distinct folded value `d.raw`;
    the field's label (vocab.toml, editable) and the value group go in as $label / $group."""
    params = {"label": label, "group": {"bool": "bool", "age": "age_band"}.get(how, how.split(":")[-1])}
    raw, shown = "d.raw", f"coalesce({V.text('d.raw')}, '{HIDDEN}')"
    if how == "bureau":
        return ("LEFT JOIN _alias m ON m.key = regexp_replace(d.raw, '\\s+', '', 'g')", "m.bureau_id", "NULL",
                f"CASE WHEN d.raw <> '' AND m.bureau_id IS NULL THEN '未知' || $label || '「' || left({shown}, 30) || '」' END",
                params)
    if how == "text":
        return "", V.text(raw), "NULL", "NULL", params
    if how == "fraud_type":
        return (f"LEFT JOIN _ftype m ON m.key = {V.key(raw)}",
                f"CASE WHEN d.raw = '' THEN '{OTHER_TYPE}' ELSE coalesce(m.value, '{OTHER_TYPE}') END",
                f"CASE WHEN d.raw <> '' AND m.value IS NULL THEN {shown} END", "NULL", params)
    group = params["group"]
    join = f"LEFT JOIN _vmap m ON m.grp = $group AND m.key = {V.key(raw)}"
    if how == "bool":
        value = "CAST(m.value = 'true' AS BOOLEAN)"
    elif how == "age":
        value = f"coalesce({V.age_band(V.age_number(raw))}, m.value)"
    elif group == "gender":
        value = "m.value"
    else:
        value = f"coalesce(m.value, {V.text(raw)})"
    known = f"({value}) IS NULL" if how == "age" else "m.value IS NULL"
    return join, value, f"CASE WHEN d.raw <> '' AND {known} THEN {shown} END", "NULL", params


def _query(kind, columns, kept, labels, raw, looked_up):
    c = {f: f"c{i}" for f, (i, _) in columns.items()}
    first = [f"c{i}" for i in kept if i < 3] + ([c[ID_FIELD[kind]]] if ID_FIELD[kind] else [])
    # A row with none of the must-have cells (id, time, bureau) is no record: a blank line,
    # a 合计 row, a footer. Only those few columns are looked at, so this stays cheap.
    required = [c[f] for f, how in FIELD_KIND[kind].items() if how.endswith("!") and f in c]
    skip = " OR ".join(
        [_all_blank(required)]
        + [f"((prefix({col}, '合') OR prefix({col}, '总') OR prefix({col}, '小')) "
           f"AND regexp_matches({col}, '{SKIP_FIRST_CELL}'))"
           for col in dict.fromkeys(first)]
        + [f"({_all_blank([r for r in required if r != 'c0'])} AND regexp_matches(c0, '{FOOTER}'))"])
    params = {}
    if ID_FIELD[kind]:
        # a header repeated on every printed page
        skip += f" OR {c[ID_FIELD[kind]]} = $header_id"
        params["header_id"] = _nfkc(raw.headers[columns[ID_FIELD[kind]][0]])

    typed, errors, unknown = [], [], {}
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
            has_label, has_error = looked_up[f]
            if has_label:
                unknown[f] = label
            if has_error or required:
                errors.append(f"CASE {missing}ELSE e_{f} END")
    reason = f"coalesce({', '.join(errors)})" if errors else "NULL"
    final = "".join(f", {_final(kind, f)}" for f in FIELD_KIND[kind] if f in columns)
    labels_out = "".join(f", u_{f}" for f in unknown)
    sql = (f", kept AS (SELECT * FROM src WHERE NOT ({skip})), "
           f"typed AS (SELECT *{''.join(', ' + t for t in typed)} FROM kept) "
           f"SELECT _row{final}{labels_out}, {reason} AS reason FROM typed")
    return sql, params, unknown


def _all_blank(cols: list[str]) -> str:
    return "(" + " AND ".join(f"{c} = ''" for c in cols) + ")" if cols else "true"


def _nfkc(text) -> str:
    return unicodedata.normalize("NFKC", str(text)).strip()


def _final(kind: str, f: str) -> str:
    """The value in the type of its column in schema.sql."""
    how = FIELD_KIND[kind][f].rstrip("!")
    if how == "amount":
        return f"TRY_CAST(v_{f} AS DECIMAL(18,2)) AS {f}"   # a rejected row may not fit
    if how == "count":
        return f"TRY_CAST(v_{f} AS INTEGER) AS {f}"
    if how == "date":
        return f"CAST(v_{f} AS DATE) AS {f}"
    return f"v_{f} AS {f}"


def _split(con, checked: pa.Table, source: str, kind, columns, raw, unknown_cols) -> Parsed:
    ok = pc.is_null(checked.column("reason"))
    failed = checked.num_rows - pc.sum(ok).as_py() if checked.num_rows else 0
    clean = checked.filter(ok) if failed else checked
    keys = [ID_FIELD[kind]] if ID_FIELD[kind] else ["bureau_id", "date"]
    present = [f for f in FIELD_KIND[kind] if f in columns]
    con.register("clean", clean)
    unique = con.execute(f"SELECT count(*) FROM (SELECT {', '.join(keys)} FROM clean GROUP BY ALL)").fetchall()[0][0]
    frame = clean.select(present)
    if unique < clean.num_rows:      # a key seen twice: the later row wins
        frame = con.sql(f"SELECT {', '.join(present)} FROM clean QUALIFY row_number() OVER "
                        f"(PARTITION BY {', '.join(keys)} ORDER BY _row DESC) = 1 ORDER BY _row").to_arrow_table()
    unknown = {}
    for f, label in unknown_cols.items():
        counts = pc.value_counts(clean.column(f"u_{f}").drop_null()).to_pylist()
        if counts:
            counts.sort(key=lambda c: (-c["counts"], c["values"]))
            unknown[label] = {str(c["values"]): int(c["counts"]) for c in counts}
    rejects = _reject_rows(con, source, kind, columns, raw) if failed else _no_rejects(columns, raw)
    return Parsed(frame, rejects, checked.num_rows, clean.num_rows, clean.num_rows - frame.num_rows, unknown)


def _report_headers(columns, raw) -> list[str]:
    return ["row_number", "reason"] + [str(raw.headers[i]).strip() for i, _ in sorted(columns.values())]


def _no_rejects(columns, raw) -> pd.DataFrame:
    return pd.DataFrame(columns=_report_headers(columns, raw))


def _reject_rows(con, source: str, kind, columns, raw) -> pd.DataFrame:
    """row_number, reason, then the file's kept columns under its own headers, in file order;
    every cell but the id blanked when it carries a personal number."""
    shown = sorted((i, f) for f, (i, _) in columns.items())
    report = ", ".join((f"c{i}" if f == ID_FIELD[kind] else f"coalesce({V.text(f'c{i}')}, '')") + f" AS col{i}"
                       for i, f in shown)
    rows = "(SELECT r.* FROM raw r SEMI JOIN checked f ON f._row = r._row AND f.reason IS NOT NULL) r"
    rejects = con.sql(f"WITH src AS ({source.format(rows=rows)}) "
                      f"SELECT f._row AS row_number, f.reason{', ' + report if report else ''} "
                      f"FROM checked f JOIN src USING (_row) ORDER BY row_number").df()
    rejects.columns = _report_headers(columns, raw)
    return rejects

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


def parse(raw: Raw, layout: Layout, vocab: Vocab, units: pd.DataFrame) -> Parsed:
    kind, columns = layout.kind, layout.columns
    labels = vocab.labels[kind]
    kept = sorted({0, *(i for i, _ in columns.values())} & set(range(len(raw.headers))))
    table = pa.table({f"c{i}": V.fold_column(raw.table.column(f"c{i}")) for i in kept}
                     | {"_row": raw.table.column("_row")})
    con = duckdb.connect()
    try:
        con.register("_vmap", vocab.value_table())
        con.register("_ftype", vocab.fraud_type_table())
        alias = units_mod.alias_map(units)
        con.register("_alias", pd.DataFrame({"key": list(alias), "bureau_id": list(alias.values())}))
        table, looked_up = _lookups(con, table, kind, columns, labels)
        con.register("raw", table)
        sql, params, unknown_cols = _query(kind, columns, kept, labels, raw, looked_up)
        out = con.sql(sql, params=params).to_arrow_table()
        return _split(con, out, table, kind, columns, raw, unknown_cols)
    finally:
        con.close()


def _lookups(con, table: pa.Table, kind, columns, labels):
    """Labels, bureaus, ages and free text repeat a lot: work each distinct value out once
    (in SQL over the column's dictionary) and spread the answers back with one `take`."""
    done = {}
    for f, (i, _) in columns.items():
        how = FIELD_KIND[kind][f].rstrip("!")
        if how in LOOKUPS:
            column = table.column(f"c{i}")
            encoded = (column if pa.types.is_dictionary(column.type) else pc.dictionary_encode(column)
                       ).combine_chunks()
            con.register("d", pa.table({"raw": encoded.dictionary,
                                        "i": pa.array(range(len(encoded.dictionary)), pa.int64())}))
            join, value, label_sql, error = _lookup(how, labels[f])
            answers = con.sql(f"SELECT {value} AS v, {label_sql} AS u, {error} AS e FROM d {join} ORDER BY d.i"
                              ).to_arrow_table()
            con.unregister("d")
            for part in ("v", "u", "e"):
                table = table.append_column(f"{part}_{f}", _recode(encoded.indices, answers.column(part)))
            done[f] = (label_sql != "NULL", error != "NULL")
    return table, done


HIDDEN = "（含号码，已隐去）"


def _lookup(how: str, label: str):
    """(join, value, unknown label, error) for one distinct raw value `d.raw`."""
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


def _query(kind, columns, kept, labels, raw, looked_up):
    c = {f: f"c{i}" for f, (i, _) in columns.items()}
    first = [f"c{i}" for i in kept if i < 3] + ([c[ID_FIELD[kind]]] if ID_FIELD[kind] else [])
    # A row with none of the must-have cells (id, time, bureau) is no record: a blank line,
    # a 合计 row, a footer. Only those few columns are looked at, so this stays cheap.
    required = [c[f] for f, how in FIELD_KIND[kind].items() if how.endswith("!") and f in c]
    skip = " OR ".join(
        [_all_blank(required)]
        + [f"(left({col}, 1) IN ('合', '总', '小') AND regexp_matches({col}, '{SKIP_FIRST_CELL}'))"
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
    # looked-up columns stay out of the result: _split takes them from `raw` by row number
    final = "".join(f", {_final(kind, f)}" for f in FIELD_KIND[kind]
                    if f in columns and f not in looked_up)
    sql = (f"WITH kept AS (SELECT * FROM raw WHERE NOT ({skip})), "
           f"typed AS (SELECT *{''.join(', ' + t for t in typed)} FROM kept) "
           f"SELECT _row{final}, {reason} AS reason FROM typed")
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
        return f"TRY_CAST(v_{f} AS INTEGER) AS {f}"
    if how == "date":
        return f"CAST(v_{f} AS DATE) AS {f}"
    return f"v_{f} AS {f}"


def _split(con, out: pa.Table, table: pa.Table, kind, columns, raw, unknown_cols) -> Parsed:
    ok = pc.is_null(out.column("reason"))
    clean = out.filter(ok)
    # bring the looked-up columns (dictionary arrays: a take moves indices only) alongside
    at = pc.subtract(clean.column("_row"), raw.header_row + 1)
    for name in table.column_names:
        if name[:2] in ("v_", "u_"):
            clean = clean.append_column(name[2:] if name[0] == "v" else name, pc.take(table.column(name), at))
    keys = [ID_FIELD[kind]] if ID_FIELD[kind] else ["bureau_id", "date"]
    present = [f for f in FIELD_KIND[kind] if f in columns]
    unique = clean.select(keys).group_by(keys).aggregate([]).num_rows if len(keys) > 1 else \
        pc.count_distinct(clean.column(keys[0])).as_py()
    accepted = clean
    if unique < clean.num_rows:
        con.register("acc", clean.select(["_row", *present]))
        accepted = con.sql(f"SELECT * FROM acc QUALIFY row_number() OVER "
                           f"(PARTITION BY {', '.join(keys)} ORDER BY _row DESC) = 1").to_arrow_table()
        con.unregister("acc")
    # Arrow-backed pandas: no copy on the way out, and DuckDB scans it back without one
    # label columns arrive as categoricals (their dictionary), the rest as Arrow-backed columns
    frame = accepted.select(present).to_pandas(
        types_mapper=lambda t: None if pa.types.is_dictionary(t) else pd.ArrowDtype(t))
    unknown = {}
    for f, label in unknown_cols.items():
        counts = pc.value_counts(pc.cast(clean.column(f"u_{f}"), pa.string()).drop_null()).to_pylist()
        if counts:
            counts.sort(key=lambda c: (-c["counts"], c["values"]))
            unknown[label] = {str(c["values"]): int(c["counts"]) for c in counts}
    failed = out.filter(pc.invert(ok)).select(["_row", "reason"])
    return Parsed(frame, _reject_rows(con, failed, table, kind, columns, raw), out.num_rows,
                  out.num_rows - failed.num_rows, clean.num_rows - len(frame), unknown)


def _recode(indices: pa.Array, answers) -> pa.DictionaryArray:
    """Per-row answers as a dictionary array with unique, non-null values (many spellings
    share one answer; a null answer becomes a null row), moving only the indices."""
    unique = pc.dictionary_encode(answers.combine_chunks() if isinstance(answers, pa.ChunkedArray)
                                  else answers)
    return pa.DictionaryArray.from_arrays(pc.take(unique.indices, indices), unique.dictionary)


def _reject_rows(con, failed: pa.Table, table: pa.Table, kind, columns, raw) -> pd.DataFrame:
    """row_number, reason, then the file's kept columns under its own headers, in file order;
    every cell but the id blanked when it carries a personal number."""
    shown = sorted((i, f) for f, (i, _) in columns.items())
    first = raw.header_row + 1
    cells = table.select([f"c{i}" for i, _ in shown]).take(pc.subtract(failed.column("_row"), first))
    con.register("rj", cells.append_column("row_number", failed.column("_row"))
                 .append_column("reason", failed.column("reason")))
    report = ", ".join((f"c{i}" if f == ID_FIELD[kind] else f"coalesce({V.text(f'c{i}')}, '')") + f" AS col{i}"
                       for i, f in shown)
    rejects = con.sql(f"SELECT row_number, reason{', ' + report if report else ''} FROM rj "
                      f"ORDER BY row_number").df()
    con.unregister("rj")
    rejects.columns = ["row_number", "reason"] + [str(raw.headers[i]).strip() for i, _ in shown]
    return rejects

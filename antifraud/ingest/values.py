"""Vectorised value parsing: pyarrow folding of whole columns, and DuckDB SQL expressions
that turn a cleaned string column into a typed one.

Every builder takes the SQL name of a column the ingest generated itself (`c3`), never a
value from the file; values from files and vocabularies travel as joined tables or
parameters. Each expression is cheap on the common form (ISO time, plain number) and
only falls back to regular expressions for the rows that need them.
"""
from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

# Cells that mean "nothing here" in exports.
EMPTY_MARKS = ["", "-", "--", "—", "——", "/", "无", "空", "null", "none", "nan", "n/a", "#n/a"]

# 11+ digits in a row (mobile 11, card 16–19, ID 18) or 17 digits and an X: personal.
PII_PATTERN = r"[0-9]{11,}|[0-9]{17}[Xx]"

AGE_BANDS = ["<18", "18-29", "30-44", "45-59", "60+"]


_EMPTY_SET = pa.array(sorted({v for m in EMPTY_MARKS for v in (m, m.upper(), m.capitalize())} | {"NaN"}))


def fold_column(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Full-width → half-width (NFKC), trimmed, and '-', '无', 'NULL'… made ''. ASCII-only
    columns skip the normalisation; low-cardinality ones work on their dictionary only."""
    if len(column) == 0:
        return column
    if pc.all(pc.string_is_ascii(column)).as_py():
        return _blank_marks(pc.utf8_trim_whitespace(column))
    encoded = pc.dictionary_encode(column).combine_chunks()
    if len(encoded.dictionary) * 4 < len(encoded):
        # stays dictionary-encoded: DuckDB and the label lookups read it without expanding
        dictionary = _blank_marks(pc.utf8_trim_whitespace(pc.utf8_normalize(encoded.dictionary, "NFKC")))
        return pa.chunked_array([pa.DictionaryArray.from_arrays(encoded.indices, dictionary)])
    return _blank_marks(pc.utf8_trim_whitespace(pc.utf8_normalize(column, "NFKC")))


def _blank_marks(column):
    marks = pc.is_in(column, value_set=_EMPTY_SET)
    return pc.if_else(marks, "", column) if pc.any(marks).as_py() else column


# what pyarrow's utf8_trim_whitespace removes from an ASCII cell
_WHITESPACE = " || ".join(f"chr({c})" for c in (9, 10, 11, 12, 13, 28, 29, 30, 31, 32))
_MARKS_SQL = ["'" + m.replace("'", "''") + "'" for m in _EMPTY_SET.to_pylist()]
_MARKS_BYTES = max(len(m.encode("utf-8")) for m in _EMPTY_SET.to_pylist())


def trim(col: str) -> str:
    """SQL twin of `utf8_trim_whitespace` for an ASCII column (a trim only where one is due)."""
    return f"CASE WHEN ascii({col}) <= 32 OR ascii({col}[-1]) <= 32 THEN trim({col}, {_WHITESPACE}) ELSE {col} END"


def blank_marks(col: str) -> str:
    """SQL twin of `_blank_marks`: '-', '无', 'NULL'… made ''."""
    # equalities, not IN: DuckDB plans a long IN list as a join, ten times slower here
    marks = " OR ".join(f"{col} = {m}" for m in _MARKS_SQL)
    return f"CASE WHEN strlen({col}) <= {_MARKS_BYTES} AND ({marks}) THEN '' ELSE {col} END"


def key(col: str) -> str:
    """How labels are compared with the vocabulary: no spaces, lower case."""
    return f"lower(regexp_replace({col}, '\\s+', '', 'g'))"


def has_pii(col: str) -> str:
    return (f"(regexp_matches({col}, '[0-9]') AND "
            f"regexp_matches(regexp_replace({col}, '[\\s-]', '', 'g'), '{PII_PATTERN}'))")


def text(col: str) -> str:
    """Free text kept in the database: blanked when it carries a personal number."""
    return f"CASE WHEN {col} = '' OR {has_pii(col)} THEN NULL ELSE {col} END"


_TIME_FORMATS = "['%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M', '%Y-%m-%d %H:%M:%S.%f', '%Y-%m-%d', '%Y-%m-%d %H']"


def timestamp(col: str) -> str:
    """ISO, slashes, dots, 2026年11月3日 14时05分, compact digits, Excel serial days."""
    date_part = (f"regexp_replace({col}, '^([0-9]{{4}})\\s*[-/.年]\\s*([0-9]{{1,2}})\\s*[-/.月]\\s*"
                 f"([0-9]{{1,2}})\\s*日?\\s*[Tt]?\\s*', '\\1-\\2-\\3 ')")
    clock = (f"trim(rtrim(replace(replace(replace(replace(replace({date_part}, '时', ':'), '点', ':'), "
             f"'分', ':'), '秒', ''), '：', ':'), ': '))")
    serial = (f"CASE WHEN regexp_full_match({col}, '[0-9]{{5}}(\\.[0-9]+)?') "
              f"AND TRY_CAST({col} AS DOUBLE) BETWEEN 20000 AND 80000 "
              f"THEN TIMESTAMP '1899-12-30' + to_seconds(CAST(round(TRY_CAST({col} AS DOUBLE) * 86400) AS BIGINT)) END")
    compact = (f"CASE WHEN regexp_full_match({col}, '[0-9]{{8}}([0-9]{{4}}([0-9]{{2}})?)?') "
               f"THEN try_strptime({col}, ['%Y%m%d%H%M%S', '%Y%m%d%H%M', '%Y%m%d']) END")
    return (f"CASE WHEN {col} = '' THEN NULL ELSE coalesce("
            f"try_strptime({col}, {_TIME_FORMATS}), {serial}, {compact}, "
            f"try_strptime({clock}, {_TIME_FORMATS})) END")


def amount(col: str, multiplier: int) -> str:
    """Yuan as DECIMAL(38,6): 15,000.00 · 1.5万 · 3000元 · 2.3万元 · ￥1,200 · a 万元 column."""
    stripped = f"regexp_replace({col}, '[,，\\s￥¥$]|rmb|RMB|人民币', '', 'g')"
    number = f"TRY_CAST(regexp_replace({stripped}, '(万元|万|元)$', '') AS DECIMAL(38,6))"
    unit = (f"CASE WHEN {stripped} LIKE '%万元' OR {stripped} LIKE '%万' THEN 10000 "
            f"WHEN {stripped} LIKE '%元' THEN 1 ELSE {int(multiplier)} END")
    return (f"CASE WHEN {col} = '' THEN NULL ELSE coalesce("
            f"TRY_CAST({col} AS DECIMAL(38,6)) * {int(multiplier)}, {number} * {unit}) END")


def count(col: str) -> str:
    """A whole number of people, gangs, dens or cards (DOUBLE; checked for wholeness)."""
    return (f"CASE WHEN {col} = '' THEN NULL ELSE "
            f"TRY_CAST(regexp_replace({col}, '[,，\\s人个张起次户处]', '', 'g') AS DOUBLE) END")


def coordinate(col: str, low: float, high: float) -> str:
    return f"CASE WHEN TRY_CAST({col} AS DOUBLE) BETWEEN {low} AND {high} THEN TRY_CAST({col} AS DOUBLE) END"


def age_number(col: str) -> str:
    return f"TRY_CAST(regexp_replace({col}, '(周岁|岁)$', '') AS DOUBLE)"


def age_band(number: str) -> str:
    """A number of years → its band; the age itself is never stored."""
    return (f"CASE WHEN {number} IS NULL OR {number} < 0 OR {number} > 120 THEN NULL "
            f"WHEN {number} < 18 THEN '<18' WHEN {number} < 30 THEN '18-29' "
            f"WHEN {number} < 45 THEN '30-44' WHEN {number} < 60 THEN '45-59' ELSE '60+' END")

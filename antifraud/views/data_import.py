"""Builders for 数据导入: the per-file summary and the rejected rows, for the screen."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

KINDS = {"cases": "案件", "warnings": "预警", "strikes": "打击战果"}


def safe_name(name: str) -> str:
    """An uploaded file's own name without any folder part (kept: ingest reads the kind from it)."""
    base = re.split(r"[\\/]", str(name))[-1].strip().lstrip(".")
    base = re.sub(r"[\x00-\x1f]", "", base)
    return base[:120] or "upload.csv"


def summary_table(results) -> pd.DataFrame:
    """One row per file: read / loaded (new, updated) / rejected, unknown labels, note."""
    rows = []
    for r in results:
        unknown = "；".join(f"{label}：" + "，".join(f"「{k}」{n}行" for k, n in list(counts.items())[:5])
                           for label, counts in (r.unknown_labels or {}).items())
        rows.append({"文件": Path(r.file).name, "类型": KINDS.get(r.kind, r.kind), "读取": r.rows_read,
                     "载入": r.rows_loaded, "新增": r.rows_new, "更新": r.rows_updated,
                     "拒收": r.rows_rejected, "未识别的取值": unknown, "说明": r.note or ""})
    return pd.DataFrame(rows, columns=["文件", "类型", "读取", "载入", "新增", "更新", "拒收", "未识别的取值", "说明"])


def rejected_rows(reject_file: str | None, limit: int = 2000) -> pd.DataFrame:
    """The reject report (row_number, reason, non-personal columns) as ingest wrote it."""
    if not reject_file or not Path(reject_file).exists():
        return pd.DataFrame(columns=["row_number", "reason"])
    frame = pd.read_csv(reject_file, dtype=str, encoding="utf-8-sig", keep_default_na=False, nrows=limit)
    return frame.rename(columns={"row_number": "行号", "reason": "原因"})


def imports_table(frame: pd.DataFrame) -> pd.DataFrame:
    names = {"imported_at": "导入时间", "user_name": "操作人", "file_name": "文件", "kind": "类型",
             "rows_read": "读取", "rows_loaded": "载入", "rows_new": "新增", "rows_updated": "更新",
             "rows_rejected": "拒收", "note": "说明"}
    out = frame.rename(columns=names)
    if "类型" in out:
        out["类型"] = out["类型"].map(lambda k: KINDS.get(k, k))
    return out

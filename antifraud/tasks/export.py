"""The archive of tasks and the `python -m antifraud tasks …` commands.

    python -m antifraud tasks export [--format csv|xlsx] [--table tasks|feedback|journal] [--out PATH] [--db PATH]
    python -m antifraud tasks backup --out PATH [--db PATH]
    python -m antifraud tasks check [--db PATH]

The export holds what the store holds, field for field (`tables`), plus the status as read
today and the target in words. csv is UTF-8 with BOM (Excel opens it as it is); every text
cell that a spreadsheet would run as a formula (= + - @ …) gets a leading apostrophe
(antifraud.exports). A csv holds one table (default: the tasks); the xlsx holds all three.
"""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pandas as pd

from antifraud import clock, config, exports
from antifraud.tasks import present, status as rules
from antifraud.tasks import store as task_store
from antifraud.tasks.model import FIELD_LABELS, Task

TABLES = {"tasks": "督办事项", "feedback": "反馈", "journal": "修改记录"}
TASK_COLUMNS = ["编号", "版本", "分县局编号", "区县", "督办事项", "会商周", "期限", "记录状态", "当前状态",
                "关联指标", "关联指标(JSON)", "办结说明", "撤销原因", "创建人", "创建时间", "更新时间", "反馈条数"]


def tables(store: task_store.TaskStore, names: dict[str, str] | None = None,
           today: dt.date | None = None) -> dict[str, pd.DataFrame]:
    """The three tables of the archive, keyed as TABLES."""
    names = names or {}
    today = today or clock.today()
    tasks: list[Task] = store.tasks() if store.exists() else []
    journal = store.journal() if store.exists() else []
    rows = [{"编号": t.id, "版本": t.version, "分县局编号": ",".join(t.bureaus),
             "区县": present.bureaus_text(t, names), "督办事项": t.subject, "会商周": t.meeting_week,
             "期限": t.due_period, "记录状态": t.status, "当前状态": rules.effective(t, today),
             "关联指标": present.target_text(t.target), "关联指标(JSON)": t.target.to_json() if t.target else "",
             "办结说明": t.closing_note, "撤销原因": t.withdraw_reason, "创建人": t.created_by,
             "创建时间": t.created_at.isoformat(sep=" "), "更新时间": t.updated_at.isoformat(sep=" "),
             "反馈条数": len(t.feedback)} for t in tasks]
    feedback = [{"编号": t.id, "时间": f.at.isoformat(sep=" "), "反馈人": f.user, "内容": f.text}
                for t in tasks for f in t.feedback]
    changes = [{"编号": c.task_id, "时间": c.at.isoformat(sep=" "), "修改人": c.user,
                "项目": FIELD_LABELS.get(c.field, c.field), "字段": c.field, "原值": c.old, "新值": c.new}
               for c in journal]
    return {"tasks": pd.DataFrame(rows, columns=TASK_COLUMNS),
            "feedback": pd.DataFrame(feedback, columns=["编号", "时间", "反馈人", "内容"]),
            "journal": pd.DataFrame(changes, columns=["编号", "时间", "修改人", "项目", "字段", "原值", "新值"])}


def csv_bytes(frames: dict[str, pd.DataFrame], table: str = "tasks") -> bytes:
    return exports.csv_bytes(frames[table])


def xlsx_bytes(frames: dict[str, pd.DataFrame]) -> bytes:
    return exports.xlsx_bytes({TABLES[k]: v for k, v in frames.items()}, title="督办事项存档")


def _names(db: Path) -> dict[str, str]:
    """District names when the database is there; the archive does not need them."""
    if not db.exists():
        return {}
    try:
        import queries
        queries.use_database(db)
        return present.district_names(queries.run("units"))
    except Exception:  # noqa: BLE001 - names are a convenience; ids are always exported
        return {}


def main(args) -> int:
    try:
        return _main(args)
    except task_store.StoreError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2


def _main(args) -> int:
    db = config.db_path(getattr(args, "db", None))[0]
    store = task_store.TaskStore(task_store.path_for(db))
    action = args.tasks_command
    if action == "check":
        if not store.exists():
            print(f"任务库不存在：{store.path}", file=sys.stderr)
            return 2
        problems = store.verify()
        for p in problems:
            print(p, file=sys.stderr)
        print(f"{store.path}：{'一致' if not problems else f'发现{len(problems)}处问题'}", file=sys.stderr)
        return 1 if problems else 0
    if action == "backup":
        if not store.exists():
            raise config.UsageError(f"任务库不存在：{store.path}")
        out = store.backup(args.out)
        print(f"已备份到 {out}", file=sys.stderr)
        return 0
    if not store.exists():
        print(f"尚无督办事项（任务库不存在：{store.path}），导出为空表。", file=sys.stderr)
    frames = tables(store, _names(db))
    fmt = args.format
    data = xlsx_bytes(frames) if fmt == "xlsx" else csv_bytes(frames, args.table)
    out = args.out or (f"tasks-{clock.today():%Y%m%d}.xlsx" if fmt == "xlsx" else None)
    if out:
        target = Path(out)
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(target.name + ".part")
        try:
            part.write_bytes(data)
            part.replace(target)
        except BaseException:
            part.unlink(missing_ok=True)      # a cut-off archive must not look complete
            raise
        print(f"已导出 {len(frames['tasks'])} 项督办事项到 {target}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0

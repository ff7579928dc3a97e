"""One entry point: python -m antifraud sample|ingest|report|bench|calibrate|export-parquet|tasks|warm."""
from __future__ import annotations

import argparse
import errno
import logging
import os
import sys

from antifraud.config import UsageError

_DISK_FULL = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m antifraud", description="反诈研判指挥看板 命令行")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("sample", help="生成模拟导出文件（案件、预警、打击战果）")
    s.add_argument("--scale", type=float, default=1.0, help="每周数据量倍数（1 ≈ 新乡市规模）")
    s.add_argument("--years", type=float, default=2.0, help="历史长度（年）")
    s.add_argument("--seed", type=int, default=20261124)
    s.add_argument("--out", default=None, help="输出目录（默认 sample_data/）")
    s.add_argument("--end", default=None, help="最后一周，如 2026-W47（默认：上一个完整周）")
    s.add_argument("--format", choices=["mixed", "csv"], default="mixed",
                   help="mixed: 案件 GBK csv + 预警 xlsx（像真实导出）；csv: 全部 UTF-8 csv（基准测试）")
    s.add_argument("--null", action="store_true",
                   help="平稳世界（校准用）：无植入故事、无趋势与季节，计数为常数率泊松，结果为常数概率")
    s.add_argument("--variation", type=float, default=None,
                   help="平稳世界的周间波动：每周一个均值1的伽马因子的标准差（如 0.15）")
    s.add_argument("--variation-scope", choices=["city", "bureau"], default="city",
                   help="伽马因子全市共用（默认）或按分县局各自抽取")
    s.add_argument("--plant", action="append", default=[],
                   help="在平稳世界上植入变化（可重复）：cases:2026-W30[:1.3]、"
                        "overdue:2026-W33:410702[:0.15]、township:2026-W36:410725:城关镇[:6]")

    i = sub.add_parser("ingest", help="导入导出文件（csv、xlsx）")
    i.add_argument("files", nargs="+")
    i.add_argument("--db", default=None)
    i.add_argument("--user", default=None, help="记入导入审计表的操作人")

    r = sub.add_parser("report", help="生成研判会商材料（md / json / xlsx）")
    g = r.add_mutually_exclusive_group()
    g.add_argument("--week", default=None)
    g.add_argument("--month", default=None)
    r.add_argument("--district", nargs="+", default=[], action="extend")
    r.add_argument("--type", nargs="+", default=[], action="extend", dest="types")
    r.add_argument("--format", choices=["md", "json", "xlsx"], default="md")
    r.add_argument("--out", default=None)
    r.add_argument("--db", default=None)
    r.add_argument("--no-archive", action="store_true", help="不归档本次生成的材料")

    b = sub.add_parser("bench", help="性能基准（与 pandas 和 DuckDB read_csv 对比）")
    b.add_argument("--scale", type=float, default=1.0)
    b.add_argument("--years", type=float, nargs="+", default=[2.0])
    b.add_argument("--repeat", type=int, default=20)
    b.add_argument("--out", default="bench-out")
    b.add_argument("--reuse-db", action="store_true", help="复用上次导入的基准数据库（只重测查询）")
    b.add_argument("--chunk-rows", type=int, default=2_000_000,
                   help="单个导出文件超过此行数时按月拆分、分批导入（0：不拆分）")
    # serving measurements (antifraud/load): instead of the query bench, not in addition to it
    b.add_argument("--load", default=None, metavar="N,N,...",
                   help="多人同时观看：每档 N 个 Locust 观看者（如 1,10,30,60），报告页面运行时间、每秒页面、CPU 与内存")
    b.add_argument("--browser", action="store_true",
                   help="无头 Chromium：看板页面完整载入与裸 Streamlit 单图页面对比，以及最慢的页面切换")
    b.add_argument("--browser-repeat", type=int, default=5, help="--browser：每个页面载入与切换的次数")
    b.add_argument("--db", default=None, help="--load/--browser 使用的数据库（默认：该 --scale 的基准库，没有则生成）")
    b.add_argument("--week", default=None, help="--load 链接中的会商周（默认：数据中最后一个完整周）")
    b.add_argument("--replicas", default="1", metavar="N[,N...]",
                   help="--load：Streamlit 进程数，可给多个（如 1,2）依次测；大于 1 时经 nginx 分流")
    b.add_argument("--duration", type=float, default=60, help="--load：每档持续秒数")
    b.add_argument("--think", type=float, default=5, help="--load：每页阅读秒数（在 0.5～1.5 倍间随机；0 = 不停顿）")
    b.add_argument("--views-per-session", type=int, default=6, help="--load：每个会话看几页后换一个链接")
    b.add_argument("--timeout", type=float, default=120, help="--load/--browser：一次页面运行的最长秒数")

    c = sub.add_parser("calibrate", help="校准：在平稳与植入变化的模拟数据上统计看板宣布的变化")
    c.add_argument("--size", choices=["ci", "full"], default="ci",
                   help="ci：每个平稳世界1个种子、植入10个种子；full：各3个与20个")
    c.add_argument("--weeks", type=int, default=None, help="每个平稳世界统计的最近周数（≥50）")
    c.add_argument("--seeds", type=int, default=None, help="植入变化的种子数（≥10）")
    c.add_argument("--seed", type=int, default=None, help="第一个种子（其余依次加1）")
    c.add_argument("--variation", type=float, default=0.15, help="周间波动世界的伽马因子标准差")
    c.add_argument("--variation-scope", choices=["city", "bureau"], default="city",
                   help="周间波动世界的伽马因子全市共用（默认）或按分县局；full 规模另跑另一种")
    c.add_argument("--via", choices=["narrow", "briefing"], default="narrow",
                   help="narrow：调用材料所用的各个函数（快）；briefing：每周完整生成材料（慢）")
    c.add_argument("--json", default=None, help="把全部结果写入此 JSON 文件")
    c.add_argument("--write-docs", action="store_true", help="把结果写入 docs/significance.md")
    c.add_argument("--work", default=None, help="临时数据目录（默认系统临时目录，结束后删除）")

    e = sub.add_parser("export-parquet", help="按 年/周/分县局 分区导出 Parquet")
    e.add_argument("dir")
    e.add_argument("--db", default=None)

    w = sub.add_parser("warm", help="导入后让每个看板进程先看一遍会商页面（第一位观看者不必等）")
    w.add_argument("--url", action="append", help="看板进程的地址，可给多个（默认 http://127.0.0.1:8501）；"
                                                  "多副本时逐个给出，不经 nginx")
    w.add_argument("--timeout", type=float, default=300.0, help="一次页面运行的最长秒数")
    t = sub.add_parser("tasks", help="督办事项：导出存档、备份、一致性检查")
    ts = t.add_subparsers(dest="tasks_command", required=True)
    te = ts.add_parser("export", help="导出督办事项（csv 为一张表，xlsx 含全部三张表）")
    te.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    te.add_argument("--table", choices=["tasks", "feedback", "journal"], default="tasks", help="csv 导出哪张表")
    te.add_argument("--out", default=None, help="csv 默认写到标准输出；xlsx 默认 tasks-<日期>.xlsx")
    te.add_argument("--db", default=None)
    tb = ts.add_parser("backup", help="在线备份任务库（写入不停）")
    tb.add_argument("--out", required=True)
    tb.add_argument("--db", default=None)
    tc = ts.add_parser("check", help="检查任务库：结构、每项可读、修改记录与当前值一致")
    tc.add_argument("--db", default=None)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if os.environ.get("ANTIFRAUD_VERBOSE") else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    command = args.command.replace("-", "_")
    try:
        if command == "sample":
            from antifraud.sample import main as run
        elif command == "ingest":
            from antifraud.ingest import main as run
        elif command == "report":
            from antifraud.report import main as run
        elif command == "bench" and (args.load or args.browser):
            from antifraud.load import main as run
        elif command == "bench":
            from antifraud.bench import main as run
        elif command == "calibrate":
            from antifraud.calibrate import main as run
        elif command == "tasks":
            from antifraud.tasks.export import main as run
        elif command == "warm":
            from antifraud.warm import main as run
        else:
            from antifraud.parquet import main as run
        return int(run(args) or 0)
    except UsageError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("已中断", file=sys.stderr)
        return 130
    except Exception as exc:  # a calm line, never a traceback (ANTIFRAUD_DEBUG=1 shows it)
        if os.environ.get("ANTIFRAUD_DEBUG"):
            raise
        if isinstance(exc, OSError) and exc.errno in _DISK_FULL:
            # ingest writes its reject report before the database; either way nothing was loaded
            done = "导入未完成，原数据库未改动" if command == "ingest" else "输出未写完"
            where = f"（{exc.filename}）" if exc.filename else ""
            print(f"错误：磁盘空间不足，{done}{where}", file=sys.stderr)
            return 2
        print(f"错误：{type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}",
              file=sys.stderr)
        return 2

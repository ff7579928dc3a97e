"""One entry point: python -m antifraud sample|ingest|report|bench|export-parquet."""
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

    e = sub.add_parser("export-parquet", help="按 年/周/分县局 分区导出 Parquet")
    e.add_argument("dir")
    e.add_argument("--db", default=None)
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

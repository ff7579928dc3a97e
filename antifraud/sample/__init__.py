"""`python -m antifraud sample`: synthetic weekly extracts for one city (see docs/sample.md).

Deterministic for a seed and an end week. `--format mixed` (the default, what is
committed in sample_data/) writes the files as the centre's systems export them;
`--format csv` writes plain UTF-8 csv with the same headers, fast, for benchmarks.
"""
from __future__ import annotations

import datetime as dt
import re
import sys
import time
from pathlib import Path

import numpy as np

from antifraud import clock, config, periods, units
from antifraud.config import UsageError

GENERATED = re.compile(r"^(案件|预警|打击战果)_\d{4}W\d{2}-\d{4}W\d{2}\.(csv|xlsx)$")


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def end_week(text: str | None) -> periods.Period:
    if not text:
        return periods.week_of(clock.today()).prev()      # the last week that ended before today
    try:
        period = periods.parse(text)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if period.kind != "week":
        raise UsageError(f"--end 需要一个周，如 2026-W47（收到 {text}）")
    return period


def build_world(end: periods.Period, years: float, scale: float):
    from antifraud.sample import generate, places

    if not years > 0 or not scale > 0:
        raise UsageError("--years 与 --scale 必须大于 0")
    weeks = max(1, int(round(years * 52)))
    start = end.start - dt.timedelta(days=7 * (weeks - 1))
    unit_frame = units.load_units()
    station_path = config.project_path("stations")
    if station_path.exists():
        stations = places.load(station_path)
    else:
        stations = places.place(config.project_path("boundaries"), unit_frame)
    return generate.World(start, weeks, float(scale), unit_frame, stations)


def file_key(world) -> str:
    first = periods.week_of(world.start)
    last = periods.week_of(world.start + dt.timedelta(days=world.days - 1))
    return f"{first.key.replace('-', '')}-{last.key.replace('-', '')}"


def generate_files(out: Path, scale: float = 1.0, years: float = 2.0, seed: int = 20261124,
                   end: str | None = None, fmt: str = "mixed", null=None) -> list[Path]:
    """The extracts for one world. `null` (a `stationary.Spec`) draws a stationary world for
    calibration instead of the meeting's sample with its stories (docs/sample.md)."""
    from antifraud.sample import export, generate, write

    clock = time.perf_counter()
    world = build_world(end_week(end), years, scale)
    if null is None:
        streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(6)]
        c = generate.cases(world, streams[0])
        w = generate.warnings(world, streams[1])
        counts = np.zeros((world.weeks, len(world.units)))
        np.add.at(counts, (c["week"], c["bureau"]), 1)
        s = generate.strikes(world, streams[2], counts)
    else:
        from antifraud.sample import stationary
        _, c, w, s, rest = stationary.draw(world, null, seed)
        streams = [None, None, None, *rest]
    _log(f"生成：案件 {c['n']:,} 条，预警 {w['n']:,} 条，打击战果 {len(s['week']):,} 条 "
         f"（{time.perf_counter() - clock:.1f} 秒）")

    messy = fmt == "mixed"
    cases = export.case_table(world, c, streams[3], messy)
    warnings = export.warning_table(world, w, streams[4], messy)
    strikes = export.strike_table(world, s)
    _log(f"整理导出表（{time.perf_counter() - clock:.1f} 秒）")

    out.mkdir(parents=True, exist_ok=True)
    for old in out.iterdir():          # an earlier run's extracts would be imported twice
        if GENERATED.match(old.name):
            old.unlink()
    key = file_key(world)
    city = config.setting("city.name", "新乡市")
    span = f"{world.start:%Y-%m-%d}至{world.start + dt.timedelta(days=world.days - 1):%Y-%m-%d}"
    if fmt == "mixed":
        paths = [out / f"案件_{key}.csv", out / f"预警_{key}.xlsx", out / f"打击战果_{key}.xlsx"]
        write.gbk_csv(cases, paths[0], f"{city}电信网络诈骗案件明细表（{span}）", streams[5])
        write.xlsx(warnings, paths[1], f"{city}预警劝阻情况明细表（{span}）", "预警明细")
        write.xlsx(strikes, paths[2], f"{city}打击战果统计表（{span}）", "打击战果")
    else:
        paths = [out / f"案件_{key}.csv", out / f"预警_{key}.csv", out / f"打击战果_{key}.csv"]
        for table, path in zip((cases, warnings, strikes), paths):
            write.plain_csv(table, path)
    for path in paths:
        _log(f"写入 {path}（{path.stat().st_size / 1e6:.1f} MB）")
    _log(f"完成（{time.perf_counter() - clock:.1f} 秒）")
    return paths


def null_spec(args):
    """The stationary world asked for on the command line, or None for the meeting's sample."""
    plants = getattr(args, "plant", None) or []
    variation = getattr(args, "variation", None)
    if not (getattr(args, "null", False) or plants or variation is not None):
        return None
    from antifraud.sample import stationary
    return stationary.Spec(variation=variation or 0.0, scope=getattr(args, "variation_scope", "city"),
                           plants=tuple(stationary.parse_plant(p) for p in plants))


def main(args) -> int:
    out = Path(args.out) if args.out else config.project_path("sample_dir")
    generate_files(out, scale=args.scale, years=args.years, seed=args.seed, end=args.end, fmt=args.format,
                   null=null_spec(args))
    return 0

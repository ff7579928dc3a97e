"""`python -m antifraud report`: the weekly briefing / monthly bulletin as md, json or xlsx.

The briefing is built once (antifraud.briefing) and rendered; every run is archived
(antifraud.archive) unless --no-archive. `briefing_bytes` gives the dashboard the same
files for its download buttons.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import queries
from antifraud import archive, briefing, config
from antifraud.measures import Filters
from antifraud.periods import Period

EXTENSIONS = {"md": "md", "json": "json", "xlsx": "xlsx"}
MIME = {"md": "text/markdown", "json": "application/json",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def render(b: briefing.Briefing, fmt: str) -> bytes:
    if fmt == "md":
        from antifraud import render_md
        return render_md.render(b).encode("utf-8")
    if fmt == "json":
        return (json.dumps(briefing.to_json(b), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    if fmt == "xlsx":
        from antifraud import render_xlsx
        return render_xlsx.render(b)
    raise config.UsageError(f"未知的格式：{fmt}")


def filename(b: briefing.Briefing, fmt: str) -> str:
    """briefing-<period>[-<district>].<ext>"""
    scope = "-" + "+".join(b.districts) if b.districts else ""
    return f"briefing-{b.period.key}{scope}.{EXTENSIONS[fmt]}"


def issue(b: briefing.Briefing, fmt: str, data: bytes) -> Path:
    """Archive what was issued: the file and its JSON with the data stamp."""
    payload = briefing.to_json(b)
    return archive.save(payload, b.period, b.filters, fmt, data, last_import=b.last_import)


def briefing_bytes(period: Period | str | None, filters: Filters = Filters(), fmt: str = "md",
                   archive_it: bool = False) -> tuple[str, bytes]:
    """(file name, bytes) of the briefing for these filters: the dashboard's sidebar downloads.

    `period` is a Period, '2026-W47' / '2026-11', or None for the last complete week.
    Not archived unless asked: a download is not an issued briefing.
    """
    if period is None or isinstance(period, str):
        text = period or None
        period = briefing.choose_period(week=text if text and "W" in text else None,
                                        month=text if text and "W" not in text else None)
    b = briefing.build(period, filters)
    data = render(b, fmt)
    if archive_it:
        issue(b, fmt, data)
    return filename(b, fmt), data


def _open_database(db_arg: str | None) -> Path:
    path, is_default = config.db_path(db_arg)
    if not path.exists():
        if not is_default:
            raise config.UsageError(f"数据库文件不存在：{path}")
        from antifraud import bootstrap
        bootstrap.ensure_database(path, True)
    queries.use_database(path)
    return path


def main(args) -> int:
    fmt = getattr(args, "format", "md") or "md"
    _open_database(getattr(args, "db", None))
    period = briefing.choose_period(getattr(args, "week", None), getattr(args, "month", None))
    filters = briefing.resolve_filters(getattr(args, "district", []) or [], getattr(args, "types", []) or [])
    print(f"生成 {period.label}（{period.dates_label}）材料 …", file=sys.stderr)
    b = briefing.build(period, filters)
    data = render(b, fmt)
    out = getattr(args, "out", None)
    if fmt == "xlsx" and not out:
        out = filename(b, fmt)
    if out:
        target = Path(out)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            target.write_bytes(data)
        except BaseException:
            target.unlink(missing_ok=True)    # a cut-off briefing (disk full) must not look complete
            raise
        print(f"已写出 {target}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    if b.no_data:
        print(f"{period.label} 所选范围内无数据", file=sys.stderr)
    if not getattr(args, "no_archive", False):
        saved = issue(b, fmt, data)
        print(f"已归档 {saved.parent}", file=sys.stderr)
    if len(b.revisions):
        print(f"注意：{len(b.revisions)} 项指标在已发布材料之后有修订", file=sys.stderr)
    return 0
